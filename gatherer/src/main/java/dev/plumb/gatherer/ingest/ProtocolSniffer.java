package dev.plumb.gatherer.ingest;

import dev.plumb.wire.ErrorCode;
import dev.plumb.wire.ErrorFrame;
import dev.plumb.wire.FrameCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslHandler;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First in an agent connection's pipeline: looks at the first bytes and, when the client
 * speaks the other protocol than this port (plaintext to a TLS gatherer, TLS to a plaintext
 * one), answers with a plaintext ERROR frame and closes, instead of leaving both sides with a
 * garbled stream: a plaintext agent shows the message to its user, a TLS client fails its
 * handshake at once on a reply that is not TLS, and the gatherer's log says which it was.
 * Otherwise it steps out of the pipeline.
 */
final class ProtocolSniffer extends ByteToMessageDecoder {
    private static final Logger log = LoggerFactory.getLogger(ProtocolSniffer.class);
    /** A TLS record header: content type, version, length. */
    private static final int PEEK_BYTES = 5;

    private final boolean tls;
    private boolean refused;

    ProtocolSniffer(boolean tls) {
        this.tls = tls;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (refused) {
            in.skipBytes(in.readableBytes()); // until the close takes effect
            return;
        }
        if (in.readableBytes() < PEEK_BYTES) {
            return;
        }
        boolean clientSpeaksTls = SslHandler.isEncrypted(in, false);
        if (clientSpeaksTls == tls) {
            ctx.pipeline().remove(this); // the bytes read so far are passed on
            return;
        }
        refused = true;
        in.skipBytes(in.readableBytes());
        String remote = String.valueOf(ctx.channel().remoteAddress());
        String message;
        if (tls) {
            log.info("agent {} connected without TLS; this gatherer only accepts TLS", remote);
            message = "this gatherer only accepts TLS connections; connect with --tls"
                    + " (and --tls-ca FILE if its certificate is not in the default trust store)";
        } else {
            log.info("client {} started a TLS handshake, but this gatherer has no certificate"
                    + " (plumb.gatherer.tls.*, --tls-cert/--tls-key); run the agent without --tls or give the gatherer one",
                    remote);
            message = "this gatherer does not speak TLS";
        }
        // Written from here, in front of any TLS handler, so in plaintext: a plaintext agent shows
        // the message, and a TLS client's handshake fails on a reply that is not TLS at all.
        ctx.writeAndFlush(Unpooled.wrappedBuffer(FrameCodec.encode(new ErrorFrame(ErrorCode.PROTOCOL_VIOLATION, message))))
                .addListener(ChannelFutureListener.CLOSE);
    }
}
