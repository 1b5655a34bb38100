//! Newtype ids, so that a customer id cannot be passed where a site id is meant.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh random (v4) id, made in Rust so a retried transaction inserts the same row.
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }

            /// Wraps an id read from the database or the command line.
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            /// The bare UUID, for binding into queries.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(text.trim()).map(Self)
            }
        }
    };
}

id_type!(
    /// Identifies a customer (a tenant).
    CustomerId
);
id_type!(
    /// Identifies a site of a customer.
    SiteId
);
id_type!(
    /// Identifies an admin user of a customer.
    UserId
);
