//! A PostgreSQL primary and its streaming replica for the tests, made the way an operator makes
//! one: `initdb` for the primary (its own folder and port on 127.0.0.1, trust authentication on
//! loopback), then `pg_basebackup --write-recovery-conf` of it for the replica, which follows the
//! primary's write-ahead log. Run as the `postgres` system user when the tests run as root.
//! Stopped, and their folders removed, on drop.

use std::path::{Path, PathBuf};

use agoat::db::Conn;
use diesel::QueryableByName;
use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, RunQueryDsl, SimpleAsyncConnection};

use super::citus_cluster::{as_server_user, chown_to_server_user, free_port, run};

const DATABASE: &str = "agoat";

pub struct ReplicaPair {
    dir: PathBuf,
    bindir: PathBuf,
    pub primary_port: u16,
    pub replica_port: u16,
}

impl ReplicaPair {
    /// Starts the primary with the database `agoat`, then the replica of it, and waits until the
    /// replica is in recovery and answers.
    pub async fn start() -> ReplicaPair {
        let dir = super::scratch::root().join(format!(
            "agoat-replica-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        chown_to_server_user(&dir);
        let pair = ReplicaPair {
            bindir: bindir(),
            primary_port: free_port(),
            replica_port: free_port(),
            dir,
        };
        pair.start_primary();
        let mut postgres = connect(&pair.url(pair.primary_port, "postgres")).await;
        postgres
            .batch_execute(&format!("CREATE DATABASE {DATABASE}"))
            .await
            .unwrap();
        pair.start_replica();
        pair.wait_for_replica().await;
        pair
    }

    fn data(&self, node: &str) -> PathBuf {
        self.dir.join(node)
    }

    fn start_primary(&self) {
        let data = self.data("primary");
        run(as_server_user(&self.bindir.join("initdb"))
            .args(["-D", data.to_str().unwrap()])
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ]));
        let conf = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).unwrap();
        text.push_str(&format!(
            "\nport = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
             wal_level = replica\nmax_wal_senders = 5\nfsync = off\n",
            self.primary_port,
            self.dir.display()
        ));
        std::fs::write(&conf, text).unwrap();
        chown_to_server_user(&conf);
        self.pg_ctl("primary", "start");
    }

    fn start_replica(&self) {
        let data = self.data("replica");
        run(as_server_user(&self.bindir.join("pg_basebackup"))
            .args(["-D", data.to_str().unwrap()])
            .args(["-h", "127.0.0.1", "-p", &self.primary_port.to_string()])
            .args(["-U", "postgres", "--write-recovery-conf", "-X", "stream"])
            .args(["--checkpoint=fast", "--no-sync"]));
        let conf = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).unwrap();
        text.push_str(&format!(
            "\nport = {}\nhot_standby = on\nhot_standby_feedback = on\n",
            self.replica_port
        ));
        std::fs::write(&conf, text).unwrap();
        chown_to_server_user(&conf);
        self.pg_ctl("replica", "start");
    }

    fn pg_ctl(&self, node: &str, action: &str) {
        let log = self.dir.join(format!("{node}.log"));
        let data = self.data(node);
        let mut command = as_server_user(&self.bindir.join("pg_ctl"));
        command.args(["-D", data.to_str().unwrap(), "-w"]);
        match action {
            "start" => command.args(["-l", log.to_str().unwrap(), "start"]),
            _ => command.args(["-m", "immediate", "stop"]),
        };
        run(&mut command);
    }

    async fn wait_for_replica(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            if let Ok(mut conn) = Conn::establish(&self.replica_url()).await
                && text(&mut conn, "SELECT pg_is_in_recovery()::text AS s").await == "true"
            {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the replica did not start"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    fn url(&self, port: u16, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/{database}")
    }

    /// The primary's database, as its superuser (what `DATABASE_URL` names).
    pub fn primary_url(&self) -> String {
        self.url(self.primary_port, DATABASE)
    }

    /// The replica's copy of the database (what `AGOAT_DATABASE_REPLICA_URLS` names).
    pub fn replica_url(&self) -> String {
        self.url(self.replica_port, DATABASE)
    }

    pub async fn primary(&self) -> Conn {
        connect(&self.primary_url()).await
    }

    pub async fn replica(&self) -> Conn {
        connect(&self.replica_url()).await
    }

    /// Stops replaying the primary's log on the replica (it keeps answering, ever further behind).
    pub async fn pause_replay(&self) {
        let mut replica = self.replica().await;
        replica
            .batch_execute("SELECT pg_wal_replay_pause()")
            .await
            .unwrap();
    }

    pub async fn resume_replay(&self) {
        let mut replica = self.replica().await;
        replica
            .batch_execute("SELECT pg_wal_replay_resume()")
            .await
            .unwrap();
    }

    /// Stops the primary at once, as a crash would; the replica keeps answering.
    pub fn stop_primary(&self) {
        self.pg_ctl("primary", "stop");
    }

    /// Starts the primary stopped by [`ReplicaPair::stop_primary`] again.
    pub fn start_primary_again(&self) {
        self.pg_ctl("primary", "start");
    }

    /// Stops the replica at once, as a crash would.
    pub fn stop_replica(&self) {
        self.pg_ctl("replica", "stop");
    }
}

impl Drop for ReplicaPair {
    fn drop(&mut self) {
        for node in ["replica", "primary"] {
            let _ = as_server_user(&self.bindir.join("pg_ctl"))
                .args(["-D", self.data(node).to_str().unwrap()])
                .args(["-m", "immediate", "-w", "stop"])
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn connect(url: &str) -> Conn {
    Conn::establish(url)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"))
}

#[derive(QueryableByName)]
struct OneText {
    #[diesel(sql_type = Text)]
    s: String,
}

/// The text a query returns in its one column `s`.
pub async fn text(conn: &mut Conn, sql: &str) -> String {
    diesel::sql_query(sql)
        .get_result::<OneText>(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .s
}

/// The folder of the newest PostgreSQL's binaries (with `pg_basebackup`).
fn bindir() -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed under /usr/lib/postgresql")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| Path::new(bin).join("pg_basebackup").exists())
        .collect();
    dirs.sort();
    dirs.pop().expect("pg_basebackup is installed")
}
