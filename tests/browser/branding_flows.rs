//! Branding, as an owner sets it in a browser and a visitor sees it: the accent colour reaches
//! the page through its own stylesheet under the Content-Security-Policy (no inline style), the
//! logo loads in the site's header and the admin's, the page has the site's language; a colour
//! that text cannot be read on is refused with its contrast.

use agoat::media::upload::{self, Incoming};
use bytes::Bytes;
use image::{ImageFormat, RgbImage};
use serde_json::Value;

use crate::common::actor;
use crate::harness::{self, Stack};

/// A 400 × 100 PNG logo.
fn logo_png() -> Vec<u8> {
    let image = RgbImage::from_fn(400, 100, |x, _| image::Rgb([(x / 2) as u8, 60, 140]));
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

/// What a script evaluates to in the page.
async fn eval(stack: &Stack, script: &str) -> Value {
    stack
        .client
        .execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("{script}: {e}"))
}

#[actix_web::test]
async fn an_owner_brands_the_site_and_visitors_see_it_in_its_colours() {
    let Some(stack) = harness::start().await else {
        return;
    };
    let added = upload::add(
        &stack.app.pool,
        stack.app.state.media_store.as_ref(),
        agoat::tenancy::Scope::of(stack.customer),
        &actor(),
        vec![Incoming {
            name: "alpha-logo.png".to_owned(),
            bytes: Bytes::from(logo_png()),
        }],
        &stack.app.state.media_limits,
    )
    .await
    .expect("the logo is added");
    let logo = added[0].id;

    stack.sign_in("owner@alpha.test").await;
    stack.goto("/admin/settings/branding").await;
    stack.fill("#accent", "#808080").await;
    stack.click("form.stacked button[type=submit]").await;
    let refused = stack.text("#branding-error").await;
    assert!(refused.contains("3.94:1"), "{refused}");

    stack.fill("#tagline", "Health, plainly explained").await;
    stack.fill("#accent", "#8a2be2").await;
    stack.fill("#language", "de-CH").await;
    stack
        .click_in_place(&format!("#logo option[value='{logo}']"))
        .await;
    stack.click("form.stacked button[type=submit]").await;
    assert_eq!(stack.text(".flash").await, "Branding saved.");
    let admin_logo = eval(
        &stack,
        "return document.querySelector('img.admin-logo').naturalWidth",
    )
    .await;
    assert!(admin_logo.as_u64().unwrap_or(0) > 0, "the admin logo loads");

    stack.goto("/").await;
    assert_eq!(
        eval(&stack, "return document.documentElement.lang").await,
        "de-CH"
    );
    assert_eq!(
        stack.text(".site-tagline").await,
        "Health, plainly explained"
    );
    let logo_width = eval(
        &stack,
        "return document.querySelector('img.site-logo').naturalWidth",
    )
    .await;
    assert!(logo_width.as_u64().unwrap_or(0) > 0, "the logo loads");
    let button = "getComputedStyle(document.querySelector('.site-search button'))";
    assert_eq!(
        eval(&stack, &format!("return {button}.backgroundColor")).await,
        "rgb(138, 43, 226)",
        "the accent colour applies"
    );
    assert_eq!(
        eval(&stack, &format!("return {button}.color")).await,
        "rgb(255, 255, 255)",
        "white text on it"
    );
    assert_eq!(
        eval(
            &stack,
            "return document.querySelectorAll('[style], style').length"
        )
        .await,
        0,
        "no inline styles"
    );
    stack.finish().await;
}
