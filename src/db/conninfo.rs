//! Connection strings, in both of libpq's forms (`postgres://…` URLs and `key=value` pairs):
//! quoting a value, and the same connection string with another login (user and password), which
//! is how the serving connection string is made from the owner's.

use super::tls::{next_key_value, percent_decoded};

/// The parameters that name the login; replaced as a whole by [`with_login`].
const LOGIN_KEYS: [&str; 2] = ["user", "password"];

/// `url` with its user replaced by `user` and its password by `password` (or none); everything
/// else — hosts, database, TLS and other parameters — is kept as it was.
pub fn with_login(url: &str, user: &str, password: Option<&str>) -> String {
    match url_scheme_end(url) {
        Some(after_scheme) => url_with_login(url, after_scheme, user, password),
        None => key_value_with_login(url, user, password),
    }
}

/// The user and password a connection string logs in with.
pub fn login_of(url: &str) -> Result<(String, Option<String>), crate::error::AppError> {
    let config = parse(url)?;
    let user = config.get_user().unwrap_or_default().to_owned();
    let password = config
        .get_password()
        .map(|p| String::from_utf8_lossy(p).into_owned());
    Ok((user, password))
}

/// `host:port/database` of a connection string, for logs and metrics (never a password).
pub fn label_of(url: &str) -> String {
    let Ok(config) = parse(url) else {
        return "(unreadable connection string)".to_owned();
    };
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
        Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let database = config.get_dbname().unwrap_or_default();
    format!("{host}:{port}/{database}")
}

fn parse(url: &str) -> Result<tokio_postgres::Config, crate::error::AppError> {
    url.parse::<tokio_postgres::Config>()
        .map_err(|e| crate::error::AppError::Invalid(format!("not a connection string: {e}")))
}

/// Quotes a `key=value` connection-string value when it needs it (white space, quotes,
/// backslashes, or nothing at all).
pub fn quote_value(value: &str) -> String {
    let plain = !value.is_empty()
        && !value
            .chars()
            .any(|c| c.is_whitespace() || c == '\'' || c == '\\');
    if plain {
        return value.to_owned();
    }
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('\'');
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('\'');
    quoted
}

/// Where the part after `postgres://` or `postgresql://` starts, for the URL form.
fn url_scheme_end(url: &str) -> Option<usize> {
    ["postgres://", "postgresql://"]
        .into_iter()
        .find(|scheme| url.starts_with(scheme))
        .map(str::len)
}

/// URL form: the credentials run up to the first `@` (as tokio-postgres reads them); `user` and
/// `password` query parameters are dropped too, since they would override the credentials.
fn url_with_login(url: &str, after_scheme: usize, user: &str, password: Option<&str>) -> String {
    let rest = &url[after_scheme..];
    let rest = rest.find('@').map_or(rest, |at| &rest[at + 1..]);
    let (address, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut login = urlencoding::encode(user).into_owned();
    if let Some(password) = password {
        login.push(':');
        login.push_str(&urlencoding::encode(password));
    }
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            let key = pair.split_once('=').map_or(*pair, |(key, _)| key);
            !percent_decoded(key).is_ok_and(|key| LOGIN_KEYS.contains(&key.as_str()))
        })
        .collect();
    let mut out = format!("{}{login}@{address}", &url[..after_scheme]);
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    out
}

/// Key-value form: every `user` and `password` pair is dropped and the new ones appended (an
/// unreadable tail is kept as it was; the appended pairs come later and so win).
fn key_value_with_login(text: &str, user: &str, password: Option<&str>) -> String {
    let mut kept = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let Some((key, _, length)) = next_key_value(rest) else {
            kept.push(rest.trim_end().to_owned());
            break;
        };
        if !LOGIN_KEYS.contains(&key) {
            kept.push(rest[..length].to_owned());
        }
        rest = rest[length..].trim_start();
    }
    kept.push(format!("user={}", quote_value(user)));
    if let Some(password) = password {
        kept.push(format!("password={}", quote_value(password)));
    }
    kept.join(" ")
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn the_login_and_the_label_of_both_forms() {
        let url = "postgres://agoat_app:s%40cret@db.example:6432/agoat?sslmode=require";
        assert_eq!(
            login_of(url).unwrap(),
            ("agoat_app".to_owned(), Some("s@cret".to_owned()))
        );
        assert_eq!(label_of(url), "db.example:6432/agoat");
        let pairs = "host=replica.example user=agoat_app dbname=agoat";
        assert_eq!(login_of(pairs).unwrap(), ("agoat_app".to_owned(), None));
        assert_eq!(label_of(pairs), "replica.example:5432/agoat");
        assert!(!label_of(url).contains("s@cret"));
    }

    /// What tokio-postgres makes of a connection string: user, password, database, hosts.
    fn parsed(url: &str) -> (String, Option<String>, Option<String>, usize) {
        let config = tokio_postgres::Config::from_str(url).expect("parses");
        (
            config.get_user().unwrap_or_default().to_owned(),
            config
                .get_password()
                .map(|p| String::from_utf8(p.to_vec()).unwrap()),
            config.get_dbname().map(str::to_owned),
            config.get_hosts().len(),
        )
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_value("agoat"), "agoat");
        assert_eq!(quote_value("/a b/run"), "'/a b/run'");
        assert_eq!(quote_value("it's\\"), "'it\\'s\\\\'");
        assert_eq!(quote_value(""), "''");
    }

    #[test]
    fn url_form_gets_the_new_login_and_keeps_the_rest() {
        let owner =
            "postgres://owner:s3cret@db.example:5433/agoat?sslmode=require&application_name=x";
        let serving = with_login(owner, "agoat_app", Some("p@ss/w:rd?&"));
        assert_eq!(
            serving,
            "postgres://agoat_app:p%40ss%2Fw%3Ard%3F%26@db.example:5433/agoat?sslmode=require&application_name=x"
        );
        assert_eq!(
            parsed(&serving),
            (
                "agoat_app".into(),
                Some("p@ss/w:rd?&".into()),
                Some("agoat".into()),
                1
            )
        );
        assert!(!serving.contains("s3cret"));
        // No credentials before; login parameters in the query.
        let serving = with_login(
            "postgresql://localhost/agoat?user=owner&password=x&host=/run/pg",
            "agoat_app",
            None,
        );
        assert_eq!(
            serving,
            "postgresql://agoat_app@localhost/agoat?host=/run/pg"
        );
        assert_eq!(parsed(&serving).1, None);
        assert_eq!(
            with_login("postgres://u@h", "agoat_app", None),
            "postgres://agoat_app@h"
        );
    }

    #[test]
    fn key_value_form_gets_the_new_login_and_keeps_the_rest() {
        let owner =
            "host=/tmp/run port=5432 user=agoat password='old pw' dbname=agoat sslmode=disable";
        let serving = with_login(owner, "agoat_app", Some("new 'pw'"));
        assert_eq!(
            serving,
            "host=/tmp/run port=5432 dbname=agoat sslmode=disable user=agoat_app password='new \\'pw\\''"
        );
        assert_eq!(
            parsed(&serving),
            (
                "agoat_app".into(),
                Some("new 'pw'".into()),
                Some("agoat".into()),
                1
            )
        );
        assert_eq!(
            with_login("host='/a b/run' user = agoat dbname=x", "agoat_app", None),
            "host='/a b/run' dbname=x user=agoat_app"
        );
    }
}
