//! Content like a real site's, so that every part of every page is shown: posts with headings,
//! lists, a table, a quote and images of the media library, tags, a draft with a preview link and
//! revisions; products in two categories with a gallery, price changes in change sets and the
//! lowest price of the last 30 days shown.

use agoat::content::posts::{self, Change, Post, PostInput, Status, Target};
use agoat::content::preview_links;
use agoat::media::library;
use agoat::media::upload::{self, Incoming};
use agoat::tenancy::customers::{self, Settings};
use agoat::thorne::change_sets::{self, Kind};
use agoat::thorne::gallery;
use agoat::thorne::products::{self, Edit, NewProduct};
use bytes::Bytes;
use image::{ImageFormat, RgbImage};
use scoped_futures::ScopedFutureExt;
use uuid::Uuid;

use crate::common::{actor, minutes_ago, sql_text};
use crate::harness::Stack;

/// What the pages' addresses need to know of the seeded content.
pub struct World {
    /// The published post with everything a post can show.
    pub post: Post,
    /// The draft the preview link shows.
    pub draft: Post,
    pub preview_token: String,
    pub image: Uuid,
    /// The product with a gallery and a price history.
    pub product: Uuid,
    pub product_sku: &'static str,
    pub category: &'static str,
    pub tag: &'static str,
    /// A change set that cannot be reverted any more (its product's price changed since).
    pub stale_change_set: Uuid,
    pub editor: Uuid,
    /// A published page nested under another, linked from the menus.
    pub page: Post,
}

const MAIN_BODY: &str = "Most of us reach for coffee before we have had a glass of water. A \
steadier morning starts earlier than the first cup: with light, water and a breakfast that \
lasts.

## Light first

Ten minutes outside within an hour of waking sets the body clock. On grey days it still counts: \
outdoor light is many times brighter than a kitchen lamp. Read more in the \
[sleep research overview](https://example.org/sleep).

![IMAGE_ALT](media:IMAGE_ID)

## What to eat

- Protein at breakfast: eggs, yoghurt or tofu.
- Slow carbohydrates: oats or rye bread.
- **Magnesium**-rich foods such as pumpkin seeds and spinach.

### A simple week

| Day | Breakfast | Why |
|---|---|---|
| Monday | Oats with seeds | Fibre and magnesium |
| Tuesday | Eggs and rye | Protein that lasts |

> Consistency beats intensity: the same wake-up time every day matters more than any \
supplement.

1. Wake at the same time.
2. Drink a glass of water.
3. Step outside.

Write `magnesium bisglycinate` on the shopping list if your doctor advises it, and ~~skip~~ \
postpone the second coffee.";

const OTHER_POSTS: &[(&str, &str, &str)] = &[
    (
        "evening-wind-down",
        "An evening wind-down that works",
        "sleep",
    ),
    ("hydration-basics", "Hydration basics", "nutrition"),
    ("walking-after-meals", "Walking after meals", "energy"),
    (
        "protein-at-breakfast",
        "Why protein at breakfast helps",
        "nutrition",
    ),
    ("screen-time-and-sleep", "Screens and sleep", "sleep"),
    ("vitamin-d-in-winter", "Vitamin D in winter", "nutrition"),
    ("short-naps", "The case for short naps", "sleep"),
    ("morning-stretch", "A five-minute morning stretch", "energy"),
    ("fibre-sources", "Ten easy sources of fibre", "nutrition"),
    ("caffeine-timing", "When to drink your coffee", "energy"),
    ("cold-showers", "Cold showers, considered", "energy"),
];

/// A photo-like PNG of `width` × ⅔ `width` whose colours depend on `seed`.
fn picture(seed: u8, width: u32) -> Vec<u8> {
    let height = width * 2 / 3;
    let image = RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            (x * 180 / width) as u8 + seed / 4,
            (y * 160 / height) as u8 + 40,
            seed.wrapping_add(((x + y) % 64) as u8),
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

/// An image of the media library with its alt text and caption.
async fn image(stack: &Stack, seed: u8, name: &str, alt: &str, caption: &str) -> Uuid {
    let app = &stack.app;
    let files = vec![Incoming {
        name: name.to_owned(),
        bytes: Bytes::from(picture(seed, 960)),
    }];
    let scope = agoat::tenancy::Scope::of(stack.customer);
    let added = upload::add(
        &app.pool,
        app.state.media_store.as_ref(),
        scope,
        &actor(),
        files,
        &app.state.media_limits,
    )
    .await
    .expect("the image is added");
    let id = added[0].id;
    let (alt, caption) = (alt.to_owned(), caption.to_owned());
    app.in_scope(stack.customer, move |conn, scope| {
        let (alt, caption) = (alt.clone(), caption.clone());
        async move { library::update_text(conn, scope, id, 1, &alt, &caption, &actor()).await }
            .scope_boxed()
    })
    .await;
    id
}

fn input(slug: &str, title: &str, body: &str, tags: &[&str], published: bool) -> PostInput {
    PostInput {
        byline: String::new(),
        title: title.to_owned(),
        slug: slug.to_owned(),
        body_markdown: body.to_owned(),
        description: format!("{title}: what we learned and what to try this week."),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        status: if published {
            Status::Published
        } else {
            Status::Draft
        },
        published_at: published.then(|| minutes_ago(30)),
        featured_media_id: None,
    }
}

/// Saves `input` over `post` (a new revision).
async fn update(stack: &Stack, post: &Post, input: PostInput) -> Post {
    let id = post.id;
    stack
        .app
        .in_scope(stack.customer, move |conn, scope| {
            let input = input.clone();
            async move {
                let current = posts::find(conn, scope, id).await?;
                let target = Target::Existing {
                    post: &current,
                    expected_version: current.version,
                };
                let change = Change::Fields {
                    input: &input,
                    action: "update",
                };
                posts::save(conn, scope, target, change, &actor())
                    .await?
                    .saved()
            }
            .scope_boxed()
        })
        .await
}

/// Changes the retail price of `sku` in a change set of its own; returns the set.
async fn reprice(
    stack: &Stack,
    sku: &'static str,
    retail: &'static str,
    name: &'static str,
) -> Uuid {
    stack
        .app
        .in_scope(stack.customer, move |conn, scope| {
            async move {
                let current = products::by_skus(conn, scope, &[sku.to_owned()]).await?;
                let current = &current[0];
                let set = change_sets::open(conn, scope, Kind::Edit, name, &actor()).await?;
                let mut changed = current.clone();
                changed.retail_price = retail.parse().unwrap();
                let edit = Edit {
                    action: "update",
                    change_set: Some(set.id),
                    reason: "supplier price list",
                };
                products::save(conn, scope, current, &changed, edit, &actor()).await?;
                Ok(set.id)
            }
            .scope_boxed()
        })
        .await
}

pub async fn world(stack: &Stack) -> World {
    let app = &stack.app;
    let (customer, site) = (stack.customer, stack.site);
    let alt = "A glass of water on a kitchen table in morning light";
    let image_a = image(
        stack,
        20,
        "morning-light.png",
        alt,
        "Light and water come first.",
    )
    .await;
    let image_b = image(stack, 120, "breakfast.png", "Oats with pumpkin seeds", "").await;
    let image_c = image(
        stack,
        200,
        "capsules.png",
        "Magnesium capsules beside the bottle",
        "",
    )
    .await;

    let body = MAIN_BODY
        .replace("IMAGE_ALT", alt)
        .replace("IMAGE_ID", &image_a.to_string());
    let mut main = input(
        "steady-energy-mornings",
        "Steady energy mornings",
        &body,
        &["energy", "sleep", "nutrition"],
        true,
    );
    main.featured_media_id = Some(image_b);
    let first = app.save_post(customer, site, main.clone()).await;
    main.title = "Steady energy from the first hour".to_owned();
    let post = update(stack, &first, main).await;

    for (i, (slug, title, tag)) in OTHER_POSTS.iter().enumerate() {
        let body = format!(
            "## The short version\n\n{title}, in three steps.\n\n- Start small.\n- Keep a note.\n\
             - Look again after two weeks."
        );
        let mut input = input(slug, title, &body, &[tag], true);
        input.published_at = Some(minutes_ago(60 * (i as i64 + 1)));
        if i % 4 == 0 {
            input.featured_media_id = Some(image_c);
        }
        app.save_post(customer, site, input).await;
    }

    let draft_body = format!(
        "## Coming soon\n\nWhat the winter months ask of us.\n\n![Oats with pumpkin seeds](media:{image_b})"
    );
    let draft = app
        .save_post(
            customer,
            site,
            input(
                "winter-plan",
                "A plan for winter",
                &draft_body,
                &["sleep"],
                false,
            ),
        )
        .await;
    let draft_for_link = draft.clone();
    let preview_token = app
        .in_scope(customer, move |conn, scope| {
            let draft = draft_for_link.clone();
            async move {
                let lifetime = chrono::Duration::hours(24);
                Ok(
                    preview_links::create(conn, scope, &draft, lifetime, &actor())
                        .await?
                        .token,
                )
            }
            .scope_boxed()
        })
        .await;

    let product =
        |sku: &str, name: &str, category: &str, wholesale: &str, retail: &str| NewProduct {
            sku: sku.to_owned(),
            name: name.to_owned(),
            description: format!(
                "{name}: one capsule a day with a meal, or as your healthcare professional advises."
            ),
            category: category.to_owned(),
            wholesale_price: wholesale.parse().unwrap(),
            retail_price: retail.parse().unwrap(),
            in_stock: sku != "ZINC-PIC",
        };
    app.products(
        customer,
        vec![
            product(
                "MAG-BIS",
                "Magnesium Bisglycinate",
                "Minerals",
                "18.00",
                "32.00",
            ),
            product("ZINC-PIC", "Zinc Picolinate", "Minerals", "7.50", "14.00"),
            product("VIT-D3K2", "Vitamin D3 + K2", "Vitamins", "12.00", "24.00"),
            product("B-COMPLEX", "Basic B Complex", "Vitamins", "14.00", "27.00"),
        ],
    )
    .await;
    let product_sku = "MAG-BIS";
    let stale_change_set = reprice(stack, product_sku, "34.00", "Spring prices").await;
    reprice(stack, product_sku, "36.00", "Supplier increase").await;
    let product_id = app
        .in_scope(customer, move |conn, scope| {
            async move {
                let current = products::by_skus(conn, scope, &[product_sku.to_owned()]).await?;
                let saved =
                    gallery::set(conn, scope, &current[0], &[image_c, image_a], &actor()).await?;
                let settings = Settings {
                    currency: customers::current(conn, scope).await?.currency,
                    show_lowest_30_day_price: true,
                };
                let version = customers::current(conn, scope).await?.version;
                customers::update_settings(conn, scope, version, &settings, &actor()).await?;
                // A domain waiting for verification: the domains page shows what to publish.
                agoat::tenancy::domains::claim(conn, scope, site, "shop.example", &actor()).await?;
                Ok(saved.id)
            }
            .scope_boxed()
        })
        .await;

    let page = pages_and_menus(stack, image_b).await;

    let editor = sql_text(
        app,
        "SELECT id::text AS s FROM tenancy.users WHERE email = 'editor@alpha.test'",
    )
    .await
    .parse()
    .unwrap();
    World {
        post,
        draft,
        preview_token,
        image: image_a,
        product: product_id,
        product_sku,
        category: "Minerals",
        tag: "energy",
        stale_change_set,
        editor,
        page,
    }
}

/// An About page with a Team page under it, and header and footer menus linking them.
async fn pages_and_menus(stack: &Stack, image: Uuid) -> Post {
    let app = &stack.app;
    let (customer, site) = (stack.customer, stack.site);
    let mut about = input(
        "about",
        "About us",
        "## Who we are\n\nA small team writing about everyday health.",
        &[],
        true,
    );
    about.featured_media_id = Some(image);
    let about = app.save_page(customer, site, about).await;
    let team = app
        .save_page(
            customer,
            site,
            input(
                "about/team",
                "Our team",
                "## Editors\n\n- Ana, nutrition\n- Ben, sleep",
                &[],
                true,
            ),
        )
        .await;
    let (about_id, team_id) = (about.id, team.id);
    app.in_scope(customer, move |conn, scope| {
        async move {
            use agoat::content::menus::{self, Item, Placement, Target};
            let item = |label: &str, target: Target| Item {
                label: label.to_owned(),
                target,
            };
            let header = [
                item("Home", Target::Home),
                item("About", Target::Page(about_id)),
                item("Products", Target::Products),
                item("Energy", Target::Tag("energy".into())),
            ];
            let footer = [
                item("Our team", Target::Page(team_id)),
                item(
                    "Research",
                    Target::Url("https://example.org/research".into()),
                ),
            ];
            menus::save(conn, scope, site, Placement::Header, 0, &header, &actor()).await?;
            menus::save(conn, scope, site, Placement::Footer, 0, &footer, &actor()).await
        }
        .scope_boxed()
    })
    .await;
    team
}
