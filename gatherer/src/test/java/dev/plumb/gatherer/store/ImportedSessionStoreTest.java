package dev.plumb.gatherer.store;

import static dev.plumb.gatherer.GathererFixtures.hello;
import static dev.plumb.gatherer.GathererFixtures.sessionFilter;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plumb.gatherer.db.EmbeddedDatabase;
import dev.plumb.wire.Batch;
import dev.plumb.wire.WireException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** An imported recording is stored whole, ended, in one transaction — or not at all. */
class ImportedSessionStoreTest {
    static EmbeddedDatabase db;
    static IngestStore store;

    @BeforeAll
    static void start() throws Exception {
        db = EmbeddedDatabase.start(null);
        Flyway.configure().dataSource(db.dataSource()).load().migrate();
        store = new IngestStore(db.dataSource(), new Partitions(db.dataSource()));
    }

    @AfterAll
    static void stop() throws Exception {
        db.close();
    }

    private static Batch content(int stackIdOfSecondAlloc) {
        List<Batch.StackDef> stacks = List.of(new Batch.StackDef(1, List.of(
                new Batch.StackFrame("imported_fn", "lib.so", "lib.c", 3),
                new Batch.StackFrame("main", "app", "app.c", 9))));
        List<Batch.Alloc> allocs = List.of(new Batch.Alloc(1, 1, 64, 1_000_000L),
                new Batch.Alloc(2, stackIdOfSecondAlloc, 32, 1_000_500L));
        return new Batch(1, stacks, allocs, List.of(Batch.Free.of(allocs.get(0), 1_000_900L)), 2_000_000L);
    }

    @Test
    void storesSessionRowStacksAllocationsAndFreesAsEnded() throws Exception {
        UUID session = UUID.randomUUID();
        long id = store.storeImportedSession(hello(session, ""), content(1));

        assertThat(count("SELECT count(*) FROM sessions WHERE id = " + id + " AND ended_at IS NOT NULL")).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM allocations WHERE " + sessionFilter(session))).isEqualTo(2);
        assertThat(count("SELECT count(*) FROM frees WHERE " + sessionFilter(session))).isEqualTo(1);
    }

    @Test
    void aFailureHalfwayLeavesNoSessionBehind() {
        UUID session = UUID.randomUUID();
        assertThatThrownBy(() -> store.storeImportedSession(hello(session, ""), content(99)))
                .isInstanceOf(WireException.class).hasMessageContaining("stack 99");
        assertThat(uncheckedCount("SELECT count(*) FROM sessions WHERE agent_session = '" + session + "'")).isZero();
    }

    private static long count(String sql) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static long uncheckedCount(String sql) {
        try {
            return count(sql);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
