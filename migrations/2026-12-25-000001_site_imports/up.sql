-- Imports of whole sites from WordPress and Ghost.
--
-- What an import brought in, by the key its source gives each item (a WordPress GUID, a Ghost
-- id): importing the same export again updates those posts and pages (as new revisions) and
-- reuses those images, instead of adding them a second time.
CREATE TABLE content.imported_items (
    customer_id UUID NOT NULL,
    site_id UUID NOT NULL,
    source VARCHAR(20) NOT NULL,
    source_key VARCHAR(500) NOT NULL,
    kind VARCHAR(10) NOT NULL,
    target_id UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (customer_id, site_id, source, source_key),
    FOREIGN KEY (customer_id, site_id) REFERENCES tenancy.sites (customer_id, id),
    CONSTRAINT imported_items_source_known CHECK (source IN ('wordpress', 'ghost')),
    CONSTRAINT imported_items_kind_known CHECK (kind IN ('post', 'page', 'media'))
);

-- The addresses an imported site had, answered with a 301 to where the thing now is: a post or
-- page (followed to its current address), or a fixed address of the site (a tag page, the home
-- page, an image of the media library). Paths are stored decoded and in lower case, without a
-- trailing slash; `/?p=12` and `/?page_id=45` keep their query.
CREATE TABLE content.old_addresses (
    customer_id UUID NOT NULL,
    site_id UUID NOT NULL,
    old_path VARCHAR(2000) NOT NULL,
    post_id UUID NULL,
    target VARCHAR(2000) NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (customer_id, site_id, old_path),
    FOREIGN KEY (customer_id, site_id) REFERENCES tenancy.sites (customer_id, id),
    FOREIGN KEY (customer_id, post_id) REFERENCES content.posts (customer_id, id) ON DELETE CASCADE,
    CONSTRAINT old_addresses_one_target CHECK ((post_id IS NULL) <> (target IS NULL))
);
CREATE INDEX old_addresses_by_post ON content.old_addresses (customer_id, post_id);

ALTER TABLE content.imported_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE content.imported_items FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON content.imported_items
    USING (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);

ALTER TABLE content.old_addresses ENABLE ROW LEVEL SECURITY;
ALTER TABLE content.old_addresses FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON content.old_addresses
    USING (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);

GRANT SELECT, INSERT, UPDATE, DELETE ON content.imported_items, content.old_addresses TO agoat_app;
