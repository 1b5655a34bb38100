//! Tests of a site's branding (`/admin/settings/branding`, owners only): title, tagline, logo,
//! favicon and default share image from the media library, accent colour, footer, social links,
//! language, time zone and the number of posts in a feed, shown on public pages, feeds and the
//! admin header at the next request;
//! every bad input refused with its reason and nothing changed; another customer's images refused
//! by the form and by the database; images in the branding listed where used and taken out when
//! deleted.

use agoat::tenancy::users::Role;
use image::ImageFormat;
use uuid::Uuid;

use crate::common::{
    Browser, Response, STAFF_PASSWORD, TestApp, TwoTenants, database_digest, minutes_ago,
    signed_in, sql_count, sql_text, two_tenants,
};
use crate::media::{add_image, picture};

const FORM: &str = "/admin/settings/branding";

/// A's images: a wide logo, a square favicon and a large share image.
struct Images {
    logo: Uuid,
    favicon: Uuid,
    share: Uuid,
}

async fn world(app: &TestApp) -> (TwoTenants, Images, Browser<'_>) {
    let t = two_tenants(app).await;
    app.user(t.a, "owner@alpha.test", Role::Owner, STAFF_PASSWORD)
        .await;
    let images = Images {
        logo: add_image(app, t.a, "logo.png", picture(400, 100, ImageFormat::Png)).await,
        favicon: add_image(app, t.a, "icon.png", picture(64, 64, ImageFormat::Png)).await,
        share: add_image(app, t.a, "share.jpg", picture(1200, 630, ImageFormat::Jpeg)).await,
    };
    let owner = signed_in(app, "alpha.test", "owner@alpha.test").await;
    (t, images, owner)
}

/// A complete, valid form.
fn fields(images: &Images) -> Vec<(&'static str, String)> {
    vec![
        ("title", "Alpha Home".into()),
        ("tagline", "Health, plainly explained".into()),
        ("logo", images.logo.to_string()),
        ("favicon", images.favicon.to_string()),
        ("share_image", images.share.to_string()),
        ("accent", "#0B5CAD".into()),
        (
            "footer",
            "© Alpha Health · [Imprint](https://alpha.example/imprint) <script>alert(1)</script>"
                .into(),
        ),
        (
            "social_links",
            "https://mastodon.social/@alpha\r\nhttps://x.com/alpha\r\n".into(),
        ),
        ("language", "de-ch".into()),
        ("time_zone", "Europe/Zurich".into()),
        ("feed_length", "10".into()),
        ("search_language", "german".into()),
    ]
}

fn version(page: &Response) -> String {
    page.attr("input[name=version]", "value")
        .expect("the branding form carries its version")
}

/// Posts the form with `fields` at the version the form shows now.
async fn save(owner: &mut Browser<'_>, fields: &[(&'static str, String)]) -> Response {
    let version = version(&owner.get(FORM).await);
    save_at(owner, fields, &version).await
}

async fn save_at(
    owner: &mut Browser<'_>,
    fields: &[(&'static str, String)],
    version: &str,
) -> Response {
    let mut all: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    all.push(("version", version));
    owner.post(FORM, FORM, &all).await
}

fn with(fields: &[(&'static str, String)], name: &str, value: &str) -> Vec<(&'static str, String)> {
    fields
        .iter()
        .map(|(k, v)| {
            (
                *k,
                if *k == name {
                    value.to_owned()
                } else {
                    v.clone()
                },
            )
        })
        .collect()
}

fn meta(res: &Response, property: &str) -> Option<String> {
    res.attr(&format!("meta[property='{property}']"), "content")
}

#[actix_web::test]
async fn branding_shows_on_pages_feeds_and_the_admin_header_at_the_next_request() {
    let app = TestApp::new().await;
    let (t, images, mut owner) = world(&app).await;
    let before = app.get("alpha.test", "/").await;
    assert_eq!(before.attr("html", "lang").as_deref(), Some("en"));
    assert_eq!(before.texts("a.site-name"), ["Alpha Blog"]);
    assert!(before.attr("link[href^='/brand.css']", "href").is_none());
    assert!(before.attr("link[rel=icon]", "href").is_none());
    assert!(!app.state.page_cache.is_empty(), "the home page is kept");

    let res = save(&mut owner, &fields(&images)).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.header("location"), Some(FORM));

    // The home page: language, logo with the title as its text, tagline (also the description),
    // favicon, accent stylesheet, footer and social links.
    let home = app.get("alpha.test", "/").await;
    assert_eq!(home.status, 200);
    assert_eq!(home.attr("html", "lang").as_deref(), Some("de-CH"));
    assert_eq!(
        home.attr("a.site-name img.site-logo", "alt").as_deref(),
        Some("Alpha Home")
    );
    let logo = home.attr("img.site-logo", "src").unwrap();
    assert!(
        logo.starts_with("/media/") && logo.ends_with(".png"),
        "{logo}"
    );
    assert_eq!(home.texts(".site-tagline"), ["Health, plainly explained"]);
    assert_eq!(
        home.attr("meta[name=description]", "content").as_deref(),
        Some("Health, plainly explained")
    );
    assert_eq!(home.texts("title"), ["Alpha Home"]);
    let icon = home.attr("link[rel=icon]", "href").unwrap();
    assert!(icon.starts_with("/media/"), "{icon}");
    assert_eq!(
        home.attr("link[rel=icon]", "type").as_deref(),
        Some("image/png")
    );
    let sheet = home
        .attr("link[rel=stylesheet][href^='/brand.css?v=']", "href")
        .expect("the accent's stylesheet is linked");
    let footer = home.html();
    let footer_html = footer
        .select(&scraper::Selector::parse("footer .footer-text").unwrap())
        .next()
        .expect("the footer text is shown")
        .inner_html();
    assert!(
        footer_html.contains("href=\"https://alpha.example/imprint\""),
        "{footer_html}"
    );
    assert!(
        !home.body.contains("<script>alert"),
        "the footer is sanitised"
    );
    assert_eq!(
        home.texts("footer .social-links a"),
        ["mastodon.social", "X"]
    );
    assert_eq!(
        home.attr("footer .social-links a", "rel").as_deref(),
        Some("me noopener")
    );
    assert_eq!(
        home.attr("footer .social-links a", "href").as_deref(),
        Some("https://mastodon.social/@alpha")
    );
    // A page without an image of its own shares the default one.
    let og = meta(&home, "og:image").expect("the default share image");
    assert!(og.starts_with("http://alpha.test/media/"), "{og}");
    assert_eq!(meta(&home, "og:image:width").as_deref(), Some("1200"));

    // The stylesheet: the accent as custom properties, kept for a year under its address.
    let css = app.get("alpha.test", &sheet).await;
    assert_eq!(css.status, 200);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert!(css.body.contains("--accent: #0b5cad;"), "{}", css.body);
    assert!(css.body.contains("--accent-contrast: #ffffff;"));
    assert!(
        css.header("cache-control").unwrap().contains("immutable"),
        "{:?}",
        css.headers
    );
    let old = app.get("alpha.test", "/brand.css?v=000000000000").await;
    assert_eq!(
        old.body, css.body,
        "an old address gets the current colours"
    );
    assert_eq!(old.header("cache-control"), Some("public, no-cache"));

    // A post: its date in the site's zone, the machine-readable one still in UTC.
    let post = app.get("alpha.test", "/posts/alpha-post").await;
    let iso = post.attr("time[datetime]", "datetime").unwrap();
    assert!(iso.ends_with('Z'), "{iso}");
    let at = chrono::DateTime::parse_from_rfc3339(&iso)
        .unwrap()
        .with_timezone(&chrono::Utc);
    let zurich = agoat::web::pages::display_time_in(at, chrono_tz::Europe::Zurich);
    assert!(
        zurich.ends_with("CET") || zurich.ends_with("CEST"),
        "{zurich}"
    );
    assert!(post.body.contains(&zurich), "{zurich} on the post page");
    assert_eq!(meta(&post, "og:image"), Some(og.clone()));
    assert!(post.body.contains("Alpha Home"));

    // The feed.
    let feed = app.get("alpha.test", "/feed.xml").await;
    assert!(feed.body.contains("xml:lang=\"de-CH\""), "{}", feed.body);
    assert!(feed.body.contains("<title>Alpha Home</title>"));
    assert!(
        feed.body
            .contains("<subtitle>Health, plainly explained</subtitle>")
    );
    assert!(
        feed.body
            .contains(&format!("<icon>http://alpha.test{icon}</icon>"))
    );
    assert!(
        feed.body
            .contains(&format!("<logo>http://alpha.test{logo}</logo>"))
    );
    let tag_feed = app.get("alpha.test", "/tags/test/feed.xml").await;
    assert!(tag_feed.body.contains("xml:lang=\"de-CH\""));

    // The admin header.
    let admin = owner.get("/admin").await;
    assert!(admin.texts("a.admin-brand")[0].starts_with("Alpha Home"));
    assert_eq!(admin.attr("img.admin-logo", "src"), Some(logo.clone()));

    // The form shows what is stored, normalised.
    let form = owner.get(FORM).await;
    assert_eq!(form.attr("#accent", "value").as_deref(), Some("#0b5cad"));
    assert_eq!(form.attr("#language", "value").as_deref(), Some("de-CH"));
    assert_eq!(
        form.attr("#logo option[selected]", "value"),
        Some(images.logo.to_string())
    );
    assert_eq!(
        form.attr("#search_language option[selected]", "value")
            .as_deref(),
        Some("german")
    );
    assert_eq!(version(&form), "2");

    // Stored for the site, audited; the other customer's site is untouched.
    let site = format!(
        "SELECT name || '|' || search_language AS s FROM tenancy.sites WHERE id = '{}'",
        t.a_site
    );
    assert_eq!(sql_text(&app, &site).await, "Alpha Home|german");
    let event = sql_text(
        &app,
        "SELECT concat_ws('|', before->>'title', after->>'title', after->>'accent', \
         after->>'time_zone') AS s FROM audit.events \
         WHERE entity = 'site' AND action = 'update_branding'",
    )
    .await;
    assert_eq!(event, "Alpha Blog|Alpha Home|#0b5cad|Europe/Zurich");
    let other = app.get("beta.test", "/").await;
    assert_eq!(other.attr("html", "lang").as_deref(), Some("en"));
    assert_eq!(other.texts("a.site-name"), ["Beta Blog"]);
    assert!(other.attr("link[href^='/brand.css']", "href").is_none());
    assert!(other.texts(".site-tagline").is_empty());
    assert!(meta(&other, "og:image").is_none());
    let beta_css = app.get("beta.test", "/brand.css").await;
    assert!(!beta_css.body.contains("#0b5cad"));
}

#[actix_web::test]
async fn a_change_shows_on_the_next_request_though_the_page_was_kept() {
    let app = TestApp::new().await;
    let (_t, images, mut owner) = world(&app).await;
    let res = save(&mut owner, &fields(&images)).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let sheet_of = |res: &Response| res.attr("link[href^='/brand.css?v=']", "href");
    let first = app.get("alpha.test", "/").await;
    let css = sheet_of(&first).unwrap();
    assert_eq!(app.get("alpha.test", &css).await.status, 200);
    assert_eq!(
        app.state.page_cache.len(),
        2,
        "the page and its stylesheet are kept"
    );

    let changed = with(
        &with(&fields(&images), "tagline", "Now with news"),
        "accent",
        "#ffd700",
    );
    let res = save(&mut owner, &changed).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let next = app.get("alpha.test", "/").await;
    assert_eq!(next.texts(".site-tagline"), ["Now with news"]);
    let new_css = sheet_of(&next).unwrap();
    assert_ne!(new_css, css, "a new colour is a new address");
    let sheet = app.get("alpha.test", &new_css).await;
    assert!(sheet.body.contains("--accent: #ffd700;"), "{}", sheet.body);
    assert!(sheet.body.contains("--accent-contrast: #1f2328;"));
    let feed = app.get("alpha.test", "/feed.xml").await;
    assert!(feed.body.contains("<subtitle>Now with news</subtitle>"));

    // Back to the defaults: no accent, no images, no footer.
    let plain = [
        ("title", "Alpha Blog".to_owned()),
        ("language", "en".to_owned()),
        ("time_zone", "UTC".to_owned()),
        ("search_language", "english".to_owned()),
    ];
    let res = save(&mut owner, &plain).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let home = app.get("alpha.test", "/").await;
    assert_eq!(home.texts("a.site-name"), ["Alpha Blog"]);
    assert!(sheet_of(&home).is_none());
    assert!(home.texts("footer .social-links a").is_empty());
    assert!(meta(&home, "og:image").is_none());
    let post = app.get("alpha.test", "/posts/alpha-post").await;
    assert!(
        post.texts(".post-meta time")[0].ends_with("UTC"),
        "{:?}",
        post.texts(".post-meta time")
    );
}

#[actix_web::test]
async fn each_bad_input_is_refused_with_its_reason_and_nothing_changes() {
    let app = TestApp::new().await;
    let (t, images, mut owner) = world(&app).await;
    let foreign = add_image(
        &app,
        t.b,
        "beta-logo.png",
        picture(40, 40, ImageFormat::Png),
    )
    .await;
    let good = fields(&images);
    let eleven: String = (0..11)
        .map(|i| format!("https://e{i}.example/\n"))
        .collect();
    let before = database_digest(&app, None).await;
    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("accent", "#12345g".into(), 422, "hex colour"),
        ("accent", "blue".into(), 422, "hex colour"),
        ("accent", "#808080".into(), 422, "3.94:1"),
        ("social_links", "http://x.com/alpha".into(), 422, "https://"),
        (
            "social_links",
            "javascript:alert(1)".into(),
            422,
            "https://",
        ),
        ("social_links", eleven, 422, "at most 10"),
        (
            "time_zone",
            "Mars/Olympus_Mons".into(),
            422,
            "IANA time zone",
        ),
        ("time_zone", "".into(), 422, "IANA time zone"),
        ("language", "en_US".into(), 422, "BCP 47"),
        ("language", "\"><script>".into(), 422, "BCP 47"),
        ("logo", foreign.to_string(), 422, "logo must be an image"),
        (
            "favicon",
            Uuid::new_v4().to_string(),
            422,
            "favicon must be an image",
        ),
        (
            "share_image",
            "../../etc".into(),
            422,
            "share image must be an image",
        ),
        ("title", "  ".into(), 422, "site title must not be empty"),
        ("tagline", "x".repeat(201), 422, "at most 200"),
        ("footer", "x".repeat(2001), 422, "at most 2000"),
        (
            "search_language",
            "klingon".into(),
            422,
            "search language must be one of",
        ),
    ];
    for (field, value, status, says) in cases {
        let res = save(&mut owner, &with(&good, field, &value)).await;
        assert_eq!(res.status, status, "{field}={value:?}: {}", res.body);
        let message = res.texts("#branding-error").join(" ");
        assert!(message.contains(says), "{field}={value:?}: {message}");
        // The form keeps what was typed.
        assert_eq!(
            res.attr("#tagline", "value").as_deref(),
            Some(if field == "tagline" {
                value.as_str()
            } else {
                "Health, plainly explained"
            }),
        );
    }
    let current = version(&owner.get(FORM).await);
    for bad_version in ["", "abc", "0"] {
        let res = save_at(&mut owner, &good, bad_version).await;
        assert_eq!(res.status, 400, "version {bad_version:?}");
    }
    let res = save_at(&mut owner, &good, "999").await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert!(res.texts("#branding-error")[0].contains("changed by someone else"));
    assert_eq!(
        res.attr("#title", "value").as_deref(),
        Some("Alpha Home"),
        "the conflict keeps what was typed"
    );
    let mut all: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    all.push(("version", &current));
    assert_eq!(
        owner.post_raw(FORM, &all).await.status,
        403,
        "no CSRF token"
    );
    assert_eq!(database_digest(&app, None).await, before);
}

#[actix_web::test]
async fn only_owners_brand_a_site_and_only_with_their_own_images() {
    let app = TestApp::new().await;
    let (t, images, mut owner) = world(&app).await;
    for (email, role) in [
        ("editor@alpha.test", Role::Editor),
        ("pricing@alpha.test", Role::Pricing),
    ] {
        app.user(t.a, email, role, STAFF_PASSWORD).await;
        let mut user = signed_in(&app, "alpha.test", email).await;
        assert_eq!(user.get(FORM).await.status, 403, "{role:?}");
        let token = user
            .get("/admin")
            .await
            .attr("input[name=csrf_token]", "value")
            .unwrap();
        let mut all: Vec<(&str, String)> = fields(&images);
        all.push(("version", "1".into()));
        all.push(("csrf_token", token));
        let all: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(user.post_raw(FORM, &all).await.status, 403, "{role:?}");
    }
    assert_eq!(
        app.get("alpha.test", FORM).await.status,
        303,
        "sign in first"
    );
    // A's session is none on B's domain.
    let mut elsewhere = app.browser("beta.test");
    elsewhere.cookie = owner.cookie.clone();
    assert_eq!(elsewhere.get(FORM).await.status, 303);

    // B's image offered by A's owner: refused by the write path…
    let b_image = add_image(
        &app,
        t.b,
        "beta-secret.png",
        picture(40, 30, ImageFormat::Png),
    )
    .await;
    let before = database_digest(&app, None).await;
    let res = save(
        &mut owner,
        &with(&fields(&images), "logo", &b_image.to_string()),
    )
    .await;
    assert_eq!(res.status, 422);
    assert!(
        !res.body.contains("beta-secret.png"),
        "B's library is never offered"
    );
    assert_eq!(database_digest(&app, None).await, before);
    // …and by the database itself, even for the schema's owner.
    let mut conn = app.db.owner_conn().await;
    let refused = diesel_async::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "INSERT INTO tenancy.site_branding (customer_id, site_id, logo_media_id, created_at, \
             updated_at) VALUES ('{}', '{}', '{b_image}', now(), now())",
            t.a, t.a_site
        )),
        &mut conn,
    )
    .await;
    assert!(
        refused.is_err(),
        "a foreign key refuses another customer's image"
    );
}

#[actix_web::test]
async fn an_image_in_the_branding_is_listed_where_used_and_taken_out_when_deleted() {
    let app = TestApp::new().await;
    let (_t, images, mut owner) = world(&app).await;
    let res = save(&mut owner, &fields(&images)).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let stale = version(&owner.get(FORM).await);

    let page = owner.get(&format!("/admin/media/{}", images.logo)).await;
    assert_eq!(page.texts(".site-uses li"), ["Alpha Home (logo)"]);
    let delete = format!("/admin/media/{}/delete", images.logo);
    let media_page = format!("/admin/media/{}", images.logo);
    let res = owner.post(&media_page, &delete, &[("version", "1")]).await;
    assert_eq!(res.status, 409, "asks for confirmation: {}", res.body);
    assert!(res.body.contains("branding"), "{}", res.body);
    assert!(
        app.get("alpha.test", "/")
            .await
            .attr("img.site-logo", "src")
            .is_some()
    );

    let res = owner
        .post(
            &media_page,
            &delete,
            &[("version", "1"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let home = app.get("alpha.test", "/").await;
    assert!(home.attr("img.site-logo", "src").is_none());
    assert_eq!(home.texts("a.site-name"), ["Alpha Home"]);
    assert!(
        home.attr("link[rel=icon]", "href").is_some(),
        "the favicon stays"
    );
    assert_eq!(
        sql_count(
            &app,
            "SELECT count(*) FROM audit.events WHERE entity = 'site' AND action = 'update_branding'"
        )
        .await,
        2,
        "taking the image out is audited"
    );
    // A form loaded before the deletion is stale now.
    let res = save_at(&mut owner, &fields(&images), &stale).await;
    assert_eq!(res.status, 409, "{}", res.body);
    let form = owner.get(FORM).await;
    assert_eq!(form.attr("#logo option[selected]", "value"), None);
    assert_eq!(
        form.attr("#favicon option[selected]", "value"),
        Some(images.favicon.to_string())
    );
}

#[actix_web::test]
async fn a_new_search_language_reindexes_the_sites_posts() {
    let app = TestApp::new().await;
    let (_t, images, mut owner) = world(&app).await;
    let vector = "SELECT search_vector::text AS s FROM content.posts WHERE slug = 'alpha-post'";
    assert!(
        !sql_text(&app, vector).await.contains("'of'"),
        "english drops 'of'"
    );
    let simple = with(&fields(&images), "search_language", "simple");
    let res = save(&mut owner, &simple).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(
        sql_text(&app, vector).await.contains("'of'"),
        "simple keeps every word"
    );
}

/// The slugs of a feed's entries, in its order.
fn feed_slugs(feed: &Response) -> Vec<String> {
    assert_eq!(feed.status, 200, "{}", feed.body);
    let doc = roxmltree::Document::parse(&feed.body).expect("a well-formed feed");
    doc.descendants()
        .filter(|n| n.has_tag_name("entry"))
        .filter_map(|entry| {
            entry
                .children()
                .find(|n| n.has_tag_name("link") && n.attribute("rel") == Some("alternate"))
        })
        .filter_map(|link| {
            link.attribute("href")?
                .rsplit('/')
                .next()
                .map(str::to_owned)
        })
        .collect()
}

#[actix_web::test]
async fn feeds_carry_ten_posts_unless_the_branding_chooses_from_one_to_fifty() {
    let app = TestApp::new().await;
    let (t, images, mut owner) = world(&app).await;
    // Twelve more posts each (thirteen in all), the newest last; one of A's is a draft.
    for i in 0..12 {
        let slug = format!("more-{i:02}");
        app.post(t.a, t.a_site, &slug, Some(minutes_ago(50 - i)))
            .await;
        app.post(t.b, t.b_site, &slug, Some(minutes_ago(50 - i)))
            .await;
    }
    app.post(t.a, t.a_site, "a-draft", None).await;
    let newest = |n: usize| -> Vec<String> {
        (0..12)
            .rev()
            .map(|i| format!("more-{i:02}"))
            .take(n)
            .collect()
    };
    let feed = app.get("alpha.test", "/feed.xml").await;
    assert_eq!(feed_slugs(&feed), newest(10), "ten unless chosen");
    assert_eq!(
        feed_slugs(&app.get("alpha.test", "/tags/test/feed.xml").await),
        newest(10)
    );

    let res = save(&mut owner, &with(&fields(&images), "feed_length", "3")).await;
    assert_eq!(res.status, 303, "{}", res.body);
    // The next request (the feeds were kept) carries the three newest; the tag's feed too.
    assert_eq!(
        feed_slugs(&app.get("alpha.test", "/feed.xml").await),
        newest(3)
    );
    assert_eq!(
        feed_slugs(&app.get("alpha.test", "/tags/test/feed.xml").await),
        newest(3)
    );
    // The other customer's site keeps its ten.
    assert_eq!(
        feed_slugs(&app.get("beta.test", "/feed.xml").await),
        newest(10)
    );
    let form = owner.get(FORM).await;
    assert_eq!(form.attr("#feed_length", "value").as_deref(), Some("3"));
    let stored = format!(
        "SELECT feed_length::text AS s FROM tenancy.site_branding WHERE site_id = '{}'",
        t.a_site
    );
    assert_eq!(sql_text(&app, &stored).await, "3");
    let audited = "SELECT (after ->> 'feed_length') AS s FROM audit.events \
                   WHERE action = 'update_branding' ORDER BY occurred_at DESC LIMIT 1";
    assert_eq!(sql_text(&app, audited).await, "3");

    // Bad numbers: 422 with the reason, the number typed kept, nothing changed.
    let before = database_digest(&app, None).await;
    for bad in ["0", "51", "ten", "-1", "2.5", "1e1", "99999999999"] {
        let res = save(&mut owner, &with(&fields(&images), "feed_length", bad)).await;
        assert_eq!(res.status, 422, "{bad}: {}", res.body);
        let message = res.texts("#branding-error").join(" ");
        assert!(
            message.contains("posts in a feed must be a whole number from 1 to 50"),
            "{bad}: {message}"
        );
        assert_eq!(res.attr("#feed_length", "value").as_deref(), Some(bad));
    }
    assert_eq!(database_digest(&app, None).await, before);
    assert_eq!(
        feed_slugs(&app.get("alpha.test", "/feed.xml").await),
        newest(3)
    );

    // Fifty is allowed (all thirteen); an empty field is the default again.
    let res = save(&mut owner, &with(&fields(&images), "feed_length", "50")).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let all = feed_slugs(&app.get("alpha.test", "/feed.xml").await);
    assert_eq!(all.len(), 13, "{all:?}");
    assert!(!all.contains(&"a-draft".to_owned()));
    let res = save(&mut owner, &with(&fields(&images), "feed_length", "")).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        feed_slugs(&app.get("alpha.test", "/feed.xml").await),
        newest(10)
    );
}
