//! The languages a site's texts can be searched in: the text search configurations that both
//! PostgreSQL and CockroachDB provide. A configuration decides how words are split, which are too
//! common to count (stop words) and how each is reduced to its stem ("running" → "run"). The
//! names are the values `tenancy.sites.search_language` may hold (its CHECK constraint lists the
//! same ones); only these names are ever written into SQL.

use std::fmt;
use std::str::FromStr;

/// A text search configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Language {
    Danish,
    Dutch,
    #[default]
    English,
    Finnish,
    French,
    German,
    Hungarian,
    Italian,
    Norwegian,
    Portuguese,
    Russian,
    /// Words as they are, lower-cased: no stems and no stop words.
    Simple,
    Spanish,
    Swedish,
    Turkish,
}

impl Language {
    /// Every language, in the order a settings form lists them.
    pub const ALL: [Language; 15] = [
        Language::Danish,
        Language::Dutch,
        Language::English,
        Language::Finnish,
        Language::French,
        Language::German,
        Language::Hungarian,
        Language::Italian,
        Language::Norwegian,
        Language::Portuguese,
        Language::Russian,
        Language::Simple,
        Language::Spanish,
        Language::Swedish,
        Language::Turkish,
    ];

    /// The name of the text search configuration, as stored and as written into SQL.
    pub fn config(self) -> &'static str {
        match self {
            Language::Danish => "danish",
            Language::Dutch => "dutch",
            Language::English => "english",
            Language::Finnish => "finnish",
            Language::French => "french",
            Language::German => "german",
            Language::Hungarian => "hungarian",
            Language::Italian => "italian",
            Language::Norwegian => "norwegian",
            Language::Portuguese => "portuguese",
            Language::Russian => "russian",
            Language::Simple => "simple",
            Language::Spanish => "spanish",
            Language::Swedish => "swedish",
            Language::Turkish => "turkish",
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.config())
    }
}

/// A name that is not one of [`Language::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLanguage(pub String);

impl fmt::Display for UnknownLanguage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not a search language", self.0)
    }
}

impl std::error::Error for UnknownLanguage {}

impl FromStr for Language {
    type Err = UnknownLanguage;

    fn from_str(name: &str) -> Result<Language, UnknownLanguage> {
        Language::ALL
            .into_iter()
            .find(|language| language.config() == name)
            .ok_or_else(|| UnknownLanguage(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_as_its_language() {
        for language in Language::ALL {
            assert_eq!(language.config().parse::<Language>(), Ok(language));
        }
        assert_eq!(Language::default(), Language::English);
    }

    #[test]
    fn names_outside_the_list_are_refused() {
        for name in ["", "English", "pg_catalog.english", "english'", "klingon"] {
            assert!(name.parse::<Language>().is_err(), "{name}");
        }
    }

    #[test]
    fn the_migration_allows_the_same_names() {
        let sql = include_str!("../../migrations/2026-12-10-000001_search/up.sql");
        for language in Language::ALL {
            assert!(
                sql.contains(&format!("'{}'", language.config())),
                "{language} missing from the CHECK constraint"
            );
        }
    }
}
