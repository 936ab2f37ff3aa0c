-- Scheduler: `newswire cancel` marks a running run here; its crawl process checks the mark
-- about once a second and closes cleanly, so the stop works whoever started the run.
ALTER TABLE crawl_runs ADD COLUMN cancel_requested_at timestamptz;
-- When a scheduler started a process for a queued run (the process then claims it): a
-- scheduler taking over from a dead one leaves such a run to the process already starting.
ALTER TABLE crawl_runs ADD COLUMN launched_at timestamptz;
-- (APScheduler's own table, apscheduler_jobs, is created by its SQLAlchemyJobStore.)
