-- Only names that are served keep their place in the directory (pending and lapsed claims go).
DELETE FROM tenancy.domains WHERE state NOT IN ('verified', 'failing');
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
