package dev.plumb.agent.capture;

/**
 * Receives the records of one capture stream in stream order. Called on the thread that runs
 * {@link CaptureReader#run()}.
 */
public interface CaptureListener {
    void onHello(int pid, String exe, long startedAtMicros);
    void onModule(ModuleInfo module);
    void onStack(int nativeStackId, long[] returnAddresses); // innermost first
    void onAlloc(long atMicros, long address, long size, int nativeStackId, int threadId); // kernel tid
    void onFree(long atMicros, long address);
    void onEnd(long atMicros);
}
