//! Which store the environment chooses: `AGOAT_MEDIA_URL` unset gives files under
//! `<data dir>/media`, `file:///abs/path` files there, `s3://bucket/prefix` an S3 bucket reached
//! with the usual `AWS_*` variables (the table in [`crate::config`] lists them all). Every error
//! names the variable at fault and never repeats a value that could hold a secret.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::s3::S3Credentials;
use super::{FsStore, S3Settings, S3Store, Store, StoreError};
use crate::config::Secret;

const MEDIA_URL: &str = "AGOAT_MEDIA_URL";
const S3_ENDPOINT: &str = "AGOAT_MEDIA_S3_ENDPOINT";
const S3_PATH_STYLE: &str = "AGOAT_MEDIA_S3_PATH_STYLE";
const ENDPOINT_VARIABLES: [&str; 3] = [S3_ENDPOINT, "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"];
const REGION_VARIABLES: [&str; 2] = ["AWS_REGION", "AWS_DEFAULT_REGION"];
const DEFAULT_REGION: &str = "us-east-1";

/// The store the environment asks for, before it is opened.
#[derive(Debug, Clone)]
pub enum StoreConfig {
    /// Files under this folder.
    Fs(PathBuf),
    /// Objects in an S3 bucket.
    S3(S3Settings),
}

/// The store the environment asks for (see the module documentation), opened.
pub fn from_env(data_dir: &Path) -> Result<Arc<dyn Store>, StoreError> {
    StoreConfig::from_vars(data_dir, |name| std::env::var(name).ok())?.open()
}

impl StoreConfig {
    /// The store the variables ask for; `var` reads one (an empty value counts as unset).
    pub fn from_vars(
        data_dir: &Path,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<StoreConfig, StoreError> {
        let vars = Vars(&var);
        let Some(url) = vars.get(MEDIA_URL) else {
            return Ok(StoreConfig::Fs(data_dir.join("media")));
        };
        if let Some(rest) = url.strip_prefix("s3://") {
            return s3_settings(rest, &vars).map(StoreConfig::S3);
        }
        if let Some(rest) = url.strip_prefix("file://") {
            return file_path(rest).map(StoreConfig::Fs);
        }
        let scheme = url.split_once("://").map(|(scheme, _)| scheme);
        Err(config(
            MEDIA_URL,
            format!(
                "must be s3://bucket/prefix or file:///absolute/path (unset: files under \
                 <data dir>/media), not {}",
                scheme.map_or("something without a scheme".into(), |s| format!(
                    "a {s} URL"
                ))
            ),
        ))
    }

    /// Opens the store: creates the folder (and removes a crash's leftovers) or sets up the S3
    /// client.
    pub fn open(self) -> Result<Arc<dyn Store>, StoreError> {
        Ok(match self {
            StoreConfig::Fs(root) => Arc::new(FsStore::open(root)?),
            StoreConfig::S3(settings) => Arc::new(S3Store::open(settings)?),
        })
    }
}

/// Reads variables, taking an empty or blank value as unset.
struct Vars<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Vars<'_> {
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    }

    /// The first of `names` that is set, with its name.
    fn first(&self, names: &[&'static str]) -> Option<(&'static str, String)> {
        names
            .iter()
            .find_map(|&name| self.get(name).map(|value| (name, value)))
    }
}

fn config(variable: &'static str, reason: impl Into<String>) -> StoreError {
    StoreError::Config {
        variable,
        reason: reason.into(),
    }
}

/// The folder of a `file://` URL (after the scheme): an absolute, percent-decoded path, on this
/// host (`localhost` or nothing before it).
fn file_path(rest: &str) -> Result<PathBuf, StoreError> {
    let path = rest.strip_prefix("localhost").unwrap_or(rest);
    if !path.starts_with('/') {
        return Err(config(
            MEDIA_URL,
            "a file URL needs an absolute path on this host: file:///srv/agoat/media",
        ));
    }
    if path.contains(['?', '#']) {
        return Err(config(MEDIA_URL, "a file URL has no query or fragment"));
    }
    let decoded = urlencoding::decode(path)
        .map_err(|_| config(MEDIA_URL, "the file URL's path is not UTF-8 once decoded"))?;
    Ok(PathBuf::from(decoded.into_owned()))
}

/// The settings of an `s3://` URL (after the scheme) and the S3 variables.
fn s3_settings(rest: &str, vars: &Vars) -> Result<S3Settings, StoreError> {
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    check_bucket(bucket)?;
    Ok(S3Settings {
        bucket: bucket.to_owned(),
        prefix: prefix_of(prefix)?,
        endpoint: endpoint(vars)?,
        region: vars
            .first(&REGION_VARIABLES)
            .map_or_else(|| DEFAULT_REGION.to_owned(), |(_, region)| region),
        credentials: credentials(vars)?,
        path_style: flag(vars, S3_PATH_STYLE, true)?,
    })
}

/// A bucket name: letters, digits, `.`, `-` and `_` (so no user, password or port).
fn check_bucket(bucket: &str) -> Result<(), StoreError> {
    let well_formed = !bucket.is_empty()
        && bucket
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if well_formed {
        Ok(())
    } else {
        Err(config(
            MEDIA_URL,
            "s3://bucket/prefix needs a bucket name of letters, digits, '.', '-' and '_' (put \
             credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the server in \
             AGOAT_MEDIA_S3_ENDPOINT)",
        ))
    }
}

/// The folder in the bucket: `a/b` without leading or trailing slashes, each part an ordinary
/// object name part.
fn prefix_of(prefix: &str) -> Result<String, StoreError> {
    let prefix = prefix.trim_matches('/');
    if prefix.contains(['?', '#']) {
        return Err(config(MEDIA_URL, "an s3 URL has no query or fragment"));
    }
    let parsed = object_store::path::Path::parse(prefix).map_err(|e| {
        config(
            MEDIA_URL,
            format!("the prefix after the bucket is not usable: {e}"),
        )
    })?;
    Ok(parsed.as_ref().to_owned())
}

/// The server, from the first endpoint variable set: `http(s)://host[:port]`.
fn endpoint(vars: &Vars) -> Result<Option<String>, StoreError> {
    let Some((name, endpoint)) = vars.first(&ENDPOINT_VARIABLES) else {
        return Ok(None);
    };
    let host = endpoint
        .strip_prefix("https://")
        .or_else(|| endpoint.strip_prefix("http://"));
    match host {
        Some(host) if !host.is_empty() && !host.contains(['@', '?', '#']) => {
            Ok(Some(endpoint.trim_end_matches('/').to_owned()))
        }
        _ => Err(config(
            name,
            "must be the S3 server's address, http(s)://host[:port]",
        )),
    }
}

/// Static credentials, when the access key variables are set (both or neither).
fn credentials(vars: &Vars) -> Result<Option<S3Credentials>, StoreError> {
    let key_id = vars.get("AWS_ACCESS_KEY_ID");
    let secret = vars.get("AWS_SECRET_ACCESS_KEY");
    let token = vars.get("AWS_SESSION_TOKEN");
    match (key_id, secret) {
        (Some(access_key_id), Some(secret)) => Ok(Some(S3Credentials {
            access_key_id,
            secret_access_key: Secret::new(secret),
            session_token: token.map(Secret::new),
        })),
        (Some(_), None) => Err(config(
            "AWS_SECRET_ACCESS_KEY",
            "is needed with AWS_ACCESS_KEY_ID",
        )),
        (None, Some(_)) => Err(config(
            "AWS_ACCESS_KEY_ID",
            "is needed with AWS_SECRET_ACCESS_KEY",
        )),
        (None, None) if token.is_some() => Err(config(
            "AWS_SESSION_TOKEN",
            "is set without AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        )),
        (None, None) => Ok(None),
    }
}

/// A yes/no variable: `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`.
fn flag(vars: &Vars, name: &'static str, default: bool) -> Result<bool, StoreError> {
    let Some(value) = vars.get(name) else {
        return Ok(default);
    };
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(config(
            name,
            format!("must be true or false, not {value:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<StoreConfig, StoreError> {
        let vars: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        StoreConfig::from_vars(Path::new("/data"), |name| vars.get(name).cloned())
    }

    fn s3(pairs: &[(&str, &str)]) -> S3Settings {
        match parse(pairs).unwrap() {
            StoreConfig::S3(settings) => settings,
            other => panic!("not S3: {other:?}"),
        }
    }

    /// The error's text, which must name `variable`.
    fn error_naming(pairs: &[(&str, &str)], variable: &str) -> String {
        let err = parse(pairs).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{variable}: ")), "{err}");
        err
    }

    #[test]
    fn unset_or_empty_means_files_in_the_data_folder() {
        for pairs in [&[][..], &[("AGOAT_MEDIA_URL", "  ")][..]] {
            match parse(pairs).unwrap() {
                StoreConfig::Fs(root) => assert_eq!(root, Path::new("/data/media")),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn a_file_url_names_an_absolute_folder() {
        for (url, folder) in [
            ("file:///srv/media", "/srv/media"),
            ("file://localhost/srv/media/", "/srv/media/"),
            ("file:///srv/my%20media", "/srv/my media"),
        ] {
            match parse(&[("AGOAT_MEDIA_URL", url)]).unwrap() {
                StoreConfig::Fs(root) => assert_eq!(root, Path::new(folder), "{url}"),
                other => panic!("{url}: {other:?}"),
            }
        }
        for url in ["file://srv/media", "file://", "file:///a?b", "file:///a%FF"] {
            error_naming(&[("AGOAT_MEDIA_URL", url)], "AGOAT_MEDIA_URL");
        }
    }

    #[test]
    fn an_s3_url_with_the_defaults() {
        let settings = s3(&[("AGOAT_MEDIA_URL", "s3://media")]);
        assert_eq!(settings.bucket, "media");
        assert_eq!(settings.prefix, "");
        assert_eq!(settings.endpoint, None);
        assert_eq!(settings.region, "us-east-1");
        assert!(settings.credentials.is_none());
        assert!(settings.path_style);
    }

    #[test]
    fn an_s3_url_with_every_variable() {
        let settings = s3(&[
            ("AGOAT_MEDIA_URL", "s3://media/agoat/prod/"),
            ("AWS_ENDPOINT_URL", "http://aws.invalid"),
            ("AGOAT_MEDIA_S3_ENDPOINT", "http://127.0.0.1:9000/"),
            ("AWS_DEFAULT_REGION", "eu-central-1"),
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "s3cr3t"),
            ("AWS_SESSION_TOKEN", "t0k3n"),
            ("AGOAT_MEDIA_S3_PATH_STYLE", "false"),
        ]);
        assert_eq!(settings.prefix, "agoat/prod");
        assert_eq!(settings.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(settings.region, "eu-west-1");
        let credentials = settings.credentials.unwrap();
        assert_eq!(credentials.access_key_id, "AKID");
        assert_eq!(credentials.secret_access_key.expose(), "s3cr3t");
        assert_eq!(credentials.session_token.unwrap().expose(), "t0k3n");
        assert!(!settings.path_style);
    }

    #[test]
    fn the_aws_endpoint_and_default_region_are_fallbacks() {
        let settings = s3(&[
            ("AGOAT_MEDIA_URL", "s3://media"),
            ("AWS_ENDPOINT_URL", "https://s3.example.test"),
            ("AWS_DEFAULT_REGION", "eu-central-1"),
        ]);
        assert_eq!(
            settings.endpoint.as_deref(),
            Some("https://s3.example.test")
        );
        assert_eq!(settings.region, "eu-central-1");
    }

    #[test]
    fn every_mistake_names_its_variable_and_no_secret() {
        let url = ("AGOAT_MEDIA_URL", "s3://media");
        let err = error_naming(
            &[("AGOAT_MEDIA_URL", "ftp://u:pw@host/x")],
            "AGOAT_MEDIA_URL",
        );
        assert!(
            err.contains("not a ftp URL") && !err.contains("pw"),
            "{err}"
        );
        error_naming(&[("AGOAT_MEDIA_URL", "/srv/media")], "AGOAT_MEDIA_URL");
        let err = error_naming(
            &[("AGOAT_MEDIA_URL", "s3://AKID:pw@media")],
            "AGOAT_MEDIA_URL",
        );
        assert!(!err.contains("pw"), "{err}");
        error_naming(&[("AGOAT_MEDIA_URL", "s3://")], "AGOAT_MEDIA_URL");
        error_naming(&[("AGOAT_MEDIA_URL", "s3://media/a//b")], "AGOAT_MEDIA_URL");
        error_naming(
            &[("AGOAT_MEDIA_URL", "s3://media/a?x=1")],
            "AGOAT_MEDIA_URL",
        );
        error_naming(
            &[url, ("AGOAT_MEDIA_S3_ENDPOINT", "minio:9000")],
            S3_ENDPOINT,
        );
        error_naming(&[url, ("AWS_ENDPOINT_URL", "http://")], "AWS_ENDPOINT_URL");
        error_naming(
            &[url, ("AWS_ACCESS_KEY_ID", "AKID")],
            "AWS_SECRET_ACCESS_KEY",
        );
        error_naming(&[url, ("AWS_SECRET_ACCESS_KEY", "x")], "AWS_ACCESS_KEY_ID");
        error_naming(&[url, ("AWS_SESSION_TOKEN", "x")], "AWS_SESSION_TOKEN");
        error_naming(
            &[url, ("AGOAT_MEDIA_S3_PATH_STYLE", "maybe")],
            S3_PATH_STYLE,
        );
    }

    #[test]
    fn opening_a_config_gives_the_store_it_names() {
        let dir = tempfile::tempdir().unwrap();
        let store = StoreConfig::Fs(dir.path().join("m")).open().unwrap();
        assert_eq!(
            store.describe(),
            format!("files under {}", dir.path().join("m").display())
        );
        let store = StoreConfig::S3(s3(&[
            ("AGOAT_MEDIA_URL", "s3://media/p"),
            ("AGOAT_MEDIA_S3_ENDPOINT", "http://127.0.0.1:1"),
        ]))
        .open()
        .unwrap();
        assert_eq!(store.describe(), "s3://media/p at http://127.0.0.1:1");
    }
}
