DROP INDEX audit.events_by_ip;
DROP TABLE content.preview_links;
DROP TABLE content.slug_redirects;
