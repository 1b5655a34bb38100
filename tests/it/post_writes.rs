//! The one write path of posts (`content::posts::save` and `create_many`) as each caller that is
//! not the admin form reaches it: the Markdown import, the bulk create the benchmark seeds with,
//! and the outcomes every caller translates (slug taken, stale, refused). Each keeps old
//! addresses working, records revisions and audit events, and on refusal changes nothing.

use agoat::content::import::{self, ImportFile};
use agoat::content::posts::{self, Body, Change, NewPost, Outcome, Status, Target};
use agoat::error::AppError;
use agoat::tenancy::{CustomerId, SiteId};
use scoped_futures::ScopedFutureExt;
use uuid::Uuid;

use crate::admin_revisions::{current, edit};
use crate::common::{TestApp, actor, minutes_ago, post_input, sql_count, two_tenants};

/// Posts, revisions, redirects and post audit events of every customer.
async fn content_counts(app: &TestApp) -> [i64; 4] {
    [
        sql_count(app, "SELECT count(*) FROM content.posts").await,
        sql_count(app, "SELECT count(*) FROM content.post_revisions").await,
        sql_count(app, "SELECT count(*) FROM content.slug_redirects").await,
        sql_count(
            app,
            "SELECT count(*) FROM audit.events WHERE entity = 'post'",
        )
        .await,
    ]
}

async fn import(app: &TestApp, customer: CustomerId, site: SiteId, slug: &str, title: &str) {
    let mut input = post_input(slug, Some(minutes_ago(1)));
    input.title = title.to_owned();
    let batch = vec![ImportFile {
        path: format!("{slug}.md").into(),
        input,
    }];
    app.in_scope(customer, move |conn, scope| {
        let batch = batch.clone();
        async move { import::apply(conn, scope, site, &batch, &actor()).await }.scope_boxed()
    })
    .await;
}

#[actix_web::test]
async fn an_imported_post_takes_over_an_old_slug_and_a_reimport_keeps_the_address() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let post = app
        .post(t.a, t.a_site, "old-name", Some(minutes_ago(5)))
        .await;
    edit(&app, t.a, post.id, |i| i.slug = "new-name".into()).await;
    assert_eq!(app.get("alpha.test", "/posts/old-name").await.status, 301);

    // A new post with the old slug serves there itself; its redirect is gone.
    import(
        &app,
        t.a,
        t.a_site,
        "old-name",
        "Imported over the old name",
    )
    .await;
    let res = app.get("alpha.test", "/posts/old-name").await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("Imported over the old name"));
    assert_eq!(
        sql_count(&app, "SELECT count(*) FROM content.slug_redirects").await,
        0
    );

    // Importing the renamed post's slug again updates it as a new revision, same address.
    let revisions = sql_count(&app, "SELECT count(*) FROM content.post_revisions").await;
    import(&app, t.a, t.a_site, "new-name", "Reimported").await;
    let res = app.get("alpha.test", "/posts/new-name").await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("Reimported"));
    assert_eq!(current(&app, t.a, post.id).await.title, "Reimported");
    assert_eq!(
        sql_count(&app, "SELECT count(*) FROM content.post_revisions").await,
        revisions + 1
    );
}

#[actix_web::test]
async fn importing_over_a_trashed_post_is_refused_naming_the_file() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let post = app.post(t.a, t.a_site, "binned", None).await;
    app.in_scope(t.a, move |conn, scope| {
        async move {
            let post = posts::find(conn, scope, post.id).await?;
            let target = Target::Existing {
                post: &post,
                expected_version: post.version,
            };
            posts::save(conn, scope, target, Change::Trash, &actor())
                .await?
                .saved()
        }
        .scope_boxed()
    })
    .await;
    let before = content_counts(&app).await;
    let batch = vec![ImportFile {
        path: "posts/binned.md".into(),
        input: post_input("binned", Some(minutes_ago(1))),
    }];
    let (site, scope_customer) = (t.a_site, t.a);
    let error = app
        .try_in_scope(scope_customer, move |conn, scope| {
            let batch = batch.clone();
            async move { import::apply(conn, scope, site, &batch, &actor()).await }.scope_boxed()
        })
        .await
        .expect_err("a trashed post is not overwritten");
    match error {
        AppError::Conflict(message) => {
            assert!(message.starts_with("posts/binned.md: "), "{message}");
            assert!(message.contains("trash"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(content_counts(&app).await, before);
}

#[actix_web::test]
async fn bulk_creation_records_what_a_single_creation_does() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let renamed = app
        .post(t.a, t.a_site, "taken-back", Some(minutes_ago(5)))
        .await;
    edit(&app, t.a, renamed.id, |i| i.slug = "moved-on".into()).await;
    let before = content_counts(&app).await;
    let site = t.a_site;
    let created = app
        .in_scope(t.a, move |conn, scope| {
            async move {
                let body = Body::render("Shared **body**.".to_owned());
                let tags = vec!["bulk".to_owned()];
                let slugs = ["bulk-one", "bulk-two", "taken-back"];
                let new: Vec<NewPost<'_>> = slugs
                    .iter()
                    .map(|slug| NewPost {
                        byline: "",
                        id: Uuid::new_v4(),
                        kind: posts::Kind::Post,
                        site,
                        title: slug,
                        slug,
                        body: &body,
                        description: "",
                        tags: &tags,
                        status: Status::Published,
                        published_at: Some(minutes_ago(1)),
                        featured_media_id: None,
                    })
                    .collect();
                posts::create_many(conn, scope, &new, &actor()).await
            }
            .scope_boxed()
        })
        .await;
    assert_eq!(created.len(), 3);
    let after = content_counts(&app).await;
    // Three posts, three first revisions, one redirect fewer, three audit events.
    assert_eq!(
        after,
        [before[0] + 3, before[1] + 3, before[2] - 1, before[3] + 3]
    );
    assert_eq!(
        sql_count(
            &app,
            "SELECT count(*) FROM content.post_revisions WHERE revision_number = 1 \
             AND post_id IN (SELECT id FROM content.posts WHERE 'bulk' = ANY(tags))"
        )
        .await,
        3
    );
    let res = app.get("alpha.test", "/posts/bulk-two").await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("<strong>body</strong>"));
    assert_eq!(app.get("alpha.test", "/posts/taken-back").await.status, 200);
}

#[actix_web::test]
async fn a_bulk_creation_with_a_taken_slug_writes_nothing() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.post(t.a, t.a_site, "already-here", None).await;
    let before = content_counts(&app).await;
    let site = t.a_site;
    let error = app
        .try_in_scope(t.a, move |conn, scope| {
            async move {
                let body = Body::render("text".to_owned());
                let new: Vec<NewPost<'_>> = ["fresh", "already-here"]
                    .iter()
                    .map(|slug| NewPost {
                        byline: "",
                        id: Uuid::new_v4(),
                        kind: posts::Kind::Post,
                        site,
                        title: slug,
                        slug,
                        body: &body,
                        description: "",
                        tags: &[],
                        status: Status::Draft,
                        published_at: None,
                        featured_media_id: None,
                    })
                    .collect();
                posts::create_many(conn, scope, &new, &actor()).await
            }
            .scope_boxed()
        })
        .await
        .expect_err("a taken slug");
    assert!(matches!(error, AppError::Conflict(_)), "{error:?}");
    assert_eq!(content_counts(&app).await, before);
}

#[actix_web::test]
async fn outcomes_say_what_happened_and_refusals_change_nothing() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let first = app.post(t.a, t.a_site, "first", None).await;
    let second = app.post(t.a, t.a_site, "second", None).await;
    let before = content_counts(&app).await;
    let outcomes = app
        .in_scope(t.a, move |conn, scope| {
            async move {
                let first = posts::find(conn, scope, first.id).await?;
                let second = posts::find(conn, scope, second.id).await?;
                let mut input = post_input("second", None);
                let taken = Target::Existing {
                    post: &first,
                    expected_version: first.version,
                };
                let change = Change::Fields {
                    input: &input,
                    action: "update",
                };
                let slug_taken = posts::save(conn, scope, taken, change, &actor()).await?;
                input.slug = "first".into();
                let stale = Target::Existing {
                    post: &first,
                    expected_version: first.version - 1,
                };
                let change = Change::Fields {
                    input: &input,
                    action: "update",
                };
                let stale = posts::save(conn, scope, stale, change, &actor()).await?;
                let untrash = Target::Existing {
                    post: &second,
                    expected_version: second.version,
                };
                let refused = posts::save(conn, scope, untrash, Change::Untrash, &actor()).await?;
                let new = Target::New(SiteId::from_uuid(first.site_id));
                let change = Change::Fields {
                    input: &input,
                    action: "create",
                };
                let new_taken = posts::save(conn, scope, new, change, &actor()).await?;
                Ok([slug_taken, stale, refused, new_taken])
            }
            .scope_boxed()
        })
        .await;
    let [slug_taken, stale, refused, new_taken] = outcomes;
    assert!(
        matches!(&slug_taken, Outcome::SlugTaken { free } if free == "second-2"),
        "{slug_taken:?}"
    );
    assert!(
        matches!(&stale, Outcome::Stale { current } if current.id == first.id),
        "{stale:?}"
    );
    assert!(matches!(refused, Outcome::Refused(_)), "{refused:?}");
    assert!(
        matches!(&new_taken, Outcome::SlugTaken { free } if free == "first-2"),
        "{new_taken:?}"
    );
    assert_eq!(content_counts(&app).await, before);
}
