package dev.plumb.web.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** The external PostgreSQL, from options or (in containers) the PLUMB_DB_* environment. */
public final class DatabaseOptions {
    @Option(names = "--db-url", paramLabel = "JDBC_URL", defaultValue = "${env:PLUMB_DB_URL}",
            description = "PostgreSQL to use, jdbc:postgresql://HOST:PORT/DB (env PLUMB_DB_URL).")
    String url;

    @Option(names = "--db-user", paramLabel = "U", defaultValue = "${env:PLUMB_DB_USER}",
            description = "User for --db-url (env PLUMB_DB_USER).")
    String user;

    @Option(names = "--db-password", paramLabel = "P", defaultValue = "${env:PLUMB_DB_PASSWORD}",
            description = "Password for --db-url (env PLUMB_DB_PASSWORD).")
    String password;

    /** @param required whether this command has no embedded database to fall back to */
    void check(CommandSpec spec, boolean required) {
        if (url == null && required) {
            throw new ParameterException(spec.commandLine(), spec.name() + " needs a database: --db-url JDBC_URL "
                    + "(or PLUMB_DB_URL); for an all-in-one process with embedded PostgreSQL use plumb server");
        }
        if (url != null && !url.startsWith("jdbc:postgresql:")) {
            throw new ParameterException(spec.commandLine(), "--db-url must be a PostgreSQL JDBC URL (jdbc:postgresql://HOST:PORT/DB), not '" + url + "'");
        }
        if (url == null && user != null) {
            throw new ParameterException(spec.commandLine(), "--db-user (PLUMB_DB_USER) only makes sense with --db-url (PLUMB_DB_URL)");
        }
    }
}
