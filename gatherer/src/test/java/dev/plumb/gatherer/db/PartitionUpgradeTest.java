package dev.plumb.gatherer.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/** A database written by an older Plumb (schema V3) keeps its data through the V4 upgrade. */
class PartitionUpgradeTest {

    @Test
    void v3DataMovesIntoPartitionsAndGetsItsRollup() throws Exception {
        try (EmbeddedDatabase db = EmbeddedDatabase.start(null)) {
            Flyway.configure().dataSource(db.dataSource()).locations("classpath:db/migration").target("3").load().migrate();
            try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO sessions (id, agent_session, host, service, deployment, pid, exe, started_at)"
                        + " VALUES (1, gen_random_uuid(), 'h', 'old', 'v1', 1, 'x', now())");
                s.execute("INSERT INTO stacks (id, fingerprint, depth) VALUES (1, '\\x01', 1)");
                s.execute("INSERT INTO allocations (session_id, alloc_id, stack_id, size, allocated_us, weight) VALUES"
                        + " (1, 1, 1, 100, 1500000, 1), (1, 2, 1, 40, 2500000, 2.5)");
                s.execute("INSERT INTO frees (session_id, alloc_id, freed_us) VALUES (1, 1, 3200000)");
            }
            Flyway.configure().dataSource(db.dataSource()).locations("classpath:db/migration").load().migrate();
            try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
                assertThat(one(s, "SELECT count(*) FROM allocations WHERE day = plumb_today()")).isEqualTo(2);
                assertThat(one(s, "SELECT count(*) FROM frees")).isEqualTo(1);
                assertThat(one(s, "SELECT count(*) FROM pg_class WHERE relname = 'allocations_v3'")).isZero();
                // rollup: 100 B at second 1 (freed at second 3, released at second 1), 2.5 x 40 B at second 2
                assertThat(one(s, "SELECT alloc_bytes - released_bytes FROM stack_usage WHERE second = 1")).isZero();
                assertThat(one(s, "SELECT alloc_bytes FROM stack_usage WHERE second = 2")).isEqualTo(100);
                assertThat(one(s, "SELECT free_bytes FROM stack_usage WHERE second = 3")).isEqualTo(100);
            }
        }
    }

    private static long one(Statement s, String sql) throws Exception {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
