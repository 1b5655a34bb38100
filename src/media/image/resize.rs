//! Scaling pixels down to a width, keeping the aspect ratio, with a Lanczos3 filter (alpha is
//! premultiplied while filtering so that transparent pixels do not bleed their colour).

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use super::decode::Pixels;

/// The height that keeps the aspect ratio of `width` × `height` at `to_width`, at least 1.
pub(super) fn scaled_height(width: u32, height: u32, to_width: u32) -> u32 {
    let scaled =
        (u64::from(height) * u64::from(to_width) + u64::from(width) / 2) / u64::from(width);
    u32::try_from(scaled.max(1)).unwrap_or(u32::MAX)
}

/// `pixels` scaled to `to_width` wide (never wider than they are).
pub(super) fn resize(pixels: &Pixels, to_width: u32) -> Result<Pixels, String> {
    debug_assert!(to_width <= pixels.width);
    let pixel_type = if pixels.alpha {
        PixelType::U8x4
    } else {
        PixelType::U8x3
    };
    let source = ImageRef::new(pixels.width, pixels.height, &pixels.data, pixel_type)
        .map_err(|e| e.to_string())?;
    let to_height = scaled_height(pixels.width, pixels.height, to_width);
    let mut target = Image::new(to_width, to_height, pixel_type);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new()
        .resize(&source, &mut target, &options)
        .map_err(|e| e.to_string())?;
    Ok(Pixels {
        width: to_width,
        height: to_height,
        alpha: pixels.alpha,
        data: target.into_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heights_keep_the_aspect_ratio() {
        assert_eq!(scaled_height(4000, 3000, 1600), 1200);
        assert_eq!(scaled_height(1000, 333, 320), 107);
        assert_eq!(scaled_height(10_000, 1, 320), 1);
    }

    #[test]
    fn a_resized_image_keeps_its_colours() {
        let red = Pixels {
            width: 100,
            height: 50,
            alpha: false,
            data: [200, 10, 20].repeat(100 * 50),
        };
        let small = resize(&red, 40).unwrap();
        assert_eq!((small.width, small.height), (40, 20));
        assert_eq!(small.data.len(), 40 * 20 * 3);
        assert!(small.data.chunks(3).all(|p| p == [200, 10, 20]));
    }
}
