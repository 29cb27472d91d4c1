package dev.plumb.wire;

/**
 * One message of the agent-gatherer protocol. The byte layout of every frame is in
 * {@link FrameCodec}; docs/wire.md describes the conversation.
 */
public sealed interface Frame permits Hello, Welcome, Batch, Ack, ErrorFrame {
    FrameType type();
}
