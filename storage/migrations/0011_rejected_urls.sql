-- URLs a crawl fetched that did not become an article: a page the extractor rejected (not an
-- article, too short, no text) or an article link answered 404/410. The stored-URL gate
-- (crawler/gate.py) skips them until retry_after, which doubles with every rejection in a
-- row (an hour, two, four, ... at most a week), so a page that later becomes an article is
-- seen again, and an unchanged site's refresh does not fetch its dead ends every run.
CREATE TABLE rejected_urls (
    url          text        PRIMARY KEY,
    source       text        NOT NULL,
    reason       text        NOT NULL,
    rejections   integer     NOT NULL DEFAULT 1,
    rejected_at  timestamptz NOT NULL,
    retry_after  timestamptz NOT NULL
);
