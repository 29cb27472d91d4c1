package dev.plumb.gatherer.ingest;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One log line per failed TLS handshake (e.g. an agent that does not trust our certificate). */
final class TlsHandshakeLog extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(TlsHandshakeLog.class);

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof SslHandshakeCompletionEvent done) {
            if (!done.isSuccess()) {
                Throwable cause = done.cause();
                while (cause.getCause() != null && cause.getCause() != cause) {
                    cause = cause.getCause();
                }
                // A connection closed before any handshake (a reachability probe, or one the
                // ProtocolSniffer refused and logged) is not worth a line.
                if (!(cause instanceof java.nio.channels.ClosedChannelException) && cause.getMessage() != null) {
                    log.info("TLS handshake with {} failed: {}", ctx.channel().remoteAddress(), cause.getMessage());
                }
            }
            super.userEventTriggered(ctx, event);
            ctx.pipeline().remove(this);
            return;
        }
        super.userEventTriggered(ctx, event);
    }
}
