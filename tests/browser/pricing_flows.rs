//! The pricing flows, as pricing staff do them in a browser.

use agoat::thorne::products;
use scoped_futures::ScopedFutureExt;

use crate::harness::{self, Stack};

/// The stored retail price of a product.
async fn retail(stack: &Stack, sku: &'static str) -> String {
    stack
        .app
        .in_scope(stack.customer, move |conn, scope| {
            async move { products::by_skus(conn, scope, &[sku.to_owned()]).await }.scope_boxed()
        })
        .await[0]
        .retail_price
        .to_string()
}

#[actix_web::test]
async fn pricing_staff_preview_apply_and_revert_a_bulk_change() {
    let Some(stack) = harness::start().await else {
        return;
    };
    let app = &stack.app;
    app.product(stack.customer, "VIT-D3", "Vitamins", "10.00", "18.00")
        .await;
    app.product(stack.customer, "VIT-C", "Vitamins", "6.00", "12.50")
        .await;
    app.product(stack.customer, "ZINC", "Minerals", "4.00", "9.00")
        .await;
    stack.goto("/products/VIT-D3").await;
    assert_eq!(stack.text("article.product .price").await, "$18.00");

    stack.sign_in("pricing@alpha.test").await;
    stack.goto("/admin/products/bulk").await;
    stack
        .click_in_place("input[name=selection][value=category]")
        .await;
    stack
        .click_in_place("#category option[value=Vitamins]")
        .await;
    stack.click_in_place("#operation option[value=raise]").await;
    stack.fill("#amount", "10").await;
    stack.click_in_place("#target option[value=retail]").await;
    stack.click_in_place("#rounding option[value=cent]").await;
    stack.fill("#name", "Vitamins +10%").await;
    stack.fill("#reason", "supplier increase").await;
    stack.click(".bulk-form button[type=submit]").await;

    // The preview: nothing has changed yet.
    assert_eq!(stack.text(".changed-count").await, "2");
    let preview = stack.text("table.bulk-changes").await;
    assert!(
        preview.contains("VIT-D3") && preview.contains("$19.80"),
        "{preview}"
    );
    assert!(
        preview.contains("VIT-C") && preview.contains("$13.75"),
        "{preview}"
    );
    assert!(!preview.contains("ZINC"));
    assert_eq!(retail(&stack, "VIT-D3").await, "18.00");

    stack.click("form.apply button[type=submit]").await;
    let set_page = stack.path().await;
    assert!(
        set_page.starts_with("/admin/products/change-sets/"),
        "{set_page}"
    );
    assert!(stack.text(".flash").await.contains("Vitamins +10%"));

    stack.goto("/products/VIT-D3").await;
    assert_eq!(stack.text("article.product .price").await, "$19.80");
    stack.goto("/products/ZINC").await;
    assert_eq!(stack.text("article.product .price").await, "$9.00");

    stack.goto(&set_page).await;
    stack
        .click("form[action$='/revert'] button[type=submit]")
        .await;
    assert!(stack.text(".flash").await.to_lowercase().contains("revert"));
    stack.goto("/products/VIT-D3").await;
    assert_eq!(stack.text("article.product .price").await, "$18.00");
    stack.goto("/products/VIT-C").await;
    assert_eq!(stack.text("article.product .price").await, "$12.50");
    stack.finish().await;
}
