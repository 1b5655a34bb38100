ALTER TABLE tenancy.site_branding DROP COLUMN feed_length;
