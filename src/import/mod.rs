//! Imports of whole sites from other systems: WordPress (WXR) and Ghost (JSON) exports, read as
//! streams (`wordpress`), their content converted to post bodies (`convert`).

pub mod index;
pub mod wordpress;
