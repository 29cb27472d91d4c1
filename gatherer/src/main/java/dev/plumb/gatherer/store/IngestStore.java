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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;
import org.springframework.stereotype.Component;

/**
 * The gatherer's only writer. Batches of many agents are written together in one transaction
 * (group commit: one COPY per table, one rollup upsert, one session update), each with its
 * session's new last_seq, so a batch is either wholly stored and acknowledged or not at all,
 * and a retried batch (seq <= last_seq) is recognised and skipped.
 */
@Component
public class IngestStore {
    public static final String UNIQUE_VIOLATION = "23505";

    private final DataSource dataSource;
    private final Partitions partitions;
    /** fingerprint → stacks.id; stacks are immutable once stored, so this never goes stale. */
    private final Map<ByteBuffer, Long> knownStacks = new ConcurrentHashMap<>();

    public IngestStore(DataSource dataSource, Partitions partitions) {
        this.dataSource = dataSource;
        this.partitions = partitions;
    }

    public record OpenedSession(long id, long lastCommittedSeq, int day) {
    }

    /** What became of one batch of a group. */
    public sealed interface Outcome {
        /** Stored now or before: acknowledge {@code seq}. */
        record Stored(long seq) implements Outcome {
        }

        /** Refused; nothing of it was stored. */
        record Refused(WireException reason) implements Outcome {
        }
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
                     RETURNING id, last_seq, day""")) {
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
                return new OpenedSession(rs.getLong(1), rs.getLong(2), rs.getInt(3));
            }
        }
    }

    /**
     * Stores a whole recording brought in from another tool (heaptrack, pprof) as one ended
     * session, in ONE transaction: the session row, its stacks, allocations, frees and rollup.
     * A file that fails anywhere leaves nothing behind. {@code hello.sessionId()} must be fresh,
     * and {@code content} must be final (its endedAtMicros is the session's end); its stack ids
     * are the importer's own, resolved to stored stacks here.
     */
    public long storeImportedSession(Hello hello, Batch content) throws SQLException, WireException {
        if (!content.isFinal()) {
            throw new IllegalArgumentException("an imported session must have an end time");
        }
        partitions.ensure(partitions.today());
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                OpenedSession session = upsertSession(c, hello);
                partitions.ensure(session.day());
                Map<Integer, Long> stackIds = new HashMap<>();
                for (Batch.StackDef stack : content.stacks()) {
                    stackIds.put(stack.stackId(), storeStack(c, stack, ByteBuffer.wrap(StackFingerprint.of(stack))));
                }
                checkReferences(content, stackIds);
                List<PendingBatch> one = List.of(new PendingBatch(session.id(), session.day(), content, stackIds));
                writeRows(c, one);
                updateSessions(c, one);
                c.commit();
                return session.id();
            } catch (SQLException | WireException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /**
     * Stores the batch's stack definitions and checks that everything it refers to is defined
     * on this connection. Stacks are committed at once, outside the batch's transaction: they
     * are immutable and shared by fingerprint, so one stored for a batch that later fails is
     * simply there for the retry. {@code connectionStacks} maps the agent's stack ids on this
     * connection to stored ids and is extended with the batch's definitions.
     */
    public PendingBatch prepare(OpenedSession session, Batch batch, Map<Integer, Long> connectionStacks)
            throws SQLException, WireException {
        if (!batch.stacks().isEmpty()) {
            // in fingerprint order, so two agents defining the same new stacks never deadlock
            // (a list, not a map: two agent ids may name stacks with the same frames)
            List<Map.Entry<ByteBuffer, Batch.StackDef>> ordered = new ArrayList<>();
            for (Batch.StackDef stack : batch.stacks()) {
                ordered.add(Map.entry(ByteBuffer.wrap(StackFingerprint.of(stack)), stack));
            }
            ordered.sort(Map.Entry.comparingByKey());
            Map<ByteBuffer, Long> stored = new HashMap<>();
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(false);
                try {
                    for (Map.Entry<ByteBuffer, Batch.StackDef> e : ordered) {
                        long id = storeStack(c, e.getValue(), e.getKey());
                        connectionStacks.put(e.getValue().stackId(), id);
                        stored.put(e.getKey(), id);
                    }
                    c.commit();
                } catch (SQLException | RuntimeException e) {
                    c.rollback();
                    throw e;
                }
            }
            knownStacks.putAll(stored);
        }
        Map<Integer, Long> used = checkReferences(batch, connectionStacks);
        partitions.ensure(session.day());
        return new PendingBatch(session.id(), session.day(), batch, used);
    }

    private static Map<Integer, Long> checkReferences(Batch batch, Map<Integer, Long> defined) throws WireException {
        Map<Integer, Long> used = new HashMap<>();
        for (Batch.Alloc a : batch.allocs()) {
            if (!used.containsKey(a.stackId())) {
                used.put(a.stackId(), resolve(defined, a.stackId(), "allocation " + a.allocId()));
            }
        }
        for (Batch.Free f : batch.frees()) {
            if (!used.containsKey(f.stackId())) {
                used.put(f.stackId(), resolve(defined, f.stackId(), "the free of allocation " + f.allocId()));
            }
        }
        return used;
    }

    private static long resolve(Map<Integer, Long> defined, int stackId, String what) throws WireException {
        Long id = defined.get(stackId);
        if (id == null) {
            throw new WireException(ErrorCode.PROTOCOL_VIOLATION, what + " references stack " + stackId
                    + ", which was not defined on this connection");
        }
        return id;
    }

    /**
     * Writes a group of prepared batches in one transaction and says, per batch in order, what
     * to acknowledge. A batch that repeats one already stored is acknowledged without writing;
     * one that skips a sequence number is refused alone. Any SQLException rolls the whole group
     * back; the caller retries the batches one by one to find out which one was at fault.
     */
    public List<Outcome> writeGroup(List<PendingBatch> group) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                Map<Long, Long> lastSeq = lockSessions(c, group);
                List<Outcome> outcomes = new ArrayList<>(group.size());
                List<PendingBatch> accepted = new ArrayList<>(group.size());
                for (PendingBatch p : group) {
                    Long last = lastSeq.get(p.sessionId());
                    long seq = p.batch().seq();
                    if (last == null) {
                        outcomes.add(new Outcome.Refused(new WireException(ErrorCode.PROTOCOL_VIOLATION,
                                "session " + p.sessionId() + " no longer exists (expired by retention?)")));
                    } else if (seq <= last) {
                        outcomes.add(new Outcome.Stored(last));
                    } else if (seq != last + 1) {
                        outcomes.add(new Outcome.Refused(new WireException(ErrorCode.PROTOCOL_VIOLATION, "batch " + seq
                                + " arrived but batch " + (last + 1) + " is the next this session needs")));
                    } else {
                        lastSeq.put(p.sessionId(), seq);
                        accepted.add(p);
                        outcomes.add(new Outcome.Stored(seq));
                    }
                }
                writeRows(c, accepted);
                updateSessions(c, accepted);
                c.commit();
                return outcomes;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /** Locks the group's sessions in id order, so concurrent groups never deadlock on them. */
    private static Map<Long, Long> lockSessions(Connection c, List<PendingBatch> group) throws SQLException {
        TreeSet<Long> ids = new TreeSet<>();
        group.forEach(p -> ids.add(p.sessionId()));
        Map<Long, Long> lastSeq = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT id, last_seq FROM sessions WHERE id = ANY(?) ORDER BY id FOR UPDATE")) {
            ps.setArray(1, c.createArrayOf("bigint", ids.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    lastSeq.put(rs.getLong(1), rs.getLong(2));
                }
            }
        }
        return lastSeq;
    }

    private static void writeRows(Connection c, List<PendingBatch> batches) throws SQLException {
        copyAllocations(c, batches);
        copyFrees(c, batches);
        UsageRollup rollup = new UsageRollup();
        batches.forEach(rollup::add);
        rollup.upsert(c);
    }

    private static void updateSessions(Connection c, List<PendingBatch> batches) throws SQLException {
        if (batches.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("""
                UPDATE sessions SET last_seq = ?, last_seen_at = now(), ended_at = COALESCE(?, ended_at)
                 WHERE id = ?""")) {
            for (PendingBatch p : batches) {
                ps.setLong(1, p.batch().seq());
                ps.setTimestamp(2, p.batch().isFinal() ? toTimestamp(p.batch().endedAtMicros()) : null);
                ps.setLong(3, p.sessionId());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** Not cached here: inside a transaction that may still roll back, the row may vanish. */
    private long storeStack(Connection c, Batch.StackDef stack, ByteBuffer key) throws SQLException {
        byte[] fingerprint = key.array();
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

    private static void insertFrames(Connection c, long stackId, Batch.StackDef stack) throws SQLException {
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

    private static void copyAllocations(Connection c, List<PendingBatch> batches) throws SQLException {
        int rows = batches.stream().mapToInt(p -> p.batch().allocs().size()).sum();
        if (rows == 0) {
            return;
        }
        PgCopyBinary copy = new PgCopyBinary(7, rows);
        for (PendingBatch p : batches) {
            for (Batch.Alloc a : p.batch().allocs()) {
                copy.row().int4(p.day()).int8(p.sessionId()).int8(a.allocId()).int8(p.stackId(a.stackId()))
                        .int8(a.size()).int8(a.atMicros()).float8(a.weight());
            }
        }
        copy(c, "COPY allocations (day, session_id, alloc_id, stack_id, size, allocated_us, weight)"
                + " FROM STDIN (FORMAT binary)", copy);
    }

    private static void copyFrees(Connection c, List<PendingBatch> batches) throws SQLException {
        int rows = batches.stream().mapToInt(p -> p.batch().frees().size()).sum();
        if (rows == 0) {
            return;
        }
        PgCopyBinary copy = new PgCopyBinary(4, rows);
        for (PendingBatch p : batches) {
            for (Batch.Free f : p.batch().frees()) {
                copy.row().int4(p.day()).int8(p.sessionId()).int8(f.allocId()).int8(f.atMicros());
            }
        }
        copy(c, "COPY frees (day, session_id, alloc_id, freed_us) FROM STDIN (FORMAT binary)", copy);
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
