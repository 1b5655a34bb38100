DELETE FROM content.post_tags;
