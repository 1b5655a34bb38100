//! `agoat import wordpress` with a real WordPress export (tests/fixtures/import/wordpress, made by
//! Debian's WordPress): what comes across and as what, checked through the public site; every old
//! address answering 301 in one hop; the dry run writing nothing; a second import updating in
//! place; a broken file importing nothing.

use std::path::Path;

use crate::cli::{Run, agoat_with_env};
use crate::common::{TestApp, sql_text};
use crate::import_support::{data_dir, fixture, import_fixture};

fn import(app: &TestApp, data: &Path, site: &str, extra: &[&str]) -> Run {
    let source = ("wordpress", "export.xml", "--uploads", "uploads");
    import_fixture(app, data, source, site, extra)
}

async fn count(app: &TestApp, sql: &str) -> String {
    sql_text(app, sql).await
}

async fn moved(app: &TestApp, path: &str) -> (u16, Option<String>) {
    let res = app.get("alpha.test", path).await;
    (res.status, res.header("location").map(str::to_owned))
}

#[actix_web::test]
async fn a_wordpress_site_comes_across_with_every_old_address() {
    let app = TestApp::new().await;
    let customer = app.customer("Alpha Health").await;
    let site = app.site(customer, "Alpha Blog", "alpha.test").await;
    let data = data_dir(&app);
    let site_id = site.to_string();

    // The dry run says what would happen and writes nothing.
    let dry = import(&app, data.path(), &site_id, &["--dry-run"]);
    assert!(dry.status.success(), "{dry:#?}");
    assert!(
        dry.stdout.contains("posts: 13 would be created"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout.contains("pages: 5 would be created"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout
            .contains("unknown shortcode removed: [contact-form-7] ×1"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout.contains("comments not imported: 7"),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.contains("skipped: item"), "{}", dry.stdout);
    assert!(dry.stdout.contains("dry run: nothing was written"));
    assert_eq!(
        count(&app, "SELECT count(*)::text AS s FROM content.posts").await,
        "0"
    );

    let run = import(&app, data.path(), &site_id, &[]);
    assert!(run.status.success(), "{run:#?}");
    assert!(
        run.stdout.contains("posts: 13 created, 0 updated"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("images: 2 added"), "{}", run.stdout);

    // Classic-editor HTML: paragraphs, headings, a table, the caption as a figure with the
    // imported image.
    let res = app
        .get("alpha.test", "/posts/why-we-sleep-badly-in-spring")
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let article = res.body.as_str();
    assert!(article.contains("<table"), "a table");
    assert!(
        article.contains("<figure>") && article.contains("<figcaption>"),
        "a captioned figure"
    );
    assert!(article.contains("<picture"), "the imported image");
    assert!(!article.contains("[caption"), "no shortcode shown raw");
    assert_eq!(
        res.texts(".post-meta .byline"),
        ["Alice Martin"],
        "the author as byline"
    );

    // Block markup with its internal link rewritten.
    let res = app
        .get("alpha.test", "/posts/a-quiet-evening-routine")
        .await;
    assert_eq!(res.status, 200);
    assert!(!res.body.contains("wp:paragraph"));
    assert!(
        res.body
            .contains("href=\"/posts/why-we-sleep-badly-in-spring\""),
        "internal link rewritten"
    );

    // Scripts, frames and handlers go; unknown shortcodes never show.
    let res = app
        .get("alpha.test", "/posts/widgets-i-tried-this-year")
        .await;
    assert_eq!(res.status, 200);
    for bad in ["<iframe", "onclick", "onmouseover", "javascript:"] {
        assert!(!res.body.contains(bad), "{bad} survived");
    }
    let res = app.get("alpha.test", "/posts/media-round-up").await;
    assert!(!res.body.contains("[contact-form-7"));
    assert!(
        res.body
            .contains("https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
        "the embed as a link"
    );

    // Internal links of every kind.
    let res = app
        .get("alpha.test", "/posts/further-reading-on-sleep")
        .await;
    for href in [
        "/posts/why-we-sleep-badly-in-spring",
        "/posts/a-quiet-evening-routine",
        "/about/team",
        "/tags/sleep",
    ] {
        assert!(
            res.body.contains(&format!("href=\"{href}\"")),
            "{href} in {}",
            res.body
        );
    }

    // A link to an image file leads to its old address here, which leads to the imported image.
    let res = app
        .get("alpha.test", "/posts/why-we-sleep-badly-in-spring")
        .await;
    assert!(
        res.body
            .contains("href=\"/wp-content/uploads/2023/03/night-sky.jpg\""),
        "{}",
        res.body
    );

    // Non-Latin text, a featured image; the page nested under its parent.
    let res = app
        .get("alpha.test", "/posts/dong-jing-noye-noch-v-tokio")
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains("東京の夜"));
    assert!(res.body.contains("<picture"), "its featured image");
    assert_eq!(res.texts(".post-meta .byline"), ["山田 健二"]);
    let res = app.get("alpha.test", "/about/team").await;
    assert_eq!(res.status, 200);

    // Never public: drafts, pending, private, password-protected, scheduled; trashed skipped.
    for slug in [
        "thoughts-on-naps",
        "a-ramen-guide-for-night-owls",
        "my-sleep-log",
        "members-only-the-full-study",
        "sleep-and-screens-the-2031-update",
        "old-announcement-trashed",
    ] {
        assert_eq!(
            app.get("alpha.test", &format!("/posts/{slug}"))
                .await
                .status,
            404,
            "{slug}"
        );
    }
    assert_eq!(
        count(&app, "SELECT count(*)::text AS s FROM content.posts WHERE slug = 'sleep-and-screens-the-2031-update' AND status = 'published' AND published_at = '2031-06-01 08:00:00+00'").await,
        "1",
        "the scheduled post keeps its time"
    );

    // Every old address: one hop to the new one.
    for (old, new) in [
        (
            "/2023/03/14/why-we-sleep-badly-in-spring/",
            "/posts/why-we-sleep-badly-in-spring",
        ),
        (
            "/why-we-sleep-badly-in-spring/",
            "/posts/why-we-sleep-badly-in-spring",
        ),
        ("/?p=10", "/posts/why-we-sleep-badly-in-spring"),
        ("/archives/10", "/posts/why-we-sleep-badly-in-spring"),
        ("/?page_id=8", "/about/team"),
        ("/category/health/sleep/", "/tags/sleep"),
        ("/category/health/", "/tags/health"),
        ("/tag/night/", "/tags/night"),
        ("/author/alice/", "/"),
        ("/2023/03/", "/"),
        (
            "/2023/08/19/%e6%9d%b1%e4%ba%ac%e3%81%ae%e5%a4%9c-%d0%9d%d0%be%d1%87%d1%8c-%d0%b2-%d0%a2%d0%be%d0%ba%d0%b8%d0%be/",
            "/posts/dong-jing-noye-noch-v-tokio",
        ),
    ] {
        assert_eq!(moved(&app, old).await, (301, Some(new.to_owned())), "{old}");
    }
    // Old image addresses, the original and a size WordPress made, lead to the imported image.
    for old in [
        "/wp-content/uploads/2023/03/night-sky.jpg",
        "/wp-content/uploads/2023/03/night-sky-300x200.jpg",
    ] {
        let (status, location) = moved(&app, old).await;
        assert_eq!(status, 301, "{old}");
        let location = location.unwrap();
        assert!(location.starts_with("/media/"), "{location}");
        assert_eq!(app.get("alpha.test", &location).await.status, 200);
    }
    // The old addresses of what is not public lead nowhere.
    for old in ["/?p=21", "/?p=24", "/?p=23", "/?p=26"] {
        assert_eq!(moved(&app, old).await.0, 404, "{old}");
    }

    // Audited as an import.
    assert_eq!(
        count(&app, "SELECT (count(*) > 0)::text AS s FROM audit.events WHERE action = 'import' AND after->>'source' = 'wordpress'").await,
        "true"
    );

    // Again: updated in place, nothing doubled.
    let posts_before = count(&app, "SELECT count(*)::text AS s FROM content.posts").await;
    let media_before = count(&app, "SELECT count(*)::text AS s FROM content.media").await;
    let again = import(&app, data.path(), &site_id, &[]);
    assert!(again.status.success(), "{again:#?}");
    assert!(
        again.stdout.contains("posts: 0 created, 13 updated"),
        "{}",
        again.stdout
    );
    assert!(again.stdout.contains("2 already there"), "{}", again.stdout);
    assert_eq!(
        count(&app, "SELECT count(*)::text AS s FROM content.posts").await,
        posts_before
    );
    assert_eq!(
        count(&app, "SELECT count(*)::text AS s FROM content.media").await,
        media_before
    );
    // Each import is a revision of its own, and the audit log names both imports.
    let of_post = "FROM content.posts p WHERE p.slug = 'why-we-sleep-badly-in-spring'";
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*)::text AS s FROM content.post_revisions r \
                 WHERE r.post_id = (SELECT p.id {of_post})"
            )
        )
        .await,
        "2"
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*)::text AS s FROM audit.events e \
                 WHERE e.entity_id = (SELECT p.id {of_post}) AND e.action = 'import' \
                 AND e.after->>'source' = 'wordpress'"
            )
        )
        .await,
        "2"
    );
}

#[actix_web::test]
async fn a_broken_export_imports_nothing() {
    let app = TestApp::new().await;
    let customer = app.customer("Alpha Health").await;
    let site = app.site(customer, "Alpha Blog", "alpha.test").await;
    let data = data_dir(&app);
    let text = std::fs::read_to_string(fixture("wordpress", "export.xml")).unwrap();
    let cut = &text[..text.len() * 2 / 3];
    let broken = data.path().join("broken.xml");
    std::fs::write(&broken, cut).unwrap();
    let run = agoat_with_env(
        &app.db,
        &[
            "import",
            "wordpress",
            "--site",
            &site.to_string(),
            broken.to_str().unwrap(),
        ],
        &[("AGOAT_DATA_DIR", data.path().to_str().unwrap())],
    );
    assert!(!run.status.success());
    assert!(run.stderr.contains("not well-formed XML"), "{}", run.stderr);
    assert_eq!(
        count(&app, "SELECT count(*)::text AS s FROM content.posts").await,
        "0"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*)::text AS s FROM content.old_addresses"
        )
        .await,
        "0"
    );
}

#[actix_web::test]
async fn an_address_another_post_has_stops_the_import_and_the_dry_run_names_it() {
    let app = TestApp::new().await;
    let customer = app.customer("Alpha Health").await;
    let site = app.site(customer, "Alpha Blog", "alpha.test").await;
    app.post(
        customer,
        site,
        "hello-world",
        Some(crate::common::minutes_ago(5)),
    )
    .await;
    let data = data_dir(&app);
    let site_id = site.to_string();
    let expected = "item 1 \"Hello world!\": the address /posts/hello-world is taken by a post the \
                    import did not make";

    let dry = import(&app, data.path(), &site_id, &["--dry-run"]);
    assert!(!dry.status.success());
    assert!(dry.stderr.contains(expected), "{}", dry.stderr);

    let run = import(&app, data.path(), &site_id, &[]);
    assert!(!run.status.success());
    assert!(run.stderr.contains(expected), "{}", run.stderr);
    assert_eq!(
        count(&app, "SELECT count(*)::text AS s FROM content.posts").await,
        "1"
    );
    assert_eq!(
        count(&app, "SELECT count(*)::text AS s FROM content.media").await,
        "0"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*)::text AS s FROM content.old_addresses"
        )
        .await,
        "0"
    );
    // The images stored before the transaction are removed again: the store holds no file.
    assert_eq!(files_in(app.media_dir()), 0, "no file left behind");
}

/// How many files a folder holds, in all its subfolders.
fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let path = e.path();
                    if path.is_dir() { files_in(&path) } else { 1 }
                })
                .sum()
        })
        .unwrap_or(0)
}
