-- Stories: near-duplicate copies of one text (syndicated wire stories, edited copies) are
-- linked into one cluster. story_id is the id of the story's original, its earliest-published
-- member; an article with no copy is its own story (story_id = id).
ALTER TABLE articles ADD COLUMN story_id bigint REFERENCES articles (id);
UPDATE articles SET story_id = coalesce(duplicate_of, id);
CREATE INDEX articles_story_idx ON articles (story_id);

-- The MinHash signature of each article's word shingles (pipelines.dedup signs the text) and
-- how many distinct shingles it had: with both, the store estimates the Jaccard similarity and
-- the containment of two texts without reading them. Rows of articles stored before this
-- migration are filled in by `newswire dedup --rebuild`.
CREATE TABLE article_signatures (
    article_id  bigint  PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    signature   int8[]  NOT NULL,
    shingles    int4    NOT NULL
);

-- LSH: each signature cut into bands, each band hashed to one key. Two articles sharing any
-- (band, hash) are candidates, verified on their signatures; the index makes the lookup of a
-- new article's bands against the whole corpus a few index probes, whatever its size.
CREATE TABLE article_bands (
    band        int2    NOT NULL,
    hash        int8    NOT NULL,
    article_id  bigint  NOT NULL REFERENCES articles (id) ON DELETE CASCADE
);
CREATE INDEX article_bands_key_idx ON article_bands (band, hash);
CREATE INDEX article_bands_article_idx ON article_bands (article_id);

-- The share of equal positions in two MinHash signatures: their texts' estimated Jaccard
-- similarity (the share of shingles they have in common).
CREATE FUNCTION newswire_jaccard(a int8[], b int8[]) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT count(*) FILTER (WHERE x = y)::float8 / greatest(count(*), 1) FROM unnest(a, b) AS t(x, y)
$$;
-- The estimated share of the smaller text's shingles found in the larger one, from the
-- Jaccard estimate and the two shingle counts: |A∩B| = J(|A|+|B|)/(1+J). A copy that drops or
-- adds paragraphs keeps a high containment even as its Jaccard similarity falls.
CREATE FUNCTION newswire_containment(jaccard float8, a int4, b int4) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT least(1.0, jaccard * (a + b) / (1 + jaccard) / greatest(least(a, b), 1))
$$;
