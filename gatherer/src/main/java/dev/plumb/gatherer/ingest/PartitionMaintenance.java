package dev.plumb.gatherer.ingest;

import dev.plumb.gatherer.store.Partitions;
import java.sql.SQLException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Creates the next days' partitions ahead of time and drops expired ones, at start and every
 * maintenance interval. Every gatherer replica runs it; the schema's functions serialise them
 * with an advisory lock and are idempotent.
 */
@Component
public class PartitionMaintenance implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(PartitionMaintenance.class);

    private final Partitions partitions;
    private final StorageProperties properties;
    private ScheduledExecutorService timer;

    public PartitionMaintenance(Partitions partitions, StorageProperties properties) {
        this.partitions = partitions;
        this.properties = properties;
    }

    /** One round: partitions for today and the next two days, then retention. */
    public int runOnce() throws SQLException {
        int today = partitions.today();
        partitions.ensureRange(today, today + 2);
        if (properties.retentionDays() == 0) {
            return 0;
        }
        int dropped = partitions.dropBefore(today - properties.retentionDays());
        if (dropped > 0) {
            log.info("retention: dropped {} day(s) of data older than {} days", dropped, properties.retentionDays());
        }
        return dropped;
    }

    @Override
    public void start() {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "plumb-partition-maintenance");
            t.setDaemon(true);
            return t;
        });
        long every = properties.maintenanceInterval().toMillis();
        timer.scheduleWithFixedDelay(() -> {
            try {
                runOnce();
            } catch (SQLException | RuntimeException e) {
                log.warn("partition maintenance failed (will retry in {}): {}", properties.maintenanceInterval(),
                        e.getMessage());
            }
        }, 0, every, TimeUnit.MILLISECONDS);
    }

    @Override
    public void stop() {
        if (timer != null) {
            timer.shutdownNow();
            timer = null;
        }
    }

    @Override
    public boolean isRunning() {
        return timer != null;
    }
}
