//! Authentication for the admin: signed-in sessions (signed and encrypted cookies with idle and
//! absolute timeouts and a per-user generation that sign-out and password changes bump), the
//! `CurrentUser` extractor with role checks, CSRF tokens, and sign-in throttling.

pub mod csrf;
pub mod current_user;
pub mod session;
pub mod throttle;

pub use current_user::CurrentUser;
