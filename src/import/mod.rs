//! Imports of whole sites from other systems: WordPress (WXR) and Ghost (JSON) exports, their
//! posts, pages, tags and images. `wordpress` reads a WXR file as a stream and `ghost` a Ghost
//! export; `index` is the first pass over an export (what comes across, as what, at which new and
//! old addresses); `convert` turns each item's HTML into a Markdown post body; `apply` writes it
//! all in one transaction.

pub mod apply;
pub mod convert;
pub mod ghost;
pub mod index;
pub mod wordpress;
