package dev.plumb.web.alerts;

import dev.plumb.web.query.SessionLeakedBytesQuery;
import dev.plumb.web.query.SessionRow;
import dev.plumb.web.query.SessionVerdict;
import dev.plumb.web.query.SessionVerdictQuery;
import dev.plumb.web.query.SessionsInScopeQuery;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * Evaluates the alert rules continuously, on its own thread, every
 * {@code plumb.alerts.evaluation-interval}. One evaluation: judge every running or recently
 * ended process over the window ({@link SessionVerdictQuery}), refresh the gauges, find for each
 * rule the (service, deployment, host) whose condition holds, and move each alert along
 * pending → firing (after the rule's for-duration) → resolved, sending a webhook on firing and
 * on resolving. Sending is asynchronous, so a slow receiver never holds up evaluation.
 */
@Component
public class AlertEvaluator {
    private static final Logger log = LoggerFactory.getLogger(AlertEvaluator.class);
    /** Beyond this many active processes the oldest are not evaluated (logged). */
    static final int MAX_SESSIONS = 5000;

    private final AlertProperties properties;
    private final BuiltInRule builtIn;
    private final AlertRuleRepository rules;
    private final AlertRepository alerts;
    private final SessionsInScopeQuery sessions;
    private final SessionVerdictQuery verdicts;
    private final SessionLeakedBytesQuery leaked;
    private final AlertEvidence evidence;
    private final WebhookSender webhooks;
    private final LeakGauges gauges;
    private final Environment environment;
    private final Counter evaluations;
    private ScheduledExecutorService timer;

    /** A rule's condition holding for one (service, deployment, host): its strongest process. */
    record Finding(AlertRule rule, SessionVerdict verdict, Map<String, String> labels, String fingerprint) {
    }

    public AlertEvaluator(AlertProperties properties, BuiltInRule builtIn, AlertRuleRepository rules,
            AlertRepository alerts, SessionsInScopeQuery sessions, SessionVerdictQuery verdicts,
            SessionLeakedBytesQuery leaked, AlertEvidence evidence, WebhookSender webhooks, LeakGauges gauges,
            Environment environment, MeterRegistry registry) {
        this.properties = properties;
        this.builtIn = builtIn;
        this.rules = rules;
        this.alerts = alerts;
        this.sessions = sessions;
        this.verdicts = verdicts;
        this.leaked = leaked;
        this.evidence = evidence;
        this.webhooks = webhooks;
        this.gauges = gauges;
        this.environment = environment;
        this.evaluations = Counter.builder("plumb.alert.evaluations").description("Alert rule evaluations run")
                .register(registry);
    }

    @EventListener(ApplicationReadyEvent.class)
    public synchronized void start() {
        if (!properties.enabled() || timer != null) {
            return;
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "plumb-alerts");
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(10, properties.evaluationInterval().toMillis());
        timer.scheduleWithFixedDelay(this::evaluateLogged, every, every, TimeUnit.MILLISECONDS);
    }

    @PreDestroy
    public synchronized void stop() {
        if (timer != null) {
            timer.shutdownNow();
            timer = null;
        }
    }

    private void evaluateLogged() {
        try {
            evaluate(Instant.now());
        } catch (RuntimeException e) {
            // the next evaluation retries; a database hiccup must not stop alerting for good
            log.warn("alert evaluation failed: {}", e.toString());
        }
    }

    /** One evaluation at time now; public so tests and operators can run one on demand. */
    public synchronized void evaluate(Instant now) {
        List<SessionRow> active = sessions.active(now.minus(properties.endedGrace()), MAX_SESSIONS);
        if (active.size() == MAX_SESSIONS) {
            log.warn("more than {} active processes; evaluating the first {}", MAX_SESSIONS, MAX_SESSIONS);
        }
        List<SessionVerdict> judged = new ArrayList<>(active.size());
        for (SessionRow s : active) {
            verdicts.verdict(s, properties.window()).ifPresent(judged::add);
        }
        gauges.update(judged, leaked.leakedBytes(active.stream().map(SessionRow::id).toList()));
        Map<String, Finding> holding = findings(judged);
        Map<String, AlertState> open = alerts.open();
        String external = externalUrl();
        for (Finding f : holding.values()) {
            advance(f, Optional.ofNullable(open.get(f.fingerprint())), now, external);
        }
        for (AlertState s : open.values()) {
            if (!holding.containsKey(s.fingerprint())) {
                end(s, now, external);
            }
        }
        evaluations.increment();
    }

    private List<AlertRule> enabledRules() {
        List<AlertRule> all = new ArrayList<>();
        all.add(builtIn.rule());
        all.addAll(rules.list());
        return all.stream().filter(AlertRule::enabled).toList();
    }

    private Map<String, Finding> findings(List<SessionVerdict> judged) {
        Map<String, Finding> holding = new HashMap<>();
        for (AlertRule rule : enabledRules()) {
            for (SessionVerdict v : judged) {
                SessionRow s = v.session();
                if (!rule.covers(s) || !rule.holds(v.result())) {
                    continue;
                }
                Map<String, String> labels = AlertLabels.of(rule, s.service(), s.deployment(), s.host());
                Finding f = new Finding(rule, v, labels, AlertLabels.fingerprint(labels));
                holding.merge(f.fingerprint(), f, (a, b) ->
                        a.verdict().result().slopeBytesPerSec() >= b.verdict().result().slopeBytesPerSec() ? a : b);
            }
        }
        return holding;
    }

    private void advance(Finding f, Optional<AlertState> state, Instant now, String external) {
        Map<String, String> annotations = evidence.annotations(f.rule(), f.verdict(), external);
        Instant pendingSince = now;
        if (state.isEmpty()) {
            log.debug("alert {} pending: {}", f.fingerprint(), annotations.get("summary"));
            alerts.pending(f.fingerprint(), f.rule().key(), f.labels(), annotations, now);
        } else if (AlertState.FIRING.equals(state.get().status())) {
            alerts.refresh(f.fingerprint(), annotations, now);
            return;
        } else {
            pendingSince = state.get().pendingSince();
        }
        if (!now.isBefore(pendingSince.plusSeconds(f.rule().forSeconds()))) {
            alerts.fire(f.fingerprint(), annotations, now);
            notify(new AlertState(f.fingerprint(), f.rule().key(), f.labels(), annotations, AlertState.FIRING,
                    pendingSince, now, null, null), AlertState.FIRING, now, null, external);
        }
    }

    private void end(AlertState s, Instant now, String external) {
        if (AlertState.PENDING.equals(s.status())) {
            log.debug("alert {} no longer pending: {}", s.fingerprint(), s.annotations().get("summary"));
            alerts.delete(s.fingerprint());
            return;
        }
        alerts.resolve(s.fingerprint(), now);
        notify(s, AlertState.RESOLVED, s.startedAt() == null ? s.pendingSince() : s.startedAt(), now, external);
    }

    private void notify(AlertState s, String status, Instant startsAt, Instant endsAt, String external) {
        log.info("alert {} {}: {}", s.fingerprint(), status, s.annotations().get("summary"));
        webhooks.send(AlertmanagerMessages.of(s, status, startsAt, endsAt, external),
                () -> alerts.notified(s.fingerprint(), Instant.now()));
    }

    /** plumb.alerts.external-url, else this server's own address. */
    public String externalUrl() {
        String configured = properties.externalUrl();
        if (configured != null && !configured.isBlank()) {
            return configured.endsWith("/") ? configured.substring(0, configured.length() - 1) : configured;
        }
        return "http://localhost:" + environment.getProperty("local.server.port", "8080");
    }
}
