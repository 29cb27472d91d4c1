-- Storage for a fleet: the raw event tables are partitioned by day so retention is a DROP of
-- old partitions, and a per-backtrace, per-second rollup (stack_usage) is maintained at ingest
-- so leak tables, flamegraphs and memory graphs read it instead of rescanning raw rows.
--
-- day = days since 1970-01-01 (UTC) when the gatherer created the session. A session's rows
-- all live in its day's partition, so a long-running session keeps that partition alive (see
-- plumb_drop_expired_partitions). session_id stays in every key: it is the distribution key
-- should the schema be sharded with Citus (docs/scaling.md).
--
-- The big tables carry no foreign keys: a per-row RI check would double the cost of COPY, the
-- gatherer (IngestStore, the only writer) validates every stack reference before it writes,
-- and Citus restricts foreign keys between distributed tables anyway.

CREATE FUNCTION plumb_today() RETURNS integer LANGUAGE sql STABLE AS
$$ SELECT ((now() AT TIME ZONE 'UTC')::date - DATE '1970-01-01') $$;

ALTER TABLE sessions ADD COLUMN day integer NOT NULL DEFAULT plumb_today();
CREATE INDEX sessions_day_idx ON sessions (day, last_seen_at);

ALTER TABLE allocations RENAME TO allocations_v3;
ALTER TABLE frees RENAME TO frees_v3;
ALTER INDEX allocations_pkey RENAME TO allocations_v3_pkey;
ALTER INDEX allocations_stack_idx RENAME TO allocations_v3_stack_idx;
ALTER INDEX allocations_time_idx RENAME TO allocations_v3_time_idx;
ALTER INDEX frees_pkey RENAME TO frees_v3_pkey;
ALTER INDEX frees_time_idx RENAME TO frees_v3_time_idx;

-- The `day` defaults make hand-written rows (tests, repairs) land in today's partition; the
-- gatherer always writes the session's day explicitly.
CREATE TABLE allocations (
    day          integer          NOT NULL DEFAULT plumb_today(),
    session_id   bigint           NOT NULL,
    alloc_id     bigint           NOT NULL,
    stack_id     bigint           NOT NULL,
    size         bigint           NOT NULL,
    allocated_us bigint           NOT NULL,
    weight       double precision NOT NULL DEFAULT 1,
    PRIMARY KEY (session_id, alloc_id, day)
) PARTITION BY RANGE (day);
CREATE INDEX allocations_stack_idx ON allocations (session_id, stack_id, allocated_us);
CREATE INDEX allocations_time_idx ON allocations (session_id, allocated_us);

CREATE TABLE frees (
    day        integer NOT NULL DEFAULT plumb_today(),
    session_id bigint  NOT NULL,
    alloc_id   bigint  NOT NULL,
    freed_us   bigint  NOT NULL,
    PRIMARY KEY (session_id, alloc_id, day)
) PARTITION BY RANGE (day);
CREATE INDEX frees_time_idx ON frees (session_id, freed_us);

-- Per session, backtrace and second (of the epoch): what was allocated in it, what was
-- freed in it, and (released) how much of what was allocated in it has been freed since.
-- Weighted like every sum (sampled mode). Derived data: plumb_rebuild_usage recomputes it.
--   heap at the end of second s  = sum(alloc_bytes - free_bytes) over seconds <= s
--   leaked (never freed) bytes   = sum(alloc_bytes - released_bytes)
CREATE TABLE stack_usage (
    day            integer          NOT NULL DEFAULT plumb_today(),
    session_id     bigint           NOT NULL,
    stack_id       bigint           NOT NULL,
    second         bigint           NOT NULL,
    allocs         double precision NOT NULL DEFAULT 0,
    alloc_bytes    double precision NOT NULL DEFAULT 0,
    frees          double precision NOT NULL DEFAULT 0,
    free_bytes     double precision NOT NULL DEFAULT 0,
    released       double precision NOT NULL DEFAULT 0,
    released_bytes double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, stack_id, second, day)
) PARTITION BY RANGE (day);
CREATE INDEX stack_usage_time_idx ON stack_usage (session_id, second);

-- Creates the daily partitions of the three tables for days first..last (idempotent; an
-- advisory lock keeps several gatherers from racing on the DDL).
CREATE FUNCTION plumb_ensure_partitions(first integer, last integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    d integer;
    t text;
BEGIN
    PERFORM pg_advisory_xact_lock(7041977);
    FOR d IN first..last LOOP
        FOREACH t IN ARRAY ARRAY['allocations', 'frees', 'stack_usage'] LOOP
            IF to_regclass(format('%I', t || '_d' || d)) IS NULL THEN
                EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%s) TO (%s)',
                               t || '_d' || d, t, d, d + 1);
            END IF;
        END LOOP;
    END LOOP;
END $$;

-- Drops the partitions of days before cutoff whose sessions have all been silent since
-- before cutoff (a session still reporting keeps its day), and those sessions' rows.
-- Returns the number of days dropped.
CREATE FUNCTION plumb_drop_expired_partitions(cutoff integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    d integer;
    t text;
    dropped integer := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(7041977);
    FOR d IN
        SELECT DISTINCT substring(c.relname FROM '_d([0-9]+)$')::integer
          FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'allocations'::regclass
    LOOP
        CONTINUE WHEN d >= cutoff;
        CONTINUE WHEN EXISTS (SELECT 1 FROM sessions s WHERE s.day = d
                                 AND s.last_seen_at >= (DATE '1970-01-01' + cutoff)::timestamp AT TIME ZONE 'UTC');
        FOREACH t IN ARRAY ARRAY['allocations', 'frees', 'stack_usage'] LOOP
            EXECUTE format('DROP TABLE IF EXISTS %I', t || '_d' || d);
        END LOOP;
        DELETE FROM sessions WHERE day = d;
        dropped := dropped + 1;
    END LOOP;
    RETURN dropped;
END $$;

-- Recomputes one session's rollup from its raw rows: for rows written by hand (tests,
-- repairs) and for the data carried over below. The gatherer maintains it incrementally.
CREATE FUNCTION plumb_rebuild_usage(p_session bigint) RETURNS void LANGUAGE sql AS $$
    DELETE FROM stack_usage WHERE session_id = p_session;
    INSERT INTO stack_usage (day, session_id, stack_id, second, allocs, alloc_bytes, frees, free_bytes,
                             released, released_bytes)
    SELECT (SELECT day FROM sessions WHERE id = p_session), p_session, stack_id, second,
           sum(allocs), sum(alloc_bytes), sum(frees), sum(free_bytes), sum(released), sum(released_bytes)
      FROM (SELECT stack_id, allocated_us / 1000000 AS second, weight AS allocs, size * weight AS alloc_bytes,
                   0::float8 AS frees, 0::float8 AS free_bytes, 0::float8 AS released, 0::float8 AS released_bytes
              FROM allocations WHERE session_id = p_session
            UNION ALL
            SELECT a.stack_id, f.freed_us / 1000000, 0, 0, a.weight, a.size * a.weight, 0, 0
              FROM frees f JOIN allocations a ON a.session_id = f.session_id AND a.alloc_id = f.alloc_id
             WHERE f.session_id = p_session
            UNION ALL
            SELECT a.stack_id, a.allocated_us / 1000000, 0, 0, 0, 0, a.weight, a.size * a.weight
              FROM frees f JOIN allocations a ON a.session_id = f.session_id AND a.alloc_id = f.alloc_id
             WHERE f.session_id = p_session) u
     GROUP BY stack_id, second;
$$;

-- Carry over what V1-V3 stored: all of it into today's partition (the day the upgrade ran).
SELECT plumb_ensure_partitions(plumb_today() - 1, plumb_today() + 7);
INSERT INTO allocations (day, session_id, alloc_id, stack_id, size, allocated_us, weight)
SELECT plumb_today(), session_id, alloc_id, stack_id, size, allocated_us, weight FROM allocations_v3;
INSERT INTO frees (day, session_id, alloc_id, freed_us)
SELECT plumb_today(), session_id, alloc_id, freed_us FROM frees_v3;
DROP TABLE frees_v3;
DROP TABLE allocations_v3;
SELECT plumb_rebuild_usage(id) FROM sessions;
