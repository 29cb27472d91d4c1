package dev.plumb.web.alerts;

import dev.plumb.web.analysis.LeakVerdict;
import dev.plumb.web.query.SessionRow;
import dev.plumb.web.query.SessionVerdict;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.stereotype.Component;

/**
 * Prometheus gauges per (service, deployment, host), refreshed by every evaluation, so
 * existing Prometheus alerting can use Plumb's numbers:
 * {@code plumb_leak_rate_bytes_per_second} — the slope of the retained memory when it is a
 * linear leak, else 0 (a filling queue is not a leak rate); {@code plumb_leaked_bytes} — bytes
 * allocated and not freed. Rows vanish when their hosts' processes leave the evaluation set.
 */
@Component
public class LeakGauges {
    private final MultiGauge rate;
    private final MultiGauge leaked;

    public LeakGauges(MeterRegistry registry) {
        this.rate = MultiGauge.builder("plumb.leak.rate.bytes.per.second")
                .description("Linear leak rate of retained memory over the alert window (0 when not a linear leak)")
                .register(registry);
        this.leaked = MultiGauge.builder("plumb.leaked.bytes")
                .description("Bytes allocated and not freed by the host's running or recently ended processes")
                .register(registry);
    }

    private record Key(String service, String deployment, String host) implements Comparable<Key> {
        static Key of(SessionRow s) {
            return new Key(s.service(), s.deployment(), s.host());
        }

        Tags tags() {
            return Tags.of("service", service, "deployment", deployment, "host", host);
        }

        @Override
        public int compareTo(Key o) {
            return tags().toString().compareTo(o.tags().toString());
        }
    }

    /** @param leakedBySession session id → leaked bytes */
    public void update(List<SessionVerdict> verdicts, Map<Long, Long> leakedBySession) {
        Map<Key, Double> rates = new TreeMap<>();
        Map<Key, Double> bytes = new TreeMap<>();
        for (SessionVerdict v : verdicts) {
            Key key = Key.of(v.session());
            double slope = v.result().kind() == LeakVerdict.Kind.LINEAR ? v.result().slopeBytesPerSec() : 0;
            rates.merge(key, slope, Double::sum);
            bytes.merge(key, (double) leakedBySession.getOrDefault(v.session().id(), 0L), Double::sum);
        }
        rate.register(rows(rates), true);
        leaked.register(rows(bytes), true);
    }

    private static List<MultiGauge.Row<?>> rows(Map<Key, Double> values) {
        List<MultiGauge.Row<?>> rows = new ArrayList<>(values.size());
        values.forEach((k, v) -> rows.add(MultiGauge.Row.of(k.tags(), v)));
        return rows;
    }
}
