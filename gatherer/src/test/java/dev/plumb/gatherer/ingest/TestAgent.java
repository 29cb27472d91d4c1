package dev.plumb.gatherer.ingest;

import dev.plumb.wire.Frame;
import dev.plumb.wire.FrameCodec;
import dev.plumb.wire.FrameReader;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;

/** A test agent speaking the protocol over a plain socket, one frame and its reply at a time. */
final class TestAgent implements AutoCloseable {
    final Socket socket;
    final DataOutputStream out;
    final FrameReader in;

    TestAgent(int port) throws IOException {
        socket = new Socket("localhost", port);
        socket.setSoTimeout(30_000);
        out = new DataOutputStream(socket.getOutputStream());
        in = new FrameReader(socket.getInputStream());
    }

    Frame send(Frame f) throws Exception {
        out.write(FrameCodec.encode(f));
        out.flush();
        return in.read();
    }

    Frame sendRaw(byte[] bytes) throws Exception {
        out.write(bytes);
        out.flush();
        return in.read();
    }

    /** After an ERROR the gatherer closes the socket: the next read sees the end of stream. */
    boolean closedByPeer() throws Exception {
        return in.read() == null;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
