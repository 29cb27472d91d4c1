package dev.plumb.web.query;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.web.support.IngestedSampledSession;
import dev.plumb.web.support.SyntheticSession;
import dev.plumb.web.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;

/**
 * Every query answers the same from the rollups (stack_totals, session_usage, stack_usage) as
 * from raw rows, on a full-mode
 * session whose rollup was rebuilt from hand-written rows (SyntheticSession) and on a sampled one
 * whose rollup the gatherer kept at ingest (IngestedSampledSession). Each comparison first checks
 * that the request really takes the rollup path, so no comparison is raw against raw. Windows are
 * chosen on and off second boundaries, inside one second and across two partial ones, so the
 * rollup-plus-raw-edges case is covered too; graphs sample at whole seconds, and the full session
 * has events exactly on some of them (config::load every 0.5 s), which the rollup path must move
 * from its per-second rows to the right point.
 *
 * <p>Full mode is compared exactly. Sampled sums are floating-point sums of fractional weights
 * added in a different order (per second first, then per group), so a rounded value may differ by
 * 1; a cumulative series by 1 per point.
 */
class RollupAgreesWithRawTest {
    static UsageSource rollupSource;
    static NamedParameterJdbcTemplate jdbc;
    static Queries rollup;
    static Queries raw;
    static Session full;
    static Session sampled;

    /** A session under test: id, time range, how far sums may differ, some stacks. */
    record Session(long id, TimeRange range, long tolerance, String someFunction) {
        long at(double seconds) {
            return range.startUs() + (long) (seconds * 1_000_000);
        }
    }

    /** Every query built on one source. */
    record Queries(LeakGroupsQuery groups, LeakReportQuery reports, MemoryQuery memory, StackTotalsQuery totals,
            StackCostsQuery costs, SessionTotalsQuery sessionTotals, SessionLeakedBytesQuery leakedBytes,
            SelectionSeriesQuery selection, StackSeriesQuery series) {
        static Queries on(NamedParameterJdbcTemplate jdbc, UsageSource source) {
            StackFramesQuery frames = new StackFramesQuery(jdbc);
            LeakGroupsQuery groups = new LeakGroupsQuery(jdbc, frames, source);
            StackSeriesQuery series = new StackSeriesQuery(jdbc, source);
            return new Queries(groups, new LeakReportQuery(new SessionTimeRangeQuery(jdbc), groups, series),
                    new MemoryQuery(jdbc, source), new StackTotalsQuery(jdbc, source),
                    new StackCostsQuery(jdbc, frames, source), new SessionTotalsQuery(jdbc, source),
                    new SessionLeakedBytesQuery(jdbc, source), new SelectionSeriesQuery(jdbc, source), series);
        }
    }

    @BeforeAll
    static void sessions() throws Exception {
        jdbc = new NamedParameterJdbcTemplate(TestDatabase.dataSource());
        rollupSource = UsageSource.rollupWhereExact(jdbc);
        rollup = Queries.on(jdbc, rollupSource);
        raw = Queries.on(jdbc, UsageSource.rawOnly(jdbc));
        SessionTimeRangeQuery ranges = new SessionTimeRangeQuery(jdbc);
        long f = SyntheticSession.create(TestDatabase.dataSource(), "rollup-full").id;
        full = new Session(f, ranges.find(f).orElseThrow(), 0, "^ring::");
        long s = IngestedSampledSession.create(TestDatabase.dataSource(), "rollup-sampled");
        sampled = new Session(s, ranges.find(s).orElseThrow(), 1, "^cache::");
    }

    static List<Session> both() {
        return List.of(full, sampled);
    }

    /** Windows of allocation time (µs, null = open) on and off second boundaries. */
    static List<Long[]> windows(Session s) {
        long secondStart = s.range().startUs() / 1_000_000 * 1_000_000 + 20_000_000;
        return List.of(
                new Long[] {null, null},
                new Long[] {secondStart + 30_000_000, null},                      // on a second, open end
                new Long[] {null, secondStart + 10_000_000 - 1},                  // ends where a second ends
                new Long[] {s.at(12.345678), s.at(57.654321)},                     // both ends inside seconds
                new Long[] {secondStart + 100_000, secondStart + 900_000},        // inside one second
                new Long[] {secondStart + 500_000, secondStart + 1_400_000},      // two partial seconds
                new Long[] {s.at(40), s.at(40) + 999});                           // the API's "to" of one ms
    }

    @Test
    void sessionTotalsAndLeakedBytes() {
        for (Session s : both()) {
            assertThat(rollupSource.path(SessionTotalsQuery.request(s.id()))).isEqualTo(UsageSource.Path.STACK_TOTALS);
            SessionTotals a = rollup.sessionTotals().totals(s.id());
            SessionTotals b = raw.sessionTotals().totals(s.id());
            assertThat(a.allocations()).isPositive();
            assertClose(s, List.of(a.allocations(), a.frees(), a.bytesAllocated(), a.bytesFreed()),
                    List.of(b.allocations(), b.frees(), b.bytesAllocated(), b.bytesFreed()), s.tolerance());
        }
        Map<Long, Long> a = rollup.leakedBytes().leakedBytes(List.of(full.id(), sampled.id(), Long.MAX_VALUE));
        Map<Long, Long> b = raw.leakedBytes().leakedBytes(List.of(full.id(), sampled.id(), Long.MAX_VALUE));
        assertThat(a.get(full.id())).isEqualTo(SyntheticSession.LEAKED_BYTES).isEqualTo(b.get(full.id()));
        assertThat(a.get(sampled.id())).isPositive().isCloseTo(b.get(sampled.id()), Offset.offset(1L));
        assertThat(a.get(Long.MAX_VALUE)).isZero();
    }

    @Test
    void leakGroupsInEveryWindowAndOrder() {
        for (Session s : both()) {
            int nonEmpty = 0;
            for (Long[] w : windows(s)) {
                for (LeakFilter.Sort sort : LeakFilter.Sort.values()) {
                    for (String function : Arrays.asList(null, s.someFunction())) {
                        LeakFilter filter = new LeakFilter(w[0], w[1], 0, null, function, 100, sort);
                        assertThat(rollupSource.path(LeakGroupsQuery.request(s.id(), filter))).isEqualTo(
                                w[0] == null && w[1] == null ? UsageSource.Path.STACK_TOTALS
                                        : UsageSource.Path.STACK_SECONDS);
                        List<LeakGroup> a = rollup.groups().find(s.id(), filter);
                        List<LeakGroup> b = raw.groups().find(s.id(), filter);
                        assertSameGroups(s, a, b);
                        nonEmpty += a.isEmpty() ? 0 : 1;
                    }
                }
            }
            assertThat(nonEmpty).as("windows that found leaks").isGreaterThan(20);
        }
    }

    @Test
    void leakReportsSeriesAndVerdicts() {
        for (Session s : both()) {
            for (Long[] w : windows(s)) {
                for (int points : new int[] {40, 5}) {
                    LeakFilter filter = new LeakFilter(w[0], w[1], 0, null, null, 100, LeakFilter.Sort.BYTES);
                    TimeRange window = s.range().clip(w[0], w[1]);
                    UsageSource.Path expected = window.grainUs(points) == 0 ? UsageSource.Path.RAW // < 1 s apart
                            : window.grainUs(points) < 10_000_000 ? UsageSource.Path.STACK_SECONDS
                            : UsageSource.Path.STACK_SLOTS;
                    assertThat(rollupSource.path(StackSeriesQuery.request(s.id(), 0, null, window, points)))
                            .isEqualTo(expected);
                    List<LeakReport> a = rollup.reports().find(s.id(), filter, points).orElseThrow();
                    List<LeakReport> b = raw.reports().find(s.id(), filter, points).orElseThrow();
                    assertThat(a).hasSameSizeAs(b);
                    for (int i = 0; i < a.size(); i++) {
                        assertThat(a.get(i).group().stackId()).isEqualTo(b.get(i).group().stackId());
                        assertClose(s, a.get(i).series().stream().map(p -> p.bytes()).toList(),
                                b.get(i).series().stream().map(p -> p.bytes()).toList(), points * s.tolerance());
                        assertThat(a.get(i).series()).extracting(p -> p.tMillis())
                                .isEqualTo(b.get(i).series().stream().map(p -> p.tMillis()).toList());
                        assertThat(a.get(i).verdict().kind()).isEqualTo(b.get(i).verdict().kind());
                    }
                }
            }
        }
    }

    @Test
    void memoryGraphOnWholeGrains() {
        for (Session s : both()) {
            for (int points : new int[] {2, 40, 100}) {
                assertThat(rollupSource.path(MemoryQuery.request(s.id(), s.range(), points)))
                        .isEqualTo(UsageSource.Path.SESSION_SECONDS);
                List<MemoryPoint> a = rollup.memory().memory(s.id(), s.range(), points);
                List<MemoryPoint> b = raw.memory().memory(s.id(), s.range(), points);
                assertThat(a).extracting(MemoryPoint::tMillis).isEqualTo(b.stream().map(MemoryPoint::tMillis).toList());
                assertClose(s, a.stream().map(MemoryPoint::heapBytes).toList(),
                        b.stream().map(MemoryPoint::heapBytes).toList(), points * s.tolerance());
                assertClose(s, a.stream().map(MemoryPoint::leakedBytes).toList(),
                        b.stream().map(MemoryPoint::leakedBytes).toList(), points * s.tolerance());
                assertThat(a.get(points - 1).heapBytes()).isPositive();
            }
            // points closer than a second: raw rows, microsecond precision
            assertThat(rollupSource.path(MemoryQuery.request(s.id(), s.range(), 500))).isEqualTo(UsageSource.Path.RAW);
        }
    }

    @Test
    void flamegraphSelections() {
        for (Session s : both()) {
            List<AllocationSelection> selections = new ArrayList<>();
            AllocationSelection all = AllocationSelection.all();
            for (AllocationSelection kind : List.of(all, all.leaked(), all.temporary(), all.leaked().temporary())) {
                selections.add(kind);
                selections.add(kind.aliveAt(s.at(30)));                      // a second boundary (session start +30 s)
                selections.add(kind.aliveAt(s.at(61.5) + 999));              // inside a second
                selections.add(kind.from(s.at(12.345678)).until(s.at(80.2)));
                selections.add(kind.passingThrough(s.someFunction()));
                selections.add(kind.notPassingThrough(s.someFunction()).from(s.at(50)));
            }
            selections.add(all.leaked().aliveAt(s.at(70.25)).from(s.at(10.5)).until(s.at(90.75)));
            int nonEmpty = 0;
            for (AllocationSelection sel : selections) {
                SelectionRequest request = SelectionRequest.totals(s.id(), sel, s.range());
                assertThat(rollupSource.path(request.usage())).as(sel.toString()).isEqualTo(
                        sel.aliveAtUs() == null && sel.fromUs() == null ? UsageSource.Path.STACK_TOTALS
                                : UsageSource.Path.STACK_SECONDS);
                Map<Long, StackTotalsQuery.Total> a = rollup.totals().totals(s.id(), sel, s.range());
                Map<Long, StackTotalsQuery.Total> b = raw.totals().totals(s.id(), sel, s.range());
                assertThat(a.keySet()).as(sel.toString()).containsExactlyInAnyOrderElementsOf(b.keySet());
                for (Long stack : a.keySet()) {
                    assertClose(s, List.of(a.get(stack).bytes(), a.get(stack).count()),
                            List.of(b.get(stack).bytes(), b.get(stack).count()), s.tolerance());
                }
                nonEmpty += a.isEmpty() ? 0 : 1;
            }
            assertThat(nonEmpty).isGreaterThan(15);
            // what only single allocations know goes to raw rows
            assertThat(rollupSource.path(SelectionRequest.totals(s.id(), all.largerThan(100), s.range()).usage()))
                    .isEqualTo(UsageSource.Path.RAW);
            assertThat(rollupSource.path(SelectionRequest.totals(s.id(), all.minLifetime(1000), s.range()).usage()))
                    .isEqualTo(UsageSource.Path.RAW);
            assertThat(rollupSource.path(SelectionRequest.totals(s.id(), all.aliveAt(s.at(30)).from(s.at(10)),
                    s.range()).usage())).isEqualTo(UsageSource.Path.RAW);
        }
    }

    @Test
    void exportCosts() {
        for (Session s : both()) {
            assertThat(rollupSource.path(StackCostsQuery.request(s.id()))).isEqualTo(UsageSource.Path.STACK_TOTALS);
            List<StackCost> a = rollup.costs().costs(s.id());
            List<StackCost> b = raw.costs().costs(s.id());
            assertThat(a).extracting(StackCost::stackId).isEqualTo(b.stream().map(StackCost::stackId).toList());
            assertThat(a).hasSize(5);
            for (int i = 0; i < a.size(); i++) {
                StackCost x = a.get(i);
                StackCost y = b.get(i);
                assertClose(s, List.of(x.allocations(), x.bytesAllocated(), x.leaked(), x.bytesLeaked()),
                        List.of(y.allocations(), y.bytesAllocated(), y.leaked(), y.bytesLeaked()), s.tolerance());
                assertThat(x.frames()).isEqualTo(y.frames());
            }
        }
    }

    @Test
    void scriptSeries() {
        for (Session s : both()) {
            AllocationSelection all = AllocationSelection.all();
            for (AllocationSelection sel : List.of(all, all.leaked(), all.temporary(), all.leaked().from(s.at(33.3)),
                    all.leaked().until(s.at(90.1)).passingThrough(s.someFunction()),
                    all.notPassingThrough(s.someFunction()))) {
                for (int points : new int[] {50, 6}) {
                    SelectionRequest request = SelectionRequest.series(s.id(), sel, s.range(), s.range(), points);
                    boolean byStack = !sel.throughFunctions().isEmpty() || !sel.notThroughFunctions().isEmpty();
                    UsageSource.Path expected = !byStack ? UsageSource.Path.SESSION_SECONDS
                            : points == 6 && sel.untilUs() == null ? UsageSource.Path.STACK_SLOTS
                            : UsageSource.Path.STACK_SECONDS;
                    assertThat(rollupSource.path(request.usage())).as(sel + " " + points).isEqualTo(expected);
                    long[] a = rollup.selection().retained(s.id(), sel, s.range(), s.range(), points);
                    long[] b = raw.selection().retained(s.id(), sel, s.range(), s.range(), points);
                    assertClose(s, Arrays.stream(a).boxed().toList(), Arrays.stream(b).boxed().toList(),
                            points * s.tolerance());
                    assertThat(Arrays.stream(a).max().orElse(0)).as(sel.toString()).isPositive();
                }
            }
            // made in a range and freed: a free knows its own time, not its allocation's
            assertThat(rollupSource.path(SelectionRequest.series(s.id(), all.from(s.at(10)), s.range(), s.range(), 50)
                    .usage())).isEqualTo(UsageSource.Path.RAW);
        }
    }

    /**
     * Proof that each rollup path reads its table: with one table's rows of a session gone, the
     * answers that table gives are gone, the others' are not, and raw rows still have everything.
     */
    @Test
    void eachPathReadsItsTable() throws Exception {
        long id = SyntheticSession.create(TestDatabase.dataSource(), "rollup-missing").id;
        TimeRange range = new SessionTimeRangeQuery(jdbc).find(id).orElseThrow();
        LeakFilter fromOneSecond = new LeakFilter(range.startUs() + 1_000_000, null, 0, null, 100);
        assertThat(rollup.groups().find(id, LeakFilter.all())).hasSize(4);

        delete("stack_totals", id);
        assertThat(rollup.groups().find(id, LeakFilter.all())).isEmpty();
        assertThat(rollup.sessionTotals().totals(id).allocations()).isZero();
        assertThat(rollup.groups().find(id, fromOneSecond)).hasSize(4); // a window: stack_usage
        assertThat(rollup.memory().memory(id, range, 40).get(39).heapBytes()).isEqualTo(SyntheticSession.LEAKED_BYTES);

        delete("session_usage", id);
        assertThat(rollup.memory().memory(id, range, 40).get(39).heapBytes()).isZero();
        assertThat(rollup.groups().find(id, fromOneSecond)).hasSize(4);

        // the leak series: 5 points over 100 s sit on 10 s and read stack_usage_coarse, 40 read stack_usage
        LeakReport linear5 = rollup.reports().find(id, fromOneSecond.withLimit(1), 5).orElseThrow().get(0);
        assertThat(linear5.series().get(4).bytes()).isEqualTo(SyntheticSession.LINEAR_BYTES);
        delete("stack_usage_coarse", id);
        assertThat(rollup.reports().find(id, fromOneSecond.withLimit(1), 5).orElseThrow().get(0).series().get(4).bytes())
                .isZero();
        assertThat(rollup.reports().find(id, fromOneSecond.withLimit(1), 40).orElseThrow().get(0).series().get(39)
                .bytes()).isEqualTo(SyntheticSession.LINEAR_BYTES);

        delete("stack_usage", id);
        assertThat(rollup.groups().find(id, fromOneSecond)).isEmpty();
        // a size filter needs single allocations: raw rows, found
        assertThat(rollup.groups().find(id, new LeakFilter(null, null, 1000, null, 100))).hasSize(2);
        assertThat(raw.groups().find(id, LeakFilter.all())).hasSize(4);
        assertThat(raw.sessionTotals().totals(id).allocations()).isEqualTo(SyntheticSession.ALLOCATIONS);
        assertThat(raw.memory().memory(id, range, 40).get(39).heapBytes()).isEqualTo(SyntheticSession.LEAKED_BYTES);

        SyntheticSession.rebuildUsage(TestDatabase.dataSource(), id);
        assertThat(rollup.groups().find(id, LeakFilter.all())).hasSize(4);
        assertThat(rollup.groups().find(id, fromOneSecond)).hasSize(4);
        assertThat(rollup.memory().memory(id, range, 40).get(39).heapBytes()).isEqualTo(SyntheticSession.LEAKED_BYTES);
    }

    static void delete(String table, long sessionId) throws Exception {
        try (Connection c = TestDatabase.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + " WHERE session_id = ?")) {
            ps.setLong(1, sessionId);
            assertThat(ps.executeUpdate()).isPositive();
        }
    }

    static void assertSameGroups(Session s, List<LeakGroup> a, List<LeakGroup> b) {
        assertThat(a).extracting(LeakGroup::stackId).isEqualTo(b.stream().map(LeakGroup::stackId).toList());
        for (int i = 0; i < a.size(); i++) {
            assertClose(s, List.of(a.get(i).bytesLeaked(), a.get(i).count()),
                    List.of(b.get(i).bytesLeaked(), b.get(i).count()), s.tolerance());
            assertThat(a.get(i).frames()).isEqualTo(b.get(i).frames());
        }
    }

    static void assertClose(Session s, List<Long> rollupValues, List<Long> rawValues, long tolerance) {
        assertThat(rollupValues).hasSameSizeAs(rawValues);
        if (tolerance == 0) {
            assertThat(rollupValues).isEqualTo(rawValues);
            return;
        }
        Function<Integer, Long> diff = i -> Math.abs(rollupValues.get(i) - rawValues.get(i));
        for (int i = 0; i < rollupValues.size(); i++) {
            assertThat(diff.apply(i)).as("session %d value %d: rollup %s vs raw %s", s.id(), i, rollupValues, rawValues)
                    .isLessThanOrEqualTo(tolerance);
        }
    }
}
