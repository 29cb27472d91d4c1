package dev.plumb.web.imports;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdIOException;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/**
 * Opens a recording whatever its compression, recognised by magic bytes rather than by file
 * name (an upload has no trustworthy name): gzip (heaptrack's .gz, every pprof profile), zstd
 * (heaptrack 1.4's default .zst) or none.
 */
final class CompressedInput {
    private static final int GZIP_MAGIC_0 = 0x1f;
    private static final int GZIP_MAGIC_1 = 0x8b;
    private static final byte[] ZSTD_MAGIC = {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd};

    private CompressedInput() {
    }

    /** The compression's name for messages: "gzip", "zstd" or "uncompressed". */
    record Opened(String compression, InputStream content) {
    }

    static Opened open(InputStream raw) throws IOException {
        BufferedInputStream in = new BufferedInputStream(raw, 1 << 16);
        in.mark(ZSTD_MAGIC.length);
        byte[] head = in.readNBytes(ZSTD_MAGIC.length);
        in.reset();
        if (head.length >= 2 && (head[0] & 0xff) == GZIP_MAGIC_0 && (head[1] & 0xff) == GZIP_MAGIC_1) {
            return new Opened("gzip", new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16));
        }
        if (head.length == 4 && head[0] == ZSTD_MAGIC[0] && head[1] == ZSTD_MAGIC[1]
                && head[2] == ZSTD_MAGIC[2] && head[3] == ZSTD_MAGIC[3]) {
            // Small reads: zstd-jni drops what it decoded of a read it cannot complete, so a cut-off
            // stream is then reported within 8 KiB of where it really ends.
            return new Opened("zstd", new BufferedInputStream(new ZstdInputStream(in).setContinuous(false), 1 << 13));
        }
        return new Opened("uncompressed", in);
    }

    /** A stream cut off mid-way: gzip says EOFException, zstd-jni "Truncated source". */
    static boolean endsEarly(IOException e) {
        return e instanceof EOFException
                || e instanceof ZstdIOException && e.getMessage() != null && e.getMessage().contains("Truncated");
    }
}
