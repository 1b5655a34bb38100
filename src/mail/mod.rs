//! Mail: what the product sends (invitations, password reset links) and how it leaves.
//!
//! A mail is a row of `tenancy.mail_outbox`, written by [`outbox::queue`] in the same transaction
//! as the change that causes it: a rolled-back change sends nothing, and a committed one is never
//! lost, whatever happens to the server after the commit. The [`sender`] of every app server
//! claims due mails for a while (so two servers never send one mail at once), sends them through
//! the [`transport`] (SMTP, or `.eml` files in a folder), and records the outcome: sent, a retry
//! with exponential backoff, or failed after the last try. Each mail has a plain-text and an HTML
//! part, rendered from the askama templates under `templates/mail/` ([`templates`]), and is built
//! into an RFC 5322 message by [`message`].
//!
//! A server wakes its sender right after a commit that queued mail ([`Mailer::wake`]) and the
//! sender also looks for due mail every few seconds: mail queued by another server, a retry that
//! has come due, or a mail whose sender died while holding it.

pub mod message;
pub mod outbox;
pub mod sender;
pub mod templates;
pub mod transport;

use std::sync::Arc;

use tokio::sync::Notify;

/// Wakes this server's sender: handlers call [`Mailer::wake`] after a transaction that queued
/// mail has committed. Cloning shares the same sender.
#[derive(Debug, Clone, Default)]
pub struct Mailer {
    notify: Arc<Notify>,
}

impl Mailer {
    /// A handle with no sender yet (one started later with [`sender::Sender::spawn`] listens).
    pub fn new() -> Mailer {
        Mailer::default()
    }

    /// Tells the sender that mail may be due now. Cheap; a wake with nobody listening is kept
    /// for the next wait.
    pub fn wake(&self) {
        self.notify.notify_one();
    }

    /// Waits until [`Mailer::wake`] is called (or was called since the last wait).
    pub async fn woken(&self) {
        self.notify.notified().await;
    }
}
