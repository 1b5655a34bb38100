ALTER TABLE content.post_revisions DROP COLUMN byline;
ALTER TABLE content.posts DROP COLUMN byline;
