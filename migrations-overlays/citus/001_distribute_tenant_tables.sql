-- Citus overlay: run once as the owner on the coordinator after `agoat migrate`, before any data
-- is written (see docs/deploy/citus.md).
--
-- Reference tables (one full copy on every node) for the directory a request is routed by:
-- customers, their sites and the global domains table. tenancy.domains is keyed by host, not by
-- customer, so it cannot be distributed by customer_id; it references tenancy.sites, and Citus
-- refuses foreign keys from a reference table to a distributed one, so sites are a reference
-- table too (a handful of rows per customer). Foreign keys from distributed tables to these
-- reference tables are allowed.
--
-- Every other tenant table is hash-distributed by customer_id and co-located with tenancy.users,
-- so each customer's rows of every table live on the same node and the composite foreign keys
-- (customer_id, …) hold shard by shard. Calls are in foreign-key order: a table comes after every
-- table it references. tests/migrations_lint.rs checks that every core table is placed here, in
-- that order, and that nothing but these calls is in this file.

SELECT create_reference_table('tenancy.customers');
SELECT create_reference_table('tenancy.sites');
SELECT create_reference_table('tenancy.domains');

SELECT create_distributed_table('tenancy.users', 'customer_id');

SELECT create_distributed_table('content.posts', 'customer_id', colocate_with => 'tenancy.users');
SELECT create_distributed_table('content.post_revisions', 'customer_id', colocate_with => 'tenancy.users');
SELECT create_distributed_table('content.slug_redirects', 'customer_id', colocate_with => 'tenancy.users');
SELECT create_distributed_table('content.preview_links', 'customer_id', colocate_with => 'tenancy.users');

SELECT create_distributed_table('thorne.products', 'customer_id', colocate_with => 'tenancy.users');
SELECT create_distributed_table('thorne.change_sets', 'customer_id', colocate_with => 'tenancy.users');
SELECT create_distributed_table('thorne.price_changes', 'customer_id', colocate_with => 'tenancy.users');
SELECT create_distributed_table('thorne.csv_uploads', 'customer_id', colocate_with => 'tenancy.users');

SELECT create_distributed_table('audit.events', 'customer_id', colocate_with => 'tenancy.users');
