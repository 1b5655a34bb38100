//! `POST /admin/products` (create) and `POST /admin/products/{id}` (save over the version the form
//! was loaded at). Bad fields, a SKU another product has, an unconfirmed negative margin and images
//! that are not the customer's re-render the form with what was typed and an error next to each
//! field (422, nothing saved). A save that changes a price opens an edit change set, so the price
//! history says who changed it, when and why; a save that changes no price opens none. The gallery
//! is saved in the same transaction, through `thorne::gallery`. A stale version answers the 409
//! conflict page.
//!
//! A gallery button (`gallery=up:{id}`…) saves nothing: the form comes back (200) with the
//! gallery rearranged and everything typed kept, at the version it was loaded at.

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
use crate::thorne::gallery;
use crate::thorne::price_history::prices_differ;
use crate::thorne::products::{self, Edit, Product};
use crate::web::admin::posts::{see_other, version};
use crate::web::admin::products::edit::{self, edit_product_page, new_product_page};
use crate::web::admin::products::form::{self, Checked, FormErrors, FormView, ProductForm};
use crate::web::admin::products::gallery as gallery_field;
use crate::web::admin::products::{conflict, product_id};
use crate::web::auth::{CurrentUser, session as flash};
use crate::web::site::RequestSite;
use crate::web::{AppState, response};

/// What creating a product came to.
enum Created {
    Saved(Box<Product>),
    SkuTaken,
    /// The gallery names images that are not the customer's.
    BadImages(String),
}

/// The gallery of a form after its gallery button: the ids of its field rearranged, or the error
/// of a field that cannot be read.
fn rearranged(form: &ProductForm, op: &str, id: Uuid) -> Result<String, String> {
    let ids = form::gallery_ids(form.images.as_deref().unwrap_or(""))?;
    Ok(gallery::format_ids(&gallery::rearranged(&ids, op, id)))
}

/// The form shown again after a gallery button: the rearranged gallery (or the field's error) and
/// everything else as typed, nothing saved.
async fn rearranged_view(
    state: &AppState,
    scope: Scope,
    form: &ProductForm,
    op: &str,
    id: Uuid,
    version: Option<i32>,
) -> AppResult<(FormView, gallery_field::GalleryView)> {
    let mut view = FormView::of_form(form, version, FormErrors::default());
    let ids = match rearranged(form, op, id) {
        Ok(text) => {
            view.images = Some(text);
            form::gallery_ids(view.images.as_deref().unwrap_or("")).unwrap_or_default()
        }
        Err(error) => {
            view.errors.images = Some(error);
            Vec::new()
        }
    };
    let mut gallery = gallery_field::load(state, scope, &ids).await?;
    gallery.unsaved = !view.errors.any();
    Ok((view, gallery))
}

/// The gallery field showing what a form typed (its ids, when they can be read).
async fn typed_gallery(
    state: &AppState,
    scope: Scope,
    view: &FormView,
) -> AppResult<gallery_field::GalleryView> {
    let ids = form::gallery_ids(view.images.as_deref().unwrap_or("")).unwrap_or_default();
    gallery_field::load(state, scope, &ids).await
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
    let scope = user.scope;
    if let Some((op, id)) = form.gallery_button()? {
        let (view, gallery) = rearranged_view(&state, scope, &form, op, id, None).await?;
        let status = if view.errors.any() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        return response::private_page(
            status,
            &new_product_page(&site, &user, &session, view, gallery),
        );
    }
    let refuse = async |errors: FormErrors| {
        let view = FormView::of_form(&form, None, errors);
        let gallery = typed_gallery(&state, scope, &view).await?;
        response::private_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &new_product_page(&site, &user, &session, view, gallery),
        )
    };
    let checked = match form::check(&form, &site.ctx.currency) {
        Ok(checked) => checked,
        Err(errors) => return refuse(*errors).await,
    };
    let actor = &user.actor;
    let created = state
        .db
        .tenant_tx(scope, |conn| {
            let (new, images) = (&checked.product, &checked.images);
            async move {
                if products::sku_taken(conn, scope, &new.sku, None).await? {
                    return Ok(Created::SkuTaken);
                }
                let images = images.as_deref().unwrap_or_default();
                match gallery::check(conn, scope, images).await {
                    Err(AppError::Invalid(message)) => return Ok(Created::BadImages(message)),
                    other => other?,
                }
                let mut created =
                    products::create_many(conn, scope, std::slice::from_ref(new), actor).await?;
                let product = created
                    .pop()
                    .ok_or_else(|| AppError::Internal("the new product was not returned".into()))?;
                let product = gallery::set(conn, scope, &product, images, actor).await?;
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
        Created::SkuTaken => refuse(FormErrors::sku_taken(&checked.product.sku)).await,
        Created::BadImages(message) => refuse(FormErrors::images(&message)).await,
    }
}

/// What saving over a stored product came to.
enum Outcome {
    /// Saved; the name of the change set when prices changed.
    Saved(Box<Product>, Option<String>),
    Invalid(FormErrors),
    /// Someone saved meanwhile: the product and its gallery as they are now.
    Stale(Box<Product>, Vec<Uuid>),
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
        let images = gallery::of_product(conn, scope, id).await?;
        return Ok(Outcome::Stale(Box::new(current), images));
    }
    if products::sku_taken(conn, scope, &checked.product.sku, Some(id)).await? {
        return Ok(Outcome::Invalid(FormErrors::sku_taken(
            &checked.product.sku,
        )));
    }
    if let Some(images) = &checked.images {
        match gallery::check(conn, scope, images).await {
            Err(AppError::Invalid(message)) => {
                return Ok(Outcome::Invalid(FormErrors::images(&message)));
            }
            other => other?,
        }
    }
    let changed = checked.applied_to(&current);
    let gallery_changes = match &checked.images {
        Some(images) => *images != gallery::of_product(conn, scope, id).await?,
        None => false,
    };
    // The fields are saved when they change, or when nothing else does (a save is a save).
    let fields_change = changed.name != current.name
        || changed.sku != current.sku
        || changed.description != current.description
        || changed.category != current.category
        || changed.in_stock != current.in_stock
        || prices_differ(&current, &changed);
    let new_gallery = checked.images.as_deref().filter(|_| gallery_changes);
    if !fields_change && let Some(images) = new_gallery {
        let saved = gallery::set(conn, scope, &current, images, actor).await?;
        return Ok(Outcome::Saved(Box::new(saved), None));
    }
    if !prices_differ(&current, &changed) {
        let saved =
            products::save_details(conn, scope, &current, &changed, "update", actor).await?;
        let saved = with_gallery(conn, scope, saved, new_gallery, actor).await?;
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
    let saved = with_gallery(conn, scope, saved, new_gallery, actor).await?;
    Ok(Outcome::Saved(Box::new(saved), Some(set.name)))
}

/// The product just saved, with its new gallery saved too when there is one.
async fn with_gallery(
    conn: &mut Conn,
    scope: Scope,
    saved: Product,
    images: Option<&[Uuid]>,
    actor: &Actor,
) -> AppResult<Product> {
    match images {
        Some(images) => gallery::set(conn, scope, &saved, images, actor).await,
        None => Ok(saved),
    }
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
    if let Some((op, image)) = form.gallery_button()? {
        let stored = edit::load(&state, scope, id).await?;
        let (view, gallery) =
            rearranged_view(&state, scope, &form, op, image, Some(expected)).await?;
        let status = if view.errors.any() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        return response::private_page(
            status,
            &edit_product_page(&site, &user, &session, &stored, view, gallery),
        );
    }
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
            let mut view = FormView::of_form(&form, Some(expected), errors);
            if view.images.is_none() {
                view.images = Some(gallery::format_ids(&stored.images));
            }
            let gallery = typed_gallery(&state, scope, &view).await?;
            response::private_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                &edit_product_page(&site, &user, &session, &stored, view, gallery),
            )
        }
        Outcome::Stale(current, images) => {
            conflict::respond(&site, &user, &session, &current, &images, &form)
        }
    }
}
