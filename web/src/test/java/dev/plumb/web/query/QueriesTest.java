package dev.plumb.web.query;

import static dev.plumb.web.support.SyntheticSession.START_US;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plumb.web.support.SyntheticSession;
import dev.plumb.web.support.TestDatabase;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;

class QueriesTest {
    static UsageSource usage;
    static SyntheticSession session;
    static NamedParameterJdbcTemplate jdbc;
    static LeakGroupsQuery groups;
    static LeakReportQuery reports;
    static SessionTimeRangeQuery timeRange;

    @BeforeAll
    static void setUp() throws SQLException {
        jdbc = new NamedParameterJdbcTemplate(TestDatabase.dataSource());
        usage = UsageSource.rollupWhereExact(jdbc);
        session = SyntheticSession.create(TestDatabase.dataSource(), "queries-svc");
        groups = new LeakGroupsQuery(jdbc, new StackFramesQuery(jdbc), usage);
        timeRange = new SessionTimeRangeQuery(jdbc);
        reports = new LeakReportQuery(timeRange, groups, new StackSeriesQuery(jdbc, usage));
    }

    @Test
    void sessionByIdAndTotals() {
        SessionRow row = new SessionByIdQuery(jdbc).find(session.id).orElseThrow();
        assertThat(row.service()).isEqualTo("queries-svc");
        assertThat(row.state()).isEqualTo("ended");
        assertThat(row.droppedEvents()).isEqualTo(7);
        assertThat(new SessionByIdQuery(jdbc).find(Long.MAX_VALUE)).isEmpty();

        SessionTotals t = new SessionTotalsQuery(jdbc, usage).totals(session.id);
        assertThat(t.allocations()).isEqualTo(SyntheticSession.ALLOCATIONS);
        assertThat(t.frees()).isEqualTo(SyntheticSession.FREES);
        assertThat(t.bytesAllocated()).isEqualTo(SyntheticSession.BYTES_ALLOCATED);
        assertThat(t.bytesLeaked()).isEqualTo(SyntheticSession.LEAKED_BYTES);
        assertThat(new SessionLeakedBytesQuery(jdbc, usage).leakedBytes(List.of(session.id, Long.MAX_VALUE)))
                .containsEntry(session.id, SyntheticSession.LEAKED_BYTES).containsEntry(Long.MAX_VALUE, 0L);
    }

    @Test
    void sessionListIncludesTheSession() {
        SessionListQuery list = new SessionListQuery(jdbc);
        assertThat(list.count()).isGreaterThanOrEqualTo(1);
        assertThat(list.list(1000, 0)).extracting(SessionRow::id).contains(session.id);
    }

    @Test
    void leakGroupsLargestFirstWithExactBytes() {
        List<LeakGroup> found = groups.find(session.id, LeakFilter.all());
        assertThat(found).extracting(LeakGroup::stackId).containsExactly(
                session.linearStack, session.startupStack, session.ringStack, session.tinyStack);
        assertThat(found).extracting(LeakGroup::bytesLeaked).containsExactly(
                SyntheticSession.LINEAR_BYTES, SyntheticSession.STARTUP_BYTES, SyntheticSession.RING_BYTES,
                SyntheticSession.TINY_BYTES);
        assertThat(found).extracting(LeakGroup::count).containsExactly(100L, 10L, 20L, 1L);
        LeakGroup top = groups.top(session.id).orElseThrow();
        assertThat(top.innermostFunction()).isEqualTo("honeycomb::span::new");
        assertThat(top.frames()).extracting(Frame::function)
                .containsExactly("honeycomb::span::new", "tracing::dispatch", "proxy::handle");
        assertThat(top.frames().get(0)).isEqualTo(
                new Frame("honeycomb::span::new", "src/honeycomb/span/new.rs", 10, "libproxy.so"));
    }

    @Test
    void filtersByTimeSizeAndFunction() {
        // allocations made in the second half of the session only
        List<LeakGroup> secondHalf = groups.find(session.id,
                new LeakFilter(START_US + 50_000_000, null, 0, null, 100));
        assertThat(secondHalf).extracting(LeakGroup::stackId)
                .containsExactly(session.linearStack, session.ringStack, session.tinyStack);
        assertThat(secondHalf).extracting(LeakGroup::bytesLeaked).containsExactly(50_000L, 10_240L, 100L);

        List<LeakGroup> firstTenSeconds = groups.find(session.id,
                new LeakFilter(null, START_US + 10_000_000, 0, null, 100));
        assertThat(firstTenSeconds).extracting(LeakGroup::bytesLeaked).containsExactly(50_000L, 10_000L);

        assertThat(groups.find(session.id, new LeakFilter(null, null, 1000, null, 100)))
                .extracting(LeakGroup::stackId).containsExactly(session.linearStack, session.startupStack);
        assertThat(groups.find(session.id, new LeakFilter(null, null, 0, "^ring::", 100)))
                .extracting(LeakGroup::stackId).containsExactly(session.ringStack);
        // a frame further out than the allocation site matches too
        assertThat(groups.find(session.id, new LeakFilter(null, null, 0, "trac(ing|er)::dispatch", 100)))
                .extracting(LeakGroup::stackId).containsExactly(session.linearStack);
        assertThat(groups.find(session.id, LeakFilter.all().withLimit(2))).hasSize(2);
    }

    @Test
    void invalidPostgresRegexIsSqlState2201B() {
        assertThatThrownBy(() -> groups.find(session.id, new LeakFilter(null, null, 0, "a**", 100)))
                .isInstanceOf(DataAccessException.class)
                .satisfies(e -> assertThat(((DataAccessException) e).getMostSpecificCause())
                        .isInstanceOfSatisfying(SQLException.class,
                                sql -> assertThat(sql.getSQLState()).isEqualTo("2201B")));
    }

    @Test
    void verdictsOfTheSyntheticStacks() {
        List<LeakReport> found = reports.find(session.id, LeakFilter.all(), 40).orElseThrow();
        Map<Long, String> verdicts = new java.util.HashMap<>();
        found.forEach(r -> verdicts.put(r.group().stackId(), r.verdict().verdict()));
        assertThat(verdicts).containsEntry(session.linearStack, "linear")
                .containsEntry(session.startupStack, "startup")
                .containsEntry(session.ringStack, "bounded")
                .containsEntry(session.tinyStack, "noise");
        LeakReport linear = found.get(0);
        assertThat(linear.series()).hasSize(40);
        assertThat(linear.series().get(0).tMillis()).isEqualTo(START_US / 1000);
        assertThat(linear.series().get(39).tMillis()).isEqualTo(START_US / 1000 + 100_000);
        assertThat(linear.series().get(39).bytes()).isEqualTo(SyntheticSession.LINEAR_BYTES);
        // 1000 B/s
        assertThat(linear.verdict().slopeBytesPerSec()).isBetween(950.0, 1050.0);
        assertThat(linear.verdict().r2()).isGreaterThan(0.99);
        // the ring's series counts freed entries: it peaks at 20 × 512 and stays there
        LeakReport ring = found.stream().filter(r -> r.group().stackId() == session.ringStack).findFirst().orElseThrow();
        assertThat(ring.series()).extracting(p -> p.bytes()).allMatch(b -> b <= 10_240);
        assertThat(ring.series().get(39).bytes()).isEqualTo(10_240);
        assertThat(reports.find(Long.MAX_VALUE, LeakFilter.all(), 40)).isEmpty();
    }

    @Test
    void memoryGraphHeapAndLeaked() {
        TimeRange range = timeRange.find(session.id).orElseThrow();
        assertThat(range).isEqualTo(new TimeRange(START_US, START_US + SyntheticSession.DURATION_US));
        List<MemoryPoint> points = new MemoryQuery(jdbc, usage).memory(session.id, range, 201);
        assertThat(points).hasSize(201);
        assertThat(points.get(0)).isEqualTo(new MemoryPoint(START_US / 1000, 0, 0));
        MemoryPoint last = points.get(200);
        assertThat(last.tMillis()).isEqualTo(START_US / 1000 + 100_000);
        assertThat(last.heapBytes()).isEqualTo(SyntheticSession.LEAKED_BYTES);
        assertThat(last.leakedBytes()).isEqualTo(SyntheticSession.LEAKED_BYTES);
        // t = 10 s (point 20): linear 10 × 1000 (0.5 … 9.5 s), startup 50 000, ring 10 × 512,
        // temporaries: the one allocated at 9.8 s is freed at 9.81 s; nothing else alive.
        MemoryPoint tenSeconds = points.get(20);
        assertThat(tenSeconds.tMillis()).isEqualTo(START_US / 1000 + 10_000);
        assertThat(tenSeconds.heapBytes()).isEqualTo(10_000 + 50_000 + 5_120);
        // leaked at 10 s: linear and startup allocations so far, plus none of the ring (all
        // ten entries so far are freed later)
        assertThat(tenSeconds.leakedBytes()).isEqualTo(10_000 + 50_000);
        // heap is never below leaked
        assertThat(points).allMatch(p -> p.heapBytes() >= p.leakedBytes());
    }
}
