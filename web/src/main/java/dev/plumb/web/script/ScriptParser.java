package dev.plumb.web.script;

import java.util.ArrayList;
import java.util.List;

/**
 * Recursive-descent parser for the bytehound scripting subset:
 * <pre>
 * script    = [ statement { ";" statement } ] [ ";" ]
 * statement = "let" IDENT "=" expr | expr
 * expr      = primary { "." IDENT "(" [ args ] ")" }
 * primary   = IDENT "(" [ args ] ")" | IDENT | STRING | NUMBER | "(" expr ")"
 * args      = expr { "," expr }
 * </pre>
 * Input is bounded (length, nesting, chain length, statements) so that no script can exhaust
 * the stack or the heap.
 */
public final class ScriptParser {
    public static final int MAX_SCRIPT_CHARS = 20_000;
    static final int MAX_DEPTH = 32;
    static final int MAX_CHAIN = 100;
    static final int MAX_STATEMENTS = 200;

    private final List<Token> tokens;
    private int p;
    private int depth;

    private ScriptParser(List<Token> tokens) {
        this.tokens = tokens;
    }

    static List<Ast.Statement> parse(String script) {
        if (script == null || script.isBlank()) {
            throw new ScriptException("the script is empty; try: graph().add(\"all\", allocations()).save();", 1, 1);
        }
        if (script.length() > MAX_SCRIPT_CHARS) {
            throw new ScriptException("the script is longer than " + MAX_SCRIPT_CHARS + " characters", 1, 1);
        }
        return new ScriptParser(ScriptLexer.tokens(script)).script();
    }

    private List<Ast.Statement> script() {
        List<Ast.Statement> statements = new ArrayList<>();
        while (peek().kind() != Token.Kind.EOF) {
            if (peek().is(";")) {
                next();
                continue;
            }
            if (statements.size() >= MAX_STATEMENTS) {
                throw new ScriptException("more than " + MAX_STATEMENTS + " statements", peek().at());
            }
            statements.add(statement());
            Token t = peek();
            if (!t.is(";") && t.kind() != Token.Kind.EOF) {
                throw new ScriptException("expected ';' after the statement, found " + t.describe(), t.at());
            }
        }
        return statements;
    }

    private Ast.Statement statement() {
        Token t = peek();
        if (t.kind() == Token.Kind.IDENT && t.text().equals("let")) {
            next();
            Token name = next();
            if (name.kind() != Token.Kind.IDENT || name.text().equals("let")) {
                throw new ScriptException("expected a variable name after 'let', found " + name.describe(), name.at());
            }
            expect("=", "after 'let " + name.text() + "'");
            return new Ast.Let(name.text(), expr(), t.at());
        }
        return new Ast.Eval(expr());
    }

    private Ast.Expr expr() {
        if (++depth > MAX_DEPTH) {
            throw new ScriptException("expressions are nested more than " + MAX_DEPTH + " deep", peek().at());
        }
        Ast.Expr e = primary();
        int chain = 0;
        while (peek().is(".")) {
            next();
            Token name = next();
            if (name.kind() != Token.Kind.IDENT) {
                throw new ScriptException("expected a method name after '.', found " + name.describe(), name.at());
            }
            if (++chain > MAX_CHAIN) {
                throw new ScriptException("more than " + MAX_CHAIN + " method calls in one chain", name.at());
            }
            expect("(", "after '." + name.text() + "'");
            e = new Ast.MethodCall(e, name.text(), args(), name.at());
        }
        depth--;
        return e;
    }

    private Ast.Expr primary() {
        Token t = next();
        switch (t.kind()) {
            case STRING:
                return new Ast.Str(t.text(), t.at());
            case NUMBER:
                return new Ast.Num(Double.parseDouble(t.text()), t.at());
            case IDENT:
                if (t.text().equals("let")) {
                    throw new ScriptException("'let' starts a statement; put a ';' before it", t.at());
                }
                if (peek().is("(")) {
                    next();
                    return new Ast.Call(t.text(), args(), t.at());
                }
                return new Ast.Variable(t.text(), t.at());
            case SYMBOL:
                if (t.is("(")) {
                    Ast.Expr inner = expr();
                    expect(")", "to close the '(' at line " + t.at().line() + ", column " + t.at().column());
                    return inner;
                }
                throw new ScriptException("expected a value, found " + t.describe(), t.at());
            default:
                throw new ScriptException("the script ends where a value was expected", t.at());
        }
    }

    /** After "(": arguments up to and including ")". */
    private List<Ast.Expr> args() {
        List<Ast.Expr> args = new ArrayList<>();
        if (peek().is(")")) {
            next();
            return args;
        }
        while (true) {
            args.add(expr());
            Token t = next();
            if (t.is(")")) {
                return args;
            }
            if (!t.is(",")) {
                throw new ScriptException("expected ',' or ')' in the argument list, found " + t.describe(), t.at());
            }
        }
    }

    private void expect(String symbol, String where) {
        Token t = next();
        if (!t.is(symbol)) {
            throw new ScriptException("expected '" + symbol + "' " + where + ", found " + t.describe(), t.at());
        }
    }

    private Token peek() {
        return tokens.get(p);
    }

    private Token next() {
        Token t = tokens.get(p);
        if (t.kind() != Token.Kind.EOF) {
            p++;
        }
        return t;
    }
}
