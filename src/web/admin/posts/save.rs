//! `POST /admin/posts` (create) and `POST /admin/posts/{id}` (save over the version the form was
//! loaded at), and the same under `/admin/pages`: save draft, publish now, schedule, unpublish, save changes. Bad fields re-render
//! the form with an error next to each (400, nothing saved); a taken slug comes with a free one;
//! a stale version answers the 409 conflict page.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use scoped_futures::ScopedFutureExt;

use crate::content::admin_queries;
use crate::content::posts::{self, Change, Kind, Outcome, Post, Target};
use crate::error::{AppError, AppResult};
use crate::tenancy::users::Role;
use crate::web::admin::posts::conflict;
use crate::web::admin::posts::edit::{edit_post_page, new_post_page};
use crate::web::admin::posts::form::{self, Action, FormErrors, FormView, PostForm};
use crate::web::admin::posts::{post_id, see_other, version};
use crate::web::auth::{CurrentUser, session as flash};
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// The errors of a slug that another post of the site has.
fn slug_taken_errors(kind: Kind, slug: &str, suggestion: String) -> FormErrors {
    let what = match kind {
        Kind::Post => "slug",
        Kind::Page => "address",
    };
    FormErrors {
        slug: Some(format!(
            "The {what} “{slug}” is already used by another post or page of this site. \
             “{suggestion}” is free."
        )),
        slug_suggestion: Some(suggestion),
        ..FormErrors::default()
    }
}

pub async fn create(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    kind: Kind,
    session: Session,
    form: web::Form<PostForm>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Editor])?;
    let form = form.into_inner();
    let action = Action::parse(form.action.as_deref())?;
    if action == Action::Unpublish || action == Action::Save {
        return Err(AppError::BadRequest(format!(
            "a new {} can be saved as a draft, published or scheduled",
            kind.noun()
        )));
    }
    let now = crate::db::now();
    let checked = match form::check(&form, kind, action, now) {
        Ok(checked) => checked,
        Err(errors) => {
            let view = FormView::of_form(&form, None, *errors);
            return response::private_page(
                StatusCode::BAD_REQUEST,
                &new_post_page(&site, &user, &session, kind, view)
                    .with_media(&state, user.scope)
                    .await?,
            );
        }
    };
    let input = form::input(&checked, action, None, now);
    let (scope, site_id, actor) = (user.scope, site.ctx.site_id, &user.actor);
    let outcome = state
        .db
        .tenant_tx(scope, |conn| {
            let change = Change::Fields {
                input: &input,
                action: "create",
            };
            let target = match kind {
                Kind::Post => Target::New(site_id),
                Kind::Page => Target::NewPage(site_id),
            };
            async move { posts::save(conn, scope, target, change, actor).await }.scope_boxed()
        })
        .await?;
    match outcome {
        Outcome::SlugTaken { free } => {
            let view = FormView::of_form(&form, None, slug_taken_errors(kind, &input.slug, free));
            response::private_page(
                StatusCode::BAD_REQUEST,
                &new_post_page(&site, &user, &session, kind, view)
                    .with_media(&state, user.scope)
                    .await?,
            )
        }
        other => {
            let post = other.saved()?;
            forget_menus_of(&state, kind);
            flash::flash(&session, &action.done(&post));
            Ok(see_other(&format!(
                "{}/{}/edit",
                kind.admin_base(),
                post.id
            )))
        }
    }
}

/// After a page changed: menus, kept with the site's context, link pages by their address and
/// only while they are visible.
pub(super) fn forget_menus_of(state: &AppState, kind: Kind) {
    if kind == Kind::Page {
        state.directory.invalidate();
    }
}

/// What an update came to, with the post as it is for the pages that need it.
enum Updated {
    Done(Outcome),
    SlugTaken(Post, String),
    Invalid(Post, FormErrors),
}

pub async fn update(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    kind: Kind,
    session: Session,
    path: web::Path<String>,
    form: web::Form<PostForm>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Editor])?;
    let id = post_id(&path)?;
    let form = form.into_inner();
    let (scope, site_id, actor) = (user.scope, site.ctx.site_id, &user.actor);
    // An unknown post is a 404 before anything about the form is said.
    let exists = state
        .db
        .tenant_read(scope, |conn| {
            async move { admin_queries::find_on_site(conn, scope, site_id, kind, id).await }
                .scope_boxed()
        })
        .await?;
    drop(exists);
    let action = Action::parse(form.action.as_deref())?;
    let expected = version(form.version.as_deref())?;
    let now = crate::db::now();
    let checked = form::check(&form, kind, action, now);
    let updated = state
        .db
        .tenant_tx(scope, |conn| {
            let checked = &checked;
            async move {
                let current = admin_queries::find_on_site(conn, scope, site_id, kind, id).await?;
                let checked = match checked {
                    Ok(checked) => checked,
                    Err(errors) => return Ok(Updated::Invalid(current, errors.as_ref().clone())),
                };
                let input = form::input(checked, action, Some(&current), now);
                let target = Target::Existing {
                    post: &current,
                    expected_version: expected,
                };
                let change = Change::Fields {
                    input: &input,
                    action: action.audit(),
                };
                Ok(
                    match posts::save(conn, scope, target, change, actor).await? {
                        Outcome::SlugTaken { free } => Updated::SlugTaken(current, free),
                        done => Updated::Done(done),
                    },
                )
            }
            .scope_boxed()
        })
        .await?;
    match updated {
        Updated::Invalid(current, errors) => {
            let view = FormView::of_form(&form, Some(expected), errors);
            response::private_page(
                StatusCode::BAD_REQUEST,
                &edit_post_page(&site, &user, &session, &current, view)
                    .with_media(&state, user.scope)
                    .await?,
            )
        }
        Updated::SlugTaken(current, free) => {
            let slug = form::wanted_slug(&form);
            let view =
                FormView::of_form(&form, Some(expected), slug_taken_errors(kind, &slug, free));
            response::private_page(
                StatusCode::BAD_REQUEST,
                &edit_post_page(&site, &user, &session, &current, view)
                    .with_media(&state, user.scope)
                    .await?,
            )
        }
        Updated::Done(Outcome::Stale { current }) => {
            conflict::respond(&site, &user, &session, &current, &form, action)
        }
        Updated::Done(other) => {
            let post = other.saved()?;
            forget_menus_of(&state, kind);
            flash::flash(&session, &action.done(&post));
            Ok(see_other(&format!(
                "{}/{}/edit",
                kind.admin_base(),
                post.id
            )))
        }
    }
}
