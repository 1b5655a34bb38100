DROP POLICY directory_read ON tenancy.sites;
DROP POLICY directory_read ON tenancy.customers;
