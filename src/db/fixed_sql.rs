//! A condition written into a statement as fixed SQL text. Diesel's own `sql()` marks every
//! statement it is part of as never to be kept prepared, so such a statement is parsed, analysed
//! and planned again on every run, in a round trip of its own; this one keeps the statement
//! cacheable (by its text), so it is prepared once per connection like the rest.
//!
//! Use it only where a value must be written into the SQL rather than bound, so that every plan,
//! generic ones included, can use a partial index whose predicate names that value.

use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::result::QueryResult;
use diesel::sql_types::Bool;

/// A boolean condition given as SQL text known when the program is built.
#[derive(Debug, Clone, Copy)]
pub struct FixedCondition(&'static str);

impl FixedCondition {
    /// The condition `sql`, which must name its columns in full (`content.posts.status = …`).
    pub const fn new(sql: &'static str) -> FixedCondition {
        FixedCondition(sql)
    }
}

impl Expression for FixedCondition {
    type SqlType = Bool;
}

impl<QS> AppearsOnTable<QS> for FixedCondition {}

impl<QS> SelectableExpression<QS> for FixedCondition {}

impl<GB> ValidGrouping<GB> for FixedCondition {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

/// Not a static query id: statements holding one are kept by their text, which holds the SQL.
impl QueryId for FixedCondition {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<Pg> for FixedCondition {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("(");
        out.push_sql(self.0);
        out.push_sql(")");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::schema::content::posts;
    use diesel::prelude::*;

    fn cacheable(query: &impl QueryFragment<Pg>) -> QueryResult<bool> {
        query.is_safe_to_cache_prepared(&Pg)
    }

    #[test]
    fn statements_with_it_may_be_kept_prepared() {
        let status = FixedCondition::new("content.posts.status = 'published'");
        let query = posts::table.filter(status).select(posts::id);
        assert_eq!(cacheable(&query), Ok(true));
        let sql = diesel::debug_query::<Pg, _>(&query).to_string();
        assert!(
            sql.contains("(content.posts.status = 'published')"),
            "{sql}"
        );
        let literal = posts::table
            .filter(diesel::dsl::sql::<Bool>(
                "content.posts.status = 'published'",
            ))
            .select(posts::id);
        assert_eq!(cacheable(&literal), Ok(false));
    }
}
