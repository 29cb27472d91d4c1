package dev.plumb.web.export;

import static dev.plumb.web.pprof.ProfileProto.*;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import dev.plumb.web.query.Frame;
import dev.plumb.web.query.SessionRow;
import dev.plumb.web.query.StackCost;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.springframework.stereotype.Component;

/**
 * A gzipped pprof heap profile (profile.proto) as Go writes one, so `go tool pprof` shows it
 * and Plumb's import reads it back: sample types alloc_objects/count, alloc_space/bytes,
 * inuse_objects/count, inuse_space/bytes (inuse = alive at the session's end = leaked), one
 * sample per backtrace, default sample type inuse_space. Frames become one location each
 * (its module a mapping, its function and file a function), leaf first as pprof wants.
 */
@Component
public class PprofExport implements ProfileExport {
    private static final ProfileValue[] SAMPLE_TYPES = {
        ProfileValue.ALLOC_OBJECTS, ProfileValue.ALLOC_SPACE, ProfileValue.INUSE_OBJECTS, ProfileValue.INUSE_SPACE};

    @Override
    public String format() {
        return "pprof";
    }

    @Override
    public String contentType() {
        return "application/octet-stream";
    }

    @Override
    public String fileExtension() {
        return "pb.gz";
    }

    @Override
    public void write(SessionRow session, List<StackCost> stacks, ProfileValue value, OutputStream out)
            throws IOException {
        GZIPOutputStream gzip = new GZIPOutputStream(out, 1 << 16);
        CodedOutputStream proto = CodedOutputStream.newInstance(gzip);
        new Encoder(proto).profile(session, stacks);
        proto.flush();
        gzip.finish();
    }

    /** Interns strings, mappings, functions and locations while it writes. */
    private static final class Encoder {
        private final CodedOutputStream out;
        private final Map<String, Long> strings = new LinkedHashMap<>();
        private final Map<String, Long> mappings = new LinkedHashMap<>();
        private final Map<List<String>, Long> functions = new LinkedHashMap<>();
        private final Map<Frame, Long> locations = new HashMap<>();

        Encoder(CodedOutputStream out) {
            this.out = out;
            string("");
        }

        void profile(SessionRow session, List<StackCost> stacks) throws IOException {
            for (ProfileValue type : SAMPLE_TYPES) {
                out.writeByteArray(PROFILE_SAMPLE_TYPE, valueType(type.sampleType(), type.unit()).toByteArray());
            }
            for (StackCost stack : stacks) {
                out.writeByteArray(PROFILE_SAMPLE, sample(stack).toByteArray());
            }
            // locations first: writing them interns the mappings and functions they use
            for (Map.Entry<Frame, Long> l : locations.entrySet()) {
                out.writeByteArray(PROFILE_LOCATION, location(l.getKey(), l.getValue()).toByteArray());
            }
            for (Map.Entry<String, Long> m : mappings.entrySet()) {
                out.writeByteArray(PROFILE_MAPPING, message(o -> {
                    o.writeUInt64(MAPPING_ID, m.getValue());
                    o.writeInt64(MAPPING_FILENAME, string(m.getKey()));
                }).toByteArray());
            }
            for (Map.Entry<List<String>, Long> f : functions.entrySet()) {
                long name = string(f.getKey().get(0));
                long file = string(f.getKey().get(1));
                out.writeByteArray(PROFILE_FUNCTION, message(o -> {
                    o.writeUInt64(FUNCTION_ID, f.getValue());
                    o.writeInt64(FUNCTION_NAME, name);
                    o.writeInt64(FUNCTION_SYSTEM_NAME, name);
                    o.writeInt64(FUNCTION_FILENAME, file);
                }).toByteArray());
            }
            ByteString periodType = valueType(ProfileValue.ALLOC_SPACE.sampleType(), "bytes");
            long defaultType = string(ProfileValue.INUSE_SPACE.sampleType());
            Instant start = session.startedAt();
            Instant end = session.endedAt() != null ? session.endedAt() : Instant.now();
            for (String s : strings.keySet()) {
                out.writeString(PROFILE_STRING_TABLE, s);
            }
            out.writeInt64(PROFILE_TIME_NANOS, start.getEpochSecond() * 1_000_000_000L + start.getNano());
            out.writeInt64(PROFILE_DURATION_NANOS, Math.max(0, Duration.between(start, end).toNanos()));
            out.writeByteArray(PROFILE_PERIOD_TYPE, periodType.toByteArray());
            out.writeInt64(PROFILE_PERIOD, 1);
            out.writeInt64(PROFILE_DEFAULT_SAMPLE_TYPE, defaultType);
        }

        private ByteString sample(StackCost stack) throws IOException {
            long[] locationIds = new long[stack.frames().size()];
            for (int i = 0; i < locationIds.length; i++) {
                locationIds[i] = locations.computeIfAbsent(stack.frames().get(i), f -> locations.size() + 1L);
            }
            return message(o -> {
                o.writeByteArray(SAMPLE_LOCATION_ID, packed(locationIds).toByteArray());
                long[] values = new long[SAMPLE_TYPES.length];
                for (int i = 0; i < values.length; i++) {
                    values[i] = SAMPLE_TYPES[i].of(stack);
                }
                o.writeByteArray(SAMPLE_VALUE, packed(values).toByteArray());
            });
        }

        private ByteString location(Frame frame, long id) throws IOException {
            long mapping = mappings.computeIfAbsent(frame.module(), m -> mappings.size() + 1L);
            long function = functions.computeIfAbsent(List.of(frame.function(), frame.file()),
                    f -> functions.size() + 1L);
            ByteString line = message(o -> {
                o.writeUInt64(LINE_FUNCTION_ID, function);
                o.writeInt64(LINE_LINE, frame.line());
            });
            return message(o -> {
                o.writeUInt64(LOCATION_ID, id);
                o.writeUInt64(LOCATION_MAPPING_ID, mapping);
                o.writeByteArray(LOCATION_LINE, line.toByteArray());
            });
        }

        private ByteString valueType(String type, String unit) throws IOException {
            long t = string(type);
            long u = string(unit);
            return message(o -> {
                o.writeInt64(VALUE_TYPE_TYPE, t);
                o.writeInt64(VALUE_TYPE_UNIT, u);
            });
        }

        private long string(String s) {
            return strings.computeIfAbsent(s, k -> (long) strings.size());
        }

        private interface Body {
            void write(CodedOutputStream out) throws IOException;
        }

        private static ByteString message(Body body) throws IOException {
            ByteString.Output bytes = ByteString.newOutput();
            CodedOutputStream o = CodedOutputStream.newInstance(bytes);
            body.write(o);
            o.flush();
            return bytes.toByteString();
        }

        private static ByteString packed(long[] values) throws IOException {
            return message(o -> {
                for (long v : values) {
                    o.writeUInt64NoTag(v);
                }
            });
        }
    }
}
