-- A post's featured image: an image of the customer's media library, shown on the post's card, at
-- the top of the post, in link previews and in the feed. Like the images in a body, it names the
-- image by id; an image deleted from the library leaves the post without its picture.
ALTER TABLE content.posts ADD COLUMN featured_media_id UUID NULL;
ALTER TABLE content.post_revisions ADD COLUMN featured_media_id UUID NULL;
