package dev.plumb.web.imports;

import static dev.plumb.web.pprof.ProfileProto.*;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import dev.plumb.wire.Batch;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a pprof heap profile (profile.proto, usually gzipped: Go's /debug/pprof/heap, jemalloc
 * or tcmalloc profiles converted by pprof, Plumb's own export) into a session.
 * <p>
 * Which values mean what: sample types are found by name — inuse_objects/inuse_space are
 * what is alive at the end (Plumb's leaked), alloc_objects/alloc_space everything allocated.
 * A profile with only one of the two pairs is read as all-live (inuse only) or all-freed
 * (alloc only). Counts in pprof are already scaled to real allocations (Go unbiases its
 * samples), so each sample becomes at most four rows — live and freed, each split in two sizes
 * so that count × size adds up to the exact bytes — whose {@code weight} is the count.
 * <p>
 * A heap profile has no timeline: everything is allocated at the profile's time_nanos (or, if
 * absent, at the upload anchor minus duration_nanos), the freed part is freed at that same
 * instant (lifetime 0, "temporary"), and the session ends duration_nanos later (at least 1 ms).
 */
final class PprofReader {
    private record Sample(long[] locationIds, long[] values) {
    }

    private record Location(long mappingId, long address, List<long[]> lines) {
    }

    private final String compression;
    private final CodedInputStream in;
    private final List<String> strings = new ArrayList<>();
    private final List<long[]> sampleTypes = new ArrayList<>();
    private final List<Sample> samples = new ArrayList<>();
    private final Map<Long, Location> locations = new HashMap<>();
    private final Map<Long, long[]> functions = new HashMap<>();      // id → [name, filename]
    private final Map<Long, Long> mappingFiles = new LinkedHashMap<>(); // id → filename
    private long timeNanos;
    private long durationNanos;

    private PprofReader(String compression, InputStream content) {
        this.compression = compression;
        this.in = CodedInputStream.newInstance(content);
        this.in.setSizeLimit(Integer.MAX_VALUE);
    }

    static ImportedRecording read(String compression, InputStream content, ImportRequest request)
            throws ImportException {
        PprofReader reader = new PprofReader(compression, content);
        try {
            reader.readProfile();
        } catch (InvalidProtocolBufferException e) {
            if (e.getMessage() != null && e.getMessage().contains("ended unexpectedly")) {
                throw reader.truncated("a message is cut off", e);
            }
            throw new ImportException("pprof profile is corrupt at byte " + reader.in.getTotalBytesRead()
                    + " of the " + compression + " content: " + e.getMessage(), e);
        } catch (IOException e) {
            if (CompressedInput.endsEarly(e)) {
                throw reader.truncated("the " + compression + " stream ends early (" + e.getMessage() + ")", e);
            }
            throw new ImportException("pprof profile is corrupt at byte " + reader.in.getTotalBytesRead()
                    + ": the " + compression + " stream cannot be decompressed (" + e.getMessage() + ")", e);
        }
        return reader.toRecording(request);
    }

    private ImportException truncated(String what, Exception cause) {
        return new ImportException("pprof profile is truncated at byte " + in.getTotalBytesRead() + " of the "
                + compression + " content: " + what, cause);
    }

    private void readProfile() throws IOException {
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case PROFILE_SAMPLE_TYPE -> sampleTypes.add(message(this::valueType));
                case PROFILE_SAMPLE -> samples.add(message(this::sample));
                case PROFILE_MAPPING -> message(this::mapping);
                case PROFILE_LOCATION -> message(this::location);
                case PROFILE_FUNCTION -> message(this::function);
                case PROFILE_STRING_TABLE -> strings.add(in.readString());
                case PROFILE_TIME_NANOS -> timeNanos = in.readInt64();
                case PROFILE_DURATION_NANOS -> durationNanos = in.readInt64();
                default -> in.skipField(tag);
            }
        }
    }

    private interface Body<T> {
        T read() throws IOException;
    }

    private <T> T message(Body<T> body) throws IOException {
        int limit = in.pushLimit(in.readRawVarint32());
        T value = body.read();
        in.popLimit(limit);
        return value;
    }

    private long[] valueType() throws IOException {
        long[] typeAndUnit = new long[2];
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case VALUE_TYPE_TYPE -> typeAndUnit[0] = in.readInt64();
                case VALUE_TYPE_UNIT -> typeAndUnit[1] = in.readInt64();
                default -> in.skipField(tag);
            }
        }
        return typeAndUnit;
    }

    private Sample sample() throws IOException {
        List<Long> locationIds = new ArrayList<>();
        List<Long> values = new ArrayList<>();
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case SAMPLE_LOCATION_ID -> repeatedVarint(tag, locationIds);
                case SAMPLE_VALUE -> repeatedVarint(tag, values);
                default -> in.skipField(tag);
            }
        }
        return new Sample(locationIds.stream().mapToLong(Long::longValue).toArray(),
                values.stream().mapToLong(Long::longValue).toArray());
    }

    /** Repeated integers arrive packed (proto3's default) or one per tag; accept both. */
    private void repeatedVarint(int tag, List<Long> into) throws IOException {
        if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            int limit = in.pushLimit(in.readRawVarint32());
            while (in.getBytesUntilLimit() > 0) {
                into.add(in.readRawVarint64());
            }
            in.popLimit(limit);
        } else {
            into.add(in.readRawVarint64());
        }
    }

    private Void mapping() throws IOException {
        long id = 0;
        long filename = 0;
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case MAPPING_ID -> id = in.readUInt64();
                case MAPPING_FILENAME -> filename = in.readInt64();
                default -> in.skipField(tag);
            }
        }
        mappingFiles.put(id, filename);
        return null;
    }

    private Void location() throws IOException {
        long id = 0;
        long mappingId = 0;
        long address = 0;
        List<long[]> lines = new ArrayList<>();
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case LOCATION_ID -> id = in.readUInt64();
                case LOCATION_MAPPING_ID -> mappingId = in.readUInt64();
                case LOCATION_ADDRESS -> address = in.readUInt64();
                case LOCATION_LINE -> lines.add(message(this::line));
                default -> in.skipField(tag);
            }
        }
        locations.put(id, new Location(mappingId, address, lines));
        return null;
    }

    private long[] line() throws IOException {
        long[] functionAndLine = new long[2];
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case LINE_FUNCTION_ID -> functionAndLine[0] = in.readUInt64();
                case LINE_LINE -> functionAndLine[1] = in.readInt64();
                default -> in.skipField(tag);
            }
        }
        return functionAndLine;
    }

    private Void function() throws IOException {
        long id = 0;
        long name = 0;
        long systemName = 0;
        long filename = 0;
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case FUNCTION_ID -> id = in.readUInt64();
                case FUNCTION_NAME -> name = in.readInt64();
                case FUNCTION_SYSTEM_NAME -> systemName = in.readInt64();
                case FUNCTION_FILENAME -> filename = in.readInt64();
                default -> in.skipField(tag);
            }
        }
        functions.put(id, new long[] {name != 0 ? name : systemName, filename});
        return null;
    }

    private ImportedRecording toRecording(ImportRequest request) throws ImportException {
        int allocObjects = sampleType(ALLOC_OBJECTS);
        int allocSpace = sampleType(ALLOC_SPACE);
        int inuseObjects = sampleType(INUSE_OBJECTS);
        int inuseSpace = sampleType(INUSE_SPACE);
        if (allocSpace < 0 && inuseSpace < 0) {
            List<String> names = new ArrayList<>();
            for (long[] t : sampleTypes) {
                names.add(string(t[0]) + "/" + string(t[1]));
            }
            throw new ImportException("pprof profile is not a heap profile: its sample types are " + names
                    + "; a heap profile has inuse_space/bytes or alloc_space/bytes");
        }
        long durationUs = Math.max(durationNanos / 1000, 1000);
        long startUs = timeNanos > 0 ? timeNanos / 1000 : Recordings.anchorMicros(request) - durationUs;

        Map<List<Long>, Integer> stackIds = new HashMap<>();
        List<Batch.StackDef> stacks = new ArrayList<>();
        RowBuilder rows = new RowBuilder(startUs);
        int sampleIndex = 0;
        for (Sample s : samples) {
            sampleIndex++;
            List<Long> key = new ArrayList<>(s.locationIds().length);
            for (long id : s.locationIds()) {
                key.add(id);
            }
            Integer stackId = stackIds.get(key);
            if (stackId == null) {
                stackId = stacks.size() + 1;
                stackIds.put(key, stackId);
                stacks.add(new Batch.StackDef(stackId, frames(s.locationIds(), sampleIndex)));
            }
            long liveCount = value(s, inuseObjects, sampleIndex);
            long liveBytes = value(s, inuseSpace, sampleIndex);
            long allCount = allocObjects >= 0 ? value(s, allocObjects, sampleIndex) : liveCount;
            long allBytes = allocSpace >= 0 ? value(s, allocSpace, sampleIndex) : liveBytes;
            if (inuseSpace < 0) { // only alloc_*: nothing is known to be alive
                liveCount = 0;
                liveBytes = 0;
            }
            if (allCount < liveCount || allBytes < liveBytes) {
                throw new ImportException("pprof profile is corrupt in sample " + sampleIndex
                        + ": it has fewer alloc_* than inuse_* (" + allCount + " objects/" + allBytes + " bytes allocated, "
                        + liveCount + "/" + liveBytes + " in use)");
            }
            rows.add(stackId, liveCount, liveBytes, false);
            rows.add(stackId, allCount - liveCount, allBytes - liveBytes, true);
        }
        Batch content = new Batch(1, stacks, rows.allocs, rows.frees, startUs + durationUs);

        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("imported_from", "pprof");
        List<String> types = new ArrayList<>();
        for (long[] t : sampleTypes) {
            types.add(string(t[0]) + "/" + string(t[1]));
        }
        labels.put("sample_types", String.join(",", types));
        labels.put("times", "a heap profile has no timeline: all allocated at the profile's time, freed ones at once");
        String exe = mappingFiles.isEmpty() ? "unknown" : string(mappingFiles.values().iterator().next());
        return new ImportedRecording("pprof", exe.isEmpty() ? "unknown" : exe, 0, labels, startUs, content,
                rows.liveBytes);
    }

    private int sampleType(String name) {
        for (int i = 0; i < sampleTypes.size(); i++) {
            if (name.equals(string(sampleTypes.get(i)[0]))) {
                return i;
            }
        }
        return -1;
    }

    private long value(Sample s, int index, int sampleIndex) throws ImportException {
        if (index < 0) {
            return 0;
        }
        if (index >= s.values().length) {
            throw new ImportException("pprof profile is corrupt in sample " + sampleIndex + ": it has "
                    + s.values().length + " values but the profile declares " + sampleTypes.size() + " sample types");
        }
        if (s.values()[index] < 0) {
            throw new ImportException("pprof profile is corrupt in sample " + sampleIndex + ": negative value "
                    + s.values()[index]);
        }
        return s.values()[index];
    }

    private List<Batch.StackFrame> frames(long[] locationIds, int sampleIndex) throws ImportException {
        List<Batch.StackFrame> frames = new ArrayList<>();
        for (long id : locationIds) {
            Location loc = locations.get(id);
            if (loc == null) {
                throw new ImportException("pprof profile is corrupt in sample " + sampleIndex
                        + ": it refers to location " + id + ", which is not defined");
            }
            String module = mappingFiles.containsKey(loc.mappingId()) ? string(mappingFiles.get(loc.mappingId())) : "";
            if (loc.lines().isEmpty()) {
                frames.add(new Batch.StackFrame("0x" + Long.toHexString(loc.address()), module, "", 0));
            }
            for (long[] line : loc.lines()) {
                long[] function = functions.get(line[0]);
                String name = function == null || string(function[0]).isEmpty()
                        ? "0x" + Long.toHexString(loc.address()) : string(function[0]);
                String file = function == null ? "" : string(function[1]);
                frames.add(new Batch.StackFrame(name, module, file, (int) line[1]));
            }
        }
        if (frames.isEmpty()) {
            frames.add(new Batch.StackFrame("[unknown]", "", "", 0));
        }
        return frames;
    }

    private String string(long index) {
        return index >= 0 && index < strings.size() ? strings.get((int) index) : "";
    }

    /** Turns (count, bytes) into at most two rows of whole sizes whose weights add up exactly. */
    private static final class RowBuilder {
        final List<Batch.Alloc> allocs = new ArrayList<>();
        final List<Batch.Free> frees = new ArrayList<>();
        final long atMicros;
        long liveBytes;

        RowBuilder(long atMicros) {
            this.atMicros = atMicros;
        }

        void add(int stackId, long count, long bytes, boolean freed) {
            if (bytes == 0 && count == 0) {
                return;
            }
            if (!freed) {
                liveBytes += bytes;
            }
            if (count == 0) { // bytes without a count: one allocation of all of them
                row(stackId, bytes, 1, freed);
                return;
            }
            long size = bytes / count;
            long larger = bytes % count; // this many are one byte bigger
            row(stackId, size, count - larger, freed);
            row(stackId, size + 1, larger, freed);
        }

        private void row(int stackId, long size, long weight, boolean freed) {
            if (weight == 0) {
                return;
            }
            long allocId = allocs.size() + 1L;
            Batch.Alloc alloc = new Batch.Alloc(allocId, stackId, size, atMicros, weight);
            allocs.add(alloc);
            if (freed) {
                frees.add(Batch.Free.of(alloc, atMicros));
            }
        }
    }
}
