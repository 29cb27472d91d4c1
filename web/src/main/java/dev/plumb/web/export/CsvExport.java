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
 * RFC 4180 CSV, one row per backtrace (the leak table's grain, largest leak first — one row per
 * allocation would be millions of rows nobody opens in a spreadsheet): totals, the allocation
 * site, and the whole backtrace root first, frames separated by ';'.
 */
@Component
public class CsvExport implements ProfileExport {
    static final String HEADER = "stack_id,allocations,bytes_allocated,leaked_allocations,bytes_leaked,"
            + "function,file,line,module,backtrace";

    @Override
    public String format() {
        return "csv";
    }

    @Override
    public String contentType() {
        return "text/csv;charset=UTF-8";
    }

    @Override
    public String fileExtension() {
        return "csv";
    }

    @Override
    public void write(SessionRow session, List<StackCost> stacks, ProfileValue value, OutputStream out)
            throws IOException {
        Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
        w.write(HEADER + "\r\n");
        for (StackCost s : stacks) {
            Frame site = s.frames().isEmpty() ? new Frame("", "", 0, "") : s.frames().get(0);
            w.write(s.stackId() + "," + s.allocations() + "," + s.bytesAllocated() + "," + s.leaked() + ","
                    + s.bytesLeaked() + "," + quote(site.function()) + "," + quote(site.file()) + "," + site.line()
                    + "," + quote(site.module()) + "," + quote(FoldedExport.rootFirst(s.frames())) + "\r\n");
        }
        w.flush();
    }

    static String quote(String field) {
        if (field.indexOf(',') < 0 && field.indexOf('"') < 0 && field.indexOf('\n') < 0 && field.indexOf('\r') < 0) {
            return field;
        }
        return '"' + field.replace("\"", "\"\"") + '"';
    }
}
