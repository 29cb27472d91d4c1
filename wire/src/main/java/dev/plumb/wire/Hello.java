package dev.plumb.wire;

import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * First frame on every connection, agent to gatherer. {@code sessionId} is chosen by the
 * agent so that a reconnect continues the same session instead of starting a new one.
 */
public record Hello(int protocolVersion, String token, UUID sessionId, String host, String service,
                    String deployment, int pid, String exe, long startedAtMicros,
                    Map<String, String> labels) implements Frame {
    public Hello {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(deployment, "deployment");
        Objects.requireNonNull(exe, "exe");
        labels = Map.copyOf(labels);
    }

    @Override
    public FrameType type() {
        return FrameType.HELLO;
    }

    /** Never print the token. */
    @Override
    public String toString() {
        return "Hello[v" + protocolVersion + " session=" + sessionId + " host=" + host + " service=" + service
                + " deployment=" + deployment + " pid=" + pid + " exe=" + exe + "]";
    }
}
