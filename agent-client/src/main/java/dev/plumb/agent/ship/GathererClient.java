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
import java.time.Duration;

/**
 * One TCP connection to a gatherer: HELLO, then batches. Sending does not wait for the
 * acknowledgement — a reader thread collects ACKs — so several batches are in flight and the
 * database's commit latency is not paid once per batch.
 */
public final class GathererClient implements AutoCloseable {
    private static final int CONNECT_TIMEOUT_MS = 5_000;
    private static final int HELLO_TIMEOUT_MS = 30_000;

    private final Socket socket;
    private final OutputStream out;
    private final long lastCommittedSeq;
    private final Object acks = new Object();
    private long ackedSeq;
    private IOException failure;

    private GathererClient(Socket socket, long lastCommittedSeq, OutputStream out, FrameReader in, GathererAddress address) {
        this.socket = socket;
        this.lastCommittedSeq = lastCommittedSeq;
        this.ackedSeq = lastCommittedSeq;
        this.out = out;
        Thread reader = new Thread(() -> readAcks(in, address), "plumb-acks");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Connects (over TLS if the address says so) and introduces the session; a refusal by the
     * gatherer, or a TLS handshake that cannot succeed, is a GathererRejectedException.
     */
    public static GathererClient connect(GathererAddress address, Hello hello) throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(address.host(), address.port()), CONNECT_TIMEOUT_MS);
            socket.setSoTimeout(HELLO_TIMEOUT_MS);
            socket.setTcpNoDelay(true);
            if (address.tls() != null) {
                socket = address.tls().handshake(socket, address);
            }
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
            FrameReader in = new FrameReader(new BufferedInputStream(socket.getInputStream()));
            out.write(FrameCodec.encode(hello));
            out.flush();
            Frame reply = read(in, address);
            if (reply instanceof Welcome welcome) {
                if (welcome.protocolVersion() < FrameCodec.OLDEST_SUPPORTED_VERSION
                        || welcome.protocolVersion() > FrameCodec.PROTOCOL_VERSION) {
                    throw new GathererRejectedException(dev.plumb.wire.ErrorCode.UNSUPPORTED_VERSION,
                            "the gatherer at " + address + " answered with protocol version " + welcome.protocolVersion()
                                    + ", which this agent does not speak; upgrade the gatherer");
                }
                socket.setSoTimeout(0); // the ack reader waits as long as batches are in flight
                return new GathererClient(socket, welcome.lastCommittedSeq(), out, in, address);
            }
            throw unexpected(reply, address);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * Connects and, for TLS, completes the handshake, without introducing a session: null if
     * that worked, else why not (a GathererRejectedException if retrying will not help).
     */
    public static IOException probe(GathererAddress address, int timeoutMillis) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address.host(), address.port()), timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            if (address.tls() != null) {
                address.tls().handshake(socket, address).close();
            }
            return null;
        } catch (IOException e) {
            return e;
        }
    }

    /** Highest batch sequence the gatherer had for this session when we connected. */
    public long lastCommittedSeq() {
        return lastCommittedSeq;
    }

    /** Writes a batch; its acknowledgement arrives later (see {@link #awaitAck}). */
    public void send(Batch batch) throws IOException {
        checkHealthy();
        out.write(FrameCodec.encode(batch));
        out.flush();
    }

    /** Waits until every batch up to {@code seq} is committed; fails if the connection broke. */
    public void awaitAck(long seq, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (acks) {
            while (ackedSeq < seq) {
                if (failure != null) {
                    throw failure;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException("the gatherer did not acknowledge batch " + seq + " within "
                            + timeout.toSeconds() + " s");
                }
                try {
                    acks.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for the gatherer", e);
                }
            }
        }
    }

    /** Highest sequence acknowledged so far. */
    public long ackedSeq() {
        synchronized (acks) {
            return ackedSeq;
        }
    }

    private void checkHealthy() throws IOException {
        synchronized (acks) {
            if (failure != null) {
                throw failure;
            }
        }
    }

    private void readAcks(FrameReader in, GathererAddress address) {
        try {
            while (true) {
                Frame frame = read(in, address);
                if (!(frame instanceof Ack ack)) {
                    throw unexpected(frame, address);
                }
                synchronized (acks) {
                    ackedSeq = Math.max(ackedSeq, ack.seq());
                    acks.notifyAll();
                }
            }
        } catch (IOException e) {
            synchronized (acks) {
                failure = e;
                acks.notifyAll();
            }
        }
    }

    private static Frame read(FrameReader in, GathererAddress address) throws IOException {
        try {
            Frame frame = in.read();
            if (frame == null) {
                throw new IOException("the gatherer at " + address + " closed the connection");
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
        return new IOException("unexpected " + reply.type() + " from the gatherer at " + address);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
