//! The images panel of the post form: the library's newest images, each with the Markdown line
//! that shows it in a post (`![alt](media:{id})`) and offered as the featured image (with the
//! post's current one, however old), and a warning naming the images the body shows without any
//! alt text (neither in the Markdown nor in the library): allowed, but flagged.

use scoped_futures::ScopedFutureExt;
use uuid::Uuid;

use crate::content::markdown;
use crate::db::keyset::PageAt;
use crate::error::AppResult;
use crate::media::library::{self, Filter};
use crate::media::pictures::{self, Pictures};
use crate::tenancy::Scope;
use crate::web::AppState;

/// How many of the newest images the panel offers.
const OFFERED: usize = 12;

/// An image the panel offers.
pub struct Offered {
    pub id: String,
    pub name: String,
    pub thumbnail: Option<String>,
    pub markdown: String,
}

/// What the panel shows.
#[derive(Default)]
pub struct MediaPanel {
    pub offered: Vec<Offered>,
    /// The featured image when it is not among the offered ones.
    pub featured_elsewhere: Option<Offered>,
    /// Names of the images the body shows with no alt text anywhere.
    pub missing_alt: Vec<String>,
}

/// The panel of a form whose body is `body` and whose featured image is `featured`.
pub async fn load(
    state: &AppState,
    scope: Scope,
    body: &str,
    featured: Option<Uuid>,
) -> AppResult<MediaPanel> {
    state
        .db
        .tenant_read(scope, |conn| {
            async move {
                let newest = library::list(conn, scope, &Filter::default(), PageAt::First).await?;
                let mut newest: Vec<_> = newest.rows.into_iter().take(OFFERED).collect();
                let elsewhere = match featured {
                    Some(id) if !newest.iter().any(|m| m.id == id) => {
                        library::find_many(conn, scope, &[id]).await?.pop()
                    }
                    _ => None,
                };
                let elsewhere_id = elsewhere.as_ref().map(|m| m.id);
                newest.extend(elsewhere);
                let ids: Vec<_> = newest.iter().map(|m| m.id).collect();
                let files = library::files_of(conn, scope, &ids).await?;
                let mut offered: Vec<Offered> = newest
                    .iter()
                    .map(|media| Offered {
                        id: media.id.to_string(),
                        name: media.original_name.clone(),
                        thumbnail: files
                            .iter()
                            .filter(|f| f.media_id == media.id)
                            .min_by_key(|f| (f.width, f.size_bytes))
                            .map(pictures::path),
                        markdown: format!(
                            "![{}]({})",
                            media.alt_text,
                            library::reference(media.id)
                        ),
                    })
                    .collect();
                let featured_elsewhere = elsewhere_id.and_then(|_| offered.pop());
                let shown = Pictures::for_markdown(conn, scope, body).await?;
                let missing_alt = markdown::media_images(body)
                    .into_iter()
                    .filter(|(_, alt)| alt.trim().is_empty())
                    .filter_map(|(id, _)| shown.get(id))
                    .filter(|media| media.alt_text.trim().is_empty())
                    .map(|media| media.original_name.clone())
                    .collect();
                Ok(MediaPanel {
                    offered,
                    featured_elsewhere,
                    missing_alt,
                })
            }
            .scope_boxed()
        })
        .await
}
