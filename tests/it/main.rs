//! Integration tests against a real PostgreSQL: one database per test, run in parallel.

mod admin_login;
mod cli;
mod common;
mod public_pages;
mod routing;
mod schema_rules;
mod tenant_isolation;
mod admin_posts;
mod admin_revisions;
mod preview_links;
mod admin_audit;
mod admin_users;
