//! Tests of the csv admin.
