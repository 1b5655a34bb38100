DROP TABLE content.old_addresses;
DROP TABLE content.imported_items;
