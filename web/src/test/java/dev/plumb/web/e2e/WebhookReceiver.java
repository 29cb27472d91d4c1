package dev.plumb.web.e2e;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real HTTP server standing in for Alertmanager: collects every JSON body POSTed to /hook.
 * The first failFirst requests are answered 503, so the sender's retries are exercised.
 */
final class WebhookReceiver implements AutoCloseable {
    private final HttpServer server;
    private final List<JsonNode> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();

    WebhookReceiver(int failFirst) throws IOException {
        JsonMapper json = JsonMapper.builder().build();
        server = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
        server.createContext("/hook", exchange -> {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            int status = 200;
            if (requests.incrementAndGet() <= failFirst) {
                status = 503;
            } else if (!"POST".equals(exchange.getRequestMethod())) {
                status = 405;
            } else {
                received.add(json.readTree(body));
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
    }

    String url() {
        return "http://localhost:" + server.getAddress().getPort() + "/hook";
    }

    List<JsonNode> received() {
        return received;
    }

    int requests() {
        return requests.get();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
