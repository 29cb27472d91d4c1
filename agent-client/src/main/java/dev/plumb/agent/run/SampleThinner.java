package dev.plumb.agent.run;

import java.nio.ByteBuffer;

/**
 * Follows the record boundaries of a capture stream as it arrives in arbitrary chunks, so
 * that the pump can leave out whole SAMPLE records when its spool is full — and only those.
 *
 * <p>Why only samples, and only in sampled mode: a dropped SAMPLE's later FREE finds no live
 * allocation in the agent and is ignored (as a free of memory allocated before capture
 * started is), so the profile stays consistent — fewer samples, no false leak. Dropping a
 * FREE, an ALLOC (full mode: its FREE would then free nothing, and the unbiasing weight of
 * full mode is 1, so nothing stands in for it) or a STACK/MODULE record would corrupt it.
 *
 * <p>Until the OPTIONS record says which mode the stream is in, records are framed; a full-
 * mode stream is then passed through untouched ({@link #framing()} turns false) and the pump
 * waits at its limit instead. Record layouts: agent-client/native/README.md. A tag this class
 * does not know ends framing for good and passes everything on unchanged: the decoder, which
 * reads the same bytes, reports the damage with its offset.
 */
final class SampleThinner {
    /** The start of a record held back, not yet handed on, while dropping (so it can be left out whole). */
    private byte[] carry = new byte[64];
    private int carried;
    /** The start of a record already handed on whose length is not known yet (its head was cut off). */
    private byte[] head = new byte[64];
    private int headLen;
    /** Bytes still to hand on of a record whose start was handed on already. */
    private long passLeft;
    private boolean framing = true;
    private boolean sampled;
    private long dropped;

    /** Whether records are still being framed (false once the stream is known to be full mode, or damaged). */
    boolean framing() {
        return framing;
    }

    /** Whether the stream's OPTIONS record said sampled mode. */
    boolean sampled() {
        return sampled;
    }

    /** SAMPLE records left out so far. */
    long dropped() {
        return dropped;
    }

    /**
     * Copies the records of {@code in} (plus whatever was carried over from the previous chunk)
     * to {@code out}, leaving out SAMPLE records when {@code dropSamples}. While dropping, a
     * trailing partial record is kept for the next call; otherwise every byte goes out at once
     * and only the record boundaries are followed, a few comparisons per record — this runs on
     * the pump thread, which the capture library waits for. {@code out} must have room for
     * {@code in.remaining()} plus the carried bytes.
     */
    void process(ByteBuffer in, ByteBuffer out, boolean dropSamples) {
        if (!framing) {
            flushCarry(out);
            out.put(in);
            return;
        }
        finishHandedOn(in, out);
        while (in.hasRemaining() && framing) {
            if (carried > 0) {
                // finish the record that began in an earlier chunk; byte by byte until its length is known
                int length = recordLength(ByteBuffer.wrap(carry, 0, carried), 0, carried);
                if (length == UNKNOWN) {
                    stopFraming(out, in);
                    return;
                }
                if (length == NEED_MORE) {
                    append(in, 1);
                    continue;
                }
                append(in, Math.min(in.remaining(), length - carried));
                if (carried < length) {
                    return; // the rest comes with the next chunk
                }
                emit(ByteBuffer.wrap(carry, 0, length), 0, length, out, dropSamples);
                carried = 0;
                continue;
            }
            if (!dropSamples) {
                follow(in, out);
                return;
            }
            int start = in.position();
            int length = recordLength(in, start, in.remaining());
            if (length == UNKNOWN) {
                stopFraming(out, in);
                return;
            }
            if (length == NEED_MORE || length > in.remaining()) {
                // all of it belongs to this record: a record is at least as long as the bytes that give its length
                append(in, in.remaining());
                return;
            }
            in.position(start + length);
            emit(in, start, length, out, dropSamples);
        }
        if (in.hasRemaining()) {
            out.put(in); // framing stopped (full mode): the rest as it is
        }
    }

    /** Hands on the rest of a record whose start went out with an earlier chunk: it cannot be left out now. */
    private void finishHandedOn(ByteBuffer in, ByteBuffer out) {
        while (in.hasRemaining() && (passLeft > 0 || headLen > 0)) {
            if (passLeft > 0) {
                int n = (int) Math.min(passLeft, in.remaining());
                ByteBuffer part = in.slice(in.position(), n);
                out.put(part);
                in.position(in.position() + n);
                passLeft -= n;
                continue;
            }
            byte b = in.get();
            out.put(b);
            if (headLen == head.length) {
                head = java.util.Arrays.copyOf(head, head.length * 2);
            }
            head[headLen++] = b;
            int length = recordLength(ByteBuffer.wrap(head, 0, headLen), 0, headLen);
            if (length == UNKNOWN) {
                framing = false;
                headLen = 0;
                return;
            }
            if (length != NEED_MORE) {
                noteOptions(ByteBuffer.wrap(head, 0, headLen), 0);
                passLeft = length - headLen;
                headLen = 0;
            }
        }
    }

    /** Not dropping: all of {@code in} goes out unchanged; the boundaries are followed for later. */
    private void follow(ByteBuffer in, ByteBuffer out) {
        int p = in.position();
        int limit = in.limit();
        while (p < limit && framing) {
            int available = limit - p;
            int length = recordLength(in, p, available);
            if (length == UNKNOWN) {
                framing = false; // the decoder, reading the same bytes, reports the damage
                break;
            }
            if (length == NEED_MORE) {
                if (available > head.length) {
                    head = new byte[Math.max(head.length * 2, available)];
                }
                in.get(p, head, 0, available);
                headLen = available;
                break;
            }
            noteOptions(in, p);
            if (length > available) {
                passLeft = length - available;
                break;
            }
            p += length;
        }
        out.put(in);
    }

    /** The OPTIONS record says which mode the stream is in; a full-mode stream is never thinned. */
    private void noteOptions(ByteBuffer b, int at) {
        if ((b.get(at) & 0xff) == 'O') {
            sampled = b.get(at + 1) == 1;
            if (!sampled) {
                framing = false; // full mode: never thinned, the pump waits instead
            }
        }
    }

    /** Bytes held back because their record is not complete yet. */
    int carried() {
        return carried;
    }

    /** Copies (or, a sample while dropping, leaves out) the record at {@code start} in {@code from}. */
    private void emit(ByteBuffer from, int start, int length, ByteBuffer out, boolean dropSamples) {
        noteOptions(from, start);
        if ((from.get(start) & 0xff) == 'P' && dropSamples) {
            dropped++;
            return;
        }
        out.put(out.position(), from, start, length);
        out.position(out.position() + length);
    }

    private void append(ByteBuffer in, int n) {
        if (carried + n > carry.length) {
            carry = java.util.Arrays.copyOf(carry, Math.max(carry.length * 2, carried + n));
        }
        in.get(carry, carried, n);
        carried += n;
    }

    /** Hands out what is held back (a record the stream ended inside of). */
    void flushCarry(ByteBuffer out) {
        if (carried > 0) {
            out.put(carry, 0, carried);
            carried = 0;
        }
    }

    private void stopFraming(ByteBuffer out, ByteBuffer in) {
        framing = false;
        flushCarry(out);
        out.put(in);
    }

    private static final int NEED_MORE = -1;
    private static final int UNKNOWN = -2;

    /**
     * Length of the record starting at {@code at} in {@code b} (little-endian) with {@code available}
     * bytes readable, NEED_MORE if its length is not known yet, UNKNOWN for a tag not in the format.
     */
    static int recordLength(ByteBuffer b, int at, int available) {
        // absolute reads, little-endian by hand: no view or duplicate per record
        if (available < 1) {
            return NEED_MORE;
        }
        switch (b.get(at) & 0xff) {
            case 'H': // tag, u32 pid, u64 started, u16 exeLen, exe
                return available < 15 ? NEED_MORE : 15 + u16(b, at + 13);
            case 'O': // its second byte (the mode) is read when the record is framed
                return available < 2 ? NEED_MORE : 1 + 1 + 8 + 2 + 4;
            case 'M': { // tag, u64 bias, u64 start, u64 end, u16 pathLen, path, u8 buildIdLen, build-id
                if (available < 27) {
                    return NEED_MORE;
                }
                int pathLen = u16(b, at + 25);
                if (available < 28 + pathLen) {
                    return NEED_MORE;
                }
                return 28 + pathLen + (b.get(at + 27 + pathLen) & 0xff);
            }
            case 'S': // tag, u32 id, u16 depth, u64 addresses[depth]
                return available < 7 ? NEED_MORE : 7 + 8 * u16(b, at + 5);
            case 'A':
                return 1 + 8 + 8 + 8 + 4 + 4;
            case 'P':
                return 1 + 8 + 8 + 8 + 4 + 4 + 8;
            case 'F':
                return 1 + 8 + 8;
            case 'T':
                return 1 + 8 + 1;
            case 'K': // tag, u64 t, u16 n, u64 values[n]
                return available < 11 ? NEED_MORE : 11 + 8 * u16(b, at + 9);
            case 'E':
                return 1 + 8;
            default:
                return UNKNOWN;
        }
    }

    private static int u16(ByteBuffer b, int at) {
        return (b.get(at) & 0xff) | (b.get(at + 1) & 0xff) << 8;
    }
}
