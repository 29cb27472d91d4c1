package dev.plumb.gatherer.store;

import dev.plumb.wire.Batch;
import dev.plumb.wire.ErrorCode;
import dev.plumb.wire.Hello;
import dev.plumb.wire.WireException;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;
import org.springframework.stereotype.Component;

/**
 * The gatherer's only writer. A batch is one transaction: its stacks, allocations and frees
 * together with the session's new last_seq, so a batch is either wholly stored and
 * acknowledged or not at all, and a retried batch (seq <= last_seq) is recognised and skipped.
 */
@Component
public class IngestStore {
    private static final String UNIQUE_VIOLATION = "23505";

    private final DataSource dataSource;
    /** fingerprint → stacks.id; stacks are immutable once stored, so this never goes stale. */
    private final Map<ByteBuffer, Long> knownStacks = new ConcurrentHashMap<>();

    public IngestStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public record OpenedSession(long id, long lastCommittedSeq) {
    }

    public OpenedSession openSession(Hello hello) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return upsertSession(c, hello);
        }
    }

    private static OpenedSession upsertSession(Connection c, Hello hello) throws SQLException {
        String[] labels = new String[hello.labels().size() * 2];
        int i = 0;
        for (Map.Entry<String, String> e : hello.labels().entrySet()) {
            labels[i++] = e.getKey();
            labels[i++] = e.getValue();
        }
        try (PreparedStatement ps = c.prepareStatement("""
                     INSERT INTO sessions (agent_session, host, service, deployment, pid, exe, labels, started_at)
                     VALUES (?, ?, ?, ?, ?, ?, jsonb_object(?::text[]), ?)
                     ON CONFLICT (agent_session) DO UPDATE SET last_seen_at = now()
                     RETURNING id, last_seq""")) {
            ps.setObject(1, hello.sessionId());
            ps.setString(2, hello.host());
            ps.setString(3, hello.service());
            ps.setString(4, hello.deployment());
            ps.setInt(5, hello.pid());
            ps.setString(6, hello.exe());
            ps.setArray(7, c.createArrayOf("text", labels));
            ps.setTimestamp(8, toTimestamp(hello.startedAtMicros()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new OpenedSession(rs.getLong(1), rs.getLong(2));
            }
        }
    }

    /**
     * Stores a whole recording brought in from another tool (heaptrack, pprof) as one ended
     * session, in ONE transaction: the session row, its stacks, allocations and frees. A file
     * that fails anywhere leaves nothing behind. {@code hello.sessionId()} must be fresh, and
     * {@code content} must be final (its endedAtMicros is the session's end); its stack ids are
     * the importer's own, resolved to stored stacks here.
     */
    public long storeImportedSession(Hello hello, Batch content) throws SQLException, WireException {
        if (!content.isFinal()) {
            throw new IllegalArgumentException("an imported session must have an end time");
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                long sessionId = upsertSession(c, hello).id();
                Map<Integer, Long> stackIds = new HashMap<>();
                for (Batch.StackDef stack : content.stacks()) {
                    stackIds.put(stack.stackId(), storeStack(c, stack));
                }
                copyAllocations(c, sessionId, content, stackIds);
                copyFrees(c, sessionId, content);
                try (PreparedStatement ps = c.prepareStatement(
                        "UPDATE sessions SET last_seq = ?, ended_at = ?, last_seen_at = now() WHERE id = ?")) {
                    ps.setLong(1, content.seq());
                    ps.setTimestamp(2, toTimestamp(content.endedAtMicros()));
                    ps.setLong(3, sessionId);
                    ps.executeUpdate();
                }
                c.commit();
                return sessionId;
            } catch (SQLException | WireException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /**
     * Stores a batch and returns the sequence number to acknowledge. {@code stackIds} maps the
     * agent's stack ids on this connection to stored ids and is extended with the batch's
     * definitions, also when the batch itself is a duplicate.
     */
    public long writeBatch(long sessionId, Batch batch, Map<Integer, Long> stackIds) throws SQLException, WireException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                for (Batch.StackDef stack : batch.stacks()) {
                    stackIds.put(stack.stackId(), storeStack(c, stack));
                }
                long lastSeq = lockSession(c, sessionId);
                if (batch.seq() <= lastSeq) {
                    c.commit();
                    return lastSeq;
                }
                if (batch.seq() != lastSeq + 1) {
                    throw new WireException(ErrorCode.PROTOCOL_VIOLATION, "batch " + batch.seq()
                            + " arrived but batch " + (lastSeq + 1) + " is the next this session needs");
                }
                copyAllocations(c, sessionId, batch, stackIds);
                copyFrees(c, sessionId, batch);
                try (PreparedStatement ps = c.prepareStatement("""
                        UPDATE sessions SET last_seq = ?, last_seen_at = now(),
                               ended_at = COALESCE(?, ended_at) WHERE id = ?""")) {
                    ps.setLong(1, batch.seq());
                    ps.setTimestamp(2, batch.isFinal() ? toTimestamp(batch.endedAtMicros()) : null);
                    ps.setLong(3, sessionId);
                    ps.executeUpdate();
                }
                c.commit();
                return batch.seq();
            } catch (SQLException e) {
                c.rollback();
                if (UNIQUE_VIOLATION.equals(e.getSQLState())) {
                    throw new WireException(ErrorCode.PROTOCOL_VIOLATION, "batch " + batch.seq()
                            + " repeats an allocation or free this session already stored");
                }
                throw e;
            } catch (WireException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private long lockSession(Connection c, long sessionId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT last_seq FROM sessions WHERE id = ? FOR UPDATE")) {
            ps.setLong(1, sessionId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("session " + sessionId + " vanished");
                }
                return rs.getLong(1);
            }
        }
    }

    private long storeStack(Connection c, Batch.StackDef stack) throws SQLException {
        byte[] fingerprint = StackFingerprint.of(stack);
        ByteBuffer key = ByteBuffer.wrap(fingerprint);
        Long known = knownStacks.get(key);
        if (known != null) {
            return known;
        }
        long id;
        try (PreparedStatement ins = c.prepareStatement(
                "INSERT INTO stacks (fingerprint, depth) VALUES (?, ?) ON CONFLICT (fingerprint) DO NOTHING RETURNING id")) {
            ins.setBytes(1, fingerprint);
            ins.setInt(2, stack.frames().size());
            try (ResultSet rs = ins.executeQuery()) {
                if (rs.next()) {
                    id = rs.getLong(1);
                    insertFrames(c, id, stack);
                } else {
                    id = existingStack(c, fingerprint);
                }
            }
        }
        // A stack inserted just now is not cached: if this batch rolls back the row is gone.
        // The next sighting finds it committed through existingStack, which caches it.
        return id;
    }

    private long existingStack(Connection c, byte[] fingerprint) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT id FROM stacks WHERE fingerprint = ?")) {
            ps.setBytes(1, fingerprint);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long id = rs.getLong(1);
                knownStacks.put(ByteBuffer.wrap(fingerprint), id);
                return id;
            }
        }
    }

    private void insertFrames(Connection c, long stackId, Batch.StackDef stack) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO stack_frames (stack_id, position, function, module, file, line) VALUES (?, ?, ?, ?, ?, ?)")) {
            int position = 0;
            for (Batch.StackFrame f : stack.frames()) {
                ps.setLong(1, stackId);
                ps.setInt(2, position++);
                ps.setString(3, f.function());
                ps.setString(4, f.module());
                ps.setString(5, f.file());
                ps.setInt(6, f.line());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private void copyAllocations(Connection c, long sessionId, Batch batch, Map<Integer, Long> stackIds)
            throws SQLException, WireException {
        if (batch.allocs().isEmpty()) {
            return;
        }
        PgCopyBinary rows = new PgCopyBinary(6, batch.allocs().size());
        for (Batch.Alloc a : batch.allocs()) {
            Long stackId = stackIds.get(a.stackId());
            if (stackId == null) {
                throw new WireException(ErrorCode.PROTOCOL_VIOLATION, "allocation " + a.allocId()
                        + " references stack " + a.stackId() + ", which was not defined on this connection");
            }
            rows.row().int8(sessionId).int8(a.allocId()).int8(stackId).int8(a.size()).int8(a.atMicros()).float8(a.weight());
        }
        copy(c, "COPY allocations (session_id, alloc_id, stack_id, size, allocated_us, weight) FROM STDIN (FORMAT binary)", rows);
    }

    private void copyFrees(Connection c, long sessionId, Batch batch) throws SQLException {
        if (batch.frees().isEmpty()) {
            return;
        }
        PgCopyBinary rows = new PgCopyBinary(3, batch.frees().size());
        for (Batch.Free f : batch.frees()) {
            rows.row().int8(sessionId).int8(f.allocId()).int8(f.atMicros());
        }
        copy(c, "COPY frees (session_id, alloc_id, freed_us) FROM STDIN (FORMAT binary)", rows);
    }

    private static void copy(Connection c, String sql, PgCopyBinary rows) throws SQLException {
        CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
        try {
            copy.copyIn(sql, new ByteArrayInputStream(rows.finish()));
        } catch (java.io.IOException e) {
            throw new SQLException("COPY failed: " + e.getMessage(), e);
        }
    }

    private static Timestamp toTimestamp(long micros) {
        return Timestamp.from(Instant.EPOCH.plus(micros, ChronoUnit.MICROS));
    }
}
