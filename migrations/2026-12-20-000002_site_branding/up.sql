-- The branding of a site, chosen by its owner: a tagline, a logo, a favicon and a default share
-- image from the customer's media library, an accent colour, footer text (Markdown, stored with
-- its sanitised HTML), social profile links, the language of its pages and the time zone its
-- dates are shown in. The site's title is its name (tenancy.sites.name). Branding is data that
-- the templates place: customers never supply CSS or JavaScript.
--
-- One row per site, written only by the branding's write path (src/branding/mod.rs); a site
-- without a row has the defaults. Its version is the site's: every change of the row bumps
-- tenancy.sites.version in the same transaction.
--
-- A table of its own, not columns of tenancy.sites: on Citus the sites are a reference table,
-- which may not have a foreign key to a distributed table such as the media library. This table
-- is distributed by customer like every other tenant table, so the images are composite foreign
-- keys and the database refuses an image of another customer. Deleting an image that a site
-- shows takes it out of the branding first, in the same transaction (composite keys cannot
-- SET NULL portably).
CREATE TABLE tenancy.site_branding (
    customer_id UUID NOT NULL REFERENCES tenancy.customers (id),
    site_id UUID NOT NULL,
    tagline VARCHAR(200) NOT NULL DEFAULT '',
    logo_media_id UUID NULL,
    favicon_media_id UUID NULL,
    share_image_media_id UUID NULL,
    accent_colour CHAR(7) NULL,
    footer_markdown TEXT NOT NULL DEFAULT '',
    footer_html TEXT NOT NULL DEFAULT '',
    social_links TEXT[] NOT NULL DEFAULT '{}',
    language VARCHAR(35) NOT NULL DEFAULT 'en',
    time_zone VARCHAR(64) NOT NULL DEFAULT 'UTC',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (customer_id, site_id),
    FOREIGN KEY (customer_id, site_id) REFERENCES tenancy.sites (customer_id, id),
    FOREIGN KEY (customer_id, logo_media_id) REFERENCES content.media (customer_id, id),
    FOREIGN KEY (customer_id, favicon_media_id) REFERENCES content.media (customer_id, id),
    FOREIGN KEY (customer_id, share_image_media_id) REFERENCES content.media (customer_id, id),
    CONSTRAINT site_branding_accent_hex CHECK (accent_colour ~ '^#[0-9a-f]{6}$')
);

ALTER TABLE tenancy.site_branding ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenancy.site_branding FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenancy.site_branding
    USING (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);

GRANT SELECT, INSERT, UPDATE, DELETE ON tenancy.site_branding TO agoat_app;
