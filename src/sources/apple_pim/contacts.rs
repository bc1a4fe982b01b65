//! macOS Contacts (Address Book): `~/Library/Application Support/AddressBook/AddressBook-v22.abcddb`
//! and one `Sources/<UUID>/AddressBook-v22.abcddb` per account (iCloud, Exchange, CardDAV, On
//! My Mac). Each database is a Core Data store (docs/formats.md §10.1): the entities are named
//! in `Z_PRIMARYKEY` (`ABCDContact`, `ABCDGroup`, …) and their rows are in `ZABCDRECORD`; e-mail
//! addresses, phone numbers, postal addresses and web pages are rows of `ZABCDEMAILADDRESS`,
//! `ZABCDPHONENUMBER`, `ZABCDPOSTALADDRESS` and `ZABCDURLADDRESS` whose `ZOWNER` is the
//! contact's `Z_PK`, as are instant messaging addresses (`ZABCDMESSAGINGADDRESS`) and social
//! profiles (`ZABCDSOCIALPROFILE`); notes are `ZABCDNOTE` rows by `ZCONTACT`. Labels are Apple's
//! (`_$!<Home>!$_`, `_$!<Mobile>!$_`, …); dates are seconds since 2001-01-01 (a birthday
//! without a year is in 1604).
//!
//! A group's members are rows of `Z_<contact>PARENTGROUPS`, named after the entity numbers.
//!
//! Each contact is written as a vCard 3.0, and each group as a group vCard of its members'
//! addresses, which `convert/` reads as it reads `.vcf` files.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use base64::Engine as _;
use chrono::{DateTime, Datelike as _, Utc};
use rusqlite::Connection;

use crate::sources::pim::escape_text;
use crate::sources::sqlite::{ReadOnlyDatabase, column_or_null, columns};
use crate::sources::{Error, Result};

/// The file name of an address book database.
pub const DATABASE: &str = "AddressBook-v22.abcddb";
/// Seconds from 1970-01-01 to 2001-01-01, Core Data's epoch.
const CORE_DATA_EPOCH: i64 = 978_307_200;
/// The year Contacts stores for a birthday without one.
const NO_YEAR: i32 = 1604;

fn open(file: &Path) -> Result<ReadOnlyDatabase> {
    ReadOnlyDatabase::open(file, "the address book")
}

fn sql_error(file: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| Error::Format {
        path: file.to_path_buf(),
        what: format!("not an address book this app can read ({e})"),
    }
}

/// The records of one entity (`ABCDContact`, `ABCDGroup`): a condition on `ZABCDRECORD`.
fn of_entity(name: &str) -> String {
    format!("Z_ENT IN (SELECT Z_ENT FROM Z_PRIMARYKEY WHERE Z_NAME = '{name}')")
}

/// What one address book database holds: its account's name, contacts and groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookSummary {
    /// The name of its account, when the database names it.
    pub name: Option<String>,
    pub contacts: u64,
    pub groups: u64,
    /// True when the table of the groups' members is found: the groups are then items
    /// (distribution lists) too.
    pub groups_readable: bool,
    /// Set when the database could only be read without its `-wal` (the latest changes).
    pub note: Option<String>,
}

/// Counts the contacts and groups of a database, and reads its account's name.
pub fn summary(file: &Path) -> Result<BookSummary> {
    let database = open(file)?;
    let db = &database.connection;
    let error = sql_error(file);
    let count = |entity: &str| -> Result<u64> {
        let n: i64 = db
            .query_row(
                &format!(
                    "SELECT count(*) FROM ZABCDRECORD WHERE {}",
                    of_entity(entity)
                ),
                [],
                |row| row.get(0),
            )
            .map_err(&error)?;
        Ok(u64::try_from(n).unwrap_or(0))
    };
    let record_columns = columns(db, "ZABCDRECORD").map_err(&error)?;
    let name = if record_columns.iter().any(|c| c == "ZNAME") {
        db.query_row(
            &format!(
                "SELECT ZNAME FROM ZABCDRECORD WHERE {} AND ZNAME <> '' ORDER BY Z_PK",
                of_entity("ABCDContainer")
            ),
            [],
            |row| row.get::<_, Option<String>>(0),
        )
        .ok()
        .flatten()
    } else {
        None
    };
    Ok(BookSummary {
        name,
        contacts: count("ABCDContact")?,
        groups: count("ABCDGroup")?,
        groups_readable: membership_table(db).map_err(&error)?.is_some(),
        note: database.note.clone(),
    })
}

/// The table that joins groups to their member contacts, with its contact and group columns.
/// Core Data names a many-to-many table after its entities' numbers (`Z_PRIMARYKEY`): the
/// contact entity's `parentGroups` relationship is `Z_<contact>PARENTGROUPS`, with
/// `Z_<contact>CONTACTS` and `Z_<group>PARENTGROUPS1` (`Z_22PARENTGROUPS`, `Z_22CONTACTS`,
/// `Z_19PARENTGROUPS1` in current macOS; docs/formats.md §10.1).
fn membership_table(db: &Connection) -> rusqlite::Result<Option<(String, String, String)>> {
    let entity = |name: &str| -> rusqlite::Result<Option<i64>> {
        match db.query_row(
            "SELECT Z_ENT FROM Z_PRIMARYKEY WHERE Z_NAME = ?1",
            [name],
            |row| row.get(0),
        ) {
            Ok(number) => Ok(Some(number)),
            Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
            Err(e) => Err(e),
        }
    };
    let (Some(contact), Some(group)) = (entity("ABCDContact")?, entity("ABCDGroup")?) else {
        return Ok(None);
    };
    let table = format!("Z_{contact}PARENTGROUPS");
    let present = columns(db, &table)?;
    let contact_column = format!("Z_{contact}CONTACTS");
    let group_prefix = format!("Z_{group}PARENTGROUPS");
    let group_column = present
        .iter()
        .find(|c| **c == format!("{group_prefix}1"))
        .or_else(|| present.iter().find(|c| **c == group_prefix));
    Ok(match group_column {
        Some(group_column) if present.contains(&contact_column) => {
            Some((table, contact_column, group_column.clone()))
        }
        _ => None,
    })
}

/// Every group of the database whose members can be read, as a group vCard (`KIND:group`)
/// whose members are their contacts' primary addresses (with their names), or their
/// identifiers when they have none: (`Z_PK`, vCard).
fn groups(db: &Connection) -> rusqlite::Result<Vec<(i64, Vec<u8>)>> {
    let Some((table, contact_column, group_column)) = membership_table(db)? else {
        return Ok(Vec::new());
    };
    let present = columns(db, "ZABCDRECORD")?;
    let mut statement = db.prepare(&format!(
        "SELECT Z_PK, {}, {} FROM ZABCDRECORD WHERE {} ORDER BY Z_PK",
        column_or_null(&present, "ZABCDRECORD", "ZNAME"),
        column_or_null(&present, "ZABCDRECORD", "ZUNIQUEID"),
        of_entity("ABCDGroup")
    ))?;
    let groups = statement
        .query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, Option<String>>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let name_of = |column: &str| column_or_null(&present, "r", column);
    let email_columns = columns(db, "ZABCDEMAILADDRESS")?;
    let email = if ["ZOWNER", "ZADDRESS"]
        .iter()
        .all(|c| email_columns.iter().any(|p| p == c))
    {
        let mut order = Vec::new();
        for column in ["ZISPRIMARY DESC", "ZORDERINGINDEX"] {
            let name = column.split(' ').next().unwrap_or(column);
            if email_columns.iter().any(|c| c == name) {
                order.push(format!("e.{column}"));
            }
        }
        order.push("e.Z_PK".to_owned());
        format!(
            "(SELECT e.ZADDRESS FROM ZABCDEMAILADDRESS e WHERE e.ZOWNER = r.Z_PK AND \
             TRIM(IFNULL(e.ZADDRESS, '')) <> '' ORDER BY {} LIMIT 1)",
            order.join(", ")
        )
    } else {
        "NULL".to_owned()
    };
    let mut members = db.prepare(&format!(
        "SELECT r.Z_PK, {}, {}, {}, {}, {email} FROM {table} m JOIN ZABCDRECORD r \
         ON r.Z_PK = m.{contact_column} WHERE m.{group_column} = ?1 ORDER BY r.Z_PK",
        name_of("ZFIRSTNAME"),
        name_of("ZLASTNAME"),
        name_of("ZORGANIZATION"),
        name_of("ZUNIQUEID"),
    ))?;
    let mut out = Vec::with_capacity(groups.len());
    for (pk, name, uid) in groups {
        let mut text = String::from("BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:group\r\n");
        if let Some(uid) = non_empty(&uid) {
            text.push_str(&format!("UID:{}\r\n", escape_text(uid)));
        }
        let name = non_empty(&name).unwrap_or("Group");
        text.push_str(&format!("FN:{}\r\n", escape_text(name)));
        let mut rows = members.query([pk])?;
        while let Some(row) = rows.next()? {
            let member_pk: i64 = row.get(0)?;
            let person: Vec<String> = [row.get::<_, Option<String>>(1)?, row.get(2)?]
                .into_iter()
                .flatten()
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect();
            let display = if person.is_empty() {
                row.get::<_, Option<String>>(3)?.unwrap_or_default()
            } else {
                person.join(" ")
            };
            match row.get::<_, Option<String>>(5)? {
                Some(address) => {
                    let cn = if display.trim().is_empty() {
                        String::new()
                    } else {
                        format!(";X-CN=\"{}\"", display.replace(['"', '\r', '\n'], ""))
                    };
                    text.push_str(&format!("MEMBER{cn}:mailto:{}\r\n", address.trim()));
                }
                None => {
                    let key = row
                        .get::<_, Option<String>>(4)?
                        .unwrap_or_else(|| member_pk.to_string());
                    text.push_str(&format!("MEMBER:urn:uuid:{key}\r\n"));
                }
            }
        }
        text.push_str("END:VCARD\r\n");
        out.push((pk, text.into_bytes()));
    }
    Ok(out)
}

/// The columns of `ZABCDRECORD` a contact is built from, in this order.
const RECORD_COLUMNS: &[&str] = &[
    "Z_PK",
    "ZUNIQUEID",
    "ZFIRSTNAME",
    "ZLASTNAME",
    "ZMIDDLENAME",
    "ZTITLE",
    "ZSUFFIX",
    "ZNICKNAME",
    "ZORGANIZATION",
    "ZDEPARTMENT",
    "ZJOBTITLE",
    "ZBIRTHDAY",
    "ZDISPLAYFLAGS",
    "ZTHUMBNAILIMAGEDATA",
];

/// One contact's record.
#[derive(Default)]
struct Record {
    pk: i64,
    uid: Option<String>,
    first: Option<String>,
    last: Option<String>,
    middle: Option<String>,
    prefix: Option<String>,
    suffix: Option<String>,
    nickname: Option<String>,
    organization: Option<String>,
    department: Option<String>,
    job_title: Option<String>,
    birthday: Option<f64>,
    is_company: bool,
    thumbnail: Option<Vec<u8>>,
    lines: Vec<String>,
}

/// Every contact of the database, in `Z_PK` order, then its groups: (`Z_PK`, vCard).
pub fn cards(file: &Path) -> Result<Vec<(i64, Vec<u8>)>> {
    let database = open(file)?;
    let db = &database.connection;
    let error = sql_error(file);
    let present = columns(db, "ZABCDRECORD").map_err(&error)?;
    let select: Vec<String> = RECORD_COLUMNS
        .iter()
        .map(|c| column_or_null(&present, "r", c))
        .collect();
    let sql = format!(
        "SELECT {} FROM ZABCDRECORD r WHERE r.{} ORDER BY r.Z_PK",
        select.join(", "),
        of_entity("ABCDContact")
    );
    let mut statement = db.prepare(&sql).map_err(&error)?;
    let rows = statement
        .query_map([], |row| {
            Ok(Record {
                pk: row.get(0)?,
                uid: row.get(1)?,
                first: row.get(2)?,
                last: row.get(3)?,
                middle: row.get(4)?,
                prefix: row.get(5)?,
                suffix: row.get(6)?,
                nickname: row.get(7)?,
                organization: row.get(8)?,
                department: row.get(9)?,
                job_title: row.get(10)?,
                birthday: row.get(11)?,
                is_company: row.get::<_, Option<i64>>(12)?.unwrap_or(0) & 1 == 1,
                thumbnail: row.get(13)?,
                lines: Vec::new(),
            })
        })
        .map_err(&error)?;
    let mut records: BTreeMap<i64, Record> = BTreeMap::new();
    for record in rows {
        let record = record.map_err(&error)?;
        records.insert(record.pk, record);
    }
    add_values(db, &mut records).map_err(&error)?;
    let groups = groups(db).map_err(&error)?;
    Ok(records
        .into_values()
        .map(|record| (record.pk, vcard(&record).into_bytes()))
        .chain(groups)
        .collect())
}

/// One kind of labelled value: its table, its value columns, and how it becomes a vCard line.
struct ValueTable {
    table: &'static str,
    owner: &'static str,
    values: &'static [&'static str],
    line: fn(label: &str, values: &[String]) -> Option<String>,
}

const VALUE_TABLES: &[ValueTable] = &[
    ValueTable {
        table: "ZABCDEMAILADDRESS",
        owner: "ZOWNER",
        values: &["ZADDRESS"],
        line: |label, v| {
            let types = type_param(label, &["internet"]);
            Some(format!("EMAIL{types}:{}", escape_text(&v[0])))
        },
    },
    ValueTable {
        table: "ZABCDPHONENUMBER",
        owner: "ZOWNER",
        values: &["ZFULLNUMBER"],
        line: |label, v| {
            let types = type_param(label, &["voice"]);
            Some(format!("TEL{types}:{}", escape_text(&v[0])))
        },
    },
    ValueTable {
        table: "ZABCDPOSTALADDRESS",
        owner: "ZOWNER",
        values: &["ZSTREET", "ZCITY", "ZSTATE", "ZZIPCODE", "ZCOUNTRYNAME"],
        line: |label, v| {
            let parts: Vec<String> = v.iter().map(|p| escape_text(p)).collect();
            Some(format!(
                "ADR{}:;;{}",
                type_param(label, &[]),
                parts.join(";")
            ))
        },
    },
    ValueTable {
        table: "ZABCDURLADDRESS",
        owner: "ZOWNER",
        values: &["ZURL"],
        line: |label, v| {
            Some(format!(
                "URL{}:{}",
                type_param(label, &[]),
                escape_text(&v[0])
            ))
        },
    },
    ValueTable {
        table: "ZABCDRELATEDNAME",
        owner: "ZOWNER",
        values: &["ZNAME"],
        line: |label, v| {
            (label == "_$!<Spouse>!$_").then(|| format!("X-SPOUSE:{}", escape_text(&v[0])))
        },
    },
    ValueTable {
        table: "ZABCDNOTE",
        owner: "ZCONTACT",
        values: &["ZTEXT"],
        line: |_, v| Some(format!("NOTE:{}", escape_text(&v[0]))),
    },
];

/// Adds each contact's e-mail addresses, phones, postal addresses, web pages, spouse, notes
/// and anniversary, the primary one of each kind first, then in Contacts' order.
fn add_values(db: &Connection, records: &mut BTreeMap<i64, Record>) -> rusqlite::Result<()> {
    for table in VALUE_TABLES {
        let present = columns(db, table.table)?;
        if !present.iter().any(|c| c == table.owner) {
            continue;
        }
        let values: Vec<String> = table
            .values
            .iter()
            .map(|c| column_or_null(&present, "t", c))
            .collect();
        let mut order = vec![format!("t.{}", table.owner)];
        for column in ["ZISPRIMARY DESC", "ZORDERINGINDEX"] {
            let name = column.split(' ').next().unwrap_or(column);
            if present.iter().any(|c| c == name) {
                order.push(format!("t.{column}"));
            }
        }
        order.push("t.Z_PK".to_owned());
        let sql = format!(
            "SELECT t.{}, {}, {} FROM {} t ORDER BY {}",
            table.owner,
            column_or_null(&present, "t", "ZLABEL"),
            values.join(", "),
            table.table,
            order.join(", ")
        );
        let mut statement = db.prepare(&sql)?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let Some(owner) = row.get::<_, Option<i64>>(0)? else {
                continue;
            };
            let label = row.get::<_, Option<String>>(1)?.unwrap_or_default();
            let mut fields = Vec::with_capacity(table.values.len());
            for index in 0..table.values.len() {
                fields.push(text_of(row.get_ref(index + 2)?));
            }
            if fields.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            if let (Some(record), Some(line)) =
                (records.get_mut(&owner), (table.line)(&label, &fields))
            {
                record.lines.push(line);
            }
        }
    }
    // Instant messaging addresses name their service in ZABCDSERVICE; social profiles are a
    // service and a user name (abcddb2vcard's `Service` and `SocialProfile`).
    let messaging = columns(db, "ZABCDMESSAGINGADDRESS")?;
    let services = columns(db, "ZABCDSERVICE")?;
    if ["ZOWNER", "ZADDRESS"]
        .iter()
        .all(|c| messaging.iter().any(|p| p == c))
    {
        let service = if messaging.iter().any(|c| c == "ZSERVICE")
            && services.iter().any(|c| c == "ZSERVICENAME")
        {
            "(SELECT s.ZSERVICENAME FROM ZABCDSERVICE s WHERE s.Z_PK = m.ZSERVICE)"
        } else {
            "NULL"
        };
        let mut statement = db.prepare(&format!(
            "SELECT m.ZOWNER, m.ZADDRESS, {service} FROM ZABCDMESSAGINGADDRESS m ORDER BY m.Z_PK"
        ))?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let (Some(owner), Some(address)) = (
                row.get::<_, Option<i64>>(0)?,
                row.get::<_, Option<String>>(1)?,
            ) else {
                continue;
            };
            let service = row.get::<_, Option<String>>(2)?.unwrap_or_default();
            let service = service.trim_end_matches("Instant");
            if let Some(record) = records.get_mut(&owner) {
                let parameter = if service.is_empty() {
                    String::new()
                } else {
                    format!(";X-SERVICE-TYPE={}", escape_text(service))
                };
                record
                    .lines
                    .push(format!("IMPP{parameter}:{}", escape_text(address.trim())));
            }
        }
    }
    let social = columns(db, "ZABCDSOCIALPROFILE")?;
    if ["ZOWNER", "ZUSERNAME"]
        .iter()
        .all(|c| social.iter().any(|p| p == c))
    {
        let service = column_or_null(&social, "p", "ZSERVICENAME");
        let mut statement = db.prepare(&format!(
            "SELECT p.ZOWNER, p.ZUSERNAME, {service} FROM ZABCDSOCIALPROFILE p ORDER BY p.Z_PK"
        ))?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let (Some(owner), Some(user)) = (
                row.get::<_, Option<i64>>(0)?,
                row.get::<_, Option<String>>(1)?,
            ) else {
                continue;
            };
            let service = row.get::<_, Option<String>>(2)?.unwrap_or_default();
            if let Some(record) = records.get_mut(&owner) {
                let parameter = if service.is_empty() {
                    String::new()
                } else {
                    format!(";TYPE={}", escape_text(&service.to_lowercase()))
                };
                record.lines.push(format!(
                    "X-SOCIALPROFILE{parameter}:{}",
                    escape_text(user.trim())
                ));
            }
        }
    }
    // Anniversaries are dates with Apple's label.
    let present = columns(db, "ZABCDCONTACTDATE")?;
    if ["ZOWNER", "ZLABEL", "ZDATE"]
        .iter()
        .all(|c| present.iter().any(|p| p == c))
    {
        let mut statement =
            db.prepare("SELECT ZOWNER, ZDATE FROM ZABCDCONTACTDATE WHERE ZLABEL = '_$!<Anniversary>!$_' ORDER BY Z_PK")?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let (Some(owner), Some(date)) =
                (row.get::<_, Option<i64>>(0)?, row.get::<_, Option<f64>>(1)?)
            else {
                continue;
            };
            if let (Some(record), Some(date)) = (records.get_mut(&owner), vcard_date(date)) {
                record.lines.push(format!("ANNIVERSARY:{date}"));
            }
        }
    }
    Ok(())
}

/// A value as text, whatever SQLite type it was stored with.
fn text_of(value: rusqlite::types::ValueRef<'_>) -> String {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(r) => r.to_string(),
        ValueRef::Null => String::new(),
    }
}

/// The vCard `TYPE` parameter for one of Contacts' labels, after `base` types. Labels a
/// person typed have no type.
fn type_param(label: &str, base: &[&str]) -> String {
    let from_label: &[&str] = match label {
        "_$!<Home>!$_" => &["home"],
        "_$!<Work>!$_" => &["work"],
        "_$!<Mobile>!$_" => &["cell"],
        "iPhone" => &["iphone", "cell"],
        "_$!<Main>!$_" => &["main"],
        "_$!<HomeFAX>!$_" => &["home", "fax"],
        "_$!<WorkFAX>!$_" => &["work", "fax"],
        "_$!<OtherFAX>!$_" => &["fax"],
        "_$!<Pager>!$_" => &["pager"],
        "_$!<HomePage>!$_" => &["home"],
        _ => &[],
    };
    // A fax or pager number is not a voice line.
    let base: Vec<&str> = if from_label.iter().any(|t| *t == "fax" || *t == "pager") {
        Vec::new()
    } else {
        base.to_vec()
    };
    let types: Vec<&str> = base.into_iter().chain(from_label.iter().copied()).collect();
    if types.is_empty() {
        String::new()
    } else {
        format!(";TYPE={}", types.join(","))
    }
}

/// A Core Data date as a vCard date: `YYYYMMDD`, or `--MMDD` without a year. Contacts keeps
/// dates at noon (or midnight) UTC, so the UTC date is the date.
fn vcard_date(seconds: f64) -> Option<String> {
    if !seconds.is_finite() {
        return None;
    }
    let at = DateTime::<Utc>::from_timestamp(seconds.round() as i64 + CORE_DATA_EPOCH, 0)?;
    Some(if at.year() == NO_YEAR {
        format!("--{:02}{:02}", at.month(), at.day())
    } else {
        format!("{:04}{:02}{:02}", at.year(), at.month(), at.day())
    })
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The picture Contacts keeps: a JPEG or PNG after a one-byte marker (or without one).
fn picture(data: &[u8]) -> Option<(&'static str, &[u8])> {
    let kind = |d: &[u8]| {
        if d.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some("JPEG")
        } else if d.starts_with(b"\x89PNG") {
            Some("PNG")
        } else {
            None
        }
    };
    kind(data)
        .map(|k| (k, data))
        .or_else(|| kind(data.get(1..)?).map(|k| (k, &data[1..])))
}

/// The vCard 3.0 of one contact.
fn vcard(record: &Record) -> String {
    let mut out = String::from("BEGIN:VCARD\r\nVERSION:3.0\r\n");
    let mut line = |text: &str| {
        out.push_str(text);
        out.push_str("\r\n");
    };
    if let Some(uid) = non_empty(&record.uid) {
        line(&format!("UID:{}", escape_text(uid)));
    }
    let person: Vec<&str> = [
        &record.prefix,
        &record.first,
        &record.middle,
        &record.last,
        &record.suffix,
    ]
    .into_iter()
    .filter_map(non_empty)
    .collect();
    let person = person.join(" ");
    let company = non_empty(&record.organization).unwrap_or_default();
    let full_name = if record.is_company && !company.is_empty() || person.is_empty() {
        company.to_owned()
    } else {
        person
    };
    line(&format!("FN:{}", escape_text(&full_name)));
    let part = |v: &Option<String>| escape_text(non_empty(v).unwrap_or_default());
    line(&format!(
        "N:{};{};{};{};{}",
        part(&record.last),
        part(&record.first),
        part(&record.middle),
        part(&record.prefix),
        part(&record.suffix)
    ));
    if let Some(nickname) = non_empty(&record.nickname) {
        line(&format!("NICKNAME:{}", escape_text(nickname)));
    }
    if !company.is_empty() || non_empty(&record.department).is_some() {
        line(&format!(
            "ORG:{};{}",
            escape_text(company),
            part(&record.department)
        ));
    }
    if let Some(title) = non_empty(&record.job_title) {
        line(&format!("TITLE:{}", escape_text(title)));
    }
    if let Some(date) = record.birthday.and_then(vcard_date) {
        line(&format!("BDAY:{date}"));
    }
    for value in &record.lines {
        line(value);
    }
    if let Some((kind, data)) = record.thumbnail.as_deref().and_then(picture) {
        let mut photo = format!("PHOTO;ENCODING=b;TYPE={kind}:");
        let _ = write!(
            photo,
            "{}",
            base64::engine::general_purpose::STANDARD.encode(data)
        );
        line(&photo);
    }
    out.push_str("END:VCARD\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_become_vcard_types() {
        assert_eq!(type_param("_$!<Mobile>!$_", &["voice"]), ";TYPE=voice,cell");
        assert_eq!(type_param("_$!<WorkFAX>!$_", &["voice"]), ";TYPE=work,fax");
        assert_eq!(type_param("Boat", &["internet"]), ";TYPE=internet");
        assert_eq!(type_param("Boat", &[]), "");
    }

    #[test]
    fn dates_with_and_without_a_year() {
        // 1815-12-10 12:00 UTC and 1604-04-15 12:00 UTC, as seconds since 2001.
        let at = |y, m, d| {
            chrono::NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(12, 0, 0)
                .unwrap()
                .and_utc()
                .timestamp()
                - CORE_DATA_EPOCH
        };
        assert_eq!(
            vcard_date(at(1815, 12, 10) as f64).as_deref(),
            Some("18151210")
        );
        assert_eq!(
            vcard_date(at(1604, 4, 15) as f64).as_deref(),
            Some("--0415")
        );
    }

    #[test]
    fn a_picture_after_apples_marker_byte() {
        let jpeg = [1u8, 0xFF, 0xD8, 0xFF, 0xE0];
        assert_eq!(picture(&jpeg), Some(("JPEG", &jpeg[1..])));
        assert_eq!(picture(b"\x89PNG.."), Some(("PNG", &b"\x89PNG.."[..])));
        assert_eq!(picture(b"GIF89a"), None);
    }
}
