package dev.plumb.agent.ship;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.plumb.agent.record.RecordingServer;
import dev.plumb.wire.Batch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SessionShipper with condensing, fed deterministic capture streams and shipping over real
 * loopback sockets: to a `plumb record` recorder (whose file is read back), or to a gatherer
 * stand-in that keeps the exactly-once rules and breaks connections.
 */
class CondensingShipperTest {
    static final Duration THRESHOLD = Duration.ofSeconds(10);
    static final long THRESHOLD_MICROS = 10_000_000;

    @TempDir
    Path dir;

    /** What one shipper delivered, and the largest young buffer / open group count seen between events. */
    record Run(Shipped shipped, ShipperStats stats, int mostYoung, int mostGroups) {
    }

    private int runs;

    Run ship(SyntheticCapture capture, Duration condenseAfter) throws Exception {
        return ship(capture, condenseAfter, Condenser.DEFAULT_MAX_YOUNG, Condenser.DEFAULT_MAX_GROUPS);
    }

    Run ship(SyntheticCapture capture, Duration condenseAfter, int maxYoung, int maxGroups) throws Exception {
        Path recording = dir.resolve("run-" + runs + ".plumb");
        Path parts = Files.createDirectories(dir.resolve("parts-" + runs++));
        int[] most = new int[2];
        SessionShipper shipper;
        try (RecordingServer recorder = new RecordingServer(recording, parts)) {
            shipper = new SessionShipper(new GathererAddress("127.0.0.1", recorder.port()),
                    new SessionLabels("test-host", "synthetic", "v1", "", Map.of()), null, condenseAfter, maxYoung, maxGroups);
            try (shipper) {
                capture.play(shipper, () -> {
                    most[0] = Math.max(most[0], shipper.condenser().young());
                    most[1] = Math.max(most[1], shipper.condenser().openGroups());
                });
            }
        }
        assertThat(shipper.failure()).isNull();
        return new Run(Shipped.readRecording(recording), shipper.stats(), most[0], most[1]);
    }

    /** The backtrace name the shipper gives synthetic stack {@code s} (unknown addresses as hex). */
    static String stackName(int s) {
        return "0x" + Long.toHexString(0x1000L * s + 0x10) + ";0x" + Long.toHexString(0x2000L * s + 0x20) + ";0x3000";
    }

    /** The per-backtrace, per-second sums computed from the events themselves, one by one. */
    static Map<String, List<Double>> groundTruth(SyntheticCapture capture) {
        Map<String, double[]> sums = new TreeMap<>();
        for (SyntheticCapture.Event a : capture.allocations()) {
            double bytes = a.size() * a.weight();
            add(sums, a.stack(), a.atMicros(), 0, a.weight(), bytes);
            if (a.freedAtMicros() >= 0) {
                add(sums, a.stack(), a.freedAtMicros(), 2, a.weight(), bytes);
                add(sums, a.stack(), a.atMicros(), 4, a.weight(), bytes);
            }
        }
        Map<String, List<Double>> result = new TreeMap<>();
        sums.forEach((k, v) -> result.put(k, List.of(v[0], v[1], v[2], v[3], v[4], v[5])));
        return result;
    }

    private static void add(Map<String, double[]> sums, int stack, long atMicros, int at, double count, double bytes) {
        double[] s = sums.computeIfAbsent(stackName(stack) + " @ " + Math.floorDiv(atMicros, 1_000_000L), k -> new double[6]);
        s[at] += count;
        s[at + 1] += bytes;
    }

    @Test
    void temporariesBecomeFarFewerRowsWithTheSameSumsPerBacktraceAndSecond() throws Exception {
        SyntheticCapture capture = SyntheticCapture.generate(1, SyntheticCapture.Mix.temporaryHeavy(200_000), 0);
        Run off = ship(capture, Duration.ZERO);
        Run on = ship(capture, THRESHOLD);

        assertThat(off.shipped().allocs()).as("condensing off ships every allocation").hasSize(200_000);
        assertThat(off.stats().condensedRows()).isZero();
        assertThat(off.shipped().usagePerStackAndSecond()).isEqualTo(groundTruth(capture));

        long offRows = off.shipped().rows();
        long onRows = on.shipped().rows();
        assertThat(onRows * 10).as("rows shipped: %d condensed vs %d", onRows, offRows).isLessThan(offRows);
        assertThat(on.shipped().usagePerStackAndSecond()).isEqualTo(off.shipped().usagePerStackAndSecond());

        long individually = on.shipped().allocs().size() - on.stats().condensedRows();
        assertThat(on.stats().condensedAllocations() + individually).as("every allocation is in exactly one row")
                .isEqualTo(200_000);
        assertThat(on.stats().summary()).contains(String.format("%,d temporaries condensed into %,d rows",
                on.stats().condensedAllocations(), on.stats().condensedRows()));
        assertThat(on.stats().youngEvicted()).isZero();
    }

    @Test
    void longLivedAndLeakedAllocationsAreShippedOneByOneWithTheirOwnIdSizeAndTimes() throws Exception {
        SyntheticCapture capture = SyntheticCapture.generate(2, SyntheticCapture.Mix.temporaryHeavy(100_000), 0);
        Shipped on = ship(capture, THRESHOLD).shipped();
        Map<Long, Batch.Alloc> allocById = new HashMap<>();
        Map<Long, Integer> batchOfAlloc = new HashMap<>();
        for (int b = 0; b < on.batches.size(); b++) {
            for (Batch.Alloc a : on.batches.get(b).allocs()) {
                assertThat(allocById.put(a.allocId(), a)).as("allocation id %d shipped twice", a.allocId()).isNull();
                batchOfAlloc.put(a.allocId(), b);
            }
        }
        Map<Long, Batch.Free> freeById = new HashMap<>();
        for (int b = 0; b < on.batches.size(); b++) {
            for (Batch.Free f : on.batches.get(b).frees()) {
                assertThat(freeById.put(f.allocId(), f)).as("free of %d shipped twice", f.allocId()).isNull();
                Batch.Alloc a = allocById.get(f.allocId());
                assertThat(a).as("the allocation of free %d", f.allocId()).isNotNull();
                assertThat(batchOfAlloc.get(f.allocId())).as("its batch comes no later than the free's").isLessThanOrEqualTo(b);
                assertThat(f).isEqualTo(Batch.Free.of(a, f.atMicros()));
                assertThat(f.atMicros()).isGreaterThanOrEqualTo(a.atMicros());
            }
        }

        int longLived = 0;
        int leaked = 0;
        Set<Long> temporaryIds = new HashSet<>();
        for (SyntheticCapture.Event e : capture.allocations()) {
            boolean temporary = e.freedAtMicros() >= 0 && e.freedAtMicros() - e.atMicros() <= THRESHOLD_MICROS;
            if (temporary) {
                temporaryIds.add(e.allocId());
                continue;
            }
            Batch.Alloc shipped = allocById.get(e.allocId());
            assertThat(shipped).as("long-lived allocation %d shipped individually", e.allocId()).isNotNull();
            assertThat(shipped.size()).isEqualTo(e.size());
            assertThat(shipped.atMicros()).isEqualTo(e.atMicros());
            assertThat(shipped.weight()).isEqualTo(1.0);
            assertThat(on.stackName(shipped.stackId())).isEqualTo(stackName(e.stack()));
            if (e.freedAtMicros() < 0) {
                leaked++;
                assertThat(freeById).as("leak %d has no free", e.allocId()).doesNotContainKey(e.allocId());
            } else {
                longLived++;
                assertThat(freeById.get(e.allocId()).atMicros()).as("free of %d", e.allocId()).isEqualTo(e.freedAtMicros());
            }
        }
        assertThat(longLived).as("the stream has long-lived allocations").isGreaterThan(1000);
        assertThat(leaked).as("and leaks").isGreaterThan(500);

        // every other row is a group of temporaries named by its first member, freed with it
        for (Batch.Alloc a : allocById.values()) {
            if (temporaryIds.contains(a.allocId())) {
                assertThat(freeById).as("a condensed row comes with its free").containsKey(a.allocId());
                assertThat(freeById.get(a.allocId()).atMicros() - a.atMicros()).isLessThan(2 * THRESHOLD_MICROS);
            }
        }
        for (Batch b : on.batches) {
            assertThat(b.allocs().size() + b.frees().size()).isLessThanOrEqualTo(SessionShipper.MAX_EVENTS_PER_BATCH + 1);
        }
    }

    @Test
    void sampledWeightsAddUpInTheCondensedRows() throws Exception {
        SyntheticCapture capture = SyntheticCapture.generate(3, SyntheticCapture.Mix.temporaryHeavy(60_000), 524_288);
        Map<String, List<Double>> off = ship(capture, Duration.ZERO).shipped().usagePerStackAndSecond();
        Run on = ship(capture, THRESHOLD);
        Map<String, List<Double>> condensed = on.shipped().usagePerStackAndSecond();
        assertThat(on.shipped().allocs().size() * 5).isLessThan(60_000);
        assertThat(condensed.keySet()).isEqualTo(off.keySet());
        for (String key : off.keySet()) {
            for (int v = 0; v < 6; v++) {
                double expected = off.get(key).get(v);
                assertThat(condensed.get(key).get(v)).as("%s value %d", key, v).isCloseTo(expected, within(1e-9 * expected));
            }
        }
        assertThat(on.shipped().allocs().stream().mapToDouble(Batch.Alloc::weight).max().orElseThrow())
                .as("a condensed row stands for many sampled allocations").isGreaterThan(1000);
    }

    @Test
    void theYoungBufferAndOpenGroupsStayWithinTheirBoundsWithoutLosingAnything() throws Exception {
        SyntheticCapture capture = SyntheticCapture.generate(4, SyntheticCapture.Mix.temporaryHeavy(100_000), 0);
        Run off = ship(capture, Duration.ZERO);
        Run bounded = ship(capture, THRESHOLD, 300, 40);
        Run unbounded = ship(capture, THRESHOLD);

        assertThat(unbounded.mostYoung()).as("without a tight bound more would be held back").isGreaterThan(300);
        assertThat(unbounded.mostGroups()).isGreaterThan(40);
        assertThat(bounded.mostYoung()).isLessThanOrEqualTo(300);
        assertThat(bounded.mostGroups()).isLessThanOrEqualTo(40);
        assertThat(bounded.stats().youngEvicted()).isPositive();
        assertThat(bounded.stats().summary()).contains("shipped early: young buffer full");

        assertThat(bounded.shipped().usagePerStackAndSecond()).isEqualTo(off.shipped().usagePerStackAndSecond());
        assertThat(bounded.shipped().rows()).as("still condensed, only less").isLessThan(off.shipped().rows() / 2)
                .isGreaterThan(unbounded.shipped().rows());
    }

    @Test
    void exactlyOnceAcrossReconnectsWithTheSameBatchesAsAnUnbrokenRun() throws Exception {
        SyntheticCapture capture = SyntheticCapture.generate(5, SyntheticCapture.Mix.longLivedHeavy(150_000), 0);
        Shipped unbroken = ship(capture, THRESHOLD).shipped();
        assertThat(unbroken.batches.size()).as("enough batches to break connections between").isGreaterThanOrEqualTo(4);

        SessionShipper shipper;
        List<Batch> stored;
        try (FlakyGatherer gatherer = new FlakyGatherer(2)) {
            shipper = new SessionShipper(gatherer.address(), new SessionLabels("h", "flaky", "v1", "", Map.of()), null,
                    THRESHOLD);
            try (shipper) {
                capture.play(shipper, () -> { });
            }
            assertThat(gatherer.problems()).isEmpty();
            assertThat(gatherer.connections()).as("connections").isGreaterThan(2);
            assertThat(gatherer.resent()).as("batches sent again after a break").isPositive();
            stored = gatherer.stored();
        }
        assertThat(shipper.failure()).isNull();
        assertThat(shipper.stats().droppedEvents()).isZero();
        assertThat(stored).hasSameSizeAs(unbroken.batches);
        for (int i = 0; i < stored.size(); i++) {
            Batch expected = unbroken.batches.get(i);
            Batch actual = stored.get(i);
            assertThat(actual.seq()).isEqualTo(expected.seq());
            assertThat(actual.allocs()).as("allocations of batch %d", actual.seq()).isEqualTo(expected.allocs());
            assertThat(actual.frees()).as("frees of batch %d", actual.seq()).isEqualTo(expected.frees());
            assertThat(actual.endedAtMicros()).isEqualTo(expected.endedAtMicros());
        }
        assertThat(stored.get(stored.size() - 1).isFinal()).isTrue();
    }

    @Test
    void anIdleProgramsTemporariesAndLongLivedAllocationsLeaveWithinTheThreshold() throws Exception {
        Path recording = dir.resolve("idle.plumb");
        Path parts = Files.createDirectories(dir.resolve("idle-parts"));
        long t0 = SyntheticCapture.START_MICROS;
        try (RecordingServer recorder = new RecordingServer(recording, parts);
             SessionShipper shipper = new SessionShipper(new GathererAddress("127.0.0.1", recorder.port()),
                     new SessionLabels("h", "idle", "v1", "", Map.of()), null, THRESHOLD)) {
            shipper.onHello(1, "/bin/idle", t0);
            shipper.onStack(1, new long[] {0x1010});
            for (int i = 0; i < 100; i++) {
                shipper.onAlloc(t0 + i, 0x5000 + i * 16L, 32, 1, 1, 1.0);
                shipper.onFree(t0 + 1000 + i, 0x5000 + i * 16L);
            }
            shipper.onAlloc(t0 + 2000, 0x9000, 4096, 1, 1, 1.0); // lives on
            // Then nothing happens. The timer's first tick notes the events, later ones let
            // capture time run on with the wall clock from there.
            long wall = t0 + 5_000;
            shipper.flushIfDue(wall);
            assertThat(shipper.stats().condensedRows()).isZero();
            shipper.flushIfDue(wall + 1_100_000);
            assertThat(shipper.stats().condensedRows()).as("the second is over: the group is emitted").isEqualTo(1);
            assertThat(shipper.stats().condensedAllocations()).isEqualTo(100);
            assertThat(shipper.condenser().young()).isEqualTo(1);
            shipper.flushIfDue(wall + THRESHOLD_MICROS + 10_000);
            assertThat(shipper.condenser().young()).as("past the threshold it is shipped on its own").isZero();
            shipper.onEnd(t0 + 20_000_000);
        }
        Shipped shipped = Shipped.readRecording(recording);
        assertThat(shipped.allocs()).containsExactly(new Batch.Alloc(1, 1, 32, t0, 100.0), new Batch.Alloc(101, 1, 4096,
                t0 + 2000, 1.0));
        assertThat(shipped.frees()).containsExactly(new Batch.Free(1, t0 + 1099, 1, 32, t0, 100.0));
        assertThat(shipped.batches.get(0).allocs()).as("both cut into a batch before the end").hasSize(2);
        assertThat(shipped.batches.get(0).isFinal()).isFalse();
    }

    @Test
    void condensingOffShipsEveryAllocationAndFreeAsItComes() throws Exception {
        SyntheticCapture capture = SyntheticCapture.generate(6, SyntheticCapture.Mix.temporaryHeavy(20_000), 0);
        Shipped off = ship(capture, Duration.ZERO).shipped();
        List<Long> ids = new ArrayList<>();
        off.allocs().forEach(a -> ids.add(a.allocId()));
        assertThat(ids).as("in allocation order, one id each").isEqualTo(capture.allocations().stream()
                .map(SyntheticCapture.Event::allocId).toList());
        long freed = capture.allocations().stream().filter(e -> e.freedAtMicros() >= 0).count();
        assertThat(off.frees()).hasSize((int) freed);
    }
}
