//! What the admin layout (`templates/admin/base.html`) shows on every page.

use actix_session::Session;

use crate::tenancy::users::Role;
use crate::web::auth::{CurrentUser, session};
use crate::web::site::RequestSite;

pub struct AdminLayout {
    pub title: String,
    pub site_name: String,
    /// The site's logo (`/media/…`), shown beside its name in the header.
    pub logo: Option<String>,
    pub stylesheet: String,
    /// Signed-in user's e-mail, empty on the sign-in page.
    pub user_email: String,
    pub role: &'static str,
    pub csrf_token: String,
    pub flash: Option<String>,
    pub can_edit_posts: bool,
    pub can_edit_products: bool,
    pub is_owner: bool,
}

impl AdminLayout {
    /// The layout for a signed-in user; takes the pending flash message.
    pub fn new(
        title: &str,
        site: &RequestSite,
        user: &CurrentUser,
        session: &Session,
    ) -> AdminLayout {
        AdminLayout {
            flash: session::take_flash(session),
            ..AdminLayout::signed_in(title, site, user)
        }
    }

    /// The layout for a signed-in user that leaves a pending flash message for the next page
    /// (error pages).
    pub fn signed_in(title: &str, site: &RequestSite, user: &CurrentUser) -> AdminLayout {
        AdminLayout {
            title: format!("{title} · {} admin", site.ctx.site_name),
            site_name: site.ctx.site_name.clone(),
            logo: logo(site),
            stylesheet: crate::web::assets::url("admin.css"),
            user_email: user.email.clone(),
            role: user.role.as_str(),
            csrf_token: user.csrf_token.clone(),
            flash: None,
            can_edit_posts: user.require(&[Role::Editor]).is_ok(),
            can_edit_products: user.require(&[Role::Pricing]).is_ok(),
            is_owner: user.role == Role::Owner,
        }
    }

    /// The layout of the sign-in page (nobody signed in).
    pub fn anonymous(
        title: &str,
        site: &RequestSite,
        csrf_token: String,
        flash: Option<String>,
    ) -> AdminLayout {
        AdminLayout {
            title: format!("{title} · {} admin", site.ctx.site_name),
            site_name: site.ctx.site_name.clone(),
            logo: logo(site),
            stylesheet: crate::web::assets::url("admin.css"),
            user_email: String::new(),
            role: "",
            csrf_token,
            flash,
            can_edit_posts: false,
            can_edit_products: false,
            is_owner: false,
        }
    }
}

fn logo(site: &RequestSite) -> Option<String> {
    site.ctx.brand.logo.as_ref().map(|logo| logo.path.clone())
}
