package dev.plumb.gatherer.ingest;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Partition housekeeping done by the gatherer.
 *
 * @param retentionDays       days of data kept; older daily partitions are dropped once none
 *                            of their sessions reports any more (0 keeps everything)
 * @param maintenanceInterval how often partitions are created ahead and expired ones dropped
 */
@ConfigurationProperties("plumb.storage")
public record StorageProperties(@DefaultValue("30") int retentionDays, @DefaultValue("1h") Duration maintenanceInterval) {
    public StorageProperties {
        if (retentionDays < 0) {
            throw new IllegalArgumentException("plumb.storage.retention-days must be 0 (keep everything) or more, not "
                    + retentionDays);
        }
        maintenanceInterval = maintenanceInterval == null || maintenanceInterval.isNegative() || maintenanceInterval.isZero()
                ? Duration.ofHours(1) : maintenanceInterval;
    }
}
