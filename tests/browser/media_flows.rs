//! The media library, as an editor uses it in a browser: an image uploaded through the file
//! input, given its alt text, put into a post from the post form's media panel, and shown to
//! visitors as a `<picture>` the browser really loads.

use std::time::{Duration, Instant};

use image::{ImageFormat, RgbImage};

use crate::common::http;
use crate::harness::{self, Stack};

/// A photo-like JPEG of `width` × `height`: gradients with a little noise.
fn photo(width: u32, height: u32) -> Vec<u8> {
    let mut state = 0x9e37_79b9_u32;
    let image = RgbImage::from_fn(width, height, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let grain = (state % 24) as u8;
        image::Rgb([
            (x * 200 / width) as u8 + grain,
            (y * 200 / height) as u8 + grain,
            ((x + y) * 100 / (width + height)) as u8 + 90,
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// The widths a `srcset` lists (`/media/… 640w, /media/… 1024w` gives 640 and 1024).
fn srcset_widths(srcset: &str) -> Vec<u32> {
    srcset
        .split(',')
        .filter_map(|candidate| candidate.split_whitespace().nth(1))
        .filter_map(|descriptor| descriptor.strip_suffix('w')?.parse().ok())
        .collect()
}

/// `GET` of an address of the stack's site, outside the browser.
fn fetch(stack: &Stack, url: &str) -> http::Reply {
    let authority = stack.base.trim_start_matches("http://");
    let port = authority.rsplit_once(':').expect("a port").1;
    let path = url
        .strip_prefix(&stack.base)
        .unwrap_or_else(|| panic!("{url} is not on {}", stack.base));
    http::get(&format!("127.0.0.1:{port}"), authority, path).expect("the server answers")
}

#[actix_web::test]
async fn an_editor_uploads_an_image_and_visitors_see_it_in_a_post() {
    let Some(stack) = harness::start().await else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("harbour-at-dawn.jpg");
    std::fs::write(&file, photo(1600, 1000)).unwrap();

    // The upload, through the real file input, leads to the image's page.
    stack.sign_in("editor@alpha.test").await;
    stack.goto("/admin/media").await;
    stack
        .find("#media-upload input[type=file][name=files]")
        .await
        .send_keys(&file.display().to_string())
        .await
        .expect("the file is chosen");
    stack.click("#media-upload button[type=submit]").await;
    let page = stack.path().await;
    let id = page
        .strip_prefix("/admin/media/")
        .unwrap_or_else(|| panic!("the upload led to {page}"))
        .to_owned();
    assert_eq!(stack.text("h1").await, "harbour-at-dawn.jpg");

    let alt = "Fishing boats in the harbour at dawn";
    stack.fill("#alt_text", alt).await;
    stack
        .click(&format!(
            "form[action='/admin/media/{id}'] button[type=submit]"
        ))
        .await;
    assert_eq!(
        stack.text(".flash").await,
        "The alt text and caption were saved."
    );

    // A new post gets the image's line from the form's media panel.
    stack.goto("/admin/posts/new").await;
    stack.fill("#title", "Harbour mornings").await;
    stack.click_in_place("details.media-picker summary").await;
    let line = stack.text("code.media-markdown").await;
    assert_eq!(line, format!("![{alt}](media:{id})"));
    stack
        .fill(
            "#body",
            &format!("The boats leave before sunrise.\n\n{line}\n\nBy eight the quay is empty."),
        )
        .await;
    stack.click("button[value=publish]").await;
    assert!(
        stack.text(".flash").await.contains("Published"),
        "{}",
        stack.text(".flash").await
    );

    // Visitors get a picture with every width, its pixel size and its alt text.
    stack.goto("/posts/harbour-mornings").await;
    let webp = stack
        .find(".post-body picture source[type='image/webp']")
        .await;
    let webp_widths = srcset_widths(&webp.attr("srcset").await.unwrap().unwrap_or_default());
    assert!(
        webp_widths.len() >= 3 && webp_widths.contains(&1600),
        "several WebP widths: {webp_widths:?}"
    );
    let img = stack.find(".post-body picture img").await;
    let srcset = img.attr("srcset").await.unwrap().unwrap_or_default();
    let widths = srcset_widths(&srcset);
    assert!(widths.len() >= 3, "several widths: {srcset}");
    assert!(widths.contains(&1600) && widths.contains(&320), "{srcset}");
    assert_eq!(img.attr("width").await.unwrap().as_deref(), Some("1600"));
    assert_eq!(img.attr("height").await.unwrap().as_deref(), Some("1000"));
    assert_eq!(img.attr("alt").await.unwrap().as_deref(), Some(alt));

    // The browser loaded it (the picture is lazy: brought into view first).
    let script = "const img = document.querySelector('.post-body picture img');
        img.scrollIntoView();
        return [img.complete && img.naturalWidth > 0, img.currentSrc, img.src];";
    let deadline = Instant::now() + Duration::from_secs(15);
    let (current, fallback) = loop {
        let state = stack.client.execute(script, vec![]).await.expect("script");
        let loaded = state[0].as_bool().unwrap_or(false);
        if loaded {
            let text = |i: usize| state[i].as_str().unwrap_or_default().to_owned();
            break (text(1), text(2));
        }
        assert!(Instant::now() < deadline, "the image never loaded: {state}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(current.contains("/media/"), "{current}");

    // What it loaded, and the fallback of browsers without WebP, are images.
    for url in [&current, &fallback] {
        let reply = fetch(&stack, url);
        assert_eq!(reply.status, 200, "{url}");
        let content_type = reply.content_type.unwrap_or_default();
        assert!(content_type.starts_with("image/"), "{url}: {content_type}");
    }
    stack.finish().await;
}
