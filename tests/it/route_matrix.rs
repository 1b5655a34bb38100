//! Every route × every role, generated from the routes the code registers: a visitor or a user of
//! customer A presenting customer B's ids, slugs, SKUs, tokens or domain gets 404 (403 for a
//! role the route is not for, a redirect to the sign-in page without a session), never sees B's
//! data, and the database is unchanged byte for byte.
//!
//! The set of routes is read from `src/web`: a route registered there and missing from
//! [`MATRIX`] (or listed here and gone from the code) fails the test, so a new route cannot ship
//! without its cross-tenant case. Placeholders are filled with B's identifiers by
//! [`Foreign::fill`]; a placeholder it does not know fails the test too.

use std::collections::BTreeSet;
use std::path::Path;

use actix_web::test::TestRequest;
use agoat::content::posts::Post;
use agoat::content::preview_links;
use agoat::tenancy::users::Role;
use agoat::thorne::{csv_import, csv_uploads, gallery, products};
use scoped_futures::ScopedFutureExt;

use crate::common::{
    Response, STAFF_PASSWORD, TestApp, TwoTenants, actor, database_digest, minutes_ago, post_input,
    sql_text, two_tenants,
};

/// Who may use a route (owners may use every admin route).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum For {
    /// Public pages and operations endpoints: anyone.
    Anyone,
    /// Any signed-in user.
    SignedIn,
    Editors,
    PricingStaff,
    Owners,
}

/// What the request presents of customer B on A's domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Presents {
    /// B's identifier in the path: a user allowed to use the route gets 404.
    PathId,
    /// B's identifier in the form: a user allowed to use the route gets a 4xx without B's data.
    FormReference,
    /// Nothing of B can be named: a page of A's own, which must show nothing of B (GET), or a
    /// write of A's own, sent only by roles it refuses (POST).
    Nothing,
    /// Not a tenant's route (health, static files): answers the same for everyone.
    NotTenant,
}

struct Route {
    method: &'static str,
    path: &'static str,
    who: For,
    presents: Presents,
    /// The form sent with a POST (a valid one, so that only the foreign id can fail it).
    form: fn(&Foreign) -> Vec<(&'static str, String)>,
}

const fn route(
    method: &'static str,
    path: &'static str,
    who: For,
    presents: Presents,
    form: fn(&Foreign) -> Vec<(&'static str, String)>,
) -> Route {
    Route {
        method,
        path,
        who,
        presents,
        form,
    }
}

fn no_form(_: &Foreign) -> Vec<(&'static str, String)> {
    Vec::new()
}

fn version_form(_: &Foreign) -> Vec<(&'static str, String)> {
    vec![("version", "1".into())]
}

fn post_form(_: &Foreign) -> Vec<(&'static str, String)> {
    vec![
        ("title", "Taken over".into()),
        ("slug", "taken-over".into()),
        ("body", "Overwritten by another customer.".into()),
        ("description", String::new()),
        ("tags", String::new()),
        ("publish_at", String::new()),
        ("version", "1".into()),
        ("action", "save".into()),
    ]
}

fn menu_form(f: &Foreign) -> Vec<(&'static str, String)> {
    vec![
        ("version", "0".into()),
        ("label_0", "Theirs".into()),
        ("target_0", format!("page:{}", f.page)),
        ("order_0", "1".into()),
    ]
}

fn product_form(f: &Foreign) -> Vec<(&'static str, String)> {
    vec![
        ("sku", f.sku.clone()),
        ("name", "Taken over".into()),
        ("description", String::new()),
        ("category", "Minerals".into()),
        ("wholesale_price", "1.00".into()),
        ("retail_price", "2.00".into()),
        ("in_stock", "on".into()),
        ("reason", "takeover".into()),
        ("version", "1".into()),
        ("images", f.media.clone()),
    ]
}

fn bulk_form(f: &Foreign) -> Vec<(&'static str, String)> {
    vec![
        ("selection", "skus".into()),
        ("skus", f.sku.clone()),
        ("operation", "set".into()),
        ("amount", "1.00".into()),
        ("target", "both".into()),
        ("rounding", "cent".into()),
        ("name", "Takeover".into()),
        ("reason", "takeover".into()),
        ("fingerprint", "0".repeat(64)),
        ("confirm", "on".into()),
    ]
}

fn import_apply_form(_: &Foreign) -> Vec<(&'static str, String)> {
    vec![
        ("name", "Takeover".into()),
        ("reason", "takeover".into()),
        ("planned_created", "0".into()),
        ("planned_updated", "1".into()),
    ]
}

fn media_text_form(_: &Foreign) -> Vec<(&'static str, String)> {
    vec![
        ("version", "1".into()),
        ("alt_text", "Replaced".into()),
        ("caption", String::new()),
    ]
}

fn media_delete_form(_: &Foreign) -> Vec<(&'static str, String)> {
    vec![("version", "1".into()), ("confirm", "yes".into())]
}

fn role_form(_: &Foreign) -> Vec<(&'static str, String)> {
    vec![("role", "owner".into()), ("version", "1".into())]
}

fn reset_form(_: &Foreign) -> Vec<(&'static str, String)> {
    vec![
        ("password", "a new password of a takeover".into()),
        ("version", "1".into()),
    ]
}

fn login_form(f: &Foreign) -> Vec<(&'static str, String)> {
    vec![
        ("email", f.owner_email.clone()),
        ("password", STAFF_PASSWORD.into()),
    ]
}

/// A valid new password, for the pages of mailed links.
fn choose_form(_: &Foreign) -> Vec<(&'static str, String)> {
    vec![
        ("new_password", "a password of a takeover".into()),
        ("confirm_password", "a password of a takeover".into()),
    ]
}

/// B's owner's address asked for on A's domain.
fn forgot_form(f: &Foreign) -> Vec<(&'static str, String)> {
    vec![("email", f.owner_email.clone())]
}

fn domain_form(_: &Foreign) -> Vec<(&'static str, String)> {
    vec![("domain", "beta.test".into())]
}

fn invite_form(_: &Foreign) -> Vec<(&'static str, String)> {
    vec![("email", "new@alpha.test".into()), ("role", "owner".into())]
}

fn lifetime_form(_: &Foreign) -> Vec<(&'static str, String)> {
    vec![("lifetime_hours", "2".into())]
}

/// A valid branding form but for its logo, an image of B's library.
fn branding_form(f: &Foreign) -> Vec<(&'static str, String)> {
    vec![
        ("title", "Taken over".into()),
        ("tagline", String::new()),
        ("logo", f.media.clone()),
        ("favicon", String::new()),
        ("share_image", String::new()),
        ("accent", "#0b5cad".into()),
        ("footer", String::new()),
        ("social_links", String::new()),
        ("language", "en".into()),
        ("time_zone", "UTC".into()),
        ("search_language", "english".into()),
        ("version", "1".into()),
    ]
}

use For::*;
use Presents::*;

/// Every route the application serves.
const MATRIX: &[Route] = &[
    // Public pages (any visitor of A's domain).
    route("GET", "/", Anyone, Nothing, no_form),
    route("GET", "/posts/{slug}", Anyone, PathId, no_form),
    route("GET", "/products", Anyone, Nothing, no_form),
    route("GET", "/products/{sku}", Anyone, PathId, no_form),
    route(
        "GET",
        "/products/category/{category}",
        Anyone,
        PathId,
        no_form,
    ),
    route("GET", "/tags", Anyone, Nothing, no_form),
    route("GET", "/tags/{tag}", Anyone, PathId, no_form),
    route("GET", "/tags/{tag}/feed.xml", Anyone, PathId, no_form),
    // Searched for B's words (see `Foreign::fill`): a page of A's own results only.
    route("GET", "/search", Anyone, Nothing, no_form),
    route("GET", "/feed.xml", Anyone, Nothing, no_form),
    route("GET", "/sitemap.xml", Anyone, Nothing, no_form),
    route("GET", "/robots.txt", Anyone, Nothing, no_form),
    // The accent colour's stylesheet of A's own site.
    route("GET", "/brand.css", Anyone, Nothing, no_form),
    route("GET", "/media/{name}", Anyone, PathId, no_form),
    route("GET", "/preview/{token}", Anyone, PathId, no_form),
    // Any other address: a page of the site, else the site's 404.
    route("GET", "/{page}", Anyone, PathId, no_form),
    route("GET", "/healthz", Anyone, NotTenant, no_form),
    route("GET", "/readyz", Anyone, NotTenant, no_form),
    // Whether a name is served at all (a TLS proxy's question): B's domain is, like any other
    // customer's; the answer is one word that names no one.
    route(
        "GET",
        "/.well-known/agoat/tls-allowed",
        Anyone,
        NotTenant,
        no_form,
    ),
    route("GET", "/static/{name}", Anyone, NotTenant, no_form),
    // The HTTP token of B's pending domain, asked on A's domain: not A's to answer.
    route(
        "GET",
        "/.well-known/agoat-verification/{token}",
        Anyone,
        PathId,
        no_form,
    ),
    // Sign-in.
    route("GET", "/admin/login", Anyone, Nothing, no_form),
    route("POST", "/admin/login", Anyone, FormReference, login_form),
    route("POST", "/admin/logout", SignedIn, Nothing, no_form),
    // Password resets and invitations by mail. A reset asked for B's owner on A's domain is A's
    // own page (the same answer as for any address) and queues no mail (checked below); B's
    // tokens on A's domain are 404s.
    route("GET", "/admin/password/forgot", Anyone, Nothing, no_form),
    route(
        "POST",
        "/admin/password/forgot",
        Anyone,
        Nothing,
        forgot_form,
    ),
    route(
        "GET",
        "/admin/password/reset/{token}",
        Anyone,
        PathId,
        no_form,
    ),
    route(
        "POST",
        "/admin/password/reset/{token}",
        Anyone,
        PathId,
        choose_form,
    ),
    route("GET", "/admin/invitation/{token}", Anyone, PathId, no_form),
    route(
        "POST",
        "/admin/invitation/{token}",
        Anyone,
        PathId,
        choose_form,
    ),
    route("GET", "/admin", SignedIn, Nothing, no_form),
    route("GET", "/admin/", SignedIn, Nothing, no_form),
    route("GET", "/admin/account/password", SignedIn, Nothing, no_form),
    route(
        "POST",
        "/admin/account/password",
        SignedIn,
        Nothing,
        no_form,
    ),
    // The media library.
    route("GET", "/admin/media", SignedIn, Nothing, no_form),
    route("POST", "/admin/media", SignedIn, Nothing, no_form),
    route("GET", "/admin/media/{id}", SignedIn, PathId, no_form),
    route(
        "POST",
        "/admin/media/{id}",
        SignedIn,
        PathId,
        media_text_form,
    ),
    route(
        "POST",
        "/admin/media/{id}/delete",
        SignedIn,
        PathId,
        media_delete_form,
    ),
    // Posts.
    route("GET", "/admin/posts", Editors, Nothing, no_form),
    route("POST", "/admin/posts", Editors, Nothing, post_form),
    route("GET", "/admin/posts/new", Editors, Nothing, no_form),
    route("POST", "/admin/posts/preview", Editors, Nothing, post_form),
    route("GET", "/admin/posts/{id}", Editors, PathId, no_form),
    route("POST", "/admin/posts/{id}", Editors, PathId, post_form),
    route("GET", "/admin/posts/{id}/edit", Editors, PathId, no_form),
    route(
        "POST",
        "/admin/posts/{id}/preview",
        Editors,
        PathId,
        post_form,
    ),
    route(
        "POST",
        "/admin/posts/{id}/trash",
        Editors,
        PathId,
        version_form,
    ),
    route(
        "POST",
        "/admin/posts/{id}/restore",
        Editors,
        PathId,
        version_form,
    ),
    route(
        "POST",
        "/admin/posts/{id}/delete",
        Owners,
        PathId,
        version_form,
    ),
    route(
        "GET",
        "/admin/posts/{id}/revisions",
        Editors,
        PathId,
        no_form,
    ),
    route(
        "GET",
        "/admin/posts/{id}/revisions/compare",
        Editors,
        PathId,
        no_form,
    ),
    route(
        "POST",
        "/admin/posts/{id}/revisions/{number}/restore",
        Editors,
        PathId,
        version_form,
    ),
    route(
        "GET",
        "/admin/posts/{id}/preview-links",
        Editors,
        PathId,
        no_form,
    ),
    route(
        "POST",
        "/admin/posts/{id}/preview-links",
        Editors,
        PathId,
        lifetime_form,
    ),
    route(
        "POST",
        "/admin/posts/{id}/preview-links/{link_id}/revoke",
        Editors,
        PathId,
        no_form,
    ),
    // Pages: the same pages as posts, under their own path.
    route("GET", "/admin/pages", Editors, Nothing, no_form),
    route("POST", "/admin/pages", Editors, Nothing, post_form),
    route("GET", "/admin/pages/new", Editors, Nothing, no_form),
    route("POST", "/admin/pages/preview", Editors, Nothing, post_form),
    route("GET", "/admin/pages/{id}", Editors, PathId, no_form),
    route("POST", "/admin/pages/{id}", Editors, PathId, post_form),
    route("GET", "/admin/pages/{id}/edit", Editors, PathId, no_form),
    route(
        "POST",
        "/admin/pages/{id}/preview",
        Editors,
        PathId,
        post_form,
    ),
    route(
        "POST",
        "/admin/pages/{id}/trash",
        Editors,
        PathId,
        version_form,
    ),
    route(
        "POST",
        "/admin/pages/{id}/restore",
        Editors,
        PathId,
        version_form,
    ),
    route(
        "POST",
        "/admin/pages/{id}/delete",
        Owners,
        PathId,
        version_form,
    ),
    route(
        "GET",
        "/admin/pages/{id}/revisions",
        Editors,
        PathId,
        no_form,
    ),
    route(
        "GET",
        "/admin/pages/{id}/revisions/compare",
        Editors,
        PathId,
        no_form,
    ),
    route(
        "POST",
        "/admin/pages/{id}/revisions/{number}/restore",
        Editors,
        PathId,
        version_form,
    ),
    route(
        "GET",
        "/admin/pages/{id}/preview-links",
        Editors,
        PathId,
        no_form,
    ),
    route(
        "POST",
        "/admin/pages/{id}/preview-links",
        Editors,
        PathId,
        lifetime_form,
    ),
    route(
        "POST",
        "/admin/pages/{id}/preview-links/{link_id}/revoke",
        Editors,
        PathId,
        no_form,
    ),
    // Catalog.
    route("GET", "/admin/products", PricingStaff, Nothing, no_form),
    route(
        "POST",
        "/admin/products",
        PricingStaff,
        Nothing,
        product_form,
    ),
    route("GET", "/admin/products/new", PricingStaff, Nothing, no_form),
    route("GET", "/admin/products/{id}", PricingStaff, PathId, no_form),
    route(
        "POST",
        "/admin/products/{id}",
        PricingStaff,
        PathId,
        product_form,
    ),
    route(
        "POST",
        "/admin/products/{id}/archive",
        PricingStaff,
        PathId,
        version_form,
    ),
    route(
        "POST",
        "/admin/products/{id}/restore",
        PricingStaff,
        PathId,
        version_form,
    ),
    route(
        "GET",
        "/admin/products/bulk",
        PricingStaff,
        Nothing,
        no_form,
    ),
    route(
        "POST",
        "/admin/products/bulk/preview",
        PricingStaff,
        FormReference,
        bulk_form,
    ),
    route(
        "POST",
        "/admin/products/bulk/apply",
        PricingStaff,
        FormReference,
        bulk_form,
    ),
    route(
        "GET",
        "/admin/products/change-sets",
        PricingStaff,
        Nothing,
        no_form,
    ),
    route(
        "GET",
        "/admin/products/change-sets/{id}",
        PricingStaff,
        PathId,
        no_form,
    ),
    route(
        "POST",
        "/admin/products/change-sets/{id}/revert",
        PricingStaff,
        PathId,
        no_form,
    ),
    route(
        "GET",
        "/admin/products/export.csv",
        PricingStaff,
        Nothing,
        no_form,
    ),
    route(
        "GET",
        "/admin/products/import",
        PricingStaff,
        Nothing,
        no_form,
    ),
    route(
        "POST",
        "/admin/products/import",
        PricingStaff,
        Nothing,
        no_form,
    ),
    route(
        "POST",
        "/admin/products/import/{id}/apply",
        PricingStaff,
        PathId,
        import_apply_form,
    ),
    // Owners' pages.
    route("GET", "/admin/settings", Owners, Nothing, no_form),
    route("POST", "/admin/settings", Owners, Nothing, no_form),
    route("GET", "/admin/settings/branding", Owners, Nothing, no_form),
    // B's image as A's logo.
    route(
        "POST",
        "/admin/settings/branding",
        Owners,
        FormReference,
        branding_form,
    ),
    route("GET", "/admin/users", Owners, Nothing, no_form),
    route("POST", "/admin/users", Owners, Nothing, no_form),
    route("GET", "/admin/users/new", Owners, Nothing, no_form),
    route("GET", "/admin/users/invite", Owners, Nothing, no_form),
    route("POST", "/admin/users/invite", Owners, Nothing, invite_form),
    route("GET", "/admin/users/{id}", Owners, PathId, no_form),
    route("POST", "/admin/users/{id}/role", Owners, PathId, role_form),
    route(
        "POST",
        "/admin/users/{id}/disable",
        Owners,
        PathId,
        version_form,
    ),
    route(
        "POST",
        "/admin/users/{id}/enable",
        Owners,
        PathId,
        version_form,
    ),
    route(
        "POST",
        "/admin/users/{id}/password",
        Owners,
        PathId,
        reset_form,
    ),
    route("GET", "/admin/menus", Owners, Nothing, no_form),
    // A's menu linking B's page.
    route(
        "POST",
        "/admin/menus/{placement}",
        Owners,
        FormReference,
        menu_form,
    ),
    route("GET", "/admin/audit", Owners, Nothing, no_form),
    route("GET", "/admin/audit.csv", Owners, Nothing, no_form),
    route("GET", "/admin/export", Owners, Nothing, no_form),
    route("POST", "/admin/export", Owners, Nothing, no_form),
    // Another archive than A's ready one (none is).
    route(
        "GET",
        "/admin/export/{id}/download",
        Owners,
        PathId,
        no_form,
    ),
    route("GET", "/admin/domains", Owners, Nothing, no_form),
    // Adding B's domain on A's admin: refused without naming B.
    route("POST", "/admin/domains", Owners, FormReference, domain_form),
    route(
        "POST",
        "/admin/domains/{host}/check",
        Owners,
        PathId,
        no_form,
    ),
    route(
        "POST",
        "/admin/domains/{host}/primary",
        Owners,
        PathId,
        no_form,
    ),
    route(
        "POST",
        "/admin/domains/{host}/remove",
        Owners,
        PathId,
        no_form,
    ),
    route("GET", "/admin/import", Owners, Nothing, no_form),
    route("POST", "/admin/import", Owners, Nothing, no_form),
    route("GET", "/admin/import/{id}", Owners, PathId, no_form),
    route("POST", "/admin/import/{id}/apply", Owners, PathId, no_form),
];

// ------------------------------------------------------------------------------------------------
// The routes the code registers

/// `METHOD path` of every route registered under `src/web`, read from the source.
fn registered_routes() -> BTreeSet<String> {
    let route = regex_lite::Regex::new(r#"\.route\(\s*"([^"]*)",\s*web::(get|post)\(\)"#).unwrap();
    let page = regex_lite::Regex::new(r#"web::resource\("([^"]*)"\)\.route\(page\(\)"#).unwrap();
    let mut found = BTreeSet::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
    for file in rust_files(&root) {
        let text = std::fs::read_to_string(&file).unwrap();
        let relative = file
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        // The operator console answers on the platform host only, never on a customer's domain
        // (tests/it/platform.rs sends each of its routes to both).
        if relative.starts_with("platform/") {
            continue;
        }
        // The metrics listener is a server of its own (`AGOAT_METRICS_BIND`), never a customer's
        // domain (tests/it/metrics.rs asks `/metrics` on the sites' listener too).
        if relative == "metrics.rs" {
            continue;
        }
        // Posts and pages share their admin pages, registered under both paths.
        let writing = ["admin/posts/", "admin/revisions/", "admin/preview_links/"];
        let prefixes: &[&str] = if writing.iter().any(|w| relative.starts_with(w)) {
            &["/admin/posts", "/admin/pages"]
        } else if relative.starts_with("admin/") {
            &["/admin"]
        } else if relative == "assets.rs" {
            &["/static"]
        } else {
            &[""]
        };
        for caps in route.captures_iter(&text) {
            for prefix in prefixes {
                found.insert(format!("{} {prefix}{}", caps[2].to_uppercase(), &caps[1]));
            }
        }
        for caps in page.captures_iter(&text) {
            found.insert(format!("GET {}{}", prefixes[0], &caps[1]));
        }
        if text.contains(".default_service(web::to(pages::page::page_or_not_found))") {
            found.insert("GET /{page}".to_owned());
        }
    }
    found
}

fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

#[test]
fn the_matrix_lists_every_registered_route() {
    let registered = registered_routes();
    assert!(registered.len() > 50, "routes found: {registered:?}");
    let listed: BTreeSet<String> = MATRIX
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(listed.len(), MATRIX.len(), "a route is listed twice");
    let missing: Vec<_> = registered.difference(&listed).collect();
    let gone: Vec<_> = listed.difference(&registered).collect();
    assert!(
        missing.is_empty(),
        "routes missing from MATRIX: {missing:?}"
    );
    assert!(
        gone.is_empty(),
        "MATRIX lists routes the code no longer has: {gone:?}"
    );
}

// ------------------------------------------------------------------------------------------------
// Customer B's identifiers

/// What customer B owns, as an attacker on A's domain would name it.
struct Foreign {
    post: String,
    post_slug: String,
    /// A published page of B's, and its address.
    page: String,
    page_address: String,
    /// A tag only B's posts have (one published, one draft), in its address form.
    tag: String,
    /// A category only B's products have, in its address form.
    category: String,
    draft: String,
    product: String,
    sku: String,
    user: String,
    owner_email: String,
    change_set: String,
    upload: String,
    /// A site import B uploaded and has not applied.
    site_import: String,
    link: String,
    token: String,
    /// A password reset link and an invitation of B's editor.
    reset_token: String,
    invitation_token: String,
    /// The HTTP verification token of a domain B has claimed (`beta.example`).
    domain_token: String,
    /// An image of B's library and the name of one of its files.
    media: String,
    media_file: String,
}

impl Foreign {
    /// The path of `route` naming B's things; panics on a placeholder it does not know.
    fn fill(&self, route: &Route) -> String {
        let path = route.path;
        if path == "/.well-known/agoat/tls-allowed" {
            return format!("{path}?domain=beta.test");
        }
        if path == "/search" {
            // Words of B's post, product and names, any of which would do.
            return "/search?q=beta%20OR%20post%20OR%20product%20OR%20description%20OR%20labs"
                .to_owned();
        }
        let id = if path.starts_with("/admin/posts/") {
            &self.post
        } else if path.starts_with("/admin/pages/") {
            &self.page
        } else if path.starts_with("/admin/media/") {
            &self.media
        } else if path.starts_with("/admin/products/change-sets/") {
            &self.change_set
        } else if path.starts_with("/admin/products/import/") {
            &self.upload
        } else if path.starts_with("/admin/import/") {
            &self.site_import
        } else if path.starts_with("/admin/products/") {
            &self.product
        } else {
            &self.user
        };
        let filled = path
            .replace("{id}", id)
            .replace("{number}", "1")
            .replace("{link_id}", &self.link)
            .replace("{slug}", &self.post_slug)
            .replace("{page}", &self.page_address)
            .replace("{placement}", "header")
            .replace("{tag}", &self.tag)
            .replace("{category}", &self.category)
            .replace("{sku}", &self.sku)
            .replace("{host}", "beta.test")
            .replace(
                "{token}",
                if path.starts_with("/admin/password/reset/") {
                    &self.reset_token
                } else if path.starts_with("/admin/invitation/") {
                    &self.invitation_token
                } else if path.starts_with("/.well-known/agoat-verification/") {
                    &self.domain_token
                } else {
                    &self.token
                },
            )
            .replace(
                "{name}",
                if path.starts_with("/media/") {
                    &self.media_file
                } else {
                    "admin.css"
                },
            );
        assert!(
            !filled.contains('{'),
            "teach Foreign::fill the placeholder in {path}"
        );
        if filled.ends_with("/compare") {
            format!("{filled}?from=1&to=1")
        } else {
            filled
        }
    }

    /// Text that only B's data contains: none of it may appear in a response on A's domain.
    fn markers(&self) -> Vec<String> {
        let mut markers: Vec<String> = [
            "Beta Labs",
            "Beta Blog",
            "beta.test",
            "Title of beta-post",
            "Title of beta-draft",
            "Product BETA-1",
            "Description of BETA-1",
            "Beta spring prices",
            "beta-secret.csv",
            "beta-secret.png",
            "beta-secret.xml",
            "Beta Only Tag",
            "Beta Draft Tag",
            "Title of beta-about",
        ]
        .map(str::to_owned)
        .to_vec();
        markers.extend([
            self.post.clone(),
            self.page.clone(),
            self.draft.clone(),
            self.product.clone(),
            self.user.clone(),
            self.change_set.clone(),
            self.upload.clone(),
            self.site_import.clone(),
            self.link.clone(),
            self.token.clone(),
            self.reset_token.clone(),
            self.invitation_token.clone(),
            self.media.clone(),
            self.media_file.clone(),
        ]);
        markers
    }
}

/// Two customers; B has a published post with a tag of its own, a published page, a draft with a preview link and
/// a tag of its own, a product whose price an import changed (a change set) and whose gallery
/// shows B's image, a pending CSV upload, and an owner and an editor.
/// A has one user per role.
async fn world(app: &TestApp) -> (TwoTenants, Foreign) {
    let t = two_tenants(app).await;
    app.state
        .served_hosts
        .refresh(&app.pool)
        .await
        .expect("the served hosts load");
    let mut tagged = post_input("beta-tagged", Some(minutes_ago(30)));
    tagged.tags = vec!["Beta Only Tag".into()];
    app.save_post(t.b, t.b_site, tagged).await;
    let mut draft = post_input("beta-draft", None);
    draft.tags = vec!["Beta Draft Tag".into()];
    let draft = app.save_post(t.b, t.b_site, draft).await;
    for (email, role) in [
        ("owner@alpha.test", Role::Owner),
        ("editor@alpha.test", Role::Editor),
        ("pricing@alpha.test", Role::Pricing),
    ] {
        app.user(t.a, email, role, STAFF_PASSWORD).await;
    }
    app.user(t.b, "owner@beta.test", Role::Owner, STAFF_PASSWORD)
        .await;
    let user = app
        .user(t.b, "editor@beta.test", Role::Editor, STAFF_PASSWORD)
        .await;
    let (change_set, upload, link) = b_catalog_and_link(app, &t, draft).await;
    let page = app
        .save_page(
            t.b,
            t.b_site,
            post_input("beta-about", Some(minutes_ago(30))),
        )
        .await;
    let picture = crate::media::picture(40, 30, image::ImageFormat::Png);
    let media = crate::media::add_image(app, t.b, "beta-secret.png", picture).await;
    app.in_scope(t.b, move |conn, scope| {
        async move {
            let product = products::by_skus(conn, scope, &["BETA-1".to_owned()]).await?;
            gallery::set(conn, scope, &product[0], &[media], &actor()).await
        }
        .scope_boxed()
    })
    .await;
    let (reset_token, invitation_token) = app
        .in_scope(t.b, move |conn, scope| {
            async move {
                use agoat::tenancy::account_tokens::{Purpose, issue};
                let reset = issue(conn, scope, user, Purpose::PasswordReset, None).await?;
                let invitation = issue(conn, scope, user, Purpose::Invitation, None).await?;
                Ok((reset, invitation))
            }
            .scope_boxed()
        })
        .await;
    let domain_token = app
        .in_scope(t.b, move |conn, scope| {
            async move {
                let site = t.b_site;
                agoat::tenancy::domains::claim(conn, scope, site, "beta.example", &actor()).await
            }
            .scope_boxed()
        })
        .await
        .token
        .expect("a claim has a token");
    let foreign = Foreign {
        post: post_id(app, "beta-post").await,
        post_slug: "beta-post".into(),
        page: page.id.to_string(),
        page_address: "beta-about".into(),
        tag: "beta-only-tag".into(),
        category: "minerals".into(),
        draft: post_id(app, "beta-draft").await,
        product: sql_text(
            app,
            "SELECT id::text AS s FROM thorne.products WHERE sku = 'BETA-1'",
        )
        .await,
        sku: "BETA-1".into(),
        user: user.to_string(),
        owner_email: "owner@beta.test".into(),
        change_set,
        upload,
        site_import: b_site_import(app, &t).await,
        link: link.link.id.to_string(),
        token: link.token,
        reset_token,
        invitation_token,
        domain_token,
        media: media.to_string(),
        media_file: sql_text(app, "SELECT min(name) AS s FROM content.media_files").await,
    };
    (t, foreign)
}

/// A WordPress export B uploaded to import into its site, not applied.
async fn b_site_import(app: &TestApp, t: &TwoTenants) -> String {
    use agoat::import::apply::Report;
    use agoat::import::convert::Source;
    use agoat::import::uploads::{self, NewFile, NewUpload};
    let folder = tempfile::tempdir().unwrap();
    let export = folder.path().join("beta-secret.xml");
    std::fs::write(&export, "<rss version=\"2.0\"><channel></channel></rss>").unwrap();
    let site = t.b_site;
    app.in_scope(t.b, move |conn, scope| {
        let export = export.clone();
        async move {
            let new = NewUpload {
                site,
                source: Source::WordPress,
                export: NewFile {
                    name: "beta-secret.xml",
                    path: &export,
                },
                archive: None,
                report: &Report::default(),
            };
            let upload = uploads::store(conn, scope, &new, &actor()).await?;
            Ok(upload.id.to_string())
        }
        .scope_boxed()
    })
    .await
}

async fn post_id(app: &TestApp, slug: &str) -> String {
    let sql = format!("SELECT id::text AS s FROM content.posts WHERE slug = '{slug}'");
    sql_text(app, &sql).await
}

/// B's change set (an import raising BETA-1), a pending upload and a preview link of the draft.
async fn b_catalog_and_link(
    app: &TestApp,
    t: &TwoTenants,
    draft: Post,
) -> (String, String, preview_links::CreatedLink) {
    const CSV: &[u8] = b"sku,name,description,category,wholesale_price,retail_price,in_stock\n\
        BETA-1,Product BETA-1,Description of BETA-1,Minerals,11.00,21.00,true\n";
    app.in_scope(t.b, move |conn, scope| {
        let draft = draft.clone();
        async move {
            let note = csv_import::ImportNote {
                name: "Beta spring prices",
                reason: "supplier",
            };
            let parsed = csv_import::parse_all(CSV);
            let plan = csv_import::plan(conn, scope, &parsed).await?;
            let report = csv_import::write(conn, scope, &plan, note, &actor()).await?;
            let upload = csv_uploads::store(
                conn,
                scope,
                "beta-secret.csv",
                CSV,
                serde_json::json!({}),
                &actor(),
            )
            .await?;
            let link =
                preview_links::create(conn, scope, &draft, chrono::Duration::hours(2), &actor())
                    .await?;
            let set = report.change_set.expect("the import made a change set");
            Ok((set.to_string(), upload.id.to_string(), link))
        }
        .scope_boxed()
    })
    .await
}

// ------------------------------------------------------------------------------------------------
// Requests

/// A signed-in user (or a visitor with an anonymous session) sending fixed requests: unlike a browser it
/// never updates its cookie, so a response that ends the session cannot affect the next case.
struct Caller {
    label: &'static str,
    role: Option<Role>,
    cookie: Option<String>,
    csrf_token: Option<String>,
}

impl Caller {
    fn may_use(&self, route: &Route) -> bool {
        match (route.who, self.role) {
            (Anyone, _) => true,
            (_, None) => false,
            (_, Some(Role::Owner)) | (SignedIn, Some(_)) => true,
            (Editors, Some(role)) => role == Role::Editor,
            (PricingStaff, Some(role)) => role == Role::Pricing,
            (Owners, Some(_)) => false,
        }
    }
}

/// A visitor with the anonymous session the sign-in page starts (so that its forms pass the CSRF
/// check and reach the handler).
async fn visitor(app: &TestApp) -> Caller {
    let mut browser = app.browser("alpha.test");
    let page = browser.get("/admin/login").await;
    Caller {
        label: "a visitor",
        role: None,
        csrf_token: page.attr("input[name=csrf_token]", "value"),
        cookie: browser.cookie,
    }
}

async fn sign_in(app: &TestApp, email: &str, role: Role, label: &'static str) -> Caller {
    let mut browser = app.browser("alpha.test");
    browser.sign_in(email, STAFF_PASSWORD).await;
    let dashboard = browser.get("/admin").await;
    Caller {
        label,
        role: Some(role),
        csrf_token: dashboard.attr("input[name=csrf_token]", "value"),
        cookie: browser.cookie,
    }
}

async fn send(app: &TestApp, caller: &Caller, host: &str, route: &Route, f: &Foreign) -> Response {
    let fields = (route.form)(f);
    send_as(app, caller, host, route.method, &f.fill(route), &fields).await
}

/// `method path` with these form fields (POST) as `caller`, who adds its CSRF token.
async fn send_as(
    app: &TestApp,
    caller: &Caller,
    host: &str,
    method: &str,
    path: &str,
    fields: &[(&str, String)],
) -> Response {
    let mut request = match method {
        "GET" => TestRequest::get().uri(path),
        _ => {
            let mut fields = fields.to_vec();
            if let Some(token) = &caller.csrf_token {
                fields.push(("csrf_token", token.clone()));
            }
            let body = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(fields.iter().map(|(k, v)| (*k, v.as_str())))
                .finish();
            TestRequest::post()
                .uri(path)
                .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
                .set_payload(body)
        }
    };
    request = request
        .insert_header(("Host", host))
        .peer_addr("198.51.100.9:40000".parse().unwrap());
    if let Some(cookie) = &caller.cookie {
        request = request.insert_header(("Cookie", cookie.as_str()));
    }
    app.send(request).await
}

/// What `caller` must get from `route` on A's domain with B's identifiers; `Err` says why not.
fn check_on_own_domain(caller: &Caller, route: &Route, res: &Response) -> Result<(), String> {
    let status = res.status;
    let allowed = caller.may_use(route);
    let redirect_to_sign_in = status == 303
        && res
            .header("location")
            .is_some_and(|l| l.starts_with("/admin/login"));
    match (route.presents, allowed, caller.role) {
        (NotTenant, ..) => ok_if(status == 200, "200"),
        (_, false, None) => ok_if(redirect_to_sign_in, "303 to sign-in"),
        (_, false, Some(_)) => ok_if(status == 403, "403"),
        (PathId, true, _) => ok_if(status == 404, "404"),
        (FormReference, true, _) => ok_if(
            (400..500).contains(&status) || status == 200,
            "a refusal or a page without B's data",
        ),
        (Nothing, true, _) => ok_if(status == 200, "200"),
    }
}

fn ok_if(condition: bool, expected: &str) -> Result<(), String> {
    if condition {
        Ok(())
    } else {
        Err(format!("expected {expected}"))
    }
}

/// Whether `route` is sent by `caller` on A's domain: public routes by the visitor only, and
/// writes that name nothing of B only by callers they must refuse (sent by anyone else they would
/// rightly change A's data).
fn is_sent(caller: &Caller, route: &Route) -> bool {
    if route.who == Anyone {
        return caller.role.is_none();
    }
    let own_write = route.method == "POST" && route.presents == Nothing;
    !(own_write && caller.may_use(route))
}

#[actix_web::test]
async fn a_caller_of_one_customer_reaches_nothing_of_another() {
    let app = TestApp::new().await;
    let (t, foreign) = world(&app).await;
    let callers = [
        visitor(&app).await,
        sign_in(&app, "owner@alpha.test", Role::Owner, "A's owner").await,
        sign_in(&app, "editor@alpha.test", Role::Editor, "A's editor").await,
        sign_in(
            &app,
            "pricing@alpha.test",
            Role::Pricing,
            "A's pricing staff",
        )
        .await,
    ];
    // What the requests themselves name may be shown back: a form keeps what was typed, and A's
    // audit log records the e-mail address of a refused sign-in.
    let presented: String = MATRIX
        .iter()
        .flat_map(|route| {
            (route.form)(&foreign)
                .into_iter()
                .map(|(_, value)| value)
                .chain([foreign.fill(route)])
        })
        .collect::<Vec<_>>()
        .join(" ");
    let markers: Vec<String> = foreign
        .markers()
        .into_iter()
        .filter(|m| !presented.contains(m.as_str()))
        .collect();
    assert!(markers.len() >= 8, "markers left to look for: {markers:?}");
    let b_before = database_digest(&app, Some(t.b)).await;
    let mut before = database_digest(&app, None).await;
    let mut failures = Vec::new();
    let mut sent = 0;
    for route in MATRIX {
        for caller in &callers {
            if !is_sent(caller, route) {
                continue;
            }
            sent += 1;
            let res = send(&app, caller, "alpha.test", route, &foreign).await;
            let case = format!(
                "{} {} as {}",
                route.method,
                foreign.fill(route),
                caller.label
            );
            if let Err(why) = check_on_own_domain(caller, route, &res) {
                failures.push(format!("{case}: {why}, got {}", res.status));
            }
            let leaked: Vec<&String> = markers
                .iter()
                .filter(|m| res.body.contains(m.as_str()))
                .collect();
            if !leaked.is_empty() {
                failures.push(format!("{case}: the response shows B's {leaked:?}"));
            }
            let after = database_digest(&app, None).await;
            if after != before {
                // Only a page of A's own that the caller may use may write (an export is
                // audited, say), and never anything of B's.
                let own_page = route.presents == Nothing && caller.may_use(route);
                if !own_page || database_digest(&app, Some(t.b)).await != b_before {
                    failures.push(format!("{case}: the database changed"));
                }
                before = after;
            }
        }
    }
    assert!(sent > 150, "only {sent} cases were sent");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        sql_text(&app, "SELECT count(*)::text AS s FROM tenancy.mail_outbox").await,
        "0",
        "no mail was queued"
    );
}

#[actix_web::test]
async fn a_session_of_one_customer_is_no_session_on_another_customers_domain() {
    let app = TestApp::new().await;
    let (_t, foreign) = world(&app).await;
    let callers = [
        sign_in(&app, "owner@alpha.test", Role::Owner, "A's owner").await,
        sign_in(&app, "editor@alpha.test", Role::Editor, "A's editor").await,
        sign_in(
            &app,
            "pricing@alpha.test",
            Role::Pricing,
            "A's pricing staff",
        )
        .await,
    ];
    let before = database_digest(&app, None).await;
    let mut failures = Vec::new();
    let admin_routes = MATRIX
        .iter()
        .filter(|r| r.path.starts_with("/admin") && r.who != Anyone);
    for route in admin_routes {
        for caller in &callers {
            let res = send(&app, caller, "beta.test", route, &foreign).await;
            let to_sign_in = res.status == 303
                && res
                    .header("location")
                    .is_some_and(|l| l.starts_with("/admin/login"));
            if !to_sign_in {
                failures.push(format!(
                    "{} {} on beta.test as {}: expected 303 to sign-in, got {}",
                    route.method,
                    foreign.fill(route),
                    caller.label,
                    res.status
                ));
            }
            if database_digest(&app, None).await != before {
                failures.push(format!(
                    "{} {}: the database changed",
                    route.method, route.path
                ));
                break;
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ------------------------------------------------------------------------------------------------
// Control characters

/// Control characters as they arrive percent-encoded in an address, and as form values carry
/// them: NUL (which PostgreSQL refuses in text), BEL, ESC, a line break in an address (a vertical
/// tab in a form, whose fields may span lines), DEL and a C1 control.
const CONTROL: [(&str, &str); 6] = [
    ("%00", "\0"),
    ("%07", "\u{7}"),
    ("%1B", "\u{1b}"),
    ("%0A", "\u{b}"),
    ("%7F", "\u{7f}"),
    ("%C2%85", "\u{85}"),
];

/// A form's fields.
type Fields = Vec<(&'static str, String)>;

/// The requests of `route` with a control character in the path, in a query parameter and (for a
/// POST) in each form field: `(what, path, fields)`.
fn with_control_characters(
    route: &Route,
    f: &Foreign,
    turn: usize,
) -> Vec<(String, String, Fields)> {
    let (encoded, raw) = CONTROL[turn % CONTROL.len()];
    let filled = f.fill(route);
    let (path, query) = filled.split_once('?').unwrap_or((&filled, ""));
    let form = (route.form)(f);
    let mut cases = vec![
        (
            "the path".to_owned(),
            format!("{path}{encoded}{}", if query.is_empty() { "" } else { "?" }) + query,
            form.clone(),
        ),
        (
            "a query parameter".to_owned(),
            format!(
                "{path}?{query}{}q=x{encoded}",
                if query.is_empty() { "" } else { "&" }
            ),
            form.clone(),
        ),
    ];
    if route.method == "POST" {
        let mut extra = form.clone();
        extra.push(("note", format!("a{raw}b")));
        cases.push(("an extra field".to_owned(), filled.clone(), extra));
        for (i, (name, value)) in form.iter().enumerate() {
            let mut fields = form.clone();
            fields[i].1 = format!("{value}{raw}");
            cases.push((format!("the field {name}"), filled.clone(), fields));
        }
    }
    cases
}

#[actix_web::test]
async fn a_control_character_anywhere_is_a_400_on_every_route_for_every_caller() {
    let app = TestApp::new().await;
    let (_t, foreign) = world(&app).await;
    let callers = [
        visitor(&app).await,
        sign_in(&app, "owner@alpha.test", Role::Owner, "A's owner").await,
        sign_in(&app, "editor@alpha.test", Role::Editor, "A's editor").await,
        sign_in(
            &app,
            "pricing@alpha.test",
            Role::Pricing,
            "A's pricing staff",
        )
        .await,
    ];
    let sign_ins = "SELECT count(*)::text AS s FROM audit.events WHERE entity = 'sign_in'";
    let sign_ins_before = sql_text(&app, sign_ins).await;
    let before = database_digest(&app, None).await;
    let mut failures = Vec::new();
    let mut sent = 0;
    for route in MATRIX {
        for (turn, caller) in callers.iter().enumerate() {
            for (what, path, fields) in with_control_characters(route, &foreign, sent + turn) {
                sent += 1;
                let res = send_as(&app, caller, "alpha.test", route.method, &path, &fields).await;
                let refused = res.status == 400
                    && res.error_message().contains("contains a control character");
                if !refused {
                    failures.push(format!(
                        "{} {path} as {} with a control character in {what}: expected 400, got {}",
                        route.method, caller.label, res.status
                    ));
                }
            }
        }
        if database_digest(&app, None).await != before {
            failures.push(format!(
                "{} {}: the database changed",
                route.method, route.path
            ));
            break;
        }
    }
    assert_eq!(
        sql_text(&app, sign_ins).await,
        sign_ins_before,
        "no sign-in was tried"
    );
    assert!(sent > 500, "only {sent} cases were sent");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
