package dev.plumb.web.query;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/** The frames of several stacks, innermost (position 0) first. */
@Component
public class StackFramesQuery {
    private static final String SQL = """
            SELECT stack_id, position, function, module, file, line
              FROM stack_frames
             WHERE stack_id IN (:ids)
             ORDER BY stack_id, position
            """;

    private final NamedParameterJdbcTemplate jdbc;

    public StackFramesQuery(NamedParameterJdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    public Map<Long, List<Frame>> framesOf(Collection<Long> stackIds) {
        Map<Long, List<Frame>> result = new HashMap<>();
        if (stackIds.isEmpty()) {
            return result;
        }
        jdbc.query(SQL, Map.of("ids", stackIds), rs -> {
            result.computeIfAbsent(rs.getLong("stack_id"), k -> new ArrayList<>())
                    .add(new Frame(rs.getString("function"), rs.getString("file"),
                            rs.getInt("line"), rs.getString("module")));
        });
        return result;
    }
}
