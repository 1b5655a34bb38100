//! Colour: pixels an embedded ICC profile describes (a phone's Display P3, a camera's Adobe RGB)
//! are converted to sRGB, which is what browsers assume of an image without a profile — and the
//! files made carry none. sRGB profiles, profiles that cannot be read and profiles of other colour
//! spaces (grey, CMYK: the decoder has made RGB of those already) leave the pixels as they are.

use moxcms::{ColorProfile, DataColorSpace, Layout, ProfileText, TransformOptions};

use super::decode::Pixels;

/// How many pixels are converted at a time (the conversion needs a buffer of this size only).
const BATCH: usize = 64 * 1024;

/// Converts `pixels` from the colour space `icc` describes to sRGB.
pub(super) fn to_srgb(pixels: &mut Pixels, icc: &[u8]) {
    let Ok(profile) = ColorProfile::new_from_slice(icc) else {
        return;
    };
    if profile.color_space != DataColorSpace::Rgb || names_srgb(profile.description.as_ref()) {
        return;
    }
    let layout = if pixels.alpha {
        Layout::Rgba
    } else {
        Layout::Rgb
    };
    let srgb = ColorProfile::new_srgb();
    let Ok(transform) =
        profile.create_transform_8bit(layout, &srgb, layout, TransformOptions::default())
    else {
        return;
    };
    let batch = BATCH * if pixels.alpha { 4 } else { 3 };
    let mut converted = vec![0; batch.min(pixels.data.len())];
    for chunk in pixels.data.chunks_mut(batch) {
        let out = &mut converted[..chunk.len()];
        if transform.transform(chunk, out).is_err() {
            return;
        }
        chunk.copy_from_slice(out);
    }
}

/// Whether a profile's description names sRGB ("sRGB IEC61966-2.1", "sRGB built-in", …).
fn names_srgb(description: Option<&ProfileText>) -> bool {
    let text = match description {
        Some(ProfileText::PlainString(text)) => text.clone(),
        Some(ProfileText::Description(text)) => text.ascii_string.clone(),
        Some(ProfileText::Localizable(texts)) => texts.iter().map(|t| t.value.as_str()).collect(),
        None => return false,
    };
    text.contains("sRGB")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pixels(rgb: [u8; 3]) -> Pixels {
        Pixels {
            width: 4,
            height: 1,
            alpha: false,
            data: rgb.repeat(4),
        }
    }

    #[test]
    fn display_p3_is_converted_to_srgb() {
        let p3 = ColorProfile::new_display_p3().encode().unwrap();
        let mut orange = pixels([230, 120, 40]);
        to_srgb(&mut orange, &p3);
        let [r, g, b] = [orange.data[0], orange.data[1], orange.data[2]];
        // The same colour takes more saturated values in the smaller sRGB gamut.
        assert!(r >= 240 && g <= 120 && b < 30, "{r} {g} {b}");
        assert!(orange.data.chunks(3).all(|p| p == [r, g, b]));
    }

    #[test]
    fn srgb_and_unreadable_profiles_leave_the_pixels_alone() {
        let srgb = ColorProfile::new_srgb().encode().unwrap();
        for profile in [&srgb[..], b"not a profile"] {
            let mut orange = pixels([230, 120, 40]);
            to_srgb(&mut orange, profile);
            assert_eq!(orange.data, [230, 120, 40].repeat(4));
        }
    }
}
