//! Showing files with the system's own programs: the PST in the file manager, the report in the
//! browser. The program is started and left alone; the window never waits for it. And whether
//! the system can show a native file dialog at all.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};

/// What the window says when no file dialog can open.
pub const NO_FILE_DIALOG: &str = "no file dialog can open on this computer: it has neither a \
     desktop portal for choosing files (xdg-desktop-portal) nor the zenity program";

/// Why no native file dialog can open here, or `None` when one can. macOS and Windows always
/// have one. Elsewhere the dialog library asks the desktop portal on the session bus
/// (`org.freedesktop.portal.FileChooser`) and, failing that, runs `zenity`; with neither it
/// only logs an error and the dialog never appears. Asking the bus can take a moment: call it
/// off the window's thread.
pub fn file_dialog_problem() -> Option<String> {
    if cfg!(any(windows, target_os = "macos")) {
        return None;
    }
    let path = std::env::var_os("PATH");
    dialog_problem(
        program_on_path("zenity", path.as_deref()),
        portal_file_chooser,
    )
}

/// The verdict from what was found: zenity on the `PATH`, else the portal (asked only then).
fn dialog_problem(zenity: bool, portal: impl FnOnce() -> bool) -> Option<String> {
    (!zenity && !portal()).then(|| NO_FILE_DIALOG.to_owned())
}

/// True when an executable file `program` is in one of the folders of `path` (a `PATH` value).
fn program_on_path(program: &str, path: Option<&OsStr>) -> bool {
    let Some(path) = path else {
        return false;
    };
    std::env::split_paths(path).any(|dir| {
        let candidate = dir.join(program);
        std::fs::metadata(&candidate).is_ok_and(|meta| meta.is_file() && is_executable(&meta))
    })
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &std::fs::Metadata) -> bool {
    true
}

/// True when the session bus has a desktop portal that can choose files: its `FileChooser`
/// interface answers for its `version` property (the bus starts the portal if it must).
#[cfg(all(unix, not(target_os = "macos")))]
fn portal_file_chooser() -> bool {
    let ask = async {
        let connection = zbus::Connection::session().await.ok()?;
        let properties = zbus::fdo::PropertiesProxy::builder(&connection)
            .destination("org.freedesktop.portal.Desktop")
            .ok()?
            .path("/org/freedesktop/portal/desktop")
            .ok()?
            .build()
            .await
            .ok()?;
        let interface =
            zbus::names::InterfaceName::try_from("org.freedesktop.portal.FileChooser").ok()?;
        properties.get(interface, "version").await.ok()
    };
    super::workers::block_on(ask).is_some()
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
fn portal_file_chooser() -> bool {
    true
}

/// The command that shows `file` selected in the file manager (on Linux: opens its folder).
pub fn reveal_command(file: &Path) -> Command {
    if cfg!(target_os = "macos") {
        let mut command = Command::new("open");
        command.arg("-R").arg(file);
        command
    } else if cfg!(windows) {
        let mut command = Command::new("explorer");
        // Explorer wants "/select," and the path as one argument.
        let mut select = std::ffi::OsString::from("/select,");
        select.push(file.as_os_str());
        command.arg(select);
        command
    } else {
        let folder = match file.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let mut command = Command::new("xdg-open");
        command.arg(folder);
        command
    }
}

/// The command that opens `file` with the program the system uses for its kind.
pub fn open_command(file: &Path) -> Command {
    if cfg!(target_os = "macos") {
        let mut command = Command::new("open");
        command.arg(file);
        command
    } else if cfg!(windows) {
        let mut command = Command::new("cmd");
        command.args(["/C", "start", ""]).arg(file);
        command
    } else {
        let mut command = Command::new("xdg-open");
        command.arg(file);
        command
    }
}

/// Starts `command` without waiting for it; says why when it cannot be started.
pub fn spawn(mut command: Command) -> Result<(), String> {
    let program = command.get_program().to_string_lossy().into_owned();
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(|child| {
            // Reap it on a thread so it does not linger as a zombie; nobody waits on that.
            let _ = std::thread::Builder::new()
                .name("mail2pst opener".to_owned())
                .spawn(move || {
                    let mut child = child;
                    let _ = child.wait();
                });
        })
        .map_err(|e| format!("cannot start {program}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(command: &Command) -> Vec<String> {
        command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn the_file_manager_is_asked_to_show_the_pst() {
        let file = Path::new("out").join("mail.pst");
        let command = reveal_command(&file);
        let program = command.get_program().to_string_lossy().into_owned();
        if cfg!(target_os = "macos") {
            assert_eq!(
                (program.as_str(), args(&command)),
                ("open", vec!["-R".to_owned(), file.display().to_string()])
            );
        } else if cfg!(windows) {
            assert_eq!(
                (program.as_str(), args(&command)),
                ("explorer", vec![format!("/select,{}", file.display())])
            );
        } else {
            assert_eq!(
                (program.as_str(), args(&command)),
                ("xdg-open", vec!["out".to_owned()])
            );
        }
    }

    #[test]
    fn without_zenity_or_a_portal_no_dialog_can_open() {
        let empty = tempfile::tempdir().unwrap();
        assert!(!program_on_path("zenity", Some(empty.path().as_os_str())));
        assert!(!program_on_path("zenity", None));
        let bin = tempfile::tempdir().unwrap();
        let zenity = bin.path().join("zenity");
        std::fs::write(&zenity, "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            // Not executable: not a program.
            assert!(!program_on_path("zenity", Some(bin.path().as_os_str())));
            std::fs::set_permissions(&zenity, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let path = std::env::join_paths([empty.path(), bin.path()]).unwrap();
        assert!(program_on_path("zenity", Some(&path)));

        assert_eq!(dialog_problem(true, || panic!("not asked")), None);
        assert_eq!(dialog_problem(false, || true), None);
        assert_eq!(
            dialog_problem(false, || false).as_deref(),
            Some(NO_FILE_DIALOG)
        );
    }

    #[test]
    fn a_missing_program_is_an_error_not_a_wait() {
        let error = spawn(Command::new("mail2pst-no-such-program")).unwrap_err();
        assert!(error.contains("mail2pst-no-such-program"), "{error}");
    }
}
