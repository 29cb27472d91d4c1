package dev.plumb.web.query;

/** One symbolized frame of a backtrace. */
public record Frame(String function, String file, int line, String module) {
}
