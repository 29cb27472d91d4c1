package dev.plumb.agent.capture;

import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Test harness: listens on a Unix socket, runs a command with the extracted capture library
 * preloaded and PLUMB_SOCKET pointing at the socket, and decodes every stream sent to it (one
 * per process image: a program that execs another one connects again). Every wait is bounded.
 */
final class CaptureHarness {
    static final long TIMEOUT_SECONDS = 60;

    /**
     * @param sessions decoded streams in connection order
     */
    record Result(int exitCode, String stdout, String stderr, List<RecordingListener> sessions) {
        /** The session of the final process image: the last one that sent END. */
        RecordingListener events() {
            for (int i = sessions.size() - 1; i >= 0; i--) {
                if (!sessions.get(i).ends.isEmpty()) {
                    return sessions.get(i);
                }
            }
            throw new AssertionError("no capture session ended with END; sessions: " + sessions.size());
        }
    }

    static Result run(Path workDir, List<String> command) throws Exception {
        return run(workDir, command, Map.of());
    }

    /** Runs with extra environment variables (PLUMB_MODE, PLUMB_FOLLOW_EXEC, ...). */
    static Result run(Path workDir, List<String> command, Map<String, String> env) throws Exception {
        return run(workDir, command, env, CaptureLibrary.extract());
    }

    static Result run(Path workDir, List<String> command, Map<String, String> env, Path lib) throws Exception {
        Path socket = workDir.resolve("capture.sock");
        Path stdout = workDir.resolve("stdout.txt");
        Path stderr = workDir.resolve("stderr.txt");
        List<RecordingListener> sessions = new CopyOnWriteArrayList<>();
        List<CompletableFuture<Void>> readers = new CopyOnWriteArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
             Selector selector = Selector.open()) {
            server.bind(UnixDomainSocketAddress.of(socket));
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);

            ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command))
                    .redirectOutput(stdout.toFile())
                    .redirectError(stderr.toFile());
            pb.environment().put("LD_PRELOAD", lib.toString());
            pb.environment().put("PLUMB_SOCKET", socket.toString());
            pb.environment().putAll(env);
            Process p = pb.start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
                // accept while the process runs (a connection left unaccepted would block it)
                while (p.isAlive()) {
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("process did not exit within " + TIMEOUT_SECONDS + " s: " + command);
                    }
                    selector.select(50);
                    selector.selectedKeys().clear();
                    acceptAll(server, sessions, readers);
                }
                acceptAll(server, sessions, readers); // connections queued before the exit
                // the library closes its socket after END (or the process is gone): readers hit EOF
                CompletableFuture.allOf(readers.toArray(CompletableFuture[]::new))
                        .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } finally {
                p.destroyForcibly();
            }
            return new Result(p.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8),
                    Files.readString(stderr, StandardCharsets.UTF_8), List.copyOf(sessions));
        }
    }

    private static void acceptAll(ServerSocketChannel server, List<RecordingListener> sessions,
                                  List<CompletableFuture<Void>> readers) throws IOException {
        SocketChannel conn;
        while ((conn = server.accept()) != null) {
            conn.configureBlocking(true);
            RecordingListener events = new RecordingListener();
            sessions.add(events);
            SocketChannel c = conn;
            readers.add(CompletableFuture.runAsync(() -> {
                try (c; InputStream in = Channels.newInputStream(c)) {
                    new CaptureReader(in, events).run();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, task -> {
                Thread t = new Thread(task, "capture-reader");
                t.setDaemon(true);
                t.start();
            }));
        }
    }

    private CaptureHarness() {
    }
}
