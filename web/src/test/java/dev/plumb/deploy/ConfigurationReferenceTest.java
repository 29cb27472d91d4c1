package dev.plumb.deploy;

import static org.assertj.core.api.Assertions.fail;

import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The README's configuration reference lists exactly the settings the applications read
 * (AppSettings collects them from the code). Descriptions are written by hand; which rows
 * exist, and their environment-variable column, are kept honest here.
 */
class ConfigurationReferenceTest {
    static final String START = "<!-- configuration-reference:start -->";
    static final String END = "<!-- configuration-reference:end -->";

    @Test
    void readmeTableListsExactlyTheSettingsTheApplicationsRead() {
        Set<AppSettings.Setting> documented = documentedRows();
        Set<AppSettings.Setting> expected = AppSettings.all();
        Set<AppSettings.Setting> missing = new TreeSet<>(expected);
        missing.removeAll(documented);
        Set<AppSettings.Setting> stale = new TreeSet<>(documented);
        stale.removeAll(expected);
        if (!missing.isEmpty() || !stale.isEmpty()) {
            StringBuilder message = new StringBuilder("README.md configuration reference is out of date.\n");
            missing.forEach(s -> message.append("  add row:    ").append(row(s)).append('\n'));
            stale.forEach(s -> message.append("  remove row: ").append(row(s)).append('\n'));
            fail(message.toString());
        }
    }

    private static Set<AppSettings.Setting> documentedRows() {
        String readme = Repo.read("README.md");
        int start = readme.indexOf(START);
        int end = readme.indexOf(END);
        if (start < 0 || end < start) {
            fail("README.md needs the table between " + START + " and " + END);
        }
        Set<AppSettings.Setting> rows = new TreeSet<>();
        for (String line : readme.substring(start + START.length(), end).split("\n")) {
            if (!line.startsWith("| `") && !line.startsWith("| — ")) {
                continue; // header, separator, blank
            }
            String[] cells = line.split("\\|");
            rows.add(new AppSettings.Setting(code(cells[1]), code(cells[2])));
        }
        return rows;
    }

    /** `x` → x; — → null (an environment-only variable has no property). */
    private static String code(String cell) {
        String c = cell.strip();
        return c.equals("—") ? null : c.replace("`", "");
    }

    private static String row(AppSettings.Setting s) {
        return "| " + (s.property() == null ? "—" : "`" + s.property() + "`") + " | `" + s.env() + "` | default | read by | meaning |";
    }
}
