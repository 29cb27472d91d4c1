package dev.plumb.gatherer.store;

import dev.plumb.wire.Batch;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The stack_usage rows a group of batches adds to: per (session, stored stack, second), the
 * weighted allocations and bytes allocated, freed, and released (freed, counted at the
 * second the allocation was made) — and the same sums per (session, stack) in stack_totals,
 * per (session, second) in session_usage and per (session, grain, stack, slot) in
 * stack_usage_coarse. Summed in memory first so that one upsert per key and table is sent,
 * however many events the group holds.
 */
final class UsageRollup {
    private static final int ALLOCS = 0;
    private static final int ALLOC_BYTES = 1;
    private static final int FREES = 2;
    private static final int FREE_BYTES = 3;
    private static final int RELEASED = 4;
    private static final int RELEASED_BYTES = 5;

    /** (day, session, stack, second) → sums: already the stack_usage rows, and what the projections fold. */
    private final Map<List<Long>, double[]> sums = new HashMap<>();

    void add(PendingBatch p) {
        for (Batch.Alloc a : p.batch().allocs()) {
            double[] s = sums(p, p.stackId(a.stackId()), a.atMicros());
            s[ALLOCS] += a.weight();
            s[ALLOC_BYTES] += a.size() * a.weight();
        }
        for (Batch.Free f : p.batch().frees()) {
            long stack = p.stackId(f.stackId());
            double[] freed = sums(p, stack, f.atMicros());
            freed[FREES] += f.weight();
            freed[FREE_BYTES] += f.bytes();
            double[] released = sums(p, stack, f.allocatedAtMicros());
            released[RELEASED] += f.weight();
            released[RELEASED_BYTES] += f.bytes();
        }
    }

    private double[] sums(PendingBatch p, long stackId, long atMicros) {
        return sums.computeIfAbsent(List.of((long) p.day(), p.sessionId(), stackId, Math.floorDiv(atMicros, 1_000_000L)),
                k -> new double[6]);
    }

    int rows() {
        return sums.size();
    }

    /**
     * Adds the group's sums to stack_usage and to its projections (db/migrations V5):
     * stack_totals per (session, stack), session_usage per (session, second) and
     * stack_usage_coarse per (session, grain, stack, slot). Only the writer holding a session's
     * lock (IngestStore) touches its rows, so the upserts never contend.
     */
    void upsert(Connection c) throws SQLException {
        if (sums.isEmpty()) {
            return;
        }
        Map<List<Long>, double[]> totals = new HashMap<>();
        Map<List<Long>, double[]> seconds = new HashMap<>();
        Map<List<Long>, double[]> coarse = new HashMap<>();
        for (Map.Entry<List<Long>, double[]> e : sums.entrySet()) {
            long day = e.getKey().get(0);
            long session = e.getKey().get(1);
            long stack = e.getKey().get(2);
            long second = e.getKey().get(3);
            add(totals, List.of(day, session, stack), e.getValue());
            add(seconds, List.of(day, session, second), e.getValue());
            for (int grain : RollupGrains.COARSE_SECONDS) {
                add(coarse, List.of(day, session, (long) grain, stack, Math.floorDiv(second, grain)), e.getValue());
            }
        }
        upsert(c, "stack_usage", List.of("stack_id", "second"), sums);
        upsert(c, "stack_totals", List.of("stack_id"), totals);
        upsert(c, "session_usage", List.of("second"), seconds);
        upsert(c, "stack_usage_coarse", List.of("grain", "stack_id", "slot"), coarse);
    }

    private static void add(Map<List<Long>, double[]> into, List<Long> key, double[] values) {
        double[] s = into.computeIfAbsent(key, k -> new double[6]);
        for (int v = 0; v < 6; v++) {
            s[v] += values[v];
        }
    }

    /**
     * One INSERT … ON CONFLICT DO UPDATE of all rows, as arrays. A key is (day, session_id,
     * keyColumns…); the primary key of every rollup table is (session_id, keyColumns…, day).
     */
    private static void upsert(Connection c, String table, List<String> keyColumns, Map<List<Long>, double[]> rows)
            throws SQLException {
        int n = rows.size();
        int keys = 2 + keyColumns.size();
        Long[][] keyArrays = new Long[keys][n];
        Double[][] values = new Double[6][n];
        int i = 0;
        for (Map.Entry<List<Long>, double[]> e : rows.entrySet()) {
            for (int k = 0; k < keys; k++) {
                keyArrays[k][i] = e.getKey().get(k);
            }
            for (int v = 0; v < 6; v++) {
                values[v][i] = e.getValue()[v];
            }
            i++;
        }
        String columns = String.join(", ", keyColumns);
        String sql = "INSERT INTO " + table + " (day, session_id, " + columns + ", allocs, alloc_bytes, frees,"
                + " free_bytes, released, released_bytes)"
                + " SELECT * FROM unnest(?::integer[]" + ", ?::bigint[]".repeat(keys - 1)
                + ", ?::float8[]".repeat(6) + ")"
                + " ON CONFLICT (session_id, " + columns + ", day) DO UPDATE SET"
                + " allocs = " + table + ".allocs + excluded.allocs,"
                + " alloc_bytes = " + table + ".alloc_bytes + excluded.alloc_bytes,"
                + " frees = " + table + ".frees + excluded.frees,"
                + " free_bytes = " + table + ".free_bytes + excluded.free_bytes,"
                + " released = " + table + ".released + excluded.released,"
                + " released_bytes = " + table + ".released_bytes + excluded.released_bytes";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            Integer[] day = new Integer[n];
            for (int r = 0; r < n; r++) {
                day[r] = keyArrays[0][r].intValue();
            }
            ps.setArray(1, c.createArrayOf("integer", day));
            for (int k = 1; k < keys; k++) {
                ps.setArray(1 + k, c.createArrayOf("bigint", keyArrays[k]));
            }
            for (int v = 0; v < 6; v++) {
                ps.setArray(1 + keys + v, c.createArrayOf("float8", values[v]));
            }
            ps.executeUpdate();
        }
    }
}
