package dev.plumb.agent.ship;

import dev.plumb.wire.Batch;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Culls temporaries before they are shipped: an allocation is held back ("young") for up to
 * {@code thresholdMicros}. Freed by then, it is folded with every other temporary of the same
 * (stack, size, second of allocation, second of free) into one weighted allocation row plus
 * its free. Still alive after the threshold, it is shipped individually, and its free later
 * as usual. Per stack and second, the weighted counts and bytes allocated, freed and
 * released are exactly those of the individual allocations, so everything the gatherer
 * rolls up per second (memory graph, flamegraphs, leak table) is unchanged; only the rows
 * and sub-second times within a group are merged.
 *
 * <p>Time is the capture stream's own (event timestamps, which never go backwards), so what
 * is condensed depends only on the events, not on how fast the agent decodes them. Nothing
 * here is ever lost: when a bound is hit, young allocations are shipped early (evicted) and
 * groups are emitted early; that costs condensing, never correctness. A late free can only
 * start a second group with the same key, which sums the same.
 *
 * <p>A threshold of zero turns condensing off: every allocation is shipped at once.
 */
final class Condenser {
    static final int DEFAULT_MAX_YOUNG = 1_000_000;
    static final int DEFAULT_MAX_GROUPS = 200_000;
    private static final long MICROS_PER_SECOND = 1_000_000L;

    /** Where rows go; called in an order that never puts a free before its allocation. */
    interface Output {
        /** An allocation shipped individually (long-lived, evicted early, or still alive at the end). */
        void allocation(Batch.Alloc alloc);

        /** A condensed group: its weighted allocation row and that row's free, to ship together. */
        void temporaries(Batch.Alloc alloc, Batch.Free free);
    }

    /** Temporaries folded together; its key fields are mutable only in the lookup probe. */
    private static final class Group {
        int stackId;
        long size;
        long allocSecond;
        long freeSecond;
        long allocId;
        long firstAllocMicros;
        long lastFreeMicros;
        double weight;
        long members;

        @Override
        public boolean equals(Object o) {
            return o instanceof Group g && g.stackId == stackId && g.size == size && g.allocSecond == allocSecond
                    && g.freeSecond == freeSecond;
        }

        @Override
        public int hashCode() {
            long h = size * 0x9E3779B97F4A7C15L + allocSecond * 31 + freeSecond * 0x632BE59BD9B4E019L;
            return (int) (h ^ (h >>> 32)) * 31 + stackId;
        }
    }

    private final long thresholdMicros;
    private final int maxYoung;
    private final int maxGroups;
    private final Output out;
    private final ShipperStats stats;
    /** In the order they were opened, so rows come out in time order. */
    private final Map<Group, Group> groups = new LinkedHashMap<>();
    private final Group probe = new Group();
    /** The latest free second of an open group: once time passes it, no group can grow any more. */
    private long openUntilSecond = Long.MIN_VALUE;
    private LiveAllocation oldestYoung;
    private LiveAllocation youngestYoung;
    private int young;

    Condenser(long thresholdMicros, int maxYoung, int maxGroups, Output out, ShipperStats stats) {
        if (thresholdMicros < 0 || maxYoung < 1 || maxGroups < 1) {
            throw new IllegalArgumentException("threshold must not be negative, bounds must be positive");
        }
        this.thresholdMicros = thresholdMicros;
        this.maxYoung = maxYoung;
        this.maxGroups = maxGroups;
        this.out = out;
        this.stats = stats;
    }

    boolean enabled() {
        return thresholdMicros > 0;
    }

    /** Allocations held back now (bounded by maxYoung). */
    int young() {
        return young;
    }

    /** Groups not yet emitted (bounded by maxGroups). */
    int openGroups() {
        return groups.size();
    }

    /** A new allocation: shipped at once when condensing is off, otherwise held back. */
    LiveAllocation allocated(long allocId, int stackId, long size, long atMicros, double weight) {
        LiveAllocation a = new LiveAllocation(allocId, stackId, size, atMicros, weight);
        if (!enabled()) {
            ship(a);
            return a;
        }
        if (young >= maxYoung) {
            stats.youngEvicted++;
            ship(unlink(oldestYoung)); // lossless: it is merely not condensed
        }
        a.older = youngestYoung;
        if (youngestYoung != null) {
            youngestYoung.younger = a;
        } else {
            oldestYoung = a;
        }
        youngestYoung = a;
        young++;
        return a;
    }

    /**
     * {@code a} was freed at {@code atMicros}. Returns the free to ship if {@code a} was shipped
     * already; null if it was folded into a group (which is shipped when its second is over).
     */
    Batch.Free freed(LiveAllocation a, long atMicros) {
        if (a.shipped) {
            return a.freedAt(atMicros);
        }
        unlink(a);
        if (atMicros - a.atMicros > thresholdMicros) {
            // only if time ran backwards past advanceTo; ship it as it was
            ship(a);
            return a.freedAt(atMicros);
        }
        fold(a, atMicros);
        return null;
    }

    /**
     * Time has reached {@code nowMicros}: ship what has outlived the threshold and emit the
     * groups whose free second is over. Does not remember the time, so a caller may look ahead
     * (an idle stream) without events that arrive later being judged by it.
     */
    void advanceTo(long nowMicros) {
        while (oldestYoung != null && nowMicros - oldestYoung.atMicros > thresholdMicros) {
            ship(unlink(oldestYoung));
        }
        if (!groups.isEmpty() && Math.floorDiv(nowMicros, MICROS_PER_SECOND) > openUntilSecond) {
            emitGroups();
        }
    }

    /** The session ends: every group is emitted, and what is still young is shipped (it leaked). */
    void drain() {
        emitGroups();
        while (oldestYoung != null) {
            ship(unlink(oldestYoung));
        }
    }

    private void fold(LiveAllocation a, long freedAtMicros) {
        probe.stackId = a.stackId;
        probe.size = a.size;
        probe.allocSecond = Math.floorDiv(a.atMicros, MICROS_PER_SECOND);
        probe.freeSecond = Math.floorDiv(freedAtMicros, MICROS_PER_SECOND);
        Group g = groups.get(probe);
        if (g == null) {
            if (groups.size() >= maxGroups) {
                emitGroups(); // lossless: later temporaries start new groups
            }
            g = new Group();
            g.stackId = probe.stackId;
            g.size = probe.size;
            g.allocSecond = probe.allocSecond;
            g.freeSecond = probe.freeSecond;
            g.allocId = a.allocId; // the first member's id: unique, since each id is used once
            g.firstAllocMicros = a.atMicros;
            g.lastFreeMicros = freedAtMicros;
            groups.put(g, g);
            openUntilSecond = Math.max(openUntilSecond, g.freeSecond);
        } else {
            g.firstAllocMicros = Math.min(g.firstAllocMicros, a.atMicros);
            g.lastFreeMicros = Math.max(g.lastFreeMicros, freedAtMicros);
        }
        g.weight += a.weight;
        g.members++;
    }

    private void emitGroups() {
        for (Group g : groups.values()) {
            Batch.Alloc alloc = new Batch.Alloc(g.allocId, g.stackId, g.size, g.firstAllocMicros, g.weight);
            stats.condensedAllocations += g.members;
            stats.condensedRows++;
            out.temporaries(alloc, Batch.Free.of(alloc, g.lastFreeMicros));
        }
        groups.clear();
        openUntilSecond = Long.MIN_VALUE;
    }

    private void ship(LiveAllocation a) {
        a.shipped = true;
        out.allocation(a.toAlloc());
    }

    private LiveAllocation unlink(LiveAllocation a) {
        if (a.older != null) {
            a.older.younger = a.younger;
        } else {
            oldestYoung = a.younger;
        }
        if (a.younger != null) {
            a.younger.older = a.older;
        } else {
            youngestYoung = a.older;
        }
        a.older = null;
        a.younger = null;
        young--;
        return a;
    }
}
