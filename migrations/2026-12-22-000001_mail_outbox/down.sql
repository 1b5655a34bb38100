DROP TABLE tenancy.mail_outbox;
