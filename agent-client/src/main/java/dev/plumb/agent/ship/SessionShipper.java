package dev.plumb.agent.ship;

import dev.plumb.agent.capture.CaptureListener;
import dev.plumb.agent.capture.ModuleInfo;
import dev.plumb.agent.symbols.ResolvedFrame;
import dev.plumb.agent.symbols.Symbolizer;
import dev.plumb.wire.Batch;
import dev.plumb.wire.FrameCodec;
import dev.plumb.wire.Hello;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Turns one process's capture stream into batches for the gatherer: symbolizes each distinct
 * stack once, gives every allocation a session-wide id (frees reference that id, not the
 * address, which the allocator reuses), and sends a batch when it is big enough or old enough.
 * Sending is synchronous on the capture thread, so a slow gatherer slows the reader and, through
 * the socket, the target: full mode is lossless by design.
 */
public final class SessionShipper implements CaptureListener, AutoCloseable {
    static final int MAX_EVENTS_PER_BATCH = 20_000;
    static final long MAX_BATCH_AGE_MICROS = 250_000;

    private final GathererAddress address;
    private final SessionLabels labels;
    private final Symbolizer symbolizer = new Symbolizer();
    private final Map<Integer, long[]> nativeStacks = new HashMap<>();
    private final Map<Integer, Integer> wireStackOfNative = new HashMap<>();
    private final Map<List<Batch.StackFrame>, Integer> wireStackOfFrames = new HashMap<>();
    private final Map<Long, Long> liveAllocIdByAddress = new HashMap<>();
    private final ShipperStats stats = new ShipperStats();

    private List<Batch.StackDef> pendingStacks = new ArrayList<>();
    private List<Batch.Alloc> pendingAllocs = new ArrayList<>();
    private List<Batch.Free> pendingFrees = new ArrayList<>();
    private long oldestPendingMicros = -1;
    private long nextAllocId = 1;
    private long nextSeq = 1;
    private boolean ended;
    private GathererClient client;
    private IOException failure;

    public SessionShipper(GathererAddress address, SessionLabels labels) {
        this.address = address;
        this.labels = labels;
    }

    public ShipperStats stats() {
        return stats;
    }

    /** Why shipping stopped, if it did; the capture stream is still drained to keep the target running. */
    public synchronized IOException failure() {
        return failure;
    }

    @Override
    public synchronized void onHello(int pid, String exe, long startedAtMicros) {
        stats.pid = pid;
        stats.exe = exe;
        String service = labels.service() != null ? labels.service() : Path.of(exe).getFileName().toString();
        Hello hello = new Hello(FrameCodec.PROTOCOL_VERSION, labels.token(), UUID.randomUUID(), labels.host(),
                service, labels.deployment(), pid, exe, startedAtMicros, labels.extra());
        try {
            client = GathererClient.connect(address, hello);
            nextSeq = client.lastCommittedSeq() + 1;
        } catch (IOException e) {
            fail(e);
        }
    }

    @Override
    public synchronized void onModule(ModuleInfo module) {
        symbolizer.addModule(module);
    }

    @Override
    public synchronized void onStack(int nativeStackId, long[] returnAddresses) {
        nativeStacks.put(nativeStackId, returnAddresses);
    }

    @Override
    public synchronized void onAlloc(long atMicros, long address, long size, int nativeStackId, int threadId,
                                     double weight) {
        long allocId = nextAllocId++;
        liveAllocIdByAddress.put(address, allocId);
        pendingAllocs.add(new Batch.Alloc(allocId, wireStack(nativeStackId), size, atMicros, weight));
        stats.allocations++;
        stats.bytesAllocated += size;
        afterEvent(atMicros);
    }

    @Override
    public synchronized void onFree(long atMicros, long address) {
        Long allocId = liveAllocIdByAddress.remove(address);
        if (allocId == null) {
            return; // allocated before capture started, or by the capture library itself
        }
        pendingFrees.add(new Batch.Free(allocId, atMicros));
        stats.frees++;
        afterEvent(atMicros);
    }

    @Override
    public synchronized void onEnd(long atMicros) {
        finish(atMicros);
    }

    /** Sends what is pending if it has waited long enough; called by a timer. */
    public synchronized void flushIfDue(long nowMicros) {
        if (oldestPendingMicros >= 0 && nowMicros - oldestPendingMicros >= MAX_BATCH_AGE_MICROS) {
            send(0);
        }
    }

    /** Ends the session if the stream stopped without END (the process crashed or was killed). */
    @Override
    public synchronized void close() {
        finish(System.currentTimeMillis() * 1000);
        if (client != null) {
            try {
                client.close();
            } catch (IOException ignored) {
                // nothing left to tell the gatherer
            }
        }
    }

    private void finish(long atMicros) {
        if (ended) {
            return;
        }
        ended = true;
        stats.liveAtEnd = liveAllocIdByAddress.size();
        send(Math.max(1, atMicros));
    }

    private void afterEvent(long atMicros) {
        if (oldestPendingMicros < 0) {
            oldestPendingMicros = atMicros;
        }
        if (pendingAllocs.size() + pendingFrees.size() >= MAX_EVENTS_PER_BATCH) {
            send(0);
        }
    }

    private int wireStack(int nativeStackId) {
        Integer known = wireStackOfNative.get(nativeStackId);
        if (known != null) {
            return known;
        }
        long[] addresses = nativeStacks.getOrDefault(nativeStackId, new long[0]);
        List<Batch.StackFrame> frames = new ArrayList<>(addresses.length);
        for (int i = 0; i < addresses.length && frames.size() < FrameCodec.MAX_STACK_DEPTH; i++) {
            // Every captured address, the first included, is a return address: look up the call.
            ResolvedFrame f = symbolizer.resolve(addresses[i], false);
            frames.add(new Batch.StackFrame(f.function(), f.module(), f.file(), f.line()));
        }
        if (frames.isEmpty()) {
            frames.add(new Batch.StackFrame("[unknown]", "?", "", 0));
        }
        Integer wireId = wireStackOfFrames.get(frames);
        if (wireId == null) {
            wireId = wireStackOfFrames.size() + 1;
            wireStackOfFrames.put(frames, wireId);
            pendingStacks.add(new Batch.StackDef(wireId, frames));
            stats.stacks++;
        }
        wireStackOfNative.put(nativeStackId, wireId);
        return wireId;
    }

    private void send(long endedAtMicros) {
        if (failure == null && client != null) {
            Batch batch = new Batch(nextSeq, pendingStacks, pendingAllocs, pendingFrees, endedAtMicros);
            try {
                client.sendAndAwaitAck(batch);
                nextSeq++;
                stats.batches++;
            } catch (IOException e) {
                fail(e);
            }
        }
        if (failure != null) {
            stats.droppedEvents += pendingAllocs.size() + pendingFrees.size();
        }
        pendingStacks = new ArrayList<>();
        pendingAllocs = new ArrayList<>();
        pendingFrees = new ArrayList<>();
        oldestPendingMicros = -1;
    }

    private void fail(IOException e) {
        if (failure == null) {
            failure = e;
        }
    }
}
