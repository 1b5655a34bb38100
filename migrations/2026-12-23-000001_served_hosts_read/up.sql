-- The served-hosts transaction (`SET LOCAL app.served_hosts = 'on'`, see src/db) may read which
-- customers and sites are active, to list every host name the product serves (the answer a TLS
-- proxy asks for before it gets a certificate). It only reads; a tenant's, the directory's or the
-- platform's transaction gains nothing from these policies.
CREATE POLICY served_hosts_read ON tenancy.customers FOR SELECT
    USING (current_setting('app.served_hosts', true) = 'on');
CREATE POLICY served_hosts_read ON tenancy.sites FOR SELECT
    USING (current_setting('app.served_hosts', true) = 'on');
