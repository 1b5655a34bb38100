DROP TABLE tenancy.customer_changes;
