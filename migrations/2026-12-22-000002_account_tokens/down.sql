ALTER TABLE tenancy.users DROP COLUMN invitation_pending;
DROP TABLE tenancy.account_tokens;
