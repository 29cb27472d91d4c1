package dev.plumb.gatherer.ingest;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings of the TCP ingest.
 *
 * @param host          address to bind
 * @param port          TCP port agents connect to (0 picks a free one)
 * @param tokens        accepted agent tokens; empty accepts any agent (a warning is logged)
 * @param writerThreads blocking JDBC writers; the read side waits when they are all busy
 */
@ConfigurationProperties("plumb.gatherer")
public record GathererProperties(String host, @DefaultValue("7070") int port, List<String> tokens,
                                 @DefaultValue("4") int writerThreads) {
    public GathererProperties {
        host = host == null || host.isBlank() ? "0.0.0.0" : host;
        tokens = tokens == null ? List.of() : tokens.stream().filter(t -> !t.isBlank()).toList();
        writerThreads = writerThreads <= 0 ? 4 : writerThreads;
    }
}
