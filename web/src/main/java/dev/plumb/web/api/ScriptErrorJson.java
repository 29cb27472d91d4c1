package dev.plumb.web.api;

/** A script error: {"error": "line 2, column 7: …", "line": 2, "column": 7}. */
public record ScriptErrorJson(String error, int line, int column) {
}
