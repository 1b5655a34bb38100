//! The gallery of a product: images of the customer's media library, in order; the first is the
//! product's main image (what the catalog and shared links show). Every query takes the tenant
//! [`Scope`] and adds `customer_id` itself.
//!
//! [`set_many`] is the one write path (the admin form, the CSV import): it checks every list (at
//! most [`MAX_IMAGES`], no image twice, every image one of the customer's library), replaces the
//! galleries that change, bumps those products' versions (a gallery change is a change of the
//! product, so a form loaded before it is stale) and records an audit event per product (entity
//! `product`, action `gallery`, the lists before and after). Deleting an image from the library
//! takes it out of every gallery (the foreign key cascades); the next image becomes the main one.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::db::Conn;
use crate::db::schema::thorne::product_images;
use crate::error::{AppError, AppResult};
use crate::media::library;
use crate::tenancy::Scope;
use crate::thorne::products::{self, Product};

/// Most images a product's gallery holds.
pub const MAX_IMAGES: usize = 50;

/// One image of a gallery as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = product_images)]
struct Row {
    customer_id: Uuid,
    product_id: Uuid,
    media_id: Uuid,
    position: i32,
}

/// Image ids as people write them in a form field or a CSV cell: separated by spaces (or commas),
/// each a UUID, optionally written `media:{id}` as in Markdown. The error names the first word
/// that is not one.
pub fn parse_ids(text: &str) -> Result<Vec<Uuid>, String> {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|word| !word.is_empty())
        .map(|word| {
            let id = word.strip_prefix("media:").unwrap_or(word);
            Uuid::try_parse(id).map_err(|_| format!("“{word}” is not an image id"))
        })
        .collect()
}

/// Image ids as the CSV export and the admin form write them: hyphenated, separated by spaces.
pub fn format_ids(ids: &[Uuid]) -> String {
    ids.iter()
        .map(|id| id.hyphenated().to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// What is wrong with a gallery's list itself (too long, an image twice), if anything.
pub fn shape_error(ids: &[Uuid]) -> Option<String> {
    if ids.len() > MAX_IMAGES {
        return Some(format!(
            "a gallery holds at most {MAX_IMAGES} images, not {}",
            ids.len()
        ));
    }
    let mut seen = HashSet::new();
    ids.iter()
        .find(|id| !seen.insert(**id))
        .map(|id| format!("the image {id} is listed twice"))
}

/// The ids among `ids` that are not images of the customer's library (another customer's images
/// included: they do not exist for this customer), in the order given.
pub async fn unknown_images(conn: &mut Conn, scope: Scope, ids: &[Uuid]) -> AppResult<Vec<Uuid>> {
    let known: HashSet<Uuid> = library::find_many(conn, scope, ids)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();
    let mut reported = HashSet::new();
    Ok(ids
        .iter()
        .filter(|id| !known.contains(id) && reported.insert(**id))
        .copied()
        .collect())
}

/// The refusal of images that are not the customer's.
pub fn not_in_library(unknown: &[Uuid]) -> String {
    let ids: Vec<String> = unknown.iter().map(Uuid::to_string).collect();
    if ids.len() == 1 {
        format!("no image {} in the media library", ids[0])
    } else {
        format!("no images {} in the media library", ids.join(", "))
    }
}

/// Checks a gallery before it is saved: [`AppError::Invalid`] saying what is wrong.
pub async fn check(conn: &mut Conn, scope: Scope, ids: &[Uuid]) -> AppResult<()> {
    if let Some(error) = shape_error(ids) {
        return Err(AppError::Invalid(error));
    }
    let unknown = unknown_images(conn, scope, ids).await?;
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(not_in_library(&unknown)))
    }
}

/// The galleries of these products, by product id: image ids in order, the main image first.
/// Products without images have no entry.
pub async fn of_products(
    conn: &mut Conn,
    scope: Scope,
    product_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<Uuid>>> {
    if product_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<Row> = product_images::table
        .filter(product_images::customer_id.eq(scope.customer_uuid()))
        .filter(product_images::product_id.eq_any(product_ids))
        .order((
            product_images::product_id.asc(),
            product_images::position.asc(),
        ))
        .select(Row::as_select())
        .load(conn)
        .await?;
    let mut galleries: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for row in rows {
        galleries
            .entry(row.product_id)
            .or_default()
            .push(row.media_id);
    }
    Ok(galleries)
}

/// The gallery of one product, the main image first.
pub async fn of_product(conn: &mut Conn, scope: Scope, product_id: Uuid) -> AppResult<Vec<Uuid>> {
    Ok(of_products(conn, scope, &[product_id])
        .await?
        .remove(&product_id)
        .unwrap_or_default())
}

/// The gallery of the active product `sku`, in order: keyed by SKU so that a product page can ask
/// for it together with the product.
pub async fn of_active_product_sku(
    mut conn: &Conn,
    scope: Scope,
    sku: &str,
) -> AppResult<Vec<Uuid>> {
    product_images::table
        .filter(product_images::customer_id.eq(scope.customer_uuid()))
        .filter(
            product_images::product_id
                .eq_any(products::active_id_by_sku(scope.customer_uuid(), sku)),
        )
        .order(product_images::position.asc())
        .select(product_images::media_id)
        .load(&mut conn)
        .await
        .map_err(AppError::from)
}

/// The main image of each of these products that has one, by product id.
pub async fn main_images(
    conn: &mut Conn,
    scope: Scope,
    product_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Uuid>> {
    if product_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, Uuid)> = product_images::table
        .filter(product_images::customer_id.eq(scope.customer_uuid()))
        .filter(product_images::product_id.eq_any(product_ids))
        .distinct_on(product_images::product_id)
        .order((
            product_images::product_id.asc(),
            product_images::position.asc(),
        ))
        .select((product_images::product_id, product_images::media_id))
        .load(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The products (archived ones included) whose gallery shows the image `media_id`, by name.
pub async fn products_showing(
    conn: &mut Conn,
    scope: Scope,
    media_id: Uuid,
) -> AppResult<Vec<Product>> {
    let ids: Vec<Uuid> = product_images::table
        .filter(product_images::customer_id.eq(scope.customer_uuid()))
        .filter(product_images::media_id.eq(media_id))
        .select(product_images::product_id)
        .limit(200)
        .load(conn)
        .await?;
    let mut found = products::by_ids(conn, scope, &ids).await?;
    found.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.sku.cmp(&b.sku)));
    Ok(found)
}

/// Sets the gallery of one product read at the version the change starts from; returns the
/// product as it is now (a new version when the gallery changed).
pub async fn set(
    conn: &mut Conn,
    scope: Scope,
    current: &Product,
    media_ids: &[Uuid],
    actor: &Actor,
) -> AppResult<Product> {
    let change = [(current.clone(), media_ids.to_vec())];
    let mut saved = set_many(conn, scope, &change, actor).await?;
    saved
        .pop()
        .ok_or_else(|| AppError::Internal("the product was not returned".into()))
}

/// Sets the galleries of many products, each read at the version the change starts from: checks
/// every list first ([`AppError::Invalid`] naming the product, nothing written), then replaces the
/// galleries that differ, bumps those products' versions ([`AppError::Conflict`] when one changed
/// meanwhile: the caller's transaction must roll back) and records an audit event for each.
/// Returns every product as it is now, in the order given.
pub async fn set_many(
    conn: &mut Conn,
    scope: Scope,
    changes: &[(Product, Vec<Uuid>)],
    actor: &Actor,
) -> AppResult<Vec<Product>> {
    for (product, ids) in changes {
        if let Some(error) = shape_error(ids) {
            return Err(AppError::Invalid(format!("{}: {error}", product.sku)));
        }
    }
    let all: Vec<Uuid> = changes
        .iter()
        .flat_map(|(_, ids)| ids.iter().copied())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let unknown: HashSet<Uuid> = unknown_images(conn, scope, &all)
        .await?
        .into_iter()
        .collect();
    if let Some((product, ids)) = changes
        .iter()
        .find(|(_, ids)| ids.iter().any(|id| unknown.contains(id)))
    {
        let theirs: Vec<Uuid> = ids
            .iter()
            .filter(|id| unknown.contains(id))
            .copied()
            .collect();
        return Err(AppError::Invalid(format!(
            "{}: {}",
            product.sku,
            not_in_library(&theirs)
        )));
    }
    let product_ids: Vec<Uuid> = changes.iter().map(|(p, _)| p.id).collect();
    let mut before = of_products(conn, scope, &product_ids).await?;
    let changed: Vec<(&Product, &Vec<Uuid>, Vec<Uuid>)> = changes
        .iter()
        .filter_map(|(product, ids)| {
            let old = before.remove(&product.id).unwrap_or_default();
            (old != *ids).then_some((product, ids, old))
        })
        .collect();
    if changed.is_empty() {
        return Ok(changes.iter().map(|(p, _)| p.clone()).collect());
    }
    let bumped = products::bump_versions(
        conn,
        scope,
        &changed.iter().map(|(p, _, _)| *p).collect::<Vec<_>>(),
    )
    .await?;
    let changed_ids: Vec<Uuid> = changed.iter().map(|(p, _, _)| p.id).collect();
    diesel::delete(product_images::table)
        .filter(product_images::customer_id.eq(scope.customer_uuid()))
        .filter(product_images::product_id.eq_any(&changed_ids))
        .execute(conn)
        .await?;
    let rows: Vec<Row> = changed
        .iter()
        .flat_map(|(product, ids, _)| {
            ids.iter().enumerate().map(|(position, media_id)| Row {
                customer_id: scope.customer_uuid(),
                product_id: product.id,
                media_id: *media_id,
                position: position as i32,
            })
        })
        .collect();
    // PostgreSQL takes at most 65,535 bound values per statement; a row binds 4.
    for batch in rows.chunks(10_000) {
        diesel::insert_into(product_images::table)
            .values(batch)
            .execute(conn)
            .await?;
    }
    let events = changed
        .iter()
        .map(|(product, ids, old)| Change {
            entity: "product",
            entity_id: product.id,
            action: "gallery",
            before: Some(json!({ "images": old })),
            after: Some(json!({ "images": ids })),
        })
        .collect();
    audit::record_many(conn, scope, actor, events).await?;
    let mut now: HashMap<Uuid, Product> = bumped.into_iter().map(|p| (p.id, p)).collect();
    Ok(changes
        .iter()
        .map(|(product, _)| now.remove(&product.id).unwrap_or_else(|| product.clone()))
        .collect())
}

/// A gallery after one of the admin form's buttons: `op` is `main`, `up`, `down`, `remove` or
/// `add`, applied to image `id`. Moving past an end, adding an image that is there already or
/// acting on one that is not changes nothing.
pub fn rearranged(ids: &[Uuid], op: &str, id: Uuid) -> Vec<Uuid> {
    let mut ids = ids.to_vec();
    let at = ids.iter().position(|i| *i == id);
    match (op, at) {
        ("main", Some(i)) => {
            let image = ids.remove(i);
            ids.insert(0, image);
        }
        ("up", Some(i)) if i > 0 => ids.swap(i, i - 1),
        ("down", Some(i)) if i + 1 < ids.len() => ids.swap(i, i + 1),
        ("remove", Some(i)) => {
            ids.remove(i);
        }
        ("add", None) => ids.push(id),
        _ => {}
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: u128) -> Vec<Uuid> {
        (1..=n).map(Uuid::from_u128).collect()
    }

    #[test]
    fn ids_are_read_with_spaces_commas_and_media_prefixes() {
        let [a, b] = [Uuid::from_u128(1), Uuid::from_u128(2)];
        let text = format!("  {a},media:{b}\n");
        assert_eq!(parse_ids(&text).unwrap(), vec![a, b]);
        assert_eq!(parse_ids("").unwrap(), Vec::<Uuid>::new());
        assert_eq!(
            parse_ids(&format!("{a} cat.jpg")).unwrap_err(),
            "“cat.jpg” is not an image id"
        );
        assert_eq!(parse_ids(&format_ids(&[a, b])).unwrap(), vec![a, b]);
        assert_eq!(format_ids(&[a, b]), format!("{a} {b}"));
    }

    #[test]
    fn a_gallery_is_short_and_lists_each_image_once() {
        assert_eq!(shape_error(&ids(3)), None);
        let mut twice = ids(3);
        twice.push(Uuid::from_u128(2));
        assert!(shape_error(&twice).unwrap().contains("listed twice"));
        assert!(
            shape_error(&ids(MAX_IMAGES as u128 + 1))
                .unwrap()
                .contains("at most")
        );
    }

    #[test]
    fn buttons_rearrange_the_gallery() {
        let [a, b, c] = [1, 2, 3].map(Uuid::from_u128);
        let list = vec![a, b, c];
        assert_eq!(rearranged(&list, "main", c), vec![c, a, b]);
        assert_eq!(rearranged(&list, "up", b), vec![b, a, c]);
        assert_eq!(rearranged(&list, "up", a), list);
        assert_eq!(rearranged(&list, "down", b), vec![a, c, b]);
        assert_eq!(rearranged(&list, "down", c), list);
        assert_eq!(rearranged(&list, "remove", b), vec![a, c]);
        let d = Uuid::from_u128(4);
        assert_eq!(rearranged(&list, "add", d), vec![a, b, c, d]);
        assert_eq!(rearranged(&list, "add", a), list);
        assert_eq!(rearranged(&list, "remove", d), list);
        assert_eq!(rearranged(&list, "explode", a), list);
    }
}
