-- Append-only record of every change: who, which customer, what, when, from where, before/after.
CREATE SCHEMA audit;

CREATE TABLE audit.events (
    customer_id UUID NOT NULL REFERENCES tenancy.customers (id),
    id UUID NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    actor_id UUID NULL,
    actor_label VARCHAR(200) NOT NULL,
    entity VARCHAR(50) NOT NULL,
    entity_id UUID NOT NULL,
    action VARCHAR(50) NOT NULL,
    before JSONB NULL,
    after JSONB NULL,
    ip VARCHAR(64) NULL,
    request_id VARCHAR(64) NULL,
    PRIMARY KEY (customer_id, id)
);
CREATE INDEX events_by_time ON audit.events (customer_id, occurred_at DESC);
CREATE INDEX events_by_entity ON audit.events (customer_id, entity, entity_id, occurred_at DESC);

ALTER TABLE audit.events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit.events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit.events
    USING (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);

-- Append-only: the application role may add and read events, never change or remove them.
GRANT USAGE ON SCHEMA audit TO agoat_app;
GRANT SELECT, INSERT ON audit.events TO agoat_app;
