package dev.plumb.web.script;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a script into tokens: identifiers, double-quoted strings (escapes \" \\ \n \t; any
 * other backslash is kept, so regexes like "\d+" read naturally), numbers (digits, optional
 * fraction, '_' separators), the symbols {@code ( ) . , ; =} and {@code //} line comments.
 */
final class ScriptLexer {
    static final int MAX_TOKEN_CHARS = 1000;

    private final String src;
    private int i;
    private int line = 1;
    private int col = 1;

    private ScriptLexer(String src) {
        this.src = src;
    }

    static List<Token> tokens(String src) {
        return new ScriptLexer(src).run();
    }

    private List<Token> run() {
        List<Token> out = new ArrayList<>();
        while (true) {
            skipSpaceAndComments();
            Position at = new Position(line, col);
            if (i >= src.length()) {
                out.add(new Token(Token.Kind.EOF, "", at));
                return out;
            }
            char c = src.charAt(i);
            if (Character.isLetter(c) || c == '_') {
                out.add(new Token(Token.Kind.IDENT, identifier(at), at));
            } else if (c >= '0' && c <= '9') {
                out.add(new Token(Token.Kind.NUMBER, number(at), at));
            } else if (c == '"') {
                out.add(new Token(Token.Kind.STRING, string(at), at));
            } else if ("().,;=".indexOf(c) >= 0) {
                advance();
                out.add(new Token(Token.Kind.SYMBOL, String.valueOf(c), at));
            } else if (c == '\'') {
                throw new ScriptException("strings use double quotes: \"like this\"", at);
            } else {
                throw new ScriptException("unexpected character " + printable(c), at);
            }
        }
    }

    private void skipSpaceAndComments() {
        while (i < src.length()) {
            char c = src.charAt(i);
            if (Character.isWhitespace(c)) {
                advance();
            } else if (c == '/' && i + 1 < src.length() && src.charAt(i + 1) == '/') {
                while (i < src.length() && src.charAt(i) != '\n') {
                    advance();
                }
            } else {
                return;
            }
        }
    }

    private String identifier(Position at) {
        int start = i;
        while (i < src.length() && (Character.isLetterOrDigit(src.charAt(i)) || src.charAt(i) == '_')) {
            advance();
        }
        return bounded(src.substring(start, i), at);
    }

    private String number(Position at) {
        StringBuilder digits = new StringBuilder();
        boolean fraction = false;
        while (i < src.length()) {
            char c = src.charAt(i);
            if (c >= '0' && c <= '9') {
                digits.append(c);
            } else if (c == '_') {
                // 1_000_000
            } else if (c == '.' && !fraction && i + 1 < src.length() && Character.isDigit(src.charAt(i + 1))) {
                fraction = true;
                digits.append(c);
            } else {
                break;
            }
            advance();
        }
        if (i < src.length() && (Character.isLetter(src.charAt(i)) || src.charAt(i) == '_')) {
            throw new ScriptException("a number cannot be followed by " + printable(src.charAt(i))
                    + "; for durations use s(10), ms(500), m(1), h(1)", new Position(line, col));
        }
        return bounded(digits.toString(), at);
    }

    private String string(Position at) {
        advance(); // opening quote
        StringBuilder s = new StringBuilder();
        while (true) {
            if (i >= src.length() || src.charAt(i) == '\n') {
                throw new ScriptException("string is not closed: add a \" before the end of the line", at);
            }
            char c = src.charAt(i);
            advance();
            if (c == '"') {
                return s.toString();
            }
            if (c == '\\' && i < src.length()) {
                char e = src.charAt(i);
                switch (e) {
                    case '"' -> s.append('"');
                    case '\\' -> s.append('\\');
                    case 'n' -> s.append('\n');
                    case 't' -> s.append('\t');
                    default -> s.append('\\').append(e);
                }
                advance();
            } else {
                s.append(c);
            }
            if (s.length() > MAX_TOKEN_CHARS) {
                throw new ScriptException("string is longer than " + MAX_TOKEN_CHARS + " characters", at);
            }
        }
    }

    private String bounded(String text, Position at) {
        if (text.length() > MAX_TOKEN_CHARS) {
            throw new ScriptException("token is longer than " + MAX_TOKEN_CHARS + " characters", at);
        }
        return text;
    }

    private void advance() {
        if (src.charAt(i) == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
        i++;
    }

    private static String printable(char c) {
        return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }
}
