package dev.plumb.agent.ship;

import dev.plumb.wire.Ack;
import dev.plumb.wire.Batch;
import dev.plumb.wire.Frame;
import dev.plumb.wire.FrameCodec;
import dev.plumb.wire.FrameReader;
import dev.plumb.wire.Hello;
import dev.plumb.wire.Welcome;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A gatherer on loopback that keeps the gatherer's exactly-once rules (WELCOME says the last
 * committed batch; a batch is stored only if it is the next one; a repeat is acknowledged,
 * not stored) but breaks every connection after a few batches: alternately before storing
 * the batch it just read, and after storing it but before acknowledging (the ack is lost).
 * It also checks that a batch sent again carries exactly the rows it carried the first time.
 */
final class FlakyGatherer implements AutoCloseable {
    private final ServerSocket server;
    private final int batchesPerConnection;
    private final Thread acceptor;
    private final Map<Long, Batch> firstSeen = new TreeMap<>();
    private final List<Batch> stored = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private long committed;
    private final java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();
    private int resent;

    FlakyGatherer(int batchesPerConnection) throws IOException {
        this.batchesPerConnection = batchesPerConnection;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::serve, "flaky-gatherer");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    GathererAddress address() {
        return new GathererAddress("127.0.0.1", server.getLocalPort());
    }

    private void serve() {
        while (!server.isClosed()) {
            try (Socket socket = server.accept()) {
                handle(socket, connections.getAndIncrement());
            } catch (IOException | dev.plumb.wire.WireException e) {
                // a broken connection is the point; a closed server ends the loop
            }
        }
    }

    private void handle(Socket socket, int connection) throws IOException, dev.plumb.wire.WireException {
        FrameReader in = new FrameReader(new BufferedInputStream(socket.getInputStream()));
        OutputStream out = socket.getOutputStream();
        int batches = 0;
        for (Frame frame = in.read(); frame != null; frame = in.read()) {
            if (frame instanceof Hello) {
                out.write(FrameCodec.encode(new Welcome(FrameCodec.PROTOCOL_VERSION, committed())));
            } else if (frame instanceof Batch batch) {
                check(batch);
                boolean breakNow = ++batches > batchesPerConnection && !batch.isFinal();
                if (breakNow && connection % 2 == 0) {
                    return; // gone before storing it
                }
                store(batch);
                if (breakNow) {
                    return; // stored, but the ack never leaves
                }
                out.write(FrameCodec.encode(new Ack(committed())));
            }
            out.flush();
        }
    }

    private synchronized void check(Batch batch) {
        Batch first = firstSeen.putIfAbsent(batch.seq(), batch);
        if (first == null) {
            return;
        }
        resent++;
        if (!first.allocs().equals(batch.allocs()) || !first.frees().equals(batch.frees())
                || first.endedAtMicros() != batch.endedAtMicros()) {
            problems.add("batch " + batch.seq() + " was resent with other rows");
        }
    }

    private synchronized void store(Batch batch) {
        if (batch.seq() <= committed) {
            return; // a repeat: already stored
        }
        if (batch.seq() != committed + 1) {
            problems.add("batch " + batch.seq() + " arrived after " + committed);
            return;
        }
        stored.add(batch);
        committed = batch.seq();
    }

    synchronized long committed() {
        return committed;
    }

    synchronized List<Batch> stored() {
        return List.copyOf(stored);
    }

    synchronized List<String> problems() {
        return List.copyOf(problems);
    }

    synchronized int resent() {
        return resent;
    }

    int connections() {
        return connections.get();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
