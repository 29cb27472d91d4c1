package dev.plumb.agent.ship;

import dev.plumb.agent.capture.CaptureListener;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * A deterministic capture stream, as the capture library would send it: time never goes
 * backwards, addresses are reused once freed, and every allocation's fate (temporary,
 * mid-lived, long-lived or leaked) is known, so tests can say exactly what must be shipped.
 * The i-th allocation event (from 1) gets allocation id i from the shipper.
 */
final class SyntheticCapture {
    static final long START_MICROS = 1_750_000_000_123_456L; // deliberately not on a second
    static final int STACKS = 12;

    /** One ALLOC (freedAtMicros: when its FREE follows, or -1 if never) or one FREE. */
    record Event(boolean isAlloc, long atMicros, long address, long size, int stack, double weight, long allocId,
                 long freedAtMicros) {
    }

    /** How allocations live: fractions of all allocations (the rest are temporaries). */
    record Mix(int allocations, long meanGapMicros, double midLived, double longLived, double leaked) {
        /** Mostly temporaries, like a request-serving program. */
        static Mix temporaryHeavy(int allocations) {
            return new Mix(allocations, 300, 0.03, 0.02, 0.01);
        }

        /** Many long-lived allocations: lots of rows even when condensed (several batches). */
        static Mix longLivedHeavy(int allocations) {
            return new Mix(allocations, 300, 0.05, 0.40, 0.05);
        }
    }

    final List<Event> events = new ArrayList<>();
    final long endMicros;

    private SyntheticCapture(List<Event> events, long endMicros) {
        this.events.addAll(events);
        this.endMicros = endMicros;
    }

    /**
     * @param sampleBytes 0 for full mode (weight 1); else the sampled mode's mean, and every
     *                    allocation carries the weight a sample of its size would
     */
    static SyntheticCapture generate(long seed, Mix mix, long sampleBytes) {
        Random random = new Random(seed);
        long[] sizes = {16, 48, 256, 1024, 4096, 65536};
        record PendingFree(long atMicros, long address, long seq) {
        }
        PriorityQueue<PendingFree> frees = new PriorityQueue<>((a, b) -> a.atMicros != b.atMicros
                ? Long.compare(a.atMicros, b.atMicros) : Long.compare(a.seq, b.seq));
        ArrayDeque<Long> freeAddresses = new ArrayDeque<>();
        long nextAddress = 0x7f00_0000_0000L;
        List<Event> events = new ArrayList<>();
        long t = START_MICROS;
        long seq = 0;
        for (int i = 1; i <= mix.allocations(); i++) {
            t += (long) (random.nextDouble() * 2 * mix.meanGapMicros());
            while (!frees.isEmpty() && frees.peek().atMicros() <= t) {
                PendingFree f = frees.poll();
                events.add(new Event(false, f.atMicros(), f.address(), 0, 0, 0, 0, -1));
                freeAddresses.push(f.address());
            }
            double fate = random.nextDouble();
            long lifetime;
            int stack;
            if (fate < mix.leaked()) {
                lifetime = -1;
                stack = 11 + random.nextInt(2);
            } else if (fate < mix.leaked() + mix.longLived()) {
                lifetime = 10_000_001 + (long) (random.nextDouble() * 30_000_000);
                stack = 9 + random.nextInt(2);
            } else if (fate < mix.leaked() + mix.longLived() + mix.midLived()) {
                lifetime = 500_000 + (long) (random.nextDouble() * 9_400_000);
                stack = 7 + random.nextInt(2);
            } else {
                lifetime = Math.min(5_000_000, (long) (-Math.log(1 - random.nextDouble()) * 50_000));
                stack = 1 + random.nextInt(6);
            }
            long size = sizes[random.nextInt(sizes.length)] + (stack % 3 == 0 ? random.nextInt(2) * 8 : 0);
            double weight = sampleBytes == 0 ? 1.0 : 1.0 / (1.0 - Math.exp(-(double) size / sampleBytes));
            long address = freeAddresses.isEmpty() ? (nextAddress += 64) : freeAddresses.pop();
            long freedAt = lifetime < 0 ? -1 : t + lifetime;
            events.add(new Event(true, t, address, size, stack, weight, i, freedAt));
            if (freedAt >= 0) {
                frees.add(new PendingFree(freedAt, address, seq++));
            }
        }
        long end = t + 20_000_000;
        while (!frees.isEmpty() && frees.peek().atMicros() <= end) {
            PendingFree f = frees.poll();
            events.add(new Event(false, f.atMicros(), f.address(), 0, 0, 0, 0, -1));
        }
        // what is still pending at the end was never freed: mark it so
        List<Event> fixed = new ArrayList<>(events.size());
        for (Event e : events) {
            fixed.add(e.isAlloc() && e.freedAtMicros() > end ? new Event(true, e.atMicros(), e.address(), e.size(),
                    e.stack(), e.weight(), e.allocId(), -1) : e);
        }
        return new SyntheticCapture(fixed, end);
    }

    /** Plays the stream into a listener, HELLO to END, calling {@code afterEach} after every event. */
    void play(CaptureListener listener, Runnable afterEach) {
        listener.onHello(4242, "/usr/bin/synthetic", START_MICROS);
        for (int s = 1; s <= STACKS; s++) {
            // unknown addresses symbolize as "0x…" frames, so each stack is its own backtrace
            listener.onStack(s, new long[] {0x1000L * s + 0x10, 0x2000L * s + 0x20, 0x3000});
        }
        for (Event e : events) {
            if (e.isAlloc()) {
                listener.onAlloc(e.atMicros(), e.address(), e.size(), e.stack(), 1, e.weight());
            } else {
                listener.onFree(e.atMicros(), e.address());
            }
            afterEach.run();
        }
        listener.onEnd(endMicros);
    }

    List<Event> allocations() {
        return events.stream().filter(Event::isAlloc).toList();
    }
}
