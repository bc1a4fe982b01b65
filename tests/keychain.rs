//! This computer's keychain for IMAP passwords, with Linux's real one: the Secret Service of
//! GNOME Keyring (`gnome-keyring-daemon`, Debian's `gnome-keyring`) on a D-Bus session bus of
//! its own (`dbus-daemon` with a configuration in a temporary folder), both started by the
//! test (`scripts/test-setup.sh` installs them) and stopped when it ends. The program runs with
//! that bus as its session bus; the app is pointed at it. `secret-tool` (libsecret's, sharing
//! no code with the app) reads and writes the keyring to check what the app did.
//!
//! Here: the command line's `--remember-password`, the stored password used on the next run,
//! a stored password the server refuses, `--forget-password`, and a keychain that cannot be
//! reached. The app's forms are tested in `gui.rs`.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use mail2pst::cli::IMAP_PASSWORD_VARIABLE;
use mail2pst::engine::Keychain;

use crate::cli::{Program, arg, code, text};
use crate::imap_server::{Dovecot, PASSWORD, USER};
use crate::util::{corpus, spawn_with_input, temp_dir};

/// The keyring's service name for the app's entries.
const SERVICE: &str = "mail2pst";

/// A session bus and a GNOME Keyring on it, with an unlocked login keyring; stopped when
/// dropped.
#[derive(Debug)]
pub struct PrivateKeyring {
    dir: tempfile::TempDir,
    bus: Child,
    daemon: Child,
    /// The bus's D-Bus address (`unix:path=…`).
    pub address: String,
}

impl PrivateKeyring {
    pub fn start() -> PrivateKeyring {
        for program in [
            "dbus-daemon",
            "gnome-keyring-daemon",
            "secret-tool",
            "dbus-send",
        ] {
            assert!(
                Command::new("sh")
                    .args(["-c", &format!("command -v {program}")])
                    .stdout(Stdio::null())
                    .status()
                    .unwrap()
                    .success(),
                "{program} is missing: run scripts/test-setup.sh"
            );
        }
        let dir = temp_dir();
        let root = dir.path();
        for sub in ["home", "run"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(root.join("run"), std::fs::Permissions::from_mode(0o700))
                .unwrap();
        }
        // A session bus that starts no services on demand: only the keyring started here
        // answers.
        let config = root.join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                root.join("bus").display()
            ),
        )
        .unwrap();
        let mut bus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut address = String::new();
        BufReader::new(bus.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_owned();
        assert!(address.starts_with("unix:"), "dbus-daemon said {address:?}");

        // The login keyring is made, and unlocked, with the password given on stdin.
        let daemon = spawn_with_input(
            isolated(Command::new("gnome-keyring-daemon"), root, &address)
                .args(["--foreground", "--components=secrets", "--unlock"])
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
            b"keyring password",
        );
        let keyring = PrivateKeyring {
            dir,
            bus,
            daemon,
            address,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !keyring.secrets_answer() {
            assert!(
                Instant::now() < deadline,
                "gnome-keyring-daemon did not start on the test's bus"
            );
            thread::sleep(Duration::from_millis(20));
        }
        keyring
    }

    /// The Secret Service is on the bus.
    fn secrets_answer(&self) -> bool {
        let output = self
            .command("dbus-send")
            .args(["--session", "--print-reply", "--dest=org.freedesktop.DBus"])
            .args(["/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner"])
            .arg("string:org.freedesktop.secrets")
            .output()
            .unwrap();
        text(&output.stdout).contains("boolean true")
    }

    /// A command that sees this keyring's bus as its session bus, and nothing of the test's
    /// own session.
    fn command(&self, program: &str) -> Command {
        isolated(Command::new(program), self.dir.path(), &self.address)
    }

    /// The app's keychain on this bus.
    pub fn keychain(&self) -> Keychain {
        Keychain::secret_service_on(self.address.clone())
    }

    /// Points `command` (the program under test) at this keyring.
    pub fn use_in<'c>(&self, command: &'c mut Command) -> &'c mut Command {
        command.env("DBUS_SESSION_BUS_ADDRESS", &self.address)
    }

    /// The password the keyring holds for the app's entry `entry`, read by `secret-tool`.
    pub fn lookup(&self, entry: &str) -> Option<String> {
        let output = self
            .command("secret-tool")
            .args(["lookup", "service", SERVICE, "username", entry])
            .output()
            .unwrap();
        output.status.success().then(|| text(&output.stdout))
    }

    /// Stores `password` under the app's entry `entry` with `secret-tool`, as the app would.
    pub fn store(&self, entry: &str, password: &str) {
        let mut child = spawn_with_input(
            self.command("secret-tool")
                .args(["store", "--label=test entry", "service", SERVICE])
                .args(["username", entry]),
            password.as_bytes(),
        );
        assert!(child.wait().unwrap().success(), "secret-tool store failed");
    }
}

/// `command` with an environment of its own: the keyring's home and runtime folders and the
/// bus, nothing of the test's session.
fn isolated(mut command: Command, root: &Path, address: &str) -> Command {
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", root.join("home"))
        .env("XDG_RUNTIME_DIR", root.join("run"))
        .env("DBUS_SESSION_BUS_ADDRESS", address);
    command
}

impl Drop for PrivateKeyring {
    fn drop(&mut self) {
        for child in [&mut self.daemon, &mut self.bus] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The test account's keychain entry on `server`.
pub fn entry(server: &Dovecot) -> String {
    format!("{USER}@127.0.0.1:{}", server.imaps_port)
}

/// A Dovecot holding three messages in INBOX.
pub fn server_with_three_messages() -> Dovecot {
    Dovecot::start(|maildir| {
        let message =
            std::fs::read(corpus().join("maildir/notmuch/test/corpora/default/cur/29:2,")).unwrap();
        for n in 0..3 {
            std::fs::write(maildir.join(format!("cur/{n}.M{n}P1.test:2,S")), &message).unwrap();
        }
    })
}

/// `mail2pst convert imaps://alice@127.0.0.1:PORT/ -o … --remember-password` with the
/// password in MAIL2PST_IMAP_PASSWORD stores it; the same command without the variable, and
/// without a terminal, logs in with the stored one; a stored password the server refuses says
/// how to replace it; `--forget-password` removes it.
#[test]
fn the_command_line_remembers_uses_and_forgets_the_password() {
    let server = server_with_three_messages();
    let keyring = PrivateKeyring::start();
    let out = temp_dir();
    let program = Program::licensed();
    let url = server.url();
    let certificate = server.certificate.to_str().unwrap().to_owned();
    let run = |args: &[&str], password: Option<&str>| -> Output {
        let mut command = program.command(args);
        keyring.use_in(&mut command);
        command.arg("--trust-certificate").arg(&certificate);
        match password {
            Some(password) => command.env(IMAP_PASSWORD_VARIABLE, password),
            None => command.env_remove(IMAP_PASSWORD_VARIABLE),
        };
        command.stdin(Stdio::null()).output().unwrap()
    };
    let written = |output: &Output| -> u64 {
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        report["totals"]["written"].as_u64().unwrap()
    };

    let first = out.path().join("first.pst");
    let output = run(
        &[
            "convert",
            &url,
            "-o",
            arg(&first),
            "--json",
            "--remember-password",
        ],
        Some(PASSWORD),
    );
    let stderr = text(&output.stderr);
    assert_eq!(code(&output), 0, "{stderr}");
    assert_eq!(written(&output), 3);
    assert!(
        stderr.contains("Stored the password of alice on 127.0.0.1 in this computer's keychain"),
        "{stderr}"
    );
    assert!(!stderr.contains(PASSWORD), "the password is never printed");
    assert_eq!(keyring.lookup(&entry(&server)).as_deref(), Some(PASSWORD));

    // The next run: no variable, no terminal, the keychain's password.
    let second = out.path().join("second.pst");
    let output = run(&["convert", &url, "-o", arg(&second), "--json"], None);
    let stderr = text(&output.stderr);
    assert_eq!(code(&output), 0, "{stderr}");
    assert_eq!(written(&output), 3);
    assert!(
        stderr.contains(
            "Using the password of alice on 127.0.0.1 stored in this computer's keychain"
        ),
        "{stderr}"
    );
    // The password changed on the server's side: the stored one is refused, and the error
    // says what to do.
    keyring.store(&entry(&server), "an old password");
    let output = run(&["scan", &url], None);
    let stderr = text(&output.stderr);
    assert_eq!(code(&output), 1, "{stderr}");
    assert!(
        stderr.contains("refused the user name or the password")
            && stderr.contains("stored in this computer's keychain")
            && stderr.contains("--forget-password"),
        "{stderr}"
    );

    // Forgotten: the keyring holds nothing, and the password is asked for again.
    let output = run(&["scan", &url, "--forget-password"], None);
    let stderr = text(&output.stderr);
    assert_eq!(code(&output), 1, "{stderr}");
    assert!(
        stderr.contains("Removed the password of alice on 127.0.0.1 from this computer's keychain")
            && stderr.contains(IMAP_PASSWORD_VARIABLE),
        "{stderr}"
    );
    assert_eq!(keyring.lookup(&entry(&server)), None);
}

/// No keychain in the session (no bus at the address given): `--remember-password` says the
/// password was not stored, and why, and the conversion goes on with the password given.
#[test]
fn a_keychain_that_cannot_be_reached_is_said_and_the_conversion_goes_on() {
    let server = server_with_three_messages();
    let out = temp_dir();
    let pst = out.path().join("account.pst");
    let program = Program::licensed();
    let output = program
        .command(&[
            "convert",
            &server.url(),
            "-o",
            arg(&pst),
            "--remember-password",
            "--trust-certificate",
            server.certificate.to_str().unwrap(),
        ])
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", out.path().join("no-bus").display()),
        )
        .env(IMAP_PASSWORD_VARIABLE, PASSWORD)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(code(&output), 0, "{stderr}");
    assert!(
        stderr.contains("the password of alice on 127.0.0.1 was not stored")
            && stderr.contains("keychain cannot be reached"),
        "{stderr}"
    );
    assert!(pst.is_file());
}

/// `convert PROFILE --fetch-missing --remember-password`: the password of the Thunderbird
/// account's server is stored once the server accepts it, and the next `--fetch-missing` run
/// takes it from the keychain ([`crate::gap_filling::world`]).
#[test]
fn fetching_missing_messages_remembers_and_uses_the_password() {
    let world = crate::gap_filling::world();
    let keyring = PrivateKeyring::start();
    let out = temp_dir();
    let program = Program::licensed();
    let certificate = world.server.certificate.to_str().unwrap().to_owned();
    let convert = |pst: &Path, extra: &[&str], password: Option<&str>| -> Output {
        let mut command = program.command(&[
            "convert",
            arg(&world.profile),
            "-o",
            arg(pst),
            "--json",
            "--fetch-missing",
            "--trust-certificate",
            &certificate,
        ]);
        command.args(extra);
        keyring.use_in(&mut command);
        match password {
            Some(password) => command.env(IMAP_PASSWORD_VARIABLE, password),
            None => command.env_remove(IMAP_PASSWORD_VARIABLE),
        };
        command.stdin(Stdio::null()).output().unwrap()
    };
    let from_server = |output: &Output| -> u64 {
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        report["totals"]["from_server"].as_u64().unwrap()
    };

    let output = convert(
        &out.path().join("first.pst"),
        &["--remember-password"],
        Some(PASSWORD),
    );
    let stderr = text(&output.stderr);
    assert_eq!(from_server(&output), 4, "{stderr}");
    assert!(
        stderr.contains("Stored the password of alice on 127.0.0.1"),
        "{stderr}"
    );
    assert_eq!(
        keyring.lookup(&entry(&world.server)).as_deref(),
        Some(PASSWORD)
    );

    let output = convert(&out.path().join("second.pst"), &[], None);
    let stderr = text(&output.stderr);
    assert_eq!(from_server(&output), 4, "{stderr}");
    assert!(
        stderr.contains(
            "Using the password of alice on 127.0.0.1 stored in this computer's keychain"
        ),
        "{stderr}"
    );
}
