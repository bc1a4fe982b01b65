use std::process::ExitCode;

fn main() -> ExitCode {
    if std::env::args_os().len() <= 1 {
        return open_window();
    }
    println!("mail2pst {}", env!("CARGO_PKG_VERSION"));
    ExitCode::SUCCESS
}

/// `mail2pst` with no arguments: the desktop app.
fn open_window() -> ExitCode {
    match mail2pst::gui::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mail2pst: {error:#}");
            ExitCode::FAILURE
        }
    }
}
