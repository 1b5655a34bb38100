-- The vectors as they were before: empty (by a rewrite, as the up migration wrote them).
ALTER TABLE content.posts ALTER COLUMN search_vector TYPE TSVECTOR USING '';
ALTER TABLE thorne.products ALTER COLUMN search_vector TYPE TSVECTOR USING '';
