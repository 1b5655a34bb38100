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

#[actix_web::test]
async fn an_editor_writes_previews_and_publishes_a_post() {
    let Some(stack) = harness::start().await else {
        return;
    };
    stack.sign_in("editor@alpha.test").await;
    stack.goto("/admin/posts/new").await;
    stack.fill("#title", "Spring greens").await;
    stack
        .fill(
            "#body",
            "Fresh **greens** and ~~canned~~ peas.\n\n| day | dish |\n|---|---|\n| Mon | soup |",
        )
        .await;
    stack.fill("#description", "What to cook in April.").await;

    // The preview opens in a new tab, rendered with the public template, and saves nothing.
    let before = stack.client.windows().await.unwrap();
    stack
        .find("button[value=preview]")
        .await
        .click()
        .await
        .unwrap();
    let preview = harness::wait_for_new_window(&stack, &before).await;
    stack.client.switch_to_window(preview).await.unwrap();
    assert_eq!(stack.text("h1.post-title").await, "Spring greens");
    assert_eq!(stack.text(".post-body strong").await, "greens");
    assert_eq!(stack.text(".post-body td").await, "Mon");
    stack.client.close_window().await.unwrap();
    stack
        .client
        .switch_to_window(before[0].clone())
        .await
        .unwrap();
    stack.goto("/posts/spring-greens").await;
    assert_eq!(
        stack.text(".error-page h1").await,
        "Page not found",
        "the preview saved nothing"
    );

    stack.client.back().await.unwrap();
    stack.find("#title").await;
    stack.click("button[value=publish]").await;
    assert!(
        stack.text(".flash").await.contains("Published"),
        "{}",
        stack.text(".flash").await
    );
    stack.goto("/posts/spring-greens").await;
    assert_eq!(stack.text("h1.post-title").await, "Spring greens");
    assert_eq!(stack.text(".post-body strong").await, "greens");
    stack.goto("/").await;
    assert_eq!(stack.text(".post-card h2 a").await, "Spring greens");
    stack.finish().await;
}

#[actix_web::test]
async fn the_same_post_edited_in_two_windows_meets_the_conflict_page() {
    let Some(stack) = harness::start().await else {
        return;
    };
    let published = chrono::Utc::now() - chrono::Duration::hours(1);
    let post = stack
        .app
        .post(stack.customer, stack.site, "shared-post", Some(published))
        .await;
    let edit = format!("/admin/posts/{}/edit", post.id);
    stack.sign_in("editor@alpha.test").await;
    stack.goto(&edit).await;
    let first = stack.client.window().await.unwrap();

    let second = stack.client.new_window(true).await.unwrap().handle;
    stack.client.switch_to_window(second).await.unwrap();
    stack.goto(&edit).await;
    stack.fill("#title", "Their title").await;
    stack.click("button[value=save]").await;
    assert!(stack.text(".flash").await.len() > 3);

    stack.client.switch_to_window(first).await.unwrap();
    stack.fill("#body", "My careful rewrite of the body.").await;
    stack.click("button[value=save]").await;
    assert_eq!(stack.text("h1").await, "Someone else saved this post");
    assert!(
        stack
            .text(".mine")
            .await
            .contains("My careful rewrite of the body.")
    );
    assert!(stack.text(".theirs").await.contains("Their title"));

    stack.click("form.overwrite button").await;
    stack.goto("/posts/shared-post").await;
    assert!(
        stack
            .text(".post-body")
            .await
            .contains("My careful rewrite of the body.")
    );
    stack.finish().await;
}

#[actix_web::test]
async fn an_editor_restores_an_old_revision() {
    let Some(stack) = harness::start().await else {
        return;
    };
    let published = chrono::Utc::now() - chrono::Duration::hours(1);
    let post = stack
        .app
        .post(stack.customer, stack.site, "evolving", Some(published))
        .await;
    for title in ["Second title", "Third title"] {
        stack
            .app
            .in_scope(stack.customer, move |conn, scope| {
                use scoped_futures::ScopedFutureExt;
                async move {
                    let current = agoat::content::posts::find(conn, scope, post.id).await?;
                    let mut input = crate::common::post_input("evolving", current.published_at);
                    input.title = title.to_owned();
                    use agoat::content::posts::{self, Change, Target};
                    let target = Target::Existing {
                        post: &current,
                        expected_version: current.version,
                    };
                    let change = Change::Fields {
                        input: &input,
                        action: "update",
                    };
                    posts::save(conn, scope, target, change, &crate::common::actor())
                        .await?
                        .saved()
                }
                .scope_boxed()
            })
            .await;
    }
    stack.sign_in("editor@alpha.test").await;
    stack.goto(&format!("/admin/posts/{}/edit", post.id)).await;
    stack.click("a[href$='/revisions']").await;
    stack
        .click("form[action$='/revisions/1/restore'] button")
        .await;
    assert!(
        stack
            .text(".flash")
            .await
            .contains("Revision 1 was restored as revision 4")
    );
    stack.goto("/posts/evolving").await;
    assert_eq!(stack.text("h1.post-title").await, "Title of evolving");
    stack.finish().await;
}
