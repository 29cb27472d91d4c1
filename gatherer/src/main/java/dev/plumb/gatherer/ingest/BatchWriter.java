package dev.plumb.gatherer.ingest;

import dev.plumb.gatherer.store.IngestStore;
import dev.plumb.gatherer.store.PendingBatch;
import dev.plumb.wire.Batch;
import dev.plumb.wire.ErrorCode;
import dev.plumb.wire.WireException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit. Prepared batches of all connections wait in one bounded queue; each writer
 * thread takes what has accumulated (up to a limit of events) and writes it in ONE
 * transaction, then completes each batch's future with the sequence to acknowledge. Under load
 * groups grow by themselves, so the per-transaction cost (commit, session locks, statement
 * round trips) is shared by many agents; when idle a group is a single batch and nothing
 * waits. A full queue blocks the submitting thread, which stops reading the sockets.
 */
final class BatchWriter {
    private static final Logger log = LoggerFactory.getLogger(BatchWriter.class);

    private record Queued(PendingBatch batch, long receivedNanos, CompletableFuture<Long> ack) {
    }

    private final IngestStore store;
    private final IngestMetrics metrics;
    private final BlockingQueue<Queued> queue;
    private final int maxGroupEvents;
    private final List<Thread> writers = new ArrayList<>();
    private final AtomicInteger busy = new AtomicInteger();
    private volatile boolean running = true;

    BatchWriter(IngestStore store, IngestMetrics metrics, int threads, int queueCapacity, int maxGroupEvents) {
        this.store = store;
        this.metrics = metrics;
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.maxGroupEvents = maxGroupEvents;
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(this::run, "plumb-ingest-writer-" + i);
            t.setDaemon(true);
            writers.add(t);
            t.start();
        }
    }

    /** Queues a batch; blocks while the queue is full. The future yields the seq to acknowledge. */
    CompletableFuture<Long> submit(PendingBatch batch, long receivedNanos) throws InterruptedException {
        CompletableFuture<Long> ack = new CompletableFuture<>();
        queue.put(new Queued(batch, receivedNanos, ack));
        return ack;
    }

    int queued() {
        return queue.size();
    }

    /** Whether everything submitted so far has been written (or refused). */
    boolean idle() {
        return queue.isEmpty() && busy.get() == 0;
    }

    /** Lets the writers finish what is queued (up to {@code timeout}), then stops them. */
    boolean drainAndStop(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!idle() && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(20); // polls the writers' progress; they signal nothing
        }
        boolean drained = idle();
        // Not interrupted first: a writer that has just taken a batch (between its poll and
        // `busy`) finishes writing it; idle ones leave at their next poll timeout.
        running = false;
        for (Thread t : writers) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())) + 5_000);
        }
        for (Thread t : writers) {
            if (t.isAlive()) {
                t.interrupt();
            }
        }
        Queued left;
        while ((left = queue.poll()) != null) {
            left.ack().completeExceptionally(new WireException(ErrorCode.INTERNAL,
                    "the gatherer stopped before storing this batch; it was not acknowledged, resend it"));
        }
        return drained;
    }

    private void run() {
        List<Queued> group = new ArrayList<>();
        while (running) {
            try {
                Queued first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                busy.incrementAndGet();
                try {
                    group.clear();
                    group.add(first);
                    int events = first.batch().events();
                    Queued next;
                    while (events < maxGroupEvents && (next = queue.poll()) != null) {
                        group.add(next);
                        events += next.batch().events();
                    }
                    write(group);
                } finally {
                    busy.decrementAndGet();
                }
            } catch (InterruptedException e) {
                if (!running) {
                    return;
                }
            } catch (RuntimeException e) {
                log.error("ingest writer failed; the group was not acknowledged", e);
                group.forEach(q -> q.ack().completeExceptionally(e));
            }
        }
    }

    private void write(List<Queued> group) {
        long start = System.nanoTime();
        List<PendingBatch> batches = group.stream().map(Queued::batch).toList();
        try {
            complete(group, store.writeGroup(batches));
            metrics.committed(group.size(), Duration.ofNanos(System.nanoTime() - start), newestEvent(batches));
        } catch (SQLException e) {
            if (group.size() == 1) {
                group.get(0).ack().completeExceptionally(toWireException(group.get(0).batch().batch(), e));
                return;
            }
            // one bad batch must not sink the others: find it by writing them one at a time
            metrics.retried();
            log.info("a group of {} batches failed ({}); writing them one by one", group.size(), e.getMessage());
            for (Queued q : group) {
                write(List.of(q));
            }
        }
    }

    private void complete(List<Queued> group, List<IngestStore.Outcome> outcomes) {
        for (int i = 0; i < group.size(); i++) {
            Queued q = group.get(i);
            IngestStore.Outcome outcome = outcomes.get(i);
            if (outcome instanceof IngestStore.Outcome.Stored stored) {
                if (stored.seq() == q.batch().batch().seq()) {
                    metrics.stored(q.batch().events());
                } else {
                    metrics.duplicate();
                }
                metrics.acked(q.receivedNanos());
                q.ack().complete(stored.seq());
            } else if (outcome instanceof IngestStore.Outcome.Refused refused) {
                q.ack().completeExceptionally(refused.reason());
            }
        }
    }

    private static long newestEvent(List<PendingBatch> batches) {
        long newest = 0;
        for (PendingBatch p : batches) {
            List<Batch.Alloc> allocs = p.batch().allocs();
            List<Batch.Free> frees = p.batch().frees();
            if (!allocs.isEmpty()) {
                newest = Math.max(newest, allocs.get(allocs.size() - 1).atMicros());
            }
            if (!frees.isEmpty()) {
                newest = Math.max(newest, frees.get(frees.size() - 1).atMicros());
            }
        }
        return newest;
    }

    private static WireException toWireException(Batch batch, SQLException e) {
        if (IngestStore.UNIQUE_VIOLATION.equals(e.getSQLState())) {
            return new WireException(ErrorCode.PROTOCOL_VIOLATION, "batch " + batch.seq()
                    + " repeats an allocation or free this session already stored");
        }
        log.warn("storing batch {} failed: {}", batch.seq(), e.getMessage());
        return new WireException(ErrorCode.INTERNAL, "the gatherer could not store this batch ("
                + e.getMessage() + "); it was not acknowledged, retry later");
    }
}
