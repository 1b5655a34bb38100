//! `agoat import ghost` with a real Ghost 5 export (tests/fixtures/import/ghost, made by Ghost
//! 5.130 from npm): posts and pages with their public tags, authors and images, members-only and
//! paid posts never public, internal tags never shown, Ghost's old addresses answering 301, and a
//! second import updating in place.

use std::path::Path;

use crate::cli::{Run, agoat_with_env};
use crate::common::{TestApp, sql_text};
use crate::import_support::{data_dir, import_fixture};

fn import(app: &TestApp, data: &Path, site: &str, extra: &[&str]) -> Run {
    import_fixture(
        app,
        data,
        ("ghost", "export.json", "--images", "images"),
        site,
        extra,
    )
}

#[actix_web::test]
async fn a_ghost_site_comes_across_with_its_old_addresses() {
    let app = TestApp::new().await;
    let customer = app.customer("Alpha Health").await;
    let site = app.site(customer, "Alpha Blog", "alpha.test").await;
    let data = data_dir(&app);
    let site_id = site.to_string();

    let dry = import(&app, data.path(), &site_id, &["--dry-run"]);
    assert!(dry.status.success(), "{dry:#?}");
    assert!(
        dry.stdout.contains("posts: 8 would be created"),
        "{}",
        dry.stdout
    );
    assert_eq!(
        sql_text(&app, "SELECT count(*)::text AS s FROM content.posts").await,
        "0"
    );

    let run = import(&app, data.path(), &site_id, &[]);
    assert!(run.status.success(), "{run:#?}");
    assert!(run.stdout.contains("posts: 8 created"), "{}", run.stdout);
    assert!(run.stdout.contains("pages: 1 created"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("draft: item 7 \"For members only\": members-only"),
        "{}",
        run.stdout
    );

    let res = app.get("alpha.test", "/posts/kitchen-sink").await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains("<table"));
    assert!(res.body.contains("<figcaption>"));
    assert!(
        res.body.contains("href=\"/posts/welcome-to-old-ghost\""),
        "internal link rewritten"
    );
    assert!(res.body.contains("href=\"/tags/news\""));
    assert!(!res.body.contains("__GHOST_URL__"));
    assert!(!res.body.contains("<iframe"));
    assert_eq!(
        res.texts(".post-meta .byline"),
        ["Ada Lindqvist, Bruno Okafor"]
    );

    // The featured image, and the internal tag never shown.
    let res = app.get("alpha.test", "/posts/welcome-to-old-ghost").await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("<picture"), "the feature image");
    assert!(
        !res.body.contains("hidden-tag"),
        "an internal tag is not shown"
    );
    assert_eq!(app.get("alpha.test", "/about").await.status, 200);

    // Never public: draft, scheduled, members-only and paid.
    for slug in [
        "draft-post",
        "scheduled-post",
        "members-only-post",
        "paid-post",
    ] {
        assert_eq!(
            app.get("alpha.test", &format!("/posts/{slug}"))
                .await
                .status,
            404,
            "{slug}"
        );
    }

    for (old, new) in [
        ("/welcome-to-old-ghost/", "/posts/welcome-to-old-ghost"),
        ("/kitchen-sink/", "/posts/kitchen-sink"),
        ("/tag/news/", "/tags/news"),
        ("/author/ada/", "/"),
    ] {
        let res = app.get("alpha.test", old).await;
        assert_eq!(
            (res.status, res.header("location")),
            (301, Some(new)),
            "{old}"
        );
    }
    for old in [
        "/content/images/2026/12/welcome-feature.png",
        "/content/images/size/w600/2026/12/Diagram-of-the-Pipeline.png",
    ] {
        let res = app.get("alpha.test", old).await;
        assert_eq!(res.status, 301, "{old}");
        assert!(res.header("location").unwrap().starts_with("/media/"));
    }
    assert_eq!(
        app.get("alpha.test", "/members-only-post/").await.status,
        404
    );
    assert_eq!(
        app.get("alpha.test", "/tag/hash-hidden-tag/").await.status,
        404
    );

    // Again: updated in place.
    let posts = sql_text(&app, "SELECT count(*)::text AS s FROM content.posts").await;
    let again = import(&app, data.path(), &site_id, &[]);
    assert!(again.status.success(), "{again:#?}");
    assert!(
        again.stdout.contains("posts: 0 created, 8 updated"),
        "{}",
        again.stdout
    );
    assert_eq!(
        sql_text(&app, "SELECT count(*)::text AS s FROM content.posts").await,
        posts
    );
}

#[actix_web::test]
async fn a_file_that_is_not_a_ghost_export_imports_nothing() {
    let app = TestApp::new().await;
    let customer = app.customer("Alpha Health").await;
    let site = app.site(customer, "Alpha Blog", "alpha.test").await;
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("export.json");
    std::fs::write(&file, "{\"posts\": [").unwrap();
    let run = agoat_with_env(
        &app.db,
        &[
            "import",
            "ghost",
            "--site",
            &site.to_string(),
            file.to_str().unwrap(),
        ],
        &[("AGOAT_DATA_DIR", data.path().to_str().unwrap())],
    );
    assert!(!run.status.success());
    assert!(run.stderr.contains("not a Ghost export"), "{}", run.stderr);
    assert_eq!(
        sql_text(&app, "SELECT count(*)::text AS s FROM content.posts").await,
        "0"
    );
}
