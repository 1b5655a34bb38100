//! `GET /admin/media`: the library as a grid of thumbnails, newest first, with a search over the
//! file names and alt texts, a type filter and keyset pages (`?after=`/`?before=`, links that keep
//! the search and the filter); above it the upload form.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;

use crate::db::keyset::{PageAt, TimeCursor};
use crate::error::{AppError, AppResult};
use crate::media::library::{self, Filter, Media, MediaFile};
use crate::media::pictures;
use crate::web::admin::layout::AdminLayout;
use crate::web::admin::media::{ROLES, human_size};
use crate::web::admin::pagination::{PageLinks, append_position};
use crate::web::auth::CurrentUser;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// The types the filter offers: the recorded name and its label.
pub const FORMATS: [(&str, &str); 4] = [
    ("jpeg", "JPEG"),
    ("png", "PNG"),
    ("webp", "WebP"),
    ("gif", "GIF"),
];

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    format: Option<String>,
    after: Option<String>,
    before: Option<String>,
}

/// A tile of the grid.
pub struct Tile {
    pub id: String,
    pub name: String,
    pub alt: String,
    pub thumbnail: Option<String>,
    pub size: String,
    pub pixels: String,
    pub missing_alt: bool,
}

/// An option of the type filter.
pub struct FormatOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "admin/media/list.html")]
pub struct ListPage {
    pub layout: AdminLayout,
    pub search: String,
    pub formats: Vec<FormatOption>,
    pub tiles: Vec<Tile>,
    pub pages: PageLinks,
    pub max_size: String,
    pub error: Option<String>,
}

/// The address of a page of the library with this filter.
fn url(filter: &Filter, at: &PageAt<TimeCursor>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    if !filter.search.is_empty() {
        query.append_pair("q", &filter.search);
    }
    if let Some(format) = &filter.format {
        query.append_pair("format", format);
    }
    append_position(&mut query, at, TimeCursor::encode);
    match query.finish() {
        query if query.is_empty() => "/admin/media".to_owned(),
        query => format!("/admin/media?{query}"),
    }
}

/// The filter the address asks for; an unknown type is a 400.
fn filter_of(query: &ListQuery) -> AppResult<Filter> {
    let format = match query.format.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(format) if FORMATS.iter().any(|(value, _)| *value == format) => {
            Some(format.to_owned())
        }
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "unknown type {other:?}: use jpeg, png, webp or gif"
            )));
        }
    };
    Ok(Filter {
        search: query.q.as_deref().unwrap_or("").trim().to_owned(),
        format,
    })
}

fn position(query: &ListQuery) -> AppResult<PageAt<TimeCursor>> {
    PageAt::from_query(query.after.as_deref(), query.before.as_deref(), |text| {
        TimeCursor::decode(text).ok_or_else(|| {
            AppError::BadRequest("the page position in the address is not valid".into())
        })
    })
}

fn tile(media: &Media, files: &[&MediaFile]) -> Tile {
    let thumbnail = files
        .iter()
        .filter(|f| f.media_id == media.id)
        .min_by_key(|f| (f.width, f.size_bytes))
        .map(|f| pictures::path(f));
    Tile {
        id: media.id.to_string(),
        name: media.original_name.clone(),
        alt: media.alt_text.clone(),
        thumbnail,
        size: human_size(media.size_bytes),
        pixels: format!("{} × {}", media.width, media.height),
        missing_alt: media.alt_text.trim().is_empty(),
    }
}

/// Renders the library page for `query` with `error` (from a refused upload) and `status`.
pub async fn render(
    state: &AppState,
    site: &RequestSite,
    user: &CurrentUser,
    session: &Session,
    query: &ListQuery,
    error: Option<String>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let filter = filter_of(query)?;
    let at = position(query)?;
    let scope = user.scope;
    let (window, files) = state
        .db
        .tenant_read(scope, |conn| {
            let filter = &filter;
            async move {
                let window = library::list(conn, scope, filter, at).await?;
                let ids: Vec<_> = window.rows.iter().map(|m| m.id).collect();
                let files = library::files_of(conn, scope, &ids).await?;
                Ok((window, files))
            }
            .scope_boxed()
        })
        .await?;
    let files: Vec<&MediaFile> = files.iter().collect();
    let tiles = window.rows.iter().map(|m| tile(m, &files)).collect();
    let pages = PageLinks::new(
        &at,
        window.previous(library::cursor_of),
        window.next(library::cursor_of),
        |at| url(&filter, &at),
    );
    let page = ListPage {
        layout: AdminLayout::new("Media", site, user, session),
        formats: FORMATS
            .iter()
            .map(|(value, label)| FormatOption {
                value,
                label,
                selected: filter.format.as_deref() == Some(*value),
            })
            .collect(),
        search: filter.search.clone(),
        tiles,
        pages,
        max_size: human_size(state.media_limits.max_bytes as i64),
        error,
    };
    response::private_page(status, &page)
}

pub async fn page(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    user.require(ROLES)?;
    render(&state, &site, &user, &session, &query, None, StatusCode::OK).await
}
