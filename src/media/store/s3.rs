//! Media files in an S3-compatible object store (AWS S3, MinIO, Ceph, …) through the
//! `object_store` crate: object `{prefix}/{key}` in one bucket. An S3 PUT is atomic: a reader
//! sees the whole object or none.

use bytes::Bytes;
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};

use super::{Key, Store, StoreError, same_or_conflict};
use crate::config::Secret;

/// Where and how to reach the bucket; see `env.rs` for the variables each field comes from.
#[derive(Debug, Clone)]
pub struct S3Settings {
    pub bucket: String,
    /// Folder of the media files in the bucket, `a/b` form; empty for the bucket's top.
    pub prefix: String,
    /// `http(s)://host[:port]` of an S3-compatible server; `None`: AWS itself, by region.
    /// Plain `http://` is allowed exactly when the endpoint says so.
    pub endpoint: Option<String>,
    pub region: String,
    /// Static credentials; `None`: the AWS credential chain (web identity, container or instance
    /// credentials) as object_store reads it from the `AWS_*` variables.
    pub credentials: Option<S3Credentials>,
    /// `{endpoint}/{bucket}/…` (local servers, most S3-compatible ones) rather than
    /// `{bucket}.{endpoint host}/…`.
    pub path_style: bool,
}

/// An access key, with the session token of temporary credentials.
#[derive(Debug, Clone)]
pub struct S3Credentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
}

/// Media files in one bucket, under a prefix.
pub struct S3Store {
    client: AmazonS3,
    prefix: String,
    description: String,
}

impl std::fmt::Debug for S3Store {
    /// The description only: the client holds the credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Store")
            .field("location", &self.description)
            .finish_non_exhaustive()
    }
}

impl S3Store {
    /// Sets up the client (no request is made). Settings not modelled here (server-side
    /// encryption, the credential chain, …) come from the `AWS_*` variables object_store knows.
    pub fn open(settings: S3Settings) -> Result<S3Store, StoreError> {
        let location = match settings.prefix.as_str() {
            "" => format!("s3://{}", settings.bucket),
            prefix => format!("s3://{}/{prefix}", settings.bucket),
        };
        let description = match &settings.endpoint {
            Some(endpoint) => format!("{location} at {endpoint}"),
            None => format!("{location} in AWS region {}", settings.region),
        };
        let client = builder(&settings)
            .build()
            .map_err(|e| remote("set up the client for", &location, e))?;
        Ok(S3Store {
            client,
            prefix: settings.prefix,
            description,
        })
    }

    /// The object of `key`.
    fn location(&self, key: &Key) -> Path {
        match self.prefix.as_str() {
            "" => Path::from(key.as_str()),
            prefix => Path::from(format!("{prefix}/{key}")),
        }
    }
}

/// The object_store builder for `settings`, over what the `AWS_*` variables say.
fn builder(settings: &S3Settings) -> AmazonS3Builder {
    let mut builder = AmazonS3Builder::from_env()
        .with_bucket_name(&settings.bucket)
        .with_region(&settings.region)
        .with_virtual_hosted_style_request(!settings.path_style);
    if let Some(endpoint) = &settings.endpoint {
        let endpoint = if settings.path_style {
            endpoint.clone()
        } else {
            bucket_endpoint(endpoint, &settings.bucket)
        };
        builder = builder
            .with_allow_http(endpoint.starts_with("http://"))
            .with_config(AmazonS3ConfigKey::S3Endpoint, &endpoint)
            .with_endpoint(endpoint);
    }
    if let Some(credentials) = &settings.credentials {
        builder = builder
            .with_access_key_id(&credentials.access_key_id)
            .with_secret_access_key(credentials.secret_access_key.expose());
        if let Some(token) = &credentials.session_token {
            builder = builder.with_token(token.expose());
        }
    }
    builder
}

/// `scheme://{bucket}.host…`: the endpoint of a bucket addressed virtual-hosted style.
fn bucket_endpoint(endpoint: &str, bucket: &str) -> String {
    match endpoint.split_once("://") {
        Some((scheme, host)) => format!("{scheme}://{bucket}.{host}"),
        None => format!("{bucket}.{endpoint}"),
    }
}

/// Whether an error says the object is absent, rather than its bucket (S3 answers 404 to both;
/// only the error code in the body tells them apart).
fn is_absent_object(error: &object_store::Error) -> bool {
    matches!(error, object_store::Error::NotFound { .. })
        && !error.to_string().contains("NoSuchBucket")
}

fn remote(action: &'static str, what: &str, source: object_store::Error) -> StoreError {
    StoreError::Remote {
        action,
        key: what.to_owned(),
        source: Box::new(source),
    }
}

#[async_trait::async_trait]
impl Store for S3Store {
    async fn put(&self, key: &Key, bytes: Bytes) -> Result<(), StoreError> {
        if let Some(existing) = self.get(key).await? {
            return same_or_conflict(key, &existing, &bytes);
        }
        self.client
            .put(&self.location(key), PutPayload::from(bytes))
            .await
            .map_err(|e| remote("write", key.as_str(), e))?;
        Ok(())
    }

    async fn get(&self, key: &Key) -> Result<Option<Bytes>, StoreError> {
        let result = match self.client.get(&self.location(key)).await {
            Ok(result) => result,
            Err(e) if is_absent_object(&e) => return Ok(None),
            Err(e) => return Err(remote("read", key.as_str(), e)),
        };
        let bytes = result
            .bytes()
            .await
            .map_err(|e| remote("read", key.as_str(), e))?;
        Ok(Some(bytes))
    }

    async fn delete(&self, key: &Key) -> Result<(), StoreError> {
        match self.client.delete(&self.location(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(remote("delete", key.as_str(), e)),
        }
    }

    fn describe(&self) -> String {
        self.description.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> S3Settings {
        S3Settings {
            bucket: "media".into(),
            prefix: "agoat/prod".into(),
            endpoint: Some("http://127.0.0.1:9000".into()),
            region: "eu-west-1".into(),
            credentials: Some(S3Credentials {
                access_key_id: "AKIDEXAMPLE".into(),
                secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG".into()),
                session_token: None,
            }),
            path_style: true,
        }
    }

    #[test]
    fn objects_are_under_the_prefix() {
        let store = S3Store::open(settings()).unwrap();
        let key = Key::parse(
            "6f1c2b1e-4d5a-4c3b-9a8f-0123456789ab/originals/\
             9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.png",
        )
        .unwrap();
        assert_eq!(store.location(&key).as_ref(), format!("agoat/prod/{key}"));
        let top = S3Store::open(S3Settings {
            prefix: String::new(),
            ..settings()
        })
        .unwrap();
        assert_eq!(top.location(&key).as_ref(), key.as_str());
    }

    #[test]
    fn the_description_names_bucket_prefix_and_endpoint_but_no_secret() {
        let store = S3Store::open(settings()).unwrap();
        assert_eq!(
            store.describe(),
            "s3://media/agoat/prod at http://127.0.0.1:9000"
        );
        assert!(!format!("{store:?}").contains("wJalrXUtnFEMI"));
        let aws = S3Store::open(S3Settings {
            endpoint: None,
            prefix: String::new(),
            ..settings()
        })
        .unwrap();
        assert_eq!(aws.describe(), "s3://media in AWS region eu-west-1");
    }

    #[test]
    fn virtual_hosted_style_puts_the_bucket_in_the_host() {
        assert_eq!(
            bucket_endpoint("https://s3.example.test:9000", "media"),
            "https://media.s3.example.test:9000"
        );
    }
}
