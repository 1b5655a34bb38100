//! Content: posts and pages of a site (and the queries the admin lists them with), their full
//! revision history and how two revisions compare, redirects from old slugs, tags (their address
//! form and what visitors see of them), the site's navigation menus, shareable preview links,
//! Markdown rendering and sanitising, and importing Markdown files with front matter.

pub mod admin_queries;
pub mod diff;
pub mod front_matter;
pub mod import;
pub mod markdown;
pub mod menus;
pub mod old_addresses;
pub mod pages;
pub mod posts;
pub mod preview_links;
pub mod revisions;
pub mod slug_redirects;
pub mod tags;
