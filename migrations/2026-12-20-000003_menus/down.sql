DROP TABLE content.menu_items;
DROP TABLE content.menus;
