package dev.plumb.gatherer.store;

import dev.plumb.wire.Batch;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * The stack_usage rows a group of batches adds to: per (session, stored stack, second), the
 * weighted allocations and bytes allocated, freed, and released (freed, counted at the
 * second the allocation was made). Summed in memory first so that one upsert per key is sent,
 * however many events the group holds.
 */
final class UsageRollup {
    private static final int ALLOCS = 0;
    private static final int ALLOC_BYTES = 1;
    private static final int FREES = 2;
    private static final int FREE_BYTES = 3;
    private static final int RELEASED = 4;
    private static final int RELEASED_BYTES = 5;

    private record Key(int day, long sessionId, long stackId, long second) {
    }

    private final Map<Key, double[]> sums = new HashMap<>();

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
        return sums.computeIfAbsent(new Key(p.day(), p.sessionId(), stackId, Math.floorDiv(atMicros, 1_000_000L)),
                k -> new double[6]);
    }

    int rows() {
        return sums.size();
    }

    void upsert(Connection c) throws SQLException {
        if (sums.isEmpty()) {
            return;
        }
        int n = sums.size();
        Integer[] day = new Integer[n];
        Long[] session = new Long[n];
        Long[] stack = new Long[n];
        Long[] second = new Long[n];
        Double[][] values = new Double[6][n];
        int i = 0;
        for (Map.Entry<Key, double[]> e : sums.entrySet()) {
            day[i] = e.getKey().day();
            session[i] = e.getKey().sessionId();
            stack[i] = e.getKey().stackId();
            second[i] = e.getKey().second();
            for (int v = 0; v < 6; v++) {
                values[v][i] = e.getValue()[v];
            }
            i++;
        }
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO stack_usage (day, session_id, stack_id, second, allocs, alloc_bytes, frees, free_bytes,
                                         released, released_bytes)
                SELECT * FROM unnest(?::integer[], ?::bigint[], ?::bigint[], ?::bigint[], ?::float8[], ?::float8[],
                                     ?::float8[], ?::float8[], ?::float8[], ?::float8[])
                ON CONFLICT (session_id, stack_id, second, day) DO UPDATE SET
                    allocs = stack_usage.allocs + excluded.allocs,
                    alloc_bytes = stack_usage.alloc_bytes + excluded.alloc_bytes,
                    frees = stack_usage.frees + excluded.frees,
                    free_bytes = stack_usage.free_bytes + excluded.free_bytes,
                    released = stack_usage.released + excluded.released,
                    released_bytes = stack_usage.released_bytes + excluded.released_bytes""")) {
            ps.setArray(1, c.createArrayOf("integer", day));
            ps.setArray(2, c.createArrayOf("bigint", session));
            ps.setArray(3, c.createArrayOf("bigint", stack));
            ps.setArray(4, c.createArrayOf("bigint", second));
            for (int v = 0; v < 6; v++) {
                ps.setArray(5 + v, c.createArrayOf("float8", values[v]));
            }
            ps.executeUpdate();
        }
    }
}
