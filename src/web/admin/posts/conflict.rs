//! The 409 page when a post was saved by someone else after the form was loaded: the editor's
//! text and the current text side by side, so nothing typed is lost, with three explicit choices —
//! reload (discard mine), overwrite (resubmit mine over the current version), copy (my text in a
//! read-only box).

use actix_session::Session;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use crate::content::posts::Post;
use crate::error::AppResult;
use crate::web::admin::layout::AdminLayout;
use crate::web::admin::posts::form::{Action, FormView, PostForm};
use crate::web::auth::CurrentUser;
use crate::web::response;
use crate::web::site::RequestSite;

#[derive(Template)]
#[template(path = "admin/posts/conflict.html")]
pub struct ConflictPage {
    pub layout: AdminLayout,
    /// `/admin/posts` or `/admin/pages`.
    pub base: &'static str,
    /// `post` or `page`.
    pub current_kind: &'static str,
    pub post_id: String,
    /// What the editor typed.
    pub mine: FormView,
    /// The post as saved by someone else.
    pub current: FormView,
    /// Who saved it, when.
    pub current_updated: String,
    /// The button the editor pressed, to repeat on overwrite.
    pub action: &'static str,
}

/// Answers 409 with both versions of the post.
pub fn respond(
    site: &RequestSite,
    user: &CurrentUser,
    session: &Session,
    current: &Post,
    form: &PostForm,
    action: Action,
) -> AppResult<HttpResponse> {
    let mut mine = FormView::of_form(form, Some(current.version), Default::default());
    mine.version = Some(current.version);
    let page = ConflictPage {
        layout: AdminLayout::new("Conflicting changes", site, user, session),
        base: current.kind().admin_base(),
        current_kind: current.kind().noun(),
        post_id: current.id.to_string(),
        mine,
        current: FormView::of_post(current),
        current_updated: crate::web::pages::display_time(current.updated_at),
        action: action.as_str(),
    };
    response::private_page(StatusCode::CONFLICT, &page)
}
