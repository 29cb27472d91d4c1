package dev.plumb.wire;

/** The batch with this sequence number (and all before it) is committed. */
public record Ack(long seq) implements Frame {
    @Override
    public FrameType type() {
        return FrameType.ACK;
    }
}
