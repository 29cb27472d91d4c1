package dev.plumb.web.export;

import dev.plumb.web.query.Frame;
import dev.plumb.web.query.SessionRow;
import dev.plumb.web.query.StackCost;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;
import tools.jackson.databind.ObjectMapper;

/**
 * speedscope's own file format (https://www.speedscope.app/file-format-schema.json): frames
 * shared by all profiles, and one "sampled" profile per heap value — leaked bytes first (the
 * one speedscope opens), then leaked allocations, allocated bytes, allocations. Each backtrace
 * is one sample, root first as speedscope expects, weighted by its value. Checked against the
 * schema in SpeedscopeExportTest.
 */
@Component
public class SpeedscopeExport implements ProfileExport {
    static final String SCHEMA = "https://www.speedscope.app/file-format-schema.json";

    private final ObjectMapper json;

    public SpeedscopeExport(ObjectMapper json) {
        this.json = json;
    }

    @Override
    public String format() {
        return "speedscope";
    }

    @Override
    public String contentType() {
        return "application/json";
    }

    @Override
    public String fileExtension() {
        return "speedscope.json";
    }

    @Override
    public void write(SessionRow session, List<StackCost> stacks, ProfileValue first, OutputStream out) {
        List<Map<String, Object>> frames = new ArrayList<>();
        Map<Frame, Integer> frameIndex = new HashMap<>();
        List<List<Integer>> samples = new ArrayList<>(stacks.size());
        for (StackCost stack : stacks) {
            List<Integer> sample = new ArrayList<>(stack.frames().size());
            for (int i = stack.frames().size() - 1; i >= 0; i--) {
                Frame f = stack.frames().get(i);
                sample.add(frameIndex.computeIfAbsent(f, k -> {
                    frames.add(frame(k));
                    return frames.size() - 1;
                }));
            }
            samples.add(sample);
        }
        List<Map<String, Object>> profiles = new ArrayList<>();
        profiles.add(profile(first, stacks, samples));
        for (ProfileValue v : ProfileValue.values()) {
            if (v != first) {
                profiles.add(profile(v, stacks, samples));
            }
        }
        Map<String, Object> file = new LinkedHashMap<>();
        file.put("$schema", SCHEMA);
        file.put("name", "plumb session " + session.id() + " — " + session.service() + " on " + session.host());
        file.put("exporter", "plumb");
        file.put("activeProfileIndex", 0);
        file.put("shared", Map.of("frames", frames));
        file.put("profiles", profiles);
        json.writeValue(out, file);
    }

    private static Map<String, Object> frame(Frame f) {
        Map<String, Object> frame = new LinkedHashMap<>();
        frame.put("name", f.function().isEmpty() ? "[unknown]" : f.function());
        if (!f.file().isEmpty()) {
            frame.put("file", f.file());
        }
        if (f.line() > 0) {
            frame.put("line", f.line());
        }
        return frame;
    }

    private static Map<String, Object> profile(ProfileValue value, List<StackCost> stacks, List<List<Integer>> samples) {
        List<List<Integer>> kept = new ArrayList<>();
        List<Long> weights = new ArrayList<>();
        long total = 0;
        for (int i = 0; i < stacks.size(); i++) {
            long v = value.of(stacks.get(i));
            if (v > 0) {
                kept.add(samples.get(i));
                weights.add(v);
                total += v;
            }
        }
        Map<String, Object> profile = new LinkedHashMap<>();
        profile.put("type", "sampled");
        profile.put("name", value.title());
        profile.put("unit", value.unit().equals("bytes") ? "bytes" : "none");
        profile.put("startValue", 0);
        profile.put("endValue", total);
        profile.put("samples", kept);
        profile.put("weights", weights);
        return profile;
    }
}
