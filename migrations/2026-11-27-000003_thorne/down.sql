DROP TABLE thorne.products;
DROP SCHEMA thorne;
