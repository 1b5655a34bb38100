//! Tests of the admin_audit area of the admin.
