//! The binary properties of recurring series and time zones:
//! [AppointmentRecurrencePattern](https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxocal/c8e2d103-f4e7-4de2-9cc9-0d8f8d8ef201)
//! (MS-OXOCAL 2.2.1.44.1–3), PidLidTimeZoneStruct (2.2.1.39) and the TZDEFINITION of
//! PidLidAppointmentTimeZoneDefinition* (2.2.1.41), all little-endian.

use crate::pst::item::{
    LocalMinutes, Recurrence, RecurrenceEnd, RecurrenceException, RecurrencePattern, TimeZone,
    Transition,
};

/// ReaderVersion and WriterVersion of the RecurrencePattern.
const VERSION: u16 = 0x3004;
/// ReaderVersion2 and WriterVersion2 (0x3009: exceptions carry a ChangeHighlight).
const READER_VERSION2: u32 = 0x3006;
const WRITER_VERSION2: u32 = 0x3009;
/// EndDate of a series that never ends: 4500-08-31 23:59.
pub const NEVER_END_DATE: LocalMinutes = 0x5AE9_80DF;
/// Minutes in a day and a week.
const DAY: u32 = 1440;
const WEEK: u32 = 7 * DAY;

/// OverrideFlags of an ExceptionInfo (2.2.1.44.2).
const ARO_SUBJECT: u16 = 0x0001;
const ARO_REMINDERDELTA: u16 = 0x0004;
const ARO_REMINDER: u16 = 0x0008;
const ARO_LOCATION: u16 = 0x0010;
const ARO_BUSYSTATUS: u16 = 0x0020;
const ARO_SUBTYPE: u16 = 0x0080;
const ARO_EXCEPTIONAL_BODY: u16 = 0x0200;

/// PidLidRecurrenceType (2.2.1.45) of a pattern.
pub fn recurrence_type(pattern: RecurrencePattern) -> i32 {
    match pattern {
        RecurrencePattern::Daily => 1,
        RecurrencePattern::Weekly { .. } => 2,
        RecurrencePattern::Monthly { .. } => 3,
        RecurrencePattern::Yearly { .. } => 4,
        RecurrencePattern::MonthlyNth { .. } => 5,
        RecurrencePattern::YearlyNth { .. } => 6,
    }
}

/// The days (from 1601-01-01) and the months (from January 1601) of a local time.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Howard Hinnant's days-to-civil, shifted from 1970-01-01 to 1601-01-01 (134,774 days).
    let z = days - 134_774 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days from 1601-01-01 to the first of `month` (1–12) of `year`.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468 + 134_774
}

/// FirstDateTime (2.2.1.44.1.1) and Period of a series.
fn first_date_time_and_period(recurrence: &Recurrence) -> (u32, u32) {
    let interval = recurrence.interval.max(1);
    match recurrence.pattern {
        RecurrencePattern::Daily => {
            let period = interval * DAY;
            (recurrence.start_date % period, period)
        }
        RecurrencePattern::Weekly { .. } => {
            // Midnight of the first day of the week holding StartDate; 1601-01-01 was a Monday.
            let day = recurrence.start_date / DAY;
            let weekday = (day + 1) % 7;
            let back = (weekday + 7 - recurrence.first_day_of_week % 7) % 7;
            let week_start = (day - back.min(day)) * DAY;
            (week_start % (interval * WEEK), interval)
        }
        RecurrencePattern::Monthly { .. } | RecurrencePattern::MonthlyNth { .. } => (
            month_first_date_time(recurrence.start_date, interval),
            interval,
        ),
        RecurrencePattern::Yearly { .. } | RecurrencePattern::YearlyNth { .. } => {
            let period = 12 * interval;
            (month_first_date_time(recurrence.start_date, period), period)
        }
    }
}

/// For monthly and yearly series: the months from January 1601 to StartDate's month, modulo
/// the period, as the minutes from 1601-01-01 to the first of that month.
fn month_first_date_time(start_date: LocalMinutes, period_months: u32) -> u32 {
    let (year, month, _) = civil_from_days(i64::from(start_date / DAY));
    let months = (year - 1601) * 12 + i64::from(month) - 1;
    let offset = months.rem_euclid(i64::from(period_months.max(1)));
    let days = days_from_civil(1601 + offset / 12, (offset % 12) as u32 + 1, 1);
    (days as u32) * DAY
}

fn put_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// The RecurrencePattern structure (2.2.1.44.1).
pub fn recurrence_pattern(recurrence: &Recurrence) -> Vec<u8> {
    let mut out = Vec::with_capacity(80);
    put_u16(&mut out, VERSION);
    put_u16(&mut out, VERSION);
    let (frequency, pattern_type): (u16, u16) = match recurrence.pattern {
        RecurrencePattern::Daily => (0x200A, 0x0000),
        RecurrencePattern::Weekly { .. } => (0x200B, 0x0001),
        RecurrencePattern::Monthly { .. } => (0x200C, 0x0002),
        RecurrencePattern::MonthlyNth { .. } => (0x200C, 0x0003),
        RecurrencePattern::Yearly { .. } => (0x200D, 0x0002),
        RecurrencePattern::YearlyNth { .. } => (0x200D, 0x0003),
    };
    put_u16(&mut out, frequency);
    put_u16(&mut out, pattern_type);
    put_u16(&mut out, 0); // CalendarType: Gregorian
    let (first, period) = first_date_time_and_period(recurrence);
    put_u32(&mut out, first);
    put_u32(&mut out, period);
    put_u32(&mut out, 0); // SlidingFlag
    match recurrence.pattern {
        RecurrencePattern::Daily => {}
        RecurrencePattern::Weekly { days } => put_u32(&mut out, u32::from(days)),
        RecurrencePattern::Monthly { day } | RecurrencePattern::Yearly { day, .. } => {
            put_u32(&mut out, u32::from(day))
        }
        RecurrencePattern::MonthlyNth { days, nth }
        | RecurrencePattern::YearlyNth { days, nth, .. } => {
            put_u32(&mut out, u32::from(days));
            put_u32(&mut out, u32::from(nth));
        }
    }
    let end_type = match recurrence.end {
        RecurrenceEnd::ByDate => 0x2021,
        RecurrenceEnd::AfterCount => 0x2022,
        RecurrenceEnd::Never => 0x2023,
    };
    put_u32(&mut out, end_type);
    let count = match recurrence.end {
        RecurrenceEnd::Never => 10,
        _ => recurrence.occurrence_count,
    };
    put_u32(&mut out, count);
    put_u32(&mut out, recurrence.first_day_of_week);

    // Deleted dates are those of deleted and of modified occurrences (their original day);
    // modified dates are the days the modified occurrences now fall on. Both sorted.
    let mut deleted: Vec<u32> = recurrence.deleted.iter().map(|d| d / DAY * DAY).collect();
    deleted.extend(
        recurrence
            .exceptions
            .iter()
            .map(|e| e.original_start_local / DAY * DAY),
    );
    deleted.sort_unstable();
    deleted.dedup();
    let mut modified: Vec<u32> = recurrence
        .exceptions
        .iter()
        .map(|e| e.start_local / DAY * DAY)
        .collect();
    modified.sort_unstable();
    put_u32(&mut out, deleted.len() as u32);
    for date in &deleted {
        put_u32(&mut out, *date);
    }
    put_u32(&mut out, modified.len() as u32);
    for date in &modified {
        put_u32(&mut out, *date);
    }
    put_u32(&mut out, recurrence.start_date);
    let end_date = match recurrence.end {
        RecurrenceEnd::Never => NEVER_END_DATE,
        _ => recurrence.end_date,
    };
    put_u32(&mut out, end_date);
    out
}

/// What an exception overrides, in the order of the ExceptionInfo fields.
fn override_flags(exception: &RecurrenceException) -> u16 {
    let mut flags = 0;
    if exception.subject.is_some() {
        flags |= ARO_SUBJECT;
    }
    if let Some(reminder) = exception.reminder_minutes {
        flags |= ARO_REMINDER;
        if reminder.is_some() {
            flags |= ARO_REMINDERDELTA;
        }
    }
    if exception.location.is_some() {
        flags |= ARO_LOCATION;
    }
    if exception.busy_status.is_some() {
        flags |= ARO_BUSYSTATUS;
    }
    if exception.all_day.is_some() {
        flags |= ARO_SUBTYPE;
    }
    if exception.body.is_some() {
        flags |= ARO_EXCEPTIONAL_BODY;
    }
    flags
}

/// A text as the 8-bit string of an ExceptionInfo: Latin-1, '?' for what it cannot hold.
fn ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

fn put_ansi_string(out: &mut Vec<u8>, text: &str) {
    let bytes = ansi(text);
    let len = bytes.len().min(u16::MAX as usize - 1) as u16;
    put_u16(out, len + 1);
    put_u16(out, len);
    out.extend_from_slice(&bytes[..usize::from(len)]);
}

fn put_wide_string(out: &mut Vec<u8>, text: &str) {
    let units: Vec<u16> = text.encode_utf16().take(u16::MAX as usize).collect();
    put_u16(out, units.len() as u16);
    for unit in units {
        put_u16(out, unit);
    }
}

/// The ExceptionInfo of one exception (2.2.1.44.2).
fn exception_info(out: &mut Vec<u8>, exception: &RecurrenceException) {
    let flags = override_flags(exception);
    put_u32(out, exception.start_local);
    put_u32(out, exception.end_local);
    put_u32(out, exception.original_start_local);
    put_u16(out, flags);
    if let Some(subject) = &exception.subject {
        put_ansi_string(out, subject);
    }
    if let Some(reminder) = exception.reminder_minutes {
        if let Some(minutes) = reminder {
            put_u32(out, minutes as u32);
        }
        put_u32(out, u32::from(reminder.is_some()));
    }
    if let Some(location) = &exception.location {
        put_ansi_string(out, location);
    }
    if let Some(busy) = exception.busy_status {
        put_u32(out, busy.value() as u32);
    }
    if let Some(all_day) = exception.all_day {
        put_u32(out, u32::from(all_day));
    }
}

/// The ExtendedException of one exception (2.2.1.44.3), for WriterVersion2 0x3009.
fn extended_exception(out: &mut Vec<u8>, exception: &RecurrenceException) {
    // ChangeHighlight: size 4, value 0 (nothing highlighted).
    put_u32(out, 4);
    put_u32(out, 0);
    put_u32(out, 0); // ReservedBlockEE1Size
    if exception.subject.is_some() || exception.location.is_some() {
        put_u32(out, exception.start_local);
        put_u32(out, exception.end_local);
        put_u32(out, exception.original_start_local);
        if let Some(subject) = &exception.subject {
            put_wide_string(out, subject);
        }
        if let Some(location) = &exception.location {
            put_wide_string(out, location);
        }
        put_u32(out, 0); // ReservedBlockEE2Size
    }
}

/// PidLidAppointmentRecur: the AppointmentRecurrencePattern structure (2.2.1.44.3).
pub fn appointment_recurrence_pattern(recurrence: &Recurrence) -> Vec<u8> {
    let mut out = recurrence_pattern(recurrence);
    put_u32(&mut out, READER_VERSION2);
    put_u32(&mut out, WRITER_VERSION2);
    put_u32(&mut out, recurrence.start_offset);
    put_u32(&mut out, recurrence.end_offset);
    let mut exceptions: Vec<&RecurrenceException> = recurrence.exceptions.iter().collect();
    exceptions.sort_by_key(|e| e.start_local);
    put_u16(&mut out, exceptions.len() as u16);
    for exception in &exceptions {
        exception_info(&mut out, exception);
    }
    put_u32(&mut out, 0); // ReservedBlock1Size
    for exception in &exceptions {
        extended_exception(&mut out, exception);
    }
    put_u32(&mut out, 0); // ReservedBlock2Size
    out
}

/// A transition as a SYSTEMTIME (wYear 0, wDay = the week of the month).
fn system_time(out: &mut Vec<u8>, transition: Option<Transition>) {
    let t = transition.unwrap_or_default();
    for value in [0, t.month, t.day_of_week, t.week, t.hour, t.minute, 0, 0] {
        put_u16(out, value);
    }
}

/// The biases and transitions shared by TZREG and TZRULE.
fn zone_rule(out: &mut Vec<u8>, zone: &TimeZone) {
    put_u32(out, zone.bias as u32);
    put_u32(out, zone.standard_bias as u32);
    put_u32(out, zone.daylight_bias as u32);
}

/// PidLidTimeZoneStruct (2.2.1.39): 48 bytes.
pub fn time_zone_struct(zone: &TimeZone) -> Vec<u8> {
    let mut out = Vec::with_capacity(48);
    zone_rule(&mut out, zone);
    put_u16(&mut out, 0); // wStandardYear
    system_time(&mut out, zone.standard_start);
    put_u16(&mut out, 0); // wDaylightYear
    system_time(&mut out, zone.daylight_start);
    out
}

/// TZRULE flags (2.2.1.41.1).
const TZRULE_FLAG_RECUR_CURRENT_TZREG: u16 = 0x0001;
const TZRULE_FLAG_EFFECTIVE_TZREG: u16 = 0x0002;

/// A TZDEFINITION (2.2.1.41) with the zone's one rule, effective; `recurring` marks it as the
/// rule of PidLidTimeZoneStruct too (PidLidAppointmentTimeZoneDefinitionRecur).
pub fn time_zone_definition(zone: &TimeZone, recurring: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(96 + 2 * zone.name.len());
    let name: Vec<u16> = zone.name.encode_utf16().take(260).collect();
    out.push(2); // bMajorVersion
    out.push(1); // bMinorVersion
    put_u16(&mut out, 6 + 2 * name.len() as u16); // cbHeader
    put_u16(&mut out, 0x0002); // wReserved: TZDEFINITION_FLAG_VALID_KEYNAME
    put_u16(&mut out, name.len() as u16);
    for unit in name {
        put_u16(&mut out, unit);
    }
    put_u16(&mut out, 1); // cRules
    out.push(2);
    out.push(1);
    put_u16(&mut out, 0x003E); // wReserved: the rule's size after this field
    let mut flags = TZRULE_FLAG_EFFECTIVE_TZREG;
    if recurring {
        flags |= TZRULE_FLAG_RECUR_CURRENT_TZREG;
    }
    put_u16(&mut out, flags);
    put_u16(&mut out, zone.year);
    out.extend_from_slice(&[0u8; 14]);
    zone_rule(&mut out, zone);
    system_time(&mut out, zone.standard_start);
    system_time(&mut out, zone.daylight_start);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// MS-OXOCAL 4.1.1.2: every Monday, Thursday and Friday, 10:00–10:30, twelve occurrences
    /// from Monday 2007-03-26 (FirstDOW Sunday), the occurrence of Monday 2007-04-16 moved to
    /// 11:00–11:30 with a new subject and location. The spec gives the whole blob.
    #[test]
    fn the_spec_example_is_reproduced_byte_for_byte() {
        let expected = hex(concat!(
            "043004300B2001000000C0210000010000000000000032000000222000000C000000",
            "0000000001000000A096BC0C01000000A096BC0C8020BC0C20ADBC0C063000000930",
            "0000580200007602000001003499BC0C5299BC0CF898BC0C11002200210053696D70",
            "6C6520526563757272656E6365207769746820657863657074696F6E730800070033",
            "342F34313431000000000400000000000000000000003499BC0C5299BC0CF898BC0C",
            "2100530069006D0070006C006500200052006500630075007200720065006E006300",
            "650020007700690074006800200065007800630065007000740069006F006E007300",
            "0700330034002F0034003100340031000000000000000000"
        ));
        let recurrence = Recurrence {
            pattern: RecurrencePattern::Weekly { days: 0x32 },
            interval: 1,
            first_day_of_week: 0,
            end: RecurrenceEnd::AfterCount,
            occurrence_count: 12,
            start_date: 0x0CBC_2080,
            end_date: 0x0CBC_AD20,
            start_offset: 600,
            end_offset: 630,
            deleted: Vec::new(),
            exceptions: vec![RecurrenceException {
                original_start_local: 0x0CBC_98F8,
                start_local: 0x0CBC_9934,
                end_local: 0x0CBC_9952,
                subject: Some("Simple Recurrence with exceptions".into()),
                location: Some("34/4141".into()),
                ..RecurrenceException::default()
            }],
        };
        assert_eq!(appointment_recurrence_pattern(&recurrence), expected);
    }

    #[test]
    fn monthly_and_yearly_first_date_times_name_the_month() {
        // StartDate 2007-03-26: 4,874 months after January 1601.
        let start = 0x0CBC_2080;
        assert_eq!(days_from_civil(2007, 3, 26) as u32 * DAY, start);
        assert_eq!(civil_from_days(0), (1601, 1, 1));
        // Every month: modulo 1 is 0, January 1601.
        assert_eq!(month_first_date_time(start, 1), 0);
        // Every year: 4874 % 12 = 2, March 1601 = day 59.
        assert_eq!(month_first_date_time(start, 12), 59 * DAY);
        // Every 5 months: 4874 % 5 = 4, May 1601 = day 120.
        assert_eq!(month_first_date_time(start, 5), 120 * DAY);
    }

    #[test]
    fn time_zone_blobs_have_their_sizes() {
        let zone = TimeZone {
            name: "W. Europe Standard Time".into(),
            year: 2007,
            bias: -60,
            standard_bias: 0,
            daylight_bias: -60,
            standard_start: Some(Transition {
                month: 10,
                day_of_week: 0,
                week: 5,
                hour: 3,
                minute: 0,
            }),
            daylight_start: Some(Transition {
                month: 3,
                day_of_week: 0,
                week: 5,
                hour: 2,
                minute: 0,
            }),
        };
        let tzreg = time_zone_struct(&zone);
        assert_eq!(tzreg.len(), 48);
        assert_eq!(&tzreg[..4], &(-60i32).to_le_bytes());
        assert_eq!(&tzreg[16..18], &[10, 0]);
        let definition = time_zone_definition(&zone, true);
        let cch = zone.name.encode_utf16().count();
        assert_eq!(definition.len(), 2 + 2 + 6 + 2 * cch + 66);
        // The rule's biases and transitions equal the TZREG's.
        assert_eq!(
            &definition[definition.len() - 44..],
            &tzreg[..12]
                .iter()
                .chain(&tzreg[14..30])
                .chain(&tzreg[32..48])
                .copied()
                .collect::<Vec<u8>>()[..]
        );
    }
}
