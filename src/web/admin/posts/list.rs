//! `GET /admin/posts` and `GET /admin/pages`: the site's posts (or pages), most recently changed first, with a status filter (all,
//! draft, scheduled, published, trash), a case-insensitive title search and keyset pagination
//! (20 a page, `?after=` and `?before=` a post, links that keep the filter and the search); each
//! row links to its edit page and has its trash or restore button.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;

use crate::content::admin_queries::{self, AdminCursor, Filter};
use crate::content::posts::Kind;
use crate::db::keyset::PageAt;
use crate::error::{AppError, AppResult};
use crate::tenancy::users::Role;
use crate::web::admin::layout::AdminLayout;
use crate::web::admin::pagination::{PageLinks, append_position};
use crate::web::admin::posts::StatusView;
use crate::web::auth::CurrentUser;
use crate::web::pages::display_time;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    q: Option<String>,
    after: Option<String>,
    before: Option<String>,
}

/// A line of the listing.
pub struct Row {
    pub id: String,
    pub title: String,
    pub slug: String,
    pub status: StatusView,
    pub updated: String,
    pub version: i32,
    pub trashed: bool,
}

/// A link of the status filter.
pub struct FilterLink {
    pub value: &'static str,
    pub label: &'static str,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "admin/posts/list.html")]
pub struct ListPage {
    pub layout: AdminLayout,
    pub kind: Kind,
    /// `/admin/posts` or `/admin/pages`.
    pub base: &'static str,
    pub filters: Vec<FilterLink>,
    pub filter: &'static str,
    pub search: String,
    pub rows: Vec<Row>,
    pub pages: PageLinks,
    pub is_owner: bool,
}

/// The address of a page of the listing with this filter and search.
fn url(kind: Kind, filter: Filter, search: &str, at: &PageAt<AdminCursor>) -> String {
    let base = kind.admin_base();
    let mut query = form_urlencoded::Serializer::new(String::new());
    if filter != Filter::All {
        query.append_pair("status", filter.as_str());
    }
    if !search.is_empty() {
        query.append_pair("q", search);
    }
    append_position(&mut query, at, AdminCursor::encode);
    let query = query.finish();
    if query.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{query}")
    }
}

/// The page the address asks for; a position that is not one is a 400.
fn position(query: &ListQuery) -> AppResult<PageAt<AdminCursor>> {
    PageAt::from_query(query.after.as_deref(), query.before.as_deref(), |text| {
        AdminCursor::decode(text).ok_or_else(|| {
            AppError::BadRequest("the page position in the address is not valid".into())
        })
    })
}

pub async fn page(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    kind: Kind,
    session: Session,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Editor])?;
    let filter = Filter::parse(query.status.as_deref().unwrap_or("").trim())?;
    let search = query.q.as_deref().unwrap_or("").trim().to_owned();
    let at = position(&query)?;
    let (scope, site_id) = (user.scope, site.ctx.site_id);
    let page = state
        .db
        .tenant_read(scope, |conn| {
            let search = &search;
            async move { admin_queries::list(conn, scope, site_id, kind, filter, search, at).await }
                .scope_boxed()
        })
        .await?;
    let now = crate::db::now();
    let rows = page
        .posts
        .iter()
        .map(|post| Row {
            id: post.id.to_string(),
            title: post.title.clone(),
            slug: post.slug.clone(),
            status: StatusView::of(post, now),
            updated: display_time(post.updated_at),
            version: post.version,
            trashed: post.trashed_at.is_some(),
        })
        .collect();
    let body = response::render(&ListPage {
        layout: AdminLayout::new(
            match kind {
                Kind::Post => "Posts",
                Kind::Page => "Pages",
            },
            &site,
            &user,
            &session,
        ),
        kind,
        base: kind.admin_base(),
        filters: Filter::ALL
            .iter()
            .map(|f| FilterLink {
                value: f.as_str(),
                label: f.label(),
                current: *f == filter,
            })
            .collect(),
        filter: filter.as_str(),
        pages: PageLinks::new(&at, page.previous, page.next, |at| {
            url(kind, filter, &search, &at)
        }),
        search,
        rows,
        is_owner: user.role == Role::Owner,
    })?;
    Ok(response::private_html(body))
}
