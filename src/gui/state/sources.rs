//! The Sources and Folders screens' part of the state: the stores found or added, each opened
//! and counted by a worker, and the folders ticked in each.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::engine::{Source, StoreListing, capitalized};

use crate::gui::paths;
use crate::gui::tree::FolderTree;
use crate::gui::workers::{FileDialogCheck, SourceId, WorkerEvent};

use super::AppState;

/// A store on the Sources screen.
#[derive(Debug)]
pub struct SourceEntry {
    pub id: SourceId,
    /// The path the person added; `None` for a store discovery found (its root is in the
    /// source once opened).
    pub path: Option<PathBuf>,
    /// Found in the usual places rather than added by the person.
    pub found_on_machine: bool,
    pub status: SourceStatus,
}

/// How far a store on the Sources screen has got.
#[derive(Debug)]
pub enum SourceStatus {
    Opening,
    /// Opened; its folders are being counted.
    Counting {
        source: Source,
    },
    Ready(Box<ReadySource>),
    /// It cannot be read; the text says why and what to do.
    Failed(String),
}

/// A store with its folders counted.
#[derive(Debug)]
pub struct ReadySource {
    pub source: Source,
    pub listing: StoreListing,
    pub tree: FolderTree,
    /// Accounts whose messages only on their server will be fetched, by account key: the
    /// server, as a person reads it.
    pub fetching: BTreeMap<String, String>,
}

impl SourceEntry {
    /// The name shown for the store.
    pub fn title(&self) -> String {
        match &self.status {
            SourceStatus::Ready(ready) => ready.listing.name.clone(),
            SourceStatus::Counting { source } => source.name(),
            SourceStatus::Opening | SourceStatus::Failed(_) => match &self.path {
                Some(path) if self.is_imap() => path.display().to_string(),
                Some(path) => path
                    .file_name()
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_else(|| path.display().to_string()),
                None => "A mail store on this computer".to_owned(),
            },
        }
    }

    /// Where the store is on disk, as far as known.
    pub fn location(&self) -> Option<PathBuf> {
        match &self.status {
            SourceStatus::Ready(ready) => Some(ready.source.root()),
            SourceStatus::Counting { source } => Some(source.root()),
            _ => self.path.clone(),
        }
    }

    /// An IMAP account rather than a store on this computer.
    pub fn is_imap(&self) -> bool {
        self.path.as_ref().is_some_and(|path| {
            let text = path.to_string_lossy().to_ascii_lowercase();
            text.starts_with("imaps://") || text.starts_with("imap://")
        })
    }

    /// Still being opened or counted.
    pub fn is_busy(&self) -> bool {
        matches!(
            self.status,
            SourceStatus::Opening | SourceStatus::Counting { .. }
        )
    }

    pub fn ready(&self) -> Option<&ReadySource> {
        match &self.status {
            SourceStatus::Ready(ready) => Some(ready),
            _ => None,
        }
    }

    fn ready_mut(&mut self) -> Option<&mut ReadySource> {
        match &mut self.status {
            SourceStatus::Ready(ready) => Some(ready),
            _ => None,
        }
    }
}

impl AppState {
    /// Adds stores the person picked or dropped; each is opened and counted on a worker.
    pub fn add_paths(&mut self, paths: Vec<PathBuf>) {
        let mut items = Vec::new();
        let mut already = Vec::new();
        for path in paths {
            let known = self.sources.iter().any(|entry| {
                entry.path.as_ref() == Some(&path) || entry.location() == Some(path.clone())
            });
            if known || items.iter().any(|(_, p)| p == &path) {
                already.push(path.display().to_string());
                continue;
            }
            let id = self.workers.next_id();
            tracing::info!("adding {}", path.display());
            self.sources.push(SourceEntry {
                id,
                path: Some(path.clone()),
                found_on_machine: false,
                status: SourceStatus::Opening,
            });
            items.push((id, path));
        }
        self.notice =
            (!already.is_empty()).then(|| format!("Already in the list: {}", already.join(", ")));
        if items.is_empty() {
            return;
        }
        let ids: Vec<SourceId> = items.iter().map(|(id, _)| *id).collect();
        if let Err(error) = self.workers.open(items) {
            for entry in self.sources.iter_mut().filter(|e| ids.contains(&e.id)) {
                entry.status = SourceStatus::Failed(error.clone());
            }
        }
    }

    /// The path field changed; ways to finish it are looked up on a worker.
    pub fn set_path_text(&mut self, text: String) {
        if text == self.path_text {
            return;
        }
        self.path_text = text;
        self.completions.clear();
        if self.path_text.trim().is_empty() {
            return;
        }
        if let Err(error) = self
            .workers
            .complete(self.path_text.clone(), self.home.clone())
        {
            tracing::warn!("{error}");
        }
    }

    /// "Add" (or Enter) in the path field: the typed path, `~` expanded, is added.
    pub fn add_typed_path(&mut self) {
        match paths::expand(&self.path_text, self.home.as_deref()) {
            Some(path) => {
                self.path_text.clear();
                self.completions.clear();
                self.add_paths(vec![path]);
            }
            None => {
                self.notice = Some(
                    "Type or paste the path of a mail file or folder first, e.g. ~/.thunderbird"
                        .to_owned(),
                );
            }
        }
    }

    /// The home folder, for `~` in typed paths.
    pub fn home(&self) -> Option<&Path> {
        self.home.as_deref()
    }

    /// What tells whether a native file dialog can open.
    pub fn file_dialog_check(&self) -> FileDialogCheck {
        self.file_dialog_check.clone()
    }

    /// The title of another entry that already shows the store at `root` (a folder added
    /// twice over, or a data folder whose profile discovery found).
    fn listed_elsewhere(&self, id: SourceId, root: &Path) -> Option<String> {
        self.sources
            .iter()
            .filter(|entry| entry.id != id)
            .find(|entry| entry.location().as_deref() == Some(root))
            .map(SourceEntry::title)
    }

    pub fn remove_source(&mut self, id: SourceId) {
        self.sources.retain(|entry| entry.id != id);
        self.removed.push(id);
    }

    fn entry_mut(&mut self, id: SourceId) -> Option<&mut SourceEntry> {
        self.sources.iter_mut().find(|entry| entry.id == id)
    }

    /// Stores being opened or counted, discovery included.
    pub fn busy(&self) -> bool {
        self.discovering || self.sources.iter().any(SourceEntry::is_busy)
    }

    pub(super) fn take_worker_event(&mut self, event: WorkerEvent) {
        match event {
            WorkerEvent::Found { id, result } => {
                if let Ok(source) = &result
                    && self.listed_elsewhere(id, &source.root()).is_some()
                {
                    return;
                }
                let status = match result {
                    Ok(source) => SourceStatus::Counting { source },
                    Err(error) => {
                        tracing::warn!("discovery: {error}");
                        SourceStatus::Failed(error)
                    }
                };
                self.sources.push(SourceEntry {
                    id,
                    path: None,
                    found_on_machine: true,
                    status,
                });
            }
            WorkerEvent::DiscoveryFinished => self.discovering = false,
            WorkerEvent::Opened {
                id,
                path,
                along_with,
                result,
            } => {
                if let Ok(source) = &result
                    && let Some(title) = self.listed_elsewhere(id, &source.root())
                {
                    self.sources.retain(|entry| entry.id != id);
                    self.notice = Some(format!("Already in the list: {title}"));
                    return;
                }
                let status = match result {
                    Ok(source) => SourceStatus::Counting { source },
                    Err(error) => {
                        tracing::warn!("cannot open a source: {error}");
                        SourceStatus::Failed(error)
                    }
                };
                if let Some(entry) = self.entry_mut(id) {
                    entry.status = status;
                } else if along_with.is_some_and(|first| !self.removed.contains(&first)) {
                    // Another store of the same folder, listed after the first.
                    let at = self
                        .sources
                        .iter()
                        .rposition(|entry| entry.path.as_ref() == Some(&path))
                        .map_or(self.sources.len(), |at| at + 1);
                    self.sources.insert(
                        at,
                        SourceEntry {
                            id,
                            path: Some(path),
                            found_on_machine: false,
                            status,
                        },
                    );
                }
            }
            WorkerEvent::Places(places) => self.places = places,
            WorkerEvent::Completions { text, options } => {
                if text == self.path_text {
                    self.completions = options;
                }
            }
            WorkerEvent::NoFileDialog {
                problem,
                for_output,
            } => {
                if for_output {
                    self.options_error = Some(format!(
                        "{}. Type the PST file's path in the field instead.",
                        capitalized(&problem)
                    ));
                } else {
                    self.file_dialog_problem = Some(problem);
                }
            }
            WorkerEvent::Listed { id, listing } => {
                if let Some(entry) = self.entry_mut(id) {
                    let SourceStatus::Counting { source } = &entry.status else {
                        return;
                    };
                    entry.status = match &listing.error {
                        Some(error) => SourceStatus::Failed(error.clone()),
                        None => SourceStatus::Ready(Box::new(ReadySource {
                            source: source.clone(),
                            tree: FolderTree::new(&listing.folders),
                            listing,
                            fetching: BTreeMap::new(),
                        })),
                    };
                }
            }
            WorkerEvent::GapsFilled {
                id,
                account,
                result,
            } => self.gaps_filled(id, account, result),
            WorkerEvent::StoredPassword { entry, result } => {
                if let Some(form) = &mut self.imap_form {
                    form.keychain.answered(&entry, result, &mut form.password);
                } else if let Some(form) = &mut self.gap_form {
                    form.keychain.answered(&entry, result, &mut form.password);
                }
            }
            WorkerEvent::KeychainUpdated(result) => {
                if let Err(why) = &result {
                    tracing::warn!("{why}");
                }
                self.keychain_notice = Some(result);
            }
            WorkerEvent::PickedSources(paths) => self.add_paths(paths),
            WorkerEvent::PickedOutput(path) => self.set_output_picked(path),
        }
    }

    // ----- Folders -----

    /// Ticks or clears every folder of one store.
    pub fn set_store_selected(&mut self, id: SourceId, selected: bool) {
        if let Some(ready) = self.entry_mut(id).and_then(SourceEntry::ready_mut) {
            ready.tree.set_all(selected);
        }
    }

    /// A click on a folder's box.
    pub fn toggle_folder(&mut self, id: SourceId, folder: usize) {
        if let Some(ready) = self.entry_mut(id).and_then(SourceEntry::ready_mut) {
            ready.tree.toggle(folder);
        }
    }

    pub fn set_folder_expanded(&mut self, id: SourceId, folder: usize, expanded: bool) {
        if let Some(ready) = self.entry_mut(id).and_then(SourceEntry::ready_mut) {
            ready.tree.set_expanded(folder, expanded);
        }
    }

    /// Ticks or clears every folder of every store.
    pub fn select_all(&mut self, selected: bool) {
        for entry in &mut self.sources {
            if let Some(ready) = entry.ready_mut() {
                ready.tree.set_all(selected);
            }
        }
    }

    /// Stores whose folders are counted.
    pub fn ready_sources(&self) -> impl Iterator<Item = (SourceId, &ReadySource)> {
        self.sources
            .iter()
            .filter_map(|entry| entry.ready().map(|ready| (entry.id, ready)))
    }

    pub fn selected_folders(&self) -> usize {
        self.ready_sources()
            .map(|(_, ready)| ready.tree.selected_folders())
            .sum()
    }

    pub fn selected_messages(&self) -> u64 {
        self.ready_sources()
            .map(|(_, ready)| ready.tree.selected_messages())
            .sum()
    }
}
