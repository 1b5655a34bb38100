//! The gallery field of the product form: the images of the field in order as thumbnails, the
//! first marked as the main image, each with its buttons (make main, move up and down, remove),
//! and the newest images of the library to add. The buttons are submit buttons of the product form
//! itself: the form comes back with the gallery rearranged and everything typed kept, and nothing
//! is saved until "Save changes", which saves the fields and the gallery over the version the form
//! was loaded at. Works without JavaScript.

use std::collections::HashMap;

use scoped_futures::ScopedFutureExt;
use uuid::Uuid;

use crate::db::keyset::PageAt;
use crate::error::AppResult;
use crate::media::library::{self, Filter, Media, MediaFile};
use crate::media::pictures;
use crate::tenancy::Scope;
use crate::web::AppState;

/// How many of the newest images of the library the picker offers.
pub const OFFERED: usize = 12;

/// An image of the gallery.
pub struct Item {
    pub id: String,
    pub name: String,
    pub alt: String,
    pub thumbnail: Option<String>,
    /// No image of the library has this id (a typed id, or an image deleted meanwhile).
    pub unknown: bool,
}

/// An image the picker offers.
pub struct Offered {
    pub id: String,
    pub name: String,
    pub alt: String,
    pub thumbnail: Option<String>,
    pub in_gallery: bool,
}

/// What the gallery field shows.
#[derive(Default)]
pub struct GalleryView {
    pub items: Vec<Item>,
    pub offered: Vec<Offered>,
    /// The gallery was rearranged by a button and is not saved yet.
    pub unsaved: bool,
}

/// The smallest file of an image, for its thumbnail.
fn thumbnail(files: &[MediaFile], id: Uuid) -> Option<String> {
    files
        .iter()
        .filter(|f| f.media_id == id)
        .min_by_key(|f| (f.width, f.size_bytes))
        .map(pictures::path)
}

/// The gallery field of `ids` (the main image first) and the picker.
pub async fn load(state: &AppState, scope: Scope, ids: &[Uuid]) -> AppResult<GalleryView> {
    let (media, newest, files) = state
        .db
        .tenant_read(scope, |conn| {
            async move {
                let media = library::find_many(conn, scope, ids).await?;
                let newest = library::list(conn, scope, &Filter::default(), PageAt::First).await?;
                let newest: Vec<Media> = newest.rows.into_iter().take(OFFERED).collect();
                let mut all: Vec<Uuid> = ids.to_vec();
                all.extend(newest.iter().map(|m| m.id));
                let files = library::files_of(conn, scope, &all).await?;
                Ok((media, newest, files))
            }
            .scope_boxed()
        })
        .await?;
    let by_id: HashMap<Uuid, &Media> = media.iter().map(|m| (m.id, m)).collect();
    let items = ids
        .iter()
        .map(|id| match by_id.get(id) {
            Some(media) => Item {
                id: id.to_string(),
                name: media.original_name.clone(),
                alt: media.alt_text.clone(),
                thumbnail: thumbnail(&files, *id),
                unknown: false,
            },
            None => Item {
                id: id.to_string(),
                name: format!("Unknown image {id}"),
                alt: String::new(),
                thumbnail: None,
                unknown: true,
            },
        })
        .collect();
    let offered = newest
        .iter()
        .map(|media| Offered {
            id: media.id.to_string(),
            name: media.original_name.clone(),
            alt: media.alt_text.clone(),
            thumbnail: thumbnail(&files, media.id),
            in_gallery: ids.contains(&media.id),
        })
        .collect();
    Ok(GalleryView {
        items,
        offered,
        unsaved: false,
    })
}
