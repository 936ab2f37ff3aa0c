-- Same-page aliases (storage.stories): a page of one source reached under another query
-- (?p=2, ?p=6: the comment pages of one article) whose text is a near-copy of a stored
-- article's (another comment count, a page number) is another URL of that article, not a new
-- row. This index finds the stored URLs of one page whatever their query, in a few probes.
CREATE INDEX article_urls_page_idx ON article_urls (split_part(url, '?', 1));
