package dev.plumb.web.script;

import dev.plumb.web.query.AllocationSelection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Interprets a parsed script into a {@link ScriptPlan}. This is not a general evaluator: the
 * only values are allocation sets, graphs, strings, numbers and durations, the only operations
 * the fixed functions and methods below, and every one of them just narrows a selection or
 * appends to a graph. Nothing is executed and nothing touches the database here.
 */
public final class ScriptEvaluator {
    static final int MAX_SERIES = 16;
    static final int MAX_REGEX_CHARS = 1000;
    static final int MAX_SERIES_NAME = 200;
    /** Durations and offsets above ~31 years are certainly mistakes (and would overflow µs maths). */
    private static final double MAX_SECONDS = 1e9;

    static final List<String> FUNCTIONS = List.of("allocations()", "graph()", "s(n)", "ms(n)", "m(n)", "h(n)");
    static final List<String> SET_METHODS = List.of("only_leaked()", "only_temporary()",
            "only_passing_through_function(regex)", "only_not_passing_through_function(regex)", "only_from(t)",
            "only_until(t)", "only_larger_than(bytes)", "only_smaller_than(bytes)", "only_alive_at(t)",
            "only_alive_for_at_least(d)", "only_alive_for_at_most(d)");
    static final List<String> GRAPH_METHODS = List.of("add(name, set)", "add(set)", "save()");

    private sealed interface Value permits SetValue, GraphValue, Str, Num, Duration, Unit {
    }

    private record SetValue(AllocationSelection selection) implements Value {
    }

    private record GraphValue(List<ScriptPlan.Series> series) implements Value {
    }

    private record Str(String value) implements Value {
    }

    private record Num(double value) implements Value {
    }

    /** A length of time in µs; as a time argument it is an offset from the session's start. */
    private record Duration(long us) implements Value {
    }

    private record Unit() implements Value {
    }

    private final long sessionStartUs;
    private final Map<String, Value> variables = new HashMap<>();
    private final List<ScriptPlan.Series> output = new ArrayList<>();
    private final List<ScriptPlan.RegexUse> regexes = new ArrayList<>();
    private Position firstGraph;
    private int saves;

    private ScriptEvaluator(long sessionStartUs) {
        this.sessionStartUs = sessionStartUs;
    }

    /** Parses and interprets; times in the script are relative to sessionStartUs. */
    public static ScriptPlan plan(String script, long sessionStartUs) {
        List<Ast.Statement> statements = ScriptParser.parse(script);
        return new ScriptEvaluator(sessionStartUs).run(statements);
    }

    private ScriptPlan run(List<Ast.Statement> statements) {
        for (Ast.Statement s : statements) {
            if (s instanceof Ast.Let let) {
                variables.put(let.name(), eval(let.value()));
            } else if (s instanceof Ast.Eval e) {
                eval(e.expr());
            }
        }
        if (saves == 0) {
            if (firstGraph != null) {
                throw new ScriptException("the graph is never saved: end it with .save()", firstGraph);
            }
            throw new ScriptException("the script draws nothing; try: graph().add(\"all\", allocations()).save();",
                    1, 1);
        }
        if (output.isEmpty()) {
            throw new ScriptException("the saved graph has no series: add one with .add(\"name\", allocations())",
                    1, 1);
        }
        return new ScriptPlan(output, regexes);
    }

    private Value eval(Ast.Expr e) {
        if (e instanceof Ast.Str s) {
            return new Str(s.value());
        }
        if (e instanceof Ast.Num n) {
            return new Num(n.value());
        }
        if (e instanceof Ast.Variable v) {
            Value value = variables.get(v.name());
            if (value == null) {
                throw new ScriptException("unknown variable '" + v.name() + "'"
                        + (isFunction(v.name()) ? "; call the function with " + v.name() + "()" : "")
                        + (variables.isEmpty() ? "" : "; defined: " + String.join(", ", variables.keySet())), v.at());
            }
            return value;
        }
        if (e instanceof Ast.Call c) {
            return call(c);
        }
        return method((Ast.MethodCall) e);
    }

    private static boolean isFunction(String name) {
        return FUNCTIONS.stream().anyMatch(f -> f.startsWith(name + "("));
    }

    private Value call(Ast.Call c) {
        switch (c.name()) {
            case "allocations":
                arity(c.name(), c.args(), 0, c.at());
                return new SetValue(AllocationSelection.all());
            case "graph":
                arity(c.name(), c.args(), 0, c.at());
                if (firstGraph == null) {
                    firstGraph = c.at();
                }
                return new GraphValue(List.of());
            case "s":
                return duration(c, 1_000_000);
            case "ms":
                return duration(c, 1_000);
            case "m":
                return duration(c, 60_000_000);
            case "h":
                return duration(c, 3_600_000_000L);
            default:
                throw new ScriptException("unknown function '" + c.name() + "'; functions are "
                        + String.join(", ", FUNCTIONS), c.at());
        }
    }

    private Value duration(Ast.Call c, long unitUs) {
        arity(c.name(), c.args(), 1, c.at());
        double n = number(c.args().get(0), c.name() + "(n)");
        if (n * unitUs / 1e6 > MAX_SECONDS) {
            throw new ScriptException("duration is too long", c.args().get(0).at());
        }
        return new Duration(Math.round(n * unitUs));
    }

    private Value method(Ast.MethodCall m) {
        Value target = eval(m.target());
        if (target instanceof SetValue set) {
            return new SetValue(setMethod(set.selection(), m));
        }
        if (target instanceof GraphValue graph) {
            return graphMethod(graph, m);
        }
        throw new ScriptException("'." + m.name() + "()' cannot be called on " + describe(target), m.at());
    }

    private AllocationSelection setMethod(AllocationSelection s, Ast.MethodCall m) {
        List<Ast.Expr> args = m.args();
        switch (m.name()) {
            case "only_leaked":
                arity(m.name(), args, 0, m.at());
                return s.leaked();
            case "only_temporary":
                arity(m.name(), args, 0, m.at());
                return s.temporary();
            case "only_passing_through_function":
                arity(m.name(), args, 1, m.at());
                return s.passingThrough(regex(args.get(0)));
            case "only_not_passing_through_function":
                arity(m.name(), args, 1, m.at());
                return s.notPassingThrough(regex(args.get(0)));
            case "only_from":
                arity(m.name(), args, 1, m.at());
                return s.from(sessionStartUs + offset(args.get(0), m.name()));
            case "only_until":
                arity(m.name(), args, 1, m.at());
                return s.until(sessionStartUs + offset(args.get(0), m.name()));
            case "only_alive_at":
                arity(m.name(), args, 1, m.at());
                return s.aliveAt(sessionStartUs + offset(args.get(0), m.name()));
            case "only_alive_for_at_least":
                arity(m.name(), args, 1, m.at());
                return s.minLifetime(offset(args.get(0), m.name()));
            case "only_alive_for_at_most":
                arity(m.name(), args, 1, m.at());
                return s.maxLifetime(offset(args.get(0), m.name()));
            case "only_larger_than":
                arity(m.name(), args, 1, m.at());
                return s.largerThan(bytes(args.get(0), m.name()));
            case "only_smaller_than":
                arity(m.name(), args, 1, m.at());
                return s.smallerThan(bytes(args.get(0), m.name()));
            default:
                throw new ScriptException("allocations have no method '" + m.name() + "'; they have "
                        + String.join(", ", SET_METHODS), m.at());
        }
    }

    private Value graphMethod(GraphValue g, Ast.MethodCall m) {
        List<Ast.Expr> args = m.args();
        switch (m.name()) {
            case "add": {
                if (args.isEmpty() || args.size() > 2) {
                    throw new ScriptException("add takes (name, allocations) or (allocations), got "
                            + args.size() + " arguments", m.at());
                }
                String name = "series " + (g.series().size() + 1);
                Ast.Expr setArg = args.get(args.size() - 1);
                if (args.size() == 2) {
                    Value n = eval(args.get(0));
                    if (!(n instanceof Str s)) {
                        throw new ScriptException("the series name must be a string, got " + describe(n),
                                args.get(0).at());
                    }
                    if (s.value().length() > MAX_SERIES_NAME) {
                        throw new ScriptException("the series name is longer than " + MAX_SERIES_NAME
                                + " characters", args.get(0).at());
                    }
                    name = s.value();
                }
                Value set = eval(setArg);
                if (!(set instanceof SetValue sv)) {
                    throw new ScriptException("add needs allocations, e.g. allocations().only_leaked(), got "
                            + describe(set), setArg.at());
                }
                if (g.series().size() >= MAX_SERIES) {
                    throw new ScriptException("a graph has at most " + MAX_SERIES + " series", m.at());
                }
                List<ScriptPlan.Series> series = new ArrayList<>(g.series());
                series.add(new ScriptPlan.Series(name, sv.selection()));
                return new GraphValue(List.copyOf(series));
            }
            case "save":
                arity(m.name(), args, 0, m.at());
                if (output.size() + g.series().size() > MAX_SERIES) {
                    throw new ScriptException("the script draws more than " + MAX_SERIES + " series", m.at());
                }
                output.addAll(g.series());
                saves++;
                return new Unit();
            default:
                throw new ScriptException("a graph has no method '" + m.name() + "'; it has "
                        + String.join(", ", GRAPH_METHODS), m.at());
        }
    }

    private String regex(Ast.Expr arg) {
        Value v = eval(arg);
        if (!(v instanceof Str s)) {
            throw new ScriptException("expected a regular expression in a string, got " + describe(v), arg.at());
        }
        if (s.value().length() > MAX_REGEX_CHARS) {
            throw new ScriptException("the regular expression is longer than " + MAX_REGEX_CHARS + " characters",
                    arg.at());
        }
        try {
            Pattern.compile(s.value());
        } catch (PatternSyntaxException e) {
            throw new ScriptException("invalid regular expression: " + e.getDescription() + " near index "
                    + e.getIndex(), arg.at());
        }
        regexes.add(new ScriptPlan.RegexUse(s.value(), arg.at().line(), arg.at().column()));
        return s.value();
    }

    /** A time argument: seconds since the session's start, or a duration such as s(10). */
    private long offset(Ast.Expr arg, String method) {
        Value v = eval(arg);
        if (v instanceof Duration d) {
            return d.us();
        }
        if (v instanceof Num n) {
            if (n.value() > MAX_SECONDS) {
                throw new ScriptException("time is too far from the session's start", arg.at());
            }
            return Math.round(n.value() * 1_000_000);
        }
        throw new ScriptException(method + " takes seconds since the session's start or a duration"
                + " (s(10), ms(500), m(1), h(1)), got " + describe(v), arg.at());
    }

    private long bytes(Ast.Expr arg, String method) {
        double n = number(arg, method);
        if (n != Math.rint(n) || n > Long.MAX_VALUE) {
            throw new ScriptException(method + " takes a whole number of bytes", arg.at());
        }
        return (long) n;
    }

    private double number(Ast.Expr arg, String what) {
        Value v = eval(arg);
        if (!(v instanceof Num n)) {
            throw new ScriptException(what + " takes a number, got " + describe(v), arg.at());
        }
        if (!Double.isFinite(n.value())) {
            throw new ScriptException("number is too large", arg.at());
        }
        return n.value();
    }

    private static void arity(String name, List<Ast.Expr> args, int expected, Position at) {
        if (args.size() != expected) {
            throw new ScriptException(name + " takes " + (expected == 0 ? "no arguments"
                    : expected == 1 ? "1 argument" : expected + " arguments") + ", got " + args.size(), at);
        }
    }

    private static String describe(Value v) {
        if (v instanceof SetValue) {
            return "allocations";
        }
        if (v instanceof GraphValue) {
            return "a graph";
        }
        if (v instanceof Str) {
            return "a string";
        }
        if (v instanceof Num n) {
            return "the number " + (n.value() == Math.rint(n.value()) ? String.valueOf((long) n.value()) : n.value());
        }
        if (v instanceof Duration) {
            return "a duration";
        }
        return "nothing (save() returns no value)";
    }
}
