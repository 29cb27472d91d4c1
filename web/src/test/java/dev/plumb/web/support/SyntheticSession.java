package dev.plumb.web.support;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;

/**
 * A session with known rows, written straight into the schema. 100 s long, starting at
 * {@link #START}. Its backtraces (innermost frame first):
 * <ul>
 *   <li>LINEAR: honeycomb::span::new — 1000 B every second at t = 0.5, 1.5 … 99.5 s, never
 *       freed: 100 allocations, 100 000 B leaked, retained grows linearly.</li>
 *   <li>STARTUP: config::load — 5000 B every 0.5 s at t = 1.0 … 5.5 s (10 allocations), never freed: 50 000 B leaked, all in the first 10%.</li>
 *   <li>RING: ring::push — a 20-slot ring of 512 B entries, one push per second at t = 0.5 …
 *       99.5 s, each push after the 20th frees the entry 20 before it: retained rises to
 *       10 240 B by t ≈ 20 s, then flat; 20 entries (10 240 B) leaked.</li>
 *   <li>TEMP: temp::buffer — 200 × 4096 B, each freed 10 ms later: nothing leaked.</li>
 *   <li>TINY: tiny::leak — one 100 B allocation at t = 50 s, never freed: noise.</li>
 * </ul>
 */
public final class SyntheticSession {
    public static final Instant START = Instant.parse("2024-05-01T00:00:00Z");
    public static final long START_US = START.getEpochSecond() * 1_000_000L;
    public static final long DURATION_US = 100_000_000L;

    public static final long LINEAR_BYTES = 100_000;
    public static final long STARTUP_BYTES = 50_000;
    public static final long RING_BYTES = 20 * 512;
    public static final long TINY_BYTES = 100;
    public static final long LEAKED_BYTES = LINEAR_BYTES + STARTUP_BYTES + RING_BYTES + TINY_BYTES;
    public static final long ALLOCATIONS = 100 + 10 + 100 + 200 + 1;
    public static final long FREES = 80 + 200;
    public static final long BYTES_ALLOCATED = LINEAR_BYTES + STARTUP_BYTES + 100 * 512 + 200 * 4096 + TINY_BYTES;

    public final long id;
    public final String service;
    /** When this session starts (its events are at the offsets above from here), epoch µs. */
    public final long startUs;
    public final long linearStack;
    public final long startupStack;
    public final long ringStack;
    public final long tempStack;
    public final long tinyStack;

    private long nextAllocId = 1;

    private SyntheticSession(long id, String service, long startUs, long linear, long startup, long ring, long temp,
            long tiny) {
        this.id = id;
        this.service = service;
        this.startUs = startUs;
        this.linearStack = linear;
        this.startupStack = startup;
        this.ringStack = ring;
        this.tempStack = temp;
        this.tinyStack = tiny;
    }

    public static SyntheticSession create(DataSource ds, String service) throws SQLException {
        return create(ds, service, "v1.2.3", "host-a", START, null);
    }

    /**
     * @param name when not null: the deployment, host and executable, and an extra innermost
     *             frame (a function of that name) on every backtrace — e.g. markup, to check
     *             that every page shows such names as text
     */
    public static SyntheticSession create(DataSource ds, String service, String name) throws SQLException {
        return create(ds, service, name, name, START, name);
    }

    /** The same session for another deployment and host, starting at start (100 s long, ended). */
    public static SyntheticSession create(DataSource ds, String service, String deployment, String host, Instant start)
            throws SQLException {
        return create(ds, service, deployment, host, start, null);
    }

    private static SyntheticSession create(DataSource ds, String service, String deployment, String host, Instant start,
                                           String name) throws SQLException {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            long sid;
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO sessions (agent_session, host, service, deployment, pid, exe, started_at, ended_at,
                                          dropped_events)
                    VALUES (?, ?, ?, ?, 4242, ?, ?, ?, 7) RETURNING id""")) {
                ps.setObject(1, UUID.randomUUID());
                ps.setString(2, host);
                ps.setString(3, service);
                ps.setString(4, deployment);
                ps.setString(5, name == null ? "/usr/bin/proxy" : name);
                ps.setTimestamp(6, Timestamp.from(start));
                ps.setTimestamp(7, Timestamp.from(start.plusSeconds(100)));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    sid = rs.getLong(1);
                }
            }
            long linear = stack(c, name, "honeycomb::span::new", "tracing::dispatch", "proxy::handle");
            long startup = stack(c, name, "config::load", "main");
            long ring = stack(c, name, "ring::push", "metrics::record", "main");
            long temp = stack(c, name, "temp::buffer", "proxy::handle");
            long tiny = stack(c, name, "tiny::leak", "main");
            long startUs = start.getEpochSecond() * 1_000_000L + start.getNano() / 1000;
            SyntheticSession s = new SyntheticSession(sid, service, startUs, linear, startup, ring, temp, tiny);
            s.fill(c);
            rebuildUsage(c, sid);
            c.commit();
            return s;
        }
    }

    /**
     * Recomputes a session's rollup (stack_usage) from its raw rows, as every test that writes
     * allocations or frees by hand must after writing them: the gatherer keeps it at ingest,
     * and the queries read it.
     */
    public static void rebuildUsage(Connection c, long sessionId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT plumb_rebuild_usage(?)")) {
            ps.setLong(1, sessionId);
            ps.execute();
        }
    }

    /** {@link #rebuildUsage(Connection, long)} on a connection of its own. */
    public static void rebuildUsage(DataSource ds, long sessionId) throws SQLException {
        try (Connection c = ds.getConnection()) {
            rebuildUsage(c, sessionId);
        }
    }

    private void fill(Connection c) throws SQLException {
        try (PreparedStatement alloc = c.prepareStatement(
                "INSERT INTO allocations (session_id, alloc_id, stack_id, size, allocated_us) VALUES (?, ?, ?, ?, ?)");
             PreparedStatement free = c.prepareStatement(
                "INSERT INTO frees (session_id, alloc_id, freed_us) VALUES (?, ?, ?)")) {
            for (int i = 0; i < 100; i++) {
                alloc(alloc, linearStack, 1000, startUs + 500_000 + i * 1_000_000L);
            }
            for (int i = 0; i < 10; i++) {
                alloc(alloc, startupStack, 5000, startUs + 1_000_000 + i * 500_000L);
            }
            long[] ring = new long[100];
            for (int i = 0; i < 100; i++) {
                long t = startUs + 500_000 + i * 1_000_000L;
                ring[i] = alloc(alloc, ringStack, 512, t);
                if (i >= 20) {
                    free(free, ring[i - 20], t);
                }
            }
            for (int i = 0; i < 200; i++) {
                long t = startUs + 250_000 + i * 490_000L;
                long a = alloc(alloc, tempStack, 4096, t);
                free(free, a, t + 10_000);
            }
            alloc(alloc, tinyStack, TINY_BYTES, startUs + 50_000_000);
            alloc.executeBatch();
            free.executeBatch();
        }
    }

    /**
     * The fix of the linear leak: each honeycomb::span::new allocation freed 10 ms after it was
     * made (before or after {@link #useStacksOf}). Then 60 340 B are leaked instead of 160 340.
     */
    public void fixLinearLeak(DataSource ds) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("""
                INSERT INTO frees (day, session_id, alloc_id, freed_us)
                SELECT day, session_id, alloc_id, allocated_us + 10000 FROM allocations
                 WHERE session_id = ? AND stack_id IN (SELECT stack_id FROM stack_frames
                                                        WHERE position = 0 AND function = 'honeycomb::span::new')
                """)) {
            ps.setLong(1, id);
            ps.executeUpdate();
            rebuildUsage(c, id); // raw rows changed: the rollups follow
        }
    }

    /**
     * Points this session's allocations at the first one's stacks (same code path, same stack, as
     * in two processes of the same code). The stack fields keep this session's own ids.
     */
    public void useStacksOf(DataSource ds, SyntheticSession first) throws SQLException {
        long[][] pairs = {{linearStack, first.linearStack}, {startupStack, first.startupStack},
            {ringStack, first.ringStack}, {tempStack, first.tempStack}, {tinyStack, first.tinyStack}};
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "UPDATE allocations SET stack_id = ? WHERE session_id = ? AND stack_id = ?")) {
            for (long[] p : pairs) {
                ps.setLong(1, p[1]);
                ps.setLong(2, id);
                ps.setLong(3, p[0]);
                ps.executeUpdate();
            }
            rebuildUsage(c, id); // raw rows changed: the rollups follow
        }
    }

    private long alloc(PreparedStatement ps, long stack, long size, long us) throws SQLException {
        long a = nextAllocId++;
        ps.setLong(1, id);
        ps.setLong(2, a);
        ps.setLong(3, stack);
        ps.setLong(4, size);
        ps.setLong(5, us);
        ps.addBatch();
        return a;
    }

    private void free(PreparedStatement ps, long allocId, long us) throws SQLException {
        ps.setLong(1, id);
        ps.setLong(2, allocId);
        ps.setLong(3, us);
        ps.addBatch();
    }

    private static long stack(Connection c, String innermost, String... outer) throws SQLException {
        String[] functions = outer;
        if (innermost != null) {
            functions = new String[outer.length + 1];
            functions[0] = innermost;
            System.arraycopy(outer, 0, functions, 1, outer.length);
        }
        byte[] fingerprint = new byte[16];
        ThreadLocalRandom.current().nextBytes(fingerprint);
        long stackId;
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO stacks (fingerprint, depth) VALUES (?, ?) RETURNING id")) {
            ps.setBytes(1, fingerprint);
            ps.setInt(2, functions.length);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                stackId = rs.getLong(1);
            }
        }
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO stack_frames (stack_id, position, function, module, file, line) VALUES (?, ?, ?, ?, ?, ?)")) {
            for (int i = 0; i < functions.length; i++) {
                ps.setLong(1, stackId);
                ps.setInt(2, i);
                ps.setString(3, functions[i]);
                ps.setString(4, i == 0 ? "libproxy.so" : "proxy");
                ps.setString(5, "src/" + functions[i].replace("::", "/") + ".rs");
                ps.setInt(6, 10 + i);
                ps.addBatch();
            }
            ps.executeBatch();
        }
        return stackId;
    }
}
