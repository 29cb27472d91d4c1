package dev.plumb.gatherer.ingest;

import dev.plumb.gatherer.store.IngestStore;
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
 * TCP ingest. Each connection's frames are handled strictly one after another on a bounded
 * pool of blocking JDBC writers; while a frame is being stored no more is read from that
 * socket (Reactor's demand turns off auto-read), so a slow database slows agents down
 * instead of filling the gatherer's memory. A bad frame gets an ERROR frame and closes that
 * connection only. With plumb.gatherer.tls.* set the port speaks only TLS; a plaintext agent
 * is told so in an ERROR frame ({@link ProtocolSniffer}).
 */
@Component
public class GathererServer implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(GathererServer.class);

    private final GathererProperties properties;
    private final IngestStore store;
    private final TokenCheck tokens;
    private final AtomicInteger connected = new AtomicInteger();
    private final java.util.Set<Connection> connections = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private ExecutorService writers;
    private Scheduler writerScheduler;
    private volatile DisposableServer server;

    public GathererServer(GathererProperties properties, IngestStore store) {
        this.properties = properties;
        this.store = store;
        this.tokens = new TokenCheck(properties.tokens());
    }

    @Override
    public void start() {
        if (!tokens.required()) {
            log.warn("no agent token configured (plumb.gatherer.tokens / --token): any agent may connect");
        }
        writers = Executors.newFixedThreadPool(properties.writerThreads(), r -> {
            Thread t = new Thread(r, "plumb-ingest-writer");
            t.setDaemon(true);
            return t;
        });
        writerScheduler = Schedulers.fromExecutorService(writers);
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
        AgentConnection agent = new AgentConnection(store, tokens, remote);
        Flux<byte[]> replies = in.receive().asByteArray()
                .concatMap(body -> Mono.fromCallable(() -> agent.handle(body)).subscribeOn(writerScheduler), 1)
                .onErrorResume(e -> Mono.just(toErrorFrame(e, remote)))
                .takeUntil(frame -> frame instanceof ErrorFrame)
                .map(FrameCodec::encode);
        return out.sendByteArray(replies).then();
    }

    private static Frame toErrorFrame(Throwable e, String remote) {
        if (e instanceof WireException w) {
            log.info("rejected frame from {}: {}", remote, w.getMessage());
            return w.toFrame();
        }
        if (e instanceof TooLongFrameException || e.getCause() instanceof TooLongFrameException) {
            return new ErrorFrame(ErrorCode.FRAME_TOO_LARGE, "frame exceeds the limit of "
                    + FrameCodec.MAX_FRAME_BYTES + " bytes");
        }
        log.warn("connection from {} failed", remote, e);
        return new ErrorFrame(ErrorCode.INTERNAL, "internal gatherer error: " + e.getClass().getSimpleName());
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
        if (s != null) {
            // Stop accepting, then cut the agents off: a batch being stored still commits (or
            // rolls back) on its writer thread, and an agent that misses its ACK resends the
            // batch to the next gatherer, which recognises it by sequence number.
            s.dispose();
            connections.forEach(Connection::dispose);
            s.onDispose().block(Duration.ofSeconds(10));
            server = null;
        }
        if (writers != null) {
            writers.shutdown();
        }
    }

    @Override
    public boolean isRunning() {
        return server != null;
    }
}
