//! Unpacking the zip archive of a site's images (WordPress' `wp-content/uploads`, Ghost's
//! `content/images`) that an owner uploads with an export. Only image files come out, only
//! inside the folder given: an entry whose name climbs out of it (`../`, an absolute path), a
//! link, or an encrypted entry is refused, and so is an archive that unpacks to more than its
//! limit (counted as written, not as the archive claims) or holds too many entries.

use std::io::{Read, Seek};
use std::path::Path;

/// Most entries an archive may hold.
pub const MAX_ENTRIES: usize = 100_000;

/// The file types unpacked; every other entry is left out.
const IMAGE_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "png", "gif", "webp", "avif", "bmp", "tif", "tiff", "svg",
];

/// What unpacking did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Unpacked {
    pub images: usize,
    /// Entries that are not images, left out.
    pub others: usize,
    pub bytes: u64,
}

/// Unpacks the images of the zip archive at `archive` into `into`, at most `max_bytes` in all.
/// Refusals say why for a person.
pub async fn unpack(archive: &Path, into: &Path, max_bytes: u64) -> Result<Unpacked, String> {
    let (archive, into) = (archive.to_owned(), into.to_owned());
    tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(&archive)
            .map_err(|e| format!("The archive could not be read: {e}."))?;
        unpack_from(std::io::BufReader::new(file), &into, max_bytes)
    })
    .await
    .map_err(|e| format!("The archive could not be unpacked: {e}."))?
}

/// [`unpack`] from any reader.
pub fn unpack_from<R: Read + Seek>(
    reader: R,
    into: &Path,
    max_bytes: u64,
) -> Result<Unpacked, String> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| {
        format!("The images archive is not a zip file ({e}). Make a .zip of the images folder.")
    })?;
    if zip.len() > MAX_ENTRIES {
        return Err(format!(
            "The images archive holds {} entries: at most {MAX_ENTRIES} can be imported.",
            zip.len()
        ));
    }
    let mut unpacked = Unpacked::default();
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| format!("The images archive is damaged: {e}."))?;
        let name = entry
            .name()
            .map(|n| n.into_owned())
            .unwrap_or_else(|_| format!("entry {}", i + 1));
        if entry.is_dir() {
            continue;
        }
        let Some(relative) = entry.enclosed_name().filter(|_| stays_inside(&name)) else {
            return Err(format!(
                "The images archive names a file outside its folder (“{name}”): it cannot be \
                 unpacked."
            ));
        };
        if entry.is_symlink() {
            return Err(format!(
                "The images archive holds a link (“{name}”): only files can be imported."
            ));
        }
        if entry.encrypted() {
            return Err(format!(
                "The images archive holds an encrypted file (“{name}”): make it without a password."
            ));
        }
        if !is_image(&relative) || is_hidden(&relative) {
            unpacked.others += 1;
            continue;
        }
        let left = max_bytes - unpacked.bytes;
        let path = into.join(&relative);
        let written = write_entry(&mut entry, &path, left)?;
        if written > left {
            return Err(too_large(max_bytes));
        }
        unpacked.bytes += written;
        unpacked.images += 1;
    }
    Ok(unpacked)
}

/// Whether an entry's name, as written, stays inside the folder it is unpacked into: not
/// absolute, no drive, no `..` (checked before the zip crate's own [`zip::read::ZipFile::enclosed_name`],
/// which quietly makes `/etc/x` relative).
fn stays_inside(name: &str) -> bool {
    let name = name.replace('\\', "/");
    !name.starts_with('/') && !name.contains(':') && !name.split('/').any(|part| part == "..")
}

fn too_large(max_bytes: u64) -> String {
    format!(
        "The images archive unpacks to more than {} MiB: import the images in a smaller archive.",
        max_bytes / (1024 * 1024)
    )
}

/// Writes one entry, stopping one byte past `left`; the bytes written.
fn write_entry(entry: &mut impl Read, path: &Path, left: u64) -> Result<u64, String> {
    let cannot = |e: std::io::Error| format!("The images archive could not be unpacked: {e}.");
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).map_err(cannot)?;
    }
    let mut out = std::fs::File::create(path).map_err(cannot)?;
    let written = std::io::copy(&mut entry.take(left + 1), &mut out)
        .map_err(|e| format!("The images archive is damaged: {e}."))?;
    Ok(written)
}

fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Files a desktop adds to archives (`__MACOSX/…`, `._photo.jpg`, `.DS_Store`).
fn is_hidden(path: &Path) -> bool {
    path.components().any(|c| {
        let part = c.as_os_str().to_string_lossy();
        part.starts_with('.') || part == "__MACOSX"
    })
}

/// A folder that is removed when dropped, for the files of one import.
pub fn work_folder() -> Result<tempfile::TempDir, String> {
    tempfile::Builder::new()
        .prefix("agoat-import-")
        .tempdir()
        .map_err(|e| format!("no room for the import's files: {e}"))
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use zip::write::SimpleFileOptions;

    use super::*;

    fn archive(entries: &[(&str, &[u8])]) -> Cursor<Vec<u8>> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes) in entries {
            writer
                .start_file(*name, SimpleFileOptions::default())
                .unwrap();
            writer.write_all(bytes).unwrap();
        }
        let mut cursor = writer.finish().unwrap();
        cursor.set_position(0);
        cursor
    }

    #[test]
    fn images_come_out_in_their_folders_and_the_rest_stays_in() {
        let dir = tempfile::tempdir().unwrap();
        let zip = archive(&[
            ("uploads/2026/12/a.jpg", b"jpeg"),
            ("uploads/2026/12/b.PNG", b"png"),
            ("uploads/readme.txt", b"text"),
            ("__MACOSX/uploads/._a.jpg", b"fork"),
        ]);
        let unpacked = unpack_from(zip, dir.path(), 1000).unwrap();
        assert_eq!(unpacked.images, 2);
        assert_eq!(unpacked.others, 2);
        assert!(dir.path().join("uploads/2026/12/a.jpg").is_file());
        assert!(!dir.path().join("uploads/readme.txt").exists());
        assert!(!dir.path().join("__MACOSX").exists());
    }

    #[test]
    fn names_that_climb_out_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("inner");
        std::fs::create_dir(&inner).unwrap();
        for name in ["../evil.jpg", "/etc/evil.jpg", "a/../../evil.jpg"] {
            let error = unpack_from(archive(&[(name, b"x")]), &inner, 1000).unwrap_err();
            assert!(error.contains("outside its folder"), "{name}: {error}");
        }
        assert!(!dir.path().join("evil.jpg").exists());
    }

    #[test]
    fn an_archive_that_unpacks_too_large_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let big = vec![0u8; 600];
        let zip = archive(&[("a.jpg", &big), ("b.jpg", &big)]);
        let error = unpack_from(zip, dir.path(), 1000).unwrap_err();
        assert!(error.contains("unpacks to more than"), "{error}");
    }

    #[test]
    fn a_file_that_is_not_a_zip_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let error = unpack_from(Cursor::new(b"not a zip".to_vec()), dir.path(), 1000).unwrap_err();
        assert!(error.contains("not a zip file"), "{error}");
    }
}
