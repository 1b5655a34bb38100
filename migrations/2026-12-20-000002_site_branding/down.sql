DROP TABLE tenancy.site_branding;
