//! `POST /admin/media/{id}/delete`: deletes an image read at the form's version. An image that
//! posts, product galleries or a site's branding still show is deleted only with `confirm=yes`;
//! without it the answer is a 409 with the image's page listing the posts whose picture would
//! break, the products it would leave (deleting takes it out of their galleries) and the sites
//! whose logo, favicon or default share image it is (deleting takes it out of their branding).
//! After the commit the files no other image of the customer has are removed from the store; they
//! stop being served at once, since serving goes through the records.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;

use crate::error::AppResult;
use crate::media::library;
use crate::media::store::Key;
use crate::tenancy::Scope;
use crate::web::AppState;
use crate::web::admin::media::edit::{self, EditPage};
use crate::web::admin::media::{ROLES, media_id};
use crate::web::admin::posts::see_other;
use crate::web::auth::CurrentUser;
use crate::web::auth::session::flash;
use crate::web::response;
use crate::web::site::RequestSite;

#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    pub version: String,
    #[serde(default)]
    pub confirm: String,
}

pub async fn delete(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    path: web::Path<String>,
    form: web::Form<DeleteForm>,
) -> AppResult<HttpResponse> {
    user.require(ROLES)?;
    let id = media_id(&path)?;
    let expected = edit::version(&form.version)?;
    let scope = user.scope;
    let loaded = edit::load(&state, scope, id).await?;
    let in_use = !loaded.uses.is_empty() || !loaded.products.is_empty() || !loaded.sites.is_empty();
    if in_use && form.confirm != "yes" {
        let mut message = String::new();
        if !loaded.uses.is_empty() {
            message.push_str(&format!(
                "{} post(s) show this image: deleting it breaks their picture. ",
                loaded.uses.len()
            ));
        }
        if !loaded.products.is_empty() {
            message.push_str(&format!(
                "{} product(s) show it in their gallery: deleting it takes it out of them. ",
                loaded.products.len()
            ));
        }
        if !loaded.sites.is_empty() {
            message.push_str(&format!(
                "{} site(s) show it in their branding: deleting it takes it out of their branding. ",
                loaded.sites.len()
            ));
        }
        message.push_str("Confirm below to delete it anyway.");
        let mut page = EditPage::new(&site, &user, &session, &loaded, Some(message));
        page.confirm_delete = true;
        return response::private_page(StatusCode::CONFLICT, &page);
    }
    let actor = &user.actor;
    let names = state
        .db
        .tenant_tx(scope, |conn| {
            async move { library::delete(conn, scope, id, expected, actor).await }.scope_boxed()
        })
        .await?;
    // A site's branding may have shown it: its host entries are loaded afresh.
    state.directory.invalidate();
    remove_unused_files(&state, scope, &names).await;
    flash(
        &session,
        &format!("The image {} was deleted.", loaded.media.original_name),
    );
    Ok(see_other("/admin/media"))
}

/// Removes from the store the files no image of the customer has any more (a failure is logged:
/// the file is no longer served either way).
async fn remove_unused_files(state: &AppState, scope: Scope, names: &[String]) {
    for name in names {
        let used = state
            .db
            .tenant_read(scope, |conn| {
                async move { library::is_file_used(conn, scope, name).await }.scope_boxed()
            })
            .await;
        if !matches!(used, Ok(false)) {
            continue;
        }
        let Some((hash, extension)) = name.split_once('.') else {
            continue;
        };
        let removed = match Key::new(scope.customer_uuid(), hash, extension) {
            Ok(key) => state
                .media_store
                .delete(&key)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(error) = removed {
            tracing::warn!(%error, file = %name, "a deleted image's file stays in the media store");
        }
    }
}
