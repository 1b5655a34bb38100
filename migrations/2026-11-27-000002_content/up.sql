-- Posts of a site and the full snapshot of every saved version.
CREATE SCHEMA content;

CREATE TABLE content.posts (
    customer_id UUID NOT NULL,
    id UUID NOT NULL,
    site_id UUID NOT NULL,
    title VARCHAR(500) NOT NULL,
    slug VARCHAR(500) NOT NULL,
    body_markdown TEXT NOT NULL,
    body_html TEXT NOT NULL,
    description TEXT NOT NULL,
    tags TEXT[] NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'draft',
    published_at TIMESTAMPTZ NULL,
    trashed_at TIMESTAMPTZ NULL,
    version INT4 NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (customer_id, id),
    FOREIGN KEY (customer_id, site_id) REFERENCES tenancy.sites (customer_id, id),
    CONSTRAINT posts_slug_per_site UNIQUE (customer_id, site_id, slug),
    CONSTRAINT posts_status_known CHECK (status IN ('draft', 'published')),
    CONSTRAINT posts_published_has_time CHECK (status <> 'published' OR published_at IS NOT NULL)
);
-- The public listing: newest visible posts of one site, keyset-paginated by (published_at, id).
CREATE INDEX posts_public_listing ON content.posts (customer_id, site_id, published_at DESC, id DESC)
    WHERE status = 'published' AND trashed_at IS NULL;
CREATE INDEX posts_by_site_updated ON content.posts (customer_id, site_id, updated_at DESC);

CREATE TABLE content.post_revisions (
    customer_id UUID NOT NULL,
    id UUID NOT NULL,
    post_id UUID NOT NULL,
    revision_number INT4 NOT NULL,
    title VARCHAR(500) NOT NULL,
    slug VARCHAR(500) NOT NULL,
    body_markdown TEXT NOT NULL,
    description TEXT NOT NULL,
    tags TEXT[] NOT NULL,
    status VARCHAR(20) NOT NULL,
    published_at TIMESTAMPTZ NULL,
    trashed_at TIMESTAMPTZ NULL,
    editor_id UUID NULL,
    editor_label VARCHAR(200) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (customer_id, id),
    FOREIGN KEY (customer_id, post_id) REFERENCES content.posts (customer_id, id) ON DELETE CASCADE,
    CONSTRAINT post_revisions_number_per_post UNIQUE (customer_id, post_id, revision_number)
);

ALTER TABLE content.posts ENABLE ROW LEVEL SECURITY;
ALTER TABLE content.posts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON content.posts
    USING (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);

ALTER TABLE content.post_revisions ENABLE ROW LEVEL SECURITY;
ALTER TABLE content.post_revisions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON content.post_revisions
    USING (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);

GRANT USAGE ON SCHEMA content TO agoat_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON content.posts, content.post_revisions TO agoat_app;
