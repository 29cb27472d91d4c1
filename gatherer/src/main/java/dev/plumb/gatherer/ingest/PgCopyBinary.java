package dev.plumb.gatherer.ingest;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Builds a PostgreSQL {@code COPY ... FROM STDIN (FORMAT binary)} stream of bigint columns.
 * pgjdbc's CopyManager moves bytes but has no row encoder, and every column we copy is an
 * int8, so the format (signature, flags, per row: field count, then length + value) is
 * written here directly instead of through text COPY, which would parse every number.
 */
final class PgCopyBinary {
    private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0};

    private final ByteArrayOutputStream bytes;
    private final DataOutputStream out;
    private final int columns;

    PgCopyBinary(int columns, int expectedRows) {
        this.columns = columns;
        this.bytes = new ByteArrayOutputStream(19 + expectedRows * (2 + columns * 12) + 2);
        this.out = new DataOutputStream(bytes);
        try {
            out.write(SIGNATURE);
            out.writeInt(0);
            out.writeInt(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void row(long... values) {
        if (values.length != columns) {
            throw new IllegalArgumentException("expected " + columns + " values, got " + values.length);
        }
        try {
            out.writeShort(columns);
            for (long v : values) {
                out.writeInt(8);
                out.writeLong(v);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    byte[] finish() {
        try {
            out.writeShort(-1);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
