package dev.plumb.web.script;

/** One lexical token; text is the identifier, the decoded string, the number or the symbol. */
record Token(Kind kind, String text, Position at) {
    enum Kind { IDENT, STRING, NUMBER, SYMBOL, EOF }

    boolean is(String symbol) {
        return kind == Kind.SYMBOL && text.equals(symbol);
    }

    String describe() {
        return switch (kind) {
            case EOF -> "the end of the script";
            case STRING -> "a string";
            case NUMBER -> "the number " + text;
            case IDENT -> "'" + text + "'";
            case SYMBOL -> "'" + text + "'";
        };
    }
}
