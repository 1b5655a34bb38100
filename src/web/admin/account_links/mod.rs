//! The pages a mailed link leads to, and the page that sends one: `/admin/password/forgot` (ask
//! for a reset link), `/admin/password/reset/{token}` (choose a new password) and
//! `/admin/invitation/{token}` (accept an invitation by choosing a password). Nobody is signed in
//! on them; they carry the session's CSRF token like every admin form, are never stored, and send
//! no `Referer` (the address holds the token). A link that does not work — garbage, another
//! customer's, expired, used — is a 404 that changes nothing. The rules live in
//! `tenancy::password_resets`, `tenancy::invitations` and `tenancy::account_tokens`.

mod forgot;
mod invitation;
mod reset;

use actix_http::StatusCode;
use actix_web::http::header::{HeaderValue, REFERRER_POLICY};
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::error::{AppError, AppResult};
use crate::tenancy::invitations::LinkSite;
use crate::tenancy::users;
use crate::web::admin::layout::AdminLayout;
use crate::web::response;
use crate::web::site::RequestSite;

/// Registers these pages (paths relative to `/admin`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/password/forgot", web::get().to(forgot::form))
        .route("/password/forgot", web::post().to(forgot::submit))
        .route("/password/reset/{token}", web::get().to(reset::form))
        .route("/password/reset/{token}", web::post().to(reset::submit))
        .route("/invitation/{token}", web::get().to(invitation::form))
        .route("/invitation/{token}", web::post().to(invitation::submit));
}

/// The form where a password is chosen through a link.
#[derive(Template)]
#[template(path = "admin/account_links/choose_password.html")]
pub struct ChoosePasswordPage {
    pub layout: AdminLayout,
    pub heading: &'static str,
    pub intro: String,
    /// Where the form posts (the page's own address).
    pub action: String,
    pub button: &'static str,
    /// The account's e-mail (for the browser's password manager).
    pub email: String,
    pub new_error: Option<String>,
    pub confirm_error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ChoosePasswordForm {
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

impl ChoosePasswordPage {
    /// Checks the typed passwords (the rules of every password), noting what is wrong on the page.
    fn check(&mut self, form: &ChoosePasswordForm) -> bool {
        if form.new_password.chars().count() < users::MIN_PASSWORD_CHARS {
            self.new_error = Some(format!(
                "The password must be at least {} characters.",
                users::MIN_PASSWORD_CHARS
            ));
        } else if form.new_password != form.confirm_password {
            self.confirm_error = Some("The two passwords differ.".into());
        }
        self.new_error.is_none() && self.confirm_error.is_none()
    }

    /// The page with its errors, as a 400 that changes nothing.
    fn refused(&self) -> AppResult<HttpResponse> {
        Ok(no_referrer(response::private_page(
            StatusCode::BAD_REQUEST,
            self,
        )?))
    }

    /// The page, as a 200.
    fn shown(&self) -> AppResult<HttpResponse> {
        Ok(no_referrer(response::private_page(StatusCode::OK, self)?))
    }
}

/// The site a mailed link is for.
fn link_site(site: &RequestSite) -> LinkSite<'_> {
    LinkSite {
        name: &site.ctx.site_name,
        base_url: &site.base_url,
    }
}

/// A response whose page's address (which holds a token) no link or resource on it may carry on.
fn no_referrer(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut()
        .insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    res
}

/// Hashes a password off the async threads (argon2 is deliberately slow).
async fn hash(password: String) -> AppResult<String> {
    web::block(move || users::hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(format!("hashing failed: {e}")))?
}
