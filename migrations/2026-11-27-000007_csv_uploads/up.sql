-- CSV uploads of the products admin: the file is kept between the dry run and the apply, so that
-- any app server can apply it; once applied it points at the change set it made.
CREATE TABLE thorne.csv_uploads (
    customer_id UUID NOT NULL REFERENCES tenancy.customers (id),
    id UUID NOT NULL,
    file_name VARCHAR(255) NOT NULL,
    content BYTEA NOT NULL,
    sha256 VARCHAR(64) NOT NULL,
    size_bytes INT8 NOT NULL,
    uploaded_by UUID NULL,
    uploaded_by_label VARCHAR(200) NOT NULL,
    uploaded_at TIMESTAMPTZ NOT NULL,
    applied_at TIMESTAMPTZ NULL,
    change_set_id UUID NULL,
    version INT4 NOT NULL DEFAULT 1,
    PRIMARY KEY (customer_id, id),
    FOREIGN KEY (customer_id, change_set_id) REFERENCES thorne.change_sets (customer_id, id)
);
CREATE INDEX csv_uploads_by_time ON thorne.csv_uploads (customer_id, uploaded_at DESC);

ALTER TABLE thorne.csv_uploads ENABLE ROW LEVEL SECURITY;
ALTER TABLE thorne.csv_uploads FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON thorne.csv_uploads
    USING (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);

GRANT SELECT, INSERT, UPDATE ON thorne.csv_uploads TO agoat_app;
