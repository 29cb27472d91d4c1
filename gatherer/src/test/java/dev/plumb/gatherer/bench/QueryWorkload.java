package dev.plumb.gatherer.bench;

import java.util.PriorityQueue;

/**
 * The deterministic allocation workload of {@code bench/run query}, event for event the same as
 * bench/query_workload.c (which heaptrack records): the same integer-only pseudo-random sequence
 * (splitmix64), the same choices, the same order of allocations and frees. Here each event gets a
 * simulated time over {@code durationSeconds}; the C program runs the same sequence flat out.
 *
 * <p>Shape: {@link #STACKS} backtraces, chosen with Zipf-like popularity (weight 1/(i+1));
 * per backtrace a base size of 16 B – 4 KiB and a lifetime class — a few always leak, some are
 * long-lived (10–300 s, may outlive the session: leaked), some medium (1 ms – 10 s), the rest
 * temporaries (1 µs – 1 ms). Allocations are evenly spread over the duration with jitter; a
 * free happens if its time is before the session's end.
 */
public final class QueryWorkload {
    public static final int STACKS = 200;
    public static final int[] LEAKY = {3, 17, 42, 99, 150};
    private static final long[] CUMULATIVE = new long[STACKS];

    static {
        long sum = 0;
        for (int i = 0; i < STACKS; i++) {
            sum += 1_000_000L / (i + 1);
            CUMULATIVE[i] = sum;
        }
    }

    /** Receives the events in order. */
    public interface Sink {
        void alloc(long id, int stack, long size, long atMicros);

        void free(long id, int stack, long size, long allocatedAtMicros, long atMicros);
    }

    private final long allocations;
    private final long startMicros;
    private final long durationMicros;
    private long state;

    public QueryWorkload(long allocations, long startMicros, long durationSeconds, long seed) {
        this.allocations = allocations;
        this.startMicros = startMicros;
        this.durationMicros = durationSeconds * 1_000_000L;
        this.state = seed;
    }

    public long endMicros() {
        return startMicros + durationMicros;
    }

    /** splitmix64: the C program computes the same sequence with uint64_t. */
    private long next() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A uniform integer in [0, bound). */
    private long below(long bound) {
        return Long.remainderUnsigned(next(), bound);
    }

    static long baseSize(int stack) {
        return 16L << ((stack * 37) % 9);
    }

    /** Lifetime in µs, or -1 for never freed. */
    private long lifetime(int stack) {
        for (int leaky : LEAKY) {
            if (stack == leaky) {
                return -1;
            }
        }
        if (stack % 7 == 5) {
            return 10_000_000L + below(290_000_000L);
        }
        if (stack % 3 == 0) {
            return 1_000L + below(10_000_000L);
        }
        return 1 + below(1_000L);
    }

    private int stack() {
        long u = below(CUMULATIVE[STACKS - 1]);
        int lo = 0;
        int hi = STACKS - 1;
        while (lo < hi) { // first i with CUMULATIVE[i] > u
            int mid = (lo + hi) >>> 1;
            if (CUMULATIVE[mid] > u) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    private record Pending(long freeAt, long id, int stack, long size, long allocatedAt) {
    }

    /** Runs the workload; returns the number of frees (allocations + frees = events). */
    public long run(Sink sink) {
        PriorityQueue<Pending> pending = new PriorityQueue<>((a, b) -> a.freeAt() != b.freeAt()
                ? Long.compare(a.freeAt(), b.freeAt()) : Long.compare(a.id(), b.id()));
        long step = Math.max(2, durationMicros / allocations);
        long end = endMicros();
        long frees = 0;
        for (long k = 0; k < allocations; k++) {
            long at = startMicros + k * durationMicros / allocations + below(step / 2);
            int stack = stack();
            long base = baseSize(stack);
            long size = base + below(base / 2 + 1);
            long life = lifetime(stack);
            while (!pending.isEmpty() && pending.peek().freeAt() <= at) {
                Pending p = pending.poll();
                sink.free(p.id(), p.stack(), p.size(), p.allocatedAt(), p.freeAt());
                frees++;
            }
            long id = k + 1;
            sink.alloc(id, stack, size, at);
            if (life >= 0 && at + life < end) {
                pending.add(new Pending(at + life, id, stack, size, at));
            }
        }
        while (!pending.isEmpty()) {
            Pending p = pending.poll();
            sink.free(p.id(), p.stack(), p.size(), p.allocatedAt(), p.freeAt());
            frees++;
        }
        return frees;
    }

    /** Allocations so that allocations + frees ≈ events, by one counting pass at half. */
    public static long allocationsFor(long events, long durationSeconds, long seed) {
        long half = events / 2;
        long frees = new QueryWorkload(half, 0, durationSeconds, seed).run(new Sink() {
            public void alloc(long id, int stack, long size, long atMicros) {
            }

            public void free(long id, int stack, long size, long allocatedAtMicros, long atMicros) {
            }
        });
        return Math.round((double) half * events / (half + frees));
    }
}
