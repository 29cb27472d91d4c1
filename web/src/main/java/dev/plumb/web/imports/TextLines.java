package dev.plumb.web.imports;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Lines of a text recording, read as ISO-8859-1 so that one char is one byte: heaptrack's sized
 * strings count bytes, and names are turned into UTF-8 only once they are cut out. Knows the
 * line number (for messages) and whether the last line was cut off without its newline, which
 * is what a recording looks like when its writer died mid-way.
 */
final class TextLines {
    private final InputStream in;
    private final byte[] buffer = new byte[1 << 13];
    private int pos;
    private int limit;
    private long lineNumber;
    private boolean lastLineTerminated = true;
    private final StringBuilder line = new StringBuilder(128);

    TextLines(InputStream in) {
        this.in = in;
    }

    /** The next line without its newline, or null at the end. */
    String next() throws IOException {
        line.setLength(0);
        while (true) {
            if (pos == limit) {
                limit = in.read(buffer, 0, buffer.length);
                pos = 0;
                if (limit <= 0) {
                    limit = 0;
                    if (line.length() == 0) {
                        return null;
                    }
                    lastLineTerminated = false;
                    lineNumber++;
                    return line.toString();
                }
            }
            int start = pos;
            while (pos < limit && buffer[pos] != '\n') {
                pos++;
            }
            line.append(new String(buffer, start, pos - start, StandardCharsets.ISO_8859_1));
            if (pos < limit) {
                pos++;
                lineNumber++;
                return line.toString();
            }
        }
    }

    long lineNumber() {
        return lineNumber;
    }

    boolean lastLineTerminated() {
        return lastLineTerminated;
    }

    /** A name cut out of a line, back from bytes-as-chars to the UTF-8 the program wrote. */
    static String utf8(String bytesAsChars) {
        return new String(bytesAsChars.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }
}
