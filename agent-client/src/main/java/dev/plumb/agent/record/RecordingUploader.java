package dev.plumb.agent.record;

import dev.plumb.agent.ship.GathererAddress;
import dev.plumb.agent.ship.GathererClient;
import dev.plumb.wire.Batch;
import dev.plumb.wire.Frame;
import dev.plumb.wire.FrameReader;
import dev.plumb.wire.Hello;
import dev.plumb.wire.WireException;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * `plumb upload`: replays a recording to a gatherer with the agent's own exactly-once rules.
 * The gatherer says which batch of each session it already has (WELCOME), so uploading the
 * same file twice, or after an interrupted upload, stores every batch once. A damaged file is
 * read up to the damage: the intact sessions and batches before it are uploaded, a session
 * whose end was lost is ended at its last event, and the damage is reported with its offset.
 */
public final class RecordingUploader {
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(120);

    private final GathererAddress gatherer;
    private final String token;
    private final PrintStream out;

    public RecordingUploader(GathererAddress gatherer, String token, PrintStream out) {
        this.gatherer = gatherer;
        this.token = token;
        this.out = out;
    }

    /** What an upload did: sessions and batches sent, and the damage it stopped at, if any. */
    public record Result(int sessions, long batchesSent, long batchesAlreadyStored, String damage) {
        public boolean complete() {
            return damage == null;
        }
    }

    public Result upload(Path recording) throws IOException {
        try (CountingInput counting = new CountingInput(new BufferedInputStream(Files.newInputStream(recording)))) {
            FrameReader reader = new FrameReader(counting);
            Session session = null;
            int sessions = 0;
            long sent = 0;
            long skipped = 0;
            String damage = null;
            while (true) {
                long at = counting.position;
                Frame frame;
                try {
                    frame = reader.read();
                } catch (WireException e) {
                    damage = "damaged at byte " + at + ": " + e.getMessage();
                    break;
                }
                if (frame == null) {
                    break;
                }
                if (frame instanceof Hello hello) {
                    if (session != null) {
                        sent += session.finish();
                    }
                    session = new Session(GathererClient.connect(gatherer, withToken(hello)));
                    sessions++;
                } else if (frame instanceof Batch batch && session != null) {
                    if (batch.seq() <= session.client.lastCommittedSeq()) {
                        skipped++;
                    }
                    session.add(batch);
                } else {
                    damage = "damaged at byte " + at + ": " + (frame instanceof Batch
                            ? "a batch before any session header" : "an unexpected " + frame.type() + " frame");
                    break;
                }
            }
            if (session != null) {
                sent += damage != null || !session.ended ? session.endAtLastEvent() : session.finish();
            }
            if (damage != null) {
                out.println("plumb: " + recording + " is " + damage + "; the intact part before it was uploaded");
            }
            return new Result(sessions, sent - skipped, skipped, damage);
        }
    }

    private Hello withToken(Hello h) {
        return new Hello(h.protocolVersion(), token, h.sessionId(), h.host(), h.service(), h.deployment(), h.pid(),
                h.exe(), h.startedAtMicros(), h.labels());
    }

    /** One session being replayed; batches are pipelined and the last one is awaited. */
    private static final class Session {
        final GathererClient client;
        long lastSeq;
        long lastEventMicros;
        long sent;
        boolean ended;

        Session(GathererClient client) {
            this.client = client;
        }

        void add(Batch batch) throws IOException {
            lastSeq = batch.seq();
            ended = batch.isFinal();
            for (Batch.Alloc a : batch.allocs()) {
                lastEventMicros = Math.max(lastEventMicros, a.atMicros());
            }
            for (Batch.Free f : batch.frees()) {
                lastEventMicros = Math.max(lastEventMicros, f.atMicros());
            }
            if (batch.seq() > client.lastCommittedSeq()) {
                client.send(batch);
            }
            sent++;
        }

        /** Waits for the gatherer to commit everything sent; returns the batches replayed. */
        long finish() throws IOException {
            client.awaitAck(Math.max(lastSeq, client.lastCommittedSeq()), ACK_TIMEOUT);
            client.close();
            return sent;
        }

        /** The recording lost this session's end: close it at its last event with an empty batch. */
        long endAtLastEvent() throws IOException {
            if (!ended) {
                add(new Batch(lastSeq + 1, List.of(), List.of(), List.of(), Math.max(1, lastEventMicros)));
            }
            return finish();
        }
    }

    /** Knows how many bytes were consumed, so damage is reported where it starts. */
    private static final class CountingInput extends FilterInputStream {
        long position;

        CountingInput(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                position++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                position += n;
            }
            return n;
        }
    }
}
