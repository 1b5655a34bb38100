//! Micro-benchmark of the media library's image processing: how long one 12-megapixel photograph
//! takes to become all its files, and how much memory several uploads processed together take.
//!
//! ```text
//! cargo run --release --example media_process                  # one 4000 × 3000 JPEG, timed
//! cargo run --release --example media_process -- photo.jpg     # the same with a file of yours
//! cargo run --release --example media_process -- --together 2  # two at once: peak memory
//! ```
//!
//! Without a file, a 4000 × 3000 JPEG of noise over gradients (photographs compress about as
//! badly) is made first and the measuring is done by a fresh run of this program on it, so that
//! the peak memory reported (VmHWM) is that of processing alone. Uploads processed together go
//! through `process_bounded`, at most `AGOAT_MEDIA_WORKERS` (default 2) at once.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use agoat::media::image::{Limits, Processed, Refusal, process, process_bounded};

const RUNS: usize = 3;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let together = match args.iter().position(|a| a == "--together") {
        Some(i) => Some(
            args.get(i + 1)
                .ok_or("--together needs a number")?
                .parse()?,
        ),
        None => None,
    };
    let file = args
        .iter()
        .enumerate()
        .find(|(i, a)| !a.starts_with("--") && (*i == 0 || args[i - 1] != "--together"))
        .map(|(_, a)| PathBuf::from(a));
    match file {
        Some(file) => measure(&file, together),
        None => measure_generated(&args),
    }
}

/// Makes the photograph, then measures it in a fresh process.
fn measure_generated(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::temp_dir().join(format!("agoat-media-{}.jpg", std::process::id()));
    std::fs::write(&path, photograph(4000, 3000))?;
    let status = std::process::Command::new(std::env::current_exe()?)
        .arg(&path)
        .args(args)
        .status();
    std::fs::remove_file(&path)?;
    if !status?.success() {
        return Err("the measuring run failed".into());
    }
    Ok(())
}

fn measure(file: &Path, together: Option<usize>) -> Result<(), Box<dyn std::error::Error>> {
    let bytes = std::fs::read(file)?;
    let limits = Limits::from_env();
    println!(
        "input: {} ({:.1} MiB)",
        file.display(),
        bytes.len() as f64 / 1048576.0
    );
    println!("before processing: VmRSS {}", status_line("VmRSS"));
    match together {
        None => one_at_a_time(&bytes, &limits)?,
        Some(count) => at_once(bytes, limits, count)?,
    }
    println!("peak resident memory (VmHWM): {}", status_line("VmHWM"));
    Ok(())
}

fn one_at_a_time(bytes: &[u8], limits: &Limits) -> Result<(), Box<dyn std::error::Error>> {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..RUNS {
        let started = Instant::now();
        last = Some(process(bytes, limits)?);
        times.push(started.elapsed());
    }
    times.sort();
    if let Some(processed) = &last {
        report(processed);
    }
    println!(
        "process: {} runs, fastest {}, median {}",
        RUNS,
        millis(times[0]),
        millis(times[RUNS / 2])
    );
    Ok(())
}

fn at_once(bytes: Vec<u8>, limits: Limits, count: usize) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let bytes = bytes::Bytes::from(bytes);
    let started = Instant::now();
    // Each task keeps only the size of what it made, as a handler that stores the files would.
    let sizes = runtime.block_on(async {
        let tasks: Vec<_> = (0..count)
            .map(|_| {
                let bytes = bytes.clone();
                tokio::spawn(async move {
                    let processed = process_bounded(bytes, limits).await?;
                    Ok::<_, Refusal>(processed.variants.iter().map(|v| v.bytes.len()).sum())
                })
            })
            .collect();
        let mut sizes: Vec<usize> = Vec::new();
        for task in tasks {
            sizes.push(task.await??);
        }
        Ok::<_, Box<dyn std::error::Error>>(sizes)
    })?;
    let elapsed = started.elapsed();
    println!(
        "{count} uploads processed together in {} ({} bytes made each)",
        millis(elapsed),
        sizes[0]
    );
    Ok(())
}

fn report(processed: &Processed) {
    println!(
        "{:?} {} × {}: {} files",
        processed.format,
        processed.width,
        processed.height,
        processed.variants.len()
    );
    for variant in &processed.variants {
        println!(
            "  {:>5} × {:<5} {:<5} {:<8} {:>8.1} KiB",
            variant.width,
            variant.height,
            variant.format.extension(),
            variant.role.as_str(),
            variant.bytes.len() as f64 / 1024.0
        );
    }
}

fn millis(duration: Duration) -> String {
    format!("{} ms", duration.as_millis())
}

/// A line of /proc/self/status (Linux), such as `VmHWM:  123456 kB`, without its name.
fn status_line(name: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with(name))
                .map(|line| line[name.len() + 1..].trim().to_owned())
        })
        .unwrap_or_else(|| "unknown (no /proc/self/status)".to_owned())
}

/// A JPEG at quality 90 of noise over horizontal and vertical gradients.
fn photograph(width: u32, height: u32) -> Vec<u8> {
    let mut state = 0x9E37_79B9_u32;
    let mut rgb = Vec::with_capacity(width as usize * height as usize * 3);
    for y in 0..height {
        for x in 0..width {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let noise = state % 40;
            rgb.push((x * 200 / width + noise) as u8);
            rgb.push((y * 200 / height + noise / 2) as u8);
            rgb.push(((x + y) * 100 / (width + height) + 60 + (state >> 8) % 40) as u8);
        }
    }
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode(&rgb, width, height, image::ExtendedColorType::Rgb8)
        .expect("encoding the photograph");
    out
}
