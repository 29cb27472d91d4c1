package dev.plumb.web.query;

/**
 * Which leaked allocations a leak table includes. Validated by the caller (the API checks
 * user input); null bounds mean unbounded.
 *
 * @param fromUs        allocations made at or after this time (µs since epoch), or null
 * @param toUs          allocations made at or before this time (µs since epoch), or null
 * @param minSize       allocations of at least this many bytes (0 = all)
 * @param maxSize       allocations of at most this many bytes, or null
 * @param functionRegex PostgreSQL regular expression that some frame's function must match, or null
 * @param limit         at most this many groups, first in the sort order
 * @param sort          largest leak first, most leaked allocations first, or fastest growing first
 */
public record LeakFilter(Long fromUs, Long toUs, long minSize, Long maxSize, String functionRegex, int limit,
        Sort sort) {
    public static final int DEFAULT_LIMIT = 100;

    /** The leak table's orders; growth is the slope of the backtrace's retained bytes in the window. */
    public enum Sort { BYTES, COUNT, GROWTH }

    public LeakFilter(Long fromUs, Long toUs, long minSize, String functionRegex, int limit) {
        this(fromUs, toUs, minSize, null, functionRegex, limit, Sort.BYTES);
    }

    public static LeakFilter all() {
        return new LeakFilter(null, null, 0, null, DEFAULT_LIMIT);
    }

    public LeakFilter withLimit(int newLimit) {
        return new LeakFilter(fromUs, toUs, minSize, maxSize, functionRegex, newLimit, sort);
    }

    public long maxSizeOrUnbounded() {
        return maxSize == null ? Long.MAX_VALUE : maxSize;
    }
}
