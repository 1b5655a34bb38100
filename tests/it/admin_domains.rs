//! `/admin/domains` (owners): the domains of the site the admin runs on, the primary first with
//! a link to the site, then its aliases; nothing of another site or customer.

use crate::common::{TestApp, catalog_staff, signed_in, two_tenants};

#[actix_web::test]
async fn owners_see_the_domains_of_their_site_only() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    catalog_staff(&app, &t).await;
    app.alias(t.a, t.a_site, "www.alpha.test").await;
    app.alias(t.a, t.a_site, "alpha.example").await;
    let a_shop = app.site(t.a, "Alpha Shop", "shop.alpha.test").await;
    app.alias(t.a, a_shop, "www.shop.alpha.test").await;
    app.alias(t.b, t.b_site, "www.beta.test").await;

    let mut owner = signed_in(&app, "alpha.test", "owner@alpha.test").await;
    let res = owner.get("/admin/domains").await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.header("cache-control"), Some("no-store"));
    assert_eq!(
        res.texts("table.domains tbody tr td:first-child"),
        ["alpha.test", "alpha.example", "www.alpha.test"]
    );
    assert_eq!(
        res.texts("table.domains tbody tr td:nth-child(2)"),
        ["Primary", "Alias", "Alias"]
    );
    assert_eq!(
        res.attr("table.domains a", "href").as_deref(),
        Some("http://alpha.test/")
    );
    for other in ["beta.test", "shop.alpha.test", "Beta"] {
        assert!(!res.body.contains(other), "{other} shown");
    }
    assert!(
        res.texts("nav a").iter().any(|a| a == "Domains")
            || res.body.contains("href=\"/admin/domains\""),
        "the owner's navigation links the page"
    );

    // Other roles are refused; a visitor is sent to sign in.
    for email in ["editor@alpha.test", "pricing@alpha.test"] {
        let mut browser = signed_in(&app, "alpha.test", email).await;
        let res = browser.get("/admin/domains").await;
        assert_eq!(res.status, 403, "{email}");
        assert!(!res.body.contains("href=\"/admin/domains\""), "{email}");
    }
    let res = app.get("alpha.test", "/admin/domains").await;
    assert_eq!(res.status, 303);
}
