package dev.plumb.web.imports;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HexFormat;

/**
 * Tells the formats apart by content — heaptrack's text starts with its version record "v ",
 * a pprof profile.proto with field 1 (sample_type, length-delimited: byte 0x0a) — and hands the
 * file to the matching reader.
 */
public final class Recordings {
    private static final int PROTO_SAMPLE_TYPE_TAG = 0x0a;

    private Recordings() {
    }

    public static ImportedRecording read(Path file, ImportRequest request) throws ImportException {
        try (InputStream raw = Files.newInputStream(file)) {
            CompressedInput.Opened opened = CompressedInput.open(raw);
            InputStream in = opened.content();
            in.mark(16);
            byte[] head;
            try {
                head = in.readNBytes(16);
            } catch (IOException e) {
                throw new ImportException("recording is " + (CompressedInput.endsEarly(e) ? "truncated" : "corrupt")
                        + " within its first block of " + opened.compression() + " data (" + e.getMessage() + ")", e);
            }
            in.reset();
            if (head.length >= 2 && head[0] == 'v' && head[1] == ' ') {
                return HeaptrackReader.read(opened.compression(), in, request);
            }
            if (head.length >= 1 && head[0] == PROTO_SAMPLE_TYPE_TAG) {
                return PprofReader.read(opened.compression(), in, request);
            }
            throw new ImportException("unknown format: expected a heaptrack recording (text starting with 'v ',"
                    + " gzip or zstd compressed) or a pprof heap profile (gzipped profile.proto); the "
                    + opened.compression() + " content starts with bytes "
                    + (head.length == 0 ? "(none: the file is empty)" : HexFormat.ofDelimiter(" ").formatHex(head)));
        } catch (IOException e) {
            throw new ImportException("cannot read the uploaded file: " + e.getMessage(), e);
        }
    }

    /** When a recording with only relative times ended: as the uploader says, else now. */
    static long anchorMicros(ImportRequest request) {
        Instant end = request.recordedUntil() != null ? request.recordedUntil() : Instant.now();
        return end.getEpochSecond() * 1_000_000L + end.getNano() / 1000;
    }
}
