//! Follow-up flags and categories of every message of a PST, as independent readers see them:
//! Microsoft's `outlook-pst` crate (walked here), libpff's `pffexport` and `pst-extractor`
//! (through the scripts of `tests/readers/`). pstcheck's normalized JSON carries neither, so
//! these readers are asked directly. Each of them resolves the categories' named property
//! (PS_PUBLIC_STRINGS "Keywords") through the file's name-to-ID map with its own code.
//!
//! Two readers cannot take part: libpst (readpst) reads no PidTagFlagStatus and prints the
//! Keywords property only for contacts and appointments, never for mail; pypff (libpff's Python
//! binding) lists a named property's 0x8000+ ID without the name it maps to.

use std::io::BufReader;
use std::path::Path;
use std::process::Command;
use std::rc::Rc;

use outlook_pst::UnicodePstFile;
use outlook_pst::ltp::prop_context::PropertyValue;
use outlook_pst::messaging::folder::Folder;
use outlook_pst::messaging::message::{Message as _, UnicodeMessage};
use outlook_pst::messaging::named_prop::{NamedPropertyGuid, NamedPropertyId};
use outlook_pst::messaging::store::{Store as _, UnicodeStore};
use outlook_pst::ndb::node_id::NodeId;
use serde::Deserialize;

use crate::util::{project_root, temp_dir};

/// The readers [`read`] knows.
pub const READERS: [&str; 3] = ["outlook-pst", "pffexport", "pst-extractor"];

/// PidTagFlagStatus and PidTagFollowupIcon (MS-OXOFLAG 2.2.1).
const FLAG_STATUS: u16 = 0x1090;
const FOLLOW_UP_ICON: u16 = 0x1095;
const INTERNET_MESSAGE_ID: u16 = 0x1035;
const SUBJECT: u16 = 0x0037;

/// What a reader saw of one message.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Marked {
    /// Folder names below the IPM subtree joined with "/" (pffexport: as it names
    /// directories, with the characters a file name cannot hold replaced).
    pub folder: String,
    pub message_id: Option<String>,
    /// Without the prefix marker.
    pub subject: Option<String>,
    pub flag_status: Option<i32>,
    pub follow_up_icon: Option<i32>,
    pub categories: Vec<String>,
}

impl Marked {
    /// How the message is told apart in its folder: its Message-ID, or its subject without one.
    pub fn key(&self) -> String {
        match &self.message_id {
            Some(id) if !id.is_empty() => id.clone(),
            _ => self.subject.clone().unwrap_or_default(),
        }
    }
}

/// Every message of `pst` as `reader` (one of [`READERS`]) sees it.
pub fn read(pst: &Path, reader: &str) -> Vec<Marked> {
    match reader {
        "outlook-pst" => with_outlook_pst(pst),
        "pffexport" => {
            let work = temp_dir();
            let mut command = Command::new("python3");
            command
                .arg(project_root().join("tests/readers/flags_pffexport.py"))
                .arg(pst)
                .arg(work.path());
            run_script(command, reader)
        }
        "pst-extractor" => {
            let modules = project_root().join("target/pstcheck/node/node_modules");
            assert!(
                modules.join("pst-extractor").exists(),
                "{} has no pst-extractor: run scripts/install-readers.sh",
                modules.display()
            );
            let mut command = Command::new("node");
            command
                .arg(project_root().join("tests/readers/flags_pst_extractor.js"))
                .arg(pst)
                .env("NODE_PATH", modules);
            run_script(command, reader)
        }
        _ => panic!("no reader {reader}"),
    }
}

fn run_script(mut command: Command, reader: &str) -> Vec<Marked> {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{reader} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn with_outlook_pst(pst: &Path) -> Vec<Marked> {
    let file = std::fs::File::open(pst).unwrap();
    let pst = UnicodePstFile::read_from(Box::new(BufReader::new(file))).unwrap();
    let store = UnicodeStore::read(Rc::new(pst)).unwrap();
    let keywords = keywords_id(&store);
    let properties = store.properties();
    let top = store
        .open_folder(&properties.ipm_sub_tree_entry_id().unwrap())
        .unwrap();
    let mut found = Vec::new();
    // Depth first, parents before children, children in the hierarchy table's order.
    let mut stack: Vec<(String, Rc<dyn Folder>)> = vec![(String::new(), top)];
    while let Some((path, folder)) = stack.pop() {
        if let Some(table) = folder.contents_table() {
            for row in table.rows_matrix() {
                let node = NodeId::from(u32::from(row.id()));
                let entry_id = properties.make_entry_id(node).unwrap();
                let message = UnicodeMessage::read(store.clone(), &entry_id, None).unwrap();
                let props = message.properties();
                let categories = match keywords.and_then(|id| props.get(id)) {
                    Some(PropertyValue::MultipleUnicode(values)) => {
                        values.iter().map(|v| utf16(v.buffer())).collect()
                    }
                    None => Vec::new(),
                    Some(other) => panic!("Keywords is not PtypMultipleString: {other:?}"),
                };
                found.push(Marked {
                    folder: path.clone(),
                    message_id: text(props.get(INTERNET_MESSAGE_ID)),
                    subject: text(props.get(SUBJECT)).map(|s| without_marker(&s)),
                    flag_status: integer(props.get(FLAG_STATUS)),
                    follow_up_icon: integer(props.get(FOLLOW_UP_ICON)),
                    categories,
                });
            }
        }
        let mut children = Vec::new();
        if let Some(table) = folder.hierarchy_table() {
            for row in table.rows_matrix() {
                let node = NodeId::from(u32::from(row.id()));
                let child = store
                    .open_folder(&properties.make_entry_id(node).unwrap())
                    .unwrap();
                let name = child.properties().display_name().unwrap();
                let child_path = if path.is_empty() {
                    name
                } else {
                    format!("{path}/{name}")
                };
                children.push((child_path, child));
            }
        }
        stack.extend(children.into_iter().rev());
    }
    found
}

/// The property ID of PS_PUBLIC_STRINGS "Keywords" in outlook-pst's reading of the
/// name-to-ID map (its `prop_id` is 0x8000 plus the entry's wPropIdx, MS-PST 2.4.7.1), if the
/// map has it.
fn keywords_id(store: &Rc<UnicodeStore>) -> Option<u16> {
    let map = store.named_property_map().unwrap();
    let map = map.properties();
    map.stream_entry().unwrap().into_iter().find_map(|entry| {
        let NamedPropertyId::StringOffset(offset) = entry.id() else {
            return None;
        };
        let name = map.lookup_string(offset).unwrap().to_string();
        (entry.guid() == NamedPropertyGuid::PublicStrings && name == "Keywords")
            .then(|| entry.prop_id())
    })
}

pub(crate) fn utf16(units: &[u16]) -> String {
    let end = units.iter().position(|&u| u == 0).unwrap_or(units.len());
    String::from_utf16_lossy(&units[..end])
}

pub(crate) fn text(value: Option<&PropertyValue>) -> Option<String> {
    match value? {
        PropertyValue::Unicode(s) => Some(utf16(s.buffer())),
        other => panic!("not PtypString: {other:?}"),
    }
}

fn integer(value: Option<&PropertyValue>) -> Option<i32> {
    match value? {
        PropertyValue::Integer32(n) => Some(*n),
        other => panic!("not PtypInteger32: {other:?}"),
    }
}

/// PidTagSubject may start with 0x01 and a character giving the length of its prefix.
fn without_marker(subject: &str) -> String {
    match subject.strip_prefix('\u{1}') {
        Some(rest) => rest.chars().skip(1).collect(),
        None => subject.to_owned(),
    }
}
