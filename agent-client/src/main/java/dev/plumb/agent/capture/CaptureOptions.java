package dev.plumb.agent.capture;

/**
 * The capture library's configuration, from its OPTIONS record.
 *
 * @param sampled     true in sampled mode (PLUMB_MODE=sampled), false in full mode
 * @param sampleBytes mean bytes between samples in sampled mode; 0 in full mode
 * @param maxDepth    deepest stack recorded (PLUMB_MAX_DEPTH)
 */
public record CaptureOptions(boolean sampled, long sampleBytes, int maxDepth, boolean framePointers,
                             boolean trackMmap, boolean followExec, boolean startDisabled) {
    static CaptureOptions decode(int mode, long sampleBytes, int maxDepth, int flags) {
        return new CaptureOptions(mode == 1, sampleBytes, maxDepth, (flags & 1) != 0, (flags & 2) != 0,
                (flags & 4) != 0, (flags & 8) != 0);
    }

    public String mode() {
        return sampled ? "sampled" : "full";
    }
}
