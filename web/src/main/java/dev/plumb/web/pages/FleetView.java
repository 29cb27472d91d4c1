package dev.plumb.web.pages;

import java.util.List;

/** The fleet page's model: services, each with its deployments, each with its sessions. */
public record FleetView(List<Service> services, long totalSessions, int shown) {

    public record Service(String name, long leakedBytes, String leaked, int sessionCount, List<Deployment> deployments) {
    }

    public record Deployment(String name, long leakedBytes, String leaked, List<Row> sessions) {
    }

    /** One session row, already formatted for display. */
    public record Row(long id, String host, int pid, String exe, String started, String state,
            long leakedBytes, String leaked) {
    }
}
