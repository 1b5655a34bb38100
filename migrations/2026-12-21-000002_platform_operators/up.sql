-- Platform operators: the people who run the platform, outside every tenant. Only a platform
-- transaction (`SET LOCAL app.platform = 'on'`, see src/db) reaches their rows; a tenant's
-- transaction sees none of them. Their sign-ins (and refusals) are kept here too, since the
-- audit log belongs to customers.
CREATE SCHEMA platform;

CREATE TABLE platform.operators (
    id UUID NOT NULL,
    email VARCHAR(320) NOT NULL,
    password_hash TEXT NOT NULL,
    is_active BOOL NOT NULL DEFAULT TRUE,
    session_generation INT4 NOT NULL DEFAULT 1,
    version INT4 NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT operators_email_unique UNIQUE (email)
);

CREATE TABLE platform.operator_sign_ins (
    id UUID NOT NULL,
    email VARCHAR(320) NOT NULL,
    client VARCHAR(100) NOT NULL,
    outcome VARCHAR(20) NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (id)
);
-- The throttle counts recent failures per address and per client.
CREATE INDEX operator_sign_ins_by_email ON platform.operator_sign_ins (email, occurred_at);
CREATE INDEX operator_sign_ins_by_client ON platform.operator_sign_ins (client, occurred_at);

ALTER TABLE platform.operators ENABLE ROW LEVEL SECURITY;
ALTER TABLE platform.operators FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_only ON platform.operators
    USING (current_setting('app.platform', true) = 'on')
    WITH CHECK (current_setting('app.platform', true) = 'on');

ALTER TABLE platform.operator_sign_ins ENABLE ROW LEVEL SECURITY;
ALTER TABLE platform.operator_sign_ins FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_only ON platform.operator_sign_ins
    USING (current_setting('app.platform', true) = 'on')
    WITH CHECK (current_setting('app.platform', true) = 'on');

-- The console lists every customer and site; anything else about a customer it reads or writes
-- inside that customer's own scope.
CREATE POLICY platform_read ON tenancy.customers FOR SELECT
    USING (current_setting('app.platform', true) = 'on');
CREATE POLICY platform_read ON tenancy.sites FOR SELECT
    USING (current_setting('app.platform', true) = 'on');

GRANT USAGE ON SCHEMA platform TO agoat_app;
GRANT SELECT, INSERT, UPDATE ON platform.operators TO agoat_app;
GRANT SELECT, INSERT ON platform.operator_sign_ins TO agoat_app;
