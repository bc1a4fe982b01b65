//! Contacts and calendars: `.vcf` files (vCard 2.1, 3.0, 4.0) and `.ics` files (iCalendar), one
//! file or a folder of them. Each `.vcf` file is a folder of contacts; each `.ics` file a
//! folder of events and, when it holds to-dos, a folder of tasks beside it ("Name Tasks").
//! A folder's subfolders keep their place. The files are read whole (address books and
//! calendars are small) and framed by [`framing`]; `convert/` parses the items.

pub mod framing;

use std::fs;
use std::path::{Path, PathBuf};

use crate::model::{FolderKind, FolderPath, Found, Origin, RawMessage, StoreKind};
use crate::sources::{
    Error, FolderInfo, MailStore, MessageIter, Probe, Result, lowercase_extension,
};

/// Extensions of vCard files.
const VCARD_EXTENSIONS: &[&str] = &["vcf", "vcard"];
/// Extensions of iCalendar files.
const ICALENDAR_EXTENSIONS: &[&str] = &["ics", "ical", "icalendar"];
/// Extensions of files a folder of contacts and calendars may hold besides them (read-me and
/// licence texts, pictures): passed over.
const BESIDE_EXTENSIONS: &[&str] = &[
    "txt", "md", "pdf", "html", "htm", "jpg", "jpeg", "png", "gif",
];
/// The name of the folder of an iCalendar file's to-dos: the file's name and this.
pub const TASKS_SUFFIX: &str = " Tasks";

/// A vCard or iCalendar text value with `\`, `;`, `,` and line breaks escaped, for the items
/// the stores that keep contacts and events in databases write out as text.
pub fn escape_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// What a contacts or calendar file holds, by its start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FileFormat {
    VCard,
    ICalendar,
}

/// The format of a file from its name, else from its first bytes.
fn format_of(path: &Path, head: &[u8]) -> Option<FileFormat> {
    let extension = lowercase_extension(path);
    if VCARD_EXTENSIONS.contains(&extension.as_str()) {
        return Some(FileFormat::VCard);
    }
    if ICALENDAR_EXTENSIONS.contains(&extension.as_str()) {
        return Some(FileFormat::ICalendar);
    }
    let text = head
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(head)
        .trim_ascii_start();
    let line = text
        .split(|b| *b == b'\n')
        .next()
        .unwrap_or(text)
        .trim_ascii();
    if line.eq_ignore_ascii_case(b"BEGIN:VCARD") {
        Some(FileFormat::VCard)
    } else if line.eq_ignore_ascii_case(b"BEGIN:VCALENDAR") {
        Some(FileFormat::ICalendar)
    } else {
        None
    }
}

/// One file of the store and the folder it becomes.
#[derive(Clone, Debug)]
struct PimFile {
    path: PathBuf,
    format: FileFormat,
    /// The folder of its contacts or events.
    folder: FolderPath,
}

impl PimFile {
    /// The folder of its to-dos (iCalendar files only).
    fn tasks_folder(&self) -> FolderPath {
        let name = format!("{}{TASKS_SUFFIX}", self.folder.name());
        match self.folder.parent() {
            Some(parent) => parent.child(name),
            None => FolderPath::new([name]),
        }
    }
}

/// `.vcf` and `.ics` files opened read-only.
#[derive(Debug)]
pub struct PimFiles {
    root: PathBuf,
    files: Vec<PimFile>,
}

/// The folder name a file gives: its name without the extension.
fn stem(path: &Path) -> String {
    path.file_stem()
        .or_else(|| path.file_name())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "Contacts".to_owned())
}

fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|e| Error::io(path, e))
}

impl PimFiles {
    /// A single `.vcf` or `.ics` file.
    fn open_file(path: &Path, format: FileFormat) -> PimFiles {
        PimFiles {
            root: path.to_path_buf(),
            files: vec![PimFile {
                path: path.to_path_buf(),
                format,
                folder: FolderPath::new([stem(path)]),
            }],
        }
    }

    /// A folder whose files (at any depth) are all contacts or calendar files (texts and
    /// pictures aside); `None` when it holds none, or anything else (other stores read such
    /// folders).
    fn open_folder(path: &Path) -> Result<Option<PimFiles>> {
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(path).sort_by_file_name() {
            // A folder that cannot be read all through is not taken as one of contacts and
            // calendars: the store that takes it reports what cannot be read.
            let Ok(entry) = entry else {
                return Ok(None);
            };
            let name = entry.file_name().to_string_lossy();
            if name.starts_with('.') || !entry.file_type().is_file() {
                continue;
            }
            if BESIDE_EXTENSIONS.contains(&lowercase_extension(entry.path()).as_str()) {
                continue;
            }
            let Some(format) = format_of(entry.path(), &[]) else {
                return Ok(None);
            };
            let relative = entry.path().strip_prefix(path).unwrap_or(entry.path());
            let mut names: Vec<String> = relative
                .parent()
                .map(|p| {
                    p.components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            names.push(stem(entry.path()));
            files.push(PimFile {
                path: entry.path().to_path_buf(),
                format,
                folder: FolderPath::new(names),
            });
        }
        if files.is_empty() {
            return Ok(None);
        }
        Ok(Some(PimFiles {
            root: path.to_path_buf(),
            files,
        }))
    }

    /// The file and kind of a folder of the store.
    fn folder_of(&self, folder: &FolderPath) -> Option<(&PimFile, FolderKind)> {
        self.files.iter().find_map(|file| match file.format {
            FileFormat::VCard if file.folder == *folder => Some((file, FolderKind::Contacts)),
            FileFormat::ICalendar if file.folder == *folder => Some((file, FolderKind::Calendar)),
            FileFormat::ICalendar if file.tasks_folder() == *folder => {
                Some((file, FolderKind::Tasks))
            }
            _ => None,
        })
    }
}

/// The items of one file for one kind of folder.
fn framed(file: &PimFile, kind: FolderKind) -> Result<Vec<framing::Framed>> {
    let data = read(&file.path)?;
    Ok(match (file.format, kind) {
        (FileFormat::VCard, _) => framing::vcards(&data),
        (FileFormat::ICalendar, FolderKind::Tasks) => framing::calendar_objects(&data).todos,
        (FileFormat::ICalendar, _) => framing::calendar_objects(&data).events,
    })
}

impl MailStore for PimFiles {
    fn kind(&self) -> StoreKind {
        StoreKind::ContactsAndCalendars
    }

    fn display_name(&self) -> String {
        let name = self
            .root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.root.display().to_string());
        format!("{} — {name}", StoreKind::ContactsAndCalendars.label())
    }

    fn root(&self) -> &Path {
        &self.root
    }

    fn folders(&self) -> Result<Vec<FolderInfo>> {
        let mut infos: Vec<FolderInfo> = Vec::new();
        let mut add = |path: FolderPath, count: u64, kind: FolderKind, notes: Vec<String>| {
            // Folders above the files come first, as containers.
            let mut parents = Vec::new();
            let mut parent = path.parent();
            while let Some(p) = parent.filter(|p| !p.is_root()) {
                parent = p.parent();
                parents.push(p);
            }
            for p in parents.into_iter().rev() {
                if !infos.iter().any(|i| i.path == p) {
                    infos.push(FolderInfo {
                        path: p,
                        count: 0,
                        notes: Vec::new(),
                        kind: FolderKind::Mail,
                    });
                }
            }
            infos.push(FolderInfo {
                path,
                count,
                notes,
                kind,
            });
        };
        for file in &self.files {
            let data = read(&file.path)?;
            match file.format {
                FileFormat::VCard => {
                    let count = framing::vcards(&data).len() as u64;
                    add(file.folder.clone(), count, FolderKind::Contacts, Vec::new());
                }
                FileFormat::ICalendar => {
                    let objects = framing::calendar_objects(&data);
                    let notes: Vec<String> = (objects.journals > 0)
                        .then(|| {
                            format!(
                                "{} journal entries of {} are not converted (Outlook's journal \
                                 is not written)",
                                objects.journals,
                                file.path.display()
                            )
                        })
                        .into_iter()
                        .collect();
                    let has_events = !objects.events.is_empty() || objects.todos.is_empty();
                    if has_events {
                        add(
                            file.folder.clone(),
                            objects.events.len() as u64,
                            FolderKind::Calendar,
                            notes.clone(),
                        );
                    }
                    if !objects.todos.is_empty() {
                        add(
                            file.tasks_folder(),
                            objects.todos.len() as u64,
                            FolderKind::Tasks,
                            if has_events { Vec::new() } else { notes },
                        );
                    }
                }
            }
        }
        Ok(infos)
    }

    fn messages(&self, folder: &FolderPath) -> Result<MessageIter<'_>> {
        let Some((file, kind)) = self.folder_of(folder) else {
            if self.files.iter().any(|f| f.folder.starts_with(folder)) {
                return Ok(Box::new(std::iter::empty()));
            }
            return Err(Error::NoSuchFolder {
                path: self.root.clone(),
                folder: folder.to_string(),
            });
        };
        let items = framed(file, kind)?;
        let path = file.path.clone();
        let folder = folder.clone();
        Ok(Box::new(items.into_iter().map(move |item| {
            let origin = Origin::FileOffset {
                path: path.clone(),
                offset: item.offset,
            };
            Ok(Found::Message(RawMessage::new(
                folder.clone(),
                item.bytes,
                origin,
            )))
        })))
    }
}

/// Takes a `.vcf` or `.ics` file (by its name or its first line), or a folder that holds only
/// such files.
pub fn detect(path: &Path, probe: &Probe) -> Result<Option<Box<dyn MailStore>>> {
    if probe.is_file() {
        return Ok(format_of(path, probe.head())
            .map(|format| Box::new(PimFiles::open_file(path, format)) as Box<dyn MailStore>));
    }
    if probe.is_dir() {
        return Ok(PimFiles::open_folder(path)?.map(|s| Box::new(s) as Box<dyn MailStore>));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_of_files_gives_a_folder_per_file_and_tasks_beside_calendars() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("Work")).unwrap();
        fs::write(
            dir.path().join("friends.vcf"),
            "BEGIN:VCARD\r\nFN:A\r\nEND:VCARD\r\nBEGIN:VCARD\r\nFN:B\r\nEND:VCARD\r\n",
        )
        .unwrap();
        fs::write(
            dir.path().join("Work/plan.ics"),
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\nEND:VEVENT\r\nBEGIN:VTODO\r\nUID:2\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
        )
        .unwrap();
        let store = PimFiles::open_folder(dir.path()).unwrap().unwrap();
        let folders = store.folders().unwrap();
        let listed: Vec<(String, u64, FolderKind)> = folders
            .iter()
            .map(|f| (f.path.to_string(), f.count, f.kind))
            .collect();
        assert_eq!(
            listed,
            vec![
                ("Work".into(), 0, FolderKind::Mail),
                ("Work › plan".into(), 1, FolderKind::Calendar),
                ("Work › plan Tasks".into(), 1, FolderKind::Tasks),
                ("friends".into(), 2, FolderKind::Contacts),
            ]
        );
        let tasks: Vec<_> = store
            .messages(&FolderPath::new(["Work", "plan Tasks"]))
            .unwrap()
            .collect();
        assert_eq!(tasks.len(), 1);
    }

    #[test]
    fn a_folder_with_other_files_is_left_to_other_readers() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.vcf"), "BEGIN:VCARD\r\nEND:VCARD\r\n").unwrap();
        fs::write(dir.path().join("mail.eml"), "Subject: x\r\n\r\nbody").unwrap();
        assert!(PimFiles::open_folder(dir.path()).unwrap().is_none());
    }

    #[test]
    fn files_are_known_by_name_or_first_line() {
        assert_eq!(format_of(Path::new("x.VCF"), b""), Some(FileFormat::VCard));
        assert_eq!(
            format_of(Path::new("export"), b"\xEF\xBB\xBFBEGIN:VCALENDAR\r\n"),
            Some(FileFormat::ICalendar)
        );
        assert_eq!(format_of(Path::new("x.eml"), b"Subject: x\r\n"), None);
    }
}
