//! Showing files with the system's own programs: the PST in the file manager or in Outlook, the
//! report in the browser. The program is started and left alone; the window never waits for it.

use std::path::Path;
use std::process::{Command, Stdio};

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

/// On Windows `mail2pst.exe` is a console program, so that the command line prints where it was
/// typed; opened from the Start menu or Explorer, Windows gives it a console window of its own,
/// which the desktop app closes. A console shared with a shell (the app started from a command
/// prompt) is left alone.
#[cfg(windows)]
#[allow(unsafe_code)]
pub fn close_own_console() {
    use windows_sys::Win32::System::Console::{FreeConsole, GetConsoleProcessList};
    let mut processes = [0u32; 2];
    // SAFETY: the buffer holds two process ids and its length is passed with it.
    let attached = unsafe { GetConsoleProcessList(processes.as_mut_ptr(), 2) };
    if attached == 1 {
        // SAFETY: takes no arguments; it only detaches this process from its console.
        unsafe { FreeConsole() };
    }
}

/// Only Windows gives a window program a console of its own.
#[cfg(not(windows))]
pub fn close_own_console() {}

/// The program Windows opens a `.pst` file with, when it is Outlook's (classic Outlook registers
/// `Outlook.File.pst.<version>`); `None` elsewhere. Only classic Outlook for Windows opens a PST
/// handed to it: Outlook for Mac imports one through its menus, and there is no Outlook on Linux.
pub fn pst_opener() -> Option<String> {
    if !cfg!(windows) {
        return None;
    }
    // `assoc` is built into cmd; it prints ".pst=Outlook.File.pst.15", or an error.
    let output = Command::new("cmd")
        .args(["/C", "assoc", ".pst"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    outlook_program(&String::from_utf8_lossy(&output.stdout))
}

/// The program named by `assoc .pst` output, if it is Outlook.
fn outlook_program(assoc_output: &str) -> Option<String> {
    let program = assoc_output.lines().find_map(|line| {
        let (extension, program) = line.trim().split_once('=')?;
        extension
            .eq_ignore_ascii_case(".pst")
            .then(|| program.trim())
    })?;
    program
        .to_ascii_lowercase()
        .starts_with("outlook.")
        .then(|| program.to_owned())
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
    fn only_outlook_counts_as_the_pst_opener() {
        assert_eq!(
            outlook_program(".pst=Outlook.File.pst.15\r\n").as_deref(),
            Some("Outlook.File.pst.15")
        );
        assert_eq!(
            outlook_program("File association not found for extension .pst\r\n"),
            None
        );
        assert_eq!(outlook_program(".pst=SomeViewer.pst\r\n"), None);
        assert_eq!(outlook_program(""), None);
        if !cfg!(windows) {
            assert_eq!(pst_opener(), None);
        }
    }

    #[test]
    fn a_missing_program_is_an_error_not_a_wait() {
        let error = spawn(Command::new("mail2pst-no-such-program")).unwrap_err();
        assert!(error.contains("mail2pst-no-such-program"), "{error}");
    }
}
