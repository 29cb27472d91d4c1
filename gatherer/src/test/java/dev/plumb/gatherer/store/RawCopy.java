package dev.plumb.gatherer.store;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import org.postgresql.PGConnection;

/**
 * The ingest benchmark's baseline: allocation and free rows COPYed straight into the same
 * tables, with nothing else (no protocol, no sessions, no rollup). Lives in the store package
 * for {@link PgCopyBinary}.
 */
public final class RawCopy {
    private RawCopy() {
    }

    /** COPYs {@code rows} allocations and as many frees of session {@code sessionId}; returns the rows written. */
    public static long copy(Connection c, int day, long sessionId, int rows, int chunk) throws SQLException, IOException {
        long written = 0;
        for (int from = 0; from < rows; from += chunk) {
            int n = Math.min(chunk, rows - from);
            PgCopyBinary allocs = new PgCopyBinary(7, n);
            PgCopyBinary frees = new PgCopyBinary(4, n);
            for (int i = from; i < from + n; i++) {
                long t = 1_700_000_000_000_000L + i * 100L;
                allocs.row().int4(day).int8(sessionId).int8(i + 1L).int8(1 + i % 50).int8(16 + i % 4096).int8(t).float8(1);
                frees.row().int4(day).int8(sessionId).int8(i + 1L).int8(t + 50);
            }
            PGConnection pg = c.unwrap(PGConnection.class);
            written += pg.getCopyAPI().copyIn("COPY allocations (day, session_id, alloc_id, stack_id, size, allocated_us,"
                    + " weight) FROM STDIN (FORMAT binary)", new ByteArrayInputStream(allocs.finish()));
            written += pg.getCopyAPI().copyIn("COPY frees (day, session_id, alloc_id, freed_us) FROM STDIN (FORMAT binary)",
                    new ByteArrayInputStream(frees.finish()));
            c.commit();
        }
        return written;
    }
}
