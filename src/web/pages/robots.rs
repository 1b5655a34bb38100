//! `/robots.txt`: everything may be crawled except the admin; points to the sitemap.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::web::response;
use crate::web::site::RequestSite;

pub async fn page(req: HttpRequest, site: web::ReqData<RequestSite>) -> HttpResponse {
    let body = format!(
        "User-agent: *\nDisallow: /admin/\n\nSitemap: {}\n",
        site.url("/sitemap.xml")
    );
    response::conditional(&req, body, "text/plain; charset=utf-8")
}
