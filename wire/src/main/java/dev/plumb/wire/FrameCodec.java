package dev.plumb.wire;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The one definition of the frame layout (big-endian):
 *
 * <pre>
 * frame   = u32 length, u8 type, payload            (length counts type + payload)
 * string  = u16 byteLength, UTF-8 bytes
 * HELLO   = "PLMB", u16 version, string token, u64 uuidHigh, u64 uuidLow, string host,
 *           string service, string deployment, i32 pid, string exe, i64 startedAtMicros,
 *           u16 labelCount, (string key, string value)*
 * WELCOME = u16 version, i64 lastCommittedSeq
 * BATCH   = i64 seq, i64 endedAtMicros, u32 stackCount, stack*, u32 allocCount, alloc*,
 *           u32 freeCount, free*
 *   stack = i32 stackId, u16 frameCount, (string function, string module, string file, i32 line)*
 *   alloc = i64 allocId, i32 stackId, i64 size, i64 atMicros, f64 weight (>= 1)
 *   free  = i64 allocId, i64 atMicros, i32 stackId, i64 size, i64 allocatedAtMicros, f64 weight
 * ACK     = i64 seq
 * ERROR   = u16 code, string message
 * </pre>
 *
 * HELLO's layout never changes between versions: it carries the highest version the agent
 * speaks, and WELCOME answers with the version both will use ({@link #negotiate}).
 *
 * Hand-written rather than protobuf: the layout is small, fixed and hot, and every field
 * needs a range check with a message that names it, which a generated parser does not give.
 */
public final class FrameCodec {
    /** The newest version this build speaks. */
    public static final int PROTOCOL_VERSION = 2;
    /** Version 1 frees did not carry their allocation's stack, size and time. */
    public static final int OLDEST_SUPPORTED_VERSION = 2;
    public static final int MAX_FRAME_BYTES = 16 * 1024 * 1024;
    public static final int MAX_STACK_DEPTH = 1024;
    static final byte[] MAGIC = {'P', 'L', 'M', 'B'};

    private static final int ALLOC_BYTES = 8 + 4 + 8 + 8 + 8;
    private static final int FREE_BYTES = 8 + 8 + 4 + 8 + 8 + 8;
    private static final int MIN_STACK_BYTES = 4 + 2;
    private static final int MIN_FRAME_BYTES = 2 * 4 + 4;

    private FrameCodec() {
    }

    /** The whole frame, length prefix included, ready to write to a socket. */
    public static byte[] encode(Frame frame) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(0);
            out.writeByte(frame.type().code());
            // Java 17 baseline: no pattern switch yet, so an instanceof chain over the sealed type.
            if (frame instanceof Hello h) {
                writeHello(out, h);
            } else if (frame instanceof Welcome w) {
                out.writeShort(w.protocolVersion());
                out.writeLong(w.lastCommittedSeq());
            } else if (frame instanceof Batch b) {
                writeBatch(out, b);
            } else if (frame instanceof Ack a) {
                out.writeLong(a.seq());
            } else if (frame instanceof ErrorFrame e) {
                out.writeShort(e.code().code());
                writeString(out, truncate(e.message(), 4000));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] encoded = bytes.toByteArray();
        int length = encoded.length - 4;
        if (length > MAX_FRAME_BYTES) {
            throw new IllegalArgumentException("frame of " + length + " bytes exceeds the limit of "
                    + MAX_FRAME_BYTES + "; send smaller batches");
        }
        ByteBuffer.wrap(encoded).putInt(0, length);
        return encoded;
    }

    /** Checks a length prefix before any of the frame is buffered. */
    public static int checkLength(long length) throws WireException {
        if (length < 1) {
            throw new WireException(ErrorCode.MALFORMED_FRAME, "frame length " + length + " is too small");
        }
        if (length > MAX_FRAME_BYTES) {
            throw new WireException(ErrorCode.FRAME_TOO_LARGE,
                    "frame length " + length + " exceeds the limit of " + MAX_FRAME_BYTES + " bytes");
        }
        return (int) length;
    }

    /**
     * Decodes a frame body (type byte and payload, without the length prefix). Every byte must
     * be accounted for: trailing garbage is an error like a short read.
     */
    public static Frame decode(ByteBuffer body) throws WireException {
        checkLength(body.remaining());
        int typeCode = body.get() & 0xff;
        FrameType type = FrameType.of(typeCode).orElseThrow(() ->
                new WireException(ErrorCode.MALFORMED_FRAME, "unknown frame type " + typeCode));
        Frame frame;
        try {
            frame = switch (type) {
                case HELLO -> readHello(body);
                case WELCOME -> new Welcome(body.getShort() & 0xffff, body.getLong());
                case BATCH -> readBatch(body);
                case ACK -> new Ack(body.getLong());
                case ERROR -> new ErrorFrame(ErrorCode.of(body.getShort() & 0xffff), readString(body, "message"));
            };
        } catch (BufferUnderflowException e) {
            throw new WireException(ErrorCode.MALFORMED_FRAME, type + " frame is truncated");
        }
        if (body.hasRemaining()) {
            throw new WireException(ErrorCode.MALFORMED_FRAME,
                    type + " frame has " + body.remaining() + " unexpected trailing bytes");
        }
        return frame;
    }

    /**
     * The version a gatherer uses with an agent that speaks up to {@code agentVersion}: the
     * newest both know. An agent older than {@link #OLDEST_SUPPORTED_VERSION} is refused with
     * a message that says which side to upgrade.
     */
    public static int negotiate(int agentVersion) throws WireException {
        if (agentVersion < OLDEST_SUPPORTED_VERSION) {
            throw new WireException(ErrorCode.UNSUPPORTED_VERSION, "the agent speaks protocol version "
                    + agentVersion + ", but this gatherer needs version " + OLDEST_SUPPORTED_VERSION
                    + (OLDEST_SUPPORTED_VERSION == PROTOCOL_VERSION ? "" : " to " + PROTOCOL_VERSION)
                    + "; upgrade the agent");
        }
        return Math.min(agentVersion, PROTOCOL_VERSION);
    }

    private static void writeHello(DataOutputStream out, Hello h) throws IOException {
        out.write(MAGIC);
        out.writeShort(h.protocolVersion());
        writeString(out, h.token());
        out.writeLong(h.sessionId().getMostSignificantBits());
        out.writeLong(h.sessionId().getLeastSignificantBits());
        writeString(out, h.host());
        writeString(out, h.service());
        writeString(out, h.deployment());
        out.writeInt(h.pid());
        writeString(out, h.exe());
        out.writeLong(h.startedAtMicros());
        out.writeShort(h.labels().size());
        for (Map.Entry<String, String> label : h.labels().entrySet()) {
            writeString(out, label.getKey());
            writeString(out, label.getValue());
        }
    }

    private static Hello readHello(ByteBuffer in) throws WireException {
        byte[] magic = new byte[MAGIC.length];
        in.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new WireException(ErrorCode.MALFORMED_FRAME, "HELLO does not start with the Plumb magic bytes;"
                    + " is this a Plumb agent?");
        }
        int version = in.getShort() & 0xffff;
        String token = readString(in, "token");
        UUID session = new UUID(in.getLong(), in.getLong());
        String host = readString(in, "host");
        String service = readString(in, "service");
        String deployment = readString(in, "deployment");
        int pid = in.getInt();
        String exe = readString(in, "exe");
        long startedAt = in.getLong();
        int labelCount = in.getShort() & 0xffff;
        Map<String, String> labels = new LinkedHashMap<>();
        for (int i = 0; i < labelCount; i++) {
            labels.put(readString(in, "label key"), readString(in, "label value"));
        }
        if (pid < 0) {
            throw new WireException(ErrorCode.MALFORMED_FRAME, "HELLO pid " + pid + " is negative");
        }
        return new Hello(version, token, session, host, service, deployment, pid, exe, startedAt, labels);
    }

    private static void writeBatch(DataOutputStream out, Batch b) throws IOException {
        out.writeLong(b.seq());
        out.writeLong(b.endedAtMicros());
        out.writeInt(b.stacks().size());
        for (Batch.StackDef stack : b.stacks()) {
            out.writeInt(stack.stackId());
            out.writeShort(stack.frames().size());
            for (Batch.StackFrame f : stack.frames()) {
                writeString(out, truncate(f.function(), 2000));
                writeString(out, truncate(f.module(), 2000));
                writeString(out, truncate(f.file(), 2000));
                out.writeInt(f.line());
            }
        }
        out.writeInt(b.allocs().size());
        for (Batch.Alloc a : b.allocs()) {
            out.writeLong(a.allocId());
            out.writeInt(a.stackId());
            out.writeLong(a.size());
            out.writeLong(a.atMicros());
            out.writeDouble(a.weight());
        }
        out.writeInt(b.frees().size());
        for (Batch.Free f : b.frees()) {
            out.writeLong(f.allocId());
            out.writeLong(f.atMicros());
            out.writeInt(f.stackId());
            out.writeLong(f.size());
            out.writeLong(f.allocatedAtMicros());
            out.writeDouble(f.weight());
        }
    }

    private static Batch readBatch(ByteBuffer in) throws WireException {
        long seq = in.getLong();
        if (seq < 1) {
            throw new WireException(ErrorCode.MALFORMED_FRAME, "BATCH sequence number " + seq + " must be positive");
        }
        long endedAt = in.getLong();
        if (endedAt < 0) {
            throw new WireException(ErrorCode.MALFORMED_FRAME, "BATCH " + seq + " has a negative end time");
        }
        int stackCount = readCount(in, MIN_STACK_BYTES, "stack");
        List<Batch.StackDef> stacks = new ArrayList<>(stackCount);
        for (int i = 0; i < stackCount; i++) {
            int stackId = in.getInt();
            if (stackId < 0) {
                throw new WireException(ErrorCode.MALFORMED_FRAME, "BATCH " + seq + " defines negative stack id " + stackId);
            }
            int depth = in.getShort() & 0xffff;
            if (depth == 0 || depth > MAX_STACK_DEPTH) {
                throw new WireException(ErrorCode.MALFORMED_FRAME, "stack " + stackId + " has depth " + depth
                        + "; it must be between 1 and " + MAX_STACK_DEPTH);
            }
            if ((long) depth * MIN_FRAME_BYTES > in.remaining()) {
                throw new WireException(ErrorCode.MALFORMED_FRAME, "stack " + stackId + " claims " + depth
                        + " frames but the frame is too short for them");
            }
            List<Batch.StackFrame> frames = new ArrayList<>(depth);
            for (int d = 0; d < depth; d++) {
                String function = readString(in, "function");
                String module = readString(in, "module");
                String file = readString(in, "file");
                int line = in.getInt();
                if (line < 0) {
                    throw new WireException(ErrorCode.MALFORMED_FRAME, "stack " + stackId + " has negative line " + line);
                }
                frames.add(new Batch.StackFrame(function, module, file, line));
            }
            stacks.add(new Batch.StackDef(stackId, frames));
        }
        int allocCount = readCount(in, ALLOC_BYTES, "allocation");
        List<Batch.Alloc> allocs = new ArrayList<>(allocCount);
        for (int i = 0; i < allocCount; i++) {
            Batch.Alloc a = new Batch.Alloc(in.getLong(), in.getInt(), in.getLong(), in.getLong(), in.getDouble());
            if (a.size() < 0 || a.allocId() < 0 || a.stackId() < 0) {
                throw new WireException(ErrorCode.MALFORMED_FRAME, "allocation " + a.allocId()
                        + " has a negative id, stack id or size");
            }
            if (!(a.weight() >= 1.0) || Double.isInfinite(a.weight())) {
                throw new WireException(ErrorCode.MALFORMED_FRAME, "allocation " + a.allocId() + " has weight "
                        + a.weight() + "; a sample stands for at least one allocation (weight >= 1, finite)");
            }
            allocs.add(a);
        }
        int freeCount = readCount(in, FREE_BYTES, "free");
        List<Batch.Free> frees = new ArrayList<>(freeCount);
        for (int i = 0; i < freeCount; i++) {
            Batch.Free f = new Batch.Free(in.getLong(), in.getLong(), in.getInt(), in.getLong(), in.getLong(),
                    in.getDouble());
            if (f.allocId() < 0 || f.stackId() < 0 || f.size() < 0) {
                throw new WireException(ErrorCode.MALFORMED_FRAME, "free of allocation " + f.allocId()
                        + " has a negative id, stack id or size");
            }
            if (!(f.weight() >= 1.0) || Double.isInfinite(f.weight())) {
                throw new WireException(ErrorCode.MALFORMED_FRAME, "free of allocation " + f.allocId()
                        + " has weight " + f.weight() + "; it must be the allocation's (>= 1, finite)");
            }
            if (f.allocatedAtMicros() > f.atMicros()) {
                throw new WireException(ErrorCode.MALFORMED_FRAME, "free of allocation " + f.allocId()
                        + " at " + f.atMicros() + " us precedes the allocation at " + f.allocatedAtMicros() + " us");
            }
            frees.add(f);
        }
        return new Batch(seq, stacks, allocs, frees, endedAt);
    }

    /** A count is believed only if the bytes it promises are actually there. */
    private static int readCount(ByteBuffer in, int minElementBytes, String what) throws WireException {
        long count = in.getInt() & 0xffffffffL;
        if (count * minElementBytes > in.remaining()) {
            throw new WireException(ErrorCode.MALFORMED_FRAME, "BATCH claims " + count + " " + what
                    + " records but only " + in.remaining() + " bytes remain");
        }
        return (int) count;
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        if (utf8.length > 0xffff) {
            throw new IllegalArgumentException("string of " + utf8.length + " bytes is too long for the wire");
        }
        out.writeShort(utf8.length);
        out.write(utf8);
    }

    private static String readString(ByteBuffer in, String field) throws WireException {
        int length = in.getShort() & 0xffff;
        if (length > in.remaining()) {
            throw new WireException(ErrorCode.MALFORMED_FRAME, field + " claims " + length
                    + " bytes but only " + in.remaining() + " remain");
        }
        ByteBuffer slice = in.slice();
        slice.limit(length);
        in.position(in.position() + length);
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            CharBuffer chars = decoder.decode(slice);
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new WireException(ErrorCode.MALFORMED_FRAME, field + " is not valid UTF-8");
        }
    }

    /** Cuts at a character boundary so that a long C++ name never makes a frame unencodable. */
    private static String truncate(String s, int maxChars) {
        return s.length() <= maxChars ? s : s.substring(0, maxChars);
    }
}
