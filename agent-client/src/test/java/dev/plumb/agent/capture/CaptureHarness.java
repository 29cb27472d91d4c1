package dev.plumb.agent.capture;

import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Test harness: listens on a Unix socket, runs a command with the extracted capture library
 * preloaded and PLUMB_SOCKET pointing at the socket, and decodes the stream it sends.
 * Every wait is bounded.
 */
final class CaptureHarness {
    static final long TIMEOUT_SECONDS = 60;

    record Result(int exitCode, String stdout, RecordingListener events) {
    }

    static Result run(Path workDir, List<String> command) throws Exception {
        Path lib = CaptureLibrary.extract();
        Path socket = workDir.resolve("capture.sock");
        Path stdout = workDir.resolve("stdout.txt");
        Path stderr = workDir.resolve("stderr.txt");
        RecordingListener events = new RecordingListener();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            CompletableFuture<Void> reading = CompletableFuture.runAsync(() -> {
                try (SocketChannel conn = server.accept(); InputStream in = Channels.newInputStream(conn)) {
                    new CaptureReader(in, events).run();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, task -> {
                Thread t = new Thread(task, "capture-reader");
                t.setDaemon(true);
                t.start();
            });
            ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command))
                    .redirectOutput(stdout.toFile())
                    .redirectError(stderr.toFile());
            pb.environment().put("LD_PRELOAD", lib.toString());
            pb.environment().put("PLUMB_SOCKET", socket.toString());
            Process p = pb.start();
            try {
                if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    throw new AssertionError("process did not exit within " + TIMEOUT_SECONDS + " s: " + command);
                }
                // the library closes the socket after END, so the reader reaches EOF
                reading.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } finally {
                p.destroyForcibly();
                server.close(); // unblocks accept() if the process never connected
            }
            return new Result(p.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8), events);
        }
    }

    private CaptureHarness() {
    }
}
