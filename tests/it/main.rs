//! Integration tests against a real PostgreSQL: one database per test, run in parallel.

mod common;
mod public_pages;
