-- Navigation menus of a site: its header and its footer, each an ordered list of links that the
-- site's owners edit as a whole (`version` guards against two owners saving over each other).
CREATE TABLE content.menus (
    customer_id UUID NOT NULL,
    site_id UUID NOT NULL,
    placement VARCHAR(10) NOT NULL,
    version INT4 NOT NULL DEFAULT 1,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (customer_id, site_id, placement),
    FOREIGN KEY (customer_id, site_id) REFERENCES tenancy.sites (customer_id, id),
    CONSTRAINT menus_placement_known CHECK (placement IN ('header', 'footer'))
);

-- One link of a menu: its label and where it leads — the home page, the product list, a page
-- (by id, so that it follows the page's address), a tag or a product category (by address form),
-- or an external https address. A page deleted for good takes its links with it.
CREATE TABLE content.menu_items (
    customer_id UUID NOT NULL,
    id UUID NOT NULL,
    site_id UUID NOT NULL,
    placement VARCHAR(10) NOT NULL,
    ordinal INT4 NOT NULL,
    label VARCHAR(100) NOT NULL,
    target VARCHAR(20) NOT NULL,
    page_id UUID NULL,
    target_value VARCHAR(2000) NOT NULL DEFAULT '',
    PRIMARY KEY (customer_id, id),
    FOREIGN KEY (customer_id, site_id, placement)
        REFERENCES content.menus (customer_id, site_id, placement) ON DELETE CASCADE,
    FOREIGN KEY (customer_id, page_id) REFERENCES content.posts (customer_id, id) ON DELETE CASCADE,
    CONSTRAINT menu_items_ordinal_per_menu UNIQUE (customer_id, site_id, placement, ordinal),
    CONSTRAINT menu_items_target_known
        CHECK (target IN ('home', 'products', 'page', 'tag', 'category', 'url')),
    CONSTRAINT menu_items_page_has_id CHECK ((target = 'page') = (page_id IS NOT NULL))
);

ALTER TABLE content.menus ENABLE ROW LEVEL SECURITY;
ALTER TABLE content.menus FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON content.menus
    USING (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);

ALTER TABLE content.menu_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE content.menu_items FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON content.menu_items
    USING (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);

GRANT SELECT, INSERT, UPDATE, DELETE ON content.menus, content.menu_items TO agoat_app;
