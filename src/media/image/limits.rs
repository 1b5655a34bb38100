//! How large an upload may be, in bytes and in pixels, and how many are processed at once: the
//! defaults and the environment variables that change them.

/// How large an upload may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest file accepted, in bytes (`AGOAT_MAX_MEDIA_BYTES`, default 20 MiB).
    pub max_bytes: u64,
    /// The most pixels (width × height) accepted (`AGOAT_MAX_MEDIA_PIXELS`, default 50 million):
    /// what bounds the memory a decoded image takes, 4 bytes a pixel.
    pub max_pixels: u64,
}

impl Limits {
    /// 20 MiB and 50 megapixels.
    pub const DEFAULT: Limits = Limits {
        max_bytes: 20 * 1024 * 1024,
        max_pixels: 50_000_000,
    };

    /// The limits from `AGOAT_MAX_MEDIA_BYTES` and `AGOAT_MAX_MEDIA_PIXELS` (positive whole
    /// numbers), each defaulting to [`Limits::DEFAULT`]'s with a warning when it is set to
    /// something else.
    pub fn from_env() -> Limits {
        Limits::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Limits {
        Limits {
            max_bytes: positive(&lookup, "AGOAT_MAX_MEDIA_BYTES", Self::DEFAULT.max_bytes),
            max_pixels: positive(&lookup, "AGOAT_MAX_MEDIA_PIXELS", Self::DEFAULT.max_pixels),
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::DEFAULT
    }
}

/// How many uploads are decoded and encoded at once (`AGOAT_MEDIA_WORKERS`, default 2).
pub(super) fn workers_from_env() -> usize {
    let workers = positive(
        &|name: &str| std::env::var(name).ok(),
        "AGOAT_MEDIA_WORKERS",
        2,
    );
    usize::try_from(workers).unwrap_or(2)
}

fn positive(lookup: &impl Fn(&str) -> Option<String>, name: &str, default: u64) -> u64 {
    let Some(text) = lookup(name) else {
        return default;
    };
    match text.trim().parse::<u64>() {
        Ok(number) if number > 0 => number,
        _ => {
            tracing::warn!(value = %text, "{name} is not a positive number: using the default");
            default
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_changes_the_limits_and_nonsense_keeps_the_defaults() {
        let set = Limits::from_lookup(|name| match name {
            "AGOAT_MAX_MEDIA_BYTES" => Some(" 1048576 ".to_owned()),
            "AGOAT_MAX_MEDIA_PIXELS" => Some("1000".to_owned()),
            _ => None,
        });
        assert_eq!(
            set,
            Limits {
                max_bytes: 1_048_576,
                max_pixels: 1000
            }
        );
        assert_eq!(Limits::from_lookup(|_| None), Limits::DEFAULT);
        for nonsense in ["0", "-1", "20MiB", ""] {
            let limits = Limits::from_lookup(|_| Some(nonsense.to_owned()));
            assert_eq!(limits, Limits::DEFAULT, "{nonsense:?}");
        }
        assert_eq!(Limits::DEFAULT.max_bytes, 20 * 1024 * 1024);
        assert_eq!(Limits::DEFAULT.max_pixels, 50_000_000);
    }
}
