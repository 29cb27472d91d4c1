package dev.plumb.gatherer.ingest;

import dev.plumb.wire.ErrorCode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The gatherer's Prometheus meters (names as exported, with the plumb_gatherer_ prefix):
 * connected agents, queued batches, batches and events stored, duplicates skipped, frames
 * rejected by error code, commit time and group size, and lag (receipt to commit, and how old
 * the newest stored event was when it was committed).
 */
final class IngestMetrics {
    private final Counter batchesStored;
    private final Counter batchesDuplicate;
    private final Counter eventsStored;
    private final Counter retries;
    private final Map<ErrorCode, Counter> rejected = new EnumMap<>(ErrorCode.class);
    private final Timer commit;
    private final Timer ackLatency;
    private final DistributionSummary groupBatches;
    private final AtomicLong newestEventAgeMillis = new AtomicLong();
    private final MeterRegistry registry;

    IngestMetrics(MeterRegistry registry, Supplier<Number> connectedAgents, Supplier<Number> queuedBatches) {
        this.registry = registry;
        Gauge.builder("plumb.gatherer.agents.connected", connectedAgents).description("agent connections open")
                .register(registry);
        Gauge.builder("plumb.gatherer.queue.batches", queuedBatches)
                .description("batches received and waiting for a database writer").register(registry);
        Gauge.builder("plumb.gatherer.lag.event.seconds", newestEventAgeMillis, a -> a.get() / 1000.0)
                .description("age of the newest event of the last committed group when it was committed")
                .register(registry);
        batchesStored = Counter.builder("plumb.gatherer.batches").tag("outcome", "stored").register(registry);
        batchesDuplicate = Counter.builder("plumb.gatherer.batches").tag("outcome", "duplicate")
                .description("batches an agent resent that were already stored (acknowledged, not written)")
                .register(registry);
        eventsStored = Counter.builder("plumb.gatherer.events").description("allocations and frees stored")
                .register(registry);
        retries = Counter.builder("plumb.gatherer.group.retries")
                .description("groups that failed and were retried batch by batch").register(registry);
        commit = Timer.builder("plumb.gatherer.commit").description("time to write and commit one group")
                .register(registry);
        ackLatency = Timer.builder("plumb.gatherer.lag.ack").description("from a batch's arrival to its commit")
                .register(registry);
        groupBatches = DistributionSummary.builder("plumb.gatherer.group.batches")
                .description("batches written per transaction").register(registry);
    }

    void stored(int events) {
        batchesStored.increment();
        eventsStored.increment(events);
    }

    void duplicate() {
        batchesDuplicate.increment();
    }

    void retried() {
        retries.increment();
    }

    void rejected(ErrorCode code) {
        rejected.computeIfAbsent(code, c -> Counter.builder("plumb.gatherer.frames.rejected")
                .tag("code", c.name().toLowerCase(java.util.Locale.ROOT)).register(registry)).increment();
    }

    void committed(int batches, Duration took, long newestEventMicros) {
        commit.record(took);
        groupBatches.record(batches);
        if (newestEventMicros > 0) {
            newestEventAgeMillis.set(Math.max(0, System.currentTimeMillis() - newestEventMicros / 1000));
        }
    }

    void acked(long receivedNanos) {
        ackLatency.record(Duration.ofNanos(System.nanoTime() - receivedNanos));
    }
}
