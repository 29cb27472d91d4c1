package dev.plumb.gatherer.ingest;

import dev.plumb.gatherer.store.IngestStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import dev.plumb.wire.ErrorCode;
import dev.plumb.wire.ErrorFrame;
import dev.plumb.wire.Frame;
import dev.plumb.wire.FrameCodec;
import dev.plumb.wire.WireException;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.File;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.Connection;
import reactor.netty.DisposableServer;
import reactor.netty.NettyInbound;
import reactor.netty.NettyOutbound;
import reactor.netty.NettyPipeline;
import reactor.netty.tcp.TcpServer;

/**
 * TCP ingest. Each connection's frames are handled strictly one after another: a frame is
 * decoded and its stacks resolved on a small pool of blocking threads, then its rows join the
 * shared {@link BatchWriter}'s bounded queue, and the next frame of that socket is not read
 * before the ACK is sent (Reactor's demand turns off auto-read). A slow database therefore
 * fills the queue, then blocks the decoders, then stops the sockets: agents slow down instead
 * of the gatherer's memory filling up. A bad frame gets an ERROR frame and closes that
 * connection only. Stopping is graceful: batches already received are committed and
 * acknowledged before the connections close.
 * With plumb.gatherer.tls.* set the port speaks only TLS; a plaintext agent is told so in
 * an ERROR frame ({@link ProtocolSniffer}).
 */
@Component
public class GathererServer implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(GathererServer.class);

    private final GathererProperties properties;
    private final IngestStore store;
    private final TokenCheck tokens;
    private final MeterRegistry registry;
    private final AtomicInteger connected = new AtomicInteger();
    private final AtomicInteger framesInFlight = new AtomicInteger();
    private final java.util.Set<Connection> connections = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private IngestMetrics metrics;
    private BatchWriter writer;
    private ExecutorService decoders;
    private Scheduler decoderScheduler;
    private volatile boolean draining;
    private volatile DisposableServer server;

    public GathererServer(GathererProperties properties, IngestStore store, ObjectProvider<MeterRegistry> registry) {
        this.properties = properties;
        this.store = store;
        this.tokens = new TokenCheck(properties.tokens());
        this.registry = registry.getIfAvailable(SimpleMeterRegistry::new);
    }

    @Override
    public void start() {
        if (!tokens.required()) {
            log.warn("no agent token configured (plumb.gatherer.tokens / --token): any agent may connect");
        }
        draining = false;
        metrics = new IngestMetrics(registry, connected::get, () -> writer == null ? 0 : writer.queued());
        writer = new BatchWriter(store, metrics, properties.writerThreads(), properties.queueCapacity(),
                properties.maxGroupEvents());
        decoders = Executors.newFixedThreadPool(properties.decoderThreads(), r -> {
            Thread t = new Thread(r, "plumb-ingest-decoder");
            t.setDaemon(true);
            return t;
        });
        decoderScheduler = Schedulers.fromExecutorService(decoders);
        boolean tls = properties.tls().enabled();
        TcpServer tcp = TcpServer.create()
                .host(properties.host())
                .port(properties.port())
                .doOnChannelInit((observer, channel, remoteAddress) -> {
                    ChannelPipeline pipeline = channel.pipeline();
                    if (pipeline.get(NettyPipeline.SslHandler) != null) {
                        pipeline.addBefore(NettyPipeline.SslHandler, "plumb.protocolSniffer", new ProtocolSniffer(true));
                        pipeline.addAfter(NettyPipeline.SslHandler, "plumb.tlsHandshakeLog", new TlsHandshakeLog());
                    } else {
                        pipeline.addFirst("plumb.protocolSniffer", new ProtocolSniffer(tls));
                    }
                })
                .doOnConnection(this::onConnection)
                .handle(this::serve);
        if (tls) {
            SslContext ssl = serverSslContext(properties.tls());
            tcp = tcp.secure(spec -> spec.sslContext(ssl));
        }
        server = tcp.bindNow(Duration.ofSeconds(30));
        log.info("gatherer listening for agents on {}:{}{}", properties.host(), server.port(),
                tls ? " (TLS only, certificate " + properties.tls().certificate() + ")" : "");
    }

    /** Reads the PEM files now, so that a wrong path or key stops the start with a message saying which. */
    static SslContext serverSslContext(GathererProperties.Tls tls) {
        File certificate = new File(tls.certificate());
        File key = new File(tls.privateKey());
        for (File f : new File[] {certificate, key}) {
            if (!f.isFile() || !f.canRead()) {
                throw new IllegalStateException("plumb.gatherer.tls: cannot read " + f
                        + (f == certificate ? " (certificate)" : " (private key)"));
            }
        }
        try {
            return SslContextBuilder.forServer(certificate, key).build();
        } catch (SSLException | IllegalArgumentException e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            throw new IllegalStateException("plumb.gatherer.tls: cannot use certificate " + certificate + " with key " + key
                    + ": " + root.getMessage() + " (PEM files expected; the key as unencrypted PKCS#8, 'BEGIN PRIVATE KEY')", e);
        }
    }

    private void onConnection(Connection connection) {
        connection.addHandlerLast(new LengthFieldBasedFrameDecoder(FrameCodec.MAX_FRAME_BYTES + 4, 0, 4, 0, 4, true));
        connected.incrementAndGet();
        connections.add(connection);
        connection.onDispose(() -> {
            connected.decrementAndGet();
            connections.remove(connection);
        });
    }

    private Mono<Void> serve(NettyInbound in, NettyOutbound out) {
        String[] remoteHolder = {"?"};
        in.withConnection(c -> remoteHolder[0] = String.valueOf(c.channel().remoteAddress()));
        String remote = remoteHolder[0];
        AgentConnection agent = new AgentConnection(store, writer, tokens, remote);
        Flux<byte[]> replies = in.receive().asByteArray()
                .concatMap(body -> reply(agent, body), 1)
                .onErrorResume(e -> Mono.just(toErrorFrame(e, remote)))
                .takeUntil(frame -> frame instanceof ErrorFrame)
                .map(FrameCodec::encode);
        return out.sendByteArray(replies).then();
    }

    private Mono<Frame> reply(AgentConnection agent, byte[] body) {
        long receivedNanos = System.nanoTime();
        framesInFlight.incrementAndGet();
        return Mono.fromCallable(() -> {
                    if (draining) {
                        throw new WireException(ErrorCode.INTERNAL,
                                "the gatherer is shutting down; reconnect and resend (nothing was stored)");
                    }
                    return agent.handle(body, receivedNanos);
                })
                .subscribeOn(decoderScheduler)
                .flatMap(Mono::fromFuture)
                .doFinally(signal -> framesInFlight.decrementAndGet());
    }

    private Frame toErrorFrame(Throwable e, String remote) {
        Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
        ErrorFrame frame;
        if (cause instanceof WireException w) {
            log.info("rejected frame from {}: {}", remote, w.getMessage());
            frame = w.toFrame();
        } else if (cause instanceof TooLongFrameException || cause.getCause() instanceof TooLongFrameException) {
            frame = new ErrorFrame(ErrorCode.FRAME_TOO_LARGE, "frame exceeds the limit of "
                    + FrameCodec.MAX_FRAME_BYTES + " bytes");
        } else {
            log.warn("connection from {} failed", remote, cause);
            frame = new ErrorFrame(ErrorCode.INTERNAL, "internal gatherer error: " + cause.getClass().getSimpleName());
        }
        metrics.rejected(frame.code());
        return frame;
    }

    /** The bound port (useful when configured as 0). */
    public int port() {
        DisposableServer s = server;
        if (s == null) {
            throw new IllegalStateException("gatherer is not running");
        }
        return s.port();
    }

    public int connectedAgents() {
        return connected.get();
    }

    @Override
    public void stop() {
        DisposableServer s = server;
        if (s == null) {
            return;
        }
        // Graceful: stop accepting and taking new frames, commit and acknowledge what was
        // received, then close. An agent whose batch is refused or whose ACK never comes
        // resends it to the next gatherer, which recognises it by sequence number.
        draining = true;
        s.dispose();
        try {
            Duration timeout = properties.shutdownTimeout();
            boolean drained = writer.drainAndStop(timeout);
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (framesInFlight.get() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10); // replies are being written by the event loops
            }
            log.info("gatherer stopped: {}", drained ? "every batch received was stored and acknowledged"
                    : "some batches were not stored within " + timeout + "; their agents will resend them");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Connection c : connections) {
            c.channel().writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER)
                    .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
        }
        s.onDispose().block(Duration.ofSeconds(10));
        server = null;
        decoders.shutdown();
    }

    @Override
    public boolean isRunning() {
        return server != null;
    }
}
