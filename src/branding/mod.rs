//! Branding: how each site looks and reads, chosen by its owner — the title (the site's name), a
//! tagline, a logo, a favicon and a default share image from the customer's media library, an
//! accent colour ([`colour`]), footer text in Markdown, social profile links ([`social`]), the
//! language of its pages ([`language_tag`]), the time zone its dates are shown in and how many
//! posts its feeds carry; and, beside them, the language its posts are searched in.
//!
//! Branding is data that the templates place. Customers never supply CSS or JavaScript (see
//! `docs/design.md`): the accent colour becomes custom properties of a stylesheet made here, the
//! footer's Markdown passes the posts' sanitiser, links must be `https://`.
//!
//! The one write path is [`save`]: it checks everything first (nothing is written when one field
//! is refused), saves over the version of the site the form was loaded at, renders the footer
//! once, reindexes the site's posts when the search language changes and records an audit event.
//! Deleting a library image that a site shows goes through [`forget_media`]. What pages need is
//! [`Brand`], loaded with the site's directory entry.

pub mod colour;
pub mod language_tag;
pub mod social;

use std::str::FromStr;

use chrono_tz::Tz;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::content::markdown;
use crate::db::{Conn, schema::tenancy::site_branding};
use crate::error::{AppError, AppResult};
use crate::input::{self, Shape};
use crate::media::library;
use crate::media::pictures::{self, Pictures};
use crate::search::{self, Language};
use crate::tenancy::customers::valid_name;
use crate::tenancy::{Scope, SiteId, sites};

use colour::Accent;
use social::SocialLink;

/// Longest tagline.
pub const MAX_TAGLINE_CHARS: usize = 200;
/// Longest footer text (Markdown): a footer is a line or two, and every host entry of the
/// directory carries its HTML.
pub const MAX_FOOTER_CHARS: usize = 2_000;
/// The language of a site that has chosen none.
pub const DEFAULT_LANGUAGE: &str = "en";
/// The widest logo file a page loads (twice the header's height on a dense screen is far less).
pub const LOGO_MAX_WIDTH: i32 = 640;
/// Posts in a feed of a site that has chosen no number: as many as most feeds of the web carry.
/// A feed reader fetches the whole document on every poll, each post in full.
pub const DEFAULT_FEED_LENGTH: i32 = 10;
/// The most posts a feed may carry (about 15 kB each in full).
pub const MAX_FEED_LENGTH: i32 = 50;

/// A site's branding as stored (the defaults for a site that never saved one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branding {
    pub tagline: String,
    pub logo: Option<Uuid>,
    pub favicon: Option<Uuid>,
    pub share_image: Option<Uuid>,
    /// `#rrggbb`, lower-case.
    pub accent: Option<String>,
    pub footer_markdown: String,
    /// The footer's sanitised HTML, rendered when saved.
    pub footer_html: String,
    pub social_links: Vec<String>,
    /// A BCP 47 tag.
    pub language: String,
    /// An IANA time zone name.
    pub time_zone: String,
    /// How many of the newest posts the site's feeds carry (1 to [`MAX_FEED_LENGTH`]).
    pub feed_length: i32,
}

impl Default for Branding {
    fn default() -> Branding {
        Branding {
            tagline: String::new(),
            logo: None,
            favicon: None,
            share_image: None,
            accent: None,
            footer_markdown: String::new(),
            footer_html: String::new(),
            social_links: Vec::new(),
            language: DEFAULT_LANGUAGE.to_owned(),
            time_zone: "UTC".to_owned(),
            feed_length: DEFAULT_FEED_LENGTH,
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = site_branding)]
struct Row {
    tagline: String,
    logo_media_id: Option<Uuid>,
    favicon_media_id: Option<Uuid>,
    share_image_media_id: Option<Uuid>,
    accent_colour: Option<String>,
    footer_markdown: String,
    footer_html: String,
    social_links: Vec<Option<String>>,
    language: String,
    time_zone: String,
    feed_length: i32,
}

impl From<Row> for Branding {
    fn from(row: Row) -> Branding {
        Branding {
            tagline: row.tagline,
            logo: row.logo_media_id,
            favicon: row.favicon_media_id,
            share_image: row.share_image_media_id,
            accent: row.accent_colour,
            footer_markdown: row.footer_markdown,
            footer_html: row.footer_html,
            social_links: row.social_links.into_iter().flatten().collect(),
            language: row.language,
            time_zone: row.time_zone,
            feed_length: row.feed_length,
        }
    }
}

/// What the row's write changes (everything but the keys and the creation time).
#[derive(AsChangeset, Insertable)]
#[diesel(table_name = site_branding)]
#[diesel(treat_none_as_null = true)]
struct Changes<'a> {
    tagline: &'a str,
    logo_media_id: Option<Uuid>,
    favicon_media_id: Option<Uuid>,
    share_image_media_id: Option<Uuid>,
    accent_colour: Option<&'a str>,
    footer_markdown: &'a str,
    footer_html: &'a str,
    social_links: &'a [String],
    language: &'a str,
    time_zone: &'a str,
    feed_length: i32,
    updated_at: chrono::DateTime<chrono::Utc>,
}

impl<'a> Changes<'a> {
    fn of(branding: &'a Branding) -> Changes<'a> {
        Changes {
            tagline: &branding.tagline,
            logo_media_id: branding.logo,
            favicon_media_id: branding.favicon,
            share_image_media_id: branding.share_image,
            accent_colour: branding.accent.as_deref(),
            footer_markdown: &branding.footer_markdown,
            footer_html: &branding.footer_html,
            social_links: &branding.social_links,
            language: &branding.language,
            time_zone: &branding.time_zone,
            feed_length: branding.feed_length,
            updated_at: crate::db::now(),
        }
    }
}

/// The branding of a site of the customer in scope.
pub async fn of_site(mut conn: &Conn, scope: Scope, site: SiteId) -> AppResult<Branding> {
    let row: Option<Row> = site_branding::table
        .filter(site_branding::customer_id.eq(scope.customer_uuid()))
        .filter(site_branding::site_id.eq(site.as_uuid()))
        .select(Row::as_select())
        .first(&mut conn)
        .await
        .optional()?;
    Ok(row.map(Branding::from).unwrap_or_default())
}

// ------------------------------------------------------------------------------------------------
// What pages show

/// A library image as the site's chrome shows it: one file, its pixel size and alt text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrandImage {
    /// `/media/{name}`.
    pub path: String,
    pub width: i32,
    pub height: i32,
    pub content_type: &'static str,
    pub alt: String,
}

/// The accent colour's stylesheet and its version (a digest of its text, for the address pages
/// link it by, so that it can be cached for a year).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stylesheet {
    pub css: String,
    pub version: String,
}

/// What every public page (and the admin header) shows of a site's branding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brand {
    pub tagline: String,
    pub logo: Option<BrandImage>,
    pub favicon: Option<BrandImage>,
    pub share_image: Option<BrandImage>,
    pub footer_html: String,
    pub social_links: Vec<SocialLink>,
    /// `<html lang>`.
    pub language: String,
    /// The zone dates are shown in.
    pub time_zone: Tz,
    /// How many of the newest posts a feed carries.
    pub feed_length: i64,
    /// Present when the site has an accent colour.
    pub stylesheet: Option<Stylesheet>,
}

impl Default for Brand {
    fn default() -> Brand {
        Brand::of(&Branding::default(), &Pictures::default())
    }
}

impl Brand {
    /// The brand of `branding`, with its images from `pictures` (an image without a file in its
    /// own format is left out).
    pub fn of(branding: &Branding, pictures: &Pictures) -> Brand {
        let image = |id: Option<Uuid>, max_width: i32| {
            let (media, files) = pictures.with_files(id?)?;
            let file = pictures::own_file_within(media, files, max_width)?;
            Some(BrandImage {
                path: pictures::path(file),
                width: file.width,
                height: file.height,
                content_type: crate::media::upload::content_type(&file.format),
                alt: media.alt_text.clone(),
            })
        };
        let stylesheet = branding
            .accent
            .as_deref()
            .and_then(|text| Accent::parse(text).ok())
            .map(|accent| {
                let css = accent.stylesheet();
                let version = digest(&css);
                Stylesheet { css, version }
            });
        Brand {
            tagline: branding.tagline.clone(),
            logo: image(branding.logo, LOGO_MAX_WIDTH),
            // The narrowest file: browsers scale a favicon down to a few pixels.
            favicon: image(branding.favicon, 0),
            share_image: image(branding.share_image, pictures::PREVIEW_MAX_WIDTH),
            footer_html: branding.footer_html.clone(),
            social_links: branding
                .social_links
                .iter()
                .map(|url| SocialLink::of(url))
                .collect(),
            language: branding.language.clone(),
            time_zone: Tz::from_str(&branding.time_zone).unwrap_or(Tz::UTC),
            feed_length: i64::from(branding.feed_length),
            stylesheet,
        }
    }
}

/// The first 12 hex digits of the SHA-256 of a text.
fn digest(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(text.as_bytes())[..6])
}

/// The brand of a site of the customer in scope: its branding and the files of its images.
pub async fn brand_of(conn: &Conn, scope: Scope, site: SiteId) -> AppResult<Brand> {
    let branding = of_site(conn, scope, site).await?;
    let ids: Vec<Uuid> = [branding.logo, branding.favicon, branding.share_image]
        .into_iter()
        .flatten()
        .collect();
    let pictures = if ids.is_empty() {
        Pictures::default()
    } else {
        Pictures::load(conn, scope, &ids).await?
    };
    Ok(Brand::of(&branding, &pictures))
}

// ------------------------------------------------------------------------------------------------
// The write path

/// What the owner sends, as typed.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub title: String,
    pub tagline: String,
    /// Ids of library images, empty for none.
    pub logo: String,
    pub favicon: String,
    pub share_image: String,
    /// `#rrggbb` or `#rgb`, empty for the default colours.
    pub accent: String,
    pub footer_markdown: String,
    /// One address a line.
    pub social_links: String,
    pub language: String,
    pub time_zone: String,
    /// Empty for [`DEFAULT_FEED_LENGTH`].
    pub feed_length: String,
    pub search_language: String,
}

/// Input that passed every check but the images' (which needs the database).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub title: String,
    pub search_language: Language,
    pub branding: Branding,
}

/// The site and its branding as saved.
#[derive(Debug, Clone)]
pub struct Saved {
    pub site: sites::Site,
    pub branding: Branding,
}

/// The roles an image can have in a site's branding, as people read them.
const LOGO: &str = "logo";
const FAVICON: &str = "favicon";
const SHARE_IMAGE: &str = "default share image";

/// Checks every field; the first refusal is [`AppError::Invalid`] with a reason naming the field.
pub fn check(input: &Input) -> AppResult<Checked> {
    let invalid = |reason: String| AppError::Invalid(reason);
    let line = |text: &str, field: &str| {
        input::check(text, Shape::Line).map_err(|reason| invalid(format!("the {field} {reason}")))
    };
    line(&input.title, "site title")?;
    let title = valid_name(&input.title).map_err(|e| match e {
        AppError::Invalid(reason) => invalid(reason.replace("the name", "the site title")),
        other => other,
    })?;
    line(&input.tagline, "tagline")?;
    let tagline = input.tagline.trim().to_owned();
    if tagline.chars().count() > MAX_TAGLINE_CHARS {
        return Err(invalid(format!(
            "the tagline must be at most {MAX_TAGLINE_CHARS} characters"
        )));
    }
    let image = |text: &str, role: &str| -> AppResult<Option<Uuid>> {
        match text.trim() {
            "" => Ok(None),
            id => Uuid::try_parse(id)
                .map(Some)
                .map_err(|_| not_in_library(role)),
        }
    };
    let accent = match input.accent.trim() {
        "" => None,
        text => Some(
            Accent::parse(text)
                .map_err(|refusal| invalid(refusal.to_string()))?
                .colour
                .to_string(),
        ),
    };
    input::check(&input.footer_markdown, Shape::Text)
        .map_err(|reason| invalid(format!("the footer text {reason}")))?;
    let footer_markdown = input.footer_markdown.trim().to_owned();
    if footer_markdown.chars().count() > MAX_FOOTER_CHARS {
        return Err(invalid(format!(
            "the footer text must be at most {MAX_FOOTER_CHARS} characters"
        )));
    }
    let lines: Vec<&str> = input.social_links.lines().collect();
    let social_links = social::check(&lines).map_err(invalid)?;
    let language = language_tag::normalise(&input.language).map_err(invalid)?;
    let time_zone = time_zone(&input.time_zone).map_err(invalid)?;
    let feed_length = feed_length(&input.feed_length).map_err(invalid)?;
    let search_language = Language::from_str(input.search_language.trim()).map_err(|_| {
        let names: Vec<&str> = Language::ALL.iter().map(|l| l.config()).collect();
        invalid(format!(
            "the search language must be one of {}",
            names.join(", ")
        ))
    })?;
    Ok(Checked {
        title,
        search_language,
        branding: Branding {
            tagline,
            logo: image(&input.logo, LOGO)?,
            favicon: image(&input.favicon, FAVICON)?,
            share_image: image(&input.share_image, SHARE_IMAGE)?,
            accent,
            footer_html: if footer_markdown.is_empty() {
                String::new()
            } else {
                markdown::render(&footer_markdown)
            },
            footer_markdown,
            social_links,
            language,
            time_zone,
            feed_length,
        },
    })
}

/// The number of posts in a feed: a whole number from 1 to [`MAX_FEED_LENGTH`], or empty for
/// [`DEFAULT_FEED_LENGTH`].
pub fn feed_length(text: &str) -> Result<i32, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(DEFAULT_FEED_LENGTH);
    }
    text.parse::<i32>()
        .ok()
        .filter(|n| (1..=MAX_FEED_LENGTH).contains(n))
        .ok_or_else(|| {
            let typed: String = text.chars().take(16).collect();
            format!(
                "the posts in a feed must be a whole number from 1 to {MAX_FEED_LENGTH}, \
                 not \"{typed}\""
            )
        })
}

/// An IANA time zone name in its canonical spelling (`europe/zurich` → `Europe/Zurich`).
pub fn time_zone(text: &str) -> Result<String, String> {
    let text = text.trim();
    Tz::from_str(text)
        .ok()
        .or_else(|| {
            chrono_tz::TZ_VARIANTS
                .into_iter()
                .find(|tz| tz.name().eq_ignore_ascii_case(text))
        })
        .map(|tz| tz.name().to_owned())
        .ok_or_else(|| {
            format!(
                "the time zone must be an IANA time zone name such as Europe/Zurich, \
                 America/New_York or UTC, not \"{}\"",
                text.chars().take(64).collect::<String>()
            )
        })
}

fn not_in_library(role: &str) -> AppError {
    AppError::Invalid(format!(
        "the {role} must be an image of this customer's media library"
    ))
}

/// Saves the title, search language and branding of a site that is still at
/// `expected_version`: [`AppError::Invalid`] for a refused field or an image that is not the
/// customer's, [`AppError::Conflict`] when the site changed since; nothing is written then.
pub async fn save(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    expected_version: i32,
    input: &Input,
    actor: &Actor,
) -> AppResult<Saved> {
    let checked = check(input)?;
    let before_site = sites::find(conn, scope, site).await?;
    if before_site.version != expected_version {
        return Err(stale());
    }
    let before_language = sites::search_language(conn, scope, site).await?;
    let branding = checked.branding;
    let chosen = [
        (branding.logo, LOGO),
        (branding.favicon, FAVICON),
        (branding.share_image, SHARE_IMAGE),
    ];
    let ids: Vec<Uuid> = chosen.iter().filter_map(|(id, _)| *id).collect();
    // Images of another customer are not even visible here.
    let found = library::find_many(conn, scope, &ids).await?;
    for (id, role) in chosen {
        if let Some(id) = id
            && !found.iter().any(|media| media.id == id)
        {
            return Err(not_in_library(role));
        }
    }
    let before = of_site(conn, scope, site).await?;
    let saved_site = sites::save_details(
        conn,
        scope,
        site,
        expected_version,
        &checked.title,
        checked.search_language,
    )
    .await?
    .ok_or_else(stale)?;
    write_row(conn, scope, site, &branding)
        .await
        .map_err(|e| match e {
            // An image deleted since it was checked.
            error if error.is_foreign_key_violation() => AppError::Conflict(
                "an image of the branding was deleted from the media library meanwhile".into(),
            ),
            other => other,
        })?;
    if checked.search_language != before_language {
        search::reindex_site(conn, scope, site).await?;
    }
    audit::record(
        conn,
        scope,
        actor,
        Change {
            entity: "site",
            entity_id: site.as_uuid(),
            action: "update_branding",
            before: Some(audited(&before_site.name, before_language, &before)),
            after: Some(audited(
                &saved_site.name,
                checked.search_language,
                &branding,
            )),
        },
    )
    .await?;
    Ok(Saved {
        site: saved_site,
        branding,
    })
}

/// Inserts or replaces the branding row of a site.
async fn write_row(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    branding: &Branding,
) -> AppResult<()> {
    let changes = Changes::of(branding);
    diesel::insert_into(site_branding::table)
        .values((
            site_branding::customer_id.eq(scope.customer_uuid()),
            site_branding::site_id.eq(site.as_uuid()),
            site_branding::created_at.eq(changes.updated_at),
            &changes,
        ))
        .on_conflict((site_branding::customer_id, site_branding::site_id))
        .do_update()
        .set(&changes)
        .execute(conn)
        .await?;
    Ok(())
}

fn stale() -> AppError {
    AppError::Conflict("the site's branding was changed by someone else meanwhile".into())
}

/// The fields an audit event keeps (the footer as Markdown; its HTML follows from it).
fn audited(title: &str, search_language: Language, branding: &Branding) -> serde_json::Value {
    json!({
        "title": title,
        "search_language": search_language.config(),
        "tagline": branding.tagline,
        "logo": branding.logo,
        "favicon": branding.favicon,
        "share_image": branding.share_image,
        "accent": branding.accent,
        "footer": branding.footer_markdown,
        "social_links": branding.social_links,
        "language": branding.language,
        "time_zone": branding.time_zone,
        "feed_length": branding.feed_length,
    })
}

// ------------------------------------------------------------------------------------------------
// Library images in the branding

/// A site whose branding shows a library image, and as what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Use {
    pub site_id: Uuid,
    pub site_name: String,
    /// `logo`, `favicon`, `default share image`.
    pub roles: Vec<&'static str>,
}

type ImageColumns = (Uuid, Option<Uuid>, Option<Uuid>, Option<Uuid>);

/// The branding rows of the customer that show `media`.
async fn rows_showing(conn: &mut Conn, scope: Scope, media: Uuid) -> AppResult<Vec<ImageColumns>> {
    site_branding::table
        .filter(site_branding::customer_id.eq(scope.customer_uuid()))
        .filter(
            site_branding::logo_media_id
                .eq(media)
                .or(site_branding::favicon_media_id.eq(media))
                .or(site_branding::share_image_media_id.eq(media)),
        )
        .order(site_branding::site_id.asc())
        .select((
            site_branding::site_id,
            site_branding::logo_media_id,
            site_branding::favicon_media_id,
            site_branding::share_image_media_id,
        ))
        .load(conn)
        .await
        .map_err(AppError::from)
}

fn roles(row: &ImageColumns, media: Uuid) -> Vec<&'static str> {
    [(row.1, LOGO), (row.2, FAVICON), (row.3, SHARE_IMAGE)]
        .into_iter()
        .filter(|(id, _)| *id == Some(media))
        .map(|(_, role)| role)
        .collect()
}

/// The sites of the customer in scope whose branding shows `media`.
pub async fn uses_of_media(conn: &mut Conn, scope: Scope, media: Uuid) -> AppResult<Vec<Use>> {
    let mut uses = Vec::new();
    for row in rows_showing(conn, scope, media).await? {
        let site = sites::find(conn, scope, SiteId::from_uuid(row.0)).await?;
        uses.push(Use {
            site_id: row.0,
            site_name: site.name,
            roles: roles(&row, media),
        });
    }
    Ok(uses)
}

/// Takes `media` out of every site's branding (before the image is deleted): each such site
/// gets a new version and an audit event.
pub async fn forget_media(
    conn: &mut Conn,
    scope: Scope,
    media: Uuid,
    actor: &Actor,
) -> AppResult<()> {
    for row in rows_showing(conn, scope, media).await? {
        let site = SiteId::from_uuid(row.0);
        let before = of_site(conn, scope, site).await?;
        let keep = |id: Option<Uuid>| id.filter(|id| *id != media);
        let after = Branding {
            logo: keep(before.logo),
            favicon: keep(before.favicon),
            share_image: keep(before.share_image),
            ..before.clone()
        };
        write_row(conn, scope, site, &after).await?;
        sites::bump_version(conn, scope, site).await?;
        let images = |b: &Branding| json!({"logo": b.logo, "favicon": b.favicon, "share_image": b.share_image});
        audit::record(
            conn,
            scope,
            actor,
            Change {
                entity: "site",
                entity_id: row.0,
                action: "update_branding",
                before: Some(images(&before)),
                after: Some(images(&after)),
            },
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> Input {
        Input {
            title: " Alpha Blog ".into(),
            tagline: "Health, plainly".into(),
            accent: "#0B5CAD".into(),
            footer_markdown: "© Alpha <script>alert(1)</script> [home](https://alpha.example/)"
                .into(),
            social_links: "https://mastodon.social/@alpha\r\n\r\nhttps://x.com/alpha\n".into(),
            language: "de-ch".into(),
            time_zone: "europe/zurich".into(),
            search_language: "german".into(),
            ..Input::default()
        }
    }

    #[test]
    fn good_input_is_normalised_and_the_footer_sanitised() {
        let checked = check(&input()).unwrap();
        assert_eq!(checked.title, "Alpha Blog");
        assert_eq!(checked.search_language, Language::German);
        let b = checked.branding;
        assert_eq!(b.accent.as_deref(), Some("#0b5cad"));
        assert_eq!(b.language, "de-CH");
        assert_eq!(b.time_zone, "Europe/Zurich");
        assert_eq!(b.social_links.len(), 2);
        assert!(!b.footer_html.contains("<script"), "{}", b.footer_html);
        assert!(b.footer_html.contains("href=\"https://alpha.example/\""));
        assert_eq!(b.logo, None);
    }

    #[test]
    fn each_bad_field_is_refused_with_its_name() {
        type Case = (fn(&mut Input), &'static str);
        let cases: [Case; 13] = [
            (|i| i.title = "  ".into(), "site title must not be empty"),
            (
                |i| i.tagline = "x".repeat(201),
                "tagline must be at most 200",
            ),
            (|i| i.tagline = "a\nb".into(), "tagline contains a control"),
            (|i| i.accent = "#zzz".into(), "hex colour"),
            (|i| i.accent = "#808080".into(), "3.94:1"),
            (|i| i.social_links = "http://x.com/a".into(), "https://"),
            (|i| i.language = "en_US".into(), "BCP 47"),
            (|i| i.time_zone = "Mars/Olympus".into(), "IANA time zone"),
            (
                |i| i.search_language = "klingon".into(),
                "search language must",
            ),
            (|i| i.logo = "not-an-id".into(), "logo must be an image"),
            (|i| i.feed_length = "0".into(), "posts in a feed must"),
            (|i| i.feed_length = "51".into(), "from 1 to 50"),
            (|i| i.feed_length = "ten".into(), "not \"ten\""),
        ];
        for (change, says) in cases {
            let mut bad = input();
            change(&mut bad);
            match check(&bad) {
                Err(AppError::Invalid(reason)) => assert!(reason.contains(says), "{reason}"),
                other => panic!("{says}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_feed_carries_ten_posts_unless_the_site_chose_from_one_to_fifty() {
        assert_eq!(check(&input()).unwrap().branding.feed_length, 10);
        assert_eq!(feed_length(" 1 "), Ok(1));
        assert_eq!(feed_length("50"), Ok(50));
        for bad in ["-3", "2.5", "1e1", "99999999999", "51"] {
            assert!(feed_length(bad).is_err(), "{bad}");
        }
        assert_eq!(Brand::default().feed_length, 10);
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(time_zone("UTC").as_deref(), Ok("UTC"));
        assert_eq!(
            time_zone(" america/new_york ").as_deref(),
            Ok("America/New_York")
        );
        assert!(time_zone("").is_err());
        assert!(time_zone("CEST+2").is_err());
    }

    #[test]
    fn a_brand_without_branding_has_the_defaults() {
        let brand = Brand::default();
        assert_eq!(brand.language, "en");
        assert_eq!(brand.time_zone, Tz::UTC);
        assert!(brand.stylesheet.is_none() && brand.logo.is_none());
        let with_accent = Brand::of(
            &Branding {
                accent: Some("#0b5cad".into()),
                ..Branding::default()
            },
            &Pictures::default(),
        );
        let sheet = with_accent.stylesheet.unwrap();
        assert_eq!(sheet.version.len(), 12);
        assert!(sheet.css.contains("--accent: #0b5cad"));
    }
}
