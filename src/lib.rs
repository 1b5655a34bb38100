//! AGoat Publisher: a server-rendered, multi-tenant web CMS.
//!
//! Every request is routed by its `Host` to a site and its customer (`tenancy`), every query runs
//! inside that customer's scope (`db`), and every change is audited (`audit`). Posts live in
//! `content`, the Thorne product catalog in `thorne`, the search of both in `search`, each site's
//! branding in `branding`, the public pages in `web`, the command line in `cli`; which characters
//! outside text may hold in `input`, the address form of tags and categories in `address`; mail
//! leaves through the outbox of `mail`, and secret link tokens are made in `token`. Sites exported
//! from WordPress and Ghost come in through `import`.

pub mod access_log;
pub mod address;
pub mod audit;
pub mod branding;
pub mod cli;
pub mod coalesce;
pub mod config;
pub mod content;
pub mod db;
pub mod error;
pub mod import;
pub mod input;
pub mod mail;
pub mod media;
pub mod memory;
pub mod metrics;
pub mod moving;
pub mod platform;
pub mod search;
pub mod tenancy;
pub mod thorne;
pub mod token;
pub mod web;
