package dev.plumb.gatherer.store;

import java.util.List;

/**
 * The slot widths of stack_usage_coarse in seconds (db/migrations V5, whose plumb_rebuild_usage
 * lists the same): the gatherer keeps a row per (session, grain, backtrace, slot), and the web
 * samples a per-backtrace graph at whole grains once its points are at least a grain apart.
 * Each divides the next, so a coarser grain's boundaries are boundaries of every finer one.
 */
public final class RollupGrains {
    public static final List<Integer> COARSE_SECONDS = List.of(10, 60, 600, 3600);

    private RollupGrains() {
    }
}
