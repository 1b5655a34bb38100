//! The media library: images uploaded in the admin (or added by the command line's code path)
//! become files made from their pixels, served on the owning customer's domains only, with
//! immutable caching; every refused upload stores nothing; a post shows a library image as a
//! `<picture>` with its widths; alt text and caption edits are versioned and audited; an image in
//! use is deleted only once confirmed.

use actix_web::test::TestRequest;
use agoat::media::upload::{self, Incoming};
use agoat::tenancy::CustomerId;
use agoat::tenancy::users::Role;
use bytes::Bytes;
use image::{ImageFormat, RgbImage};
use uuid::Uuid;

use crate::common::{
    Browser, Response, STAFF_PASSWORD, TestApp, actor, signed_in, sql_count, two_tenants,
};

const BOUNDARY: &str = "----agoat-media-boundary-4f1c";

/// An image of `width` × `height` with a gradient, in `format`.
pub fn picture(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 128])
    });
    encode(&image, format)
}

/// An image of `width` × `height` of noise, which no encoder makes small.
fn noise(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let mut state = 0x2545_f491_u32;
    let image = RgbImage::from_fn(width, height, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [r, g, b, _] = state.to_le_bytes();
        image::Rgb([r, g, b])
    });
    encode(&image, format)
}

fn encode(image: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// A multipart body: the CSRF token, then one `files` part per file.
fn multipart_body(token: &str, files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
    )
    .into_bytes();
    for (name, content) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; \
                 filename=\"{name}\"\r\nContent-Type: image/png\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Uploads `files` through the library's form as `browser`.
pub async fn upload_files(browser: &mut Browser<'_>, files: &[(&str, &[u8])]) -> Response {
    let page = browser.get("/admin/media").await;
    let token = page
        .attr("input[name=csrf_token]", "value")
        .unwrap_or_else(|| panic!("no CSRF token on the library: {}", page.status));
    let mut request = TestRequest::post()
        .uri("/admin/media")
        .insert_header(("Host", browser.host.as_str()))
        .insert_header((
            "Content-Type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        ))
        .peer_addr(browser.peer)
        .set_payload(multipart_body(&token, files));
    if let Some(cookie) = &browser.cookie {
        request = request.insert_header(("Cookie", cookie.as_str()));
    }
    browser.app.send(request).await
}

/// Adds an image to `customer`'s library as the command line does; returns its id.
pub async fn add_image(app: &TestApp, customer: CustomerId, name: &str, bytes: Vec<u8>) -> Uuid {
    let files = vec![Incoming {
        name: name.to_owned(),
        bytes: Bytes::from(bytes),
    }];
    let added = upload::add(
        &app.pool,
        app.state.media_store.as_ref(),
        agoat::tenancy::Scope::of(customer),
        &actor(),
        files,
        &app.state.media_limits,
    )
    .await
    .expect("the image is added");
    added[0].id
}

/// The served files of an image, as its admin page lists them.
async fn file_urls(browser: &mut Browser<'_>, id: Uuid) -> Vec<String> {
    let page = browser.get(&format!("/admin/media/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let selector = scraper::Selector::parse("table a[href^='/media/']").unwrap();
    page.html()
        .select(&selector)
        .filter_map(|a| a.value().attr("href").map(str::to_owned))
        .collect()
}

async fn media_rows(app: &TestApp) -> i64 {
    sql_count(app, "SELECT count(*) AS n FROM content.media").await
        + sql_count(app, "SELECT count(*) AS n FROM content.media_files").await
}

/// Every file under the test's media folder.
fn stored_files(app: &TestApp) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(app.media_dir(), &mut out);
    out
}

async fn editor(app: &TestApp) -> Browser<'_> {
    signed_in(app, "alpha.test", "editor@alpha.test").await
}

#[actix_web::test]
async fn an_upload_is_served_on_its_customers_domains_only() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, "editor@alpha.test", Role::Editor, STAFF_PASSWORD)
        .await;
    let mut browser = editor(&app).await;
    let original = picture(800, 600, ImageFormat::Png);
    let res = upload_files(&mut browser, &[("holiday.png", &original)]).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let location = res.header("location").unwrap().to_owned();
    let id = Uuid::parse_str(location.trim_start_matches("/admin/media/")).unwrap();

    let urls = file_urls(&mut browser, id).await;
    let mut widths = Vec::new();
    for url in &urls {
        let res = app.get("alpha.test", url).await;
        assert_eq!(res.status, 200, "{url}");
        assert_eq!(
            res.header("cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
        let wanted_type = if url.ends_with(".webp") {
            "image/webp"
        } else {
            "image/png"
        };
        assert_eq!(res.header("content-type"), Some(wanted_type), "{url}");
        assert!(
            res.header("content-disposition")
                .is_some_and(|d| d.starts_with("inline; filename=\"")),
            "{url}"
        );
        let decoded = image::load_from_memory(&res.bytes).expect("a served file decodes");
        assert!(decoded.width() <= 800, "never upscaled: {url}");
        widths.push(decoded.width());
        // Conditional and HEAD requests.
        let etag = res.header("etag").unwrap().to_owned();
        let again = app
            .send(
                TestRequest::get()
                    .uri(url)
                    .insert_header(("Host", "alpha.test"))
                    .insert_header(("If-None-Match", etag.as_str())),
            )
            .await;
        assert_eq!(again.status, 304, "{url}");
        let head = app
            .send(
                TestRequest::default()
                    .method(actix_web::http::Method::HEAD)
                    .uri(url)
                    .insert_header(("Host", "alpha.test")),
            )
            .await;
        assert_eq!(head.status, 200);
        assert_eq!(head.header("etag"), Some(etag.as_str()));
        assert_eq!(head.header("content-type"), Some(wanted_type));
        // The body (if the harness keeps one) is the GET body; on the wire HEAD sends none.
        assert!(head.bytes.is_empty() || head.bytes == res.bytes, "{url}");
        // Another customer's domain knows no such file.
        assert_eq!(app.get("beta.test", url).await.status, 404, "{url}");
    }
    for width in [320, 640, 800] {
        assert!(
            widths.contains(&width),
            "a {width}-pixel file in {widths:?}"
        );
    }
    // The uploaded bytes themselves are kept but never served.
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&original));
    assert!(!urls.iter().any(|u| u.contains(&hash)));
    assert_eq!(
        app.get("alpha.test", &format!("/media/{hash}.png"))
            .await
            .status,
        404
    );
    for bad in ["/media/x.png", "/media/../../etc/passwd", "/media/"] {
        assert_eq!(app.get("alpha.test", bad).await.status, 404, "{bad}");
    }
    // The library lists it, and finds it by name.
    let list = browser.get("/admin/media?q=holiday").await;
    assert_eq!(list.texts(".media-name"), ["holiday.png"]);
    let none = browser.get("/admin/media?q=nothing-like-it").await;
    assert!(none.texts(".media-name").is_empty());
    let gifs = browser.get("/admin/media?format=gif").await;
    assert!(gifs.texts(".media-name").is_empty());
    assert_eq!(browser.get("/admin/media?format=svg").await.status, 400);
}

/// An SVG, HTML, a PDF named `.jpg`, a truncated PNG and a PNG whose header declares 100,000 ×
/// 100,000 pixels.
fn refused_files() -> Vec<(&'static str, Vec<u8>, u16)> {
    let png = picture(64, 64, ImageFormat::Png);
    let mut bomb = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    let ihdr_data = [0u8, 0x01, 0x86, 0xa0, 0x00, 0x01, 0x86, 0xa0, 8, 2, 0, 0, 0];
    bomb.extend_from_slice(&ihdr_data);
    let mut crc_input = b"IHDR".to_vec();
    crc_input.extend_from_slice(&ihdr_data);
    bomb.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    bomb.extend_from_slice(&[0u8; 64]);
    vec![
        (
            "logo.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec(),
            415,
        ),
        (
            "page.png",
            b"<!doctype html><html><body>hi</body></html>".to_vec(),
            415,
        ),
        (
            "scan.jpg",
            b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n".to_vec(),
            415,
        ),
        ("cut.png", png[..png.len() / 2].to_vec(), 422),
        ("bomb.png", bomb, 422),
    ]
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[actix_web::test]
async fn every_refused_upload_says_why_and_stores_nothing() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, "editor@alpha.test", Role::Editor, STAFF_PASSWORD)
        .await;
    let mut browser = editor(&app).await;
    let good = picture(100, 80, ImageFormat::Png);
    for (name, bytes, status) in refused_files() {
        let res = upload_files(&mut browser, &[(name, &bytes)]).await;
        assert_eq!(res.status, status, "{name}: {}", res.body);
        let message = res.texts("[role=alert]").join(" ");
        assert!(message.contains(name), "{name}: {message}");
        assert!(message.contains("Nothing was uploaded"), "{message}");
        // With a good file beside it, the good one is not kept either.
        let res = upload_files(&mut browser, &[("good.png", &good), (name, &bytes)]).await;
        assert_eq!(res.status, status, "{name} beside a good file");
    }
    // Refused for different reasons: a 422 naming each.
    let files = refused_files();
    let (svg, cut) = (&files[0], &files[3]);
    let res = upload_files(&mut browser, &[(svg.0, &svg.1), (cut.0, &cut.1)]).await;
    assert_eq!(res.status, 422);
    let message = res.texts("[role=alert]").join(" ");
    assert!(
        message.contains("logo.svg") && message.contains("cut.png"),
        "{message}"
    );
    let res = upload_files(&mut browser, &[]).await;
    assert_eq!(res.status, 400);
    assert_eq!(media_rows(&app).await, 0);
    assert!(stored_files(&app).is_empty(), "{:?}", stored_files(&app));
}

#[actix_web::test]
async fn a_file_over_the_size_limit_is_a_413_and_stores_nothing() {
    let app = TestApp::with_media_limits(agoat::media::image::Limits {
        max_bytes: 4_096,
        ..agoat::media::image::Limits::default()
    })
    .await;
    let t = two_tenants(&app).await;
    app.user(t.a, "editor@alpha.test", Role::Editor, STAFF_PASSWORD)
        .await;
    let mut browser = editor(&app).await;
    let big = noise(100, 100, ImageFormat::Png);
    assert!(big.len() > 4_096);
    let res = upload_files(&mut browser, &[("big.png", &big)]).await;
    assert_eq!(res.status, 413, "{}", res.body);
    assert!(res.texts("[role=alert]").join(" ").contains("big.png"));
    assert_eq!(media_rows(&app).await, 0);
    assert!(stored_files(&app).is_empty());
}

#[actix_web::test]
async fn a_post_shows_a_library_image_as_a_picture_with_its_widths() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let id = add_image(&app, t.a, "cat.jpg", picture(1200, 800, ImageFormat::Jpeg)).await;
    let foreign = add_image(&app, t.b, "dog.jpg", picture(300, 200, ImageFormat::Jpeg)).await;
    let body = format!("Our cat:\n\n![A sleeping cat](media:{id})\n\n![A dog](media:{foreign})\n");
    app.post_with_body(t.a, t.a_site, "with-cat", &body).await;
    let page = app.get("alpha.test", "/posts/with-cat").await;
    assert_eq!(page.status, 200);
    let img = "picture img";
    assert_eq!(page.attr(img, "alt").as_deref(), Some("A sleeping cat"));
    assert_eq!(page.attr(img, "width").as_deref(), Some("1200"));
    assert_eq!(page.attr(img, "height").as_deref(), Some("800"));
    assert_eq!(page.attr(img, "loading").as_deref(), Some("lazy"));
    assert_eq!(page.attr(img, "decoding").as_deref(), Some("async"));
    let srcset = page.attr(img, "srcset").unwrap();
    for width in ["320w", "640w", "1024w", "1200w"] {
        assert!(srcset.contains(width), "{width} in {srcset}");
    }
    let webp = page.attr("picture source", "srcset").unwrap();
    assert!(webp.contains(".webp 320w"), "{webp}");
    let src = page.attr(img, "src").unwrap();
    assert_eq!(app.get("alpha.test", &src).await.status, 200);
    // Another customer's image is not theirs to show: only its alt text.
    assert_eq!(page.texts("picture").len(), 1);
    assert!(page.body.contains("A dog"));
}

#[actix_web::test]
async fn alt_text_and_caption_are_saved_at_their_version_and_audited() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, "editor@alpha.test", Role::Editor, STAFF_PASSWORD)
        .await;
    let id = add_image(&app, t.a, "cat.png", picture(50, 40, ImageFormat::Png)).await;
    let mut browser = editor(&app).await;
    let page = browser.get(&format!("/admin/media/{id}")).await;
    assert!(
        page.body.contains("no alt text yet"),
        "flagged without alt text"
    );
    let path = format!("/admin/media/{id}");
    let fields = [
        ("version", "1"),
        ("alt_text", "A grey cat"),
        ("caption", "On the sofa"),
    ];
    let res = browser.post(&path, &path, &fields).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let page = browser.get(&path).await;
    assert_eq!(
        page.attr("#alt_text", "value").as_deref(),
        Some("A grey cat")
    );
    assert_eq!(page.texts("#caption"), ["On the sofa"]);
    // The same form again is stale.
    let res = browser.post(&path, &path, &fields).await;
    assert_eq!(res.status, 409, "{}", res.body);
    let too_long = "x".repeat(1001);
    let res = browser
        .post(&path, &path, &[("version", "2"), ("alt_text", &too_long)])
        .await;
    assert_eq!(res.status, 422);
    let events = sql_count(
        &app,
        "SELECT count(*) AS n FROM audit.events WHERE entity = 'media' AND action = 'update'",
    )
    .await;
    assert_eq!(events, 1);
}

#[actix_web::test]
async fn an_image_in_use_is_deleted_only_once_confirmed() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, "editor@alpha.test", Role::Editor, STAFF_PASSWORD)
        .await;
    let id = add_image(&app, t.a, "cat.png", picture(700, 500, ImageFormat::Png)).await;
    app.post_with_body(t.a, t.a_site, "with-cat", &format!("![cat](media:{id})"))
        .await;
    let mut browser = editor(&app).await;
    let urls = file_urls(&mut browser, id).await;
    let path = format!("/admin/media/{id}");
    let delete = format!("{path}/delete");
    let res = browser.post(&path, &delete, &[("version", "1")]).await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert!(
        res.body.contains("Title of with-cat"),
        "the post that breaks is named"
    );
    assert_eq!(app.get("alpha.test", &urls[0]).await.status, 200);
    let res = browser
        .post(&path, &delete, &[("version", "1"), ("confirm", "yes")])
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(browser.get(&path).await.status, 404);
    for url in &urls {
        assert_eq!(app.get("alpha.test", url).await.status, 404, "{url}");
    }
    assert_eq!(media_rows(&app).await, 0);
    // Only the kept upload remains in the store.
    assert_eq!(stored_files(&app).len(), 1, "{:?}", stored_files(&app));
}

#[actix_web::test]
async fn the_library_is_for_every_role_and_refuses_visitors() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    for (email, role) in [
        ("pricing@alpha.test", Role::Pricing),
        ("owner@alpha.test", Role::Owner),
        ("editor@alpha.test", Role::Editor),
    ] {
        app.user(t.a, email, role, STAFF_PASSWORD).await;
        let mut browser = signed_in(&app, "alpha.test", email).await;
        assert_eq!(browser.get("/admin/media").await.status, 200, "{email}");
    }
    let res = app.get("alpha.test", "/admin/media").await;
    assert_eq!(res.status, 303);
    let id = add_image(
        &app,
        t.b,
        "beta-secret.png",
        picture(30, 30, ImageFormat::Png),
    )
    .await;
    let mut browser = signed_in(&app, "alpha.test", "owner@alpha.test").await;
    assert_eq!(browser.get(&format!("/admin/media/{id}")).await.status, 404);
    assert!(
        !browser
            .get("/admin/media")
            .await
            .body
            .contains("beta-secret")
    );
}

#[actix_web::test]
async fn the_command_line_adds_images_and_prints_their_ids() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let inputs = app.media_dir().with_extension("inputs");
    std::fs::create_dir_all(&inputs).unwrap();
    let write = |name: &str, bytes: Vec<u8>| {
        let path = inputs.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_string_lossy().into_owned()
    };
    let a = write("a.png", picture(120, 90, ImageFormat::Png));
    let b = write("b.jpg", picture(90, 120, ImageFormat::Jpeg));
    let svg = write(
        "c.svg",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec(),
    );
    let store = format!("file://{}", app.media_dir().display());
    let env = [("AGOAT_MEDIA_URL", store.as_str())];
    let customer = t.a.to_string();
    let run = crate::cli::agoat_with_env(
        &app.db,
        &["media", "add", "--customer", &customer, &a, &b],
        &env,
    );
    assert!(run.status.success(), "{run:#?}");
    let ids: Vec<Uuid> = run
        .stdout
        .lines()
        .map(|l| Uuid::parse_str(l).unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{run:#?}");
    let names = sql_count(
        &app,
        "SELECT count(*) AS n FROM content.media WHERE original_name IN ('a.png', 'b.jpg')",
    )
    .await;
    assert_eq!(names, 2);
    // What the command stored is what the site serves.
    app.user(t.a, "editor@alpha.test", Role::Editor, STAFF_PASSWORD)
        .await;
    let mut browser = editor(&app).await;
    let urls = file_urls(&mut browser, ids[1]).await;
    assert_eq!(app.get("alpha.test", &urls[0]).await.status, 200);
    // A refused file refuses the whole command, naming the file; nothing is added.
    let before = media_rows(&app).await;
    let run = crate::cli::agoat_with_env(
        &app.db,
        &["media", "add", "--customer", &customer, &a, &svg],
        &env,
    );
    assert!(!run.status.success());
    assert!(run.stderr.contains("c.svg"), "{run:#?}");
    assert!(run.stdout.is_empty());
    assert_eq!(media_rows(&app).await, before);
    let stranger = Uuid::new_v4().to_string();
    let run = crate::cli::agoat_with_env(
        &app.db,
        &["media", "add", "--customer", &stranger, &a],
        &env,
    );
    assert!(run.stderr.contains("no customer"), "{run:#?}");
    let _ = std::fs::remove_dir_all(&inputs);
}

#[actix_web::test]
async fn a_featured_image_shows_on_the_card_the_post_link_previews_and_the_feed() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, "editor@alpha.test", Role::Editor, STAFF_PASSWORD)
        .await;
    let id = add_image(
        &app,
        t.a,
        "cover.jpg",
        picture(2000, 1000, ImageFormat::Jpeg),
    )
    .await;
    let foreign = add_image(&app, t.b, "beta.jpg", picture(300, 200, ImageFormat::Jpeg)).await;
    let mut browser = editor(&app).await;
    let form = browser.get("/admin/posts/new").await;
    assert!(
        form.texts("#featured_media option")
            .contains(&"cover.jpg".to_owned()),
        "the form offers the library's images"
    );
    assert!(!form.body.contains("beta.jpg"));
    let post = async |browser: &mut Browser<'_>, featured: String| {
        let fields = [
            ("title", "With a cover"),
            ("slug", "with-cover"),
            ("body", "Text."),
            ("featured_media", featured.as_str()),
            ("action", "publish"),
        ];
        browser
            .post("/admin/posts/new", "/admin/posts", &fields)
            .await
    };
    // Another customer's image, or no image at all, is refused and nothing is created.
    let res = post(&mut browser, foreign.to_string()).await;
    assert!(
        (400..500).contains(&res.status),
        "{}: {}",
        res.status,
        res.body
    );
    let res = post(&mut browser, "not-an-id".to_owned()).await;
    assert_eq!(res.status, 400, "{}", res.body);
    assert_eq!(
        sql_count(
            &app,
            "SELECT count(*) AS n FROM content.posts WHERE slug = 'with-cover'"
        )
        .await,
        0
    );
    let res = post(&mut browser, id.to_string()).await;
    assert_eq!(res.status, 303, "{}", res.body);

    let page = app.get("alpha.test", "/posts/with-cover").await;
    assert_eq!(page.status, 200);
    assert!(
        page.attr(".post-featured picture img", "srcset").is_some(),
        "{}",
        page.body
    );
    assert_eq!(
        page.attr(".post-featured img", "width").as_deref(),
        Some("2000")
    );
    let og = page.attr("meta[property='og:image']", "content").unwrap();
    assert!(
        og.starts_with("http://alpha.test/media/") && og.ends_with(".jpg"),
        "{og}"
    );
    let og_path = og.trim_start_matches("http://alpha.test");
    let file = app.get("alpha.test", og_path).await;
    assert_eq!(file.status, 200);
    assert_eq!(image::load_from_memory(&file.bytes).unwrap().width(), 1600);
    assert_eq!(
        page.attr("meta[name='twitter:card']", "content").as_deref(),
        Some("summary_large_image")
    );
    let home = app.get("alpha.test", "/").await;
    assert!(home.attr(".post-card picture img", "srcset").is_some());
    let feed = app.get("alpha.test", "/feed.xml").await;
    assert!(
        feed.body.contains("xml:base=\"http://alpha.test/\""),
        "{}",
        feed.body
    );
    assert!(
        feed.body.contains("rel=\"enclosure\" type=\"image/jpeg\"") && feed.body.contains(&og),
        "{}",
        feed.body
    );
    // A post without one has no image in its previews.
    let plain = app.get("alpha.test", "/posts/alpha-post").await;
    assert!(plain.attr("meta[property='og:image']", "content").is_none());
    assert_eq!(
        plain
            .attr("meta[name='twitter:card']", "content")
            .as_deref(),
        Some("summary")
    );
    // The library says where the image is used.
    let uses = browser.get(&format!("/admin/media/{id}")).await;
    assert!(uses.body.contains("With a cover"));
}

#[actix_web::test]
async fn importing_posts_brings_their_local_images_into_the_library() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let folder = app.media_dir().with_extension("import");
    std::fs::create_dir_all(folder.join("images")).unwrap();
    std::fs::write(
        folder.join("images/cat one.png"),
        picture(900, 600, ImageFormat::Png),
    )
    .unwrap();
    std::fs::write(
        folder.join("cats.md"),
        "---\ntitle: Cats\nslug: cats\ndate: 2026-01-01T10:00:00Z\n---\n\
         ![A cat](images/cat%20one.png \"Ours\")\n\n![Twice](<images/cat one.png>)\n\n\
         ![Elsewhere](https://example.com/x.png)\n",
    )
    .unwrap();
    let store = format!("file://{}", app.media_dir().display());
    let env = [("AGOAT_MEDIA_URL", store.as_str())];
    let site = t.a_site.to_string();
    let dir = folder.to_string_lossy().into_owned();
    // A missing image refuses the whole batch, naming the post and the image.
    std::fs::write(
        folder.join("broken.md"),
        "---\ntitle: Broken\n---\n![x](images/gone.jpg)\n",
    )
    .unwrap();
    let run =
        crate::cli::agoat_with_env(&app.db, &["import", "posts", "--site", &site, &dir], &env);
    assert!(!run.status.success());
    assert!(
        run.stderr.contains("broken.md") && run.stderr.contains("images/gone.jpg"),
        "{run:#?}"
    );
    assert_eq!(media_rows(&app).await, 0);
    // An image that is not one refuses it too.
    std::fs::write(folder.join("images/gone.jpg"), b"<html>not an image</html>").unwrap();
    let run =
        crate::cli::agoat_with_env(&app.db, &["import", "posts", "--site", &site, &dir], &env);
    assert!(!run.status.success());
    assert!(run.stderr.contains("gone.jpg"), "{run:#?}");
    assert_eq!(media_rows(&app).await, 0);
    assert_eq!(
        sql_count(
            &app,
            "SELECT count(*) AS n FROM content.posts WHERE slug IN ('cats', 'broken')"
        )
        .await,
        0
    );
    std::fs::remove_file(folder.join("broken.md")).unwrap();
    let run =
        crate::cli::agoat_with_env(&app.db, &["import", "posts", "--site", &site, &dir], &env);
    assert!(run.status.success(), "{run:#?}");
    assert!(run.stdout.contains("1 image added"), "{run:#?}");
    let body = crate::common::sql_text(
        &app,
        "SELECT body_markdown AS s FROM content.posts WHERE slug = 'cats'",
    )
    .await;
    let id = crate::common::sql_text(&app, "SELECT id::text AS s FROM content.media").await;
    assert!(
        body.contains(&format!("![A cat](media:{id} \"Ours\")")),
        "{body}"
    );
    assert!(body.contains(&format!("![Twice](media:{id})")), "{body}");
    assert!(body.contains("(https://example.com/x.png)"), "{body}");
    let page = app.get("alpha.test", "/posts/cats").await;
    assert_eq!(page.texts("picture").len(), 2, "{}", page.body);
    let src = page.attr("picture img", "src").unwrap();
    assert_eq!(app.get("alpha.test", &src).await.status, 200);
    let _ = std::fs::remove_dir_all(&folder);
}
