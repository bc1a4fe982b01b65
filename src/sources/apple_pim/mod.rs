//! A Mac's Contacts and Calendar, beside its Apple Mail: the address book databases of
//! `~/Library/Application Support/AddressBook` ([`contacts`]), the calendar folders of
//! `~/Library/Calendars` ([`calendars`], macOS 10.5 to 10.14) and Calendar's database of
//! macOS 14 and later ([`calendar_database`]), each opened read-only as a store of its own
//! whose folders hold contacts, events or tasks. Items are yielded as vCard and iCalendar text;
//! `convert/` reads them as it reads `.vcf` and `.ics` files.

pub mod calendar_database;
pub mod calendars;
pub mod contacts;

use std::path::{Path, PathBuf};

use crate::model::{FolderKind, FolderPath, Found, Origin, RawMessage, StoreKind};
use crate::sources::pim::TASKS_SUFFIX;
use crate::sources::{Error, FolderInfo, MailStore, MessageIter, Probe, Result};

use calendar_database::DatabaseCalendar;
use calendars::IcsCalendar;

/// The top folder of the address books.
pub const CONTACTS_TOP: &str = "Apple Contacts";
/// The top folder of the calendars.
pub const CALENDARS_TOP: &str = "Apple Calendar";
/// The folder of the address book database at the top of the AddressBook folder.
const MAIN_BOOK: &str = "Contacts";

/// Where one folder's items come from.
#[derive(Clone, Debug)]
enum Source {
    AddressBook(PathBuf),
    Calendar(IcsCalendar),
    /// One calendar of Calendar's database.
    Database {
        file: PathBuf,
        calendar: DatabaseCalendar,
    },
}

#[derive(Clone, Debug)]
struct Folder {
    path: FolderPath,
    kind: FolderKind,
    source: Source,
}

/// macOS Contacts or Calendar, opened read-only.
#[derive(Debug)]
pub struct ApplePimStore {
    kind: StoreKind,
    root: PathBuf,
    folders: Vec<Folder>,
    /// What is not converted from the whole store, shown on its top folder.
    notes: Vec<String>,
}

/// The address book databases of an AddressBook folder: its own, then each account's in
/// `Sources/<UUID>/`, by name.
fn address_books_in(dir: &Path) -> Vec<PathBuf> {
    let mut books = Vec::new();
    let main = dir.join(contacts::DATABASE);
    if main.is_file() {
        books.push(main);
    }
    let mut sources: Vec<PathBuf> = std::fs::read_dir(dir.join("Sources"))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path().join(contacts::DATABASE)))
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    sources.sort();
    books.extend(sources);
    books
}

/// A name not yet among `taken` (" (2)", " (3)", … added).
fn unique(name: String, taken: &[String]) -> String {
    let lower = |s: &str| s.to_lowercase();
    if !taken.iter().any(|t| lower(t) == lower(&name)) {
        return name;
    }
    (2..)
        .map(|n| format!("{name} ({n})"))
        .find(|candidate| !taken.iter().any(|t| lower(t) == lower(candidate)))
        .unwrap_or(name)
}

impl ApplePimStore {
    /// The address book databases `books` (an AddressBook folder's, or one file), each a
    /// folder of contacts under "Apple Contacts". Databases with no contacts are left out
    /// when another has some.
    fn open_books(root: &Path, books: Vec<PathBuf>) -> Result<ApplePimStore> {
        let mut folders = Vec::new();
        let mut names: Vec<String> = Vec::new();
        let mut empty = Vec::new();
        for file in books {
            let summary = contacts::summary(&file)?;
            let in_sources = file
                .parent()
                .and_then(Path::parent)
                .and_then(Path::file_name)
                .is_some_and(|n| n == "Sources");
            let name = match (&summary.name, in_sources) {
                (Some(name), _) => name.clone(),
                (None, true) => format!(
                    "Account {}",
                    file.parent()
                        .and_then(Path::file_name)
                        .map(|n| n.to_string_lossy().chars().take(8).collect::<String>())
                        .unwrap_or_default()
                ),
                (None, false) => MAIN_BOOK.to_owned(),
            };
            let name = unique(name, &names);
            names.push(name.clone());
            let folder = Folder {
                path: FolderPath::new([CONTACTS_TOP.to_owned(), name]),
                kind: FolderKind::Contacts,
                source: Source::AddressBook(file),
            };
            if summary.contacts == 0 && summary.groups == 0 {
                empty.push(folder);
            } else {
                folders.push(folder);
            }
        }
        if folders.is_empty() {
            folders = empty;
        }
        Ok(ApplePimStore {
            kind: StoreKind::AppleContacts,
            root: root.to_path_buf(),
            folders,
            notes: Vec::new(),
        })
    }

    /// The calendar folders `dirs`, each a folder of events (and one of tasks when it holds
    /// to-dos) under "Apple Calendar".
    fn open_calendars(root: &Path, dirs: Vec<PathBuf>) -> Result<ApplePimStore> {
        let mut folders = Vec::new();
        let mut names: Vec<String> = Vec::new();
        for dir in dirs {
            let mut calendar = calendars::open_calendar(&dir)?;
            calendar.name = unique(calendar.name.clone(), &names);
            names.push(calendar.name.clone());
            names.push(format!("{}{TASKS_SUFFIX}", calendar.name));
            folders.push(Folder {
                path: FolderPath::new([CALENDARS_TOP.to_owned(), calendar.name.clone()]),
                kind: FolderKind::Calendar,
                source: Source::Calendar(calendar),
            });
        }
        Ok(ApplePimStore {
            kind: StoreKind::AppleCalendar,
            root: root.to_path_buf(),
            folders,
            notes: Vec::new(),
        })
    }

    /// The calendars of Calendar's database `file`, each a folder of events (and one of
    /// tasks when it holds to-dos) under "Apple Calendar".
    fn open_database(root: &Path, file: &Path) -> Result<ApplePimStore> {
        let summary = calendar_database::summary(file)?;
        let mut folders = Vec::new();
        let mut names: Vec<String> = Vec::new();
        for mut calendar in summary.calendars {
            calendar.name = unique(calendar.name.clone(), &names);
            names.push(calendar.name.clone());
            names.push(format!("{}{TASKS_SUFFIX}", calendar.name));
            folders.push(Folder {
                path: FolderPath::new([CALENDARS_TOP.to_owned(), calendar.name.clone()]),
                kind: FolderKind::Calendar,
                source: Source::Database {
                    file: file.to_path_buf(),
                    calendar,
                },
            });
        }
        Ok(ApplePimStore {
            kind: StoreKind::AppleCalendar,
            root: root.to_path_buf(),
            folders,
            notes: summary.notes,
        })
    }

    /// The folder of a calendar's to-dos.
    fn tasks_path(folder: &FolderPath) -> FolderPath {
        FolderPath::new([
            CALENDARS_TOP.to_owned(),
            format!("{}{TASKS_SUFFIX}", folder.name()),
        ])
    }
}

/// The folders of one calendar: its events (also when it holds nothing) and, when it has
/// to-dos, its tasks; the notes go on the first.
fn calendar_folders(
    infos: &mut Vec<FolderInfo>,
    folder: &FolderPath,
    events: u64,
    todos: u64,
    notes: Vec<String>,
) {
    let has_events = events > 0 || todos == 0;
    if has_events {
        infos.push(FolderInfo {
            path: folder.clone(),
            count: events,
            notes: notes.clone(),
            kind: FolderKind::Calendar,
        });
    }
    if todos > 0 {
        infos.push(FolderInfo {
            path: ApplePimStore::tasks_path(folder),
            count: todos,
            notes: if has_events { Vec::new() } else { notes },
            kind: FolderKind::Tasks,
        });
    }
}

impl MailStore for ApplePimStore {
    fn kind(&self) -> StoreKind {
        self.kind
    }

    fn display_name(&self) -> String {
        self.kind.label().to_owned()
    }

    fn root(&self) -> &Path {
        &self.root
    }

    fn folders(&self) -> Result<Vec<FolderInfo>> {
        let top = match self.kind {
            StoreKind::AppleContacts => CONTACTS_TOP,
            _ => CALENDARS_TOP,
        };
        let mut infos = vec![FolderInfo {
            path: FolderPath::new([top.to_owned()]),
            count: 0,
            notes: self.notes.clone(),
            kind: FolderKind::Mail,
        }];
        for folder in &self.folders {
            match &folder.source {
                Source::AddressBook(file) => {
                    let (count, notes) = match contacts::summary(file) {
                        Ok(summary) if summary.groups_readable => (
                            summary.contacts + summary.groups,
                            summary.note.into_iter().collect(),
                        ),
                        Ok(summary) => (
                            summary.contacts,
                            (summary.groups > 0)
                                .then(|| {
                                    format!(
                                        "{} groups of {} are not converted (the table of \
                                         their members is not there; the members are contacts \
                                         of the book and are converted)",
                                        summary.groups,
                                        file.display()
                                    )
                                })
                                .into_iter()
                                .chain(summary.note)
                                .collect(),
                        ),
                        Err(error) => (0, vec![format!("could not be read: {error}")]),
                    };
                    infos.push(FolderInfo {
                        path: folder.path.clone(),
                        count,
                        notes,
                        kind: folder.kind,
                    });
                }
                Source::Calendar(calendar) => {
                    let items = match calendar.items() {
                        Ok(items) => items,
                        Err(error) => {
                            infos.push(FolderInfo {
                                path: folder.path.clone(),
                                count: 0,
                                notes: vec![format!("could not be read: {error}")],
                                kind: FolderKind::Calendar,
                            });
                            continue;
                        }
                    };
                    let notes: Vec<String> = (items.journals > 0)
                        .then(|| {
                            format!(
                                "{} journal entries of {} are not converted (Outlook's journal \
                                 is not written)",
                                items.journals,
                                calendar.dir.display()
                            )
                        })
                        .into_iter()
                        .collect();
                    calendar_folders(
                        &mut infos,
                        &folder.path,
                        items.events.len() as u64,
                        items.todos.len() as u64,
                        notes,
                    );
                }
                Source::Database { file, calendar } => {
                    match calendar_database::items(file, calendar.id) {
                        Ok(items) => calendar_folders(
                            &mut infos,
                            &folder.path,
                            items.events.len() as u64,
                            items.todos.len() as u64,
                            Vec::new(),
                        ),
                        Err(error) => infos.push(FolderInfo {
                            path: folder.path.clone(),
                            count: 0,
                            notes: vec![format!("could not be read: {error}")],
                            kind: FolderKind::Calendar,
                        }),
                    }
                }
            }
        }
        Ok(infos)
    }

    fn messages(&self, folder: &FolderPath) -> Result<MessageIter<'_>> {
        for candidate in &self.folders {
            match &candidate.source {
                Source::AddressBook(file) if candidate.path == *folder => {
                    let cards = contacts::cards(file)?;
                    let path = folder.clone();
                    let file = file.clone();
                    return Ok(Box::new(cards.into_iter().map(move |(row, bytes)| {
                        Ok(Found::Message(RawMessage::new(
                            path.clone(),
                            bytes,
                            Origin::DatabaseRow {
                                database: file.clone(),
                                row,
                            },
                        )))
                    })));
                }
                Source::Calendar(calendar)
                    if candidate.path == *folder
                        || Self::tasks_path(&candidate.path) == *folder =>
                {
                    let items = calendar.items()?;
                    let wanted = if candidate.path == *folder {
                        items.events
                    } else {
                        items.todos
                    };
                    let path = folder.clone();
                    return Ok(Box::new(wanted.into_iter().map(move |(file, item)| {
                        Ok(Found::Message(RawMessage::new(
                            path.clone(),
                            item.bytes,
                            Origin::FileOffset {
                                path: file,
                                offset: item.offset,
                            },
                        )))
                    })));
                }
                Source::Database { file, calendar }
                    if candidate.path == *folder
                        || Self::tasks_path(&candidate.path) == *folder =>
                {
                    let items = calendar_database::items(file, calendar.id)?;
                    let wanted = if candidate.path == *folder {
                        items.events
                    } else {
                        items.todos
                    };
                    let path = folder.clone();
                    let database = file.clone();
                    return Ok(Box::new(wanted.into_iter().map(move |item| {
                        let mut message = RawMessage::new(
                            path.clone(),
                            item.bytes,
                            Origin::DatabaseRow {
                                database: database.clone(),
                                row: item.row,
                            },
                        );
                        message.warnings = item.warnings;
                        Ok(Found::Message(message))
                    })));
                }
                _ => {}
            }
        }
        if folder.depth() <= 1 {
            return Ok(Box::new(std::iter::empty()));
        }
        Err(Error::NoSuchFolder {
            path: self.root.clone(),
            folder: folder.to_string(),
        })
    }
}

/// What macOS asks for before an app may read Contacts' or Calendar's folder.
pub const PRIVACY_HINT: &str = "macOS protects Contacts and Calendar: open System Settings → \
     Privacy & Security → Full Disk Access, switch on mail2pst (add it with the + button if it is \
     not listed), then quit and reopen mail2pst";

/// True for a path inside a folder where macOS keeps Contacts' or Calendar's data, which it
/// lets an app read only with Full Disk Access.
pub fn is_protected(path: &Path) -> bool {
    let names: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    names.windows(2).any(|w| {
        matches!(
            (w[0].as_str(), w[1].as_str()),
            ("Application Support", "AddressBook")
                | ("Library", "Calendars")
                | ("Group Containers", "group.com.apple.calendar")
        )
    })
}

/// An error when macOS does not let the folder be listed (the app lacks Full Disk Access),
/// saying how to grant it.
pub fn permission_error(dir: &Path) -> Option<Error> {
    match std::fs::read_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            Some(Error::PermissionDenied {
                path: dir.to_path_buf(),
                hint: Some(PRIVACY_HINT.to_owned()),
            })
        }
        _ => None,
    }
}

/// True when `dir` is (or holds) a Mac's Contacts data: an AddressBook folder with a
/// database at its top or in `Sources/`.
pub fn holds_address_books(dir: &Path) -> bool {
    !address_books_in(dir).is_empty()
}

/// True when `dir` is a Calendars folder with at least one calendar in it, or the folder of
/// Calendar's database.
pub fn holds_calendars(dir: &Path) -> bool {
    !calendars::calendar_dirs(dir).is_empty() || holds_calendar_database(dir)
}

/// The database macOS 14 and later keep calendars in (docs/formats.md §10.2).
pub const CALENDAR_DATABASE: &str = calendar_database::DATABASE;

/// True when `dir` holds Calendar's database of macOS 14 and later.
pub fn holds_calendar_database(dir: &Path) -> bool {
    dir.join(CALENDAR_DATABASE).is_file()
}

/// Calendar's database beside a `~/Library/Calendars` folder (macOS 14 and later leave only
/// sync state there).
fn database_beside(calendars: &Path) -> Option<PathBuf> {
    if calendars.file_name()? != "Calendars" {
        return None;
    }
    let database = calendars
        .parent()?
        .join("Group Containers")
        .join("group.com.apple.calendar")
        .join(CALENDAR_DATABASE);
    database.is_file().then_some(database)
}

/// Opens a Mac's Contacts (an AddressBook folder) or Calendar (a Calendars folder), as
/// discovery finds them.
pub fn open_place(kind: StoreKind, dir: &Path) -> Result<ApplePimStore> {
    match kind {
        StoreKind::AppleContacts => ApplePimStore::open_books(dir, address_books_in(dir)),
        _ => {
            let dirs = calendars::calendar_dirs(dir);
            if dirs.is_empty() && holds_calendar_database(dir) {
                ApplePimStore::open_database(dir, &dir.join(CALENDAR_DATABASE))
            } else {
                ApplePimStore::open_calendars(dir, dirs)
            }
        }
    }
}

/// Takes what a person may point at: an `.abcddb` file; an AddressBook folder, its `Sources`
/// folder or one account's folder in it; a Calendars folder, an account's folder in it, or
/// one `.calendar` folder; Calendar's database, its folder, or the `~/Library/Calendars` of
/// macOS 14 and later beside it.
pub fn detect(path: &Path, probe: &Probe) -> Result<Option<Box<dyn MailStore>>> {
    let boxed = |store: ApplePimStore| Some(Box::new(store) as Box<dyn MailStore>);
    if probe.is_file() {
        if crate::sources::lowercase_extension(path) == "abcddb" {
            return Ok(boxed(ApplePimStore::open_books(
                path,
                vec![path.to_path_buf()],
            )?));
        }
        if path.file_name().is_some_and(|n| n == CALENDAR_DATABASE) {
            return Ok(boxed(ApplePimStore::open_database(path, path)?));
        }
        return Ok(None);
    }
    if !probe.is_dir() {
        return Ok(None);
    }
    let books = address_books_in(path);
    if !books.is_empty() {
        return Ok(boxed(ApplePimStore::open_books(path, books)?));
    }
    // The Sources folder: each account's database.
    if path.file_name().is_some_and(|n| n == "Sources") {
        let books: Vec<PathBuf> = subdirs(path)
            .into_iter()
            .map(|d| d.join(contacts::DATABASE))
            .filter(|p| p.is_file())
            .collect();
        if !books.is_empty() {
            return Ok(boxed(ApplePimStore::open_books(path, books)?));
        }
    }
    if calendars::is_calendar_dir(path) {
        return Ok(boxed(ApplePimStore::open_calendars(
            path,
            vec![path.to_path_buf()],
        )?));
    }
    let dirs = calendars::calendar_dirs(path);
    if !dirs.is_empty() {
        return Ok(boxed(ApplePimStore::open_calendars(path, dirs)?));
    }
    if holds_calendar_database(path) {
        return Ok(boxed(ApplePimStore::open_database(
            path,
            &path.join(CALENDAR_DATABASE),
        )?));
    }
    if let Some(database) = database_beside(path) {
        return Ok(boxed(ApplePimStore::open_database(path, &database)?));
    }
    Ok(None)
}

/// The subfolders of `dir`, by name; none when it cannot be listed.
fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}
