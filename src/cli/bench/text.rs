//! Deterministic text for the benchmark data set: Markdown articles with headings, emphasis,
//! links, lists, code, quotes and tables, titles and the word lists products are named from. The
//! same seed always gives the same text.

/// A deterministic article of about `words` words: an intro, then sections with headings,
/// paragraphs with emphasis, inline code and links, lists, code blocks, quotes and tables.
pub fn markdown_body(seed: u64, words: usize) -> String {
    let mut rng = Rng::new(mix(seed, 0x5eed));
    let mut out = String::with_capacity(words * 7);
    let mut written = 0;
    written += paragraph(&mut rng, &mut out);
    let mut section = 0;
    while written < words {
        section += 1;
        out.push_str(&format!("## {}\n\n", heading(&mut rng)));
        written += paragraph(&mut rng, &mut out);
        written += match rng.below(6) {
            0 => bullet_list(&mut rng, &mut out),
            1 => numbered_list(&mut rng, &mut out),
            2 => code_block(&mut rng, &mut out),
            3 => quote(&mut rng, &mut out),
            4 => table(&mut rng, &mut out),
            _ => paragraph(&mut rng, &mut out),
        };
        if section % 2 == 0 {
            out.push_str(&format!("### {}\n\n", heading(&mut rng)));
            written += paragraph(&mut rng, &mut out);
            written += bullet_list(&mut rng, &mut out);
        }
        written += paragraph(&mut rng, &mut out);
    }
    out
}

fn paragraph(rng: &mut Rng, out: &mut String) -> usize {
    let sentences = 3 + rng.below(4);
    let mut words = 0;
    for n in 0..sentences {
        let length = 8 + rng.below(14);
        let mut text = sentence(rng, length);
        match rng.below(8) {
            0 => text = emphasize_word(&text, rng.below(length), "**"),
            1 => text.push_str(&format!(" See [{}]({}).", rng.pick(NOUNS), link(rng))),
            2 => text.push_str(&format!(" Check `{}`.", rng.pick(CODE_WORDS))),
            3 => text = emphasize_word(&text, rng.below(length), "*"),
            _ => {}
        }
        if n > 0 {
            out.push(' ');
        }
        out.push_str(&text);
        words += length;
    }
    out.push_str("\n\n");
    words
}

/// `text` with its word number `index` wrapped in `marker` (bold or italic).
fn emphasize_word(text: &str, index: usize, marker: &str) -> String {
    text.split(' ')
        .enumerate()
        .map(|(i, word)| match word.strip_suffix('.') {
            _ if i != index => word.to_owned(),
            Some(bare) => format!("{marker}{bare}{marker}."),
            None => format!("{marker}{word}{marker}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn sentence(rng: &mut Rng, length: usize) -> String {
    let words: Vec<&str> = (0..length)
        .map(|i| match i % 3 {
            0 => rng.pick(WORDS),
            1 => rng.pick(NOUNS),
            _ => rng.pick(LINKING),
        })
        .collect();
    let mut text = capitalize(&words.join(" "));
    text.push('.');
    text
}

fn bullet_list(rng: &mut Rng, out: &mut String) -> usize {
    let items = 3 + rng.below(4);
    let mut words = 0;
    for _ in 0..items {
        let length = 4 + rng.below(8);
        out.push_str(&format!("- {}\n", sentence(rng, length)));
        words += length;
    }
    out.push('\n');
    words
}

fn numbered_list(rng: &mut Rng, out: &mut String) -> usize {
    let items = 3 + rng.below(4);
    let mut words = 0;
    for n in 1..=items {
        let length = 5 + rng.below(8);
        out.push_str(&format!("{n}. {}\n", sentence(rng, length)));
        words += length;
    }
    out.push('\n');
    words
}

fn code_block(rng: &mut Rng, out: &mut String) -> usize {
    let lines = 3 + rng.below(5);
    out.push_str("```sh\n");
    for _ in 0..lines {
        out.push_str(&format!(
            "{} --{} {} # {}\n",
            rng.pick(CODE_WORDS),
            rng.pick(CODE_WORDS),
            rng.below(1_000),
            rng.pick(NOUNS)
        ));
    }
    out.push_str("```\n\n");
    lines * 4
}

fn quote(rng: &mut Rng, out: &mut String) -> usize {
    let length = 12 + rng.below(12);
    out.push_str(&format!("> {}\n\n", sentence(rng, length)));
    length
}

fn table(rng: &mut Rng, out: &mut String) -> usize {
    let rows = 3 + rng.below(3);
    out.push_str("| Nutrient | Amount | Note |\n|---|---:|---|\n");
    for _ in 0..rows {
        out.push_str(&format!(
            "| {} | {} mg | {} |\n",
            capitalize(rng.pick(NOUNS)),
            5 + rng.below(500),
            sentence(rng, 4).trim_end_matches('.')
        ));
    }
    out.push('\n');
    rows * 6
}

fn link(rng: &mut Rng) -> String {
    format!(
        "https://example.org/{}/{}",
        rng.pick(NOUNS),
        rng.below(10_000)
    )
}

pub(super) fn title(rng: &mut Rng) -> String {
    format!(
        "{} {} {} {}",
        capitalize(rng.pick(TITLE_OPENERS)),
        rng.pick(WORDS),
        rng.pick(NOUNS),
        rng.pick(TITLE_ENDINGS)
    )
}

fn heading(rng: &mut Rng) -> String {
    format!(
        "{} {} {}",
        capitalize(rng.pick(WORDS)),
        rng.pick(NOUNS),
        rng.pick(TITLE_ENDINGS)
    )
}

pub(super) fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// SplitMix64: small, fast and the same on every platform.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub(super) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

pub(super) fn mix(a: u64, b: u64) -> u64 {
    Rng::new(a.rotate_left(17) ^ b.wrapping_mul(0x2545_f491_4f6c_dd1d)).next()
}

const TITLE_OPENERS: &[&str] = &[
    "why",
    "how",
    "what",
    "rethinking",
    "a guide to",
    "notes on",
    "the case for",
    "ten facts on",
    "getting started with",
    "beyond",
];
const TITLE_ENDINGS: &[&str] = &[
    "explained",
    "for busy people",
    "in practice",
    "after forty",
    "for athletes",
    "at home",
    "this season",
    "made simple",
    "myths and facts",
    "by the numbers",
    "for beginners",
];
pub(super) const WORDS: &[&str] = &[
    "daily",
    "balanced",
    "active",
    "steady",
    "gentle",
    "seasonal",
    "plant-based",
    "restful",
    "practical",
    "careful",
    "slow",
    "regular",
    "hydrating",
    "simple",
    "measured",
    "morning",
    "evening",
    "weekly",
    "mindful",
    "strong",
    "light",
    "whole",
    "fresh",
    "lasting",
    "clear",
];
pub(super) const NOUNS: &[&str] = &[
    "magnesium",
    "sleep",
    "protein",
    "fiber",
    "hydration",
    "recovery",
    "omega-3",
    "vitamin D",
    "electrolytes",
    "creatine",
    "training",
    "breakfast",
    "digestion",
    "zinc",
    "iron",
    "stress",
    "routine",
    "label",
    "dose",
    "nutrient",
    "meal",
    "habit",
    "muscle",
    "energy",
    "focus",
    "immunity",
    "collagen",
    "probiotics",
    "calcium",
    "walking",
];
const LINKING: &[&str] = &[
    "supports", "helps", "with", "and", "for", "during", "after", "before", "without", "improves",
    "matches", "follows", "changes", "affects", "balances", "of", "in", "to",
];
const CODE_WORDS: &[&str] = &[
    "track", "log", "dose", "remind", "export", "plan", "measure", "sync", "report", "check",
];
pub(super) const TAGS: &[&str] = &[
    "nutrition",
    "sleep",
    "training",
    "supplements",
    "recovery",
    "wellness",
    "research",
    "guides",
    "recipes",
    "longevity",
];
pub(super) const CATEGORIES: &[&str] = &[
    "Vitamins",
    "Minerals",
    "Protein",
    "Sleep",
    "Digestive Health",
    "Heart Health",
    "Sports Performance",
    "Immune Support",
    "Omega-3s",
    "Multivitamins",
    "Stress",
    "Bone Health",
];
pub(super) const FORMS: &[&str] = &[
    "Capsules",
    "Powder",
    "Tablets",
    "Softgels",
    "Drink Mix",
    "Gummies",
    "Liquid",
];
