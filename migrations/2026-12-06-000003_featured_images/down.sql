ALTER TABLE content.post_revisions DROP COLUMN featured_media_id;
ALTER TABLE content.posts DROP COLUMN featured_media_id;
