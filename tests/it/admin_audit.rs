//! Tests of the audit log (`/admin/audit` and `/admin/audit.csv`, owners only): order, keyset
//! pages, filters, readable and escaped changes, CSV export, bad filters, tenant separation.

use std::collections::HashSet;

use agoat::tenancy::CustomerId;
use agoat::tenancy::users::Role;
use diesel_async::SimpleAsyncConnection;

use crate::common::{
    Browser, Response, TestApp, TwoTenants, assert_control_character_refused, database_digest,
    two_tenants, walk_forward_and_back,
};
const PASSWORD: &str = "correct horse battery";
const OWNER: &str = "owner@alpha.test";

async fn setup(app: &TestApp) -> TwoTenants {
    let t = two_tenants(app).await;
    app.user(t.a, OWNER, Role::Owner, PASSWORD).await;
    app.user(t.a, "editor@alpha.test", Role::Editor, PASSWORD)
        .await;
    app.user(t.a, "pricing@alpha.test", Role::Pricing, PASSWORD)
        .await;
    app.user(t.b, "owner@beta.test", Role::Owner, PASSWORD)
        .await;
    t
}

async fn owner(app: &TestApp) -> Browser<'_> {
    let mut browser = app.browser("alpha.test");
    browser.sign_in(OWNER, PASSWORD).await;
    browser
}

/// Inserts an event as the database owner.
#[allow(clippy::too_many_arguments)]
async fn insert_event(
    app: &TestApp,
    customer: CustomerId,
    at: &str,
    actor: &str,
    entity: &str,
    entity_id: &str,
    action: &str,
    before: &str,
    after: &str,
) {
    let mut conn = app.db.owner_conn().await;
    let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
    conn.batch_execute(&format!(
        "INSERT INTO audit.events (customer_id, id, occurred_at, actor_id, actor_label, entity, \
         entity_id, action, before, after, ip, request_id) VALUES ('{customer}', gen_random_uuid(), \
         {}, NULL, {}, {}, {}, {}, {}::jsonb, {}::jsonb, '192.0.2.44', 'req-inserted')",
        quote(at),
        quote(actor),
        quote(entity),
        quote(entity_id),
        quote(action),
        if before.is_empty() { "NULL".to_owned() } else { quote(before) },
        if after.is_empty() { "NULL".to_owned() } else { quote(after) },
    ))
    .await
    .unwrap();
}

async fn events_of(app: &TestApp, customer: CustomerId) -> i64 {
    use diesel::QueryableByName;
    use diesel_async::RunQueryDsl;
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.db.owner_conn().await;
    diesel::sql_query("SELECT count(*) AS n FROM audit.events WHERE customer_id = $1")
        .bind::<diesel::sql_types::Uuid, _>(customer.as_uuid())
        .get_result::<Count>(&mut conn)
        .await
        .unwrap()
        .n
}

fn csv_rows(res: &Response) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(res.body.as_bytes());
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[actix_web::test]
async fn only_owners_read_the_log() {
    let app = TestApp::new().await;
    setup(&app).await;
    for email in ["editor@alpha.test", "pricing@alpha.test"] {
        let mut browser = app.browser("alpha.test");
        browser.sign_in(email, PASSWORD).await;
        for path in [
            "/admin/audit",
            "/admin/audit.csv",
            "/admin/audit?entity=user",
        ] {
            assert_eq!(browser.get(path).await.status, 403, "{email} {path}");
        }
    }
    let mut stranger = app.browser("alpha.test");
    for path in ["/admin/audit", "/admin/audit.csv"] {
        let res = stranger.get(path).await;
        assert_eq!(res.status, 303, "{path}");
        assert!(res.header("location").unwrap().starts_with("/admin/login"));
    }
    let mut owner = owner(&app).await;
    let page = owner.get("/admin/audit").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    for field in ["actor", "entity", "entity_id", "from", "to"] {
        assert_eq!(
            page.texts(&format!("label[for={field}]")).len(),
            1,
            "label of {field}"
        );
    }
}

#[actix_web::test]
async fn events_are_newest_first_with_every_column() {
    let app = TestApp::new().await;
    let t = setup(&app).await;
    let id = uuid::Uuid::new_v4().to_string();
    insert_event(
        &app,
        t.a,
        "2020-01-02 03:04:05+00",
        "old@alpha.test",
        "product",
        &id,
        "update",
        r#"{"retail_price": "18.00"}"#,
        r#"{"retail_price": "21.00"}"#,
    )
    .await;
    let mut owner = owner(&app).await;
    let page = owner.get("/admin/audit").await;
    assert_eq!(page.status, 200);
    // The sign-in just made is the newest event; the one from 2020 the oldest.
    assert_eq!(
        page.texts("tr.event td.entity").first().map(String::as_str),
        Some("sign_in")
    );
    assert_eq!(
        page.texts("tr.event td.action").first().map(String::as_str),
        Some("success")
    );
    let times = page.texts("tr.event td.time");
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted, "newest first");
    assert!(times.iter().all(|t| t.ends_with(" UTC")), "{times:?}");
    assert_eq!(
        times.last().map(String::as_str),
        Some("2020-01-02 03:04:05 UTC")
    );
    let last = page.texts("tr.event").pop().unwrap();
    for part in [
        "old@alpha.test",
        "product",
        &id,
        "update",
        "retail_price",
        "18.00",
        "21.00",
        "192.0.2.44",
        "req-inserted",
    ] {
        assert!(last.contains(part), "{part} missing from {last:?}");
    }
    assert_eq!(
        page.texts("tr.event")
            .last()
            .map(|_| page.texts("tr.event td.changes li").last().cloned()),
        Some(Some("retail_price: 18.00 → 21.00".to_owned()))
    );
    // The sign-in row names the address and a request id.
    let first_ip = page.texts("tr.event td.ip").first().cloned().unwrap();
    assert_eq!(first_ip, "203.0.113.7");
    assert!(
        !page
            .texts("tr.event td.request-id")
            .first()
            .unwrap()
            .is_empty()
    );
}

#[actix_web::test]
async fn changes_are_escaped() {
    let app = TestApp::new().await;
    let t = setup(&app).await;
    insert_event(
        &app,
        t.a,
        "2024-05-01 12:00:00+00",
        "<b>mallory</b>",
        "post",
        &uuid::Uuid::new_v4().to_string(),
        "update",
        r#"{"title": "<script>alert(1)</script>"}"#,
        r#"{"title": "<img src=x onerror=alert(2)>"}"#,
    )
    .await;
    let mut owner = owner(&app).await;
    let page = owner.get("/admin/audit?entity=post&actor=mallory").await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    assert!(!page.body.contains("<img src=x"));
    assert!(!page.body.contains("<b>mallory"));
    assert!(
        page.body.contains("&#60;script&#62;alert(1)"),
        "{}",
        page.body
    );
    assert_eq!(
        page.texts("tr.event td.changes li"),
        vec!["title: <script>alert(1)</script> → <img src=x onerror=alert(2)>"]
    );
    assert_eq!(page.texts("tr.event td.actor"), vec!["<b>mallory</b>"]);
}

#[actix_web::test]
async fn pages_of_fifty_cover_every_event_once() {
    let app = TestApp::new().await;
    let t = setup(&app).await;
    // 130 events, two at each minute: the page boundary falls between equal times.
    let mut conn = app.db.owner_conn().await;
    conn.batch_execute(&format!(
        "INSERT INTO audit.events (customer_id, id, occurred_at, actor_label, entity, entity_id, action) \
         SELECT '{}', gen_random_uuid(), timestamptz '2024-03-01 00:00:00+00' + (n / 2) * interval '1 minute', \
         'bulk@alpha.test', 'product', gen_random_uuid(), 'update' FROM generate_series(1, 130) AS n",
        t.a
    ))
    .await
    .unwrap();
    let mut owner = owner(&app).await;
    let total = events_of(&app, t.a).await as usize;
    let mut seen = HashSet::new();
    let mut times = Vec::new();
    let mut path = "/admin/audit".to_owned();
    let mut pages = 0;
    loop {
        let page = owner.get(&path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        pages += 1;
        let ids = page.texts("tr.event td.entity-id");
        let rows = page.texts("tr.event");
        assert!(ids.len() <= 50);
        for (id, row) in ids.iter().zip(&rows) {
            assert!(
                seen.insert(format!("{id}{row}")),
                "an event shown twice: {row}"
            );
        }
        times.extend(page.texts("tr.event td.time"));
        match page.attr("a[rel=next]", "href") {
            Some(next) => {
                assert_eq!(ids.len(), 50, "a full page before the next");
                path = next;
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), total, "every event once");
    assert_eq!(pages, total.div_ceil(50));
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted, "newest first across pages");
    // Filters are kept in the page links.
    let page = owner.get("/admin/audit?entity=product").await;
    let next = page.attr("a[rel=next]", "href").unwrap();
    assert!(next.contains("entity=product"), "{next}");
    assert_eq!(
        page.attr("a[download]", "href").unwrap(),
        "/admin/audit.csv?entity=product"
    );
}

#[actix_web::test]
async fn pages_go_back_to_newer_events_with_the_filters() {
    let app = TestApp::new().await;
    let t = setup(&app).await;
    // 130 product events by one actor, two at each minute, between events the filters leave out.
    let mut conn = app.db.owner_conn().await;
    for (actor, entity, count) in [
        ("bulk@alpha.test", "product", 130),
        ("bulk@alpha.test", "user", 20),
        ("other@alpha.test", "product", 20),
    ] {
        conn.batch_execute(&format!(
            "INSERT INTO audit.events (customer_id, id, occurred_at, actor_label, entity, \
             entity_id, action) SELECT '{}', gen_random_uuid(), timestamptz '2024-03-01 \
             00:00:00+00' + (n / 2) * interval '1 minute', '{actor}', '{entity}', \
             gen_random_uuid(), 'update' FROM generate_series(1, {count}) AS n",
            t.a
        ))
        .await
        .unwrap();
    }
    let mut owner = owner(&app).await;
    let pages = walk_forward_and_back(
        &mut owner,
        "/admin/audit?actor=bulk&entity=product&from=2024-03-01",
        "tr.event td.entity-id",
        &["actor=bulk", "entity=product", "from=2024-03-01"],
    )
    .await;
    assert_eq!(pages.each_ref().map(Vec::len), [50, 50, 30]);
    // A bad position before an event is a 400 that says so.
    let res = owner.get("/admin/audit?before=garbage").await;
    assert_eq!(res.status, 400);
    assert!(res.body.contains("page link is malformed"), "{}", res.body);
}

#[actix_web::test]
async fn filters_by_actor_entity_id_and_dates() {
    let app = TestApp::new().await;
    let t = setup(&app).await;
    let product = uuid::Uuid::new_v4().to_string();
    insert_event(
        &app,
        t.a,
        "2024-05-01 00:00:00+00",
        "Carol@Alpha.test",
        "product",
        &product,
        "update",
        "",
        "",
    )
    .await;
    insert_event(
        &app,
        t.a,
        "2024-05-02 23:59:59+00",
        "dave@alpha.test",
        "post",
        &uuid::Uuid::new_v4().to_string(),
        "update",
        "",
        "",
    )
    .await;
    insert_event(
        &app,
        t.a,
        "2024-05-03 00:00:00+00",
        "dave@alpha.test",
        "product",
        &product,
        "delete",
        "",
        "",
    )
    .await;
    insert_event(
        &app,
        t.a,
        "2024-04-30 23:59:59+00",
        "100%_sure",
        "site",
        &uuid::Uuid::new_v4().to_string(),
        "update",
        "",
        "",
    )
    .await;
    let mut owner = owner(&app).await;
    let actions = |res: &Response| {
        res.texts("tr.event")
            .iter()
            .zip(res.texts("tr.event td.action"))
            .map(|(_, a)| a)
            .collect::<Vec<_>>()
    };

    let res = owner.get("/admin/audit?actor=carol").await;
    assert_eq!(
        res.texts("tr.event td.actor"),
        vec!["Carol@Alpha.test"],
        "contains, any case"
    );
    let res = owner.get("/admin/audit?actor=%25_").await;
    assert_eq!(
        res.texts("tr.event td.actor"),
        vec!["100%_sure"],
        "wildcards match themselves"
    );
    let res = owner
        .get(&format!("/admin/audit?entity=product&entity_id={product}"))
        .await;
    assert_eq!(actions(&res), vec!["delete", "update"]);
    let res = owner
        .get("/admin/audit?from=2024-05-01&to=2024-05-02")
        .await;
    assert_eq!(
        res.texts("tr.event td.time"),
        vec!["2024-05-02 23:59:59 UTC", "2024-05-01 00:00:00 UTC"],
        "both days whole, UTC"
    );
    assert_eq!(
        res.attr("input#from", "value").as_deref(),
        Some("2024-05-01")
    );
    let res = owner.get("/admin/audit?to=2024-04-30").await;
    assert_eq!(res.texts("tr.event td.actor"), vec!["100%_sure"]);
    let res = owner.get("/admin/audit?entity=user").await;
    assert!(res.texts("tr.event td.entity").iter().all(|e| e == "user"));
    assert_eq!(res.texts("tr.event").len(), 3, "the three users of A");

    // Exactly one user: their sign-in.
    let res = owner.get("/admin/audit?entity=sign_in").await;
    let link = res.attr("td.actor a", "href").unwrap();
    assert!(link.starts_with("/admin/audit?actor_id="), "{link}");
    let res = owner.get(&link).await;
    assert_eq!(res.status, 200);
    assert!(!res.texts("tr.event").is_empty());
    assert!(res.texts("tr.event td.actor").iter().all(|a| a == OWNER));
}

#[actix_web::test]
async fn bad_filters_are_refused_with_a_clear_message() {
    let app = TestApp::new().await;
    setup(&app).await;
    let mut owner = owner(&app).await;
    for (query, text) in [
        ("from=yesterday", "is not a date"),
        ("to=2024-02-30", "is not a date"),
        ("from=2024-05-02&to=2024-05-01", "is after the to date"),
        ("entity_id=nope", "is not a valid id"),
        ("actor_id=12345", "is not a valid id"),
        ("entity=drop%20table", "is not a kind of entity"),
        ("after=garbage", "page link is malformed"),
        ("after=2024-01-01T00:00:00Z_nope", "page link is malformed"),
    ] {
        for base in ["/admin/audit", "/admin/audit.csv"] {
            if base.ends_with(".csv") && query.starts_with("after=") {
                continue;
            }
            let res = owner.get(&format!("{base}?{query}")).await;
            assert_eq!(res.status, 400, "{base}?{query}");
            assert!(res.body.contains(text), "{base}?{query}: {}", res.body);
        }
    }
}

#[actix_web::test]
async fn the_csv_export_has_the_filtered_events_and_defuses_formulas() {
    let app = TestApp::new().await;
    let t = setup(&app).await;
    let product = uuid::Uuid::new_v4().to_string();
    insert_event(
        &app,
        t.a,
        "2024-05-01 10:00:00+00",
        "=HYPERLINK(\"http://evil\")",
        "product",
        &product,
        "update",
        r#"{"name": "+cmd"}"#,
        r#"{"name": "@SUM(1)"}"#,
    )
    .await;
    insert_event(
        &app,
        t.a,
        "2024-05-01 11:00:00+00",
        "-minus@alpha.test",
        "product",
        &product,
        "import",
        "",
        r#"{"sku": "X, \"quoted\""}"#,
    )
    .await;
    let mut owner = owner(&app).await;
    let res = owner
        .get(&format!(
            "/admin/audit.csv?entity=product&entity_id={product}"
        ))
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
    let disposition = res.header("content-disposition").unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"audit-"),
        "{disposition}"
    );
    assert!(disposition.ends_with(".csv\""), "{disposition}");
    assert_eq!(res.header("cache-control"), Some("no-store"));
    assert!(
        res.body
            .starts_with("occurred_at,actor,entity,entity_id,action,before,after,ip,request_id\n")
    );
    let rows = csv_rows(&res);
    assert_eq!(rows.len(), 3, "{}", res.body);
    assert_eq!(rows[1][0], "2024-05-01T11:00:00.000000Z", "newest first");
    assert_eq!(rows[1][1], "'-minus@alpha.test");
    assert_eq!(rows[1][4], "import");
    assert_eq!(rows[1][5], "");
    assert_eq!(rows[1][6], r#"{"sku":"X, \"quoted\""}"#);
    assert_eq!(rows[2][1], "'=HYPERLINK(\"http://evil\")");
    assert_eq!(rows[2][2], "product");
    assert_eq!(rows[2][3], product);
    assert_eq!(rows[2][5], r#"{"name":"+cmd"}"#);
    assert_eq!(rows[2][7], "192.0.2.44");
    assert_eq!(rows[2][8], "req-inserted");
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "unsafe cell {cell:?}"
            );
        }
    }
    // Without filters: every event of the customer.
    let all = owner.get("/admin/audit.csv").await;
    assert_eq!(csv_rows(&all).len() as i64 - 1, events_of(&app, t.a).await);
}

#[actix_web::test]
async fn another_customers_events_never_appear() {
    let app = TestApp::new().await;
    let t = setup(&app).await;
    let b_thing = uuid::Uuid::new_v4().to_string();
    insert_event(
        &app,
        t.b,
        "2024-05-01 10:00:00+00",
        "secret@beta.test",
        "product",
        &b_thing,
        "update",
        "",
        r#"{"name": "beta secret"}"#,
    )
    .await;
    let mut on_b = app.browser("beta.test");
    on_b.sign_in("owner@beta.test", PASSWORD).await;
    assert_eq!(
        on_b.get("/admin/audit").await.texts("td.actor")[0],
        "owner@beta.test"
    );

    let mut owner = owner(&app).await;
    for path in [
        "/admin/audit".to_owned(),
        "/admin/audit.csv".to_owned(),
        format!("/admin/audit?entity_id={b_thing}"),
        format!("/admin/audit.csv?entity_id={b_thing}"),
        "/admin/audit?actor=beta".to_owned(),
        "/admin/audit.csv?actor=beta".to_owned(),
    ] {
        let res = owner.get(&path).await;
        assert_eq!(res.status, 200, "{path}");
        // The page repeats the filter in its form; the events are what must not leak.
        let shown = if path.contains(".csv") {
            res.body.clone()
        } else {
            res.texts("main table, .pagination").join("\n")
        };
        for secret in [
            "beta.test",
            "beta secret",
            &b_thing,
            "Beta Labs",
            "BETA-1",
            "beta-post",
            &t.b.to_string(),
        ] {
            assert!(!shown.contains(secret), "{path} shows {secret}");
        }
    }
    let filtered = owner
        .get(&format!("/admin/audit.csv?entity_id={b_thing}"))
        .await;
    assert_eq!(csv_rows(&filtered).len(), 1, "the header only");
    // A's full CSV holds exactly A's events.
    let all = owner.get("/admin/audit.csv").await;
    assert_eq!(csv_rows(&all).len() as i64 - 1, events_of(&app, t.a).await);
}

#[actix_web::test]
async fn control_characters_in_a_filter_are_a_400_naming_it_for_the_page_and_the_export() {
    let app = TestApp::new().await;
    let t = setup(&app).await;
    let mut browser = owner(&app).await;
    let events = events_of(&app, t.a).await;
    let before = database_digest(&app, None).await;
    for page in ["/admin/audit", "/admin/audit.csv"] {
        for (query, parameter) in [
            ("actor=owner%00", "actor"),
            ("actor=%1B%5B2J", "actor"),
            ("entity=post%00", "entity"),
            ("entity_id=x%0Ay", "entity_id"),
            ("from=2024-01-01%00", "from"),
        ] {
            let path = format!("{page}?{query}");
            let res = browser.get(&path).await;
            assert_control_character_refused(
                &res,
                &format!("The address parameter \"{parameter}\""),
                &path,
            );
        }
    }
    assert_eq!(events_of(&app, t.a).await, events, "no export was recorded");
    assert_eq!(database_digest(&app, None).await, before);
}
