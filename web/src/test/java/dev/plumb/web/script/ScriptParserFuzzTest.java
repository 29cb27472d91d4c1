package dev.plumb.web.script;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Whatever text arrives in the script console, the parser either returns a plan or refuses it
 * with a ScriptException whose line and column lie inside the text — never another exception,
 * never a hang (scripts are data, parsed into a plan, not run).
 */
class ScriptParserFuzzTest {
    private static final String SEED = "let leaked = allocations().only_leaked();\n"
            + "graph().add(\"HoneycombLayer\", leaked.only_passing_through_function(\"honeycomb\"))"
            + ".add(\"all leaked\", leaked).save();";

    @Property(tries = 2000)
    void randomTextIsParsedOrRefusedWithAPosition(@ForAll("scripts") String script) {
        check(script);
    }

    @Property(tries = 2000)
    void mutatedValidScriptsAreParsedOrRefusedWithAPosition(@ForAll("edits") int[] edits) {
        StringBuilder s = new StringBuilder(SEED);
        String alphabet = "();.,\"'\\ \n{}[]=+-*/<>|&$`letgraphadd0123456789_\u00e9\u0000\uffff";
        for (int edit : edits) {
            int at = Math.floorMod(edit, s.length() + 1);
            char c = alphabet.charAt(Math.floorMod(edit >>> 8, alphabet.length()));
            switch (Math.floorMod(edit >>> 20, 3)) {
                case 0 -> s.insert(at, c);
                case 1 -> { if (at < s.length()) s.deleteCharAt(at); }
                default -> { if (at < s.length()) s.setCharAt(at, c); }
            }
        }
        check(s.toString());
    }

    private static void check(String script) {
        try {
            ScriptEvaluator.plan(script, 1_700_000_000_000_000L);
        } catch (ScriptException e) {
            String[] lines = script.split("\n", -1);
            assertThat(e.line()).as(e.describe()).isBetween(1, Math.max(1, lines.length));
            assertThat(e.column()).as(e.describe()).isBetween(1, lines[Math.min(e.line(), lines.length) - 1].length() + 1);
            assertThat(e.getMessage()).isNotBlank();
        }
    }

    @Provide
    Arbitrary<String> scripts() {
        return Arbitraries.oneOf(
                Arbitraries.strings().withChars("();.,\"' \nabcdefghijklmnopqrstuvwxyz_0123456789=").ofMaxLength(200),
                Arbitraries.strings().all().ofMaxLength(100));
    }

    @Provide
    Arbitrary<int[]> edits() {
        return Arbitraries.integers().array(int[].class).ofMinSize(1).ofMaxSize(6);
    }
}
