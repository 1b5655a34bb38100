DROP TABLE content.post_revisions;
DROP TABLE content.posts;
DROP SCHEMA content;
