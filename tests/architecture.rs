//! The layering rules of the design (`docs/design.md` §2), checked on the source: each layer
//! may use only the layers listed for it, and so may every other target of the workspace (the
//! program, benchmarks, examples, tools), so a shortcut shows up at once.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

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

/// The library's layers, as every target but the integration tests may use them: the program
/// (`src/main.rs`), the benchmarks and examples, and the tools. Paths are relative to the
/// project's root; a folder's rule covers every file below it.
const TARGETS: &[(&str, &[&str])] = &[
    // The program: the command line, the window, and the engine's cancel flag for Ctrl-C.
    ("src/main.rs", &["cli", "gui", "engine"]),
    // Measure the layers below the front ends.
    ("benches", &["model", "sources", "convert", "pst", "engine"]),
    (
        "examples",
        &["model", "sources", "convert", "pst", "engine"],
    ),
    // The vendor's key signer: the key format, nothing else.
    ("tools/license-issuer", &["license"]),
    // Compiles `src/license/key.rs` (a bottom layer) on its own.
    ("tools/release-key-check", &[]),
    // The independent PST reader the tests compare with: an oracle shares no code with what it
    // checks.
    ("tools/pstcheck", &[]),
];

/// Where the program's other Rust targets live; each file below them needs a rule in
/// [`TARGETS`]. Integration tests (`tests/`) exercise every layer and have no rule.
const TARGET_FOLDERS: &[&str] = &["src/bin", "benches", "examples", "tools"];

/// The crate's own top-level modules a library file refers to through `crate::`.
fn crate_modules_used(text: &str) -> BTreeSet<String> {
    modules_used(text, "crate::")
}

/// The library's top-level modules another target refers to through `mail2pst::`.
fn library_modules_used(text: &str) -> BTreeSet<String> {
    modules_used(text, "mail2pst::")
}

/// The top-level modules named right after `root` (`crate::` or `mail2pst::`).
fn modules_used(text: &str, root: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for (at, _) in text.match_indices(root) {
        // `$crate::` in macros is not ours.
        if text[..at].ends_with('$')
            || text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_')
        {
            continue;
        }
        let rest = &text[at + root.len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            used.insert(name);
        }
    }
    // `use crate::{a, b::c}` lists several modules in braces.
    let braced = format!("{root}{{");
    for (at, _) in text.match_indices(&braced) {
        let rest = &text[at + braced.len()..];
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

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<_> = fs::read_dir(path)
            .expect("read a source folder")
            .map(|e| e.expect("read a folder entry").path())
            .collect();
        entries.sort();
        for entry in entries {
            // Build output and installed readers are not sources.
            if entry
                .file_name()
                .is_some_and(|name| name == "target" || name == "node_modules")
            {
                continue;
            }
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
fn every_target_uses_only_the_layers_allowed_to_it() {
    let root = project_root();
    let layers: BTreeSet<&str> = RULES.iter().map(|(layer, _)| *layer).collect();
    let mut broken = Vec::new();
    let mut files = Vec::new();
    rust_files(&root.join("src/main.rs"), &mut files);
    for folder in TARGET_FOLDERS {
        rust_files(&root.join(folder), &mut files);
    }
    assert!(files.len() > 10, "too few targets found: {files:?}");
    for file in files {
        let relative = file.strip_prefix(root).expect("a file of the project");
        let Some((_, allowed)) = TARGETS
            .iter()
            .find(|(place, _)| relative.starts_with(place))
        else {
            broken.push(format!("{} has no rule in TARGETS", relative.display()));
            continue;
        };
        let text = fs::read_to_string(&file).expect("read a source file");
        for used in library_modules_used(&text) {
            if layers.contains(used.as_str()) && !allowed.contains(&used.as_str()) {
                broken.push(format!("{} uses mail2pst::{used}", relative.display()));
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

#[test]
fn the_checker_reads_the_library_by_its_name_in_other_targets() {
    let used = library_modules_used(
        "use mail2pst::{cli::{self, Cli}, engine::CancelToken};\nmail2pst::gui::run();\nlet x = crate::pst::X; // not_mail2pst::model",
    );
    assert_eq!(
        used.into_iter().collect::<Vec<_>>(),
        vec!["cli".to_string(), "engine".to_string(), "gui".to_string()]
    );
}
