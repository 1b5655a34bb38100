//! Tests of the bulk admin.
