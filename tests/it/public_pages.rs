//! Public pages: what visitors see on a site's domain.

use crate::common::{TestApp, minutes_ago, two_tenants};

#[actix_web::test]
async fn home_lists_published_posts_of_the_site_only() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.post(t.a, t.a_site, "a-draft", None).await;
    app.post(t.a, t.a_site, "a-scheduled", Some(minutes_ago(-60)))
        .await;

    let res = app.get("alpha.test", "/").await;
    assert_eq!(res.status, 200);
    let titles = res.texts(".post-card h2");
    assert_eq!(titles, vec!["Title of alpha-post"]);
    assert_eq!(
        res.attr("link[rel=canonical]", "href").as_deref(),
        Some("http://alpha.test/")
    );
}
