package dev.plumb.web.faults;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One profiled process as `plumb run` summed it up at exit (ShipperStats.summary): what the
 * agent decoded and delivered, and what the capture library itself counted.
 *
 * @param condensed            temporaries the agent folded into condensed rows (--condense-after)
 * @param condensedRows        the rows they became (each a weighted allocation and its free)
 * @param libraryEvents        ALLOC/SAMPLE/FREE records the capture library wrote (its COUNTERS)
 * @param ignoredFrees         frees of memory the stream never allocated (before capture; samples left out)
 * @param waits                times the program found the agent's socket full and waited
 * @param waitMillis           how long it waited in all
 * @param spoolDroppedSamples  sampled mode: samples the full spool left out
 * @param notDelivered         events the agent gave up on
 */
record AgentSummary(String exe, long allocations, long frees, long condensed, long condensedRows, long batches,
                    long connections, long libraryEvents,
                    long ignoredFrees, long waits, long waitMillis, long spoolDroppedSamples, long notDelivered) {

    private static final Pattern LINE = Pattern.compile("plumb: pid \\d+ \\((?<exe>[^)]*)\\): (?<allocs>[\\d,]+) allocations,"
            + " (?<frees>[\\d,]+) frees, .*?(?<condensed>[\\d,]+) temporaries condensed into (?<rows>[\\d,]+) rows"
            + ".*? (?<batches>[\\d,]+) batches delivered(?: over (?<conns>\\d+) connections)?"
            + "(?:, (?<lost>[\\d,]+) events NOT delivered)?"
            + "(?:; the capture library recorded (?<events>[\\d,]+) events)?"
            + "(?: \\((?<ignored>[\\d,]+) frees of memory allocated before capture, ignored\\))?"
            + "(?:; the program waited (?<waits>[\\d,]+) times \\((?<waitms>[\\d,]+) ms\\) for the agent)?"
            + "(?:.*?; (?<spool>[\\d,]+) samples dropped \\(agent spool full.*|.*)");

    /** The summary of the process whose executable path ends with {@code exeSuffix}, or null. */
    static AgentSummary find(String agentOutput, String exeSuffix) {
        for (String line : agentOutput.split("\n")) {
            Matcher m = LINE.matcher(line);
            if (m.matches() && m.group("exe").endsWith(exeSuffix)) {
                return new AgentSummary(m.group("exe"), num(m, "allocs"), num(m, "frees"), num(m, "condensed"),
                        num(m, "rows"), num(m, "batches"),
                        m.group("conns") == null ? 1 : num(m, "conns"), num(m, "events"), num(m, "ignored"),
                        num(m, "waits"), num(m, "waitms"), num(m, "spool"), num(m, "lost"));
            }
        }
        return null;
    }

    private static long num(Matcher m, String group) {
        String v = m.group(group);
        return v == null ? 0 : Long.parseLong(v.replace(",", ""));
    }

    /** Rows the agent shipped: events, with each group of condensed temporaries as one allocation row and its free. */
    long shippedRows() {
        return allocations + frees - 2 * condensed + 2 * condensedRows;
    }

    /** Events the agent took from the library: every one is an allocation, a free, or an ignored free. */
    long agentEvents() {
        return allocations + frees + ignoredFrees;
    }
}
