//! The media store's behaviour, checked the same way on both backends: files on a local disk and
//! a real S3-compatible server. For S3 the test starts moto's standalone server (PyPI:
//! `python3 -m pip install 'moto[server]'`) on a free loopback port and creates its bucket with a
//! signed S3 request; without moto the S3 tests say so and pass, except when `AGOAT_REQUIRE_S3=1`
//! (as in CI), where they fail. The server is stopped when the test ends: by a guard when the test
//! returns or panics, and by itself when the test process dies (its stdin closes).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use agoat::media::store::{FsStore, Key, Store, StoreConfig, StoreError};
use bytes::Bytes;
use sha2::Digest;
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// The behaviour every backend must have.

/// Runs every check on `store`.
async fn check_behaviour(store: Arc<dyn Store>) {
    absent_is_none_and_delete_is_idempotent(&store).await;
    round_trips_and_keeps_customers_apart(&store).await;
    the_same_bytes_again_succeed_and_other_bytes_conflict(&store).await;
    an_empty_file_is_a_file(&store).await;
    a_put_racing_gets_never_yields_partial_bytes(&store).await;
}

/// The key of `bytes` for `customer`, in `folder` if given.
fn key_of(customer: Uuid, bytes: &[u8], folder: Option<&str>) -> Key {
    let hash = hex::encode(sha2::Sha256::digest(bytes));
    match folder {
        Some(folder) => Key::in_folder(customer, folder, &hash, "bin").unwrap(),
        None => Key::new(customer, &hash, "bin").unwrap(),
    }
}

/// `size` bytes that differ from position to position and from `seed` to `seed`.
fn pattern(size: usize, seed: u8) -> Bytes {
    (0..size)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 8) as u8)
        .collect::<Vec<u8>>()
        .into()
}

async fn absent_is_none_and_delete_is_idempotent(store: &Arc<dyn Store>) {
    let key = key_of(Uuid::new_v4(), b"never written", None);
    assert_eq!(store.get(&key).await.unwrap(), None);
    store.delete(&key).await.unwrap();
    assert_eq!(store.get(&key).await.unwrap(), None);
}

async fn round_trips_and_keeps_customers_apart(store: &Arc<dyn Store>) {
    let (first, second) = (Uuid::new_v4(), Uuid::new_v4());
    let bytes = pattern(70_000, 1);
    let keys = [
        key_of(first, &bytes, None),
        key_of(first, &bytes, Some(agoat::media::store::ORIGINALS)),
        key_of(second, &bytes, None),
    ];
    for key in &keys {
        store.put(key, bytes.clone()).await.unwrap();
    }
    for key in &keys {
        assert_eq!(
            store.get(key).await.unwrap().as_ref(),
            Some(&bytes),
            "{key}"
        );
    }
    store.delete(&keys[0]).await.unwrap();
    assert_eq!(store.get(&keys[0]).await.unwrap(), None);
    assert_eq!(store.get(&keys[1]).await.unwrap().as_ref(), Some(&bytes));
    assert_eq!(store.get(&keys[2]).await.unwrap().as_ref(), Some(&bytes));
    store.delete(&keys[0]).await.unwrap();
}

async fn the_same_bytes_again_succeed_and_other_bytes_conflict(store: &Arc<dyn Store>) {
    let bytes = pattern(1000, 2);
    let key = key_of(Uuid::new_v4(), &bytes, None);
    store.put(&key, bytes.clone()).await.unwrap();
    store.put(&key, bytes.clone()).await.unwrap();
    let err = store.put(&key, pattern(1000, 3)).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    assert_eq!(store.get(&key).await.unwrap(), Some(bytes));
}

async fn an_empty_file_is_a_file(store: &Arc<dyn Store>) {
    let key = key_of(Uuid::new_v4(), b"", None);
    store.put(&key, Bytes::new()).await.unwrap();
    assert_eq!(store.get(&key).await.unwrap(), Some(Bytes::new()));
}

/// Writers and readers of the same new 5 MB file at once: every write succeeds and every read is
/// the whole file or nothing.
async fn a_put_racing_gets_never_yields_partial_bytes(store: &Arc<dyn Store>) {
    let customer = Uuid::new_v4();
    for round in 0..5u8 {
        let bytes = pattern(5 * 1024 * 1024, round);
        let key = key_of(customer, &bytes, None);
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..3 {
            let (store, key, bytes) = (Arc::clone(store), key.clone(), bytes.clone());
            tasks.spawn(async move { store.put(&key, bytes).await.unwrap() });
        }
        for _ in 0..3 {
            let (store, key, bytes) = (Arc::clone(store), key.clone(), bytes.clone());
            tasks.spawn(async move { read_until_whole(&*store, &key, &bytes).await });
        }
        while let Some(done) = tasks.join_next().await {
            done.unwrap();
        }
    }
}

/// Reads `key` until it is there, checking that every read is nothing or the whole file.
async fn read_until_whole(store: &dyn Store, key: &Key, expected: &Bytes) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(read) = store.get(key).await.unwrap() {
            assert!(
                read == *expected,
                "partial read: {} of {} bytes",
                read.len(),
                expected.len()
            );
            return;
        }
        assert!(Instant::now() < deadline, "{key} was never written");
        tokio::task::yield_now().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Files on a local disk.

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn files_on_disk_behave() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsStore::open(dir.path().join("media")).unwrap();
    check_behaviour(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn files_on_disk_through_the_environment_behave() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().join("elsewhere").display());
    let vars = |name: &str| (name == "AGOAT_MEDIA_URL").then(|| url.clone());
    let store = StoreConfig::from_vars(dir.path(), vars)
        .unwrap()
        .open()
        .unwrap();
    assert!(
        store.describe().ends_with("/elsewhere"),
        "{}",
        store.describe()
    );
    check_behaviour(store).await;
}

// ---------------------------------------------------------------------------------------------
// An S3 bucket on moto's standalone server.

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_s3_bucket_behaves() {
    let Some(server) = MotoServer::start() else {
        return;
    };
    server.create_bucket("media").await;
    let store = server.store("media", "agoat/test");
    assert_eq!(
        store.describe(),
        format!("s3://media/agoat/test at {}", server.endpoint())
    );
    check_behaviour(Arc::clone(&store)).await;

    // The objects are where the description says: under the prefix, named by the key.
    let bytes = pattern(10, 9);
    let key = key_of(Uuid::new_v4(), &bytes, None);
    store.put(&key, bytes.clone()).await.unwrap();
    assert_eq!(server.store("media", "").get(&key).await.unwrap(), None);
    let raw = server
        .get_object("media", &format!("agoat/test/{key}"))
        .await;
    assert_eq!(raw.as_deref(), Some(&bytes[..]));

    // A bucket that does not exist is an error, not an absent file.
    let missing = server.store("no-such-bucket", "");
    for err in [
        missing.get(&key).await.unwrap_err(),
        missing.put(&key, bytes).await.unwrap_err(),
    ] {
        assert!(matches!(err, StoreError::Remote { .. }), "{err}");
        assert!(err.to_string().contains("NoSuchBucket"), "{err}");
    }

    let (pid, port) = (server.child.id(), server.port);
    drop(server);
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "the server still runs"
    );
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the port still answers"
    );
}

/// Should the test process die without running its guards, the server notices its stdin closing
/// and exits by itself.
#[test]
fn the_s3_server_stops_when_the_test_process_is_gone() {
    let Some(mut server) = MotoServer::start() else {
        return;
    };
    drop(server.child.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the server outlived its stdin");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// moto's standalone S3 server on a free loopback port, stopped when dropped.
struct MotoServer {
    child: Child,
    port: u16,
    /// Its output, shown when it fails to start.
    log: tempfile::NamedTempFile,
}

/// Runs moto's standalone server (`python3 -m moto.server -H 127.0.0.1 -p PORT`) with a thread that
/// ends the process when stdin closes, which happens however the test process ends.
const LAUNCHER: &str = r#"
import os, sys, threading

def exit_when_stdin_closes():
    sys.stdin.read()
    os._exit(0)

threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
from moto.server import main
main(["-H", "127.0.0.1", "-p", sys.argv[1]])
"#;

const ACCESS_KEY_ID: &str = "agoat-test";
const SECRET_ACCESS_KEY: &str = "agoat-test-secret";

impl MotoServer {
    /// Starts the server, or `None` (after saying so) when moto is not installed and
    /// `AGOAT_REQUIRE_S3` is not `1`.
    fn start() -> Option<MotoServer> {
        if !moto_installed() {
            let required = std::env::var("AGOAT_REQUIRE_S3").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "AGOAT_REQUIRE_S3=1 but moto's S3 server is not installed: \
                 python3 -m pip install 'moto[server]'"
            );
            eprintln!(
                "skipped: moto's S3 server is not installed (python3 -m pip install 'moto[server]')"
            );
            return None;
        }
        let mut last_log = String::new();
        for _ in 0..3 {
            match MotoServer::try_start() {
                Ok(server) => return Some(server),
                Err(log) => last_log = log,
            }
        }
        panic!("moto's S3 server did not start:\n{last_log}");
    }

    /// One attempt on one free port; the server's output when it exits before listening.
    fn try_start() -> Result<MotoServer, String> {
        let port = free_port();
        let log = tempfile::NamedTempFile::new().unwrap();
        let child = Command::new("python3")
            .args(["-c", LAUNCHER, &port.to_string()])
            .stdin(Stdio::piped())
            .stdout(log.reopen().unwrap())
            .stderr(log.reopen().unwrap())
            .spawn()
            .expect("python3 runs");
        let mut server = MotoServer { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            let exited = server.child.try_wait().unwrap().is_some();
            if exited || Instant::now() > deadline {
                return Err(std::fs::read_to_string(server.log.path()).unwrap_or_default());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(server)
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The store of `bucket` under `prefix`, set up the way the server sets it up: from the
    /// variables.
    fn store(&self, bucket: &str, prefix: &str) -> Arc<dyn Store> {
        let url = format!("s3://{bucket}/{prefix}");
        let endpoint = self.endpoint();
        let vars = |name: &str| match name {
            "AGOAT_MEDIA_URL" => Some(url.clone()),
            "AGOAT_MEDIA_S3_ENDPOINT" => Some(endpoint.clone()),
            "AWS_REGION" => Some("eu-west-1".to_owned()),
            "AWS_ACCESS_KEY_ID" => Some(ACCESS_KEY_ID.to_owned()),
            "AWS_SECRET_ACCESS_KEY" => Some(SECRET_ACCESS_KEY.to_owned()),
            _ => None,
        };
        let data_dir = std::path::Path::new("/nonexistent");
        StoreConfig::from_vars(data_dir, vars)
            .unwrap()
            .open()
            .unwrap()
    }

    /// An object_store client of `bucket`, for what the media store does not do.
    fn client(&self, bucket: &str) -> object_store::aws::AmazonS3 {
        object_store::aws::AmazonS3Builder::new()
            .with_endpoint(self.endpoint())
            .with_allow_http(true)
            .with_region("eu-west-1")
            .with_bucket_name(bucket)
            .with_access_key_id(ACCESS_KEY_ID)
            .with_secret_access_key(SECRET_ACCESS_KEY)
            .build()
            .unwrap()
    }

    /// Creates `bucket` with a signed S3 CreateBucket request (`PUT /{bucket}/`).
    async fn create_bucket(&self, bucket: &str) {
        use object_store::signer::{Method, Signer};
        let url = self
            .client(bucket)
            .signed_url(
                Method::PUT,
                &object_store::path::Path::from(""),
                Duration::from_secs(60),
            )
            .await
            .unwrap();
        let target = format!("{}?{}", url.path(), url.query().unwrap_or(""));
        let status = http_put(self.port, &target);
        assert!(
            status.starts_with("HTTP/1.1 200"),
            "CreateBucket answered {status}"
        );
    }

    /// An object's bytes read straight from the bucket, or `None`.
    async fn get_object(&self, bucket: &str, name: &str) -> Option<Vec<u8>> {
        use object_store::ObjectStoreExt;
        match self.client(bucket).get(&name.into()).await {
            Ok(result) => Some(result.bytes().await.unwrap().to_vec()),
            Err(object_store::Error::NotFound { .. }) => None,
            Err(e) => panic!("{e}"),
        }
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether python3 can import moto's server (the `server` extra brings flask and the rest).
fn moto_installed() -> bool {
    Command::new("python3")
        .args(["-c", "import moto.server"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// A loopback port nothing listens on right now.
fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Sends an empty `PUT target` to the loopback port; returns the response's status line.
fn http_put(port: u16, target: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let request = format!(
        "PUT {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\
         Connection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.lines().next().unwrap_or("").to_owned()
}
