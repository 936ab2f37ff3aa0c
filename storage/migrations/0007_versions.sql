-- Versions: articles are fetched again on a schedule, and each refetch whose content differs
-- (or that finds the article gone) is a new version. The articles row always shows the latest
-- content; article_versions keeps every version, the first one included.
ALTER TABLE articles
    ADD COLUMN version    int4        NOT NULL DEFAULT 1,  -- the latest version's number
    ADD COLUMN removed_at timestamptz;                     -- marked removed, never deleted

-- One row a version. kinds: ChangeKind values, the main one first ('first' for version 1).
-- The text is kept whole in every version (diffs read two of them); the raw HTML of the latest
-- content version is the article's article_html row, and moves here when a newer one takes
-- its place, so a corpus that never changes stores its HTML once.
CREATE TABLE article_versions (
    article_id    bigint      NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    version       int4        NOT NULL CHECK (version >= 1),
    fetched_at    timestamptz NOT NULL,
    kinds         text[]      NOT NULL,
    status        int4        NOT NULL DEFAULT 200,
    title         text        NOT NULL,
    authors       text[]      NOT NULL DEFAULT '{}',
    credits       text[]      NOT NULL DEFAULT '{}',
    published_at  timestamptz,
    modified_at   timestamptz,
    text          text        NOT NULL,
    words_added   int4        NOT NULL DEFAULT 0,
    words_removed int4        NOT NULL DEFAULT 0,
    url           text,                 -- where a redirect led
    etag          text,                 -- the response's validators, for a conditional refetch
    last_modified text,
    encoding      text,
    html_zlib     bytea,                -- NULL while article_html holds it (see above)
    PRIMARY KEY (article_id, version)
);
ALTER TABLE article_versions ALTER COLUMN html_zlib SET STORAGE EXTERNAL;

-- The refetch schedule: when each article is next due. base_at is its publication (or first
-- fetch, when undated); due_at the next of its source's refetch delays after base_at not yet
-- checked, NULL once they are spent or the article is removed. A run asks for its source's due
-- articles through the partial index, so the cost follows what is due, not the corpus size.
CREATE TABLE article_refetch (
    article_id  bigint      PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    source      text        NOT NULL,
    base_at     timestamptz NOT NULL,
    due_at      timestamptz,
    checked_at  timestamptz NOT NULL   -- the last fetch, first or refetch
);
CREATE INDEX article_refetch_due_idx ON article_refetch (source, due_at) WHERE due_at IS NOT NULL;

-- Articles stored before versions: their first version is the stored row and its raw HTML
-- (which stays in article_html). Their schedule follows the default delays (crawler.sources:
-- 1h, 6h, 1d, 3d, 7d after publication): the next one after their fetch is due; one already
-- passed when they were fetched is not. A refetch then sets the next from the source's own.
INSERT INTO article_versions (article_id, version, fetched_at, kinds, title, authors, credits,
                              published_at, modified_at, text, encoding)
SELECT a.id, 1, a.fetched_at, ARRAY['first'], a.title, a.authors, a.credits, a.published_at,
       a.modified_at, a.text, h.encoding
FROM articles a LEFT JOIN article_html h ON h.article_id = a.id;

INSERT INTO article_refetch (article_id, source, base_at, due_at, checked_at)
SELECT a.id, a.source, b.base_at,
       (SELECT min(b.base_at + d) FROM unnest(
            ARRAY['1 hour', '6 hours', '1 day', '3 days', '7 days']::interval[]) AS d
        WHERE b.base_at + d > a.fetched_at),
       a.fetched_at
FROM articles a CROSS JOIN LATERAL (SELECT coalesce(a.published_at, a.fetched_at) AS base_at) b;
