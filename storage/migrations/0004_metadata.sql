-- The metadata layer (pipelines.evidence): the modified date kept apart from the published
-- one, agencies and publishers apart from the people in authors, and the signal each of
-- title, authors and published_at came from. Rows stored before it keep NULL sources until
-- `newswire reextract` runs the current extraction over their stored HTML.
ALTER TABLE articles
    ADD COLUMN modified_at      timestamptz,
    ADD COLUMN credits          text[] NOT NULL DEFAULT '{}',
    ADD COLUMN title_source     text,
    ADD COLUMN authors_source   text,
    ADD COLUMN published_source text;
