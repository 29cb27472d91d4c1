package dev.plumb.agent.ship;

import dev.plumb.wire.Ack;
import dev.plumb.wire.Batch;
import dev.plumb.wire.ErrorFrame;
import dev.plumb.wire.Frame;
import dev.plumb.wire.FrameCodec;
import dev.plumb.wire.FrameReader;
import dev.plumb.wire.Hello;
import dev.plumb.wire.Welcome;
import dev.plumb.wire.WireException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

/** One TCP connection to a gatherer: HELLO, then batches sent and acknowledged one at a time. */
public final class GathererClient implements AutoCloseable {
    private static final int CONNECT_TIMEOUT_MS = 5_000;
    private static final int ACK_TIMEOUT_MS = 120_000;

    private final Socket socket;
    private final OutputStream out;
    private final FrameReader in;
    private final long lastCommittedSeq;

    private GathererClient(Socket socket, long lastCommittedSeq, OutputStream out, FrameReader in) {
        this.socket = socket;
        this.lastCommittedSeq = lastCommittedSeq;
        this.out = out;
        this.in = in;
    }

    /** Connects and introduces the session; a refusal by the gatherer is a GathererRejectedException. */
    public static GathererClient connect(GathererAddress address, Hello hello) throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(address.host(), address.port()), CONNECT_TIMEOUT_MS);
            socket.setSoTimeout(ACK_TIMEOUT_MS);
            socket.setTcpNoDelay(true);
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
            FrameReader in = new FrameReader(new BufferedInputStream(socket.getInputStream()));
            out.write(FrameCodec.encode(hello));
            out.flush();
            Frame reply = read(in, address);
            if (reply instanceof Welcome welcome) {
                return new GathererClient(socket, welcome.lastCommittedSeq(), out, in);
            }
            throw unexpected(reply, address);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** Highest batch sequence the gatherer already has for this session. */
    public long lastCommittedSeq() {
        return lastCommittedSeq;
    }

    /** Sends a batch and waits until the gatherer has committed it. */
    public void sendAndAwaitAck(Batch batch) throws IOException {
        out.write(FrameCodec.encode(batch));
        out.flush();
        Frame reply = read(in, null);
        if (reply instanceof Ack ack && ack.seq() >= batch.seq()) {
            return;
        }
        throw unexpected(reply, null);
    }

    private static Frame read(FrameReader in, GathererAddress address) throws IOException {
        try {
            Frame frame = in.read();
            if (frame == null) {
                throw new IOException("the gatherer" + (address == null ? "" : " at " + address)
                        + " closed the connection without an answer");
            }
            return frame;
        } catch (WireException e) {
            throw new IOException("garbled answer from the gatherer: " + e.getMessage(), e);
        }
    }

    private static IOException unexpected(Frame reply, GathererAddress address) {
        if (reply instanceof ErrorFrame error) {
            return new GathererRejectedException(error.code(), error.message());
        }
        return new IOException("unexpected " + reply.type() + " from the gatherer"
                + (address == null ? "" : " at " + address));
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
