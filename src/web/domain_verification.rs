//! `GET /.well-known/agoat-verification/{token}`: the HTTP way to verify a domain
//! ([`crate::tenancy::verification`]). On whatever host the request names, it answers the token
//! (200, plain text) when a customer has claimed that host with that token — unless another
//! customer's site serves the host, whose answers are theirs alone. Anything else is a 404 that
//! names nobody. Never cached.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use scoped_futures::ScopedFutureExt;

use crate::tenancy::{domains, host};
use crate::web::AppState;
use crate::web::site::request_host;

pub async fn answer(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> HttpResponse {
    let token = token.into_inner();
    let Ok(host) = host::normalize(&request_host(&req)) else {
        return reply(StatusCode::NOT_FOUND, "unknown\n".into());
    };
    if !crate::token::well_formed(&token) {
        return reply(StatusCode::NOT_FOUND, "unknown\n".into());
    }
    let claimed = state
        .db
        .directory_read(|conn| {
            let (host, token) = (&host, &token);
            async move { domains::answers_token(conn, host, token).await }.scope_boxed()
        })
        .await;
    match claimed {
        Ok(true) => reply(StatusCode::OK, format!("{token}\n")),
        Ok(false) => reply(StatusCode::NOT_FOUND, "unknown\n".into()),
        Err(error) => {
            tracing::warn!(%error, "a verification token could not be looked up");
            reply(StatusCode::SERVICE_UNAVAILABLE, "try again later\n".into())
        }
    }
}

fn reply(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(body)
}
