-- Pricing: every change of a price is recorded (old, new, who, when, why) and belongs to a change
-- set (a single edit, a bulk change or an import) that can be reverted as a whole.
CREATE TABLE thorne.change_sets (
    customer_id UUID NOT NULL REFERENCES tenancy.customers (id),
    id UUID NOT NULL,
    name VARCHAR(200) NOT NULL,
    kind VARCHAR(20) NOT NULL,
    created_by UUID NULL,
    created_by_label VARCHAR(200) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    reverted_at TIMESTAMPTZ NULL,
    reverted_by_label VARCHAR(200) NULL,
    version INT4 NOT NULL DEFAULT 1,
    PRIMARY KEY (customer_id, id),
    CONSTRAINT change_sets_kind_known CHECK (kind IN ('edit', 'bulk', 'import', 'revert'))
);
CREATE INDEX change_sets_by_time ON thorne.change_sets (customer_id, created_at DESC);

CREATE TABLE thorne.price_changes (
    customer_id UUID NOT NULL,
    id UUID NOT NULL,
    product_id UUID NOT NULL,
    change_set_id UUID NOT NULL,
    old_wholesale_price NUMERIC(10, 2) NOT NULL,
    new_wholesale_price NUMERIC(10, 2) NOT NULL,
    old_retail_price NUMERIC(10, 2) NOT NULL,
    new_retail_price NUMERIC(10, 2) NOT NULL,
    reason TEXT NOT NULL,
    changed_by UUID NULL,
    changed_by_label VARCHAR(200) NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (customer_id, id),
    FOREIGN KEY (customer_id, product_id) REFERENCES thorne.products (customer_id, id),
    FOREIGN KEY (customer_id, change_set_id) REFERENCES thorne.change_sets (customer_id, id)
);
CREATE INDEX price_changes_by_product ON thorne.price_changes (customer_id, product_id, changed_at DESC);
CREATE INDEX price_changes_by_change_set ON thorne.price_changes (customer_id, change_set_id);

-- Whether the public product page shows the lowest retail price of the previous 30 days.
ALTER TABLE tenancy.customers ADD COLUMN show_lowest_30_day_price BOOL NOT NULL DEFAULT FALSE;

ALTER TABLE thorne.change_sets ENABLE ROW LEVEL SECURITY;
ALTER TABLE thorne.change_sets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON thorne.change_sets
    USING (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);

ALTER TABLE thorne.price_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE thorne.price_changes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON thorne.price_changes
    USING (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);

GRANT SELECT, INSERT, UPDATE ON thorne.change_sets TO agoat_app;
-- Price history is append-only for the application.
GRANT SELECT, INSERT ON thorne.price_changes TO agoat_app;
