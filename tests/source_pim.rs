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
use crate::util::temp_dir;

/// data1 of the property sets' GUIDs.
const PSETID_ADDRESS: u32 = 0x0006_2004;
const PSETID_APPOINTMENT: u32 = 0x0006_2002;
const PSETID_TASK: u32 = 0x0006_2003;
const PSETID_MEETING: u32 = 0x6ED8_DA90;

/// One message as outlook-pst reads it: tagged properties by ID, named ones by (set, LID).
#[derive(Debug)]
struct Item {
    folder: String,
    tagged: BTreeMap<u16, PropertyValue>,
    named: BTreeMap<(u32, u32), PropertyValue>,
    recipients: usize,
    attachments: usize,
}

impl Item {
    fn text(&self, id: u16) -> Option<String> {
        text(self.tagged.get(&id))
    }

    fn named_text(&self, set: u32, lid: u32) -> Option<String> {
        text(self.named.get(&(set, lid)))
    }

    fn subject(&self) -> String {
        let subject = self.text(0x0037).unwrap_or_default();
        match subject.strip_prefix('\u{1}') {
            Some(rest) => rest.chars().skip(1).collect(),
            None => subject,
        }
    }
}

fn utf16(units: &[u16]) -> String {
    let end = units.iter().position(|&u| u == 0).unwrap_or(units.len());
    String::from_utf16_lossy(&units[..end])
}

fn text(value: Option<&PropertyValue>) -> Option<String> {
    match value? {
        PropertyValue::Unicode(s) => Some(utf16(s.buffer())),
        other => panic!("not PtypString: {other:?}"),
    }
}

fn time(value: Option<&PropertyValue>) -> Option<i64> {
    match value? {
        // FILETIME to Unix seconds.
        PropertyValue::Time(t) => Some(t / 10_000_000 - 11_644_473_600),
        other => panic!("not PtypTime: {other:?}"),
    }
}

fn integer(value: Option<&PropertyValue>) -> Option<i32> {
    match value? {
        PropertyValue::Integer32(n) => Some(*n),
        other => panic!("not PtypInteger32: {other:?}"),
    }
}

fn boolean(value: Option<&PropertyValue>) -> Option<bool> {
    match value? {
        PropertyValue::Boolean(b) => Some(*b),
        other => panic!("not PtypBoolean: {other:?}"),
    }
}

fn binary(value: Option<&PropertyValue>) -> Option<Vec<u8>> {
    match value? {
        PropertyValue::Binary(b) => Some(b.buffer().to_vec()),
        other => panic!("not PtypBinary: {other:?}"),
    }
}

/// Every message of the PST, folder by folder, as outlook-pst reads it.
fn read_items(pst: &Path) -> Vec<Item> {
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

fn item<'a>(items: &'a [Item], folder: &str, subject: &str) -> &'a Item {
    items
        .iter()
        .find(|i| i.folder.ends_with(&format!("/{folder}")) && i.subject() == subject)
        .unwrap_or_else(|| panic!("no {subject:?} in {folder}: {items:#?}"))
}

/// Minutes since 1601-01-01 of a wall-clock time.
fn minutes(y: i32, m: u32, d: u32, hour: u32, minute: u32) -> u32 {
    let date = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let epoch = chrono::NaiveDate::from_ymd_opt(1601, 1, 1).unwrap();
    ((date - epoch).num_days() as u32) * 1440 + hour * 60 + minute
}

/// The occurrences of a weekly AppointmentRecurrencePattern (MS-OXOCAL 2.2.1.44.1 and .3) as
/// (start, end) in local minutes: the pattern's days from StartDate, OccurrenceCount of them
/// or up to EndDate, less DeletedInstanceDates, with the ExceptionInfo's new times for the
/// changed ones. Written from the spec for this test; shares nothing with the writer.
fn weekly_occurrences(blob: &[u8]) -> Vec<(u32, u32)> {
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
    assert_eq!(boolean(photo.named.get(&(PSETID_ADDRESS, 0x8015))), Some(true));

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
    assert_eq!(integer(coffee.named.get(&(0x0006_2008, 0x8501))), Some(1440));
    let task = item(&items, "025 Tasks", "Submit Income Taxes");
    assert_eq!(task.text(0x001A).as_deref(), Some("IPM.Task"));
    assert_eq!(integer(task.named.get(&(PSETID_TASK, 0x8101))), Some(0));

    // A meeting from Exchange: organizer and attendees as recipients, tentative, the
    // Windows zone resolved, and Outlook's own global object ID kept.
    let meeting = item(&items, "047", "Testmeeting ➡ ignore it!");
    assert!(meeting.recipients >= 2, "{meeting:#?}");
    assert_eq!(integer(meeting.named.get(&(PSETID_APPOINTMENT, 0x8205))), Some(1));
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
    assert_eq!(boolean(weekly.named.get(&(PSETID_APPOINTMENT, 0x8223))), Some(true));
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
