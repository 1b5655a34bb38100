-- The Thorne product catalog of a customer, shown on every site of that customer.
CREATE SCHEMA thorne;

CREATE TABLE thorne.products (
    customer_id UUID NOT NULL REFERENCES tenancy.customers (id),
    id UUID NOT NULL,
    sku VARCHAR(64) NOT NULL,
    name VARCHAR(300) NOT NULL,
    description TEXT NOT NULL,
    category VARCHAR(100) NOT NULL,
    wholesale_price NUMERIC(10, 2) NOT NULL,
    retail_price NUMERIC(10, 2) NOT NULL,
    in_stock BOOL NOT NULL DEFAULT TRUE,
    archived_at TIMESTAMPTZ NULL,
    version INT4 NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (customer_id, id),
    CONSTRAINT products_sku_per_customer UNIQUE (customer_id, sku),
    CONSTRAINT products_wholesale_not_negative CHECK (wholesale_price >= 0),
    CONSTRAINT products_retail_not_negative CHECK (retail_price >= 0)
);
CREATE INDEX products_by_category ON thorne.products (customer_id, category, name);

ALTER TABLE thorne.products ENABLE ROW LEVEL SECURITY;
ALTER TABLE thorne.products FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON thorne.products
    USING (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);

GRANT USAGE ON SCHEMA thorne TO agoat_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON thorne.products TO agoat_app;
