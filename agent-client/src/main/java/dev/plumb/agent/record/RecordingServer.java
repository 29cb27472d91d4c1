package dev.plumb.agent.record;

import dev.plumb.wire.Ack;
import dev.plumb.wire.Batch;
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
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * `plumb record`: a stand-in gatherer on loopback that writes what agents send into a
 * recording file instead of a database. The agent ships exactly as it would to a real
 * gatherer (same batching, same frames), so a recording is the very stream `plumb upload`
 * later replays. Each session is collected in its own part file and appended to the
 * recording when it ends, so sessions never interleave: HELLO, its batches, next HELLO, …
 * The token is not written (upload presents its own).
 */
public final class RecordingServer implements AutoCloseable {
    private final Path recording;
    private final Path partsDir;
    private final ServerSocket server;
    private final List<Thread> connections = new ArrayList<>();
    private int nextPart;

    public RecordingServer(Path recording, Path partsDir) throws IOException {
        this.recording = recording;
        this.partsDir = partsDir;
        Files.write(recording, new byte[0]); // fails early when the path cannot be written
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "plumb-record-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                Path part = partsDir.resolve("session-" + nextPart++ + ".part");
                Thread t = new Thread(() -> record(socket, part), "plumb-record");
                t.setDaemon(true);
                synchronized (connections) {
                    connections.add(t);
                }
                t.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void record(Socket socket, Path part) {
        try (socket;
             OutputStream file = new BufferedOutputStream(Files.newOutputStream(part));
             OutputStream replies = new BufferedOutputStream(socket.getOutputStream())) {
            FrameReader in = new FrameReader(new BufferedInputStream(socket.getInputStream()));
            for (Frame frame = in.read(); frame != null; frame = in.read()) {
                if (frame instanceof Hello hello) {
                    file.write(FrameCodec.encode(withoutToken(hello)));
                    replies.write(FrameCodec.encode(new Welcome(FrameCodec.PROTOCOL_VERSION, 0)));
                } else if (frame instanceof Batch batch) {
                    file.write(FrameCodec.encode(batch));
                    replies.write(FrameCodec.encode(new Ack(batch.seq())));
                }
                replies.flush();
            }
        } catch (IOException | WireException e) {
            // the agent went away mid-session: what arrived is kept, upload ends it
        }
        append(part);
    }

    private synchronized void append(Path part) {
        try {
            Files.write(recording, Files.readAllBytes(part), StandardOpenOption.APPEND);
            Files.deleteIfExists(part);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write the recording " + recording, e);
        }
    }

    private static Hello withoutToken(Hello h) {
        return new Hello(h.protocolVersion(), "", h.sessionId(), h.host(), h.service(), h.deployment(), h.pid(),
                h.exe(), h.startedAtMicros(), Map.copyOf(h.labels()));
    }

    /** Waits until every session's part has been appended. */
    @Override
    public void close() throws IOException {
        server.close();
        List<Thread> all;
        synchronized (connections) {
            all = new ArrayList<>(connections);
        }
        for (Thread t : all) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
