package dev.plumb.web.query;

import java.util.ArrayList;
import java.util.List;

/**
 * A set of a session's allocations, as bytehound's scripting API narrows it: every condition
 * can only narrow, so a selection is a conjunction. Built by the script console and by the
 * flamegraph's filters; taken apart by {@link SelectionRequest} into what the rollup answers and
 * what needs single allocations, turned into SQL only with bind parameters for every value.
 * Times are µs since the epoch; null means "no condition".
 *
 * @param onlyLeaked         never freed (alive at the end of the session)
 * @param onlyTemporary      freed within the session
 * @param throughFunctions   regexes (PostgreSQL {@code ~}) that some frame's function must match, each
 * @param notThroughFunctions regexes that no frame's function may match
 * @param fromUs             allocated at or after
 * @param untilUs            allocated at or before
 * @param largerThan         size strictly greater than (bytes)
 * @param smallerThan        size strictly smaller than (bytes)
 * @param aliveAtUs          allocated at or before this time and not freed by then
 * @param minLifetimeUs      lived at least this long (a leak lives until the session's end)
 * @param maxLifetimeUs      lived at most this long
 */
public record AllocationSelection(boolean onlyLeaked, boolean onlyTemporary, List<String> throughFunctions,
        List<String> notThroughFunctions, Long fromUs, Long untilUs, Long largerThan, Long smallerThan,
        Long aliveAtUs, Long minLifetimeUs, Long maxLifetimeUs) {

    public AllocationSelection {
        throughFunctions = List.copyOf(throughFunctions);
        notThroughFunctions = List.copyOf(notThroughFunctions);
    }

    public static AllocationSelection all() {
        return new AllocationSelection(false, false, List.of(), List.of(), null, null, null, null, null, null, null);
    }

    public AllocationSelection leaked() {
        return new AllocationSelection(true, onlyTemporary, throughFunctions, notThroughFunctions, fromUs, untilUs,
                largerThan, smallerThan, aliveAtUs, minLifetimeUs, maxLifetimeUs);
    }

    public AllocationSelection temporary() {
        return new AllocationSelection(onlyLeaked, true, throughFunctions, notThroughFunctions, fromUs, untilUs,
                largerThan, smallerThan, aliveAtUs, minLifetimeUs, maxLifetimeUs);
    }

    public AllocationSelection passingThrough(String regex) {
        return new AllocationSelection(onlyLeaked, onlyTemporary, append(throughFunctions, regex),
                notThroughFunctions, fromUs, untilUs, largerThan, smallerThan, aliveAtUs, minLifetimeUs, maxLifetimeUs);
    }

    public AllocationSelection notPassingThrough(String regex) {
        return new AllocationSelection(onlyLeaked, onlyTemporary, throughFunctions,
                append(notThroughFunctions, regex), fromUs, untilUs, largerThan, smallerThan, aliveAtUs,
                minLifetimeUs, maxLifetimeUs);
    }

    /** Narrows, never widens: a second only_from keeps the later bound. */
    public AllocationSelection from(long us) {
        return new AllocationSelection(onlyLeaked, onlyTemporary, throughFunctions, notThroughFunctions,
                fromUs == null ? us : Math.max(fromUs, us), untilUs, largerThan, smallerThan, aliveAtUs,
                minLifetimeUs, maxLifetimeUs);
    }

    public AllocationSelection until(long us) {
        return new AllocationSelection(onlyLeaked, onlyTemporary, throughFunctions, notThroughFunctions, fromUs,
                untilUs == null ? us : Math.min(untilUs, us), largerThan, smallerThan, aliveAtUs,
                minLifetimeUs, maxLifetimeUs);
    }

    public AllocationSelection largerThan(long bytes) {
        return new AllocationSelection(onlyLeaked, onlyTemporary, throughFunctions, notThroughFunctions, fromUs,
                untilUs, largerThan == null ? bytes : Math.max(largerThan, bytes), smallerThan, aliveAtUs,
                minLifetimeUs, maxLifetimeUs);
    }

    public AllocationSelection smallerThan(long bytes) {
        return new AllocationSelection(onlyLeaked, onlyTemporary, throughFunctions, notThroughFunctions, fromUs,
                untilUs, largerThan, smallerThan == null ? bytes : Math.min(smallerThan, bytes), aliveAtUs,
                minLifetimeUs, maxLifetimeUs);
    }

    /** Alive at one instant; a second only_alive_at replaces the first (both at once is rarely meant). */
    public AllocationSelection aliveAt(long us) {
        return new AllocationSelection(onlyLeaked, onlyTemporary, throughFunctions, notThroughFunctions, fromUs,
                untilUs, largerThan, smallerThan, us, minLifetimeUs, maxLifetimeUs);
    }

    public AllocationSelection minLifetime(long us) {
        return new AllocationSelection(onlyLeaked, onlyTemporary, throughFunctions, notThroughFunctions, fromUs,
                untilUs, largerThan, smallerThan, aliveAtUs,
                minLifetimeUs == null ? us : Math.max(minLifetimeUs, us), maxLifetimeUs);
    }

    public AllocationSelection maxLifetime(long us) {
        return new AllocationSelection(onlyLeaked, onlyTemporary, throughFunctions, notThroughFunctions, fromUs,
                untilUs, largerThan, smallerThan, aliveAtUs, minLifetimeUs,
                maxLifetimeUs == null ? us : Math.min(maxLifetimeUs, us));
    }

    private static List<String> append(List<String> list, String value) {
        List<String> copy = new ArrayList<>(list);
        copy.add(value);
        return copy;
    }
}
