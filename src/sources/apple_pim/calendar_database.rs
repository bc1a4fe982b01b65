//! macOS Calendar from macOS 14 on: `~/Library/Group Containers/group.com.apple.calendar/
//! Calendar.sqlitedb`, the SQLite database iOS's Calendar uses too (docs/formats.md §10.2).
//! Calendars are `Calendar` rows (`title`, `store_id` → `Store`); events and to-dos are
//! `CalendarItem` rows (`calendar_id`, `entity_type` 3 for a to-do), with their place in
//! `Location` (`location_id`), people in `Participant` (`owner_id`; the organizer is the row
//! `organizer_id` names, attendees have `entity_type` 7) and `Identity` (`identity_id`),
//! repetition in `Recurrence` (`owner_id`), deleted occurrences in `ExceptionDate`, changed
//! occurrences as items of their own (`orig_item_id`, `orig_date`), alarms in `Alarm`
//! (`calendaritem_owner_id`) and tags in `Category` through `CategoryLink`. Times are seconds
//! since 2001-01-01 UTC; `start_tz` names the zone (`_float` for floating times), all-day
//! items sit at UTC midnight.
//!
//! Each event (with its changed occurrences) or to-do is written as an iCalendar object,
//! which `convert/` reads as it reads `.ics` files. A repetition whose rule uses a part no
//! source documents keeps its first occurrence, with a warning.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::Connection;

use crate::sources::pim::escape_text;
use crate::sources::sqlite::{ReadOnlyDatabase, column_or_null, columns};
use crate::sources::{Error, Result};

/// The file name of Calendar's database.
pub const DATABASE: &str = "Calendar.sqlitedb";
/// Seconds from 1970-01-01 to 2001-01-01, the database's epoch.
const EPOCH_2001: i64 = 978_307_200;
/// `CalendarItem.entity_type` of a to-do (`Calendar.supported_entity_types` 8 = 1 << 3;
/// events are 2, 4 = 1 << 2).
const TODO_ENTITY: i64 = 3;
/// `Participant.entity_type` of an attendee (iLEAPP's `calendarAll.py`).
const ATTENDEE_ENTITY: i64 = 7;
/// The `start_tz` of a floating time.
const FLOATING: &str = "_float";

/// One calendar of the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseCalendar {
    pub id: i64,
    pub name: String,
}

/// The calendars of a database and what is left out of all of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DatabaseSummary {
    /// The calendars that hold events or to-dos, by title.
    pub calendars: Vec<DatabaseCalendar>,
    /// Items not converted (birthdays, hidden items), one sentence each.
    pub notes: Vec<String>,
}

/// One event (with its changed occurrences) or to-do, as iCalendar text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseItem {
    pub row: i64,
    pub bytes: Vec<u8>,
    pub warnings: Vec<String>,
}

/// The events and to-dos of one calendar.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DatabaseItems {
    pub events: Vec<DatabaseItem>,
    pub todos: Vec<DatabaseItem>,
}

fn open(file: &Path) -> Result<ReadOnlyDatabase> {
    ReadOnlyDatabase::open(file, "the calendar database")
}

fn sql_error(file: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| Error::Format {
        path: file.to_path_buf(),
        what: format!("not a calendar database this app can read ({e})"),
    }
}

/// A calendar's name: its title, with the two titles Calendar shows translated
/// (`DEFAULT_CALENDAR_NAME`, `DEFAULT_TASK_CALENDAR_NAME` are keys, not names).
fn calendar_name(title: Option<String>, id: i64) -> String {
    match title.as_deref().map(str::trim) {
        Some("DEFAULT_CALENDAR_NAME") => "Calendar".to_owned(),
        Some("DEFAULT_TASK_CALENDAR_NAME") => "Reminders".to_owned(),
        Some(title) if !title.is_empty() => title.to_owned(),
        _ => format!("Calendar {id}"),
    }
}

/// Items that are converted: not hidden, not Calendar's birthdays (made from Contacts).
fn shown(present: &[String]) -> String {
    let mut conditions = Vec::new();
    if present.iter().any(|c| c == "hidden") {
        conditions.push("IFNULL(i.hidden, 0) = 0");
    }
    if present.iter().any(|c| c == "calendar_scale") {
        conditions.push("i.calendar_scale IS NOT 'gregorian'");
    }
    if conditions.is_empty() {
        "1".to_owned()
    } else {
        conditions.join(" AND ")
    }
}

/// The calendars that hold items, and counts of what is not converted.
pub fn summary(file: &Path) -> Result<DatabaseSummary> {
    let database = open(file)?;
    let db = &database.connection;
    let error = sql_error(file);
    let present = columns(db, "CalendarItem").map_err(&error)?;
    let mut statement = db
        .prepare(&format!(
            "SELECT c.ROWID, c.title FROM Calendar c WHERE EXISTS (SELECT 1 FROM CalendarItem i \
             WHERE i.calendar_id = c.ROWID AND {}) ORDER BY c.ROWID",
            shown(&present)
        ))
        .map_err(&error)?;
    let mut calendars = statement
        .query_map([], |row| {
            let id: i64 = row.get(0)?;
            Ok(DatabaseCalendar {
                id,
                name: calendar_name(row.get(1)?, id),
            })
        })
        .map_err(&error)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(&error)?;
    calendars.sort_by_key(|c| c.name.to_lowercase());
    let mut notes = Vec::new();
    let count = |condition: &str| -> Result<i64> {
        db.query_row(
            &format!("SELECT count(*) FROM CalendarItem i WHERE {condition}"),
            [],
            |row| row.get(0),
        )
        .map_err(&error)
    };
    if present.iter().any(|c| c == "calendar_scale") {
        let birthdays = count("i.calendar_scale IS 'gregorian'")?;
        if birthdays > 0 {
            notes.push(format!(
                "{birthdays} birthdays of {} are not converted (Calendar makes them from the \
                 birthdays in Contacts, which come along with the contacts)",
                file.display()
            ));
        }
    }
    if present.iter().any(|c| c == "hidden") {
        let hidden = count("IFNULL(i.hidden, 0) <> 0")?;
        if hidden > 0 {
            notes.push(format!(
                "{hidden} items of {} that Calendar keeps hidden are not converted",
                file.display()
            ));
        }
    }
    if let Some(note) = &database.note {
        notes.push(note.clone());
    }
    Ok(DatabaseSummary { calendars, notes })
}

/// The columns of `CalendarItem` an item is built from, in this order.
const ITEM_COLUMNS: &[&str] = &[
    "ROWID",
    "entity_type",
    "summary",
    "description",
    "start_date",
    "start_tz",
    "end_date",
    "end_tz",
    "all_day",
    "orig_item_id",
    "orig_date",
    "organizer_id",
    "status",
    "availability",
    "url",
    "unique_identifier",
    "UUID",
    "creation_date",
    "last_modified",
    "due_date",
    "due_tz",
    "due_all_day",
    "completion_date",
    "priority",
    "location_id",
];

/// One `CalendarItem` row.
#[derive(Clone, Debug, Default)]
struct Row {
    id: i64,
    entity_type: Option<i64>,
    summary: Option<String>,
    description: Option<String>,
    start: Option<f64>,
    start_tz: Option<String>,
    end: Option<f64>,
    end_tz: Option<String>,
    all_day: bool,
    original_item: Option<i64>,
    original_date: Option<f64>,
    organizer: Option<i64>,
    status: Option<i64>,
    availability: Option<i64>,
    url: Option<String>,
    uid: Option<String>,
    uuid: Option<String>,
    created: Option<f64>,
    modified: Option<f64>,
    due: Option<f64>,
    due_tz: Option<String>,
    due_all_day: bool,
    completed: Option<f64>,
    priority: Option<i64>,
    location: Option<i64>,
}

/// What belongs to an item besides its row: places by their own ROWID, everything else by
/// the ROWID of the item it belongs to.
#[derive(Default)]
struct Related {
    location: BTreeMap<i64, String>,
    participants: BTreeMap<i64, Vec<Participant>>,
    rules: BTreeMap<i64, Vec<Rule>>,
    exceptions: BTreeMap<i64, Vec<f64>>,
    alarms: BTreeMap<i64, Vec<Alarm>>,
    categories: BTreeMap<i64, Vec<String>>,
    attachments: BTreeMap<i64, i64>,
}

struct Participant {
    id: i64,
    entity_type: Option<i64>,
    status: Option<i64>,
    role: Option<i64>,
    email: Option<String>,
    name: Option<String>,
}

struct Rule {
    frequency: Option<i64>,
    interval: Option<i64>,
    count: Option<i64>,
    end: Option<f64>,
    specifier: Option<String>,
}

struct Alarm {
    interval: Option<i64>,
    date: Option<f64>,
}

/// Every event and to-do of calendar `calendar`, in order of start.
pub fn items(file: &Path, calendar: i64) -> Result<DatabaseItems> {
    let database = open(file)?;
    let db = &database.connection;
    let error = sql_error(file);
    let present = columns(db, "CalendarItem").map_err(&error)?;
    let select: Vec<String> = ITEM_COLUMNS
        .iter()
        .map(|c| column_or_null(&present, "i", c))
        .collect();
    let order = if present.iter().any(|c| c == "start_date") {
        "i.start_date, i.ROWID"
    } else {
        "i.ROWID"
    };
    let mut statement = db
        .prepare(&format!(
            "SELECT {} FROM CalendarItem i WHERE i.calendar_id = ?1 AND {} ORDER BY {order}",
            select.join(", "),
            shown(&present)
        ))
        .map_err(&error)?;
    let rows = statement
        .query_map([calendar], |row| {
            Ok(Row {
                id: row.get(0)?,
                entity_type: row.get(1)?,
                summary: row.get(2)?,
                description: row.get(3)?,
                start: row.get(4)?,
                start_tz: row.get(5)?,
                end: row.get(6)?,
                end_tz: row.get(7)?,
                all_day: row.get::<_, Option<i64>>(8)?.unwrap_or(0) != 0,
                original_item: row.get::<_, Option<i64>>(9)?.filter(|id| *id > 0),
                original_date: row.get(10)?,
                organizer: row.get::<_, Option<i64>>(11)?.filter(|id| *id > 0),
                status: row.get(12)?,
                availability: row.get(13)?,
                url: row.get(14)?,
                uid: row.get(15)?,
                uuid: row.get(16)?,
                created: row.get(17)?,
                modified: row.get(18)?,
                due: row.get(19)?,
                due_tz: row.get(20)?,
                due_all_day: row.get::<_, Option<i64>>(21)?.unwrap_or(0) != 0,
                completed: row.get(22)?,
                priority: row.get(23)?,
                location: row.get::<_, Option<i64>>(24)?.filter(|id| *id > 0),
            })
        })
        .map_err(&error)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(&error)?;
    let related = related(db).map_err(&error)?;
    Ok(build_items(rows, &related))
}

/// Reads the tables items refer to, keyed by their owner (or, for places, their own ROWID).
fn related(db: &Connection) -> rusqlite::Result<Related> {
    let mut related = Related::default();
    let has = |table: &str, needed: &[&str]| -> rusqlite::Result<Option<Vec<String>>> {
        let present = columns(db, table)?;
        Ok(needed
            .iter()
            .all(|c| present.iter().any(|p| p == c))
            .then_some(present))
    };
    if let Some(present) = has("Location", &["title"])? {
        let address = column_or_null(&present, "l", "address");
        let mut statement = db.prepare(&format!(
            "SELECT l.ROWID, l.title, {address} FROM Location l"
        ))?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let parts: Vec<String> = [row.get::<_, Option<String>>(1)?, row.get(2)?]
                .into_iter()
                .flatten()
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect();
            let mut text = parts.first().cloned().unwrap_or_default();
            if let Some(address) = parts.get(1).filter(|a| !text.contains(a.as_str())) {
                text = format!("{text}, {address}");
            }
            if !text.is_empty() {
                related.location.insert(row.get(0)?, text);
            }
        }
    }
    if let Some(present) = has("Participant", &["owner_id"])? {
        let identity = has("Identity", &["display_name"])?.is_some();
        let name = if identity && present.iter().any(|c| c == "identity_id") {
            "(SELECT d.display_name FROM Identity d WHERE d.ROWID = p.identity_id)"
        } else {
            "NULL"
        };
        let address = if identity && present.iter().any(|c| c == "identity_id") {
            "(SELECT d.address FROM Identity d WHERE d.ROWID = p.identity_id)"
        } else {
            "NULL"
        };
        let mut statement = db.prepare(&format!(
            "SELECT p.owner_id, p.ROWID, {}, {}, {}, {}, {address}, {name} FROM Participant p \
             ORDER BY p.ROWID",
            column_or_null(&present, "p", "entity_type"),
            column_or_null(&present, "p", "status"),
            column_or_null(&present, "p", "role"),
            column_or_null(&present, "p", "email"),
        ))?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let Some(owner) = row.get::<_, Option<i64>>(0)? else {
                continue;
            };
            let email: Option<String> = row.get(5)?;
            let email = email
                .filter(|e| !e.trim().is_empty())
                .or(row.get::<_, Option<String>>(6)?);
            related
                .participants
                .entry(owner)
                .or_default()
                .push(Participant {
                    id: row.get(1)?,
                    entity_type: row.get(2)?,
                    status: row.get(3)?,
                    role: row.get(4)?,
                    email,
                    name: row.get(7)?,
                });
        }
    }
    if let Some(present) = has("Recurrence", &["owner_id", "frequency"])? {
        let mut statement = db.prepare(&format!(
            "SELECT r.owner_id, r.frequency, {}, {}, {}, {} FROM Recurrence r ORDER BY r.ROWID",
            column_or_null(&present, "r", "interval"),
            column_or_null(&present, "r", "count"),
            column_or_null(&present, "r", "end_date"),
            column_or_null(&present, "r", "specifier"),
        ))?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let Some(owner) = row.get::<_, Option<i64>>(0)? else {
                continue;
            };
            related.rules.entry(owner).or_default().push(Rule {
                frequency: row.get(1)?,
                interval: row.get(2)?,
                count: row.get(3)?,
                end: row.get(4)?,
                specifier: row.get(5)?,
            });
        }
    }
    if has("ExceptionDate", &["owner_id", "date"])?.is_some() {
        let mut statement =
            db.prepare("SELECT owner_id, date FROM ExceptionDate ORDER BY date, ROWID")?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            if let (Some(owner), Some(date)) =
                (row.get::<_, Option<i64>>(0)?, row.get::<_, Option<f64>>(1)?)
            {
                related.exceptions.entry(owner).or_default().push(date);
            }
        }
    }
    if let Some(present) = has("Alarm", &["calendaritem_owner_id"])? {
        let disabled = if present.iter().any(|c| c == "disabled") {
            "IFNULL(a.disabled, 0) = 0"
        } else {
            "1"
        };
        let mut statement = db.prepare(&format!(
            "SELECT a.calendaritem_owner_id, {}, {} FROM Alarm a WHERE {disabled} ORDER BY a.ROWID",
            column_or_null(&present, "a", "trigger_interval"),
            column_or_null(&present, "a", "trigger_date"),
        ))?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let Some(owner) = row.get::<_, Option<i64>>(0)? else {
                continue;
            };
            related.alarms.entry(owner).or_default().push(Alarm {
                interval: row.get(1)?,
                date: row.get(2)?,
            });
        }
    }
    if has("CategoryLink", &["owner_id", "category_id"])?.is_some()
        && has("Category", &["name"])?.is_some()
    {
        let mut statement = db.prepare(
            "SELECT l.owner_id, c.name FROM CategoryLink l JOIN Category c \
             ON c.ROWID = l.category_id ORDER BY l.ROWID",
        )?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            if let (Some(owner), Some(name)) = (
                row.get::<_, Option<i64>>(0)?,
                row.get::<_, Option<String>>(1)?,
            ) {
                related.categories.entry(owner).or_default().push(name);
            }
        }
    }
    if has("Attachment", &["owner_id"])?.is_some() {
        let mut statement =
            db.prepare("SELECT owner_id, count(*) FROM Attachment GROUP BY owner_id")?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            if let Some(owner) = row.get::<_, Option<i64>>(0)? {
                related.attachments.insert(owner, row.get(1)?);
            }
        }
    }
    Ok(related)
}

/// Groups changed occurrences with their series and writes each event and to-do.
fn build_items(rows: Vec<Row>, related: &Related) -> DatabaseItems {
    let ids: std::collections::BTreeSet<i64> = rows.iter().map(|r| r.id).collect();
    let mut changed: BTreeMap<i64, Vec<&Row>> = BTreeMap::new();
    for row in &rows {
        if let Some(master) = row.original_item.filter(|m| ids.contains(m)) {
            changed.entry(master).or_default().push(row);
        }
    }
    let mut items = DatabaseItems::default();
    for row in &rows {
        if row.original_item.is_some_and(|m| ids.contains(&m)) {
            continue;
        }
        if row.entity_type == Some(TODO_ENTITY) {
            items.todos.push(todo(row, related));
        } else {
            let changed = changed.remove(&row.id).unwrap_or_default();
            items.events.extend(event(row, &changed, related));
        }
    }
    items
}

/// A UTC time as iCalendar writes it.
fn utc_text(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

fn instant(seconds: f64) -> Option<DateTime<Utc>> {
    seconds
        .is_finite()
        .then(|| DateTime::<Utc>::from_timestamp(seconds.round() as i64 + EPOCH_2001, 0))
        .flatten()
}

/// The day of an all-day time (kept at UTC midnight).
fn day(seconds: f64) -> Option<NaiveDate> {
    instant(seconds).map(|at| at.date_naive())
}

/// A time as an iCalendar value with its parameters: a date for all-day items; the wall
/// clock of its zone; the wall clock alone for a floating time; else UTC.
fn time_value(seconds: f64, zone: Option<&str>, all_day: bool) -> Option<String> {
    let at = instant(seconds)?;
    if all_day {
        return Some(format!(";VALUE=DATE:{}", at.format("%Y%m%d")));
    }
    match zone.map(str::trim) {
        // A floating time is kept as its wall clock read as UTC (icalPal's `event.rb`).
        Some(FLOATING) => Some(format!(":{}", at.format("%Y%m%dT%H%M%S"))),
        Some(name) if !name.is_empty() => match name.parse::<chrono_tz::Tz>() {
            Ok(tz) => Some(format!(
                ";TZID={name}:{}",
                at.with_timezone(&tz).format("%Y%m%dT%H%M%S")
            )),
            Err(_) => Some(format!(":{}", utc_text(at))),
        },
        _ => Some(format!(":{}", utc_text(at))),
    }
}

/// An alarm's TRIGGER: seconds before (negative) or after the start, or a moment.
fn trigger(alarm: &Alarm) -> Option<String> {
    if let Some(at) = alarm.date.filter(|d| *d != 0.0).and_then(instant) {
        return Some(format!("TRIGGER;VALUE=DATE-TIME:{}", utc_text(at)));
    }
    let seconds = alarm.interval?;
    let sign = if seconds < 0 { "-" } else { "" };
    let n = seconds.unsigned_abs();
    let duration = if n % 86_400 == 0 && n > 0 {
        format!("P{}D", n / 86_400)
    } else if n % 3_600 == 0 && n > 0 {
        format!("PT{}H", n / 3_600)
    } else if n % 60 == 0 {
        format!("PT{}M", n / 60)
    } else {
        format!("PT{n}S")
    };
    Some(format!("TRIGGER:{sign}{duration}"))
}

/// The days of a `D=` part: `MO`, `+1MO`, `-1FR`, `0TU` (no ordinal).
fn weekday_part(value: &str) -> Option<String> {
    let value = value.trim();
    let split = value.len().checked_sub(2)?;
    let (ordinal, day) = (value.get(..split)?, value.get(split..)?);
    if !["MO", "TU", "WE", "TH", "FR", "SA", "SU"].contains(&day) {
        return None;
    }
    if ordinal.is_empty() {
        return Some(day.to_owned());
    }
    let n: i32 = ordinal.parse().ok()?;
    Some(match n {
        0 => day.to_owned(),
        -53..=53 => format!("{n}{day}"),
        _ => return None,
    })
}

/// The numbers of a part, each within `range` and not 0.
fn numbers(value: &str, range: std::ops::RangeInclusive<i32>) -> Option<String> {
    let mut out = Vec::new();
    for part in value.split(',') {
        let n: i32 = part.trim().trim_start_matches('+').parse().ok()?;
        if n == 0 || !range.contains(&n) {
            return None;
        }
        out.push(n.to_string());
    }
    Some(out.join(","))
}

/// The RRULE of a `Recurrence` row, or why it cannot be read. The frequency is EventKit's
/// order less one (1 daily … 4 yearly); the specifier's parts are `D=` days of the week with
/// an optional ordinal, `M=` days of the month, `O=` months and `S=` the position within the
/// set (icalPal's `event.rb`). Any other part is not documented, so it is not guessed at.
fn rrule(rule: &Rule, all_day: bool) -> std::result::Result<String, String> {
    let frequency = match rule.frequency {
        Some(1) => "DAILY",
        Some(2) => "WEEKLY",
        Some(3) => "MONTHLY",
        Some(4) => "YEARLY",
        other => {
            return Err(format!(
                "its frequency ({}) is not one Calendar documents",
                other.map_or("none".to_owned(), |f| f.to_string())
            ));
        }
    };
    let mut parts = vec![format!("FREQ={frequency}")];
    if let Some(interval) = rule.interval.filter(|i| *i > 1) {
        parts.push(format!("INTERVAL={interval}"));
    }
    if let Some(count) = rule.count.filter(|c| *c > 0) {
        parts.push(format!("COUNT={count}"));
    } else if let Some(end) = rule.end.filter(|e| *e != 0.0) {
        let until = if all_day {
            day(end).map(|d| d.format("%Y%m%d").to_string())
        } else {
            instant(end).map(utc_text)
        };
        if let Some(until) = until {
            parts.push(format!("UNTIL={until}"));
        }
    }
    let specifier = rule.specifier.as_deref().unwrap_or_default().trim();
    for piece in specifier.split(';').filter(|p| !p.trim().is_empty()) {
        let unreadable = || format!("its rule part \"{piece}\" is not one Calendar documents");
        let (key, value) = piece.split_once('=').ok_or_else(unreadable)?;
        let part = match key.trim() {
            "D" => {
                let days: Option<Vec<String>> = value.split(',').map(weekday_part).collect();
                format!("BYDAY={}", days.ok_or_else(unreadable)?.join(","))
            }
            "M" => format!(
                "BYMONTHDAY={}",
                numbers(value, -31..=31).ok_or_else(unreadable)?
            ),
            "O" => format!("BYMONTH={}", numbers(value, 1..=12).ok_or_else(unreadable)?),
            "S" => format!(
                "BYSETPOS={}",
                numbers(value, -366..=366).ok_or_else(unreadable)?
            ),
            _ => return Err(unreadable()),
        };
        parts.push(part);
    }
    Ok(format!("RRULE:{}", parts.join(";")))
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The item's UID: Calendar's iCalendar UID, else its own identifier, else its row.
fn uid(row: &Row) -> String {
    non_empty(&row.uid)
        .or(non_empty(&row.uuid))
        .map(str::to_owned)
        .unwrap_or_else(|| format!("calendar-item-{}", row.id))
}

/// A mailto: address without its scheme.
fn address(email: &str) -> &str {
    let email = email.trim();
    email
        .get(..7)
        .filter(|s| s.eq_ignore_ascii_case("mailto:"))
        .map_or(email, |_| &email[7..])
}

/// Lines shared by events and to-dos: text, place, people, tags, alarms, dates.
fn common_lines(row: &Row, related: &Related, lines: &mut Vec<String>) {
    if let Some(summary) = non_empty(&row.summary) {
        lines.push(format!("SUMMARY:{}", escape_text(summary)));
    }
    if let Some(place) = row.location.and_then(|id| related.location.get(&id)) {
        lines.push(format!("LOCATION:{}", escape_text(place)));
    }
    if let Some(description) = non_empty(&row.description) {
        lines.push(format!("DESCRIPTION:{}", escape_text(description)));
    }
    if let Some(url) = non_empty(&row.url) {
        lines.push(format!("URL:{url}"));
    }
    if let Some(categories) = related.categories.get(&row.id) {
        let names: Vec<String> = categories.iter().map(|c| escape_text(c)).collect();
        lines.push(format!("CATEGORIES:{}", names.join(",")));
    }
    if let Some(at) = row.created.and_then(instant) {
        lines.push(format!("CREATED:{}", utc_text(at)));
    }
    if let Some(at) = row.modified.and_then(instant) {
        lines.push(format!("LAST-MODIFIED:{}", utc_text(at)));
        lines.push(format!("DTSTAMP:{}", utc_text(at)));
    }
    let people = related.participants.get(&row.id);
    for person in people.into_iter().flatten() {
        let Some(email) = person
            .email
            .as_deref()
            .map(address)
            .filter(|e| !e.is_empty())
        else {
            continue;
        };
        let name = person
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| format!(";CN=\"{}\"", n.replace('"', "'")))
            .unwrap_or_default();
        if Some(person.id) == row.organizer {
            lines.push(format!("ORGANIZER{name}:mailto:{email}"));
        } else if person.entity_type == Some(ATTENDEE_ENTITY) {
            // EventKit's EKParticipantRole order; statuses as iLEAPP reads them.
            let role = match person.role {
                Some(1) => ";ROLE=REQ-PARTICIPANT",
                Some(2) => ";ROLE=OPT-PARTICIPANT",
                Some(3) => ";ROLE=CHAIR",
                Some(4) => ";ROLE=NON-PARTICIPANT",
                _ => "",
            };
            let status = match person.status {
                Some(1) => "ACCEPTED",
                Some(2) => "DECLINED",
                Some(3) => "TENTATIVE",
                _ => "NEEDS-ACTION",
            };
            lines.push(format!(
                "ATTENDEE{name}{role};PARTSTAT={status}:mailto:{email}"
            ));
        }
    }
    for alarm in related.alarms.get(&row.id).into_iter().flatten() {
        if let Some(trigger) = trigger(alarm) {
            lines.push("BEGIN:VALARM".to_owned());
            lines.push("ACTION:DISPLAY".to_owned());
            lines.push(trigger);
            lines.push("END:VALARM".to_owned());
        }
    }
}

/// The VEVENT lines of one event row: a series' own, or a changed occurrence's with its
/// RECURRENCE-ID (`recurrence`: the series' zone and all-day flag).
fn vevent(
    row: &Row,
    uid: &str,
    related: &Related,
    rules: Option<&[String]>,
    recurrence: Option<(Option<&str>, bool)>,
) -> Vec<String> {
    let mut lines = vec![
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}", escape_text(uid)),
    ];
    if let (Some(original), Some((zone, all_day))) = (row.original_date, recurrence)
        && let Some(value) = time_value(original, zone, all_day)
    {
        lines.push(format!("RECURRENCE-ID{value}"));
    }
    let start = row
        .start
        .and_then(|s| time_value(s, row.start_tz.as_deref(), row.all_day));
    if let Some(start) = &start {
        lines.push(format!("DTSTART{start}"));
    }
    if row.all_day {
        if let (Some(first), Some(start), Some(end)) = (row.start.and_then(day), row.start, row.end)
        {
            // All-day items end a second before midnight, or at it.
            let days = ((end - start) / 86_400.0).round().max(1.0) as i64;
            let last = first + Duration::days(days);
            lines.push(format!("DTEND;VALUE=DATE:{}", last.format("%Y%m%d")));
        }
    } else if let Some(end) = row
        .end
        .and_then(|e| time_value(e, row.end_tz.as_deref().or(row.start_tz.as_deref()), false))
    {
        lines.push(format!("DTEND{end}"));
    }
    if let Some(rules) = rules {
        lines.extend(rules.iter().cloned());
        for date in related.exceptions.get(&row.id).into_iter().flatten() {
            if let Some(value) = time_value(*date, row.start_tz.as_deref(), row.all_day) {
                lines.push(format!("EXDATE{value}"));
            }
        }
    }
    // EventKit's EKEventStatus and EKEventAvailability (icalPal's `EventKit.rb`).
    match row.status {
        Some(1) => lines.push("STATUS:CONFIRMED".to_owned()),
        Some(2) => lines.push("STATUS:TENTATIVE".to_owned()),
        Some(3) => lines.push("STATUS:CANCELLED".to_owned()),
        _ => {}
    }
    let (transparency, busy) = match row.availability {
        Some(1) => ("TRANSPARENT", "FREE"),
        Some(2) => ("OPAQUE", "TENTATIVE"),
        Some(3) => ("OPAQUE", "OOF"),
        _ => ("OPAQUE", "BUSY"),
    };
    lines.push(format!("TRANSP:{transparency}"));
    lines.push(format!("X-MICROSOFT-CDO-BUSYSTATUS:{busy}"));
    common_lines(row, related, &mut lines);
    lines.push("END:VEVENT".to_owned());
    lines
}

/// Wraps VEVENT or VTODO lines in a VCALENDAR.
fn calendar_text(body: Vec<String>) -> Vec<u8> {
    let mut text = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//mail2pst//Calendar.sqlitedb//EN\r\n",
    );
    for line in body {
        text.push_str(&line);
        text.push_str("\r\n");
    }
    text.push_str("END:VCALENDAR\r\n");
    text.into_bytes()
}

/// Warnings for what an item has that is not converted.
fn attachment_warning(row: &Row, related: &Related, warnings: &mut Vec<String>) {
    if let Some(count) = related.attachments.get(&row.id).filter(|c| **c > 0) {
        warnings.push(format!(
            "{count} attached files are not converted (Calendar keeps them outside its database)"
        ));
    }
}

/// One event with its changed occurrences; when its repetition cannot be read, its first
/// occurrence and, as events of their own, its changed occurrences.
fn event(row: &Row, changed: &[&Row], related: &Related) -> Vec<DatabaseItem> {
    let uid = uid(row);
    let mut warnings = Vec::new();
    let mut rules = Vec::new();
    for rule in related.rules.get(&row.id).into_iter().flatten() {
        match rrule(rule, row.all_day) {
            Ok(line) => rules.push(line),
            Err(why) => {
                warnings.push(format!(
                    "its repetition could not be read ({why}): only its first occurrence is \
                     written"
                ));
                rules.clear();
                break;
            }
        }
    }
    attachment_warning(row, related, &mut warnings);
    let series = !rules.is_empty();
    let mut body = vevent(row, &uid, related, Some(&rules), None);
    let mut separate = Vec::new();
    for occurrence in changed {
        if series {
            body.extend(vevent(
                occurrence,
                &uid,
                related,
                None,
                Some((row.start_tz.as_deref(), row.all_day)),
            ));
        } else {
            let own = format!("{uid}-{}", occurrence.id);
            separate.push(DatabaseItem {
                row: occurrence.id,
                bytes: calendar_text(vevent(occurrence, &own, related, None, None)),
                warnings: vec![
                    "a changed occurrence of a repeating event whose repetition could not be \
                     read, written as an event of its own"
                        .to_owned(),
                ],
            });
        }
    }
    let mut items = vec![DatabaseItem {
        row: row.id,
        bytes: calendar_text(body),
        warnings,
    }];
    items.extend(separate);
    items
}

/// One to-do: its dates, completion and priority (iCalendar's 1 high … 9 low, as
/// EventKit's EKReminderPriority).
fn todo(row: &Row, related: &Related) -> DatabaseItem {
    let mut lines = vec![
        "BEGIN:VTODO".to_owned(),
        format!("UID:{}", escape_text(&uid(row))),
    ];
    if let Some(start) = row
        .start
        .and_then(|s| time_value(s, row.start_tz.as_deref(), row.all_day))
    {
        lines.push(format!("DTSTART{start}"));
    }
    if let Some(due) = row
        .due
        .and_then(|d| time_value(d, row.due_tz.as_deref(), row.due_all_day))
    {
        lines.push(format!("DUE{due}"));
    }
    if let Some(at) = row.completed.and_then(instant) {
        lines.push(format!("COMPLETED:{}", utc_text(at)));
        lines.push("STATUS:COMPLETED".to_owned());
        lines.push("PERCENT-COMPLETE:100".to_owned());
    }
    if let Some(priority) = row.priority.filter(|p| (1..=9).contains(p)) {
        lines.push(format!("PRIORITY:{priority}"));
    }
    common_lines(row, related, &mut lines);
    lines.push("END:VTODO".to_owned());
    let mut warnings = Vec::new();
    if related.rules.contains_key(&row.id) {
        warnings.push("it repeats; Outlook's task is written for this occurrence only".to_owned());
    }
    attachment_warning(row, related, &mut warnings);
    DatabaseItem {
        row: row.id,
        bytes: calendar_text(lines),
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(frequency: i64, specifier: &str) -> Rule {
        Rule {
            frequency: Some(frequency),
            interval: Some(1),
            count: None,
            end: None,
            specifier: Some(specifier.to_owned()),
        }
    }

    #[test]
    fn specifiers_become_rrule_parts() {
        assert_eq!(
            rrule(&rule(3, "D=+1MO,+3WE"), false).unwrap(),
            "RRULE:FREQ=MONTHLY;BYDAY=1MO,3WE"
        );
        assert_eq!(
            rrule(&rule(4, "M=15;O=3,9"), false).unwrap(),
            "RRULE:FREQ=YEARLY;BYMONTHDAY=15;BYMONTH=3,9"
        );
        assert_eq!(
            rrule(&rule(3, "D=0MO,0TU,0WE,0TH,0FR;S=-1"), false).unwrap(),
            "RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"
        );
        assert_eq!(
            rrule(&rule(2, "D=MO,WE"), false).unwrap(),
            "RRULE:FREQ=WEEKLY;BYDAY=MO,WE"
        );
        let every_other = Rule {
            interval: Some(2),
            count: Some(5),
            ..rule(1, "")
        };
        assert_eq!(
            rrule(&every_other, false).unwrap(),
            "RRULE:FREQ=DAILY;INTERVAL=2;COUNT=5"
        );
        let until = Rule {
            end: Some(86_400.0 * 10.0),
            ..rule(2, "")
        };
        assert_eq!(
            rrule(&until, false).unwrap(),
            "RRULE:FREQ=WEEKLY;UNTIL=20010111T000000Z"
        );
        assert_eq!(
            rrule(&until, true).unwrap(),
            "RRULE:FREQ=WEEKLY;UNTIL=20010111"
        );
        // Parts no source documents, and bad values, are not guessed at.
        assert!(rrule(&rule(4, "Y=100"), false).is_err());
        assert!(rrule(&rule(3, "D=+1XX"), false).is_err());
        assert!(rrule(&rule(3, "M=32"), false).is_err());
        assert!(rrule(&rule(5, ""), false).is_err());
    }

    #[test]
    fn times_keep_their_zone_or_float_or_are_days() {
        // 2024-03-12 08:30 UTC.
        let seconds = (1_710_232_200 - EPOCH_2001) as f64;
        assert_eq!(
            time_value(seconds, Some("Europe/Berlin"), false).as_deref(),
            Some(";TZID=Europe/Berlin:20240312T093000")
        );
        assert_eq!(
            time_value(seconds, Some("_float"), false).as_deref(),
            Some(":20240312T083000")
        );
        assert_eq!(
            time_value(seconds, Some("Not/AZone"), false).as_deref(),
            Some(":20240312T083000Z")
        );
        assert_eq!(
            time_value(seconds, Some("Europe/Berlin"), true).as_deref(),
            Some(";VALUE=DATE:20240312")
        );
    }

    #[test]
    fn a_database_without_calendars_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(DATABASE);
        rusqlite::Connection::open(&file)
            .unwrap()
            .execute_batch("CREATE TABLE Notes (ROWID INTEGER PRIMARY KEY);")
            .unwrap();
        let error = summary(&file).unwrap_err().to_string();
        assert!(
            error.contains("not a calendar database this app can read"),
            "{error}"
        );
    }

    #[test]
    fn alarms_before_the_start_or_at_a_moment() {
        let before = |s| {
            trigger(&Alarm {
                interval: Some(s),
                date: None,
            })
        };
        assert_eq!(before(-900).as_deref(), Some("TRIGGER:-PT15M"));
        assert_eq!(before(-86_400).as_deref(), Some("TRIGGER:-P1D"));
        assert_eq!(before(0).as_deref(), Some("TRIGGER:PT0M"));
        assert_eq!(
            trigger(&Alarm {
                interval: None,
                date: Some(0.5),
            })
            .as_deref(),
            Some("TRIGGER;VALUE=DATE-TIME:20010101T000001Z")
        );
    }
}
