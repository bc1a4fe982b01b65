//! macOS Calendar (iCal) as macOS 10.5 to 10.14 keep it in `~/Library/Calendars`
//! (docs/formats.md §10.2): one folder per calendar, `<UUID>.calendar`, with its name in
//! `Info.plist` (`Title`) and one iCalendar file per event or to-do in `Events/`; the
//! calendars of a network account (CalDAV, iCloud, Exchange) one level down, in
//! `<UUID>.caldav/`, `<UUID>.exchange/`, …. The `Calendar Cache` database beside them is an
//! index of these files, not read.

use std::path::{Path, PathBuf};

use super::subdirs;
use crate::sources::pim::framing::{self, Framed};
use crate::sources::{Error, Result, lowercase_extension};

/// The extension of a calendar's folder.
const CALENDAR_EXTENSION: &str = "calendar";

/// One calendar: its folder, its name, and the iCalendar files of its events and to-dos.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IcsCalendar {
    pub dir: PathBuf,
    pub name: String,
    pub files: Vec<PathBuf>,
}

/// True for a `<UUID>.calendar` folder: its `Events` folder or its `Info.plist` inside
/// (`group.com.apple.calendar`, the folder of macOS 14's database, is none).
pub fn is_calendar_dir(path: &Path) -> bool {
    lowercase_extension(path) == CALENDAR_EXTENSION
        && (path.join("Events").is_dir() || path.join("Info.plist").is_file())
}

/// The `.calendar` folders in a Calendars folder: its own, then those of each account folder,
/// in name order.
pub fn calendar_dirs(calendars: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for dir in subdirs(calendars) {
        if is_calendar_dir(&dir) {
            found.push(dir);
        } else {
            found.extend(subdirs(&dir).into_iter().filter(|d| is_calendar_dir(d)));
        }
    }
    found
}

/// A calendar's name from its `Info.plist` (`Title`), else its folder's name.
fn calendar_name(dir: &Path) -> String {
    plist::Value::from_file(dir.join("Info.plist"))
        .ok()
        .and_then(|value| {
            value
                .as_dictionary()?
                .get("Title")?
                .as_string()
                .map(str::to_owned)
        })
        .map(|title| title.trim().to_owned())
        .filter(|title| !title.is_empty())
        .unwrap_or_else(|| {
            dir.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "Calendar".to_owned())
        })
}

/// Opens one `.calendar` folder: its name and the `.ics` files of its `Events/` folder (and
/// of any other folder in it, so that no item a version kept elsewhere is missed).
pub fn open_calendar(dir: &Path) -> Result<IcsCalendar> {
    let mut files = Vec::new();
    for folder in subdirs(dir) {
        let entries = std::fs::read_dir(&folder).map_err(|e| Error::io(&folder, e))?;
        for entry in entries {
            let path = entry.map_err(|e| Error::io(&folder, e))?.path();
            if lowercase_extension(&path) == "ics" && path.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(IcsCalendar {
        dir: dir.to_path_buf(),
        name: calendar_name(dir),
        files,
    })
}

/// What the calendar's files hold: events, to-dos and journal entries, each event or to-do
/// with the file it is in.
#[derive(Debug, Default)]
pub struct CalendarItems {
    pub events: Vec<(PathBuf, Framed)>,
    pub todos: Vec<(PathBuf, Framed)>,
    pub journals: usize,
}

impl IcsCalendar {
    /// Reads every file of the calendar.
    pub fn items(&self) -> Result<CalendarItems> {
        let mut items = CalendarItems::default();
        for file in &self.files {
            let data = std::fs::read(file).map_err(|e| Error::io(file, e))?;
            let objects = framing::calendar_objects(&data);
            items
                .events
                .extend(objects.events.into_iter().map(|f| (file.clone(), f)));
            items
                .todos
                .extend(objects.todos.into_iter().map(|f| (file.clone(), f)));
            items.journals += objects.journals;
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendars_are_found_at_the_top_and_in_account_folders_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("A1.calendar");
        std::fs::create_dir_all(home.join("Events")).unwrap();
        plist::Value::Dictionary(
            [("Title".to_owned(), plist::Value::String("Home".into()))]
                .into_iter()
                .collect(),
        )
        .to_file_xml(home.join("Info.plist"))
        .unwrap();
        std::fs::write(
            home.join("Events/E1.ics"),
            "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
        )
        .unwrap();
        let shared = dir.path().join("B2.caldav/C3.calendar");
        std::fs::create_dir_all(shared.join("Events")).unwrap();
        std::fs::create_dir_all(dir.path().join("B2.caldav/Empty.calendar")).unwrap();
        std::fs::create_dir_all(dir.path().join("Incoming")).unwrap();
        let found = calendar_dirs(dir.path());
        assert_eq!(found, vec![home.clone(), shared.clone()]);
        let home = open_calendar(&home).unwrap();
        assert_eq!(home.name, "Home");
        assert_eq!(home.files.len(), 1);
        let shared = open_calendar(&shared).unwrap();
        assert_eq!(shared.name, "C3");
        assert!(shared.files.is_empty());
    }
}
