DROP TABLE tenancy.users;
DROP TABLE tenancy.domains;
DROP TABLE tenancy.sites;
DROP TABLE tenancy.customers;
DROP SCHEMA tenancy;
