package dev.plumb.web.api;

import dev.plumb.web.query.SelectionSeriesQuery;
import dev.plumb.web.query.RegexCheckQuery;
import dev.plumb.web.query.SessionTimeRangeQuery;
import dev.plumb.web.query.TimeRange;
import dev.plumb.web.script.ScriptEvaluator;
import dev.plumb.web.script.ScriptException;
import dev.plumb.web.script.ScriptPlan;
import java.util.ArrayList;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * The script console: POST /api/script parses the script ({@link ScriptEvaluator}; never run as
 * code), checks each regex with PostgreSQL, then draws every series with one parameterized
 * query ({@link SelectionSeriesQuery}). Script errors are 400 with the line and column.
 */
@RestController
public class ScriptController {
    static final int DEFAULT_POINTS = 200;

    private final SessionTimeRangeQuery timeRange;
    private final RegexCheckQuery regexCheck;
    private final SelectionSeriesQuery series;

    public ScriptController(SessionTimeRangeQuery timeRange, RegexCheckQuery regexCheck, SelectionSeriesQuery series) {
        this.timeRange = timeRange;
        this.regexCheck = regexCheck;
        this.series = series;
    }

    @PostMapping(path = "/api/script", consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    public Mono<ScriptResultJson> run(@RequestBody ScriptRequest request) {
        if (request.session() == null || request.session() <= 0) {
            throw ApiException.badRequest("session must be a positive session id");
        }
        if (request.script() == null) {
            throw ApiException.badRequest("script is required");
        }
        int points = request.points() == null ? DEFAULT_POINTS
                : Params.intInRange("points", request.points().toString(), DEFAULT_POINTS, 2,
                        SessionsController.MAX_POINTS);
        long sid = request.session();
        return Blocking.call(() -> {
            TimeRange range = timeRange.find(sid)
                    .orElseThrow(() -> ApiException.notFound("session " + sid + " not found"));
            ScriptPlan plan = ScriptEvaluator.plan(request.script(), range.startUs());
            for (ScriptPlan.RegexUse use : plan.regexes()) {
                regexCheck.problem(use.regex()).ifPresent(problem -> {
                    throw new ScriptException("PostgreSQL rejects the regular expression: " + problem,
                            use.line(), use.column());
                });
            }
            List<ScriptResultJson.Series> out = new ArrayList<>();
            for (ScriptPlan.Series s : plan.series()) {
                long[] values = series.retained(sid, s.selection(), range, range, points);
                List<long[]> pts = new ArrayList<>(points);
                for (int i = 0; i < points; i++) {
                    pts.add(new long[] {range.pointUs(i, points) / 1000, values[i]});
                }
                out.add(new ScriptResultJson.Series(s.name(), pts));
            }
            return new ScriptResultJson(out);
        });
    }

    @ExceptionHandler(ScriptException.class)
    public ResponseEntity<ScriptErrorJson> scriptError(ScriptException e) {
        return ResponseEntity.status(HttpStatus.BAD_REQUEST).contentType(MediaType.APPLICATION_JSON)
                .body(new ScriptErrorJson(e.describe(), e.line(), e.column()));
    }
}
