-- Customers' own domains are verified before they are served. A domain an owner adds is
-- `pending` until a DNS TXT record at `_agoat.<domain>` or an HTTP token the product serves at
-- `/.well-known/agoat-verification/<token>` shows that whoever controls the name wants it on this
-- customer's site; it is then `verified` and checked again periodically: a failed check makes it
-- `failing` (still served, for a grace period), and once the grace period has passed `lapsed`
-- (no longer served, nor given certificates) until a check succeeds again. Domains the platform's
-- operators add (and every domain that existed before this change) are verified by the operator
-- and never checked.
--
-- A pending or lapsed claim does not hold the name: several customers may claim the same host,
-- and only one may hold it served (`verified` or `failing`) — so nobody can block a name by
-- claiming it without controlling it.
ALTER TABLE tenancy.domains
    ADD COLUMN state VARCHAR(10) NOT NULL DEFAULT 'verified',
    ADD COLUMN verified_by VARCHAR(10) DEFAULT 'operator',
    ADD COLUMN token VARCHAR(64),
    ADD COLUMN verified_at TIMESTAMPTZ,
    ADD COLUMN checked_at TIMESTAMPTZ,
    ADD COLUMN next_check_at TIMESTAMPTZ,
    ADD COLUMN failing_since TIMESTAMPTZ,
    ADD COLUMN check_error VARCHAR(300);
ALTER TABLE tenancy.domains ALTER COLUMN state DROP DEFAULT;
ALTER TABLE tenancy.domains ALTER COLUMN verified_by DROP DEFAULT;

ALTER TABLE tenancy.domains
    ADD CONSTRAINT domains_state_known CHECK (state IN ('pending', 'verified', 'failing', 'lapsed')),
    ADD CONSTRAINT domains_verified_by_known CHECK (verified_by IN ('operator', 'dns', 'http')),
    ADD CONSTRAINT domains_pending_unverified CHECK ((state = 'pending') = (verified_by IS NULL)),
    ADD CONSTRAINT domains_checked_with_token CHECK (verified_by = 'operator' OR token IS NOT NULL),
    ADD CONSTRAINT domains_primary_not_pending CHECK (NOT (is_primary AND state = 'pending'));

ALTER TABLE tenancy.domains DROP CONSTRAINT domains_pkey;
ALTER TABLE tenancy.domains ADD PRIMARY KEY (customer_id, host);
-- One customer at most holds a name served.
-- The directory is read by public name across customers (a request's Host, a proxy's question,
-- the due checks of every customer): these indexes are led by the host or the due time.
CREATE UNIQUE INDEX domains_served_host ON tenancy.domains (host) WHERE state IN ('verified', 'failing');
CREATE INDEX domains_by_host ON tenancy.domains (host);
CREATE INDEX domains_due ON tenancy.domains (next_check_at) WHERE next_check_at IS NOT NULL;
