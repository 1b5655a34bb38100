-- The directory transaction (`SET LOCAL app.directory = 'on'`, see src/db) may read which
-- customers and sites are active, to know which host names the product serves at all (the answer
-- a TLS proxy asks for before it gets a certificate). It reads, never writes, and a tenant's or
-- the platform's transaction gains nothing from these policies.
CREATE POLICY directory_read ON tenancy.customers FOR SELECT
    USING (current_setting('app.directory', true) = 'on');
CREATE POLICY directory_read ON tenancy.sites FOR SELECT
    USING (current_setting('app.directory', true) = 'on');
