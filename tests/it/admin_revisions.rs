//! Tests of the admin_revisions area of the admin.
