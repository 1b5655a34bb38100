//! The editorial flows, as an editor does them in a browser.

use crate::harness;

#[actix_web::test]
async fn an_editor_signs_in_and_out() {
    let Some(stack) = harness::start().await else {
        return;
    };
    stack.goto("/admin").await;
    assert_eq!(stack.path().await, "/admin/login?next=%2Fadmin");
    stack.sign_in("editor@alpha.test").await;
    assert_eq!(stack.path().await, "/admin");
    assert!(
        stack
            .text(".admin-signout")
            .await
            .contains("editor@alpha.test")
    );
    stack.click(".admin-signout button").await;
    assert_eq!(stack.path().await, "/admin/login?signed_out=1");
    stack.goto("/admin").await;
    assert!(stack.path().await.starts_with("/admin/login"));
    stack.finish().await;
}

#[actix_web::test]
async fn a_wrong_password_shows_the_error_next_to_the_form() {
    let Some(stack) = harness::start().await else {
        return;
    };
    stack.goto("/admin/login").await;
    stack.fill("#email", "editor@alpha.test").await;
    stack.fill("#password", "not the password").await;
    stack.click("form.stacked button[type=submit]").await;
    assert_eq!(
        stack.text(".form-error").await,
        "The e-mail or the password is wrong."
    );
    stack.finish().await;
}

#[actix_web::test]
async fn a_visitor_reads_a_published_post_but_not_a_draft() {
    let Some(stack) = harness::start().await else {
        return;
    };
    let published = chrono::Utc::now() - chrono::Duration::hours(1);
    stack
        .app
        .post(stack.customer, stack.site, "hello-world", Some(published))
        .await;
    stack
        .app
        .post(stack.customer, stack.site, "not-yet", None)
        .await;
    stack.goto("/").await;
    assert_eq!(stack.text(".post-card h2 a").await, "Title of hello-world");
    stack.click(".post-card h2 a").await;
    assert_eq!(stack.path().await, "/posts/hello-world");
    assert_eq!(stack.text("h1.post-title").await, "Title of hello-world");
    assert!(
        stack
            .text(".post-body strong")
            .await
            .contains("hello-world")
    );
    stack.goto("/posts/not-yet").await;
    assert_eq!(stack.text(".error-page h1").await, "Page not found");
    stack.finish().await;
}
