//! Contacts, calendars and tasks from `.vcf` and `.ics` files (tests/corpus/pim: files of
//! calcard's test suite, see SOURCES.md), converted as a person would add the folder, and
//! read back by independent readers: Microsoft's `outlook-pst` crate (walked here, named
//! properties resolved through the file's own name-to-ID map) and libpst's `readpst`, which
//! writes contacts as vCards and appointments as iCalendar. A recurring series' blob is
//! decoded by a reader written here from MS-OXOCAL 2.2.1.44, which shares no code with the
//! writer, and expanded to the occurrences the iCalendar file describes.

use std::collections::BTreeMap;
use std::fs;
use std::io::BufReader;
use std::path::Path;
use std::process::Command;
use std::rc::Rc;

use mail2pst::engine::{FolderRole, Status};
use mail2pst::model::FolderKind;
use outlook_pst::UnicodePstFile;
use outlook_pst::ltp::prop_context::PropertyValue;
use outlook_pst::messaging::folder::Folder;
use outlook_pst::messaging::message::{Message as _, UnicodeMessage};
use outlook_pst::messaging::named_prop::{NamedPropertyGuid, NamedPropertyId};
use outlook_pst::messaging::store::{Store as _, UnicodeStore};
use outlook_pst::ndb::node_id::NodeId;

use crate::engine_common::{corpus_path, licensed, read_with, run, spec};
use crate::flag_readers::text;
use crate::util::temp_dir;

/// data1 of the property sets' GUIDs.
pub const PSETID_ADDRESS: u32 = 0x0006_2004;
pub const PSETID_APPOINTMENT: u32 = 0x0006_2002;
pub const PSETID_TASK: u32 = 0x0006_2003;
const PSETID_MEETING: u32 = 0x6ED8_DA90;

/// One message as outlook-pst reads it: tagged properties by ID, named ones by (set, LID).
#[derive(Debug)]
pub struct Item {
    pub folder: String,
    pub tagged: BTreeMap<u16, PropertyValue>,
    pub named: BTreeMap<(u32, u32), PropertyValue>,
    pub recipients: usize,
    pub attachments: usize,
}

impl Item {
    pub fn text(&self, id: u16) -> Option<String> {
        text(self.tagged.get(&id))
    }

    pub fn named_text(&self, set: u32, lid: u32) -> Option<String> {
        text(self.named.get(&(set, lid)))
    }

    pub fn subject(&self) -> String {
        let subject = self.text(0x0037).unwrap_or_default();
        match subject.strip_prefix('\u{1}') {
            Some(rest) => rest.chars().skip(1).collect(),
            None => subject,
        }
    }
}

pub fn time(value: Option<&PropertyValue>) -> Option<i64> {
    match value? {
        // FILETIME to Unix seconds.
        PropertyValue::Time(t) => Some(t / 10_000_000 - 11_644_473_600),
        other => panic!("not PtypTime: {other:?}"),
    }
}

pub fn integer(value: Option<&PropertyValue>) -> Option<i32> {
    match value? {
        PropertyValue::Integer32(n) => Some(*n),
        other => panic!("not PtypInteger32: {other:?}"),
    }
}

pub fn boolean(value: Option<&PropertyValue>) -> Option<bool> {
    match value? {
        PropertyValue::Boolean(b) => Some(*b),
        other => panic!("not PtypBoolean: {other:?}"),
    }
}

pub fn binary(value: Option<&PropertyValue>) -> Option<Vec<u8>> {
    match value? {
        PropertyValue::Binary(b) => Some(b.buffer().to_vec()),
        other => panic!("not PtypBinary: {other:?}"),
    }
}

/// Every message of the PST, folder by folder, as outlook-pst reads it.
pub fn read_items(pst: &Path) -> Vec<Item> {
    let file = fs::File::open(pst).unwrap();
    let pst = UnicodePstFile::read_from(Box::new(BufReader::new(file))).unwrap();
    let store = UnicodeStore::read(Rc::new(pst)).unwrap();
    // Named property IDs to (set's data1, LID), from the file's name-to-ID map.
    let map = store.named_property_map().unwrap();
    let map = map.properties();
    // (`lookup_guid` of outlook-pst 1.2.0 indexes the GUID stream with wGuid rather than
    // wGuid - 3; the stream itself is read here.)
    let guids = map.stream_guid().unwrap();
    let mut names: BTreeMap<u16, (u32, u32)> = BTreeMap::new();
    for entry in map.stream_entry().unwrap() {
        if let (NamedPropertyId::Number(lid), NamedPropertyGuid::GuidIndex(index)) =
            (entry.id(), entry.guid())
        {
            let guid = guids[usize::from(index)];
            names.insert(entry.prop_id(), (guid.data1(), lid));
        }
    }
    let properties = store.properties();
    let top = store
        .open_folder(&properties.ipm_sub_tree_entry_id().unwrap())
        .unwrap();
    let mut items = Vec::new();
    let mut stack: Vec<(String, Rc<dyn Folder>)> = vec![(String::new(), top)];
    while let Some((path, folder)) = stack.pop() {
        if let Some(table) = folder.contents_table() {
            for row in table.rows_matrix() {
                let node = NodeId::from(u32::from(row.id()));
                let entry_id = properties.make_entry_id(node).unwrap();
                let message = UnicodeMessage::read(store.clone(), &entry_id, None).unwrap();
                let mut tagged = BTreeMap::new();
                let mut named = BTreeMap::new();
                for (id, value) in message.properties().iter() {
                    match names.get(id) {
                        Some(key) if *id >= 0x8000 => {
                            named.insert(*key, value.clone());
                        }
                        _ => {
                            tagged.insert(*id, value.clone());
                        }
                    }
                }
                items.push(Item {
                    folder: path.clone(),
                    tagged,
                    named,
                    recipients: message
                        .recipient_table()
                        .map_or(0, |t| t.rows_matrix().count()),
                    attachments: message
                        .attachment_table()
                        .map_or(0, |t| t.rows_matrix().count()),
                });
            }
        }
        if let Some(table) = folder.hierarchy_table() {
            for row in table.rows_matrix() {
                let node = NodeId::from(u32::from(row.id()));
                let child = store
                    .open_folder(&properties.make_entry_id(node).unwrap())
                    .unwrap();
                let name = child.properties().display_name().unwrap();
                let child_path = if path.is_empty() {
                    name
                } else {
                    format!("{path}/{name}")
                };
                stack.push((child_path, child));
            }
        }
    }
    items
}

pub fn item<'a>(items: &'a [Item], folder: &str, subject: &str) -> &'a Item {
    items
        .iter()
        .find(|i| i.folder.ends_with(&format!("/{folder}")) && i.subject() == subject)
        .unwrap_or_else(|| panic!("no {subject:?} in {folder}: {items:#?}"))
}

/// Minutes since 1601-01-01 of a wall-clock time.
pub fn minutes(y: i32, m: u32, d: u32, hour: u32, minute: u32) -> u32 {
    let date = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let epoch = chrono::NaiveDate::from_ymd_opt(1601, 1, 1).unwrap();
    ((date - epoch).num_days() as u32) * 1440 + hour * 60 + minute
}

/// The occurrences of a weekly AppointmentRecurrencePattern (MS-OXOCAL 2.2.1.44.1 and .3) as
/// (start, end) in local minutes: the pattern's days from StartDate, OccurrenceCount of them
/// or up to EndDate, less DeletedInstanceDates, with the ExceptionInfo's new times for the
/// changed ones. Written from the spec for this test; shares nothing with the writer.
pub fn weekly_occurrences(blob: &[u8]) -> Vec<(u32, u32)> {
    let u16_at = |at: usize| u16::from_le_bytes([blob[at], blob[at + 1]]);
    let u32_at = |at: usize| u32::from_le_bytes(blob[at..at + 4].try_into().unwrap());
    assert_eq!(u16_at(0), 0x3004, "ReaderVersion");
    assert_eq!(u16_at(4), 0x200B, "RecurFrequency: weekly");
    assert_eq!(u16_at(6), 0x0001, "PatternType: week");
    let period = u32_at(14);
    let days_mask = u32_at(22);
    let end_type = u32_at(26);
    let count = u32_at(30);
    let mut at = 38;
    let deleted_count = u32_at(at) as usize;
    let deleted: Vec<u32> = (0..deleted_count).map(|i| u32_at(at + 4 + 4 * i)).collect();
    at += 4 + 4 * deleted_count;
    let modified_count = u32_at(at) as usize;
    at += 4 + 4 * modified_count;
    let start_date = u32_at(at);
    let end_date = u32_at(at + 4);
    at += 8;
    assert_eq!(u32_at(at), 0x3006, "ReaderVersion2");
    let start_offset = u32_at(at + 8);
    let end_offset = u32_at(at + 12);
    let exception_count = u16_at(at + 16) as usize;
    at += 18;
    let mut exceptions = Vec::new();
    for _ in 0..exception_count {
        let (start, end, original) = (u32_at(at), u32_at(at + 4), u32_at(at + 8));
        let flags = u16_at(at + 12);
        at += 14;
        // Skip the overridden values, in the order of the OverrideFlags bits.
        if flags & 0x0001 != 0 {
            at += 4 + u16_at(at + 2) as usize;
        }
        for bit in [0x0002, 0x0004, 0x0008] {
            if flags & bit != 0 {
                at += 4;
            }
        }
        if flags & 0x0010 != 0 {
            at += 4 + u16_at(at + 2) as usize;
        }
        for bit in [0x0020, 0x0040, 0x0080, 0x0100] {
            if flags & bit != 0 {
                at += 4;
            }
        }
        exceptions.push((original, start, end));
    }
    assert_eq!(modified_count, exceptions.len());
    // Walk the days from StartDate's week; weeks start on FirstDOW.
    let mut occurrences = Vec::new();
    let mut produced = 0;
    let first_dow = u32_at(34);
    let start_day = start_date / 1440;
    let weekday = |day: u32| (day + 1) % 7; // 1601-01-01 was a Monday
    let week_start = start_day - (weekday(start_day) + 7 - first_dow) % 7;
    let mut week = 0;
    'weeks: loop {
        for offset in 0..7 {
            let day = week_start + week * 7 * period + offset;
            if day < start_day || days_mask & (1 << weekday(day)) == 0 {
                continue;
            }
            let done = match end_type {
                0x2022 => produced >= count,
                0x2021 => day * 1440 > end_date,
                other => panic!("end type {other:#x}"),
            };
            if done {
                break 'weeks;
            }
            produced += 1;
            let midnight = day * 1440;
            if let Some((_, start, end)) = exceptions
                .iter()
                .find(|(original, _, _)| original / 1440 == day)
            {
                occurrences.push((*start, *end));
            } else if !deleted.contains(&midnight) {
                occurrences.push((midnight + start_offset, midnight + end_offset));
            }
        }
        week += 1;
        assert!(week < 10_000, "runaway pattern");
    }
    assert_eq!(produced, count, "OccurrenceCount");
    occurrences.sort_unstable();
    occurrences
}

/// The folder of contact and calendar files a person adds converts completely; every
/// contact, event and task is in its own kind of folder with its fields, as outlook-pst and
/// readpst read them, and the series with exceptions keeps its occurrences.
#[test]
fn contact_and_calendar_files_convert_with_their_fields() {
    let out = temp_dir();
    let pst = out.path().join("pim.pst");
    let (report, _) = run(&spec(vec![corpus_path("pim/calcard")], &pst, licensed()));
    assert_eq!(report.status, Status::Complete, "{report:#?}");
    let kinds: BTreeMap<String, (FolderKind, u64, u64)> = report
        .folders
        .iter()
        .filter(|f| f.role == FolderRole::Convert)
        .map(|f| (f.pst_path.join("/"), (f.kind, f.found, f.written)))
        .collect();
    assert_eq!(kinds["resources/vcard/001"], (FolderKind::Contacts, 1, 1));
    assert_eq!(kinds["resources/ical/011"], (FolderKind::Calendar, 2, 2));
    assert_eq!(kinds["resources/ical/025"], (FolderKind::Calendar, 3, 3));
    assert_eq!(kinds["resources/ical/025 Tasks"], (FolderKind::Tasks, 1, 1));
    assert_eq!(report.totals.written, 11);

    let items = read_items(&pst);
    assert_eq!(items.len(), 11);

    // A vCard 2.1: names, company, phones, both addresses, e-mail.
    let forrest = item(&items, "001", "Forrest Gump");
    assert_eq!(forrest.text(0x001A).as_deref(), Some("IPM.Contact"));
    assert_eq!(forrest.text(0x3A06).as_deref(), Some("Forrest"));
    assert_eq!(forrest.text(0x3A11).as_deref(), Some("Gump"));
    assert_eq!(forrest.text(0x3A45).as_deref(), Some("Mr."));
    assert_eq!(
        forrest.text(0x3A16).as_deref(),
        Some("Bubba Gump Shrimp Co.")
    );
    assert_eq!(forrest.text(0x3A17).as_deref(), Some("Shrimp Man"));
    assert_eq!(forrest.text(0x3A08).as_deref(), Some("(111) 555-1212"));
    assert_eq!(forrest.text(0x3A09).as_deref(), Some("(404) 555-1212"));
    assert_eq!(forrest.text(0x3A5D).as_deref(), Some("42 Plantation St."));
    assert_eq!(
        forrest.named_text(PSETID_ADDRESS, 0x8046).as_deref(),
        Some("Baytown")
    );
    assert_eq!(
        forrest.named_text(PSETID_ADDRESS, 0x8083).as_deref(),
        Some("forrestgump@example.com")
    );
    assert_eq!(
        forrest.named_text(PSETID_ADDRESS, 0x8005).as_deref(),
        Some("Gump, Forrest")
    );
    // The vCard 3.0 with two addresses keeps both, the preferred one first.
    let john = item(&items, "006", "John Doe");
    assert_eq!(
        john.named_text(PSETID_ADDRESS, 0x8093).as_deref(),
        Some("example@example.com")
    );
    // The picture is an attachment marked as the contact's photo.
    let photo = item(&items, "023", "with photo v3");
    assert_eq!(photo.attachments, 1);
    assert_eq!(
        boolean(photo.named.get(&(PSETID_ADDRESS, 0x8015))),
        Some(true)
    );

    // An event with a reminder a day before, in US/Pacific (14:00 PST = 22:00 UTC).
    let coffee = item(&items, "025", "Coffee with Jason");
    assert_eq!(coffee.text(0x001A).as_deref(), Some("IPM.Appointment"));
    assert_eq!(
        time(coffee.named.get(&(PSETID_APPOINTMENT, 0x820D))),
        Some(1_035_842_400)
    );
    assert_eq!(
        time(coffee.named.get(&(PSETID_APPOINTMENT, 0x820E))),
        Some(1_035_846_000)
    );
    assert_eq!(
        integer(coffee.named.get(&(0x0006_2008, 0x8501))),
        Some(1440)
    );
    let task = item(&items, "025 Tasks", "Submit Income Taxes");
    assert_eq!(task.text(0x001A).as_deref(), Some("IPM.Task"));
    assert_eq!(integer(task.named.get(&(PSETID_TASK, 0x8101))), Some(0));

    // A meeting from Exchange: organizer and attendees as recipients, tentative, the
    // Windows zone resolved, and Outlook's own global object ID kept.
    let meeting = item(&items, "047", "Testmeeting ➡ ignore it!");
    assert!(meeting.recipients >= 2, "{meeting:#?}");
    assert_eq!(
        integer(meeting.named.get(&(PSETID_APPOINTMENT, 0x8205))),
        Some(1)
    );
    let goid = binary(meeting.named.get(&(PSETID_MEETING, 0x0003))).unwrap();
    assert!(goid.starts_with(&[0x04, 0x00, 0x00, 0x00, 0x82, 0x00, 0xE0, 0x00]));
    assert!(meeting.named.contains_key(&(PSETID_APPOINTMENT, 0x825E)));

    // The weekly series: Thursdays 09:00–17:00 Central from 2017-06-01 until 2017-08-14,
    // less July 6, 13, 20 and August 3, with June 29 moved to Monday July 3, 09:00–12:00.
    let weekly = item(
        &items,
        "011",
        "Recurring weekly meeting from June 1 - Aug 14 (except July 6, July 13, July 20, Aug 3)",
    );
    assert_eq!(
        boolean(weekly.named.get(&(PSETID_APPOINTMENT, 0x8223))),
        Some(true)
    );
    let blob = binary(weekly.named.get(&(PSETID_APPOINTMENT, 0x8216))).unwrap();
    let day = |m, d| (minutes(2017, m, d, 9, 0), minutes(2017, m, d, 17, 0));
    let expected = vec![
        day(6, 1),
        day(6, 8),
        day(6, 15),
        day(6, 22),
        (minutes(2017, 7, 3, 9, 0), minutes(2017, 7, 3, 12, 0)),
        day(7, 27),
        day(8, 10),
    ];
    assert_eq!(weekly_occurrences(&blob), expected);
    // Its exception has an attachment of its own (MS-OXOCAL 2.2.10.1).
    assert_eq!(weekly.attachments, 1);
    // Central time: bias 360, daylight 60 minutes from the 2nd Sunday of March, 02:00.
    let zone = binary(weekly.named.get(&(PSETID_APPOINTMENT, 0x8233))).unwrap();
    assert_eq!(i32::from_le_bytes(zone[0..4].try_into().unwrap()), 360);
    assert_eq!(i32::from_le_bytes(zone[8..12].try_into().unwrap()), -60);
    let daylight: Vec<u16> = zone[32..48]
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    assert_eq!(&daylight[1..5], &[3, 0, 2, 2]);

    // libpst writes contacts as vCards and appointments as iCalendar, from its own reading.
    let dir = temp_dir();
    let status = Command::new("readpst")
        .arg("-q")
        .arg("-r")
        .arg("-o")
        .arg(dir.path())
        .arg(&pst)
        .status()
        .unwrap();
    assert!(status.success());
    let read = |folder: &str, file: &str| {
        let path = dir.path().join("pim/resources").join(folder).join(file);
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let vcard = read("vcard/001", "contacts");
    assert!(vcard.contains("EMAIL:forrestgump@example.com"), "{vcard}");
    assert!(
        vcard.contains("TEL;TYPE=work,voice:(111) 555-1212"),
        "{vcard}"
    );
    assert!(vcard.contains("ORG:Bubba Gump Shrimp Co."), "{vcard}");
    let calendar = read("ical/011", "calendar");
    assert!(
        calendar.contains("DTSTART;VALUE=DATE-TIME:20170601T140000Z"),
        "{calendar}"
    );
    assert!(
        calendar.contains("RRULE:FREQ=WEEKLY;COUNT=11;BYDAY=TH"),
        "{calendar}"
    );

    // libpff and pst-extractor open every folder and count the same items.
    for (reader, json) in read_with(&pst, &["pffexport", "pypff", "outlook-pst"]) {
        let count = json["messages"].as_array().unwrap().len();
        assert_eq!(count, 11, "{reader}");
    }
}

/// A one-off EntryID (MS-OXCDATA 2.2.5.1): flags (4 bytes, 0), the one-off provider UID
/// {A41F2B81-A3BE-1910-9D6E-00DD010F5402}, version 0, flags with MAPI_UNICODE (0x8000), then
/// display name, address type and address, each NUL-terminated UTF-16LE.
pub fn one_off(entry: &[u8]) -> (String, String, String) {
    assert_eq!(&entry[..4], &[0, 0, 0, 0]);
    assert_eq!(
        &entry[4..20],
        &[
            0x81, 0x2B, 0x1F, 0xA4, 0xBE, 0xA3, 0x10, 0x19, 0x9D, 0x6E, 0x00, 0xDD, 0x01, 0x0F,
            0x54, 0x02
        ]
    );
    assert_eq!(u16::from_le_bytes([entry[20], entry[21]]), 0);
    assert_ne!(u16::from_le_bytes([entry[22], entry[23]]) & 0x8000, 0);
    let units: Vec<u16> = entry[24..]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let mut parts = units.split(|u| *u == 0).map(String::from_utf16_lossy);
    (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    )
}

/// Microseconds since 1970 of a UTC time, as Thunderbird's calendar stores times.
fn micros(y: i32, m: u32, d: u32, hour: u32, minute: u32) -> i64 {
    chrono::NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(hour, minute, 0)
        .unwrap()
        .and_utc()
        .timestamp_micros()
}

/// Copies a folder tree (the corpus profile) so files can be added beside it.
fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).unwrap();
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A card: its UID, its vCard (empty for a card from before Thunderbird 102), its index rows.
type Card<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);

/// An address book as Thunderbird 102+ writes it (comm-central
/// `mailnews/addrbook/modules/SQLiteDirectory.sys.mjs`, schema version 4): one row per card
/// property, the whole vCard in `_vCard` beside the index rows.
fn write_address_book(path: &Path, cards: &[Card<'_>], lists: &[&str]) {
    let db = rusqlite::Connection::open(path).unwrap();
    db.execute_batch(
        "PRAGMA journal_mode=WAL;
         CREATE TABLE properties (card TEXT, name TEXT, value TEXT);
         CREATE TABLE lists (uid TEXT PRIMARY KEY, name TEXT, nickName TEXT, description TEXT);
         CREATE TABLE list_cards (list TEXT, card TEXT, PRIMARY KEY(list, card));
         CREATE INDEX properties_card ON properties(card);
         CREATE INDEX properties_name ON properties(name);
         PRAGMA user_version = 4;",
    )
    .unwrap();
    for (uid, vcard, index) in cards {
        if !vcard.is_empty() {
            db.execute(
                "INSERT INTO properties VALUES (?1, '_vCard', ?2)",
                [uid, vcard],
            )
            .unwrap();
        }
        for (name, value) in *index {
            db.execute(
                "INSERT INTO properties VALUES (?1, ?2, ?3)",
                [uid, name, value],
            )
            .unwrap();
        }
    }
    for (n, name) in lists.iter().enumerate() {
        db.execute(
            "INSERT INTO lists VALUES (?1, ?2, '', '')",
            [format!("list-{n}"), name.to_string()],
        )
        .unwrap();
    }
}

/// An address book as Thunderbird 3 to 68 wrote it, `abook-N.mab` in Mork (comm-central
/// `mailnews/addrbook/src/nsAddrDatabase.cpp` before version 78: the pab table in the card
/// scope, the data row with LastRecordKey, card rows, a mailing list row with `ListName`,
/// `ListNickName`, `ListDescription`, `ListTotalAddresses` and `Address1`, `Address2` — the
/// members' card row ids, in hexadecimal like every Mork number; the column dictionary as
/// Thunderbird writes it).
const OLD_ADDRESS_BOOK: &str = "// <!-- <mdb:mork:z v=\"1.4\"/> -->
< <(a=c)> // (f=iso-8859-1)
  (80=ns:addrbk:db:row:scope:card:all)
  (81=ns:addrbk:db:row:scope:list:all)
  (82=ns:addrbk:db:row:scope:data:all)(83=FirstName)(84=LastName)
  (87=DisplayName)(89=PrimaryEmail)(8A=LowercasePrimaryEmail)(90=WorkPhone)
  (A8=Company)(BC=RecordKey)(BE=LastRecordKey)(BF=ns:addrbk:db:table:kind:pab)
  (C0=ListName)(C1=ListNickName)(C2=ListDescription)(C3=ListTotalAddresses)
  (C4=Address1)(C5=Address2)>
<(90=Charles)(91=Babbage)(92=Charles Babbage)(93=charles@example.org)
  (94=+44 20 7946 0002)(95=1)(96=2)(97=Mary Somerville)(98=mary@example.org)
  (99=Analytical Society)(9A=analytical)(9B=Cambridge, 1812)>
{1:^80 {(k^BF:c)(s=9)}
  [1:^82(^BE=3)]
  [1(^83^90)(^84^91)(^87^92)(^89^93)(^8A^93)(^90^94)(^BC^95)]
  [2(^87^97)(^89^98)(^BC^96)]
  [3:^81(^C0^99)(^C1^9A)(^C2^9B)(^BC=3)(^C3=2)(^C4=1)(^C5=2)]}
";

/// The tables of Thunderbird's `calendar-data/local.sqlite`, schema 23 (comm-central
/// `calendar/providers/storage/calStorageUpgrade.sys.mjs`; times in microseconds with their
/// zone's name, "floating" or "UTC").
const CALENDAR_SCHEMA: &str = "
    CREATE TABLE cal_calendar_schema_version (version INTEGER);
    INSERT INTO cal_calendar_schema_version VALUES (23);
    CREATE TABLE cal_events (cal_id TEXT, id TEXT, time_created INTEGER, last_modified INTEGER,
        title TEXT, priority INTEGER, privacy TEXT, ical_status TEXT, flags INTEGER,
        event_start INTEGER, event_end INTEGER, event_stamp INTEGER, event_start_tz TEXT,
        event_end_tz TEXT, recurrence_id INTEGER, recurrence_id_tz TEXT,
        alarm_last_ack INTEGER, offline_journal INTEGER);
    CREATE TABLE cal_todos (cal_id TEXT, id TEXT, time_created INTEGER, last_modified INTEGER,
        title TEXT, priority INTEGER, privacy TEXT, ical_status TEXT, flags INTEGER,
        todo_entry INTEGER, todo_due INTEGER, todo_completed INTEGER, todo_complete INTEGER,
        todo_entry_tz TEXT, todo_due_tz TEXT, todo_completed_tz TEXT, recurrence_id INTEGER,
        recurrence_id_tz TEXT, alarm_last_ack INTEGER, todo_stamp INTEGER,
        offline_journal INTEGER);
    CREATE TABLE cal_recurrence (item_id TEXT, cal_id TEXT, icalString TEXT);
    CREATE TABLE cal_attendees (item_id TEXT, recurrence_id INTEGER, recurrence_id_tz TEXT,
        cal_id TEXT, icalString TEXT);
    CREATE TABLE cal_alarms (cal_id TEXT, item_id TEXT, recurrence_id INTEGER,
        recurrence_id_tz TEXT, icalString TEXT);
    CREATE TABLE cal_properties (item_id TEXT, key TEXT, value TEXT, recurrence_id INTEGER,
        recurrence_id_tz TEXT, cal_id TEXT);
    CREATE TABLE cal_parameters (cal_id TEXT, item_id TEXT, recurrence_id INTEGER,
        recurrence_id_tz TEXT, key1 TEXT, key2 TEXT, value TEXT);
    CREATE TABLE cal_attachments (item_id TEXT, cal_id TEXT, recurrence_id INTEGER,
        recurrence_id_tz TEXT, icalString TEXT);
    CREATE TABLE cal_relations (cal_id TEXT, item_id TEXT, recurrence_id INTEGER,
        recurrence_id_tz TEXT, icalString TEXT);
    CREATE TABLE cal_metadata (cal_id TEXT, item_id TEXT UNIQUE, value BLOB);
    CREATE TABLE cal_tz_version (version TEXT);
";

/// The "Home" calendar Thunderbird registered in the corpus profile's prefs.js.
const HOME: &str = "6c383250-fcdd-46d0-9584-428d20801d4a";

fn write_calendar(path: &Path) {
    let db = rusqlite::Connection::open(path).unwrap();
    db.execute_batch(CALENDAR_SCHEMA).unwrap();
    let event = |id: &str,
                 title: &str,
                 flags: i64,
                 start: (i64, &str),
                 end: (i64, &str),
                 rid: Option<i64>| {
        db.execute(
            "INSERT INTO cal_events (cal_id, id, time_created, last_modified, title, priority,
                privacy, ical_status, flags, event_start, event_end, event_stamp,
                event_start_tz, event_end_tz, recurrence_id, recurrence_id_tz)
             VALUES (?1, ?2, ?3, ?3, ?4, 0, 'PUBLIC', 'CONFIRMED', ?5, ?6, ?7, ?3, ?8, ?9, ?10, ?11)",
            rusqlite::params![
                HOME,
                id,
                micros(2024, 1, 2, 12, 0),
                title,
                flags,
                start.0,
                end.0,
                start.1,
                end.1,
                rid,
                rid.map(|_| "Europe/Berlin"),
            ],
        )
        .unwrap();
    };
    let property = |id: &str, key: &str, value: &str, rid: Option<i64>| {
        db.execute(
            "INSERT INTO cal_properties VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![id, key, value, rid, rid.map(|_| "Europe/Berlin"), HOME],
        )
        .unwrap();
    };
    let berlin = "Europe/Berlin";
    // A one-off appointment, 09:30–10:30 in Berlin (08:30 UTC), with a reminder.
    event(
        "dentist",
        "Dentist",
        4 | 256,
        (micros(2024, 3, 12, 8, 30), berlin),
        (micros(2024, 3, 12, 9, 30), berlin),
        None,
    );
    property("dentist", "LOCATION", "Praxis Dr. Weiß, Berlin", None);
    property(
        "dentist",
        "DESCRIPTION",
        "Bring the card;\nask about the bill",
        None,
    );
    property("dentist", "CATEGORIES", "Health", None);
    // A file attached to it, a link, and a parameter of its description.
    db.execute(
        "INSERT INTO cal_attachments VALUES ('dentist', ?1, NULL, NULL, ?2)",
        [
            HOME,
            "ATTACH;VALUE=BINARY;ENCODING=BASE64;FMTTYPE=application/pdf;\r\n \
             FILENAME=referral.pdf:JVBERi0xLjQK",
        ],
    )
    .unwrap();
    db.execute(
        "INSERT INTO cal_attachments VALUES ('dentist', ?1, NULL, NULL, ?2)",
        [HOME, "ATTACH:https://example.org/map"],
    )
    .unwrap();
    db.execute(
        "INSERT INTO cal_parameters VALUES (?1, 'dentist', NULL, NULL, 'DESCRIPTION', \
         'LANGUAGE', 'en')",
        [HOME],
    )
    .unwrap();
    db.execute(
        "INSERT INTO cal_alarms VALUES (?1, 'dentist', NULL, NULL, ?2)",
        [
            HOME,
            "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER;VALUE=DURATION:-PT15M\r\n\
             DESCRIPTION:Default Mozilla Description\r\nEND:VALARM\r\n",
        ],
    )
    .unwrap();
    // An all-day day off (dates are floating midnights).
    event(
        "holiday",
        "Labour Day",
        8,
        (micros(2024, 5, 1, 0, 0), "floating"),
        (micros(2024, 5, 2, 0, 0), "floating"),
        None,
    );
    // A weekly meeting, Mondays 10:00–11:00 Berlin from 8 January, six times, less
    // 22 January, with 29 January moved to Tuesday 30 January 14:00–15:00.
    event(
        "standup",
        "Team meeting",
        2 | 16 | 32,
        (micros(2024, 1, 8, 9, 0), berlin),
        (micros(2024, 1, 8, 10, 0), berlin),
        None,
    );
    db.execute(
        "INSERT INTO cal_recurrence VALUES ('standup', ?1, 'RRULE:FREQ=WEEKLY;COUNT=6;BYDAY=MO')",
        [HOME],
    )
    .unwrap();
    db.execute(
        "INSERT INTO cal_recurrence VALUES ('standup', ?1, 'EXDATE;TZID=Europe/Berlin:20240122T100000')",
        [HOME],
    )
    .unwrap();
    for line in [
        "ORGANIZER;CN=Ada Lovelace:mailto:ada@example.com",
        "ATTENDEE;CN=Grace Hopper;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:mailto:grace@example.org",
        "ATTENDEE;CN=Alan Turing;PARTSTAT=TENTATIVE;ROLE=OPT-PARTICIPANT:mailto:alan@example.net",
    ] {
        db.execute(
            "INSERT INTO cal_attendees VALUES ('standup', NULL, NULL, ?1, ?2)",
            [HOME, line],
        )
        .unwrap();
    }
    let moved = micros(2024, 1, 29, 9, 0);
    event(
        "standup",
        "Team meeting",
        0,
        (micros(2024, 1, 30, 13, 0), berlin),
        (micros(2024, 1, 30, 14, 0), berlin),
        Some(moved),
    );
    property("standup", "LOCATION", "Room 2", Some(moved));
    // A to-do half done.
    db.execute(
        "INSERT INTO cal_todos (cal_id, id, time_created, last_modified, title, priority,
            privacy, ical_status, flags, todo_entry, todo_due, todo_complete, todo_entry_tz,
            todo_due_tz, todo_stamp)
         VALUES (?1, 'taxes', ?2, ?2, 'File the tax return', 1, 'PUBLIC', 'IN-PROCESS', 0,
            ?3, ?4, 50, 'Europe/Berlin', 'Europe/Berlin', ?2)",
        rusqlite::params![
            HOME,
            micros(2024, 1, 2, 12, 0),
            micros(2024, 4, 1, 7, 0),
            micros(2024, 4, 15, 7, 0),
        ],
    )
    .unwrap();
}

/// A Thunderbird profile with mail, two address books and a calendar with events and a to-do,
/// added as a person adds the profile folder: the contacts, events and task land in their
/// own kinds of folders beside the mail, with their fields as outlook-pst and readpst read
/// them, and the weekly series keeps its deleted and moved occurrences. The profile is the
/// corpus profile Thunderbird wrote; the address books and calendar are built from
/// Thunderbird's schema (no Thunderbird run wrote them), with the calendar registered in the
/// profile's prefs.js by Thunderbird itself.
#[test]
fn thunderbird_address_books_and_calendar_convert() {
    let source = temp_dir();
    let profile = source.path().join("profile");
    copy_tree(
        &corpus_path("thunderbird-profile/ng5ko9yq.default-default"),
        &profile,
    );
    let ada = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ada Lovelace\r\nN:Lovelace;Ada;;;\r\n\
               EMAIL;PREF=1:ada@example.com\r\nEMAIL:ada@analytical.example\r\n\
               TEL;TYPE=cell;VALUE=TEXT:+44 20 7946 0000\r\nORG:Analytical Engines\r\n\
               TITLE:Programmer\r\nBDAY;VALUE=DATE:18151210\r\n\
               UID:0c6e5b3a-8d0f-4a51-9d3e-1b0b2f6f3a11\r\nEND:VCARD\r\n";
    let index: &[(&str, &str)] = &[
        ("DisplayName", "Ada Lovelace"),
        ("PrimaryEmail", "ada@example.com"),
        ("LastModifiedDate", "1704196800"),
    ];
    let grace: &[(&str, &str)] = &[
        ("DisplayName", "Grace Hopper"),
        ("FirstName", "Grace"),
        ("LastName", "Hopper"),
        ("PrimaryEmail", "grace@example.org"),
        ("WorkPhone", "+1 555 0100"),
        ("Company", "US Navy"),
        ("JobTitle", "Rear Admiral"),
        ("WorkCity", "Arlington"),
    ];
    write_address_book(
        &profile.join("abook.sqlite"),
        &[
            ("0c6e5b3a-8d0f-4a51-9d3e-1b0b2f6f3a11", ada, index),
            ("5d1c9a77-3b2e-4f0a-8c41-2e9f7d6b0c22", "", grace),
        ],
        &["Pioneers"],
    );
    // The list holds Ada and Grace.
    let book = rusqlite::Connection::open(profile.join("abook.sqlite")).unwrap();
    for card in [
        "0c6e5b3a-8d0f-4a51-9d3e-1b0b2f6f3a11",
        "5d1c9a77-3b2e-4f0a-8c41-2e9f7d6b0c22",
    ] {
        book.execute("INSERT INTO list_cards VALUES ('list-0', ?1)", [card])
            .unwrap();
    }
    drop(book);
    write_address_book(
        &profile.join("history.sqlite"),
        &[(
            "9a8b7c6d-0000-4000-8000-000000000003",
            "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Collected Person\r\n\
             EMAIL:collected@example.net\r\nEND:VCARD\r\n",
            &[("PrimaryEmail", "collected@example.net")],
        )],
        &[],
    );
    fs::write(profile.join("abook-1.mab"), OLD_ADDRESS_BOOK).unwrap();
    fs::create_dir(profile.join("calendar-data")).unwrap();
    write_calendar(&profile.join("calendar-data/local.sqlite"));
    let before = crate::engine_common::fingerprint(&profile);

    let out = temp_dir();
    let pst = out.path().join("thunderbird.pst");
    let (report, _) = run(&spec(vec![profile.clone()], &pst, licensed()));
    assert_eq!(report.status, Status::Complete, "{report:#?}");
    assert_eq!(
        crate::engine_common::fingerprint(&profile),
        before,
        "the profile changed"
    );
    let kinds: BTreeMap<String, (FolderKind, u64, u64, Vec<String>)> = report
        .folders
        .iter()
        .filter(|f| f.kind != FolderKind::Mail)
        .map(|f| {
            (
                f.source_path.to_string(),
                (f.kind, f.found, f.written, f.notes.clone()),
            )
        })
        .collect();
    let names: Vec<&String> = kinds.keys().collect();
    assert_eq!(
        names,
        [
            "Address Books › Collected Addresses",
            "Address Books › Personal Address Book",
            "Address Books › abook-1",
            "Calendars › Home",
            "Calendars › Home Tasks",
        ],
        "{kinds:#?}"
    );
    // Two cards and the mailing list.
    let book = &kinds["Address Books › Personal Address Book"];
    assert_eq!((book.0, book.1, book.2), (FolderKind::Contacts, 3, 3));
    assert!(book.3.is_empty(), "{book:?}");
    assert_eq!(kinds["Calendars › Home"].0, FolderKind::Calendar);
    assert_eq!(kinds["Calendars › Home"].2, 3);
    assert_eq!(kinds["Calendars › Home Tasks"].2, 1);

    let items = read_items(&pst);
    // The vCard Thunderbird keeps, and a card from its index rows only.
    let ada = item(&items, "Personal Address Book", "Ada Lovelace");
    assert_eq!(ada.text(0x001A).as_deref(), Some("IPM.Contact"));
    assert_eq!(
        ada.named_text(PSETID_ADDRESS, 0x8083).as_deref(),
        Some("ada@example.com")
    );
    assert_eq!(
        ada.named_text(PSETID_ADDRESS, 0x8093).as_deref(),
        Some("ada@analytical.example")
    );
    assert_eq!(ada.text(0x3A1C).as_deref(), Some("+44 20 7946 0000"));
    assert_eq!(ada.text(0x3A16).as_deref(), Some("Analytical Engines"));
    let grace = item(&items, "Personal Address Book", "Grace Hopper");
    assert_eq!(grace.text(0x3A06).as_deref(), Some("Grace"));
    assert_eq!(grace.text(0x3A11).as_deref(), Some("Hopper"));
    assert_eq!(grace.text(0x3A08).as_deref(), Some("+1 555 0100"));
    assert_eq!(grace.text(0x3A16).as_deref(), Some("US Navy"));
    assert_eq!(grace.text(0x3A17).as_deref(), Some("Rear Admiral"));
    assert_eq!(
        grace.named_text(PSETID_ADDRESS, 0x8083).as_deref(),
        Some("grace@example.org")
    );
    item(&items, "Collected Addresses", "Collected Person");
    // The mailing list is a distribution list of one-off members (MS-OXOCNTC 2.2.2.2), read
    // by a decoder of one-off EntryIDs written here from MS-OXCDATA 2.2.5.1.
    let list = item(&items, "Personal Address Book", "Pioneers");
    assert_eq!(list.text(0x001A).as_deref(), Some("IPM.DistList"));
    assert_eq!(
        list.named_text(PSETID_ADDRESS, 0x8053).as_deref(),
        Some("Pioneers")
    );
    let entries = |lid| match list.named.get(&(PSETID_ADDRESS, lid)) {
        Some(PropertyValue::MultipleBinary(values)) => values
            .iter()
            .map(|v| v.buffer().to_vec())
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    let members = entries(0x8055);
    assert_eq!(entries(0x8054), members);
    let decoded: Vec<(String, String, String)> = members.iter().map(|m| one_off(m)).collect();
    assert_eq!(
        decoded,
        vec![
            (
                "Ada Lovelace".to_owned(),
                "SMTP".to_owned(),
                "ada@example.com".to_owned()
            ),
            (
                "Grace Hopper".to_owned(),
                "SMTP".to_owned(),
                "grace@example.org".to_owned()
            ),
        ]
    );
    let mut crc = crc32fast::Hasher::new();
    for member in &members {
        crc.update(member);
    }
    assert_eq!(
        integer(list.named.get(&(PSETID_ADDRESS, 0x804C))),
        Some(crc.finalize() as i32)
    );
    // The address book Thunderbird 68 and before kept in Mork.
    let old_book = &kinds["Address Books › abook-1"];
    assert_eq!(
        (old_book.0, old_book.1, old_book.2),
        (FolderKind::Contacts, 3, 3)
    );
    assert!(old_book.3.is_empty(), "{old_book:?}");
    // Its mailing list is a distribution list of the two cards its Address columns name.
    let society = item(&items, "abook-1", "Analytical Society");
    assert_eq!(society.text(0x001A).as_deref(), Some("IPM.DistList"));
    assert_eq!(
        society.text(0x1000).as_deref().map(str::trim),
        Some("Cambridge, 1812")
    );
    let society_members = match society.named.get(&(PSETID_ADDRESS, 0x8055)) {
        Some(PropertyValue::MultipleBinary(values)) => values
            .iter()
            .map(|v| one_off(v.buffer()))
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        society_members,
        vec![
            (
                "Charles Babbage".to_owned(),
                "SMTP".to_owned(),
                "charles@example.org".to_owned()
            ),
            (
                "Mary Somerville".to_owned(),
                "SMTP".to_owned(),
                "mary@example.org".to_owned()
            ),
        ]
    );
    let babbage = item(&items, "abook-1", "Charles Babbage");
    assert_eq!(babbage.text(0x3A08).as_deref(), Some("+44 20 7946 0002"));
    assert_eq!(
        babbage.named_text(PSETID_ADDRESS, 0x8083).as_deref(),
        Some("charles@example.org")
    );
    item(&items, "abook-1", "Mary Somerville");

    // The appointment: 08:30 UTC, its place, its reminder.
    let dentist = item(&items, "Home", "Dentist");
    assert_eq!(dentist.text(0x001A).as_deref(), Some("IPM.Appointment"));
    assert_eq!(
        time(dentist.named.get(&(PSETID_APPOINTMENT, 0x820D))),
        Some(micros(2024, 3, 12, 8, 30) / 1_000_000)
    );
    assert_eq!(
        dentist.named_text(PSETID_APPOINTMENT, 0x8208).as_deref(),
        Some("Praxis Dr. Weiß, Berlin")
    );
    assert_eq!(integer(dentist.named.get(&(0x0006_2008, 0x8501))), Some(15));
    assert_eq!(dentist.attachments, 1, "the referral");
    assert_eq!(
        dentist.text(0x1000).as_deref(),
        Some("Bring the card;\nask about the bill\r\n\r\nAttachment: https://example.org/map")
    );
    let holiday = item(&items, "Home", "Labour Day");
    assert_eq!(
        boolean(holiday.named.get(&(PSETID_APPOINTMENT, 0x8215))),
        Some(true)
    );
    // The meeting: organizer and attendees, and its series.
    let meeting = item(&items, "Home", "Team meeting");
    assert!(meeting.recipients >= 2, "{meeting:#?}");
    assert_eq!(
        boolean(meeting.named.get(&(PSETID_APPOINTMENT, 0x8223))),
        Some(true)
    );
    let blob = binary(meeting.named.get(&(PSETID_APPOINTMENT, 0x8216))).unwrap();
    let monday = |d| (minutes(2024, 1, d, 10, 0), minutes(2024, 1, d, 11, 0));
    assert_eq!(
        weekly_occurrences(&blob),
        vec![
            monday(8),
            monday(15),
            (minutes(2024, 1, 30, 14, 0), minutes(2024, 1, 30, 15, 0)),
            (minutes(2024, 2, 5, 10, 0), minutes(2024, 2, 5, 11, 0)),
            (minutes(2024, 2, 12, 10, 0), minutes(2024, 2, 12, 11, 0)),
        ]
    );
    let task = item(&items, "Home Tasks", "File the tax return");
    assert_eq!(task.text(0x001A).as_deref(), Some("IPM.Task"));
    assert_eq!(integer(task.named.get(&(PSETID_TASK, 0x8101))), Some(1));

    // libpst reads them as contacts and appointments of their own.
    let dir = temp_dir();
    let status = Command::new("readpst")
        .arg("-q")
        .arg("-r")
        .arg("-o")
        .arg(dir.path())
        .arg(&pst)
        .status()
        .unwrap();
    assert!(status.success());
    let found: Vec<String> = walkdir::WalkDir::new(dir.path())
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| fs::read_to_string(e.path()).unwrap_or_default())
        .collect();
    assert!(
        found
            .iter()
            .any(|text| text.contains("EMAIL:grace@example.org")),
        "readpst wrote no vCard for Grace Hopper"
    );
    assert!(
        found.iter().any(|text| text.contains("SUMMARY:Team meeting")
            && text.contains("RRULE:FREQ=WEEKLY")),
        "readpst wrote no weekly Team meeting"
    );

    // libpff and pst-extractor count every item, mail and the rest.
    let total = report.totals.written as usize;
    for (reader, json) in read_with(&pst, &["pffexport", "pypff", "outlook-pst"]) {
        let count = json["messages"].as_array().unwrap().len();
        assert_eq!(count, total, "{reader}");
    }
}
