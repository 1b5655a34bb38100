//! `agoat bench photo FILE`: writes a photo-like JPEG for the media benchmarks — a landscape of
//! smooth gradients, rolling hills and mid-sized texture under fine grain, so that it is as costly
//! to decode and compresses about as well as a camera's picture (a flat test card would shrink to
//! nothing). Deterministic: the same options write the same bytes. Needs no database.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use clap::Args;
use image::RgbImage;
use image::codecs::jpeg::JpegEncoder;

use super::text::{Rng, mix};
use crate::cli::Failure;

#[derive(Debug, Args)]
pub struct PhotoArgs {
    /// Width in pixels.
    #[arg(long, default_value_t = 4000)]
    pub width: u32,
    /// Height in pixels.
    #[arg(long, default_value_t = 3000)]
    pub height: u32,
    /// Which picture: another seed, other hills and grain (and so another file).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// JPEG quality, 1 to 100.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub quality: u8,
    /// Where to write the JPEG.
    pub file: PathBuf,
}

/// Writes the JPEG `args` describe.
pub fn write(args: &PhotoArgs) -> Result<(), Failure> {
    let failed = |e: &dyn std::fmt::Display| {
        Failure::from(vec![format!("cannot write {}: {e}", args.file.display())])
    };
    let image = landscape(args.width, args.height, args.seed);
    let mut out = BufWriter::new(File::create(&args.file).map_err(|e| failed(&e))?);
    JpegEncoder::new_with_quality(&mut out, args.quality)
        .encode_image(&image)
        .map_err(|e| failed(&e))?;
    out.flush().map_err(|e| failed(&e))
}

/// A sky that lightens towards the horizon, hills whose outline is a sum of waves, ground that
/// darkens towards the front with a texture of a few pixels' scale, and grain over everything.
fn landscape(width: u32, height: u32, seed: u64) -> RgbImage {
    let mut rng = Rng::new(mix(seed, 0x0009_4070));
    let mut phase = || (rng.next() % 6283) as f64 / 1000.0;
    let (p1, p2, p3) = (phase(), phase(), phase());
    let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
    let tau = std::f64::consts::TAU;
    let horizon: Vec<f64> = (0..width)
        .map(|x| {
            let t = f64::from(x) / w * tau;
            h * (0.55
                + 0.08 * (1.3 * t + p1).sin()
                + 0.04 * (5.1 * t + p2).sin()
                + 0.015 * (17.0 * t + p3).sin())
        })
        .collect();
    let mut grain = Rng::new(mix(seed, 0x0006_a412));
    RgbImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (f64::from(x), f64::from(y));
        let line = horizon[x as usize];
        let [r, g, b] = if fy < line {
            let up = fy / line;
            [70.0 + 90.0 * up, 120.0 + 80.0 * up, 215.0 - 15.0 * up]
        } else {
            let depth = (fy - line) / (h - line).max(1.0);
            let texture = 10.0 * (fx / 7.0 + fy / 11.0).sin() * (fy / 5.0 - fx / 13.0).cos();
            [
                95.0 - 40.0 * depth + texture,
                125.0 - 55.0 * depth + texture,
                60.0 - 25.0 * depth + texture / 2.0,
            ]
        };
        // Luminance grain, as a sensor's: the same on the three channels.
        let noise = (grain.next() % 17) as f64 - 8.0;
        let channel = |v: f64| (v + noise).clamp(0.0, 255.0) as u8;
        image::Rgb([channel(r), channel(g), channel(b)])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_photo_is_deterministic_and_decodes_at_its_size() {
        let folder = std::env::temp_dir().join(format!("agoat-photo-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&folder).unwrap();
        let file = |name: &str| folder.join(name);
        let args = |seed: u64, name: &str| PhotoArgs {
            width: 400,
            height: 300,
            seed,
            quality: 90,
            file: file(name),
        };
        for (seed, name) in [(1, "a.jpg"), (1, "b.jpg"), (2, "c.jpg")] {
            write(&args(seed, name)).unwrap_or_else(|f| panic!("{:?}", f.lines()));
        }
        let read = |name: &str| std::fs::read(file(name)).unwrap();
        assert_eq!(read("a.jpg"), read("b.jpg"));
        assert_ne!(read("a.jpg"), read("c.jpg"));
        let decoded = image::load_from_memory(&read("a.jpg")).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (400, 300));
        std::fs::remove_dir_all(&folder).unwrap();
    }
}
