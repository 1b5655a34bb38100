//! `POST /admin/products` (create) and `POST /admin/products/{id}` (save over the version the form
//! was loaded at). Bad fields, a SKU another product has and an unconfirmed negative margin
//! re-render the form with what was typed and an error next to each field (422, nothing saved).
//! A save that changes a price opens an edit change set, so the price history says who changed it,
//! when and why; a save that changes no price opens none. A stale version answers the 409
//! conflict page.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use scoped_futures::ScopedFutureExt;
use uuid::Uuid;

use crate::audit::Actor;
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::tenancy::Scope;
use crate::tenancy::users::Role;
use crate::thorne::change_sets::{self, Kind};
use crate::thorne::price_history::prices_differ;
use crate::thorne::products::{self, Edit, Product};
use crate::web::admin::posts::{see_other, version};
use crate::web::admin::products::edit::{self, edit_product_page, new_product_page};
use crate::web::admin::products::form::{self, Checked, FormErrors, FormView, ProductForm};
use crate::web::admin::products::{conflict, product_id};
use crate::web::auth::{CurrentUser, session as flash};
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// What creating a product came to.
enum Created {
    Saved(Box<Product>),
    SkuTaken,
}

pub async fn create(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    form: web::Form<ProductForm>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Pricing])?;
    let form = form.into_inner();
    let refuse = |errors: FormErrors| {
        let view = FormView::of_form(&form, None, errors);
        response::private_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &new_product_page(&site, &user, &session, view),
        )
    };
    let checked = match form::check(&form, &site.ctx.currency) {
        Ok(checked) => checked,
        Err(errors) => return refuse(*errors),
    };
    let (scope, actor) = (user.scope, &user.actor);
    let created = state
        .db
        .tenant_tx(scope, |conn| {
            let new = &checked.product;
            async move {
                if products::sku_taken(conn, scope, &new.sku, None).await? {
                    return Ok(Created::SkuTaken);
                }
                let mut created =
                    products::create_many(conn, scope, std::slice::from_ref(new), actor).await?;
                let product = created
                    .pop()
                    .ok_or_else(|| AppError::Internal("the new product was not returned".into()))?;
                Ok(Created::Saved(Box::new(product)))
            }
            .scope_boxed()
        })
        .await?;
    match created {
        Created::Saved(product) => {
            flash::flash(&session, &format!("Product {} created.", product.sku));
            Ok(see_other(&format!("/admin/products/{}", product.id)))
        }
        Created::SkuTaken => refuse(FormErrors::sku_taken(&checked.product.sku)),
    }
}

/// What saving over a stored product came to.
enum Outcome {
    /// Saved; the name of the change set when prices changed.
    Saved(Box<Product>, Option<String>),
    Invalid(FormErrors),
    Stale(Box<Product>),
}

/// Saves the checked form over the product if it is still at version `expected`.
async fn save_edit(
    conn: &mut Conn,
    scope: Scope,
    id: Uuid,
    expected: i32,
    checked: &Result<Checked, Box<FormErrors>>,
    actor: &Actor,
) -> AppResult<Outcome> {
    let current = products::find(conn, scope, id).await?;
    let checked = match checked {
        Ok(checked) => checked,
        Err(errors) => return Ok(Outcome::Invalid((**errors).clone())),
    };
    if current.version != expected {
        return Ok(Outcome::Stale(Box::new(current)));
    }
    if products::sku_taken(conn, scope, &checked.product.sku, Some(id)).await? {
        return Ok(Outcome::Invalid(FormErrors::sku_taken(
            &checked.product.sku,
        )));
    }
    let changed = checked.applied_to(&current);
    if !prices_differ(&current, &changed) {
        let saved =
            products::save_details(conn, scope, &current, &changed, "update", actor).await?;
        return Ok(Outcome::Saved(Box::new(saved), None));
    }
    let set = change_sets::open(
        conn,
        scope,
        Kind::Edit,
        &format!("Edit of {}", changed.sku),
        actor,
    )
    .await?;
    let edit = Edit {
        action: "update",
        change_set: Some(set.id),
        reason: &checked.reason,
    };
    let saved = products::save(conn, scope, &current, &changed, edit, actor).await?;
    Ok(Outcome::Saved(Box::new(saved), Some(set.name)))
}

pub async fn update(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    path: web::Path<String>,
    form: web::Form<ProductForm>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Pricing])?;
    let id = product_id(&path)?;
    let form = form.into_inner();
    let (scope, actor) = (user.scope, &user.actor);
    // An unknown product is a 404 before anything about the form is said.
    state
        .db
        .tenant_read(scope, |conn| {
            async move { products::find(conn, scope, id).await.map(drop) }.scope_boxed()
        })
        .await?;
    let expected = version(form.version.as_deref())?;
    let checked = form::check(&form, &site.ctx.currency);
    let outcome = state
        .db
        .tenant_tx(scope, |conn| {
            let checked = &checked;
            async move { save_edit(conn, scope, id, expected, checked, actor).await }.scope_boxed()
        })
        .await?;
    match outcome {
        Outcome::Saved(product, change_set) => {
            let message = match change_set {
                Some(name) => format!("Saved. The price change is in the change set “{name}”."),
                None => "Saved.".to_owned(),
            };
            flash::flash(&session, &message);
            Ok(see_other(&format!("/admin/products/{}", product.id)))
        }
        Outcome::Invalid(errors) => {
            let stored = edit::load(&state, scope, id).await?;
            let view = FormView::of_form(&form, Some(expected), errors);
            response::private_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                &edit_product_page(&site, &user, &session, &stored, view),
            )
        }
        Outcome::Stale(current) => conflict::respond(&site, &user, &session, &current, &form),
    }
}
