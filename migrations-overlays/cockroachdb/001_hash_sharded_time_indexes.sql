-- CockroachDB overlay: run once as the owner after `agoat migrate` (see docs/deploy/cockroachdb.md).
--
-- The portable indexes below lead with customer_id, so writes already spread across customers;
-- within one busy customer (or site) a time-ordered suffix still appends to a single range. A
-- hash-sharded copy spreads those appends over buckets. The new index is built before the
-- portable one is dropped, so no query ever runs without an index; the old names stay free for
-- the core down migrations, which only drop whole tables or audit.events_by_ip.
--
-- Only engine DDL belongs here (tests/migrations_lint.rs checks it): no tables, no data.

-- audit.events: every change of every customer appends here.
CREATE INDEX events_by_time_hashed ON audit.events (customer_id, occurred_at DESC) USING HASH;
DROP INDEX audit.events@events_by_time;

-- content.posts: the public listing of a site, newest published first.
CREATE INDEX posts_public_listing_hashed
    ON content.posts (customer_id, site_id, published_at DESC, id DESC) USING HASH
    WHERE status = 'published' AND trashed_at IS NULL;
DROP INDEX content.posts@posts_public_listing;

-- content.posts: the admin list of a site, most recently changed first.
CREATE INDEX posts_by_site_updated_hashed
    ON content.posts (customer_id, site_id, updated_at DESC) USING HASH;
DROP INDEX content.posts@posts_by_site_updated;

-- thorne.change_sets: every price edit, bulk change and import opens one.
CREATE INDEX change_sets_by_time_hashed ON thorne.change_sets (customer_id, created_at DESC) USING HASH;
DROP INDEX thorne.change_sets@change_sets_by_time;

-- tenancy.customer_changes: every write of every customer appends here, and every server reads
-- it by time (the change feed, src/db/changes.rs).
CREATE INDEX customer_changes_by_time_hashed ON tenancy.customer_changes (changed_at) USING HASH;
DROP INDEX tenancy.customer_changes@customer_changes_by_time;

-- Row-level security: the core migrations' ENABLE/FORCE ROW LEVEL SECURITY and CREATE POLICY
-- statements run as they are on CockroachDB v25.2 and later, which added row-level security.
-- Earlier versions refuse them, and the core migrations cannot run there at all.
