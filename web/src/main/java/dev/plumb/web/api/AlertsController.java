package dev.plumb.web.api;

import dev.plumb.web.alerts.AlertRepository;
import dev.plumb.web.alerts.AlertRule;
import dev.plumb.web.alerts.AlertRuleRepository;
import dev.plumb.web.alerts.AlertState;
import dev.plumb.web.alerts.BuiltInRule;
import java.util.ArrayList;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * /api/alerts: the alerts (pending and firing; resolved ones with ?status=resolved) and the
 * rules — the built-in one (read-only, configured by properties) and the user's (CRUD).
 */
@RestController
@RequestMapping(path = "/api/alerts", produces = MediaType.APPLICATION_JSON_VALUE)
public class AlertsController {
    private final AlertRuleRepository rules;
    private final AlertRepository alerts;
    private final BuiltInRule builtIn;

    public AlertsController(AlertRuleRepository rules, AlertRepository alerts, BuiltInRule builtIn) {
        this.rules = rules;
        this.alerts = alerts;
        this.builtIn = builtIn;
    }

    @GetMapping
    public Mono<Items<AlertJson>> alerts(@RequestParam(required = false) String status) {
        List<String> statuses;
        if (status == null || status.isBlank()) {
            statuses = List.of(AlertState.PENDING, AlertState.FIRING);
        } else if (List.of(AlertState.PENDING, AlertState.FIRING, AlertState.RESOLVED).contains(status)) {
            statuses = List.of(status);
        } else {
            throw ApiException.badRequest("status must be pending, firing or resolved, got '" + Params.clip(status) + "'");
        }
        return Blocking.call(() -> new Items<>(alerts.withStatus(statuses).stream().map(AlertJson::of).toList()));
    }

    @GetMapping("/rules")
    public Mono<Items<AlertRuleJson>> rules() {
        return Blocking.call(() -> {
            List<AlertRuleJson> all = new ArrayList<>();
            all.add(AlertRuleJson.of(builtIn.rule()));
            rules.list().forEach(r -> all.add(AlertRuleJson.of(r)));
            return new Items<>(all);
        });
    }

    @GetMapping("/rules/{id}")
    public Mono<AlertRuleJson> rule(@PathVariable String id) {
        if (AlertRule.BUILT_IN_KEY.equals(id)) {
            return Mono.just(AlertRuleJson.of(builtIn.rule()));
        }
        long ruleId = ruleId(id);
        return Blocking.call(() -> rules.find(ruleId).map(AlertRuleJson::of).orElseThrow(() -> notFound(ruleId)));
    }

    @PostMapping(path = "/rules", consumes = MediaType.APPLICATION_JSON_VALUE)
    public Mono<ResponseEntity<AlertRuleJson>> create(@RequestBody AlertRuleJson body) {
        AlertRule rule = body.toRule(null);
        return Blocking.call(() -> ResponseEntity.status(HttpStatus.CREATED).body(AlertRuleJson.of(rules.create(rule))));
    }

    @PutMapping(path = "/rules/{id}", consumes = MediaType.APPLICATION_JSON_VALUE)
    public Mono<AlertRuleJson> update(@PathVariable String id, @RequestBody AlertRuleJson body) {
        long ruleId = ruleId(id);
        AlertRule rule = body.toRule(ruleId);
        return Blocking.call(() -> rules.update(ruleId, rule).map(AlertRuleJson::of).orElseThrow(() -> notFound(ruleId)));
    }

    @DeleteMapping("/rules/{id}")
    public Mono<ResponseEntity<Void>> delete(@PathVariable String id) {
        long ruleId = ruleId(id);
        return Blocking.call(() -> {
            if (!rules.delete(ruleId)) {
                throw notFound(ruleId);
            }
            return ResponseEntity.noContent().build();
        });
    }

    private static long ruleId(String raw) {
        if (AlertRule.BUILT_IN_KEY.equals(raw)) {
            throw ApiException.badRequest("the built-in rule cannot be changed here; set plumb.alerts.default-rule.*"
                    + " properties (e.g. plumb.alerts.default-rule.enabled=false)");
        }
        if (raw == null || !raw.matches("\\d{1,18}") || Long.parseLong(raw) <= 0) {
            throw ApiException.badRequest("rule id must be a positive integer or 'builtin', got '" + Params.clip(raw) + "'");
        }
        return Long.parseLong(raw);
    }

    private static ApiException notFound(long id) {
        return ApiException.notFound("alert rule " + id + " not found");
    }
}
