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
    public final long linearStack;
    public final long startupStack;
    public final long ringStack;
    public final long tempStack;
    public final long tinyStack;

    private long nextAllocId = 1;

    private SyntheticSession(long id, String service, long linear, long startup, long ring, long temp, long tiny) {
        this.id = id;
        this.service = service;
        this.linearStack = linear;
        this.startupStack = startup;
        this.ringStack = ring;
        this.tempStack = temp;
        this.tinyStack = tiny;
    }

    public static SyntheticSession create(DataSource ds, String service) throws SQLException {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            long sid;
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO sessions (agent_session, host, service, deployment, pid, exe, started_at, ended_at,
                                          dropped_events)
                    VALUES (?, 'host-a', ?, 'v1.2.3', 4242, '/usr/bin/proxy', ?, ?, 7) RETURNING id""")) {
                ps.setObject(1, UUID.randomUUID());
                ps.setString(2, service);
                ps.setTimestamp(3, Timestamp.from(START));
                ps.setTimestamp(4, Timestamp.from(START.plusSeconds(100)));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    sid = rs.getLong(1);
                }
            }
            long linear = stack(c, "honeycomb::span::new", "tracing::dispatch", "proxy::handle");
            long startup = stack(c, "config::load", "main");
            long ring = stack(c, "ring::push", "metrics::record", "main");
            long temp = stack(c, "temp::buffer", "proxy::handle");
            long tiny = stack(c, "tiny::leak", "main");
            SyntheticSession s = new SyntheticSession(sid, service, linear, startup, ring, temp, tiny);
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
                alloc(alloc, linearStack, 1000, START_US + 500_000 + i * 1_000_000L);
            }
            for (int i = 0; i < 10; i++) {
                alloc(alloc, startupStack, 5000, START_US + 1_000_000 + i * 500_000L);
            }
            long[] ring = new long[100];
            for (int i = 0; i < 100; i++) {
                long t = START_US + 500_000 + i * 1_000_000L;
                ring[i] = alloc(alloc, ringStack, 512, t);
                if (i >= 20) {
                    free(free, ring[i - 20], t);
                }
            }
            for (int i = 0; i < 200; i++) {
                long t = START_US + 250_000 + i * 490_000L;
                long a = alloc(alloc, tempStack, 4096, t);
                free(free, a, t + 10_000);
            }
            alloc(alloc, tinyStack, TINY_BYTES, START_US + 50_000_000);
            alloc.executeBatch();
            free.executeBatch();
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

    private static long stack(Connection c, String... functions) throws SQLException {
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
