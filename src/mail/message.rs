//! A queued mail as an RFC 5322 message (lettre's builder): `From` the site's name with the
//! configured sender address, the recipient, the subject, a `Message-ID` made from the outbox
//! row's id (the same on every try), and a `multipart/alternative` body of the plain text and the
//! HTML.

use lettre::Message;
use lettre::message::{Mailbox, MultiPart};

use super::outbox::QueuedMail;

/// The configured sender address: `AGOAT_MAIL_FROM`, `Name <address>` or a bare address.
#[derive(Debug, Clone)]
pub struct FromAddress(Mailbox);

/// The sender address when `AGOAT_MAIL_FROM` is not set.
pub const DEFAULT_FROM: &str = "AGoat Publisher <agoat@localhost>";

impl FromAddress {
    /// Reads `Name <address>` or `address`.
    pub fn parse(text: &str) -> Result<FromAddress, String> {
        text.trim()
            .parse::<Mailbox>()
            .map(FromAddress)
            .map_err(|e| {
                format!("AGOAT_MAIL_FROM must be an e-mail address or `Name <address>`: {e}")
            })
    }

    /// `AGOAT_MAIL_FROM`, or [`DEFAULT_FROM`].
    pub fn from_env() -> Result<FromAddress, String> {
        match std::env::var("AGOAT_MAIL_FROM") {
            Ok(text) if !text.trim().is_empty() => FromAddress::parse(&text),
            _ => FromAddress::parse(DEFAULT_FROM),
        }
    }

    /// The address alone.
    pub fn address(&self) -> String {
        self.0.email.to_string()
    }

    /// The mailbox a mail of `name` (a site's name; empty: the configured name) comes from.
    fn with_name(&self, name: &str) -> Mailbox {
        let name = name.trim();
        if name.is_empty() {
            self.0.clone()
        } else {
            Mailbox::new(Some(name.to_owned()), self.0.email.clone())
        }
    }
}

/// Why a mail cannot become a message: nothing a retry would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsendable(pub String);

/// The message of `mail` from `from`.
pub fn build(mail: &QueuedMail, from: &FromAddress) -> Result<Message, Unsendable> {
    let to: Mailbox = mail.to_address.parse().map_err(|e| {
        Unsendable(format!(
            "the address {:?} is not valid: {e}",
            mail.to_address
        ))
    })?;
    Message::builder()
        .from(from.with_name(&mail.from_name))
        .to(to)
        .subject(mail.subject.clone())
        .message_id(Some(format!("<{}@{}>", mail.id, from.0.email.domain())))
        .date(mail.created_at.into())
        .multipart(MultiPart::alternative_plain_html(
            mail.text_body.clone(),
            mail.html_body.clone(),
        ))
        .map_err(|e| Unsendable(format!("the message cannot be built: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use uuid::Uuid;

    fn mail(to: &str) -> QueuedMail {
        QueuedMail {
            customer_id: Uuid::new_v4(),
            id: Uuid::new_v4(),
            kind: "test".into(),
            from_name: "Alpha Blog".into(),
            to_address: to.into(),
            subject: "Grüße".into(),
            text_body: "Plain text".into(),
            html_body: "<p>HTML</p>".into(),
            state: "queued".into(),
            attempts: 0,
            next_attempt_at: Utc::now(),
            claimed_until: None,
            last_error: None,
            created_at: Utc::now(),
            sent_at: None,
        }
    }

    #[test]
    fn a_message_has_both_parts_and_a_stable_id() {
        let from = FromAddress::parse(DEFAULT_FROM).unwrap();
        let queued = mail("reader@example.test");
        let text = String::from_utf8(build(&queued, &from).unwrap().formatted()).unwrap();
        assert!(text.contains("multipart/alternative"), "{text}");
        assert!(
            text.contains("text/plain") && text.contains("text/html"),
            "{text}"
        );
        assert!(
            text.contains(&format!("Message-ID: <{}@localhost>", queued.id)),
            "{text}"
        );
        assert!(
            text.contains("From: \"Alpha Blog\" <agoat@localhost>"),
            "{text}"
        );
        assert!(text.contains("To: reader@example.test"), "{text}");
    }

    #[test]
    fn a_bad_recipient_or_sender_is_refused() {
        let from = FromAddress::parse("agoat@example.test").unwrap();
        assert!(build(&mail("not an address"), &from).is_err());
        assert!(FromAddress::parse("no at sign").is_err());
    }
}
