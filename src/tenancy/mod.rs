//! Tenancy: customers (the tenants), their sites, the domain directory that maps a `Host` to a
//! site, admin users, and the typed [`Scope`] that every tenant query takes.

pub mod customers;
pub mod directory;
pub mod domains;
pub mod host;
mod ids;
mod scope;
pub mod sites;
pub mod users;

pub use ids::{CustomerId, SiteId, UserId};
pub use scope::Scope;
