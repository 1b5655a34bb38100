//! Posts admin under `/admin/posts` and pages admin under `/admin/pages` (editors and owners):
//! list, new, edit, save, publish, schedule, unpublish, trash, restore, delete (owners), preview
//! with the public template, and the conflict page that keeps an editor's text when someone else
//! saved first. Each request is about one [`Kind`], taken from the scope it arrived in.
//!
//! The admin runs on the site's own domain: only posts (or pages) of that site exist here; any
//! other id, a page's id under `/admin/posts` included, is a 404.

pub mod actions;
pub mod conflict;
pub mod edit;
pub mod form;
pub mod list;
pub mod media_panel;
pub mod new;
pub mod preview;
pub mod save;

use actix_web::dev::Payload;
use actix_web::http::header::LOCATION;
use actix_web::web;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::content::posts::{Kind, Post};
use crate::error::{AppError, AppResult};
use crate::web::pages::display_time;

/// Registers this part of the admin (paths relative to `/admin/posts` or `/admin/pages`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(list::page))
        .route("", web::post().to(save::create))
        .route("/new", web::get().to(new::page))
        .route("/preview", web::post().to(preview::unsaved))
        .route("/{id}", web::get().to(edit::page))
        .route("/{id}", web::post().to(save::update))
        .route("/{id}/edit", web::get().to(edit::page))
        .route("/{id}/preview", web::post().to(preview::of_post))
        .route("/{id}/trash", web::post().to(actions::trash))
        .route("/{id}/restore", web::post().to(actions::restore))
        .route("/{id}/delete", web::post().to(actions::delete));
}

/// Whether a request is about posts or pages: the scope it arrived in says
/// ([`crate::web::admin`]).
impl FromRequest for Kind {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Kind, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(req.app_data::<Kind>().copied().ok_or_else(|| {
            actix_web::error::ErrorInternalServerError("the kind of content is not configured")
        }))
    }
}

/// A post id from the path; anything that is not one is a post that does not exist.
pub fn post_id(text: &str) -> AppResult<Uuid> {
    Uuid::try_parse(text).map_err(|_| AppError::NotFound)
}

/// The `version` a form was loaded at; missing or garbage is a bad request.
pub fn version(text: Option<&str>) -> AppResult<i32> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AppError::BadRequest("the form carries no version".into()))?
        .parse::<i32>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| AppError::BadRequest("the version of the form is not valid".into()))
}

/// A `303 See Other` to `location`.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location.to_owned()))
        .finish()
}

/// How the admin shows the state of a post.
#[derive(Debug, Clone)]
pub struct StatusView {
    /// CSS class: `draft`, `scheduled`, `published` or `trashed`.
    pub class: &'static str,
    pub label: String,
}

impl StatusView {
    pub fn of(post: &Post, now: DateTime<Utc>) -> StatusView {
        let (class, label) = if post.trashed_at.is_some() {
            ("trashed", "In the trash".to_owned())
        } else if post.status != "published" {
            ("draft", "Draft".to_owned())
        } else {
            match post.published_at {
                Some(at) if at > now => {
                    ("scheduled", format!("Scheduled for {}", display_time(at)))
                }
                Some(at) => ("published", format!("Published {}", display_time(at))),
                None => ("published", "Published".to_owned()),
            }
        };
        StatusView { class, label }
    }

    pub fn is_visible(&self) -> bool {
        self.class == "published"
    }
}
