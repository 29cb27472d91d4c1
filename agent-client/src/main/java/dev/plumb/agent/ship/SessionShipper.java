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
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Turns one process's capture stream into batches for the gatherer: symbolizes each distinct
 * stack once, gives every allocation a session-wide id (frees reference that id, not the
 * address, which the allocator reuses), condenses temporaries ({@link Condenser}: freed within
 * {@code condenseAfter}, folded per stack, size and second), and cuts a batch when it is big
 * enough or old enough. Condensing happens before a batch is cut, so a batch is fixed once
 * cut and a resent batch is identical to the first sending.
 *
 * <p>Delivery: up to {@link #MAX_IN_FLIGHT} batches are sent before waiting for the oldest
 * acknowledgement. Unacknowledged batches are kept; when the connection breaks the shipper
 * reconnects with backoff under the same session id, the gatherer says which sequence it has,
 * and the rest is resent — the gatherer skips what it already committed, so nothing is counted
 * twice. Stack definitions are attached when a batch is sent, for every stack the connection
 * has not seen yet, so a resent batch is complete on a fresh connection. While the gatherer is
 * away this blocks the decoding thread only: the raw capture keeps spooling to disk
 * ({@code CapturePump}), so the profiled program does not notice.
 */
public final class SessionShipper implements CaptureListener, AutoCloseable {
    static final int MAX_EVENTS_PER_BATCH = 20_000;
    static final long MAX_BATCH_AGE_MICROS = 250_000;
    static final int MAX_IN_FLIGHT = 8;
    /** Default for how long an allocation is held back to see whether it is a temporary. */
    public static final Duration DEFAULT_CONDENSE_AFTER = Duration.ofSeconds(10);
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(120);

    private GathererAddress address;
    private final java.util.function.Supplier<GathererAddress> fallback;
    private boolean onFallback;
    private final SessionLabels labels;
    private final Backoff backoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(30));
    private final ReentrantLock lock = new ReentrantLock();
    private final Symbolizer symbolizer = new Symbolizer();
    private final Map<Integer, long[]> nativeStacks = new HashMap<>();
    private final Map<Integer, Integer> wireStackOfNative = new HashMap<>();
    private final Map<List<Batch.StackFrame>, Integer> wireStackOfFrames = new HashMap<>();
    private final List<Batch.StackDef> stackDefs = new ArrayList<>();
    private final Map<Long, LiveAllocation> liveByAddress = new HashMap<>();
    private final ShipperStats stats = new ShipperStats();
    private final Condenser condenser;
    private final ArrayDeque<Batch> unacked = new ArrayDeque<>();
    private final Set<Integer> definedOnConnection = new HashSet<>();

    private List<Batch.Alloc> pendingAllocs = new ArrayList<>();
    private List<Batch.Free> pendingFrees = new ArrayList<>();
    private long oldestPendingMicros = -1;
    /** Capture time the rows being added belong to: the current event's, or the idle clock's. */
    private long nowMicros;
    /** The latest event time of the capture stream. */
    private long streamMicros;
    private long events;
    private long eventsAtLastTick = -1;
    private long wallMicrosAtLastEvents;
    private long nextAllocId = 1;
    private long nextSeq = 1;
    private long sentSeq;
    private boolean ended;
    private Hello hello;
    private GathererClient client;
    private IOException failure;
    private IOException rejection;
    private volatile long giveUpAtNanos = Long.MAX_VALUE;

    public SessionShipper(GathererAddress address, SessionLabels labels) {
        this(address, labels, null);
    }

    public SessionShipper(GathererAddress address, SessionLabels labels,
                          java.util.function.Supplier<GathererAddress> fallback) {
        this(address, labels, fallback, DEFAULT_CONDENSE_AFTER);
    }

    /**
     * @param fallback where to send what the gatherer could not be given before the deadline
     *                 ({@link #giveUpAfter}): a local recorder, so nothing is lost and
     *                 `plumb upload` delivers it later; null drops it (and counts it)
     * @param condenseAfter allocations freed within this are condensed ({@link Condenser});
     *                      zero ships every allocation individually at once
     */
    public SessionShipper(GathererAddress address, SessionLabels labels,
                          java.util.function.Supplier<GathererAddress> fallback, Duration condenseAfter) {
        this(address, labels, fallback, condenseAfter, Condenser.DEFAULT_MAX_YOUNG, Condenser.DEFAULT_MAX_GROUPS);
    }

    /** With the condenser's bounds spelled out (tests). */
    SessionShipper(GathererAddress address, SessionLabels labels, java.util.function.Supplier<GathererAddress> fallback,
                   Duration condenseAfter, int maxYoung, int maxGroups) {
        this.address = address;
        this.labels = labels;
        this.fallback = fallback;
        this.condenser = new Condenser(condenseAfter.toNanos() / 1000, maxYoung, maxGroups, new Condenser.Output() {
            @Override
            public void allocation(Batch.Alloc alloc) {
                pendingAllocs.add(alloc);
                added();
            }

            @Override
            public void temporaries(Batch.Alloc alloc, Batch.Free free) {
                pendingAllocs.add(alloc);
                pendingFrees.add(free);
                added();
            }
        }, stats);
    }

    /** Whether undelivered batches went to the local fallback recorder. */
    public boolean usedFallback() {
        lock.lock();
        try {
            return onFallback;
        } finally {
            lock.unlock();
        }
    }

    public ShipperStats stats() {
        return stats;
    }

    /**
     * Why the gatherer refused this session (a token, a TLS handshake), if it did and the
     * profile went to the local fallback recorder because of it; null otherwise.
     */
    public IOException rejection() {
        lock.lock();
        try {
            return rejection;
        } finally {
            lock.unlock();
        }
    }

    /** The young buffer and open groups, for tests that check their bounds between events. */
    Condenser condenser() {
        return condenser;
    }

    /** Why delivery was given up, if it was; the capture stream is still drained. */
    public IOException failure() {
        lock.lock();
        try {
            return failure;
        } finally {
            lock.unlock();
        }
    }

    /**
     * While the program runs the shipper retries forever (the raw capture spools meanwhile);
     * once it has exited, retries stop at this deadline and what is undelivered is reported.
     */
    public void giveUpAfter(Duration fromNow) {
        giveUpAtNanos = System.nanoTime() + fromNow.toNanos();
    }

    @Override
    public void onHello(int pid, String exe, long startedAtMicros) {
        lock.lock();
        try {
            stats.pid = pid;
            stats.exe = exe;
            String service = labels.service() != null ? labels.service() : Path.of(exe).getFileName().toString();
            hello = new Hello(FrameCodec.PROTOCOL_VERSION, labels.token(), UUID.randomUUID(), labels.host(),
                    service, labels.deployment(), pid, exe, startedAtMicros, labels.extra());
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void onModule(ModuleInfo module) {
        lock.lock();
        try {
            symbolizer.addModule(module);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void onStack(int nativeStackId, long[] returnAddresses) {
        lock.lock();
        try {
            nativeStacks.put(nativeStackId, returnAddresses);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void onAlloc(long atMicros, long address, long size, int nativeStackId, int threadId, double weight) {
        lock.lock();
        try {
            advance(atMicros);
            liveByAddress.put(address, condenser.allocated(nextAllocId++, wireStack(nativeStackId), size, atMicros, weight));
            stats.allocations++;
            stats.bytesAllocated += size;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void onFree(long atMicros, long address) {
        lock.lock();
        try {
            advance(atMicros);
            LiveAllocation alloc = liveByAddress.remove(address);
            if (alloc == null) {
                // allocated before capture started, or by the capture library itself, or a sample
                // the spool left out: nothing of it was shipped, so neither is its free
                stats.unmatchedFrees++;
                return;
            }
            stats.frees++;
            Batch.Free free = condenser.freed(alloc, atMicros);
            if (free != null) {
                pendingFrees.add(free);
                added();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Sampled mode: samples the raw spool left out when it was full (printed in the summary). */
    public void spoolDroppedSamples(long n) {
        lock.lock();
        try {
            stats.spoolDroppedSamples = n;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void onCounters(long atMicros, dev.plumb.agent.capture.CaptureCounters counters) {
        lock.lock();
        try {
            stats.library = counters;
        } finally {
            lock.unlock();
        }
    }

    /** A progress line for long runs (events/s, stacks, lag, reconnects, drops). */
    public String progress(long spoolLagBytes) {
        // The decoding thread holds the lock while it waits for the gatherer; never wait for it here.
        if (!lock.tryLock()) {
            return String.format("pid %d: waiting for the gatherer at %s; %,d KiB captured meanwhile", stats.pid,
                    address, spoolLagBytes / 1024);
        }
        try {
            return stats.progress(spoolLagBytes);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void onEnd(long atMicros) {
        lock.lock();
        try {
            finish(atMicros);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Called by a timer with the wall clock, skipped while busy. If no event arrived since the
     * previous call, the program is idle (or the decoder caught up), so capture time is taken
     * to run on with the wall clock from the last event: what outlived the condensing threshold
     * is shipped and finished groups are emitted even when nothing else happens. Then cuts a
     * batch if rows have waited long enough.
     */
    public void flushIfDue(long wallMicros) {
        if (!lock.tryLock()) {
            return;
        }
        try {
            if (ended) {
                return;
            }
            if (events != eventsAtLastTick) {
                eventsAtLastTick = events;
                wallMicrosAtLastEvents = wallMicros;
            } else if (streamMicros > 0 && wallMicros > wallMicrosAtLastEvents) {
                // Not remembered as stream time: an event still in the library's buffer keeps its own.
                nowMicros = streamMicros + (wallMicros - wallMicrosAtLastEvents);
                condenser.advanceTo(nowMicros);
            }
            if (oldestPendingMicros >= 0 && wallMicros - oldestPendingMicros >= MAX_BATCH_AGE_MICROS) {
                cut(0);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Ends the session if the stream stopped without END (the process crashed or was killed). */
    @Override
    public void close() {
        lock.lock();
        try {
            finish(System.currentTimeMillis() * 1000);
            disconnect();
            symbolizer.close();
        } finally {
            lock.unlock();
        }
    }

    private void finish(long atMicros) {
        if (ended) {
            return;
        }
        ended = true;
        nowMicros = Math.max(nowMicros, atMicros);
        condenser.drain(); // what is still young at the end is a leak: shipped individually
        stats.liveAtEnd = liveByAddress.size();
        cut(Math.max(1, atMicros));
        drain();
    }

    /** An event at {@code atMicros}: first ship and emit what that time settles. */
    private void advance(long atMicros) {
        events++;
        nowMicros = atMicros;
        if (atMicros > streamMicros) {
            streamMicros = atMicros;
        }
        condenser.advanceTo(atMicros);
    }

    /** Rows were added to the pending batch: start its age, cut it when it is full. */
    private void added() {
        if (oldestPendingMicros < 0) {
            oldestPendingMicros = nowMicros;
        }
        if (pendingAllocs.size() + pendingFrees.size() >= MAX_EVENTS_PER_BATCH) {
            cut(0);
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
            // Every captured address, the first included, is a return address: look up the call,
            // and list the functions inlined at it before the one that contains it.
            for (ResolvedFrame f : symbolizer.resolveInlined(addresses[i])) {
                if (frames.size() < FrameCodec.MAX_STACK_DEPTH) {
                    frames.add(new Batch.StackFrame(f.function(), f.module(), f.file(), f.line()));
                }
            }
        }
        if (frames.isEmpty()) {
            frames.add(new Batch.StackFrame("[unknown]", "?", "", 0));
        }
        Integer wireId = wireStackOfFrames.get(frames);
        if (wireId == null) {
            wireId = stackDefs.size() + 1;
            wireStackOfFrames.put(frames, wireId);
            stackDefs.add(new Batch.StackDef(wireId, frames));
            stats.stacks++;
        }
        wireStackOfNative.put(nativeStackId, wireId);
        return wireId;
    }

    private void cut(long endedAtMicros) {
        Batch batch = new Batch(nextSeq++, List.of(), pendingAllocs, pendingFrees, endedAtMicros);
        pendingAllocs = new ArrayList<>();
        pendingFrees = new ArrayList<>();
        oldestPendingMicros = -1;
        if (failure != null) {
            stats.droppedEvents += events(batch);
            return;
        }
        unacked.addLast(batch);
        deliver(MAX_IN_FLIGHT);
    }

    /** Sends what is unsent, then waits until at most {@code maxUnacked} batches are in flight. */
    private void deliver(int maxUnacked) {
        while (failure == null) {
            try {
                if (client == null) {
                    connect();
                }
                for (Batch b : unacked) {
                    if (b.seq() > sentSeq) {
                        client.send(withNewStackDefs(b));
                        sentSeq = b.seq();
                    }
                }
                while (unacked.size() > maxUnacked) {
                    client.awaitAck(unacked.peekFirst().seq(), ACK_TIMEOUT);
                    dropAcked(client.ackedSeq());
                }
                dropAcked(client.ackedSeq());
                return;
            } catch (GathererRejectedException e) {
                disconnect();
                if (e.retryable()) {
                    // error 6: the database is down or the gatherer is stopping; nothing of the
                    // batch was stored, so reconnect and resend like after a broken connection
                    pauseOrGiveUp(e);
                } else if (fallback != null && !onFallback) {
                    // Retrying will not change the gatherer's mind (a token, a certificate): keep the
                    // profile locally at once, if we can, for `plumb upload` once that is fixed.
                    rejection = e;
                    switchToFallback();
                } else {
                    giveUp(e);
                }
            } catch (IOException e) {
                disconnect();
                pauseOrGiveUp(e);
            }
        }
    }

    private void drain() {
        deliver(0);
    }

    private void connect() throws IOException {
        if (hello == null) {
            throw new GathererRejectedException(dev.plumb.wire.ErrorCode.PROTOCOL_VIOLATION,
                    "the capture stream did not start with HELLO");
        }
        client = GathererClient.connect(address, hello);
        stats.connections++;
        backoff.reset();
        definedOnConnection.clear();
        dropAcked(client.lastCommittedSeq());
        sentSeq = client.lastCommittedSeq();
    }

    private Batch withNewStackDefs(Batch b) {
        List<Batch.StackDef> defs = new ArrayList<>();
        for (Batch.Alloc a : b.allocs()) {
            if (definedOnConnection.add(a.stackId())) {
                defs.add(stackDefs.get(a.stackId() - 1));
            }
        }
        // A free names its allocation's stack too, and on a fresh connection that stack may
        // only have been defined in a batch the gatherer already has.
        for (Batch.Free f : b.frees()) {
            if (definedOnConnection.add(f.stackId())) {
                defs.add(stackDefs.get(f.stackId() - 1));
            }
        }
        return defs.isEmpty() ? b : new Batch(b.seq(), defs, b.allocs(), b.frees(), b.endedAtMicros());
    }

    private void dropAcked(long ackedSeq) {
        while (!unacked.isEmpty() && unacked.peekFirst().seq() <= ackedSeq) {
            stats.batches++;
            unacked.removeFirst();
        }
    }

    private void pauseOrGiveUp(IOException cause) {
        // Never sleep past the deadline: the last attempt is made at it, not skipped.
        long leftMillis = (giveUpAtNanos - System.nanoTime()) / 1_000_000;
        long delayMillis = Math.min(backoff.nextDelayMillis(), Math.max(0, leftMillis));
        if (leftMillis <= 0) {
            if (fallback != null && !onFallback) {
                // The gatherer stayed away past the deadline: keep everything in a local recording instead.
                switchToFallback();
                return;
            }
            giveUp(cause);
            return;
        }
        stats.retries++;
        try {
            Thread.sleep(delayMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            giveUp(cause);
        }
    }

    /** From now on, ship to the local recorder. Same session id, so an upload continues it exactly once. */
    private void switchToFallback() {
        onFallback = true;
        try {
            address = fallback.get();
        } catch (RuntimeException e) {
            giveUp(new IOException(e.getMessage(), e));
            return;
        }
        backoff.reset();
    }

    private void giveUp(IOException cause) {
        failure = cause;
        for (Batch b : unacked) {
            stats.droppedEvents += events(b);
        }
        unacked.clear();
        disconnect();
    }

    private void disconnect() {
        if (client != null) {
            try {
                client.close();
            } catch (IOException ignored) {
                // the connection is being dropped anyway
            }
            client = null;
        }
    }

    private static long events(Batch b) {
        return b.allocs().size() + b.frees().size();
    }
}
