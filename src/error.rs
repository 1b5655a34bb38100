//! The one error type of the application and how each kind maps to an HTTP status.
//!
//! Visitors see a friendly page for the status; the cause goes to the log only.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Everything that can go wrong in a unit of work or a request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The thing asked for does not exist in the current scope.
    #[error("not found")]
    NotFound,
    /// The request itself is malformed (400); the text is safe to show.
    #[error("{0}")]
    BadRequest(String),
    /// Input failed validation; the text is safe to show.
    #[error("{0}")]
    Invalid(String),
    /// The signed-in user's role does not allow this (403).
    #[error("forbidden")]
    Forbidden,
    /// The admin needs a signed-in user; carries the path to return to after signing in.
    #[error("sign-in required")]
    SignInRequired(String),
    /// Too many attempts (429, with `Retry-After`); the text is safe to show.
    #[error("{message}")]
    TooManyRequests {
        message: String,
        /// Seconds until a try may succeed.
        retry_after_secs: u64,
    },
    /// The row changed since it was read, or a unique value is taken.
    #[error("{0}")]
    Conflict(String),
    /// The database cannot be reached or keeps refusing the transaction (503).
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// Any other database failure (500; detail in the log only).
    #[error("database error: {0}")]
    Database(DieselError),
    /// Any other failure (500; detail in the log only).
    #[error("{0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

/// Whether a database error message names a failure that rerunning the transaction may avoid:
/// CockroachDB's "restart transaction", a deadlock (40P01) and Citus's distributed deadlock.
fn is_transient(message: &str) -> bool {
    message.contains("restart transaction")
        || message.contains("deadlock detected")
        || message.contains("distributed deadlock")
}

impl AppError {
    /// Whether rerunning the whole transaction may succeed (SQLSTATE 40001 and friends).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            AppError::Database(DieselError::DatabaseError(
                DatabaseErrorKind::SerializationFailure,
                _
            ))
        ) || matches!(self, AppError::Database(DieselError::DatabaseError(_, info)) if is_transient(info.message()))
    }

    /// The name of the unique constraint a write violated, if that is what failed, as the server
    /// reports it (on Citus, a shard's copy: `name_102033`). Citus passes a worker's error on
    /// without its constraint field, so the name is then read from the message.
    pub fn unique_violation(&self) -> Option<&str> {
        match self {
            AppError::Database(DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation,
                info,
            )) => Some(
                info.constraint_name()
                    .or_else(|| constraint_in_message(info.message()))
                    .unwrap_or(""),
            ),
            _ => None,
        }
    }

    /// Whether a write violated the unique constraint `name`, or its copy on a Citus shard
    /// (`name` followed by `_` and the shard id).
    pub fn violates_unique(&self, name: &str) -> bool {
        self.unique_violation().is_some_and(|violated| {
            violated == name
                || violated.strip_prefix(name).is_some_and(|rest| {
                    rest.strip_prefix('_')
                        .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
                })
        })
    }

    /// Whether the connection this error came from may be unusable (lost, or in an unknown
    /// state), so that it must not go back to the pool.
    pub fn may_have_broken_the_connection(&self) -> bool {
        match self {
            AppError::Unavailable(_) => true,
            AppError::Database(DieselError::DatabaseError(kind, _)) => !matches!(
                kind,
                DatabaseErrorKind::SerializationFailure
                    | DatabaseErrorKind::UniqueViolation
                    | DatabaseErrorKind::ForeignKeyViolation
                    | DatabaseErrorKind::NotNullViolation
                    | DatabaseErrorKind::CheckViolation
            ),
            AppError::Database(_) => true,
            _ => false,
        }
    }

    /// Whether a write referenced a row that does not exist (a foreign key failed).
    pub fn is_foreign_key_violation(&self) -> bool {
        matches!(
            self,
            AppError::Database(DieselError::DatabaseError(
                DatabaseErrorKind::ForeignKeyViolation,
                _
            ))
        )
    }
}

impl From<DieselError> for AppError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => AppError::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
                AppError::Unavailable("the database connection closed".into())
            }
            DieselError::DatabaseError(_, info) if connection_lost(info.message()) => {
                AppError::Unavailable(format!(
                    "the database connection was lost: {}",
                    info.message()
                ))
            }
            other => AppError::Database(other),
        }
    }
}

/// Messages of a connection the server ended (shutdown, restart, administrator command) or
/// that broke underneath.
fn connection_lost(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    [
        "terminating connection",
        "server closed the connection",
        "connection closed",
        "connection reset",
        "broken pipe",
        "the database system is shutting down",
        "the database system is starting up",
        "unexpected eof",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

/// The constraint PostgreSQL names in a unique violation's message
/// (`duplicate key value violates unique constraint "name"`).
fn constraint_in_message(message: &str) -> Option<&str> {
    let (_, rest) = message.split_once("unique constraint \"")?;
    rest.split_once('"').map(|(name, _)| name)
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for AppError {
    fn from(error: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        AppError::Unavailable(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::{AppError, is_transient};
    use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind, Error as DieselError};

    /// A unique violation as PostgreSQL reports it (the constraint in its own field), or as
    /// Citus passes on a worker's (only in the message).
    struct Violated {
        constraint: &'static str,
        message: String,
        field: bool,
    }

    impl DatabaseErrorInformation for Violated {
        fn message(&self) -> &str {
            &self.message
        }
        fn details(&self) -> Option<&str> {
            None
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            None
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            self.field.then_some(self.constraint)
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    fn reported(constraint: &'static str, field: bool) -> AppError {
        AppError::Database(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            Box::new(Violated {
                constraint,
                message: format!("duplicate key value violates unique constraint \"{constraint}\""),
                field,
            }),
        ))
    }

    #[test]
    fn a_unique_violation_is_named_on_postgres_and_on_a_citus_shard() {
        for field in [true, false] {
            let violation = |constraint| reported(constraint, field);
            let wanted = "posts_slug_per_site";
            assert!(violation("posts_slug_per_site").violates_unique(wanted));
            assert!(violation("posts_slug_per_site_102033").violates_unique(wanted));
            assert!(!violation("posts_slug_per_site_x").violates_unique(wanted));
            assert!(!violation("posts_slug_per_site_").violates_unique(wanted));
            assert!(!violation("posts_slug").violates_unique(wanted));
        }
        assert!(!AppError::NotFound.violates_unique("posts_slug_per_site"));
    }

    #[test]
    fn deadlocks_and_restarts_are_transient() {
        assert!(is_transient("deadlock detected"));
        assert!(is_transient(
            "canceling the transaction since it was involved in a distributed deadlock"
        ));
        assert!(is_transient(
            "restart transaction: TransactionRetryWithProtoRefreshError"
        ));
        assert!(!is_transient(
            "duplicate key value violates unique constraint"
        ));
    }
}
