package dev.plumb.agent.ship;

/** HOST:PORT of a gatherer, parsed with a message that says what was wrong. */
public record GathererAddress(String host, int port) {
    public static final int DEFAULT_PORT = 7070;

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

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
