package dev.plumb.web.script;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plumb.web.query.AllocationSelection;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScriptEvaluatorTest {
    static final long START = 1_714_521_600_000_000L;
    static final String SEED = """
            let leaked = allocations().only_leaked();
            graph()
                .add("HoneycombLayer", leaked.only_passing_through_function("honeycomb"))
                .add("all leaked", leaked)
                .save();
            """;

    static ScriptPlan plan(String script) {
        return ScriptEvaluator.plan(script, START);
    }

    static ScriptException error(String script) {
        try {
            plan(script);
        } catch (ScriptException e) {
            return e;
        }
        throw new AssertionError("no error for: " + script);
    }

    static void errorAt(String script, int line, int column, String text) {
        ScriptException e = error(script);
        assertThat(e.getMessage()).contains(text);
        assertThat(e.line()).as(e.describe()).isEqualTo(line);
        assertThat(e.column()).as(e.describe()).isEqualTo(column);
    }

    @Test
    void theSeedStoryScriptGivesTwoSeriesInOrder() {
        ScriptPlan plan = plan(SEED);
        assertThat(plan.series()).extracting(ScriptPlan.Series::name).containsExactly("HoneycombLayer", "all leaked");
        AllocationSelection honeycomb = plan.series().get(0).selection();
        assertThat(honeycomb.onlyLeaked()).isTrue();
        assertThat(honeycomb.throughFunctions()).containsExactly("honeycomb");
        AllocationSelection all = plan.series().get(1).selection();
        assertThat(all).isEqualTo(AllocationSelection.all().leaked());
        assertThat(plan.regexes()).containsExactly(new ScriptPlan.RegexUse("honeycomb", 3, 65));
    }

    @Test
    void theOneLineFormFromTheBriefWorksToo() {
        assertThat(plan("let leaked = allocations().only_leaked(); graph().add(\"HoneycombLayer\", "
                + "leaked.only_passing_through_function(\"honeycomb\")).add(\"all leaked\", leaked).save();")
                .series()).hasSize(2);
    }

    @Test
    void everyFilterNarrowsTheSelection() {
        AllocationSelection s = plan("""
                // comments are fine
                let big = allocations().only_larger_than(1_000).only_smaller_than(4096);
                let window = big.only_from(10).only_until(s(20)).only_from(ms(5000));
                graph().add(window.only_temporary().only_alive_for_at_least(ms(10))
                    .only_alive_for_at_most(m(1)).only_not_passing_through_function("^main$")
                    .only_alive_at(h(0.001))).save()
                """).series().get(0).selection();
        assertThat(s.largerThan()).isEqualTo(1000);
        assertThat(s.smallerThan()).isEqualTo(4096);
        assertThat(s.fromUs()).isEqualTo(START + 10_000_000); // the later of 10 s and 5 s
        assertThat(s.untilUs()).isEqualTo(START + 20_000_000);
        assertThat(s.onlyTemporary()).isTrue();
        assertThat(s.minLifetimeUs()).isEqualTo(10_000);
        assertThat(s.maxLifetimeUs()).isEqualTo(60_000_000);
        assertThat(s.notThroughFunctions()).containsExactly("^main$");
        assertThat(s.aliveAtUs()).isEqualTo(START + 3_600_000);
    }

    @Test
    void unnamedSeriesAndSeveralGraphsKeepTheirOrder() {
        ScriptPlan plan = plan("""
                graph().add(allocations()).add(allocations().only_leaked()).save();
                let g = graph().add("third", allocations().only_temporary());
                g.save();
                """);
        assertThat(plan.series()).extracting(ScriptPlan.Series::name).containsExactly("series 1", "series 2", "third");
    }

    @Test
    void variablesAreValuesNotReferences() {
        ScriptPlan plan = plan("""
                let a = allocations();
                let b = a.only_leaked();
                graph().add("a", a).add("b", b).save();
                """);
        assertThat(plan.series().get(0).selection()).isEqualTo(AllocationSelection.all());
        assertThat(plan.series().get(1).selection().onlyLeaked()).isTrue();
    }

    @Test
    void syntaxErrorsPointAtLineAndColumn() {
        errorAt("let x = allocations()\ngraph().save()", 2, 1, "expected ';'");
        errorAt("graph().add(\"a\" allocations()).save();", 1, 17, "expected ',' or ')'");
        errorAt("graph().add(\"a, allocations()).save();", 1, 13, "string is not closed");
        errorAt("let = 1;", 1, 5, "expected a variable name");
        errorAt("graph().add(\"a\", allocations().).save();", 1, 32, "expected a method name");
        errorAt("graph().add(\"a\", allocations()", 1, 31, "expected ',' or ')'");
        errorAt("graph(", 1, 7, "the script ends where a value was expected");
        errorAt("let x = 10s;", 1, 11, "for durations use s(10)");
        errorAt("graph() + 1", 1, 9, "unexpected character '+'");
        errorAt("  \n  ", 1, 1, "the script is empty");
    }

    @Test
    void meaningErrorsPointAtWhatIsWrong() {
        errorAt("graph().add(\"x\", allocatons()).save();", 1, 18, "unknown function 'allocatons'");
        errorAt("graph().add(\"x\", allocations().only_leakd()).save();", 1, 32, "allocations have no method 'only_leakd'");
        errorAt("graph().add(\"x\", leaked).save();", 1, 18, "unknown variable 'leaked'");
        errorAt("graph().add(\"x\", allocations).save();", 1, 18, "call the function with allocations()");
        errorAt("graph().add(\"x\", allocations().only_leaked(1)).save();", 1, 32, "only_leaked takes no arguments");
        errorAt("graph().add(\"x\", allocations().only_larger_than(\"big\")).save();", 1, 49, "takes a number");
        errorAt("graph().add(\"x\", allocations().only_larger_than(1.5)).save();", 1, 49, "whole number of bytes");
        errorAt("graph().add(\"x\", allocations().only_from(\"yesterday\")).save();", 1, 42, "seconds since");
        errorAt("graph().add(1, allocations()).save();", 1, 13, "series name must be a string");
        errorAt("graph().add(\"x\", graph()).save();", 1, 18, "add needs allocations");
        errorAt("graph().add(\"x\", allocations()).explode();", 1, 33, "a graph has no method 'explode'");
        errorAt("allocations().save();", 1, 15, "allocations have no method 'save'");
        errorAt("graph().add(\"x\", allocations()).save().save();", 1, 40, "cannot be called on nothing");
        errorAt("let g = graph().add(\"x\", allocations());", 1, 9, "never saved");
        errorAt("let a = allocations();", 1, 1, "draws nothing");
        errorAt("graph().save();", 1, 1, "no series");
    }

    @Test
    void badRegexesPointAtTheirString() {
        errorAt("let l = allocations();\ngraph().add(\"x\", l.only_passing_through_function(\"honey(comb\")).save();",
                2, 50, "invalid regular expression");
        errorAt("graph().add(\"x\", allocations().only_passing_through_function(1)).save();", 1, 62,
                "expected a regular expression in a string");
        errorAt("graph().add(\"x\", allocations().only_passing_through_function(\"" + "a".repeat(1001) + "\")).save();",
                1, 62, "longer than");
    }

    @Test
    void sqlLookingTextIsOnlyEverAStringOrAnError() {
        errorAt("'; DROP TABLE allocations; --", 1, 1, "strings use double quotes");
        errorAt("allocations(); DROP TABLE allocations;", 1, 21, "expected ';'");
        errorAt("graph().add(\"x\", allocations()).save(); SELECT * FROM sessions", 1, 48, "unexpected character '*'");
        errorAt("graph().add(\"x\", allocations()).save(); SELECT 1 FROM sessions", 1, 48, "expected ';'");
        // inside a string it is just a (valid) regex, later bound as a parameter
        ScriptPlan plan = plan("graph().add(\"x\", allocations().only_passing_through_function("
                + "\"x' OR '1'='1'; DELETE FROM sessions; --\")).save();");
        assertThat(plan.series().get(0).selection().throughFunctions()).containsExactly("x' OR '1'='1'; DELETE FROM sessions; --");
        errorAt("graph().add(\"x\", allocations()).save(); /* comment */", 1, 41, "unexpected character '/'");
        errorAt("graph().add(\"x\", allocations()) \u0000", 1, 33, "unexpected character U+0000");
    }

    @Test
    void hugeAndDeepInputIsRejectedWithoutBlowingTheStack() {
        errorAt("x".repeat(ScriptParser.MAX_SCRIPT_CHARS + 1), 1, 1, "longer than");
        errorAt("(".repeat(10_000), 1, ScriptParser.MAX_DEPTH + 1, "nested more than");
        errorAt("graph().add(".repeat(1000), 1, 12 * ScriptParser.MAX_DEPTH + 1, "nested more than");
        errorAt("graph().add(\"x\", allocations()" + ".only_leaked()".repeat(200) + ").save();", 1,
                30 + 14 * ScriptParser.MAX_CHAIN + 2, "method calls in one chain");
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            many.append("graph().add(\"s").append(i).append("\", allocations()).save();\n");
        }
        errorAt(many.toString(), 17, 35, "more than 16 series");
        errorAt("let x = 1;".repeat(201), 1, 2001, "more than 200 statements");
        errorAt("graph().add(\"x\", allocations().only_from(1e99)).save();", 1, 43, "for durations use");
        errorAt("graph().add(\"x\", allocations().only_from(" + "9".repeat(400) + ")).save();", 1, 42,
                "too far from");
    }

    @Test
    void keywordsAndIdentifiersAreStrict() {
        errorAt("let let = 1;", 1, 5, "expected a variable name");
        errorAt("graph().add(\"x\", let).save();", 1, 18, "'let' starts a statement");
        assertThat(plan("let _x1 = allocations(); graph().add(\"\\\"quoted\\\" \\\\d\", _x1).save()")
                .series().get(0).name()).isEqualTo("\"quoted\" \\d");
        assertThat(List.of(plan("graph().add(\"x\", allocations().only_passing_through_function(\"\\d+\")).save()")
                .series().get(0).selection().throughFunctions().get(0))).containsExactly("\\d+");
    }
}
