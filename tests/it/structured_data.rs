//! Structured data for search engines: a post page carries a schema.org `BlogPosting` and a
//! product page a `Product` with an `Offer`, as JSON-LD that parses, says what the page says
//! (exact decimal prices, the currency, the stock state, absolute addresses, zoned times) and can
//! never be closed early by the text it holds.

use agoat::tenancy::customers::{self, Settings};
use agoat::tenancy::directory::Directory;
use agoat::thorne::{gallery, products};
use chrono::DateTime;
use image::ImageFormat;
use scoped_futures::ScopedFutureExt;
use serde_json::Value;

use crate::common::{Response, TestApp, actor, minutes_ago, post_input, two_tenants};
use crate::media::{add_image, picture};

/// The JSON-LD of a page, parsed; the page must carry exactly one.
fn json_ld(res: &Response) -> Value {
    let html = res.html();
    let selector = scraper::Selector::parse("script[type='application/ld+json']").unwrap();
    let scripts: Vec<_> = html.select(&selector).collect();
    assert_eq!(scripts.len(), 1, "one JSON-LD script: {}", res.body);
    let text: String = scripts[0].text().collect();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn zoned(value: &Value) -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339(value.as_str().expect("a time as text"))
        .unwrap_or_else(|e| panic!("{value}: {e}"))
}

#[actix_web::test]
async fn a_post_page_describes_itself_as_a_blog_posting() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let res = app.get("alpha.test", "/posts/alpha-post").await;
    let data = json_ld(&res);
    assert_eq!(data["@context"], "https://schema.org");
    assert_eq!(data["@type"], "BlogPosting");
    assert_eq!(data["headline"], "Title of alpha-post");
    assert_eq!(data["description"], "Description of alpha-post");
    let canonical = res.attr("link[rel=canonical]", "href").unwrap();
    assert_eq!(canonical, "http://alpha.test/posts/alpha-post");
    assert_eq!(data["url"], canonical.as_str());
    assert_eq!(data["mainEntityOfPage"]["@type"], "WebPage");
    assert_eq!(data["mainEntityOfPage"]["@id"], canonical.as_str());
    let published = zoned(&data["datePublished"]);
    let modified = zoned(&data["dateModified"]);
    assert!(modified >= published);
    assert_eq!(
        res.attr("time", "datetime").as_deref(),
        data["datePublished"].as_str()
    );
    assert!(data["datePublished"].as_str().unwrap().ends_with('Z'));
    assert_eq!(data["keywords"], serde_json::json!(["test"]));
    assert_eq!(data["publisher"]["name"], "Alpha Blog");
    // Posts name no author, and this one has no image: both are left out.
    assert!(data.get("author").is_none(), "{data}");
    assert!(data.get("image").is_none(), "{data}");

    // A featured image is the posting's image, at its absolute address.
    let media = add_image(&app, t.a, "cover.png", picture(800, 600, ImageFormat::Png)).await;
    let mut input = post_input("with-image", Some(minutes_ago(5)));
    input.featured_media_id = Some(media);
    app.save_post(t.a, t.a_site, input).await;
    let res = app.get("alpha.test", "/posts/with-image").await;
    let data = json_ld(&res);
    let image = data["image"].as_str().expect("an image");
    assert!(image.starts_with("http://alpha.test/media/"), "{image}");
    assert_eq!(
        res.attr("meta[property='og:image']", "content").as_deref(),
        Some(image)
    );
    assert_eq!(
        app.get("alpha.test", &image["http://alpha.test".len()..])
            .await
            .status,
        200
    );
}

#[actix_web::test]
async fn no_title_can_close_the_script() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let hostile = "</script><script>alert(1)</script> <!-- & \u{2028} \"quoted\"";
    let mut input = post_input("hostile", Some(minutes_ago(5)));
    input.title = hostile.to_owned();
    input.description = "</SCRIPT >".to_owned();
    input.tags = vec!["<b>tag</b>".to_owned()];
    app.save_post(t.a, t.a_site, input).await;
    let res = app.get("alpha.test", "/posts/hostile").await;
    assert_eq!(res.status, 200);
    let data = json_ld(&res);
    assert_eq!(data["headline"], hostile);
    assert_eq!(data["description"], "</SCRIPT >");
    assert_eq!(data["keywords"], serde_json::json!(["<b>tag</b>"]));
    let start = res
        .body
        .find("<script type=\"application/ld+json\">")
        .unwrap();
    let script = &res.body[start..];
    let script = &script[..script.find("</script>").unwrap()];
    let inner = &script["<script type=\"application/ld+json\">".len()..];
    assert!(
        !inner.contains('<') && !inner.contains('>') && !inner.contains('&'),
        "{inner}"
    );
    assert!(inner.contains("\\u003c/script\\u003e"), "{inner}");
    // No script element but the data block.
    assert_eq!(res.body.matches("<script").count(), 1, "{}", res.body);
}

#[actix_web::test]
async fn the_data_block_needs_no_nonce_and_survives_the_page_cache() {
    let app = TestApp::new().await;
    two_tenants(&app).await;
    let first = app.get("alpha.test", "/posts/alpha-post").await;
    let again = app.get("alpha.test", "/posts/alpha-post").await;
    assert!(app.state.page_cache.stored() >= 1);
    // The replayed page is the same page, under the same policy, which allows no inline script.
    assert_eq!(first.body, again.body);
    let policy = |res: &Response| res.header("content-security-policy").unwrap().to_owned();
    assert_eq!(policy(&first), policy(&again));
    assert!(!policy(&first).contains("unsafe-inline"));
    assert!(!policy(&first).contains("nonce-"));
    let html = first.html();
    let selector = scraper::Selector::parse("script[type='application/ld+json']").unwrap();
    let script = html.select(&selector).next().unwrap();
    assert_eq!(script.value().attr("nonce"), None);
    assert_eq!(json_ld(&again), json_ld(&first));
}

#[actix_web::test]
async fn a_product_page_describes_the_product_and_its_offer() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.product(t.a, "VIT-1", "Vitamins", "7.77", "1234.5")
        .await;
    let res = app.get("alpha.test", "/products/VIT-1").await;
    let data = json_ld(&res);
    assert_eq!(data["@context"], "https://schema.org");
    assert_eq!(data["@type"], "Product");
    assert_eq!(data["name"], "Product VIT-1");
    assert_eq!(data["sku"], "VIT-1");
    assert_eq!(data["description"], "Description of VIT-1");
    assert_eq!(data["category"], "Vitamins");
    assert_eq!(data["url"], "http://alpha.test/products/VIT-1");
    assert!(data.get("image").is_none(), "no gallery, no image: {data}");
    let offer = &data["offers"];
    assert_eq!(offer["@type"], "Offer");
    assert_eq!(offer["price"], "1234.50", "an exact decimal string");
    assert!(offer["price"].is_string());
    assert_eq!(offer["priceCurrency"], "USD");
    assert_eq!(offer["availability"], "https://schema.org/InStock");
    assert_eq!(offer["url"], "http://alpha.test/products/VIT-1");
    assert!(!res.body.contains("7.77"), "never the wholesale price");

    // Out of stock, with a gallery whose first image is the product's image.
    let main = add_image(&app, t.a, "main.png", picture(640, 480, ImageFormat::Png)).await;
    let other = add_image(&app, t.a, "other.png", picture(320, 240, ImageFormat::Png)).await;
    app.in_scope(t.a, move |conn, scope| {
        async move {
            let mut found = products::by_skus(conn, scope, &["VIT-1".to_owned()]).await?;
            let current = found.remove(0);
            let mut changed = current.clone();
            changed.in_stock = false;
            let edit = products::Edit {
                action: "update",
                change_set: None,
                reason: "",
            };
            let saved = products::save(conn, scope, &current, &changed, edit, &actor()).await?;
            gallery::set(conn, scope, &saved, &[main, other], &actor()).await
        }
        .scope_boxed()
    })
    .await;
    let res = app.get("alpha.test", "/products/VIT-1").await;
    let data = json_ld(&res);
    assert_eq!(
        data["offers"]["availability"],
        "https://schema.org/OutOfStock"
    );
    let image = data["image"].as_str().expect("the main image");
    assert!(image.starts_with("http://alpha.test/media/"), "{image}");
    assert_eq!(
        res.attr("meta[property='og:image']", "content").as_deref(),
        Some(image)
    );
}

#[actix_web::test]
async fn the_offer_is_in_the_customers_currency() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.in_scope(t.a, |conn, scope| {
        async move {
            let customer = customers::current(conn, scope).await?;
            let settings = Settings {
                currency: "EUR".into(),
                show_lowest_30_day_price: false,
            };
            customers::update_settings(conn, scope, customer.version, &settings, &actor()).await
        }
        .scope_boxed()
    })
    .await;
    tokio::time::sleep(Directory::TTL + std::time::Duration::from_millis(100)).await;
    let res = app.get("alpha.test", "/products/ALPHA-1").await;
    let offer = &json_ld(&res)["offers"];
    assert_eq!(offer["priceCurrency"], "EUR");
    assert_eq!(offer["price"], "18.00");
    let beta = app.get("beta.test", "/products/BETA-1").await;
    assert_eq!(json_ld(&beta)["offers"]["priceCurrency"], "USD");
    assert_eq!(json_ld(&beta)["offers"]["price"], "19.50");
}

#[actix_web::test]
async fn listings_carry_no_item_data() {
    let app = TestApp::new().await;
    two_tenants(&app).await;
    for path in ["/", "/products", "/tags", "/tags/test"] {
        let res = app.get("alpha.test", path).await;
        assert_eq!(res.status, 200, "{path}");
        assert!(!res.body.contains("application/ld+json"), "{path}");
    }
}
