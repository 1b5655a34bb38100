//! Content: posts of a site, their full revision history, Markdown rendering and sanitising, and
//! importing Markdown files with front matter.

pub mod admin_queries;
pub mod front_matter;
pub mod import;
pub mod markdown;
pub mod posts;
pub mod revisions;
pub mod slug_redirects;
