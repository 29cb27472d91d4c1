package dev.plumb.agent.capture;

/**
 * One loaded object (executable or shared library) of the captured process, as reported by
 * the capture library's MODULE record.
 *
 * @param path absolute path of the file on disk (the main program is reported by its
 *     {@code /proc/self/exe} path; pseudo objects such as {@code linux-vdso.so.1} keep their name)
 * @param loadBias difference between runtime addresses and the file's virtual addresses
 *     ({@code dlpi_addr}); 0 for non-PIE executables
 * @param start lowest runtime address of the object's PT_LOAD segments
 * @param end one past the highest runtime address of its PT_LOAD segments
 * @param buildIdHex GNU build-id as lowercase hex, "" if the object has none
 */
public record ModuleInfo(String path, long loadBias, long start, long end, String buildIdHex) {

    /** Whether {@code address} lies within [start, end), compared as unsigned. */
    public boolean contains(long address) {
        return Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0;
    }
}
