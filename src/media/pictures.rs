//! How an image of the library appears on a page: a `<picture>` whose WebP source and `<img>`
//! list every width made from the upload (`srcset`), with the pixel size (`width`, `height`, so the
//! page does not jump while it loads), its alt text, `loading="lazy"` (or `fetchpriority="high"`
//! for the main image a page opens with, [`Loading`]) and `decoding="async"`.
//! [`Pictures`] loads the images a Markdown body names and renders that body with them.

use std::collections::HashMap;

use uuid::Uuid;

use crate::content::markdown;
use crate::db::Conn;
use crate::error::AppResult;
use crate::media::library::{self, Media, MediaFile};
use crate::tenancy::Scope;

/// The `sizes` of a picture in a post body: the text column's width at most.
pub const BODY_SIZES: &str = "(max-width: 48rem) 100vw, 48rem";
/// The `sizes` of a product card's picture in the catalog grid (cards of at least 15rem, up to
/// four to a 64rem row): the whole width on a phone, half of it on a small tablet, then a card's.
pub const PRODUCT_CARD_SIZES: &str = "(max-width: 34rem) 100vw, (max-width: 50rem) 50vw, 21rem";
/// The `sizes` of a product's main image on its page: the product column's width at most.
pub const MAIN_SIZES: &str = "(max-width: 44rem) 100vw, 42rem";
/// The `sizes` of the other images of a product's gallery: a third of the product column.
pub const GALLERY_SIZES: &str = "(max-width: 30rem) 50vw, 14rem";

/// How a picture loads: `Lazy` (`loading="lazy"`) below the fold, `Eager` (with
/// `fetchpriority="high"`) for the main image a page opens with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loading {
    Lazy,
    Eager,
}

/// The `sizes` of a picture on a post's card in a listing.
pub const CARD_SIZES: &str = "(max-width: 48rem) 100vw, 24rem";

/// The widest file a link preview (`og:image`) points to.
pub const PREVIEW_MAX_WIDTH: i32 = 1600;

/// An image as a page shows it: its `<picture>`, and the file a link preview uses.
#[derive(Debug, Clone)]
pub struct Shown {
    pub html: String,
    /// `/media/{name}` of the widest file in the image's own format up to 1600 pixels.
    pub preview_path: String,
    /// That file's content type and size, for feeds' enclosures.
    pub preview_type: &'static str,
    pub preview_bytes: i64,
}

/// Images of the library with their files, by id.
#[derive(Debug, Default, Clone)]
pub struct Pictures {
    by_id: HashMap<Uuid, (Media, Vec<MediaFile>)>,
}

impl Pictures {
    /// The images `ids` of the customer in scope (ids that do not exist are left out): the images
    /// and their files asked for in one flight.
    pub async fn load(conn: &Conn, scope: Scope, ids: &[Uuid]) -> AppResult<Pictures> {
        if ids.is_empty() {
            return Ok(Pictures::default());
        }
        let (media, files) = futures_util::try_join!(
            library::find_many(conn, scope, ids),
            library::files_of(conn, scope, ids)
        )?;
        let mut files_by_media: HashMap<Uuid, Vec<MediaFile>> = HashMap::new();
        for file in files {
            files_by_media.entry(file.media_id).or_default().push(file);
        }
        let by_id = media
            .into_iter()
            .map(|m| {
                let of = files_by_media.remove(&m.id).unwrap_or_default();
                (m.id, (m, of))
            })
            .collect();
        Ok(Pictures { by_id })
    }

    /// The images a Markdown body names.
    pub async fn for_markdown(conn: &mut Conn, scope: Scope, body: &str) -> AppResult<Pictures> {
        Pictures::load(conn, scope, &markdown::media_ids(body)).await
    }

    /// The images a post shows: those its body names and its featured image.
    pub async fn for_post(
        conn: &mut Conn,
        scope: Scope,
        body: &str,
        featured: Option<Uuid>,
    ) -> AppResult<Pictures> {
        let mut ids = markdown::media_ids(body);
        ids.extend(featured.filter(|id| !ids.contains(id)));
        if ids.is_empty() {
            return Ok(Pictures::default());
        }
        Pictures::load(conn, scope, &ids).await
    }

    /// The image `id`, if loaded.
    pub fn get(&self, id: Uuid) -> Option<&Media> {
        self.by_id.get(&id).map(|(media, _)| media)
    }

    /// The HTML of image `id` with `alt` (the library's alt text when empty), or `None`.
    pub fn html(&self, id: Uuid, alt: &str, sizes: &str) -> Option<String> {
        let (media, files) = self.by_id.get(&id)?;
        let alt = if alt.trim().is_empty() {
            media.alt_text.as_str()
        } else {
            alt
        };
        picture_html(media, files, alt, sizes)
    }

    /// Image `id` as a page shows it on its own (a featured image), with the library's alt text.
    pub fn shown(&self, id: Uuid, sizes: &str) -> Option<Shown> {
        let (media, files) = self.by_id.get(&id)?;
        let html = picture_html(media, files, &media.alt_text, sizes)?;
        let preview = own_file_within(media, files, PREVIEW_MAX_WIDTH)?;
        Some(Shown {
            html,
            preview_path: path(preview),
            preview_type: crate::media::upload::content_type(&preview.format),
            preview_bytes: preview.size_bytes,
        })
    }

    /// The image `id` and its files, if loaded.
    pub fn with_files(&self, id: Uuid) -> Option<(&Media, &[MediaFile])> {
        self.by_id
            .get(&id)
            .map(|(media, files)| (media, files.as_slice()))
    }

    /// The sanitised HTML of a Markdown body, with these images in it.
    pub fn render(&self, body: &str) -> String {
        markdown::render_with(body, &|id, alt| self.html(id, alt, BODY_SIZES))
    }
}

/// The `<picture>` of an upload from its files, or `None` when it has none in its own format.
pub fn picture_html(media: &Media, files: &[MediaFile], alt: &str, sizes: &str) -> Option<String> {
    picture_html_with(media, files, alt, sizes, Loading::Lazy)
}

/// The file of an upload in its own format at most `max_width` wide (the widest such), else its
/// narrowest in its own format.
pub fn own_file_within<'a>(
    media: &Media,
    files: &'a [MediaFile],
    max_width: i32,
) -> Option<&'a MediaFile> {
    let own = || files.iter().filter(|f| f.format == media.format);
    own()
        .filter(|f| f.width <= max_width)
        .max_by_key(|f| (f.width, std::cmp::Reverse(f.size_bytes)))
        .or_else(|| own().min_by_key(|f| (f.width, f.size_bytes)))
}

/// The widest file of an upload in its own format (what a link to the full image opens).
pub fn widest_own_file<'a>(media: &Media, files: &'a [MediaFile]) -> Option<&'a MediaFile> {
    own_file_within(media, files, i32::MAX)
}

/// The `<picture>` of an upload loading as `loading` says, or `None` when it has no file in its
/// own format.
pub fn picture_html_with(
    media: &Media,
    files: &[MediaFile],
    alt: &str,
    sizes: &str,
    loading: Loading,
) -> Option<String> {
    let own: Vec<&MediaFile> = files.iter().filter(|f| f.format == media.format).collect();
    let fallback = own
        .iter()
        .filter(|f| f.width <= 1024)
        .max_by_key(|f| f.width)
        .or_else(|| own.iter().min_by_key(|f| f.width))?;
    let webp: Vec<&MediaFile> = files
        .iter()
        .filter(|f| f.format == "webp" && media.format != "webp")
        .collect();
    let mut html = String::from("<picture>");
    if !webp.is_empty() {
        html.push_str(&format!(
            "<source type=\"image/webp\" srcset=\"{}\" sizes=\"{sizes}\">",
            srcset(&webp)
        ));
    }
    let loading = match loading {
        Loading::Lazy => "loading=\"lazy\"",
        Loading::Eager => "fetchpriority=\"high\"",
    };
    html.push_str(&format!(
        "<img src=\"{}\" srcset=\"{}\" sizes=\"{sizes}\" width=\"{}\" height=\"{}\" alt=\"{}\" \
         {loading} decoding=\"async\"></picture>",
        path(fallback),
        srcset(&own),
        media.width,
        media.height,
        escape_attribute(alt)
    ));
    Some(html)
}

/// The address of a file.
pub fn path(file: &MediaFile) -> String {
    format!("{}{}", markdown::MEDIA_PATH, file.name)
}

/// `srcset` of files: one candidate per width (the smallest file of each).
fn srcset(files: &[&MediaFile]) -> String {
    let mut by_width: Vec<&MediaFile> = Vec::new();
    for file in files {
        match by_width.iter_mut().find(|f| f.width == file.width) {
            Some(kept) if kept.size_bytes > file.size_bytes => *kept = file,
            Some(_) => {}
            None => by_width.push(file),
        }
    }
    by_width.sort_by_key(|f| f.width);
    by_width
        .iter()
        .map(|f| format!("{} {}w", path(f), f.width))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Text made safe inside a double-quoted attribute.
fn escape_attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn media(format: &str) -> Media {
        Media {
            id: Uuid::nil(),
            sha256: "0".repeat(64),
            original_name: "cat.jpg".into(),
            format: format.into(),
            size_bytes: 1000,
            width: 2000,
            height: 1000,
            alt_text: "A cat from the library".into(),
            caption: String::new(),
            uploaded_by_label: "test".into(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            version: 1,
        }
    }

    fn file(hash: char, format: &str, width: i32, size: i64) -> MediaFile {
        let ext = if format == "jpeg" { "jpg" } else { format };
        MediaFile {
            customer_id: Uuid::nil(),
            media_id: Uuid::nil(),
            name: format!("{}.{ext}", hash.to_string().repeat(64)),
            format: format.into(),
            width,
            height: width / 2,
            size_bytes: size,
        }
    }

    #[test]
    fn a_picture_lists_every_width_with_its_size_and_alt() {
        let files = [
            file('a', "jpeg", 320, 10),
            file('b', "webp", 320, 8),
            file('c', "jpeg", 1024, 50),
            file('d', "webp", 1024, 40),
            file('e', "jpeg", 2000, 200),
        ];
        let html = picture_html(&media("jpeg"), &files, "A \"cat\"", BODY_SIZES).unwrap();
        let a = "a".repeat(64);
        let c = "c".repeat(64);
        let e = "e".repeat(64);
        assert!(html.contains(&format!(
            "srcset=\"/media/{a}.jpg 320w, /media/{c}.jpg 1024w, /media/{e}.jpg 2000w\""
        )));
        assert!(html.contains(&format!("src=\"/media/{c}.jpg\"")), "{html}");
        assert!(html.contains("type=\"image/webp\""));
        assert!(html.contains("width=\"2000\" height=\"1000\""));
        assert!(html.contains("alt=\"A &quot;cat&quot;\""));
        // The rendered body keeps it through the sanitiser.
        let mut pictures = Pictures::default();
        pictures
            .by_id
            .insert(Uuid::nil(), (media("jpeg"), files.to_vec()));
        let body = pictures.render(&format!("![](media:{})", Uuid::nil()));
        assert!(body.contains("alt=\"A cat from the library\""), "{body}");
        assert!(body.contains(&format!("/media/{e}.jpg 2000w")), "{body}");
    }

    #[test]
    fn a_main_image_loads_at_once_and_files_are_chosen_by_width() {
        let files = [
            file('a', "jpeg", 320, 10),
            file('b', "webp", 1024, 8),
            file('c', "jpeg", 1024, 50),
            file('e', "jpeg", 2000, 200),
        ];
        let media = media("jpeg");
        let html = picture_html_with(&media, &files, "x", MAIN_SIZES, Loading::Eager).unwrap();
        assert!(html.contains("fetchpriority=\"high\""), "{html}");
        assert!(!html.contains("loading="), "{html}");
        assert_eq!(own_file_within(&media, &files, 1200).unwrap().width, 1024);
        assert_eq!(own_file_within(&media, &files, 100).unwrap().width, 320);
        assert_eq!(widest_own_file(&media, &files).unwrap().width, 2000);
        assert!(own_file_within(&media, &[file('b', "webp", 10, 1)], 100).is_none());
    }
}
