//! `GET /admin/posts/{id}/revisions/compare?from=N&to=M`: a word-level diff of the body and a
//! field-by-field table of everything else, between any two revisions of a post.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;

use crate::content::diff::{self, DiffPiece, FieldChange};
use crate::content::posts::Kind;
use crate::content::revisions::{self, Revision};
use crate::error::{AppError, AppResult};
use crate::tenancy::users::Role;
use crate::web::admin::layout::AdminLayout;
use crate::web::auth::CurrentUser;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

#[derive(Debug, Deserialize)]
pub struct CompareQuery {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// What the page says about each of the two revisions.
pub struct RevisionHeading {
    pub number: i32,
    pub time: String,
    pub editor: String,
}

impl RevisionHeading {
    fn of(revision: &Revision) -> RevisionHeading {
        RevisionHeading {
            number: revision.revision_number,
            time: super::admin_time(revision.created_at),
            editor: revision.editor_label.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/revisions/compare.html")]
pub struct ComparePage {
    pub layout: AdminLayout,
    /// `/admin/posts` or `/admin/pages`.
    pub base: &'static str,
    pub post_id: String,
    pub post_title: String,
    pub version: i32,
    /// The revisions shown that can be restored (not the current one).
    pub restorable: Vec<i32>,
    pub from: RevisionHeading,
    pub to: RevisionHeading,
    pub fields: Vec<FieldChange>,
    pub body: Vec<DiffPiece>,
    pub body_changed: bool,
}

/// A revision number from the query string; anything else is a bad request.
fn number(name: &str, value: Option<&str>) -> AppResult<i32> {
    value
        .and_then(|v| v.trim().parse::<i32>().ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| AppError::BadRequest(format!("“{name}” must be the number of a revision")))
}

pub async fn page(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    kind: Kind,
    session: Session,
    path: web::Path<String>,
    query: web::Query<CompareQuery>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Editor])?;
    let id = super::post_id(&path)?;
    let from_number = number("from", query.from.as_deref())?;
    let to_number = number("to", query.to.as_deref())?;
    let (scope, site_id) = (user.scope, site.ctx.site_id);
    let (post, current, from, to) = state
        .db
        .tenant_read(scope, |conn| {
            async move {
                let post = super::post_of_site(conn, scope, site_id, kind, id).await?;
                let from = revisions::find(conn, scope, post.id, from_number).await?;
                let to = revisions::find(conn, scope, post.id, to_number).await?;
                let current = revisions::latest_number(conn, scope, post.id)
                    .await?
                    .unwrap_or(0);
                Ok((post, current, from, to))
            }
            .scope_boxed()
        })
        .await?;
    let body = diff::words(&from.body_markdown, &to.body_markdown);
    let page = ComparePage {
        layout: AdminLayout::new(
            &format!(
                "Revisions {} and {} of {}",
                from.revision_number, to.revision_number, post.title
            ),
            &site,
            &user,
            &session,
        ),
        base: post.kind().admin_base(),
        post_id: post.id.to_string(),
        post_title: post.title,
        version: post.version,
        restorable: restorable(from.revision_number, to.revision_number, current),
        fields: diff::fields(&from, &to),
        body_changed: from.body_markdown != to.body_markdown,
        body,
        from: RevisionHeading::of(&from),
        to: RevisionHeading::of(&to),
    };
    Ok(response::private_html(response::render(&page)?))
}

/// The numbers among `from` and `to`, once each, other than `current`.
fn restorable(from: i32, to: i32, current: i32) -> Vec<i32> {
    let mut numbers = vec![from, to];
    numbers.dedup();
    numbers.retain(|n| *n != current);
    numbers
}
