//! Integration tests against a real PostgreSQL: one database per test, run in parallel.

mod admin_audit;
mod admin_bulk;
mod admin_csv;
mod admin_errors;
mod admin_login;
mod admin_posts;
mod admin_products;
mod admin_revisions;
mod admin_settings;
mod admin_users;
mod cli;
mod cli_users;
mod common;
mod limits;
mod outage;
mod page_cache;
mod preview_links;
mod pricing;
mod public_pages;
mod route_matrix;
mod routing;
mod schema_rules;
mod security_headers;
mod serialization;
mod tenant_isolation;
mod two_servers;
