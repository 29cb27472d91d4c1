package dev.plumb.gatherer.ingest;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings of the TCP ingest.
 *
 * @param host            address to bind
 * @param port            TCP port agents connect to (0 picks a free one)
 * @param tokens          accepted agent tokens; empty accepts any agent (a warning is logged)
 * @param writerThreads   database writers, each committing a group of batches at a time (about the
 *                        database's cores: more only contend for the same rows and WAL)
 * @param decoderThreads  threads decoding frames and resolving stacks before the writers
 * @param queueCapacity   batches waiting for a writer; when full, sockets are not read
 * @param maxGroupEvents  events (allocations + frees) a writer puts in one transaction
 * @param shutdownTimeout how long stopping waits for received batches to be committed
 * @param tls             certificate and key (PEM files): when both are set, the port only speaks TLS
 */
@ConfigurationProperties("plumb.gatherer")
public record GathererProperties(String host, @DefaultValue("7070") int port, List<String> tokens,
                                 @DefaultValue("2") int writerThreads, @DefaultValue("2") int decoderThreads,
                                 @DefaultValue("1024") int queueCapacity,
                                 @DefaultValue("500000") int maxGroupEvents,
                                 @DefaultValue("30s") Duration shutdownTimeout, Tls tls) {
    public GathererProperties {
        host = host == null || host.isBlank() ? "0.0.0.0" : host;
        tokens = tokens == null ? List.of() : tokens.stream().filter(t -> !t.isBlank()).toList();
        writerThreads = writerThreads <= 0 ? 2 : writerThreads;
        decoderThreads = decoderThreads <= 0 ? 2 : decoderThreads;
        queueCapacity = queueCapacity <= 0 ? 1024 : queueCapacity;
        maxGroupEvents = maxGroupEvents <= 0 ? 500_000 : maxGroupEvents;
        shutdownTimeout = shutdownTimeout == null ? Duration.ofSeconds(30) : shutdownTimeout;
        tls = tls == null ? new Tls(null, null) : tls;
    }

    /**
     * The agents' port over TLS.
     *
     * @param certificate PEM certificate chain the gatherer presents (server certificate first)
     * @param privateKey  PEM private key of that certificate (PKCS#8, unencrypted)
     */
    public record Tls(String certificate, String privateKey) {
        public Tls {
            certificate = certificate == null || certificate.isBlank() ? null : certificate;
            privateKey = privateKey == null || privateKey.isBlank() ? null : privateKey;
            if ((certificate == null) != (privateKey == null)) {
                throw new IllegalArgumentException("plumb.gatherer.tls needs both certificate and private-key (PEM files),"
                        + " or neither; got only " + (certificate != null ? "certificate" : "private-key"));
            }
        }

        public boolean enabled() {
            return certificate != null;
        }
    }
}
