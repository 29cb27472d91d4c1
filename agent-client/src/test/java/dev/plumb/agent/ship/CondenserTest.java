package dev.plumb.agent.ship;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.wire.Batch;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The folding rules on a handful of allocations, row by row. */
class CondenserTest {
    static final long T = 1_750_000_000_000_000L; // on a second
    static final long THRESHOLD = 10_000_000;

    final List<Batch.Alloc> allocs = new ArrayList<>();
    final List<Batch.Free> frees = new ArrayList<>();
    final ShipperStats stats = new ShipperStats();
    final Condenser condenser = new Condenser(THRESHOLD, 1000, 1000, new Condenser.Output() {
        @Override
        public void allocation(Batch.Alloc alloc) {
            allocs.add(alloc);
        }

        @Override
        public void temporaries(Batch.Alloc alloc, Batch.Free free) {
            allocs.add(alloc);
            frees.add(free);
        }
    }, stats);

    private LiveAllocation alloc(long id, int stack, long size, long at) {
        condenser.advanceTo(at);
        return condenser.allocated(id, stack, size, at, 1.0);
    }

    private void free(LiveAllocation a, long at) {
        condenser.advanceTo(at);
        Batch.Free free = condenser.freed(a, at);
        if (free != null) {
            frees.add(free);
        }
    }

    @Test
    void sameStackSizeAndSecondsFoldIntoOneRowNamedByTheFirst() {
        LiveAllocation a = alloc(1, 7, 64, T + 100);
        LiveAllocation b = alloc(2, 7, 64, T + 200);
        LiveAllocation other = alloc(3, 7, 128, T + 300); // other size
        LiveAllocation c = alloc(4, 7, 64, T + 400);
        free(b, T + 500);
        free(a, T + 900_000);
        free(other, T + 900_001);
        assertThat(allocs).as("nothing leaves before its free second is over").isEmpty();
        free(c, T + 1_200_000); // freed in the next second: another group
        assertThat(allocs).as("the first second's groups").hasSize(2);
        condenser.advanceTo(T + 2_000_000);
        assertThat(allocs).containsExactly(
                new Batch.Alloc(2, 7, 64, T + 100, 2.0),
                new Batch.Alloc(3, 7, 128, T + 300, 1.0),
                new Batch.Alloc(4, 7, 64, T + 400, 1.0));
        assertThat(frees).containsExactly(
                new Batch.Free(2, T + 900_000, 7, 64, T + 100, 2.0),
                new Batch.Free(3, T + 900_001, 7, 128, T + 300, 1.0),
                new Batch.Free(4, T + 1_200_000, 7, 64, T + 400, 1.0));
        assertThat(stats.condensedAllocations).isEqualTo(4);
        assertThat(stats.condensedRows).isEqualTo(3);
    }

    @Test
    void anAllocationThatOutlivesTheThresholdIsShippedAloneAndFreedAlone() {
        LiveAllocation a = alloc(1, 7, 64, T);
        condenser.advanceTo(T + THRESHOLD);
        assertThat(allocs).as("at exactly the threshold it may still be a temporary").isEmpty();
        condenser.advanceTo(T + THRESHOLD + 1);
        assertThat(allocs).containsExactly(new Batch.Alloc(1, 7, 64, T, 1.0));
        free(a, T + THRESHOLD + 5);
        assertThat(frees).containsExactly(new Batch.Free(1, T + THRESHOLD + 5, 7, 64, T, 1.0));
        assertThat(condenser.young()).isZero();
    }

    @Test
    void drainingEmitsOpenGroupsAndShipsWhatIsStillYoung() {
        free(alloc(1, 7, 64, T), T + 10);
        alloc(2, 8, 32, T + 20);
        condenser.drain();
        assertThat(allocs).containsExactly(new Batch.Alloc(1, 7, 64, T, 1.0), new Batch.Alloc(2, 8, 32, T + 20, 1.0));
        assertThat(frees).containsExactly(new Batch.Free(1, T + 10, 7, 64, T, 1.0));
        assertThat(condenser.young()).isZero();
        assertThat(condenser.openGroups()).isZero();
    }

    @Test
    void aZeroThresholdShipsAtOnce() {
        Condenser off = new Condenser(0, 1000, 1000, new Condenser.Output() {
            @Override
            public void allocation(Batch.Alloc alloc) {
                allocs.add(alloc);
            }

            @Override
            public void temporaries(Batch.Alloc alloc, Batch.Free free) {
                throw new AssertionError("nothing is condensed when off");
            }
        }, stats);
        LiveAllocation a = off.allocated(1, 7, 64, T, 1.0);
        assertThat(allocs).containsExactly(new Batch.Alloc(1, 7, 64, T, 1.0));
        assertThat(off.freed(a, T + 1)).isEqualTo(new Batch.Free(1, T + 1, 7, 64, T, 1.0));
    }
}
