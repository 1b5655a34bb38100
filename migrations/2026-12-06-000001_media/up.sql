-- The media library: images a customer uploads. `media` holds one row per upload (its metadata,
-- which editors edit); `media_files` the files made from it and served to visitors, each named by
-- the SHA-256 of its own bytes. The bytes live in the media store, under the customer's folder.
CREATE TABLE content.media (
    customer_id UUID NOT NULL REFERENCES tenancy.customers (id),
    id UUID NOT NULL,
    sha256 VARCHAR(64) NOT NULL,
    original_name VARCHAR(255) NOT NULL,
    format VARCHAR(10) NOT NULL,
    size_bytes INT8 NOT NULL,
    width INT4 NOT NULL,
    height INT4 NOT NULL,
    alt_text VARCHAR(1000) NOT NULL DEFAULT '',
    caption VARCHAR(2000) NOT NULL DEFAULT '',
    uploaded_by UUID NULL,
    uploaded_by_label VARCHAR(200) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    version INT4 NOT NULL DEFAULT 1,
    PRIMARY KEY (customer_id, id),
    FOREIGN KEY (customer_id, uploaded_by) REFERENCES tenancy.users (customer_id, id),
    CONSTRAINT media_format_known CHECK (format IN ('jpeg', 'png', 'webp', 'gif'))
);
CREATE INDEX media_by_time ON content.media (customer_id, created_at DESC, id DESC);

CREATE TABLE content.media_files (
    customer_id UUID NOT NULL REFERENCES tenancy.customers (id),
    media_id UUID NOT NULL,
    name VARCHAR(80) NOT NULL,
    format VARCHAR(10) NOT NULL,
    width INT4 NOT NULL,
    height INT4 NOT NULL,
    size_bytes INT8 NOT NULL,
    PRIMARY KEY (customer_id, media_id, name),
    FOREIGN KEY (customer_id, media_id) REFERENCES content.media (customer_id, id) ON DELETE CASCADE,
    CONSTRAINT media_files_format_known CHECK (format IN ('jpeg', 'png', 'webp', 'gif'))
);
CREATE INDEX media_files_by_name ON content.media_files (customer_id, name);

ALTER TABLE content.media ENABLE ROW LEVEL SECURITY;
ALTER TABLE content.media FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON content.media
    USING (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);

ALTER TABLE content.media_files ENABLE ROW LEVEL SECURITY;
ALTER TABLE content.media_files FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON content.media_files
    USING (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);

GRANT SELECT, INSERT, UPDATE, DELETE ON content.media, content.media_files TO agoat_app;
