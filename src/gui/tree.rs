//! One store's folders as the Folders screen shows them: a tree with a tick per folder, where a
//! parent's box is ticked, empty or mixed from what lies below it, and a filter by name.

use crate::engine::{FolderListing, FolderSelection};
use crate::model::FolderPath;

/// How a folder's box looks: its own tick and those of everything below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    Checked,
    Unchecked,
    /// Some of the folder and its subfolders are ticked, some are not.
    Mixed,
}

/// One folder of the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderNode {
    pub path: FolderPath,
    /// The folder's own name.
    pub name: String,
    /// Messages in this folder alone.
    pub count: u64,
    /// Messages in this folder and all below it.
    pub total: u64,
    pub notes: Vec<String>,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    /// Ticked for conversion.
    pub selected: bool,
    /// Subfolders shown.
    pub expanded: bool,
}

/// The folders of one store, parents before children, every folder ticked at first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FolderTree {
    nodes: Vec<FolderNode>,
}

/// Folders this deep and deeper start collapsed.
const COLLAPSED_FROM_DEPTH: usize = 2;

impl FolderTree {
    /// The tree of a store's listing. A folder whose parent is not listed hangs at the top.
    pub fn new(folders: &[FolderListing]) -> FolderTree {
        let mut nodes: Vec<FolderNode> = Vec::with_capacity(folders.len());
        for folder in folders {
            let parent = folder
                .path
                .parent()
                .and_then(|parent| nodes.iter().rposition(|n| n.path == parent));
            let name = match folder.path.name() {
                "" => "(top folder)".to_owned(),
                name => name.to_owned(),
            };
            nodes.push(FolderNode {
                path: folder.path.clone(),
                name,
                count: folder.count,
                total: folder.count,
                notes: folder.notes.clone(),
                parent,
                children: Vec::new(),
                selected: true,
                expanded: false,
            });
        }
        for index in (0..nodes.len()).rev() {
            if let Some(parent) = nodes[index].parent {
                let total = nodes[index].total;
                nodes[parent].children.insert(0, index);
                nodes[parent].total += total;
            }
        }
        let mut tree = FolderTree { nodes };
        for index in 0..tree.nodes.len() {
            let depth = tree.depth(index);
            tree.nodes[index].expanded = depth + 1 < COLLAPSED_FROM_DEPTH;
        }
        tree
    }

    pub fn nodes(&self) -> &[FolderNode] {
        &self.nodes
    }

    pub fn node(&self, index: usize) -> Option<&FolderNode> {
        self.nodes.get(index)
    }

    /// The folders at the top of the tree, in order.
    pub fn roots(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.nodes.len()).filter(|&i| self.nodes[i].parent.is_none())
    }

    /// How many folders lie above this one in the tree.
    pub fn depth(&self, index: usize) -> usize {
        let mut depth = 0;
        let mut at = self.nodes.get(index).and_then(|n| n.parent);
        while let Some(parent) = at {
            depth += 1;
            at = self.nodes.get(parent).and_then(|n| n.parent);
        }
        depth
    }

    /// The folder and everything below it.
    fn subtree(&self, index: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut stack = vec![index];
        while let Some(at) = stack.pop() {
            if let Some(node) = self.nodes.get(at) {
                out.push(at);
                stack.extend(node.children.iter().rev());
            }
        }
        out
    }

    /// How the folder's box looks.
    pub fn check(&self, index: usize) -> Check {
        let subtree = self.subtree(index);
        let ticked = subtree.iter().filter(|&&i| self.nodes[i].selected).count();
        if ticked == 0 {
            Check::Unchecked
        } else if ticked == subtree.len() {
            Check::Checked
        } else {
            Check::Mixed
        }
    }

    /// A click on the folder's box: a fully ticked folder is cleared with all below it;
    /// otherwise it is ticked with all below it.
    pub fn toggle(&mut self, index: usize) {
        let select = self.check(index) != Check::Checked;
        for at in self.subtree(index) {
            self.nodes[at].selected = select;
        }
    }

    /// Ticks or clears every folder.
    pub fn set_all(&mut self, selected: bool) {
        for node in &mut self.nodes {
            node.selected = selected;
        }
    }

    /// How the box of the whole store looks.
    pub fn check_all(&self) -> Check {
        let ticked = self.nodes.iter().filter(|n| n.selected).count();
        if ticked == 0 {
            Check::Unchecked
        } else if ticked == self.nodes.len() {
            Check::Checked
        } else {
            Check::Mixed
        }
    }

    pub fn set_expanded(&mut self, index: usize, expanded: bool) {
        if let Some(node) = self.nodes.get_mut(index) {
            node.expanded = expanded;
        }
    }

    /// Ticked folders.
    pub fn selected_folders(&self) -> usize {
        self.nodes.iter().filter(|n| n.selected).count()
    }

    /// Messages in the ticked folders.
    pub fn selected_messages(&self) -> u64 {
        self.nodes
            .iter()
            .filter(|n| n.selected)
            .map(|n| n.count)
            .sum()
    }

    /// Messages in all folders.
    pub fn messages(&self) -> u64 {
        self.nodes.iter().map(|n| n.count).sum()
    }

    /// What the job converts: every folder when all are ticked, else exactly the ticked ones.
    pub fn selection(&self) -> FolderSelection {
        if self.nodes.iter().all(|n| n.selected) {
            FolderSelection::All
        } else {
            FolderSelection::Only(
                self.nodes
                    .iter()
                    .filter(|n| n.selected)
                    .map(|n| n.path.clone())
                    .collect(),
            )
        }
    }

    /// Whether the folder is shown under `filter`: its name, or that of a folder below it,
    /// contains the text (ignoring case). An empty filter shows everything.
    pub fn matches(&self, index: usize, filter: &str) -> bool {
        let filter = filter.trim().to_lowercase();
        if filter.is_empty() {
            return true;
        }
        self.subtree(index)
            .iter()
            .any(|&at| self.nodes[at].name.to_lowercase().contains(&filter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FolderKind;

    fn listing(paths: &[(&[&str], u64)]) -> Vec<FolderListing> {
        paths
            .iter()
            .map(|(names, count)| FolderListing {
                path: FolderPath::new(names.iter().copied()),
                count: *count,
                notes: Vec::new(),
                kind: FolderKind::Mail,
            })
            .collect()
    }

    fn sample() -> FolderTree {
        FolderTree::new(&listing(&[
            (&["Mail"], 0),
            (&["Mail", "Inbox"], 10),
            (&["Mail", "Inbox", "2024"], 5),
            (&["Mail", "Sent"], 3),
            (&["Archive"], 7),
        ]))
    }

    #[test]
    fn the_tree_follows_the_paths_and_sums_counts() {
        let tree = sample();
        assert_eq!(tree.roots().collect::<Vec<_>>(), vec![0, 4]);
        assert_eq!(tree.nodes()[0].children, vec![1, 3]);
        assert_eq!(tree.nodes()[1].children, vec![2]);
        assert_eq!(tree.nodes()[0].total, 18);
        assert_eq!(tree.depth(2), 2);
        assert_eq!(tree.messages(), 25);
        assert!(tree.nodes()[0].expanded && !tree.nodes()[1].expanded);
    }

    #[test]
    fn a_folder_whose_parent_is_missing_hangs_at_the_top() {
        let tree = FolderTree::new(&listing(&[(&["A", "B"], 1), (&[], 2)]));
        assert_eq!(tree.roots().count(), 2);
        assert_eq!(tree.nodes()[1].name, "(top folder)");
    }

    #[test]
    fn boxes_are_ticked_cleared_or_mixed_from_below() {
        let mut tree = sample();
        assert_eq!(tree.check(0), Check::Checked);
        assert_eq!(tree.selection(), FolderSelection::All);
        tree.toggle(2);
        assert_eq!(tree.check(2), Check::Unchecked);
        assert_eq!(tree.check(1), Check::Mixed);
        assert_eq!(tree.check(0), Check::Mixed);
        assert_eq!(tree.check_all(), Check::Mixed);
        assert_eq!(tree.selected_messages(), 20);
        // A mixed folder is ticked whole by a click, then cleared whole by the next.
        tree.toggle(0);
        assert_eq!(tree.check(0), Check::Checked);
        tree.toggle(0);
        assert_eq!(tree.check(0), Check::Unchecked);
        assert_eq!(
            tree.selection(),
            FolderSelection::Only(vec![FolderPath::new(["Archive"])])
        );
        tree.set_all(false);
        assert_eq!(tree.check_all(), Check::Unchecked);
        assert_eq!(tree.selected_folders(), 0);
    }

    #[test]
    fn the_filter_keeps_matching_folders_and_their_parents() {
        let tree = sample();
        assert!(tree.matches(0, "2024"));
        assert!(tree.matches(1, "2024"));
        assert!(!tree.matches(3, "2024"));
        assert!(tree.matches(3, " sEnT "));
        assert!(tree.matches(4, ""));
    }
}
