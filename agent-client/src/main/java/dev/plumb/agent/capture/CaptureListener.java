package dev.plumb.agent.capture;

/**
 * Receives the records of one capture stream in stream order. Called on the thread that runs
 * {@link CaptureReader#run()}. The default methods are records a consumer may ignore.
 */
public interface CaptureListener {
    void onHello(int pid, String exe, long startedAtMicros);

    /** How the library was configured; sent once, right after HELLO. */
    default void onOptions(CaptureOptions options) {
    }

    void onModule(ModuleInfo module);

    void onStack(int nativeStackId, long[] returnAddresses); // innermost first

    /**
     * One allocation ({@code ALLOC}) or one sampled allocation ({@code SAMPLE}).
     *
     * @param threadId kernel tid of the allocating thread
     * @param weight how many allocations this record stands for: 1.0 in full mode; in sampled
     *               mode {@code 1 / (1 - exp(-size / sampleBytes))}
     */
    void onAlloc(long atMicros, long address, long size, int nativeStackId, int threadId, double weight);

    void onFree(long atMicros, long address);

    /** Recording was switched off or on (SIGUSR1). While off, neither allocations nor frees are recorded. */
    default void onToggle(long atMicros, boolean recording) {
    }

    /** The library's counters; sent before END and before an exec. */
    default void onCounters(long atMicros, CaptureCounters counters) {
    }

    void onEnd(long atMicros);
}
