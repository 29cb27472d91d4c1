package dev.plumb.agent.run;

import dev.plumb.agent.capture.CaptureLibrary;
import dev.plumb.agent.capture.CaptureReader;
import dev.plumb.agent.ship.GathererAddress;
import dev.plumb.agent.ship.SessionLabels;
import dev.plumb.agent.ship.SessionShipper;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command with the capture library preloaded. The library connects back over a Unix
 * socket in a private temporary directory; each connecting process (the command, and any
 * program it execs that keeps LD_PRELOAD) becomes its own session.
 */
public final class ProfiledRun {
    private final List<String> command;
    private final GathererAddress gatherer;
    private final SessionLabels labels;
    private final Duration flushTimeout;
    private final PrintStream err;
    private final Map<String, String> captureEnv;
    private final List<SessionShipper> shippers = new CopyOnWriteArrayList<>();
    private final List<Thread> readers = new CopyOnWriteArrayList<>();

    public ProfiledRun(List<String> command, GathererAddress gatherer, SessionLabels labels,
                       Duration flushTimeout, PrintStream err) {
        this(command, gatherer, labels, flushTimeout, err, Map.of());
    }

    /** @param captureEnv capture library settings for the command's environment (PLUMB_MODE, ...) */
    public ProfiledRun(List<String> command, GathererAddress gatherer, SessionLabels labels,
                       Duration flushTimeout, PrintStream err, Map<String, String> captureEnv) {
        this.captureEnv = Map.copyOf(captureEnv);
        this.command = List.copyOf(command);
        this.gatherer = gatherer;
        this.labels = labels;
        this.flushTimeout = flushTimeout;
        this.err = err;
    }

    /** Runs the command to completion and returns its exit code (128 + signal if killed). */
    public int run() throws IOException, InterruptedException {
        Path library = CaptureLibrary.extract();
        Path dir = Files.createTempDirectory("plumb-run-");
        Path socketPath = dir.resolve("capture.sock");
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "plumb-flush"));
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socketPath));
            Thread acceptor = daemon(() -> acceptLoop(server), "plumb-accept");
            acceptor.start();
            timer.scheduleAtFixedRate(() -> shippers.forEach(s -> s.flushIfDue(System.currentTimeMillis() * 1000)),
                    100, 100, TimeUnit.MILLISECONDS);

            Process process = start(library, socketPath);
            int exit = process.waitFor();
            awaitReaders();
            server.close();
            for (SessionShipper s : shippers) {
                err.println("plumb: " + s.stats().summary());
                if (s.failure() != null) {
                    err.println("plumb: could not deliver to the gatherer at " + gatherer + ": " + s.failure().getMessage());
                }
            }
            if (shippers.isEmpty()) {
                err.println("plumb: the capture library never connected; was " + command.get(0)
                        + " statically linked, or setuid (secure-execution ignores LD_PRELOAD)?");
            }
            return exit;
        } finally {
            timer.shutdownNow();
            Files.deleteIfExists(socketPath);
            Files.deleteIfExists(dir);
        }
    }

    private Process start(Path library, Path socketPath) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
        Map<String, String> env = pb.environment();
        String existing = env.get("LD_PRELOAD");
        env.put("LD_PRELOAD", existing == null || existing.isBlank() ? library.toString() : library + ":" + existing);
        env.put("PLUMB_SOCKET", socketPath.toString());
        env.putAll(captureEnv);
        try {
            return pb.start();
        } catch (IOException e) {
            throw new CommandNotStartedException("cannot run '" + command.get(0) + "': " + rootMessage(e), e);
        }
    }

    private void acceptLoop(ServerSocketChannel server) {
        while (server.isOpen()) {
            try {
                SocketChannel channel = server.accept();
                SessionShipper shipper = new SessionShipper(gatherer, labels);
                shippers.add(shipper);
                Thread reader = daemon(() -> capture(channel, shipper), "plumb-capture");
                readers.add(reader);
                reader.start();
            } catch (ClosedChannelException closed) {
                return;
            } catch (IOException e) {
                err.println("plumb: capture socket failed: " + e.getMessage());
                return;
            }
        }
    }

    private void capture(SocketChannel channel, SessionShipper shipper) {
        try (InputStream in = Channels.newInputStream(channel); shipper) {
            new CaptureReader(in, shipper).run();
        } catch (IOException e) {
            err.println("plumb: capture stream broke off: " + e.getMessage());
        }
    }

    /**
     * The command has exited; its capture streams end right after. Children it left running
     * are waited for up to the flush timeout, then abandoned (their sessions end unfinished).
     */
    private void awaitReaders() throws InterruptedException {
        long deadline = System.nanoTime() + flushTimeout.toNanos();
        for (Thread t : new ArrayList<>(readers)) {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
            if (t.isAlive()) {
                err.println("plumb: a profiled process is still running after " + flushTimeout.toSeconds()
                        + " s; leaving it unprofiled from here on");
            }
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    /** The command could not be started at all (not found, not executable). */
    public static final class CommandNotStartedException extends IOException {
        public CommandNotStartedException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
