-- PostgreSQL only (the name of this migration says so; tests/migrations_lint.rs allows setweight
-- nowhere else in the migrations): gives the posts and products stored before search their search
-- vectors, as the write path computes them (src/search/vector.rs), by rewriting the tables. Being
-- DDL, the rewrite sees every customer's rows under forced row-level security, which an UPDATE run
-- by a schema owner that is not a superuser would not. Every site searches in English until its
-- language is changed, so English is right for every post here.
--
-- CockroachDB has no setweight and does not rewrite a column's type inside a transaction: there
-- this migration is recorded as applied by hand instead of running (docs/deploy/cockroachdb.md),
-- and migrations-overlays/cockroachdb/002_search.sql gives the write path an unweighted setweight.
ALTER TABLE content.posts ALTER COLUMN search_vector TYPE TSVECTOR USING (
    setweight(to_tsvector('english', title), 'A')
    || setweight(to_tsvector('english', array_to_string(tags, ' ')), 'B')
    || setweight(to_tsvector('english', description), 'C')
    || setweight(to_tsvector('english', body_html), 'D'));
ALTER TABLE thorne.products ALTER COLUMN search_vector TYPE TSVECTOR USING (
    setweight(to_tsvector('english', name), 'A')
    || setweight(to_tsvector('english', category || ' ' || sku), 'B')
    || setweight(to_tsvector('english', description), 'C'));
