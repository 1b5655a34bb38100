//! Tests of error pages under `/admin`: every error status an admin request can produce answers
//! with that status and its message in the admin layout (with the signed-in user's navigation),
//! never in the public site's layout, and is not stored; public errors keep the site's layout.

use actix_web::test::TestRequest;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};

use crate::common::{
    Browser, Response, TestApp, TwoTenants, catalog_staff, signed_in, sql_text, two_tenants,
};

async fn setup() -> (TestApp, TwoTenants) {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    catalog_staff(&app, &t).await;
    (app, t)
}

/// Whether the page is in the admin layout, and not in the public site's.
fn in_admin_layout(res: &Response) -> bool {
    let admin = !res.texts("body.admin header.admin-header").is_empty();
    let public = !res.texts("header.site-header").is_empty()
        || !res.texts("nav.site-nav").is_empty()
        || !res.texts("footer.site-footer").is_empty();
    admin && !public
}

/// The links of the signed-in user's admin navigation (empty when there is none).
fn admin_nav(res: &Response) -> Vec<String> {
    res.texts("nav.admin-nav a")
}

/// Checks an admin error page: its status, the admin layout, the message, never stored.
fn assert_admin_error(res: &Response, status: u16, message: &str) {
    let start = &res.body[..res.body.len().min(2000)];
    assert_eq!(res.status, status, "{start}");
    assert!(
        in_admin_layout(res),
        "{status} in the admin layout: {start}"
    );
    assert!(
        res.body.contains(message),
        "{status} says {message:?}: {start}"
    );
    assert!(
        res.texts(".error-page")
            .concat()
            .contains(&status.to_string()),
        "{status} names its status: {start}"
    );
    assert_eq!(res.header("cache-control"), Some("no-store"), "{status}");
}

/// Posts a body of any type with the session's cookie.
async fn post_body(b: &mut Browser<'_>, path: &str, content_type: &str, body: Vec<u8>) -> Response {
    let mut request = TestRequest::post()
        .uri(path)
        .insert_header(("Host", b.host.as_str()))
        .insert_header(("Content-Type", content_type))
        .peer_addr(b.peer)
        .set_payload(body);
    if let Some(cookie) = &b.cookie {
        request = request.insert_header(("Cookie", cookie.as_str()));
    }
    b.app.send(request).await
}

async fn csrf_token(b: &mut Browser<'_>, page: &str) -> String {
    b.get(page)
        .await
        .attr("input[name=csrf_token]", "value")
        .expect("a CSRF token")
}

#[actix_web::test]
async fn not_found_is_an_admin_page_with_the_users_navigation() {
    let (app, _) = setup().await;
    let mut editor = signed_in(&app, "alpha.test", "editor@alpha.test").await;
    let unknown = uuid::Uuid::new_v4();
    let message = "There is nothing at this address";
    for path in [
        format!("/admin/posts/{unknown}/edit"),
        "/admin/no-such-page".to_owned(),
    ] {
        let res = editor.get(&path).await;
        assert_admin_error(&res, 404, message);
        assert!(admin_nav(&res).contains(&"Posts".to_owned()), "{path}");
        assert!(res.body.contains("editor@alpha.test"), "{path}");
    }
    // Not signed in: the admin layout without a user's navigation.
    let res = app.get("alpha.test", "/admin/no-such-page").await;
    assert_admin_error(&res, 404, message);
    assert!(admin_nav(&res).is_empty());
}

#[actix_web::test]
async fn a_public_not_found_keeps_the_sites_layout() {
    let (app, _) = setup().await;
    for path in ["/no-such-page", "/posts/no-such-post", "/administrator"] {
        let res = app.get("alpha.test", path).await;
        assert_eq!(res.status, 404, "{path}");
        assert!(
            !res.texts("nav.site-nav").is_empty(),
            "{path}: {}",
            res.body
        );
        assert!(!res.body.contains("class=\"admin"), "{path}: {}", res.body);
    }
}

#[actix_web::test]
async fn forbidden_is_an_admin_page() {
    let (app, _) = setup().await;
    let mut editor = signed_in(&app, "alpha.test", "editor@alpha.test").await;
    let res = editor.get("/admin/products").await;
    assert_admin_error(&res, 403, "Your role does not allow this.");
    // The editor's own navigation: posts, not the catalog.
    let nav = admin_nav(&res);
    assert!(nav.contains(&"Posts".to_owned()), "{nav:?}");
    assert!(!nav.contains(&"Products".to_owned()), "{nav:?}");

    // A form without the session's token, signed in and not.
    let res = editor
        .post_raw("/admin/posts", &[("title", "No token")])
        .await;
    assert_admin_error(&res, 403, "Your role does not allow this.");
    assert!(admin_nav(&res).contains(&"Posts".to_owned()));
    let mut anonymous = app.browser("alpha.test");
    let res = anonymous
        .post_raw("/admin/login", &[("email", "x@alpha.test")])
        .await;
    assert_admin_error(&res, 403, "Your role does not allow this.");
    assert!(admin_nav(&res).is_empty());
}

#[actix_web::test]
async fn a_stale_change_is_a_409_admin_page() {
    let (app, _) = setup().await;
    let id = sql_text(
        &app,
        "SELECT id::text AS s FROM content.posts WHERE slug = 'alpha-post'",
    )
    .await;
    let mut editor = signed_in(&app, "alpha.test", "editor@alpha.test").await;
    // Moving to the trash at a version that is not the current one.
    let res = editor
        .post(
            "/admin/posts",
            &format!("/admin/posts/{id}/trash"),
            &[("version", "7")],
        )
        .await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert!(in_admin_layout(&res), "{}", res.body);
    assert!(admin_nav(&res).contains(&"Posts".to_owned()));
    assert_eq!(res.header("cache-control"), Some("no-store"));
    // Saving over a newer version: both texts, in the admin layout.
    let res = editor
        .post(
            &format!("/admin/posts/{id}/edit"),
            &format!("/admin/posts/{id}"),
            &[
                ("title", "Mine"),
                ("slug", "alpha-post"),
                ("body", "Mine."),
                ("version", "7"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert!(in_admin_layout(&res), "{}", res.body);
}

#[actix_web::test]
async fn too_large_bodies_are_413_admin_pages() {
    let (app, _) = setup().await;
    let mut editor = signed_in(&app, "alpha.test", "editor@alpha.test").await;
    // A post form over the form limit.
    let huge = "x".repeat(agoat::web::MAX_FORM_BYTES + 10);
    let res = editor
        .post(
            "/admin/posts/new",
            "/admin/posts",
            &[("title", "Huge"), ("body_markdown", &huge)],
        )
        .await;
    assert_admin_error(&res, 413, "larger than this address accepts");
    assert!(admin_nav(&res).contains(&"Posts".to_owned()));

    // A CSV upload far over the upload limit.
    let mut pricing = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    let token = csrf_token(&mut pricing, "/admin/products/import").await;
    let boundary = "agoat-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"huge.csv\"\r\n\
         Content-Type: text/csv\r\n\r\nsku,name\n"
    )
    .into_bytes();
    body.resize(app.state.max_upload_bytes + 2 * 1024 * 1024, b'\n');
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let res = post_body(
        &mut pricing,
        "/admin/products/import",
        &format!("multipart/form-data; boundary={boundary}"),
        body,
    )
    .await;
    assert_admin_error(&res, 413, "larger than this address accepts");
    assert!(admin_nav(&res).contains(&"Products".to_owned()));
}

#[actix_web::test]
async fn bad_requests_are_400_admin_pages_and_bad_fields_422() {
    let (app, _) = setup().await;
    let mut editor = signed_in(&app, "alpha.test", "editor@alpha.test").await;
    for (path, message) in [
        ("/admin/posts?status=bogus", "unknown status filter"),
        (
            "/admin/posts?after=garbage",
            "page position in the address is not valid",
        ),
    ] {
        let res = editor.get(path).await;
        assert_admin_error(&res, 400, message);
        assert!(admin_nav(&res).contains(&"Posts".to_owned()), "{path}");
    }
    // A form field with a value the action does not know.
    let res = editor
        .post(
            "/admin/posts/new",
            "/admin/posts",
            &[
                ("title", "A title"),
                ("body", "Body."),
                ("action", "explode"),
            ],
        )
        .await;
    assert_admin_error(&res, 400, "unknown action");
    assert!(admin_nav(&res).contains(&"Posts".to_owned()));
    let mut owner = signed_in(&app, "alpha.test", "owner@alpha.test").await;
    let res = owner.get("/admin/audit?from=yesterday").await;
    assert_admin_error(&res, 400, "is not a date");
    assert!(admin_nav(&res).contains(&"Audit log".to_owned()));

    // A bad price: the form again, in the admin layout, with the error next to the field.
    let mut pricing = signed_in(&app, "alpha.test", "pricing@alpha.test").await;
    let res = pricing
        .post(
            "/admin/products/new",
            "/admin/products",
            &[
                ("sku", "NEW-1"),
                ("name", "New"),
                ("category", "Vitamins"),
                ("wholesale_price", "10.00"),
                ("retail_price", "12,50"),
            ],
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(in_admin_layout(&res), "{}", res.body);
    assert_eq!(res.texts("#retail_price-error").len(), 1);
}

#[actix_web::test]
async fn a_server_error_is_a_500_admin_page_that_shows_no_detail() {
    let (app, _) = setup().await;
    let mut editor = signed_in(&app, "alpha.test", "editor@alpha.test").await;
    // The posts table loses a column the listing reads.
    let mut conn = app.db.owner_conn().await;
    conn.batch_execute("ALTER TABLE content.posts RENAME COLUMN title TO title_gone")
        .await
        .unwrap();
    let res = editor.get("/admin/posts").await;
    assert_admin_error(&res, 500, "An unexpected error occurred.");
    assert!(admin_nav(&res).contains(&"Posts".to_owned()));
    assert!(
        !res.body.contains("title_gone") && !res.body.contains("does not exist"),
        "no detail: {}",
        res.body
    );
    diesel::sql_query("ALTER TABLE content.posts RENAME COLUMN title_gone TO title")
        .execute(&mut conn)
        .await
        .unwrap();
}
