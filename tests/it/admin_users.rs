//! Tests of the admin_users area of the admin.
