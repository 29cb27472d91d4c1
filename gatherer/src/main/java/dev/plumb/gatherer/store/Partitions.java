package dev.plumb.gatherer.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.springframework.stereotype.Component;

/**
 * The daily partitions of allocations, frees and stack_usage (db/migrations V4). A day's
 * partitions are created the first time a batch of that day is written (and ahead of time by
 * {@link PartitionMaintenance}); the DDL itself lives in the schema's SQL functions.
 */
@Component
public class Partitions {
    private final DataSource dataSource;
    private final Set<Integer> ensured = ConcurrentHashMap.newKeySet();

    public Partitions(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Makes sure rows of {@code day} have somewhere to go. Cheap after the first call per day. */
    public void ensure(int day) throws SQLException {
        if (ensured.contains(day)) {
            return;
        }
        ensureRange(day, day);
    }

    public void ensureRange(int first, int last) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT plumb_ensure_partitions(?, ?)")) {
            ps.setInt(1, first);
            ps.setInt(2, last);
            ps.execute();
        }
        for (int d = first; d <= last; d++) {
            ensured.add(d);
        }
    }

    /** Drops the days before {@code cutoffDay} nobody reports into any more; returns how many. */
    public int dropBefore(int cutoffDay) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT plumb_drop_expired_partitions(?)")) {
            ps.setInt(1, cutoffDay);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                int dropped = rs.getInt(1);
                ensured.removeIf(d -> d < cutoffDay);
                return dropped;
            }
        }
    }

    public int today() throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT plumb_today()");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
