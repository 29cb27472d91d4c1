package dev.plumb.gatherer.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.gatherer.db.EmbeddedDatabase;
import dev.plumb.gatherer.store.Partitions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Daily partitions are created ahead; days past retention go, unless a session still reports into them. */
class PartitionMaintenanceTest {
    static EmbeddedDatabase db;
    static Partitions partitions;

    @BeforeAll
    static void start() throws Exception {
        db = EmbeddedDatabase.start(null);
        Flyway.configure().dataSource(db.dataSource()).locations("classpath:db/migration").load().migrate();
        partitions = new Partitions(db.dataSource());
    }

    @AfterAll
    static void stop() throws Exception {
        db.close();
    }

    @Test
    void createsTheComingDaysAndDropsExpiredOnesButKeepsDaysWithLiveSessions() throws Exception {
        int today = partitions.today();
        long silent = session(today - 40, "now() - interval '35 days'");
        long stillReporting = session(today - 41, "now()");
        partitions.ensureRange(today - 41, today - 40);
        rows(silent, today - 40);
        rows(stillReporting, today - 41);

        int dropped = new PartitionMaintenance(partitions, new StorageProperties(30, Duration.ofHours(1))).runOnce();

        assertThat(dropped).isEqualTo(1);
        assertThat(exists("allocations_d" + (today - 40))).isFalse();
        assertThat(exists("stack_usage_d" + (today - 40))).isFalse();
        assertThat(count("SELECT count(*) FROM sessions WHERE id = " + silent)).isZero();
        assertThat(exists("allocations_d" + (today - 41))).isTrue();
        assertThat(count("SELECT count(*) FROM allocations WHERE session_id = " + stillReporting)).isEqualTo(1);
        for (int d = today; d <= today + 2; d++) {
            assertThat(exists("frees_d" + d)).as("partition for day %d", d).isTrue();
        }
    }

    @Test
    void retentionZeroKeepsEverything() throws Exception {
        int today = partitions.today();
        long old = session(today - 400, "now() - interval '400 days'");
        partitions.ensureRange(today - 400, today - 400);
        rows(old, today - 400);
        assertThat(new PartitionMaintenance(partitions, new StorageProperties(0, Duration.ofHours(1))).runOnce()).isZero();
        assertThat(count("SELECT count(*) FROM allocations WHERE session_id = " + old)).isEqualTo(1);
    }

    private static long session(int day, String lastSeen) throws Exception {
        try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO sessions (agent_session, host, service, deployment, pid, exe, started_at, day, last_seen_at)"
                        + " VALUES (?, 'h', 's', 'd', 1, 'x', now(), ?, " + lastSeen + ") RETURNING id")) {
            ps.setObject(1, UUID.randomUUID());
            ps.setInt(2, day);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static void rows(long session, int day) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO allocations (day, session_id, alloc_id, stack_id, size, allocated_us) VALUES ("
                    + day + ", " + session + ", 1, 1, 10, 5)");
            s.execute("SELECT plumb_rebuild_usage(" + session + ")");
        }
    }

    private static boolean exists(String table) throws Exception {
        return count("SELECT count(*) FROM pg_class WHERE relname = '" + table + "'") == 1;
    }

    private static long count(String sql) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
