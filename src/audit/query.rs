//! Reading the audit log: filters, keyset pages newest first (by `(occurred_at, id)`, forward
//! and back), and the readable form of an event's before/after. Every query takes a [`Scope`]
//! and adds `customer_id` itself.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::Value;
use uuid::Uuid;

use crate::db::keyset::{PageAt, Window};
use crate::db::{Conn, schema::audit::events};
use crate::error::{AppError, AppResult};
use crate::tenancy::Scope;

/// Events on one page of the log.
pub const PAGE_SIZE: i64 = 50;

/// The kinds of entity offered in the filter (others recorded are still accepted).
pub const ENTITY_KINDS: &[&str] = &[
    "customer",
    "domain",
    "invitation",
    "password_reset",
    "post",
    "preview_link",
    "product",
    "sign_in",
    "site",
    "user",
];

/// One recorded event.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct Event {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_label: String,
    pub entity: String,
    pub entity_id: Uuid,
    pub action: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

/// Which events to show. Empty means no limit on that part.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Part of the actor's label (an e-mail, `cli:…`, `anonymous`), case-insensitive.
    pub actor: Option<String>,
    /// Exactly this user.
    pub actor_id: Option<Uuid>,
    pub entity: Option<String>,
    pub entity_id: Option<Uuid>,
    /// First day included (UTC).
    pub from: Option<NaiveDate>,
    /// Last day included (UTC).
    pub to: Option<NaiveDate>,
}

/// The filter as typed into the form or the query string, every part as text.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct FilterInput {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub actor_id: String,
    #[serde(default)]
    pub entity: String,
    #[serde(default)]
    pub entity_id: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
}

impl FilterInput {
    /// Checks every part; a bad one is a 400 that says what is wrong.
    pub fn parse(&self) -> AppResult<Filter> {
        let text = |s: &str| Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_owned);
        let uuid = |name: &str, s: &str| -> AppResult<Option<Uuid>> {
            text(s)
                .map(|s| {
                    Uuid::parse_str(&s).map_err(|_| {
                        AppError::BadRequest(format!("{name} {s:?} is not a valid id (a UUID)"))
                    })
                })
                .transpose()
        };
        let date = |name: &str, s: &str| -> AppResult<Option<NaiveDate>> {
            text(s)
                .map(|s| {
                    NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| {
                        AppError::BadRequest(format!(
                            "the {name} date {s:?} is not a date like 2024-05-31"
                        ))
                    })
                })
                .transpose()
        };
        let actor = text(&self.actor);
        if actor.as_ref().is_some_and(|a| a.chars().count() > 200) {
            return Err(AppError::BadRequest(
                "the actor filter is longer than 200 characters".into(),
            ));
        }
        let entity = text(&self.entity).map(|e| e.to_ascii_lowercase());
        if let Some(entity) = &entity
            && (entity.len() > 50 || !entity.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        {
            return Err(AppError::BadRequest(format!(
                "{entity:?} is not a kind of entity (letters and _ only)"
            )));
        }
        let filter = Filter {
            actor,
            actor_id: uuid("the actor id", &self.actor_id)?,
            entity,
            entity_id: uuid("the entity id", &self.entity_id)?,
            from: date("from", &self.from)?,
            to: date("to", &self.to)?,
        };
        if let (Some(from), Some(to)) = (filter.from, filter.to)
            && from > to
        {
            return Err(AppError::BadRequest(format!(
                "the from date {from} is after the to date {to}"
            )));
        }
        Ok(filter)
    }
}

/// A position in the log: the time and id of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub occurred_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    /// The position of `event`.
    pub fn of(event: &Event) -> Cursor {
        Cursor {
            occurred_at: event.occurred_at,
            id: event.id,
        }
    }

    /// The text form used in links: `<RFC 3339 time>_<uuid>`.
    pub fn encode(&self) -> String {
        format!(
            "{}_{}",
            self.occurred_at
                .to_rfc3339_opts(SecondsFormat::Micros, true),
            self.id
        )
    }

    /// Reads the text form; anything else is a 400.
    pub fn decode(text: &str) -> AppResult<Cursor> {
        let bad = || {
            AppError::BadRequest("the page link is malformed; start from the newest page".into())
        };
        let (time, id) = text.trim().split_once('_').ok_or_else(bad)?;
        Ok(Cursor {
            occurred_at: DateTime::parse_from_rfc3339(time)
                .map_err(|_| bad())?
                .with_timezone(&Utc),
            id: Uuid::parse_str(id).map_err(|_| bad())?,
        })
    }
}

fn day_start(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// Up to `limit` events of the customer in scope matching `filter`, newest first, older than
/// `cursor` when given.
pub async fn page(
    conn: &mut Conn,
    scope: Scope,
    filter: &Filter,
    cursor: Option<Cursor>,
    limit: i64,
) -> AppResult<Vec<Event>> {
    let at = cursor.map_or(PageAt::First, PageAt::After);
    read(conn, scope, filter, &at, limit).await
}

/// The page of [`PAGE_SIZE`] events at `at` of those matching `filter`, newest first, and whether
/// there are newer and older ones.
pub async fn listing(
    conn: &mut Conn,
    scope: Scope,
    filter: &Filter,
    at: PageAt<Cursor>,
) -> AppResult<Window<Event>> {
    let rows = read(conn, scope, filter, &at, PAGE_SIZE + 1).await?;
    Ok(Window::of(&at, rows, PAGE_SIZE as usize))
}

/// Up to `limit` events matching `filter` in reading order from `at`: newest first, but oldest
/// first (starting just newer than the position) for the page before a position.
async fn read(
    conn: &mut Conn,
    scope: Scope,
    filter: &Filter,
    at: &PageAt<Cursor>,
    limit: i64,
) -> AppResult<Vec<Event>> {
    let mut query = events::table
        .filter(events::customer_id.eq(scope.customer_uuid()))
        .select(Event::as_select())
        .limit(limit)
        .into_boxed();
    if let Some(actor) = &filter.actor {
        query = query.filter(events::actor_label.ilike(crate::db::like_contains(actor)));
    }
    if let Some(actor_id) = filter.actor_id {
        query = query.filter(events::actor_id.eq(actor_id));
    }
    if let Some(entity) = &filter.entity {
        query = query.filter(events::entity.eq(entity.clone()));
    }
    if let Some(entity_id) = filter.entity_id {
        query = query.filter(events::entity_id.eq(entity_id));
    }
    if let Some(from) = filter.from {
        query = query.filter(events::occurred_at.ge(day_start(from)));
    }
    if let Some(to) = filter.to.and_then(|to| to.succ_opt()) {
        query = query.filter(events::occurred_at.lt(day_start(to)));
    }
    query = match *at {
        PageAt::First => query.order((events::occurred_at.desc(), events::id.desc())),
        PageAt::After(c) => query
            .filter(
                events::occurred_at.lt(c.occurred_at).or(events::occurred_at
                    .eq(c.occurred_at)
                    .and(events::id.lt(c.id))),
            )
            .order((events::occurred_at.desc(), events::id.desc())),
        PageAt::Before(c) => query
            .filter(
                events::occurred_at.gt(c.occurred_at).or(events::occurred_at
                    .eq(c.occurred_at)
                    .and(events::id.gt(c.id))),
            )
            .order((events::occurred_at.asc(), events::id.asc())),
    };
    query.load(conn).await.map_err(AppError::from)
}

/// Every event matching `filter`, newest first, at most `max` (read page by page).
pub async fn all(
    conn: &mut Conn,
    scope: Scope,
    filter: &Filter,
    max: usize,
) -> AppResult<Vec<Event>> {
    const CHUNK: i64 = 1_000;
    let mut out: Vec<Event> = Vec::new();
    let mut cursor = None;
    loop {
        let chunk = page(conn, scope, filter, cursor, CHUNK).await?;
        let done = (chunk.len() as i64) < CHUNK;
        cursor = chunk.last().map(Cursor::of);
        out.extend(chunk);
        if done || out.len() >= max {
            out.truncate(max);
            return Ok(out);
        }
    }
}

/// The action of a wrong current password on the own-password form (entity `user`): a failed
/// password check, counted with failed sign-ins.
pub const WRONG_CURRENT_PASSWORD: &str = "wrong_current_password";

/// Whose failed password checks to look at.
#[derive(Debug, Clone, Copy)]
pub enum FailuresOf<'a> {
    /// Those for the account with this e-mail (compared lower-cased), known or not.
    Account(&'a str),
    /// Those from this client address.
    Address(&'a str),
}

/// The time of the `n`th newest failed password check (1: the newest) of `who` in the customer
/// in scope after `since`, if there were that many: a failed sign-in (`sign_in`/`failure`) or a
/// wrong current password (`user`/[`WRONG_CURRENT_PASSWORD`]). The throttle counts from these.
pub async fn nth_newest_password_failure(
    conn: &mut Conn,
    scope: Scope,
    who: FailuresOf<'_>,
    n: i64,
    since: DateTime<Utc>,
) -> AppResult<Option<DateTime<Utc>>> {
    let failed_sign_in = events::entity
        .eq("sign_in")
        .and(events::action.eq("failure"));
    let wrong_password = events::entity
        .eq("user")
        .and(events::action.eq(WRONG_CURRENT_PASSWORD));
    let query = events::table
        .select(events::occurred_at)
        .filter(events::customer_id.eq(scope.customer_uuid()))
        .filter(events::occurred_at.gt(since))
        .filter(failed_sign_in.or(wrong_password))
        .into_boxed();
    let query = match who {
        FailuresOf::Account(email) => query.filter(
            events::after
                .retrieve_as_text("email")
                .eq(email.trim().to_lowercase()),
        ),
        FailuresOf::Address(ip) => query.filter(events::ip.eq(ip.to_owned())),
    };
    Ok(query
        .order(events::occurred_at.desc())
        .offset(n.max(1) - 1)
        .limit(1)
        .get_result(conn)
        .await
        .optional()?)
}

/// How many password reset links were asked for since `since`, in the customer in scope: from
/// `ip`, and for `email` (refused requests not counted).
pub async fn password_reset_requests_since(
    conn: &mut Conn,
    scope: Scope,
    email: &str,
    ip: &str,
    since: DateTime<Utc>,
) -> AppResult<(i64, i64)> {
    let requests = || {
        events::table
            .filter(events::customer_id.eq(scope.customer_uuid()))
            .filter(events::entity.eq("password_reset"))
            .filter(events::action.eq("request"))
            .filter(events::occurred_at.gt(since))
    };
    let by_address: i64 = requests()
        .filter(
            events::after
                .retrieve_as_text("email")
                .eq(email.trim().to_lowercase()),
        )
        .count()
        .get_result(conn)
        .await?;
    let by_client: i64 = requests()
        .filter(events::ip.eq(ip))
        .count()
        .get_result(conn)
        .await?;
    Ok((by_address, by_client))
}

/// One changed field of an event, as text: `field: old → new`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// A JSON value as a person reads it: strings bare, the rest as compact JSON.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Event {
    /// The changed fields, in the order of their names. A before/after that is not an object is
    /// shown as one field named `value`.
    pub fn changes(&self) -> Vec<FieldChange> {
        let object = |v: &Option<Value>| -> Vec<(String, Value)> {
            match v {
                Some(Value::Object(map)) => {
                    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
                }
                Some(Value::Null) | None => Vec::new(),
                Some(other) => vec![("value".to_owned(), other.clone())],
            }
        };
        let before = object(&self.before);
        let after = object(&self.after);
        let mut fields: Vec<String> = before
            .iter()
            .chain(after.iter())
            .map(|(k, _)| k.clone())
            .collect();
        fields.sort();
        fields.dedup();
        let find = |list: &[(String, Value)], field: &str| {
            list.iter()
                .find(|(k, _)| k == field)
                .map(|(_, v)| value_text(v))
        };
        fields
            .into_iter()
            .map(|field| FieldChange {
                old: find(&before, &field),
                new: find(&after, &field),
                field,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = Cursor {
            occurred_at: "2024-05-01T12:30:00.123456Z".parse().unwrap(),
            id: Uuid::new_v4(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        for bad in [
            "",
            "garbage",
            "2024-05-01_nope",
            "x_00000000-0000-0000-0000-000000000000",
        ] {
            assert!(
                matches!(Cursor::decode(bad), Err(AppError::BadRequest(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn filters_are_checked() {
        let input = |from: &str, to: &str| FilterInput {
            from: from.into(),
            to: to.into(),
            ..Default::default()
        };
        assert!(input("2024-05-01", "2024-05-01").parse().is_ok());
        assert!(input("2024-05-02", "2024-05-01").parse().is_err());
        assert!(input("yesterday", "").parse().is_err());
        let bad_id = FilterInput {
            entity_id: "nope".into(),
            ..Default::default()
        };
        assert!(bad_id.parse().is_err());
        assert_eq!(FilterInput::default().parse().unwrap(), Filter::default());
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(crate::db::like_contains("a_b%c"), "%a\\_b\\%c%");
    }

    #[test]
    fn changes_list_every_field() {
        let event = Event {
            id: Uuid::nil(),
            occurred_at: Utc::now(),
            actor_id: None,
            actor_label: "cli".into(),
            entity: "user".into(),
            entity_id: Uuid::nil(),
            action: "update".into(),
            before: Some(json!({"role": "editor", "gone": 1})),
            after: Some(json!({"role": "owner", "added": true})),
            ip: None,
            request_id: None,
        };
        let changes = event.changes();
        let text: Vec<_> = changes
            .iter()
            .map(|c| format!("{}:{:?}->{:?}", c.field, c.old, c.new))
            .collect();
        assert_eq!(
            text,
            [
                "added:None->Some(\"true\")",
                "gone:Some(\"1\")->None",
                "role:Some(\"editor\")->Some(\"owner\")"
            ]
        );
    }
}
