DROP TABLE content.site_import_parts;
DROP TABLE content.site_import_uploads;
