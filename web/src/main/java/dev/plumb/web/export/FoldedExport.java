package dev.plumb.web.export;

import dev.plumb.web.query.Frame;
import dev.plumb.web.query.SessionRow;
import dev.plumb.web.query.StackCost;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * Brendan Gregg's folded stacks, as flamegraph.pl, inferno and speedscope read them:
 * {@code root;…;leaf value} per line. Plumb keeps frames innermost first, so they are written
 * in reverse. A ';' in a name would split the frame, so it becomes ':'; backtraces whose
 * value is 0 are left out.
 */
@Component
public class FoldedExport implements ProfileExport {
    @Override
    public String format() {
        return "folded";
    }

    @Override
    public String contentType() {
        return "text/plain;charset=UTF-8";
    }

    @Override
    public String fileExtension() {
        return "folded.txt";
    }

    @Override
    public void write(SessionRow session, List<StackCost> stacks, ProfileValue value, OutputStream out)
            throws IOException {
        Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
        for (StackCost stack : stacks) {
            long v = value.of(stack);
            if (v != 0) {
                w.write(rootFirst(stack.frames()) + " " + v + "\n");
            }
        }
        w.flush();
    }

    /** A backtrace as folded stacks write it: names root first, separated by ';'. */
    static String rootFirst(List<Frame> innermostFirst) {
        StringBuilder line = new StringBuilder();
        for (int i = innermostFirst.size() - 1; i >= 0; i--) {
            line.append(name(innermostFirst.get(i)));
            if (i > 0) {
                line.append(';');
            }
        }
        return line.toString();
    }

    private static String name(Frame frame) {
        String name = frame.function().isEmpty() ? "[unknown]" : frame.function();
        return name.replace(';', ':').replace('\n', ' ');
    }
}
