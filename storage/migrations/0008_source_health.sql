-- Source health (storage/health.py). A source's new articles by the time they were stored:
-- its latest arrival, its arrivals per day and the gaps between them are read through this.
CREATE INDEX articles_source_stored_idx ON articles (source, stored_at);

-- The state each source was last seen in, so that a change is noticed (and sent to the
-- webhook) once, whichever process sees it first: the evaluator locks the rows it compares.
CREATE TABLE source_health (
    source      text        PRIMARY KEY,
    state       text        NOT NULL CHECK (state IN ('failing', 'silent', 'never_run', 'ok')),
    since       timestamptz NOT NULL DEFAULT now()
);

-- The webhook's outbox: one row per change of state, delivered by whoever runs the sender
-- (the scheduler service, `newswire health`), retried with backoff until it is accepted or
-- runs out of attempts. Claimed with SKIP LOCKED, so two senders never post the same event.
CREATE TABLE health_events (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source           text        NOT NULL,
    event            text        NOT NULL CHECK (event IN ('failing', 'silent', 'recovered')),
    previous         text,
    state            text        NOT NULL,
    payload          jsonb       NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    given_up_at      timestamptz,
    last_error       text
);
CREATE INDEX health_events_due_idx ON health_events (next_attempt_at)
    WHERE delivered_at IS NULL AND given_up_at IS NULL;

-- The results of a run's checks (crawler/monitors.py): {"passed": bool, "checks": [...]}.
ALTER TABLE crawl_runs ADD COLUMN checks jsonb;
