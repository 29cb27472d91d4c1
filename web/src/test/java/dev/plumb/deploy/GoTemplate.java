package dev.plumb.deploy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Renders the subset of Go/Helm templates the chart uses, so the chart is tested without a helm
 * binary. Supported (helm/README.md lists it for chart authors): text with {{ }} and the {{- -}}
 * trim markers, comments, {{ define }}, {{ if }}/{{ else }}/{{ end }}, field paths from the
 * root (.Values.a.b, .Release.Name, .Chart.AppVersion, and "." itself), string and integer
 * literals, pipelines with |, and the functions include, quote, b64enc, toYaml, nindent,
 * default and required. Stricter than helm on purpose: a path missing from the values is an
 * error, not "<no value>", so a typo in a template fails the test.
 */
final class GoTemplate {
    private final Map<String, List<Node>> defines = new HashMap<>();

    /** Registers the {{ define }} blocks of a helpers file; its other output is dropped, as in helm. */
    void addHelpers(String source) {
        parse(source);
    }

    String render(String source, Map<String, Object> root) {
        StringBuilder out = new StringBuilder();
        for (Node node : parse(source)) {
            node.render(root, out);
        }
        return out.toString();
    }

    private sealed interface Node permits Text, Output, If {
        void render(Map<String, Object> root, StringBuilder out);
    }

    private record Text(String text) implements Node {
        public void render(Map<String, Object> root, StringBuilder out) {
            out.append(text);
        }
    }

    private final class Output implements Node {
        private final String pipeline;

        Output(String pipeline) {
            this.pipeline = pipeline;
        }

        public void render(Map<String, Object> root, StringBuilder out) {
            out.append(string(evaluate(pipeline, root)));
        }
    }

    private final class If implements Node {
        private final String condition;
        private final List<Node> then = new ArrayList<>();
        private final List<Node> otherwise = new ArrayList<>();

        If(String condition) {
            this.condition = condition;
        }

        public void render(Map<String, Object> root, StringBuilder out) {
            for (Node node : truthy(evaluate(condition, root)) ? then : otherwise) {
                node.render(root, out);
            }
        }
    }

    // ---- parsing -------------------------------------------------------------------------

    /** Splits into text and actions (applying trim markers), then nests if/define blocks. */
    private List<Node> parse(String source) {
        List<Object> tokens = new ArrayList<>(); // String = text, String[] {action} = action
        int at = 0;
        boolean trimNext = false;
        while (at <= source.length()) {
            int open = source.indexOf("{{", at);
            String text = source.substring(at, open < 0 ? source.length() : open);
            if (trimNext) {
                text = text.stripLeading();
            }
            if (open < 0) {
                tokens.add(text);
                break;
            }
            int close = source.indexOf("}}", open);
            if (close < 0) {
                throw new IllegalArgumentException("unclosed {{ at offset " + open);
            }
            String action = source.substring(open + 2, close);
            if (action.startsWith("-")) {
                text = text.stripTrailing();
                action = action.substring(1);
            }
            trimNext = action.endsWith("-");
            if (trimNext) {
                action = action.substring(0, action.length() - 1);
            }
            tokens.add(text);
            action = action.strip();
            if (!(action.startsWith("/*") && action.endsWith("*/"))) {
                tokens.add(new String[] {action});
            }
            at = close + 2;
        }
        List<Node> top = new ArrayList<>();
        parseBlock(tokens, new int[] {0}, top, false);
        return top;
    }

    /** Fills nodes until the matching end (or the end of input at top level); returns the last keyword. */
    private String parseBlock(List<Object> tokens, int[] pos, List<Node> nodes, boolean nested) {
        while (pos[0] < tokens.size()) {
            Object token = tokens.get(pos[0]++);
            if (token instanceof String text) {
                if (!text.isEmpty()) {
                    nodes.add(new Text(text));
                }
                continue;
            }
            String action = ((String[]) token)[0];
            if (action.equals("end") || action.equals("else")) {
                if (!nested) {
                    throw new IllegalArgumentException("{{ " + action + " }} without {{ if }} or {{ define }}");
                }
                return action;
            } else if (action.startsWith("if ")) {
                If node = new If(action.substring(3).strip());
                if (parseBlock(tokens, pos, node.then, true).equals("else")) {
                    expectEnd(parseBlock(tokens, pos, node.otherwise, true));
                }
                nodes.add(node);
            } else if (action.startsWith("define ")) {
                List<Node> body = new ArrayList<>();
                expectEnd(parseBlock(tokens, pos, body, true));
                defines.put(unquote(action.substring(7).strip()), body);
            } else if (action.matches("(range|with|else if|template|block)\\b.*")) {
                throw new IllegalArgumentException("{{ " + action + " }} is outside the supported template subset");
            } else {
                nodes.add(new Output(action));
            }
        }
        if (nested) {
            throw new IllegalArgumentException("missing {{ end }}");
        }
        return "";
    }

    private static void expectEnd(String keyword) {
        if (!keyword.equals("end")) {
            throw new IllegalArgumentException("expected {{ end }}, found {{ " + keyword + " }}");
        }
    }

    // ---- evaluation ----------------------------------------------------------------------

    private Object evaluate(String pipeline, Map<String, Object> root) {
        Object piped = null;
        boolean first = true;
        for (String command : splitOutsideQuotes(pipeline, '|')) {
            List<String> words = splitOutsideQuotes(command.strip(), ' ').stream().filter(w -> !w.isEmpty()).toList();
            List<Object> args = new ArrayList<>();
            for (String word : words.subList(1, words.size())) {
                args.add(value(word, root));
            }
            if (!first) {
                args.add(piped);
            }
            piped = isFunction(words.get(0)) ? call(words.get(0), args, root)
                    : single(value(words.get(0), root), words, first);
            first = false;
        }
        return piped;
    }

    private static Object single(Object value, List<String> words, boolean first) {
        if (words.size() != 1 || !first) {
            throw new IllegalArgumentException("unknown function '" + words.get(0) + "'");
        }
        return value;
    }

    private static boolean isFunction(String word) {
        return List.of("include", "quote", "b64enc", "toYaml", "nindent", "default", "required").contains(word);
    }

    private Object call(String function, List<Object> args, Map<String, Object> root) {
        return switch (function) {
            case "include" -> {
                List<Node> body = defines.get((String) args.get(0));
                if (body == null) {
                    throw new IllegalArgumentException("include of undefined template \"" + args.get(0) + "\"");
                }
                StringBuilder out = new StringBuilder();
                body.forEach(node -> node.render(root, out));
                yield out.toString();
            }
            case "quote" -> "\"" + string(args.get(0)).replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
            case "b64enc" -> Base64.getEncoder().encodeToString(string(args.get(0)).getBytes(StandardCharsets.UTF_8));
            case "toYaml" -> toYaml(args.get(0));
            case "nindent" -> "\n" + indent(((Number) args.get(0)).intValue(), string(args.get(1)));
            case "default" -> truthy(args.get(1)) ? args.get(1) : args.get(0);
            case "required" -> {
                if (!truthy(args.get(1))) {
                    throw new IllegalArgumentException(string(args.get(0)));
                }
                yield args.get(1);
            }
            default -> throw new IllegalStateException(function);
        };
    }

    private static Object value(String word, Map<String, Object> root) {
        if (word.startsWith("\"")) {
            return unquote(word);
        }
        if (word.matches("-?\\d+")) {
            return Integer.parseInt(word);
        }
        if (word.equals(".")) {
            return root;
        }
        if (!word.startsWith(".")) {
            throw new IllegalArgumentException("unsupported template word '" + word + "'");
        }
        Object current = root;
        for (String key : word.substring(1).split("\\.")) {
            if (!(current instanceof Map<?, ?> map) || !map.containsKey(key)) {
                throw new IllegalArgumentException("template path " + word + " does not exist (no '" + key + "')");
            }
            current = map.get(key);
        }
        return current;
    }

    private static String unquote(String literal) {
        if (!literal.startsWith("\"") || !literal.endsWith("\"") || literal.length() < 2) {
            throw new IllegalArgumentException("expected a \"string\", found " + literal);
        }
        return literal.substring(1, literal.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
    }

    private static List<String> splitOutsideQuotes(String s, char separator) {
        List<String> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' && (i == 0 || s.charAt(i - 1) != '\\')) {
                quoted = !quoted;
            }
            if (c == separator && !quoted) {
                parts.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        parts.add(current.toString());
        return parts;
    }

    static boolean truthy(Object v) {
        return v != null && !Boolean.FALSE.equals(v) && !"".equals(v) && !(v instanceof Number n && n.doubleValue() == 0)
                && !(v instanceof Collection<?> c && c.isEmpty()) && !(v instanceof Map<?, ?> m && m.isEmpty());
    }

    private static String string(Object v) {
        return v == null ? "" : v.toString();
    }

    private static String toYaml(Object v) {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        return new Yaml(options).dump(v).stripTrailing();
    }

    private static String indent(int spaces, String text) {
        String pad = " ".repeat(spaces);
        return pad + text.replace("\n", "\n" + pad);
    }
}
