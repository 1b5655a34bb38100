//! Content: posts of a site, their full revision history and how two revisions compare, shareable
//! preview links, Markdown rendering and sanitising, and importing Markdown files with front
//! matter.

pub mod diff;
pub mod front_matter;
pub mod import;
pub mod markdown;
pub mod posts;
pub mod preview_links;
pub mod revisions;
