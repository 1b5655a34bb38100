-- The editorial admin: old slugs that redirect to a post's current one, shareable preview links,
-- and an index for counting recent sign-in failures from one address.
CREATE TABLE content.slug_redirects (
    customer_id UUID NOT NULL,
    id UUID NOT NULL,
    site_id UUID NOT NULL,
    old_slug VARCHAR(500) NOT NULL,
    post_id UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (customer_id, id),
    FOREIGN KEY (customer_id, site_id) REFERENCES tenancy.sites (customer_id, id),
    FOREIGN KEY (customer_id, post_id) REFERENCES content.posts (customer_id, id) ON DELETE CASCADE,
    CONSTRAINT slug_redirects_old_slug_per_site UNIQUE (customer_id, site_id, old_slug)
);
CREATE INDEX slug_redirects_by_post ON content.slug_redirects (customer_id, post_id);

CREATE TABLE content.preview_links (
    customer_id UUID NOT NULL,
    id UUID NOT NULL,
    post_id UUID NOT NULL,
    revision_number INT4 NOT NULL,
    token_hash VARCHAR(64) NOT NULL,
    created_by UUID NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ NULL,
    PRIMARY KEY (customer_id, id),
    FOREIGN KEY (customer_id, post_id) REFERENCES content.posts (customer_id, id) ON DELETE CASCADE,
    CONSTRAINT preview_links_token_per_customer UNIQUE (customer_id, token_hash)
);
CREATE INDEX preview_links_by_post ON content.preview_links (customer_id, post_id, created_at DESC);

CREATE INDEX events_by_ip ON audit.events (customer_id, ip, occurred_at DESC);

ALTER TABLE content.slug_redirects ENABLE ROW LEVEL SECURITY;
ALTER TABLE content.slug_redirects FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON content.slug_redirects
    USING (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);

ALTER TABLE content.preview_links ENABLE ROW LEVEL SECURITY;
ALTER TABLE content.preview_links FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON content.preview_links
    USING (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);

GRANT SELECT, INSERT, UPDATE, DELETE ON content.slug_redirects, content.preview_links TO agoat_app;
