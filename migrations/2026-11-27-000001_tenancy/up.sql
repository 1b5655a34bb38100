-- Customers (the tenants), their sites, the global domain directory and admin users.
-- Row-level security: a row is visible only when app.customer_id names its customer.
CREATE SCHEMA tenancy;

CREATE TABLE tenancy.customers (
    id UUID NOT NULL,
    name VARCHAR(200) NOT NULL,
    currency CHAR(3) NOT NULL DEFAULT 'USD',
    is_active BOOL NOT NULL DEFAULT TRUE,
    version INT4 NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT customers_currency_code CHECK (currency ~ '^[A-Z]{3}$')
);

CREATE TABLE tenancy.sites (
    customer_id UUID NOT NULL REFERENCES tenancy.customers (id),
    id UUID NOT NULL,
    name VARCHAR(200) NOT NULL,
    is_active BOOL NOT NULL DEFAULT TRUE,
    version INT4 NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (customer_id, id)
);

-- The directory: a host name is globally unique and names one site of one customer.
CREATE TABLE tenancy.domains (
    host VARCHAR(253) NOT NULL,
    customer_id UUID NOT NULL,
    site_id UUID NOT NULL,
    is_primary BOOL NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (host),
    FOREIGN KEY (customer_id, site_id) REFERENCES tenancy.sites (customer_id, id) ON DELETE CASCADE
);
CREATE INDEX domains_by_site ON tenancy.domains (customer_id, site_id);
CREATE UNIQUE INDEX domains_one_primary_per_site ON tenancy.domains (customer_id, site_id) WHERE is_primary;

CREATE TABLE tenancy.users (
    customer_id UUID NOT NULL REFERENCES tenancy.customers (id),
    id UUID NOT NULL,
    email VARCHAR(320) NOT NULL,
    password_hash TEXT NOT NULL,
    role VARCHAR(20) NOT NULL,
    is_active BOOL NOT NULL DEFAULT TRUE,
    session_generation INT4 NOT NULL DEFAULT 0,
    version INT4 NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (customer_id, id),
    CONSTRAINT users_email_per_customer UNIQUE (customer_id, email),
    CONSTRAINT users_role_known CHECK (role IN ('owner', 'editor', 'pricing'))
);

ALTER TABLE tenancy.customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenancy.customers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenancy.customers
    USING (id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (id = NULLIF(current_setting('app.customer_id', true), '')::UUID);

ALTER TABLE tenancy.sites ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenancy.sites FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenancy.sites
    USING (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);

-- Anyone may read the directory (it maps public host names); only the owning customer writes.
ALTER TABLE tenancy.domains ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenancy.domains FORCE ROW LEVEL SECURITY;
CREATE POLICY directory_read ON tenancy.domains FOR SELECT USING (true);
CREATE POLICY tenant_isolation ON tenancy.domains
    USING (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);

ALTER TABLE tenancy.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenancy.users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenancy.users
    USING (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);

GRANT USAGE ON SCHEMA tenancy TO agoat_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON tenancy.customers, tenancy.sites, tenancy.domains, tenancy.users TO agoat_app;
