-- Exports (and archives of their images) that owners upload to the import page, kept between the
-- dry run and the apply so that any app server can apply them. The bytes are kept in parts of at
-- most 1 MiB, written and read one at a time, so that neither the upload nor the apply holds a
-- whole export in memory; they are removed once the upload is applied. `report` is what the dry
-- run found; `applied_report` what the apply did.
CREATE TABLE content.site_import_uploads (
    customer_id UUID NOT NULL,
    id UUID NOT NULL,
    site_id UUID NOT NULL,
    source VARCHAR(20) NOT NULL,
    export_name VARCHAR(255) NOT NULL,
    export_bytes INT8 NOT NULL,
    export_sha256 VARCHAR(64) NOT NULL,
    archive_name VARCHAR(255) NULL,
    archive_bytes INT8 NULL,
    report JSONB NOT NULL,
    uploaded_by UUID NULL,
    uploaded_by_label VARCHAR(200) NOT NULL,
    uploaded_at TIMESTAMPTZ NOT NULL,
    applied_at TIMESTAMPTZ NULL,
    applied_report JSONB NULL,
    version INT4 NOT NULL DEFAULT 1,
    PRIMARY KEY (customer_id, id),
    FOREIGN KEY (customer_id, site_id) REFERENCES tenancy.sites (customer_id, id),
    CONSTRAINT site_import_uploads_source_known CHECK (source IN ('wordpress', 'ghost')),
    CONSTRAINT site_import_uploads_archive_whole CHECK ((archive_name IS NULL) = (archive_bytes IS NULL))
);
CREATE INDEX site_import_uploads_by_time ON content.site_import_uploads (customer_id, uploaded_at DESC);

CREATE TABLE content.site_import_parts (
    customer_id UUID NOT NULL,
    upload_id UUID NOT NULL,
    file VARCHAR(10) NOT NULL,
    seq INT4 NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (customer_id, upload_id, file, seq),
    FOREIGN KEY (customer_id, upload_id) REFERENCES content.site_import_uploads (customer_id, id) ON DELETE CASCADE,
    CONSTRAINT site_import_parts_file_known CHECK (file IN ('export', 'archive'))
);

ALTER TABLE content.site_import_uploads ENABLE ROW LEVEL SECURITY;
ALTER TABLE content.site_import_uploads FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON content.site_import_uploads
    USING (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);

ALTER TABLE content.site_import_parts ENABLE ROW LEVEL SECURITY;
ALTER TABLE content.site_import_parts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON content.site_import_parts
    USING (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);

GRANT SELECT, INSERT, UPDATE, DELETE ON content.site_import_uploads, content.site_import_parts TO agoat_app;
