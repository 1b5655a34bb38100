DROP POLICY IF EXISTS tags_fill_read ON content.posts;
DROP TABLE content.post_tags;
