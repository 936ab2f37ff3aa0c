-- Statistics for the search's "originals only" filter (storage/search.py), written as
-- (coalesce(story_id, id) = id) IS TRUE so that the planner looks this expression up. Without
-- them it guesses that 0.5% of the articles are originals (an equality of two columns), takes
-- a common word's 75,000 matches at 100,000 articles for a few hundred, and sorts them all
-- (144 ms) instead of walking the newest-first index to the page's 500 candidates (8 ms).
CREATE STATISTICS articles_original_stat ON ((coalesce(story_id, id) = id)) FROM articles;
-- Build them now, not at the next autovacuum: sampling these two columns is quick.
ANALYZE articles (id, story_id);
