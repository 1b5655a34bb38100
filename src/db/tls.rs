//! Opening one connection to PostgreSQL, with TLS as the connection string's `sslmode` asks, in
//! libpq's words:
//!
//! | `sslmode` | connection |
//! |---|---|
//! | absent, `disable`, `allow`, `prefer` | plain, no TLS |
//! | `require` | TLS; the certificate is not checked — unless a CA file is configured, then as `verify-ca` |
//! | `verify-ca` | TLS; the certificate must chain to a trusted root, its host name is not checked |
//! | `verify-full` | TLS; the certificate must chain to a trusted root and name the host connected to |
//!
//! The trusted roots are the CA file named by `sslrootcert=` in the connection string, else the
//! one `AGOAT_DB_CA_FILE` names, else the system's root store (`sslrootcert=system` asks for the
//! system's store explicitly and, as in libpq, only goes with `verify-full`). The host name
//! checked is `host` (also when `hostaddr` gives the address). Connections over a Unix socket are
//! never encrypted, whatever the mode, as in libpq. `prefer` stays plain: a server that offers TLS
//! is not used with it; ask for `require` or stronger to get TLS.
//!
//! A certificate that fails the check refuses the connection; the error says why (unknown issuer,
//! expired, not valid for the host name, …), which mode asked for it and which roots were trusted.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use diesel::{ConnectionError, ConnectionResult};
use diesel_async::AsyncPgConnection;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres::config::Host;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect, TlsStream};
use tokio_postgres::{Config, NoTls, Socket};
use tokio_postgres_rustls::MakeRustlsConnect;

/// Environment variable naming a PEM file of the CA certificates the database server's
/// certificate must chain to.
pub const CA_FILE_ENV: &str = "AGOAT_DB_CA_FILE";

/// libpq's `sslmode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    const ALL: [SslMode; 6] = [
        SslMode::Disable,
        SslMode::Allow,
        SslMode::Prefer,
        SslMode::Require,
        SslMode::VerifyCa,
        SslMode::VerifyFull,
    ];

    /// The name used in connection strings.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

impl FromStr for SslMode {
    type Err = String;

    fn from_str(text: &str) -> Result<SslMode, String> {
        SslMode::ALL
            .into_iter()
            .find(|mode| mode.as_str() == text)
            .ok_or_else(|| {
                format!(
                    "sslmode must be one of disable, allow, prefer, require, verify-ca, \
                     verify-full, not {text:?}"
                )
            })
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the trusted root certificates come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Roots {
    /// The operating system's root store.
    System,
    /// A PEM file of CA certificates.
    File(PathBuf),
}

impl fmt::Display for Roots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Roots::System => f.write_str("the system's root certificates"),
            Roots::File(path) => write!(f, "the CA file {}", path.display()),
        }
    }
}

/// What a connection does about TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Security {
    /// No TLS.
    Plain,
    /// TLS, any certificate accepted.
    Encrypted,
    /// TLS, the certificate must chain to `Roots`; any host name.
    VerifyChain(Roots),
    /// TLS, the certificate must chain to `Roots` and name the host.
    VerifyFull(Roots),
}

/// A connection string read for TLS: what tokio-postgres is given (without the parameters it does
/// not know) and what is done about TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsTarget {
    /// The connection string without `sslmode` and `sslrootcert`.
    pub connection_string: String,
    /// The mode asked for (`prefer` when absent, as in libpq).
    pub mode: SslMode,
    /// What the connection does about TLS.
    pub security: Security,
}

impl TlsTarget {
    /// Reads `sslmode` and `sslrootcert` from `url` (URL form `postgres://…?sslmode=…` or
    /// key-value form `host=… sslmode=…`); `ca_file` applies when `sslrootcert` is absent.
    pub fn parse(url: &str, ca_file: Option<&Path>) -> Result<TlsTarget, String> {
        let split = split_tls_parameters(url)?;
        let root_cert = split.sslrootcert.filter(|value| !value.is_empty());
        let roots = match root_cert.as_deref() {
            Some("system") => Some(Roots::System),
            Some(path) => Some(Roots::File(PathBuf::from(path))),
            None => ca_file.map(|path| Roots::File(path.to_path_buf())),
        };
        let asked = split
            .sslmode
            .filter(|value| !value.is_empty())
            .map(|value| value.parse::<SslMode>())
            .transpose()?;
        let mode = match (asked, &roots) {
            (None, Some(Roots::System)) => SslMode::VerifyFull,
            (Some(mode), Some(Roots::System)) if mode != SslMode::VerifyFull => {
                return Err(format!(
                    "sslrootcert=system only goes with sslmode=verify-full, not sslmode={mode}"
                ));
            }
            (asked, _) => asked.unwrap_or(SslMode::Prefer),
        };
        let security = match mode {
            SslMode::Disable | SslMode::Allow | SslMode::Prefer => Security::Plain,
            SslMode::Require => roots.map_or(Security::Encrypted, Security::VerifyChain),
            SslMode::VerifyCa => Security::VerifyChain(roots.unwrap_or(Roots::System)),
            SslMode::VerifyFull => Security::VerifyFull(roots.unwrap_or(Roots::System)),
        };
        Ok(TlsTarget {
            connection_string: split.rest,
            mode,
            security,
        })
    }
}

/// Opens a connection as `url` asks, with the CA file from `AGOAT_DB_CA_FILE` when set.
pub async fn connect(url: &str) -> ConnectionResult<AsyncPgConnection> {
    let ca_file = std::env::var_os(CA_FILE_ENV)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from);
    connect_with_ca_file(url, ca_file.as_deref()).await
}

/// Opens a connection as `url` asks; `ca_file` gives the trusted roots when the URL has no
/// `sslrootcert`.
pub async fn connect_with_ca_file(
    url: &str,
    ca_file: Option<&Path>,
) -> ConnectionResult<AsyncPgConnection> {
    let target = TlsTarget::parse(url, ca_file).map_err(ConnectionError::InvalidConnectionUrl)?;
    let mut config = Config::from_str(&target.connection_string)
        .map_err(|e| ConnectionError::InvalidConnectionUrl(e.to_string()))?;
    let security = if only_unix_sockets(&config) {
        Security::Plain
    } else {
        target.security.clone()
    };
    if security == Security::Plain {
        config.ssl_mode(tokio_postgres::config::SslMode::Disable);
        return establish(&config, NoTls).await;
    }
    config.ssl_mode(tokio_postgres::config::SslMode::Require);
    let tls = MakeRustlsConnect::new(client_config(&security)?);
    establish(&config, tls).await.map_err(|error| {
        ConnectionError::BadConnection(format!(
            "{} (sslmode={}, {})",
            describe(&error),
            target.mode,
            trust_note(&security)
        ))
    })
}

async fn establish<T>(config: &Config, tls: T) -> ConnectionResult<AsyncPgConnection>
where
    T: MakeTlsConnect<Socket>,
    T::Stream: TlsStream + Unpin + Send + 'static,
    T::TlsConnect: Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    let (client, connection) = config
        .connect(tls)
        .await
        .map_err(|e| ConnectionError::BadConnection(with_causes(&e)))?;
    AsyncPgConnection::try_from_client_and_connection(client, connection).await
}

/// `error` and each of its causes (tokio-postgres names only the kind of failure itself).
fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let inner_text = inner.to_string();
        if !text.contains(&inner_text) {
            text.push_str(": ");
            text.push_str(&inner_text);
        }
        if let Some(words) = certificate_problem(inner) {
            text.push_str(": ");
            text.push_str(words);
        }
        cause = inner.source();
    }
    text
}

/// Plain words for the certificate failures whose rustls names say little by themselves.
fn certificate_problem(error: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    let tls_error = error.downcast_ref::<rustls::Error>().or_else(|| {
        error
            .downcast_ref::<std::io::Error>()?
            .get_ref()?
            .downcast_ref::<rustls::Error>()
    })?;
    let rustls::Error::InvalidCertificate(problem) = tls_error else {
        return None;
    };
    Some(match problem {
        CertificateError::UnknownIssuer => {
            "the server's certificate is not signed by a trusted certificate authority"
        }
        CertificateError::Expired => "the server's certificate has expired",
        CertificateError::NotValidYet => "the server's certificate is not valid yet",
        CertificateError::Revoked => "the server's certificate has been revoked",
        CertificateError::BadSignature => "the server's certificate has an invalid signature",
        _ => return None,
    })
}

fn describe(error: &ConnectionError) -> String {
    match error {
        ConnectionError::BadConnection(text) | ConnectionError::InvalidConnectionUrl(text) => {
            text.clone()
        }
        other => other.to_string(),
    }
}

fn trust_note(security: &Security) -> String {
    match security {
        Security::Plain => "no TLS".to_owned(),
        Security::Encrypted => "certificate not checked".to_owned(),
        Security::VerifyChain(roots) => format!("certificate checked against {roots}"),
        Security::VerifyFull(roots) => {
            format!("certificate and host name checked against {roots}")
        }
    }
}

/// Whether every host is a Unix socket folder (libpq never uses TLS there).
fn only_unix_sockets(config: &Config) -> bool {
    config.get_hostaddrs().is_empty()
        && !config.get_hosts().is_empty()
        && config
            .get_hosts()
            .iter()
            .all(|host| !matches!(host, Host::Tcp(_)))
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn client_config(security: &Security) -> ConnectionResult<ClientConfig> {
    let provider = provider();
    let algorithms = provider.signature_verification_algorithms;
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConnectionError::BadConnection(format!("TLS set-up failed: {e}")))?;
    let config = match security {
        Security::VerifyFull(roots) => builder.with_root_certificates(root_store(roots)?),
        Security::VerifyChain(roots) => {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(CertificateCheck {
                    roots: Some(root_store(roots)?),
                    algorithms,
                }))
        }
        Security::Encrypted | Security::Plain => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(CertificateCheck {
                roots: None,
                algorithms,
            })),
    };
    Ok(config.with_no_client_auth())
}

fn root_store(roots: &Roots) -> ConnectionResult<Arc<RootCertStore>> {
    match roots {
        Roots::System => system_roots(),
        Roots::File(path) => file_roots(path),
    }
    .map_err(ConnectionError::BadConnection)
}

/// The system's root store, loaded once.
fn system_roots() -> Result<Arc<RootCertStore>, String> {
    static LOADED: Mutex<Option<Arc<RootCertStore>>> = Mutex::new(None);
    let mut loaded = LOADED.lock().unwrap_or_else(|poison| poison.into_inner());
    if let Some(store) = loaded.as_ref() {
        return Ok(Arc::clone(store));
    }
    let found = rustls_native_certs::load_native_certs();
    let mut store = RootCertStore::empty();
    store.add_parsable_certificates(found.certs);
    if store.is_empty() {
        let reasons: Vec<String> = found.errors.iter().map(ToString::to_string).collect();
        return Err(format!(
            "no trusted root certificates found in the system's store ({}): set {CA_FILE_ENV} \
             or sslrootcert",
            if reasons.is_empty() {
                "it is empty".to_owned()
            } else {
                reasons.join("; ")
            }
        ));
    }
    let store = Arc::new(store);
    *loaded = Some(Arc::clone(&store));
    Ok(store)
}

/// The CA certificates of a PEM file, read on every connection so a replaced file takes effect.
fn file_roots(path: &Path) -> Result<Arc<RootCertStore>, String> {
    let cannot = |reason: String| format!("cannot use the CA file {}: {reason}", path.display());
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(|e| cannot(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cannot(e.to_string()))?;
    if certificates.is_empty() {
        return Err(cannot("it holds no PEM certificate".to_owned()));
    }
    let mut store = RootCertStore::empty();
    for certificate in certificates {
        store.add(certificate).map_err(|e| cannot(e.to_string()))?;
    }
    Ok(Arc::new(store))
}

/// The certificate check of `require` (none) and `verify-ca` (the chain, not the name). The
/// handshake signatures are always verified.
#[derive(Debug)]
struct CertificateCheck {
    roots: Option<Arc<RootCertStore>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for CertificateCheck {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(roots) = &self.roots {
            let certificate = ParsedCertificate::try_from(end_entity)?;
            rustls::client::verify_server_cert_signed_by_trust_anchor(
                &certificate,
                roots,
                intermediates,
                now,
                self.algorithms.all,
            )?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// A connection string split into the TLS parameters tokio-postgres does not understand and the
/// rest.
#[derive(Debug, Default, PartialEq, Eq)]
struct Split {
    rest: String,
    sslmode: Option<String>,
    sslrootcert: Option<String>,
}

impl Split {
    /// Takes `key`'s value if it is one of ours; whether it was.
    fn take(&mut self, key: &str, value: String) -> bool {
        match key {
            "sslmode" => self.sslmode = Some(value),
            "sslrootcert" => self.sslrootcert = Some(value),
            _ => return false,
        }
        true
    }
}

fn split_tls_parameters(url: &str) -> Result<Split, String> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        split_url(url)
    } else {
        Ok(split_key_value(url))
    }
}

/// URL form: the query parameters after the credentials (whose password may hold a `?`).
fn split_url(url: &str) -> Result<Split, String> {
    let mut split = Split::default();
    let query_from = url.find('@').map_or(0, |at| at + 1);
    let Some(question) = url[query_from..].find('?').map(|i| i + query_from) else {
        split.rest = url.to_owned();
        return Ok(split);
    };
    let mut kept = Vec::new();
    for pair in url[question + 1..].split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decoded(key)?;
        if !split.take(&key, percent_decoded(value)?) {
            kept.push(pair);
        }
    }
    split.rest = url[..question].to_owned();
    if !kept.is_empty() {
        split.rest.push('?');
        split.rest.push_str(&kept.join("&"));
    }
    Ok(split)
}

pub(super) fn percent_decoded(text: &str) -> Result<String, String> {
    urlencoding::decode(text)
        .map(|decoded| decoded.into_owned())
        .map_err(|_| format!("the connection URL part {text:?} is not valid UTF-8"))
}

/// Key-value form: `key=value` pairs separated by white space; values may be single-quoted, and a
/// backslash escapes the next character. Anything unreadable is left for tokio-postgres to report.
fn split_key_value(text: &str) -> Split {
    let mut split = Split::default();
    let mut kept = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let Some((key, value, length)) = next_key_value(rest) else {
            kept.push(rest);
            break;
        };
        if !split.take(key, value) {
            kept.push(&rest[..length]);
        }
        rest = rest[length..].trim_start();
    }
    split.rest = kept.join(" ");
    split
}

/// The first `key=value` of `text`: the key, the unescaped value, and how many bytes it spans.
pub(super) fn next_key_value(text: &str) -> Option<(&str, String, usize)> {
    let key_end = text.find(|c: char| c.is_whitespace() || c == '=')?;
    let key = &text[..key_end];
    let after_key = &text[key_end..];
    let after_equals = after_key.trim_start().strip_prefix('=')?;
    let value_text = after_equals.trim_start();
    let value_start = text.len() - value_text.len();
    let (value, value_length) = read_value(value_text)?;
    (!key.is_empty()).then_some((key, value, value_start + value_length))
}

/// A value, quoted or plain, and how many bytes of `text` it spans.
fn read_value(text: &str) -> Option<(String, usize)> {
    let quoted = text.starts_with('\'');
    let mut value = String::new();
    let mut chars = text.char_indices().skip(usize::from(quoted));
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => value.extend(chars.next().map(|(_, escaped)| escaped)),
            '\'' if quoted => return Some((value, at + 1)),
            c if c.is_whitespace() && !quoted => return Some((value, at)),
            c => value.push(c),
        }
    }
    (!quoted && !value.is_empty()).then_some((value, text.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> TlsTarget {
        TlsTarget::parse(url, None).expect("parses")
    }

    #[test]
    fn url_form_modes() {
        let t = target("postgres://u:p@db.example:5432/app?sslmode=verify-full&application_name=x");
        assert_eq!(t.mode, SslMode::VerifyFull);
        assert_eq!(t.security, Security::VerifyFull(Roots::System));
        assert_eq!(
            t.connection_string,
            "postgres://u:p@db.example:5432/app?application_name=x"
        );

        let t = target("postgresql://db.example/app?sslmode=verify-ca");
        assert_eq!(t.security, Security::VerifyChain(Roots::System));
        assert_eq!(t.connection_string, "postgresql://db.example/app");

        let t = target("postgres://db.example/app?sslmode=require");
        assert_eq!(t.security, Security::Encrypted);

        for plain in ["disable", "allow", "prefer"] {
            let t = target(&format!("postgres://db.example/app?sslmode={plain}"));
            assert_eq!(t.security, Security::Plain, "{plain}");
        }
        let t = target("postgres://db.example/app");
        assert_eq!((t.mode, t.security), (SslMode::Prefer, Security::Plain));
        assert_eq!(t.connection_string, "postgres://db.example/app");
    }

    #[test]
    fn url_form_root_certificates() {
        let t = target("postgres://db.example/app?sslrootcert=%2Fetc%2Fca.pem&sslmode=verify-full");
        assert_eq!(
            t.security,
            Security::VerifyFull(Roots::File("/etc/ca.pem".into()))
        );
        assert_eq!(t.connection_string, "postgres://db.example/app");

        // A CA file turns `require` into a chain check, as in libpq.
        let t = target("postgres://db.example/app?sslmode=require&sslrootcert=/ca.pem");
        assert_eq!(
            t.security,
            Security::VerifyChain(Roots::File("/ca.pem".into()))
        );

        let t = target("postgres://db.example/app?sslrootcert=system");
        assert_eq!(t.mode, SslMode::VerifyFull);
        assert_eq!(t.security, Security::VerifyFull(Roots::System));
        assert!(
            TlsTarget::parse("postgres://h/app?sslrootcert=system&sslmode=require", None)
                .unwrap_err()
                .contains("verify-full")
        );
    }

    #[test]
    fn ca_file_applies_unless_the_url_names_one() {
        let env = Path::new("/env/ca.pem");
        let t = TlsTarget::parse("postgres://h/app?sslmode=verify-full", Some(env)).unwrap();
        assert_eq!(t.security, Security::VerifyFull(Roots::File(env.into())));
        let t = TlsTarget::parse(
            "postgres://h/app?sslmode=verify-full&sslrootcert=/url.pem",
            Some(env),
        )
        .unwrap();
        assert_eq!(
            t.security,
            Security::VerifyFull(Roots::File("/url.pem".into()))
        );
        let t = TlsTarget::parse("postgres://h/app?sslmode=disable", Some(env)).unwrap();
        assert_eq!(t.security, Security::Plain);
    }

    #[test]
    fn password_with_question_mark_is_kept() {
        let t = target("postgres://u:pa?ss@h/app?sslmode=require");
        assert_eq!(t.connection_string, "postgres://u:pa?ss@h/app");
        assert_eq!(t.mode, SslMode::Require);
    }

    #[test]
    fn key_value_form() {
        let t = target("host=db.example  sslmode=verify-full user=agoat dbname='my app'");
        assert_eq!(t.security, Security::VerifyFull(Roots::System));
        assert_eq!(
            t.connection_string,
            "host=db.example user=agoat dbname='my app'"
        );

        let t = target("host=h sslrootcert = '/path with space/ca.pem' sslmode = 'verify-ca'");
        assert_eq!(
            t.security,
            Security::VerifyChain(Roots::File("/path with space/ca.pem".into()))
        );
        assert_eq!(t.connection_string, "host=h");

        let t = target(r"host=h password=a\ b sslmode=require");
        assert_eq!(t.connection_string, r"host=h password=a\ b");
        assert_eq!(t.security, Security::Encrypted);

        let t = target("host=/run/postgresql user=agoat");
        assert_eq!(t.security, Security::Plain);
        assert_eq!(t.connection_string, "host=/run/postgresql user=agoat");
    }

    #[test]
    fn unknown_modes_are_refused() {
        let error = TlsTarget::parse("host=h sslmode=verify", None).unwrap_err();
        assert!(
            error.contains("verify-full") && error.contains("\"verify\""),
            "{error}"
        );
        let error = TlsTarget::parse("postgres://h/app?sslmode=strict", None).unwrap_err();
        assert!(error.contains("\"strict\""), "{error}");
    }

    #[test]
    fn unix_sockets_stay_plain() {
        let config = Config::from_str("host=/run/postgresql user=agoat").unwrap();
        assert!(only_unix_sockets(&config));
        let config = Config::from_str("host=localhost user=agoat").unwrap();
        assert!(!only_unix_sockets(&config));
        let config = Config::from_str("host=/run/postgresql hostaddr=127.0.0.1").unwrap();
        assert!(!only_unix_sockets(&config));
    }

    #[test]
    fn unreadable_ca_file_is_named() {
        let error = file_roots(Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert!(error.contains("/nonexistent/ca.pem"), "{error}");
    }
}
