//! Paths a person types or pastes into the Sources screen: `~` for the home folder, quotes a
//! file manager adds around a copied path, and completion of the name being typed from what is
//! in its folder (the places mail clients use are hidden from most file dialogs).

use std::fs;
use std::path::{MAIN_SEPARATOR, Path, PathBuf};

/// How many names completion offers at most.
pub const MAX_COMPLETIONS: usize = 8;

/// The text with surrounding blanks and one pair of matching quotes taken off.
fn unquoted(text: &str) -> &str {
    let text = text.trim();
    for quote in ['"', '\''] {
        if let Some(inner) = text
            .strip_prefix(quote)
            .and_then(|rest| rest.strip_suffix(quote))
        {
            return inner;
        }
    }
    text
}

fn is_separator(c: char) -> bool {
    c == '/' || (cfg!(windows) && c == '\\')
}

/// The path a typed text names: `~` and `~/…` start at `home`; quotes around it are dropped.
/// `None` for a blank text.
pub fn expand(text: &str, home: Option<&Path>) -> Option<PathBuf> {
    let text = unquoted(text);
    if text.is_empty() {
        return None;
    }
    if let Some(home) = home {
        if text == "~" {
            return Some(home.to_path_buf());
        }
        if let Some(rest) = text.strip_prefix('~')
            && rest.starts_with(is_separator)
        {
            return Some(home.join(rest.trim_start_matches(is_separator)));
        }
    }
    Some(PathBuf::from(text))
}

/// Ways to finish the last name of `text` from the names in its folder, each the whole text
/// to put in the field: folders end with a separator, so the next name can follow. Hidden
/// names only when the typed part starts with a dot (as shells do); letter case does not
/// matter. Reads one folder, so call it off the window's thread.
pub fn completions(text: &str, home: Option<&Path>) -> Vec<String> {
    let text = unquoted(text);
    let Some(split) = text.rfind(is_separator) else {
        return Vec::new();
    };
    let (folder_text, typed) = text.split_at(split + 1);
    let Some(folder) = expand(folder_text, home) else {
        return Vec::new();
    };
    let Ok(entries) = fs::read_dir(&folder) else {
        return Vec::new();
    };
    let typed_lower = typed.to_lowercase();
    let mut names: Vec<(String, bool)> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let wanted = name.to_lowercase().starts_with(&typed_lower)
                && (typed.starts_with('.') || !name.starts_with('.'));
            wanted.then(|| (name, entry.path().is_dir()))
        })
        .collect();
    names.sort_by_key(|(name, _)| name.to_lowercase());
    names
        .into_iter()
        .take(MAX_COMPLETIONS)
        .map(|(name, is_dir)| {
            let separator = if is_dir {
                MAIN_SEPARATOR.to_string()
            } else {
                String::new()
            };
            format!("{folder_text}{name}{separator}")
        })
        .collect()
}

/// `path` as the person reads it best: under the home folder, starting with `~`.
pub fn shown(path: &Path, home: Option<&Path>) -> String {
    match home.and_then(|home| path.strip_prefix(home).ok()) {
        Some(rest) if rest.as_os_str().is_empty() => "~".to_owned(),
        Some(rest) => format!("~{MAIN_SEPARATOR}{}", rest.display()),
        None => path.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_home_folder_quotes_and_blanks() {
        let home = Path::new("/home/alice");
        assert_eq!(expand("  ", Some(home)), None);
        assert_eq!(expand("~", Some(home)), Some(home.to_path_buf()));
        assert_eq!(
            expand("~/.thunderbird", Some(home)),
            Some(home.join(".thunderbird"))
        );
        assert_eq!(
            expand(" '/mail/Inbox.mbox' ", Some(home)),
            Some(PathBuf::from("/mail/Inbox.mbox"))
        );
        // `~name` is someone else's home: left as typed.
        assert_eq!(expand("~bob/x", Some(home)), Some(PathBuf::from("~bob/x")));
        assert_eq!(expand("~/x", None), Some(PathBuf::from("~/x")));
        assert_eq!(
            shown(&home.join(".thunderbird"), Some(home)),
            format!("~{MAIN_SEPARATOR}.thunderbird")
        );
        assert_eq!(shown(Path::new("/srv/mail"), Some(home)), "/srv/mail");
    }

    #[test]
    fn completion_offers_the_names_in_the_folder_being_typed() {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        fs::create_dir_all(h.join(".thunderbird/ab12.default")).unwrap();
        fs::create_dir_all(h.join("Thunderbird backup")).unwrap();
        fs::create_dir_all(h.join("Documents")).unwrap();
        fs::write(h.join("archive.mbox"), "From a\n").unwrap();
        let sep = MAIN_SEPARATOR;
        assert_eq!(
            completions("~/th", Some(h)),
            vec![format!("~/Thunderbird backup{sep}")]
        );
        assert_eq!(
            completions("~/.th", Some(h)),
            vec![format!("~/.thunderbird{sep}")]
        );
        assert_eq!(
            completions("~/", Some(h)),
            vec![
                "~/archive.mbox".to_owned(),
                format!("~/Documents{sep}"),
                format!("~/Thunderbird backup{sep}"),
            ]
        );
        let typed = format!("{}/.thunderbird/", h.display());
        assert_eq!(
            completions(&typed, None),
            vec![format!("{typed}ab12.default{sep}")]
        );
        assert!(completions("~/nowhere/x", Some(h)).is_empty());
        assert!(completions("no separator", Some(h)).is_empty());
    }
}
