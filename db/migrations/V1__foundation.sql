-- The one schema source. Flyway applies it for `plumb server`, the split gatherer/web apps,
-- every test, and docker-compose. Times of events are microseconds since the Unix epoch
-- (bigint), which COPY BINARY writes without conversion and the queries bucket cheaply.

-- One profiled process. agent_session is chosen by the agent, so a reconnect (or a retried
-- upload) continues the same row instead of creating a duplicate.
CREATE TABLE sessions (
    id             bigserial   PRIMARY KEY,
    agent_session  uuid        NOT NULL UNIQUE,
    host           text        NOT NULL,
    service        text        NOT NULL,
    deployment     text        NOT NULL,
    pid            integer     NOT NULL,
    exe            text        NOT NULL,
    labels         jsonb       NOT NULL DEFAULT '{}',
    started_at     timestamptz NOT NULL,
    ended_at       timestamptz,
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    -- highest batch sequence committed; written in the same transaction as the batch's rows
    last_seq       bigint      NOT NULL DEFAULT 0,
    dropped_events bigint      NOT NULL DEFAULT 0
);
CREATE INDEX sessions_service_idx ON sessions (service, deployment, started_at DESC);

-- A backtrace, shared across sessions and deploys: fingerprint is a hash of its symbolized
-- frames (function + module), not of addresses, so one code path is one stack everywhere.
CREATE TABLE stacks (
    id          bigserial PRIMARY KEY,
    fingerprint bytea     NOT NULL UNIQUE,
    depth       integer   NOT NULL
);

-- position 0 is the innermost frame (the allocation site).
CREATE TABLE stack_frames (
    stack_id  bigint  NOT NULL REFERENCES stacks (id),
    position  integer NOT NULL,
    function  text    NOT NULL,
    module    text    NOT NULL,
    file      text    NOT NULL DEFAULT '',
    line      integer NOT NULL DEFAULT 0,
    PRIMARY KEY (stack_id, position)
);
CREATE INDEX stack_frames_function_idx ON stack_frames (function);

-- Append-only: an allocation row never changes; its release is a row in frees. Both are
-- written with COPY, and a leak is an allocation without a matching free.
CREATE TABLE allocations (
    session_id   bigint NOT NULL REFERENCES sessions (id),
    alloc_id     bigint NOT NULL,
    stack_id     bigint NOT NULL REFERENCES stacks (id),
    size         bigint NOT NULL,
    allocated_us bigint NOT NULL,
    PRIMARY KEY (session_id, alloc_id)
);
CREATE INDEX allocations_stack_idx ON allocations (session_id, stack_id, allocated_us);
CREATE INDEX allocations_time_idx ON allocations (session_id, allocated_us);

CREATE TABLE frees (
    session_id bigint NOT NULL REFERENCES sessions (id),
    alloc_id   bigint NOT NULL,
    freed_us   bigint NOT NULL,
    PRIMARY KEY (session_id, alloc_id)
);
CREATE INDEX frees_time_idx ON frees (session_id, freed_us);
