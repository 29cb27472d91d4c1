package dev.plumb.web.pages;

/**
 * The fleet page's model: which scope it shows (each null = all) — the page itself is a shell
 * whose rows and charts come from GET /api/fleet in the browser.
 */
public record FleetView(String service, String deployment, String host) {
    public FleetView {
        service = blankToNull(service);
        deployment = service == null ? null : blankToNull(deployment);
        host = deployment == null ? null : blankToNull(host);
    }

    /** The page's heading: the innermost scope. */
    public String title() {
        if (host != null) {
            return host;
        }
        if (deployment != null) {
            return deployment;
        }
        return service != null ? service : "Fleet";
    }

    /** What the heading names: fleet, service, deployment or host. */
    public String level() {
        return host != null ? "host" : deployment != null ? "deployment" : service != null ? "service" : "fleet";
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
