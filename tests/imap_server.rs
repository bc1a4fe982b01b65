//! A real IMAP server for the tests: Dovecot (Debian's `dovecot-imapd`, installed by
//! `scripts/test-setup.sh`), started on 127.0.0.1 on free ports with a configuration of its own
//! in a temporary folder — no system service — a passwd-file user, a self-signed certificate
//! made at start (openssl) and a maildir (Maildir++, as Dovecot keeps it) the test fills. It is
//! stopped when dropped.
//!
//! Dovecot refuses to read mail as root; run as root (CI), the mail processes run as `nobody`
//! and the folder is handed to that user. Run as another user, every process of the server is
//! that user's (its own users and group are named in the configuration).

#![allow(dead_code)]

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use mail2pst::sources::imap::{ImapAccount, Password, Security};

use crate::util::temp_dir;

const DOVECOT: &str = "/usr/sbin/dovecot";
pub const USER: &str = "alice";
pub const PASSWORD: &str = "correct horse battery staple";

/// The uid and gid the mail processes run as when the tests run as root.
const NOBODY: u32 = 65534;

/// A running Dovecot and its files.
#[derive(Debug)]
pub struct Dovecot {
    dir: tempfile::TempDir,
    config: PathBuf,
    /// IMAP over TLS.
    pub imaps_port: u16,
    /// IMAP, with STARTTLS.
    pub imap_port: u16,
    /// The user's maildir (INBOX; the other folders are `.Name` folders inside).
    pub maildir: PathBuf,
    /// The server's certificate (PEM), for the client to trust.
    pub certificate: PathBuf,
}

impl Dovecot {
    /// Starts Dovecot with `alice`'s maildir filled by `fill` (called with the maildir's
    /// path, before the server starts).
    pub fn start(fill: impl FnOnce(&Path)) -> Dovecot {
        assert!(
            Path::new(DOVECOT).exists(),
            "{DOVECOT} is missing: run scripts/test-setup.sh (it installs dovecot-imapd)"
        );
        let dir = temp_dir();
        let root = dir.path().to_path_buf();
        let maildir = root.join("mail").join(USER);
        for sub in ["cur", "new", "tmp"] {
            fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        fill(&maildir);
        for sub in ["run", "index", "home"] {
            fs::create_dir_all(root.join(sub)).unwrap();
        }
        let certificate = root.join("cert.pem");
        let key = root.join("key.pem");
        let openssl = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .arg("ec_paramgen_curve:P-256")
            .args(["-nodes", "-days", "2", "-subj", "/CN=localhost", "-addext"])
            .arg("subjectAltName=IP:127.0.0.1,DNS:localhost")
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&certificate)
            .output()
            .expect("openssl (scripts/test-setup.sh installs it)");
        assert!(
            openssl.status.success(),
            "openssl: {}",
            String::from_utf8_lossy(&openssl.stderr)
        );
        fs::write(root.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}\n")).unwrap();

        let (uid, gid, user, group) = current_user();
        let as_root = uid == 0;
        let (mail_uid, mail_gid) = if as_root {
            (NOBODY, NOBODY)
        } else {
            (uid, gid)
        };
        // Internal processes: Dovecot's own users when root, else the one user there is.
        let internal_users = if as_root {
            String::new()
        } else {
            format!(
                "default_internal_user = {user}\ndefault_login_user = {user}\n\
                 default_internal_group = {group}\n"
            )
        };
        let imaps_port = free_port();
        let imap_port = free_port();
        let r = root.display();
        let config = root.join("dovecot.conf");
        fs::write(
            &config,
            format!(
                r#"base_dir = {r}/run
state_dir = {r}/run/state
log_path = {r}/dovecot.log
{internal_users}protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{r}/cert.pem
ssl_key = <{r}/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
# A refused password is answered at once (the tests refuse one on purpose).
auth_failure_delay = 0
mail_location = maildir:{r}/mail/%u:INDEX={r}/index/%u
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {r}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={r}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Drafts {{
    special_use = \Drafts
  }}
  mailbox Sent {{
    special_use = \Sent
  }}
  mailbox Archive {{
    special_use = \Archive
  }}
  mailbox Junk {{
    special_use = \Junk
  }}
  mailbox Trash {{
    special_use = \Trash
  }}
}}
"#
            ),
        )
        .unwrap();
        if as_root {
            // The mail processes (nobody) must reach and change their folders.
            let chmod = Command::new("chmod")
                .arg("755")
                .arg(&root)
                .status()
                .unwrap();
            assert!(chmod.success());
            for sub in ["mail", "index", "home"] {
                let chown = Command::new("chown")
                    .arg("-R")
                    .arg(format!("{NOBODY}:{NOBODY}"))
                    .arg(root.join(sub))
                    .status()
                    .unwrap();
                assert!(chown.success());
            }
        }
        let dovecot = Dovecot {
            dir,
            config,
            imaps_port,
            imap_port,
            maildir,
            certificate,
        };
        dovecot.start_again();
        dovecot
    }

    /// Starts the stopped server again, on the same ports with the same mail.
    pub fn start_again(&self) {
        let status = Command::new(DOVECOT)
            .arg("-c")
            .arg(&self.config)
            .status()
            .unwrap();
        assert!(status.success(), "dovecot did not start: {}", self.log());
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.imaps_port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "dovecot does not listen: {}",
                self.log()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the server and cuts its clients' connections: the processes serving logged-in
    /// clients outlive a stopped master, so they are killed, by their ids, with it.
    pub fn stop(&self) {
        let pid_file = self.dir.path().join("run/master.pid");
        let Ok(pid) = fs::read_to_string(&pid_file) else {
            return;
        };
        let children = children_of(pid.trim());
        let _ = Command::new(DOVECOT)
            .arg("-c")
            .arg(&self.config)
            .arg("stop")
            .status();
        if !children.is_empty() {
            // Those that ended with the master are gone already: nothing to say about them.
            let _ = Command::new("kill")
                .arg("-KILL")
                .args(&children)
                .stderr(Stdio::null())
                .status();
        }
        // Wait for the master to be gone, so the ports are free for a restart.
        let deadline = Instant::now() + Duration::from_secs(10);
        while Path::new("/proc").join(pid.trim()).exists() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// The account over TLS (port 993's role), trusting the server's certificate.
    pub fn account(&self) -> ImapAccount {
        self.account_with(Security::Tls, PASSWORD)
    }

    pub fn account_with(&self, security: Security, password: &str) -> ImapAccount {
        ImapAccount {
            host: "127.0.0.1".to_owned(),
            port: match security {
                Security::Tls => self.imaps_port,
                _ => self.imap_port,
            },
            user: USER.to_owned(),
            password: Password::new(password),
            security,
            trusted_certificate: Some(self.certificate.clone()),
        }
    }

    /// `imaps://alice@127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("imaps://{USER}@127.0.0.1:{}/", self.imaps_port)
    }

    /// The bytes the server says it sent, summed over every connection that has ended
    /// (Dovecot logs `out=N` when a session closes). Waits a little for the last lines.
    pub fn bytes_sent(&self) -> u64 {
        let sum = |log: &str| -> (usize, u64) {
            let values: Vec<u64> = log
                .split("out=")
                .skip(1)
                .filter_map(|rest| {
                    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    digits.parse().ok()
                })
                .collect();
            (values.len(), values.iter().sum())
        };
        let mut last = sum(&self.log());
        for _ in 0..50 {
            std::thread::sleep(std::time::Duration::from_millis(100));
            let now = sum(&self.log());
            if now == last && now.0 > 0 {
                break;
            }
            last = now;
        }
        last.1
    }

    /// The server's log, for failure messages.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The processes whose parent is `pid` (from `/proc`).
fn children_of(pid: &str) -> Vec<String> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let stat = fs::read_to_string(entry.path().join("stat")).ok()?;
            // `pid (name) state ppid …`; the name may hold spaces and parentheses.
            let after_name = &stat[stat.rfind(')')? + 1..];
            let parent = after_name.split_whitespace().nth(1)?;
            (parent == pid).then(|| entry.file_name().to_string_lossy().into_owned())
        })
        .collect()
}

/// The current user's uid, gid, name and group name.
fn current_user() -> (u32, u32, String, String) {
    let id = |flag: &str| {
        let output = Command::new("id").arg(flag).output().unwrap();
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    };
    (
        id("-u").parse().unwrap(),
        id("-g").parse().unwrap(),
        id("-un"),
        id("-gn"),
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
