-- Pages stay as posts (a migration makes no data change beside its DDL): a published page then
-- shows at /posts/<slug> when its address has a single segment. Trash pages first to avoid it.
DROP INDEX content.posts_public_listing;
CREATE INDEX posts_public_listing ON content.posts (customer_id, site_id, published_at DESC, id DESC)
    WHERE status = 'published' AND trashed_at IS NULL;
ALTER TABLE content.posts DROP CONSTRAINT posts_kind_known;
ALTER TABLE content.posts DROP COLUMN kind;
