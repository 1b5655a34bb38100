//! Imports of whole sites from other systems: WordPress (WXR) and Ghost (JSON) exports, their
//! posts, pages, tags and images; `convert` turns each item's HTML into a Markdown post body.

pub mod convert;
