-- The tags of each post in their address form (`slug`: Unicode NFKC, lower case, runs of spaces,
-- underscores and dashes as one dash, no dash at either end) with the spelling the post shows
-- (`name`). The post write path keeps them; tag pages, their feeds, the list of tags and the
-- sitemap read them, always together with the visibility of the post they belong to.
CREATE TABLE content.post_tags (
    customer_id UUID NOT NULL,
    post_id UUID NOT NULL,
    site_id UUID NOT NULL,
    slug VARCHAR(200) NOT NULL,
    name VARCHAR(100) NOT NULL,
    PRIMARY KEY (customer_id, post_id, slug),
    FOREIGN KEY (customer_id, post_id) REFERENCES content.posts (customer_id, id) ON DELETE CASCADE,
    FOREIGN KEY (customer_id, site_id) REFERENCES tenancy.sites (customer_id, id)
);
-- A tag page: the posts of one site with one tag.
CREATE INDEX post_tags_by_slug ON content.post_tags (customer_id, site_id, slug, post_id);

ALTER TABLE content.post_tags ENABLE ROW LEVEL SECURITY;
ALTER TABLE content.post_tags FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON content.post_tags
    USING (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);

GRANT SELECT, INSERT, UPDATE, DELETE ON content.post_tags TO agoat_app;

-- The next migration fills the table from the posts that exist already, as the owner, whom row-level
-- security binds too (FORCE): these two policies let the owner, and only the owner, read every post
-- and write every tag row until the migration after it drops them.
CREATE POLICY tags_fill_read ON content.posts FOR SELECT TO CURRENT_USER USING (true);
CREATE POLICY tags_fill_write ON content.post_tags TO CURRENT_USER USING (true) WITH CHECK (true);
