package dev.plumb.web.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Self-signed certificates made with the openssl CLI (as an operator would), for TLS tests:
 * an EC P-256 key and a certificate valid for two days whose subjectAltName is
 * DNS:localhost, IP:127.0.0.1 unless told otherwise.
 */
public record TestCertificates(Path certificate, Path privateKey) {

    public static TestCertificates selfSigned(Path dir, String name) {
        return selfSigned(dir, name, "DNS:localhost,IP:127.0.0.1");
    }

    public static TestCertificates selfSigned(Path dir, String name, String subjectAltName) {
        Path cert = dir.resolve(name + "-cert.pem");
        Path key = dir.resolve(name + "-key.pem");
        run(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key.toString(), "-out", cert.toString(), "-days", "2", "-subj", "/CN=" + name,
                "-addext", "subjectAltName=" + subjectAltName));
        return new TestCertificates(cert, key);
    }

    private static void run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run openssl (apt-get install openssl; .ci/run does)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
