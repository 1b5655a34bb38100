-- The mail outbox: every mail is a row written in the same transaction as the change that causes
-- it (an invitation, a password reset), so a rolled-back change sends nothing and a committed one
-- is never lost. A sender in every app server claims due rows for a while (claimed_until, with
-- FOR UPDATE SKIP LOCKED, so two servers never send one mail at once), sends them after the
-- commit, and records the outcome: sent, a retry at a later time with exponential backoff, or
-- failed after the last try. The bodies of a mail are erased once it is sent or has failed: they
-- may carry a single-use link.
CREATE TABLE tenancy.mail_outbox (
    customer_id UUID NOT NULL REFERENCES tenancy.customers (id),
    id UUID NOT NULL,
    kind VARCHAR(40) NOT NULL,
    from_name VARCHAR(200) NOT NULL,
    to_address VARCHAR(320) NOT NULL,
    subject VARCHAR(300) NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    state VARCHAR(10) NOT NULL DEFAULT 'queued',
    attempts INT4 NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    claim_id UUID NULL,
    claimed_until TIMESTAMPTZ NULL,
    last_error TEXT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ NULL,
    PRIMARY KEY (customer_id, id),
    CONSTRAINT mail_outbox_state CHECK (state IN ('queued', 'sent', 'failed'))
);
-- The queued mails of a customer by when they are due; only queued rows are in it.
CREATE INDEX mail_outbox_due ON tenancy.mail_outbox (customer_id, next_attempt_at)
    WHERE state = 'queued';
CREATE INDEX mail_outbox_by_time ON tenancy.mail_outbox (customer_id, created_at DESC);

ALTER TABLE tenancy.mail_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenancy.mail_outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenancy.mail_outbox
    USING (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID)
    WITH CHECK (customer_id = NULLIF(current_setting('app.customer_id', true), '')::UUID);
-- The sender finds which customers have mail due by reading across customers, in a read-only
-- transaction with no customer set and app.mail_sender on (src/db/mod.rs, `outbox_scan`, the
-- one place that sets it); it then claims, sends and records each customer's mails in that
-- customer's own transactions, under the policy above.
CREATE POLICY sender_scan ON tenancy.mail_outbox FOR SELECT
    USING (NULLIF(current_setting('app.customer_id', true), '') IS NULL
           AND current_setting('app.mail_sender', true) = 'on');

GRANT SELECT, INSERT, UPDATE ON tenancy.mail_outbox TO agoat_app;
