//! The site's 404 page, for any path no page answers (rendered in the site's layout by
//! `site::resolve_site`).

use crate::error::{AppError, AppResult};

pub async fn page() -> AppResult<actix_web::HttpResponse> {
    Err(AppError::NotFound)
}
