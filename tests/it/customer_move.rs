//! Moving a customer: `agoat customer export` from one database, `agoat customer import` into
//! another, compared row by row and page by page; refusals (ids that exist, a changed archive,
//! another schema version, a row the database refuses) leave nothing behind.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use agoat::tenancy::CustomerId;
use agoat::thorne::products::NewProduct;
use image::ImageFormat;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::cli::{Run, Server, agoat_on};
use crate::common::{
    STAFF_PASSWORD, TestApp, TestDb, db_digest, db_text, minutes_ago, post_input, signed_in,
};

/// A folder under the system temp dir, removed when dropped.
struct Folder(PathBuf);

impl Folder {
    fn new(label: &str) -> Folder {
        let path =
            std::env::temp_dir().join(format!("agoat-move-{label}-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).unwrap();
        Folder(path)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

/// The media store in the folder `media`.
fn media_url(media: &Path) -> String {
    format!("file://{}", media.display())
}

/// Every file under `folder`, relative path and bytes, in name order.
fn files_under(folder: &Path) -> Vec<(String, Vec<u8>)> {
    let mut found = Vec::new();
    collect(folder, folder, &mut found);
    found.sort();
    found
}

fn collect(root: &Path, dir: &Path, found: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(root, &path, found);
        } else {
            let relative = path.strip_prefix(root).unwrap().display().to_string();
            found.push((relative, std::fs::read(&path).unwrap()));
        }
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `agoat` on the database at `url` with its media files in `media`.
fn agoat_in(url: &str, media: &Path, args: &[&str]) -> Run {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_agoat"));
    command
        .env("DATABASE_URL", url)
        .env(
            "AGOAT_DATA_DIR",
            std::env::temp_dir().join("agoat-test-cli-data"),
        )
        .env("AGOAT_MEDIA_URL", media_url(media))
        .env_remove("AGOAT_APP_DATABASE_URL")
        .env_remove("AGOAT_SMTP_URL")
        .env_remove("RUST_LOG")
        .env_remove("AGOAT_LOG_FORMAT")
        .stdin(std::process::Stdio::null())
        .args(args);
    let output = command.output().expect("agoat runs");
    Run {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The one error line of a failed run.
/// Whether the tests run on Citus, where an archive is not imported (the first test checks the
/// refusal); said on stderr.
fn skipped_on_citus() -> bool {
    let skipped = crate::common::on_citus();
    if skipped {
        eprintln!("skipped: a Citus coordinator refuses customer imports");
    }
    skipped
}

fn refused(run: &Run) -> String {
    assert!(!run.status.success(), "expected a failure: {run:#?}");
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "one error line: {run:#?}");
    lines[0].to_owned()
}

/// The source: customers A and B, each with a site, posts (published, draft, a second revision,
/// tags, an image from the media library), a page, products whose prices changed, and the audit
/// events of all that.
struct Source {
    app: TestApp,
    a: CustomerId,
    b: CustomerId,
}

async fn source() -> Source {
    let app = TestApp::new().await;
    let media = app.media_dir().to_owned();
    let a = app.customer("Alpha Health").await;
    let b = app.customer("Beta Health").await;
    for (customer, host) in [(a, "alpha.test"), (b, "beta.test")] {
        let site = app.site(customer, "Blog", host).await;
        let posts = Folder::new("posts");
        std::fs::create_dir_all(posts.join("images")).unwrap();
        std::fs::write(
            posts.join("images/cover.png"),
            crate::media::picture(640, 480, ImageFormat::Png),
        )
        .unwrap();
        let first = |body: &str| {
            format!(
                "---\ntitle: First\nslug: first\ndate: 2026-01-01T10:00:00Z\ntags: [\"news\", \
                 \"health\"]\n---\n{body}\n\n![Cover](images/cover.png)\n"
            )
        };
        std::fs::write(posts.join("first.md"), first("The first body.")).unwrap();
        std::fs::write(
            posts.join("draft.md"),
            "---\ntitle: Draft\nslug: draft\ndraft: true\n---\nNot yet.\n",
        )
        .unwrap();
        let site_arg = site.to_string();
        let dir = posts.0.display().to_string();
        let import = ["import", "posts", "--site", &site_arg, &dir];
        agoat_in(&app.db.url, &media, &import).assert_ok();
        std::fs::write(posts.join("first.md"), first("The body, revised.")).unwrap();
        agoat_in(&app.db.url, &media, &import).assert_ok();
        app.save_page(customer, site, post_input("about", Some(minutes_ago(90))))
            .await;
        app.product(customer, "SKU-1", "Vitamins", "10.00", "19.99")
            .await;
        let csv = posts.join("prices.csv");
        std::fs::write(&csv, "sku,retail_price\nSKU-1,24.50\n").unwrap();
        let customer_arg = customer.to_string();
        let csv_arg = csv.display().to_string();
        let prices = ["import", "products", "--customer", &customer_arg, &csv_arg];
        agoat_in(&app.db.url, &media, &prices).assert_ok();
    }
    Source { app, a, b }
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    db_text(db, &format!("SELECT ({sql})::text AS s"))
        .await
        .parse()
        .unwrap()
}

/// The public pages of customer A compared between the two servers.
const PAGES: [&str; 5] = [
    "/",
    "/posts/first",
    "/about",
    "/products",
    "/products/SKU-1",
];

#[actix_web::test]
async fn a_customer_moves_to_another_database_with_every_row_file_and_page() {
    let source = source().await;
    let (a, b) = (source.a, source.b);
    let a_arg = a.to_string();
    // More rows than one batch of the export reads (products and their audit events).
    let many = (0..1200)
        .map(|i| NewProduct {
            sku: format!("BULK-{i:04}"),
            name: format!("Bulk product {i}"),
            description: "Many of them".into(),
            category: "Bulk".into(),
            wholesale_price: "1.25".parse().unwrap(),
            retail_price: format!("{i}.99").parse().unwrap(),
            in_stock: i % 2 == 0,
        })
        .collect();
    source.app.products(a, many).await;
    // Everything the test counts on is there at the source.
    let db = &source.app.db;
    for (what, table, condition) in [
        ("revisions", "content.post_revisions", "revision_number > 1"),
        ("drafts", "content.posts", "status = 'draft'"),
        ("pages", "content.posts", "kind = 'page'"),
        ("price changes", "thorne.price_changes", "true"),
        ("media files", "content.media_files", "true"),
        ("tags", "content.post_tags", "true"),
        ("audit events", "audit.events", "true"),
    ] {
        let sql = format!("SELECT count(*) FROM {table} WHERE customer_id = '{a}' AND {condition}");
        assert!(count(db, &sql).await >= 1, "no {what} at the source");
    }

    let files = Folder::new("archive");
    let archive = files.join("alpha.zip");
    let archive_arg = archive.display().to_string();
    let run = agoat_in(
        &db.url,
        source.app.media_dir(),
        &["customer", "export", &a_arg, "--out", &archive_arg],
    );
    run.assert_ok();
    assert!(run.stdout.contains("media files"), "{run:#?}");
    assert!(!files.join("alpha.zip.partial").exists());
    if crate::common::on_citus() {
        // A Citus coordinator refuses the import with the reason, and nothing is written.
        let line = refused_into_fresh(&archive).await;
        assert!(line.contains("Citus coordinator"), "{line}");
        return;
    }

    // The target already serves a customer of its own.
    let target = TestDb::new().await;
    let target_media = Folder::new("target-media");
    let gamma = agoat_on(&target.url, &["customer", "create", "--name", "Gamma"]).new_id();
    let gamma_arg = gamma.to_string();
    agoat_on(
        &target.url,
        &[
            "site",
            "create",
            "--customer",
            &gamma_arg,
            "--name",
            "G",
            "--domain",
            "gamma.test",
        ],
    )
    .assert_ok();
    let gamma_before = db_digest(&target, Some(CustomerId::from_uuid(gamma))).await;
    let run = agoat_in(
        &target.url,
        target_media.path(),
        &["customer", "import", &archive_arg],
    );
    assert_eq!(run.new_id(), a.as_uuid(), "{run:#?}");
    assert_eq!(
        db_digest(&target, Some(CustomerId::from_uuid(gamma))).await,
        gamma_before
    );

    // Every row of A, in every table, is the source's; B is not there.
    assert_eq!(
        db_digest(&target, Some(a)).await,
        db_digest(db, Some(a)).await
    );
    assert_eq!(
        count(&target, "SELECT count(*) FROM tenancy.customers").await,
        2
    );
    let b_at_target = db_digest(&target, Some(b)).await;
    assert!(
        b_at_target
            .split(' ')
            .all(|part| part.split(':').nth(1) == Some("0")),
        "{b_at_target}"
    );
    // A's media files are byte for byte the source's, and B's are not there.
    let a_files = |folder: &Path| -> Vec<(String, Vec<u8>)> {
        files_under(folder)
            .into_iter()
            .filter(|(name, _)| name.starts_with(&a.to_string()))
            .collect()
    };
    let source_media = source.app.media_dir();
    assert!(!a_files(source_media).is_empty());
    assert_eq!(a_files(target_media.path()), a_files(source_media));
    assert_eq!(
        files_under(target_media.path()).len(),
        a_files(source_media).len()
    );

    // A's public pages are byte for byte the source's.
    let media_name = db_text(
        db,
        &format!(
            "SELECT name AS s FROM content.media_files WHERE customer_id = '{a}' \
             ORDER BY width DESC LIMIT 1"
        ),
    )
    .await;
    let from = Server::start_on(&db.url, &[("AGOAT_MEDIA_URL", &media_url(source_media))]);
    let to = Server::start_on(
        &target.url,
        &[("AGOAT_MEDIA_URL", &media_url(target_media.path()))],
    );
    let media_path = format!("/media/{media_name}");
    for path in PAGES.iter().copied().chain([media_path.as_str()]) {
        let (before, after) = (from.get("alpha.test", path), to.get("alpha.test", path));
        assert_eq!(before.status, 200, "{path} at the source");
        assert_eq!(after.status, 200, "{path} after the move");
        assert_eq!(after.body, before.body, "{path} differs after the move");
    }
    assert_eq!(to.get("beta.test", "/").status, 404);

    // The same archive again is refused: the ids exist; nothing changes.
    let before = db_digest(&target, None).await;
    let line = refused(&agoat_in(
        &target.url,
        target_media.path(),
        &["customer", "import", &archive_arg],
    ));
    assert!(
        line.contains(&format!("customer {a} already exists")),
        "{line}"
    );
    assert_eq!(db_digest(&target, None).await, before);
}

/// The archive at `from` written again to `to` with `change` applied to the bytes of each entry
/// (by name); with `fix_manifest`, the manifest lists the changed entries' new sizes, checksums
/// and rows.
fn rewrite(from: &Path, to: &Path, fix_manifest: bool, change: impl Fn(&str, Vec<u8>) -> Vec<u8>) {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(from).unwrap()).unwrap();
    let mut entries = Vec::new();
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).unwrap();
        let name = file.name().unwrap().into_owned();
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        entries.push((name, bytes));
    }
    let mut manifest: serde_json::Value = serde_json::from_slice(
        &entries
            .iter()
            .find(|(n, _)| n == "manifest.json")
            .unwrap()
            .1,
    )
    .unwrap();
    let mut changed = Vec::new();
    for (name, bytes) in &mut entries {
        if name == "manifest.json" {
            continue;
        }
        let new = change(name, bytes.clone());
        if new != *bytes {
            changed.push((name.clone(), new.clone()));
            *bytes = new;
        }
    }
    if fix_manifest {
        for (name, bytes) in &changed {
            let entry = manifest["entries"]
                .as_array_mut()
                .unwrap()
                .iter_mut()
                .find(|e| e["name"] == name.as_str())
                .unwrap();
            entry["bytes"] = bytes.len().into();
            entry["sha256"] = hex::encode(Sha256::digest(bytes)).into();
            if entry.get("rows").is_some() {
                entry["rows"] = bytes.iter().filter(|b| **b == b'\n').count().into();
            }
        }
    }
    let manifest = change("manifest.json", serde_json::to_vec(&manifest).unwrap());
    let mut writer = zip::ZipWriter::new(std::fs::File::create(to).unwrap());
    for (name, bytes) in entries {
        let bytes = if name == "manifest.json" {
            manifest.clone()
        } else {
            bytes
        };
        writer
            .start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(&bytes).unwrap();
    }
    writer.finish().unwrap();
}

/// Imports `archive` into a fresh database and media folder, expects a refusal, and checks that
/// nothing was written; returns the error line.
async fn refused_into_fresh(archive: &Path) -> String {
    let target = TestDb::new().await;
    let media = Folder::new("refused-media");
    let empty = db_digest(&target, None).await;
    let archive_arg = archive.display().to_string();
    let line = refused(&agoat_in(
        &target.url,
        media.path(),
        &["customer", "import", &archive_arg],
    ));
    assert_eq!(db_digest(&target, None).await, empty, "{line}");
    assert!(
        files_under(media.path()).is_empty(),
        "media files left: {line}"
    );
    line
}

#[actix_web::test]
async fn a_changed_or_refused_archive_imports_nothing() {
    if skipped_on_citus() {
        return;
    }
    let source = source().await;
    let a_arg = source.a.to_string();
    let files = Folder::new("archive");
    let archive = files.join("alpha.zip");
    let archive_arg = archive.display().to_string();
    agoat_in(
        &source.app.db.url,
        source.app.media_dir(),
        &["customer", "export", &a_arg, "--out", &archive_arg],
    )
    .assert_ok();

    // One byte of a table's rows changed: refused by its checksum.
    let tampered = files.join("tampered.zip");
    rewrite(&archive, &tampered, false, |name, mut bytes| {
        if name == "rows/content.posts.jsonl" {
            let at = bytes.iter().position(|b| *b == b'F').unwrap();
            bytes[at] = b'G';
        }
        bytes
    });
    let line = refused_into_fresh(&tampered).await;
    assert!(
        line.contains("rows/content.posts.jsonl") && line.contains("checksum"),
        "{line}"
    );

    // Made at another schema version: refused, naming both.
    let older = files.join("older.zip");
    rewrite(&archive, &older, false, |name, bytes| {
        if name != "manifest.json" {
            return bytes;
        }
        let mut manifest: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        manifest["schema_version"] = "2026-11-27-000001_tenancy".into();
        serde_json::to_vec(&manifest).unwrap()
    });
    let line = refused_into_fresh(&older).await;
    assert!(
        line.contains("2026-11-27-000001_tenancy") && line.contains("schema version"),
        "{line}"
    );

    // A row late in the order that the database refuses (a price change twice, with a
    // consistent manifest): the rows and the media files written before are gone again.
    let late = files.join("late.zip");
    rewrite(&archive, &late, true, |name, mut bytes| {
        if name == "rows/thorne.price_changes.jsonl" {
            let last = bytes[..bytes.len() - 1]
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |at| at + 1);
            let line = bytes[last..].to_vec();
            bytes.extend(line);
        }
        bytes
    });
    let line = refused_into_fresh(&late).await;
    assert!(line.contains("thorne.price_changes"), "{line}");

    // One of its domains is another customer's here: refused, naming it.
    let target = TestDb::new().await;
    let other = agoat_on(&target.url, &["customer", "create", "--name", "Other"]).new_id();
    let other_arg = other.to_string();
    agoat_on(
        &target.url,
        &[
            "site",
            "create",
            "--customer",
            &other_arg,
            "--name",
            "O",
            "--domain",
            "alpha.test",
        ],
    )
    .assert_ok();
    let before = db_digest(&target, None).await;
    let media = Folder::new("taken-media");
    let line = refused(&agoat_in(
        &target.url,
        media.path(),
        &["customer", "import", &archive_arg],
    ));
    assert!(
        line.contains("alpha.test") && line.contains("in use"),
        "{line}"
    );
    assert_eq!(db_digest(&target, None).await, before);
    assert!(files_under(media.path()).is_empty());

    // An unknown customer: a clear error, no file.
    let unknown = Uuid::new_v4().to_string();
    let out = files.join("unknown.zip");
    let out_arg = out.display().to_string();
    let line = refused(&agoat_on(
        &source.app.db.url,
        &["customer", "export", &unknown, "--out", &out_arg],
    ));
    assert!(
        line.contains(&format!("customer {unknown} not found")),
        "{line}"
    );
    assert!(!out.exists());
    assert!(!files.join("unknown.zip.partial").exists());
}

#[actix_web::test]
async fn an_owner_downloads_the_archive_of_their_own_customer_once_prepared() {
    if skipped_on_citus() {
        return;
    }
    use agoat::tenancy::users::Role;
    let source = source().await;
    let (app, a) = (&source.app, source.a);
    app.user(a, "owner@alpha.test", Role::Owner, STAFF_PASSWORD)
        .await;
    app.user(a, "editor@alpha.test", Role::Editor, STAFF_PASSWORD)
        .await;
    let mut editor = signed_in(app, "alpha.test", "editor@alpha.test").await;
    assert_eq!(editor.get("/admin/export").await.status, 403);

    let mut owner = signed_in(app, "alpha.test", "owner@alpha.test").await;
    let page = owner.get("/admin/export").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Prepare an archive"), "{}", page.body);
    assert!(page.attr("a[download]", "href").is_none());
    let res = owner.post("/admin/export", "/admin/export", &[]).await;
    assert_eq!(res.status, 303);
    let mut link = None;
    for _ in 0..600 {
        let page = owner.get("/admin/export").await;
        assert!(
            !page.body.contains("could not be prepared"),
            "{}",
            page.body
        );
        link = page.attr("a[download]", "href");
        if link.is_some() {
            break;
        }
        assert!(page.body.contains("being prepared"), "{}", page.body);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let link = link.expect("the archive is ready within 30 s");
    let download = owner.get(&link).await;
    assert_eq!(download.status, 200);
    assert_eq!(download.header("content-type"), Some("application/zip"));
    assert!(
        download
            .header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment")),
    );
    // The editor cannot download it either.
    assert_eq!(editor.get(&link).await.status, 403);

    // What was downloaded is the customer's archive: it imports elsewhere as the CLI's does.
    let files = Folder::new("downloaded");
    let archive = files.join("alpha.zip");
    std::fs::write(&archive, &download.bytes).unwrap();
    let target = TestDb::new().await;
    let target_media = Folder::new("downloaded-media");
    let archive_arg = archive.display().to_string();
    let run = agoat_in(
        &target.url,
        target_media.path(),
        &["customer", "import", &archive_arg],
    );
    assert_eq!(run.new_id(), a.as_uuid(), "{run:#?}");
    assert_eq!(
        db_digest(&target, Some(a)).await,
        db_digest(&app.db, Some(a)).await
    );

    // Preparing a new one retires the old link.
    owner.post("/admin/export", "/admin/export", &[]).await;
    assert_eq!(owner.get(&link).await.status, 404);
}
