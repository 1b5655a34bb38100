//! Change sets: every price change belongs to one — a single edit, a bulk change or an import —
//! so that history says what went together and a set can be reverted as a whole. Listed newest
//! first, a page at a time.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::audit::Actor;
use crate::db::keyset::{PageAt, TimeCursor, Window};
use crate::db::{Conn, schema::thorne::change_sets};
use crate::error::{AppError, AppResult};
use crate::tenancy::Scope;

/// What made a change set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Edit,
    Bulk,
    Import,
    Revert,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Edit => "edit",
            Kind::Bulk => "bulk",
            Kind::Import => "import",
            Kind::Revert => "revert",
        }
    }
}

/// A stored change set.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = change_sets)]
pub struct ChangeSet {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub created_by_label: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub reverted_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Opens a change set for the changes about to be made in this transaction.
pub async fn open(
    conn: &mut Conn,
    scope: Scope,
    kind: Kind,
    name: &str,
    actor: &Actor,
) -> AppResult<ChangeSet> {
    let name = name.trim();
    if name.chars().count() > 200 {
        return Err(AppError::Invalid(
            "the change set name must be at most 200 characters".into(),
        ));
    }
    diesel::insert_into(change_sets::table)
        .values((
            change_sets::customer_id.eq(scope.customer_uuid()),
            change_sets::id.eq(Uuid::new_v4()),
            change_sets::name.eq(if name.is_empty() { kind.as_str() } else { name }),
            change_sets::kind.eq(kind.as_str()),
            change_sets::created_by.eq(actor.user_id.map(|u| u.as_uuid())),
            change_sets::created_by_label.eq(&actor.label),
            change_sets::created_at.eq(crate::db::now()),
        ))
        .returning(ChangeSet::as_returning())
        .get_result(conn)
        .await
        .map_err(AppError::from)
}

/// A product whose prices changed again after the change set, so the set cannot be reverted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevertConflict {
    pub product_id: Uuid,
    pub sku: String,
}

/// What reverting a change set did, or why it did nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevertOutcome {
    /// Every price the set changed is back; the revert is itself a change set.
    Reverted { products: usize, revert_set: Uuid },
    /// These products changed since; nothing was changed.
    Conflicts(Vec<RevertConflict>),
}

/// One change set of the customer in scope.
pub async fn find(conn: &mut Conn, scope: Scope, id: Uuid) -> AppResult<ChangeSet> {
    change_sets::table
        .filter(change_sets::customer_id.eq(scope.customer_uuid()))
        .filter(change_sets::id.eq(id))
        .select(ChangeSet::as_select())
        .first(conn)
        .await
        .map_err(AppError::from)
}

/// The newest change sets of the customer in scope.
pub async fn recent(conn: &mut Conn, scope: Scope, limit: i64) -> AppResult<Vec<ChangeSet>> {
    change_sets::table
        .filter(change_sets::customer_id.eq(scope.customer_uuid()))
        .order((change_sets::created_at.desc(), change_sets::id.desc()))
        .limit(limit)
        .select(ChangeSet::as_select())
        .load(conn)
        .await
        .map_err(AppError::from)
}

/// Restores the prices a change set changed. If any of those products has different prices now
/// than the set left it with, reports them and changes nothing. Call inside one transaction.
pub async fn revert(
    conn: &mut Conn,
    scope: Scope,
    id: Uuid,
    actor: &Actor,
) -> AppResult<RevertOutcome> {
    use crate::thorne::price_history::{self, Prices};
    use crate::thorne::products::{self, Edit};

    let set = find(conn, scope, id).await?;
    if set.reverted_at.is_some() {
        return Err(AppError::Conflict(format!(
            "the change set “{}” was already reverted",
            set.name
        )));
    }
    let per_product = price_history::effects_of_set(conn, scope, id).await?;
    let ids: Vec<Uuid> = per_product.iter().map(|e| e.product).collect();
    let current: HashMap<Uuid, products::Product> = products::by_ids(conn, scope, &ids)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    // Every product must still have the prices the set left it with.
    let conflicts: Vec<RevertConflict> = per_product
        .iter()
        .filter_map(|effect| {
            let now = current.get(&effect.product);
            let unchanged = now.is_some_and(|p| Prices::of(p) == effect.after);
            (!unchanged).then(|| RevertConflict {
                product_id: effect.product,
                sku: now.map(|p| p.sku.clone()).unwrap_or_default(),
            })
        })
        .collect();
    if !conflicts.is_empty() {
        return Ok(RevertOutcome::Conflicts(conflicts));
    }
    let revert_set = open(
        conn,
        scope,
        Kind::Revert,
        &format!("Revert of “{}”", set.name),
        actor,
    )
    .await?;
    let reason = format!("revert of change set “{}”", set.name);
    let edit = Edit {
        action: "revert",
        change_set: Some(revert_set.id),
        reason: &reason,
    };
    let restored: Vec<(products::Product, products::Product)> = per_product
        .iter()
        .filter_map(|effect| {
            let now = current.get(&effect.product)?;
            let mut restored = now.clone();
            restored.wholesale_price = effect.before.wholesale.clone();
            restored.retail_price = effect.before.retail.clone();
            Some((now.clone(), restored))
        })
        .collect();
    products::save_many(conn, scope, &restored, edit, actor).await?;
    diesel::update(change_sets::table)
        .filter(change_sets::customer_id.eq(scope.customer_uuid()))
        .filter(change_sets::id.eq(id))
        .filter(change_sets::reverted_at.is_null())
        .set((
            change_sets::reverted_at.eq(Some(crate::db::now())),
            change_sets::reverted_by_label.eq(Some(&actor.label)),
            change_sets::version.eq(change_sets::version + 1),
        ))
        .execute(conn)
        .await?;
    crate::audit::record(
        conn,
        scope,
        actor,
        crate::audit::Change {
            entity: "change_set",
            entity_id: id,
            action: "revert",
            before: None,
            after: Some(
                serde_json::json!({ "products": per_product.len(), "revert_set": revert_set.id }),
            ),
        },
    )
    .await?;
    Ok(RevertOutcome::Reverted {
        products: per_product.len(),
        revert_set: revert_set.id,
    })
}

/// A change set with the number of products it changed.
#[derive(Debug, Clone)]
pub struct SetSummary {
    pub set: ChangeSet,
    pub products: i64,
}

/// Change sets per page of the admin list.
pub const PAGE_SIZE: i64 = 50;

/// A position in the list of change sets: the creation time and id of one.
pub type SetCursor = TimeCursor;

fn cursor_of(set: &ChangeSet) -> SetCursor {
    TimeCursor {
        at: set.created_at,
        id: set.id,
    }
}

/// A page of the list of change sets, newest first, and the positions of its neighbours.
#[derive(Debug, Clone)]
pub struct SetPage {
    pub sets: Vec<SetSummary>,
    /// Where the previous page ends, if there is one.
    pub previous: Option<SetCursor>,
    /// Where the next page starts, if there is one.
    pub next: Option<SetCursor>,
}

/// The page at `at` of the customer's change sets, newest first (keyset on `(created_at, id)`;
/// the page before a position is read oldest first and turned around), each with its number of
/// products.
pub async fn page_with_counts(
    conn: &mut Conn,
    scope: Scope,
    at: PageAt<SetCursor>,
) -> AppResult<SetPage> {
    let query = change_sets::table
        .filter(change_sets::customer_id.eq(scope.customer_uuid()))
        .select(ChangeSet::as_select())
        .limit(PAGE_SIZE + 1)
        .into_boxed();
    let query = match at {
        PageAt::First => query.order((change_sets::created_at.desc(), change_sets::id.desc())),
        PageAt::After(c) => query
            .filter(
                change_sets::created_at.lt(c.at).or(change_sets::created_at
                    .eq(c.at)
                    .and(change_sets::id.lt(c.id))),
            )
            .order((change_sets::created_at.desc(), change_sets::id.desc())),
        PageAt::Before(c) => query
            .filter(
                change_sets::created_at.gt(c.at).or(change_sets::created_at
                    .eq(c.at)
                    .and(change_sets::id.gt(c.id))),
            )
            .order((change_sets::created_at.asc(), change_sets::id.asc())),
    };
    let page = Window::of(&at, query.load(conn).await?, PAGE_SIZE as usize);
    Ok(SetPage {
        previous: page.previous(cursor_of),
        next: page.next(cursor_of),
        sets: with_counts(conn, scope, page.rows).await?,
    })
}

/// Each of `sets` with the number of products it changed.
async fn with_counts(
    conn: &mut Conn,
    scope: Scope,
    sets: Vec<ChangeSet>,
) -> AppResult<Vec<SetSummary>> {
    use crate::db::schema::thorne::price_changes;

    let ids: Vec<Uuid> = sets.iter().map(|s| s.id).collect();
    let counts: Vec<(Uuid, i64)> = price_changes::table
        .filter(price_changes::customer_id.eq(scope.customer_uuid()))
        .filter(price_changes::change_set_id.eq_any(ids))
        .group_by(price_changes::change_set_id)
        .select((
            price_changes::change_set_id,
            diesel::dsl::count(price_changes::product_id).aggregate_distinct(),
        ))
        .load(conn)
        .await?;
    Ok(sets
        .into_iter()
        .map(|set| SetSummary {
            products: counts
                .iter()
                .find(|(id, _)| *id == set.id)
                .map_or(0, |(_, n)| *n),
            set,
        })
        .collect())
}

/// One price change of a set, with the SKU and name of its product.
#[derive(Debug, Clone)]
pub struct SetPriceChange {
    pub change: crate::thorne::price_history::PriceChange,
    pub sku: String,
    pub name: String,
}

/// The price changes of one change set of the customer in scope, by SKU.
pub async fn price_changes_of(
    conn: &mut Conn,
    scope: Scope,
    id: Uuid,
) -> AppResult<Vec<SetPriceChange>> {
    use crate::db::schema::thorne::{price_changes, products};
    use crate::thorne::price_history::PriceChange;

    let rows: Vec<(PriceChange, String, String)> = price_changes::table
        .inner_join(
            products::table.on(products::customer_id
                .eq(price_changes::customer_id)
                .and(products::id.eq(price_changes::product_id))),
        )
        .filter(price_changes::customer_id.eq(scope.customer_uuid()))
        .filter(price_changes::change_set_id.eq(id))
        .order((
            products::sku.asc(),
            price_changes::changed_at.asc(),
            price_changes::id.asc(),
        ))
        .select((PriceChange::as_select(), products::sku, products::name))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(change, sku, name)| SetPriceChange { change, sku, name })
        .collect())
}
