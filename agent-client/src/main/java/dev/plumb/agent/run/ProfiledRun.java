package dev.plumb.agent.run;

import dev.plumb.agent.capture.CaptureLibrary;
import dev.plumb.agent.capture.CaptureReader;
import dev.plumb.agent.record.RecordingServer;
import dev.plumb.agent.ship.GathererAddress;
import dev.plumb.agent.ship.SessionLabels;
import dev.plumb.agent.ship.SessionShipper;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

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
    private final List<CaptureConnection> connections = new CopyOnWriteArrayList<>();
    private Path workDir;
    private Duration progressInterval = Duration.ZERO;
    private Duration condenseAfter = SessionShipper.DEFAULT_CONDENSE_AFTER;
    private final java.util.concurrent.CountDownLatch stopAccepting = new java.util.concurrent.CountDownLatch(1);
    private final java.util.concurrent.CountDownLatch accepting = new java.util.concurrent.CountDownLatch(1);
    private Path fallbackDir;
    private RecordingServer fallbackRecorder;
    private Path fallbackFile;
    /** Allocated before the program starts, for the first connection's pump (see CapturePump.Buffers). */
    private final AtomicReference<CapturePump.Buffers> firstPumpBuffers = new AtomicReference<>();

    /**
     * One profiled process: its socket copied to a spool file by the pump, and the decoding
     * (shipper and thread), which the starter thread sets up a little later.
     */
    private record CaptureConnection(SocketChannel channel, Thread pump, CapturePump spool,
                                     CompletableFuture<Decoding> decoding) {
        /** The shipper once decoding has started; null before that. */
        SessionShipper shipperIfStarted() {
            Decoding d = decoding.getNow(null);
            return d == null ? null : d.shipper();
        }
    }

    private record Decoding(SessionShipper shipper, Thread thread) {
    }

    /**
     * Default for how far decoding may lag behind capture (`--spool-limit`): past it a full-mode
     * program waits and a sampled-mode stream loses samples (see {@link CapturePump}).
     */
    public static final long DEFAULT_SPOOL_LIMIT_BYTES = 1L << 30;
    private long spoolLimitBytes = DEFAULT_SPOOL_LIMIT_BYTES;

    /**
     * Sampled mode decodes what the pump spooled in batches this far apart
     * ({@link CapturePump#readInBatches}); full mode follows the pump closely.
     */
    static final Duration SAMPLED_DECODE_INTERVAL = Duration.ofSeconds(1);
    private boolean yieldCpu;
    /** Starts the decoding threads, so they take its priority (lowered in sampled mode), not the acceptor's. */
    private ExecutorService decoderStarter;

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

    /**
     * Sampled mode: before the program starts, warms up the pump ({@link PumpWarmUp}) and lowers
     * the agent's CPU priority ({@link YieldToProgram}); while it runs, decodes in batches
     * ({@link #SAMPLED_DECODE_INTERVAL}).
     */
    public ProfiledRun yieldCpuToProgram(boolean yield) {
        this.yieldCpu = yield;
        return this;
    }

    /**
     * What the gatherer cannot take by the flush timeout after the command exited is saved as a
     * recording in this directory (for `plumb upload`) instead of being dropped.
     */
    public ProfiledRun saveUndeliveredTo(Path directory) {
        this.fallbackDir = directory;
        return this;
    }

    /** How many bytes of raw capture each profiled process may have waiting on local disk. */
    public ProfiledRun spoolLimit(long bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("spool limit must be positive: " + bytes);
        }
        this.spoolLimitBytes = bytes;
        return this;
    }

    /**
     * Allocations freed within this are condensed into per-backtrace, per-second rows instead of
     * being shipped one by one (zero: never; every allocation is shipped at once).
     */
    public ProfiledRun condenseAfter(Duration threshold) {
        if (threshold.isNegative()) {
            throw new IllegalArgumentException("the condensing threshold must not be negative");
        }
        this.condenseAfter = threshold;
        return this;
    }

    /** Print a progress line per profiled process this often (zero: never). */
    public ProfiledRun reportEvery(Duration interval) {
        this.progressInterval = interval;
        return this;
    }

    private void reportProgress() {
        for (CaptureConnection c : connections) {
            SessionShipper shipper = c.shipperIfStarted();
            if (c.pump().isAlive() && shipper != null) {
                err.println("plumb: " + shipper.progress(c.spool().lag()));
            }
        }
    }

    /** The local recorder undeliverable sessions go to, started on first use. */
    private synchronized GathererAddress fallback() {
        try {
            if (fallbackRecorder == null) {
                Files.createDirectories(fallbackDir);
                fallbackFile = fallbackDir.resolve("plumb-" + java.time.LocalDateTime.now().withNano(0).toString()
                        .replace(':', '-') + "-" + ProcessHandle.current().pid() + ".plumb");
                fallbackRecorder = new RecordingServer(fallbackFile, workDir);
            }
            return new GathererAddress("127.0.0.1", fallbackRecorder.port());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot save undelivered data in " + fallbackDir, e);
        }
    }

    private synchronized void closeFallback() throws IOException {
        if (fallbackRecorder != null) {
            fallbackRecorder.close();
            IOException rejection = shippers.stream().map(SessionShipper::rejection).filter(java.util.Objects::nonNull)
                    .findFirst().orElse(null);
            if (rejection != null) {
                err.println("plumb: " + rejection.getMessage());
                err.println("plumb: so the profile was not sent; it is saved in " + fallbackFile);
                err.println("plumb: once that is fixed, deliver it with: plumb upload " + gatherer.uploadFlags() + " "
                        + fallbackFile);
            } else {
                err.println("plumb: the gatherer at " + gatherer + " could not take everything within "
                        + flushTimeout.toSeconds() + " s; the rest is saved in " + fallbackFile);
                err.println("plumb: deliver it with: plumb upload " + gatherer.uploadFlags() + " " + fallbackFile);
            }
        }
    }

    /** Runs the command to completion and returns its exit code (128 + signal if killed). */
    public int run() throws IOException, InterruptedException {
        Path library = CaptureLibrary.extract();
        Path dir = Files.createTempDirectory("plumb-run-");
        workDir = dir;
        Path socketPath = dir.resolve("capture.sock");
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "plumb-flush"));
        decoderStarter = Executors.newSingleThreadExecutor(r -> daemon(r, "plumb-start"));
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socketPath));
            CompletableFuture<Long> acceptorThreadId = new CompletableFuture<>();
            Thread acceptor = daemon(() -> {
                acceptorThreadId.complete(kernelThreadId());
                acceptLoop(server);
            }, "plumb-accept");
            acceptor.start();
            timer.scheduleAtFixedRate(() -> shippers.forEach(s -> s.flushIfDue(System.currentTimeMillis() * 1000)),
                    100, 100, TimeUnit.MILLISECONDS);
            if (!progressInterval.isZero()) {
                long every = progressInterval.toMillis();
                timer.scheduleAtFixedRate(this::reportProgress, every, every, TimeUnit.MILLISECONDS);
            }

            prepareAccepting();
            if (yieldCpu) {
                long warmUntil = System.nanoTime() + PumpWarmUp.BUDGET.toNanos();
                PumpWarmUp.run(warmUntil);
                yieldBeforeStart(acceptorThreadId.join());
                PumpWarmUp.awaitIdleCompilers(warmUntil); // what moving the threads made hot
            }
            Process process = start(library, socketPath);
            int exit = process.waitFor();
            stopAccepting.countDown();
            accepting.await();
            awaitCaptures();
            server.close();
            closeFallback();
            for (CaptureConnection c : connections) {
                SessionShipper shipper = c.shipperIfStarted();
                if (shipper != null) {
                    shipper.spoolDroppedSamples(c.spool().droppedSamples());
                }
            }
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
            decoderStarter.shutdownNow();
            Files.deleteIfExists(socketPath);
            try (var leftovers = Files.list(dir)) {
                for (Path p : leftovers.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    /**
     * Renices every thread of the agent but this one (it starts the program, which inherits its
     * priority) and the acceptor (it starts each connection's pump); the thread that starts the
     * decoders is created first, so that they inherit the lowered priority.
     */
    private void yieldBeforeStart(long acceptorThreadId) {
        long self = kernelThreadId();
        if (self < 0 || acceptorThreadId < 0) {
            return; // no /proc/thread-self: keep normal priority rather than slow the program down
        }
        try {
            decoderStarter.submit(() -> { }).get(); // its thread exists now, so it is reniced too
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        YieldToProgram.lowerAgentPriority(Set.of(self, acceptorThreadId));
    }

    private static long kernelThreadId() {
        try {
            return YieldToProgram.currentThreadId();
        } catch (IOException | RuntimeException e) {
            return -1;
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

    /**
     * Accepts capture connections until {@link #stopAccepting} is set, then takes whatever is
     * still queued: a short-lived program connects (in the library's constructor) and exits
     * before a blocking accept would have been scheduled, and its connection must not be lost
     * when the socket closes.
     */
    private void acceptLoop(ServerSocketChannel server) {
        try (Selector selector = Selector.open()) {
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
            while (true) {
                boolean last = stopAccepting.getCount() == 0;
                selector.select(50);
                selector.selectedKeys().clear();
                for (SocketChannel channel = server.accept(); channel != null; channel = server.accept()) {
                    channel.configureBlocking(true);
                    startCapture(channel);
                }
                if (last) {
                    return;
                }
            }
        } catch (ClosedChannelException closed) {
            // the run is over
        } catch (IOException e) {
            err.println("plumb: capture socket failed: " + e.getMessage());
        } finally {
            accepting.countDown();
        }
    }

    /**
     * The pump starts here, at the acceptor's priority (the capture library's sends wait for it),
     * and the acceptor goes back to accepting at once; the shipper and the decoding thread are
     * made by the starter thread ({@link StartDecoding}), so they get its priority (lowered in
     * sampled mode), and so does the work of setting them up. No lambdas here: bootstrapping a
     * call site the first time costs milliseconds of the acceptor's CPU, while the program runs.
     */
    private void startCapture(SocketChannel channel) throws IOException {
        CapturePump pump = new CapturePump(channel, spoolFile(connections.size()), spoolLimitBytes,
                firstPumpBuffers.getAndSet(null));
        if (yieldCpu) {
            pump.readInBatches(SAMPLED_DECODE_INTERVAL);
        }
        Thread pumpThread = daemon(pump, "plumb-pump");
        pumpThread.start();
        CaptureConnection connection = new CaptureConnection(channel, pumpThread, pump, new CompletableFuture<>());
        connections.add(connection);
        decoderStarter.execute(new StartDecoding(connection));
    }

    /** Sets up one connection's shipper and decoding thread (on the starter thread). */
    private final class StartDecoding implements Runnable {
        private final CaptureConnection connection;

        StartDecoding(CaptureConnection connection) {
            this.connection = connection;
        }

        @Override
        public void run() {
            try {
                if (yieldCpu) {
                    connection.spool().awaitFirstBatch(); // set up when there is a batch to decode
                }
                SessionShipper shipper = new SessionShipper(gatherer, labels,
                        fallbackDir == null ? null : ProfiledRun.this::fallback, condenseAfter);
                shippers.add(shipper);
                CapturePump pump = connection.spool();
                Thread processor = daemon(() -> process(pump, shipper), "plumb-capture");
                processor.start();
                connection.decoding().complete(new Decoding(shipper, processor));
            } catch (IOException | RuntimeException | Error e) {
                err.println("plumb: cannot decode a capture stream: " + rootMessage(e));
                connection.spool().abandon(); // nobody will decode it: drain, so the program never blocks
                connection.decoding().completeExceptionally(e);
            }
        }
    }

    private Path spoolFile(int connection) {
        return workDir.resolve("capture-" + connection + ".raw");
    }

    /**
     * Loads what accepting a connection runs, before the program starts (see startCapture); the
     * string concatenation in spoolFile alone took 5 ms of the acceptor's CPU the first time.
     */
    private void prepareAccepting() throws IOException {
        spoolFile(0);
        CapturePump.prepare(workDir);
        rehearseConnection(workDir);
        firstPumpBuffers.set(new CapturePump.Buffers());
        try {
            java.lang.invoke.MethodHandles.Lookup lookup = java.lang.invoke.MethodHandles.lookup();
            for (Class<?> c : List.of(CaptureConnection.class, Decoding.class, StartDecoding.class, CompletableFuture.class)) {
                lookup.ensureInitialized(c);
            }
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e); // our own classes and a public one
        }
    }

    /**
     * One connection over a throwaway socket, handled the way acceptLoop and a pump handle one
     * (non-blocking accept, then blocking reads to the end): the first real connection otherwise
     * loaded and linked SocketChannelImpl and its natives on the acceptor while the program ran.
     */
    private static void rehearseConnection(Path dir) {
        Path path = dir.resolve("rehearsal.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(path));
            server.configureBlocking(false);
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(path));
                 SocketChannel accepted = server.accept()) {
                if (accepted == null) {
                    return; // a connected Unix socket is queued at once; nothing to rehearse otherwise
                }
                accepted.configureBlocking(true);
                client.write(ByteBuffer.wrap(new byte[] {'H'}));
                client.shutdownOutput();
                ByteBuffer in = ByteBuffer.allocateDirect(16);
                while (accepted.read(in) >= 0) {
                    in.clear();
                }
            }
        } catch (IOException e) {
            // only a warm-up: the real connection does the same work later, nothing is lost
        } finally {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                // the run's directory is removed with whatever is left in it
            }
        }
    }

    private void process(CapturePump pump, SessionShipper shipper) {
        try (InputStream in = pump.reader(); shipper) {
            new CaptureReader(in, shipper).run();
        } catch (IOException e) {
            err.println("plumb: capture stream broke off: " + e.getMessage());
        } finally {
            pump.abandon();
        }
    }

    /**
     * The command has exited; the capture streams of its process tree end right after.
     * Children it left running are waited for up to the flush timeout, then cut off (their
     * sessions end there). What was captured is then decoded and shipped to the end: it is
     * already on local disk, so that wait is bounded by its size.
     */
    private void awaitCaptures() throws InterruptedException, IOException {
        long deadline = System.nanoTime() + flushTimeout.toNanos();
        decodings(); // every shipper exists now
        shippers.forEach(s -> s.giveUpAfter(flushTimeout));
        for (CaptureConnection c : new ArrayList<>(connections)) {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                c.pump().join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
            if (c.pump().isAlive()) {
                err.println("plumb: a profiled process is still running after " + flushTimeout.toSeconds()
                        + " s; its profile ends here");
                c.channel().close();
                c.pump().join();
            }
        }
        for (Decoding d : decodings()) {
            d.thread().join();
        }
    }

    /** The decodings that started (one that could not was reported then, and its stream drained). */
    private List<Decoding> decodings() {
        List<Decoding> started = new ArrayList<>();
        for (CaptureConnection c : connections) {
            try {
                started.add(c.decoding().join());
            } catch (CompletionException notStarted) {
                // see startCapture
            }
        }
        return started;
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
