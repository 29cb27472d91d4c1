package dev.plumb.agent.ship;

import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * How an agent talks TLS to a gatherer: whom it trusts (the JVM's trust store, or the PEM
 * certificates of one file) and, always, that the certificate names the host it dialled
 * (hostname verification as for HTTPS). A handshake that fails for a reason retrying will not
 * fix (an untrusted or misnamed certificate, a gatherer that does not speak TLS) becomes a
 * {@link GathererRejectedException} with a one-line explanation.
 */
public final class GathererTls {
    private final SSLContext context;
    private final Path caFile;

    private GathererTls(SSLContext context, Path caFile) {
        this.context = context;
        this.caFile = caFile;
    }

    /** Trusts what the JVM trusts (its cacerts, or javax.net.ssl.trustStore). */
    public static GathererTls withDefaultTrust() {
        try {
            return new GathererTls(SSLContext.getDefault(), null);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM has no default TLS context: " + e.getMessage(), e);
        }
    }

    /** Trusts exactly the certificates in a PEM file (a CA, or the gatherer's self-signed certificate). */
    public static GathererTls trusting(Path pemFile) throws IOException {
        return new GathererTls(PemTrust.sslContext(pemFile), pemFile);
    }

    /** The `plumb upload` flags that connect the same way, e.g. {@code --tls --tls-ca /etc/plumb/ca.pem}. */
    public String flags() {
        return caFile == null ? "--tls" : "--tls --tls-ca " + caFile;
    }

    /**
     * TLS over a connected socket, handshake done, host name verified. The socket's read
     * timeout bounds the handshake.
     */
    SSLSocket handshake(Socket connected, GathererAddress address) throws IOException {
        SSLSocket socket = (SSLSocket) context.getSocketFactory()
                .createSocket(connected, address.host(), address.port(), true);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        socket.setSSLParameters(parameters);
        try {
            socket.startHandshake();
            return socket;
        } catch (SSLException e) {
            socket.close();
            throw explain(e, address);
        }
    }

    /** A handshake cut off by the network is worth retrying; a refused one is not. */
    static IOException explain(SSLException e, GathererAddress address) {
        if (has(e, EOFException.class) || has(e, SocketException.class) || has(e, SocketTimeoutException.class)) {
            return new IOException("TLS handshake with the gatherer at " + address + " was cut off: " + root(e).getMessage(), e);
        }
        String detail = root(e).getMessage();
        String hint;
        if (detail != null && detail.contains("Unsupported or unrecognized SSL message")) {
            hint = "the gatherer at " + address + " does not speak TLS (give it --tls-cert/--tls-key, or connect without --tls)";
        } else if (has(e, CertPathBuilderException.class) || has(e, CertPathValidatorException.class)) {
            hint = "the gatherer at " + address + " presented a certificate this agent does not trust (" + detail
                    + "); pass --tls-ca FILE with that certificate or the CA that signed it";
        } else if (detail != null && (detail.contains("subject alternative") || detail.contains("No name matching"))) {
            hint = "the gatherer's certificate does not name " + address.host() + " (" + detail
                    + "); connect by a name it lists in subjectAltName";
        } else {
            hint = "TLS handshake with the gatherer at " + address + " failed: " + detail;
        }
        return new GathererRejectedException(hint, e);
    }

    private static boolean has(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static Throwable root(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    @Override
    public String toString() {
        return caFile == null ? "TLS (default trust store)" : "TLS (trusting " + caFile + ")";
    }
}
