-- Pages (About, Contact, Imprint …) are rows of content.posts of kind 'page': they share the
-- posts' Markdown, revisions, preview links, audit, versions and trash, and have no date, tags or
-- place in the listing and the feed. A page's `slug` is its whole address below the site's root
-- (`about` or `about/team`), unique on the site together with the posts' slugs.
ALTER TABLE content.posts ADD COLUMN kind VARCHAR(10) NOT NULL DEFAULT 'post';
ALTER TABLE content.posts ADD CONSTRAINT posts_kind_known CHECK (kind IN ('post', 'page'));

-- The public listing reads posts only.
DROP INDEX content.posts_public_listing;
CREATE INDEX posts_public_listing ON content.posts (customer_id, site_id, published_at DESC, id DESC)
    WHERE status = 'published' AND trashed_at IS NULL AND kind = 'post';
