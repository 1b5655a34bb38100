//! `POST /admin/products/{id}/archive` and `/restore`: taking a product off the public catalog
//! and bringing it back. Each carries the version the page was loaded at; a stale one is a 409 and
//! changes nothing. Answers with a flash message and a 303 back to the page the button was on.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;

use crate::error::{AppError, AppResult};
use crate::tenancy::users::Role;
use crate::thorne::products;
use crate::web::AppState;
use crate::web::admin::posts::{see_other, version};
use crate::web::admin::products::product_id;
use crate::web::auth::{CurrentUser, session as flash};

#[derive(Debug, Deserialize)]
pub struct ArchiveForm {
    version: Option<String>,
    /// The products admin page to go back to (the list with its filters, or the edit page).
    back: Option<String>,
}

/// Where to go after the action: `back` when it is a products admin page, else the edit page.
fn back_to(back: Option<&str>, id: uuid::Uuid) -> String {
    match back {
        Some(path)
            if (path == "/admin/products"
                || path.starts_with("/admin/products?")
                || path.starts_with("/admin/products/"))
                && !path.chars().any(|c| c.is_control() || c == '\\') =>
        {
            path.to_owned()
        }
        _ => format!("/admin/products/{id}"),
    }
}

async fn act(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: Session,
    path: web::Path<String>,
    form: web::Form<ArchiveForm>,
    archive: bool,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Pricing])?;
    let id = product_id(&path)?;
    let (scope, actor) = (user.scope, &user.actor);
    state
        .db
        .tenant_read(scope, |conn| {
            async move { products::find(conn, scope, id).await.map(drop) }.scope_boxed()
        })
        .await?;
    let expected = version(form.version.as_deref())?;
    let saved = state
        .db
        .tenant_tx(scope, |conn| {
            async move {
                let current = products::find(conn, scope, id).await?;
                if current.version != expected {
                    return Err(AppError::Conflict(format!(
                        "the product {} was changed by someone else after the page was loaded: \
                         reload the page and try again",
                        current.sku
                    )));
                }
                if current.archived_at.is_some() == archive {
                    return Err(AppError::Conflict(format!(
                        "the product {} is already {}",
                        current.sku,
                        if archive { "archived" } else { "active" }
                    )));
                }
                products::set_archived(conn, scope, &current, archive, actor).await
            }
            .scope_boxed()
        })
        .await?;
    let message = if archive {
        format!("Product {} archived: visitors no longer see it.", saved.sku)
    } else {
        format!("Product {} restored to the catalog.", saved.sku)
    };
    flash::flash(&session, &message);
    Ok(see_other(&back_to(form.back.as_deref(), id)))
}

pub async fn archive(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: Session,
    path: web::Path<String>,
    form: web::Form<ArchiveForm>,
) -> AppResult<HttpResponse> {
    act(state, user, session, path, form, true).await
}

pub async fn restore(
    state: web::Data<AppState>,
    user: CurrentUser,
    session: Session,
    path: web::Path<String>,
    form: web::Form<ArchiveForm>,
) -> AppResult<HttpResponse> {
    act(state, user, session, path, form, false).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_products_admin_pages_are_gone_back_to() {
        let id = uuid::Uuid::nil();
        let edit = format!("/admin/products/{id}");
        assert_eq!(
            back_to(Some("/admin/products?shelf=all&q=d3"), id),
            "/admin/products?shelf=all&q=d3"
        );
        assert_eq!(back_to(Some("/admin/products"), id), "/admin/products");
        for bad in [
            "https://evil.test/",
            "//evil.test/admin/products",
            "/admin/productsevil",
            "/admin/users",
            "/admin/products/\\evil",
        ] {
            assert_eq!(back_to(Some(bad), id), edit, "{bad}");
        }
        assert_eq!(back_to(None, id), edit);
    }
}
