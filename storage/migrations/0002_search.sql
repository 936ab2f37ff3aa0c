-- Full-text search: a weighted tsvector per article, built in the article's own language.
--
-- Why not a STORED generated column: (1) its ~0.2-1 ms of CPU per row would run inside the
-- INSERT, i.e. inside the store's advisory lock that serialises every crawl's writes, while
-- store_articles() fills the vector in its staging table before taking that lock, so parallel
-- crawls compute vectors in parallel; (2) a generated column needs an IMMUTABLE expression,
-- but which configurations exist depends on the server (estonian arrived in PostgreSQL 16),
-- so the language -> configuration mapping looks them up at run time and is only STABLE.
-- A BEFORE trigger fills the two columns for any writer that leaves them NULL, so no insert
-- path can store an article that search cannot find.

-- The configuration for a language tag ("en", "pt-BR", "de_AT"): the server's snowball
-- configuration for its primary subtag when it has one, else simple (no stemming).
CREATE FUNCTION newswire_search_config(language text) RETURNS regconfig
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(
        (SELECT c.oid::regconfig
         FROM pg_catalog.pg_ts_config c
         JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace
         WHERE n.nspname = 'pg_catalog'
           AND c.cfgname = CASE lower(split_part(replace(language, '_', '-'), '-', 1))
               WHEN 'ar' THEN 'arabic'     WHEN 'hy' THEN 'armenian'  WHEN 'eu' THEN 'basque'
               WHEN 'ca' THEN 'catalan'    WHEN 'da' THEN 'danish'    WHEN 'nl' THEN 'dutch'
               WHEN 'en' THEN 'english'    WHEN 'et' THEN 'estonian'  WHEN 'fi' THEN 'finnish'
               WHEN 'fr' THEN 'french'     WHEN 'de' THEN 'german'    WHEN 'el' THEN 'greek'
               WHEN 'hi' THEN 'hindi'      WHEN 'hu' THEN 'hungarian' WHEN 'id' THEN 'indonesian'
               WHEN 'ga' THEN 'irish'      WHEN 'it' THEN 'italian'   WHEN 'lt' THEN 'lithuanian'
               WHEN 'ne' THEN 'nepali'     WHEN 'no' THEN 'norwegian' WHEN 'nb' THEN 'norwegian'
               WHEN 'nn' THEN 'norwegian'  WHEN 'pt' THEN 'portuguese' WHEN 'ro' THEN 'romanian'
               WHEN 'ru' THEN 'russian'    WHEN 'sr' THEN 'serbian'   WHEN 'es' THEN 'spanish'
               WHEN 'sv' THEN 'swedish'    WHEN 'ta' THEN 'tamil'     WHEN 'tr' THEN 'turkish'
               WHEN 'yi' THEN 'yiddish'
               END),
        'pg_catalog.simple'::regconfig)
$$;

-- Title weighs most (A), then the standfirst (B), then the body (C). The body is cut at
-- 250,000 characters: a tsvector must stay under 1 MB, and one huge page must not sink the
-- batch it is stored in.
CREATE FUNCTION newswire_search_vector(config regconfig, title text, description text, body text)
RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector(config, coalesce(title, '')), 'A')
        || setweight(to_tsvector(config, coalesce(description, '')), 'B')
        || setweight(to_tsvector(config, left(coalesce(body, ''), 250000)), 'C')
$$;

ALTER TABLE articles ADD COLUMN search_config regconfig, ADD COLUMN search tsvector;
-- Kept in the row (compressed only if that helps), the body moving out instead: matching
-- reads the vector of every candidate, and a TOAST fetch per row costs more than the match.
-- The planner needs statistics on many lexemes to tell a rare word from a common one.
ALTER TABLE articles ALTER COLUMN search SET STORAGE MAIN,
    ALTER COLUMN search SET STATISTICS 1000;
UPDATE articles SET search_config = newswire_search_config(language);
UPDATE articles SET search = newswire_search_vector(search_config, title, description, text);
ALTER TABLE articles ALTER COLUMN search_config SET NOT NULL, ALTER COLUMN search SET NOT NULL;

CREATE FUNCTION newswire_articles_search_fill() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN  -- the words or the language changed: derive both again
        NEW.search_config := newswire_search_config(NEW.language);
        NEW.search := NULL;
    END IF;
    IF NEW.search_config IS NULL THEN
        NEW.search_config := newswire_search_config(NEW.language);
    END IF;
    IF NEW.search IS NULL THEN
        NEW.search := newswire_search_vector(NEW.search_config, NEW.title, NEW.description, NEW.text);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER articles_search_fill
    BEFORE INSERT OR UPDATE OF language, title, description, text ON articles
    FOR EACH ROW EXECUTE FUNCTION newswire_articles_search_fill();

CREATE INDEX articles_search_idx ON articles USING gin (search);

-- Every configuration some article uses: a search parses its query once for each. A table
-- kept by statement triggers, not an index on search_config, because such an index tempts
-- the planner into ANDing large bitmaps that cost more than the filter they replace.
CREATE TABLE search_configs (config regconfig PRIMARY KEY);
INSERT INTO search_configs SELECT DISTINCT search_config FROM articles;
CREATE FUNCTION newswire_search_configs_add() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_configs SELECT DISTINCT search_config FROM changed
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER articles_search_configs_insert AFTER INSERT ON articles
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION newswire_search_configs_add();
CREATE TRIGGER articles_search_configs_update AFTER UPDATE ON articles
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION newswire_search_configs_add();

-- Newest first with undated articles last, and the id as tie-breaker: one sort key that
-- keyset pagination can resume from. These replace the plain published_at indexes of 0001,
-- which sorted undated articles first and could not resume within one timestamp.
DROP INDEX articles_source_published_idx;
DROP INDEX articles_published_idx;
CREATE INDEX articles_newest_idx
    ON articles ((coalesce(published_at, '-infinity'::timestamptz)) DESC, id DESC);
CREATE INDEX articles_source_newest_idx
    ON articles (source, (coalesce(published_at, '-infinity'::timestamptz)) DESC, id DESC);
