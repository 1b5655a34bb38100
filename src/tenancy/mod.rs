//! Tenancy: customers (the tenants), their sites, the domain directory that maps a `Host` to a
//! site (and the in-memory set of every host served, `served_hosts`), the verification of
//! owners' own domains (`verification` probes, `domain_checks` schedules), admin users, their
//! invitations and password resets by mail with single-use links (`invitations`,
//! `password_resets`, `account_tokens`), and the typed [`Scope`] that every tenant query takes.

pub mod account_tokens;
pub mod customers;
pub mod directory;
pub mod domain_checks;
pub mod domains;
pub mod host;
mod ids;
pub mod invitations;
pub mod password_resets;
mod scope;
pub mod served_hosts;
pub mod sites;
pub mod users;
pub mod verification;

pub use ids::{CustomerId, SiteId, UserId};
pub use scope::Scope;
