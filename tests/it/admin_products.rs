//! Tests of the products admin.
