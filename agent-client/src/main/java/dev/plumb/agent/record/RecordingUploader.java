package dev.plumb.agent.record;

import dev.plumb.agent.ship.GathererAddress;
import dev.plumb.agent.ship.GathererClient;
import dev.plumb.wire.Batch;
import dev.plumb.wire.Frame;
import dev.plumb.wire.FrameReader;
import dev.plumb.wire.FrameCodec;
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
            List<Session> done = new java.util.ArrayList<>();
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
                if (frame instanceof Hello hello && hello.protocolVersion() < FrameCodec.OLDEST_SUPPORTED_VERSION) {
                    // its batches have the old layout: refuse by name instead of calling them damaged
                    damage = "recorded with protocol version " + hello.protocolVersion() + " (an older plumb), at byte "
                            + at + "; this plumb reads version " + FrameCodec.OLDEST_SUPPORTED_VERSION
                            + " and newer. Upload it with the plumb that recorded it";
                    break;
                }
                if (frame instanceof Hello hello) {
                    if (session != null) {
                        if (!session.ended) {
                            session.endAtLastEvent(); // the agent was cut off mid-session
                        }
                        session.finish();
                    }
                    session = new Session(GathererClient.connect(gatherer, withToken(hello)), hello.startedAtMicros());
                    done.add(session);
                } else if (frame instanceof Batch batch && session != null) {
                    session.add(batch);
                } else {
                    damage = "damaged at byte " + at + ": " + (frame instanceof Batch
                            ? "a batch before any session header" : "an unexpected " + frame.type() + " frame");
                    break;
                }
            }
            if (session != null) {
                if (!session.ended) {
                    session.endAtLastEvent();
                }
                session.finish();
            }
            if (damage != null) {
                out.println("plumb: " + recording + " is " + damage + "; the intact part before it was uploaded");
            }
            return new Result(done.size(), done.stream().mapToLong(s -> s.sent).sum(),
                    done.stream().mapToLong(s -> s.skipped).sum(), damage);
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
        long skipped;
        boolean ended;

        Session(GathererClient client, long startedAtMicros) {
            this.client = client;
            this.lastEventMicros = startedAtMicros; // a session cut before its first event ends where it began
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
                sent++;
            } else {
                skipped++;
            }
        }

        /** Waits for the gatherer to commit everything sent. */
        void finish() throws IOException {
            client.awaitAck(Math.max(lastSeq, client.lastCommittedSeq()), ACK_TIMEOUT);
            client.close();
        }

        /** The recording lost this session's end: close it at its last event with an empty batch. */
        void endAtLastEvent() throws IOException {
            add(new Batch(lastSeq + 1, List.of(), List.of(), List.of(), Math.max(1, lastEventMicros)));
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
