package dev.plumb.gatherer.store;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Builds a PostgreSQL {@code COPY ... FROM STDIN (FORMAT binary)} stream of int4, int8 and float8
 * columns. pgjdbc's CopyManager moves bytes but has no row encoder, and all our copied columns
 * are fixed-size numbers, so the format (signature, flags, per row: field count, then length +
 * value) is written here directly instead of through text COPY, which would parse every number.
 */
final class PgCopyBinary {
    private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0};

    private final ByteArrayOutputStream bytes;
    private final DataOutputStream out;
    private final int columns;
    private int fieldsInRow;

    PgCopyBinary(int columns, int expectedRows) {
        this.columns = columns;
        this.bytes = new ByteArrayOutputStream(19 + expectedRows * (2 + columns * 12) + 2);
        this.out = new DataOutputStream(bytes);
        fieldsInRow = columns;
        try {
            out.write(SIGNATURE);
            out.writeInt(0);
            out.writeInt(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    PgCopyBinary row() {
        checkRowComplete();
        fieldsInRow = 0;
        try {
            out.writeShort(columns);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    PgCopyBinary int8(long value) {
        field();
        try {
            out.writeInt(8);
            out.writeLong(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    PgCopyBinary int4(int value) {
        field();
        try {
            out.writeInt(4);
            out.writeInt(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    PgCopyBinary float8(double value) {
        return int8(Double.doubleToLongBits(value));
    }

    byte[] finish() {
        checkRowComplete();
        try {
            out.writeShort(-1);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private void field() {
        if (++fieldsInRow > columns) {
            throw new IllegalStateException("row has more than " + columns + " fields");
        }
    }

    private void checkRowComplete() {
        if (fieldsInRow != columns) {
            throw new IllegalStateException("row has " + fieldsInRow + " of " + columns + " fields");
        }
    }
}
