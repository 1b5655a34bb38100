-- The table is filled: the owner is bound by the tenant policies again.
DROP POLICY tags_fill_read ON content.posts;
DROP POLICY tags_fill_write ON content.post_tags;
