//! A Mac's Contacts and Calendar, built in a temporary home folder as macOS lays them out,
//! found by discovery, converted with `mail2pst convert` from the folders a person would
//! point at, and read back by independent readers (outlook-pst, walked by `source_pim`, and
//! pstcheck's libpff and pst-extractor).
//!
//! No Mac wrote these files. The address book databases follow the Core Data schema as
//! published by forensic and export tools: the kb.macfor "AddressBook Database" page
//! (`ZABCDRECORD` with `Z_ENT` named in `Z_PRIMARYKEY`, `Sources/<UUID>/` per account, dates
//! in seconds since 2001), relikd/abcddb2vcard's `ABCDDB.py` (the columns of
//! `ZABCDEMAILADDRESS`, `ZABCDPHONENUMBER`, `ZABCDPOSTALADDRESS`, `ZABCDURLADDRESS`,
//! `ZABCDNOTE`, Apple's `_$!<…>!$_` labels, the picture's marker byte) and the bikeshed.coffee
//! note on birthdays (noon UTC, year 1604 when there is none). The calendars follow the
//! `~/Library/Calendars/<UUID>.calendar/{Info.plist, Events/*.ics}` layout of the kb.macfor
//! "Calendar" page and Norman Walsh's "Connecting the dots" (accounts' calendars one level
//! down in `<UUID>.caldav/`). Calendar's database of macOS 14 and later follows the tables of
//! the macOS `Calendar.sqlitedb` that ajrosen/icalPal keeps as a test fixture, read as iLEAPP's
//! `calendarAll.py` and icalPal's `event.rb` read them (see `write_calendar_database`).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use mail2pst::engine::Status;
use mail2pst::model::{FolderKind, StoreKind};
use mail2pst::sources;
use mail2pst::sources::discover::{SearchRoots, SystemLayout, discover_in};

use crate::engine_common::{demo, fingerprint, key_text, read_with, run, spec};
use crate::source_pim::{
    PSETID_ADDRESS, PSETID_APPOINTMENT, PSETID_TASK, binary, integer, item, minutes, one_off,
    read_items, time, weekly_occurrences,
};
use crate::util::temp_dir;

const ADDRESS_BOOK: &str = "Library/Application Support/AddressBook";
const ICLOUD: &str = "4B0C659C-EAAB-4B76-9509-E90B50CCAF88";
const LOCAL: &str = "8FC78B57-1132-49D2-B71D-E47C75B538BF";
const CALENDARS: &str = "Library/Calendars";
const HOME_CALENDAR: &str = "1F2A3B4C-0000-4000-8000-00000000A001.calendar";
const ACCOUNT: &str = "5CE21AE9-0000-4000-8000-00000000B002.caldav";
const WORK_CALENDAR: &str = "952A7703-0000-4000-8000-00000000C003.calendar";

/// The tables of `AddressBook-v22.abcddb` the reader uses (Core Data: `Z_PK`, `Z_ENT`,
/// `Z_OPT` on every table; entity numbers as the kb.macfor page lists them; the groups'
/// members in `Z_22PARENTGROUPS`, named after those numbers, as public readers of the
/// database read it — docs/formats.md §10.1).
const ADDRESS_BOOK_SCHEMA: &str = "
    CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER,
        Z_MAX INTEGER);
    INSERT INTO Z_PRIMARYKEY VALUES (19, 'ABCDGroup', 0, 0), (22, 'ABCDContact', 0, 0),
        (25, 'ABCDContainer', 0, 0);
    CREATE TABLE ZABCDRECORD (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
        ZCONTAINER1 INTEGER, ZDISPLAYFLAGS INTEGER, ZBIRTHDAY TIMESTAMP,
        ZCREATIONDATE TIMESTAMP, ZMODIFICATIONDATE TIMESTAMP, ZFIRSTNAME VARCHAR,
        ZLASTNAME VARCHAR, ZMIDDLENAME VARCHAR, ZTITLE VARCHAR, ZSUFFIX VARCHAR,
        ZNICKNAME VARCHAR, ZORGANIZATION VARCHAR, ZDEPARTMENT VARCHAR, ZJOBTITLE VARCHAR,
        ZNAME VARCHAR, ZUNIQUEID VARCHAR, ZTHUMBNAILIMAGEDATA BLOB);
    CREATE TABLE ZABCDEMAILADDRESS (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
        ZISPRIMARY INTEGER, ZORDERINGINDEX INTEGER, ZOWNER INTEGER, ZADDRESS VARCHAR,
        ZLABEL VARCHAR);
    CREATE TABLE ZABCDPHONENUMBER (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
        ZISPRIMARY INTEGER, ZORDERINGINDEX INTEGER, ZOWNER INTEGER, ZFULLNUMBER VARCHAR,
        ZLABEL VARCHAR);
    CREATE TABLE ZABCDPOSTALADDRESS (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
        ZISPRIMARY INTEGER, ZORDERINGINDEX INTEGER, ZOWNER INTEGER, ZCITY VARCHAR,
        ZCOUNTRYNAME VARCHAR, ZLABEL VARCHAR, ZSTATE VARCHAR, ZSTREET VARCHAR,
        ZZIPCODE VARCHAR);
    CREATE TABLE ZABCDURLADDRESS (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
        ZISPRIMARY INTEGER, ZORDERINGINDEX INTEGER, ZOWNER INTEGER, ZLABEL VARCHAR,
        ZURL VARCHAR);
    CREATE TABLE ZABCDNOTE (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
        ZCONTACT INTEGER, ZTEXT VARCHAR);
    CREATE TABLE ZABCDSERVICE (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
        ZSERVICENAME VARCHAR);
    CREATE TABLE ZABCDMESSAGINGADDRESS (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER,
        Z_OPT INTEGER, ZISPRIMARY INTEGER, ZORDERINGINDEX INTEGER, ZOWNER INTEGER,
        ZSERVICE INTEGER, ZADDRESS VARCHAR, ZLABEL VARCHAR);
    CREATE TABLE ZABCDSOCIALPROFILE (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
        ZOWNER INTEGER, ZSERVICENAME VARCHAR, ZUSERNAME VARCHAR);
    CREATE TABLE ZABCDRELATEDNAME (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
        ZISPRIMARY INTEGER, ZORDERINGINDEX INTEGER, ZOWNER INTEGER, ZLABEL VARCHAR,
        ZNAME VARCHAR);
    CREATE TABLE ZABCDCONTACTDATE (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
        ZISPRIMARY INTEGER, ZORDERINGINDEX INTEGER, ZOWNER INTEGER, ZLABEL VARCHAR,
        ZDATE TIMESTAMP);
    CREATE TABLE Z_22PARENTGROUPS (Z_22CONTACTS INTEGER, Z_19PARENTGROUPS1 INTEGER,
        PRIMARY KEY (Z_22CONTACTS, Z_19PARENTGROUPS1));
    PRAGMA journal_mode=WAL;
";

/// Seconds since 2001-01-01 of noon UTC on a day, as Contacts keeps birthdays.
fn core_data_noon(y: i32, m: u32, d: u32) -> f64 {
    (chrono::NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp()
        - 978_307_200) as f64
}

/// An address book database: its account's name, then contacts and groups.
fn write_address_book(path: &Path, account: Option<&str>, extra_people: usize, group: bool) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let db = rusqlite::Connection::open(path).unwrap();
    db.execute_batch(ADDRESS_BOOK_SCHEMA).unwrap();
    if let Some(account) = account {
        db.execute(
            "INSERT INTO ZABCDRECORD (Z_PK, Z_ENT, ZNAME) VALUES (1, 25, ?1)",
            [account],
        )
        .unwrap();
    }
    if extra_people == 0 && account.is_none() {
        return;
    }
    // Ada: a person with every kind of value; her primary e-mail address is listed second.
    let mut jpeg = vec![1u8, 0xFF, 0xD8, 0xFF, 0xE0, 0, 16];
    jpeg.extend_from_slice(b"JFIF\0 a tiny picture");
    db.execute(
        "INSERT INTO ZABCDRECORD (Z_PK, Z_ENT, ZCONTAINER1, ZDISPLAYFLAGS, ZBIRTHDAY,
            ZFIRSTNAME, ZLASTNAME, ZORGANIZATION, ZDEPARTMENT, ZJOBTITLE, ZUNIQUEID,
            ZTHUMBNAILIMAGEDATA)
         VALUES (10, 22, 1, 0, ?1, 'Ada', 'Lovelace', 'Analytical Engines', 'Research',
            'Programmer', 'A1:ABPerson', ?2)",
        rusqlite::params![core_data_noon(1815, 12, 10), jpeg],
    )
    .unwrap();
    db.execute_batch(
        "INSERT INTO ZABCDEMAILADDRESS (ZISPRIMARY, ZORDERINGINDEX, ZOWNER, ZADDRESS, ZLABEL)
            VALUES (0, 0, 10, 'ada@work.example', '_$!<Work>!$_'),
                   (1, 1, 10, 'ada@example.com', '_$!<Home>!$_');
         INSERT INTO ZABCDPHONENUMBER (ZISPRIMARY, ZORDERINGINDEX, ZOWNER, ZFULLNUMBER, ZLABEL)
            VALUES (1, 0, 10, '+44 20 7946 0000', '_$!<Mobile>!$_'),
                   (0, 1, 10, '+44 20 7946 0001', '_$!<WorkFAX>!$_');
         INSERT INTO ZABCDPOSTALADDRESS (ZISPRIMARY, ZORDERINGINDEX, ZOWNER, ZSTREET, ZCITY,
            ZSTATE, ZZIPCODE, ZCOUNTRYNAME, ZLABEL)
            VALUES (1, 0, 10, '12 St James''s Square', 'London', '', 'SW1Y 4JH',
                    'United Kingdom', '_$!<Home>!$_');
         INSERT INTO ZABCDURLADDRESS (ZISPRIMARY, ZORDERINGINDEX, ZOWNER, ZURL, ZLABEL)
            VALUES (1, 0, 10, 'https://example.org/ada', '_$!<HomePage>!$_');
         INSERT INTO ZABCDNOTE (ZCONTACT, ZTEXT) VALUES (10, 'Notes on the engine; first line
second line');
         INSERT INTO ZABCDRECORD (Z_PK, Z_ENT, ZCONTAINER1, ZDISPLAYFLAGS, ZORGANIZATION,
            ZUNIQUEID) VALUES (11, 22, 1, 1, 'Analytical Society', 'A2:ABPerson');",
    )
    .unwrap();
    db.execute(
        "INSERT INTO ZABCDRELATEDNAME (ZOWNER, ZLABEL, ZNAME)
         VALUES (10, '_$!<Spouse>!$_', 'William King')",
        [],
    )
    .unwrap();
    db.execute(
        "INSERT INTO ZABCDCONTACTDATE (ZOWNER, ZLABEL, ZDATE)
         VALUES (10, '_$!<Anniversary>!$_', ?1)",
        [core_data_noon(1835, 7, 8)],
    )
    .unwrap();
    db.execute_batch(
        "INSERT INTO ZABCDSERVICE (Z_PK, ZSERVICENAME) VALUES (1, 'JabberInstant');
         INSERT INTO ZABCDMESSAGINGADDRESS (ZOWNER, ZSERVICE, ZADDRESS, ZLABEL)
            VALUES (10, 1, 'ada@jabber.example', '_$!<Home>!$_');
         INSERT INTO ZABCDSOCIALPROFILE (ZOWNER, ZSERVICENAME, ZUSERNAME)
            VALUES (10, 'Mastodon', '@ada@example.social');",
    )
    .unwrap();
    for n in 0..extra_people.saturating_sub(2) {
        let pk = 100 + n as i64;
        db.execute(
            "INSERT INTO ZABCDRECORD (Z_PK, Z_ENT, ZCONTAINER1, ZFIRSTNAME, ZLASTNAME)
             VALUES (?1, 22, 1, 'Person', ?2)",
            rusqlite::params![pk, format!("{n:02}")],
        )
        .unwrap();
        db.execute(
            "INSERT INTO ZABCDEMAILADDRESS (ZISPRIMARY, ZOWNER, ZADDRESS) VALUES (1, ?1, ?2)",
            rusqlite::params![pk, format!("person{n:02}@example.net")],
        )
        .unwrap();
    }
    if group {
        // Ada and the first other person.
        db.execute_batch(
            "INSERT INTO ZABCDRECORD (Z_PK, Z_ENT, ZNAME, ZUNIQUEID)
                VALUES (50, 19, 'Friends', 'G1:ABGroup');
             INSERT INTO Z_22PARENTGROUPS VALUES (10, 50), (100, 50);",
        )
        .unwrap();
    }
}

fn write_calendar(dir: &Path, title: &str, events: &[(&str, &str)]) {
    fs::create_dir_all(dir.join("Events")).unwrap();
    plist::Value::Dictionary(
        [
            ("Title".to_owned(), plist::Value::String(title.to_owned())),
            ("Type".to_owned(), plist::Value::String("Local".to_owned())),
        ]
        .into_iter()
        .collect(),
    )
    .to_file_xml(dir.join("Info.plist"))
    .unwrap();
    for (name, text) in events {
        fs::write(dir.join("Events").join(name), text).unwrap();
    }
}

const DENTIST: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Apple Inc.//Mac OS X 10.13.6//EN\r\n\
BEGIN:VEVENT\r\nUID:E1\r\nDTSTAMP:20240301T100000Z\r\nSUMMARY:Dentist\r\n\
DTSTART;TZID=Europe/Berlin:20240312T093000\r\nDTEND;TZID=Europe/Berlin:20240312T101500\r\n\
LOCATION:Praxis Dr. Weiß\\, Berlin\r\n\
BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nDESCRIPTION:Reminder\r\nEND:VALARM\r\n\
END:VEVENT\r\nEND:VCALENDAR\r\n";

/// A weekly meeting, five Mondays, the third moved to Tuesday afternoon, the fourth deleted;
/// Calendar keeps the changed occurrence in the series' file.
const MEETING: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Apple Inc.//Mac OS X 10.13.6//EN\r\n\
BEGIN:VEVENT\r\nUID:E2\r\nDTSTAMP:20240101T100000Z\r\nSUMMARY:Team meeting\r\n\
DTSTART:20240108T100000Z\r\nDTEND:20240108T110000Z\r\nRRULE:FREQ=WEEKLY;COUNT=5\r\n\
EXDATE:20240129T100000Z\r\n\
ORGANIZER;CN=Ada Lovelace:mailto:ada@example.com\r\n\
ATTENDEE;CN=Grace Hopper;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:grace@example.org\r\n\
ATTENDEE;CN=Charles Babbage;ROLE=OPT-PARTICIPANT;PARTSTAT=TENTATIVE:mailto:charles@example.org\r\n\
END:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:E2\r\nDTSTAMP:20240101T100000Z\r\nSUMMARY:Team meeting\r\n\
RECURRENCE-ID:20240122T100000Z\r\nDTSTART:20240123T140000Z\r\nDTEND:20240123T150000Z\r\n\
END:VEVENT\r\nEND:VCALENDAR\r\n";

const TAX: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Apple Inc.//iCal 4.0.4//EN\r\n\
BEGIN:VTODO\r\nUID:T1\r\nDTSTAMP:20240301T100000Z\r\nSUMMARY:File the tax return\r\n\
DUE;VALUE=DATE:20240531\r\nPRIORITY:1\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";

const OFFSITE: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Apple Inc.//Mac OS X 10.13.6//EN\r\n\
BEGIN:VEVENT\r\nUID:E3\r\nDTSTAMP:20240301T100000Z\r\nSUMMARY:Offsite\r\n\
DTSTART;VALUE=DATE:20240501\r\nDTEND;VALUE=DATE:20240502\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

/// A Mac home folder with Contacts (an empty main database, an iCloud account with 11
/// contacts and a group, an On My Mac account with 3) and Calendar (Home with two events and
/// a to-do, Work in a CalDAV account with an all-day event).
fn build_home(home: &Path) {
    let book = home.join(ADDRESS_BOOK);
    write_address_book(&book.join("AddressBook-v22.abcddb"), None, 0, false);
    write_address_book(
        &book
            .join("Sources")
            .join(ICLOUD)
            .join("AddressBook-v22.abcddb"),
        Some("iCloud"),
        11,
        true,
    );
    write_address_book(
        &book
            .join("Sources")
            .join(LOCAL)
            .join("AddressBook-v22.abcddb"),
        Some("On My Mac"),
        3,
        false,
    );
    let calendars = home.join(CALENDARS);
    write_calendar(
        &calendars.join(HOME_CALENDAR),
        "Home",
        &[("E1.ics", DENTIST), ("E2.ics", MEETING), ("T1.ics", TAX)],
    );
    write_calendar(
        &calendars.join(ACCOUNT).join(WORK_CALENDAR),
        "Work",
        &[("E3.ics", OFFSITE)],
    );
    // The index Calendar keeps beside the files is not a calendar of its own.
    fs::write(calendars.join("Calendar Cache"), b"SQLite format 3\0").unwrap();
}

/// (folder, kind, count) of a store.
fn folders_of(store: &dyn sources::MailStore) -> Vec<(String, FolderKind, u64)> {
    store
        .folders()
        .unwrap()
        .into_iter()
        .map(|f| (f.path.to_string(), f.kind, f.count))
        .collect()
}

/// The user's journey: discovery lists Contacts and Calendar of the Mac home, and
/// `mail2pst convert` of the AddressBook and Calendars folders writes every contact, event and
/// task in its own kind of folder, with its fields as outlook-pst reads them and the counts
/// libpff and pst-extractor see; nothing in the home folder changes.
#[test]
fn mac_contacts_and_calendar_convert_from_the_folders_a_person_points_at() {
    let home = temp_dir();
    build_home(home.path());
    let before = fingerprint(home.path());

    let discovery = discover_in(&SearchRoots::for_home(SystemLayout::MacOs, home.path()));
    let found: Vec<(StoreKind, PathBuf, String)> = discovery
        .stores
        .iter()
        .map(|s| (s.kind, s.path.clone(), s.name.clone()))
        .collect();
    assert_eq!(
        found,
        vec![
            (
                StoreKind::AppleContacts,
                home.path().join(ADDRESS_BOOK),
                "Apple Contacts".to_owned()
            ),
            (
                StoreKind::AppleCalendar,
                home.path().join(CALENDARS),
                "Apple Calendar".to_owned()
            ),
        ]
    );
    let contacts = discovery.stores[0].open().unwrap();
    assert_eq!(
        folders_of(contacts.as_ref()),
        vec![
            ("Apple Contacts".to_owned(), FolderKind::Mail, 0),
            (
                "Apple Contacts › iCloud".to_owned(),
                FolderKind::Contacts,
                12
            ),
            (
                "Apple Contacts › On My Mac".to_owned(),
                FolderKind::Contacts,
                3
            ),
        ]
    );

    let out = temp_dir();
    let config = temp_dir();
    let pst = out.path().join("mac.pst");
    let output = Command::new(env!("CARGO_BIN_EXE_mail2pst"))
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", config.path())
        .env("XDG_DATA_HOME", config.path())
        .env("MAIL2PST_LICENSE_KEY", key_text("valid.key"))
        .env_remove("MAIL2PST_LOG")
        .arg("convert")
        .arg(home.path().join(ADDRESS_BOOK))
        .arg(home.path().join(CALENDARS))
        .arg("-o")
        .arg(&pst)
        .arg("--json")
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)));
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(report["status"], "complete");
    let rows: BTreeMap<String, (String, u64, u64, String)> = report["folders"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["kind"] != "mail")
        .map(|row| {
            let path: Vec<&str> = row["pst_path"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap())
                .collect();
            (
                path.join("/"),
                (
                    row["kind"].as_str().unwrap().to_owned(),
                    row["found"].as_u64().unwrap(),
                    row["written"].as_u64().unwrap(),
                    row["notes"].to_string(),
                ),
            )
        })
        .collect();
    let summary: Vec<(&str, &str, u64, u64)> = rows
        .iter()
        .map(|(path, (kind, found, written, _))| (path.as_str(), kind.as_str(), *found, *written))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("Apple Calendar/Home", "calendar", 2, 2),
            ("Apple Calendar/Home Tasks", "tasks", 1, 1),
            ("Apple Calendar/Work", "calendar", 1, 1),
            ("Apple Contacts/On My Mac", "contacts", 3, 3),
            ("Apple Contacts/iCloud", "contacts", 12, 12),
        ],
        "{report:#}"
    );
    assert!(
        !rows["Apple Contacts/iCloud"].3.contains("groups"),
        "{:?}",
        rows["Apple Contacts/iCloud"]
    );

    let items = read_items(&pst);
    let ada = item(&items, "iCloud", "Ada Lovelace");
    assert_eq!(ada.text(0x001A).as_deref(), Some("IPM.Contact"));
    // The primary address first, then the other.
    assert_eq!(
        ada.named_text(PSETID_ADDRESS, 0x8083).as_deref(),
        Some("ada@example.com")
    );
    assert_eq!(
        ada.named_text(PSETID_ADDRESS, 0x8093).as_deref(),
        Some("ada@work.example")
    );
    assert_eq!(ada.text(0x3A06).as_deref(), Some("Ada"));
    assert_eq!(ada.text(0x3A11).as_deref(), Some("Lovelace"));
    assert_eq!(ada.text(0x3A16).as_deref(), Some("Analytical Engines"));
    assert_eq!(ada.text(0x3A18).as_deref(), Some("Research"));
    assert_eq!(ada.text(0x3A17).as_deref(), Some("Programmer"));
    assert_eq!(ada.text(0x3A1C).as_deref(), Some("+44 20 7946 0000"));
    assert_eq!(ada.text(0x3A24).as_deref(), Some("+44 20 7946 0001"));
    assert_eq!(ada.text(0x3A59).as_deref(), Some("London"));
    assert_eq!(ada.text(0x3A5B).as_deref(), Some("SW1Y 4JH"));
    assert_eq!(ada.text(0x3A5A).as_deref(), Some("United Kingdom"));
    assert_eq!(
        ada.named_text(PSETID_ADDRESS, 0x802B).as_deref(),
        Some("https://example.org/ada")
    );
    assert_eq!(
        ada.text(0x1000).as_deref(),
        Some(
            "Notes on the engine; first line\nsecond line\r\n\r\n\
             Social profile: mastodon: @ada@example.social"
        )
    );
    assert_eq!(
        ada.named_text(PSETID_ADDRESS, 0x8062).as_deref(),
        Some("ada@jabber.example")
    );
    let birthday = time(ada.tagged.get(&0x3A42)).unwrap();
    assert_eq!(
        chrono::DateTime::from_timestamp(birthday, 0)
            .unwrap()
            .date_naive()
            .to_string(),
        "1815-12-10"
    );
    assert_eq!(ada.attachments, 1, "the contact's picture");
    assert_eq!(ada.text(0x3A48).as_deref(), Some("William King"));
    let anniversary = time(ada.tagged.get(&0x3A41)).unwrap();
    assert_eq!(
        chrono::DateTime::from_timestamp(anniversary, 0)
            .unwrap()
            .date_naive()
            .to_string(),
        "1835-07-08"
    );
    item(&items, "iCloud", "Analytical Society");
    item(&items, "On My Mac", "Person 00");
    // The group is a distribution list of its members' primary addresses (their one-off
    // EntryIDs decoded by the test's reader written from MS-OXCDATA).
    let friends = item(&items, "iCloud", "Friends");
    assert_eq!(friends.text(0x001A).as_deref(), Some("IPM.DistList"));
    let members: Vec<(String, String, String)> = match friends.named.get(&(PSETID_ADDRESS, 0x8055))
    {
        Some(outlook_pst::ltp::prop_context::PropertyValue::MultipleBinary(values)) => {
            values.iter().map(|v| one_off(v.buffer())).collect()
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(
        members,
        vec![
            (
                "Ada Lovelace".to_owned(),
                "SMTP".to_owned(),
                "ada@example.com".to_owned()
            ),
            (
                "Person 00".to_owned(),
                "SMTP".to_owned(),
                "person00@example.net".to_owned()
            ),
        ]
    );

    let dentist = item(&items, "Home", "Dentist");
    assert_eq!(dentist.text(0x001A).as_deref(), Some("IPM.Appointment"));
    assert_eq!(
        time(dentist.named.get(&(PSETID_APPOINTMENT, 0x820D))),
        Some(
            chrono::NaiveDate::from_ymd_opt(2024, 3, 12)
                .unwrap()
                .and_hms_opt(8, 30, 0)
                .unwrap()
                .and_utc()
                .timestamp()
        )
    );
    assert_eq!(
        dentist.named_text(PSETID_APPOINTMENT, 0x8208).as_deref(),
        Some("Praxis Dr. Weiß, Berlin")
    );
    assert_eq!(integer(dentist.named.get(&(0x0006_2008, 0x8501))), Some(15));
    let meeting = item(&items, "Home", "Team meeting");
    assert!(meeting.recipients >= 2, "{meeting:#?}");
    let blob = binary(meeting.named.get(&(PSETID_APPOINTMENT, 0x8216))).unwrap();
    let monday = |d| (minutes(2024, 1, d, 10, 0), minutes(2024, 1, d, 11, 0));
    assert_eq!(
        weekly_occurrences(&blob),
        vec![
            monday(8),
            monday(15),
            (minutes(2024, 1, 23, 14, 0), minutes(2024, 1, 23, 15, 0)),
            (minutes(2024, 2, 5, 10, 0), minutes(2024, 2, 5, 11, 0)),
        ]
    );
    let task = item(&items, "Home Tasks", "File the tax return");
    assert_eq!(task.text(0x001A).as_deref(), Some("IPM.Task"));
    assert!(task.named.contains_key(&(PSETID_TASK, 0x8105)), "{task:#?}");
    let offsite = item(&items, "Work", "Offsite");
    assert_eq!(
        offsite
            .named
            .get(&(PSETID_APPOINTMENT, 0x8215))
            .map(|v| format!("{v:?}")),
        Some("Boolean(true)".to_owned())
    );

    for (reader, json) in read_with(&pst, &["pffexport", "pypff", "outlook-pst"]) {
        assert_eq!(json["messages"].as_array().unwrap().len(), 19, "{reader}");
    }
    assert_eq!(fingerprint(home.path()), before, "the home folder changed");
}

/// A place a person may point at, the kind of store it is, its folders and their counts.
type Level = (PathBuf, StoreKind, Vec<(&'static str, u64)>);

/// Every level a person may point at opens the part of Contacts or Calendar it holds.
#[test]
fn each_level_of_contacts_and_calendar_opens_what_it_holds() {
    let home = temp_dir();
    build_home(home.path());
    let book = home.path().join(ADDRESS_BOOK);
    let calendars = home.path().join(CALENDARS);
    let cases: Vec<Level> = vec![
        (
            book.join("Sources")
                .join(ICLOUD)
                .join("AddressBook-v22.abcddb"),
            StoreKind::AppleContacts,
            vec![("Apple Contacts", 0), ("Apple Contacts › iCloud", 12)],
        ),
        (
            book.join("Sources").join(LOCAL),
            StoreKind::AppleContacts,
            vec![("Apple Contacts", 0), ("Apple Contacts › On My Mac", 3)],
        ),
        (
            book.join("Sources"),
            StoreKind::AppleContacts,
            vec![
                ("Apple Contacts", 0),
                ("Apple Contacts › iCloud", 12),
                ("Apple Contacts › On My Mac", 3),
            ],
        ),
        (
            calendars.join(HOME_CALENDAR),
            StoreKind::AppleCalendar,
            vec![
                ("Apple Calendar", 0),
                ("Apple Calendar › Home", 2),
                ("Apple Calendar › Home Tasks", 1),
            ],
        ),
        (
            calendars.join(ACCOUNT),
            StoreKind::AppleCalendar,
            vec![("Apple Calendar", 0), ("Apple Calendar › Work", 1)],
        ),
    ];
    for (path, kind, expected) in cases {
        let stores = sources::open_all(&path).unwrap();
        assert_eq!(stores.len(), 1, "{}", path.display());
        assert_eq!(stores[0].kind(), kind, "{}", path.display());
        let got: Vec<(String, u64)> = folders_of(stores[0].as_ref())
            .into_iter()
            .map(|(p, _, n)| (p, n))
            .collect();
        let expected: Vec<(String, u64)> = expected
            .into_iter()
            .map(|(p, n)| (p.to_owned(), n))
            .collect();
        assert_eq!(got, expected, "{}", path.display());
    }
}

/// The tables of `Calendar.sqlitedb` the reader uses, with the columns it reads (a subset of
/// each table; names and types as in the macOS database icalPal ships as its test fixture,
/// `test/Calendar.sqlitedb`, and as iLEAPP's `calendarAll.py` reads them).
const CALENDAR_DATABASE_SCHEMA: &str = "
    CREATE TABLE Store (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, type INTEGER,
        disabled INTEGER);
    CREATE TABLE Calendar (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, store_id INTEGER,
        title TEXT, supported_entity_types INTEGER, UUID TEXT);
    CREATE TABLE CalendarItem (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, summary TEXT,
        location_id INTEGER, description TEXT, start_date REAL, start_tz TEXT, end_date REAL,
        end_tz TEXT, all_day INTEGER, calendar_id INTEGER, orig_item_id INTEGER,
        orig_date REAL, organizer_id INTEGER, status INTEGER, availability INTEGER, url TEXT,
        last_modified REAL, unique_identifier TEXT, hidden INTEGER, has_recurrences INTEGER,
        has_attendees INTEGER, UUID TEXT, entity_type INTEGER, priority INTEGER,
        due_date REAL, due_tz TEXT, due_all_day INTEGER, completion_date REAL,
        creation_date REAL, calendar_scale TEXT);
    CREATE TABLE Location (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT, address TEXT,
        item_owner_id INTEGER);
    CREATE TABLE Participant (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, entity_type INTEGER,
        type INTEGER, status INTEGER, role INTEGER, identity_id INTEGER, owner_id INTEGER,
        UUID TEXT, email TEXT, is_self INTEGER);
    CREATE TABLE Identity (display_name TEXT, address TEXT, first_name TEXT, last_name TEXT,
        UNIQUE (display_name, address, first_name, last_name));
    CREATE TABLE Recurrence (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, frequency INTEGER,
        interval INTEGER, week_start INTEGER, count INTEGER, end_date REAL, specifier TEXT,
        owner_id INTEGER);
    CREATE TABLE ExceptionDate (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, owner_id INTEGER,
        date REAL);
    CREATE TABLE Alarm (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, trigger_date REAL,
        trigger_interval INTEGER, type INTEGER, calendaritem_owner_id INTEGER,
        disabled INTEGER);
";

/// Seconds since 2001-01-01 UTC of a UTC time.
fn since_2001(y: i32, m: u32, d: u32, hour: u32, minute: u32) -> f64 {
    (chrono::NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(hour, minute, 0)
        .unwrap()
        .and_utc()
        .timestamp()
        - 978_307_200) as f64
}

/// Calendar's database as macOS 14 and later keep it: an iCloud calendar "Home" with an
/// appointment, a weekly meeting with attendees (one occurrence moved, one deleted), a
/// monthly first-Monday series, a yearly series whose rule uses a part no source documents,
/// an all-day free day and a hidden item; the task calendar with a to-do; the birthdays
/// calendar with a birthday.
fn write_calendar_database(path: &Path) {
    let db = rusqlite::Connection::open(path).unwrap();
    db.execute_batch(CALENDAR_DATABASE_SCHEMA).unwrap();
    db.execute_batch(
        "INSERT INTO Store VALUES (1, 'iCloud', 2, 0), (2, 'Other', 5, 0);
         INSERT INTO Calendar VALUES (1, 1, 'Home', 4, 'C1'),
             (2, 1, 'DEFAULT_TASK_CALENDAR_NAME', 8, 'C2'), (3, 2, 'Birthdays', 4, 'C3');
         INSERT INTO Location VALUES (1, 'Praxis Dr. Weiß', 'Berlin', 1);
         INSERT INTO Identity VALUES ('Ada Lovelace', 'mailto:ada@example.com', 'Ada', 'Lovelace'),
             ('Grace Hopper', 'mailto:grace@example.org', NULL, NULL),
             ('Charles Babbage', 'mailto:charles@example.org', NULL, NULL);
         INSERT INTO Participant VALUES (1, 8, 1, 1, 3, 1, 2, 'P1', 'ada@example.com', 1),
             (2, 7, 1, 1, 1, 2, 2, 'P2', 'grace@example.org', 0),
             (3, 7, 1, 3, 2, 3, 2, 'P3', 'mailto:charles@example.org', 0);
         INSERT INTO Recurrence VALUES (1, 2, 1, 0, 5, NULL, 'D=MO', 2),
             (2, 3, 1, 0, 3, NULL, 'D=+1MO', 4), (3, 4, 1, 0, 0, NULL, 'Y=100', 5);
         INSERT INTO Alarm VALUES (1, NULL, -900, 0, 1, 0);",
    )
    .unwrap();
    let mut item = db
        .prepare(
            "INSERT INTO CalendarItem (ROWID, summary, location_id, description, start_date,
                 start_tz, end_date, end_tz, all_day, calendar_id, orig_item_id, orig_date,
                 organizer_id, availability, unique_identifier, hidden, entity_type, priority,
                 due_date, due_tz, due_all_day, calendar_scale)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                 ?17, ?18, ?19, ?20, ?21)",
        )
        .unwrap();
    type ItemRow<'a> = (
        i64,
        &'a str,
        Option<i64>,
        Option<&'a str>,
        Option<f64>,
        &'a str,
        Option<f64>,
        i64,
        i64,
        Option<i64>,
        Option<f64>,
        Option<i64>,
        i64,
    );
    let berlin = "Europe/Berlin";
    let items: Vec<ItemRow> = vec![
        // Tuesday 2024-03-12, 09:30–10:15 in Berlin.
        (
            1,
            "Dentist",
            Some(1),
            Some("Bring the card"),
            Some(since_2001(2024, 3, 12, 8, 30)),
            berlin,
            Some(since_2001(2024, 3, 12, 9, 15)),
            0,
            1,
            None,
            None,
            None,
            0,
        ),
        // Mondays at 10:00 in Berlin from 2024-01-08, five times.
        (
            2,
            "Team meeting",
            None,
            None,
            Some(since_2001(2024, 1, 8, 9, 0)),
            berlin,
            Some(since_2001(2024, 1, 8, 10, 0)),
            0,
            1,
            None,
            None,
            Some(1),
            0,
        ),
        // The third moved to Tuesday 14:00.
        (
            3,
            "Team meeting",
            None,
            None,
            Some(since_2001(2024, 1, 23, 13, 0)),
            berlin,
            Some(since_2001(2024, 1, 23, 14, 0)),
            0,
            1,
            Some(2),
            Some(since_2001(2024, 1, 22, 9, 0)),
            None,
            0,
        ),
        (
            4,
            "Book club",
            None,
            None,
            Some(since_2001(2024, 2, 5, 18, 0)),
            berlin,
            Some(since_2001(2024, 2, 5, 19, 0)),
            0,
            1,
            None,
            None,
            None,
            0,
        ),
        (
            5,
            "Yoga",
            None,
            None,
            Some(since_2001(2024, 4, 9, 17, 0)),
            berlin,
            Some(since_2001(2024, 4, 9, 18, 0)),
            0,
            1,
            None,
            None,
            None,
            0,
        ),
        // All day on 2024-05-01, free.
        (
            6,
            "Offsite",
            None,
            None,
            Some(since_2001(2024, 5, 1, 0, 0)),
            "UTC",
            Some(since_2001(2024, 5, 1, 0, 0) + 86_399.0),
            1,
            1,
            None,
            None,
            None,
            1,
        ),
        (
            7,
            "Hidden",
            None,
            None,
            Some(since_2001(2024, 5, 2, 0, 0)),
            "UTC",
            Some(since_2001(2024, 5, 2, 1, 0)),
            0,
            1,
            None,
            None,
            None,
            0,
        ),
    ];
    for i in &items {
        let hidden = i64::from(i.0 == 7);
        item.execute(rusqlite::params![
            i.0,
            i.1,
            i.2,
            i.3,
            i.4,
            i.5,
            i.6,
            i.7,
            i.8,
            i.9,
            i.10,
            i.11,
            i.12,
            format!("UID-{}", i.0),
            hidden,
            2,
            0,
            None::<f64>,
            None::<&str>,
            0,
            None::<&str>
        ])
        .unwrap();
    }
    // The to-do, due on 2024-05-31, high priority.
    item.execute(rusqlite::params![
        8,
        "File the tax return",
        None::<i64>,
        None::<&str>,
        None::<f64>,
        "_float",
        None::<f64>,
        0,
        2,
        None::<i64>,
        None::<f64>,
        None::<i64>,
        0,
        "UID-8",
        0,
        3,
        1,
        since_2001(2024, 5, 31, 0, 0),
        "_float",
        1,
        None::<&str>
    ])
    .unwrap();
    item.execute(rusqlite::params![
        9,
        "Grace Hopper",
        None::<i64>,
        None::<&str>,
        since_2001(1906, 12, 9, 12, 0),
        "_float",
        since_2001(1906, 12, 9, 12, 0),
        1,
        3,
        None::<i64>,
        None::<f64>,
        None::<i64>,
        0,
        "UID-9",
        0,
        2,
        0,
        None::<f64>,
        None::<&str>,
        0,
        "gregorian"
    ])
    .unwrap();
    db.execute(
        "INSERT INTO ExceptionDate (owner_id, date) VALUES (2, ?1)",
        [since_2001(2024, 1, 29, 9, 0)],
    )
    .unwrap();
}

/// macOS 14 and later: discovery finds Calendar's database, `mail2pst convert` of the
/// `~/Library/Calendars` a person knows converts it, and outlook-pst reads back the times,
/// place, reminder, attendees, the series (decoded from MS-OXOCAL by the test's own readers)
/// and the to-do; the item whose repetition cannot be read keeps its first occurrence with a
/// warning; what is left out is in the notes; libpff and pst-extractor count the items.
#[test]
fn the_calendar_database_of_recent_macos_converts() {
    let home = temp_dir();
    let group = home
        .path()
        .join("Library/Group Containers/group.com.apple.calendar");
    fs::create_dir_all(&group).unwrap();
    write_calendar_database(&group.join("Calendar.sqlitedb"));
    // What macOS 14 leaves in ~/Library/Calendars.
    let calendars = home.path().join(CALENDARS);
    fs::create_dir_all(calendars.join("Incoming")).unwrap();
    fs::write(calendars.join("Calendar Sync Changes"), b"").unwrap();
    let before = fingerprint(home.path());

    let discovery = discover_in(&SearchRoots::for_home(SystemLayout::MacOs, home.path()));
    let found: Vec<(StoreKind, PathBuf)> = discovery
        .stores
        .iter()
        .map(|s| (s.kind, s.path.clone()))
        .collect();
    assert_eq!(found, vec![(StoreKind::AppleCalendar, group.clone())]);
    assert!(discovery.errors.is_empty(), "{:?}", discovery.errors);
    let expected = vec![
        ("Apple Calendar".to_owned(), FolderKind::Mail, 0),
        ("Apple Calendar › Home".to_owned(), FolderKind::Calendar, 5),
        (
            "Apple Calendar › Reminders Tasks".to_owned(),
            FolderKind::Tasks,
            1,
        ),
    ];
    for path in [
        group.clone(),
        group.join("Calendar.sqlitedb"),
        calendars.clone(),
    ] {
        let stores = sources::open_all(&path).unwrap();
        assert_eq!(
            folders_of(stores[0].as_ref()),
            expected,
            "{}",
            path.display()
        );
    }

    let out = temp_dir();
    let pst = out.path().join("calendar.pst");
    let output = Command::new(env!("CARGO_BIN_EXE_mail2pst"))
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", out.path())
        .env("XDG_DATA_HOME", out.path())
        .env("MAIL2PST_LICENSE_KEY", key_text("valid.key"))
        .env_remove("MAIL2PST_LOG")
        .arg("convert")
        .arg(&calendars)
        .arg("-o")
        .arg(&pst)
        .arg("--json")
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)));
    let folders = report["folders"].as_array().unwrap();
    let top = folders
        .iter()
        .find(|f| f["pst_path"].as_array().unwrap().len() == 1)
        .unwrap();
    let notes = top["notes"].to_string();
    assert!(
        notes.contains("1 birthdays") && notes.contains("1 items"),
        "{notes}"
    );
    let home_row = folders
        .iter()
        .find(|f| f["pst_path"].as_array().unwrap().last().unwrap() == "Home")
        .unwrap();
    assert_eq!(
        (&home_row["found"], &home_row["written"]),
        (&5.into(), &5.into())
    );
    let warned = home_row["converted_with_warnings"].to_string();
    assert!(
        warned.contains("Yoga") && warned.contains("repetition could not be read"),
        "{warned}"
    );
    assert_eq!(
        home_row["converted_with_warnings"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "{warned}"
    );

    let items = read_items(&pst);
    let dentist = item(&items, "Home", "Dentist");
    assert_eq!(dentist.text(0x001A).as_deref(), Some("IPM.Appointment"));
    assert_eq!(
        time(dentist.named.get(&(PSETID_APPOINTMENT, 0x820D))),
        Some(since_2001(2024, 3, 12, 8, 30) as i64 + 978_307_200)
    );
    assert_eq!(
        dentist.named_text(PSETID_APPOINTMENT, 0x8208).as_deref(),
        Some("Praxis Dr. Weiß, Berlin")
    );
    assert_eq!(integer(dentist.named.get(&(0x0006_2008, 0x8501))), Some(15));
    let meeting = item(&items, "Home", "Team meeting");
    // The organizer and the two attendees.
    assert_eq!(meeting.recipients, 3, "{meeting:#?}");
    let blob = binary(meeting.named.get(&(PSETID_APPOINTMENT, 0x8216))).unwrap();
    let monday = |d| (minutes(2024, 1, d, 10, 0), minutes(2024, 1, d, 11, 0));
    assert_eq!(
        weekly_occurrences(&blob),
        vec![
            monday(8),
            monday(15),
            (minutes(2024, 1, 23, 14, 0), minutes(2024, 1, 23, 15, 0)),
            (minutes(2024, 2, 5, 10, 0), minutes(2024, 2, 5, 11, 0)),
        ]
    );
    // The first Monday of each month, three times (MS-OXOCAL 2.2.1.44.1: RecurFrequency
    // monthly, PatternType MonthNth, PatternTypeSpecific Monday and 1, OccurrenceCount).
    let blob = binary(
        item(&items, "Home", "Book club")
            .named
            .get(&(PSETID_APPOINTMENT, 0x8216)),
    )
    .unwrap();
    let u16_at = |at: usize| u16::from_le_bytes([blob[at], blob[at + 1]]);
    let u32_at = |at: usize| u32::from_le_bytes(blob[at..at + 4].try_into().unwrap());
    assert_eq!((u16_at(4), u16_at(6)), (0x200C, 0x0003));
    assert_eq!((u32_at(22), u32_at(26), u32_at(34)), (0x02, 1, 3));
    let yoga = item(&items, "Home", "Yoga");
    assert!(
        !yoga.named.contains_key(&(PSETID_APPOINTMENT, 0x8216)),
        "{yoga:#?}"
    );
    let offsite = item(&items, "Home", "Offsite");
    assert_eq!(
        offsite
            .named
            .get(&(PSETID_APPOINTMENT, 0x8215))
            .map(|v| format!("{v:?}")),
        Some("Boolean(true)".to_owned())
    );
    assert_eq!(
        integer(offsite.named.get(&(PSETID_APPOINTMENT, 0x8205))),
        Some(0)
    );
    let task = item(&items, "Reminders Tasks", "File the tax return");
    assert_eq!(task.text(0x001A).as_deref(), Some("IPM.Task"));
    assert!(task.named.contains_key(&(PSETID_TASK, 0x8105)), "{task:#?}");

    for (reader, json) in read_with(&pst, &["pffexport", "pypff", "outlook-pst"]) {
        assert_eq!(json["messages"].as_array().unwrap().len(), 6, "{reader}");
    }
    assert_eq!(fingerprint(home.path()), before, "the home folder changed");
}

/// The demo writes the first ten contacts of each address book, as it does messages.
#[test]
fn the_demo_writes_ten_contacts_of_each_address_book() {
    let home = temp_dir();
    build_home(home.path());
    let out = temp_dir();
    let pst = out.path().join("demo.pst");
    let (report, _) = run(&spec(vec![home.path().join(ADDRESS_BOOK)], &pst, demo()));
    // Incomplete: more would convert with a license.
    assert_eq!(report.status, Status::Incomplete, "{report:#?}");
    let icloud = report
        .folders
        .iter()
        .find(|f| f.pst_path.last().map(String::as_str) == Some("iCloud"))
        .unwrap();
    assert_eq!(
        (icloud.found, icloud.written, icloud.skipped.demo_limit),
        (12, 10, 2)
    );
    assert!(icloud.reconciles());
}
