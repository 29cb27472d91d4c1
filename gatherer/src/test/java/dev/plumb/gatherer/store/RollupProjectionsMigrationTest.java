package dev.plumb.gatherer.store;

import static dev.plumb.gatherer.GathererFixtures.hello;
import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.gatherer.db.EmbeddedDatabase;
import dev.plumb.wire.Batch;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * V5 on a database that V4 already filled: the projections of stack_usage (stack_totals per
 * backtrace, session_usage per second) are created for every day that has partitions, carried
 * over from what stack_usage held, and kept from then on — by the gatherer and by
 * plumb_rebuild_usage alike — and retention drops them with the rest of a day.
 */
class RollupProjectionsMigrationTest {

    @Test
    void v5CarriesOverKeepsAndDropsTheProjections() throws Exception {
        try (EmbeddedDatabase db = EmbeddedDatabase.start(null)) {
            Flyway.configure().dataSource(db.dataSource()).target("4").load().migrate();
            int today = new Partitions(db.dataSource()).today();
            long before = storeByHandAtV4(db, 3);
            assertThat(count(db, "SELECT count(*) FROM stack_usage WHERE session_id = " + before)).isEqualTo(4); // 3 s + the free

            Flyway.configure().dataSource(db.dataSource()).load().migrate();
            // V4 made partitions for yesterday … a week ahead; rows are only in today's
            for (int day : List.of(today - 1, today, today + 7)) {
                assertThat(count(db, "SELECT count(*) FROM pg_class WHERE relname IN ('stack_totals_d" + day
                        + "', 'session_usage_d" + day + "', 'stack_usage_coarse_d" + day + "')"))
                        .as("partitions of day %d", day).isEqualTo(3);
            }
            assertProjectionsAreSumsOfStackUsage(db, before, 1, 3);

            long after = storeOne(new IngestStore(db.dataSource(), new Partitions(db.dataSource())), 5);
            assertProjectionsAreSumsOfStackUsage(db, after, 1, 5);
            exec(db, "DELETE FROM stack_totals WHERE session_id = " + after);
            exec(db, "DELETE FROM session_usage WHERE session_id = " + after);
            exec(db, "DELETE FROM stack_usage_coarse WHERE session_id = " + after);
            exec(db, "SELECT plumb_rebuild_usage(" + after + ")");
            assertProjectionsAreSumsOfStackUsage(db, after, 1, 5);

            // retention: a day no session reports into any more goes, projections included
            exec(db, "UPDATE sessions SET day = " + (today - 1) + ", last_seen_at = now() - interval '3 days'");
            for (String t : List.of("allocations", "frees", "stack_usage", "stack_totals", "session_usage",
                    "stack_usage_coarse")) {
                exec(db, "UPDATE " + t + " SET day = " + (today - 1));
            }
            assertThat(count(db, "SELECT count(*) FROM stack_totals_d" + (today - 1))).isPositive();
            assertThat(count(db, "SELECT plumb_drop_expired_partitions(" + today + ")")).isEqualTo(1);
            assertThat(count(db, "SELECT count(*) FROM pg_class WHERE relname IN ('stack_totals_d" + (today - 1)
                    + "', 'session_usage_d" + (today - 1) + "', 'stack_usage_coarse_d" + (today - 1) + "')")).isZero();
        }
    }

    /** The same session as {@link #storeOne} written as V4 knew it: raw rows and V4's plumb_rebuild_usage. */
    private static long storeByHandAtV4(EmbeddedDatabase db, int n) throws Exception {
        long session = count(db, "INSERT INTO sessions (agent_session, host, service, deployment, pid, exe, started_at)"
                + " VALUES (gen_random_uuid(), 'h', 's', 'v', 1, 'x', now()) RETURNING id");
        long stack = count(db, "INSERT INTO stacks (fingerprint, depth) VALUES ('\\x01', 1) RETURNING id");
        for (int i = 1; i <= n; i++) {
            exec(db, "INSERT INTO allocations (session_id, alloc_id, stack_id, size, allocated_us) VALUES (" + session
                    + ", " + i + ", " + stack + ", 100, " + (i * 1_000_000L + 5) + ")");
        }
        exec(db, "INSERT INTO frees (session_id, alloc_id, freed_us) VALUES (" + session + ", 1, " + (n + 1) * 1_000_000L
                + ")");
        exec(db, "SELECT plumb_rebuild_usage(" + session + ")");
        return session;
    }

    /** One session: allocations of 100 B at seconds 1 … n on one backtrace, the first one freed at n + 1. */
    private static long storeOne(IngestStore store, int n) throws Exception {
        IngestStore.OpenedSession session = store.openSession(hello(UUID.randomUUID(), ""));
        List<Batch.StackDef> stacks = List.of(new Batch.StackDef(1, List.of(new Batch.StackFrame("f", "m", "f.c", 1))));
        List<Batch.Alloc> allocs = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            allocs.add(new Batch.Alloc(i, 1, 100, i * 1_000_000L + 5));
        }
        Batch batch = new Batch(1, stacks, allocs, List.of(Batch.Free.of(allocs.get(0), (n + 1) * 1_000_000L)), 0);
        assertThat(store.writeGroup(List.of(store.prepare(session, batch, new HashMap<>()))))
                .singleElement().isInstanceOf(IngestStore.Outcome.Stored.class);
        return session.id();
    }

    private static void assertProjectionsAreSumsOfStackUsage(EmbeddedDatabase db, long session, int stacks,
            int allocations) throws Exception {
        assertThat(count(db, "SELECT count(*) FROM stack_totals WHERE session_id = " + session)).isEqualTo(stacks);
        assertThat(count(db, "SELECT allocs::bigint FROM stack_totals WHERE session_id = " + session))
                .isEqualTo(allocations);
        assertThat(count(db, "SELECT (alloc_bytes - released_bytes)::bigint FROM stack_totals WHERE session_id = "
                + session)).isEqualTo((allocations - 1) * 100L);
        // one row per second with an allocation or a free: seconds 1 … n and n + 1
        assertThat(count(db, "SELECT count(*) FROM session_usage WHERE session_id = " + session))
                .isEqualTo(allocations + 1);
        // seconds 1 … n + 1 (n < 9) lie in slot 0 of every coarse grain: one row per grain
        assertThat(count(db, "SELECT count(*) FROM stack_usage_coarse WHERE session_id = " + session + " AND slot = 0"))
                .isEqualTo(RollupGrains.COARSE_SECONDS.size());
        for (int grain : RollupGrains.COARSE_SECONDS) {
            assertThat(count(db, "SELECT (alloc_bytes - released_bytes)::bigint FROM stack_usage_coarse WHERE session_id = "
                    + session + " AND grain = " + grain)).isEqualTo((allocations - 1) * 100L);
        }
        for (String column : List.of("allocs", "free_bytes", "released_bytes")) {
            assertThat(count(db, "SELECT (SELECT sum(" + column + ") FROM session_usage WHERE session_id = " + session
                    + ") = (SELECT sum(" + column + ") FROM stack_usage WHERE session_id = " + session + ")"
                    + " AND (SELECT sum(" + column + ") FROM stack_totals WHERE session_id = " + session
                    + ") = (SELECT sum(" + column + ") FROM stack_usage WHERE session_id = " + session + ")"
                    + " AND (SELECT sum(" + column + ") FROM stack_usage WHERE session_id = " + session + ") > 0"))
                    .as(column).isEqualTo(1);
        }
    }

    private static long count(EmbeddedDatabase db, String sql) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            Object value = rs.getObject(1);
            return value instanceof Boolean b ? (b ? 1 : 0) : rs.getLong(1);
        }
    }

    private static void exec(EmbeddedDatabase db, String sql) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
