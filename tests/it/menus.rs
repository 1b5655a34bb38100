//! Navigation menus: owners edit the header menu and the footer links in `/admin/menus`; every
//! public page shows them, with `aria-current` on the link of the page shown; a link to a page
//! follows its address and hides while the page is not visible; bad links, another customer's
//! page, a stale form and other roles get a 4xx and change nothing; a saved menu shows on the
//! next request.

use agoat::tenancy::users::Role;

use crate::common::{
    Browser, STAFF_PASSWORD, TestApp, TwoTenants, database_digest, minutes_ago, post_input,
    signed_in, sql_text, two_tenants,
};

async fn setup() -> (TestApp, TwoTenants) {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.user(t.a, "owner@alpha.test", Role::Owner, STAFF_PASSWORD)
        .await;
    app.user(t.a, "editor@alpha.test", Role::Editor, STAFF_PASSWORD)
        .await;
    (app, t)
}

async fn owner(app: &TestApp) -> Browser<'_> {
    signed_in(app, "alpha.test", "owner@alpha.test").await
}

/// `(label, href, aria-current)` of each link of `selector` on the page.
fn links(res: &crate::common::Response, selector: &str) -> Vec<(String, String, bool)> {
    let selector = scraper::Selector::parse(selector).unwrap();
    res.html()
        .select(&selector)
        .map(|a| {
            (
                a.text().collect::<String>(),
                a.value().attr("href").unwrap_or_default().to_owned(),
                a.value().attr("aria-current") == Some("page"),
            )
        })
        .collect()
}

/// The form fields of a menu at `version` with these `(label, target, value)` rows.
fn menu(version: &str, rows: &[(&str, &str, &str)]) -> Vec<(String, String)> {
    let mut fields = vec![("version".to_owned(), version.to_owned())];
    for (n, (label, target, value)) in rows.iter().enumerate() {
        fields.push((format!("label_{n}"), (*label).to_owned()));
        fields.push((format!("target_{n}"), (*target).to_owned()));
        fields.push((format!("value_{n}"), (*value).to_owned()));
        fields.push((format!("order_{n}"), (n + 1).to_string()));
    }
    fields
}

async fn save(
    b: &mut Browser<'_>,
    placement: &str,
    fields: &[(String, String)],
) -> crate::common::Response {
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    b.post(
        "/admin/menus",
        &format!("/admin/menus/{placement}"),
        &fields,
    )
    .await
}

#[actix_web::test]
async fn the_header_menu_and_footer_links_show_on_every_public_page() {
    let (app, t) = setup().await;
    let about = app
        .save_page(t.a, t.a_site, post_input("about", Some(minutes_ago(5))))
        .await;
    // Without a menu, the header has its default links.
    let home = app.get("alpha.test", "/").await;
    assert_eq!(
        links(&home, ".site-nav a"),
        [
            ("Posts".into(), "/".into(), true),
            ("Products".into(), "/products".into(), false),
            ("Feed".into(), "/feed.xml".into(), false),
        ]
    );
    assert!(links(&home, ".footer-nav a").is_empty());

    let mut b = owner(&app).await;
    let page = format!("page:{}", about.id);
    let header = menu(
        "0",
        &[
            ("Home", "home", ""),
            ("About us", &page, ""),
            ("Shop", "products", ""),
            ("Vitamins", "category:vitamins", ""),
            ("News", "tag", "Company News"),
        ],
    );
    let res = save(&mut b, "header", &header).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let footer = menu(
        "0",
        &[
            ("Imprint", &page, ""),
            ("Mastodon", "url", "https://social.example/@alpha"),
        ],
    );
    assert_eq!(save(&mut b, "footer", &footer).await.status, 303);

    let res = app.get("alpha.test", "/about").await;
    assert_eq!(
        links(&res, ".site-nav a"),
        [
            ("Home".into(), "/".into(), false),
            ("About us".into(), "/about".into(), true),
            ("Shop".into(), "/products".into(), false),
            (
                "Vitamins".into(),
                "/products/category/vitamins".into(),
                false
            ),
            ("News".into(), "/tags/company-news".into(), false),
        ]
    );
    assert_eq!(
        links(&res, ".footer-nav a"),
        [
            ("Imprint".into(), "/about".into(), true),
            (
                "Mastodon".into(),
                "https://social.example/@alpha".into(),
                false
            ),
        ]
    );
    // Every public page: the product list marks its own link.
    let products = app.get("alpha.test", "/products").await;
    assert!(links(&products, ".site-nav a").contains(&("Shop".into(), "/products".into(), true)));
    // The other customer's site keeps its own header.
    let beta = app.get("beta.test", "/").await;
    assert!(!beta.body.contains("About us"));

    // The editor sees the menus as saved, and the audit log has both changes.
    let form = b.get("/admin/menus").await;
    assert_eq!(
        form.attr("input[name=label_1]", "value").as_deref(),
        Some("About us")
    );
    let events = sql_text(
        &app,
        "SELECT count(*)::text AS s FROM audit.events WHERE entity = 'menu'",
    )
    .await;
    assert_eq!(events, "2");
}

#[actix_web::test]
async fn a_link_to_a_page_follows_it_and_hides_while_it_is_not_visible() {
    let (app, t) = setup().await;
    let draft = app
        .save_page(t.a, t.a_site, post_input("contact", None))
        .await;
    let mut b = owner(&app).await;
    let page = format!("page:{}", draft.id);
    let res = save(&mut b, "footer", &menu("0", &[("Contact", &page, "")])).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(links(&app.get("alpha.test", "/").await, ".footer-nav a").is_empty());
    // Published (and moved) through the admin: the link shows at its address on the next request.
    let fields = [
        ("title", "Contact"),
        ("slug", "company/contact"),
        ("body", "Write to us."),
        ("description", ""),
        ("publish_at", ""),
        ("version", "1"),
        ("action", "publish"),
    ];
    let edit = format!("/admin/pages/{}", draft.id);
    let res = b.post(&format!("{edit}/edit"), &edit, &fields).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        links(&app.get("alpha.test", "/").await, ".footer-nav a"),
        [("Contact".into(), "/company/contact".into(), false)]
    );
}

#[actix_web::test]
async fn bad_links_are_refused_with_their_reason_and_change_nothing() {
    let (app, t) = setup().await;
    let beta_page = app
        .save_page(
            t.b,
            t.b_site,
            post_input("beta-secret-page", Some(minutes_ago(5))),
        )
        .await;
    let foreign = format!("page:{}", beta_page.id);
    let mut b = owner(&app).await;
    let before = database_digest(&app, None).await;
    type Case<'a> = (Vec<(String, String)>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            menu("0", &[("Blog", "url", "http://example.org")]),
            422,
            "https://",
        ),
        (
            menu("0", &[("XSS", "url", "javascript:alert(1)")]),
            422,
            "https://",
        ),
        (menu("0", &[("", "home", "")]), 422, "enter a label"),
        (menu("0", &[("News", "tag", "")]), 422, "name the tag"),
        (menu("0", &[("Where", "nowhere", "")]), 422, "choose where"),
        (
            menu("0", &[("Theirs", &foreign, "")]),
            422,
            "not a page of this site",
        ),
        (
            menu("0", &[("Broken", "page:not-a-uuid", "")]),
            422,
            "choose the page",
        ),
        (
            menu("7", &[("Stale", "home", "")]),
            409,
            "changed by someone else",
        ),
        (menu("x", &[("Home", "home", "")]), 400, ""),
    ];
    for (fields, status, reason) in cases {
        let res = save(&mut b, "header", &fields).await;
        assert_eq!(res.status, status, "{fields:?}: {}", res.body);
        assert!(res.body.contains(reason), "{fields:?}");
        assert!(!res.body.contains("beta-secret-page"));
    }
    let mut too_many: Vec<(String, String)> = menu("0", &[]);
    too_many.push(("label_500".into(), "x".into()));
    assert_eq!(save(&mut b, "header", &too_many).await.status, 400);
    let many: Vec<(&str, &str, &str)> = (0..21).map(|_| ("Home", "home", "")).collect();
    let res = save(&mut b, "header", &menu("0", &many)).await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("at most 20 links"));
    assert_eq!(
        save(&mut b, "sidebar", &menu("0", &[("Home", "home", "")]))
            .await
            .status,
        404
    );
    assert_eq!(database_digest(&app, None).await, before);
}

#[actix_web::test]
async fn only_owners_edit_menus() {
    let (app, _t) = setup().await;
    let mut editor = signed_in(&app, "alpha.test", "editor@alpha.test").await;
    assert_eq!(editor.get("/admin/menus").await.status, 403);
    let before = database_digest(&app, None).await;
    let fields = menu("0", &[("Home", "home", "")]);
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let res = editor.post("/admin", "/admin/menus/header", &fields).await;
    assert_eq!(res.status, 403);
    assert_eq!(database_digest(&app, None).await, before);
}

#[actix_web::test]
async fn a_saved_menu_shows_on_the_next_request() {
    let (app, _t) = setup().await;
    // Rendered and kept in the page cache…
    assert!(!app.get("alpha.test", "/").await.body.contains("Brand new"));
    assert!(!app.get("alpha.test", "/").await.body.contains("Brand new"));
    let mut b = owner(&app).await;
    let res = save(
        &mut b,
        "header",
        &menu("0", &[("Brand new", "products", "")]),
    )
    .await;
    assert_eq!(res.status, 303);
    // …and replaced on the next request after the change.
    assert!(app.get("alpha.test", "/").await.body.contains("Brand new"));
    // A second save goes over the first's version.
    let res = save(&mut b, "header", &menu("1", &[("Renamed", "products", "")])).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let home = app.get("alpha.test", "/").await;
    assert_eq!(
        links(&home, ".site-nav a"),
        [("Renamed".into(), "/products".into(), false)]
    );
}
