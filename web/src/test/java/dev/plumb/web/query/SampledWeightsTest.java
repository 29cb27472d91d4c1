package dev.plumb.web.query;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.web.support.TestDatabase;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;

/** In sampled mode every sum multiplies each allocation by its weight before adding. */
class SampledWeightsTest {
    static final long T0 = 1_700_000_000_000_000L;
    static UsageSource usage;
    static NamedParameterJdbcTemplate jdbc;
    static long session;
    static long stack;

    @BeforeAll
    static void setUp() {
        jdbc = new NamedParameterJdbcTemplate(TestDatabase.dataSource());
        usage = UsageSource.rollupWhereExact(jdbc);
        session = jdbc.queryForObject("""
                INSERT INTO sessions (agent_session, host, service, deployment, pid, exe, started_at, ended_at)
                VALUES (:u, 'h', 'sampled-svc', 'v', 1, '/x', to_timestamp(1700000000), to_timestamp(1700000010))
                RETURNING id""", Map.of("u", UUID.randomUUID()), Long.class);
        stack = jdbc.queryForObject("INSERT INTO stacks (fingerprint, depth) VALUES (:f, 1) RETURNING id",
                Map.of("f", UUID.randomUUID().toString().getBytes()), Long.class);
        jdbc.update("INSERT INTO stack_frames (stack_id, position, function, module) VALUES (:s, 0, 'sampled_fn', 'x')",
                Map.of("s", stack));
        // rows live in their session's partition day (one statement could run after midnight)
        String alloc = "INSERT INTO allocations (day, session_id, alloc_id, stack_id, size, allocated_us, weight)"
                + " VALUES ((SELECT day FROM sessions WHERE id = :sess), :sess, :id, :stack, :size, :t, :w)";
        jdbc.update(alloc, Map.of("sess", session, "id", 1, "stack", stack, "size", 1000, "t", T0 + 1_000_000, "w", 3.0));
        jdbc.update(alloc, Map.of("sess", session, "id", 2, "stack", stack, "size", 2000, "t", T0 + 2_000_000, "w", 2.5));
        jdbc.update("INSERT INTO frees (day, session_id, alloc_id, freed_us)"
                + " VALUES ((SELECT day FROM sessions WHERE id = :sess), :sess, 2, :t)",
                Map.of("sess", session, "t", T0 + 3_000_000));
        jdbc.queryForObject("SELECT plumb_rebuild_usage(:sess)::text", Map.of("sess", session), String.class);
    }

    @Test
    void totalsAndLeaksAreWeighted() {
        SessionTotals t = new SessionTotalsQuery(jdbc, usage).totals(session);
        assertThat(t.allocations()).isEqualTo(6); // 3 + 2.5, rounded
        assertThat(t.bytesAllocated()).isEqualTo(3 * 1000 + 5000);
        assertThat(t.bytesLeaked()).isEqualTo(3000);

        List<LeakGroup> groups = new LeakGroupsQuery(jdbc, new StackFramesQuery(jdbc), usage).find(session, LeakFilter.all());
        assertThat(groups).singleElement().satisfies(g -> {
            assertThat(g.bytesLeaked()).isEqualTo(3000);
            assertThat(g.count()).isEqualTo(3);
        });
        assertThat(new SessionLeakedBytesQuery(jdbc, usage).leakedBytes(List.of(session))).containsEntry(session, 3000L);
    }

    @Test
    void memoryGraphIsWeighted() {
        TimeRange range = new SessionTimeRangeQuery(jdbc).find(session).orElseThrow();
        List<MemoryPoint> points = new MemoryQuery(jdbc, usage).memory(session, range, 20);
        assertThat(points).extracting(MemoryPoint::heapBytes).contains(3000L + 5000L);
        MemoryPoint last = points.get(points.size() - 1);
        assertThat(last.heapBytes()).isEqualTo(3000);
        assertThat(last.leakedBytes()).isEqualTo(3000);
    }
}
