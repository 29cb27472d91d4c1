-- Projections of stack_usage, kept at ingest in the same transaction as it, so that what a
-- session page asks most often reads rows in proportion to backtraces, seconds or graph points,
-- not to backtraces × seconds (which grows with the event rate until every backtrace allocates
-- every second, and with the session's length):
--   stack_totals       per session and backtrace, over the session's whole time: the leak table's
--                      groups, the flamegraph, totals and exports of a whole session;
--   session_usage      per session and second, over all backtraces: the memory graph and the
--                      session's verdict (alerts);
--   stack_usage_coarse per session, backtrace and slot of `grain` seconds (10, 60, 600, 3600;
--                      slot = second / grain): per-backtrace graphs whose points are at least a
--                      grain apart (the leak table's series), which then sample at whole grains.
-- Same columns and meaning as stack_usage (weighted sums; released = freed since, counted at the
-- allocation's second or slot), same daily partitions and retention. Derived data:
-- plumb_rebuild_usage recomputes them all. The grains are also in RollupGrains (gatherer).

CREATE TABLE stack_totals (
    day            integer          NOT NULL DEFAULT plumb_today(),
    session_id     bigint           NOT NULL,
    stack_id       bigint           NOT NULL,
    allocs         double precision NOT NULL DEFAULT 0,
    alloc_bytes    double precision NOT NULL DEFAULT 0,
    frees          double precision NOT NULL DEFAULT 0,
    free_bytes     double precision NOT NULL DEFAULT 0,
    released       double precision NOT NULL DEFAULT 0,
    released_bytes double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, stack_id, day)
) PARTITION BY RANGE (day);

CREATE TABLE session_usage (
    day            integer          NOT NULL DEFAULT plumb_today(),
    session_id     bigint           NOT NULL,
    second         bigint           NOT NULL,
    allocs         double precision NOT NULL DEFAULT 0,
    alloc_bytes    double precision NOT NULL DEFAULT 0,
    frees          double precision NOT NULL DEFAULT 0,
    free_bytes     double precision NOT NULL DEFAULT 0,
    released       double precision NOT NULL DEFAULT 0,
    released_bytes double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, second, day)
) PARTITION BY RANGE (day);

CREATE TABLE stack_usage_coarse (
    day            integer          NOT NULL DEFAULT plumb_today(),
    session_id     bigint           NOT NULL,
    grain          integer          NOT NULL,
    stack_id       bigint           NOT NULL,
    slot           bigint           NOT NULL,
    allocs         double precision NOT NULL DEFAULT 0,
    alloc_bytes    double precision NOT NULL DEFAULT 0,
    frees          double precision NOT NULL DEFAULT 0,
    free_bytes     double precision NOT NULL DEFAULT 0,
    released       double precision NOT NULL DEFAULT 0,
    released_bytes double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, grain, stack_id, slot, day)
) PARTITION BY RANGE (day);

CREATE OR REPLACE FUNCTION plumb_ensure_partitions(first integer, last integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    d integer;
    t text;
BEGIN
    PERFORM pg_advisory_xact_lock(7041977);
    FOR d IN first..last LOOP
        FOREACH t IN ARRAY ARRAY['allocations', 'frees', 'stack_usage', 'stack_totals', 'session_usage', 'stack_usage_coarse'] LOOP
            IF to_regclass(format('%I', t || '_d' || d)) IS NULL THEN
                EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%s) TO (%s)',
                               t || '_d' || d, t, d, d + 1);
            END IF;
        END LOOP;
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION plumb_drop_expired_partitions(cutoff integer) RETURNS integer LANGUAGE plpgsql AS $$
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
        FOREACH t IN ARRAY ARRAY['allocations', 'frees', 'stack_usage', 'stack_totals', 'session_usage', 'stack_usage_coarse'] LOOP
            EXECUTE format('DROP TABLE IF EXISTS %I', t || '_d' || d);
        END LOOP;
        DELETE FROM sessions WHERE day = d;
        dropped := dropped + 1;
    END LOOP;
    RETURN dropped;
END $$;

-- stack_usage as in V4, then its projections from it.
CREATE OR REPLACE FUNCTION plumb_rebuild_usage(p_session bigint) RETURNS void LANGUAGE sql AS $$
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
    DELETE FROM stack_totals WHERE session_id = p_session;
    INSERT INTO stack_totals (day, session_id, stack_id, allocs, alloc_bytes, frees, free_bytes, released,
                              released_bytes)
    SELECT day, session_id, stack_id, sum(allocs), sum(alloc_bytes), sum(frees), sum(free_bytes), sum(released),
           sum(released_bytes)
      FROM stack_usage WHERE session_id = p_session
     GROUP BY day, session_id, stack_id;
    DELETE FROM session_usage WHERE session_id = p_session;
    INSERT INTO session_usage (day, session_id, second, allocs, alloc_bytes, frees, free_bytes, released,
                               released_bytes)
    SELECT day, session_id, second, sum(allocs), sum(alloc_bytes), sum(frees), sum(free_bytes), sum(released),
           sum(released_bytes)
      FROM stack_usage WHERE session_id = p_session
     GROUP BY day, session_id, second;
    DELETE FROM stack_usage_coarse WHERE session_id = p_session;
    INSERT INTO stack_usage_coarse (day, session_id, grain, stack_id, slot, allocs, alloc_bytes, frees, free_bytes,
                                    released, released_bytes)
    SELECT u.day, u.session_id, g.grain, u.stack_id, u.second / g.grain, sum(u.allocs), sum(u.alloc_bytes),
           sum(u.frees), sum(u.free_bytes), sum(u.released), sum(u.released_bytes)
      FROM stack_usage u CROSS JOIN unnest(ARRAY[10, 60, 600, 3600]) g(grain)
     WHERE u.session_id = p_session
     GROUP BY u.day, u.session_id, g.grain, u.stack_id, u.second / g.grain;
$$;

-- Partitions of the new tables for every day that has some already, then what V4 stored
-- (second / grain: seconds are positive, so division truncates like floor, as the gatherer's).
SELECT plumb_ensure_partitions(d, d)
  FROM (SELECT DISTINCT substring(c.relname FROM '_d([0-9]+)$')::integer AS d
          FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'stack_usage'::regclass) days;
INSERT INTO stack_totals (day, session_id, stack_id, allocs, alloc_bytes, frees, free_bytes, released, released_bytes)
SELECT day, session_id, stack_id, sum(allocs), sum(alloc_bytes), sum(frees), sum(free_bytes), sum(released),
       sum(released_bytes)
  FROM stack_usage GROUP BY day, session_id, stack_id;
INSERT INTO session_usage (day, session_id, second, allocs, alloc_bytes, frees, free_bytes, released, released_bytes)
SELECT day, session_id, second, sum(allocs), sum(alloc_bytes), sum(frees), sum(free_bytes), sum(released),
       sum(released_bytes)
  FROM stack_usage GROUP BY day, session_id, second;
INSERT INTO stack_usage_coarse (day, session_id, grain, stack_id, slot, allocs, alloc_bytes, frees, free_bytes,
                                released, released_bytes)
SELECT u.day, u.session_id, g.grain, u.stack_id, u.second / g.grain, sum(u.allocs), sum(u.alloc_bytes), sum(u.frees),
       sum(u.free_bytes), sum(u.released), sum(u.released_bytes)
  FROM stack_usage u CROSS JOIN unnest(ARRAY[10, 60, 600, 3600]) g(grain)
 GROUP BY u.day, u.session_id, g.grain, u.stack_id, u.second / g.grain;
