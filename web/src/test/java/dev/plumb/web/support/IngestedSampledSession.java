package dev.plumb.web.support;

import dev.plumb.gatherer.store.IngestStore;
import dev.plumb.gatherer.store.Partitions;
import dev.plumb.gatherer.store.PendingBatch;
import dev.plumb.wire.Batch;
import dev.plumb.wire.FrameCodec;
import dev.plumb.wire.Hello;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * A sampled-mode session written through the gatherer's real ingest path (IngestStore, one batch
 * per simulated second, frees arriving in later batches than their allocations), so its rollup is
 * the one the gatherer keeps incrementally, not one rebuilt from raw rows. 120 s long from
 * {@link #START_US}, five backtraces, deterministic (fixed seed): every recorded allocation carries
 * the weight of Poisson sampling by bytes with a 512 KiB mean, 1 / (1 − e^(−size/mean)), so counts
 * and bytes are fractional sums as in production; times are arbitrary microseconds.
 */
public final class IngestedSampledSession {
    public static final long START_US = 1_714_600_000_000_000L + 123_456; // not on a second
    public static final long DURATION_US = 120_000_000L;
    private static final double MEAN = 512 * 1024;
    private static final String[][] STACKS = {
        {"cache::insert", "cache::get_or_load", "server::handle"},
        {"json::parse", "server::handle"},
        {"buffer::grow", "io::read", "server::handle"},
        {"session::new", "server::accept"},
        {"metrics::histogram", "main"},
    };

    private IngestedSampledSession() {
    }

    /** Writes the session; returns its id. */
    public static long create(DataSource ds, String service) throws Exception {
        IngestStore store = new IngestStore(ds, new Partitions(ds));
        Hello hello = new Hello(FrameCodec.PROTOCOL_VERSION, "", UUID.randomUUID(), "host-s", service, "sampled",
                77, "/usr/bin/sampled", START_US, Map.of());
        IngestStore.OpenedSession session = store.openSession(hello);
        Random random = new Random(20240501L);
        List<Batch.StackDef> stackDefs = new ArrayList<>();
        for (int i = 0; i < STACKS.length; i++) {
            List<Batch.StackFrame> frames = new ArrayList<>();
            for (String f : STACKS[i]) {
                frames.add(new Batch.StackFrame(f, "sampled", "src/" + f.replace("::", "/") + ".rs", 7 + i));
            }
            stackDefs.add(new Batch.StackDef(i + 1, frames));
        }
        // events by second of the session: allocations made in it, frees happening in it
        int seconds = (int) (DURATION_US / 1_000_000L);
        List<List<Batch.Alloc>> allocsBySecond = new ArrayList<>();
        List<List<Batch.Free>> freesBySecond = new ArrayList<>();
        for (int s = 0; s <= seconds; s++) {
            allocsBySecond.add(new ArrayList<>());
            freesBySecond.add(new ArrayList<>());
        }
        long allocId = 1;
        for (int s = 0; s < seconds; s++) {
            for (int k = 0; k < 25; k++) {
                int stack = 1 + random.nextInt(STACKS.length);
                long size = stack == 3 ? 65_536 + random.nextInt(2 * 1024 * 1024) : 16 + random.nextInt(4096);
                double weight = 1 / (1 - Math.exp(-size / MEAN));
                long at = START_US + s * 1_000_000L + random.nextInt(1_000_000);
                Batch.Alloc a = new Batch.Alloc(allocId++, stack, size, at, weight);
                allocsBySecond.get(s).add(a);
                // cache entries and sessions mostly stay (leaks); the rest is freed 1 ms – 20 s later
                boolean stays = (stack == 1 || stack == 4) ? random.nextInt(10) < 7 : random.nextInt(20) == 0;
                if (!stays) {
                    long freedAt = at + 1_000 + (long) (random.nextDouble() * 20_000_000);
                    if (freedAt < START_US + DURATION_US) {
                        freesBySecond.get((int) ((freedAt - START_US) / 1_000_000L)).add(Batch.Free.of(a, freedAt));
                    }
                }
            }
        }
        Map<Integer, Long> connectionStacks = new HashMap<>();
        for (int s = 0; s < seconds; s++) {
            List<Batch.Alloc> allocs = new ArrayList<>(allocsBySecond.get(s));
            allocs.sort((x, y) -> Long.compare(x.atMicros(), y.atMicros()));
            List<Batch.Free> frees = new ArrayList<>(freesBySecond.get(s));
            frees.sort((x, y) -> Long.compare(x.atMicros(), y.atMicros()));
            boolean last = s == seconds - 1;
            Batch batch = new Batch(s + 1, s == 0 ? stackDefs : List.of(), allocs, frees,
                    last ? START_US + DURATION_US : 0);
            PendingBatch pending = store.prepare(session, batch, connectionStacks);
            List<IngestStore.Outcome> outcomes = store.writeGroup(List.of(pending));
            if (!(outcomes.get(0) instanceof IngestStore.Outcome.Stored)) {
                throw new IllegalStateException("batch " + (s + 1) + " not stored: " + outcomes);
            }
        }
        return session.id();
    }
}
