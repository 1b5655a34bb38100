DROP INDEX thorne.products_search;
DROP INDEX content.posts_search;
ALTER TABLE thorne.products DROP COLUMN search_vector;
ALTER TABLE content.posts DROP COLUMN search_vector;
ALTER TABLE tenancy.sites DROP CONSTRAINT sites_search_language_known;
ALTER TABLE tenancy.sites DROP COLUMN search_language;
