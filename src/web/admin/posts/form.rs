//! The post form shared by the new and edit pages, the conflict page and the preview: the raw
//! fields as posted, checking them into a [`PostInput`] with an error next to each field, and what
//! the template shows.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use crate::content::front_matter::{MAX_TITLE_CHARS, slugify, valid_slug};
use crate::content::posts::{Kind, Post, PostInput, Status};
use crate::error::{AppError, AppResult};
use crate::input::{self, Shape};

/// The `datetime-local` format; times are entered and shown in UTC.
pub const TIME_INPUT_FORMAT: &str = "%Y-%m-%dT%H:%M";

/// The fields as the browser sends them (the CSRF token is checked by the middleware).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PostForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub description: String,
    /// The name the post is signed with; empty for none.
    #[serde(default)]
    pub byline: String,
    /// Comma-separated.
    #[serde(default)]
    pub tags: String,
    /// `YYYY-MM-DDTHH:MM` in UTC; needed to schedule.
    #[serde(default)]
    pub publish_at: String,
    /// The id of the featured image (an image of the media library), or empty for none.
    #[serde(default)]
    pub featured_media: String,
    /// The version the edit form was loaded at.
    pub version: Option<String>,
    /// Which button was pressed.
    pub action: Option<String>,
}

/// What a save button asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Save as a draft.
    Draft,
    /// Publish now (a post already public keeps its publication time).
    Publish,
    /// Publish at the future time of the form.
    Schedule,
    /// Back to draft.
    Unpublish,
    /// Save the fields, keeping the status and publication time.
    Save,
}

impl Action {
    /// Parses the pressed button; anything else is a bad request.
    pub fn parse(text: Option<&str>) -> AppResult<Action> {
        Ok(match text.unwrap_or("") {
            "draft" => Action::Draft,
            "publish" => Action::Publish,
            "schedule" => Action::Schedule,
            "unpublish" => Action::Unpublish,
            "save" => Action::Save,
            other => {
                return Err(AppError::BadRequest(format!(
                    "unknown action {other:?}: use draft, publish, schedule, unpublish or save"
                )));
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Draft => "draft",
            Action::Publish => "publish",
            Action::Schedule => "schedule",
            Action::Unpublish => "unpublish",
            Action::Save => "save",
        }
    }

    /// The action recorded in the audit log.
    pub fn audit(self) -> &'static str {
        match self {
            Action::Draft | Action::Save => "update",
            Action::Publish => "publish",
            Action::Schedule => "schedule",
            Action::Unpublish => "unpublish",
        }
    }

    /// The flash message after a successful save.
    pub fn done(self, post: &Post) -> String {
        match self {
            Action::Draft => "Draft saved.".into(),
            Action::Publish => "Published.".into(),
            Action::Schedule => match post.published_at {
                Some(at) => format!("Scheduled for {}.", crate::web::pages::display_time(at)),
                None => "Scheduled.".into(),
            },
            Action::Unpublish => {
                format!("Unpublished: the {} is a draft again.", post.kind().noun())
            }
            Action::Save => "Saved.".into(),
        }
    }
}

/// An error next to each field that has one.
#[derive(Debug, Clone, Default)]
pub struct FormErrors {
    pub title: Option<String>,
    pub slug: Option<String>,
    /// A free slug to offer when the one asked for is taken.
    pub slug_suggestion: Option<String>,
    pub publish_at: Option<String>,
    pub featured_media: Option<String>,
    pub tags: Option<String>,
    pub byline: Option<String>,
}

impl FormErrors {
    pub fn any(&self) -> bool {
        self.title.is_some()
            || self.slug.is_some()
            || self.tags.is_some()
            || self.publish_at.is_some()
            || self.featured_media.is_some()
            || self.byline.is_some()
    }
}

/// The form's fields, checked.
#[derive(Debug, Clone)]
pub struct Checked {
    pub title: String,
    pub slug: String,
    pub body: String,
    pub description: String,
    pub tags: Vec<String>,
    pub publish_at: Option<DateTime<Utc>>,
    pub featured_media_id: Option<Uuid>,
    pub byline: String,
}

/// `text` with its first letter in upper case.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Splits comma-separated tags: trimmed, no empty ones, no duplicates, in order.
pub fn split_tags(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_owned());
        }
    }
    tags
}

/// Parses a `datetime-local` value as UTC.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    NaiveDateTime::parse_from_str(text, TIME_INPUT_FORMAT)
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .ok()
        .map(|t| t.and_utc())
}

/// The slug the form asks for: the typed one (a page's address may be typed with its slashes,
/// `/about/team/`), or one made from the title when left empty.
pub fn wanted_slug(form: &PostForm) -> String {
    let typed = form.slug.trim().trim_matches('/');
    if typed.is_empty() {
        slugify(form.title.trim())
    } else {
        typed.to_owned()
    }
}

/// Checks the fields of a post or page for `action` at time `now`.
pub fn check(
    form: &PostForm,
    kind: Kind,
    action: Action,
    now: DateTime<Utc>,
) -> Result<Checked, Box<FormErrors>> {
    let mut errors = FormErrors::default();
    let title = form.title.trim();
    if title.is_empty() {
        errors.title = Some("Enter a title.".into());
    } else if title.chars().count() > MAX_TITLE_CHARS {
        errors.title = Some(format!(
            "The title is too long: at most {MAX_TITLE_CHARS} characters."
        ));
    } else if input::check(title, Shape::Line).is_err() {
        errors.title =
            Some("The title cannot contain line breaks or other control characters.".into());
    }
    let slug = wanted_slug(form);
    if slug.is_empty() {
        if errors.title.is_none() {
            errors.slug = Some("Enter a slug: the title gives none (use a-z, 0-9 and -).".into());
        }
    } else {
        errors.slug = slug_problem(kind, &slug);
    }
    let publish_at = match form.publish_at.trim() {
        "" => None,
        text => match parse_time(text) {
            Some(at) => Some(at),
            None => {
                errors.publish_at =
                    Some("Enter a date and time like 2026-12-01T09:30 (UTC).".into());
                None
            }
        },
    };
    if action == Action::Schedule && errors.publish_at.is_none() {
        match publish_at {
            None => errors.publish_at = Some("Enter the time to publish at (UTC).".into()),
            Some(at) if at <= now => {
                errors.publish_at = Some("Choose a time in the future to schedule (UTC).".into())
            }
            Some(_) => {}
        }
    }
    let featured_media_id = match form.featured_media.trim() {
        "" => None,
        text => match Uuid::try_parse(text) {
            Ok(id) => Some(id),
            Err(_) => {
                errors.featured_media =
                    Some("Choose the featured image from the list, or none.".into());
                None
            }
        },
    };
    let tags = split_tags(&form.tags);
    if kind == Kind::Page && !tags.is_empty() {
        errors.tags = Some("Pages have no tags.".into());
    } else if let Some(problem) = crate::content::tags::problem(&tags) {
        errors.tags = Some(format!("{}.", capitalised(&problem)));
    }
    let byline = form.byline.trim();
    if byline.chars().count() > crate::content::posts::MAX_BYLINE_CHARS {
        errors.byline = Some(format!(
            "The byline is too long: at most {} characters.",
            crate::content::posts::MAX_BYLINE_CHARS
        ));
    }
    if errors.any() {
        return Err(Box::new(errors));
    }
    Ok(Checked {
        byline: byline.to_owned(),
        title: title.to_owned(),
        slug,
        body: form.body.replace("\r\n", "\n"),
        description: form.description.trim().to_owned(),
        tags,
        publish_at,
        featured_media_id,
    })
}

/// What is wrong with the slug of a post, or the address of a page.
fn slug_problem(kind: Kind, slug: &str) -> Option<String> {
    match kind {
        Kind::Post if !valid_slug(slug) => Some(format!(
            "The slug {slug:?} is not valid: use lower-case letters a-z, digits and single dashes \
             (not at the start or the end), at most 200 characters."
        )),
        Kind::Post => None,
        Kind::Page => crate::content::pages::check_address(slug)
            .err()
            .map(|problem| format!("{}.", capitalised(&problem))),
    }
}

/// The post to save for `action`, over `current` (none for a new post).
pub fn input(
    checked: &Checked,
    action: Action,
    current: Option<&Post>,
    now: DateTime<Utc>,
) -> PostInput {
    let public_since = current
        .filter(|p| p.status == "published")
        .and_then(|p| p.published_at)
        .filter(|at| *at <= now);
    let (status, published_at) = match action {
        Action::Draft | Action::Unpublish => (Status::Draft, None),
        Action::Publish => (Status::Published, Some(public_since.unwrap_or(now))),
        Action::Schedule => (Status::Published, checked.publish_at),
        Action::Save => match current {
            Some(p) if p.status == "published" && p.published_at.is_some() => {
                (Status::Published, p.published_at)
            }
            _ => (Status::Draft, None),
        },
    };
    PostInput {
        title: checked.title.clone(),
        slug: checked.slug.clone(),
        body_markdown: checked.body.clone(),
        description: checked.description.clone(),
        tags: checked.tags.clone(),
        status,
        published_at,
        featured_media_id: checked.featured_media_id,
        byline: checked.byline.clone(),
    }
}

/// The values a form shows, with its errors.
#[derive(Debug, Clone, Default)]
pub struct FormView {
    pub title: String,
    pub slug: String,
    pub body: String,
    pub description: String,
    pub byline: String,
    pub tags: String,
    pub publish_at: String,
    /// The featured image's id, or empty.
    pub featured_media: String,
    /// The version the form was loaded at (edit forms only).
    pub version: Option<i32>,
    pub errors: FormErrors,
}

impl FormView {
    /// The fields of a stored post.
    pub fn of_post(post: &Post) -> FormView {
        FormView {
            title: post.title.clone(),
            slug: post.slug.clone(),
            body: post.body_markdown.clone(),
            description: post.description.clone(),
            byline: post.byline.clone(),
            tags: post.tags.join(", "),
            publish_at: post
                .published_at
                .map(|at| at.format(TIME_INPUT_FORMAT).to_string())
                .unwrap_or_default(),
            featured_media: post
                .featured_media_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            version: Some(post.version),
            errors: FormErrors::default(),
        }
    }

    /// The fields as typed, shown again with errors.
    pub fn of_form(form: &PostForm, version: Option<i32>, errors: FormErrors) -> FormView {
        FormView {
            title: form.title.clone(),
            slug: form.slug.clone(),
            body: form.body.clone(),
            description: form.description.clone(),
            byline: form.byline.clone(),
            tags: form.tags.clone(),
            publish_at: form.publish_at.clone(),
            featured_media: form.featured_media.trim().to_owned(),
            version,
            errors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(title: &str, slug: &str, publish_at: &str) -> PostForm {
        PostForm {
            title: title.into(),
            slug: slug.into(),
            publish_at: publish_at.into(),
            ..PostForm::default()
        }
    }

    #[test]
    fn an_empty_slug_comes_from_the_title() {
        let checked = check(
            &form("My Title!", "", ""),
            Kind::Post,
            Action::Draft,
            Utc::now(),
        )
        .unwrap();
        assert_eq!(checked.slug, "my-title");
    }

    #[test]
    fn bad_fields_get_their_own_errors() {
        let errors = check(
            &form("", "Bad Slug!", "tomorrow"),
            Kind::Post,
            Action::Draft,
            Utc::now(),
        )
        .unwrap_err();
        assert!(errors.title.is_some() && errors.slug.is_some() && errors.publish_at.is_some());
    }

    #[test]
    fn a_title_is_one_line() {
        let errors = check(
            &form("Two\nlines", "", ""),
            Kind::Post,
            Action::Draft,
            Utc::now(),
        )
        .unwrap_err();
        assert!(errors.title.unwrap().contains("line breaks"));
    }

    #[test]
    fn scheduling_needs_a_future_time() {
        let now = Utc::now();
        let past = (now - chrono::Duration::hours(1))
            .format(TIME_INPUT_FORMAT)
            .to_string();
        let errors = check(&form("T", "", &past), Kind::Post, Action::Schedule, now).unwrap_err();
        assert!(errors.publish_at.unwrap().contains("future"));
        let errors = check(&form("T", "", ""), Kind::Post, Action::Schedule, now).unwrap_err();
        assert!(errors.publish_at.is_some());
    }

    #[test]
    fn times_are_utc() {
        let at = parse_time("2030-01-02T03:04").unwrap();
        assert_eq!(at.to_rfc3339(), "2030-01-02T03:04:00+00:00");
    }

    #[test]
    fn tags_are_split_and_deduplicated() {
        assert_eq!(split_tags(" a, b,,a , c "), vec!["a", "b", "c"]);
    }
}
