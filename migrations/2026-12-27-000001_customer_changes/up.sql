-- The change feed (src/db/changes.rs): every read-write transaction of a customer adds one row as
-- its last statement, and every app server reads the rows of the last seconds a few times a
-- second to learn which customers' public pages may have changed, so that it may keep pages until
-- they change. Rows are only ever added (never updated, so writers of one customer never wait on
-- each other) and are deleted after a minute. `changed_at` is the database's clock, the one the
-- readers compare with.
CREATE TABLE tenancy.customer_changes (
    customer_id UUID NOT NULL,
    id UUID NOT NULL,
    -- The process that committed it: a server skips its own changes (it saw them at once).
    server_id UUID NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (customer_id, id)
);
CREATE INDEX customer_changes_by_time ON tenancy.customer_changes (changed_at);

ALTER TABLE tenancy.customer_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenancy.customer_changes FORCE ROW LEVEL SECURITY;
-- A customer's transaction may add its own rows, and read or remove nothing.
CREATE POLICY tenant_adds ON tenancy.customer_changes FOR INSERT
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);
-- The feed's reader (`SET LOCAL app.change_feed = 'on'`) reads every customer's rows (ids and
-- times only, nothing of the change itself) and deletes the old ones.
CREATE POLICY change_feed_read ON tenancy.customer_changes FOR SELECT
    USING (current_setting('app.change_feed', true) = 'on');
CREATE POLICY change_feed_prune ON tenancy.customer_changes FOR DELETE
    USING (current_setting('app.change_feed', true) = 'on');

GRANT SELECT, INSERT, DELETE ON tenancy.customer_changes TO agoat_app;
