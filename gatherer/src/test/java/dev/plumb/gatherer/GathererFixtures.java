package dev.plumb.gatherer;

import dev.plumb.wire.FrameCodec;
import dev.plumb.wire.Hello;
import java.util.Map;
import java.util.UUID;

/** Frames and SQL snippets shared by the gatherer's tests. */
public final class GathererFixtures {
    private GathererFixtures() {
    }

    public static Hello hello(UUID session, String token) {
        return new Hello(FrameCodec.PROTOCOL_VERSION, token, session, "host-1", "svc", "v1", 42, "/bin/svc",
                System.currentTimeMillis() * 1000, Map.of("zone", "a"));
    }

    /** WHERE clause selecting the rows of the session with this agent session id. */
    public static String sessionFilter(UUID session) {
        return "session_id = (SELECT id FROM sessions WHERE agent_session = '" + session + "')";
    }
}
