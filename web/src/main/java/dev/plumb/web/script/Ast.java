package dev.plumb.web.script;

import java.util.List;

/** The parsed script: statements of expressions. Nothing here can run; {@link ScriptEvaluator} interprets it. */
final class Ast {
    private Ast() {
    }

    sealed interface Statement permits Let, Eval {
    }

    /** {@code let name = value;} */
    record Let(String name, Expr value, Position at) implements Statement {
    }

    /** An expression evaluated for its effect, e.g. {@code graph().add(…).save();}. */
    record Eval(Expr expr) implements Statement {
    }

    sealed interface Expr permits Call, MethodCall, Variable, Str, Num {
        Position at();
    }

    /** {@code name(args)} — one of the built-in functions. */
    record Call(String name, List<Expr> args, Position at) implements Expr {
    }

    /** {@code target.name(args)}. */
    record MethodCall(Expr target, String name, List<Expr> args, Position at) implements Expr {
    }

    record Variable(String name, Position at) implements Expr {
    }

    record Str(String value, Position at) implements Expr {
    }

    record Num(double value, Position at) implements Expr {
    }
}
