package dev.plumb.agent.symbols;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Function symbols of one ELF64 little-endian file, from {@code .symtab} and {@code .dynsym}
 * (STT_FUNC and STT_GNU_IFUNC, defined ones only), sorted by address.
 *
 * <p>Only the section header table and the symbol and string tables are read, each through a
 * memory mapping of just that region. Anything that is not a readable ELF64 LE file (missing,
 * stripped, truncated, another format) yields an empty table; {@link #read} never throws.
 * Instances are immutable and thread-safe.
 */
public final class ElfSymbols {
    private static final int SHT_SYMTAB = 2;
    private static final int SHT_DYNSYM = 11;
    private static final int STT_FUNC = 2;
    private static final int STT_GNU_IFUNC = 10;
    private static final int SHN_UNDEF = 0;
    private static final int SHN_XINDEX = 0xffff;
    private static final int SHDR_SIZE = 64;
    private static final int SYM_SIZE = 24;

    private static final ElfSymbols EMPTY = new ElfSymbols(new long[0], new long[0], new String[0]);

    private final long[] values;
    private final long[] sizes;
    private final String[] names;

    private ElfSymbols(long[] values, long[] sizes, String[] names) {
        this.values = values;
        this.sizes = sizes;
        this.names = names;
    }

    /** An empty table. */
    public static ElfSymbols empty() {
        return EMPTY;
    }

    /** Parses {@code file}; returns an empty table if it cannot be read as ELF64 little-endian. */
    public static ElfSymbols read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return parse(ch);
        } catch (IOException | RuntimeException e) {
            // not ELF, truncated, unreadable, corrupt offsets: no symbols, never an error
            return EMPTY;
        }
    }

    /** Number of function symbols in the table. */
    public int size() {
        return names.length;
    }

    /**
     * The function containing {@code fileVirtualAddress} (an address in the file's own virtual
     * address space, i.e. runtime address minus load bias): the symbol with
     * {@code value <= address < value + size}, or the nearest preceding symbol if that one has
     * size 0.
     */
    public Optional<String> lookup(long fileVirtualAddress) {
        int lo = 0;
        int hi = values.length - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(values[mid], fileVirtualAddress) <= 0) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        // several symbols may start at the same address, or an earlier, larger one may enclose it
        for (int i = found; i >= 0 && i > found - 8; i--) {
            if (sizes[i] != 0 && Long.compareUnsigned(fileVirtualAddress - values[i], sizes[i]) < 0) {
                return Optional.of(names[i]);
            }
        }
        if (found >= 0 && sizes[found] == 0) {
            return Optional.of(names[found]);
        }
        return Optional.empty();
    }

    // ---- parsing ----

    private record Sym(long value, long size, String name) {
    }

    private static ElfSymbols parse(FileChannel ch) throws IOException {
        long fileSize = ch.size();
        if (fileSize < 64) {
            return EMPTY;
        }
        ByteBuffer eh = map(ch, 0, 64);
        if (eh.getInt(0) != 0x464c457f /* \x7fELF read little-endian */ || eh.get(4) != 2 /* ELFCLASS64 */
                || eh.get(5) != 1 /* ELFDATA2LSB */) {
            return EMPTY;
        }
        long shoff = eh.getLong(0x28);
        int shentsize = Short.toUnsignedInt(eh.getShort(0x3a));
        long shnum = Short.toUnsignedInt(eh.getShort(0x3c));
        if (shoff == 0 || shentsize < SHDR_SIZE) {
            return EMPTY;
        }
        if (shnum == 0) { // more than 0xff00 sections: the real count is in section 0's sh_size
            shnum = map(ch, shoff, SHDR_SIZE).getLong(32);
        }
        if (shnum <= 0 || shnum > 1_000_000 || !fits(shoff, shnum * shentsize, fileSize)) {
            return EMPTY;
        }
        ByteBuffer sh = map(ch, shoff, shnum * shentsize);
        List<Sym> syms = new ArrayList<>();
        // .symtab first: on duplicates (same address and name) the first one wins
        for (int wanted : new int[] {SHT_SYMTAB, SHT_DYNSYM}) {
            for (int i = 0; i < shnum; i++) {
                int at = i * shentsize;
                if (sh.getInt(at + 4) != wanted) {
                    continue;
                }
                long off = sh.getLong(at + 24);
                long size = sh.getLong(at + 32);
                int link = sh.getInt(at + 40);
                long entsize = sh.getLong(at + 56);
                if (entsize == 0) {
                    entsize = SYM_SIZE;
                }
                if (link <= 0 || link >= shnum || entsize < SYM_SIZE || !fits(off, size, fileSize)) {
                    continue;
                }
                int strAt = link * shentsize;
                long strOff = sh.getLong(strAt + 24);
                long strSize = sh.getLong(strAt + 32);
                if (!fits(strOff, strSize, fileSize)) {
                    continue;
                }
                readSymbols(map(ch, off, size), entsize, map(ch, strOff, strSize), syms);
            }
        }
        if (syms.isEmpty()) {
            return EMPTY;
        }
        syms.sort(Comparator.comparing(Sym::value, Long::compareUnsigned)
                .thenComparing(Comparator.comparingLong(Sym::size).reversed()));
        long[] values = new long[syms.size()];
        long[] sizes = new long[syms.size()];
        String[] names = new String[syms.size()];
        int n = 0;
        for (Sym s : syms) {
            if (n > 0 && values[n - 1] == s.value() && names[n - 1].equals(s.name())) {
                continue; // same function seen in both .symtab and .dynsym
            }
            values[n] = s.value();
            sizes[n] = s.size();
            names[n] = s.name();
            n++;
        }
        return new ElfSymbols(Arrays.copyOf(values, n), Arrays.copyOf(sizes, n), Arrays.copyOf(names, n));
    }

    private static void readSymbols(ByteBuffer tab, long entsize, ByteBuffer strtab, List<Sym> out) {
        long count = tab.capacity() / entsize;
        for (long k = 1; k < count; k++) { // entry 0 is the null symbol
            int at = (int) (k * entsize);
            int type = tab.get(at + 4) & 0xf;
            if (type != STT_FUNC && type != STT_GNU_IFUNC) {
                continue;
            }
            int shndx = Short.toUnsignedInt(tab.getShort(at + 6));
            long value = tab.getLong(at + 8);
            if (shndx == SHN_UNDEF || shndx == SHN_XINDEX && value == 0 || value == 0) {
                continue;
            }
            String name = cString(strtab, Integer.toUnsignedLong(tab.getInt(at)));
            if (name.isEmpty()) {
                continue;
            }
            out.add(new Sym(value, tab.getLong(at + 16), name));
        }
    }

    private static String cString(ByteBuffer strtab, long offset) {
        if (offset >= strtab.capacity()) {
            return "";
        }
        int start = (int) offset;
        int end = start;
        while (end < strtab.capacity() && strtab.get(end) != 0) {
            end++;
        }
        byte[] bytes = new byte[end - start];
        strtab.get(start, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static boolean fits(long offset, long length, long fileSize) {
        return offset >= 0 && length >= 0 && length <= Integer.MAX_VALUE && offset <= fileSize
                && length <= fileSize - offset;
    }

    private static ByteBuffer map(FileChannel ch, long offset, long length) throws IOException {
        if (length == 0) {
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_ONLY, offset, length);
        return b.order(ByteOrder.LITTLE_ENDIAN);
    }
}
