package dev.plumb.web.api;

/** The body of every error under /api. */
public record ApiError(String error) {
}
