//! The branding of the site the admin runs on, under `/admin/settings/branding` (owners): its
//! title, tagline, logo, favicon and default share image (images of the media library), accent
//! colour, footer text, social links, language, time zone, the number of posts its feeds carry,
//! and the language its posts are searched in. `POST` saves them all at the version of the site
//! the form was loaded at through [`branding::save`]: a refused field answers 422 with the reason
//! and the form as typed, a stale form 409, and nothing changes either way.
//!
//! A saved change shows on this server's next request (the write commits through the tenant
//! transaction, which the page cache watches, and the host directory is cleared) and on every
//! other server within the directory's and the page cache's lifetimes, under a second.

use actix_http::StatusCode;
use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;
use uuid::Uuid;

use crate::branding::{self, Branding, Input};
use crate::error::{AppError, AppResult};
use crate::media::library::{self, Media};
use crate::search::Language;
use crate::tenancy::sites;
use crate::web::admin::layout::AdminLayout;
use crate::web::admin::posts::{see_other, version};
use crate::web::auth::{CurrentUser, session};
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// How many of the newest library images the pickers offer (besides those chosen).
pub const OFFERED_IMAGES: i64 = 200;

/// Registers this part of the admin (paths relative to `/admin`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings/branding", web::get().to(page))
        .route("/settings/branding", web::post().to(save));
}

/// An image a picker offers.
pub struct ImageChoice {
    pub id: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "admin/branding.html")]
pub struct BrandingPage {
    pub layout: AdminLayout,
    pub version: i32,
    pub form: Input,
    pub images: Vec<ImageChoice>,
    pub search_languages: Vec<&'static str>,
    pub time_zones: Vec<&'static str>,
    pub error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct BrandingForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    tagline: String,
    #[serde(default)]
    logo: String,
    #[serde(default)]
    favicon: String,
    #[serde(default)]
    share_image: String,
    #[serde(default)]
    accent: String,
    #[serde(default)]
    footer: String,
    #[serde(default)]
    social_links: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    feed_length: String,
    #[serde(default)]
    search_language: String,
    version: Option<String>,
}

impl BrandingForm {
    fn input(&self) -> Input {
        Input {
            title: self.title.clone(),
            tagline: self.tagline.clone(),
            logo: self.logo.clone(),
            favicon: self.favicon.clone(),
            share_image: self.share_image.clone(),
            accent: self.accent.clone(),
            footer_markdown: self.footer.clone(),
            social_links: self.social_links.clone(),
            language: self.language.clone(),
            time_zone: self.time_zone.clone(),
            feed_length: self.feed_length.clone(),
            search_language: self.search_language.clone(),
        }
    }
}

/// The site as stored, and the images the pickers offer.
struct Loaded {
    version: i32,
    stored: Input,
    images: Vec<Media>,
}

/// The form's fields as stored.
fn as_typed(name: &str, search_language: Language, b: &Branding) -> Input {
    let id = |id: Option<Uuid>| id.map(|id| id.to_string()).unwrap_or_default();
    Input {
        title: name.to_owned(),
        tagline: b.tagline.clone(),
        logo: id(b.logo),
        favicon: id(b.favicon),
        share_image: id(b.share_image),
        accent: b.accent.clone().unwrap_or_default(),
        footer_markdown: b.footer_markdown.clone(),
        social_links: b.social_links.join("\n"),
        language: b.language.clone(),
        time_zone: b.time_zone.clone(),
        feed_length: b.feed_length.to_string(),
        search_language: search_language.config().to_owned(),
    }
}

async fn load(state: &AppState, site: &RequestSite) -> AppResult<Loaded> {
    let (scope, site_id) = (site.ctx.scope, site.ctx.site_id);
    state
        .db
        .tenant_read(scope, |conn| {
            async move {
                let stored = sites::find(conn, scope, site_id).await?;
                let search_language = sites::search_language(conn, scope, site_id).await?;
                let branding = branding::of_site(conn, scope, site_id).await?;
                let mut images = library::newest(conn, scope, OFFERED_IMAGES).await?;
                let chosen: Vec<Uuid> = [branding.logo, branding.favicon, branding.share_image]
                    .into_iter()
                    .flatten()
                    .filter(|id| !images.iter().any(|m| m.id == *id))
                    .collect();
                images.extend(library::find_many(conn, scope, &chosen).await?);
                Ok(Loaded {
                    version: stored.version,
                    stored: as_typed(&stored.name, search_language, &branding),
                    images,
                })
            }
            .scope_boxed()
        })
        .await
}

fn render(
    site: &RequestSite,
    user: &CurrentUser,
    session: &Session,
    loaded: Loaded,
    shown: Input,
    error: Option<String>,
) -> AppResult<String> {
    response::render(&BrandingPage {
        layout: AdminLayout::new("Branding", site, user, session),
        version: loaded.version,
        form: shown,
        images: loaded
            .images
            .iter()
            .map(|m| ImageChoice {
                id: m.id.to_string(),
                label: format!("{} ({} × {})", m.original_name, m.width, m.height),
            })
            .collect(),
        search_languages: Language::ALL.iter().map(|l| l.config()).collect(),
        time_zones: chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect(),
        error,
    })
}

pub async fn page(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
) -> AppResult<HttpResponse> {
    user.require(&[])?;
    let loaded = load(&state, &site).await?;
    let stored = loaded.stored.clone();
    let body = render(&site, &user, &session, loaded, stored, None)?;
    Ok(response::private_html(body))
}

pub async fn save(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    form: web::Form<BrandingForm>,
) -> AppResult<HttpResponse> {
    user.require(&[])?;
    let version = version(form.version.as_deref())?;
    let input = form.input();
    let (scope, site_id, actor) = (user.scope, site.ctx.site_id, user.actor.clone());
    let saved = state
        .db
        .tenant_tx(scope, |conn| {
            let (input, actor) = (&input, &actor);
            async move { branding::save(conn, scope, site_id, version, input, actor).await }
                .scope_boxed()
        })
        .await;
    let (status, message) = match saved {
        Ok(_) => {
            state.directory.invalidate();
            session::flash(&session, "Branding saved.");
            return Ok(see_other("/admin/settings/branding"));
        }
        Err(AppError::Invalid(message)) => (StatusCode::UNPROCESSABLE_ENTITY, message),
        Err(AppError::Conflict(message)) => (
            StatusCode::CONFLICT,
            format!(
                "{message}: the form shows what you typed over the stored version; save again \
                 to keep it."
            ),
        ),
        Err(other) => return Err(other),
    };
    let loaded = load(&state, &site).await?;
    let body = render(&site, &user, &session, loaded, input, Some(message))?;
    Ok(response::private_html_status(status, body))
}
