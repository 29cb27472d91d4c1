package dev.plumb.web.query;

import java.util.Locale;

/**
 * Which sessions a fleet view covers: exact service, deployment and host (each null = any) and
 * a case-insensitive substring that any of the three may contain (null = no search).
 */
public record FleetScope(String service, String deployment, String host, String search) {
    public static final FleetScope ALL = new FleetScope(null, null, null, null);

    public FleetScope {
        service = blankToNull(service);
        deployment = blankToNull(deployment);
        host = blankToNull(host);
        search = blankToNull(search) == null ? null : search.trim().toLowerCase(Locale.ROOT);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
