package dev.plumb.agent.symbols;

/**
 * One symbolized stack frame.
 *
 * @param function function name, or {@code "0x<hex>"} (module-relative address, or the absolute
 *     address when no module contains it) when no symbol covers the address
 * @param module basename of the module's file, {@code "?"} when no module contains the address
 * @param file source file; "" until DWARF line tables are read
 * @param line source line; 0 until DWARF line tables are read
 */
public record ResolvedFrame(String function, String module, String file, int line) {
}
