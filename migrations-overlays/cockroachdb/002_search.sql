-- CockroachDB overlay for site search: run once as the owner after `agoat migrate` (see
-- docs/deploy/cockroachdb.md, which also says how the PostgreSQL-only backfill migration is
-- recorded there without running).
--
-- Only engine DDL belongs here (tests/migrations_lint.rs checks it): no tables, no data.

-- The search vectors' weights are PostgreSQL's: its write paths build each vector as
-- setweight(to_tsvector(…, title), 'A') || … (src/search/vector.rs), and CockroachDB (v25.x) has
-- no setweight. This stand-in keeps the lexemes and drops the weight, so the same statements run;
-- results there are ranked by how often and how close the words occur, a title no higher than a
-- body.
CREATE FUNCTION setweight(vector TSVECTOR, weight STRING) RETURNS TSVECTOR
    IMMUTABLE LANGUAGE SQL AS $$ SELECT vector $$;

-- The portable GIN indexes cover the vectors alone (PostgreSQL needs the btree_gin extension to
-- lead one with a uuid). CockroachDB leads an inverted index with plain columns itself, so a
-- search of one customer scans that customer's entries only.
CREATE INVERTED INDEX posts_search_by_customer ON content.posts (customer_id, search_vector);
DROP INDEX content.posts@posts_search;

CREATE INVERTED INDEX products_search_by_customer ON thorne.products (customer_id, search_vector);
DROP INDEX thorne.products@products_search;
