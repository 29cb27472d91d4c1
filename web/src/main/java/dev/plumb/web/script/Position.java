package dev.plumb.web.script;

/** Where a token starts in the script, 1-based. */
record Position(int line, int column) {
}
