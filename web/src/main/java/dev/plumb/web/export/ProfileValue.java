package dev.plumb.web.export;

import dev.plumb.web.query.StackCost;
import java.util.function.ToLongFunction;

/**
 * The four values of a heap profile, named as pprof names its sample types. inuse = alive at
 * the session's end, which is what Plumb calls leaked.
 */
public enum ProfileValue {
    INUSE_SPACE("inuse_space", "bytes", "leaked bytes", StackCost::bytesLeaked),
    INUSE_OBJECTS("inuse_objects", "count", "leaked allocations", StackCost::leaked),
    ALLOC_SPACE("alloc_space", "bytes", "allocated bytes", StackCost::bytesAllocated),
    ALLOC_OBJECTS("alloc_objects", "count", "allocations", StackCost::allocations);

    private final String sampleType;
    private final String unit;
    private final String title;
    private final ToLongFunction<StackCost> of;

    ProfileValue(String sampleType, String unit, String title, ToLongFunction<StackCost> of) {
        this.sampleType = sampleType;
        this.unit = unit;
        this.title = title;
        this.of = of;
    }

    public String sampleType() {
        return sampleType;
    }

    public String unit() {
        return unit;
    }

    public String title() {
        return title;
    }

    public long of(StackCost stack) {
        return of.applyAsLong(stack);
    }

    /** By pprof sample type name, e.g. "alloc_space"; null if none has it. */
    public static ProfileValue bySampleType(String name) {
        for (ProfileValue v : values()) {
            if (v.sampleType.equals(name)) {
                return v;
            }
        }
        return null;
    }
}
