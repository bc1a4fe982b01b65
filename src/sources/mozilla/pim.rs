//! A Thunderbird profile's address books and calendars, as folders of contacts, events and
//! tasks beside its mail.
//!
//! - Address books: `abook.sqlite` (Personal Address Book), `history.sqlite` (Collected
//!   Addresses) and `abook-N.sqlite`, named by `ldap_2.servers.*` in `prefs.js`. Each card is
//!   the rows of one `card` in the `properties` table (comm-central
//!   `mailnews/addrbook/modules/SQLiteDirectory.sys.mjs`); since Thunderbird 102 the card's
//!   vCard is kept whole in its `_vCard` row, older cards are built into a vCard from the index
//!   rows (`DisplayName`, `PrimaryEmail`, `WorkPhone`, …). Mailing lists (`lists`, their cards
//!   in `list_cards`) follow the cards as group vCards, which `convert/` writes as
//!   distribution lists.
//! - Address books of Thunderbird before version 78: `abook.mab`, `history.mab`,
//!   `abook-N.mab`, Mork files (read by [`super::mork`]) whose card rows
//!   (`ns:addrbk:db:row:scope:card:all`) have the same columns as the index rows above and
//!   whose mailing lists are rows of `ns:addrbk:db:row:scope:list:all`, their members the
//!   card rows named in `Address1`…`AddressN` (Thunderbird 3–68
//!   `mailnews/addrbook/src/nsAddrDatabase.cpp`); they become group vCards as above. Thunderbird 78 moved each into an `.sqlite`
//!   file of the same name; a `.mab` with its `.sqlite` beside it is that copy's source and
//!   is not read again.
//! - Calendars: `calendar-data/local.sqlite` (calendars on this computer) and
//!   `calendar-data/cache.sqlite` (the offline copy of network calendars), named by
//!   `calendar.registry.<id>.name`. Events and to-dos are rows of `cal_events`/`cal_todos`
//!   (times in microseconds with their zone, or "floating"), with `cal_properties`,
//!   `cal_recurrence`, `cal_attendees` and `cal_alarms` rows keyed by `cal_id` and `item_id`
//!   (comm-central `calendar/providers/storage/calStorageUpgrade.sys.mjs`, schema 22+).
//!   Each item is written back as the iCalendar object it came from: the series and its
//!   changed occurrences (rows with a `recurrence_id`) together.
//!
//! Items are yielded as vCard and iCalendar text; `convert/` reads them as it reads `.vcf`
//! and `.ics` files.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use crate::model::{FolderKind, FolderPath, Found, Origin, RawMessage};
use crate::sources::mozilla::mork::MorkDb;
use crate::sources::mozilla::prefs::Prefs;
use crate::sources::pim::{TASKS_SUFFIX, escape_text};
use crate::sources::sqlite::{ReadOnlyDatabase, columns};
use crate::sources::{Error, Result};

/// The top folder of the address books.
pub const ADDRESS_BOOKS: &str = "Address Books";
/// The top folder of the calendars.
pub const CALENDARS: &str = "Calendars";

/// Thunderbird's `CAL_ITEM_FLAG.EVENT_ALLDAY`: the event's start and end are dates.
const FLAG_ALL_DAY: i64 = 8;
/// `CAL_ITEM_FLAG.RECURRENCE_ID_ALLDAY`: the changed occurrence's original start is a date.
const FLAG_RECURRENCE_ID_ALL_DAY: i64 = 512;

/// One folder of contacts, events or tasks in the profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PimFolder {
    pub path: FolderPath,
    pub kind: FolderKind,
    source: PimSource,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum PimSource {
    AddressBook { file: PathBuf },
    MorkAddressBook { file: PathBuf },
    Calendar { file: PathBuf, cal_id: String },
}

/// The address books and calendars of the profile at `profile`, in Thunderbird's order of
/// files; `notes` gets what could not be read.
pub fn find(profile: &Path, prefs: Option<&Prefs>, notes: &mut Vec<String>) -> Vec<PimFolder> {
    let mut folders = Vec::new();
    let mut books: Vec<PathBuf> = std::fs::read_dir(profile)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|path| {
                    path.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|name| is_book(name) || is_mork_book(name))
                })
                // A Mork book Thunderbird has already moved into SQLite is read from there.
                .filter(|path| !(is_mork(path) && path.with_extension("sqlite").is_file()))
                .collect()
        })
        .unwrap_or_default();
    books.sort_by_key(|path| book_order(path));
    for file in books {
        let name = book_name(&file, prefs);
        let source = if is_mork(&file) {
            PimSource::MorkAddressBook { file }
        } else {
            PimSource::AddressBook { file }
        };
        folders.push(PimFolder {
            path: FolderPath::new([ADDRESS_BOOKS.to_owned(), name]),
            kind: FolderKind::Contacts,
            source,
        });
    }
    for file_name in ["local.sqlite", "cache.sqlite"] {
        let file = profile.join("calendar-data").join(file_name);
        if !file.is_file() {
            continue;
        }
        match calendars_in(&file) {
            Ok(calendars) => {
                for (cal_id, has_events, has_todos) in calendars {
                    let name = prefs
                        .and_then(|p| p.string(&format!("calendar.registry.{cal_id}.name")))
                        .map(str::to_owned)
                        .unwrap_or_else(|| format!("Calendar {cal_id}"));
                    let source = PimSource::Calendar {
                        file: file.clone(),
                        cal_id,
                    };
                    if has_events || !has_todos {
                        folders.push(PimFolder {
                            path: FolderPath::new([CALENDARS.to_owned(), name.clone()]),
                            kind: FolderKind::Calendar,
                            source: source.clone(),
                        });
                    }
                    if has_todos {
                        folders.push(PimFolder {
                            path: FolderPath::new([
                                CALENDARS.to_owned(),
                                format!("{name}{TASKS_SUFFIX}"),
                            ]),
                            kind: FolderKind::Tasks,
                            source,
                        });
                    }
                }
            }
            Err(error) => notes.push(format!("the calendar could not be read: {error}")),
        }
    }
    folders
}

/// `abook.sqlite`, `abook-N.sqlite`, `history.sqlite`.
fn is_book(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".sqlite") else {
        return false;
    };
    stem == "abook"
        || stem == "history"
        || stem
            .strip_prefix("abook-")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// `abook.mab`, `abook-N.mab`, `history.mab`.
fn is_mork_book(name: &str) -> bool {
    name.strip_suffix(".mab")
        .is_some_and(|stem| is_book(&format!("{stem}.sqlite")))
}

fn is_mork(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "mab")
}

/// The personal book first, then `abook-1`, `abook-2`, …, collected addresses last.
fn book_order(path: &Path) -> (u8, u64) {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match stem.as_str() {
        "abook" => (0, 0),
        "history" => (2, 0),
        _ => (
            1,
            stem.trim_start_matches("abook-")
                .parse()
                .unwrap_or(u64::MAX),
        ),
    }
}

/// The name Thunderbird shows for an address book file.
fn book_name(file: &Path, prefs: Option<&Prefs>) -> String {
    let file_name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let from_prefs = prefs.and_then(|prefs| {
        prefs
            .keys_with_prefix("ldap_2.servers.")
            .filter(|key| key.ends_with(".filename"))
            .find(|key| prefs.string(key) == Some(file_name.as_str()))
            .and_then(|key| {
                let server = key.trim_end_matches(".filename");
                prefs.string(&format!("{server}.description"))
            })
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
    });
    from_prefs.unwrap_or_else(|| match file_name.as_str() {
        "abook.sqlite" | "abook.mab" => "Personal Address Book".to_owned(),
        "history.sqlite" | "history.mab" => "Collected Addresses".to_owned(),
        _ => file_name
            .trim_end_matches(".sqlite")
            .trim_end_matches(".mab")
            .to_owned(),
    })
}

fn open(file: &Path, what: &str) -> Result<ReadOnlyDatabase> {
    ReadOnlyDatabase::open(file, what)
}

fn sql_error(file: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| Error::Format {
        path: file.to_path_buf(),
        what: e.to_string(),
    }
}

/// The calendars of a calendar database: (id, has events, has to-dos), by first row.
fn calendars_in(file: &Path) -> Result<Vec<(String, bool, bool)>> {
    let database = open(file, "the calendar")?;
    let db = &database.connection;
    let error = sql_error(file);
    let mut calendars: Vec<(String, bool, bool)> = Vec::new();
    for (table, todos) in [("cal_events", false), ("cal_todos", true)] {
        if columns(db, table).map_err(&error)?.is_empty() {
            continue;
        }
        let mut statement = db
            .prepare(&format!(
                "SELECT cal_id FROM {table} GROUP BY cal_id ORDER BY min(rowid)"
            ))
            .map_err(&error)?;
        let ids = statement
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(&error)?
            .collect::<rusqlite::Result<Vec<String>>>()
            .map_err(&error)?;
        for id in ids {
            let index = match calendars.iter().position(|(c, _, _)| *c == id) {
                Some(index) => index,
                None => {
                    calendars.push((id, false, false));
                    calendars.len() - 1
                }
            };
            if todos {
                calendars[index].2 = true;
            } else {
                calendars[index].1 = true;
            }
        }
    }
    Ok(calendars)
}

impl PimFolder {
    /// How many items the folder holds, and what the user should know about it.
    pub fn count(&self) -> Result<(u64, Vec<String>)> {
        match &self.source {
            PimSource::AddressBook { file } => {
                let database = open(file, "the address book")?;
                let db = &database.connection;
                let error = sql_error(file);
                let cards: i64 = db
                    .query_row("SELECT count(DISTINCT card) FROM properties", [], |row| {
                        row.get(0)
                    })
                    .map_err(&error)?;
                // Mailing lists are items too (distribution lists), when their members are.
                let lists: i64 = if columns(db, "lists").map_err(&error)?.is_empty()
                    || columns(db, "list_cards").map_err(&error)?.is_empty()
                {
                    0
                } else {
                    db.query_row("SELECT count(*) FROM lists", [], |row| row.get(0))
                        .map_err(&error)?
                };
                Ok((u64::try_from(cards + lists).unwrap_or(0), Vec::new()))
            }
            PimSource::MorkAddressBook { file } => {
                let book = MorkBook::read(file)?;
                Ok(((book.cards.len() + book.lists.len()) as u64, Vec::new()))
            }
            PimSource::Calendar { file, cal_id } => {
                let database = open(file, "the calendar")?;
                let error = sql_error(file);
                let count: i64 = database
                    .connection
                    .query_row(
                        &format!(
                            "SELECT count(DISTINCT id) FROM {} WHERE cal_id = ?1",
                            self.table()
                        ),
                        [cal_id],
                        |row| row.get(0),
                    )
                    .map_err(&error)?;
                Ok((u64::try_from(count).unwrap_or(0), Vec::new()))
            }
        }
    }

    fn table(&self) -> &'static str {
        if self.kind == FolderKind::Tasks {
            "cal_todos"
        } else {
            "cal_events"
        }
    }

    /// The folder's items as vCard or iCalendar text, in the database's order.
    pub fn items(&self) -> Result<Vec<Found>> {
        let (file, items) = match &self.source {
            PimSource::AddressBook { file } => (file, cards(file)?),
            PimSource::MorkAddressBook { file } => {
                let book = MorkBook::read(file)?;
                (file, book.cards.into_iter().chain(book.lists).collect())
            }
            PimSource::Calendar { file, cal_id } => (
                file,
                calendar_items(file, cal_id, self.kind == FolderKind::Tasks)?,
            ),
        };
        Ok(items
            .into_iter()
            .map(|(row, bytes)| {
                Found::Message(RawMessage::new(
                    self.path.clone(),
                    bytes,
                    Origin::DatabaseRow {
                        database: file.clone(),
                        row,
                    },
                ))
            })
            .collect())
    }
}

/// Every card of an address book: (first row, vCard).
fn cards(file: &Path) -> Result<Vec<(i64, Vec<u8>)>> {
    let database = open(file, "the address book")?;
    let error = sql_error(file);
    let mut statement = database
        .connection
        .prepare("SELECT rowid, card, name, value FROM properties ORDER BY rowid")
        .map_err(&error)?;
    let rows = statement
        .query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, Option<String>>(3)?.unwrap_or_default(),
            ))
        })
        .map_err(&error)?;
    let mut order: Vec<(i64, String)> = Vec::new();
    let mut properties: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for row in rows {
        let (rowid, card, name, value) = row.map_err(&error)?;
        let card_properties = properties.entry(card.clone()).or_insert_with(|| {
            order.push((rowid, card));
            BTreeMap::new()
        });
        card_properties.insert(name, value);
    }
    let lists = mailing_lists(&database.connection, &properties).map_err(&error)?;
    Ok(order
        .into_iter()
        .map(|(rowid, card)| {
            let properties = properties.remove(&card).unwrap_or_default();
            let vcard = match properties.get("_vCard") {
                Some(vcard)
                    if vcard
                        .trim_start()
                        .to_ascii_uppercase()
                        .starts_with("BEGIN:VCARD") =>
                {
                    vcard.clone()
                }
                _ => vcard_from_index(&card, &properties),
            };
            (rowid, vcard.into_bytes())
        })
        .chain(lists)
        .collect())
}

/// The mailing lists of an address book (`lists`, their cards in `list_cards`) as group
/// vCards whose members are the cards' primary addresses, after the cards. A list's row is
/// its `lists` rowid, negated so that it is never taken for a card's.
fn mailing_lists(
    db: &Connection,
    cards: &BTreeMap<String, BTreeMap<String, String>>,
) -> rusqlite::Result<Vec<(i64, Vec<u8>)>> {
    if columns(db, "lists")?.is_empty() || columns(db, "list_cards")?.is_empty() {
        return Ok(Vec::new());
    }
    let mut statement =
        db.prepare("SELECT rowid, uid, name, description FROM lists ORDER BY rowid")?;
    let lists = statement
        .query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?.unwrap_or_default(),
                row.get::<_, Option<String>>(3)?.unwrap_or_default(),
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut members = db.prepare("SELECT card FROM list_cards WHERE list = ?1 ORDER BY rowid")?;
    let mut out = Vec::with_capacity(lists.len());
    for (rowid, uid, name, description) in lists {
        let cards_of_list = members
            .query_map([&uid], |row| row.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let members: Vec<(&str, Option<&BTreeMap<String, String>>)> = cards_of_list
            .iter()
            .map(|card| (card.as_str(), cards.get(card)))
            .collect();
        let list = MailingList {
            uid: &uid,
            name: &name,
            nickname: "",
            description: &description,
        };
        out.push((-rowid, group_vcard(&list, &members).into_bytes()));
    }
    Ok(out)
}

/// A mailing list's own fields.
struct MailingList<'a> {
    uid: &'a str,
    name: &'a str,
    nickname: &'a str,
    description: &'a str,
}

/// A mailing list as a group vCard whose members are the cards' primary addresses (with
/// their display names); a member card without one is named by its key, `key`, which
/// `convert/` lists in the notes. `members` are (key, the card's properties).
fn group_vcard(
    list: &MailingList,
    members: &[(&str, Option<&BTreeMap<String, String>>)],
) -> String {
    let mut text = String::from("BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:group\r\n");
    let _ = write!(
        text,
        "UID:{}\r\nFN:{}\r\n",
        escape_text(list.uid),
        escape_text(list.name)
    );
    if !list.nickname.trim().is_empty() {
        let _ = write!(text, "NICKNAME:{}\r\n", escape_text(list.nickname.trim()));
    }
    if !list.description.is_empty() {
        let _ = write!(text, "NOTE:{}\r\n", escape_text(list.description));
    }
    for (key, properties) in members {
        let get = |name: &str| {
            properties
                .and_then(|p| p.get(name))
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
        };
        match get("PrimaryEmail") {
            Some(email) => {
                let cn = get("DisplayName")
                    .map(|n| format!(";X-CN=\"{}\"", n.replace(['"', '\r', '\n'], "")))
                    .unwrap_or_default();
                let _ = write!(text, "MEMBER{cn}:mailto:{email}\r\n");
            }
            None => {
                let _ = write!(text, "MEMBER:urn:uuid:{key}\r\n");
            }
        }
    }
    text.push_str("END:VCARD\r\n");
    text
}

/// The Mork row scope of an address book's cards, and of its mailing lists.
const MORK_CARD_SCOPE: &str = "ns:addrbk:db:row:scope:card:all";
const MORK_LIST_SCOPE: &str = "ns:addrbk:db:row:scope:list:all";

/// What a `.mab` address book holds: its cards as vCards and its mailing lists as group
/// vCards, each with its row id (a list's negated, so that it is never taken for a card's).
struct MorkBook {
    cards: Vec<(i64, Vec<u8>)>,
    lists: Vec<(i64, Vec<u8>)>,
}

impl MorkBook {
    /// Reads every card and list row of the file's tables, each once, in table order. A list
    /// row (nsAddrDatabase.cpp before Thunderbird 78) has `ListName`, `ListNickName`,
    /// `ListDescription`, `ListTotalAddresses` and `Address1`…`AddressN`, each the row id of a
    /// member's card, in hexadecimal as Mork keeps numbers; a member whose card is gone is
    /// passed over, as Thunderbird does.
    fn read(file: &Path) -> Result<MorkBook> {
        let bytes = std::fs::read(file).map_err(|e| Error::io(file, e))?;
        let db = MorkDb::parse(&bytes).map_err(|e| Error::Format {
            path: file.to_path_buf(),
            what: format!("the address book cannot be read ({e})"),
        })?;
        let mut seen = std::collections::HashSet::new();
        let mut cards = Vec::new();
        let mut card_properties: BTreeMap<u64, BTreeMap<String, String>> = BTreeMap::new();
        let mut list_rows = Vec::new();
        for (_, table) in db.tables() {
            for (oid, row) in db.table_rows(table) {
                if !seen.insert(oid.clone()) {
                    continue;
                }
                let properties: BTreeMap<String, String> = row
                    .columns()
                    .filter_map(|column| Some((column.to_owned(), row.text(column)?)))
                    .collect();
                if &*oid.scope == MORK_LIST_SCOPE {
                    // No more members than the row has columns, whatever the count says.
                    let total = row
                        .hex("ListTotalAddresses")
                        .unwrap_or(0)
                        .min(row.columns().count() as u64);
                    let members: Vec<u64> = (1..=total)
                        .filter_map(|n| row.hex(&format!("Address{n}")))
                        .collect();
                    list_rows.push((oid.id, properties, members));
                } else if &*oid.scope == MORK_CARD_SCOPE {
                    let uid = properties
                        .get("RecordKey")
                        .cloned()
                        .unwrap_or_else(|| format!("{:x}", oid.id));
                    let row_id = i64::try_from(oid.id).unwrap_or(i64::MAX);
                    cards.push((row_id, vcard_from_index(&uid, &properties).into_bytes()));
                    card_properties.insert(oid.id, properties);
                }
            }
        }
        let lists = list_rows
            .into_iter()
            .map(|(id, properties, members)| {
                let get = |name: &str| properties.get(name).map(String::as_str).unwrap_or("");
                let uid = match get("UID") {
                    "" => format!("list-{id:x}"),
                    uid => uid.to_owned(),
                };
                let keys: Vec<String> = members
                    .iter()
                    .map(|m| {
                        card_properties
                            .get(m)
                            .and_then(|p| p.get("RecordKey").cloned())
                            .unwrap_or_else(|| format!("{m:x}"))
                    })
                    .collect();
                let members: Vec<(&str, Option<&BTreeMap<String, String>>)> = members
                    .iter()
                    .zip(&keys)
                    .filter_map(|(m, key)| Some((key.as_str(), Some(card_properties.get(m)?))))
                    .collect();
                let list = MailingList {
                    uid: &uid,
                    name: get("ListName"),
                    nickname: get("ListNickName"),
                    description: get("ListDescription"),
                };
                let row_id = -i64::try_from(id).unwrap_or(i64::MAX);
                (row_id, group_vcard(&list, &members).into_bytes())
            })
            .collect();
        Ok(MorkBook { cards, lists })
    }
}

/// A vCard 3.0 from the index rows Thunderbird kept before version 102.
fn vcard_from_index(uid: &str, p: &BTreeMap<String, String>) -> String {
    let get = |name: &str| p.get(name).map(String::as_str).unwrap_or_default();
    let mut out = String::from("BEGIN:VCARD\r\nVERSION:3.0\r\n");
    let mut line = |name: &str, value: String| {
        let _ = write!(out, "{name}:{value}\r\n");
    };
    line("UID", escape_text(uid));
    let full_name = [
        get("DisplayName").to_owned(),
        format!("{} {}", get("FirstName"), get("LastName"))
            .trim()
            .to_owned(),
        get("PrimaryEmail").to_owned(),
    ]
    .into_iter()
    .find(|n| !n.is_empty())
    .unwrap_or_default();
    line("FN", escape_text(&full_name));
    line(
        "N",
        format!(
            "{};{};;;",
            escape_text(get("LastName")),
            escape_text(get("FirstName"))
        ),
    );
    for (name, property) in [
        ("NickName", "NICKNAME"),
        ("JobTitle", "TITLE"),
        ("Notes", "NOTE"),
        ("WebPage1", "URL"),
    ] {
        if !get(name).is_empty() {
            line(property, escape_text(get(name)));
        }
    }
    if !get("Company").is_empty() || !get("Department").is_empty() {
        line(
            "ORG",
            format!(
                "{};{}",
                escape_text(get("Company")),
                escape_text(get("Department"))
            ),
        );
    }
    if !get("PrimaryEmail").is_empty() {
        line("EMAIL;TYPE=internet,pref", escape_text(get("PrimaryEmail")));
    }
    if !get("SecondEmail").is_empty() {
        line("EMAIL;TYPE=internet", escape_text(get("SecondEmail")));
    }
    for (name, kind) in [
        ("WorkPhone", "work,voice"),
        ("HomePhone", "home,voice"),
        ("CellularNumber", "cell"),
        ("FaxNumber", "fax"),
        ("PagerNumber", "pager"),
    ] {
        if !get(name).is_empty() {
            line(&format!("TEL;TYPE={kind}"), escape_text(get(name)));
        }
    }
    for (prefix, kind) in [("Home", "home"), ("Work", "work")] {
        let part = |field: &str| escape_text(get(&format!("{prefix}{field}")));
        let fields = [
            part("Address2"),
            part("Address"),
            part("City"),
            part("State"),
            part("ZipCode"),
            part("Country"),
        ];
        if fields.iter().any(|f| !f.is_empty()) {
            line(
                &format!("ADR;TYPE={kind}"),
                format!(";{}", fields.join(";")),
            );
        }
    }
    let (year, month, day) = (get("BirthYear"), get("BirthMonth"), get("BirthDay"));
    if let (Ok(month), Ok(day)) = (month.parse::<u32>(), day.parse::<u32>()) {
        match year.parse::<i32>() {
            Ok(year) => line("BDAY", format!("{year:04}{month:02}{day:02}")),
            Err(_) => line("BDAY", format!("--{month:02}{day:02}")),
        }
    }
    out.push_str("END:VCARD\r\n");
    out
}

/// One row of `cal_events` or `cal_todos`.
struct ItemRow {
    rowid: i64,
    id: String,
    title: Option<String>,
    priority: Option<i64>,
    privacy: Option<String>,
    status: Option<String>,
    flags: i64,
    /// (iCalendar name, time, zone) of the row's times.
    times: Vec<(&'static str, Option<i64>, Option<String>)>,
    created: Option<i64>,
    modified: Option<i64>,
    stamp: Option<i64>,
    recurrence_id: Option<i64>,
    recurrence_id_tz: Option<String>,
    percent_complete: Option<i64>,
}

/// Every event (or to-do) of one calendar as an iCalendar object: (first row, text).
fn calendar_items(file: &Path, cal_id: &str, todos: bool) -> Result<Vec<(i64, Vec<u8>)>> {
    let database = open(file, "the calendar")?;
    let db = &database.connection;
    let error = sql_error(file);
    let sql = if todos {
        "SELECT rowid, id, title, priority, privacy, ical_status, flags, time_created, \
         last_modified, todo_stamp, recurrence_id, recurrence_id_tz, todo_entry, todo_entry_tz, \
         todo_due, todo_due_tz, todo_completed, todo_completed_tz, todo_complete \
         FROM cal_todos WHERE cal_id = ?1 ORDER BY rowid"
    } else {
        "SELECT rowid, id, title, priority, privacy, ical_status, flags, time_created, \
         last_modified, event_stamp, recurrence_id, recurrence_id_tz, event_start, \
         event_start_tz, event_end, event_end_tz \
         FROM cal_events WHERE cal_id = ?1 ORDER BY rowid"
    };
    let mut statement = db.prepare(sql).map_err(&error)?;
    let rows = statement
        .query_map([cal_id], |row| {
            let mut times = vec![
                (
                    "DTSTART",
                    row.get::<_, Option<i64>>(12)?,
                    row.get::<_, Option<String>>(13)?,
                ),
                (
                    if todos { "DUE" } else { "DTEND" },
                    row.get::<_, Option<i64>>(14)?,
                    row.get::<_, Option<String>>(15)?,
                ),
            ];
            let mut percent_complete = None;
            if todos {
                times.push((
                    "COMPLETED",
                    row.get::<_, Option<i64>>(16)?,
                    Some("UTC".to_owned()),
                ));
                percent_complete = row.get::<_, Option<i64>>(18)?;
            }
            Ok(ItemRow {
                rowid: row.get(0)?,
                id: row.get(1)?,
                title: row.get(2)?,
                priority: row.get(3)?,
                privacy: row.get(4)?,
                status: row.get(5)?,
                flags: row.get::<_, Option<i64>>(6)?.unwrap_or(0),
                created: row.get(7)?,
                modified: row.get(8)?,
                stamp: row.get(9)?,
                recurrence_id: row.get(10)?,
                recurrence_id_tz: row.get(11)?,
                times,
                percent_complete,
            })
        })
        .map_err(&error)?;
    // The rows of one item (the series, then its changed occurrences), in first-row order.
    let mut order: Vec<String> = Vec::new();
    let mut by_id: BTreeMap<String, Vec<ItemRow>> = BTreeMap::new();
    for row in rows {
        let row = row.map_err(&error)?;
        let rows = by_id.entry(row.id.clone()).or_insert_with(|| {
            order.push(row.id.clone());
            Vec::new()
        });
        rows.push(row);
    }
    let mut items = Vec::with_capacity(order.len());
    for id in order {
        let mut rows = by_id.remove(&id).unwrap_or_default();
        rows.sort_by_key(|row| (row.recurrence_id.is_some(), row.rowid));
        let first_row = rows.iter().map(|r| r.rowid).min().unwrap_or(0);
        let mut text = String::from(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN\r\n",
        );
        for row in &rows {
            component(db, cal_id, todos, row, &mut text).map_err(&error)?;
        }
        text.push_str("END:VCALENDAR\r\n");
        items.push((first_row, text.into_bytes()));
    }
    Ok(items)
}

/// Writes one VEVENT or VTODO from its row and the rows that belong to it.
fn component(
    db: &Connection,
    cal_id: &str,
    todos: bool,
    row: &ItemRow,
    out: &mut String,
) -> rusqlite::Result<()> {
    let name = if todos { "VTODO" } else { "VEVENT" };
    let _ = write!(out, "BEGIN:{name}\r\nUID:{}\r\n", row.id);
    if let Some(title) = &row.title {
        let _ = write!(out, "SUMMARY:{}\r\n", escape_text(title));
    }
    let all_day = row.flags & FLAG_ALL_DAY != 0;
    for (property, time, zone) in &row.times {
        if let Some(time) = time {
            let date = all_day && *property != "COMPLETED";
            out.push_str(&ical_time(property, *time, zone.as_deref(), date));
        }
    }
    if let Some(recurrence_id) = row.recurrence_id {
        out.push_str(&ical_time(
            "RECURRENCE-ID",
            recurrence_id,
            row.recurrence_id_tz.as_deref(),
            row.flags & FLAG_RECURRENCE_ID_ALL_DAY != 0,
        ));
    }
    for (property, time) in [
        ("CREATED", row.created),
        ("LAST-MODIFIED", row.modified),
        ("DTSTAMP", row.stamp),
    ] {
        if let Some(time) = time {
            out.push_str(&ical_time(property, time, Some("UTC"), false));
        }
    }
    if let Some(priority) = row.priority.filter(|p| *p > 0) {
        let _ = write!(out, "PRIORITY:{priority}\r\n");
    }
    if let Some(privacy) = row.privacy.as_deref().filter(|p| !p.is_empty()) {
        let _ = write!(out, "CLASS:{privacy}\r\n");
    }
    if let Some(status) = row.status.as_deref().filter(|s| !s.is_empty()) {
        let _ = write!(out, "STATUS:{status}\r\n");
    }
    if let Some(percent) = row.percent_complete {
        let _ = write!(out, "PERCENT-COMPLETE:{percent}\r\n");
    }
    // Properties of this row (the series' or the changed occurrence's).
    let mut statement = db.prepare_cached(
        "SELECT key, value FROM cal_properties WHERE cal_id = ?1 AND item_id = ?2 \
         AND recurrence_id IS ?3 ORDER BY rowid",
    )?;
    let properties = statement
        .query_map(params![cal_id, row.id, row.recurrence_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let parameters = parameters(db, cal_id, &row.id, row.recurrence_id)?;
    for (key, value) in properties {
        let value = value.unwrap_or_default();
        let value = match key.as_str() {
            "DESCRIPTION" | "LOCATION" | "COMMENT" | "URL" => escape_text(&value),
            _ => value.replace("\r\n", "\\n").replace('\n', "\\n"),
        };
        let mut name = key.clone();
        for (parameter, parameter_value) in parameters.get(&key).into_iter().flatten() {
            let _ = write!(name, ";{parameter}={}", parameter_text(parameter_value));
        }
        let _ = write!(out, "{name}:{value}\r\n");
    }
    // Attachments and relations are iCalendar lines as stored.
    for table in ["cal_attachments", "cal_relations"] {
        lines(db, table, cal_id, &row.id, row.recurrence_id, true, out)?;
    }
    // The series' rules and exceptions are iCalendar lines as stored.
    if row.recurrence_id.is_none() {
        lines(db, "cal_recurrence", cal_id, &row.id, None, false, out)?;
    }
    lines(
        db,
        "cal_attendees",
        cal_id,
        &row.id,
        row.recurrence_id,
        true,
        out,
    )?;
    lines(
        db,
        "cal_alarms",
        cal_id,
        &row.id,
        row.recurrence_id,
        true,
        out,
    )?;
    let _ = write!(out, "END:{name}\r\n");
    Ok(())
}

/// The parameters of an item's properties (`cal_parameters`: property, parameter, value), by
/// property, in the order stored.
fn parameters(
    db: &Connection,
    cal_id: &str,
    item_id: &str,
    recurrence_id: Option<i64>,
) -> rusqlite::Result<BTreeMap<String, Vec<(String, String)>>> {
    let mut by_property: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    if columns(db, "cal_parameters")?.is_empty() {
        return Ok(by_property);
    }
    let mut statement = db.prepare_cached(
        "SELECT key1, key2, value FROM cal_parameters WHERE cal_id = ?1 AND item_id = ?2 \
         AND recurrence_id IS ?3 ORDER BY rowid",
    )?;
    let rows = statement.query_map(params![cal_id, item_id, recurrence_id], |r| {
        Ok((
            r.get::<_, Option<String>>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, Option<String>>(2)?,
        ))
    })?;
    for row in rows {
        if let (Some(property), Some(parameter), value) = row? {
            by_property
                .entry(property)
                .or_default()
                .push((parameter, value.unwrap_or_default()));
        }
    }
    Ok(by_property)
}

/// A parameter value as iCalendar writes it: quoted when it holds `:`, `;` or `,`
/// (RFC 5545 3.2); a double quote, which no value may hold, is left out.
fn parameter_text(value: &str) -> String {
    let value = value.replace('"', "");
    if value.contains([':', ';', ',']) {
        format!("\"{value}\"")
    } else {
        value
    }
}

/// Appends the `icalString` rows of a table for one item, each ending in CRLF.
fn lines(
    db: &Connection,
    table: &str,
    cal_id: &str,
    item_id: &str,
    recurrence_id: Option<i64>,
    by_occurrence: bool,
    out: &mut String,
) -> rusqlite::Result<()> {
    if columns(db, table)?.is_empty() {
        return Ok(());
    }
    let sql = if by_occurrence {
        format!(
            "SELECT icalString FROM {table} WHERE cal_id = ?1 AND item_id = ?2 \
             AND recurrence_id IS ?3 ORDER BY rowid"
        )
    } else {
        format!(
            "SELECT icalString FROM {table} WHERE cal_id = ?1 AND item_id = ?2 \
             AND ?3 IS NULL ORDER BY rowid"
        )
    };
    let mut statement = db.prepare_cached(&sql)?;
    let texts = statement
        .query_map(params![cal_id, item_id, recurrence_id], |r| {
            r.get::<_, Option<String>>(0)
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for text in texts.into_iter().flatten() {
        let text = text.trim_end_matches(['\r', '\n']);
        for line in text.lines() {
            out.push_str(line.trim_end_matches('\r'));
            out.push_str("\r\n");
        }
    }
    Ok(())
}

/// An iCalendar time property from Thunderbird's microseconds and zone: a date for all-day
/// items, UTC, floating (the stored fields as they are) or local time in its named zone.
fn ical_time(property: &str, micros: i64, zone: Option<&str>, date: bool) -> String {
    let Some(utc) = DateTime::<Utc>::from_timestamp_micros(micros) else {
        return String::new();
    };
    if date {
        return format!("{property};VALUE=DATE:{}\r\n", utc.format("%Y%m%d"));
    }
    match zone {
        None | Some("floating") => format!("{property}:{}\r\n", utc.format("%Y%m%dT%H%M%S")),
        Some(zone) if zone.eq_ignore_ascii_case("UTC") => {
            format!("{property}:{}\r\n", utc.format("%Y%m%dT%H%M%SZ"))
        }
        Some(zone) => match zone.parse::<chrono_tz::Tz>() {
            Ok(tz) => format!(
                "{property};TZID={zone}:{}\r\n",
                utc.with_timezone(&tz).format("%Y%m%dT%H%M%S")
            ),
            Err(_) => format!("{property}:{}\r\n", utc.format("%Y%m%dT%H%M%SZ")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_book_files_and_their_names() {
        assert!(is_book("abook.sqlite"));
        assert!(is_book("abook-12.sqlite"));
        assert!(is_book("history.sqlite"));
        assert!(!is_book("abook-x.sqlite"));
        assert!(!is_book("abook.sqlite-wal"));
        assert!(!is_book("abook.mab"));
        let (prefs, _) = Prefs::parse(
            "user_pref(\"ldap_2.servers.Friends.filename\", \"abook-1.sqlite\");\n\
             user_pref(\"ldap_2.servers.Friends.description\", \"Friends\");\n",
        );
        let name = |file: &str| book_name(Path::new(file), Some(&prefs));
        assert_eq!(name("abook-1.sqlite"), "Friends");
        assert_eq!(name("abook.sqlite"), "Personal Address Book");
        assert_eq!(name("history.sqlite"), "Collected Addresses");
        assert_eq!(name("abook-2.sqlite"), "abook-2");
        let mut books = vec![
            PathBuf::from("history.sqlite"),
            PathBuf::from("abook-10.sqlite"),
            PathBuf::from("abook-2.sqlite"),
            PathBuf::from("abook.sqlite"),
        ];
        books.sort_by_key(|p| book_order(p));
        assert_eq!(
            books,
            [
                "abook.sqlite",
                "abook-2.sqlite",
                "abook-10.sqlite",
                "history.sqlite"
            ]
            .map(PathBuf::from)
        );
    }

    /// A `.mab` laid out as Thunderbird 3–68 wrote them (`nsAddrDatabase.cpp`: the pab table
    /// in the card scope, a data row, card rows, a mailing list row).
    const MAB: &str = "// <!-- <mdb:mork:z v=\"1.4\"/> -->
< <(a=c)> // (f=iso-8859-1)
  (80=ns:addrbk:db:row:scope:card:all)
  (81=ns:addrbk:db:row:scope:list:all)
  (82=ns:addrbk:db:row:scope:data:all)(83=FirstName)(84=LastName)
  (87=DisplayName)(89=PrimaryEmail)(90=WorkPhone)(9C=HomeCity)(A8=Company)
  (BC=RecordKey)(BE=LastRecordKey)(BF=ns:addrbk:db:table:kind:pab)(C0=ListName)
  (C1=ListTotalAddresses)(C2=Address1)(C3=Address2)(C4=Address3)>
<(90=Grace)(91=Hopper)(92=Grace Hopper)(93=grace@example.org)(94=+1 555 0100)
  (95=Arlington)(96=1)(97=2)(98=Ada Lovelace)(99=ada@example.com)(9A=Pioneers)>
{1:^80 {(k^BF:c)(s=9)}
  [1:^82(^BE=3)]
  [1(^83^90)(^84^91)(^87^92)(^89^93)(^90^94)(^9C^95)(^BC^96)]
  [2(^87^98)(^89^99)(^BC^97)]
  [3:^81(^C0^9A)(^BC=3)(^C1=3)(^C2=2)(^C3=1)(^C4=1F)]}
";

    #[test]
    fn a_mork_address_book_gives_its_cards_and_lists() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("abook.mab");
        std::fs::write(&file, MAB).unwrap();
        let book = MorkBook::read(&file).unwrap();
        assert_eq!(book.cards.len(), 2);
        // The list's members in its Address columns' order; the third names no card.
        assert_eq!(book.lists.len(), 1);
        assert_eq!(book.lists[0].0, -3);
        assert_eq!(
            String::from_utf8(book.lists[0].1.clone()).unwrap(),
            "BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:group\r\nUID:list-3\r\nFN:Pioneers\r\n\
             MEMBER;X-CN=\"Ada Lovelace\":mailto:ada@example.com\r\n\
             MEMBER;X-CN=\"Grace Hopper\":mailto:grace@example.org\r\nEND:VCARD\r\n"
        );
        let grace = String::from_utf8(book.cards[0].1.clone()).unwrap();
        for line in [
            "FN:Grace Hopper\r\n",
            "N:Hopper;Grace;;;\r\n",
            "EMAIL;TYPE=internet,pref:grace@example.org\r\n",
            "TEL;TYPE=work,voice:+1 555 0100\r\n",
            "ADR;TYPE=home:;;;Arlington;;;\r\n",
        ] {
            assert!(grace.contains(line), "{line:?} in {grace}");
        }
        assert!(String::from_utf8_lossy(&book.cards[1].1).contains("FN:Ada Lovelace\r\n"));
        // Found beside the profile's other books; once moved into SQLite, read from there.
        let mut notes = Vec::new();
        let found = find(dir.path(), None, &mut notes);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].path.to_string(),
            "Address Books › Personal Address Book"
        );
        assert_eq!(found[0].count().unwrap().0, 3);
        std::fs::write(dir.path().join("abook.sqlite"), b"").unwrap();
        let found = find(dir.path(), None, &mut notes);
        assert!(matches!(found[0].source, PimSource::AddressBook { .. }));
        assert!(!is_mork_book("abook.msf") && is_mork_book("abook-3.mab"));
    }

    #[test]
    fn a_card_from_index_rows_becomes_a_vcard() {
        let rows: BTreeMap<String, String> = [
            ("FirstName", "Grace"),
            ("LastName", "Hopper"),
            ("PrimaryEmail", "grace@example.org"),
            ("Company", "US Navy; Reserve"),
            ("HomeCity", "Arlington"),
            ("BirthMonth", "12"),
            ("BirthDay", "9"),
            ("Notes", "line one\nline two"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let vcard = vcard_from_index("u1", &rows);
        for line in [
            "FN:Grace Hopper\r\n",
            "N:Hopper;Grace;;;\r\n",
            "EMAIL;TYPE=internet,pref:grace@example.org\r\n",
            "ORG:US Navy\\; Reserve;\r\n",
            "ADR;TYPE=home:;;;Arlington;;;\r\n",
            "BDAY:--1209\r\n",
            "NOTE:line one\\nline two\r\n",
        ] {
            assert!(vcard.contains(line), "{line:?} in {vcard}");
        }
    }

    #[test]
    fn parameters_attachments_and_relations_come_with_their_item() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("local.sqlite");
        let db = Connection::open(&file).unwrap();
        db.execute_batch(
            "CREATE TABLE cal_events (cal_id TEXT, id TEXT, time_created INTEGER,
                last_modified INTEGER, title TEXT, priority INTEGER, privacy TEXT,
                ical_status TEXT, flags INTEGER, event_start INTEGER, event_end INTEGER,
                event_stamp INTEGER, event_start_tz TEXT, event_end_tz TEXT,
                recurrence_id INTEGER, recurrence_id_tz TEXT);
             CREATE TABLE cal_properties (item_id TEXT, key TEXT, value TEXT,
                recurrence_id INTEGER, recurrence_id_tz TEXT, cal_id TEXT);
             CREATE TABLE cal_parameters (cal_id TEXT, item_id TEXT, recurrence_id INTEGER,
                recurrence_id_tz TEXT, key1 TEXT, key2 TEXT, value TEXT);
             CREATE TABLE cal_attachments (item_id TEXT, cal_id TEXT, recurrence_id INTEGER,
                recurrence_id_tz TEXT, icalString TEXT);
             CREATE TABLE cal_relations (cal_id TEXT, item_id TEXT, recurrence_id INTEGER,
                recurrence_id_tz TEXT, icalString TEXT);
             INSERT INTO cal_events (cal_id, id, title, flags, event_start, event_start_tz)
                VALUES ('c', 'e', 'Talk', 0, 1704704400000000, 'UTC');
             INSERT INTO cal_properties VALUES ('e', 'X-ALT-DESC', '<p>Hi</p>', NULL, NULL, 'c');
             INSERT INTO cal_parameters VALUES ('c', 'e', NULL, NULL, 'X-ALT-DESC', 'FMTTYPE',
                'text/html');
             INSERT INTO cal_parameters VALUES ('c', 'e', NULL, NULL, 'X-ALT-DESC', 'X-NOTE',
                'a;b');
             INSERT INTO cal_attachments VALUES ('e', 'c', NULL, NULL, 'ATTACH:https://x.example/a');
             INSERT INTO cal_relations VALUES ('c', 'e', NULL, NULL, 'RELATED-TO:parent-uid');",
        )
        .unwrap();
        drop(db);
        let items = calendar_items(&file, "c", false).unwrap();
        let text = String::from_utf8(items[0].1.clone()).unwrap();
        for line in [
            "X-ALT-DESC;FMTTYPE=text/html;X-NOTE=\"a;b\":<p>Hi</p>\r\n",
            "ATTACH:https://x.example/a\r\n",
            "RELATED-TO:parent-uid\r\n",
        ] {
            assert!(text.contains(line), "{line:?} in {text}");
        }
    }

    #[test]
    fn times_keep_their_zone_floating_or_date() {
        // 2024-01-08 09:00 UTC.
        let at = 1_704_704_400_000_000;
        assert_eq!(
            ical_time("DTSTART", at, Some("Europe/Berlin"), false),
            "DTSTART;TZID=Europe/Berlin:20240108T100000\r\n"
        );
        assert_eq!(
            ical_time("DTSTART", at, Some("UTC"), false),
            "DTSTART:20240108T090000Z\r\n"
        );
        assert_eq!(
            ical_time("DTSTART", at, Some("floating"), false),
            "DTSTART:20240108T090000\r\n"
        );
        assert_eq!(
            ical_time("DTSTART", at, Some("floating"), true),
            "DTSTART;VALUE=DATE:20240108\r\n"
        );
    }
}
