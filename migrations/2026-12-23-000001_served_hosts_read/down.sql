DROP POLICY served_hosts_read ON tenancy.sites;
DROP POLICY served_hosts_read ON tenancy.customers;
