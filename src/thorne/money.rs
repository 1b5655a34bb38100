//! Exact money: parsing what staff type or import into `BigDecimal` (two decimals at most, never a
//! float on the path) and formatting prices with the customer's currency symbol, or as plain
//! decimals for machines.

use std::str::FromStr;

use bigdecimal::{BigDecimal, RoundingMode};

/// Why a price was refused; the text is shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("a price is required")]
    Empty,
    #[error("use digits with an optional dot and at most two decimals, e.g. 12.50")]
    Malformed,
    #[error("at most two decimals (cents)")]
    TooPrecise,
    #[error("a price cannot be negative")]
    Negative,
    #[error("at most 99999999.99")]
    TooLarge,
}

/// Parses a price: `12`, `12.5`, `12.50`, ` 12.50 `. Refuses `12,50`, `-1`, `1e3`, `NaN`,
/// `12.345`, an empty value and anything above `99999999.99` (what `NUMERIC(10,2)` holds).
pub fn parse_price(text: &str) -> Result<BigDecimal, MoneyError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(MoneyError::Empty);
    }
    if text.starts_with('-') {
        return Err(MoneyError::Negative);
    }
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
        return Err(MoneyError::Malformed);
    }
    if fraction.is_some_and(|f| f.len() > 2) {
        return Err(MoneyError::TooPrecise);
    }
    if whole.trim_start_matches('0').len() > 8 {
        return Err(MoneyError::TooLarge);
    }
    let value = BigDecimal::from_str(text).map_err(|_| MoneyError::Malformed)?;
    Ok(value.with_scale(2))
}

/// The symbol shown before an amount in this currency.
pub fn currency_symbol(code: &str) -> &str {
    match code {
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" => "¥",
        "CAD" => "CA$",
        "AUD" => "A$",
        "NZD" => "NZ$",
        "CHF" => "CHF\u{a0}",
        "SEK" | "NOK" | "DKK" => "kr\u{a0}",
        other => other,
    }
}

/// `1234.50`: the amount at two decimals (half-up), digits and a dot only, as machines read it
/// (structured data for search engines).
pub fn decimal_string(amount: &BigDecimal) -> String {
    amount
        .with_scale_round(2, RoundingMode::HalfUp)
        .to_plain_string()
}

/// `$1,234.50`: the amount at two decimals (half-up), thousands grouped, with the symbol.
pub fn format_price(amount: &BigDecimal, currency: &str) -> String {
    let rounded = amount.with_scale_round(2, RoundingMode::HalfUp).to_string();
    let (sign, digits) = match rounded.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", rounded.as_str()),
    };
    let (whole, cents) = digits.split_once('.').unwrap_or((digits, "00"));
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}{}{grouped}.{cents}", currency_symbol(currency))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_strings_are_exact_with_two_decimals() {
        for (value, expected) in [
            ("12.5", "12.50"),
            ("0", "0.00"),
            ("99999999.99", "99999999.99"),
            ("1234.5", "1234.50"),
            ("1E+3", "1000.00"),
        ] {
            let amount = BigDecimal::from_str(value).unwrap();
            assert_eq!(decimal_string(&amount), expected, "{value}");
        }
    }

    #[test]
    fn accepts_plain_decimals() {
        let cases = [
            ("12", "12.00"),
            ("12.5", "12.50"),
            ("12.50", "12.50"),
            (" 12.50 ", "12.50"),
            ("0", "0.00"),
            ("0.01", "0.01"),
            ("99999999.99", "99999999.99"),
            ("00012.30", "12.30"),
        ];
        for (text, expected) in cases {
            let value = parse_price(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(value, BigDecimal::from_str(expected).unwrap(), "{text:?}");
            assert_eq!(
                value.as_bigint_and_exponent().1,
                2,
                "{text:?} keeps two decimals"
            );
        }
    }

    #[test]
    fn refuses_everything_else() {
        let cases = [
            ("", MoneyError::Empty),
            ("   ", MoneyError::Empty),
            ("12,50", MoneyError::Malformed),
            ("-1", MoneyError::Negative),
            ("1e3", MoneyError::Malformed),
            ("NaN", MoneyError::Malformed),
            ("inf", MoneyError::Malformed),
            ("12.345", MoneyError::TooPrecise),
            ("100000000", MoneyError::TooLarge),
            ("100000000.00", MoneyError::TooLarge),
            ("12.", MoneyError::Malformed),
            (".5", MoneyError::Malformed),
            ("+5", MoneyError::Malformed),
            ("$5", MoneyError::Malformed),
            ("1 000", MoneyError::Malformed),
            ("１２", MoneyError::Malformed),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_price(text), Err(expected), "{text:?}");
        }
    }

    #[test]
    fn formats_with_symbol_and_grouping() {
        let price = |s: &str| BigDecimal::from_str(s).unwrap();
        assert_eq!(format_price(&price("40"), "USD"), "$40.00");
        assert_eq!(format_price(&price("1234.5"), "USD"), "$1,234.50");
        assert_eq!(format_price(&price("99999999.99"), "EUR"), "€99,999,999.99");
        assert_eq!(format_price(&price("0.005"), "GBP"), "£0.01");
        assert_eq!(format_price(&price("12"), "XYZ"), "XYZ12.00");
    }
}
