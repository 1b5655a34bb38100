DROP POLICY platform_read ON tenancy.sites;
DROP POLICY platform_read ON tenancy.customers;
DROP TABLE platform.operator_sign_ins;
DROP TABLE platform.operators;
DROP SCHEMA platform;
