-- Keyed by host again: this fails, changing nothing, while two customers claim one name (remove
-- the pending and lapsed claims through the product first); claims that are not served would
-- come back served, so remove those too before reverting.
DROP INDEX tenancy.domains_due;
DROP INDEX tenancy.domains_by_host;
DROP INDEX tenancy.domains_served_host;
ALTER TABLE tenancy.domains DROP CONSTRAINT domains_pkey;
ALTER TABLE tenancy.domains ADD PRIMARY KEY (host);
ALTER TABLE tenancy.domains
    DROP CONSTRAINT domains_primary_not_pending,
    DROP CONSTRAINT domains_checked_with_token,
    DROP CONSTRAINT domains_pending_unverified,
    DROP CONSTRAINT domains_verified_by_known,
    DROP CONSTRAINT domains_state_known,
    DROP COLUMN check_error,
    DROP COLUMN failing_since,
    DROP COLUMN next_check_at,
    DROP COLUMN checked_at,
    DROP COLUMN verified_at,
    DROP COLUMN token,
    DROP COLUMN verified_by,
    DROP COLUMN state;
