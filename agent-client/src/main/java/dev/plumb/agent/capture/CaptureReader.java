package dev.plumb.agent.capture;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Decodes the binary event stream written by the capture library ({@code libplumb.so}) and
 * hands each record to a {@link CaptureListener}.
 *
 * <p>Format (little-endian; every record starts with a one-byte tag):
 * <pre>
 * 'H' HELLO    u32 pid, u64 startedAtMicros, u16 exeLen, exe bytes (UTF-8)
 * 'O' OPTIONS  u8 mode (0 full, 1 sampled), u64 sampleBytes, u16 maxDepth, u32 flags
 * 'M' MODULE   u64 loadBias, u64 start, u64 end, u16 pathLen, path bytes, u8 buildIdLen, build-id bytes
 * 'S' STACK    u32 stackId, u16 depth, u64 addresses[depth]   (innermost first)
 * 'A' ALLOC    u64 tMicros, u64 address, u64 size, u32 stackId, u32 threadId          (weight 1)
 * 'P' SAMPLE   u64 tMicros, u64 address, u64 size, u32 stackId, u32 threadId, f64 weight
 * 'F' FREE     u64 tMicros, u64 address
 * 'T' TOGGLE   u64 tMicros, u8 recording
 * 'K' COUNTERS u64 tMicros, u16 n, u64 values[n]
 * 'E' END      u64 tMicros
 * </pre>
 * The full description, with the ordering rules, is agent-client/native/README.md.
 * End of input exactly between two records is a normal end; anything else that does not fit
 * the format raises {@link CaptureFormatException} naming the byte offset. Not thread-safe.
 */
public final class CaptureReader {
    private static final int BUFFER_SIZE = 64 * 1024;

    private final InputStream in;
    private final CaptureListener listener;
    private final byte[] buf = new byte[BUFFER_SIZE];
    private int pos;
    private int limit;
    /** Stream offset of buf[0]. */
    private long base;
    private long recordStart;
    private String recordName;

    public CaptureReader(InputStream in, CaptureListener listener) {
        this.in = Objects.requireNonNull(in, "in");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** Reads and dispatches records until end of input. */
    public void run() throws IOException {
        while (fill(1)) {
            recordStart = offset();
            int tag = buf[pos++] & 0xff;
            switch (tag) {
                case 'H' -> readHello();
                case 'O' -> readOptions();
                case 'M' -> readModule();
                case 'S' -> readStack();
                case 'A' -> readAlloc(false);
                case 'P' -> readAlloc(true);
                case 'F' -> readFree();
                case 'T' -> readToggle();
                case 'K' -> readCounters();
                case 'E' -> readEnd();
                default -> throw new CaptureFormatException(recordStart, String.format(
                        "unknown record tag 0x%02x at offset %d: expected one of H, O, M, S, A, P, F, T, K, E",
                        tag, recordStart));
            }
        }
    }

    private void readHello() throws IOException {
        recordName = "HELLO";
        int pid = u32("u32 pid");
        long startedAt = u64("u64 startedAtMicros");
        int exeLen = u16("u16 exeLen");
        String exe = string(exeLen, "exe path bytes");
        listener.onHello(pid, exe, startedAt);
    }

    private void readOptions() throws IOException {
        recordName = "OPTIONS";
        int mode = u8("u8 mode");
        long sampleBytes = u64("u64 sampleBytes");
        int maxDepth = u16("u16 maxDepth");
        int flags = u32("u32 flags");
        listener.onOptions(CaptureOptions.decode(mode, sampleBytes, maxDepth, flags));
    }

    private void readToggle() throws IOException {
        recordName = "TOGGLE";
        long t = u64("u64 tMicros");
        int on = u8("u8 recording");
        listener.onToggle(t, on != 0);
    }

    private void readCounters() throws IOException {
        recordName = "COUNTERS";
        long t = u64("u64 tMicros");
        int n = u16("u16 n");
        long[] values = new long[n];
        for (int i = 0; i < n; i++) {
            values[i] = u64("u64 values[" + i + "]");
        }
        listener.onCounters(t, CaptureCounters.of(values));
    }

    private void readModule() throws IOException {
        recordName = "MODULE";
        long loadBias = u64("u64 loadBias");
        long start = u64("u64 start");
        long end = u64("u64 end");
        int pathLen = u16("u16 pathLen");
        String path = string(pathLen, "module path bytes");
        int buildIdLen = u8("u8 buildIdLen");
        byte[] buildId = bytes(buildIdLen, "build-id bytes");
        listener.onModule(new ModuleInfo(path, loadBias, start, end, HexFormat.of().formatHex(buildId)));
    }

    private void readStack() throws IOException {
        recordName = "STACK";
        int id = u32("u32 stackId");
        int depth = u16("u16 depth");
        long[] addresses = new long[depth];
        for (int i = 0; i < depth; i++) {
            addresses[i] = u64("u64 address[" + i + "]");
        }
        listener.onStack(id, addresses);
    }

    private void readAlloc(boolean sampled) throws IOException {
        recordName = sampled ? "SAMPLE" : "ALLOC";
        long t = u64("u64 tMicros");
        long address = u64("u64 address");
        long size = u64("u64 size");
        int stackId = u32("u32 stackId");
        int threadId = u32("u32 threadId");
        double weight = sampled ? Double.longBitsToDouble(u64("f64 weight")) : 1.0;
        if (sampled && !(weight >= 1.0) || Double.isInfinite(weight)) {
            throw new CaptureFormatException(recordStart, String.format(
                    "SAMPLE record at offset %d has weight %s: expected a finite number >= 1",
                    recordStart, weight));
        }
        listener.onAlloc(t, address, size, stackId, threadId, weight);
    }

    private void readFree() throws IOException {
        recordName = "FREE";
        long t = u64("u64 tMicros");
        long address = u64("u64 address");
        listener.onFree(t, address);
    }

    private void readEnd() throws IOException {
        recordName = "END";
        listener.onEnd(u64("u64 tMicros"));
    }

    // ---- primitive reads ----

    private long offset() {
        return base + pos;
    }

    /** Ensures n (<= buffer size) bytes are buffered; false on end of input before that. */
    private boolean fill(int n) throws IOException {
        if (limit - pos >= n) {
            return true;
        }
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, limit - pos);
            base += pos;
            limit -= pos;
            pos = 0;
        }
        while (limit < n) {
            int r = in.read(buf, limit, buf.length - limit);
            if (r < 0) {
                return false;
            }
            limit += r;
        }
        return true;
    }

    private void need(int n, String expected) throws IOException {
        if (!fill(n)) {
            long at = offset();
            throw new CaptureFormatException(at, String.format(
                    "capture stream truncated: expected %s (%d bytes) at offset %d in the %s record "
                            + "starting at offset %d, but the stream ends at offset %d",
                    expected, n, at, recordName, recordStart, at + (limit - pos)));
        }
    }

    private int u8(String expected) throws IOException {
        need(1, expected);
        return buf[pos++] & 0xff;
    }

    private int u16(String expected) throws IOException {
        need(2, expected);
        int v = (buf[pos] & 0xff) | (buf[pos + 1] & 0xff) << 8;
        pos += 2;
        return v;
    }

    private int u32(String expected) throws IOException {
        need(4, expected);
        int v = (buf[pos] & 0xff) | (buf[pos + 1] & 0xff) << 8 | (buf[pos + 2] & 0xff) << 16
                | (buf[pos + 3] & 0xff) << 24;
        pos += 4;
        return v;
    }

    private long u64(String expected) throws IOException {
        need(8, expected);
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (buf[pos + i] & 0xff);
        }
        pos += 8;
        return v;
    }

    private byte[] bytes(int n, String expected) throws IOException {
        // n < 65536 <= buffer size: one fill suffices
        need(n, expected);
        byte[] out = new byte[n];
        System.arraycopy(buf, pos, out, 0, n);
        pos += n;
        return out;
    }

    private String string(int n, String expected) throws IOException {
        return new String(bytes(n, expected), StandardCharsets.UTF_8);
    }
}
