//! A Thunderbird IMAP account whose folders lack messages Thunderbird never downloaded (no
//! offline copy), filled from its server — a real Dovecot ([`crate::imap_server`]) — when the
//! user gives the password: `mail2pst convert PROFILE --fetch-missing`, the password from
//! the environment. Without the password the messages are reported as not downloaded, as
//! before; with a wrong one the error is said and the local messages are still written.
//!
//! The profile is the corpus's real one (`tests/corpus/thunderbird-profile`, written by
//! Thunderbird) with an IMAP account added as Thunderbird keeps one (`docs/formats.md` §2.2:
//! `mail.server.serverN.*` in `prefs.js`, the folders in `ImapMail/<host>/`): an offline mbox
//! that holds some of the Inbox's messages and `.msf` summaries (§2.6, Mork as Thunderbird
//! writes it: a `dbfolderinfo` row with `onlineName` and `UIDValidity`, one row per message
//! keyed by its UID) that list them all. The server's UIDs are fixed by Dovecot's own
//! `dovecot-uidlist` (its documented format: `3 V<uidvalidity> N<next uid>`, then
//! `<uid> :<file name>`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use mail2pst::cli::IMAP_PASSWORD_VARIABLE;
use mail2pst::engine::{self, CancelToken, JobSpec, Source};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use walkdir::WalkDir;

use crate::cli::{Program, arg, code, text};
use crate::engine_common::{licensed, read_with};
use crate::imap_server::{Dovecot, PASSWORD};
use crate::util::{corpus, temp_dir};

/// The server's UIDVALIDITY of INBOX and Work.
const INBOX_VALIDITY: u32 = 1_700_000_000;
const WORK_VALIDITY: u32 = 1_700_000_001;
/// The account's name in Thunderbird, the top of its folders.
const ACCOUNT: &str = "alice@example.org";

/// A message on the server: its file's bytes and Message-ID (without brackets).
#[derive(Clone, Debug)]
struct OnServer {
    bytes: Vec<u8>,
    id: String,
}

/// Puts `count` corpus messages into the maildir folder `dir` with UIDs 1… under
/// `validity`, every one marked read on the server.
fn fill_folder(
    dir: &Path,
    files: &mut impl Iterator<Item = PathBuf>,
    count: usize,
    validity: u32,
) -> Vec<OnServer> {
    for sub in ["cur", "new", "tmp"] {
        fs::create_dir_all(dir.join(sub)).unwrap();
    }
    let mut uidlist = format!("3 V{validity} N{}\n", count + 1);
    let mut placed = Vec::new();
    for uid in 1..=count {
        let bytes = fs::read(files.next().unwrap()).unwrap();
        let base = format!("{}.M{uid}P{validity}.gapfill", 1_700_000_000 + uid);
        fs::write(dir.join("cur").join(format!("{base}:2,S")), &bytes).unwrap();
        writeln!(uidlist, "{uid} :{base}").unwrap();
        placed.push(OnServer {
            id: message_id(&bytes),
            bytes,
        });
    }
    fs::write(dir.join("dovecot-uidlist"), uidlist).unwrap();
    placed
}

/// The Message-ID header's value without brackets (the test's own reading: one line).
pub(crate) fn message_id(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let line = text
        .lines()
        .find(|line| line.to_ascii_lowercase().starts_with("message-id:"))
        .expect("the corpus message has a Message-ID");
    line[11..].trim().trim_matches(['<', '>']).to_owned()
}

/// One message row of a summary: UID, flags, Message-ID, and the offset of its offline copy.
struct Row<'a> {
    uid: u32,
    flags: u32,
    id: &'a str,
    offset: Option<u64>,
}

/// A Mork summary as Thunderbird writes one for an IMAP folder (`docs/formats.md` §2.6).
fn summary(online_name: &str, validity: u32, rows: &[Row<'_>]) -> String {
    let escape = |value: &str| value.replace('\\', "\\\\").replace(')', "\\)");
    let mut mork = String::from(
        "// <!-- <mdb:mork:z v=\"1.4\"/> -->\n< <(a=c)> // (f=iso-8859-1)\n  \
         (80=ns:msg:db:row:scope:msgs:all)(81=ns:msg:db:table:kind:msgs)\n  \
         (82=ns:msg:db:row:scope:dbfolderinfo:all)(83=ns:msg:db:table:kind:dbfolderinfo)\n  \
         (84=flags)(85=message-id)(86=storeToken)(87=dateReceived)(88=onlineName)\n  \
         (89=UIDValidity)(8A=mailboxName)>\n",
    );
    writeln!(
        mork,
        "{{1:^82 {{(k^83:c)(s=9)}} [1(^88={online_name})(^89={validity:x})(^8A={online_name})]}}"
    )
    .unwrap();
    mork.push_str("{1:^80 {(k^81:c)(s=9)}\n");
    for row in rows {
        write!(
            mork,
            "  [{:x}(^84={:x})(^85={})(^87=6553f100)",
            row.uid,
            row.flags,
            escape(row.id)
        )
        .unwrap();
        if let Some(offset) = row.offset {
            write!(mork, "(^86={offset})").unwrap();
        }
        mork.push_str("]\n");
    }
    mork.push_str("}\n");
    mork
}

/// The test's world: the server, and a copy of the corpus profile with the IMAP account.
pub(crate) struct World {
    pub(crate) server: Dovecot,
    inbox: Vec<OnServer>,
    work: Vec<OnServer>,
    _home: tempfile::TempDir,
    pub(crate) profile: PathBuf,
}

/// The server holds 5 messages in INBOX and 2 in Work. Thunderbird keeps INBOX's first two
/// offline; its summary lists UIDs 1–5, the 5th with a Message-ID the server's message 5 does
/// not have (a message deleted on the server since; UID 5 now names another). Work has no
/// offline copy at all and a summary of an older UIDVALIDITY (the folder was rebuilt on the
/// server): its messages are found by Message-ID.
pub(crate) fn world() -> World {
    let mut inbox = Vec::new();
    let mut work = Vec::new();
    let server = Dovecot::start(|maildir| {
        let source = corpus().join("maildir/notmuch/test/corpora/default/cur");
        let mut files: Vec<_> = fs::read_dir(&source)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let mut files = files.into_iter();
        inbox = fill_folder(maildir, &mut files, 5, INBOX_VALIDITY);
        let work_dir = maildir.join(".Work");
        work = fill_folder(&work_dir, &mut files, 2, WORK_VALIDITY);
        fs::write(work_dir.join("maildirfolder"), "").unwrap();
    });

    let home = temp_dir();
    let from = corpus().join("thunderbird-profile/ng5ko9yq.default-default");
    let profile = home.path().join("ng5ko9yq.default-default");
    for entry in WalkDir::new(&from) {
        let entry = entry.unwrap();
        let to = profile.join(entry.path().strip_prefix(&from).unwrap());
        if entry.file_type().is_dir() {
            fs::create_dir_all(&to).unwrap();
        } else {
            fs::copy(entry.path(), &to).unwrap();
        }
    }
    let mut prefs = fs::read_to_string(profile.join("prefs.js")).unwrap();
    for line in [
        r#""mail.accountmanager.accounts", "account1,account3,account2,account4""#.to_owned(),
        r#""mail.account.account4.server", "server4""#.to_owned(),
        r#""mail.server.server4.type", "imap""#.to_owned(),
        r#""mail.server.server4.hostname", "127.0.0.1""#.to_owned(),
        format!(r#""mail.server.server4.port", {}"#, server.imaps_port),
        r#""mail.server.server4.socketType", 3"#.to_owned(),
        r#""mail.server.server4.userName", "alice""#.to_owned(),
        format!(r#""mail.server.server4.name", "{ACCOUNT}""#),
        r#""mail.server.server4.directory-rel", "[ProfD]ImapMail/127.0.0.1""#.to_owned(),
    ] {
        writeln!(prefs, "user_pref({line});").unwrap();
    }
    fs::write(profile.join("prefs.js"), prefs).unwrap();

    let account = profile.join("ImapMail/127.0.0.1");
    fs::create_dir_all(&account).unwrap();
    let mut mbox = Vec::new();
    let mut offsets = Vec::new();
    for message in &inbox[..2] {
        offsets.push(mbox.len() as u64);
        mbox.extend_from_slice(b"From - Tue Nov 14 22:13:20 2023\n");
        mbox.extend_from_slice(&message.bytes);
        if !mbox.ends_with(b"\n") {
            mbox.push(b'\n');
        }
        mbox.push(b'\n');
    }
    fs::write(account.join("INBOX"), mbox).unwrap();
    let rows = [
        Row {
            uid: 1,
            flags: 0x81,
            id: &inbox[0].id,
            offset: Some(offsets[0]),
        },
        Row {
            uid: 2,
            flags: 0x81,
            id: &inbox[1].id,
            offset: Some(offsets[1]),
        },
        // Read and starred in Thunderbird.
        Row {
            uid: 3,
            flags: 0x5,
            id: &inbox[2].id,
            offset: None,
        },
        // Unread in Thunderbird, read on the server: Thunderbird's state is kept.
        Row {
            uid: 4,
            flags: 0x0,
            id: &inbox[3].id,
            offset: None,
        },
        Row {
            uid: 5,
            flags: 0x1,
            id: "gone-from-the-server@example.org",
            offset: None,
        },
    ];
    fs::write(
        account.join("INBOX.msf"),
        summary("INBOX", INBOX_VALIDITY, &rows),
    )
    .unwrap();
    let rows = [
        Row {
            uid: 0x20,
            flags: 0x1,
            id: &work[0].id,
            offset: None,
        },
        Row {
            uid: 0x21,
            flags: 0x1,
            id: &work[1].id,
            offset: None,
        },
    ];
    fs::write(account.join("Work.msf"), summary("Work", 1, &rows)).unwrap();
    World {
        server,
        inbox,
        work,
        _home: home,
        profile,
    }
}

/// Every file under `dir` with a hash of its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .filter(|e| !e.path().components().any(|c| c.as_os_str() == "index"))
        .map(|e| {
            let hash = format!("{:x}", Sha256::digest(fs::read(e.path()).unwrap()));
            (e.path().to_path_buf(), hash)
        })
        .collect()
}

/// The server's messages as files (names carry the flags) and the uidlists; Dovecot's
/// indexes are its own bookkeeping.
pub(crate) fn server_mail(server: &Dovecot) -> BTreeMap<PathBuf, String> {
    snapshot(&server.maildir)
        .into_iter()
        .filter(|(path, _)| {
            path.parent()
                .and_then(Path::file_name)
                .is_some_and(|p| p == "cur" || p == "new")
        })
        .collect()
}

pub(crate) fn report_folder<'a>(report: &'a Value, path: &str) -> &'a Value {
    report["folders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["pst_path"].as_array().unwrap().join_names() == path)
        .unwrap_or_else(|| panic!("no folder {path} in {report:#}"))
}

trait JoinNames {
    fn join_names(&self) -> String;
}

impl JoinNames for Vec<Value> {
    fn join_names(&self) -> String {
        self.iter()
            .map(|v| v.as_str().unwrap())
            .collect::<Vec<_>>()
            .join("/")
    }
}

#[test]
fn messages_thunderbird_never_downloaded_come_from_the_server_with_the_password() {
    let world = world();
    let server_before = server_mail(&world.server);
    let profile_before = snapshot(&world.profile);
    let program = Program::licensed();
    let certificate = world.server.certificate.to_str().unwrap().to_owned();
    let out = temp_dir();
    let convert = |pst: &Path, fetch: bool, password: Option<&str>| -> Output {
        let mut args = vec![
            "convert",
            arg(&world.profile),
            "-o",
            arg(pst),
            "--json",
            "--trust-certificate",
            certificate.as_str(),
        ];
        if fetch {
            args.push("--fetch-missing");
        }
        let mut command = program.command(&args);
        match password {
            Some(password) => command.env(IMAP_PASSWORD_VARIABLE, password),
            None => command.env_remove(IMAP_PASSWORD_VARIABLE),
        };
        command.stdin(Stdio::null()).output().unwrap()
    };
    let inbox = format!("{ACCOUNT}/Inbox");
    let work = format!("{ACCOUNT}/Work");

    // Without the password: as before, the messages only on the server are not downloaded.
    let pst = out.path().join("local.pst");
    let output = convert(&pst, false, None);
    assert_eq!(code(&output), 2, "{}", text(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let folder = report_folder(&report, &inbox);
    assert_eq!(
        (folder["found"].as_u64(), folder["written"].as_u64()),
        (Some(5), Some(2))
    );
    assert_eq!(folder["skipped"]["not_downloaded"], 3);
    assert_eq!(
        report_folder(&report, &work)["skipped"]["not_downloaded"],
        2
    );
    assert_eq!(report["totals"]["from_server"], 0);

    // With it: each message in its place, with Thunderbird's state; the one whose UID now
    // names another message is left out, and the report says why.
    let pst = out.path().join("filled.pst");
    let output = convert(&pst, true, Some(PASSWORD));
    assert_eq!(code(&output), 2, "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("Fetching 5 messages"), "{stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["totals"]["from_server"], 4, "{report:#}");
    assert_eq!(report["totals"]["read_back_differences"], 0);
    assert_eq!(report["totals"]["found"], 46 + 7);
    let folder = report_folder(&report, &inbox);
    assert_eq!(
        (
            folder["found"].as_u64(),
            folder["written"].as_u64(),
            folder["from_server"].as_u64()
        ),
        (Some(5), Some(4), Some(2))
    );
    let skipped = &folder["skipped_items"][0];
    assert_eq!(skipped["reason"], "not_fetched", "{skipped:#}");
    let why = skipped["detail"].as_str().unwrap();
    assert!(why.contains("gone-from-the-server@example.org"), "{why}");
    let folder = report_folder(&report, &work);
    assert_eq!(
        (folder["written"].as_u64(), folder["from_server"].as_u64()),
        (Some(2), Some(2))
    );
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("4 messages the mail client never downloaded came from the server"),
        "{notes}"
    );

    // The independent readers: the right messages in the right folders, with Thunderbird's
    // read state.
    let readers = read_with(&pst, &["readpst", "pypff"]);
    for (reader, json) in &readers {
        let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for message in json["messages"].as_array().unwrap() {
            let folder = message["folder"].as_str().unwrap();
            if folder.starts_with(ACCOUNT) {
                ids.entry(folder.to_owned()).or_default().push(
                    message["message_id"]
                        .as_str()
                        .unwrap()
                        .trim_matches(['<', '>'])
                        .to_owned(),
                );
            }
        }
        for list in ids.values_mut() {
            list.sort();
        }
        let mut expected_inbox: Vec<String> =
            world.inbox[..4].iter().map(|m| m.id.clone()).collect();
        expected_inbox.sort();
        let mut expected_work: Vec<String> = world.work.iter().map(|m| m.id.clone()).collect();
        expected_work.sort();
        assert_eq!(ids.get(&inbox), Some(&expected_inbox), "{reader}");
        assert_eq!(ids.get(&work), Some(&expected_work), "{reader}");
    }
    let read_of = |id: &str| {
        readers["pypff"]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["message_id"].as_str().is_some_and(|m| m.contains(id)))
            .unwrap()["read"]
            .as_bool()
    };
    assert_eq!(read_of(&world.inbox[2].id), Some(true));
    assert_eq!(read_of(&world.inbox[3].id), Some(false));

    // `verify` compares the PST with the profile, the messages from the server included.
    let mut command = program.command(&[
        "verify",
        arg(&pst),
        "--against",
        arg(&world.profile),
        "--fetch-missing",
        "--trust-certificate",
        certificate.as_str(),
    ]);
    command.env(IMAP_PASSWORD_VARIABLE, PASSWORD);
    let output = command.stdin(Stdio::null()).output().unwrap();
    assert_eq!(
        code(&output),
        0,
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );

    // `scan` says which account has messages only on which server.
    let output = program.run(&["scan", arg(&world.profile)]);
    let listing = text(&output.stdout);
    let expected = format!(
        "5 messages of {ACCOUNT} only on imaps://alice@127.0.0.1:{}/: convert with \
         --fetch-missing",
        world.server.imaps_port
    );
    assert!(listing.contains(&expected), "{listing}");

    // A wrong password: said in words, and the local messages are still written.
    let pst = out.path().join("wrong.pst");
    let output = convert(&pst, true, Some("wrong"));
    assert_eq!(code(&output), 2, "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("refused the user name or the password"),
        "{stderr}"
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let folder = report_folder(&report, &inbox);
    assert_eq!(folder["written"], 2);
    assert_eq!(folder["skipped"]["not_downloaded"], 3);
    assert!(
        folder["skipped_items"][0]["detail"]
            .as_str()
            .unwrap_or_else(|| panic!("{folder:#}"))
            .contains("refused"),
        "{folder:#}"
    );

    // Nothing changed on the server or in the profile.
    assert_eq!(server_mail(&world.server), server_before);
    assert_eq!(snapshot(&world.profile), profile_before);
}

/// The engine alone, as the app runs it: the store says which account has messages only on
/// which server, and a job with the password fills them.
#[test]
fn a_store_names_the_server_of_its_gaps_and_the_job_fills_them() {
    let world = world();
    let sources = Source::open_all(world.profile.join("ImapMail/127.0.0.1")).unwrap();
    assert_eq!(sources.len(), 1);
    let source = &sources[0];
    let gaps = source.gaps();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!((gaps[0].name.as_str(), gaps[0].messages), (ACCOUNT, 5));
    let mut server = gaps[0].server.clone().unwrap();
    assert_eq!(
        (server.host.as_str(), server.port, server.user.as_str()),
        ("127.0.0.1", world.server.imaps_port, "alice")
    );
    server.password = engine::Password::new(PASSWORD);
    server.trusted_certificate = Some(world.server.certificate.clone());
    source.fill_gaps(&gaps[0].account, server).unwrap();
    let out = temp_dir();
    let mut spec = JobSpec::new(sources.clone(), out.path().join("out.pst"));
    spec.license = Some(licensed());
    let report = engine::run(&spec, &CancelToken::new(), &mut |_| {}).unwrap();
    assert_eq!(report.totals.from_server, 4, "{report:#?}");
    assert_eq!(report.totals.written, 6);
    assert_eq!(report.totals.read_back_differences, 0);
}
