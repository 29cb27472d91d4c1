package dev.plumb.web.config;

import dev.plumb.web.api.ApiError;
import tools.jackson.databind.json.JsonMapper;

/** The {@code {"error": …}} bodies written by filters, before any controller runs. */
final class Json {
    private static final JsonMapper MAPPER = JsonMapper.builder().build();

    private Json() {
    }

    static String error(String message) {
        return MAPPER.writeValueAsString(new ApiError(message));
    }
}
