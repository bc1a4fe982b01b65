//! The date on an mbox `From ` separator line. Writers disagree on its form, so the parser reads
//! tokens rather than one fixed layout:
//!
//! * asctime, as RFC 4155 and qmail's mbox(5) describe: `From joe Tue Oct  2 00:26:47 2007`
//! * Thunderbird: `From - Tue Oct 02 00:26:47 2007`
//! * Gmail Takeout, with a zone between time and year: `From 157…@xxx Mon Jul 10 14:06:16 +0000 2017`
//! * no seconds and a zone name: `From joe Wed Jun 14 18:05 MET 2000`
//! * a zone after the year, or an RFC 5322 date: `… Tue, 2 Oct 2007 00:26:47 -0700`
//!
//! A time without a zone is taken as UTC (qmail writes UTC; others write local time and do not
//! say which). A zone name we do not know is taken as UTC too: a date a few hours off is more
//! use to the user than none, and the message's own `Date:` header usually wins anyway.

use chrono::NaiveDate;

/// The date of an mbox `From ` line (with or without its line ending) as Unix seconds, or
/// `None` when the line carries no date we can read (a bare `From `, a sender only, garbage).
pub fn parse_from_line_date(line: &[u8]) -> Option<i64> {
    let rest = line.strip_prefix(b"From ")?;
    let tokens: Vec<&[u8]> = rest
        .split(|b| b.is_ascii_whitespace())
        .filter(|t| !t.is_empty())
        .collect();
    // The first token is the envelope sender; the date starts at the first weekday or month
    // name after it. Trying every start also covers a line with no sender at all.
    (0..tokens.len()).find_map(|start| parse_date_tokens(tokens.get(start..)?))
}

/// A date whose first token is a weekday or a month name (asctime order) or, after a weekday,
/// a day of the month (RFC 5322 order).
fn parse_date_tokens(tokens: &[&[u8]]) -> Option<i64> {
    let mut at = 0;
    let first = *tokens.first()?;
    if weekday(first) {
        at += 1;
    } else if month(first).is_none() {
        return None;
    }
    let (month_number, day, mut year) = match (tokens.get(at), tokens.get(at + 1)) {
        (Some(m), Some(d)) if month(m).is_some() => {
            at += 2;
            (month(m)?, number(d)?, None)
        }
        (Some(d), Some(m)) if month(m).is_some() => {
            let year = year_number(tokens.get(at + 2)?)?;
            at += 3;
            (month(m)?, number(d)?, Some(year))
        }
        _ => return None,
    };
    let (hour, minute, second) = time(tokens.get(at)?)?;
    at += 1;
    // What follows the time: the year and an optional zone, in either order.
    let mut offset_seconds = 0;
    for token in tokens
        .iter()
        .skip(at)
        .take(if year.is_some() { 1 } else { 2 })
    {
        if year.is_none()
            && let Some(y) = year_number(token)
        {
            year = Some(y);
        } else if let Some(offset) = zone(token) {
            offset_seconds = offset;
        } else {
            break;
        }
    }
    let date = NaiveDate::from_ymd_opt(year?, month_number, day)?;
    let utc = date
        .and_hms_opt(hour, minute, second)?
        .and_utc()
        .timestamp();
    Some(utc - i64::from(offset_seconds))
}

fn weekday(token: &[u8]) -> bool {
    let token = token.strip_suffix(b",").unwrap_or(token);
    const DAYS: [&[u8]; 7] = [b"mon", b"tue", b"wed", b"thu", b"fri", b"sat", b"sun"];
    token.len() >= 3
        && DAYS.iter().any(|d| token[..3].eq_ignore_ascii_case(d))
        && token.iter().all(u8::is_ascii_alphabetic)
}

/// The month number (1–12) of an English month name or its three-letter abbreviation.
fn month(token: &[u8]) -> Option<u32> {
    const MONTHS: [&[u8]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    if token.len() < 3 || !token.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let index = MONTHS
        .iter()
        .position(|m| token[..3].eq_ignore_ascii_case(m))?;
    u32::try_from(index + 1).ok()
}

fn number(token: &[u8]) -> Option<u32> {
    if token.is_empty() || token.len() > 9 || !token.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(token).ok()?.parse().ok()
}

/// A four-digit year, or a two-digit one read as RFC 5322's obsolete syntax says.
fn year_number(token: &[u8]) -> Option<i32> {
    let value = i32::try_from(number(token)?).ok()?;
    match token.len() {
        4 => Some(value),
        2 if value < 50 => Some(2000 + value),
        2 => Some(1900 + value),
        _ => None,
    }
}

/// `HH:MM` or `HH:MM:SS`; a leap second is read as the second before it.
fn time(token: &[u8]) -> Option<(u32, u32, u32)> {
    let mut parts = token.split(|&b| b == b':');
    let hour = number(parts.next()?)?;
    let minute = number(parts.next()?)?;
    let second = match parts.next() {
        Some(s) => number(s)?.min(59),
        None => 0,
    };
    if parts.next().is_some() || hour > 23 || minute > 59 {
        return None;
    }
    Some((hour, minute, second))
}

/// A zone as seconds east of UTC: `+0100`, `-07:00`, or a name. Unknown names count as UTC.
fn zone(token: &[u8]) -> Option<i32> {
    if let (Some(&sign @ (b'+' | b'-')), Some(digits)) = (token.first(), token.get(1..)) {
        let digits: Vec<u8> = digits.iter().copied().filter(|&b| b != b':').collect();
        if digits.len() != 4 {
            return None;
        }
        let value = i32::try_from(number(&digits)?).ok()?;
        let seconds = (value / 100) * 3600 + (value % 100) * 60;
        return Some(if sign == b'-' { -seconds } else { seconds });
    }
    if token.is_empty() || token.len() > 5 || !token.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let hours = match token.to_ascii_uppercase().as_slice() {
        b"EDT" => -4,
        b"EST" | b"CDT" => -5,
        b"CST" | b"MDT" => -6,
        b"MST" | b"PDT" => -7,
        b"PST" => -8,
        b"MET" | b"CET" | b"BST" | b"WEST" => 1,
        b"MEST" | b"CEST" | b"MESZ" | b"EET" => 2,
        b"EEST" => 3,
        b"JST" => 9,
        _ => 0,
    };
    Some(hours * 3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2007-10-02T00:26:47Z, checked with `date -u -d '2007-10-02 00:26:47' +%s`.
    const OCT_2_2007: i64 = 1_191_284_807;

    #[test]
    fn thunderbird_separator_with_a_dash_sender() {
        assert_eq!(
            parse_from_line_date(b"From - Tue Oct 02 00:26:47 2007"),
            Some(OCT_2_2007)
        );
        assert_eq!(
            parse_from_line_date(b"From - Tue Oct 02 00:26:47 2007\r\n"),
            Some(OCT_2_2007)
        );
    }

    #[test]
    fn asctime_with_a_space_padded_day() {
        assert_eq!(
            parse_from_line_date(b"From foobar@nonexistent.net  Tue Oct  2 00:26:47 2007"),
            Some(OCT_2_2007)
        );
    }

    #[test]
    fn takeout_zone_between_time_and_year() {
        // 2017-07-10T14:06:16Z
        assert_eq!(
            parse_from_line_date(b"From 1572544789079124110@xxx Mon Jul 10 14:06:16 +0000 2017"),
            Some(1_499_695_576)
        );
        assert_eq!(
            parse_from_line_date(b"From 1572544789079124110@xxx Mon Jul 10 16:06:16 +0200 2017"),
            Some(1_499_695_576)
        );
    }

    #[test]
    fn zone_name_without_seconds() {
        // 2000-06-14T18:05:00+01:00 = 17:05Z
        assert_eq!(
            parse_from_line_date(b"From magick-owner@wizards.dupont.com Wed Jun 14 18:05 MET 2000"),
            Some(961_002_300)
        );
    }

    #[test]
    fn zone_after_the_year_and_rfc5322_order() {
        let expected = OCT_2_2007 + 7 * 3600;
        assert_eq!(
            parse_from_line_date(b"From joe@example.com Tue Oct  2 00:26:47 2007 -0700"),
            Some(expected)
        );
        assert_eq!(
            parse_from_line_date(b"From joe@example.com Tue, 2 Oct 2007 00:26:47 -0700"),
            Some(expected)
        );
        assert_eq!(
            parse_from_line_date(b"From joe@example.com Tue Oct 2 00:26:47 PDT 2007"),
            Some(expected)
        );
    }

    #[test]
    fn no_sender_before_the_date() {
        assert_eq!(
            parse_from_line_date(b"From Tue Oct 02 00:26:47 2007"),
            Some(OCT_2_2007)
        );
    }

    #[test]
    fn lines_without_a_readable_date() {
        assert_eq!(parse_from_line_date(b"From "), None);
        assert_eq!(parse_from_line_date(b"From \r\n"), None);
        assert_eq!(parse_from_line_date(b"From MAILER-DAEMON"), None);
        assert_eq!(
            parse_from_line_date(b"From x Tue Oct 32 00:26:47 2007"),
            None
        );
        assert_eq!(
            parse_from_line_date(b"From x Tue Oct 02 25:26:47 2007"),
            None
        );
        assert_eq!(parse_from_line_date(b"From x Tue Oct 02 00:26:47"), None);
        assert_eq!(
            parse_from_line_date(b"Subject: Tue Oct 02 00:26:47 2007"),
            None
        );
        assert_eq!(
            parse_from_line_date(b"From \xff\xfe Tue Oct 02 00:26:47 2007"),
            Some(OCT_2_2007)
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(line in proptest::collection::vec(proptest::num::u8::ANY, 0..80)) {
            let mut with_prefix = b"From ".to_vec();
            with_prefix.extend_from_slice(&line);
            let _ = parse_from_line_date(&with_prefix);
        }
    }
}
