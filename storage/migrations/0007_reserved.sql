-- Reserved: number 0007 belongs to a migration another branch adds at the same time (this
-- branch's own is 0008_source_health.sql, and numbering admits no gap). When the branches
-- are merged this file is deleted in favour of that migration.
SELECT 1;
