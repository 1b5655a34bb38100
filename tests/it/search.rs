//! Site search (`/search`): ranking, stemming, phrases and exclusions, what is never found,
//! products with their retail price only, hostile queries, escaping, pages, and the search vectors
//! every write path stores.

use agoat::content::posts::{self, Status};
use agoat::search::{self, Language, vector};
use agoat::tenancy::{CustomerId, SiteId};
use agoat::thorne::products::{self, NewProduct};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use scoped_futures::ScopedFutureExt;

use crate::common::{Response, TestApp, actor, minutes_ago, post_input, sql_count, two_tenants};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// `GET /search?q=…` (the query given percent-encoded) on `host`.
async fn search(app: &TestApp, host: &str, encoded_query: &str) -> Response {
    app.get(host, &format!("/search?q={encoded_query}")).await
}

/// The titles of the results, in order.
fn titles(res: &Response) -> Vec<String> {
    res.texts(".search-result h2")
}

/// The links of the results, in order.
fn links(res: &Response) -> Vec<String> {
    let selector = scraper::Selector::parse(".search-result h2 a").unwrap();
    res.html()
        .select(&selector)
        .filter_map(|a| a.value().attr("href").map(str::to_owned))
        .collect()
}

/// The inner HTML of every element matching `selector`.
fn inner_html(res: &Response, selector: &str) -> Vec<String> {
    let selector = scraper::Selector::parse(selector).unwrap();
    res.html()
        .select(&selector)
        .map(|e| e.inner_html())
        .collect()
}

/// Asserts a page of the search: its form, `noindex` in the page and the header, never stored.
fn is_search_page(res: &Response, case: &str) {
    assert_eq!(res.status, 200, "{case}: {}", res.body);
    assert!(
        res.attr("form.search-form input[name=q]", "type")
            .as_deref()
            == Some("search"),
        "{case}: the page has its search form"
    );
    assert_eq!(
        res.attr("meta[name=robots]", "content").as_deref(),
        Some("noindex"),
        "{case}"
    );
    assert_eq!(res.header("x-robots-tag"), Some("noindex"), "{case}");
    assert_eq!(res.header("cache-control"), Some("no-store"), "{case}");
}

/// A published post (an hour ago) with this title, body and tags.
async fn post(
    app: &TestApp,
    customer: CustomerId,
    site: SiteId,
    slug: &str,
    title: &str,
    body: &str,
) -> posts::Post {
    let mut input = post_input(slug, Some(minutes_ago(60)));
    input.title = title.to_owned();
    input.body_markdown = body.to_owned();
    input.description = String::new();
    input.tags = Vec::new();
    app.save_new_post(customer, site, input).await
}

fn product(sku: &str, name: &str, description: &str, wholesale: &str, retail: &str) -> NewProduct {
    NewProduct {
        sku: sku.to_owned(),
        name: name.to_owned(),
        description: description.to_owned(),
        category: "Minerals".to_owned(),
        wholesale_price: wholesale.parse().unwrap(),
        retail_price: retail.parse().unwrap(),
        in_stock: true,
    }
}

// ---------------------------------------------------------------------------------------------
// Finding and ranking
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn a_match_in_the_title_ranks_above_one_in_the_body() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    post(
        &app,
        t.a,
        t.a_site,
        "in-the-body",
        "A long walk",
        "We talked about magnesium on the way.",
    )
    .await;
    post(
        &app,
        t.a,
        t.a_site,
        "in-the-title",
        "Magnesium explained",
        "What it does and when to take it.",
    )
    .await;
    let res = search(&app, "alpha.test", "magnesium").await;
    is_search_page(&res, "magnesium");
    assert_eq!(
        titles(&res),
        vec!["Magnesium explained".to_owned(), "A long walk".to_owned()]
    );
    assert_eq!(
        links(&res),
        vec![
            "/posts/in-the-title".to_owned(),
            "/posts/in-the-body".to_owned()
        ]
    );
    assert_eq!(
        inner_html(&res, ".search-result h2 a")[0],
        "<mark>Magnesium</mark> explained"
    );
}

#[actix_web::test]
async fn stems_match_other_forms_of_a_word_and_are_marked() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    post(
        &app,
        t.a,
        t.a_site,
        "mornings",
        "Mornings",
        "She was running every morning, and she runs still.",
    )
    .await;
    for query in ["run", "running", "RUNS"] {
        let res = search(&app, "alpha.test", query).await;
        is_search_page(&res, query);
        assert_eq!(titles(&res), vec!["Mornings".to_owned()], "{query}");
        let snippet = inner_html(&res, ".search-snippet").join("");
        assert!(
            snippet.contains("<mark>running</mark>") && snippet.contains("<mark>runs</mark>"),
            "{query}: {snippet}"
        );
        assert!(!snippet.contains("<mark>morning"), "{query}: {snippet}");
    }
}

#[actix_web::test]
async fn phrases_exclusions_and_or() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    post(&app, t.a, t.a_site, "one", "One", "Fish oil in capsules.").await;
    post(
        &app,
        t.a,
        t.a_site,
        "two",
        "Two",
        "Oil from a fish, no capsules.",
    )
    .await;
    post(
        &app,
        t.a,
        t.a_site,
        "three",
        "Three",
        "A fish and nothing else.",
    )
    .await;
    let found = |res: &Response| {
        let mut t = titles(res);
        t.sort();
        t
    };
    let res = search(&app, "alpha.test", "%22fish+oil%22").await;
    assert_eq!(found(&res), vec!["One"]);
    let res = search(&app, "alpha.test", "fish+-capsules").await;
    assert_eq!(found(&res), vec!["Three"]);
    let res = search(&app, "alpha.test", "fish+-%22fish+oil%22").await;
    assert_eq!(found(&res), vec!["Three", "Two"]);
    let res = search(&app, "alpha.test", "nothing+OR+oil").await;
    assert_eq!(found(&res), vec!["One", "Three", "Two"]);
    let res = search(&app, "alpha.test", "fish+oil").await;
    assert_eq!(found(&res), vec!["One", "Two"]);
    // Exclusions alone find nothing, and say what to do.
    let res = search(&app, "alpha.test", "-fish").await;
    is_search_page(&res, "-fish");
    assert!(titles(&res).is_empty());
    assert!(res.texts(".notice").join(" ").contains("Type a word"));
}

#[actix_web::test]
async fn only_visible_posts_of_this_site_are_found() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let word = "zephyr";
    let other_site = app.site(t.a, "Alpha Shop", "shop.alpha.test").await;
    post(&app, t.a, t.a_site, "shown", "Shown zephyr", "Body.").await;
    post(
        &app,
        t.a,
        other_site,
        "other-site",
        "Other site zephyr",
        "Body.",
    )
    .await;
    post(
        &app,
        t.b,
        t.b_site,
        "other-customer",
        "Other customer zephyr",
        "Body.",
    )
    .await;
    let mut draft = post_input("draft", None);
    draft.title = "Draft zephyr".into();
    app.save_new_post(t.a, t.a_site, draft).await;
    let mut scheduled = post_input("scheduled", Some(minutes_ago(-60)));
    scheduled.title = "Scheduled zephyr".into();
    app.save_new_post(t.a, t.a_site, scheduled).await;
    let trashed = post(&app, t.a, t.a_site, "trashed", "Trashed zephyr", "Body.").await;
    app.in_scope(t.a, move |conn, scope| {
        let trashed = trashed.clone();
        async move {
            let target = posts::Target::Existing {
                post: &trashed,
                expected_version: trashed.version,
            };
            posts::save(conn, scope, target, posts::Change::Trash, &actor())
                .await?
                .saved()
        }
        .scope_boxed()
    })
    .await;
    let res = search(&app, "alpha.test", word).await;
    is_search_page(&res, word);
    assert_eq!(titles(&res), vec!["Shown zephyr".to_owned()]);
    for hidden in [
        "Draft",
        "Scheduled",
        "Trashed",
        "Other site",
        "Other customer",
    ] {
        assert!(!res.body.contains(hidden), "{hidden} was found");
    }
    let res = search(&app, "shop.alpha.test", word).await;
    assert_eq!(titles(&res), vec!["Other site zephyr".to_owned()]);
    let res = search(&app, "beta.test", word).await;
    assert_eq!(titles(&res), vec!["Other customer zephyr".to_owned()]);
    // Searching for B's own words on A's domain finds none of B's things.
    let res = search(&app, "alpha.test", "beta+OR+customer").await;
    assert!(!res.body.contains("Beta") && !res.body.contains("Other customer"));
}

#[actix_web::test]
async fn active_products_of_the_customer_are_found_with_their_retail_price_only() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    app.products(
        t.a,
        vec![
            product("ZN-1", "Zephyr Zinc", "Zinc picolinate.", "7.77", "19.99"),
            product("FE-1", "Zephyr Iron", "Iron bisglycinate.", "6.66", "14.00"),
        ],
    )
    .await;
    app.products(
        t.b,
        vec![product("CU-1", "Zephyr Copper", "Copper.", "5.55", "9.00")],
    )
    .await;
    app.in_scope(t.a, |conn, scope| {
        async move {
            let iron = products::by_skus(conn, scope, &["FE-1".to_owned()]).await?;
            products::set_archived(conn, scope, &iron[0], true, &actor()).await
        }
        .scope_boxed()
    })
    .await;
    let res = search(&app, "alpha.test", "zephyr").await;
    is_search_page(&res, "zephyr");
    assert_eq!(titles(&res), vec!["Zephyr Zinc".to_owned()]);
    assert_eq!(links(&res), vec!["/products/ZN-1".to_owned()]);
    assert_eq!(
        res.texts(".search-result.product .search-kind"),
        vec!["Product"]
    );
    assert!(res.texts(".search-result .price")[0].contains("19.99"));
    for never in ["7.77", "7,77", "Iron", "Copper", "6.66", "5.55"] {
        assert!(!res.body.contains(never), "{never} is shown");
    }
    // A product found by its category, marked next to its price.
    let res = search(&app, "alpha.test", "minerals").await;
    assert!(titles(&res).contains(&"Zephyr Zinc".to_owned()));
    assert_eq!(
        inner_html(&res, ".search-result.product .category")[0],
        "<mark>Minerals</mark>"
    );
    // A product found by a word of its description, with the word marked.
    let res = search(&app, "alpha.test", "picolinate").await;
    assert_eq!(titles(&res), vec!["Zephyr Zinc".to_owned()]);
    assert!(inner_html(&res, ".search-snippet")[0].contains("<mark>picolinate</mark>"));
    // An edit of the catalog is searchable at once.
    app.in_scope(t.a, |conn, scope| {
        async move {
            let zinc = products::by_skus(conn, scope, &["ZN-1".to_owned()]).await?;
            let mut changed = zinc[0].clone();
            changed.name = "Quartz Zinc".into();
            products::save_details(conn, scope, &zinc[0], &changed, "update", &actor()).await
        }
        .scope_boxed()
    })
    .await;
    assert_eq!(
        titles(&search(&app, "alpha.test", "quartz").await),
        vec!["Quartz Zinc"]
    );
    assert!(titles(&search(&app, "alpha.test", "zephyr").await).is_empty());
}

#[actix_web::test]
async fn posts_and_products_share_one_ranking() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    post(
        &app,
        t.a,
        t.a_site,
        "mentions",
        "A story",
        "It mentions selenium once.",
    )
    .await;
    app.products(
        t.a,
        vec![product(
            "SE-1",
            "Selenium",
            "Selenium for the thyroid.",
            "3.00",
            "8.00",
        )],
    )
    .await;
    let res = search(&app, "alpha.test", "selenium").await;
    assert_eq!(
        titles(&res),
        vec!["Selenium".to_owned(), "A story".to_owned()]
    );
    assert_eq!(
        res.texts(".search-kind"),
        vec!["Product".to_owned(), "Post".to_owned()]
    );
}

// ---------------------------------------------------------------------------------------------
// Hostile input
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn hostile_queries_get_a_page() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    post(&app, t.a, t.a_site, "z", "Zephyr", "The zephyr blows.").await;
    let ten_kb = "zephyr+%26+".repeat(1_000);
    let many_words = "w+".repeat(5_000);
    let cases: Vec<(&str, String)> = vec![
        ("a quote", "%22".into()),
        ("quotes", "%22%22%22zephyr%22%22".into()),
        ("operators", "%26%7C%21%3A*()%3C-%3E".into()),
        ("operators around a word", "!(zephyr%3A*)%20%26%7C".into()),
        ("a backslash", "%5C".into()),
        (
            "an apostrophe",
            "'%3B%20DROP%20TABLE%20content.posts%3B--".into(),
        ),
        ("ten kilobytes", ten_kb),
        ("ten thousand characters of words", many_words),
        ("stop words only", "the+and+of+it".into()),
        ("a stop word in quotes", "%22the%22".into()),
        ("invalid UTF-8", "%FF".into()),
        ("invalid UTF-8 in a word", "zeph%FFyr%C3".into()),
        ("a lone dash", "-".into()),
        ("OR alone", "OR".into()),
        ("a negated stop word and a word", "-the+zephyr".into()),
        ("a stop word and a negated word", "the+-zephyr".into()),
        (
            "zero-width and bidi characters",
            "%E2%80%8Bzephyr%E2%80%AE".into(),
        ),
        ("emoji", "%F0%9F%90%90".into()),
        ("SQL LIKE wildcards", "%25_%25".into()),
        ("nothing", "".into()),
    ];
    for (case, q) in cases {
        let res = search(&app, "alpha.test", &q).await;
        is_search_page(&res, case);
    }
    let res = search(&app, "alpha.test", "the+and+of+it").await;
    assert!(
        res.texts(".notice").join(" ").contains("too common"),
        "{}",
        res.body
    );
    let res = search(&app, "alpha.test", "%FF").await;
    assert!(res.texts(".notice").join(" ").contains("not text"));
    let res = search(&app, "alpha.test", &"zephyr+".repeat(100)).await;
    assert!(res.texts(".notice").join(" ").contains("Only the first"));
    assert_eq!(titles(&res), vec!["Zephyr".to_owned()]);
    assert!(
        res.attr("form.search-form input[name=q]", "value")
            .is_some_and(|v| v.chars().count() <= search::query::MAX_CHARS)
    );
    let res = search(&app, "alpha.test", "the+-zephyr").await;
    assert!(
        titles(&res).is_empty(),
        "a stop word and an exclusion find nothing"
    );
    let res = app.get("alpha.test", "/search").await;
    is_search_page(&res, "no q at all");
    assert!(res.texts(".notice").is_empty());
}

#[actix_web::test]
async fn control_characters_and_bad_page_numbers_get_a_400_page() {
    let app = TestApp::new().await;
    two_tenants(&app).await;
    for path in [
        "/search?q=%00",
        "/search?q=zephyr%1B",
        "/search?q=%7F",
        "/search?q=a%C2%85b",
    ] {
        let res = app.get("alpha.test", path).await;
        crate::common::assert_control_character_refused(&res, "address parameter \"q\"", path);
    }
    for page in ["0", "11", "-1", "x", "99999999999999999999", "%FF"] {
        let res = app
            .get("alpha.test", &format!("/search?q=zephyr&page={page}"))
            .await;
        assert_eq!(res.status, 400, "page {page}: {}", res.body);
        assert!(res.error_message().contains("no such page"), "page {page}");
        assert_eq!(res.texts("a.site-name"), vec!["Alpha Blog".to_owned()]);
    }
}

#[actix_web::test]
async fn snippets_and_titles_are_escaped() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    post(
        &app,
        t.a,
        t.a_site,
        "markup",
        "<script>alert(1)</script> zephyr",
        "Never write `<script>alert(\"x\")</script>` in a zephyr post. <img src=x onerror=alert(2)>",
    )
    .await;
    let res = search(&app, "alpha.test", "zephyr+OR+script").await;
    is_search_page(&res, "markup");
    assert_eq!(titles(&res).len(), 1);
    assert!(!res.body.contains("<script>alert"), "{}", res.body);
    assert!(!res.body.contains("onerror"), "{}", res.body);
    assert!(res.texts(".search-result h2")[0].starts_with("<script>alert(1)</script>"));
    let snippet = res.texts(".search-snippet").join("");
    assert!(
        snippet.contains("<script>alert(\"x\")</script>"),
        "{snippet}"
    );
    let marked = inner_html(&res, ".search-snippet mark");
    assert!(
        marked.iter().all(|m| m == "script" || m == "zephyr"),
        "{marked:?}"
    );
    assert!(marked.iter().any(|m| m == "zephyr"));
}

// ---------------------------------------------------------------------------------------------
// Pages, caching, the header
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn results_come_twenty_a_page() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    for n in 0..45 {
        post(
            &app,
            t.a,
            t.a_site,
            &format!("note-{n}"),
            &format!("Note {n}"),
            "A zephyr note.",
        )
        .await;
    }
    let first = search(&app, "alpha.test", "zephyr").await;
    assert_eq!(links(&first).len(), search::PAGE_SIZE);
    assert_eq!(
        first.attr("ol.search-results", "start").as_deref(),
        Some("1")
    );
    assert_eq!(first.attr("a[rel=prev]", "href"), None);
    let next = first.attr("a[rel=next]", "href").expect("a next page");
    assert_eq!(next, "/search?q=zephyr&page=2");
    let second = app.get("alpha.test", &next).await;
    is_search_page(&second, "page 2");
    assert_eq!(
        second.attr("ol.search-results", "start").as_deref(),
        Some("21")
    );
    assert_eq!(
        second.attr("a[rel=prev]", "href").as_deref(),
        Some("/search?q=zephyr")
    );
    let third = app
        .get("alpha.test", &second.attr("a[rel=next]", "href").unwrap())
        .await;
    assert_eq!(links(&third).len(), 5);
    assert_eq!(third.attr("a[rel=next]", "href"), None);
    let mut all: Vec<String> = [&first, &second, &third]
        .into_iter()
        .flat_map(links)
        .collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 45, "every result once over the pages");
    let past = app.get("alpha.test", "/search?q=zephyr&page=4").await;
    is_search_page(&past, "past the end");
    assert!(links(&past).is_empty());
    assert!(past.texts(".notice").join(" ").contains("no more results"));
}

#[actix_web::test]
async fn results_are_never_kept_by_the_page_cache() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let stored = app.state.page_cache.stored();
    assert!(titles(&search(&app, "alpha.test", "zephyr").await).is_empty());
    post(&app, t.a, t.a_site, "new", "New zephyr", "Body.").await;
    assert_eq!(
        titles(&search(&app, "alpha.test", "zephyr").await),
        vec!["New zephyr".to_owned()]
    );
    assert_eq!(app.state.page_cache.stored(), stored);
}

#[actix_web::test]
async fn every_public_page_has_a_search_box_in_its_header() {
    let app = TestApp::new().await;
    two_tenants(&app).await;
    for path in [
        "/",
        "/posts/alpha-post",
        "/products",
        "/no-such-page",
        "/search?q=x",
    ] {
        let res = app.get("alpha.test", path).await;
        let form = "header form.site-search[role=search][action='/search'][method=get]";
        assert_eq!(
            res.attr(&format!("{form} input[type=search]"), "name")
                .as_deref(),
            Some("q"),
            "{path}"
        );
        let id = res.attr(&format!("{form} input"), "id").unwrap();
        assert_eq!(
            res.texts(&format!("{form} label[for='{id}']")),
            vec!["Search this site".to_owned()],
            "{path}: the box has a label"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The stored vectors
// ---------------------------------------------------------------------------------------------

/// Rows whose stored vector differs from the one computed from their text now.
async fn stale_vectors(app: &TestApp) -> i64 {
    let posts = sql_count(
        app,
        &format!(
            "SELECT count(*) AS n FROM content.posts AS p JOIN tenancy.sites AS s \
               ON s.customer_id = p.customer_id AND s.id = p.site_id \
              WHERE s.search_language = 'english' AND p.search_vector <> ({})",
            vector::post_vector_sql(Language::English, "p")
        ),
    )
    .await;
    let products = sql_count(
        app,
        &format!(
            "SELECT count(*) AS n FROM thorne.products AS p WHERE p.search_vector <> ({})",
            vector::product_vector_sql("p")
        ),
    )
    .await;
    posts + products
}

#[actix_web::test]
async fn every_write_path_stores_the_vector_of_the_text() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    let mut input = post_input("tagged", Some(minutes_ago(5)));
    input.tags = vec!["trail running".into(), "shoes".into()];
    let saved = app.save_new_post(t.a, t.a_site, input.clone()).await;
    // An edit through the write path.
    app.in_scope(t.a, move |conn, scope| {
        let (saved, input) = (saved.clone(), input.clone());
        async move {
            let mut edited = input.clone();
            edited.title = "Edited title".into();
            edited.body_markdown = "A new body about hiking.".into();
            edited.tags = vec!["boots".into()];
            let target = posts::Target::Existing {
                post: &saved,
                expected_version: saved.version,
            };
            let change = posts::Change::Fields {
                input: &edited,
                action: "update",
            };
            posts::save(conn, scope, target, change, &actor())
                .await?
                .saved()
        }
        .scope_boxed()
    })
    .await;
    // Many at once, as the import and the benchmark seed create them.
    app.in_scope(t.a, move |conn, scope| {
        async move {
            let body = posts::Body::render("Shared body of the batch.".into());
            let tags = vec!["batch".to_owned()];
            let slugs: Vec<String> = (0..3).map(|n| format!("batch-{n}")).collect();
            let new: Vec<posts::NewPost<'_>> = slugs
                .iter()
                .map(|slug| posts::NewPost {
                    byline: "",
                    id: uuid::Uuid::new_v4(),
                    kind: posts::Kind::Post,
                    site: t.a_site,
                    title: slug,
                    slug,
                    body: &body,
                    description: "Batch",
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
    assert_eq!(stale_vectors(&app).await, 0);
    let empty = sql_count(
        &app,
        "SELECT (SELECT count(*) FROM content.posts WHERE search_vector = '') \
              + (SELECT count(*) FROM thorne.products WHERE search_vector = '') AS n",
    )
    .await;
    assert_eq!(empty, 0, "every post and product has a vector");
    let res = search(&app, "alpha.test", "hiking").await;
    assert_eq!(titles(&res), vec!["Edited title".to_owned()]);
    let res = search(&app, "alpha.test", "trail+run").await;
    assert!(titles(&res).is_empty(), "the old tags went with the edit");
    let res = search(&app, "alpha.test", "batch").await;
    assert_eq!(titles(&res).len(), 3);
}

#[actix_web::test]
async fn the_backfill_migration_gives_stored_rows_their_vectors() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    post(
        &app,
        t.a,
        t.a_site,
        "old",
        "Old zephyr",
        "Stored before search.",
    )
    .await;
    let mut owner = app.db.owner_conn().await;
    for statement in [
        "UPDATE content.posts SET search_vector = ''",
        "UPDATE thorne.products SET search_vector = ''",
    ] {
        diesel::sql_query(statement)
            .execute(&mut owner)
            .await
            .unwrap();
    }
    assert!(titles(&search(&app, "alpha.test", "zephyr").await).is_empty());
    let migration =
        include_str!("../../migrations/2026-12-10-000002_search_backfill_postgresql_only/up.sql");
    let code: String = migration
        .lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    for statement in code.split(';').filter(|s| !s.trim().is_empty()) {
        diesel::sql_query(statement)
            .execute(&mut owner)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    assert_eq!(stale_vectors(&app).await, 0);
    assert_eq!(
        titles(&search(&app, "alpha.test", "zephyr").await),
        vec!["Old zephyr".to_owned()]
    );
}

#[actix_web::test]
async fn a_site_searches_in_its_own_language() {
    let app = TestApp::new().await;
    let t = two_tenants(&app).await;
    post(
        &app,
        t.a,
        t.a_site,
        "haeuser",
        "Alte Häuser",
        "Die Häuser der Stadt.",
    )
    .await;
    // English stems leave "häuser" as it is: "Haus" does not find it.
    assert!(titles(&search(&app, "alpha.test", "Haus").await).is_empty());
    let mut owner = app.db.owner_conn().await;
    let site = t.a_site.as_uuid();
    diesel::sql_query(format!(
        "UPDATE tenancy.sites SET search_language = 'german' WHERE id = '{site}'"
    ))
    .execute(&mut owner)
    .await
    .unwrap();
    let written = app
        .in_scope(t.a, move |conn, scope| {
            async move { search::reindex_site(conn, scope, t.a_site).await }.scope_boxed()
        })
        .await;
    assert_eq!(written, 2, "the site's two posts");
    let res = search(&app, "alpha.test", "Haus").await;
    assert_eq!(titles(&res), vec!["Alte Häuser".to_owned()]);
    let snippet = inner_html(&res, ".search-snippet").join("");
    assert!(snippet.contains("<mark>Häuser</mark>"), "{snippet}");
    // A post written now is indexed in German at once; the other site stays English.
    post(&app, t.a, t.a_site, "baeume", "Bäume", "Viele Bäume.").await;
    assert_eq!(
        titles(&search(&app, "alpha.test", "Baum").await),
        vec!["Bäume"]
    );
    // An unknown language is refused by the database.
    let refused = diesel::sql_query(format!(
        "UPDATE tenancy.sites SET search_language = 'klingon' WHERE id = '{site}'"
    ))
    .execute(&mut owner)
    .await;
    assert!(refused.is_err());
}

#[derive(QueryableByName)]
struct Plan {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

#[actix_web::test]
async fn the_search_vectors_have_inverted_indexes() {
    let app = TestApp::new().await;
    two_tenants(&app).await;
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut owner = app.db.owner_conn().await;
    let found: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM pg_indexes WHERE indexname IN ('posts_search', 'products_search') \
           AND indexdef LIKE '%USING gin (search_vector)%'",
    )
    .get_result(&mut owner)
    .await
    .unwrap();
    assert_eq!(found.n, 2);
    // The index serves a search that row-level security does not filter (the owner's).
    diesel::sql_query("SET enable_seqscan = off")
        .execute(&mut owner)
        .await
        .unwrap();
    let plan: Vec<Plan> = diesel::sql_query(
        "EXPLAIN SELECT id FROM content.posts WHERE search_vector @@ to_tsquery('english', 'zephyr')",
    )
    .load(&mut owner)
    .await
    .unwrap();
    let plan: String = plan
        .into_iter()
        .map(|p| p.line)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        plan.contains("posts_search") || crate::common::on_citus(),
        "{plan}"
    );
}
