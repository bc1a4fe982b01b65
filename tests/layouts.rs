//! Where people's mail lies on disk, and every level of it a person may point the app at. A
//! table of layouts, each built in a temporary home folder from real files — the profile
//! Thunderbird 153 wrote (`tests/corpus/thunderbird-profile`, its MANIFEST.md says what
//! Thunderbird shows), the Apple Mail libraries of `apple_mail_fixtures`, loose `.emlx` files of
//! the Apple Mail corpus and a Gmail Takeout export of corpus messages (`loose_mail`) — and each
//! entered at every level: the folder a person would drag in, type or pick. Each level is opened
//! the way the app and `mail2pst convert` open what they are given ([`sources::open_all`]) and
//! must give the store kind, the folder paths and the message counts of its row. The Thunderbird rows are
//! MANIFEST.md's own table, from every level. Discovery is checked for the layouts it looks in,
//! and no file of a layout changes.
//!
//! To add a layout: write a function that builds it in a home folder and returns its
//! [`Layout`] (the folders it holds, and the levels with what each selects), and list it in
//! [`layouts`].

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mail2pst::model::{Found, SkipReason, StoreKind};
use mail2pst::sources::discover::{SearchRoots, SystemLayout, discover_in};
use mail2pst::sources::{self, MailStore};

use crate::apple_mail_fixtures::{self as apple, ACCOUNT_UUID, STORE_GUID};
use crate::engine_common::{key_text, messages_per_folder, read_with};
use crate::source_thunderbird::file_safe;
use crate::util::{corpus, temp_dir};

/// One folder as a person sees it after conversion: its path ("Local Folders › Projects"), the
/// messages it gives, the copies its mail client deleted (left out, and reported), and other
/// items left out with a reason (never downloaded from the server).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Folder {
    pub path: String,
    pub messages: u64,
    pub deleted: u64,
    pub other_skips: u64,
}

impl Folder {
    fn new(path: &str, messages: u64, deleted: u64, other_skips: u64) -> Folder {
        Folder {
            path: path.to_owned(),
            messages,
            deleted,
            other_skips,
        }
    }

    fn is_empty(&self) -> bool {
        self.messages + self.deleted + self.other_skips == 0
    }
}

/// Which of a layout's folders a level holds.
#[derive(Clone, Debug)]
pub enum Select {
    /// Every folder.
    All,
    /// The folders whose file (or maildir folder), relative to the profile, is this path or
    /// lies in it — for a `.sbd` folder, the folder it belongs to as well. MANIFEST.md's "File
    /// on disk" column says which file each folder is.
    Files(String),
    /// This folder and those below it.
    Under(&'static str),
    /// This folder alone.
    Only(&'static str),
    /// This folder and those below it, read as a folder tree of its own: the folder is the
    /// top, so "Backup › 2019 › Work" entered at `2019` is "2019 › Work".
    Subtree(&'static str),
}

/// One place a person may point at, and what it holds.
#[derive(Clone, Debug)]
pub struct Level {
    /// Relative to the home folder.
    pub at: PathBuf,
    pub select: Select,
}

/// A layout built in a home folder.
#[derive(Debug)]
pub struct Layout {
    pub name: &'static str,
    pub kind: StoreKind,
    /// Every folder the layout's store holds, with the file each is (relative to the profile;
    /// empty where there is no such column).
    pub folders: Vec<(Folder, String)>,
    pub levels: Vec<Level>,
    /// The system layout whose discovery finds the store, and where the store is (relative to
    /// the home folder); `None` when discovery does not look there.
    pub discovered: Option<(SystemLayout, PathBuf)>,
}

/// Every layout of the table, each built in its own home folder.
/// Lays a layout out in a home folder.
type Builder = fn(&Path) -> Layout;

fn layouts() -> Vec<(&'static str, Builder)> {
    vec![
        ("Thunderbird on Linux", |home| {
            thunderbird(home, ".thunderbird", "", SystemLayout::Unix)
        }),
        ("Thunderbird Snap", |home| {
            thunderbird(
                home,
                "snap/thunderbird/common/.thunderbird",
                "",
                SystemLayout::Unix,
            )
        }),
        ("Thunderbird Flatpak", |home| {
            thunderbird(
                home,
                ".var/app/org.mozilla.Thunderbird/.thunderbird",
                "",
                SystemLayout::Unix,
            )
        }),
        ("Thunderbird on macOS", |home| {
            thunderbird(home, "Library/Thunderbird", "Profiles", SystemLayout::MacOs)
        }),
        ("Thunderbird on Windows", |home| {
            thunderbird(
                home,
                "AppData/Roaming/Thunderbird",
                "Profiles",
                SystemLayout::Windows,
            )
        }),
        ("Postbox on Windows", |home| {
            thunderbird(
                home,
                "AppData/Roaming/PostboxApp",
                "Profiles",
                SystemLayout::Windows,
            )
        }),
        ("Postbox on macOS", |home| {
            thunderbird(
                home,
                "Library/Application Support/Postbox",
                "Profiles",
                SystemLayout::MacOs,
            )
        }),
        ("Thunderbird with an IMAP account", thunderbird_with_imap),
        ("Apple Mail V10", apple_mail_v10),
        ("Apple Mail V2", apple_mail_v2),
        ("Loose emlx files in a backup", loose_emlx_backup),
        ("A loose Messages folder of emlx files", loose_emlx_messages),
        ("Gmail Takeout mbox", gmail_takeout_file),
        ("Gmail Takeout folder", gmail_takeout_folder),
    ]
}

// ----- Thunderbird and Postbox -----

const PROFILE: &str = "ng5ko9yq.default-default";

/// The real profile tree (`profiles.ini`, `installs.ini`, both profiles), without its manifest.
fn profile_corpus() -> PathBuf {
    corpus().join("thunderbird-profile")
}

/// Copies a folder tree, leaving out the corpus's notes (`MANIFEST.md`).
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else if entry.file_name() != "MANIFEST.md" {
            fs::write(&target, fs::read(entry.path()).unwrap()).unwrap();
        }
    }
}

/// MANIFEST.md's table of folders: each folder as Thunderbird shows it, its file, the messages
/// shown and the expunged copies still in the file.
pub fn manifest_folders() -> Vec<(Folder, String)> {
    let manifest = fs::read_to_string(profile_corpus().join("MANIFEST.md")).unwrap();
    let table = manifest
        .split("\n## Folders\n")
        .nth(1)
        .expect("MANIFEST.md has a Folders section");
    let mut rows = Vec::new();
    for line in table.lines().skip_while(|l| !l.starts_with('|')) {
        if !line.starts_with('|') {
            break;
        }
        // `\|` is a `|` inside a cell.
        let cells: Vec<String> = line
            .replace("\\|", "\u{0}")
            .split('|')
            .map(|cell| cell.trim().replace('\u{0}', "|"))
            .collect();
        let number = |cell: &str| cell.trim_matches('*').parse::<u64>().ok();
        let (Some(shown), Some(expunged)) = (number(&cells[4]), number(&cells[6])) else {
            continue; // the header and the rule
        };
        let file = cells[2].trim_matches('`').trim_end_matches('/').to_owned();
        if file.is_empty() {
            continue; // the total
        }
        rows.push((Folder::new(&cells[1], shown, expunged, 0), file));
    }
    assert_eq!(rows.len(), 17, "MANIFEST.md lists 17 folders");
    rows
}

/// The profile tree laid out in `home/<root>`, its profiles in `<root>/<profiles>` (Windows and
/// macOS keep them in `Profiles/`, Linux right in the data folder; `profiles.ini` says where).
pub fn thunderbird(home: &Path, root: &str, profiles: &str, system: SystemLayout) -> Layout {
    let data = home.join(root);
    let corpus = profile_corpus();
    fs::create_dir_all(&data).unwrap();
    let mut ini = fs::read_to_string(corpus.join("profiles.ini")).unwrap();
    if !profiles.is_empty() {
        ini = ini
            .replace("Path=", &format!("Path={profiles}/"))
            .replace("Default=ng5", &format!("Default={profiles}/ng5"));
    }
    fs::write(data.join("profiles.ini"), ini).unwrap();
    fs::copy(corpus.join("installs.ini"), data.join("installs.ini")).unwrap();
    for profile in [PROFILE, "si38zpcu.default"] {
        copy_tree(&corpus.join(profile), &data.join(profiles).join(profile));
    }
    let profile = PathBuf::from(root).join(profiles).join(PROFILE);
    let kind = if root.to_lowercase().contains("postbox") {
        StoreKind::Postbox
    } else {
        StoreKind::Thunderbird
    };
    let mut levels = vec![
        Level {
            at: PathBuf::from(root),
            select: Select::All,
        },
        Level {
            at: profile.clone(),
            select: Select::All,
        },
    ];
    if !profiles.is_empty() {
        levels.push(Level {
            at: PathBuf::from(root).join(profiles),
            select: Select::All,
        });
    }
    for part in [
        "Mail",
        "Mail/Local Folders",
        "Mail/pop.example.com",
        "Mail/pop.example.org",
        "Mail/Local Folders/Projects.sbd",
        "Mail/Local Folders/Projects.sbd/2024.sbd",
        "Mail/pop.example.com/Archives.sbd",
        "Mail/pop.example.org/Inbox.sbd",
        "Mail/Local Folders/Invoices77926fb7",
        "Mail/Local Folders/Projects",
        "Mail/pop.example.com/Inbox",
        "Mail/pop.example.org/Inbox",
    ] {
        levels.push(Level {
            at: profile.join(part),
            select: Select::Files(part.to_owned()),
        });
    }
    Layout {
        name: "",
        kind,
        folders: manifest_folders(),
        levels,
        discovered: Some((system, profile)),
    }
}

/// The Linux layout with one more account, an IMAP one, as Thunderbird keeps it: listed in
/// `prefs.js` (docs/formats.md §2.2: `directory-rel` `[ProfD]ImapMail/<host>`, type `imap`), its
/// offline store in `ImapMail/imap.example.com/` — here alice's real Inbox and its summary.
fn thunderbird_with_imap(home: &Path) -> Layout {
    let mut layout = thunderbird(home, ".thunderbird", "", SystemLayout::Unix);
    let profile = home.join(".thunderbird").join(PROFILE);
    let account = profile.join("ImapMail/imap.example.com");
    fs::create_dir_all(&account).unwrap();
    for (from, to) in [("Inbox", "INBOX"), ("Inbox.msf", "INBOX.msf")] {
        let bytes = fs::read(profile.join("Mail/pop.example.com").join(from)).unwrap();
        fs::write(account.join(to), bytes).unwrap();
    }
    let mut prefs = fs::read_to_string(profile.join("prefs.js")).unwrap();
    for (key, value) in [
        (
            "mail.accountmanager.accounts",
            "account1,account3,account2,account4",
        ),
        ("mail.account.account4.server", "server4"),
        ("mail.server.server4.type", "imap"),
        ("mail.server.server4.hostname", "imap.example.com"),
        ("mail.server.server4.userName", "carol"),
        ("mail.server.server4.name", "carol@example.com"),
        (
            "mail.server.server4.directory-rel",
            "[ProfD]ImapMail/imap.example.com",
        ),
    ] {
        writeln!(prefs, "user_pref(\"{key}\", \"{value}\");").unwrap();
    }
    fs::write(profile.join("prefs.js"), prefs).unwrap();
    // Thunderbird shows the copy as alice's Inbox: 12 messages, 2 expunged.
    let inbox = Folder::new("carol@example.com › Inbox", 12, 2, 0);
    layout
        .folders
        .push((inbox, "ImapMail/imap.example.com/INBOX".to_owned()));
    let imap_levels = [
        "ImapMail",
        "ImapMail/imap.example.com",
        "ImapMail/imap.example.com/INBOX",
    ];
    let profile = PathBuf::from(".thunderbird").join(PROFILE);
    layout.levels.retain(|level| {
        matches!(level.select, Select::All) || level.at.ends_with("Mail/Local Folders")
    });
    for part in imap_levels {
        layout.levels.push(Level {
            at: profile.join(part),
            select: Select::Files(part.to_owned()),
        });
    }
    layout
}

// ----- Apple Mail -----

/// A V10 library (docs/formats.md §1.2; `apple_mail_fixtures::build_v10`): an IMAP account with an
/// Inbox (messages Mail deleted, messages it never downloaded), a child mailbox nested in the
/// Inbox's bundle, a Gmail folder, and a second account with an empty mailbox.
fn apple_mail_v10(home: &Path) -> Layout {
    let library = apple::build_v10(&home.join("Library/Mail"));
    let v10 = PathBuf::from("Library/Mail/V10");
    let inbox = v10.join(ACCOUNT_UUID).join("INBOX.mbox");
    let messages = inbox
        .join(STORE_GUID)
        .join("Data")
        .join(apple::shard(114862))
        .join("Messages");
    assert!(home.join(&messages).is_dir(), "{}", messages.display());
    let other = apple::OTHER_UUID;
    let folders = [
        Folder::new(other, 0, 0, 0),
        Folder::new(&format!("{other} › Archive"), 0, 0, 0),
        Folder::new("me@example.com", 0, 0, 0),
        // 4 corpus messages and one whose state only the index has; one file and one index
        // row marked deleted; two rows never downloaded.
        Folder::new("me@example.com › INBOX", 5, 2, 2),
        Folder::new("me@example.com › INBOX › Work", 2, 0, 0),
        Folder::new("me@example.com › Never Opened", 0, 0, 1),
        Folder::new("me@example.com › [Gmail]", 0, 0, 0),
        Folder::new("me@example.com › [Gmail] › All Mail", 2, 0, 0),
    ];
    let level = |at: PathBuf, select| Level { at, select };
    Layout {
        name: "",
        kind: StoreKind::AppleMail,
        folders: folders.into_iter().map(|f| (f, String::new())).collect(),
        levels: vec![
            level(PathBuf::from("Library/Mail"), Select::All),
            level(v10.clone(), Select::All),
            level(v10.join(ACCOUNT_UUID), Select::Under("me@example.com")),
            level(inbox.clone(), Select::Under("me@example.com › INBOX")),
            level(
                inbox.join("Work.mbox"),
                Select::Under("me@example.com › INBOX › Work"),
            ),
            level(messages, Select::Only("me@example.com › INBOX")),
            level(
                v10.join(ACCOUNT_UUID).join("[Gmail].mbox"),
                Select::Under("me@example.com › [Gmail]"),
            ),
        ],
        discovered: Some((
            SystemLayout::MacOs,
            library.strip_prefix(home).unwrap().to_path_buf(),
        )),
    }
}

/// A V2 library (docs/formats.md §1.1; `apple_mail_fixtures::build_v2`): `IMAP-…` and `POP-…`
/// account folders, local mailboxes in `Mailboxes/`, messages in `<box>.mbox/Messages/`.
fn apple_mail_v2(home: &Path) -> Layout {
    let library = apple::build_v2(&home.join("Library/Mail"));
    let v2 = PathBuf::from("Library/Mail/V2");
    let imap = v2.join("IMAP-me@imap.example.com");
    let folders = [
        Folder::new("Work IMAP", 0, 0, 0),
        Folder::new("Work IMAP › INBOX", 2, 0, 0),
        Folder::new("On My Mac", 0, 0, 0),
        Folder::new("On My Mac › Receipts", 1, 0, 0),
        Folder::new("old@pop.example.com", 0, 0, 0),
        Folder::new("old@pop.example.com › INBOX", 1, 0, 0),
    ];
    let level = |at: PathBuf, select| Level { at, select };
    Layout {
        name: "",
        kind: StoreKind::AppleMail,
        folders: folders.into_iter().map(|f| (f, String::new())).collect(),
        levels: vec![
            level(PathBuf::from("Library/Mail"), Select::All),
            level(v2.clone(), Select::All),
            level(imap.clone(), Select::Under("Work IMAP")),
            level(v2.join("Mailboxes"), Select::Under("On My Mac")),
            level(imap.join("INBOX.mbox"), Select::Under("Work IMAP › INBOX")),
            level(
                imap.join("INBOX.mbox/Messages"),
                Select::Only("Work IMAP › INBOX"),
            ),
            level(
                v2.join("POP-old@pop.example.com/INBOX.mbox/Messages"),
                Select::Only("old@pop.example.com › INBOX"),
            ),
        ],
        discovered: Some((
            SystemLayout::MacOs,
            library.strip_prefix(home).unwrap().to_path_buf(),
        )),
    }
}

// ----- Mail outside a mail client -----

/// The real `.emlx` files of the corpus sorted into a backup's folders of its own
/// (`loose_mail::loose_emlx`): partial messages with the `Attachments` folder among them, a
/// message kept whole and partial, a copy Mail had deleted, a folder of the user's that is
/// only called `Attachments`.
fn loose_emlx_backup(home: &Path) -> Layout {
    crate::loose_mail::loose_emlx(home);
    let folders = [
        Folder::new("Backup", 0, 0, 0),
        Folder::new("Backup › 2019", 0, 0, 0),
        Folder::new("Backup › 2019 › Personal", 2, 1, 0),
        Folder::new("Backup › 2019 › Personal › Attachments", 1, 0, 0),
        Folder::new("Backup › 2019 › Work", 2, 0, 0),
    ];
    let level = |at: &str, select| Level {
        at: PathBuf::from(at),
        select,
    };
    Layout {
        name: "",
        kind: StoreKind::EmlFolder,
        folders: folders.into_iter().map(|f| (f, String::new())).collect(),
        levels: vec![
            level("Backup", Select::All),
            level("Backup/2019", Select::Subtree("Backup › 2019")),
            level(
                "Backup/2019/Personal",
                Select::Subtree("Backup › 2019 › Personal"),
            ),
            level("Backup/2019/Work", Select::Subtree("Backup › 2019 › Work")),
        ],
        discovered: None,
    }
}

/// A mailbox's `Messages` folder copied out of a library with its `Attachments` folder beside
/// it (all eight corpus messages), entered at the `Messages` folder.
fn loose_emlx_messages(home: &Path) -> Layout {
    crate::loose_mail::loose_emlx(home);
    Layout {
        name: "",
        kind: StoreKind::EmlFolder,
        folders: vec![(Folder::new("Messages", 8, 0, 0), String::new())],
        levels: vec![Level {
            at: PathBuf::from("Restored/Inbox/Messages"),
            select: Select::All,
        }],
        discovered: None,
    }
}

/// The label folders of `loose_mail::takeout`'s export, below `top`.
fn takeout_labels(top: &str) -> Vec<(Folder, String)> {
    let all = "All mail Including Spam and Trash";
    [
        ("", 0),
        (" › Archive", 1),
        (" › Inbox", 2),
        (" › Sent", 1),
        (" › Spam", 1),
        (" › Trash", 1),
        (" › Travel", 1),
        (" › Work", 0),
        (" › Work › Clients", 1),
    ]
    .into_iter()
    .map(|(label, messages)| {
        let path = format!("{top}{all}{label}");
        (Folder::new(&path, messages, 0, 0), String::new())
    })
    .collect()
}

/// A Google Takeout export of Gmail built from real messages (`loose_mail::takeout`), entered
/// at its mbox file: a folder per label.
fn gmail_takeout_file(home: &Path) -> Layout {
    crate::loose_mail::takeout(home);
    Layout {
        name: "",
        kind: StoreKind::GmailTakeout,
        folders: takeout_labels(""),
        levels: vec![Level {
            at: PathBuf::from("Takeout/Mail/All mail Including Spam and Trash.mbox"),
            select: Select::All,
        }],
        discovered: None,
    }
}

/// The same export entered at the folders Takeout unpacks to: the mbox file's label tree
/// inside the folder tree.
fn gmail_takeout_folder(home: &Path) -> Layout {
    crate::loose_mail::takeout(home);
    let mut folders = vec![
        (Folder::new("Takeout", 0, 0, 0), String::new()),
        (Folder::new("Takeout › Mail", 0, 0, 0), String::new()),
    ];
    folders.extend(takeout_labels("Takeout › Mail › "));
    Layout {
        name: "",
        kind: StoreKind::EmlFolder,
        folders,
        levels: vec![
            Level {
                at: PathBuf::from("Takeout"),
                select: Select::All,
            },
            Level {
                at: PathBuf::from("Takeout/Mail"),
                select: Select::Subtree("Takeout › Mail"),
            },
        ],
        discovered: None,
    }
}

// ----- Checking -----

/// What a store gives, folder by folder, read as a conversion reads it.
pub fn read_folders(store: &dyn MailStore) -> Vec<Folder> {
    store
        .folders()
        .unwrap()
        .into_iter()
        .map(|info| {
            let mut folder = Folder::new(&info.path.to_string(), 0, 0, 0);
            for item in store.messages(&info.path).unwrap() {
                match item.unwrap() {
                    Found::Message(_) => folder.messages += 1,
                    Found::Skipped {
                        reason: SkipReason::DeletedInSource(_),
                        ..
                    } => folder.deleted += 1,
                    Found::Skipped { .. } => folder.other_skips += 1,
                }
            }
            folder
        })
        .collect()
}

/// The folders of `layout` that `select` takes, with the paths they have there.
fn selected(layout: &Layout, select: &Select) -> Vec<Folder> {
    if let Select::Subtree(top) = select {
        // Names above the top are not part of the tree it makes.
        let above = top.rsplit_once(" › ").map_or("", |(above, _)| above);
        return layout
            .folders
            .iter()
            .filter(|(folder, _)| {
                folder.path == *top || folder.path.starts_with(&format!("{top} › "))
            })
            .map(|(folder, _)| {
                let mut folder = folder.clone();
                if !above.is_empty() {
                    folder.path = folder.path[above.len() + " › ".len()..].to_owned();
                }
                folder
            })
            .collect();
    }
    layout
        .folders
        .iter()
        .filter(|(folder, file)| match select {
            Select::All => true,
            Select::Files(part) => {
                let owner = part.strip_suffix(".sbd");
                file == part
                    || file.starts_with(&format!("{part}/"))
                    || owner.is_some_and(|owner| file == owner)
            }
            Select::Under(path) => {
                folder.path == *path || folder.path.starts_with(&format!("{path} › "))
            }
            Select::Only(path) => folder.path == *path,
            Select::Subtree(_) => false,
        })
        .map(|(folder, _)| folder.clone())
        .collect()
}

/// Differences between what a level gave and what it should: every expected folder with its
/// numbers; anything else only as an empty parent of an expected folder.
fn differences(got: &[Folder], expected: &[Folder]) -> Vec<String> {
    let mut problems = Vec::new();
    for want in expected {
        match got.iter().find(|folder| folder.path == want.path) {
            Some(folder) if folder == want => {}
            Some(folder) => problems.push(format!("{folder:?}, expected {want:?}")),
            None => problems.push(format!("missing {want:?}")),
        }
    }
    for folder in got {
        let expected_here = expected.iter().any(|want| want.path == folder.path);
        let parent = expected
            .iter()
            .any(|want| want.path.starts_with(&format!("{} › ", folder.path)));
        if !(expected_here || parent && folder.is_empty()) {
            problems.push(format!("unexpected {folder:?}"));
        }
    }
    problems
}

#[test]
fn every_layout_from_every_level_gives_what_its_mail_client_shows() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, build) in layouts() {
        let home = temp_dir();
        let mut layout = build(home.path());
        layout.name = name;
        let before = apple::snapshot(home.path());
        for level in &layout.levels {
            let path = home.path().join(&level.at);
            let expected = selected(&layout, &level.select);
            assert!(!expected.is_empty(), "{name}: {level:?} selects nothing");
            let stores = match sources::open_all(&path) {
                Ok(stores) => stores,
                Err(error) => {
                    failures.push(format!("{name} at {}: {error}", level.at.display()));
                    continue;
                }
            };
            checked += 1;
            if stores.len() != 1 {
                failures.push(format!(
                    "{name} at {}: {} stores",
                    level.at.display(),
                    stores.len()
                ));
                continue;
            }
            let store = stores[0].as_ref();
            if store.kind() != layout.kind {
                failures.push(format!(
                    "{name} at {}: read as {}",
                    level.at.display(),
                    store.kind()
                ));
            }
            for problem in differences(&read_folders(store), &expected) {
                failures.push(format!("{name} at {}: {problem}", level.at.display()));
            }
        }
        if let Some((system, store_path)) = &layout.discovered {
            let discovery = discover_in(&SearchRoots::for_home(*system, home.path()));
            let found: Vec<PathBuf> = discovery.stores.iter().map(|s| s.path.clone()).collect();
            if found != [home.path().join(store_path)] {
                failures.push(format!("{name}: discovery found {found:?}"));
            } else {
                let store = discovery.stores[0].open().unwrap();
                let all = selected(&layout, &Select::All);
                for problem in differences(&read_folders(store.as_ref()), &all) {
                    failures.push(format!("{name} discovered: {problem}"));
                }
            }
        }
        assert_eq!(
            apple::snapshot(home.path()),
            before,
            "{name}: reading changed a file"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 100, "{checked} levels checked");
}

// ----- Journeys from a home folder -----

/// The program as a person runs it at home: `home` is their home folder, the license key in
/// the environment (no demo limit), settings in a folder of their own outside `home`.
fn mail2pst_at(home: &Path, config: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mail2pst"));
    command
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", config)
        .env("XDG_DATA_HOME", config)
        .env("MAIL2PST_LICENSE_KEY", key_text("valid.key"))
        .env_remove("MAIL2PST_LOG");
    command
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The issue's own case: `mail2pst convert ~/.thunderbird -o out.pst`, the folder holding
/// `profiles.ini` that a person finds and drags in. The PST holds the 46 messages Thunderbird
/// shows in the folders it shows them in (MANIFEST.md), as the report says and as independent
/// readers see it; the 3 copies Thunderbird deleted are left out and reported; no file of the
/// profile changes.
#[test]
fn converting_the_thunderbird_folder_writes_what_thunderbird_shows() {
    let home = temp_dir();
    let config = temp_dir();
    thunderbird(home.path(), ".thunderbird", "", SystemLayout::Unix);
    let before = apple::snapshot(home.path());
    let out = temp_dir();
    let pst = out.path().join("mail.pst");
    let output = mail2pst_at(home.path(), config.path())
        .arg("convert")
        .arg(home.path().join(".thunderbird"))
        .arg("-o")
        .arg(&pst)
        .arg("--json")
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)));
    // The deleted copies are notes, not skips: every live message written, exit 0.
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(report["status"], "complete");
    assert_eq!(report["totals"]["deleted"], 3);
    let manifest = manifest_folders();
    let folders = report["folders"].as_array().unwrap();
    for (folder, _) in &manifest {
        let row = folders
            .iter()
            .find(|row| {
                let names: Vec<&str> = row["pst_path"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n.as_str().unwrap())
                    .collect();
                names.join(" › ") == folder.path
            })
            .unwrap_or_else(|| panic!("no folder {} in the report", folder.path));
        assert_eq!(row["written"], folder.messages, "{}", folder.path);
        assert_eq!(row["found"], folder.messages, "{}", folder.path);
        assert_eq!(
            row["deleted"].as_array().unwrap().len() as u64,
            folder.deleted,
            "{}",
            folder.path
        );
    }
    assert_eq!(report["totals"]["written"], 46);
    // Account folders hold the 17 folders of MANIFEST.md; nothing else is in the PST.
    assert_eq!(folders.len(), 17 + 3, "{folders:#?}");

    let expected: Vec<(String, u64)> = manifest
        .iter()
        .filter(|(folder, _)| folder.messages > 0)
        .map(|(folder, _)| (file_safe(&folder.path.replace(" › ", "/")), folder.messages))
        .collect();
    for (reader, json) in read_with(&pst, &["readpst", "pffexport", "pypff", "outlook-pst"]) {
        assert_eq!(json["totals"]["messages"], 46, "{reader}");
        let seen: Vec<(String, u64)> = messages_per_folder(&json)
            .into_iter()
            .map(|(folder, count)| (file_safe(&folder), count))
            .collect();
        for want in &expected {
            assert!(seen.contains(want), "{reader}: {want:?} not in {seen:?}");
        }
    }
    assert_eq!(apple::snapshot(home.path()), before, "the profile changed");
}

/// `mail2pst scan` without a path, at home: the profile the app would list, its accounts,
/// folders and counts; the same as JSON.
#[test]
fn scan_without_a_path_lists_the_mail_of_this_computer() {
    let home = temp_dir();
    let config = temp_dir();
    thunderbird(home.path(), ".thunderbird", "", SystemLayout::Unix);
    let before = apple::snapshot(home.path());
    let output = mail2pst_at(home.path(), config.path())
        .arg("scan")
        .output()
        .unwrap();
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    let profile = home.path().join(".thunderbird").join(PROFILE);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("Mail found on this computer:"));
    assert_eq!(
        lines.next(),
        Some(format!("Thunderbird — default-default ({})", profile.display()).as_str())
    );
    let listed: Vec<(String, u64)> = lines
        .filter_map(|line| {
            let (name, count) = line.trim_end().rsplit_once(' ')?;
            Some((name.trim_end().to_owned(), count.parse().ok()?))
        })
        .collect();
    // Accounts at the top, their folders below with the messages in each file (MANIFEST.md).
    for (name, count) in [
        ("  alice@example.com", 0),
        ("    Inbox", 14),
        ("    Archives", 0),
        ("      2004", 1),
        ("  bob@example.org", 0),
        ("    Inbox", 4),
        ("      Saved", 2),
        ("  Local Folders", 0),
        ("    Invoices: 2024? <draft> |*", 4),
        ("        Q1", 4),
        ("    日本語", 4),
    ] {
        assert!(
            listed.contains(&(name.to_owned(), count)),
            "{name:?} {count} not in\n{text}"
        );
    }
    assert!(text.contains("  20 folders, 49 messages"), "{text}");

    let output = mail2pst_at(home.path(), config.path())
        .args(["scan", "--json"])
        .output()
        .unwrap();
    let listings: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(listings.as_array().unwrap().len(), 1, "{listings:#}");
    assert_eq!(listings[0]["name"], "Thunderbird — default-default");
    assert_eq!(listings[0]["folders"].as_array().unwrap().len(), 20);
    assert_eq!(apple::snapshot(home.path()), before, "the profile changed");

    // A home without mail says where it looked and what to do.
    let empty = temp_dir();
    let output = mail2pst_at(empty.path(), config.path())
        .arg("scan")
        .output()
        .unwrap();
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.starts_with("No mail was found in the usual places of this computer:"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "Thunderbird ({})",
            empty.path().join(".thunderbird").display()
        )),
        "{text}"
    );
    assert!(text.contains("mail2pst scan PATH"), "{text}");
}
