-- How many of a site's newest posts its feeds carry (the site's feed and each tag's), chosen by
-- its owner with the rest of the branding: ten unless chosen, as most feeds of the web carry; a
-- feed reader polls the whole document every time, and every post in it is in full.
ALTER TABLE tenancy.site_branding ADD COLUMN feed_length INT4 NOT NULL DEFAULT 10;
ALTER TABLE tenancy.site_branding
    ADD CONSTRAINT site_branding_feed_length CHECK (feed_length BETWEEN 1 AND 50);
