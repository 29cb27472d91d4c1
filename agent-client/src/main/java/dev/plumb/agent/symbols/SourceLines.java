package dev.plumb.agent.symbols;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Source locations and demangled names from DWARF, through GNU binutils' {@code addr2line}
 * (one long-running process per object file) and {@code c++filt}. binutils already reads
 * DWARF 2–5, inlined subroutines, split and separate debug files (.gnu_debuglink, build-id
 * under /usr/lib/debug) and demangles C++ and both Rust schemes; a Java reimplementation of
 * all that would be thousands of lines to keep correct. Where binutils is missing, callers
 * fall back to ELF symbol names: {@link #available()} says which.
 *
 * <p>Not thread-safe; {@link Symbolizer} serializes calls.
 */
final class SourceLines implements AutoCloseable {
    /** A frame as addr2line reports it; {@code function} is null when unknown. */
    record SourceFrame(String function, String file, int line) {
    }

    private static final String SENTINEL = "0x0000000000000000";
    private static final Pattern RUST_BUILD_HASH = Pattern.compile("::h[0-9a-f]{16}$");
    private static final Pattern RUST_DISAMBIGUATOR = Pattern.compile("\\[[0-9a-f]{1,16}\\]");

    private final String addr2line;
    private final String cxxfilt;
    private final Map<Path, Tool> perFile = new HashMap<>();
    private Tool demangler;

    SourceLines() {
        this(find("addr2line"), find("c++filt"));
    }

    SourceLines(String addr2line, String cxxfilt) {
        this.addr2line = addr2line;
        this.cxxfilt = cxxfilt;
    }

    boolean available() {
        return addr2line != null;
    }

    /**
     * The frames at {@code fileAddress} of {@code file}, innermost (inlined) first; empty when
     * nothing is known (no DWARF, stripped, or binutils missing).
     */
    List<SourceFrame> lookup(Path file, long fileAddress) {
        if (addr2line == null) {
            return List.of();
        }
        Tool tool = perFile.computeIfAbsent(file, f -> Tool.start(List.of(addr2line, "-a", "-f", "-i", "-C", "-e", f.toString())));
        if (tool == null) {
            return List.of();
        }
        try {
            // The query is followed by address 0, whose answer marks where this one ends:
            // with -i one address may print any number of (function, location) pairs.
            tool.in.write("0x" + Long.toHexString(fileAddress) + "\n0\n");
            tool.in.flush();
            tool.out.readLine(); // the echoed address
            List<SourceFrame> frames = new ArrayList<>();
            for (String function = tool.out.readLine(); function != null && !function.equals(SENTINEL);
                 function = tool.out.readLine()) {
                frames.add(frame(function, tool.out.readLine()));
            }
            tool.out.readLine(); // sentinel's function
            tool.out.readLine(); // sentinel's location
            frames.removeIf(f -> f.function() == null && f.file().isEmpty());
            return frames;
        } catch (IOException e) {
            perFile.put(file, null);
            tool.close();
            return List.of();
        }
    }

    /**
     * A mangled C++ or Rust name made readable; unchanged when it is not mangled or c++filt is
     * missing. Rust's per-build parts — the legacy {@code ::h<16 hex>} hash and v0's
     * {@code [<hex>]} crate disambiguators — are dropped: a backtrace must be the same
     * backtrace in the next deploy, which is what deploy comparison relies on.
     */
    String demangle(String name) {
        return RUST_BUILD_HASH.matcher(RUST_DISAMBIGUATOR.matcher(demangleRaw(name)).replaceAll("")).replaceAll("");
    }

    private String demangleRaw(String name) {
        if (cxxfilt == null || !(name.startsWith("_Z") || name.startsWith("_R"))) {
            return name;
        }
        if (demangler == null) {
            demangler = Tool.start(List.of(cxxfilt));
            if (demangler == null) {
                return name;
            }
        }
        try {
            demangler.in.write(name + "\n");
            demangler.in.flush();
            String out = demangler.out.readLine();
            return out == null || out.isEmpty() ? name : out;
        } catch (IOException e) {
            return name;
        }
    }

    private static SourceFrame frame(String function, String location) {
        String fn = function == null || function.equals("??") ? null : function;
        if (location == null || location.startsWith("??")) {
            return new SourceFrame(fn, "", 0);
        }
        int colon = location.lastIndexOf(':');
        String file = colon > 0 ? location.substring(0, colon) : location;
        String lineText = colon > 0 ? location.substring(colon + 1) : "0";
        int space = lineText.indexOf(' ');
        if (space >= 0) {
            lineText = lineText.substring(0, space); // "12 (discriminator 3)"
        }
        int line;
        try {
            line = Integer.parseInt(lineText);
        } catch (NumberFormatException e) {
            line = 0;
        }
        return new SourceFrame(fn, file, line);
    }

    private static String find(String tool) {
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "/usr/bin:/bin" : path).split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, tool);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }

    @Override
    public void close() {
        perFile.values().forEach(t -> {
            if (t != null) {
                t.close();
            }
        });
        perFile.clear();
        if (demangler != null) {
            demangler.close();
        }
    }

    /** A line-oriented helper process. */
    private static final class Tool {
        final Process process;
        final BufferedWriter in;
        final BufferedReader out;

        private Tool(Process process) {
            this.process = process;
            this.in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        static Tool start(List<String> command) {
            try {
                return new Tool(new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start());
            } catch (IOException e) {
                return null;
            }
        }

        void close() {
            try {
                in.close();
            } catch (IOException ignored) {
                // the process is going away
            }
            try {
                if (!process.waitFor(2, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }
}
