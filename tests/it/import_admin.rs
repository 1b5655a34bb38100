//! The owners' import page, `/admin/import`: a real WordPress export and a zip of its uploads
//! folder uploaded through the form, the dry-run report that changes nothing, the apply that
//! brings the site in (checked through the public site and its old addresses), a second apply
//! refused, the same export again counted as updates; a Ghost export without images; every bad
//! upload a 4xx with the reason and nothing stored; an export with an item that would stop the
//! import refused at apply; owners only; another customer's import out of reach.

use std::io::Write;
use std::path::Path;

use agoat::tenancy::users::Role;

use crate::common::{
    Browser, Response, STAFF_PASSWORD, TestApp, database_digest, minutes_ago, signed_in, sql_count,
    two_tenants,
};
use crate::import_support::fixture;

const OWNER: &str = "owner@alpha.test";
const BOUNDARY: &str = "----agoat-import-boundary-3xQ9pLm2";

/// A part of a multipart form.
enum Part<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a str, &'a [u8]),
}

fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        match part {
            Part::Text(name, value) => body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n\
                     {value}\r\n"
                )
                .as_bytes(),
            ),
            Part::File(name, file_name, bytes) => {
                body.extend_from_slice(
                    format!(
                        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; \
                         filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
                body.extend_from_slice(b"\r\n");
            }
        }
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn post_multipart(browser: &mut Browser<'_>, body: Vec<u8>) -> Response {
    browser
        .post_multipart("/admin/import", BOUNDARY, body)
        .await
}

/// The CSRF token of the import form.
async fn token(browser: &mut Browser<'_>) -> String {
    let page = browser.get("/admin/import").await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.attr("input[name=csrf_token]", "value")
        .expect("a CSRF token on the import form")
}

/// Uploads through the form: the token first, as the browser sends it.
async fn upload(
    browser: &mut Browser<'_>,
    source: &str,
    export: (&str, &[u8]),
    images: Option<(&str, &[u8])>,
) -> Response {
    let token = token(browser).await;
    let mut parts = vec![
        Part::Text("csrf_token", &token),
        Part::Text("source", source),
        Part::File("export", export.0, export.1),
    ];
    if let Some((name, bytes)) = images {
        parts.push(Part::File("images", name, bytes));
    }
    post_multipart(browser, multipart(&parts)).await
}

/// A zip of a folder, its files under `prefix`.
fn zip_of(folder: &Path, prefix: &str) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let mut stack = vec![folder.to_owned()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.path());
        for entry in entries {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let relative = path.strip_prefix(folder).unwrap().to_str().unwrap();
            writer
                .start_file(format!("{prefix}{relative}"), options)
                .unwrap();
            writer.write_all(&std::fs::read(&path).unwrap()).unwrap();
        }
    }
    writer.finish().unwrap().into_inner()
}

fn zip_entries(entries: &[(&str, &[u8])]) -> Vec<u8> {
    zip_with(entries, zip::CompressionMethod::Deflated)
}

fn zip_with(entries: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, bytes) in entries {
        writer.start_file(*name, options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

fn read_fixture(source: &str, name: &str) -> Vec<u8> {
    std::fs::read(fixture(source, name)).unwrap()
}

/// The report an upload led to: its address and page.
async fn report_of(browser: &mut Browser<'_>, res: &Response) -> (String, Response) {
    assert_eq!(res.status, 303, "{}", res.body);
    let location = res.header("location").expect("a report address").to_owned();
    assert!(location.starts_with("/admin/import/"), "{location}");
    let page = browser.get(&location).await;
    assert_eq!(page.status, 200, "{}", page.body);
    (location, page)
}

fn count_in(page: &Response, id: &str) -> String {
    page.texts(&format!("#{id}")).concat()
}

async fn apply(browser: &mut Browser<'_>, report: &str) -> Response {
    browser.post(report, &format!("{report}/apply"), &[]).await
}

async fn posts(app: &TestApp) -> i64 {
    sql_count(app, "SELECT count(*) FROM content.posts").await
}

#[actix_web::test]
async fn an_owner_imports_a_wordpress_site_with_its_images_from_the_admin() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, OWNER, Role::Owner, STAFF_PASSWORD).await;
    let before_posts = posts(&app).await;
    let mut browser = signed_in(&app, "alpha.test", OWNER).await;
    let export = read_fixture("wordpress", "export.xml");
    let images = zip_of(&fixture("wordpress", "uploads"), "wp-content/uploads/");

    let res = upload(
        &mut browser,
        "wordpress",
        ("export.xml", &export),
        Some(("uploads.zip", &images)),
    )
    .await;
    let (report, page) = report_of(&mut browser, &res).await;
    assert_eq!(count_in(&page, "posts-created"), "13", "{}", page.body);
    assert_eq!(count_in(&page, "pages-created"), "5");
    assert_eq!(count_in(&page, "images-added"), "2");
    assert_eq!(count_in(&page, "images-missing"), "0");
    assert_eq!(count_in(&page, "comments"), "7");
    assert!(
        page.texts("#shortcodes")
            .concat()
            .contains("[contact-form-7] × 1"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Nothing is imported yet"));
    // The dry run changed nothing but keeping the upload.
    assert_eq!(posts(&app).await, before_posts);
    assert_eq!(
        sql_count(&app, "SELECT count(*) FROM content.media").await,
        0
    );
    assert!(sql_count(&app, "SELECT count(*) FROM content.site_import_parts").await > 0);

    let res = apply(&mut browser, &report).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.header("location"), Some(report.as_str()));
    let page = browser.get(&report).await;
    assert!(
        page.body.contains("This is what the import did"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Imported “export.xml”: 13 posts and 5 pages created"),
        "{}",
        page.body
    );
    assert_eq!(posts(&app).await, before_posts + 18);
    assert_eq!(
        sql_count(&app, "SELECT count(*) FROM content.media").await,
        2
    );
    // The bytes are not kept once applied.
    assert_eq!(
        sql_count(&app, "SELECT count(*) FROM content.site_import_parts").await,
        0
    );
    let audited = sql_count(
        &app,
        "SELECT count(*) FROM audit.events WHERE entity = 'site_import' \
         AND action IN ('upload', 'apply')",
    )
    .await;
    assert_eq!(audited, 2);

    // Through the public site: the post with its imported image, and the old addresses.
    let post = app
        .get("alpha.test", "/posts/why-we-sleep-badly-in-spring")
        .await;
    assert_eq!(post.status, 200, "{}", post.body);
    assert!(post.body.contains("/media/"), "the imported image is shown");
    let old = app
        .get(
            "alpha.test",
            "/wp-content/uploads/2023/03/night-sky-300x200.jpg",
        )
        .await;
    assert_eq!(old.status, 301);
    assert!(
        old.header("location").unwrap().contains("/media/"),
        "{:?}",
        old.header("location")
    );
    let old = app
        .get("alpha.test", "/2023/03/14/why-we-sleep-badly-in-spring/")
        .await;
    assert_eq!(old.status, 301, "{}", old.body);

    // Applied once only.
    let again = apply(&mut browser, &report).await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(posts(&app).await, before_posts + 18);

    // The same export again: what the first import made is updated, not added twice.
    let res = upload(
        &mut browser,
        "wordpress",
        ("export.xml", &export),
        Some(("uploads.zip", &images)),
    )
    .await;
    let (second, page) = report_of(&mut browser, &res).await;
    assert_eq!(count_in(&page, "posts-created"), "0", "{}", page.body);
    assert_eq!(count_in(&page, "posts-updated"), "13");
    assert_eq!(count_in(&page, "images-kept"), "2");
    let res = apply(&mut browser, &second).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(posts(&app).await, before_posts + 18);

    // The list of earlier imports.
    let list = browser.get("/admin/import").await;
    assert_eq!(
        list.texts("table.site-imports tbody tr").len(),
        2,
        "{}",
        list.body
    );

    // Beta's owner reaches none of it.
    app.user(t.b, "owner@beta.test", Role::Owner, STAFF_PASSWORD)
        .await;
    let mut beta = signed_in(&app, "beta.test", "owner@beta.test").await;
    assert_eq!(beta.get(&report).await.status, 404);
    let digest = database_digest(&app, None).await;
    let res = beta
        .post("/admin/import", &format!("{second}/apply"), &[])
        .await;
    assert_eq!(res.status, 404, "{}", res.body);
    assert_eq!(database_digest(&app, None).await, digest);
    let list = beta.get("/admin/import").await;
    assert!(!list.body.contains("export.xml"), "{}", list.body);
}

#[actix_web::test]
async fn a_ghost_export_without_images_reports_them_missing_and_imports_the_posts() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, OWNER, Role::Owner, STAFF_PASSWORD).await;
    let mut browser = signed_in(&app, "alpha.test", OWNER).await;
    let export = read_fixture("ghost", "export.json");
    let before = posts(&app).await;

    let res = upload(&mut browser, "ghost", ("my-site.ghost.json", &export), None).await;
    let (report, page) = report_of(&mut browser, &res).await;
    assert_eq!(count_in(&page, "images-added"), "0", "{}", page.body);
    assert_ne!(count_in(&page, "images-missing"), "0");
    assert!(
        page.body.contains("/content/images/"),
        "the missing images are named"
    );
    assert!(page.body.contains("members-only or paid"), "{}", page.body);
    let created: i64 = count_in(&page, "posts-created").parse().unwrap();
    let pages: i64 = count_in(&page, "pages-created").parse().unwrap();
    assert!(created > 0);

    let res = apply(&mut browser, &report).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(posts(&app).await, before + created + pages);
}

/// Every customer's rows, the uploads included: what a refused upload must not change.
async fn everything(app: &TestApp) -> String {
    database_digest(app, None).await
}

#[actix_web::test]
async fn bad_uploads_are_refused_with_the_reason_and_nothing_is_stored() {
    let app = TestApp::with_site_import_limit(2 * 1024 * 1024).await;
    let t = two_tenants(&app).await;
    app.user(t.a, OWNER, Role::Owner, STAFF_PASSWORD).await;
    let mut browser = signed_in(&app, "alpha.test", OWNER).await;
    let wxr = read_fixture("wordpress", "export.xml");
    let ghost = read_fixture("ghost", "export.json");
    let before = everything(&app).await;

    let cases: Vec<(&str, Vec<Part<'_>>, u16, &str)> = vec![
        (
            "no source",
            vec![Part::File("export", "export.xml", &wxr)],
            400,
            "Choose the system",
        ),
        (
            "an unknown source",
            vec![
                Part::Text("source", "drupal"),
                Part::File("export", "export.xml", &wxr),
            ],
            400,
            "Choose the system",
        ),
        (
            "no export",
            vec![Part::Text("source", "wordpress")],
            400,
            "Choose the export file",
        ),
        (
            "an empty export",
            vec![
                Part::Text("source", "wordpress"),
                Part::File("export", "export.xml", b""),
            ],
            400,
            "Choose the export file",
        ),
        (
            "not XML",
            vec![
                Part::Text("source", "wordpress"),
                Part::File("export", "export.xml", b"hello"),
            ],
            400,
            "not a WordPress export",
        ),
        (
            "a Ghost export as WordPress",
            vec![
                Part::Text("source", "wordpress"),
                Part::File("export", "export.json", &ghost),
            ],
            400,
            "not a WordPress export",
        ),
        (
            "a WordPress export as Ghost",
            vec![
                Part::Text("source", "ghost"),
                Part::File("export", "export.xml", &wxr),
            ],
            400,
            "not a Ghost export",
        ),
        (
            "images that are not a zip",
            vec![
                Part::Text("source", "wordpress"),
                Part::File("export", "export.xml", &wxr),
                Part::File("images", "uploads.zip", b"not a zip at all"),
            ],
            400,
            "not a zip file",
        ),
        (
            "a control character in the file name",
            vec![
                Part::Text("source", "wordpress"),
                Part::File("export", "exp\u{85}ort.xml", &wxr),
            ],
            400,
            "rename the file",
        ),
    ];
    for (case, mut parts, status, message) in cases {
        let token = token(&mut browser).await;
        parts.insert(0, Part::Text("csrf_token", &token));
        let res = post_multipart(&mut browser, multipart(&parts)).await;
        assert_eq!(res.status, status, "{case}: {}", res.body);
        let shown = res.texts(".form-error").concat();
        assert!(shown.contains(message), "{case}: {shown}");
        assert!(
            res.attr("input#export", "name").is_some(),
            "{case}: the form again"
        );
        assert_eq!(everything(&app).await, before, "{case}");
    }

    // An archive whose entry climbs out of its folder.
    let evil = zip_entries(&[("../../evil.jpg", b"x")]);
    let res = upload(
        &mut browser,
        "wordpress",
        ("export.xml", &wxr),
        Some(("uploads.zip", &evil)),
    )
    .await;
    assert_eq!(res.status, 400, "{}", res.body);
    assert!(
        res.texts(".form-error")
            .concat()
            .contains("outside its folder")
    );
    assert_eq!(everything(&app).await, before);

    // Over the limit: a 413 that names it.
    let huge = vec![b'x'; 2 * 1024 * 1024];
    let big = zip_with(&[("a.jpg", &huge)], zip::CompressionMethod::Stored);
    let res = upload(
        &mut browser,
        "wordpress",
        ("export.xml", &wxr),
        Some(("uploads.zip", &big)),
    )
    .await;
    assert_eq!(res.status, 413, "{}", res.body);
    assert!(
        res.texts(".form-error").concat().contains("2.0 MiB"),
        "{}",
        res.body
    );
    assert_eq!(everything(&app).await, before);

    // A small archive that unpacks to more than twice the limit.
    let bomb_bytes = vec![0u8; 5 * 1024 * 1024];
    let bomb = zip_entries(&[("a.jpg", &bomb_bytes)]);
    assert!(bomb.len() < 64 * 1024);
    let res = upload(
        &mut browser,
        "wordpress",
        ("export.xml", &wxr),
        Some(("uploads.zip", &bomb)),
    )
    .await;
    assert_eq!(res.status, 400, "{}", res.body);
    assert!(
        res.texts(".form-error")
            .concat()
            .contains("unpacks to more than 4 MiB")
    );
    assert_eq!(everything(&app).await, before);

    // Without the session's CSRF token.
    let res = post_multipart(
        &mut browser,
        multipart(&[
            Part::Text("source", "wordpress"),
            Part::File("export", "export.xml", &wxr),
        ]),
    )
    .await;
    assert_eq!(res.status, 403);
    assert_eq!(everything(&app).await, before);
}

#[actix_web::test]
async fn only_owners_may_import() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let wxr = read_fixture("wordpress", "export.xml");
    for (email, role) in [
        ("editor@alpha.test", Role::Editor),
        ("pricing@alpha.test", Role::Pricing),
    ] {
        app.user(t.a, email, role, STAFF_PASSWORD).await;
        let mut browser = signed_in(&app, "alpha.test", email).await;
        assert_eq!(browser.get("/admin/import").await.status, 403, "{email}");
        let before = everything(&app).await;
        // The dashboard's token: the session's own, so only the role can refuse it.
        let token = browser
            .get("/admin")
            .await
            .attr("input[name=csrf_token]", "value")
            .unwrap();
        let res = post_multipart(
            &mut browser,
            multipart(&[
                Part::Text("csrf_token", &token),
                Part::Text("source", "wordpress"),
                Part::File("export", "export.xml", &wxr),
            ]),
        )
        .await;
        assert_eq!(res.status, 403, "{email}: {}", res.body);
        assert_eq!(everything(&app).await, before, "{email}");
    }
}

#[actix_web::test]
async fn an_item_that_would_stop_the_import_is_reported_and_the_apply_refused() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, OWNER, Role::Owner, STAFF_PASSWORD).await;
    app.post(t.a, t.a_site, "hello-world", Some(minutes_ago(5)))
        .await;
    let mut browser = signed_in(&app, "alpha.test", OWNER).await;
    let wxr = read_fixture("wordpress", "export.xml");

    let res = upload(&mut browser, "wordpress", ("export.xml", &wxr), None).await;
    let (report, page) = report_of(&mut browser, &res).await;
    let problems = page.texts("#problems li").concat();
    assert!(
        problems.contains("item 1 \"Hello world!\": the address /posts/hello-world is taken"),
        "{}",
        page.body
    );
    assert!(
        page.attr(&format!("form[action=\"{report}/apply\"]"), "method")
            .is_none(),
        "no apply button"
    );

    let before = everything(&app).await;
    let res = apply(&mut browser, &report).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body.contains("Nothing was imported"), "{}", res.body);
    assert_eq!(everything(&app).await, before);
}
