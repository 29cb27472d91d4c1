package dev.plumb.agent.capture;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Test listener: keeps every record, in order (also used by other packages' tests). */
public final class RecordingListener implements CaptureListener {
    record Hello(int pid, String exe, long startedAtMicros) {
    }

    public record Alloc(long atMicros, long address, long size, int stackId, int threadId, double weight) {
    }

    record Toggle(long atMicros, boolean recording) {
    }

    record Free(long atMicros, long address) {
    }

    final List<Hello> hellos = new ArrayList<>();
    final List<ModuleInfo> modules = new ArrayList<>();
    final Map<Integer, long[]> stacks = new HashMap<>();
    public final List<Alloc> allocs = new ArrayList<>();
    final List<Free> frees = new ArrayList<>();
    final List<Long> ends = new ArrayList<>();
    final List<CaptureOptions> options = new ArrayList<>();
    final List<Toggle> toggles = new ArrayList<>();
    final List<CaptureCounters> counters = new ArrayList<>();
    /** Record tags in stream order; ALLOC and SAMPLE are both 'A'. */
    public final StringBuilder tags = new StringBuilder();

    @Override
    public void onHello(int pid, String exe, long startedAtMicros) {
        hellos.add(new Hello(pid, exe, startedAtMicros));
        tags.append('H');
    }

    @Override
    public void onModule(ModuleInfo module) {
        modules.add(module);
        tags.append('M');
    }

    @Override
    public void onStack(int nativeStackId, long[] returnAddresses) {
        stacks.put(nativeStackId, returnAddresses);
        tags.append('S');
    }

    @Override
    public void onAlloc(long atMicros, long address, long size, int nativeStackId, int threadId, double weight) {
        allocs.add(new Alloc(atMicros, address, size, nativeStackId, threadId, weight));
        tags.append('A');
    }

    @Override
    public void onOptions(CaptureOptions o) {
        options.add(o);
        tags.append('O');
    }

    @Override
    public void onToggle(long atMicros, boolean recording) {
        toggles.add(new Toggle(atMicros, recording));
        tags.append('T');
    }

    @Override
    public void onCounters(long atMicros, CaptureCounters c) {
        counters.add(c);
        tags.append('K');
    }

    @Override
    public void onFree(long atMicros, long address) {
        frees.add(new Free(atMicros, address));
        tags.append('F');
    }

    @Override
    public void onEnd(long atMicros) {
        ends.add(atMicros);
        tags.append('E');
    }
}
