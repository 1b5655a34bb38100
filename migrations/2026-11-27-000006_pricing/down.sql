ALTER TABLE tenancy.customers DROP COLUMN show_lowest_30_day_price;
DROP TABLE thorne.price_changes;
DROP TABLE thorne.change_sets;
