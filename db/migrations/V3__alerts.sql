-- Alert rules and alert state. The built-in default rule is not a row: it is built from
-- plumb.alerts.default-rule.* properties so a user cannot lose it (see README "Alerts").

-- A rule fires for a (service, deployment, host) whose process's retained memory grows
-- linearly over the evaluation window with at least this slope and R² (and, when a limit is
-- set, would reach it within max_time_to_limit_seconds), for at least for_seconds.
CREATE TABLE alert_rules (
    id                         bigserial        PRIMARY KEY,
    name                       text             NOT NULL,
    -- scope: null means any
    service                    text,
    deployment                 text,
    host                       text,
    min_slope_bytes_per_second double precision NOT NULL DEFAULT 0,
    min_r2                     double precision NOT NULL DEFAULT 0.9,
    memory_limit_bytes         bigint,
    max_time_to_limit_seconds  bigint,
    for_seconds                bigint           NOT NULL DEFAULT 0,
    enabled                    boolean          NOT NULL DEFAULT true,
    created_at                 timestamptz      NOT NULL DEFAULT now(),
    updated_at                 timestamptz      NOT NULL DEFAULT now()
);

-- One row per alert instance (fingerprint = hash of its labels). pending while the condition
-- holds for less than the rule's for-duration, firing once it has, resolved when it stopped.
-- A resolved alert whose condition returns goes back to pending in the same row.
CREATE TABLE alerts (
    fingerprint       text        PRIMARY KEY,
    rule_key          text        NOT NULL,
    labels            jsonb       NOT NULL,
    annotations       jsonb       NOT NULL,
    status            text        NOT NULL CHECK (status IN ('pending', 'firing', 'resolved')),
    pending_since     timestamptz NOT NULL,
    started_at        timestamptz,
    resolved_at       timestamptz,
    last_evaluated_at timestamptz NOT NULL,
    last_notified_at  timestamptz
);
CREATE INDEX alerts_status_idx ON alerts (status);
