-- Full-text search of a site's published posts and its customer's active products.
--
-- The language a site's posts are searched in: one of the text search configurations that both
-- PostgreSQL and CockroachDB provide (src/search/language.rs lists the same names).
ALTER TABLE tenancy.sites ADD COLUMN search_language VARCHAR(20) NOT NULL DEFAULT 'english';
ALTER TABLE tenancy.sites ADD CONSTRAINT sites_search_language_known CHECK (search_language IN (
    'danish', 'dutch', 'english', 'finnish', 'french', 'german', 'hungarian', 'italian',
    'norwegian', 'portuguese', 'russian', 'simple', 'spanish', 'swedish', 'turkish'));

-- The search vector of each post and product, written by their one write path with the text
-- (src/search/vector.rs): for a post its title (weight A), tags (B), description (C) and body
-- (D) in its site's language; for a product its name (A), category and SKU (B) and description
-- (C) in English, the language of the Thorne catalog. Rows stored before this migration get theirs
-- from the next one.
ALTER TABLE content.posts ADD COLUMN search_vector TSVECTOR NOT NULL DEFAULT '';
ALTER TABLE thorne.products ADD COLUMN search_vector TSVECTOR NOT NULL DEFAULT '';

-- Inverted indexes of the vectors. PostgreSQL cannot lead a GIN index with a uuid without the
-- btree_gin extension (which CockroachDB lacks); searches are filtered by customer and site first
-- anyway. CockroachDB's overlay leads them with customer_id.
CREATE INDEX posts_search ON content.posts USING GIN (search_vector);
CREATE INDEX products_search ON thorne.products USING GIN (search_vector);
