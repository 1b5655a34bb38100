//! The ceiling for a cache hit: a bare actix-web server answering every request with the same
//! HTML from memory (the product's post page, fetched before the run), as `text/html`, with no
//! middleware.
//!
//!     bare --bind 127.0.0.1:PORT --body post-page.html

use std::env;
use std::io;

use actix_web::http::header::ContentType;
use actix_web::web::{Bytes, Data};
use actix_web::{App, HttpResponse, HttpServer};

/// The allocator the product's binary uses (`src/main.rs`), so that the ceiling is built as it is.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The value given after `flag` on the command line.
fn argument(flag: &str) -> io::Result<String> {
    let mut args = env::args().skip_while(|arg| arg != flag).skip(1);
    args.next().ok_or_else(|| {
        io::Error::other(format!(
            "usage: bare --bind ADDRESS --body FILE ({flag} missing)"
        ))
    })
}

async fn answer(body: Data<Bytes>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .body(body.get_ref().clone())
}

#[actix_web::main]
async fn main() -> io::Result<()> {
    let bind = argument("--bind")?;
    let body = Data::new(Bytes::from(std::fs::read(argument("--body")?)?));
    HttpServer::new(move || {
        App::new()
            .app_data(body.clone())
            .default_service(actix_web::web::to(answer))
    })
    .bind(bind)?
    .run()
    .await
}
