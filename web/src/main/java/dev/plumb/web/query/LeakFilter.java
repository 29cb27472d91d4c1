package dev.plumb.web.query;

/**
 * Which leaked allocations a leak table includes. Validated by the caller (the API checks
 * user input); null bounds mean unbounded.
 *
 * @param fromUs        allocations made at or after this time (µs since epoch), or null
 * @param toUs          allocations made at or before this time (µs since epoch), or null
 * @param minSize       allocations of at least this many bytes (0 = all)
 * @param functionRegex PostgreSQL regular expression that some frame's function must match, or null
 * @param limit         at most this many groups, largest first
 */
public record LeakFilter(Long fromUs, Long toUs, long minSize, String functionRegex, int limit) {
    public static final int DEFAULT_LIMIT = 100;

    public static LeakFilter all() {
        return new LeakFilter(null, null, 0, null, DEFAULT_LIMIT);
    }

    public LeakFilter withLimit(int newLimit) {
        return new LeakFilter(fromUs, toUs, minSize, functionRegex, newLimit);
    }
}
