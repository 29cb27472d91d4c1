package dev.plumb.wire;

/**
 * Gatherer's answer to a valid {@link Hello}. {@code lastCommittedSeq} is the highest batch
 * sequence already stored for this session (0 for a new one): the agent resends only what
 * comes after it.
 */
public record Welcome(int protocolVersion, long lastCommittedSeq) implements Frame {
    @Override
    public FrameType type() {
        return FrameType.WELCOME;
    }
}
