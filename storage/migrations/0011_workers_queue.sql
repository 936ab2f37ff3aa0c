-- The run queue: a queued run's procrastinate job (procrastinate_jobs.id), so a cancel reaches
-- the job and `newswire runs show` names it. Runs queued before workers, and runs of
-- `newswire crawl` (which never queue), have none.
ALTER TABLE crawl_runs ADD COLUMN job_id int8;
