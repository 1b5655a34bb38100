//! Reading a whole request body in a middleware, within the limits every body has: at most a
//! given number of bytes (413 past it) and at most [`AppState::body_timeout`] to arrive (408
//! after it, so a slow client holds no connection for long). The body read is put back for the
//! handler to read again.

use actix_web::dev::ServiceRequest;
use actix_web::{Error, HttpMessage, web};
use futures_util::StreamExt;

use crate::web::AppState;

/// How long the client may take to send the whole body; a slower sender gets 408 and its
/// connection is not held any longer.
fn timeout(req: &ServiceRequest) -> std::time::Duration {
    req.app_data::<web::Data<AppState>>()
        .map(|state| state.body_timeout)
        .unwrap_or_else(crate::config::body_timeout)
}

/// Reads the body of `req` (at most `limit` bytes) and puts it back in the request.
pub async fn read(req: &mut ServiceRequest, limit: usize) -> Result<web::Bytes, Error> {
    let timeout = timeout(req);
    let mut payload = req.take_payload();
    let body = match tokio::time::timeout(timeout, collect(&mut payload, limit)).await {
        Ok(body) => body?,
        Err(_) => {
            return Err(actix_web::error::ErrorRequestTimeout(
                "the request body arrived too slowly",
            ));
        }
    };
    req.set_payload(bytes_payload(body.clone()));
    Ok(body)
}

async fn collect(payload: &mut actix_web::dev::Payload, limit: usize) -> Result<web::Bytes, Error> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > limit {
            return Err(actix_web::error::ErrorPayloadTooLarge(
                "the request is too large",
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Reads the start of the body of `req` until `complete` holds for what was read (or `limit`
/// bytes, or the end), and puts it back ahead of the rest, which is left to stream to the handler
/// (which then owns the size and time limits of the whole body). The start read.
pub async fn read_start(
    req: &mut ServiceRequest,
    limit: usize,
    complete: impl Fn(&[u8]) -> bool,
) -> Result<web::Bytes, Error> {
    let timeout = timeout(req);
    let mut payload = req.take_payload();
    let reading = async {
        let mut start = web::BytesMut::new();
        while start.len() < limit && !complete(&start) {
            match payload.next().await {
                Some(chunk) => start.extend_from_slice(&chunk?),
                None => break,
            }
        }
        Ok::<_, Error>(start.freeze())
    };
    let start = match tokio::time::timeout(timeout, reading).await {
        Ok(start) => start?,
        Err(_) => {
            return Err(actix_web::error::ErrorRequestTimeout(
                "the request body arrived too slowly",
            ));
        }
    };
    let ahead = futures_util::stream::once(std::future::ready(Ok(start.clone())));
    let rest: actix_http::BoxedPayloadStream = Box::pin(ahead.chain(payload));
    req.set_payload(actix_web::dev::Payload::from(rest));
    Ok(start)
}

fn bytes_payload(body: web::Bytes) -> actix_web::dev::Payload {
    let (_, mut payload) = actix_http::h1::Payload::create(true);
    payload.unread_data(body);
    payload.into()
}
