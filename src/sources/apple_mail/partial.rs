//! Puts a message back together whose attachment bodies Apple Mail stored outside it
//! (docs/formats.md §1.4). A stripped part keeps its headers plus `X-Apple-Content-Length` and has
//! an empty body; its decoded file is `<Messages>/../Attachments/<id>/<part number>/<file>`, or
//! `<Messages>/<id>.<part number>.emlxpart` in older stores. The file is encoded again with the
//! part's Content-Transfer-Encoding and written into the empty body; every byte around it stays.

use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};

use unicode_normalization::UnicodeNormalization as _;

use super::encode;
use super::mime::{self, Leaf};

/// The result of filling in a message's stripped parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reassembly {
    pub message: Vec<u8>,
    /// Parts whose body was put back.
    pub restored: usize,
    /// One line per attachment whose file is missing (the part stays empty).
    pub warnings: Vec<String>,
}

/// Fills in the stripped parts of `message`, read from the emlx file at `emlx_path`.
pub fn reassemble(message: Vec<u8>, emlx_path: &Path) -> Reassembly {
    if !contains_ignore_case(&message, mime::APPLE_CONTENT_LENGTH.as_bytes()) {
        return Reassembly {
            message,
            restored: 0,
            warnings: Vec::new(),
        };
    }
    let places = Places::of(emlx_path);
    let mut edits: Vec<(Range<usize>, Vec<u8>)> = Vec::new();
    let mut warnings = Vec::new();
    let mut restored = 0;
    for leaf in mime::leaves(&message) {
        let Some(field) = leaf.apple_content_length.clone() else {
            continue;
        };
        if !message[leaf.body.clone()].trim_ascii().is_empty() {
            // The body is there after all: nothing to fill in.
            continue;
        }
        let number = leaf.number_text();
        match places.find(&number, leaf.info.file_name.as_deref()) {
            Ok(path) => match fs::read(&path) {
                Ok(data) => {
                    let eol = line_ending(&message, &leaf);
                    edits.push((field, Vec::new()));
                    edits.push((leaf.body.clone(), encoded(&leaf, &data, eol)));
                    restored += 1;
                }
                Err(e) => warnings.push(format!(
                    "attachment {} (MIME part {number}) could not be read from {}: {e}; \
                     the message is converted without it",
                    describe(&leaf),
                    path.display()
                )),
            },
            Err(looked_in) => warnings.push(format!(
                "attachment {} (MIME part {number}) is missing: Apple Mail has not downloaded \
                 it (nothing in {}); the message is converted without it",
                describe(&leaf),
                looked_in.display()
            )),
        }
    }
    Reassembly {
        message: apply(&message, edits),
        restored,
        warnings,
    }
}

/// Where the stripped bodies of one message can be.
struct Places {
    /// `<Messages>/../Attachments/<id>`, as Apple Mail keeps them; for emlx files copied out
    /// of a library together with their `Attachments` folder, also `<Messages>/Attachments/<id>`.
    attachments: Vec<PathBuf>,
    /// `<Messages>/<id>`, to which `.<part>.emlxpart` is added.
    emlxpart_stem: PathBuf,
}

impl Places {
    fn of(emlx_path: &Path) -> Places {
        let messages_dir = emlx_path.parent().unwrap_or(Path::new("."));
        let file_name = emlx_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let id = file_name.split('.').next().unwrap_or_default().to_string();
        let data_dir = messages_dir.parent().unwrap_or(Path::new("."));
        Places {
            attachments: vec![
                data_dir.join("Attachments").join(&id),
                messages_dir.join("Attachments").join(&id),
            ],
            emlxpart_stem: messages_dir.join(id),
        }
    }

    /// The decoded body of part `number`, from the first attachments folder that has the part's
    /// folder (else the first, which is where Apple Mail keeps it). `Err` names the folder
    /// looked in.
    fn find(&self, number: &str, name: Option<&str>) -> Result<PathBuf, PathBuf> {
        let dirs: Vec<PathBuf> = self.attachments.iter().map(|a| a.join(number)).collect();
        let dir = dirs
            .iter()
            .find(|dir| dir.is_dir())
            .or(dirs.first())
            .cloned()
            .unwrap_or_default();
        self.find_in(&dir, number, name)
    }

    /// The decoded body of part `number` in `dir`: by the part's file name, else the only file
    /// in the part's folder (Mail names unnamed parts with a localized default such as
    /// `Mail-Anhang.png`), else the older `.emlxpart` file.
    fn find_in(&self, dir: &Path, number: &str, name: Option<&str>) -> Result<PathBuf, PathBuf> {
        let files = visible_files(dir);
        if let Some(name) = name.filter(|n| is_plain_file_name(n)) {
            let direct = dir.join(name);
            if direct.is_file() {
                return Ok(direct);
            }
            // macOS file systems may hand names back decomposed.
            let wanted: String = name.nfc().collect();
            if let Some(found) = files.iter().find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().nfc().collect::<String>() == wanted)
            }) {
                return Ok(found.clone());
            }
        }
        if let [only] = files.as_slice() {
            return Ok(only.clone());
        }
        let mut emlxpart = self.emlxpart_stem.clone().into_os_string();
        emlxpart.push(format!(".{number}.emlxpart"));
        let emlxpart = PathBuf::from(emlxpart);
        if emlxpart.is_file() {
            return Ok(emlxpart);
        }
        Err(dir.to_path_buf())
    }
}

/// The regular files of `dir` that are not hidden (`.DS_Store`), sorted.
fn visible_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// A name from a message is only joined to a path when it cannot leave the folder.
fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

fn describe(leaf: &Leaf) -> String {
    match &leaf.info.file_name {
        Some(name) => format!("\"{name}\""),
        None if leaf.info.main_type.is_empty() => "without a name".to_string(),
        None => format!(
            "without a name ({}/{})",
            leaf.info.main_type, leaf.info.sub_type
        ),
    }
}

/// The line break the part's own header uses.
fn line_ending(message: &[u8], leaf: &Leaf) -> &'static [u8] {
    let end = leaf.header.end;
    if end >= 2 && message.get(end - 2..end) == Some(b"\r\n".as_slice()) {
        b"\r\n"
    } else {
        b"\n"
    }
}

fn encoded(leaf: &Leaf, data: &[u8], eol: &[u8]) -> Vec<u8> {
    match leaf.info.transfer_encoding.as_str() {
        "base64" => encode::base64_lines(data, eol),
        "quoted-printable" => encode::quoted_printable(data, leaf.info.is_text(), eol),
        // 7bit, 8bit, binary: the bytes as they are.
        _ => data.to_vec(),
    }
}

/// Replaces non-overlapping ranges of `message`.
fn apply(message: &[u8], mut edits: Vec<(Range<usize>, Vec<u8>)>) -> Vec<u8> {
    edits.sort_by_key(|(range, _)| (range.start, range.end));
    let extra: usize = edits.iter().map(|(_, bytes)| bytes.len()).sum();
    let mut out = Vec::with_capacity(message.len() + extra);
    let mut at = 0;
    for (range, bytes) in edits {
        if range.start < at {
            continue;
        }
        out.extend_from_slice(&message[at..range.start]);
        out.extend_from_slice(&bytes);
        at = range.end;
    }
    out.extend_from_slice(&message[at..]);
    out
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STUB: &str = "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nhello\n--b\n\
Content-Type: text/plain; name=a.txt\nContent-Transfer-Encoding: base64\n\
X-Apple-Content-Length: 8\n\n\n--b\nContent-Type: image/png\n\
Content-Transfer-Encoding: quoted-printable\nX-Apple-Content-Length: 3\n\n\n--b--\n";

    fn store() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let messages = dir.path().join("Messages");
        fs::create_dir_all(&messages).unwrap();
        (dir, messages.join("42.partial.emlx"))
    }

    #[test]
    fn fills_parts_by_name_and_by_the_only_file() {
        let (dir, emlx) = store();
        let a = dir.path().join("Attachments/42/2");
        let b = dir.path().join("Attachments/42/3");
        fs::create_dir_all(&a).unwrap();
        fs::create_dir_all(&b).unwrap();
        fs::write(a.join("a.txt"), "content").unwrap();
        fs::write(a.join("other"), "wrong").unwrap();
        fs::write(b.join("Image.png"), "x=y").unwrap();
        fs::write(b.join(".DS_Store"), "junk").unwrap();
        let result = reassemble(STUB.as_bytes().to_vec(), &emlx);
        assert_eq!(result.restored, 2);
        assert!(result.warnings.is_empty());
        let expected = STUB
            .replace("X-Apple-Content-Length: 8\n\n", "\nY29udGVudA==")
            .replace("X-Apple-Content-Length: 3\n\n", "\nx=3Dy");
        assert_eq!(String::from_utf8(result.message).unwrap(), expected);
    }

    #[test]
    fn attachments_beside_loose_emlx_files() {
        // Copied out of a library: the emlx files and their `Attachments` folder side by side.
        let dir = tempfile::tempdir().unwrap();
        let emlx = dir.path().join("Saved/42.partial.emlx");
        let a = dir.path().join("Saved/Attachments/42/2");
        fs::create_dir_all(&a).unwrap();
        fs::write(a.join("a.txt"), "content").unwrap();
        let result = reassemble(STUB.as_bytes().to_vec(), &emlx);
        assert_eq!(result.restored, 1);
        assert_eq!(result.warnings.len(), 1, "{:?}", result.warnings);
        // The missing part is looked for where Apple Mail keeps it.
        let expected = dir.path().join("Attachments/42/3");
        assert!(
            result.warnings[0].contains(&expected.display().to_string()),
            "{:?}",
            result.warnings
        );
    }

    #[test]
    fn older_emlxpart_files() {
        let (dir, emlx) = store();
        fs::write(dir.path().join("Messages/42.2.emlxpart"), "content").unwrap();
        fs::write(dir.path().join("Messages/42.3.emlxpart"), "z").unwrap();
        let result = reassemble(STUB.as_bytes().to_vec(), &emlx);
        assert_eq!(result.restored, 2);
        let text = String::from_utf8(result.message).unwrap();
        assert!(text.contains("\n\nY29udGVudA==\n--b"), "{text}");
        assert!(!text.contains("X-Apple-Content-Length"));
    }

    #[test]
    fn missing_files_are_named_and_the_part_is_kept() {
        let (_dir, emlx) = store();
        let result = reassemble(STUB.as_bytes().to_vec(), &emlx);
        assert_eq!(result.restored, 0);
        assert_eq!(result.message, STUB.as_bytes());
        assert_eq!(result.warnings.len(), 2);
        assert!(result.warnings[0].contains("\"a.txt\" (MIME part 2)"));
        assert!(result.warnings[1].contains("without a name (image/png) (MIME part 3)"));
    }

    #[test]
    fn names_that_leave_the_folder_are_not_followed() {
        let (dir, emlx) = store();
        fs::create_dir_all(dir.path().join("Attachments/42/2")).unwrap();
        fs::write(dir.path().join("Attachments/42/secret"), "no").unwrap();
        let stub = STUB.replace("name=a.txt", "name=\"../secret\"");
        let result = reassemble(stub.into_bytes(), &emlx);
        assert_eq!(result.restored, 0);
    }

    #[test]
    fn crlf_messages_get_crlf_lines() {
        let (dir, emlx) = store();
        let a = dir.path().join("Attachments/42/2");
        fs::create_dir_all(&a).unwrap();
        fs::write(a.join("a.txt"), vec![0u8; 100]).unwrap();
        let stub = STUB.replace('\n', "\r\n");
        let result = reassemble(stub.into_bytes(), &emlx);
        assert_eq!(result.restored, 1);
        let text = String::from_utf8(result.message).unwrap();
        assert!(!text.replace("\r\n", "").contains('\n'));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn arbitrary_stubs_never_panic(
            tail in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
            cut in 0usize..400,
        ) {
            let (dir, emlx) = store();
            let a = dir.path().join("Attachments/42/2");
            fs::create_dir_all(&a).unwrap();
            fs::write(a.join("a.txt"), "content").unwrap();
            let mut message = STUB.as_bytes()[..cut.min(STUB.len())].to_vec();
            message.extend(tail);
            let _ = reassemble(message, &emlx);
        }
    }
}
