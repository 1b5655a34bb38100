//! The tenant scope: the customer that a unit of work belongs to.

use super::CustomerId;

/// The customer every tenant query is limited to. Query functions take it and add
/// `customer_id = …` themselves; the transaction helper also sets it for row-level security.
///
/// A scope is obtained from a resolved site (public pages), from the signed-in user's customer
/// (admin), or from an id an operator named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    customer: CustomerId,
}

impl Scope {
    /// The scope of one customer.
    pub const fn of(customer: CustomerId) -> Scope {
        Scope { customer }
    }

    /// The customer this scope is limited to.
    pub const fn customer_id(&self) -> CustomerId {
        self.customer
    }

    /// The customer id as a bare UUID, for binding into queries.
    pub const fn customer_uuid(&self) -> uuid::Uuid {
        self.customer.as_uuid()
    }
}
