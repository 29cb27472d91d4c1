package dev.plumb.web.faults;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * What the database holds of one profiled process, read straight from the tables, with the
 * checks that show a fault neither lost nor duplicated anything.
 *
 * @param allocations      allocation rows
 * @param duplicateAllocs  allocation rows beyond one per alloc_id (the primary key should make this 0)
 * @param frees            free rows
 * @param duplicateFrees   free rows beyond one per alloc_id
 * @param orphanFrees      frees whose allocation is not stored (a lost allocation)
 * @param maxAllocId       highest alloc_id: the agent numbers allocations 1, 2, … in stream order; without
 *                         condensing, rows ship in that order and batches commit in sequence, so a stored
 *                         prefix has maxAllocId == allocations (a condensed row takes its first member's id)
 * @param rollupAllocs     sum of the per-second rollup's allocations (a batch applied twice would count twice here;
 *                         weighted, like the rollup: a sample counts its weight)
 * @param rollupFrees      the same for frees
 * @param rowAllocs        the same sum computed from the raw allocation rows (their weights)
 * @param rowFrees         the same from the raw free rows (their allocations' weights)
 * @param lastSeq          highest committed batch sequence
 * @param ended            whether the session was ended by its last batch
 * @param programAllocs    allocations made by the example program's own functions (leaky.c), weighted: a
 *                         condensed row counts its members
 */
record StoredSession(long sessionId, String exe, long allocations, long duplicateAllocs, long frees, long duplicateFrees,
                     long orphanFrees, long maxAllocId, double rollupAllocs, double rollupFrees, double rowAllocs,
                     double rowFrees, long lastSeq,
                     boolean ended, long programAllocs) {

    static final String LEAKY_FUNCTIONS = "'load_config','parse_request','remember_request_trace','record_latency_sample'";

    /** The session of {@code service} whose executable ends with {@code exeSuffix}; null if there is none yet. */
    static StoredSession of(String jdbcUrl, String service, String exeSuffix) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "")) {
            long id;
            String exe;
            long lastSeq;
            boolean ended;
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT id, exe, last_seq, ended_at IS NOT NULL FROM sessions WHERE service = ? AND exe LIKE ? ORDER BY id")) {
                ps.setString(1, service);
                ps.setString(2, "%" + exeSuffix);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return null;
                    }
                    id = rs.getLong(1);
                    exe = rs.getString(2);
                    lastSeq = rs.getLong(3);
                    ended = rs.getBoolean(4);
                    if (rs.next()) {
                        throw new IllegalStateException("more than one session of " + service + " for " + exeSuffix);
                    }
                }
            }
            long[] a = longs(c, "SELECT count(*), count(*) - count(DISTINCT alloc_id), coalesce(max(alloc_id), 0)"
                    + " FROM allocations WHERE session_id = ?", id, 3);
            long[] f = longs(c, "SELECT count(*), count(*) - count(DISTINCT alloc_id),"
                    + " count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM allocations a WHERE a.session_id = f.session_id"
                    + " AND a.alloc_id = f.alloc_id)) FROM frees f WHERE session_id = ?", id, 3);
            double[] r = doubles(c, "SELECT coalesce(sum(allocs), 0), coalesce(sum(frees), 0) FROM stack_usage WHERE session_id = ?", id);
            double[] w = doubles(c, "SELECT (SELECT coalesce(sum(weight), 0) FROM allocations WHERE session_id = ?),"
                    + " (SELECT coalesce(sum(a.weight), 0) FROM frees f JOIN allocations a ON a.session_id = f.session_id"
                    + " AND a.alloc_id = f.alloc_id WHERE f.session_id = ?)", id);
            long[] p = longs(c, "SELECT round(coalesce(sum(a.weight), 0))::bigint FROM allocations a JOIN stack_frames sf"
                    + " ON sf.stack_id = a.stack_id AND sf.position = 0 WHERE a.session_id = ? AND sf.function IN ("
                    + LEAKY_FUNCTIONS + ")", id, 1);
            return new StoredSession(id, exe, a[0], a[1], f[0], f[1], f[2], a[2], r[0], r[1], w[0], w[1], lastSeq, ended, p[0]);
        }
    }

    /** Allocations stored so far for a service (any session): for waiting until a run is well under way. */
    static long allocationsOf(String jdbcUrl, String service) {
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "")) {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT count(*) FROM allocations a JOIN sessions s ON s.id = a.session_id WHERE s.service = ?")) {
                ps.setString(1, service);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        } catch (SQLException e) {
            return -1; // the database is down: the caller keeps waiting
        }
    }

    private static long[] longs(Connection c, String sql, long id, int n) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long[] v = new long[n];
                for (int i = 0; i < n; i++) {
                    v[i] = rs.getLong(i + 1);
                }
                return v;
            }
        }
    }

    private static double[] doubles(Connection c, String sql, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 1; i <= ps.getParameterMetaData().getParameterCount(); i++) {
                ps.setLong(i, id);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new double[] {rs.getDouble(1), rs.getDouble(2)};
            }
        }
    }

    long events() {
        return allocations + frees;
    }

    /** Nothing twice: no duplicate rows, and the rollup counted every row exactly once. */
    boolean noDuplicates() {
        return duplicateAllocs == 0 && duplicateFrees == 0 && same(rollupAllocs, rowAllocs) && same(rollupFrees, rowFrees);
    }

    private static boolean same(double a, double b) {
        return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
    }

    /** No free without its allocation: nothing an acknowledged free refers to was lost. */
    boolean noOrphans() {
        return orphanFrees == 0;
    }

    /** Without condensing: what is stored is a whole prefix of the stream (no allocation missing before the last one). */
    boolean idsContiguous() {
        return maxAllocId == allocations;
    }

    /** Highest committed batch of a service's session (0 if none yet, -1 if the database is down). */
    static long batchesOf(String jdbcUrl, String service) {
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "");
             PreparedStatement ps = c.prepareStatement("SELECT coalesce(max(last_seq), 0) FROM sessions WHERE service = ?")) {
            ps.setString(1, service);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            return -1;
        }
    }
}
