-- Runs, articles, the URLs that lead to them, and their raw HTML.

CREATE TABLE crawl_runs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source       text        NOT NULL,
    trigger      text        NOT NULL CHECK (trigger IN ('cli', 'schedule', 'manual', 'api', 'demo')),
    status       text        NOT NULL DEFAULT 'queued'
                 CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'interrupted', 'cancelled')),
    queued_at    timestamptz NOT NULL DEFAULT now(),
    started_at   timestamptz,
    finished_at  timestamptz,
    pid          integer,
    hostname     text,
    stats        jsonb       NOT NULL DEFAULT '{}',
    error        text
);
CREATE INDEX crawl_runs_source_id_idx ON crawl_runs (source, id DESC);
CREATE INDEX crawl_runs_active_idx ON crawl_runs (status) WHERE status IN ('queued', 'running');

CREATE TABLE articles (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source        text        NOT NULL,
    url           text        NOT NULL UNIQUE,
    title         text        NOT NULL,
    authors       text[]      NOT NULL DEFAULT '{}',
    published_at  timestamptz,
    language      text,
    site_name     text,
    description   text,
    categories    text[]      NOT NULL DEFAULT '{}',
    tags          text[]      NOT NULL DEFAULT '{}',
    text          text        NOT NULL,
    text_hash     bytea       NOT NULL,
    duplicate_of  bigint      REFERENCES articles (id),
    run_id        bigint      REFERENCES crawl_runs (id),
    fetched_at    timestamptz NOT NULL,
    stored_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (duplicate_of IS NULL OR duplicate_of <> id)
);
-- One original per normalised text: a later copy is stored with duplicate_of set.
CREATE UNIQUE INDEX articles_text_hash_original_idx ON articles (text_hash) WHERE duplicate_of IS NULL;
CREATE INDEX articles_duplicate_of_idx ON articles (duplicate_of) WHERE duplicate_of IS NOT NULL;
CREATE INDEX articles_source_published_idx ON articles (source, published_at DESC);
CREATE INDEX articles_published_idx ON articles (published_at DESC);
CREATE INDEX articles_run_idx ON articles (run_id);

-- Every URL (canonical form) that led to an article; the incremental filter reads this.
CREATE TABLE article_urls (
    url         text        PRIMARY KEY,
    article_id  bigint      NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    first_seen  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX article_urls_article_idx ON article_urls (article_id);

-- Raw HTML, zlib-compressed by the extraction workers; EXTERNAL skips a second compression.
CREATE TABLE article_html (
    article_id  bigint PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    fetched_url text   NOT NULL,
    encoding    text   NOT NULL,
    html_zlib   bytea  NOT NULL
);
ALTER TABLE article_html ALTER COLUMN html_zlib SET STORAGE EXTERNAL;
