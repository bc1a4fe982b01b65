//! An iCalendar object (RFC 5545) as an Outlook appointment or task. `calcard` parses the text,
//! resolves time zones (VTIMEZONE definitions and names alike, to IANA zones) and expands
//! recurrence rules; this maps the result to MS-OXOCAL's fields: times in UTC, the zone as
//! Outlook's rule, a recurrence rule as one of Outlook's patterns with its deleted and changed
//! occurrences. A rule Outlook has no pattern for keeps its first occurrence and says so.

use std::str::FromStr as _;

use calcard::common::timezone::Tz;
use calcard::icalendar::{
    ICalendar, ICalendarComponent, ICalendarComponentType, ICalendarDay, ICalendarEntry,
    ICalendarFrequency, ICalendarParameterName, ICalendarParameterValue, ICalendarProperty,
    ICalendarRecurrenceRule, ICalendarValue, ICalendarValueType, ICalendarWeekday,
};
use chrono::{
    DateTime, Datelike as _, NaiveDate, NaiveDateTime, Offset as _, TimeZone as _, Timelike as _,
};

use crate::convert::Converted;
use crate::pst::{
    self, Address, Appointment, Attendee, AttendeeRole, BusyStatus, FileTime, Importance, Item,
    LocalMinutes, Recurrence, RecurrenceEnd, RecurrenceException, RecurrencePattern, Response,
    Task, TaskStatus, TimeZone, Transition,
};

/// Occurrences expanded to find where a rule with an UNTIL date ends.
const EXPANSION_LIMIT: usize = 20_000;

fn text_of(bytes: &[u8]) -> String {
    crate::convert::contact::card_text(bytes)
}

/// The first value of a property as text.
fn prop_text(component: &ICalendarComponent, name: &ICalendarProperty) -> Option<String> {
    component
        .property(name)
        .and_then(|e| e.values.first())
        .and_then(|v| v.as_text())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

fn param_text(entry: &ICalendarEntry, name: ICalendarParameterName) -> Option<String> {
    entry
        .parameters(&name)
        .find_map(|p| p.as_text())
        .map(str::to_owned)
}

/// A date or date-time property in a zone: the resolved time and whether it had a time.
#[derive(Clone, Copy, Debug)]
struct When {
    at: DateTime<Tz>,
    has_time: bool,
}

/// The zones of an iCalendar object and the zone floating times are read in.
struct Zones {
    resolver: calcard::icalendar::timezone::TzResolver<String>,
    default: Tz,
}

impl Zones {
    fn new(ical: &ICalendar, default_zone: &str) -> Zones {
        let default = Tz::from_str(default_zone).unwrap_or(Tz::UTC);
        Zones {
            resolver: ical.build_owned_tz_resolver().with_default(default),
            default,
        }
    }

    /// The time of a DATE or DATE-TIME value: UTC, in its TZID's zone, or floating.
    fn when(&self, entry: &ICalendarEntry, value: &ICalendarValue) -> Option<When> {
        let ICalendarValue::PartialDateTime(date) = value else {
            return None;
        };
        let has_time = date.has_time();
        let result = date.to_date_time()?;
        let zone = match entry.tz_id() {
            Some(id) => self.resolver.resolve_or_default(Some(id)),
            None => result.tz().unwrap_or(self.default),
        };
        let at = result.to_date_time_with_tz(zone).or_else(|| {
            // A local time that does not exist (a DST gap): an hour later.
            zone.from_local_datetime(&(result.date_time + chrono::Duration::hours(1)))
                .earliest()
        })?;
        Some(When { at, has_time })
    }

    fn property(&self, component: &ICalendarComponent, name: &ICalendarProperty) -> Option<When> {
        let entry = component.property(name)?;
        self.when(entry, entry.values.first()?)
    }
}

fn file_time<T: chrono::TimeZone>(at: &DateTime<T>) -> Option<FileTime> {
    FileTime::from_unix(at.timestamp())
}

/// Minutes since 1601-01-01 of a local date and time.
fn local_minutes(local: NaiveDateTime) -> LocalMinutes {
    let epoch = NaiveDate::from_ymd_opt(1601, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default();
    u32::try_from((local - epoch).num_minutes()).unwrap_or(0)
}

/// The zone as Outlook's rule for `year`: its standard offset, and when a zone with daylight
/// saving time changes (found by scanning the year's days, then the hours of the change day).
fn zone_rule(zone: Tz, year: i32) -> TimeZone {
    let name = match zone {
        Tz::Tz(tz) => tz.name().to_owned(),
        Tz::Fixed(offset) => format!("UTC{:+}", offset.local_minus_utc() / 3600),
        Tz::Floating => "UTC".to_owned(),
    };
    let offset_at = |utc: NaiveDateTime| -> i32 {
        zone.offset_from_utc_datetime(&utc).fix().local_minus_utc() / 60
    };
    let start = NaiveDate::from_ymd_opt(year, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default();
    // Offsets at each day's start, and the days on which they change.
    let mut changes: Vec<(NaiveDateTime, i32, i32)> = Vec::new();
    let mut previous = offset_at(start);
    for day in 1..=366 {
        let at = start + chrono::Duration::days(day);
        if at.year() != year {
            break;
        }
        let offset = offset_at(at);
        if offset != previous {
            // The change happened in the day before `at`: find the hour.
            let mut hour_start = at - chrono::Duration::days(1);
            let mut before = previous;
            for _ in 0..24 * 4 {
                let next = hour_start + chrono::Duration::minutes(15);
                if offset_at(next) != before {
                    changes.push((next, before, offset_at(next)));
                    break;
                }
                hour_start = next;
                before = offset_at(next);
            }
            previous = offset;
        }
    }
    let (standard, daylight) = match changes.as_slice() {
        [first, second, ..] => {
            let (low, high) = if first.2 > first.1 {
                (first.1, first.2)
            } else {
                (first.2, first.1)
            };
            // Into daylight time: the change whose new offset is the higher one.
            let (to_daylight, to_standard) = if first.2 == high {
                (first, second)
            } else {
                (second, first)
            };
            let transition = |(utc, before, _): &(NaiveDateTime, i32, i32)| {
                // Local time before the change, as Windows counts it.
                let local = *utc + chrono::Duration::minutes(i64::from(*before));
                let day = local.day();
                let days_in_month = days_in_month(local.year(), local.month());
                let week = if day + 7 > days_in_month {
                    5
                } else {
                    (day - 1) / 7 + 1
                };
                Transition {
                    month: local.month() as u16,
                    day_of_week: local.weekday().num_days_from_sunday() as u16,
                    week: week as u16,
                    hour: local.hour() as u16,
                    minute: local.minute() as u16,
                }
            };
            (
                (low, Some(transition(to_standard))),
                (high - low, Some(transition(to_daylight))),
            )
        }
        _ => ((previous, None), (0, None)),
    };
    TimeZone {
        name,
        year: u16::try_from(year).unwrap_or(0),
        bias: -standard.0,
        standard_bias: 0,
        daylight_bias: -daylight.0,
        standard_start: standard.1,
        daylight_start: daylight.1,
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    next.and_then(|n| n.pred_opt()).map_or(31, |d| d.day())
}

fn weekday_bit(day: &ICalendarWeekday) -> u8 {
    1 << match day {
        ICalendarWeekday::Sunday => 0,
        ICalendarWeekday::Monday => 1,
        ICalendarWeekday::Tuesday => 2,
        ICalendarWeekday::Wednesday => 3,
        ICalendarWeekday::Thursday => 4,
        ICalendarWeekday::Friday => 5,
        ICalendarWeekday::Saturday => 6,
    }
}

fn days_mask(days: &[ICalendarDay]) -> u8 {
    days.iter()
        .fold(0, |mask, d| mask | weekday_bit(&d.weekday))
}

/// Outlook's "nth": 1–4, or 5 for the last.
fn nth(ordinal: i32) -> Option<u8> {
    match ordinal {
        1..=4 => Some(ordinal as u8),
        -1 => Some(5),
        _ => None,
    }
}

/// The Outlook pattern of a rule whose first occurrence is `start` (local), or `None` when
/// Outlook has none for it.
fn pattern_of(
    rule: &ICalendarRecurrenceRule,
    start: NaiveDateTime,
) -> Option<(RecurrencePattern, u32)> {
    let interval = u32::from(rule.interval.unwrap_or(1).max(1));
    let unsupported = !rule.bysecond.is_empty()
        || !rule.byminute.is_empty()
        || !rule.byhour.is_empty()
        || !rule.byyearday.is_empty()
        || !rule.byweekno.is_empty();
    if unsupported {
        return None;
    }
    let start_bit = 1u8 << start.weekday().num_days_from_sunday();
    let ordinal_days = rule.byday.iter().any(|d| d.ordwk.is_some());
    let set_position = match rule.bysetpos.as_slice() {
        [] => None,
        [one] => Some(nth(*one)?),
        _ => return None,
    };
    let months: Vec<u8> = rule.bymonth.iter().map(|m| m.month()).collect();
    match rule.freq {
        ICalendarFrequency::Daily => {
            if !rule.bymonthday.is_empty() || !months.is_empty() || set_position.is_some() {
                return None;
            }
            match days_mask(&rule.byday) {
                0 => Some((RecurrencePattern::Daily, interval)),
                // Every weekday: Outlook's weekly pattern.
                0x3E if interval == 1 && !ordinal_days => {
                    Some((RecurrencePattern::Weekly { days: 0x3E }, 1))
                }
                _ => None,
            }
        }
        ICalendarFrequency::Weekly => {
            if ordinal_days
                || !rule.bymonthday.is_empty()
                || !months.is_empty()
                || set_position.is_some()
            {
                return None;
            }
            let days = match days_mask(&rule.byday) {
                0 => start_bit,
                mask => mask,
            };
            Some((RecurrencePattern::Weekly { days }, interval))
        }
        ICalendarFrequency::Monthly | ICalendarFrequency::Yearly => {
            let yearly = rule.freq == ICalendarFrequency::Yearly;
            let month = match months.as_slice() {
                [] => start.month() as u8,
                [m] if yearly => *m,
                _ => return None,
            };
            let by_day = match (rule.byday.as_slice(), set_position) {
                ([], None) => None,
                ([one], None) => {
                    let ordinal = nth(i32::from(one.ordwk?))?;
                    Some((weekday_bit(&one.weekday), ordinal))
                }
                (days, Some(position)) if !ordinal_days => Some((days_mask(days), position)),
                _ => return None,
            };
            let pattern = match (by_day, rule.bymonthday.as_slice()) {
                (Some((days, n)), []) => {
                    if yearly {
                        RecurrencePattern::YearlyNth {
                            month,
                            days,
                            nth: n,
                        }
                    } else {
                        RecurrencePattern::MonthlyNth { days, nth: n }
                    }
                }
                (None, []) => {
                    let day = start.day() as u8;
                    if yearly {
                        RecurrencePattern::Yearly { month, day }
                    } else {
                        RecurrencePattern::Monthly { day }
                    }
                }
                (None, [day]) => {
                    // The last day of the month is day 31 for Outlook.
                    let day = match *day {
                        1..=31 => *day as u8,
                        -1 => 31,
                        _ => return None,
                    };
                    if yearly {
                        RecurrencePattern::Yearly { month, day }
                    } else {
                        RecurrencePattern::Monthly { day }
                    }
                }
                _ => return None,
            };
            Some((pattern, interval))
        }
        _ => None,
    }
}

/// Converts one iCalendar event object (an event with its changed occurrences).
pub fn convert_event(bytes: &[u8], default_zone: &str) -> Converted {
    let text = text_of(bytes);
    let ical = match ICalendar::parse(&text) {
        Ok(ical) => ical,
        Err(_) => return unreadable(text, "event", FolderItem::Event),
    };
    let events: Vec<&ICalendarComponent> = ical
        .components
        .iter()
        .filter(|c| c.component_type == ICalendarComponentType::VEvent)
        .collect();
    let master = events
        .iter()
        .find(|c| !c.has_property(&ICalendarProperty::RecurrenceId))
        .or(events.first());
    let Some(master) = master.copied() else {
        return unreadable(text, "event", FolderItem::Event);
    };
    let zones = Zones::new(&ical, default_zone);
    let mut warnings = Vec::new();
    let Some(start) = zones.property(master, &ICalendarProperty::Dtstart) else {
        let mut converted = unreadable(text, "event", FolderItem::Event);
        converted.warnings =
            vec!["the event has no start time; its text is kept in the notes".into()];
        return converted;
    };
    let all_day = !start.has_time;
    let end = event_end(&zones, master, start);
    let series_zone = start.at.timezone();

    let mut message = common_message(master);
    let organizer = master
        .property(&ICalendarProperty::Organizer)
        .map(|entry| Address {
            name: param_text(entry, ICalendarParameterName::Cn),
            email: entry.calendar_address().unwrap_or_default().to_owned(),
        });
    message.from = organizer;
    let attendees = master
        .properties(&ICalendarProperty::Attendee)
        .map(attendee_of)
        .collect();

    let mut appointment = Appointment {
        start: file_time(&start.at).unwrap_or_default(),
        end: file_time(&end).unwrap_or_default(),
        all_day,
        time_zone: Some(zone_rule(series_zone, start.at.naive_local().year())),
        location: prop_text(master, &ICalendarProperty::Location),
        busy_status: busy_status(master),
        reminder_minutes: reminder(&ical, master, &zones, start.at),
        attendees,
        recurrence: None,
        private: is_private(master),
        uid: prop_text(master, &ICalendarProperty::Uid),
        sequence: master
            .property(&ICalendarProperty::Sequence)
            .and_then(|e| e.values.first()?.as_integer())
            .and_then(|n| i32::try_from(n).ok())
            .unwrap_or(0),
        replaces: None,
    };

    if let Some(rule) =
        master
            .property(&ICalendarProperty::Rrule)
            .and_then(|e| match e.values.first() {
                Some(ICalendarValue::RecurrenceRule(rule)) => Some(rule.as_ref()),
                _ => None,
            })
    {
        match recurrence(
            &ical,
            master,
            &events,
            rule,
            &zones,
            start,
            end,
            &message,
            &appointment,
        ) {
            Ok((recurrence, more)) => {
                warnings.extend(more);
                appointment.recurrence = Some(recurrence);
            }
            Err(why) => {
                let rule_text = master
                    .property(&ICalendarProperty::Rrule)
                    .map(|e| format!("{:?}", e.values.first()))
                    .unwrap_or_default();
                warnings.push(format!(
                    "{why}; only the first occurrence is in the calendar and the rule is in its notes"
                ));
                let note = format!("Repeats: {}", rule_description(rule, &rule_text));
                message.body_text = Some(match message.body_text.take() {
                    Some(body) => format!("{body}\r\n\r\n{note}"),
                    None => note,
                });
            }
        }
    }
    message.item = Some(Box::new(Item::Appointment(appointment)));
    Converted {
        message,
        warnings,
        degraded: false,
    }
}

/// A short form of a rule for the notes of an event Outlook cannot repeat.
fn rule_description(rule: &ICalendarRecurrenceRule, fallback: &str) -> String {
    let text = rule.to_string();
    if text.is_empty() {
        fallback.to_owned()
    } else {
        text
    }
}

/// DTEND, else DTSTART + DURATION, else a day after an all-day start, else the start.
fn event_end(zones: &Zones, component: &ICalendarComponent, start: When) -> DateTime<Tz> {
    if let Some(end) = zones.property(component, &ICalendarProperty::Dtend)
        && end.at >= start.at
    {
        return end.at;
    }
    if let Some(ICalendarValue::Duration(duration)) = component
        .property(&ICalendarProperty::Duration)
        .and_then(|e| e.values.first())
    {
        return start.at + chrono::Duration::seconds(duration.as_seconds().max(0));
    }
    if !start.has_time {
        return start.at + chrono::Duration::days(1);
    }
    start.at
}

/// Subject, body, categories, importance and state, shared by events and tasks.
fn common_message(component: &ICalendarComponent) -> pst::Message {
    let categories = component
        .properties(&ICalendarProperty::Categories)
        .flat_map(|e| e.values.iter().filter_map(|v| v.as_text()))
        .flat_map(|t| t.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .fold(Vec::<String>::new(), |mut all, c| {
            if !all.contains(&c) {
                all.push(c);
            }
            all
        });
    let importance = match component
        .property(&ICalendarProperty::Priority)
        .and_then(|e| e.values.first()?.as_integer())
    {
        Some(1..=4) => Importance::High,
        Some(6..=9) => Importance::Low,
        _ => Importance::Normal,
    };
    let (attachments, links) = attachments_of(component);
    let mut body_text = component
        .property(&ICalendarProperty::Description)
        .and_then(|e| e.values.first()?.as_text())
        .map(str::to_owned)
        .filter(|t| !t.trim().is_empty());
    if !links.is_empty() {
        let links = links
            .iter()
            .map(|link| format!("Attachment: {link}"))
            .collect::<Vec<_>>()
            .join("\r\n");
        body_text = Some(match body_text {
            Some(body) => format!("{body}\r\n\r\n{links}"),
            None => links,
        });
    }
    pst::Message {
        subject: prop_text(component, &ICalendarProperty::Summary),
        body_text,
        attachments,
        categories,
        importance,
        state: pst::MessageState {
            read: true,
            ..pst::MessageState::default()
        },
        ..pst::Message::default()
    }
}

/// The ATTACH properties of an item (RFC 5545 3.8.1.1): those given inline (base64) as
/// attachments, named by their FILENAME (RFC 8607) or X-FILENAME parameter; those given by
/// URI as links for the notes.
fn attachments_of(component: &ICalendarComponent) -> (Vec<pst::Attachment>, Vec<String>) {
    let mut attachments = Vec::new();
    let mut links = Vec::new();
    for entry in component.properties(&ICalendarProperty::Attach) {
        // Inline data is VALUE=BINARY, base64 (RFC 5545 3.2.7, 3.2.20); calcard decodes it
        // and gives bytes that are UTF-8 as text.
        let inline = entry.params.iter().any(|p| {
            matches!(
                p.value,
                ICalendarParameterValue::Value(ICalendarValueType::Binary)
            )
        });
        let data = match entry.values.first() {
            Some(ICalendarValue::Binary(data)) => Some(data.clone()),
            Some(value) if inline => value.as_text().map(|t| t.as_bytes().to_vec()),
            _ => None,
        };
        match (data, entry.values.first()) {
            (Some(data), _) => {
                let filename = param_text(entry, ICalendarParameterName::Filename).or_else(|| {
                    entry.params.iter().find_map(|p| match &p.name {
                        ICalendarParameterName::Other(name)
                            if name.eq_ignore_ascii_case("X-FILENAME")
                                || name.eq_ignore_ascii_case("X-APPLE-FILENAME") =>
                        {
                            p.value.as_text().map(str::to_owned)
                        }
                        _ => None,
                    })
                });
                attachments.push(pst::Attachment {
                    filename: Some(filename.unwrap_or_else(|| "attachment".to_owned())),
                    mime_type: param_text(entry, ICalendarParameterName::Fmttype),
                    content_id: None,
                    content_location: None,
                    hidden: false,
                    content: pst::AttachmentContent::Data(data),
                });
            }
            (None, Some(value)) => {
                if let Some(link) = value.as_text().map(str::trim).filter(|l| !l.is_empty()) {
                    links.push(link.to_owned());
                }
            }
            (None, None) => {}
        }
    }
    (attachments, links)
}

fn is_private(component: &ICalendarComponent) -> bool {
    prop_text(component, &ICalendarProperty::Class).is_some_and(|c| {
        c.eq_ignore_ascii_case("PRIVATE") || c.eq_ignore_ascii_case("CONFIDENTIAL")
    })
}

/// TRANSP, Microsoft's busy status, STATUS:TENTATIVE.
fn busy_status(component: &ICalendarComponent) -> BusyStatus {
    let other = |name: &str| {
        component.entries.iter().find_map(|e| match &e.name {
            ICalendarProperty::Other(n) if n.eq_ignore_ascii_case(name) => {
                e.values.first()?.as_text().map(str::to_ascii_uppercase)
            }
            _ => None,
        })
    };
    if let Some(status) = other("X-MICROSOFT-CDO-BUSYSTATUS") {
        match status.as_str() {
            "FREE" => return BusyStatus::Free,
            "TENTATIVE" => return BusyStatus::Tentative,
            "OOF" => return BusyStatus::OutOfOffice,
            "WORKINGELSEWHERE" => return BusyStatus::WorkingElsewhere,
            "BUSY" => return BusyStatus::Busy,
            _ => {}
        }
    }
    if prop_text(component, &ICalendarProperty::Transp)
        .is_some_and(|t| t.eq_ignore_ascii_case("TRANSPARENT"))
    {
        return BusyStatus::Free;
    }
    if prop_text(component, &ICalendarProperty::Status)
        .is_some_and(|s| s.eq_ignore_ascii_case("TENTATIVE"))
    {
        return BusyStatus::Tentative;
    }
    BusyStatus::Busy
}

fn attendee_of(entry: &ICalendarEntry) -> Attendee {
    let upper = |name| param_text(entry, name).map(|t| t.to_ascii_uppercase());
    let cutype = upper(ICalendarParameterName::Cutype).unwrap_or_default();
    let role = match upper(ICalendarParameterName::Role).as_deref() {
        _ if cutype == "RESOURCE" || cutype == "ROOM" => AttendeeRole::Resource,
        Some("OPT-PARTICIPANT") | Some("NON-PARTICIPANT") => AttendeeRole::Optional,
        _ => AttendeeRole::Required,
    };
    let response = match upper(ICalendarParameterName::Partstat).as_deref() {
        Some("ACCEPTED") => Response::Accepted,
        Some("DECLINED") => Response::Declined,
        Some("TENTATIVE") => Response::Tentative,
        Some("NEEDS-ACTION") => Response::NotResponded,
        _ => Response::None,
    };
    Attendee {
        address: Address {
            name: param_text(entry, ICalendarParameterName::Cn),
            email: entry.calendar_address().unwrap_or_default().to_owned(),
        },
        role,
        response,
    }
}

/// Minutes before `start` of the first display or sound alarm of `component`.
fn reminder(
    ical: &ICalendar,
    component: &ICalendarComponent,
    zones: &Zones,
    start: DateTime<Tz>,
) -> Option<i32> {
    let alarms = component
        .component_ids
        .iter()
        .filter_map(|id| ical.component_by_id(*id))
        .filter(|c| c.component_type == ICalendarComponentType::VAlarm);
    for alarm in alarms {
        let Some(trigger) = alarm.property(&ICalendarProperty::Trigger) else {
            continue;
        };
        let minutes = match trigger.values.first()? {
            ICalendarValue::Duration(duration) => {
                let related_end = param_text(trigger, ICalendarParameterName::Related)
                    .is_some_and(|r| r.eq_ignore_ascii_case("END"));
                if related_end {
                    continue;
                }
                -duration.as_seconds() / 60
            }
            value => {
                let at = zones.when(trigger, value)?;
                (start - at.at).num_minutes()
            }
        };
        return i32::try_from(minutes.max(0)).ok();
    }
    None
}

/// The series of a recurring event: its pattern, range, deleted and changed occurrences.
#[allow(clippy::too_many_arguments)]
fn recurrence(
    ical: &ICalendar,
    master: &ICalendarComponent,
    events: &[&ICalendarComponent],
    rule: &ICalendarRecurrenceRule,
    zones: &Zones,
    start: When,
    end: DateTime<Tz>,
    series: &pst::Message,
    appointment: &Appointment,
) -> Result<(Recurrence, Vec<String>), String> {
    let mut warnings = Vec::new();
    let local_start = start.at.naive_local();
    let (pattern, interval) = pattern_of(rule, local_start)
        .ok_or_else(|| "Outlook has no pattern for the event's recurrence rule".to_owned())?;

    // The pattern's occurrences, without EXDATEs and changed occurrences.
    let mut bare = ical.clone();
    bare.components.retain(|c| {
        !(c.component_type == ICalendarComponentType::VEvent
            && c.has_property(&ICalendarProperty::RecurrenceId))
    });
    for component in &mut bare.components {
        component
            .entries
            .retain(|e| !matches!(e.name, ICalendarProperty::Exdate | ICalendarProperty::Rdate));
    }
    if master.has_property(&ICalendarProperty::Rdate) {
        warnings.push("the event's extra dates (RDATE) are not part of Outlook's series".into());
    }
    let (end_kind, occurrences) = if rule.count.is_none() && rule.until.is_none() {
        (RecurrenceEnd::Never, Vec::new())
    } else {
        let mut starts: Vec<DateTime<Tz>> = bare
            .expand_dates(zones.default, EXPANSION_LIMIT)
            .events
            .into_iter()
            .map(|e| e.start.with_timezone(&start.at.timezone()))
            .collect();
        starts.sort();
        starts.dedup();
        if starts.is_empty() {
            return Err("the event's recurrence rule has no occurrence".into());
        }
        if starts.len() >= EXPANSION_LIMIT {
            (RecurrenceEnd::Never, Vec::new())
        } else if rule.count.is_some() {
            (RecurrenceEnd::AfterCount, starts)
        } else {
            (RecurrenceEnd::ByDate, starts)
        }
    };
    let midnight = |t: NaiveDateTime| local_minutes(t.date().and_hms_opt(0, 0, 0).unwrap_or(t));
    let start_date = midnight(local_start);
    let end_date = occurrences
        .last()
        .map_or(start_date, |last| midnight(last.naive_local()));
    let in_pattern = |local_day: LocalMinutes| {
        occurrences.is_empty()
            || occurrences
                .iter()
                .any(|o| midnight(o.naive_local()) == local_day)
    };

    let series_zone = start.at.timezone();
    let in_series = |at: DateTime<Tz>| at.with_timezone(&series_zone).naive_local();
    let mut deleted = Vec::new();
    for entry in master.properties(&ICalendarProperty::Exdate) {
        for value in &entry.values {
            if let Some(when) = zones.when(entry, value) {
                let day = midnight(in_series(when.at));
                if in_pattern(day) && !deleted.contains(&day) {
                    deleted.push(day);
                }
            }
        }
    }
    let mut exceptions = Vec::new();
    for event in events
        .iter()
        .filter(|e| e.has_property(&ICalendarProperty::RecurrenceId))
    {
        let Some(original) = zones.property(event, &ICalendarProperty::RecurrenceId) else {
            continue;
        };
        let original_local = in_series(original.at);
        if !in_pattern(midnight(original_local)) {
            warnings.push(format!(
                "a changed occurrence on {} is not one of the series' dates and is left out",
                original_local.date()
            ));
            continue;
        }
        if prop_text(event, &ICalendarProperty::Status)
            .is_some_and(|s| s.eq_ignore_ascii_case("CANCELLED"))
        {
            deleted.push(midnight(original_local));
            continue;
        }
        let new_start = zones
            .property(event, &ICalendarProperty::Dtstart)
            .unwrap_or(original);
        let new_end = event_end(zones, event, new_start);
        let differs = |name: &ICalendarProperty, series_value: Option<&str>| {
            let own = prop_text(event, name);
            (own.as_deref() != series_value).then(|| own.unwrap_or_default())
        };
        let subject = differs(&ICalendarProperty::Summary, series.subject.as_deref());
        let location = differs(
            &ICalendarProperty::Location,
            appointment.location.as_deref(),
        );
        let body = event
            .property(&ICalendarProperty::Description)
            .and_then(|e| e.values.first()?.as_text())
            .filter(|b| Some(*b) != series.body_text.as_deref())
            .map(str::to_owned);
        let busy = busy_status(event);
        let reminder_minutes = reminder(ical, event, zones, new_start.at);
        exceptions.push(RecurrenceException {
            original_start_local: local_minutes(original_local),
            start_local: local_minutes(in_series(new_start.at)),
            end_local: local_minutes(in_series(new_end)),
            original_start: file_time(&original.at).unwrap_or_default(),
            start: file_time(&new_start.at).unwrap_or_default(),
            end: file_time(&new_end).unwrap_or_default(),
            subject,
            location,
            body,
            busy_status: (busy != appointment.busy_status).then_some(busy),
            reminder_minutes: (reminder_minutes != appointment.reminder_minutes)
                .then_some(reminder_minutes),
            all_day: (new_start.has_time == appointment.all_day).then_some(!new_start.has_time),
        });
    }
    deleted.sort_unstable();
    deleted.dedup();
    exceptions.sort_by_key(|e| e.original_start_local);

    let minutes_of_day = |t: NaiveDateTime| t.hour() * 60 + t.minute();
    let duration = (end - start.at).num_minutes().max(0) as u32;
    let first_day_of_week = match rule.wkst {
        Some(ICalendarWeekday::Sunday) => 0,
        Some(ICalendarWeekday::Tuesday) => 2,
        Some(ICalendarWeekday::Wednesday) => 3,
        Some(ICalendarWeekday::Thursday) => 4,
        Some(ICalendarWeekday::Friday) => 5,
        Some(ICalendarWeekday::Saturday) => 6,
        Some(ICalendarWeekday::Monday) | None => 1,
    };
    let recurrence = Recurrence {
        pattern,
        interval,
        first_day_of_week,
        end: end_kind,
        occurrence_count: occurrences.len() as u32,
        start_date,
        end_date,
        start_offset: minutes_of_day(local_start),
        end_offset: minutes_of_day(local_start) + duration,
        deleted,
        exceptions,
    };
    Ok((recurrence, warnings))
}

/// What an unreadable object becomes.
#[derive(Clone, Copy, Debug)]
enum FolderItem {
    Event,
    Task,
}

/// An object that cannot be read: its text in the notes of an item that says so.
fn unreadable(text: String, what: &str, kind: FolderItem) -> Converted {
    let subject = format!("Unreadable {what}");
    let item = match kind {
        FolderItem::Event => Item::Appointment(Appointment {
            start: FileTime::default(),
            end: FileTime::default(),
            all_day: false,
            time_zone: None,
            location: None,
            busy_status: BusyStatus::Free,
            reminder_minutes: None,
            attendees: Vec::new(),
            recurrence: None,
            private: false,
            uid: None,
            sequence: 0,
            replaces: None,
        }),
        FolderItem::Task => Item::Task(Task::default()),
    };
    Converted {
        message: pst::Message {
            subject: Some(subject),
            body_text: Some(text),
            state: pst::MessageState {
                read: true,
                ..pst::MessageState::default()
            },
            item: Some(Box::new(item)),
            ..pst::Message::default()
        },
        warnings: vec![format!(
            "the {what} could not be read; its text is kept in the notes"
        )],
        degraded: true,
    }
}

/// A task date: the local day at midnight, as Outlook keeps PidLidTaskStartDate and
/// PidLidTaskDueDate (MS-OXOTASK 2.2.2.2.4).
fn task_day(when: When) -> Option<FileTime> {
    let day = when.at.naive_local().date().and_hms_opt(0, 0, 0)?;
    FileTime::from_unix(day.and_utc().timestamp())
}

/// Converts one iCalendar to-do.
pub fn convert_todo(bytes: &[u8], default_zone: &str) -> Converted {
    let text = text_of(bytes);
    let ical = match ICalendar::parse(&text) {
        Ok(ical) => ical,
        Err(_) => return unreadable(text, "task", FolderItem::Task),
    };
    let Some(todo) = ical
        .components
        .iter()
        .find(|c| c.component_type == ICalendarComponentType::VTodo)
    else {
        return unreadable(text, "task", FolderItem::Task);
    };
    let zones = Zones::new(&ical, default_zone);
    let mut message = common_message(todo);
    let start = zones.property(todo, &ICalendarProperty::Dtstart);
    let due = zones.property(todo, &ICalendarProperty::Due);
    let completed = zones.property(todo, &ICalendarProperty::Completed);
    let status = match prop_text(todo, &ICalendarProperty::Status)
        .map(|s| s.to_ascii_uppercase())
        .as_deref()
    {
        Some("COMPLETED") => TaskStatus::Complete,
        Some("IN-PROCESS") => TaskStatus::InProgress,
        Some("CANCELLED") => TaskStatus::Deferred,
        _ if completed.is_some() => TaskStatus::Complete,
        _ => TaskStatus::NotStarted,
    };
    let percent = todo
        .property(&ICalendarProperty::PercentComplete)
        .and_then(|e| e.values.first()?.as_integer())
        .map_or(
            if status == TaskStatus::Complete {
                100
            } else {
                0
            },
            |p| p.clamp(0, 100) as u8,
        );
    let anchor = start.or(due).map(|w| w.at);
    let reminder = anchor
        .and_then(|at| Some((at, reminder(&ical, todo, &zones, at)?)))
        .and_then(|(at, minutes)| file_time(&(at - chrono::Duration::minutes(i64::from(minutes)))));
    let task = Task {
        start: start.and_then(task_day),
        due: due.and_then(task_day),
        completed: completed.and_then(|c| file_time(&c.at)),
        status,
        percent_complete: percent,
        reminder,
        private: is_private(todo),
    };
    message.item = Some(Box::new(Item::Task(task)));
    Converted {
        message,
        warnings: Vec::new(),
        degraded: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn appointment(converted: &Converted) -> &Appointment {
        match converted.message.item.as_deref() {
            Some(Item::Appointment(a)) => a,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn berlin_has_the_rule_windows_gives_it() {
        let zone = zone_rule(Tz::from_str("Europe/Berlin").unwrap(), 2024);
        assert_eq!(zone.bias, -60);
        assert_eq!(zone.daylight_bias, -60);
        let daylight = zone.daylight_start.unwrap();
        assert_eq!(
            (
                daylight.month,
                daylight.day_of_week,
                daylight.week,
                daylight.hour
            ),
            (3, 0, 5, 2)
        );
        let standard = zone.standard_start.unwrap();
        assert_eq!(
            (
                standard.month,
                standard.day_of_week,
                standard.week,
                standard.hour
            ),
            (10, 0, 5, 3)
        );
        let new_york = zone_rule(Tz::from_str("America/New_York").unwrap(), 2024);
        assert_eq!(new_york.bias, 300);
        let d = new_york.daylight_start.unwrap();
        assert_eq!((d.month, d.week, d.hour), (3, 2, 2));
        let tokyo = zone_rule(Tz::from_str("Asia/Tokyo").unwrap(), 2024);
        assert_eq!((tokyo.bias, tokyo.daylight_start), (-540, None));
    }

    #[test]
    fn a_weekly_meeting_with_an_exception_and_a_deleted_day() {
        let ics = concat!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n",
            "BEGIN:VEVENT\r\nUID:w1\r\nDTSTART;TZID=Europe/Berlin:20240108T100000\r\n",
            "DTEND;TZID=Europe/Berlin:20240108T110000\r\nSUMMARY:Standup\r\n",
            "RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=6\r\nEXDATE;TZID=Europe/Berlin:20240110T100000\r\n",
            "ORGANIZER;CN=Ann:mailto:ann@example.com\r\n",
            "ATTENDEE;CN=Bob;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:bob@example.com\r\n",
            "ATTENDEE;ROLE=OPT-PARTICIPANT;PARTSTAT=DECLINED:mailto:cy@example.com\r\n",
            "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\n",
            "END:VEVENT\r\n",
            "BEGIN:VEVENT\r\nUID:w1\r\nRECURRENCE-ID;TZID=Europe/Berlin:20240115T100000\r\n",
            "DTSTART;TZID=Europe/Berlin:20240115T140000\r\nDTEND;TZID=Europe/Berlin:20240115T150000\r\n",
            "SUMMARY:Standup (moved)\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        );
        let converted = convert_event(ics.as_bytes(), "UTC");
        assert!(converted.warnings.is_empty(), "{:?}", converted.warnings);
        let a = appointment(&converted);
        assert_eq!(a.start.to_unix(), 1_704_704_400); // 2024-01-08 09:00 UTC
        assert_eq!(a.reminder_minutes, Some(15));
        assert_eq!(a.attendees.len(), 2);
        assert_eq!(a.attendees[1].role, AttendeeRole::Optional);
        assert_eq!(a.attendees[1].response, Response::Declined);
        assert_eq!(
            converted.message.from.as_ref().unwrap().email,
            "ann@example.com"
        );
        let r = a.recurrence.as_ref().unwrap();
        assert_eq!(r.pattern, RecurrencePattern::Weekly { days: 0b0000_1010 });
        assert_eq!(r.end, RecurrenceEnd::AfterCount);
        assert_eq!(r.occurrence_count, 6);
        assert_eq!((r.start_offset, r.end_offset), (600, 660));
        // Six occurrences: Jan 8, 10, 15, 17, 22, 24.
        let day = |d: u32| {
            local_minutes(
                NaiveDate::from_ymd_opt(2024, 1, d)
                    .unwrap()
                    .and_hms_opt(0, 0, 0)
                    .unwrap(),
            )
        };
        assert_eq!(r.start_date, day(8));
        assert_eq!(r.end_date, day(24));
        assert_eq!(r.deleted, [day(10)]);
        let e = &r.exceptions[0];
        assert_eq!(e.original_start_local, day(15) + 600);
        assert_eq!(e.start_local, day(15) + 14 * 60);
        assert_eq!(e.subject.as_deref(), Some("Standup (moved)"));
        assert_eq!(e.location, None);
    }

    #[test]
    fn attachments_come_along_and_links_go_to_the_notes() {
        let converted = convert_event(
            b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Board\r\n\
              DTSTART:20240301T100000Z\r\nDESCRIPTION:Agenda\r\n\
              ATTACH;FMTTYPE=text/plain;ENCODING=BASE64;VALUE=BINARY;X-FILENAME=minutes.txt:aGVsbG8=\r\n\
              ATTACH:https://example.org/slides.pdf\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "UTC",
        );
        let message = &converted.message;
        assert_eq!(message.attachments.len(), 1);
        let attachment = &message.attachments[0];
        assert_eq!(attachment.filename.as_deref(), Some("minutes.txt"));
        assert_eq!(attachment.mime_type.as_deref(), Some("text/plain"));
        assert_eq!(
            attachment.content,
            pst::AttachmentContent::Data(b"hello".to_vec())
        );
        assert_eq!(
            message.body_text.as_deref(),
            Some("Agenda\r\n\r\nAttachment: https://example.org/slides.pdf")
        );
    }

    #[test]
    fn an_all_day_event_is_local_midnight_to_midnight() {
        let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:d\r\nDTSTART;VALUE=DATE:20240301\r\nSUMMARY:Holiday\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let converted = convert_event(ics.as_bytes(), "America/New_York");
        let a = appointment(&converted);
        assert!(a.all_day);
        assert_eq!(a.start.to_unix(), 1_709_269_200); // 2024-03-01 05:00 UTC
        assert_eq!(a.end.to_unix() - a.start.to_unix(), 86_400);
        assert_eq!(a.time_zone.as_ref().unwrap().name, "America/New_York");
    }

    #[test]
    fn a_rule_outlook_cannot_repeat_keeps_the_first_occurrence_and_says_so() {
        let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:h\r\nDTSTART:20240301T100000Z\r\nRRULE:FREQ=HOURLY;COUNT=3\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let converted = convert_event(ics.as_bytes(), "UTC");
        assert!(appointment(&converted).recurrence.is_none());
        assert_eq!(converted.warnings.len(), 1);
        assert!(converted.message.body_text.unwrap().starts_with("Repeats:"));
    }

    #[test]
    fn a_todo_becomes_a_task() {
        let ics = "BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:t\r\nSUMMARY:Taxes\r\nDUE;VALUE=DATE:20240415\r\nSTATUS:IN-PROCESS\r\nPERCENT-COMPLETE:40\r\nPRIORITY:1\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";
        let converted = convert_todo(ics.as_bytes(), "UTC");
        let Some(Item::Task(task)) = converted.message.item.as_deref() else {
            panic!()
        };
        assert_eq!(task.status, TaskStatus::InProgress);
        assert_eq!(task.percent_complete, 40);
        assert_eq!(task.due.unwrap().to_unix(), 1_713_139_200);
        assert_eq!(converted.message.importance, Importance::High);
        assert_eq!(converted.message.subject.as_deref(), Some("Taxes"));
    }
}
