//! The one way a post or page is created or changed. The admin forms, a restored revision, the trash, the
//! Markdown import, the benchmark's seeding and every importer to come go through [`save`] (or
//! [`create_many`] for many new posts at once), which:
//! - checks the fields, and the version the caller loaded the post at (optimistic concurrency);
//! - keeps the slug unique on the site, offering a free one when it is taken;
//! - keeps old addresses working: when the slug of a published post changes, the old slug becomes
//!   a redirect to the post, and a redirect of a slug that a post now has is removed;
//! - keeps the post's tags in their address form (`content.post_tags`), which tag pages read;
//! - renders the Markdown once, writes the search vector of the text in the site's language, bumps
//!   the version, records a revision and an audit event;
//! - says what happened as an [`Outcome`] that callers only translate into pages or messages.
//!
//! Deleting a trashed post for good is [`delete`].

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::{Kind, Post, PostInput, Status, audit_fields, by_slug, find};
use crate::audit::{self, Actor};
use crate::content::{markdown, revisions, slug_redirects, tags};
use crate::db::schema::content::sql_types::Tsvector as PostVector;
use crate::db::{Conn, schema::content::posts};
use crate::error::{AppError, AppResult};
use crate::media::pictures::Pictures;
use crate::search::Language;
use crate::search::vector::{Weighted, post_fields};
use crate::tenancy::{Scope, SiteId};

/// Which post a write is about.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// A new post on this site.
    New(SiteId),
    /// A new page on this site ([`crate::content::pages`]).
    NewPage(SiteId),
    /// A post as the caller loaded it (in the same transaction), and the version the editor saw.
    Existing {
        post: &'a Post,
        expected_version: i32,
    },
}

/// What a write does to the post.
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    /// Sets every editable field. `action` names the change in the audit log of an existing post
    /// (`update`, `publish`, `schedule`, `unpublish`…); a new post
    /// is always `create`.
    Fields {
        input: &'a PostInput,
        action: &'a str,
    },
    /// Moves the post to the trash: it disappears from the site.
    Trash,
    /// Takes the post out of the trash, with the status it had.
    Untrash,
}

/// What a write did.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Saved: the post as it is now.
    Saved(Post),
    /// Another post of the site has the slug; `free` is the first free variant of it.
    SlugTaken { free: String },
    /// The post changed since the caller loaded it: this is how it is now. Nothing was saved.
    Stale { current: Post },
    /// The change does not apply to the post as it is (editing a post in the trash, trashing one
    /// already there…): the reason, for the person who asked. Nothing was saved.
    Refused(&'static str),
}

impl Outcome {
    /// The saved post; every other outcome as the error a caller without pages of its own
    /// reports (a 409 conflict).
    pub fn saved(self) -> AppResult<Post> {
        match self {
            Outcome::Saved(post) => Ok(post),
            Outcome::SlugTaken { free } => Err(AppError::Conflict(format!(
                "the slug is already taken on this site (\u{201c}{free}\u{201d} is free)"
            ))),
            Outcome::Stale { .. } => Err(stale()),
            Outcome::Refused(reason) => Err(AppError::Conflict(reason.into())),
        }
    }
}

/// A Markdown body with its sanitised HTML: rendered only here, so that a stored body's HTML is
/// always the rendering of its Markdown. Callers that give many posts one body render it once.
#[derive(Debug, Clone)]
pub struct Body {
    markdown: String,
    html: String,
}

impl Body {
    /// A body without images of the media library (they show as their alt text).
    pub fn render(markdown: String) -> Body {
        let html = markdown::render(&markdown);
        Body { markdown, html }
    }

    /// A body with the images of the media library it names, as `pictures` has them.
    pub fn render_with(markdown: String, pictures: &Pictures) -> Body {
        let html = pictures.render(&markdown);
        Body { markdown, html }
    }

    /// A body with the images it names, loaded for the customer in scope.
    pub async fn prepare(conn: &mut Conn, scope: Scope, markdown: String) -> AppResult<Body> {
        let pictures = Pictures::for_markdown(conn, scope, &markdown).await?;
        Ok(Body::render_with(markdown, &pictures))
    }

    pub fn markdown(&self) -> &str {
        &self.markdown
    }

    pub fn html(&self) -> &str {
        &self.html
    }
}

/// A post to create with [`create_many`]; the fields are borrowed so that a large batch shares
/// its bodies.
#[derive(Debug, Clone, Copy)]
pub struct NewPost<'a> {
    pub id: Uuid,
    pub kind: Kind,
    pub site: SiteId,
    pub title: &'a str,
    pub slug: &'a str,
    pub body: &'a Body,
    pub description: &'a str,
    pub tags: &'a [String],
    pub status: Status,
    pub published_at: Option<DateTime<Utc>>,
    pub featured_media_id: Option<Uuid>,
    pub byline: &'a str,
}

/// New posts per statement: a row binds 18 values (14 fields and the 4 texts of its search
/// vector), PostgreSQL takes at most 65,535.
const INSERT_BATCH: usize = 1_000;

/// Creates or changes one post of the customer in scope (see the module documentation). Call it
/// inside a transaction: on any outcome but [`Outcome::Saved`] nothing was written.
pub async fn save(
    conn: &mut Conn,
    scope: Scope,
    target: Target<'_>,
    change: Change<'_>,
    actor: &Actor,
) -> AppResult<Outcome> {
    match target {
        Target::New(site) | Target::NewPage(site) => {
            let kind = match target {
                Target::NewPage(_) => Kind::Page,
                _ => Kind::Post,
            };
            match change {
                Change::Fields { input, .. } => {
                    create_one(conn, scope, kind, site, input, actor).await
                }
                Change::Trash | Change::Untrash => Ok(Outcome::Refused(match kind {
                    Kind::Post => "the post does not exist yet",
                    Kind::Page => "the page does not exist yet",
                })),
            }
        }
        Target::Existing {
            post,
            expected_version,
        } => {
            if post.version != expected_version {
                return Ok(Outcome::Stale {
                    current: post.clone(),
                });
            }
            match change {
                Change::Fields { input, action } => {
                    edit(conn, scope, post, input, action, actor).await
                }
                Change::Trash if post.trashed_at.is_some() => {
                    Ok(Outcome::Refused(match post.kind() {
                        Kind::Post => "the post is already in the trash",
                        Kind::Page => "the page is already in the trash",
                    }))
                }
                Change::Untrash if post.trashed_at.is_none() => {
                    Ok(Outcome::Refused(match post.kind() {
                        Kind::Post => "the post is not in the trash",
                        Kind::Page => "the page is not in the trash",
                    }))
                }
                Change::Trash => {
                    let at = Some(crate::db::now());
                    set_trashed(conn, scope, post, at, "trash", actor).await
                }
                Change::Untrash => set_trashed(conn, scope, post, None, "restore", actor).await,
            }
        }
    }
}

/// Creates many posts of the customer in scope at once, one statement per thousand, each with its
/// first revision and a `create` audit event, as [`save`] creates one. A slug taken on its site
/// (by a stored post or twice in `new`) is a conflict and nothing is written.
pub async fn create_many(
    conn: &mut Conn,
    scope: Scope,
    new: &[NewPost<'_>],
    actor: &Actor,
) -> AppResult<Vec<Post>> {
    for post in new {
        validate_fields(post.kind, post.title, post.slug, post.tags)?;
        check_publication(post.status, post.published_at)?;
    }
    check_featured(conn, scope, new.iter().filter_map(|p| p.featured_media_id)).await?;
    let mut sites: Vec<Uuid> = new.iter().map(|p| p.site.as_uuid()).collect();
    sites.sort_unstable();
    sites.dedup();
    let languages = crate::tenancy::sites::search_languages(conn, scope, &sites).await?;
    let now = crate::db::now();
    let mut created = Vec::with_capacity(new.len());
    for batch in new.chunks(INSERT_BATCH) {
        let rows = batch
            .iter()
            .map(|p| {
                let language = languages.get(&p.site.as_uuid()).copied().ok_or_else(|| {
                    AppError::Invalid(format!("the site {} does not exist", p.site.as_uuid()))
                })?;
                let row = Row::of(scope, p, now);
                let vector =
                    search_vector(language, row.title, p.tags, row.description, row.body_html);
                Ok((row, posts::search_vector.eq(vector)))
            })
            .collect::<AppResult<Vec<_>>>()?;
        let posts: Vec<Post> = diesel::insert_into(posts::table)
            .values(rows)
            .returning(Post::as_returning())
            .get_results(conn)
            .await
            .map_err(|e| slug_conflict(e, "one of the slugs"))?;
        forget_redirects_of(conn, scope, &posts).await?;
        tags::record_new(conn, scope, &posts).await?;
        revisions::record_first(conn, scope, &posts, actor).await?;
        let events = posts.iter().map(|post| created_event(post)).collect();
        audit::record_many(conn, scope, actor, events).await?;
        created.extend(posts);
    }
    Ok(created)
}

/// The longest byline, in characters.
pub const MAX_BYLINE_CHARS: usize = 200;

/// A byline is one line of at most [`MAX_BYLINE_CHARS`] characters (or empty).
fn check_byline(byline: &str) -> AppResult<()> {
    crate::input::check(byline, crate::input::Shape::Line)
        .map_err(|e| AppError::Invalid(format!("the byline: {e}")))?;
    if byline.trim().chars().count() > MAX_BYLINE_CHARS {
        return Err(AppError::Invalid(format!(
            "the byline must be at most {MAX_BYLINE_CHARS} characters"
        )));
    }
    Ok(())
}

/// Checks the fields an editor or an import supplies for a post or page of this kind.
pub fn validate(kind: Kind, input: &PostInput) -> AppResult<()> {
    validate_fields(kind, &input.title, &input.slug, &input.tags)?;
    check_byline(&input.byline)?;
    check_publication(input.status, input.published_at)
}

fn validate_fields(kind: Kind, title: &str, slug: &str, tags: &[String]) -> AppResult<()> {
    let title = title.trim();
    if title.is_empty() {
        return Err(AppError::Invalid("the title must not be empty".into()));
    }
    if title.chars().count() > 500 {
        return Err(AppError::Invalid(
            "the title must be at most 500 characters".into(),
        ));
    }
    match kind {
        Kind::Post => {
            if !crate::content::front_matter::valid_slug(slug) {
                return Err(AppError::Invalid(format!(
                    "the slug {slug:?} is not valid (use a-z, 0-9 and -)"
                )));
            }
            tags::check(tags)
        }
        Kind::Page => {
            crate::content::pages::check_address(slug).map_err(AppError::Invalid)?;
            if !tags.is_empty() {
                return Err(AppError::Invalid("pages have no tags".into()));
            }
            Ok(())
        }
    }
}

fn check_publication(status: Status, published_at: Option<DateTime<Utc>>) -> AppResult<()> {
    if status == Status::Published && published_at.is_none() {
        return Err(AppError::Invalid(
            "a published post needs a publication time".into(),
        ));
    }
    Ok(())
}

async fn create_one(
    conn: &mut Conn,
    scope: Scope,
    kind: Kind,
    site: SiteId,
    input: &PostInput,
    actor: &Actor,
) -> AppResult<Outcome> {
    validate(kind, input)?;
    if let Some(free) = taken_slug(conn, scope, site, &input.slug, None).await? {
        return Ok(Outcome::SlugTaken { free });
    }
    let body = Body::prepare(conn, scope, input.body_markdown.clone()).await?;
    let new = NewPost {
        id: Uuid::new_v4(),
        kind,
        site,
        title: &input.title,
        slug: &input.slug,
        body: &body,
        description: &input.description,
        tags: &input.tags,
        status: input.status,
        published_at: input.published_at,
        featured_media_id: input.featured_media_id,
        byline: &input.byline,
    };
    let mut created = create_many(conn, scope, &[new], actor).await?;
    Ok(Outcome::Saved(created.remove(0)))
}

async fn edit(
    conn: &mut Conn,
    scope: Scope,
    current: &Post,
    input: &PostInput,
    action: &str,
    actor: &Actor,
) -> AppResult<Outcome> {
    if current.trashed_at.is_some() {
        return Ok(Outcome::Refused(match current.kind() {
            Kind::Post => "the post is in the trash: restore it before editing",
            Kind::Page => "the page is in the trash: restore it before editing",
        }));
    }
    validate(current.kind(), input)?;
    let site = SiteId::from_uuid(current.site_id);
    if input.slug != current.slug
        && let Some(free) = taken_slug(conn, scope, site, &input.slug, Some(current.id)).await?
    {
        return Ok(Outcome::SlugTaken { free });
    }
    // Only a new choice is checked: an image deleted since it was chosen does not block saving.
    if input.featured_media_id != current.featured_media_id {
        check_featured(conn, scope, input.featured_media_id).await?;
    }
    let body = Body::prepare(conn, scope, input.body_markdown.clone()).await?;
    let language = crate::tenancy::sites::search_language(conn, scope, site).await?;
    let Some(post) = update_fields(conn, scope, current, input, &body, language).await? else {
        return stale_outcome(conn, scope, current).await;
    };
    if post.tags != current.tags {
        tags::replace(conn, scope, &post).await?;
    }
    if post.slug != current.slug {
        slug_redirects::forget(conn, scope, site, &post.slug).await?;
        if current.status == Status::Published.as_str() {
            slug_redirects::record(conn, scope, site, &current.slug, post.id).await?;
        }
    }
    record_change(conn, scope, current, &post, action, actor).await?;
    Ok(Outcome::Saved(post))
}

async fn update_fields(
    conn: &mut Conn,
    scope: Scope,
    current: &Post,
    input: &PostInput,
    body: &Body,
    language: Language,
) -> AppResult<Option<Post>> {
    let (title, description) = (input.title.trim(), input.description.trim());
    diesel::update(posts::table)
        .filter(posts::customer_id.eq(scope.customer_uuid()))
        .filter(posts::id.eq(current.id))
        .filter(posts::version.eq(current.version))
        .set((
            posts::title.eq(title),
            posts::slug.eq(&input.slug),
            posts::body_markdown.eq(body.markdown()),
            posts::body_html.eq(body.html()),
            posts::description.eq(description),
            posts::tags.eq(&input.tags),
            posts::status.eq(input.status.as_str()),
            posts::published_at.eq(input.published_at),
            posts::featured_media_id.eq(input.featured_media_id),
            posts::byline.eq(input.byline.trim()),
            posts::version.eq(posts::version + 1),
            posts::updated_at.eq(crate::db::now()),
            posts::search_vector.eq(search_vector(
                language,
                title,
                &input.tags,
                description,
                body.html(),
            )),
        ))
        .returning(Post::as_returning())
        .get_result(conn)
        .await
        .optional()
        .map_err(|e| slug_conflict(e, &input.slug))
}

/// The search vector of a post's text in its site's language (see [`crate::search::vector`]).
fn search_vector<'a>(
    language: Language,
    title: &'a str,
    tags: &[String],
    description: &'a str,
    body_html: &'a str,
) -> Weighted<'a, PostVector, 4> {
    Weighted::new(language, post_fields(title, tags, description, body_html))
}

async fn set_trashed(
    conn: &mut Conn,
    scope: Scope,
    current: &Post,
    trashed_at: Option<DateTime<Utc>>,
    action: &str,
    actor: &Actor,
) -> AppResult<Outcome> {
    let saved: Option<Post> = diesel::update(posts::table)
        .filter(posts::customer_id.eq(scope.customer_uuid()))
        .filter(posts::id.eq(current.id))
        .filter(posts::version.eq(current.version))
        .set((
            posts::trashed_at.eq(trashed_at),
            posts::version.eq(posts::version + 1),
            posts::updated_at.eq(crate::db::now()),
        ))
        .returning(Post::as_returning())
        .get_result(conn)
        .await
        .optional()?;
    let Some(post) = saved else {
        return stale_outcome(conn, scope, current).await;
    };
    record_change(conn, scope, current, &post, action, actor).await?;
    Ok(Outcome::Saved(post))
}

/// The revision and the audit event of a change from `before` to `after`.
async fn record_change(
    conn: &mut Conn,
    scope: Scope,
    before: &Post,
    after: &Post,
    action: &str,
    actor: &Actor,
) -> AppResult<()> {
    revisions::record(conn, scope, after, actor).await?;
    audit::record(
        conn,
        scope,
        actor,
        audit::Change {
            entity: after.kind().noun(),
            entity_id: after.id,
            action,
            before: Some(audit_fields(before)),
            after: Some(audit_fields(after)),
        },
    )
    .await
}

fn created_event(post: &Post) -> audit::Change<'static> {
    audit::Change {
        entity: post.kind().noun(),
        entity_id: post.id,
        action: "create",
        before: None,
        after: Some(audit_fields(post)),
    }
}

/// The post as it is now, after a versioned update found another version.
async fn stale_outcome(conn: &mut Conn, scope: Scope, current: &Post) -> AppResult<Outcome> {
    let current = find(conn, scope, current.id).await?;
    Ok(Outcome::Stale { current })
}

/// Removes the redirects of the slugs that the new posts have, one statement per site.
async fn forget_redirects_of(conn: &mut Conn, scope: Scope, created: &[Post]) -> AppResult<()> {
    let mut by_site: HashMap<Uuid, Vec<&str>> = HashMap::new();
    for post in created {
        by_site.entry(post.site_id).or_default().push(&post.slug);
    }
    for (site, slugs) in by_site {
        slug_redirects::forget_all(conn, scope, SiteId::from_uuid(site), &slugs).await?;
    }
    Ok(())
}

/// A free variant of `slug` when another post of the site (not `except`) has it.
async fn taken_slug(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    slug: &str,
    except: Option<Uuid>,
) -> AppResult<Option<String>> {
    let taken = by_slug(conn, scope, site, slug)
        .await?
        .is_some_and(|post| Some(post.id) != except);
    if !taken {
        return Ok(None);
    }
    free_slug(conn, scope, site, slug, except).await.map(Some)
}

/// The first of `slug`, `slug-2`, `slug-3`… that no other post of the site has.
async fn free_slug(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    slug: &str,
    except: Option<Uuid>,
) -> AppResult<String> {
    let base = slug.trim_end_matches('-');
    let base = if base.is_empty() { "post" } else { base };
    let prefix = format!("{}-", crate::db::like_escape(base));
    let taken: Vec<(Uuid, String)> = posts::table
        .filter(posts::customer_id.eq(scope.customer_uuid()))
        .filter(posts::site_id.eq(site.as_uuid()))
        .filter(
            posts::slug
                .eq(base)
                .or(posts::slug.like(format!("{prefix}%"))),
        )
        .select((posts::id, posts::slug))
        .load(conn)
        .await?;
    let taken: HashSet<String> = taken
        .into_iter()
        .filter(|(id, _)| Some(*id) != except)
        .map(|(_, slug)| slug)
        .collect();
    if !taken.contains(base) {
        return Ok(base.to_owned());
    }
    for n in 2.. {
        let suffix = format!("-{n}");
        let room = crate::content::front_matter::MAX_SLUG_CHARS - suffix.len();
        let stem = base[..base.len().min(room)].trim_end_matches('-');
        let candidate = format!("{stem}{suffix}");
        if !taken.contains(&candidate) {
            return Ok(candidate);
        }
    }
    unreachable!("some number is free")
}

/// Deletes a post that is in the trash, with its revisions and redirects, for good, if it is
/// still at `expected_version`.
pub async fn delete(
    conn: &mut Conn,
    scope: Scope,
    current: &Post,
    expected_version: i32,
    actor: &Actor,
) -> AppResult<Outcome> {
    if current.version != expected_version {
        return Ok(Outcome::Stale {
            current: current.clone(),
        });
    }
    if current.trashed_at.is_none() {
        return Ok(Outcome::Refused(match current.kind() {
            Kind::Post => "only posts in the trash can be deleted",
            Kind::Page => "only pages in the trash can be deleted",
        }));
    }
    let deleted = diesel::delete(posts::table)
        .filter(posts::customer_id.eq(scope.customer_uuid()))
        .filter(posts::id.eq(current.id))
        .filter(posts::version.eq(expected_version))
        .filter(posts::trashed_at.is_not_null())
        .execute(conn)
        .await?;
    if deleted == 0 {
        return stale_outcome(conn, scope, current).await;
    }
    audit::record(
        conn,
        scope,
        actor,
        audit::Change {
            entity: current.kind().noun(),
            entity_id: current.id,
            action: "delete",
            before: Some(audit_fields(current)),
            after: None,
        },
    )
    .await?;
    Ok(Outcome::Saved(current.clone()))
}

/// Refuses featured images that are not in the customer's media library.
async fn check_featured(
    conn: &mut Conn,
    scope: Scope,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<()> {
    let mut wanted: Vec<Uuid> = ids.into_iter().collect();
    wanted.sort_unstable();
    wanted.dedup();
    if wanted.is_empty() {
        return Ok(());
    }
    let found = crate::media::library::find_many(conn, scope, &wanted).await?;
    match wanted.iter().find(|id| !found.iter().any(|m| m.id == **id)) {
        Some(missing) => Err(AppError::Invalid(format!(
            "the featured image {missing} is not in the media library"
        ))),
        None => Ok(()),
    }
}

fn stale() -> AppError {
    AppError::Conflict("the post was changed by someone else since it was loaded".into())
}

/// A unique violation of the slug (two writers racing for one slug) as a conflict.
fn slug_conflict(error: diesel::result::Error, slug: &str) -> AppError {
    match AppError::from(error) {
        e if e.violates_unique("posts_slug_per_site") => {
            AppError::Conflict(format!("the address {slug} is already taken on this site"))
        }
        other => other,
    }
}

/// A new post as inserted.
#[derive(Insertable)]
#[diesel(table_name = posts)]
struct Row<'a> {
    customer_id: Uuid,
    id: Uuid,
    kind: &'static str,
    site_id: Uuid,
    title: &'a str,
    slug: &'a str,
    body_markdown: &'a str,
    body_html: &'a str,
    description: &'a str,
    tags: &'a [String],
    status: &'static str,
    published_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    featured_media_id: Option<Uuid>,
    byline: &'a str,
}

impl<'a> Row<'a> {
    fn of(scope: Scope, post: &NewPost<'a>, now: DateTime<Utc>) -> Row<'a> {
        Row {
            customer_id: scope.customer_uuid(),
            id: post.id,
            kind: post.kind.as_str(),
            site_id: post.site.as_uuid(),
            title: post.title.trim(),
            slug: post.slug,
            body_markdown: &post.body.markdown,
            body_html: &post.body.html,
            description: post.description.trim(),
            tags: post.tags,
            status: post.status.as_str(),
            published_at: post.published_at,
            created_at: now,
            updated_at: now,
            featured_media_id: post.featured_media_id,
            byline: post.byline.trim(),
        }
    }
}
