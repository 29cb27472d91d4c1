package dev.plumb.web.e2e;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;

/** What the database holds of the example's per-request leak, read straight from the tables. */
record StoredLeaks(long count, long bytes, long sessions, long runningSessions) {

    /** Never-freed allocations whose innermost frame is remember_request_trace, for one service. */
    static StoredLeaks ofRequestTraces(DataSource db, String service) throws SQLException {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("""
                     SELECT count(*), coalesce(sum(a.size), 0), count(DISTINCT s.id),
                            count(DISTINCT s.id) FILTER (WHERE s.ended_at IS NULL)
                       FROM allocations a
                       JOIN sessions s ON s.id = a.session_id
                       JOIN stack_frames f ON f.stack_id = a.stack_id AND f.position = 0
                      WHERE s.service = ? AND f.function = 'remember_request_trace'
                        AND NOT EXISTS (SELECT 1 FROM frees x WHERE x.session_id = a.session_id
                                                               AND x.alloc_id = a.alloc_id)""")) {
            ps.setString(1, service);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new StoredLeaks(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4));
            }
        }
    }
}
