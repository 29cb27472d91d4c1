package dev.plumb.agent.symbols;

import dev.plumb.agent.capture.ModuleInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Resolves runtime addresses of one captured process to frames (function, module, file,
 * line), using the module table the capture library sent, the ELF symbol tables of the files
 * on this machine, and their DWARF through binutils ({@link SourceLines}) for source lines,
 * inlined frames and demangled names. Without binutils or debug info, names come from the
 * symbol tables alone (demangled when c++filt is there).
 *
 * <p>Each file's symbols are parsed once (shared across modules with the same path and
 * build-id) and each distinct address is resolved once. Adding a module that overlaps a known one replaces it
 * (a library was unloaded and another one mapped there) and forgets cached resolutions.
 * Methods are synchronized; instances may be shared between threads.
 */
public final class Symbolizer {
    /** Modules by start address (unsigned order); ranges never overlap. */
    private final TreeMap<Long, ModuleInfo> modules = new TreeMap<>(Long::compareUnsigned);
    private final Map<String, ElfSymbols> symbolsByPath = new HashMap<>();
    private final Map<Long, List<ResolvedFrame>> innermostCache = new HashMap<>();
    private final Map<Long, List<ResolvedFrame>> callerCache = new HashMap<>();
    private final Function<Path, ElfSymbols> loader;
    private final Path debugRoot;
    private final SourceLines lines;

    /** Default symbol source: the module files themselves, debug files under /usr/lib/debug. */
    public Symbolizer() {
        this(ElfSymbols::read);
    }

    /** With a custom symbol-table loader (for tests, or to map paths into a sysroot). */
    public Symbolizer(Function<Path, ElfSymbols> loader) {
        this(loader, Path.of("/usr/lib/debug"));
    }

    /**
     * With a custom loader and debug-file root: separate debug files are looked up as
     * {@code <debugRoot>/.build-id/<first 2 hex>/<rest>.debug}.
     */
    public Symbolizer(Function<Path, ElfSymbols> loader, Path debugRoot) {
        this(loader, debugRoot, new SourceLines());
    }

    Symbolizer(Function<Path, ElfSymbols> loader, Path debugRoot, SourceLines lines) {
        this.loader = Objects.requireNonNull(loader, "loader");
        this.debugRoot = Objects.requireNonNull(debugRoot, "debugRoot");
        this.lines = Objects.requireNonNull(lines, "lines");
    }

    /** Stops the helper processes (addr2line, c++filt); the symbolizer stays usable without them. */
    public synchronized void close() {
        lines.close();
    }

    /** Registers a module; re-adding an identical module is a no-op. */
    public synchronized void addModule(ModuleInfo m) {
        Objects.requireNonNull(m, "module");
        if (Long.compareUnsigned(m.start(), m.end()) >= 0) {
            return;
        }
        if (m.equals(modules.get(m.start()))) {
            return;
        }
        Iterator<ModuleInfo> it = modules.values().iterator();
        while (it.hasNext()) {
            ModuleInfo o = it.next();
            if (Long.compareUnsigned(o.start(), m.end()) < 0 && Long.compareUnsigned(m.start(), o.end()) < 0) {
                it.remove();
            }
        }
        modules.put(m.start(), m);
        innermostCache.clear();
        callerCache.clear();
    }

    /** The module whose [start, end) contains {@code address}, if any. */
    public synchronized Optional<ModuleInfo> moduleAt(long address) {
        Map.Entry<Long, ModuleInfo> e = modules.floorEntry(address);
        return e != null && e.getValue().contains(address) ? Optional.of(e.getValue()) : Optional.empty();
    }

    /**
     * Resolves one frame. {@code innermost} frames are looked up at the address itself; for the
     * others, which are return addresses, {@code address - 1} is looked up so the call
     * instruction (not whatever follows it) decides the function.
     */
    public synchronized ResolvedFrame resolve(long returnAddress, boolean innermost) {
        List<ResolvedFrame> chain = resolveChain(returnAddress, innermost);
        return chain.get(chain.size() - 1);
    }

    /**
     * All frames at a return address: functions inlined into the call site come first, the
     * function that really contains the call last. Never empty.
     */
    public synchronized List<ResolvedFrame> resolveInlined(long returnAddress) {
        return resolveChain(returnAddress, false);
    }

    private List<ResolvedFrame> resolveChain(long address, boolean innermost) {
        Map<Long, List<ResolvedFrame>> cache = innermost ? innermostCache : callerCache;
        List<ResolvedFrame> cached = cache.get(address);
        if (cached == null) {
            cached = compute(address, innermost);
            cache.put(address, cached);
        }
        return cached;
    }

    private List<ResolvedFrame> compute(long address, boolean innermost) {
        Optional<ModuleInfo> module = moduleAt(address);
        if (module.isEmpty()) {
            return List.of(new ResolvedFrame("0x" + Long.toHexString(address), "?", "", 0));
        }
        ModuleInfo m = module.get();
        long relative = address - m.loadBias();
        long lookupAt = innermost ? relative : relative - 1;
        ElfSymbols symbols = symbolsByPath.computeIfAbsent(m.path() + "\0" + m.buildIdHex(), k -> load(m));
        String symbolName = symbols.lookup(lookupAt).map(lines::demangle).orElse("0x" + Long.toHexString(relative));
        String moduleName = basename(m.path());
        List<SourceLines.SourceFrame> source = m.path().startsWith("/")
                ? lines.lookup(Path.of(m.path()), lookupAt) : List.of();
        if (source.isEmpty()) {
            return List.of(new ResolvedFrame(symbolName, moduleName, "", 0));
        }
        List<ResolvedFrame> chain = new ArrayList<>(source.size());
        for (SourceLines.SourceFrame f : source) {
            chain.add(new ResolvedFrame(f.function() != null ? lines.demangle(f.function()) : symbolName, moduleName,
                    f.file(), f.line()));
        }
        return chain;
    }

    /**
     * The module file's own symbols, or those of its separate debug file
     * ({@code /usr/lib/debug/.build-id/xx/rest.debug}, as installed by -dbg/-dbgsym packages)
     * when that one knows more functions (stripped system libraries).
     */
    private ElfSymbols load(ModuleInfo m) {
        String path = m.path();
        if (path.isEmpty() || !path.startsWith("/")) {
            return ElfSymbols.empty(); // pseudo objects such as linux-vdso.so.1
        }
        ElfSymbols own = tryLoad(Path.of(path));
        String id = m.buildIdHex();
        if (id.length() > 2) {
            Path debug = debugRoot.resolve(".build-id").resolve(id.substring(0, 2)).resolve(id.substring(2) + ".debug");
            if (Files.isRegularFile(debug)) {
                ElfSymbols fromDebug = tryLoad(debug);
                if (fromDebug.size() > own.size()) {
                    return fromDebug;
                }
            }
        }
        return own;
    }

    private ElfSymbols tryLoad(Path path) {
        try {
            return loader.apply(path);
        } catch (RuntimeException e) {
            return ElfSymbols.empty();
        }
    }

    static String basename(String path) {
        int slash = path.lastIndexOf('/');
        return slash >= 0 ? path.substring(slash + 1) : path;
    }
}
