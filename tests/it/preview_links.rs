//! Tests of the preview_links area of the admin and of the public `/preview/{token}` page: making,
//! listing and revoking links for each role, bad lifetimes, expiry, tenants, CSRF.

use agoat::content::posts::Post;
use agoat::tenancy::users::Role;
use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::admin_revisions::{audit_events, edit, signed_in};
use crate::common::{Browser, TestApp, TwoTenants, assert_control_character_refused, two_tenants};

#[derive(QueryableByName, Debug)]
struct LinkRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    token_hash: String,
    #[diesel(sql_type = BigInt)]
    revision_number: i64,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    expires_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    revoked_at: Option<DateTime<Utc>>,
}

/// The stored links of a post, oldest first (read as the owner, past row-level security).
async fn links_of(app: &TestApp, post: &Post) -> Vec<LinkRow> {
    let mut conn = app.db.owner_conn().await;
    diesel::sql_query(
        "SELECT id::text AS id, token_hash, revision_number::int8 AS revision_number, created_at, \
         expires_at, revoked_at FROM content.preview_links WHERE post_id = $1::uuid \
         ORDER BY created_at",
    )
    .bind::<Text, _>(post.id.to_string())
    .load::<LinkRow>(&mut conn)
    .await
    .unwrap()
}

fn links_path(post: &Post) -> String {
    format!("/admin/posts/{}/preview-links", post.id)
}

fn revoke_path(post: &Post, link: &str) -> String {
    format!("/admin/posts/{}/preview-links/{link}/revoke", post.id)
}

/// Makes a link through the admin; returns the path of its preview (`/preview/…`).
async fn create_link(browser: &mut Browser<'_>, post: &Post, lifetime: &str) -> String {
    let path = links_path(post);
    let res = browser
        .post(&path, &path, &[("lifetime_hours", lifetime)])
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let url = res
        .attr("#new-link-url", "value")
        .expect("the new link is shown");
    let base = format!("http://{}", browser.host);
    url.strip_prefix(&base)
        .unwrap_or_else(|| panic!("{url} is on the site's domain"))
        .to_owned()
}

async fn setup(app: &TestApp) -> (TwoTenants, Post) {
    let t = two_tenants(app).await;
    let post = app.post(t.a, t.a_site, "secret-draft", None).await;
    (t, post)
}

#[actix_web::test]
async fn a_link_opens_the_draft_for_anyone_and_is_never_indexed() {
    let app = TestApp::new().await;
    let (t, post) = setup(&app).await;
    let mut editor = signed_in(&app, t.a, "alpha.test", Role::Editor).await;
    let preview = create_link(&mut editor, &post, "").await;

    // The token is 32 random bytes in base64url, stored only as its SHA-256.
    let token = preview.strip_prefix("/preview/").unwrap();
    assert_eq!(token.len(), 43);
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    let links = links_of(&app, &post).await;
    assert_eq!(links.len(), 1);
    assert_eq!(
        links[0].token_hash,
        hex::encode(Sha256::digest(token.as_bytes()))
    );
    assert_eq!(links[0].revision_number, 1);
    assert_eq!(
        links[0].expires_at - links[0].created_at,
        chrono::Duration::hours(48),
        "48 hours by default"
    );
    assert_eq!(audit_events(&app, "preview_link", "create").await, 1);

    // No sign-in needed.
    let res = app.get("alpha.test", &preview).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.texts("h1.post-title"), ["Title of secret-draft"]);
    assert!(res.body.contains("Body of <strong>secret-draft</strong>"));
    assert_eq!(
        res.attr("meta[name=robots]", "content").as_deref(),
        Some("noindex")
    );
    assert_eq!(res.header("x-robots-tag"), Some("noindex"));
    assert_eq!(res.header("cache-control"), Some("no-store"));
    // The draft itself stays hidden from the public.
    assert_eq!(
        app.get("alpha.test", "/posts/secret-draft").await.status,
        404
    );

    // The list shows the link (never its token again) with its state and expiry in UTC.
    let list = editor.get(&links_path(&post)).await;
    assert_eq!(list.status, 200);
    assert!(!list.body.contains(token), "the token is shown only once");
    assert_eq!(list.texts(".link-state"), ["active"]);
    assert!(list.texts("table.preview-links tbody td:nth-child(3)")[0].ends_with(" UTC"));
    assert_eq!(list.texts("label[for=lifetime-hours]").len(), 1);
}

#[actix_web::test]
async fn a_link_shows_the_version_it_was_made_for() {
    let app = TestApp::new().await;
    let (t, post) = setup(&app).await;
    let mut editor = signed_in(&app, t.a, "alpha.test", Role::Owner).await;
    let old = create_link(&mut editor, &post, "2").await;
    let links = links_of(&app, &post).await;
    assert_eq!(
        links[0].expires_at - links[0].created_at,
        chrono::Duration::hours(2)
    );
    edit(&app, t.a, post.id, |i| {
        i.title = "Changed title".into();
        i.body_markdown = "Entirely *new* words.".into();
    })
    .await;
    let new = create_link(&mut editor, &post, "720").await;

    let res = app.get("alpha.test", &old).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.texts("h1.post-title"), ["Title of secret-draft"]);
    assert!(!res.body.contains("Entirely"));

    let res = app.get("alpha.test", &new).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.texts("h1.post-title"), ["Changed title"]);
    assert!(res.body.contains("Entirely <em>new</em> words."));
    let numbers: Vec<i64> = links_of(&app, &post)
        .await
        .iter()
        .map(|l| l.revision_number)
        .collect();
    assert_eq!(numbers, [1, 2]);
}

#[actix_web::test]
async fn expired_and_revoked_links_are_not_found() {
    let app = TestApp::new().await;
    let (t, post) = setup(&app).await;
    let mut editor = signed_in(&app, t.a, "alpha.test", Role::Editor).await;
    let expiring = create_link(&mut editor, &post, "").await;
    let revoked = create_link(&mut editor, &post, "").await;
    let links = links_of(&app, &post).await;

    let mut conn = app.db.owner_conn().await;
    conn.batch_execute(&format!(
        "UPDATE content.preview_links SET expires_at = now() - interval '1 minute' \
         WHERE id = '{}'",
        links[0].id
    ))
    .await
    .unwrap();
    let res = app.get("alpha.test", &expiring).await;
    assert_eq!(res.status, 404);
    assert_eq!(res.texts("h1"), ["Page not found"], "the site's 404 page");

    assert_eq!(app.get("alpha.test", &revoked).await.status, 200);
    let res = editor
        .post(&links_path(&post), &revoke_path(&post, &links[1].id), &[])
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.header("location"), Some(links_path(&post).as_str()));
    assert_eq!(app.get("alpha.test", &revoked).await.status, 404);
    assert!(links_of(&app, &post).await[1].revoked_at.is_some());
    assert_eq!(audit_events(&app, "preview_link", "revoke").await, 1);
    // Revoking again changes nothing.
    let res = editor
        .post(&links_path(&post), &revoke_path(&post, &links[1].id), &[])
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(audit_events(&app, "preview_link", "revoke").await, 1);

    let list = editor.get(&links_path(&post)).await;
    let mut states = list.texts(".link-state");
    states.sort();
    assert_eq!(states, ["expired", "revoked"]);
    assert!(list.texts(".flash")[0].contains("revoked"));
    assert_eq!(
        list.html()
            .select(&scraper::Selector::parse("form[action$='/revoke']").unwrap())
            .count(),
        0,
        "only active links can be revoked"
    );

    // Unknown and malformed tokens.
    for path in [
        "/preview/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "/preview/short",
        "/preview/not+base64%2Fat-all-but-long-enough-to-be-43-chars",
    ] {
        assert_eq!(app.get("alpha.test", path).await.status, 404, "{path}");
    }
    // Control characters are refused before any token is looked up, as in every address.
    let res = app.get("alpha.test", "/preview/%00%01").await;
    assert_control_character_refused(&res, "The address contains", "/preview/%00%01");
}

#[actix_web::test]
async fn bad_lifetimes_make_no_link() {
    let app = TestApp::new().await;
    let (t, post) = setup(&app).await;
    let mut editor = signed_in(&app, t.a, "alpha.test", Role::Editor).await;
    let path = links_path(&post);
    for lifetime in [
        "0",
        "-1",
        "-48",
        "721",
        "100000",
        "abc",
        "1.5",
        "2h",
        "99999999999999999999",
    ] {
        let res = editor
            .post(&path, &path, &[("lifetime_hours", lifetime)])
            .await;
        assert_eq!(res.status, 400, "{lifetime}: {}", res.body);
        assert!(res.texts(".field-error")[0].contains("from 1 to 720"));
        assert_eq!(
            res.attr("#lifetime-hours", "value").as_deref(),
            Some(lifetime)
        );
        assert!(res.attr("#new-link-url", "value").is_none());
    }
    assert!(links_of(&app, &post).await.is_empty());
    assert_eq!(audit_events(&app, "preview_link", "create").await, 0);
}

#[actix_web::test]
async fn pricing_is_refused_and_signed_out_users_are_sent_to_sign_in() {
    let app = TestApp::new().await;
    let (t, post) = setup(&app).await;
    let mut editor = signed_in(&app, t.a, "alpha.test", Role::Editor).await;
    create_link(&mut editor, &post, "").await;
    let link = links_of(&app, &post).await.remove(0);

    let mut pricing = signed_in(&app, t.a, "alpha.test", Role::Pricing).await;
    assert_eq!(pricing.get(&links_path(&post)).await.status, 403);
    let res = pricing.post("/admin", &links_path(&post), &[]).await;
    assert_eq!(res.status, 403);
    let res = pricing
        .post("/admin", &revoke_path(&post, &link.id), &[])
        .await;
    assert_eq!(res.status, 403);

    let mut anonymous = app.browser("alpha.test");
    let res = anonymous.get(&links_path(&post)).await;
    assert_eq!(res.status, 303);
    assert!(
        res.header("location")
            .unwrap()
            .starts_with("/admin/login?next=")
    );
    for path in [links_path(&post), revoke_path(&post, &link.id)] {
        let res = anonymous.post("/admin/login", &path, &[]).await;
        assert_eq!(res.status, 303, "{path}");
        assert!(
            res.header("location")
                .unwrap()
                .starts_with("/admin/login?next=")
        );
    }
    let links = links_of(&app, &post).await;
    assert_eq!(links.len(), 1);
    assert!(links[0].revoked_at.is_none());
}

#[actix_web::test]
async fn posts_need_the_csrf_token() {
    let app = TestApp::new().await;
    let (t, post) = setup(&app).await;
    let mut editor = signed_in(&app, t.a, "alpha.test", Role::Editor).await;
    create_link(&mut editor, &post, "").await;
    let link = links_of(&app, &post).await.remove(0);
    let res = editor
        .post_raw(&links_path(&post), &[("lifetime_hours", "5")])
        .await;
    assert_eq!(res.status, 403);
    let res = editor.post_raw(&revoke_path(&post, &link.id), &[]).await;
    assert_eq!(res.status, 403);
    let links = links_of(&app, &post).await;
    assert_eq!(links.len(), 1);
    assert!(links[0].revoked_at.is_none());
}

#[actix_web::test]
async fn links_stay_within_their_customer_and_site() {
    let app = TestApp::new().await;
    let (t, post) = setup(&app).await;
    let theirs = app.post(t.b, t.b_site, "beta-draft", None).await;
    let mut beta_editor = signed_in(&app, t.b, "beta.test", Role::Editor).await;
    let beta_preview = create_link(&mut beta_editor, &theirs, "").await;
    let beta_link = links_of(&app, &theirs).await.remove(0);

    let mut alpha = signed_in(&app, t.a, "alpha.test", Role::Owner).await;
    let alpha_preview = create_link(&mut alpha, &post, "").await;
    let alpha_link = links_of(&app, &post).await.remove(0);

    // B's post, and B's link under B's post or A's post, through A's admin.
    assert_eq!(alpha.get(&links_path(&theirs)).await.status, 404);
    let res = alpha.post("/admin", &links_path(&theirs), &[]).await;
    assert_eq!(res.status, 404);
    for path in [
        revoke_path(&theirs, &beta_link.id),
        revoke_path(&post, &beta_link.id),
        revoke_path(&post, &Uuid::new_v4().to_string()),
        revoke_path(&post, "not-a-uuid"),
        format!(
            "/admin/posts/not-a-uuid/preview-links/{}/revoke",
            alpha_link.id
        ),
    ] {
        let res = alpha.post("/admin", &path, &[]).await;
        assert_eq!(res.status, 404, "{path}");
    }
    let links = links_of(&app, &theirs).await;
    assert_eq!(links.len(), 1, "no link made for B's post");
    assert!(links[0].revoked_at.is_none());
    assert_eq!(app.get("beta.test", &beta_preview).await.status, 200);

    // Tokens work only on their own customer's domain.
    assert_eq!(app.get("beta.test", &alpha_preview).await.status, 404);
    assert_eq!(app.get("alpha.test", &beta_preview).await.status, 404);

    // A post of another site of the same customer: not found in this site's admin, and its
    // token does not open on this site's domain.
    let shop = app.site(t.a, "Alpha Shop", "shop.alpha.test").await;
    let shop_post = app.post(t.a, shop, "shop-draft", None).await;
    assert_eq!(alpha.get(&links_path(&shop_post)).await.status, 404);
    let mut shop_editor = signed_in(&app, t.a, "shop.alpha.test", Role::Editor).await;
    let shop_preview = create_link(&mut shop_editor, &shop_post, "").await;
    assert_eq!(app.get("shop.alpha.test", &shop_preview).await.status, 200);
    assert_eq!(app.get("alpha.test", &shop_preview).await.status, 404);
}
