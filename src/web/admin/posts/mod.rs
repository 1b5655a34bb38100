//! Posts admin under `/admin/posts` (editors and owners): list, new, edit, save, publish, schedule,
//! unpublish, trash, restore, delete (owners), preview with the public template, and the conflict
//! page that keeps an editor's text when someone else saved first.
//!
//! The admin runs on the site's own domain: only posts of that site exist here; any other id is
//! a 404.

pub mod actions;
pub mod conflict;
pub mod edit;
pub mod form;
pub mod list;
pub mod media_panel;
pub mod new;
pub mod preview;
pub mod save;

use actix_web::HttpResponse;
use actix_web::http::header::LOCATION;
use actix_web::web;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::content::posts::Post;
use crate::error::{AppError, AppResult};
use crate::web::pages::display_time;

/// Registers this part of the admin (paths relative to `/admin`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/posts", web::get().to(list::page))
        .route("/posts", web::post().to(save::create))
        .route("/posts/new", web::get().to(new::page))
        .route("/posts/preview", web::post().to(preview::unsaved))
        .route("/posts/{id}", web::get().to(edit::page))
        .route("/posts/{id}", web::post().to(save::update))
        .route("/posts/{id}/edit", web::get().to(edit::page))
        .route("/posts/{id}/preview", web::post().to(preview::of_post))
        .route("/posts/{id}/trash", web::post().to(actions::trash))
        .route("/posts/{id}/restore", web::post().to(actions::restore))
        .route("/posts/{id}/delete", web::post().to(actions::delete));
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
