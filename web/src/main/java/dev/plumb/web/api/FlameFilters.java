package dev.plumb.web.api;

import dev.plumb.web.query.AllocationSelection;

/** The flamegraph's {@code filter} parameter: which allocations it weighs. */
final class FlameFilters {
    static final String ALL = "all";
    static final String LEAKED = "leaked";
    static final String TEMPORARY = "temporary";

    private FlameFilters() {
    }

    static AllocationSelection of(String raw, String dflt) {
        String f = raw == null || raw.isBlank() ? dflt : raw.trim();
        return switch (f) {
            case ALL -> AllocationSelection.all();
            case LEAKED -> AllocationSelection.all().leaked();
            case TEMPORARY -> AllocationSelection.all().temporary();
            default -> throw ApiException.badRequest("filter must be all, leaked or temporary, got '"
                    + Params.clip(f) + "'");
        };
    }

    static String name(String raw, String dflt) {
        return raw == null || raw.isBlank() ? dflt : raw.trim();
    }
}
