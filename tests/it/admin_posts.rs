//! Tests of the admin_posts area of the admin.
