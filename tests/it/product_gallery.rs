//! The gallery of a product: images of the media library in order, the first the main image. Set,
//! reordered and emptied in the product form (its buttons rearrange the form, "Save changes" saves
//! it over the version the form was loaded at); shown on the catalog (the main image of each card)
//! and on the product page (the main image large, the others below, the main one as `og:image`);
//! in the CSV export and import; another customer's images refused; deleting an image from the
//! library takes it out of every gallery.

use agoat::media::library;
use agoat::tenancy::CustomerId;
use image::ImageFormat;
use scoped_futures::ScopedFutureExt;
use uuid::Uuid;

use crate::admin_csv::{apply, apply_path, counts, errors, upload};
use crate::common::{
    Browser, Response, TestApp, TwoTenants, actor, catalog_staff, signed_in, sql_count, sql_text,
    two_tenants,
};
use crate::media::add_image;

const PRICING: &str = "pricing@alpha.test";

struct World {
    app: TestApp,
    t: TwoTenants,
    /// ALPHA-1's id.
    product: String,
}

async fn world() -> World {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    catalog_staff(&app, &t).await;
    let product = sql_text(
        &app,
        "SELECT id::text AS s FROM thorne.products WHERE sku = 'ALPHA-1'",
    )
    .await;
    World { app, t, product }
}

/// A PNG of `width` × ¾ `width` whose colours depend on `name`, so that no two images of a test
/// share a file.
fn distinct_png(name: &str, width: u32) -> Vec<u8> {
    let seed = name
        .bytes()
        .fold(7u8, |h, b| h.wrapping_mul(31).wrapping_add(b));
    let height = width * 3 / 4;
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 255 / width) as u8, seed, (y * 255 / height) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

/// An image of `customer`'s library with this alt text; returns its id.
async fn image(app: &TestApp, customer: CustomerId, name: &str, alt: &str, width: u32) -> Uuid {
    let id = add_image(app, customer, name, distinct_png(name, width)).await;
    let alt = alt.to_owned();
    app.in_scope(customer, move |conn, scope| {
        let alt = alt.clone();
        async move { library::update_text(conn, scope, id, 1, &alt, "", &actor()).await }
            .scope_boxed()
    })
    .await;
    id
}

/// The gallery of a product as stored: image ids by position.
async fn stored_gallery(app: &TestApp, product: &str) -> Vec<Uuid> {
    let text = sql_text(
        app,
        &format!(
            "SELECT coalesce(string_agg(media_id::text, ' ' ORDER BY position), '') AS s \
             FROM thorne.product_images WHERE product_id = '{product}'"
        ),
    )
    .await;
    text.split_whitespace()
        .map(|id| Uuid::parse_str(id).unwrap())
        .collect()
}

/// Every gallery row, every product's version and the number of audit events: what a refused
/// request must leave as it was.
async fn galleries_snapshot(app: &TestApp) -> String {
    sql_text(
        app,
        "SELECT coalesce((SELECT string_agg(concat_ws('|', customer_id, product_id, media_id, \
         position), ',' ORDER BY customer_id, product_id, position) FROM thorne.product_images), '') \
         || '#' || (SELECT string_agg(concat_ws('|', id, version, updated_at), ',' ORDER BY id) \
         FROM thorne.products) \
         || '#' || (SELECT count(*) FROM audit.events WHERE entity <> 'sign_in') AS s",
    )
    .await
}

/// The names of an image's files.
async fn files_of(app: &TestApp, id: Uuid) -> Vec<String> {
    sql_text(
        app,
        &format!(
            "SELECT string_agg(name, ' ' ORDER BY name) AS s FROM content.media_files \
             WHERE media_id = '{id}'"
        ),
    )
    .await
    .split_whitespace()
    .map(str::to_owned)
    .collect()
}

/// Whether `address` (a path or absolute URL) names one of the image's files.
async fn is_file_of(app: &TestApp, id: Uuid, address: &str) -> bool {
    let name = address.rsplit('/').next().unwrap_or_default();
    files_of(app, id).await.iter().any(|f| f == name)
}

/// The fields the product form of `page` would send: its inputs (ticked boxes only) and text
/// areas, with its CSRF token; no button.
fn form_fields(page: &Response) -> Vec<(String, String)> {
    let html = page.html();
    let selector =
        scraper::Selector::parse("form.product-form input[name], form.product-form textarea[name]")
            .unwrap();
    html.select(&selector)
        .filter(|e| {
            let kind = e.value().attr("type").unwrap_or("text");
            kind != "checkbox" || e.value().attr("checked").is_some()
        })
        .map(|e| {
            let name = e.value().attr("name").unwrap().to_owned();
            let value = if e.value().name() == "textarea" {
                e.text().collect()
            } else {
                e.value().attr("value").unwrap_or_default().to_owned()
            };
            (name, value)
        })
        .collect()
}

/// Submits the product form of `page` as a browser would, with `changes` to its fields (a field
/// not in the form is added), and `button` (`name`, `value`) when one is pressed.
async fn submit(
    browser: &mut Browser<'_>,
    page: &Response,
    changes: &[(&str, &str)],
    button: Option<(&str, String)>,
) -> Response {
    let action = page
        .attr("form.product-form", "action")
        .unwrap_or_else(|| panic!("no product form: {} {}", page.status, page.body));
    let mut fields = form_fields(page);
    for (name, value) in changes {
        match fields.iter_mut().find(|(n, _)| n == name) {
            Some(field) => field.1 = (*value).to_owned(),
            None => fields.push(((*name).to_owned(), (*value).to_owned())),
        }
    }
    if let Some((name, value)) = button {
        fields.push((name.to_owned(), value));
    }
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    browser.post_raw(&action, &pairs).await
}

/// The edit page of a product.
async fn edit_page(browser: &mut Browser<'_>, product: &str) -> Response {
    let page = browser.get(&format!("/admin/products/{product}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page
}

/// Saves the gallery `ids` through the product form; panics unless it is saved.
async fn save_gallery(browser: &mut Browser<'_>, product: &str, ids: &[Uuid]) {
    let page = edit_page(browser, product).await;
    let text = ids
        .iter()
        .map(Uuid::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    let res = submit(browser, &page, &[("images", &text)], None).await;
    assert_eq!(res.status, 303, "{}", res.body);
}

/// The image ids the edit form shows in its gallery, in order.
fn shown_gallery(page: &Response) -> Vec<Uuid> {
    let html = page.html();
    let selector = scraper::Selector::parse(".gallery-list li[data-id]").unwrap();
    html.select(&selector)
        .map(|li| Uuid::parse_str(li.value().attr("data-id").unwrap()).unwrap())
        .collect()
}

/// Every value of an attribute of the elements matching a selector.
fn attrs(page: &Response, selector: &str, attribute: &str) -> Vec<String> {
    let selector = scraper::Selector::parse(selector).unwrap();
    page.html()
        .select(&selector)
        .filter_map(|e| e.value().attr(attribute).map(str::to_owned))
        .collect()
}

#[actix_web::test]
async fn a_gallery_set_in_the_admin_shows_on_the_catalog_and_the_product_page() {
    let World { app, t, product } = world().await;
    let [a, b, c] = [
        image(&app, t.a, "front.png", "The jar from the front", 1200).await,
        image(&app, t.a, "back.png", "The label on the back", 800).await,
        image(&app, t.a, "capsules.png", "Two capsules", 400).await,
    ];
    let mut browser = signed_in(&app, "alpha.test", PRICING).await;
    let page = edit_page(&mut browser, &product).await;
    assert!(shown_gallery(&page).is_empty());
    assert_eq!(
        attrs(&page, ".gallery-picker button[name=gallery]", "value").len(),
        3,
        "the picker offers the library's images"
    );
    // "Add" rearranges the form and saves nothing.
    let added = submit(
        &mut browser,
        &page,
        &[],
        Some(("gallery", format!("add:{a}"))),
    )
    .await;
    assert_eq!(added.status, 200, "{}", added.body);
    assert_eq!(shown_gallery(&added), [a]);
    assert!(added.attr("#gallery-unsaved", "role").is_some());
    assert_eq!(added.attr("#images", "value"), Some(a.to_string()));
    assert!(stored_gallery(&app, &product).await.is_empty());
    let added = submit(
        &mut browser,
        &added,
        &[],
        Some(("gallery", format!("add:{b}"))),
    )
    .await;
    let added = submit(
        &mut browser,
        &added,
        &[],
        Some(("gallery", format!("add:{c}"))),
    )
    .await;
    assert_eq!(shown_gallery(&added), [a, b, c]);
    assert!(stored_gallery(&app, &product).await.is_empty());
    // Pages rendered (and cached) just before the gallery is saved.
    let before = app.get("alpha.test", "/products").await;
    assert!(before.texts(".product-card picture").is_empty());
    assert_eq!(
        app.get("alpha.test", "/products/ALPHA-1")
            .await
            .attr("meta[property='og:image']", "content"),
        None
    );
    // Saving keeps it, with an audit event.
    let res = submit(&mut browser, &added, &[], None).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(stored_gallery(&app, &product).await, [a, b, c]);
    let events = sql_count(
        &app,
        &format!(
            "SELECT count(*) FROM audit.events WHERE entity = 'product' AND action = 'gallery' \
             AND entity_id = '{product}' AND before->'images' = '[]'::jsonb \
             AND after->'images' = '[\"{a}\", \"{b}\", \"{c}\"]'::jsonb"
        ),
    )
    .await;
    assert_eq!(events, 1, "the change is audited with both lists");
    let page = edit_page(&mut browser, &product).await;
    assert_eq!(shown_gallery(&page), [a, b, c]);

    // The catalog shows the main image on the card, at once despite the page cache.
    let list = app.get("alpha.test", "/products").await;
    let img = ".product-card picture img";
    assert_eq!(list.texts(".product-card picture").len(), 1);
    assert!(is_file_of(&app, a, &list.attr(img, "src").unwrap()).await);
    assert_eq!(
        list.attr(img, "alt").as_deref(),
        Some("The jar from the front")
    );
    assert_eq!(list.attr(img, "width").as_deref(), Some("1200"));
    assert_eq!(list.attr(img, "height").as_deref(), Some("900"));
    assert_eq!(list.attr(img, "loading").as_deref(), Some("lazy"));
    assert_eq!(
        list.attr(img, "sizes").as_deref(),
        Some(agoat::media::pictures::PRODUCT_CARD_SIZES)
    );
    assert!(list.attr(img, "srcset").unwrap().contains("320w"));

    // The product page: the main image large, the others below, the main one shared.
    let page = app.get("alpha.test", "/products/ALPHA-1").await;
    assert_eq!(page.status, 200);
    let main = ".product-main-image picture img";
    assert!(is_file_of(&app, a, &page.attr(main, "src").unwrap()).await);
    assert_eq!(
        page.attr(main, "alt").as_deref(),
        Some("The jar from the front")
    );
    assert_eq!(page.attr(main, "fetchpriority").as_deref(), Some("high"));
    let others = attrs(&page, ".product-gallery picture img", "src");
    assert_eq!(others.len(), 2, "{others:?}");
    assert!(is_file_of(&app, b, &others[0]).await);
    assert!(is_file_of(&app, c, &others[1]).await);
    assert_eq!(
        page.texts(".product-gallery img").len(),
        2,
        "the main image is not repeated"
    );
    let og = page.attr("meta[property='og:image']", "content").unwrap();
    assert!(og.starts_with("http://alpha.test/media/"), "{og}");
    assert!(is_file_of(&app, a, &og).await, "{og}");
    assert_eq!(
        app.get("alpha.test", og.trim_start_matches("http://alpha.test"))
            .await
            .status,
        200
    );
    assert_eq!(
        page.attr("meta[property='og:image:alt']", "content")
            .as_deref(),
        Some("The jar from the front")
    );
    assert_eq!(
        page.attr("meta[name='twitter:card']", "content").as_deref(),
        Some("summary_large_image")
    );
    // A page without an image has no og:image and a small card.
    let plain = app.get("beta.test", "/products/BETA-1").await;
    assert_eq!(plain.attr("meta[property='og:image']", "content"), None);
    assert_eq!(
        plain
            .attr("meta[name='twitter:card']", "content")
            .as_deref(),
        Some("summary")
    );
    assert!(plain.texts("picture").is_empty());
}

#[actix_web::test]
async fn the_buttons_reorder_and_remove_and_the_site_follows() {
    let World { app, t, product } = world().await;
    let a = image(&app, t.a, "a.png", "Image A", 300).await;
    let b = image(&app, t.a, "b.png", "Image B", 300).await;
    let c = image(&app, t.a, "c.png", "Image C", 300).await;
    let files_a = files_of(&app, a).await;
    for other in [b, c] {
        let shared: Vec<String> = files_of(&app, other)
            .await
            .into_iter()
            .filter(|f| files_a.contains(f))
            .collect();
        assert!(shared.is_empty(), "the images share no file: {shared:?}");
    }
    let mut browser = signed_in(&app, "alpha.test", PRICING).await;
    save_gallery(&mut browser, &product, &[a, b, c]).await;

    let page = edit_page(&mut browser, &product).await;
    // The first image has no "make main" or "up", the last no "down".
    let buttons = attrs(&page, ".gallery-list button[name=gallery]", "value");
    for absent in [format!("main:{a}"), format!("up:{a}"), format!("down:{c}")] {
        assert!(!buttons.contains(&absent), "{absent} in {buttons:?}");
    }
    for present in [
        format!("main:{c}"),
        format!("up:{b}"),
        format!("down:{a}"),
        format!("remove:{b}"),
    ] {
        assert!(buttons.contains(&present), "{present} in {buttons:?}");
    }
    let main_c = submit(
        &mut browser,
        &page,
        &[],
        Some(("gallery", format!("main:{c}"))),
    )
    .await;
    assert_eq!(main_c.status, 200, "{}", main_c.body);
    assert_eq!(shown_gallery(&main_c), [c, a, b]);
    assert_eq!(stored_gallery(&app, &product).await, [a, b, c], "not saved");
    // Typed changes are kept while the gallery is rearranged, and saved with it.
    let down = submit(
        &mut browser,
        &main_c,
        &[("name", "Renamed while arranging")],
        Some(("gallery", format!("down:{c}"))),
    )
    .await;
    assert_eq!(shown_gallery(&down), [a, c, b]);
    assert_eq!(
        down.attr("#name", "value").as_deref(),
        Some("Renamed while arranging")
    );
    let up = submit(
        &mut browser,
        &down,
        &[],
        Some(("gallery", format!("up:{b}"))),
    )
    .await;
    assert_eq!(shown_gallery(&up), [a, b, c]);
    let main_c = submit(
        &mut browser,
        &up,
        &[],
        Some(("gallery", format!("main:{c}"))),
    )
    .await;
    let res = submit(&mut browser, &main_c, &[], None).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(stored_gallery(&app, &product).await, [c, a, b]);
    assert_eq!(
        sql_text(
            &app,
            &format!("SELECT name AS s FROM thorne.products WHERE id = '{product}'")
        )
        .await,
        "Renamed while arranging"
    );
    let shown = app.get("alpha.test", "/products/ALPHA-1").await;
    assert!(
        is_file_of(
            &app,
            c,
            &shown.attr(".product-main-image img", "src").unwrap()
        )
        .await
    );
    let list = app.get("alpha.test", "/products").await;
    assert!(is_file_of(&app, c, &list.attr(".product-card img", "src").unwrap()).await);

    // Remove the main image: the next one becomes the main one.
    let page = edit_page(&mut browser, &product).await;
    let removed = submit(
        &mut browser,
        &page,
        &[],
        Some(("gallery", format!("remove:{c}"))),
    )
    .await;
    assert_eq!(shown_gallery(&removed), [a, b]);
    let res = submit(&mut browser, &removed, &[], None).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(stored_gallery(&app, &product).await, [a, b]);
    let shown = app.get("alpha.test", "/products/ALPHA-1").await;
    let main = shown.attr(".product-main-image img", "src").unwrap();
    assert!(is_file_of(&app, a, &main).await);
    let others = attrs(&shown, ".product-gallery img", "src");
    assert_eq!(others.len(), 1);
    assert!(is_file_of(&app, b, &others[0]).await);
    for file in files_of(&app, c).await {
        assert!(!shown.body.contains(&file), "the removed image is gone");
    }
    // An empty field empties the gallery.
    let page = edit_page(&mut browser, &product).await;
    let res = submit(&mut browser, &page, &[("images", "")], None).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(stored_gallery(&app, &product).await.is_empty());
    let shown = app.get("alpha.test", "/products/ALPHA-1").await;
    assert!(shown.texts("picture").is_empty());
    assert_eq!(shown.attr("meta[property='og:image']", "content"), None);
    let events = sql_count(
        &app,
        "SELECT count(*) FROM audit.events WHERE entity = 'product' AND action = 'gallery'",
    )
    .await;
    assert_eq!(events, 4, "one event per saved gallery");
}

#[actix_web::test]
async fn another_customers_image_is_refused_and_nothing_changes() {
    let World { app, t, product } = world().await;
    let own = image(&app, t.a, "own.png", "Our jar", 300).await;
    let theirs = image(&app, t.b, "beta-secret.png", "Beta's secret jar", 300).await;
    let mut browser = signed_in(&app, "alpha.test", PRICING).await;
    save_gallery(&mut browser, &product, &[own]).await;
    let before = galleries_snapshot(&app).await;
    for images in [
        theirs.to_string(),
        format!("{own} {theirs}"),
        Uuid::new_v4().to_string(),
        "not-an-id".to_owned(),
    ] {
        let page = edit_page(&mut browser, &product).await;
        let res = submit(&mut browser, &page, &[("images", &images)], None).await;
        assert_eq!(res.status, 422, "{images}: {}", res.body);
        let error = res.texts("#images-error").concat();
        assert!(
            error.contains("no image") || error.contains("is not an image id"),
            "{images}: {error}"
        );
        assert!(!res.body.contains("beta-secret"), "B's image stays unknown");
        assert!(!res.body.contains("Beta's secret jar"));
        assert_eq!(galleries_snapshot(&app).await, before, "{images}");
    }
    // Adding it with the button shows an unknown image and saves nothing; saving is refused.
    let page = edit_page(&mut browser, &product).await;
    let added = submit(
        &mut browser,
        &page,
        &[],
        Some(("gallery", format!("add:{theirs}"))),
    )
    .await;
    assert_eq!(added.status, 200);
    assert!(!added.body.contains("beta-secret"));
    assert!(
        added
            .texts(".gallery-list")
            .concat()
            .contains("Unknown image")
    );
    let res = submit(&mut browser, &added, &[], None).await;
    assert_eq!(res.status, 422, "{}", res.body);
    // Creating a product with it is refused too.
    let new = browser.get("/admin/products/new").await;
    let fields = [
        ("sku", "ALPHA-NEW"),
        ("name", "New"),
        ("category", "Vitamins"),
        ("wholesale_price", "1.00"),
        ("retail_price", "2.00"),
        ("images", &theirs.to_string()),
    ];
    let res = submit(&mut browser, &new, &fields, None).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(galleries_snapshot(&app).await, before);
    // B's own product page never shows A's image, nor A's B's.
    assert_eq!(stored_gallery(&app, &product).await, [own]);
    let beta = app.get("beta.test", "/products/BETA-1").await;
    assert!(beta.texts("picture").is_empty());
}

#[actix_web::test]
async fn a_new_product_is_created_with_its_gallery() {
    let World { app, t, .. } = world().await;
    let a = image(&app, t.a, "a.png", "Image A", 300).await;
    let mut browser = signed_in(&app, "alpha.test", PRICING).await;
    let new = browser.get("/admin/products/new").await;
    let fields = [
        ("sku", "ALPHA-NEW"),
        ("name", "New"),
        ("category", "Vitamins"),
        ("wholesale_price", "1.00"),
        ("retail_price", "2.00"),
    ];
    let added = submit(
        &mut browser,
        &new,
        &fields,
        Some(("gallery", format!("add:{a}"))),
    )
    .await;
    assert_eq!(added.status, 200, "{}", added.body);
    assert_eq!(shown_gallery(&added), [a]);
    assert_eq!(added.attr("#sku", "value").as_deref(), Some("ALPHA-NEW"));
    let res = submit(&mut browser, &added, &[], None).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let id = sql_text(
        &app,
        "SELECT id::text AS s FROM thorne.products WHERE sku = 'ALPHA-NEW'",
    )
    .await;
    assert_eq!(stored_gallery(&app, &id).await, [a]);
    let page = app.get("alpha.test", "/products/ALPHA-NEW").await;
    assert!(
        is_file_of(
            &app,
            a,
            &page.attr(".product-main-image img", "src").unwrap()
        )
        .await
    );
}

#[actix_web::test]
async fn a_stale_form_is_refused_and_a_gallery_change_makes_a_form_stale() {
    let World { app, t, product } = world().await;
    let a = image(&app, t.a, "a.png", "Image A", 300).await;
    let b = image(&app, t.a, "b.png", "Image B", 300).await;
    let mut first = signed_in(&app, "alpha.test", PRICING).await;
    let mut second = signed_in(&app, "alpha.test", "owner@alpha.test").await;
    let loaded = edit_page(&mut first, &product).await;
    // Someone else saves a gallery meanwhile.
    save_gallery(&mut second, &product, &[b]).await;
    let before = galleries_snapshot(&app).await;
    // The stale form's gallery is refused, and so is its name change.
    let res = submit(&mut first, &loaded, &[("images", &a.to_string())], None).await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert_eq!(galleries_snapshot(&app).await, before);
    assert_eq!(stored_gallery(&app, &product).await, [b]);
    let images_row = res
        .texts("table.product-conflict tr")
        .into_iter()
        .find(|row| row.starts_with("Images"))
        .expect("the conflict page compares the galleries");
    assert!(
        images_row.contains(&a.to_string()) && images_row.contains(&b.to_string()),
        "{images_row}"
    );
    let res = submit(&mut first, &loaded, &[("name", "Stale rename")], None).await;
    assert_eq!(
        res.status, 409,
        "a gallery change is a change of the product"
    );
    assert_eq!(galleries_snapshot(&app).await, before);
    // A stale gallery button only rearranges the form; its save is refused all the same.
    let rearranged = submit(
        &mut first,
        &loaded,
        &[("images", &format!("{a} {b}"))],
        Some(("gallery", format!("main:{b}"))),
    )
    .await;
    assert_eq!(rearranged.status, 200);
    let res = submit(&mut first, &rearranged, &[], None).await;
    assert_eq!(res.status, 409);
    assert_eq!(galleries_snapshot(&app).await, before);
    // "Overwrite with my version" saves my gallery over the current version.
    let overwrite = {
        let res = submit(&mut first, &loaded, &[("images", &a.to_string())], None).await;
        let fields: Vec<(String, String)> = {
            let html = res.html();
            let selector = scraper::Selector::parse("form.overwrite input[name]").unwrap();
            html.select(&selector)
                .map(|e| {
                    (
                        e.value().attr("name").unwrap().to_owned(),
                        e.value().attr("value").unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        };
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        first
            .post_raw(&format!("/admin/products/{product}"), &pairs)
            .await
    };
    assert_eq!(overwrite.status, 303, "{}", overwrite.body);
    assert_eq!(stored_gallery(&app, &product).await, [a]);
}

// ------------------------------------------------------------------------------------------------
// CSV

#[actix_web::test]
async fn the_export_lists_the_gallery_and_the_import_round_trips_it() {
    let World { app, t, product } = world().await;
    let a = image(&app, t.a, "a.png", "Image A", 300).await;
    let b = image(&app, t.a, "b.png", "Image B", 300).await;
    let mut browser = signed_in(&app, "alpha.test", PRICING).await;
    save_gallery(&mut browser, &product, &[b, a]).await;

    let export = browser.get("/admin/products/export.csv").await;
    assert_eq!(export.status, 200);
    let mut lines = export.body.lines();
    assert!(lines.next().unwrap().ends_with(",in_stock,images"));
    let row = lines.find(|l| l.starts_with("ALPHA-1,")).unwrap();
    assert!(row.ends_with(&format!(",true,{b} {a}")), "{row}");
    let file = export.body.clone();

    // The gallery changes; importing the export brings it back, main image first.
    save_gallery(&mut browser, &product, &[]).await;
    let report = upload(&mut browser, "export.csv", file.as_bytes()).await;
    assert_eq!(report.status, 200, "{}", report.body);
    assert_eq!(
        counts(&report),
        ("0".into(), "1".into(), "0".into(), "0".into())
    );
    assert!(
        report
            .texts("table.import-updates")
            .concat()
            .contains("images")
    );
    assert!(stored_gallery(&app, &product).await.is_empty(), "a dry run");
    let res = apply(&mut browser, &apply_path(&report), &[]).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(stored_gallery(&app, &product).await, [b, a]);
    let page = app.get("alpha.test", "/products/ALPHA-1").await;
    assert!(
        is_file_of(
            &app,
            b,
            &page.attr(".product-main-image img", "src").unwrap()
        )
        .await
    );
    // The same file again changes nothing.
    let report = upload(&mut browser, "again.csv", file.as_bytes()).await;
    assert_eq!(
        counts(&report),
        ("0".into(), "0".into(), "1".into(), "0".into())
    );

    // Without the column the gallery stays; an empty cell empties it; a new product gets one.
    let report = upload(&mut browser, "names.csv", b"sku,name\nALPHA-1,Renamed\n").await;
    apply(&mut browser, &apply_path(&report), &[]).await;
    assert_eq!(stored_gallery(&app, &product).await, [b, a]);
    let file = format!(
        "sku,name,category,wholesale_price,retail_price,images\n\
         ALPHA-1,Renamed,Vitamins,10.00,18.00,\n\
         ALPHA-NEW,New,Vitamins,1.00,2.00,media:{a} {b}\n"
    );
    let report = upload(&mut browser, "mixed.csv", file.as_bytes()).await;
    assert_eq!(
        counts(&report),
        ("1".into(), "1".into(), "0".into(), "0".into())
    );
    let res = apply(&mut browser, &apply_path(&report), &[]).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(stored_gallery(&app, &product).await.is_empty());
    let new = sql_text(
        &app,
        "SELECT id::text AS s FROM thorne.products WHERE sku = 'ALPHA-NEW'",
    )
    .await;
    assert_eq!(stored_gallery(&app, &new).await, [a, b]);
}

#[actix_web::test]
async fn bad_image_ids_in_a_csv_are_row_errors_and_nothing_is_applied() {
    let World { app, t, product } = world().await;
    let own = image(&app, t.a, "own.png", "Our jar", 300).await;
    let theirs = image(&app, t.b, "beta-secret.png", "Beta's jar", 300).await;
    app.product(t.a, "ALPHA-2", "Vitamins", "1.00", "2.00")
        .await;
    let mut browser = signed_in(&app, "alpha.test", PRICING).await;
    let before = galleries_snapshot(&app).await;
    let unknown = Uuid::new_v4();
    let file = format!(
        "sku,name,category,wholesale_price,retail_price,images\n\
         ALPHA-1,Fine change,Vitamins,10.00,18.00,{own}\n\
         ALPHA-2,Theirs,Vitamins,1.00,2.00,{own} {theirs}\n\
         ALPHA-3,Unknown,Vitamins,1.00,2.00,{unknown}\n\
         ALPHA-4,Typo,Vitamins,1.00,2.00,{own} cat.jpg\n\
         ALPHA-5,Twice,Vitamins,1.00,2.00,{own} {own}\n"
    );
    let report = upload(&mut browser, "bad.csv", file.as_bytes()).await;
    assert_eq!(report.status, 422, "{}", report.body);
    assert_eq!(
        errors(&report),
        [
            format!("line 3, column images: no image {theirs} in the media library"),
            format!("line 4, column images: no image {unknown} in the media library"),
            "line 5, column images: “cat.jpg” is not an image id".to_owned(),
            format!("line 6, column images: the image {own} is listed twice"),
        ]
    );
    assert!(report.attr("form[action$='/apply']", "action").is_none());
    assert!(!report.body.contains("beta-secret"));
    // Applying the stored upload anyway is refused with the same report.
    let upload_id = sql_text(
        &app,
        "SELECT id::text AS s FROM thorne.csv_uploads WHERE file_name = 'bad.csv'",
    )
    .await;
    let before_apply = galleries_snapshot(&app).await;
    let res = apply(
        &mut browser,
        &format!("/admin/products/import/{upload_id}/apply"),
        &[],
    )
    .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(galleries_snapshot(&app).await, before_apply);
    assert!(stored_gallery(&app, &product).await.is_empty());
    assert_eq!(
        sql_text(
            &app,
            &format!("SELECT name AS s FROM thorne.products WHERE id = '{product}'")
        )
        .await,
        "Product ALPHA-1",
        "the good row is not applied either"
    );
    // Only the upload's audit event was added.
    assert_ne!(before, before_apply);
}

// ------------------------------------------------------------------------------------------------
// The library

#[actix_web::test]
async fn deleting_an_image_from_the_library_takes_it_out_of_the_gallery() {
    let World { app, t, product } = world().await;
    let a = image(&app, t.a, "a.png", "Image A", 300).await;
    let b = image(&app, t.a, "b.png", "Image B", 300).await;
    let mut browser = signed_in(&app, "alpha.test", PRICING).await;
    save_gallery(&mut browser, &product, &[a, b]).await;
    // Rendered and cached with the image.
    let shown = app.get("alpha.test", "/products/ALPHA-1").await;
    assert!(
        is_file_of(
            &app,
            a,
            &shown.attr(".product-main-image img", "src").unwrap()
        )
        .await
    );
    let list = app.get("alpha.test", "/products").await;
    assert!(is_file_of(&app, a, &list.attr(".product-card img", "src").unwrap()).await);
    let files = files_of(&app, a).await;

    // The image's page names the product; deleting needs a confirmation.
    let media = format!("/admin/media/{a}");
    let page = browser.get(&media).await;
    assert_eq!(
        page.texts(".product-uses li"),
        ["Product ALPHA-1 (ALPHA-1)"]
    );
    let delete = format!("{media}/delete");
    let res = browser.post(&media, &delete, &[("version", "2")]).await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert!(res.body.contains("gallery"), "{}", res.body);
    assert_eq!(stored_gallery(&app, &product).await, [a, b]);
    let res = browser
        .post(&media, &delete, &[("version", "2"), ("confirm", "yes")])
        .await;
    assert_eq!(res.status, 303, "{}", res.body);

    assert_eq!(stored_gallery(&app, &product).await, [b]);
    let shown = app.get("alpha.test", "/products/ALPHA-1").await;
    assert!(
        is_file_of(
            &app,
            b,
            &shown.attr(".product-main-image img", "src").unwrap()
        )
        .await
    );
    assert!(shown.texts(".product-gallery img").is_empty());
    let og = shown.attr("meta[property='og:image']", "content").unwrap();
    assert!(is_file_of(&app, b, &og).await);
    let list = app.get("alpha.test", "/products").await;
    assert!(is_file_of(&app, b, &list.attr(".product-card img", "src").unwrap()).await);
    for file in &files {
        assert!(!shown.body.contains(file.as_str()), "{file} on the page");
        assert!(!list.body.contains(file.as_str()), "{file} on the catalog");
    }
    let page = edit_page(&mut browser, &product).await;
    assert_eq!(shown_gallery(&page), [b]);
}

#[actix_web::test]
async fn a_product_page_reads_only_its_own_customers_product_of_that_sku() {
    use agoat::thorne::{csv_import, gallery, products};
    use diesel_async::SimpleAsyncConnection;

    let World { app, t, .. } = world().await;
    // The same SKU at both customers; Beta's has a gallery and went from 12.00 to 15.00.
    app.product(t.a, "SHARED-1", "Vitamins", "5.00", "20.00")
        .await;
    app.product(t.b, "SHARED-1", "Minerals", "6.00", "12.00")
        .await;
    let beta_image = image(&app, t.b, "beta.png", "Beta's jar", 400).await;
    app.in_scope(t.b, move |conn, scope| {
        async move {
            let product = products::by_skus(conn, scope, &["SHARED-1".to_owned()])
                .await?
                .remove(0);
            gallery::set_many(conn, scope, &[(product, vec![beta_image])], &actor()).await?;
            let rows = csv_import::parse(b"sku,retail_price\nSHARED-1,15.00\n")
                .map_err(|e| agoat::error::AppError::Invalid(e.join("; ")))?;
            csv_import::apply(conn, scope, &rows, &actor()).await
        }
        .scope_boxed()
    })
    .await;
    app.db
        .owner_conn()
        .await
        .batch_execute("UPDATE tenancy.customers SET show_lowest_30_day_price = true")
        .await
        .unwrap();

    let alpha = app.get("alpha.test", "/products/SHARED-1").await;
    assert_eq!(alpha.status, 200, "{}", alpha.body);
    assert_eq!(alpha.texts("article.product .price"), ["$20.00"]);
    assert_eq!(alpha.texts(".lowest-price .amount"), ["$20.00"]);
    assert!(attrs(&alpha, ".product-main-image img", "src").is_empty());
    assert!(!alpha.body.contains("Beta's jar"));

    let beta = app.get("beta.test", "/products/SHARED-1").await;
    assert_eq!(beta.status, 200, "{}", beta.body);
    assert_eq!(beta.texts("article.product .price"), ["$15.00"]);
    assert_eq!(beta.texts(".lowest-price .amount"), ["$12.00"]);
    assert_eq!(
        attrs(&beta, ".product-main-image img", "alt"),
        ["Beta's jar"]
    );
}
