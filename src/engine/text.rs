//! Numbers, days and sentences as a person reads and types them, for the command line, the
//! window and the report alike: sizes (`20GB`), days (`2024-03-01`) and messages that start a
//! sentence.

use chrono::NaiveDate;

use super::error::Error;

pub(super) const KIB: u64 = 1024;
pub(super) const MIB: u64 = 1024 * KIB;
pub(super) const GIB: u64 = 1024 * MIB;

/// Parses a size such as `20GB`, `512 MB`, `1.5G` or `2000000` (bytes). Units count in
/// powers of 1024, as Outlook counts its size limits: `GB` = `GiB` = 1024³ bytes.
pub fn parse_size(text: &str) -> Result<u64, Error> {
    let invalid = || {
        Error::InvalidOption(format!(
            "{text:?} is not a size: write a number and a unit, e.g. 20GB or 500MB"
        ))
    };
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let unit = unit.trim().to_ascii_lowercase();
    let multiplier = match unit.trim_end_matches('b').trim_end_matches('i') {
        "" => 1,
        "k" => KIB,
        "m" => MIB,
        "g" => GIB,
        "t" => 1024 * GIB,
        _ => return Err(invalid()),
    };
    if number.is_empty() {
        return Err(invalid());
    }
    if let Ok(whole) = number.parse::<u64>() {
        return whole.checked_mul(multiplier).ok_or_else(invalid);
    }
    let value: f64 = number.parse().map_err(|_| invalid())?;
    let bytes = (value * multiplier as f64).round();
    if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
        return Err(invalid());
    }
    Ok(bytes as u64)
}

/// A byte count for people: `1.5 GB`, `320 MB`, `12 KB`, `900 bytes` (powers of 1024).
pub fn format_size(bytes: u64) -> String {
    let units = [(GIB, "GB"), (MIB, "MB"), (KIB, "KB")];
    for (size, unit) in units {
        if bytes >= size {
            let value = bytes as f64 / size as f64;
            return if bytes.is_multiple_of(size) {
                format!("{} {unit}", bytes / size)
            } else if value >= 100.0 {
                format!("{value:.0} {unit}")
            } else {
                format!("{value:.1} {unit}")
            };
        }
    }
    format!("{bytes} bytes")
}

/// A day typed as `YYYY-MM-DD` (spaces around it are ignored).
pub fn parse_day(text: &str) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        Error::InvalidOption(format!(
            "{text:?} is not a date: write it as YYYY-MM-DD, e.g. 2024-03-01"
        ))
    })
}

/// The text with its first letter in upper case, for messages that start a sentence.
pub fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_powers_of_1024() {
        assert_eq!(parse_size("20GB").unwrap(), 20 * GIB);
        assert_eq!(parse_size("20 gb").unwrap(), 20 * GIB);
        assert_eq!(parse_size("50GiB").unwrap(), 50 * GIB);
        assert_eq!(parse_size("512M").unwrap(), 512 * MIB);
        assert_eq!(parse_size("1.5G").unwrap(), 3 * GIB / 2);
        assert_eq!(parse_size("3kb").unwrap(), 3 * KIB);
        assert_eq!(parse_size("2000000").unwrap(), 2_000_000);
        assert_eq!(parse_size("7 B").unwrap(), 7);
    }

    #[test]
    fn sizes_that_are_not_sizes_are_refused_with_the_text() {
        for text in ["", "GB", "20XB", "-5GB", "1.2.3G", "99999999999999999999T"] {
            let error = parse_size(text).unwrap_err().to_string();
            assert!(error.contains(&format!("{text:?}")), "{error}");
        }
    }

    #[test]
    fn sizes_print_for_people() {
        assert_eq!(format_size(20 * GIB), "20 GB");
        assert_eq!(format_size(3 * GIB / 2), "1.5 GB");
        assert_eq!(format_size(320 * MIB + 1), "320 MB");
        assert_eq!(format_size(1536), "1.5 KB");
        assert_eq!(format_size(900), "900 bytes");
    }

    #[test]
    fn days_parse_as_year_month_day() {
        assert_eq!(
            parse_day(" 2024-03-01 ").unwrap(),
            NaiveDate::from_ymd_opt(2024, 3, 1).unwrap()
        );
        let error = parse_day("1.3.2024").unwrap_err().to_string();
        assert!(
            error.contains("\"1.3.2024\" is not a date: write it as YYYY-MM-DD"),
            "{error}"
        );
        assert!(parse_day("2024-02-30").is_err());
    }

    #[test]
    fn sentences_start_with_a_capital() {
        assert_eq!(capitalized("élan, then more"), "Élan, then more");
        assert_eq!(capitalized(""), "");
    }
}
