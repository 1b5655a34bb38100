//! `GET /admin/media/{id}`: one image — its preview, the files made from it, the Markdown that
//! shows it in a post, the posts and the product galleries that use it, the alt text and caption
//! form and the delete button.
//! `POST /admin/media/{id}`: saves the alt text and caption at the version the form was loaded
//! at; a bad field is a 422 with the form again, a stale version a 409.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;
use uuid::Uuid;

use crate::branding;
use crate::content::posts::Kind;
use crate::error::{AppError, AppResult};
use crate::media::library::{self, Media, MediaFile, Use};
use crate::media::pictures;
use crate::tenancy::Scope;
use crate::thorne::gallery;
use crate::thorne::products::Product;
use crate::web::AppState;
use crate::web::admin::layout::AdminLayout;
use crate::web::admin::media::{ROLES, human_size, media_id};
use crate::web::admin::posts::see_other;
use crate::web::auth::CurrentUser;
use crate::web::auth::session::flash;
use crate::web::pages::display_time;
use crate::web::response;
use crate::web::site::RequestSite;

#[derive(Debug, Deserialize)]
pub struct TextForm {
    pub version: String,
    #[serde(default)]
    pub alt_text: String,
    #[serde(default)]
    pub caption: String,
}

/// A file made from the image.
pub struct FileRow {
    pub url: String,
    pub format: String,
    pub pixels: String,
    pub size: String,
}

/// A post that shows the image.
pub struct UseRow {
    pub url: String,
    pub title: String,
}

/// A site whose branding shows the image, and as what; its branding form is linked when it is the
/// site this admin runs on (another site's is in the admin on its own domain).
pub struct SiteUseRow {
    pub url: Option<String>,
    pub title: String,
}

#[derive(Template)]
#[template(path = "admin/media/edit.html")]
pub struct EditPage {
    pub layout: AdminLayout,
    pub id: String,
    pub name: String,
    pub preview: Option<String>,
    pub format: String,
    pub pixels: String,
    pub size: String,
    pub uploaded: String,
    pub uploaded_by: String,
    pub markdown: String,
    pub alt_text: String,
    pub caption: String,
    pub version: i32,
    pub files: Vec<FileRow>,
    pub uses: Vec<UseRow>,
    /// The products whose gallery shows the image.
    pub product_uses: Vec<UseRow>,
    /// The sites whose branding shows the image (as logo, favicon or default share image).
    pub site_uses: Vec<SiteUseRow>,
    pub error: Option<String>,
    /// Shown when a delete needs confirming.
    pub confirm_delete: bool,
}

/// What the page shows of an image.
pub struct Loaded {
    pub media: Media,
    pub files: Vec<MediaFile>,
    pub uses: Vec<Use>,
    /// The products whose gallery shows it.
    pub products: Vec<Product>,
    /// The sites whose branding shows it.
    pub sites: Vec<branding::Use>,
}

/// The image, its files and its uses.
pub async fn load(state: &AppState, scope: Scope, id: Uuid) -> AppResult<Loaded> {
    state
        .db
        .tenant_read(scope, |conn| {
            async move {
                let media = library::find(conn, scope, id).await?;
                let files = library::files_of(conn, scope, &[id]).await?;
                let uses = library::uses(conn, scope, id).await?;
                let products = gallery::products_showing(conn, scope, id).await?;
                let sites = branding::uses_of_media(conn, scope, id).await?;
                Ok(Loaded {
                    media,
                    files,
                    uses,
                    products,
                    sites,
                })
            }
            .scope_boxed()
        })
        .await
}

impl EditPage {
    pub fn new(
        site: &RequestSite,
        user: &CurrentUser,
        session: &Session,
        loaded: &Loaded,
        error: Option<String>,
    ) -> EditPage {
        let media = &loaded.media;
        let preview = loaded
            .files
            .iter()
            .filter(|f| f.width <= 1024)
            .max_by_key(|f| f.width)
            .map(pictures::path);
        EditPage {
            layout: AdminLayout::new(
                &format!("Image {}", media.original_name),
                site,
                user,
                session,
            ),
            id: media.id.to_string(),
            name: media.original_name.clone(),
            preview,
            format: media.format.to_uppercase(),
            pixels: format!("{} × {}", media.width, media.height),
            size: human_size(media.size_bytes),
            uploaded: display_time(media.created_at),
            uploaded_by: media.uploaded_by_label.clone(),
            markdown: format!("![{}]({})", media.alt_text, library::reference(media.id)),
            alt_text: media.alt_text.clone(),
            caption: media.caption.clone(),
            version: media.version,
            files: loaded
                .files
                .iter()
                .map(|f| FileRow {
                    url: pictures::path(f),
                    format: f.format.to_uppercase(),
                    pixels: format!("{} × {}", f.width, f.height),
                    size: human_size(f.size_bytes),
                })
                .collect(),
            uses: loaded
                .uses
                .iter()
                .map(|u| UseRow {
                    url: format!("{}/{}/edit", Kind::parse(&u.kind).admin_base(), u.post_id),
                    title: u.title.clone(),
                })
                .collect(),
            product_uses: loaded
                .products
                .iter()
                .map(|p| UseRow {
                    url: format!("/admin/products/{}", p.id),
                    title: format!("{} ({})", p.name, p.sku),
                })
                .collect(),
            site_uses: loaded
                .sites
                .iter()
                .map(|u| SiteUseRow {
                    url: (u.site_id == site.ctx.site_id.as_uuid())
                        .then(|| "/admin/settings/branding".to_owned()),
                    title: format!("{} ({})", u.site_name, u.roles.join(", ")),
                })
                .collect(),
            error,
            confirm_delete: false,
        }
    }
}

pub async fn page(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    user.require(ROLES)?;
    let loaded = load(&state, user.scope, media_id(&path)?).await?;
    response::private_page(
        StatusCode::OK,
        &EditPage::new(&site, &user, &session, &loaded, None),
    )
}

/// The version a form was loaded at.
pub fn version(text: &str) -> AppResult<i32> {
    text.trim()
        .parse()
        .map_err(|_| AppError::BadRequest("the version of the form is not valid".into()))
}

pub async fn save(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    path: web::Path<String>,
    form: web::Form<TextForm>,
) -> AppResult<HttpResponse> {
    user.require(ROLES)?;
    let id = media_id(&path)?;
    let expected = version(&form.version)?;
    let (scope, actor) = (user.scope, &user.actor);
    let saved = state
        .db
        .tenant_tx(scope, |conn| {
            let form = &form;
            async move {
                library::update_text(
                    conn,
                    scope,
                    id,
                    expected,
                    &form.alt_text,
                    &form.caption,
                    actor,
                )
                .await
            }
            .scope_boxed()
        })
        .await;
    match saved {
        Ok(_) => {
            flash(&session, "The alt text and caption were saved.");
            Ok(see_other(&format!("/admin/media/{id}")))
        }
        Err(AppError::Invalid(message)) => {
            let loaded = load(&state, scope, id).await?;
            let mut page = EditPage::new(&site, &user, &session, &loaded, Some(message));
            page.alt_text.clone_from(&form.alt_text);
            page.caption.clone_from(&form.caption);
            response::private_page(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(other) => Err(other),
    }
}
