package dev.plumb.web.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.agent.cli.AgentCli;
import dev.plumb.agent.run.ProfiledRun;
import dev.plumb.agent.ship.GathererAddress;
import dev.plumb.agent.ship.GathererClient;
import dev.plumb.agent.ship.GathererRejectedException;
import dev.plumb.agent.ship.GathererTls;
import dev.plumb.agent.ship.SessionLabels;
import dev.plumb.web.cli.PlumbCli;
import dev.plumb.web.cli.RunningServer;
import dev.plumb.web.cli.ServerOptions;
import dev.plumb.web.cli.ServerRole;
import dev.plumb.web.support.TestCertificates;
import dev.plumb.wire.Batch;
import dev.plumb.wire.ErrorCode;
import dev.plumb.wire.ErrorFrame;
import dev.plumb.wire.Frame;
import dev.plumb.wire.FrameCodec;
import dev.plumb.wire.FrameReader;
import dev.plumb.wire.Hello;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Agents and a gatherer over TLS (plumb.gatherer.tls.*): a real program under the capture
 * library delivers over TLS; an untrusted or misnamed certificate, a plaintext agent at the TLS
 * port and a TLS agent at a plaintext port each end in one line that says what is wrong, the
 * program still runs, its profile is kept for `plumb upload`, and the gatherer goes on serving.
 * The gatherer's certificate names only DNS:localhost, so that dialling 127.0.0.1 shows the
 * host name is checked.
 */
class GathererTlsEndToEndTest {
    static final int REQUESTS = 200;

    @TempDir
    static Path dir;
    static TestCertificates certificate;
    static TestCertificates stranger;
    static RunningServer server;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        certificate = TestCertificates.selfSigned(dir, "gatherer", "DNS:localhost");
        stranger = TestCertificates.selfSigned(dir, "stranger");
        server = RunningServer.start(new ServerOptions(0, 0, dir.resolve("data"), null, null, null, null, List.of(
                "--plumb.gatherer.tls.certificate=" + certificate.certificate(),
                "--plumb.gatherer.tls.private-key=" + certificate.privateKey())));
        port = server.gathererPort();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    static DataSource db() {
        return server.context().getBean(DataSource.class);
    }

    static Path leaky() {
        return Path.of(System.getProperty("plumb.root"), "examples", "target", "leaky");
    }

    record Cli(int exit, String err) {
        /** Every line is plumb's own one-line message: no stack trace, no exception class names. */
        Cli assertOnlyPlumbLines() {
            assertThat(err.lines().toList()).as(err).allMatch(line -> line.startsWith("plumb: "));
            assertThat(err).doesNotContain("Exception").doesNotContain("\tat ");
            return this;
        }
    }

    static Cli plumb(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = AgentCli.newCommandLine(new PlumbCli());
        cli.setOut(new PrintWriter(new StringWriter(), true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Cli(exit, err.toString());
    }

    static Path onlyFileIn(Path spool) throws IOException {
        try (var files = Files.list(spool)) {
            List<Path> all = files.toList();
            assertThat(all).hasSize(1);
            return all.get(0);
        }
    }

    @Test
    void anAgentThatTrustsTheCertificateDeliversARealProgramsProfileOverTls() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        GathererAddress gatherer = new GathererAddress("localhost", port).withTls(GathererTls.trusting(certificate.certificate()));
        int exit = new ProfiledRun(List.of(leaky().toString(), "--requests", String.valueOf(REQUESTS), "--interval-ms", "1"),
                gatherer, new SessionLabels("tls-host", "leaky-tls", "v1", "", Map.of()), Duration.ofSeconds(30),
                new PrintStream(out, true)).run();
        assertThat(exit).as("%s", out).isZero();
        assertThat(out.toString()).doesNotContain("NOT delivered").doesNotContain("saved in");
        assertThat(StoredLeaks.ofRequestTraces(db(), "leaky-tls")).isEqualTo(new StoredLeaks(REQUESTS, REQUESTS * 4096L, 1, 0));
    }

    @Test
    void anUntrustedCertificateIsOneClearLineTheProgramRunsAndItsProfileUploadsOnceTrusted() throws Exception {
        Path spool = dir.resolve("spool-untrusted");
        Cli run = plumb("run", "--gatherer", "localhost:" + port, "--tls-ca", stranger.certificate().toString(),
                "--service", "leaky-untrusted", "--spool-dir", spool.toString(), "--flush-timeout", "5",
                "--stats-interval", "0", "--", leaky().toString(), "--requests", "50", "--interval-ms", "0")
                .assertOnlyPlumbLines();
        assertThat(run.exit()).as("the program's own exit code; %s", run.err()).isZero();
        assertThat(run.err()).contains("the gatherer at localhost:" + port + " presented a certificate this agent does not trust")
                .contains("--tls-ca FILE").contains("running " + leaky() + " anyway")
                .contains("plumb upload --gatherer localhost:" + port + " --tls --tls-ca " + stranger.certificate());
        assertThat(StoredLeaks.ofRequestTraces(db(), "leaky-untrusted").count()).isZero();

        // the JVM's own trust store does not know a self-signed certificate either
        Path saved = onlyFileIn(spool);
        Cli defaultTrust = plumb("upload", "--gatherer", "localhost:" + port, "--tls", saved.toString()).assertOnlyPlumbLines();
        assertThat(defaultTrust.exit()).isEqualTo(1);
        assertThat(defaultTrust.err()).contains("does not trust");

        Cli upload = plumb("upload", "--gatherer", "localhost:" + port, "--tls-ca", certificate.certificate().toString(),
                saved.toString());
        assertThat(upload.exit()).as(upload.err()).isZero();
        assertThat(StoredLeaks.ofRequestTraces(db(), "leaky-untrusted")).isEqualTo(new StoredLeaks(50, 50 * 4096L, 1, 0));
    }

    @Test
    void theCertificateMustNameTheHostTheAgentDialled() throws Exception {
        Cli upload = plumb("upload", "--gatherer", "127.0.0.1:" + port, "--tls-ca", certificate.certificate().toString(),
                recording("misnamed").toString()).assertOnlyPlumbLines();
        assertThat(upload.exit()).isEqualTo(1);
        assertThat(upload.err()).contains("the gatherer's certificate does not name 127.0.0.1");
    }

    @Test
    void aPlaintextAgentIsToldTheGathererWantsTlsNothingIsStoredAndOthersAreStillServed() throws Exception {
        // the protocol level: a plaintext HELLO gets a plaintext ERROR, then the connection closes
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(FrameCodec.encode(hello("plaintext-raw")));
            FrameReader in = new FrameReader(socket.getInputStream());
            Frame reply = in.read();
            assertThat(reply).isInstanceOf(ErrorFrame.class);
            assertThat(((ErrorFrame) reply).code()).isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
            assertThat(((ErrorFrame) reply).message()).contains("only accepts TLS connections; connect with --tls");
            assertThat(in.read()).as("closed after the error").isNull();
        }

        // what a user sees
        Path spool = dir.resolve("spool-plaintext");
        Cli run = plumb("run", "--gatherer", "localhost:" + port, "--service", "leaky-plaintext", "--spool-dir",
                spool.toString(), "--flush-timeout", "5", "--stats-interval", "0", "--", leaky().toString(),
                "--requests", "20", "--interval-ms", "0").assertOnlyPlumbLines();
        assertThat(run.exit()).isZero();
        assertThat(run.err()).contains("gatherer refused: this gatherer only accepts TLS connections; connect with --tls")
                .contains("saved in " + spool);
        assertThat(StoredLeaks.ofRequestTraces(db(), "leaky-plaintext").count()).isZero();
        assertThat(count("SELECT count(*) FROM sessions WHERE service IN ('leaky-plaintext', 'plaintext-raw')")).isZero();

        // and the gatherer serves the next TLS agent as usual
        GathererAddress tls = new GathererAddress("localhost", port).withTls(GathererTls.trusting(certificate.certificate()));
        try (GathererClient client = GathererClient.connect(tls, hello("after-plaintext"))) {
            client.send(new Batch(1, List.of(new Batch.StackDef(1, List.of(new Batch.StackFrame("f", "m", "f.c", 1)))),
                    List.of(new Batch.Alloc(1, 1, 64, 1_000_000)), List.of(), 2_000_000));
            client.awaitAck(1, Duration.ofSeconds(30));
        }
        assertThat(count("SELECT count(*) FROM allocations a JOIN sessions s ON s.id = a.session_id"
                + " WHERE s.service = 'after-plaintext'")).isEqualTo(1);
    }

    @Test
    void aTlsAgentAtAPlaintextGathererIsToldItDoesNotSpeakTls() throws Exception {
        var env = server.context().getEnvironment();
        try (RunningServer plain = RunningServer.start(new ServerOptions(0, 0, null, env.getProperty("spring.datasource.url"),
                env.getProperty("spring.datasource.username"), "", null, List.of()), ServerRole.GATHERER)) {
            int plainPort = plain.gathererPort();
            GathererAddress address = new GathererAddress("localhost", plainPort)
                    .withTls(GathererTls.trusting(certificate.certificate()));
            IOException refused = GathererClient.probe(address, 10_000);
            assertThat(refused).isInstanceOf(GathererRejectedException.class)
                    .hasMessageContaining("the gatherer at localhost:" + plainPort + " does not speak TLS");

            Cli run = plumb("run", "--gatherer", "localhost:" + plainPort, "--tls-ca", certificate.certificate().toString(),
                    "--spool-dir", dir.resolve("spool-plain").toString(), "--flush-timeout", "5", "--stats-interval", "0",
                    "--", "/bin/sh", "-c", "exit 4").assertOnlyPlumbLines();
            assertThat(run.exit()).isEqualTo(4);
            assertThat(run.err().lines().findFirst().orElseThrow())
                    .startsWith("plumb: the gatherer at localhost:" + plainPort + " does not speak TLS")
                    .contains("running /bin/sh anyway");
        }
    }

    static Hello hello(String service) {
        return new Hello(FrameCodec.PROTOCOL_VERSION, "", UUID.randomUUID(), "h", service, "v1", 1, "/bin/x",
                System.currentTimeMillis() * 1000, Map.of());
    }

    static Path recording(String service) {
        Path file = dir.resolve(service + ".plumb");
        Cli record = plumb("record", "-o", file.toString(), "--service", service, "--", "/bin/true");
        assertThat(record.exit()).as(record.err()).isZero();
        return file;
    }

    static long count(String sql) throws Exception {
        try (var c = db().getConnection(); var s = c.createStatement(); var rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
