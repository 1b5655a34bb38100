//! `/{address}`: a published page of the site (`/about`, `/about/team`) — title, body, featured
//! image, and the trail of the visible pages above it. No date, no tags.
//!
//! Reached only when no route of the product answers the address (it is the router's default
//! service), so a page never shadows a route. Drafts, pages scheduled for later, pages in the
//! trash and other sites' pages are the site's 404; an old address of a published page answers
//! 301 to its current one, and so does the address with a trailing slash (`/about/`). An address
//! an imported site had ([`crate::content::old_addresses`]) answers 301 to where it now leads.

use actix_web::http::Method;
use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;

use crate::content::pages::{self, Crumb};
use crate::content::posts::{Kind, PublicPost};
use crate::content::{old_addresses, slug_redirects};
use crate::error::{AppError, AppResult};
use crate::media::pictures::{self, Pictures};
use crate::web::pages::{Layout, ShareImage};
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

#[derive(Template)]
#[template(path = "site/page.html")]
pub struct PageView {
    pub layout: Layout,
    pub title: String,
    pub body_html: String,
    /// The featured image's `<picture>`.
    pub featured_html: Option<String>,
    /// The visible pages above this one, outermost first.
    pub trail: Vec<Crumb>,
    /// The name the page is signed with, if any.
    pub byline: Option<String>,
}

impl PageView {
    /// The view of `page` on `site`, with the pages above it; the previews use it too, with
    /// `noindex`.
    pub fn of(
        site: &RequestSite,
        page: PublicPost,
        pictures: &Pictures,
        trail: Vec<Crumb>,
        noindex: bool,
    ) -> PageView {
        let own_image = page
            .featured_media_id
            .and_then(|id| pictures.with_files(id))
            .and_then(|(media, files)| ShareImage::of(site, media, files));
        let mut layout = Layout::new(
            site,
            &format!("{} · {}", page.title, site.ctx.site_name),
            &page.description,
            &pages::href(&page.slug),
        )
        .with_own_image(own_image);
        layout.noindex = noindex;
        let featured = page
            .featured_media_id
            .and_then(|id| pictures.shown(id, pictures::BODY_SIZES));
        PageView {
            layout,
            title: page.title,
            body_html: page.body_html,
            featured_html: featured.map(|f| f.html),
            trail,
            byline: Some(page.byline).filter(|b| !b.is_empty()),
        }
    }
}

/// What an address leads to.
enum Found {
    Page(Box<(PublicPost, Pictures, Vec<Crumb>)>),
    /// Elsewhere: an old address, or the address with a trailing slash.
    Moved(String),
}

/// The router's default service: the page at the address, else the site's 404.
pub async fn page_or_not_found(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: Option<web::ReqData<RequestSite>>,
) -> AppResult<HttpResponse> {
    let Some(site) = site else {
        return Err(AppError::NotFound);
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Err(AppError::NotFound);
    }
    let wanted = wanted_address(req.path());
    let old = old_addresses::normalize(req.path(), req.query_string());
    let (scope, site_id) = (site.ctx.scope, site.ctx.site_id);
    let found = state
        .db
        .visitor_read(scope, |conn| {
            let (wanted, old) = (&wanted, &old);
            async move {
                let moved_from_import = async |conn: &mut crate::db::Conn| {
                    let Some(old) = old else {
                        return Err(AppError::NotFound);
                    };
                    match old_addresses::current_target(conn, scope, site_id, old).await? {
                        Some(target) => Ok(Found::Moved(target)),
                        None => Err(AppError::NotFound),
                    }
                };
                let Some(wanted) = wanted else {
                    return moved_from_import(conn).await;
                };
                let address = wanted.address.as_str();
                match pages::visible_by_address(conn, scope, site_id, address).await {
                    Ok(page) if wanted.trailing_slash => Ok(Found::Moved(pages::href(&page.slug))),
                    Ok(page) => {
                        let featured: Vec<_> = page.featured_media_id.into_iter().collect();
                        let pictures = Pictures::load(conn, scope, &featured).await?;
                        let trail = pages::visible_trail(conn, scope, site_id, address).await?;
                        Ok(Found::Page(Box::new((page, pictures, trail))))
                    }
                    Err(AppError::NotFound) => {
                        match slug_redirects::target(conn, scope, site_id, Kind::Page, address)
                            .await?
                        {
                            Some(current) => Ok(Found::Moved(pages::href(&current))),
                            None => moved_from_import(conn).await,
                        }
                    }
                    Err(other) => Err(other),
                }
            }
            .scope_boxed()
        })
        .await?;
    match found {
        Found::Page(found) => {
            let (page, pictures, trail) = *found;
            let room = page.body_html.len();
            let view = PageView::of(&site, page, &pictures, trail, false);
            let body = response::render_with_room(&view, room)?;
            Ok(response::html(&req, body))
        }
        Found::Moved(location) => Ok(HttpResponse::MovedPermanently()
            .insert_header((LOCATION, location))
            .insert_header((CACHE_CONTROL, "public, max-age=60"))
            .finish()),
    }
}

/// The page address a request path names.
#[derive(Debug, PartialEq, Eq)]
struct Wanted {
    address: String,
    trailing_slash: bool,
}

/// The address of `path` without its leading slash (and one trailing slash), when it could be a
/// page's; the path arrives percent-decoded by the router only for matched segments, so an
/// encoded character is simply not a page.
fn wanted_address(path: &str) -> Option<Wanted> {
    let rest = path.strip_prefix('/')?;
    let (address, trailing_slash) = match rest.strip_suffix('/') {
        Some(address) => (address, true),
        None => (rest, false),
    };
    pages::check_address(address).ok()?;
    Some(Wanted {
        address: address.to_owned(),
        trailing_slash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_of_paths() {
        let wanted = |address: &str, trailing_slash| {
            Some(Wanted {
                address: address.into(),
                trailing_slash,
            })
        };
        assert_eq!(wanted_address("/about"), wanted("about", false));
        assert_eq!(wanted_address("/about/team"), wanted("about/team", false));
        assert_eq!(wanted_address("/about/"), wanted("about", true));
        assert_eq!(wanted_address("/"), None);
        assert_eq!(wanted_address("//"), None);
        assert_eq!(wanted_address("/about//"), None);
        assert_eq!(wanted_address("/About"), None);
        assert_eq!(wanted_address("/admin"), None);
        assert_eq!(wanted_address("/%61bout"), None);
    }
}
