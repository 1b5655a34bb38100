DROP TABLE content.media_files;
DROP TABLE content.media;
