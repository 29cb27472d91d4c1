package dev.plumb.agent.ship;

/**
 * HOST:PORT of a gatherer, parsed with a message that says what was wrong, and how to speak
 * to it: plaintext ({@code tls} null) or TLS.
 */
public record GathererAddress(String host, int port, GathererTls tls) {
    public static final int DEFAULT_PORT = 7070;

    public GathererAddress(String host, int port) {
        this(host, port, null);
    }

    public static GathererAddress parse(String text) {
        String s = text.trim();
        int colon = s.lastIndexOf(':');
        if (colon < 0) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("gatherer address is empty; expected HOST:PORT");
            }
            return new GathererAddress(s, DEFAULT_PORT);
        }
        String host = s.substring(0, colon).replace("[", "").replace("]", "");
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not HOST:PORT: the port is not a number");
        }
        if (port < 1 || port > 65535 || host.isEmpty()) {
            throw new IllegalArgumentException("'" + text + "' is not HOST:PORT with a port from 1 to 65535");
        }
        return new GathererAddress(host, port);
    }

    /** The same gatherer over TLS. */
    public GathererAddress withTls(GathererTls tls) {
        return new GathererAddress(host, port, tls);
    }

    /** `plumb upload` arguments that reach this gatherer the same way. */
    public String uploadFlags() {
        return "--gatherer " + this + (tls == null ? "" : " " + tls.flags());
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
