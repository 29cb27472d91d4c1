package dev.plumb.web.imports;

import dev.plumb.wire.Batch;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the text stream heaptrack_interpret writes (what is inside heaptrack.APP.PID.gz/.zst).
 * One record per line, a letter then space-separated hexadecimal numbers:
 * <pre>
 * v HEAPTRACK_VERSION FILE_VERSION   e.g. "v 10400 3" = heaptrack 1.4.0, file format 3
 * X COMMAND LINE                     the debuggee, as typed
 * I PAGE_SIZE PHYS_PAGES             system info;  R RSS_PAGES   RSS sample;  A   attached to a running process
 * s LEN STRING                       string table, 1-based; format 3 prefixes the byte length, older ones take the rest of the line
 * i IP MODULE [FUNCTION FILE LINE]…  instruction pointer, 1-based; MODULE and names index strings (0 = unknown);
 *                                    the first frame is the function at IP, further ones are the callers it was inlined into;
 *                                    without debug info only "i IP MODULE FUNCTION" (no file, line)
 * t IP_INDEX PARENT_TRACE            backtrace node, 1-based; 0 is the root, so a trace is a path leaf → root
 * a SIZE TRACE                       allocation info, 0-based: one (size, backtrace) pair shared by many allocations
 * + INFO                             an allocation of that info;  - INFO  a free of one (heaptrack only writes frees of
 *                                    pointers it saw allocated, and interprets realloc as free + allocation)
 * c MILLISECONDS                     time since start; the events that follow happened at it
 * S SUPPRESSION, # COMMENT           ignored
 * </pre>
 * Totals follow heaptrack_print exactly (checked against it in HeaptrackImportTest): calls =
 * '+' lines, leaked = sum of '+' sizes minus '-' sizes, peak = the highest leaked value after
 * any '+' in file order. Plumb applies no suppressions: compare with heaptrack_print
 * --disable-builtin-suppressions, which also counts what heaptrack hides by default.
 * <p>
 * A '-' names an info, not an allocation: the free is matched to the most recent live
 * allocation of that info (same size and backtrace, so totals are the same whichever one it
 * was; last-in-first-out keeps heaptrack's "temporary" allocations temporary). File format 0
 * (before heaptrack 1.0) recorded pointers instead of infos and is refused.
 */
final class HeaptrackReader {
    static final int NEWEST_FILE_VERSION = 3;
    private static final Pattern FILE_NAME = Pattern.compile("heaptrack\\.(.+)\\.(\\d{1,9})\\.(gz|zst)$");

    private final String compression;
    private final TextLines lines;
    private int fileVersion = -1;
    private long heaptrackVersion;
    private String command = "";
    private boolean attached;

    private final List<String> strings = new ArrayList<>(List.of(""));
    private final List<long[]> ips = new ArrayList<>();       // [address, module, (function, file, line)*]
    private final List<int[]> traces = new ArrayList<>();     // [ip index, parent trace]
    private final List<long[]> infos = new ArrayList<>();     // [size, trace]
    private final Map<Integer, ArrayDeque<Long>> liveByInfo = new HashMap<>();

    private final List<Batch.Alloc> allocs = new ArrayList<>();
    private final List<Batch.Free> frees = new ArrayList<>();
    private long nowMs;
    private long heapBytes;
    private long peakBytes;

    private HeaptrackReader(String compression, InputStream content) {
        this.compression = compression;
        this.lines = new TextLines(content);
    }

    static ImportedRecording read(String compression, InputStream content, ImportRequest request)
            throws ImportException {
        HeaptrackReader reader = new HeaptrackReader(compression, content);
        reader.readAll();
        return reader.toRecording(request);
    }

    private void readAll() throws ImportException {
        String line;
        while ((line = nextLine()) != null) {
            if (line.isEmpty()) {
                continue;
            }
            if (line.length() > 1 && line.charAt(1) != ' ') {
                throw corrupt("expected a record letter and a space, got '" + clip(line) + "'");
            }
            switch (line.charAt(0)) {
                case 'v' -> version(fields(line));
                case 's' -> strings.add(string(line));
                case 'i' -> ips.add(instructionPointer(fields(line)));
                case 't' -> traces.add(trace(fields(line)));
                case 'a' -> infos.add(allocationInfo(fields(line)));
                case '+' -> allocation(fields(line));
                case '-' -> free(fields(line));
                case 'c' -> nowMs = number(fields(line), 1, "timestamp");
                case 'X' -> command = TextLines.utf8(line.substring(2));
                case 'A' -> attached = true;
                case 'I', 'R', 'S', '#' -> {
                    // system info, RSS samples, suppressions, comments: nothing Plumb stores
                }
                default -> throw corrupt("unknown record type '" + line.charAt(0) + "'");
            }
        }
        if (!lines.lastLineTerminated()) {
            throw new ImportException("heaptrack recording is truncated at line " + lines.lineNumber()
                    + ": the last line is cut off without its newline");
        }
        if (fileVersion < 0) {
            throw new ImportException("heaptrack recording has no version line ('v …'); is it a heaptrack file?");
        }
    }

    private String nextLine() throws ImportException {
        try {
            String line = lines.next();
            if (line != null && fileVersion < 0 && !line.startsWith("v ") && !line.startsWith("#")) {
                throw corrupt("the first record must be the version ('v …'), got '" + clip(line) + "'");
            }
            return line;
        } catch (IOException e) {
            if (CompressedInput.endsEarly(e)) {
                throw new ImportException("heaptrack recording is truncated at line " + (lines.lineNumber() + 1)
                        + ": the " + compression + " stream ends early (" + e.getMessage() + ")", e);
            }
            throw new ImportException("heaptrack recording is corrupt at line " + (lines.lineNumber() + 1)
                    + ": the " + compression + " stream cannot be decompressed (" + e.getMessage() + ")", e);
        }
    }

    private void version(String[] f) throws ImportException {
        heaptrackVersion = number(f, 1, "heaptrack version");
        if (f.length > 2) {
            fileVersion = (int) number(f, 2, "file format version");
        } else {
            // heaptrack before 1.0 wrote 0x010200 as the version and meant file format 1
            fileVersion = heaptrackVersion == 0x010200 ? 1 : 0;
        }
        if (fileVersion == 0) {
            throw corrupt("file format 0 (heaptrack before 1.0, which recorded pointers) is not supported;"
                    + " record again with heaptrack 1.0 or later");
        }
        if (fileVersion > NEWEST_FILE_VERSION) {
            throw corrupt("file format " + fileVersion + " is newer than this importer understands (up to "
                    + NEWEST_FILE_VERSION + ")");
        }
    }

    private String string(String line) throws ImportException {
        if (fileVersion < 3) {
            return TextLines.utf8(line.substring(Math.min(2, line.length())));
        }
        int space = line.indexOf(' ', 2);
        if (space < 0) {
            throw corrupt("a sized string needs a length and the string, got '" + clip(line) + "'");
        }
        long length = hex(line.substring(2, space), "string length");
        String rest = line.substring(space + 1);
        if (length > rest.length()) {
            throw corrupt("string of " + length + " bytes, but the line holds only " + rest.length());
        }
        return TextLines.utf8(rest.substring(0, (int) length));
    }

    private long[] instructionPointer(String[] f) throws ImportException {
        if (f.length < 3) {
            throw corrupt("an instruction pointer needs an address and a module");
        }
        // Frames are (function, file, line) triples; heaptrack writes a lone function (no file)
        // when it has no debug info, and ignores an incomplete inlined frame after full ones.
        int given = f.length - 3;
        int frames = given / 3 > 0 ? given / 3 : (given > 0 ? 1 : 0);
        long[] ip = new long[2 + frames * 3];
        ip[0] = number(f, 1, "address");
        ip[1] = number(f, 2, "module");
        checkIndex(ip[1], strings.size() - 1, "string");
        for (int i = 0; i < Math.min(given, frames * 3); i++) {
            ip[2 + i] = number(f, 3 + i, "frame field");
            if (i % 3 != 2) {
                checkIndex(ip[2 + i], strings.size() - 1, "string");
            }
        }
        return ip;
    }

    private int[] trace(String[] f) throws ImportException {
        long ip = number(f, 1, "instruction pointer index");
        long parent = number(f, 2, "parent trace");
        if (ip < 1) {
            throw corrupt("trace refers to instruction pointer 0, which does not exist");
        }
        checkIndex(ip, ips.size(), "instruction pointer");
        checkIndex(parent, traces.size(), "trace");
        return new int[] {(int) ip, (int) parent};
    }

    private long[] allocationInfo(String[] f) throws ImportException {
        long size = number(f, 1, "size");
        long trace = number(f, 2, "trace");
        checkIndex(trace, traces.size(), "trace");
        return new long[] {size, trace};
    }

    private void allocation(String[] f) throws ImportException {
        int info = info(f);
        long allocId = allocs.size() + 1L;
        long[] sizeAndTrace = infos.get(info);
        allocs.add(new Batch.Alloc(allocId, (int) sizeAndTrace[1], sizeAndTrace[0], nowMs * 1000));
        liveByInfo.computeIfAbsent(info, k -> new ArrayDeque<>()).push(allocId);
        heapBytes += sizeAndTrace[0];
        peakBytes = Math.max(peakBytes, heapBytes);
    }

    private void free(String[] f) throws ImportException {
        int info = info(f);
        ArrayDeque<Long> live = liveByInfo.get(info);
        if (live == null || live.isEmpty()) {
            throw corrupt("free of allocation info 0x" + Integer.toHexString(info) + ", which has no live allocation");
        }
        long allocId = live.pop();
        frees.add(Batch.Free.of(allocs.get((int) (allocId - 1)), nowMs * 1000));
        heapBytes -= infos.get(info)[0];
    }

    private int info(String[] f) throws ImportException {
        long info = number(f, 1, "allocation info index");
        if (info >= infos.size()) {
            throw corrupt("refers to allocation info 0x" + Long.toHexString(info) + ", but only "
                    + infos.size() + " are defined");
        }
        return (int) info;
    }

    private ImportedRecording toRecording(ImportRequest request) {
        long durationUs = (nowMs + 1) * 1000; // heaptrack_print's "total runtime" is the last timestamp + 1 ms
        long endUs = Recordings.anchorMicros(request);
        long startUs = endUs - durationUs;
        allocs.replaceAll(a -> new Batch.Alloc(a.allocId(), a.stackId(), a.size(), startUs + a.atMicros()));
        frees.replaceAll(fr -> fr.at(startUs + fr.atMicros(), startUs + fr.allocatedAtMicros()));
        Batch content = new Batch(1, stacks(), allocs, frees, endUs);

        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("imported_from", "heaptrack");
        labels.put("heaptrack_version", (heaptrackVersion >> 16) + "." + ((heaptrackVersion >> 8) & 0xff) + "."
                + (heaptrackVersion & 0xff));
        labels.put("command", command);
        labels.put("times", request.recordedUntil() != null
                ? "relative to the recording's end, taken from the file's modification time"
                : "relative to the recording's end, taken as the upload time (no file time was given)");
        if (attached) {
            labels.put("attached", "true");
        }
        String exe = command.isBlank() ? "unknown" : command.strip().split("\\s+")[0];
        return new ImportedRecording("heaptrack", exe, pidFromFileName(request.fileName()), labels, startUs,
                content, peakBytes);
    }

    /** One stack per backtrace that an allocation used; frames innermost first. */
    private List<Batch.StackDef> stacks() {
        Map<Integer, Batch.StackDef> byTrace = new LinkedHashMap<>();
        for (Batch.Alloc a : allocs) {
            byTrace.computeIfAbsent(a.stackId(), t -> new Batch.StackDef(t, frames(t)));
        }
        return new ArrayList<>(byTrace.values());
    }

    private List<Batch.StackFrame> frames(int trace) {
        List<Batch.StackFrame> frames = new ArrayList<>();
        for (int t = trace; t != 0; t = traces.get(t - 1)[1]) {
            long[] ip = ips.get(traces.get(t - 1)[0] - 1);
            String module = strings.get((int) ip[1]);
            if (ip.length == 2) {
                frames.add(new Batch.StackFrame("0x" + Long.toHexString(ip[0]), module, "", 0));
            }
            for (int i = 2; i + 2 < ip.length; i += 3) {
                String function = ip[i] == 0 ? "0x" + Long.toHexString(ip[0]) : strings.get((int) ip[i]);
                frames.add(new Batch.StackFrame(function, module, strings.get((int) ip[i + 1]), (int) ip[i + 2]));
            }
        }
        if (frames.isEmpty()) {
            frames.add(new Batch.StackFrame("[unknown]", "", "", 0));
        }
        return frames;
    }

    static int pidFromFileName(String fileName) {
        if (fileName == null) {
            return 0;
        }
        Matcher m = FILE_NAME.matcher(fileName);
        return m.find() ? Integer.parseInt(m.group(2)) : 0;
    }

    private String[] fields(String line) {
        return line.split(" ");
    }

    private long number(String[] f, int index, String what) throws ImportException {
        if (index >= f.length) {
            throw corrupt("missing the " + what);
        }
        return hex(f[index], what);
    }

    private long hex(String s, String what) throws ImportException {
        try {
            return Long.parseUnsignedLong(s, 16);
        } catch (NumberFormatException e) {
            throw corrupt("the " + what + " '" + clip(s) + "' is not a hexadecimal number");
        }
    }

    private void checkIndex(long index, int defined, String what) throws ImportException {
        if (index > defined) {
            throw corrupt("refers to " + what + " 0x" + Long.toHexString(index) + ", but only " + defined
                    + " are defined");
        }
    }

    private ImportException corrupt(String what) {
        return new ImportException("heaptrack recording is corrupt at line " + lines.lineNumber() + ": " + what);
    }

    private static String clip(String s) {
        return s.length() <= 60 ? s : s.substring(0, 60) + "…";
    }
}
