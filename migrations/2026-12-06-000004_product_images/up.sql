-- The gallery of a product: images of the customer's media library in order. The image at the
-- lowest position is the product's main image. Deleting an image from the library takes it out of
-- every gallery; a product's images go before the product can.
CREATE TABLE thorne.product_images (
    customer_id UUID NOT NULL REFERENCES tenancy.customers (id),
    product_id UUID NOT NULL,
    media_id UUID NOT NULL,
    position INT4 NOT NULL,
    PRIMARY KEY (customer_id, product_id, media_id),
    FOREIGN KEY (customer_id, product_id) REFERENCES thorne.products (customer_id, id),
    FOREIGN KEY (customer_id, media_id) REFERENCES content.media (customer_id, id) ON DELETE CASCADE,
    CONSTRAINT product_images_position_per_product UNIQUE (customer_id, product_id, position),
    CONSTRAINT product_images_position_not_negative CHECK (position >= 0)
);
CREATE INDEX product_images_by_media ON thorne.product_images (customer_id, media_id);

ALTER TABLE thorne.product_images ENABLE ROW LEVEL SECURITY;
ALTER TABLE thorne.product_images FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON thorne.product_images
    USING (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);

GRANT SELECT, INSERT, UPDATE, DELETE ON thorne.product_images TO agoat_app;
