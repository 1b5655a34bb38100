//! Site search: a site's visible posts and pages and its customer's active products that match what a
//! visitor typed, ranked together, [`PAGE_SIZE`] to a page, each with its title and a snippet of
//! its text, the query's words marked.
//!
//! - The query is read in Rust ([`query`]) into the text of `to_tsquery`, bound as a value.
//! - Each post and product carries a stored, weighted search vector ([`vector`]) in its language
//!   ([`language`]: the site's for posts, English for products), indexed with GIN.
//! - Posts and pages are those visitors may see ([`crate::content::posts`]), products the
//!   active ones (never a wholesale price); every statement names the customer.
//! - Ranks are `ts_rank`, which CockroachDB also runs. Both kinds are ranked in the database, at
//!   most `page × PAGE_SIZE + 1` of each, and merged here: pages are offsets, bounded by
//!   [`MAX_PAGES`] (a deeper page would rank ever more rows for a visitor who never reads them).
//! - Snippets are made here from the results of one page ([`snippet`]); the database only says
//!   which of their words match (it stems them as it stemmed the vectors).
//!
//! Results are of a [`Kind`]: posts and pages (ranked together, as rows of one table) and
//! products.

pub mod language;
pub mod query;
pub mod snippet;
pub mod vector;

use std::collections::{HashMap, HashSet};
use std::marker::PhantomData;

use bigdecimal::BigDecimal;
use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, Bool, Float4, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::content::posts::{Kind as PostKind, visible_content_on};
use crate::db::Conn;
use crate::db::schema::content::posts;
use crate::db::schema::thorne::products;
use crate::error::AppResult;
use crate::tenancy::{Scope, SiteId, sites};
use crate::thorne::products::{PublicProduct, active_of};

pub use language::Language;
pub use query::Query;
pub use snippet::{Piece, Snippet};
pub use vector::PRODUCT_LANGUAGE;

/// Results on one page.
pub const PAGE_SIZE: usize = 20;
/// The deepest page shown.
pub const MAX_PAGES: u32 = 10;

/// What a result is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Post,
    /// A page of the site ([`crate::content::pages`]); ranked with the posts.
    Page,
    Product,
}

/// What a result links to and shows besides its title and snippet.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    Post {
        slug: String,
        published_at: DateTime<Utc>,
    },
    Page {
        /// Its address below the site's root.
        address: String,
    },
    Product {
        sku: String,
        /// The category, its matching words marked (a product's category counts as its tags do).
        category: Snippet,
        /// The retail price (the only price visitors see).
        retail_price: BigDecimal,
        in_stock: bool,
    },
}

/// One result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub kind: Kind,
    pub title: Snippet,
    pub snippet: Snippet,
    pub found: Found,
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Results {
    pub hits: Vec<Hit>,
    /// Whether a next page has results.
    pub more: bool,
    /// Nothing was found because every word looked for is too common to count (a stop word).
    pub only_common_words: bool,
}

/// The results of `query` on page `page` (1 to [`MAX_PAGES`]) of the site's search. A query
/// without words finds nothing.
pub async fn search(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    query: &Query,
    page: u32,
) -> AppResult<Results> {
    if !query.has_words() || !(1..=MAX_PAGES).contains(&page) {
        return Ok(Results::default());
    }
    let language = sites::search_language(conn, scope, site).await?;
    let condition = Condition {
        all: query.to_tsquery(),
        wanted: query.has_exclusions().then(|| query.wanted_tsquery()),
    };
    let offset = (page as usize - 1) * PAGE_SIZE;
    let limit = (offset + PAGE_SIZE + 1) as i64;
    let posts = ranked_posts(conn, scope, site, language, &condition, limit).await?;
    let products = ranked_products(conn, scope, &condition, limit).await?;
    let ranked = merge(posts, products);
    let more = ranked.len() > offset + PAGE_SIZE;
    let shown: Vec<(Kind, Uuid)> = ranked.into_iter().skip(offset).take(PAGE_SIZE).collect();
    if shown.is_empty() {
        let only_common_words =
            page == 1 && no_lexemes(conn, language, &query.wanted_tsquery()).await?;
        return Ok(Results {
            hits: Vec::new(),
            more: false,
            only_common_words,
        });
    }
    let hits = hits(conn, scope, site, language, query, &shown).await?;
    Ok(Results {
        hits,
        more,
        only_common_words: false,
    })
}

/// Recomputes the search vectors of every post of the site from its stored text, in the site's
/// search language: what a change of that language needs. Returns how many posts it wrote.
///
/// The texts are read and written back bound, [`REINDEX_BATCH`] posts a statement: Citus refuses
/// an `UPDATE` that calls a stable function (`array_to_string`, for the tags) on columns.
pub async fn reindex_site(conn: &mut Conn, scope: Scope, site: SiteId) -> AppResult<usize> {
    let language = sites::search_language(conn, scope, site).await?;
    let set = vector::vector_sql(
        language,
        &[
            (vector::Weight::A, "u.title"),
            (vector::Weight::B, "u.tags"),
            (vector::Weight::C, "u.description"),
            (vector::Weight::D, "u.body_html"),
        ],
    );
    let mut after = Uuid::nil();
    let mut written = 0;
    loop {
        type Texts = (Uuid, String, Vec<String>, String, String);
        let batch: Vec<Texts> = posts::table
            .filter(posts::customer_id.eq(scope.customer_uuid()))
            .filter(posts::site_id.eq(site.as_uuid()))
            .filter(posts::id.gt(after))
            .order(posts::id.asc())
            .limit(REINDEX_BATCH)
            .select((
                posts::id,
                posts::title,
                posts::tags,
                posts::description,
                posts::body_html,
            ))
            .load(conn)
            .await?;
        let Some(last) = batch.last() else {
            return Ok(written);
        };
        after = last.0;
        written += diesel::sql_query(format!(
            "UPDATE content.posts AS p SET search_vector = {set}
               FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[])
                    AS u(id, title, tags, description, body_html)
              WHERE p.customer_id = $1 AND p.id = u.id"
        ))
        .bind::<SqlUuid, _>(scope.customer_uuid())
        .bind::<Array<SqlUuid>, _>(batch.iter().map(|p| p.0).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(batch.iter().map(|p| p.1.clone()).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(batch.iter().map(|p| p.2.join(" ")).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(batch.iter().map(|p| p.3.clone()).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(batch.iter().map(|p| p.4.clone()).collect::<Vec<_>>())
        .execute(conn)
        .await?;
    }
}

/// Posts a statement of [`reindex_site`] reads and writes.
const REINDEX_BATCH: i64 = 500;

/// The query as the database runs it.
struct Condition {
    /// The whole query.
    all: String,
    /// Its words without the exclusions, when it has exclusions: a result must match these too.
    wanted: Option<String>,
}

/// Up to `limit` of the site's visible posts that match, best first: `(id, rank)`.
async fn ranked_posts(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    language: Language,
    condition: &Condition,
    limit: i64,
) -> AppResult<Vec<(Uuid, f32)>> {
    const VECTOR: &str = "content.posts.search_vector";
    let rank = TextSearch::<Float4>::rank(VECTOR, language, &condition.all);
    posts::table
        .filter(visible_content_on(scope.customer_uuid(), site.as_uuid()))
        .filter(TextSearch::<Bool>::matches(VECTOR, language, condition))
        .select((posts::id, rank.clone()))
        .order((rank.desc(), posts::published_at.desc(), posts::id.desc()))
        .limit(limit)
        .load(conn)
        .await
        .map_err(Into::into)
}

/// Up to `limit` of the customer's active products that match, best first: `(id, rank)`.
async fn ranked_products(
    conn: &mut Conn,
    scope: Scope,
    condition: &Condition,
    limit: i64,
) -> AppResult<Vec<(Uuid, f32)>> {
    const VECTOR: &str = "thorne.products.search_vector";
    let rank = TextSearch::<Float4>::rank(VECTOR, PRODUCT_LANGUAGE, &condition.all);
    products::table
        .filter(active_of(scope.customer_uuid()))
        .filter(TextSearch::<Bool>::matches(
            VECTOR,
            PRODUCT_LANGUAGE,
            condition,
        ))
        .select((products::id, rank.clone()))
        .order((rank.desc(), products::name.asc(), products::id.asc()))
        .limit(limit)
        .load(conn)
        .await
        .map_err(Into::into)
}

/// Posts and products in one order: by rank, a post before a product of the same rank, each
/// kind keeping its own order (so that every page continues the one before it).
fn merge(posts: Vec<(Uuid, f32)>, products: Vec<(Uuid, f32)>) -> Vec<(Kind, Uuid)> {
    let mut merged = Vec::with_capacity(posts.len() + products.len());
    let mut posts = posts.into_iter().peekable();
    let mut products = products.into_iter().peekable();
    loop {
        let take_post = match (posts.peek(), products.peek()) {
            (Some(post), Some(product)) => post.1 >= product.1,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        if take_post {
            merged.extend(posts.next().map(|(id, _)| (Kind::Post, id)));
        } else {
            merged.extend(products.next().map(|(id, _)| (Kind::Product, id)));
        }
    }
    merged
}

/// What a result of a post shows.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = posts)]
struct PostText {
    id: Uuid,
    slug: String,
    title: String,
    description: String,
    body_markdown: String,
    #[diesel(select_expression = posts::published_at.assume_not_null())]
    published_at: DateTime<Utc>,
    kind: String,
}

/// The texts of a result that a snippet may come from, most telling first.
fn texts(found: &Shown) -> Vec<String> {
    match found {
        Shown::Post(post) => vec![
            snippet::plain_text(&post.body_markdown),
            post.description.clone(),
        ],
        Shown::Product(product) => vec![product.description.clone()],
    }
}

enum Shown {
    Post(PostText),
    Product(PublicProduct),
}

impl Shown {
    fn title(&self) -> &str {
        match self {
            Shown::Post(post) => &post.title,
            Shown::Product(product) => &product.name,
        }
    }
}

/// The results shown, in order, with their marked titles and snippets.
async fn hits(
    conn: &mut Conn,
    scope: Scope,
    site: SiteId,
    language: Language,
    query: &Query,
    shown: &[(Kind, Uuid)],
) -> AppResult<Vec<Hit>> {
    let ids = |kind: Kind| -> Vec<Uuid> {
        shown
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, id)| *id)
            .collect()
    };
    let mut posts: HashMap<Uuid, PostText> = posts::table
        .filter(visible_content_on(scope.customer_uuid(), site.as_uuid()))
        .filter(posts::id.eq_any(ids(Kind::Post)))
        .select(PostText::as_select())
        .load::<PostText>(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut products: HashMap<Uuid, PublicProduct> =
        crate::thorne::products::active_by_ids(conn, scope, &ids(Kind::Product))
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
    // A row can have changed between the ranking and this read: it is then left out.
    let shown: Vec<(Kind, Shown)> = shown
        .iter()
        .filter_map(|(kind, id)| match kind {
            Kind::Post | Kind::Page => posts.remove(id).map(|p| {
                let kind = match PostKind::parse(&p.kind) {
                    PostKind::Post => Kind::Post,
                    PostKind::Page => Kind::Page,
                };
                (kind, Shown::Post(p))
            }),
            Kind::Product => products.remove(id).map(|p| (*kind, Shown::Product(p))),
        })
        .collect();
    let languages = |kind: Kind| match kind {
        Kind::Post | Kind::Page => language,
        Kind::Product => PRODUCT_LANGUAGE,
    };
    let mut texts_by_language: HashMap<Language, Vec<String>> = HashMap::new();
    let mut all_texts: Vec<(Kind, Vec<String>)> = Vec::with_capacity(shown.len());
    for (kind, found) in &shown {
        let mut texts = texts(found);
        texts.insert(0, found.title().to_owned());
        let checked = texts_by_language.entry(languages(*kind)).or_default();
        checked.extend(texts.iter().cloned());
        if let Shown::Product(product) = found {
            checked.push(product.category.clone());
        }
        all_texts.push((*kind, texts));
    }
    let mut matches: HashMap<Language, HashSet<String>> = HashMap::new();
    for (language, texts) in &texts_by_language {
        let words = Snippet::words_to_check(texts.iter().map(String::as_str));
        let found = matching_words(conn, *language, &query.wanted_words(), words).await?;
        matches.insert(*language, found);
    }
    let empty = HashSet::new();
    Ok(shown
        .into_iter()
        .zip(all_texts)
        .map(|((kind, found), (_, texts))| {
            let matches = matches.get(&languages(kind)).unwrap_or(&empty);
            let title = Snippet::whole(&texts[0], matches);
            let passages: Vec<Snippet> = texts[1..]
                .iter()
                .filter(|t| !t.is_empty())
                .map(|t| Snippet::best_passage(t, matches))
                .collect();
            let snippet = passages
                .iter()
                .find(|s| s.has_marks())
                .or(<[Snippet]>::first(&passages))
                .cloned()
                .unwrap_or_default();
            Hit {
                kind,
                title,
                snippet,
                found: match found {
                    Shown::Post(post) if kind == Kind::Page => Found::Page { address: post.slug },
                    Shown::Post(post) => Found::Post {
                        slug: post.slug,
                        published_at: post.published_at,
                    },
                    Shown::Product(product) => Found::Product {
                        category: Snippet::whole(&product.category, matches),
                        sku: product.sku,
                        retail_price: product.retail_price,
                        in_stock: product.in_stock,
                    },
                },
            }
        })
        .collect())
}

/// Which of `words` (lower-cased) the database counts as one of `wanted` in `language`: the same
/// stemming as the vectors, asked once for the words of a whole page.
async fn matching_words(
    conn: &mut Conn,
    language: Language,
    wanted: &[&str],
    words: Vec<String>,
) -> AppResult<HashSet<String>> {
    #[derive(QueryableByName)]
    struct Word {
        #[diesel(sql_type = Text)]
        word: String,
    }
    if wanted.is_empty() || words.is_empty() {
        return Ok(HashSet::new());
    }
    let config = language.config();
    let found: Vec<Word> = diesel::sql_query(format!(
        "SELECT w AS word FROM unnest($1::text[]) AS t(w)
          WHERE to_tsvector('{config}', w) @@ to_tsquery('{config}', $2)"
    ))
    .bind::<Array<Text>, _>(words)
    .bind::<Text, _>(query::any_of_tsquery(wanted))
    .load(conn)
    .await?;
    Ok(found.into_iter().map(|w| w.word).collect())
}

/// Whether `text` has no word left once the database drops the words too common to count.
async fn no_lexemes(conn: &mut Conn, language: Language, text: &str) -> AppResult<bool> {
    #[derive(QueryableByName)]
    struct Empty {
        #[diesel(sql_type = Bool)]
        empty: bool,
    }
    if text.is_empty() {
        return Ok(true);
    }
    let answer: Empty = diesel::sql_query(format!(
        "SELECT CAST(to_tsquery('{}', $1) AS TEXT) = '' AS empty",
        language.config()
    ))
    .bind::<Text, _>(text)
    .get_result(conn)
    .await?;
    Ok(answer.empty)
}

/// A call of the text search on a vector column, with the query bound:
/// `column @@ to_tsquery('english', $1)` (with `AND column @@ to_tsquery('english', $2)` for the
/// words a query with exclusions must still contain), or `ts_rank(column, to_tsquery(…))`.
#[derive(Debug, Clone)]
struct TextSearch<ST> {
    column: &'static str,
    language: Language,
    query: String,
    also: Option<String>,
    rank: bool,
    sql_type: PhantomData<ST>,
}

impl TextSearch<Bool> {
    fn matches(column: &'static str, language: Language, condition: &Condition) -> Self {
        TextSearch {
            column,
            language,
            query: condition.all.clone(),
            also: condition.wanted.clone(),
            rank: false,
            sql_type: PhantomData,
        }
    }
}

impl TextSearch<Float4> {
    fn rank(column: &'static str, language: Language, query: &str) -> Self {
        TextSearch {
            column,
            language,
            query: query.to_owned(),
            also: None,
            rank: true,
            sql_type: PhantomData,
        }
    }
}

impl<ST: diesel::sql_types::SqlType + diesel::sql_types::SingleValue> Expression
    for TextSearch<ST>
{
    type SqlType = ST;
}

impl<ST, QS> AppearsOnTable<QS> for TextSearch<ST> where Self: Expression {}

impl<ST, QS> SelectableExpression<QS> for TextSearch<ST> where Self: Expression {}

impl<ST, GB> ValidGrouping<GB> for TextSearch<ST> {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl<ST> QueryId for TextSearch<ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<ST> QueryFragment<Pg> for TextSearch<ST> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // The column and the configuration are fixed names of this module, never outside text.
        let tsquery = |out: &mut AstPass<'_, 'b, Pg>, text: &'b String| -> QueryResult<()> {
            out.push_sql("to_tsquery('");
            out.push_sql(self.language.config());
            out.push_sql("', ");
            out.push_bind_param::<Text, String>(text)?;
            out.push_sql(")");
            Ok(())
        };
        if self.rank {
            out.push_sql("ts_rank(");
            out.push_sql(self.column);
            out.push_sql(", ");
            tsquery(&mut out, &self.query)?;
            out.push_sql(")");
            return Ok(());
        }
        out.push_sql("(");
        out.push_sql(self.column);
        out.push_sql(" @@ ");
        tsquery(&mut out, &self.query)?;
        if let Some(also) = &self.also {
            out.push_sql(" AND ");
            out.push_sql(self.column);
            out.push_sql(" @@ ");
            tsquery(&mut out, also)?;
        }
        out.push_sql(")");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_merge_posts_first_on_ties_keeping_each_order() {
        let id = |n: u128| Uuid::from_u128(n);
        let posts = vec![(id(1), 0.9), (id(2), 0.5), (id(3), 0.5)];
        let products = vec![(id(10), 0.7), (id(11), 0.5), (id(12), 0.1)];
        let merged = merge(posts, products);
        let order: Vec<u128> = merged.iter().map(|(_, id)| id.as_u128()).collect();
        assert_eq!(order, vec![1, 10, 2, 3, 11, 12]);
        assert_eq!(merged[1].0, Kind::Product);
        assert!(merge(Vec::new(), Vec::new()).is_empty());
    }
}
