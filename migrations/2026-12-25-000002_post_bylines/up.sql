-- A post's byline: the name it is signed with (an imported post's author keeps their name
-- without becoming a user). Empty: no byline. Revisions keep it like every other field.
ALTER TABLE content.posts ADD COLUMN byline VARCHAR(200) NOT NULL DEFAULT '';
ALTER TABLE content.post_revisions ADD COLUMN byline VARCHAR(200) NOT NULL DEFAULT '';
