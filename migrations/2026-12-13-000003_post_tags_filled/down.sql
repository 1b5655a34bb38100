CREATE POLICY tags_fill_read ON content.posts FOR SELECT TO CURRENT_USER USING (true);
CREATE POLICY tags_fill_write ON content.post_tags TO CURRENT_USER USING (true) WITH CHECK (true);
