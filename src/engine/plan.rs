//! The plan of a job: the folder tree of the PST, built from the selected stores and folders,
//! with the message counts progress is measured against.
//!
//! Every store path starts with a top folder of its own (the store's folder for an mbox file or
//! a folder of mail files, the account for a mail client profile); each becomes a folder right
//! below the PST's "Top of Personal Folders". Sibling names that Outlook would take for the
//! same name (it ignores letter case) get a number: "Inbox", "Inbox (2)".

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::model::{FolderKind, FolderPath, StoreKind};

use super::filter::is_trash_or_junk;
use super::spec::{Options, StoreSelection};

/// Names the PST writer already puts below the top folder.
const RESERVED_TOP_NAMES: &[&str] = &["Deleted Items"];

/// What the job does with a folder of the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FolderRole {
    /// Its messages are converted.
    Convert,
    /// Not selected itself, but it holds selected folders: it appears in the PST, empty.
    Container,
    /// Trash or Junk, left out by the options: not in the PST, its messages counted as skipped.
    Excluded,
}

/// One folder of the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedFolder {
    /// Index of the store in [`Plan::stores`].
    pub store: usize,
    /// Where the folder is in its store.
    pub source_path: FolderPath,
    /// The folder above it in the plan; `None` right below the PST's top folder.
    pub parent: Option<usize>,
    /// Its name in the PST (made unique among its siblings).
    pub name: String,
    /// Names from below the PST's top folder down to this folder.
    pub pst_path: Vec<String>,
    /// Items the store says the folder holds (messages and items it already knows it will skip).
    pub count: u64,
    pub role: FolderRole,
    /// What the store says about the folder (a stale index, an offline copy).
    pub notes: Vec<String>,
    /// Mail, contacts, events or tasks: the kind of Outlook folder it becomes.
    pub kind: FolderKind,
}

impl PlannedFolder {
    /// True when the folder appears in the PST.
    pub fn in_pst(&self) -> bool {
        self.role != FolderRole::Excluded
    }

    /// The PST path as a person reads it: "Inbox › 2024".
    pub fn display_path(&self) -> String {
        self.pst_path.join(" › ")
    }
}

/// One store of the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedStore {
    pub name: String,
    pub kind: StoreKind,
    pub root: PathBuf,
    /// What the store says about itself, and selected folders it does not have.
    pub warnings: Vec<String>,
    /// Why the store's folders could not be listed; its folders are then missing from the plan.
    pub error: Option<String>,
}

/// The PST's folder tree and what each folder holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub stores: Vec<PlannedStore>,
    /// Parents before children, in the order they are written.
    pub folders: Vec<PlannedFolder>,
}

impl Plan {
    /// Lists the folders of every store (this reads the stores) and lays out the PST.
    pub fn build(stores: &[StoreSelection], options: &Options) -> Plan {
        let mut builder = Builder::default();
        for (index, selection) in stores.iter().enumerate() {
            let source = &selection.source;
            let mut planned = PlannedStore {
                name: source.name(),
                kind: source.kind(),
                root: source.root(),
                warnings: source.warnings(),
                error: None,
            };
            match source.folders() {
                Ok(folders) => {
                    let listed: Vec<Listed> = folders
                        .into_iter()
                        .map(|info| Listed {
                            path: info.path,
                            count: info.count,
                            notes: info.notes,
                            kind: info.kind,
                        })
                        .collect();
                    if let super::spec::FolderSelection::Only(wanted) = &selection.folders {
                        for folder in wanted {
                            if !listed.iter().any(|l| &l.path == folder) {
                                planned.warnings.push(format!(
                                    "the selected folder {folder} is not in this store"
                                ));
                            }
                        }
                    }
                    builder.add_store(
                        index,
                        &planned,
                        listed,
                        |path| selection.folders.contains(path),
                        options.include_trash_junk,
                    );
                }
                Err(error) => planned.error = Some(error.to_string()),
            }
            builder.plan.stores.push(planned);
        }
        builder.plan
    }

    /// Messages the job will read (folders it converts).
    pub fn messages_to_read(&self) -> u64 {
        self.folders
            .iter()
            .filter(|f| f.role == FolderRole::Convert)
            .map(|f| f.count)
            .sum()
    }
}

/// A folder as a store lists it.
#[derive(Debug)]
struct Listed {
    path: FolderPath,
    count: u64,
    notes: Vec<String>,
    kind: FolderKind,
}

#[derive(Debug, Default)]
struct Builder {
    plan: Plan,
    /// Plan index of each (store, source path).
    index: HashMap<(usize, FolderPath), usize>,
    /// Names taken below each parent (`None`: the PST's top folder), lower-cased.
    taken: HashMap<Option<usize>, Vec<String>>,
}

impl Builder {
    fn add_store(
        &mut self,
        store: usize,
        planned: &PlannedStore,
        listed: Vec<Listed>,
        selected: impl Fn(&FolderPath) -> bool,
        include_trash_junk: bool,
    ) {
        // Which listed folders are wanted, and which only hold wanted ones.
        let mut wanted: BTreeMap<FolderPath, bool> = BTreeMap::new();
        for folder in &listed {
            if selected(&folder.path) {
                wanted.insert(folder.path.clone(), true);
                let mut parent = folder.path.parent();
                while let Some(path) = parent {
                    if path.is_root() {
                        break;
                    }
                    wanted.entry(path.clone()).or_insert(false);
                    parent = path.parent();
                }
            }
        }
        let mut counts: HashMap<FolderPath, (u64, Vec<String>, FolderKind)> = HashMap::new();
        let mut order: Vec<FolderPath> = Vec::new();
        for folder in listed {
            if wanted.contains_key(&folder.path) && !counts.contains_key(&folder.path) {
                order.push(folder.path.clone());
                counts.insert(folder.path, (folder.count, folder.notes, folder.kind));
            }
        }
        // Parents a store did not list come right before their first child.
        for path in order {
            let mut chain = Vec::new();
            let mut current = Some(path.clone());
            while let Some(p) = current {
                if p.is_root() && !chain.is_empty() {
                    break;
                }
                if self.index.contains_key(&(store, p.clone())) {
                    break;
                }
                current = p.parent();
                chain.push(p);
            }
            for p in chain.into_iter().rev() {
                let (count, notes, kind) = counts.remove(&p).unwrap_or_default();
                let is_selected = wanted.get(&p).copied().unwrap_or(false);
                self.add_folder(
                    store,
                    planned,
                    p,
                    count,
                    notes,
                    kind,
                    is_selected,
                    include_trash_junk,
                );
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn add_folder(
        &mut self,
        store: usize,
        planned: &PlannedStore,
        path: FolderPath,
        count: u64,
        notes: Vec<String>,
        kind: FolderKind,
        is_selected: bool,
        include_trash_junk: bool,
    ) {
        let parent = if path.depth() <= 1 {
            None
        } else {
            path.parent()
                .and_then(|p| self.index.get(&(store, p)).copied())
        };
        let parent_excluded = parent
            .and_then(|p| self.plan.folders.get(p))
            .is_some_and(|p| p.role == FolderRole::Excluded);
        let own_name = if path.is_root() {
            planned.name.clone()
        } else {
            path.name().to_owned()
        };
        // The top folder of a store is named after the store or account, not a mail folder.
        let trash = path.depth() > 1 && is_trash_or_junk(planned.kind, &own_name);
        let role = if parent_excluded || (trash && !include_trash_junk) {
            FolderRole::Excluded
        } else if is_selected {
            FolderRole::Convert
        } else {
            FolderRole::Container
        };
        let name = if role == FolderRole::Excluded {
            own_name.clone()
        } else {
            self.unique_name(parent, &own_name)
        };
        let mut pst_path = parent
            .and_then(|p| self.plan.folders.get(p))
            .map(|p| p.pst_path.clone())
            .unwrap_or_default();
        pst_path.push(name.clone());
        let at = self.plan.folders.len();
        self.index.insert((store, path.clone()), at);
        self.plan.folders.push(PlannedFolder {
            store,
            source_path: path,
            parent,
            name,
            pst_path,
            count,
            role,
            notes,
            kind,
        });
    }

    /// `name`, or `name (2)`, `name (3)`, … when a sibling has it already.
    fn unique_name(&mut self, parent: Option<usize>, name: &str) -> String {
        let base = if name.trim().is_empty() {
            "(no name)".to_owned()
        } else {
            name.to_owned()
        };
        let taken = self.taken.entry(parent).or_insert_with(|| {
            if parent.is_none() {
                RESERVED_TOP_NAMES
                    .iter()
                    .map(|n| n.to_lowercase())
                    .collect()
            } else {
                Vec::new()
            }
        });
        let mut candidate = base.clone();
        let mut number = 2;
        while taken.contains(&candidate.to_lowercase()) {
            candidate = format!("{base} ({number})");
            number += 1;
        }
        taken.push(candidate.to_lowercase());
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(kind: StoreKind) -> PlannedStore {
        PlannedStore {
            name: "Store".into(),
            kind,
            root: PathBuf::from("store"),
            warnings: Vec::new(),
            error: None,
        }
    }

    fn listed(paths: &[(&[&str], u64)]) -> Vec<Listed> {
        paths
            .iter()
            .map(|(names, count)| Listed {
                path: FolderPath::new(names.iter().copied()),
                count: *count,
                notes: Vec::new(),
                kind: FolderKind::Mail,
            })
            .collect()
    }

    fn paths(plan: &Plan) -> Vec<(String, FolderRole, u64)> {
        plan.folders
            .iter()
            .map(|f| (f.pst_path.join("/"), f.role, f.count))
            .collect()
    }

    #[test]
    fn each_store_gets_its_own_top_folder_and_names_stay_unique() {
        let mut builder = Builder::default();
        let mbox = store(StoreKind::Mbox);
        builder.add_store(0, &mbox, listed(&[(&["Inbox"], 3)]), |_| true, true);
        builder.add_store(1, &mbox, listed(&[(&["inbox"], 2)]), |_| true, true);
        builder.add_store(2, &mbox, listed(&[(&["Deleted Items"], 1)]), |_| true, true);
        builder.add_store(3, &mbox, listed(&[(&["Inbox"], 1)]), |_| true, true);
        assert_eq!(
            paths(&builder.plan),
            vec![
                ("Inbox".into(), FolderRole::Convert, 3),
                ("inbox (2)".into(), FolderRole::Convert, 2),
                ("Deleted Items (2)".into(), FolderRole::Convert, 1),
                ("Inbox (3)".into(), FolderRole::Convert, 1),
            ]
        );
        assert_eq!(builder.plan.folders[1].parent, None);
    }

    #[test]
    fn nested_folders_keep_their_tree_and_missing_parents_are_added() {
        let mut builder = Builder::default();
        let tb = store(StoreKind::Thunderbird);
        builder.add_store(
            0,
            &tb,
            listed(&[
                (&["alice", "Inbox"], 2),
                (&["alice", "Projects", "2024"], 1),
                (&["alice", "Projects"], 4),
                (&["alice", "Inbox", "Saved"], 5),
            ]),
            |_| true,
            true,
        );
        let plan = &builder.plan;
        assert_eq!(
            paths(plan),
            vec![
                ("alice".into(), FolderRole::Container, 0),
                ("alice/Inbox".into(), FolderRole::Convert, 2),
                ("alice/Projects".into(), FolderRole::Convert, 4),
                ("alice/Projects/2024".into(), FolderRole::Convert, 1),
                ("alice/Inbox/Saved".into(), FolderRole::Convert, 5),
            ]
        );
        assert_eq!(plan.folders[3].parent, Some(2));
        assert_eq!(plan.folders[4].parent, Some(1));
        assert_eq!(plan.folders[4].display_path(), "alice › Inbox › Saved");
    }

    #[test]
    fn unselected_parents_of_selected_folders_are_containers() {
        let mut builder = Builder::default();
        let tb = store(StoreKind::Thunderbird);
        let wanted = FolderPath::new(["alice", "Projects", "2024"]);
        builder.add_store(
            0,
            &tb,
            listed(&[
                (&["alice"], 0),
                (&["alice", "Inbox"], 2),
                (&["alice", "Projects"], 4),
                (&["alice", "Projects", "2024"], 1),
            ]),
            |p| *p == wanted,
            true,
        );
        assert_eq!(
            paths(&builder.plan),
            vec![
                ("alice".into(), FolderRole::Container, 0),
                ("alice/Projects".into(), FolderRole::Container, 4),
                ("alice/Projects/2024".into(), FolderRole::Convert, 1),
            ]
        );
    }

    #[test]
    fn trash_and_junk_and_what_lies_below_them_can_be_left_out() {
        let tb = store(StoreKind::Thunderbird);
        let folders = || {
            listed(&[
                (&["Trash"], 0),
                (&["Trash", "Inbox"], 1),
                (&["Trash", "Trash"], 7),
                (&["Trash", "Trash", "old"], 2),
                (&["Trash", "Junk"], 3),
            ])
        };
        let mut builder = Builder::default();
        builder.add_store(0, &tb, folders(), |_| true, false);
        assert_eq!(
            paths(&builder.plan),
            vec![
                // A store's own top folder is never taken for its Trash.
                ("Trash".into(), FolderRole::Convert, 0),
                ("Trash/Inbox".into(), FolderRole::Convert, 1),
                ("Trash/Trash".into(), FolderRole::Excluded, 7),
                ("Trash/Trash/old".into(), FolderRole::Excluded, 2),
                ("Trash/Junk".into(), FolderRole::Excluded, 3),
            ]
        );
        let mut builder = Builder::default();
        builder.add_store(0, &tb, folders(), |_| true, true);
        assert!(
            builder
                .plan
                .folders
                .iter()
                .all(|f| f.role == FolderRole::Convert)
        );
    }

    #[test]
    fn a_store_root_with_messages_is_named_after_the_store() {
        let mut builder = Builder::default();
        let mbox = store(StoreKind::EmlFolder);
        builder.add_store(0, &mbox, listed(&[(&[], 2), (&["Sub"], 1)]), |_| true, true);
        assert_eq!(
            paths(&builder.plan),
            vec![
                ("Store".into(), FolderRole::Convert, 2),
                ("Sub".into(), FolderRole::Convert, 1),
            ]
        );
    }

    #[test]
    fn messages_to_read_counts_converted_folders_only() {
        let mut builder = Builder::default();
        let tb = store(StoreKind::Thunderbird);
        builder.add_store(
            0,
            &tb,
            listed(&[(&["a"], 1), (&["a", "Junk"], 10), (&["a", "Inbox"], 5)]),
            |_| true,
            false,
        );
        assert_eq!(builder.plan.messages_to_read(), 6);
    }

    #[test]
    fn an_empty_name_gets_a_placeholder() {
        let mut builder = Builder::default();
        assert_eq!(builder.unique_name(None, " "), "(no name)");
        assert_eq!(builder.unique_name(None, ""), "(no name) (2)");
    }
}
