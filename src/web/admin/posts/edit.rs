//! `GET /admin/posts/{id}/edit` (and `GET /admin/posts/{id}`, where a reload after a failed
//! save lands; likewise under `/admin/pages`): the edit form of a post or page of this site,
//! loaded with its version;
//! also the form page the new page and failed saves render.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use scoped_futures::ScopedFutureExt;

use crate::content::admin_queries;
use crate::content::posts::{Kind, Post};
use crate::error::AppResult;
use crate::tenancy::Scope;
use crate::tenancy::users::Role;
use crate::web::admin::layout::AdminLayout;
use crate::web::admin::posts::form::FormView;
use crate::web::admin::posts::media_panel::{self, MediaPanel};
use crate::web::admin::posts::{StatusView, post_id};
use crate::web::auth::CurrentUser;
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// A save button: the action it sends and its label.
#[derive(Debug, Clone)]
pub struct Button {
    pub action: &'static str,
    pub label: &'static str,
    pub secondary: bool,
}

const fn button(action: &'static str, label: &'static str, secondary: bool) -> Button {
    Button {
        action,
        label,
        secondary,
    }
}

#[derive(Template)]
#[template(path = "admin/posts/form.html")]
pub struct FormPage {
    pub layout: AdminLayout,
    /// Whether a post or a page is edited.
    pub kind: Kind,
    /// Where the admin of its kind is (`/admin/posts` or `/admin/pages`).
    pub base: &'static str,
    pub heading: String,
    pub form: FormView,
    /// Where the form posts.
    pub action_url: String,
    pub preview_url: String,
    /// The post being edited (none on the new page).
    pub post_id: Option<String>,
    pub status: Option<StatusView>,
    /// The public address, when visitors can see the post.
    pub public_url: Option<String>,
    pub buttons: Vec<Button>,
    pub trashed: bool,
    pub can_delete: bool,
    /// The images panel (empty until [`FormPage::with_media`]).
    pub media: MediaPanel,
}

impl FormPage {
    /// The page with its images panel, for the body the form shows.
    pub async fn with_media(mut self, state: &AppState, scope: Scope) -> AppResult<FormPage> {
        let featured = uuid::Uuid::try_parse(&self.form.featured_media).ok();
        self.media = media_panel::load(state, scope, &self.form.body, featured).await?;
        Ok(self)
    }
}

/// The form page of a new post or page.
pub fn new_post_page(
    site: &RequestSite,
    user: &CurrentUser,
    session: &Session,
    kind: Kind,
    form: FormView,
) -> FormPage {
    let heading = match kind {
        Kind::Post => "New post",
        Kind::Page => "New page",
    };
    let base = kind.admin_base();
    FormPage {
        layout: AdminLayout::new(heading, site, user, session),
        kind,
        base,
        heading: heading.into(),
        form,
        action_url: base.into(),
        preview_url: format!("{base}/preview"),
        post_id: None,
        status: None,
        public_url: None,
        buttons: vec![
            button("draft", "Save draft", false),
            button("publish", "Publish now", false),
            button("schedule", "Schedule", true),
        ],
        trashed: false,
        can_delete: false,
        media: MediaPanel::default(),
    }
}

/// The form page of a stored post, showing `form` (its fields, or what was typed).
pub fn edit_post_page(
    site: &RequestSite,
    user: &CurrentUser,
    session: &Session,
    post: &Post,
    form: FormView,
) -> FormPage {
    let status = StatusView::of(post, crate::db::now());
    let buttons = match status.class {
        "trashed" => vec![],
        "draft" => vec![
            button("draft", "Save draft", false),
            button("publish", "Publish now", false),
            button("schedule", "Schedule", true),
        ],
        "scheduled" => vec![
            button("save", "Save changes", false),
            button("publish", "Publish now", false),
            button("schedule", "Reschedule", true),
            button("unpublish", "Unpublish", true),
        ],
        _ => vec![
            button("save", "Save changes", false),
            button("unpublish", "Unpublish", true),
        ],
    };
    let base = post.kind().admin_base();
    FormPage {
        layout: AdminLayout::new(&format!("Edit “{}”", post.title), site, user, session),
        kind: post.kind(),
        base,
        heading: format!("Edit “{}”", post.title),
        form,
        action_url: format!("{base}/{}", post.id),
        preview_url: format!("{base}/{}/preview", post.id),
        post_id: Some(post.id.to_string()),
        public_url: status.is_visible().then(|| post.public_path()),
        status: Some(status),
        buttons,
        trashed: post.trashed_at.is_some(),
        can_delete: user.role == Role::Owner,
        media: MediaPanel::default(),
    }
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
    let (scope, site_id) = (user.scope, site.ctx.site_id);
    let post = state
        .db
        .tenant_read(scope, |conn| {
            async move { admin_queries::find_on_site(conn, scope, site_id, kind, id).await }
                .scope_boxed()
        })
        .await?;
    let page = edit_post_page(&site, &user, &session, &post, FormView::of_post(&post))
        .with_media(&state, scope)
        .await?;
    response::private_page(StatusCode::OK, &page)
}
