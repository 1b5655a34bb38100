//! Every page of the product, public and admin, is valid HTML (no error of the Nu HTML Checker)
//! and has no serious or critical accessibility violation (axe-core), on content like a real
//! site's.
//!
//! A test walks the list [`pages`] in one browser session: the visitors' pages signed out, then
//! the admin's signed in as an owner (who sees every admin page). For each page it checks the
//! bytes the server sends (fetched by the browser, with its cookies) and runs axe-core on the
//! page the browser shows; it reports the problems of every page at the end. A second walk runs
//! axe-core again with the browser asking for the dark colour scheme.
//!
//! **A new page** goes into [`pages`]: `Page::visitor(name, address)` or `Page::owner(name,
//! address)`, with `.status(404)` when it answers another status than 200, and
//! `.submitting(button, fields)` when it is the answer to a form of that address. Content it
//! needs goes into `seed.rs`.
//!
//! The checkers are described in `checks.rs`; `.ci/test-tools/install` installs them.

mod checks;
mod seed;

use std::time::Instant;

use base64::Engine;
use fantoccini::Locator;

use crate::harness::{self, Stack};
pub use checks::Checks;
use seed::World;

/// Who looks at a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Nobody is signed in.
    Visitor,
    /// The customer's owner is signed in to the admin.
    Owner,
}

/// One page to check.
pub struct Page {
    /// What the page is, as a report names it.
    pub name: &'static str,
    pub who: Who,
    /// A path on the test site (`/tags`), or a whole address (another host).
    pub address: String,
    /// The status the page answers with.
    pub status: u16,
    /// The page is the answer to a form shown at `address`.
    pub submit: Option<Submit>,
}

/// A form to fill in and submit.
pub struct Submit {
    /// The CSS selector of the submit button to press (the first that matches).
    pub button: String,
    /// `(CSS selector, value)` of each field to set first: a file input is given the file at
    /// that path, a checkbox or radio button is checked (the value is ignored), any other field
    /// (hidden ones too) gets the value.
    pub fields: Vec<(String, String)>,
}

impl Page {
    pub fn visitor(name: &'static str, address: impl Into<String>) -> Page {
        Page {
            name,
            who: Who::Visitor,
            address: address.into(),
            status: 200,
            submit: None,
        }
    }

    pub fn owner(name: &'static str, address: impl Into<String>) -> Page {
        Page {
            who: Who::Owner,
            ..Page::visitor(name, address)
        }
    }

    pub fn status(self, status: u16) -> Page {
        Page { status, ..self }
    }

    /// The answer to submitting the form of `button` on this page's address after setting
    /// `fields` (see [`Submit::fields`]). The form is sent twice (once for the bytes the server
    /// answers, once by the browser), so it should be one that changes nothing: a preview, a
    /// refused save, a dry run.
    pub fn submitting(self, button: &str, fields: &[(&str, &str)]) -> Page {
        let fields = fields
            .iter()
            .map(|(selector, value)| ((*selector).to_owned(), (*value).to_owned()))
            .collect();
        Page {
            submit: Some(Submit {
                button: button.to_owned(),
                fields,
            }),
            ..self
        }
    }
}

/// Files the pages upload.
pub struct Files {
    pub csv_update: String,
    pub csv_errors: String,
    /// A real WordPress export (tests/fixtures/import/wordpress).
    pub wxr: String,
}

/// Every page of the product, with content to show.
fn pages(stack: &Stack, world: &World, files: &Files) -> Vec<Page> {
    let post = world.post.id;
    let product = world.product;
    let unknown_site = stack.base.replacen("://alpha-", "://nobody-", 1);
    vec![
        // The public site.
        Page::visitor("home", "/"),
        Page::visitor("post", format!("/posts/{}", world.post.slug)),
        Page::visitor("products", "/products"),
        Page::visitor("product", format!("/products/{}", world.product_sku)),
        Page::visitor(
            "product category",
            format!("/products/category/{}", world.category),
        ),
        Page::visitor("page", format!("/{}", world.page.slug)),
        Page::visitor("tags", "/tags"),
        Page::visitor("tag", format!("/tags/{}", world.tag)),
        Page::visitor("search with results", "/search?q=magnesium"),
        Page::visitor("search without results", "/search?q=xylophone"),
        Page::visitor("search of common words only", "/search?q=the+and"),
        Page::visitor("page not found", "/posts/no-such-post").status(404),
        Page::visitor("preview link", format!("/preview/{}", world.preview_token)),
        Page::visitor("unknown site", format!("{unknown_site}/")).status(404),
        // Signing in.
        Page::visitor("sign-in", "/admin/login"),
        Page::visitor("sign-in with a wrong password", "/admin/login")
            .status(401)
            .submitting(
                "form.stacked button[type=submit]",
                &[("#email", "owner@alpha.test"), ("#password", "wrong")],
            ),
        // The admin.
        Page::owner("dashboard", "/admin"),
        Page::owner("posts", "/admin/posts"),
        Page::owner("new post", "/admin/posts/new"),
        Page::owner("post edit", format!("/admin/posts/{post}/edit")),
        Page::owner("post form with errors", "/admin/posts/new")
            .status(400)
            .submitting(
                "button[name=action][value=draft]",
                &[("#title", "Mornings again"), ("#slug", &world.post.slug)],
            ),
        Page::owner("post preview", "/admin/posts/new").submitting(
            "button[value=preview]",
            &[("#title", "Spring greens"), ("#body", "Fresh **greens**.")],
        ),
        Page::owner("post edit conflict", format!("/admin/posts/{post}/edit"))
            .status(409)
            .submitting(
                "button[name=action][value=save]",
                &[("input[name=version]", "1"), ("#body", "My own rewrite.")],
            ),
        Page::owner("revisions", format!("/admin/posts/{post}/revisions")),
        Page::owner("pages", "/admin/pages"),
        Page::owner("new page", "/admin/pages/new"),
        Page::owner("page edit", format!("/admin/pages/{}/edit", world.page.id)),
        Page::owner("menus", "/admin/menus"),
        Page::owner("branding", "/admin/settings/branding"),
        Page::owner(
            "revisions compared",
            format!("/admin/posts/{post}/revisions/compare?from=1&to=2"),
        ),
        Page::owner(
            "preview links",
            format!("/admin/posts/{}/preview-links", world.draft.id),
        ),
        Page::owner("media library", "/admin/media"),
        Page::owner("media item", format!("/admin/media/{}", world.image)),
        Page::owner("products admin", "/admin/products"),
        Page::owner("new product", "/admin/products/new"),
        Page::owner("product edit", format!("/admin/products/{product}")),
        Page::owner("product form with errors", "/admin/products/new")
            .status(422)
            .submitting(
                ".product-form button[type=submit]:not([name])",
                &[
                    ("#name", "Omega-3"),
                    ("#sku", "OMEGA-3"),
                    ("#category", "Oils"),
                    ("#wholesale_price", "12,50"),
                    ("#retail_price", "-1"),
                ],
            ),
        Page::owner(
            "product edit conflict",
            format!("/admin/products/{product}"),
        )
        .status(409)
        .submitting(
            ".product-form button[type=submit]:not([name])",
            &[("input[name=version]", "1"), ("#retail_price", "40.00")],
        ),
        Page::owner("bulk price change", "/admin/products/bulk"),
        Page::owner("bulk price change preview", "/admin/products/bulk").submitting(
            ".bulk-form button[type=submit]",
            &[
                ("input[name=selection][value=category]", ""),
                ("#category", "Vitamins"),
                ("#operation", "raise"),
                ("#amount", "10"),
                ("#target", "retail"),
                ("#rounding", "cent"),
                ("#name", "Vitamins +10%"),
                ("#reason", "supplier increase"),
            ],
        ),
        Page::owner("change sets", "/admin/products/change-sets"),
        Page::owner(
            "change set",
            format!("/admin/products/change-sets/{}", world.stale_change_set),
        ),
        Page::owner(
            "change set revert conflict",
            format!("/admin/products/change-sets/{}", world.stale_change_set),
        )
        .status(409)
        .submitting("form[action$='/revert'] button[type=submit]", &[]),
        Page::owner("CSV import", "/admin/products/import"),
        Page::owner("CSV import report", "/admin/products/import").submitting(
            "form.stacked button[type=submit]",
            &[("#file", &files.csv_update)],
        ),
        Page::owner("CSV import report with errors", "/admin/products/import")
            .status(422)
            .submitting(
                "form.stacked button[type=submit]",
                &[("#file", &files.csv_errors)],
            ),
        Page::owner("users", "/admin/users"),
        Page::owner("new user", "/admin/users/new"),
        Page::owner("user", format!("/admin/users/{}", world.editor)),
        Page::owner("own password", "/admin/account/password"),
        Page::owner("settings", "/admin/settings"),
        Page::owner("domains", "/admin/domains"),
        Page::owner("site import", "/admin/import"),
        Page::owner("site import report", "/admin/import").submitting(
            "form.stacked button[type=submit]",
            &[("#export", &files.wxr)],
        ),
        Page::owner("audit log", "/admin/audit"),
        Page::owner("export", "/admin/export"),
        Page::owner(
            "admin page not found",
            "/admin/posts/00000000-0000-0000-0000-000000000000/edit",
        )
        .status(404),
    ]
}

/// The colour scheme the browser asks pages for (`prefers-color-scheme`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Light,
    Dark,
}

#[actix_web::test]
async fn every_page_is_valid_html_without_serious_accessibility_violations() {
    walk(Scheme::Light).await;
}

/// Both stylesheets have a dark theme: its contrasts are checked too (the server sends the same
/// HTML in both schemes, so it is checked once).
#[actix_web::test]
async fn no_page_has_serious_accessibility_violations_in_the_dark_theme() {
    walk(Scheme::Dark).await;
}

/// Seeds a site and checks every page of [`pages`] in one browser session.
async fn walk(scheme: Scheme) {
    let checks = match scheme {
        Scheme::Light => Checks::start(),
        Scheme::Dark => Checks::accessibility_only(),
    };
    let Some(checks) = checks else {
        return;
    };
    let switches: &[&str] = match scheme {
        Scheme::Light => &[],
        // Blink's setting for `prefers-color-scheme`: 0 is dark.
        Scheme::Dark => &["--blink-settings=preferredColorScheme=0"],
    };
    let Some(stack) = harness::start_with(switches).await else {
        return;
    };
    let started = Instant::now();
    let world = seed::world(&stack).await;
    let folder = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let path = folder.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let files = Files {
        csv_update: file(
            "catalog.csv",
            "sku,name,category,wholesale_price,retail_price\n\
             ZINC-PIC,Zinc Picolinate,Minerals,7.50,15.00\n\
             OMEGA-3,Omega-3 Fish Oil,Oils,16.00,30.00\n",
        ),
        csv_errors: file(
            "catalog-with-errors.csv",
            "sku,name,category,wholesale_price,retail_price\n\
             ZINC-PIC,Zinc Picolinate,Minerals,7.50,\"12,50\"\n\
             ,No SKU,Minerals,1.00,2.00\n",
        ),
        wxr: concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/import/wordpress/export.xml"
        )
        .to_owned(),
    };
    let pages = pages(&stack, &world, &files);
    let seeded = started.elapsed();

    let mut problems = Vec::new();
    for who in [Who::Visitor, Who::Owner] {
        if who == Who::Owner {
            stack.sign_in("owner@alpha.test").await;
            assert_eq!(stack.path().await, "/admin", "the owner is signed in");
        }
        for page in pages.iter().filter(|p| p.who == who) {
            let one = Instant::now();
            let found = check(&stack, &checks, page).await;
            eprintln!(
                "{:5.2} s {} {}",
                one.elapsed().as_secs_f64(),
                page.name,
                if found.is_empty() { "ok" } else { "FAILS" }
            );
            problems.extend(
                found
                    .into_iter()
                    .map(|problem| format!("{} ({}): {problem}", page.name, page.address)),
            );
        }
    }
    eprintln!(
        "page checks ({scheme:?}): content seeded in {:.1} s, {} pages checked in {:.1} s",
        seeded.as_secs_f64(),
        pages.len(),
        (started.elapsed() - seeded).as_secs_f64()
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
    stack.finish().await;
}

/// Shows `page` in the browser and checks it; its problems.
async fn check(stack: &Stack, checks: &Checks, page: &Page) -> Vec<String> {
    let url = if page.address.starts_with("http") {
        page.address.clone()
    } else {
        format!("{}{}", stack.base, page.address)
    };
    stack.client.goto(&url).await.expect("navigation");
    let answer = match &page.submit {
        None => fetch(stack, None).await,
        Some(submit) => {
            for selector in submit.fields.iter().map(|(s, _)| s).chain([&submit.button]) {
                if stack.client.find(Locator::Css(selector)).await.is_err() {
                    return vec![format!("the form has no {selector}")];
                }
            }
            for (selector, value) in &submit.fields {
                fill(stack, selector, value).await;
            }
            let answer = fetch(stack, Some(&submit.button)).await;
            // The answer opens in this window, even from a button that opens a new one.
            stack
                .client
                .execute(
                    "const b = document.querySelector(arguments[0]);
                     b.removeAttribute('formtarget'); b.form.removeAttribute('target');",
                    vec![serde_json::json!(submit.button)],
                )
                .await
                .expect("the button is there");
            stack.click(&submit.button).await;
            answer
        }
    };
    let mut problems = Vec::new();
    if answer.status != page.status {
        problems.push(format!(
            "the page answered {} instead of {}",
            answer.status, page.status
        ));
    }
    if !answer.content_type.starts_with("text/html") {
        problems.push(format!("the page is {}, not HTML", answer.content_type));
        return problems;
    }
    let shown = stack.client.current_url().await.expect("url").to_string();
    problems.extend(checks.check_html(&shown, &answer.body).await);
    problems.extend(checks.check_axe(&stack.client).await);
    problems
}

/// Sets a field of the page the browser shows (see [`Submit::fields`]).
async fn fill(stack: &Stack, selector: &str, value: &str) {
    let field = stack
        .client
        .find(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("{selector}: {e}"));
    if field.attr("type").await.expect("type").as_deref() == Some("file") {
        field.send_keys(value).await.expect("the file is chosen");
        return;
    }
    let element = serde_json::to_value(&field).expect("an element reference");
    stack
        .client
        .execute(
            "const [field, value] = arguments;
             if (field.type === 'checkbox' || field.type === 'radio') { field.checked = true; }
             else { field.value = value; }",
            vec![element, serde_json::json!(value)],
        )
        .await
        .expect("the field is set");
}

/// What the server answered, as the browser received it.
struct Answer {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

/// The page the browser shows as the server sends it (`button`: `None`), or the answer to
/// submitting the form of `button` with the fields as they are (the page stays as it is).
/// The browser fetches it, with its cookies, and hands the bytes over.
async fn fetch(stack: &Stack, button: Option<&str>) -> Answer {
    let script = r#"
        const [button, done] = [arguments[0], arguments[arguments.length - 1]];
        let request;
        if (button) {
            const submitter = document.querySelector(button);
            const form = submitter.form;
            // Attributes, not properties: a field named `action` hides `form.action`.
            const action = submitter.getAttribute('formaction') ?? form.getAttribute('action') ?? '';
            const data = new FormData(form, submitter);
            const body = form.getAttribute('enctype') === 'multipart/form-data'
                ? data : new URLSearchParams(data);
            request = fetch(new URL(action, document.baseURI), { method: 'POST', body });
        } else {
            request = fetch(location.href);
        }
        request
            .then(async (reply) => {
                const bytes = new Uint8Array(await reply.arrayBuffer());
                let binary = '';
                for (let i = 0; i < bytes.length; i += 0x8000) {
                    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
                }
                done({ status: reply.status, url: reply.url, type: reply.headers.get('content-type') || '',
                       body: btoa(binary) });
            })
            .catch((e) => done({ error: String(e) }));
    "#;
    let reply = stack
        .client
        .execute_async(script, vec![serde_json::json!(button)])
        .await
        .expect("the page is fetched");
    if let Some(error) = reply.get("error") {
        panic!("fetching the page failed: {error}");
    }
    Answer {
        status: reply["status"].as_u64().unwrap_or_default() as u16,
        content_type: reply["type"].as_str().unwrap_or_default().to_owned(),
        body: base64::engine::general_purpose::STANDARD
            .decode(reply["body"].as_str().unwrap_or_default())
            .expect("base64"),
    }
}
