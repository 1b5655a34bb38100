//! Where mail leaves: an SMTP server named by `AGOAT_SMTP_URL`, or, without it, one `.eml` file
//! per mail in a folder (`<data folder>/outbox/`).
//!
//! `AGOAT_SMTP_URL` is `smtps://user:password@host:465` (TLS from the start),
//! `smtp://user:password@host:587?tls=required` (STARTTLS, refused if the server does not offer
//! it), or `smtp://host:25` (plain, for a relay on the same machine or network); user name and
//! password are percent-encoded and optional. Certificates are checked against the system's root
//! certificates. The credentials never appear in a log line or an error.
//!
//! A file is written under a temporary name (`.tmp-…`), flushed to disk and renamed into place,
//! so a reader of the folder never sees half a mail.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How long one SMTP exchange may take before it counts as failed (and is retried).
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Where mail goes.
#[derive(Clone)]
pub enum Transport {
    /// An SMTP server.
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// `scheme://host:port`, without credentials.
        description: String,
    },
    /// One `.eml` file per mail in this folder.
    Files(PathBuf),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Why a mail was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Worth another try later (the server is down, busy, or said so with a 4xx).
    Transient(String),
    /// A retry would fail the same way (a 5xx answer: no such mailbox, refused sender…).
    Permanent(String),
}

impl Transport {
    /// `AGOAT_SMTP_URL` if set, else files under `<data_dir>/outbox`.
    pub fn from_env(data_dir: &Path) -> Result<Transport, String> {
        match std::env::var("AGOAT_SMTP_URL") {
            Ok(url) if !url.trim().is_empty() => Transport::smtp(url.trim()),
            _ => Transport::files(data_dir.join("outbox")),
        }
    }

    /// An SMTP server at `url` (see the module documentation).
    pub fn smtp(url: &str) -> Result<Transport, String> {
        let parsed = url::Url::parse(url)
            .map_err(|_| "AGOAT_SMTP_URL is not a URL (smtp://… or smtps://…)".to_owned())?;
        if !matches!(parsed.scheme(), "smtp" | "smtps") {
            return Err(format!(
                "AGOAT_SMTP_URL must start with smtp:// or smtps://, not {}://",
                parsed.scheme()
            ));
        }
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| "AGOAT_SMTP_URL names no host".to_owned())?;
        let description = match parsed.port() {
            Some(port) => format!("{}://{host}:{port}", parsed.scheme()),
            None => format!("{}://{host}", parsed.scheme()),
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("AGOAT_SMTP_URL ({description}) cannot be used: {e}"))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Transport::Smtp {
            transport,
            description,
        })
    }

    /// Files in `folder`, created if missing.
    pub fn files(folder: PathBuf) -> Result<Transport, String> {
        std::fs::create_dir_all(&folder)
            .map_err(|e| format!("cannot create the mail folder {}: {e}", folder.display()))?;
        Ok(Transport::Files(folder))
    }

    /// Where mail goes, for the log (never with credentials).
    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp { description, .. } => format!("SMTP server {description}"),
            Transport::Files(folder) => format!("files in {}", folder.display()),
        }
    }

    /// Sends `message`, the mail `id` of the outbox (which names its file).
    pub async fn send(&self, message: &Message, id: uuid::Uuid) -> Result<(), SendError> {
        match self {
            Transport::Smtp { transport, .. } => match transport.send(message.clone()).await {
                Ok(_) => Ok(()),
                Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
                Err(e) => Err(SendError::Transient(e.to_string())),
            },
            Transport::Files(folder) => {
                let folder = folder.clone();
                let bytes = message.formatted();
                tokio::task::spawn_blocking(move || write_file(&folder, id, &bytes))
                    .await
                    .map_err(|e| SendError::Transient(format!("the writer stopped: {e}")))?
                    .map_err(|e| SendError::Transient(e.to_string()))
            }
        }
    }
}

/// Writes `<folder>/<id>.eml` through a temporary file, flushed and renamed.
fn write_file(folder: &Path, id: uuid::Uuid, bytes: &[u8]) -> std::io::Result<()> {
    let temp = folder.join(format!(".tmp-{id}-{}", uuid::Uuid::new_v4().simple()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, folder.join(format!("{id}.eml")))?;
        std::fs::File::open(folder)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_are_checked_and_described_without_credentials() {
        let t = Transport::smtp("smtp://user:secret@mail.example.test:587?tls=required").unwrap();
        assert_eq!(t.describe(), "SMTP server smtp://mail.example.test:587");
        assert!(!format!("{t:?}").contains("secret"));
        let t = Transport::smtps_for_test();
        assert_eq!(t.describe(), "SMTP server smtps://mail.example.test");
        assert!(Transport::smtp("http://mail.example.test").is_err());
        assert!(Transport::smtp("not a url").is_err());
        assert!(Transport::smtp("smtp://:25").is_err());
    }

    impl Transport {
        fn smtps_for_test() -> Transport {
            Transport::smtp("smtps://mail.example.test").unwrap()
        }
    }

    #[tokio::test]
    async fn a_file_is_written_whole_under_its_id() {
        let dir = tempfile::tempdir().unwrap();
        let t = Transport::files(dir.path().join("outbox")).unwrap();
        let message = Message::builder()
            .from("a@example.test".parse().unwrap())
            .to("b@example.test".parse().unwrap())
            .subject("Hello")
            .body(String::from("Body"))
            .unwrap();
        let id = uuid::Uuid::new_v4();
        t.send(&message, id).await.unwrap();
        let names: Vec<String> = std::fs::read_dir(dir.path().join("outbox"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec![format!("{id}.eml")]);
        let text =
            std::fs::read_to_string(dir.path().join("outbox").join(format!("{id}.eml"))).unwrap();
        assert!(
            text.contains("Subject: Hello") && text.ends_with("Body"),
            "{text}"
        );
    }
}
