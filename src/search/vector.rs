//! The search vectors of posts and products, as their write paths store them with the text: every
//! field of a text reduced to stems in its language and weighted, so that a match in a title ranks
//! above one in a body. This file is the one place that writes SQL with `setweight`, which is
//! PostgreSQL's (and so Citus's) alone; CockroachDB's overlay
//! (`migrations-overlays/cockroachdb/002_search.sql`) gives it an unweighted stand-in, and
//! `tests/migrations_lint.rs` checks that no other source names it. The backfill migration
//! (`migrations/2026-12-10-000002_search_backfill_postgresql_only/up.sql`) computes the same
//! vectors for the rows stored before search; a test compares the two.
//!
//! | | A | B | C | D |
//! |---|---|---|---|---|
//! | post (its site's language) | title | tags | description | body (its HTML, whose tags the parser leaves out) |
//! | product (English, the language of the Thorne catalog) | name | category and SKU | description | |

use std::borrow::Cow;
use std::marker::PhantomData;

use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::result::QueryResult;
use diesel::sql_types::{SqlType, Text};

use super::Language;

/// The language products are searched in: the Thorne catalog is written in English.
pub const PRODUCT_LANGUAGE: Language = Language::English;

/// A field's weight: A counts most, D least.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    A,
    B,
    C,
    D,
}

impl Weight {
    fn letter(self) -> &'static str {
        match self {
            Weight::A => "A",
            Weight::B => "B",
            Weight::C => "C",
            Weight::D => "D",
        }
    }
}

/// The fields of a post, with their weights.
pub fn post_fields<'a>(
    title: &'a str,
    tags: &[String],
    description: &'a str,
    body_html: &'a str,
) -> [(Weight, Cow<'a, str>); 4] {
    [
        (Weight::A, Cow::Borrowed(title)),
        (Weight::B, Cow::Owned(tags.join(" "))),
        (Weight::C, Cow::Borrowed(description)),
        (Weight::D, Cow::Borrowed(body_html)),
    ]
}

/// The fields of a product, with their weights.
pub fn product_fields<'a>(
    name: &'a str,
    category: &str,
    sku: &str,
    description: &'a str,
) -> [(Weight, Cow<'a, str>); 3] {
    [
        (Weight::A, Cow::Borrowed(name)),
        (Weight::B, Cow::Owned(format!("{category} {sku}"))),
        (Weight::C, Cow::Borrowed(description)),
    ]
}

/// The vector of some weighted texts as a SQL expression of the column's type `ST`, with the
/// texts bound: `setweight(to_tsvector('english', $1), 'A') || …`.
#[derive(Debug, Clone)]
pub struct Weighted<'a, ST, const N: usize> {
    language: Language,
    fields: [(Weight, Cow<'a, str>); N],
    sql_type: PhantomData<ST>,
}

impl<'a, ST, const N: usize> Weighted<'a, ST, N> {
    pub fn new(language: Language, fields: [(Weight, Cow<'a, str>); N]) -> Self {
        Weighted {
            language,
            fields,
            sql_type: PhantomData,
        }
    }
}

impl<ST: SqlType + diesel::sql_types::SingleValue, const N: usize> Expression
    for Weighted<'_, ST, N>
{
    type SqlType = ST;
}

impl<ST, QS, const N: usize> AppearsOnTable<QS> for Weighted<'_, ST, N> where Self: Expression {}

impl<ST, QS, const N: usize> SelectableExpression<QS> for Weighted<'_, ST, N> where Self: Expression {}

impl<ST, GB, const N: usize> ValidGrouping<GB> for Weighted<'_, ST, N> {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl<ST, const N: usize> QueryId for Weighted<'_, ST, N> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<ST, const N: usize> QueryFragment<Pg> for Weighted<'_, ST, N> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("(");
        for (i, (weight, text)) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push_sql(" || ");
            }
            out.push_sql("setweight(to_tsvector('");
            // One of the fixed names of `Language`, never text from outside.
            out.push_sql(self.language.config());
            out.push_sql("', ");
            out.push_bind_param::<Text, str>(text)?;
            out.push_sql("), '");
            out.push_sql(weight.letter());
            out.push_sql("')");
        }
        out.push_sql(")");
        Ok(())
    }
}

/// The same vector as SQL text over SQL expressions (column names) instead of bound texts, for
/// statements written in SQL: `vector_sql(English, &[(A, "u.name")])`.
pub fn vector_sql(language: Language, fields: &[(Weight, &str)]) -> String {
    fields
        .iter()
        .map(|(weight, expression)| {
            format!(
                "setweight(to_tsvector('{}', {expression}), '{}')",
                language.config(),
                weight.letter()
            )
        })
        .collect::<Vec<_>>()
        .join(" || ")
}

/// [`vector_sql`] of a product whose columns are `{prefix}.name` and so on.
pub fn product_vector_sql(prefix: &str) -> String {
    vector_sql(
        PRODUCT_LANGUAGE,
        &[
            (Weight::A, &format!("{prefix}.name")),
            (
                Weight::B,
                &format!("{prefix}.category || ' ' || {prefix}.sku"),
            ),
            (Weight::C, &format!("{prefix}.description")),
        ],
    )
}

/// [`vector_sql`] of a post whose columns are `{prefix}.title` and so on, as the backfill
/// migration computes it. It joins the tags with `array_to_string`, a stable function, which Citus
/// refuses on columns in an `UPDATE`: writes bind the joined tags instead.
pub fn post_vector_sql(language: Language, prefix: &str) -> String {
    vector_sql(
        language,
        &[
            (Weight::A, &format!("{prefix}.title")),
            (Weight::B, &format!("array_to_string({prefix}.tags, ' ')")),
            (Weight::C, &format!("{prefix}.description")),
            (Weight::D, &format!("{prefix}.body_html")),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spaces and parentheses aside, the backfill migration computes what the write path does.
    #[test]
    fn the_backfill_migration_writes_the_same_vectors() {
        let migration = include_str!(
            "../../migrations/2026-12-10-000002_search_backfill_postgresql_only/up.sql"
        );
        let squeeze = |s: &str| {
            s.chars()
                .filter(|c| !c.is_whitespace() && *c != '(' && *c != ')')
                .collect::<String>()
        };
        let migration = squeeze(migration);
        for expected in [
            post_vector_sql(Language::English, "x").replace("x.", ""),
            product_vector_sql("x").replace("x.", ""),
        ] {
            assert!(
                migration.contains(&squeeze(&expected)),
                "the migration does not compute {expected}"
            );
        }
    }

    #[test]
    fn fields_carry_their_weights() {
        let tags = vec!["trail running".to_owned(), "shoes".to_owned()];
        let post = post_fields("T", &tags, "D", "<p>B</p>");
        assert_eq!(
            post[1],
            (Weight::B, Cow::Owned("trail running shoes".into()))
        );
        let product = product_fields("Zinc", "Minerals", "ZN-1", "About zinc");
        assert_eq!(product[1].1, "Minerals ZN-1");
        assert_eq!(
            vector_sql(Language::German, &[(Weight::A, "t")]),
            "setweight(to_tsvector('german', t), 'A')"
        );
    }
}
