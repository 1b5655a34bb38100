-- PostgreSQL only, like up.sql: new bodies are stored with the server's default compression again.
ALTER TABLE content.posts ALTER COLUMN body_html SET COMPRESSION DEFAULT;
