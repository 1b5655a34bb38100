DROP INDEX content.posts_by_publication;
