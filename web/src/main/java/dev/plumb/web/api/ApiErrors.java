package dev.plumb.web.api;

import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.web.server.MethodNotAllowedException;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebInputException;

/**
 * Turns any exception into the status and message an API caller sees. Messages are ours or
 * the framework's short reason — never a stack trace or an exception's toString; unexpected
 * failures are logged here and answered with a plain "internal error".
 */
final class ApiErrors {
    /** PostgreSQL invalid_regular_expression. */
    static final String INVALID_REGEX_SQLSTATE = "2201B";

    private static final Logger log = LoggerFactory.getLogger(ApiErrors.class);

    record Mapped(HttpStatusCode status, ApiError body) {
    }

    private ApiErrors() {
    }

    static Mapped map(Throwable ex, String method, String path) {
        if (ex instanceof ApiException api) {
            return new Mapped(api.status(), new ApiError(api.getMessage()));
        }
        SQLException invalidRegex = findSqlState(ex, INVALID_REGEX_SQLSTATE);
        if (invalidRegex != null) {
            return new Mapped(HttpStatus.BAD_REQUEST, new ApiError(
                    "function is not a valid PostgreSQL regular expression: " + firstLine(invalidRegex.getMessage())));
        }
        if (ex instanceof MethodNotAllowedException mna) {
            return new Mapped(mna.getStatusCode(), new ApiError(
                    method + " is not allowed on " + path + "; allowed: " + mna.getSupportedMethods()));
        }
        if (ex instanceof ServerWebInputException input) {
            String reason = input.getReason() == null ? "bad request" : input.getReason();
            if (input.getCause() instanceof org.springframework.core.codec.DecodingException bad
                    && bad.getMostSpecificCause().getMessage() != null) {
                // e.g. a malformed JSON body: say where, without echoing the body itself
                reason += ": " + Params.clip(firstLine(bad.getMostSpecificCause().getMessage()));
            }
            return new Mapped(input.getStatusCode(), new ApiError(reason + " (" + method + " " + path + ")"));
        }
        if (ex instanceof ResponseStatusException rse) {
            if (rse.getStatusCode().value() == 404) {
                return new Mapped(rse.getStatusCode(), new ApiError("no such endpoint: " + method + " " + path));
            }
            String reason = rse.getReason();
            if (reason == null) {
                HttpStatus known = HttpStatus.resolve(rse.getStatusCode().value());
                reason = known == null ? "error " + rse.getStatusCode().value() : known.getReasonPhrase();
            }
            return new Mapped(rse.getStatusCode(), new ApiError(reason));
        }
        log.error("{} {} failed", method, path, ex);
        return new Mapped(HttpStatus.INTERNAL_SERVER_ERROR,
                new ApiError("internal error while answering " + method + " " + path + "; see the server log"));
    }

    private static SQLException findSqlState(Throwable ex, String state) {
        for (Throwable t = ex; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException sql) {
                for (SQLException s = sql; s != null; s = s.getNextException()) {
                    if (state.equals(s.getSQLState())) {
                        return s;
                    }
                }
            }
        }
        return null;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int nl = message.indexOf('\n');
        String line = nl < 0 ? message : message.substring(0, nl);
        return line.startsWith("ERROR: ") ? line.substring(7) : line;
    }
}
