package dev.plumb.web.support;

import dev.plumb.gatherer.db.EmbeddedDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * One embedded PostgreSQL per test JVM, migrated with the real schema (db/migrations via the
 * gatherer jar). Tests share it and keep apart by inserting their own sessions.
 */
public final class TestDatabase {
    private static EmbeddedDatabase db;

    private TestDatabase() {
    }

    public static synchronized EmbeddedDatabase get() {
        if (db == null) {
            try {
                db = EmbeddedDatabase.start(null);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Flyway.configure().dataSource(db.dataSource()).load().migrate();
            EmbeddedDatabase started = db;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    started.close();
                } catch (IOException ignored) {
                    // the JVM is exiting
                }
            }));
        }
        return db;
    }

    public static DataSource dataSource() {
        return get().dataSource();
    }
}
