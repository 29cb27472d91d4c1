package dev.plumb.web.script;

/** A script that cannot be run, with the 1-based line and column of what is wrong. */
public class ScriptException extends RuntimeException {
    private final int line;
    private final int column;

    public ScriptException(String message, int line, int column) {
        super(message, null, false, false);
        this.line = line;
        this.column = column;
    }

    ScriptException(String message, Position at) {
        this(message, at.line(), at.column());
    }

    public int line() {
        return line;
    }

    public int column() {
        return column;
    }

    /** "line 2, column 7: unknown function 'foo'". */
    public String describe() {
        return "line " + line + ", column " + column + ": " + getMessage();
    }
}
