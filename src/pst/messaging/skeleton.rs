//! The nodes every store has besides the user's folders and messages: [mandatory nodes](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/661f9921-54ff-4768-b98c-91954312af52)
//! (MS-PST 2.7.1), the template tables (2.7.3.3), the root folder, Search Root and the spam
//! search folder, and the Outlook-maintained nodes ScanPST expects (docs/pst-writer-notes.md
//! §4.1). Also the helpers that write one folder's four nodes.

use crate::pst::error::Error;
use crate::pst::ltp::{
    self, ClientSig, ClosedBlock, HeapBuilder, PropTag, PropValue, RowIds, TableRow, TcBuilder,
    TcTree,
};
use crate::pst::messaging::folder::FolderState;
use crate::pst::messaging::name_map::name_map_properties;
use crate::pst::messaging::node::NodeScope;
use crate::pst::messaging::props::Props;
use crate::pst::messaging::store::store_properties;
use crate::pst::messaging::{tags, templates};
use crate::pst::ndb::{Bid, DataTree, NdbWriter, Nid, NidType, TreeInProgress, special};

/// "SPAM Search Folder 2", the search folder of every Outlook store.
pub const SPAM_SEARCH_FOLDER_NAME: &str = "SPAM Search Folder 2";
pub const SEARCH_ROOT_NAME: &str = "Search Root";

/// Writes a table context as node `nid`.
pub fn write_table(
    ndb: &mut NdbWriter,
    nid: Nid,
    parent: Nid,
    columns: &[PropTag],
    rows: &[TableRow<'_>],
) -> Result<(), Error> {
    let ids: Vec<u32> = rows.iter().map(|row| row.id).collect();
    write_table_from(ndb, nid, parent, columns, RowIds::Listed(&ids), |table| {
        for row in rows {
            table.push_row(row)?;
        }
        Ok(())
    })
}

/// A table context being written: rows pushed one by one, and the blocks of its heap and row
/// matrix written to the file as they fill (see [`TcBuilder::streamed`]), so that a folder's
/// contents table is never held whole, whatever the folder's size.
#[derive(Debug)]
pub struct TableWriter<'s, 'w> {
    table: TcBuilder,
    scope: &'s mut NodeScope<'w>,
    trees: TableTrees,
}

/// The data trees of a table being written block by block.
#[derive(Debug, Default)]
struct TableTrees {
    heap: TreeInProgress,
    matrix: TreeInProgress,
}

impl TableTrees {
    fn write(&mut self, ndb: &mut NdbWriter, block: ClosedBlock) -> Result<(), Error> {
        let tree = match block.tree {
            TcTree::Heap => &mut self.heap,
            TcTree::RowMatrix => &mut self.matrix,
        };
        ndb.write_tree_block(tree, block.index, &block.data)?;
        Ok(())
    }
}

impl TableWriter<'_, '_> {
    /// Adds the next row, in the order the table's [`RowIds`] say.
    pub fn push_row(&mut self, row: &TableRow<'_>) -> Result<(), Error> {
        self.table.push_row(row, self.scope)?;
        for block in self.table.take_closed() {
            self.trees.write(self.scope.ndb, block)?;
        }
        Ok(())
    }

    /// Writes what is left of the table and returns its heap's data tree.
    fn finish(self) -> Result<DataTree, Error> {
        let TableWriter {
            table,
            scope,
            mut trees,
        } = self;
        if !table.is_streamed() {
            let blocks = table.finish(scope)?;
            return Ok(scope.ndb.write_blocks(blocks.blocks())?);
        }
        let rows = scope.ndb.allocate_nid(NidType::Ltp);
        for block in table.finish_streamed(rows)? {
            trees.write(scope.ndb, block)?;
        }
        let matrix = scope.ndb.finish_tree(trees.matrix)?;
        scope.add_subnode(rows, matrix.bid);
        Ok(scope.ndb.finish_tree(trees.heap)?)
    }
}

/// Writes a table context as node `nid` whose rows, with the IDs `ids`, `fill` pushes one by
/// one: a large table's rows can come from disk a few at a time, and its blocks go to the file
/// as they fill.
pub fn write_table_from(
    ndb: &mut NdbWriter,
    nid: Nid,
    parent: Nid,
    columns: &[PropTag],
    ids: RowIds<'_>,
    fill: impl FnOnce(&mut TableWriter<'_, '_>) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut scope = NodeScope::new(ndb);
    let mut table = TableWriter {
        table: TcBuilder::streamed(columns, ids)?,
        scope: &mut scope,
        trees: TableTrees::default(),
    };
    fill(&mut table)?;
    let tree = table.finish()?;
    let sub = scope.finish()?;
    ndb.add_node(nid, tree.bid, sub, parent)?;
    Ok(())
}

/// The rows of an empty contents table.
pub fn no_rows(_: &mut TableWriter<'_, '_>) -> Result<(), Error> {
    Ok(())
}

/// Writes a property context as node `nid`.
pub fn write_pc(ndb: &mut NdbWriter, nid: Nid, parent: Nid, props: Props<'_>) -> Result<(), Error> {
    let mut scope = NodeScope::new(ndb);
    let blocks = ltp::build_pc(&props.into_sorted(), &mut scope)?;
    let tree = scope.ndb.write_blocks(blocks.blocks())?;
    let sub = scope.finish()?;
    ndb.add_node(nid, tree.bid, sub, parent)?;
    Ok(())
}

/// A folder's subfolder as its parent's hierarchy table lists it.
#[derive(Clone, Copy, Debug)]
pub struct Child<'a> {
    pub nid: Nid,
    pub state: &'a FolderState,
}

/// Writes a folder's PC and its hierarchy, contents and (empty) FAI tables. The contents rows,
/// with the IDs `contents_ids`, come from `fill_contents` (see [`write_table_from`]).
// Each argument is one part of the folder's four nodes; grouping them would only rename them.
#[allow(clippy::too_many_arguments)]
pub fn write_folder(
    ndb: &mut NdbWriter,
    nid: Nid,
    parent: Nid,
    state: &FolderState,
    children: &[Child<'_>],
    contents_columns: &[PropTag],
    contents_ids: RowIds<'_>,
    fill_contents: impl FnOnce(&mut TableWriter<'_, '_>) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut hierarchy = Vec::with_capacity(children.len());
    for child in children {
        hierarchy.push(TableRow {
            id: child.nid.0,
            version: ndb.next_row_version(),
            cells: child.state.hierarchy_row(),
        });
    }
    let none = Nid(0);
    write_table(
        ndb,
        nid.with_type(NidType::HierarchyTable),
        none,
        templates::HIERARCHY,
        &hierarchy,
    )?;
    write_table_from(
        ndb,
        nid.with_type(NidType::ContentsTable),
        none,
        contents_columns,
        contents_ids,
        fill_contents,
    )?;
    write_table(
        ndb,
        nid.with_type(NidType::AssociatedContentsTable),
        none,
        templates::ASSOCIATED_CONTENTS,
        &[],
    )?;
    write_pc(ndb, nid, parent, state.properties())
}

/// The states of the folders outside the IPM subtree.
pub fn search_root_state() -> FolderState {
    FolderState {
        name: SEARCH_ROOT_NAME.to_owned(),
        ..FolderState::default()
    }
}

pub fn spam_search_folder_state() -> FolderState {
    FolderState {
        name: SPAM_SEARCH_FOLDER_NAME.to_owned(),
        ..FolderState::default()
    }
}

/// Writes every fixed node: the store, the name-to-ID map, the root folder (whose hierarchy
/// lists the IPM subtree, Search Root and the spam search folder), Search Root, the spam search
/// folder and its nodes, the templates and the Outlook-maintained nodes. The IPM subtree itself
/// is written by the caller as a folder; `ipm_subtree` is its state for the root's row.
pub fn write_fixed_nodes(
    ndb: &mut NdbWriter,
    store_name: &str,
    store_uid: &[u8; 16],
    ipm_subtree: &FolderState,
) -> Result<(), Error> {
    let none = Nid(0);
    write_pc(
        ndb,
        special::MESSAGE_STORE,
        none,
        store_properties(store_name, store_uid),
    )?;
    let mut name_map = Props::new();
    for (tag, value) in name_map_properties() {
        name_map.set(tag, value);
    }
    write_pc(ndb, special::NAME_TO_ID_MAP, none, name_map)?;

    // The root folder is its own parent.
    let search_root = search_root_state();
    let spam = spam_search_folder_state();
    let root = FolderState {
        has_subfolders: true,
        ..FolderState::default()
    };
    write_folder(
        ndb,
        special::ROOT_FOLDER,
        special::ROOT_FOLDER,
        &root,
        &[
            Child {
                nid: special::IPM_SUBTREE,
                state: ipm_subtree,
            },
            Child {
                nid: special::SEARCH_ROOT,
                state: &search_root,
            },
            Child {
                nid: special::SPAM_SEARCH_FOLDER,
                state: &spam,
            },
        ],
        templates::CONTENTS,
        RowIds::Listed(&[]),
        no_rows,
    )?;
    write_folder(
        ndb,
        special::SEARCH_ROOT,
        special::ROOT_FOLDER,
        &search_root,
        &[],
        templates::CONTENTS,
        RowIds::Listed(&[]),
        no_rows,
    )?;

    // The spam search folder: PC, empty update queue, criteria, contents table.
    write_pc(
        ndb,
        special::SPAM_SEARCH_FOLDER,
        special::ROOT_FOLDER,
        spam.properties(),
    )?;
    let spam_index = special::SPAM_SEARCH_FOLDER.index();
    ndb.add_node(
        Nid::new(NidType::SearchUpdateQueue, spam_index),
        Bid::NONE,
        Bid::NONE,
        none,
    )?;
    let mut criteria = Props::new();
    criteria.int(tags::SEARCH_CRITERIA_660B, 0);
    write_pc(
        ndb,
        Nid::new(NidType::SearchCriteria, spam_index),
        none,
        criteria,
    )?;
    write_table(
        ndb,
        Nid::new(NidType::SearchContentsTable, spam_index),
        none,
        templates::SEARCH_CONTENTS,
        &[],
    )?;

    // Search management: an empty queue, the activity list naming the spam search folder, an
    // empty domain object.
    ndb.add_node(special::SEARCH_MANAGEMENT_QUEUE, Bid::NONE, Bid::NONE, none)?;
    let activity = ndb.write_data(&special::SPAM_SEARCH_FOLDER.0.to_le_bytes(), 8176)?;
    ndb.add_node(special::SEARCH_ACTIVITY_LIST, activity.bid, Bid::NONE, none)?;
    ndb.add_node(special::SEARCH_DOMAIN_OBJECT, Bid::NONE, Bid::NONE, none)?;

    // Templates: tables without rows.
    let templates_to_write: [(Nid, &[PropTag]); 9] = [
        (special::HIERARCHY_TABLE_TEMPLATE, templates::HIERARCHY),
        (
            special::CONTENTS_TABLE_TEMPLATE,
            templates::CONTENTS_TEMPLATE,
        ),
        (
            special::ASSOC_CONTENTS_TABLE_TEMPLATE,
            templates::ASSOCIATED_CONTENTS,
        ),
        (
            special::SEARCH_CONTENTS_TABLE_TEMPLATE,
            templates::SEARCH_CONTENTS,
        ),
        (special::ATTACHMENT_TABLE, templates::ATTACHMENTS),
        (special::RECIPIENT_TABLE, templates::RECIPIENTS_TEMPLATE),
        (special::OUTGOING_QUEUE_TABLE, templates::OUTGOING_QUEUE),
        (special::SEARCH_TABLE_INDEX, templates::SEARCH_TABLE_INDEX),
        (
            special::SEARCH_TABLE_INDEX_TEMPLATE,
            templates::SEARCH_TABLE_INDEX_TEMPLATE,
        ),
    ];
    for (nid, columns) in templates_to_write {
        write_table(ndb, nid, none, columns, &[])?;
    }
    write_table(
        ndb,
        special::CONTENTS_TABLE_INDEX_TEMPLATE,
        none,
        templates::CONTENTS_TABLE_INDEX,
        &[],
    )?;

    // The receive-folder table: the default message class "" goes to the root folder.
    let receive = TableRow {
        id: 1,
        version: ndb.next_row_version(),
        cells: vec![
            Some(PropValue::Integer32(special::ROOT_FOLDER.0 as i32)),
            Some(PropValue::String("".into())),
        ],
    };
    write_table(
        ndb,
        special::RECEIVE_FOLDER_TABLE,
        none,
        templates::RECEIVE_FOLDERS,
        &[receive],
    )?;

    // Outlook's hierarchy map: a heap whose root holds the HID of an empty BTH of 16-byte keys.
    let mut heap = HeapBuilder::new(ClientSig::Reserved3);
    let root_slot = heap.reserve(4)?;
    heap.set_user_root(root_slot);
    let bth = ltp::build_bth(&mut heap, 16, 4, &[])?;
    if let Some(slot) = heap.allocation_mut(root_slot) {
        slot.copy_from_slice(&bth.0.to_le_bytes());
    }
    let map = ndb.write_blocks(heap.finish().blocks())?;
    ndb.add_node(special::HIERARCHY_MAP, map.bid, Bid::NONE, none)?;

    ndb.add_node(special::EMPTY_INTERNAL, Bid::NONE, Bid::NONE, none)?;
    Ok(())
}
