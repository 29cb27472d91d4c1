package dev.plumb.web.alerts;

import io.netty.channel.ChannelOption;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientResponseException;
import reactor.netty.http.client.HttpClient;
import reactor.util.retry.Retry;
import tools.jackson.databind.ObjectMapper;

/**
 * POSTs webhook messages to every configured URL, asynchronously: the evaluator hands a
 * message over and moves on. Each attempt has a timeout; failures (connection errors, 5xx,
 * timeouts) are retried with exponential backoff and jitter; a 4xx is not retried — the
 * receiver rejected the message and will again. After the last retry the failure is logged.
 */
@Component
public class WebhookSender {
    private static final Logger log = LoggerFactory.getLogger(WebhookSender.class);

    private final AlertProperties properties;
    private final ObjectMapper json;
    private final WebClient client;

    public WebhookSender(AlertProperties properties, ObjectMapper json) {
        this.properties = properties;
        this.json = json;
        HttpClient http = HttpClient.create()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) properties.webhookTimeout().toMillis())
                .responseTimeout(properties.webhookTimeout());
        this.client = WebClient.builder().clientConnector(new ReactorClientHttpConnector(http)).build();
    }

    /** @param onDelivered run once per receiver that accepted the message */
    public void send(AlertmanagerMessage message, Runnable onDelivered) {
        byte[] body = json.writeValueAsBytes(message);
        Duration timeout = properties.webhookTimeout();
        for (String url : properties.webhookUrls()) {
            if (url == null || url.isBlank()) {
                continue;
            }
            client.post().uri(url.trim())
                    .contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(body)
                    .retrieve()
                    .toBodilessEntity()
                    .timeout(timeout)
                    .retryWhen(Retry.backoff(properties.webhookRetries(), properties.webhookBackoff())
                            .maxBackoff(Duration.ofMinutes(1))
                            .filter(WebhookSender::worthRetrying))
                    .subscribe(ok -> onDelivered.run(),
                            e -> log.warn("alert webhook {} failed for {} ({}): {}", message.status(),
                                    message.alerts().get(0).fingerprint(), url, e.toString()));
        }
    }

    private static boolean worthRetrying(Throwable e) {
        return !(e instanceof WebClientResponseException r && r.getStatusCode().is4xxClientError());
    }
}
