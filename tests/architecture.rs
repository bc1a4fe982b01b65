//! The layering rules of the design, checked on the source: each layer may use only the layers
//! listed for it, so a shortcut shows up at once.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use crate::util::project_root;

/// Every layer of `src/` and the layers it may use.
const RULES: &[(&str, &[&str])] = &[
    ("model", &[]),
    ("pst", &[]),
    ("license", &[]),
    ("sources", &["model"]),
    // The independent reading the checks compare against: it shares nothing with `convert`.
    ("reading", &["model"]),
    ("convert", &["model", "pst"]),
    (
        "engine",
        &["model", "sources", "reading", "convert", "pst", "license"],
    ),
    ("cli", &["engine", "model", "license"]),
    ("gui", &["engine", "model", "license"]),
];

/// The crate's own top-level modules a file refers to through `crate::`.
fn crate_modules_used(text: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        // `mail2pst::` from a binary counts the same; `$crate::` in macros is not ours.
        if text[..at].ends_with('$') {
            continue;
        }
        let rest = &text[at + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            used.insert(name);
        }
    }
    // `use crate::{a, b::c}` lists several modules in braces.
    for (at, _) in text.match_indices("crate::{") {
        let rest = &text[at + "crate::{".len()..];
        let mut depth = 1;
        let mut item = String::new();
        let mut at_item_start = true;
        for c in rest.chars() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                ',' if depth == 1 => at_item_start = true,
                c if at_item_start && (c.is_ascii_alphanumeric() || c == '_') => item.push(c),
                _ if !item.is_empty() => {
                    used.insert(std::mem::take(&mut item));
                    at_item_start = false;
                }
                _ => {}
            }
        }
        if !item.is_empty() {
            used.insert(item);
        }
    }
    used
}

fn rust_files(path: &Path, out: &mut Vec<std::path::PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<_> = fs::read_dir(path)
            .expect("read a source folder")
            .map(|e| e.expect("read a folder entry").path())
            .collect();
        entries.sort();
        for entry in entries {
            rust_files(&entry, out);
        }
    } else if path.is_file() && path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

#[test]
fn layers_use_only_the_layers_below_them() {
    let src = project_root().join("src");
    let layers: BTreeSet<&str> = RULES.iter().map(|(layer, _)| *layer).collect();
    let mut broken = Vec::new();
    for (layer, allowed) in RULES {
        let mut files = Vec::new();
        rust_files(&src.join(layer), &mut files);
        rust_files(&src.join(format!("{layer}.rs")), &mut files);
        for file in files {
            let text = fs::read_to_string(&file).expect("read a source file");
            for used in crate_modules_used(&text) {
                if used != *layer
                    && layers.contains(used.as_str())
                    && !allowed.contains(&used.as_str())
                {
                    broken.push(format!("{} uses crate::{used}", file.display()));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "layering rules broken:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_checker_sees_braced_and_plain_imports() {
    let used = crate_modules_used(
        "use crate::{model::FolderPath, sources};\nlet x = crate::pst::Message::default();",
    );
    assert_eq!(
        used.into_iter().collect::<Vec<_>>(),
        vec![
            "model".to_string(),
            "pst".to_string(),
            "sources".to_string()
        ]
    );
}
