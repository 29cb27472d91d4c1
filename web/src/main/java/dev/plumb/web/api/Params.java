package dev.plumb.web.api;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Parsing of query and path parameters with messages that say what was wrong and what is
 * accepted. Everything user-supplied goes through here before it reaches a query, and only
 * ever as a bind parameter.
 */
final class Params {
    static final int MAX_REGEX_LENGTH = 1000;
    private static final Pattern DIGITS = Pattern.compile("-?\\d{1,19}");

    private Params() {
    }

    static long sessionId(String raw) {
        if (raw == null || !raw.matches("\\d{1,18}") || Long.parseLong(raw) <= 0) {
            throw ApiException.badRequest("session id must be a positive integer, got '" + clip(raw) + "'");
        }
        return Long.parseLong(raw);
    }

    static int intInRange(String name, String raw, int dflt, int min, int max) {
        if (blank(raw)) {
            return dflt;
        }
        String s = raw.trim();
        if (!DIGITS.matcher(s).matches()) {
            throw ApiException.badRequest(name + " must be an integer from " + min + " to " + max
                    + ", got '" + clip(raw) + "'");
        }
        long v = Long.parseLong(s);
        if (v < min || v > max) {
            throw ApiException.badRequest(name + " must be an integer from " + min + " to " + max + ", got " + v);
        }
        return (int) v;
    }

    static long nonNegativeLong(String name, String raw, long dflt) {
        if (blank(raw)) {
            return dflt;
        }
        String s = raw.trim();
        if (!DIGITS.matcher(s).matches()) {
            throw ApiException.badRequest(name + " must be a non-negative integer (bytes), got '" + clip(raw) + "'");
        }
        long v;
        try {
            v = Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest(name + " is too large: '" + clip(raw) + "'");
        }
        if (v < 0) {
            throw ApiException.badRequest(name + " must be a non-negative integer (bytes), got " + v);
        }
        return v;
    }

    /**
     * An instant as epoch milliseconds ("1714521600000") or ISO-8601 ("2024-05-01T00:00:00Z",
     * "2024-05-01T02:00:00+02:00"), returned as epoch microseconds; null if absent.
     */
    static Long instantMicros(String name, String raw) {
        if (blank(raw)) {
            return null;
        }
        String s = raw.trim();
        try {
            if (DIGITS.matcher(s).matches()) {
                return Math.multiplyExact(Long.parseLong(s), 1000L);
            }
            Instant instant;
            try {
                instant = Instant.parse(s);
            } catch (DateTimeException e) {
                instant = OffsetDateTime.parse(s).toInstant();
            }
            return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1000);
        } catch (DateTimeException | ArithmeticException | NumberFormatException e) {
            throw ApiException.badRequest(name + " must be epoch milliseconds (e.g. 1714521600000) or an ISO-8601"
                    + " instant (e.g. 2024-05-01T00:00:00Z), got '" + clip(raw) + "'");
        }
    }

    /** A regex for PostgreSQL's ~, pre-checked with java.util.regex; null if absent. */
    static String regex(String name, String raw) {
        if (raw == null || raw.isEmpty()) {
            return null;
        }
        if (raw.length() > MAX_REGEX_LENGTH) {
            throw ApiException.badRequest(name + " is longer than " + MAX_REGEX_LENGTH + " characters");
        }
        try {
            Pattern.compile(raw);
        } catch (PatternSyntaxException e) {
            throw ApiException.badRequest(name + " is not a valid regular expression (" + e.getDescription()
                    + " near index " + e.getIndex() + "), got '" + clip(raw) + "'");
        }
        return raw;
    }

    private static boolean blank(String raw) {
        return raw == null || raw.isBlank();
    }

    /** User text echoed in a message, kept short. */
    static String clip(String raw) {
        if (raw == null) {
            return "";
        }
        return raw.length() <= 80 ? raw : raw.substring(0, 80) + "…";
    }
}
