-- Single-use links that let a person set a user's password: an invitation (an owner invited the
-- address with a role; valid 48 hours) or a password reset (asked for on the site's sign-in
-- page; valid 1 hour). The link's token is 32 random bytes; only its SHA-256 is stored, so the
-- table cannot be used to rebuild a link. A token is used once: used_at is set in the same
-- transaction as the password.
CREATE TABLE tenancy.account_tokens (
    customer_id UUID NOT NULL,
    id UUID NOT NULL,
    user_id UUID NOT NULL,
    purpose VARCHAR(20) NOT NULL,
    token_hash VARCHAR(64) NOT NULL,
    created_by UUID NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ NULL,
    PRIMARY KEY (customer_id, id),
    FOREIGN KEY (customer_id, user_id) REFERENCES tenancy.users (customer_id, id) ON DELETE CASCADE,
    CONSTRAINT account_tokens_token_per_customer UNIQUE (customer_id, token_hash),
    CONSTRAINT account_tokens_purpose CHECK (purpose IN ('invitation', 'password_reset'))
);
CREATE INDEX account_tokens_by_user ON tenancy.account_tokens (customer_id, user_id, created_at DESC);

-- A user invited by e-mail who has not chosen a password yet: they cannot sign in (their stored
-- hash matches no password) until they follow the invitation's link.
ALTER TABLE tenancy.users ADD COLUMN invitation_pending BOOLEAN NOT NULL DEFAULT false;

ALTER TABLE tenancy.account_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenancy.account_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenancy.account_tokens
    USING (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);

GRANT SELECT, INSERT, UPDATE ON tenancy.account_tokens TO agoat_app;
