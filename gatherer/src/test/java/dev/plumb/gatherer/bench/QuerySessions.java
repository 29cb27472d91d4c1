package dev.plumb.gatherer.bench;

import dev.plumb.gatherer.db.EmbeddedDatabase;
import dev.plumb.gatherer.store.IngestStore;
import dev.plumb.gatherer.store.Partitions;
import dev.plumb.gatherer.store.PendingBatch;
import dev.plumb.wire.Batch;
import dev.plumb.wire.FrameCodec;
import dev.plumb.wire.Hello;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * bench/run query's data: sessions of {@link QueryWorkload} written through the gatherer's real
 * ingest path — IngestStore.prepare and writeGroup, one batch per simulated second, four batches
 * per transaction (group commit), so the raw tables and the rollup are exactly what an agent's
 * stream would leave — into an embedded PostgreSQL in DATA_DIR/postgres, where `plumb server
 * --data-dir DATA_DIR` finds them.
 *
 * <p>Usage: QuerySessions DATA_DIR DURATION_SECONDS SEED EVENTS... — prints one line per session:
 * {@code session=<id> events=<n> allocations=<n> frees=<n> ingest_seconds=<s> rows: <table>=<n>…}.
 * With {@code --allocations-for EVENTS DURATION SEED} it only prints how many allocations give that
 * many events (what the C program is given).
 */
public final class QuerySessions {
    private static final int BATCHES_PER_GROUP = 4;

    private QuerySessions() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 4 && args[0].equals("--allocations-for")) {
            System.out.println(QueryWorkload.allocationsFor(Long.parseLong(args[1]), Long.parseLong(args[2]),
                    Long.parseLong(args[3])));
            return;
        }
        Path dataDir = Path.of(args[0]);
        long duration = Long.parseLong(args[1]);
        long seed = Long.parseLong(args[2]);
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir.resolve("postgres"))) {
            DataSource ds = db.dataSource();
            Flyway.configure().dataSource(ds).load().migrate();
            for (int i = 3; i < args.length; i++) {
                long events = Long.parseLong(args[i]);
                ingest(ds, events, QueryWorkload.allocationsFor(events, duration, seed), duration, seed);
            }
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                // what autovacuum would have done by the time anyone looks: statistics and visibility
                st.execute("VACUUM ANALYZE allocations");
                st.execute("VACUUM ANALYZE frees");
                for (String rollup : List.of("stack_usage", "stack_totals", "session_usage", "stack_usage_coarse")) {
                    st.execute("VACUUM ANALYZE " + rollup);
                }
            }
        }
    }

    private static void ingest(DataSource ds, long events, long allocations, long duration, long seed)
            throws Exception {
        long started = System.nanoTime();
        IngestStore store = new IngestStore(ds, new Partitions(ds));
        // at an arbitrary microsecond, as real sessions start; ended ten minutes ago, past the alert
        // evaluator's grace, so that it does not evaluate them while the benchmark measures
        long start = (System.currentTimeMillis() / 1000 - duration - 600) * 1_000_000L + 271_828;
        Hello hello = new Hello(FrameCodec.PROTOCOL_VERSION, "", UUID.randomUUID(), "bench-host", "bench-query",
                "events-" + events, 4242, "/opt/bench/query_workload", start, Map.of());
        IngestStore.OpenedSession session = store.openSession(hello);
        Map<Integer, Long> connectionStacks = new HashMap<>();
        List<Batch.StackDef> stacks = new ArrayList<>();
        for (int s = 0; s < QueryWorkload.STACKS; s++) {
            stacks.add(new Batch.StackDef(s + 1, frames(s)));
        }
        QueryWorkload workload = new QueryWorkload(allocations, start, duration, seed);
        class Batcher implements QueryWorkload.Sink {
            List<Batch.Alloc> allocs = new ArrayList<>();
            List<Batch.Free> frees = new ArrayList<>();
            final List<PendingBatch> group = new ArrayList<>();
            long second = start / 1_000_000L;
            long seq = 0;

            void roll(long atMicros) throws Exception {
                while (atMicros / 1_000_000L > second) {
                    flush(0);
                    second++;
                }
            }

            void flush(long endedAt) throws Exception {
                if (allocs.isEmpty() && frees.isEmpty() && endedAt == 0) {
                    return;
                }
                seq++;
                Batch b = new Batch(seq, seq == 1 ? stacks : List.of(), allocs, frees, endedAt);
                group.add(store.prepare(session, b, connectionStacks));
                allocs = new ArrayList<>();
                frees = new ArrayList<>();
                if (group.size() == BATCHES_PER_GROUP || endedAt != 0) {
                    for (IngestStore.Outcome o : store.writeGroup(group)) {
                        if (!(o instanceof IngestStore.Outcome.Stored)) {
                            throw new IllegalStateException("not stored: " + o);
                        }
                    }
                    group.clear();
                }
            }

            @Override
            public void alloc(long id, int stack, long size, long atMicros) {
                try {
                    roll(atMicros);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                allocs.add(new Batch.Alloc(id, stack + 1, size, atMicros));
            }

            @Override
            public void free(long id, int stack, long size, long allocatedAtMicros, long atMicros) {
                try {
                    roll(atMicros);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                frees.add(new Batch.Free(id, atMicros, stack + 1, size, allocatedAtMicros, 1.0));
            }
        }
        Batcher batcher = new Batcher();
        long frees = workload.run(batcher);
        batcher.flush(workload.endMicros());
        StringBuilder rows = new StringBuilder();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            for (String table : List.of("allocations", "frees", "stack_usage", "stack_totals", "session_usage",
                    "stack_usage_coarse")) {
                rows.append(' ').append(table).append('=')
                        .append(count(st, "SELECT count(*) FROM " + table + " WHERE session_id = " + session.id()));
            }
        }
        System.out.printf("session=%d events=%d allocations=%d frees=%d ingest_seconds=%.1f rows:%s%n",
                session.id(), allocations + frees, allocations, frees, (System.nanoTime() - started) / 1e9, rows);
    }

    private static long count(Statement st, String sql) throws Exception {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The C program's call path for a stack: l0 (calls malloc) … l3, then main; as its symbols read. */
    static List<Batch.StackFrame> frames(int stack) {
        List<Batch.StackFrame> frames = new ArrayList<>();
        for (int level = 0; level < 4; level++) {
            int digit = (stack >> (2 * level)) & 3;
            frames.add(new Batch.StackFrame("l" + level + "_" + digit, "query_workload", "bench/query_workload.c",
                    20 + level * 4 + digit));
        }
        frames.add(new Batch.StackFrame("run_workload", "query_workload", "bench/query_workload.c", 90));
        frames.add(new Batch.StackFrame("main", "query_workload", "bench/query_workload.c", 120));
        return frames;
    }
}
