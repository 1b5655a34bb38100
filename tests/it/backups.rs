//! Backups and restores as `docs/operations.md` describes them: a `pg_dump --format=custom` of the
//! database of a running `agoat serve`, followed by a copy of its media folder, restored into a new
//! database (the application role made first, `pg_restore --no-owner --exit-on-error`) with the
//! copied folder, make an instance that `agoat serve` serves: the same published post (with its
//! library image) and product pages, a draft still a 404, another customer's post still a 404 on
//! this customer's domain. Every row comes back, and so do the serving role's grants, the
//! row-level security policies and their enabled and forced flags: the serving role sees no post
//! without a customer and only that customer's posts with one. A restore that lost the grants
//! (restored without them, as into a cluster without the role) is not ready.

use std::path::{Path, PathBuf};
use std::process::Command;

use agoat::db::roles::{self, Password};
use agoat::tenancy::CustomerId;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use image::ImageFormat;

use crate::cli::Server;
use crate::common::http::Reply;
use crate::common::{
    TestApp, TestDb, TwoTenants, db_digest, db_text, on_citus, server_url, two_tenants, with_dbname,
};
use crate::media::{add_image, picture};

/// The statement the guide runs before a restore: the application role, unless the cluster has it.
const CREATE_APP_ROLE: &str = "DO $$ BEGIN CREATE ROLE agoat_app NOLOGIN NOBYPASSRLS; \
     EXCEPTION WHEN duplicate_object THEN NULL; END $$";

/// The product's schemas, and `public` with the migrations table.
const SCHEMAS: &str = "'tenancy', 'content', 'thorne', 'audit', 'platform', 'public'";

#[actix_web::test]
async fn a_restored_dump_serves_the_same_sites_with_the_role_and_row_level_security_intact() {
    if skipped_on_citus() {
        return;
    }
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    seed(&app, &t).await;
    let media_url = format!("file://{}", app.media_dir().display());
    let original = Server::start_with(&app.db, &[("AGOAT_MEDIA_URL", &media_url)]);
    let served = Pages::read(&original);
    served.assert_as_published();

    // The backup, taken while the server runs: the database first, then the media folder.
    let backup = Backup::new();
    dump(&app.db, &backup);
    copy_folder(app.media_dir(), &backup.media());
    drop(original);

    let restored = restore(&backup, &[]).await;
    let media_url = format!("file://{}", backup.media().display());
    let server = Server::start_with(&restored, &[("AGOAT_MEDIA_URL", &media_url)]);
    assert_eq!(server.get("localhost", "/readyz").status, 200);
    let again = Pages::read(&server);
    again.assert_as_published();
    assert_eq!(again.post.body, served.post.body, "the post page");
    assert_eq!(again.product.body, served.product.body, "the product page");

    assert_eq!(
        db_digest(&restored, None).await,
        db_digest(&app.db, None).await
    );
    assert_eq!(security(&restored).await, security(&app.db).await);
    assert_confined(&restored, t.a).await;
}

#[actix_web::test]
async fn a_restore_without_the_grants_is_not_ready() {
    if skipped_on_citus() {
        return;
    }
    let app = TestApp::new().await;
    two_tenants(&app).await;
    let backup = Backup::new();
    dump(&app.db, &backup);
    // What a restore into a cluster without the role leaves too: no grants.
    let restored = restore(&backup, &["--no-acl"]).await;
    let server = Server::start_with(&restored, &[]);
    let ready = server.get("localhost", "/readyz");
    assert_eq!(ready.status, 503, "{}", ready.body);
    assert!(ready.body.contains("grants"), "{}", ready.body);
    assert_eq!(server.get("alpha.test", "/posts/alpha-post").status, 500);
}

/// Whether the tests run on Citus, where a backup is taken node by node instead (said on stderr).
fn skipped_on_citus() -> bool {
    let skipped = on_citus();
    if skipped {
        eprintln!("skipped: a Citus cluster is backed up node by node (docs/operations.md)");
    }
    skipped
}

/// `pg_dump --format=custom` of `db` into `backup`, as the owner.
fn dump(db: &TestDb, backup: &Backup) {
    pg(
        "pg_dump",
        &[
            "--format=custom",
            &format!("--file={}", backup.dump().display()),
            &format!("--dbname={}", db.url),
        ],
    );
}

/// A draft, and a published post showing a library image, for customer A.
async fn seed(app: &TestApp, t: &TwoTenants) {
    app.post(t.a, t.a_site, "alpha-draft", None).await;
    let image = add_image(app, t.a, "lake.png", picture(640, 480, ImageFormat::Png)).await;
    let body = format!("A lake:\n\n![A quiet lake](media:{image})\n");
    app.post_with_body(t.a, t.a_site, "with-image", &body).await;
}

/// The pages a restore must serve as before.
struct Pages {
    post: Reply,
    product: Reply,
    images: Vec<Reply>,
    draft: Reply,
    foreign: Reply,
    foreign_at_home: Reply,
}

impl Pages {
    fn read(server: &Server) -> Pages {
        let post = server.get("alpha.test", "/posts/with-image");
        let images = image_addresses(&post.body)
            .iter()
            .map(|path| server.get("alpha.test", path))
            .collect();
        Pages {
            images,
            product: server.get("alpha.test", "/products/ALPHA-1"),
            draft: server.get("alpha.test", "/posts/alpha-draft"),
            foreign: server.get("alpha.test", "/posts/beta-post"),
            foreign_at_home: server.get("beta.test", "/posts/beta-post"),
            post,
        }
    }

    fn assert_as_published(&self) {
        assert_eq!(self.post.status, 200, "{}", self.post.body);
        assert!(
            self.post.body.contains("A quiet lake"),
            "{}",
            self.post.body
        );
        assert_eq!(self.product.status, 200, "{}", self.product.body);
        assert!(
            self.product.body.contains("$18.00"),
            "{}",
            self.product.body
        );
        assert!(!self.images.is_empty(), "the post shows its image");
        for image in &self.images {
            assert_eq!(image.status, 200, "an image file");
            assert!(
                image
                    .content_type
                    .as_deref()
                    .is_some_and(|t| t.starts_with("image/")),
                "{:?}",
                image.content_type
            );
        }
        assert_eq!(self.draft.status, 404, "a draft");
        assert_eq!(self.foreign.status, 404, "another customer's post");
        assert_eq!(self.foreign_at_home.status, 200, "that post on its domain");
    }
}

/// Every `/media/…` address in `src` and `srcset` attributes of a page's images.
fn image_addresses(html: &str) -> Vec<String> {
    let document = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse("picture img, picture source").unwrap();
    let mut addresses: Vec<String> = document
        .select(&selector)
        .flat_map(|element| {
            let src = element.value().attr("src").unwrap_or_default();
            let srcset = element.value().attr("srcset").unwrap_or_default();
            std::iter::once(src)
                .chain(srcset.split(','))
                .filter_map(|candidate| candidate.split_whitespace().next())
                .filter(|address| address.starts_with("/media/"))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    addresses.sort();
    addresses.dedup();
    addresses
}

/// A backup's folder: the dump and the copy of the media folder; removed when dropped.
struct Backup(PathBuf);

impl Backup {
    fn new() -> Backup {
        let dir = std::env::temp_dir().join(format!(
            "agoat-test-backup-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Backup(dir)
    }

    fn dump(&self) -> PathBuf {
        self.0.join("agoat.dump")
    }

    fn media(&self) -> PathBuf {
        self.0.join("media")
    }
}

impl Drop for Backup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Restores `backup`'s dump as the guide says: the application role made if missing, a new empty
/// database, `pg_restore --no-owner --exit-on-error` (and `options`) into it as the owner. The
/// database is dropped when the returned value is.
async fn restore(backup: &Backup, options: &[&str]) -> TestDb {
    let admin = server_url().await;
    pg(
        "psql",
        &[
            &format!("--dbname={admin}"),
            "--set=ON_ERROR_STOP=1",
            &format!("--command={CREATE_APP_ROLE}"),
        ],
    );
    let name = format!("agoat_restored_{}", uuid::Uuid::new_v4().simple());
    pg("createdb", &[&format!("--maintenance-db={admin}"), &name]);
    let url = with_dbname(admin, &name);
    let restored = TestDb {
        app_url: roles::serving_url(&url, Password::from_env().as_ref()),
        url,
        name,
    };
    let dbname = format!("--dbname={}", restored.url);
    let dump = backup.dump().display().to_string();
    let mut args = vec!["--no-owner", "--exit-on-error", &dbname, &dump];
    args.extend_from_slice(options);
    pg("pg_restore", &args);
    restored
}

/// Runs a PostgreSQL client program and asserts it succeeds.
fn pg(program: &str, args: &[&str]) {
    let output = Command::new(pg_program(program))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} runs: {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A PostgreSQL client program: in `AGOAT_PG_BINDIR`, else in the highest
/// `/usr/lib/postgresql/<version>/bin` (a client must be at least as new as the server), else as
/// `PATH` finds it.
fn pg_program(name: &str) -> PathBuf {
    let configured = std::env::var_os("AGOAT_PG_BINDIR").map(PathBuf::from);
    let versioned = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .max_by_key(|(version, _)| *version)
        .map(|(_, bin)| bin);
    configured
        .into_iter()
        .chain(versioned)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
        .unwrap_or_else(|| PathBuf::from(name))
}

/// Copies every file under `from` to the same place under `to`.
fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_folder(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// What guards the tenants' rows, as text: every table's row-level security flags (enabled,
/// forced), the serving role's privileges on it and on its schema, and every policy.
async fn security(db: &TestDb) -> String {
    let tables = db_text(
        db,
        &format!(
            "SELECT string_agg(n.nspname || '.' || c.relname || ' rls=' || c.relrowsecurity \
             || ' forced=' || c.relforcerowsecurity \
             || ' schema_usage=' || has_schema_privilege('agoat_app', n.oid, 'USAGE') \
             || ' grants=' || array_to_string(ARRAY(SELECT p FROM unnest(ARRAY['SELECT', \
             'INSERT', 'UPDATE', 'DELETE']) p WHERE has_table_privilege('agoat_app', c.oid, p)), \
             '/'), E'\\n' ORDER BY n.nspname, c.relname) AS s \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname IN ({SCHEMAS}) AND c.relkind IN ('r', 'p')"
        ),
    )
    .await;
    assert!(
        tables.contains("content.posts rls=true forced=true schema_usage=true grants=SELECT"),
        "{tables}"
    );
    let policies = db_text(
        db,
        "SELECT string_agg(schemaname || '.' || tablename || ' ' || policyname || ' ' || cmd \
         || ' ' || roles::text || ' ' || coalesce(qual, '') || ' ' || coalesce(with_check, ''), \
         E'\\n' ORDER BY schemaname, tablename, policyname) AS s FROM pg_policies",
    )
    .await;
    format!("{tables}\n{policies}")
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The serving login on `db` sees no post without a customer, and exactly `customer`'s posts with
/// it (as many as the owner counts).
async fn assert_confined(db: &TestDb, customer: CustomerId) {
    let mut serving = AsyncPgConnection::establish(&db.app_url)
        .await
        .expect("the serving login connects to the restored database");
    assert_eq!(post_count(&mut serving).await, 0, "no customer: no post");
    diesel::sql_query("SELECT set_config('app.customer_id', $1, false)")
        .bind::<Text, _>(customer.to_string())
        .execute(&mut serving)
        .await
        .unwrap();
    let own = db_text(
        db,
        &format!("SELECT count(*)::text AS s FROM content.posts WHERE customer_id = '{customer}'"),
    )
    .await;
    let all = db_text(db, "SELECT count(*)::text AS s FROM content.posts").await;
    assert_eq!(post_count(&mut serving).await.to_string(), own);
    assert!(own.parse::<i64>().unwrap() < all.parse::<i64>().unwrap());
}

async fn post_count(conn: &mut AsyncPgConnection) -> i64 {
    diesel::sql_query("SELECT count(*) AS n FROM content.posts")
        .get_result::<Count>(conn)
        .await
        .unwrap()
        .n
}
