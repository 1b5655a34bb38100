//! `POST /admin/products/import/{id}/apply`: applies a stored upload as one change set (name and
//! reason from the form). The file is planned again against the catalog as it is now, so products
//! changed since the dry run are fine; the flash message says what was applied. A file with
//! errors is refused with its report (422, nothing changed); a file applied already is a 409.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use scoped_futures::ScopedFutureExt;
use serde::Deserialize;
use serde_json::json;

use crate::error::AppResult;
use crate::input::{self, Shape};
use crate::tenancy::users::Role;
use crate::thorne::csv_import::{self, ImportNote, ImportReport, Plan};
use crate::thorne::csv_uploads::{self, Upload};
use crate::web::AppState;
use crate::web::admin::posts::see_other;
use crate::web::admin::products::csv::report::{
    self, ApplyForm, ReportPage, default_change_set_name,
};
use crate::web::admin::products::csv::upload_id;
use crate::web::auth::{CurrentUser, session as flash};
use crate::web::site::RequestSite;

/// Longest reason kept with the price changes.
pub const MAX_REASON_CHARS: usize = 500;

/// The fields as the browser sends them (the CSRF token is checked by the middleware).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ApplyFields {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub reason: String,
    /// What the dry run counted, to tell when the catalog changed since.
    pub planned_created: Option<usize>,
    pub planned_updated: Option<usize>,
}

/// The form checked: an error next to each bad field.
fn check(fields: &ApplyFields) -> ApplyForm {
    let name = fields.name.trim().to_owned();
    let reason = fields.reason.trim().to_owned();
    ApplyForm {
        name_error: if name.chars().count() > 200 {
            Some("The name is too long: at most 200 characters.".to_owned())
        } else if input::check(&name, Shape::Line).is_err() {
            Some("The name cannot contain line breaks or other control characters.".to_owned())
        } else {
            None
        },
        reason_error: (reason.chars().count() > MAX_REASON_CHARS)
            .then(|| format!("The reason is too long: at most {MAX_REASON_CHARS} characters.")),
        name,
        reason,
    }
}

enum Outcome {
    Applied(Box<Upload>, ImportReport),
    Refused(Box<Upload>, Box<Plan>),
}

pub async fn apply(
    state: web::Data<AppState>,
    site: web::ReqData<RequestSite>,
    user: CurrentUser,
    session: Session,
    path: web::Path<String>,
    fields: web::Form<ApplyFields>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Pricing])?;
    let id = upload_id(&path)?;
    let form = check(&fields);
    let form_ok = form.name_error.is_none() && form.reason_error.is_none();
    let (scope, actor) = (user.scope, &user.actor);
    let outcome = state
        .db
        .tenant_tx(scope, |conn| {
            let form = &form;
            async move {
                let upload = csv_uploads::find(conn, scope, id).await?;
                csv_uploads::ensure_not_applied(&upload)?;
                let parsed = csv_import::parse_all(&upload.content);
                let plan = csv_import::plan(conn, scope, &parsed).await?;
                if !form_ok || !plan.errors.is_empty() {
                    return Ok(Outcome::Refused(Box::new(upload), Box::new(plan)));
                }
                csv_uploads::claim(conn, scope, &upload).await?;
                let name = match form.name.as_str() {
                    "" => default_change_set_name(&upload.file_name),
                    typed => typed.to_owned(),
                };
                let reason = match form.reason.as_str() {
                    "" => format!("CSV import of {}", upload.file_name),
                    typed => typed.to_owned(),
                };
                let note = ImportNote {
                    name: &name,
                    reason: &reason,
                };
                let report = csv_import::write(conn, scope, &plan, note, actor).await?;
                let summary = json!({
                    "change_set": report.change_set,
                    "created": report.created,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                });
                csv_uploads::mark_applied(conn, scope, &upload, report.change_set, summary, actor)
                    .await?;
                Ok(Outcome::Applied(Box::new(upload), report))
            }
            .scope_boxed()
        })
        .await?;
    match outcome {
        Outcome::Applied(upload, report) => {
            flash::flash(&session, &applied_message(&upload, &report, &fields));
            Ok(match report.change_set {
                Some(change_set) => see_other(&format!("/admin/products/change-sets/{change_set}")),
                None => see_other("/admin/products"),
            })
        }
        Outcome::Refused(upload, plan) => {
            let page = ReportPage::new(&site, &user, &session, &upload, &plan, Some(form.clone()));
            if !plan.errors.is_empty() {
                let page = page.with_notice(
                    "Nothing was imported: the file has errors against the catalog as it is now.",
                );
                report::respond(&page, Some(StatusCode::UNPROCESSABLE_ENTITY))
            } else {
                let page = page.with_notice("Nothing was imported: please correct the form.");
                report::respond(&page, Some(StatusCode::BAD_REQUEST))
            }
        }
    }
}

/// What the flash message says: the counts applied, and whether they differ from the dry run.
fn applied_message(upload: &Upload, report: &ImportReport, fields: &ApplyFields) -> String {
    let mut message = format!(
        "Imported “{}”: {} created, {} updated, {} unchanged.",
        upload.file_name, report.created, report.updated, report.unchanged
    );
    if report.change_set.is_none() {
        message = format!(
            "Nothing to change: every row of “{}” matches the catalog.",
            upload.file_name
        );
    }
    let planned = (fields.planned_created, fields.planned_updated);
    if let (Some(created), Some(updated)) = planned
        && (created, updated) != (report.created, report.updated)
    {
        message.push_str(&format!(
            " The catalog changed since the dry run, which counted {created} to create and \
             {updated} to update."
        ));
    }
    message
}
