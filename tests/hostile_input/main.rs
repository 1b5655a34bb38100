//! Hostile input, no database needed: known XSS payloads and generated Markdown/HTML through the
//! post renderer must come out harmless, and every parser of outside input (`Host` headers,
//! forwarding headers and trusted proxy lists, prices, front matter, CSV imports, Markdown,
//! addresses and forms) must refuse garbage without panicking, control characters included.

mod checker;
mod never_panics;
mod xss_properties;
mod xss_table;
