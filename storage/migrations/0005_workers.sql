-- Bounded connections: a process holds the run locks of all its sources on one session, so a
-- run is alive while the session that took its source's lock (lock_pid, the backend pid) still
-- holds that lock (lock_key, the source's advisory-lock key), not while a session named after
-- the run exists. Queued runs have neither until they start.
ALTER TABLE crawl_runs ADD COLUMN lock_pid int4;
ALTER TABLE crawl_runs ADD COLUMN lock_key int8;
