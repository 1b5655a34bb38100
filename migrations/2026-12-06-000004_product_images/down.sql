DROP TABLE thorne.product_images;
