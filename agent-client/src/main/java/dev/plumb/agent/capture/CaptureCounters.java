package dev.plumb.agent.capture;

/**
 * The capture library's counters, from its COUNTERS record (values in the library's order;
 * values a newer library appends are ignored, missing ones read as 0).
 *
 * @param events           ALLOC/SAMPLE/FREE records written
 * @param waits            times a writer found the agent's socket full and waited (full mode is lossless)
 * @param waitMicros       total time writers waited for the agent
 * @param stacks           distinct stacks sent
 * @param droppedSamples   sampled mode: samples not taken because the sampled-address set was full
 * @param samples          sampled mode: allocations sampled
 * @param nestedFrees      frees passed through unrecorded because their thread was already inside a hook
 * @param bytesSent        bytes written to the socket
 * @param stackTableFull   stacks sent again under a fresh id because the dedup table was full
 * @param fastUnwinds      recorded stacks replayed from the library's shape cache, not unwound by libunwind
 * @param unwindMismatches with PLUMB_UNWIND_CHECK=1: replayed stacks libunwind unwound differently (0 expected)
 */
public record CaptureCounters(long events, long waits, long waitMicros, long stacks, long droppedSamples,
                              long samples, long nestedFrees, long bytesSent, long stackTableFull, long fastUnwinds,
                              long unwindMismatches) {
    static CaptureCounters of(long[] v) {
        long[] a = java.util.Arrays.copyOf(v, Math.max(v.length, 11));
        return new CaptureCounters(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10]);
    }
}
