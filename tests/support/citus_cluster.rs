//! A Citus cluster for the tests: a coordinator and two workers, each its own `initdb` folder and
//! port on 127.0.0.1 (trust authentication on loopback), run as the `postgres` system user when
//! the tests run as root. Databases are made on every node at once, with the extension and the
//! workers added to the coordinator. Stopped, and its folder removed, by [`Cluster::stop`], on
//! drop, or by a watchdog process once the test process has ended (for a cluster kept in a
//! static, which is never dropped).

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use agoat::db::Conn;
use diesel_async::{AsyncConnection, SimpleAsyncConnection};

#[path = "scratch.rs"]
pub mod scratch;

const DATABASE: &str = "agoat";
const WORKERS: usize = 2;

pub struct Cluster {
    dir: PathBuf,
    bindir: PathBuf,
    /// The coordinator first, then the workers.
    ports: Vec<u16>,
    stopped: bool,
}

impl Cluster {
    /// Starts the cluster; `None` (after saying why) when Citus is not installed and
    /// `AGOAT_REQUIRE_CITUS` is not `1`.
    pub async fn start() -> Option<Cluster> {
        let cluster = Cluster::start_nodes()?;
        cluster.create_database(DATABASE).await;
        Some(cluster)
    }

    /// Starts the nodes with no database of ours yet; `None` as for [`Cluster::start`].
    pub fn start_nodes() -> Option<Cluster> {
        let Some(bindir) = citus_bindir() else {
            let why = "Citus is not installed (run ../shared/engines/build-citus.sh or .ci/run)";
            assert!(
                std::env::var("AGOAT_REQUIRE_CITUS").as_deref() != Ok("1"),
                "{why}"
            );
            eprintln!("skipped: {why}");
            return None;
        };
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let dir = scratch::root().join(format!(
            "agoat-citus-{}-{}",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        chown_to_server_user(&dir);
        let mut cluster = Cluster {
            dir,
            bindir,
            ports: Vec::new(),
            stopped: false,
        };
        for node in 0..=WORKERS {
            let port = free_port();
            cluster.init_and_start(node, port);
            cluster.ports.push(port);
        }
        Some(cluster)
    }

    /// Stops the nodes and removes the folder once this process has ended, whether or not the
    /// cluster is dropped: a detached shell polls for the process.
    pub fn stop_when_process_ends(&self) {
        let pg_ctl = self.bindir.join("pg_ctl");
        let stops: Vec<String> = (0..self.ports.len())
            .map(|node| {
                let stop = format!(
                    "{} -D {} -m immediate -w stop",
                    pg_ctl.display(),
                    self.node_dir(node).display()
                );
                if is_root() {
                    format!("runuser -u postgres -- {stop}")
                } else {
                    stop
                }
            })
            .collect();
        scratch::after_process_ends(&format!(
            "{}; rm -rf {}",
            stops.join("; "),
            self.dir.display()
        ));
    }

    fn node_dir(&self, node: usize) -> PathBuf {
        self.dir.join(format!("node{node}"))
    }

    fn init_and_start(&self, node: usize, port: u16) {
        let data = self.node_dir(node);
        let initdb = self.bindir.join("initdb");
        run(as_server_user(&initdb)
            .args(["-D", data.to_str().unwrap()])
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"]));
        let conf = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).unwrap();
        text.push_str(&format!(
            "\nshared_preload_libraries = 'citus'\nport = {port}\nlisten_addresses = '127.0.0.1'\n\
             unix_socket_directories = '{}'\nmax_connections = 200\nfsync = off\n\
             citus.max_cached_conns_per_worker = 2\ncitus.shard_count = 4\nwal_level = logical\n\
             max_replication_slots = 20\nmax_wal_senders = 20\n",
            self.dir.display()
        ));
        std::fs::write(&conf, text).unwrap();
        chown_to_server_user(&conf);
        let log = self.dir.join(format!("node{node}.log"));
        run(as_server_user(&self.bindir.join("pg_ctl"))
            .args(["-D", data.to_str().unwrap()])
            .args(["-l", log.to_str().unwrap(), "-w", "start"]));
    }

    /// Creates `name` on every node with the extension, and adds the workers to the
    /// coordinator's copy.
    pub async fn create_database(&self, name: &str) {
        for &port in &self.ports {
            create_database_on(port, name).await;
        }
        let mut coordinator = Cluster::connect(&node_url(self.ports[0], name)).await;
        coordinator
            .batch_execute(&format!(
                "SELECT citus_set_coordinator_host('127.0.0.1', {})",
                self.ports[0]
            ))
            .await
            .unwrap();
        for &port in &self.ports[1..] {
            coordinator
                .batch_execute(&format!("SELECT citus_add_node('127.0.0.1', {port})"))
                .await
                .unwrap();
        }
    }

    /// Starts one more worker and adds it to the cluster; returns its port.
    pub async fn add_worker(&mut self) -> u16 {
        let (node, port) = (self.ports.len(), free_port());
        self.init_and_start(node, port);
        self.ports.push(port);
        create_database_on(port, DATABASE).await;
        self.owner()
            .await
            .batch_execute(&format!("SELECT citus_add_node('127.0.0.1', {port})"))
            .await
            .unwrap();
        port
    }

    /// The `postgres` database of every node, the coordinator first: where databases are made
    /// and dropped.
    pub fn admin_urls(&self) -> Vec<String> {
        self.ports
            .iter()
            .map(|&port| node_url(port, "postgres"))
            .collect()
    }

    /// The coordinator's database as the owner (the superuser `postgres`).
    pub fn owner_url(&self) -> String {
        node_url(self.ports[0], DATABASE)
    }

    /// Each worker's database as `postgres`.
    pub fn worker_urls(&self) -> Vec<String> {
        self.ports[1..]
            .iter()
            .map(|&port| node_url(port, DATABASE))
            .collect()
    }

    /// Each worker's port.
    pub fn worker_ports(&self) -> Vec<u16> {
        self.ports[1..].to_vec()
    }

    pub async fn owner(&self) -> Conn {
        Cluster::connect(&self.owner_url()).await
    }

    pub async fn connect(url: &str) -> Conn {
        Conn::establish(url)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    pub async fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        for node in 0..self.ports.len() {
            let _ = as_server_user(&self.bindir.join("pg_ctl"))
                .args(["-D", self.node_dir(node).to_str().unwrap()])
                .args(["-m", "immediate", "-w", "stop"])
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.shutdown();
    }
}

async fn create_database_on(port: u16, name: &str) {
    let mut conn = Cluster::connect(&node_url(port, "postgres")).await;
    conn.batch_execute(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap();
    let mut conn = Cluster::connect(&node_url(port, name)).await;
    conn.batch_execute("CREATE EXTENSION citus").await.unwrap();
}

fn node_url(port: u16, database: &str) -> String {
    format!("postgres://postgres@127.0.0.1:{port}/{database}")
}

/// The folder of the PostgreSQL binaries whose installation has the `citus` library.
fn citus_bindir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    dirs.sort();
    dirs.into_iter()
        .rev()
        .find(|dir| dir.join("lib/citus.so").exists() && dir.join("bin/initdb").exists())
        .map(|dir| dir.join("bin"))
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn is_root() -> bool {
    // The effective user id, read without unsafe code.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|uid| uid == "0"))
        })
        .unwrap_or(false)
}

/// `program` run as the `postgres` system user when the tests run as root (PostgreSQL refuses
/// root), as is otherwise.
pub fn as_server_user(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

pub fn chown_to_server_user(path: &Path) {
    if is_root() {
        run(Command::new("chown").arg("postgres").arg(path));
    }
}

pub fn run(command: &mut Command) {
    let output = command.output().expect("run a PostgreSQL program");
    assert!(
        output.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
