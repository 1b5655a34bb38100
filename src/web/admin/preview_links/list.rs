//! `GET /admin/posts/{id}/preview-links`: the post's links with their state and expiry, a form to
//! make a new one and a button to revoke each active one. The same page, with the new link's URL,
//! answers a creation; with an error and status 400, a refused one.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;
use uuid::Uuid;

use crate::content::posts::{Kind, Post};
use crate::content::preview_links::{self, DEFAULT_LIFETIME_HOURS, MAX_LIFETIME_HOURS};
use crate::error::AppResult;
use crate::tenancy::users::Role;
use crate::web::admin::layout::AdminLayout;
use crate::web::admin::revisions::{admin_time, post_id, post_of_site};
use crate::web::auth::CurrentUser;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// One line of the list.
pub struct LinkRow {
    pub id: String,
    pub revision_number: i32,
    pub created: String,
    pub expires: String,
    pub state: &'static str,
    pub active: bool,
}

/// A link just made: its URL is shown this once.
pub struct NewLink {
    pub url: String,
    pub expires: String,
    pub revision_number: i32,
}

#[derive(Template)]
#[template(path = "admin/preview_links/list.html")]
pub struct PreviewLinksPage {
    pub layout: AdminLayout,
    /// `/admin/posts` or `/admin/pages`.
    pub base: &'static str,
    pub post_id: String,
    pub post_title: String,
    pub post_status: String,
    pub rows: Vec<LinkRow>,
    pub created: Option<NewLink>,
    pub error: Option<String>,
    pub lifetime: String,
    pub default_hours: i64,
    pub max_hours: i64,
}

pub async fn page(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    kind: Kind,
    session: Session,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Editor])?;
    let id = post_id(&path)?;
    render(&state, &site, &user, &session, kind, id, Outcome::Plain).await
}

/// What the page reports besides the list.
pub enum Outcome {
    Plain,
    Created(NewLink),
    /// The creation was refused: the reason and what was typed.
    Refused {
        error: String,
        lifetime: String,
    },
}

/// Loads the post and its links and renders the page.
pub async fn render(
    state: &AppState,
    site: &RequestSite,
    user: &CurrentUser,
    session: &Session,
    kind: Kind,
    id: Uuid,
    outcome: Outcome,
) -> AppResult<HttpResponse> {
    let (scope, site_id) = (user.scope, site.ctx.site_id);
    let (post, links): (Post, _) = state
        .db
        .tenant_read(scope, |conn| {
            async move {
                let post = post_of_site(conn, scope, site_id, kind, id).await?;
                let links = preview_links::for_post(conn, scope, post.id).await?;
                Ok((post, links))
            }
            .scope_boxed()
        })
        .await?;
    let now = crate::db::now();
    let rows = links
        .into_iter()
        .map(|link| {
            let link_state = link.state(now);
            LinkRow {
                id: link.id.to_string(),
                revision_number: link.revision_number,
                created: admin_time(link.created_at),
                expires: admin_time(link.expires_at),
                state: link_state.as_str(),
                active: link_state == preview_links::LinkState::Active,
            }
        })
        .collect();
    let (status, created, error, lifetime) = match outcome {
        Outcome::Plain => (StatusCode::OK, None, None, String::new()),
        Outcome::Created(link) => (StatusCode::OK, Some(link), None, String::new()),
        Outcome::Refused { error, lifetime } => {
            (StatusCode::BAD_REQUEST, None, Some(error), lifetime)
        }
    };
    let page = PreviewLinksPage {
        layout: AdminLayout::new(
            &format!("Preview links of {}", post.title),
            site,
            user,
            session,
        ),
        base: post.kind().admin_base(),
        post_id: post.id.to_string(),
        post_title: post.title,
        post_status: post.status,
        rows,
        created,
        error,
        lifetime,
        default_hours: DEFAULT_LIFETIME_HOURS,
        max_hours: MAX_LIFETIME_HOURS,
    };
    response::private_page(status, &page)
}
