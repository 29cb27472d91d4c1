package dev.plumb.wire;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/** Reads whole frames from a blocking stream (the agent's side of a socket, a recording file). */
public final class FrameReader {
    private final DataInputStream in;

    public FrameReader(InputStream in) {
        this.in = new DataInputStream(in);
    }

    /** The next frame, or {@code null} at a clean end of stream between frames. */
    public Frame read() throws IOException, WireException {
        int first = in.read();
        if (first < 0) {
            return null;
        }
        byte[] rest = new byte[3];
        readFully(rest, "length prefix");
        long length = ((long) first << 24) | ((rest[0] & 0xffL) << 16) | ((rest[1] & 0xffL) << 8) | (rest[2] & 0xffL);
        byte[] body = new byte[FrameCodec.checkLength(length)];
        readFully(body, "frame body of " + length + " bytes");
        return FrameCodec.decode(ByteBuffer.wrap(body));
    }

    private void readFully(byte[] into, String what) throws IOException, WireException {
        try {
            in.readFully(into);
        } catch (EOFException e) {
            throw new WireException(ErrorCode.MALFORMED_FRAME, "stream ended inside a " + what);
        }
    }
}
