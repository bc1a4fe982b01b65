//! Our ScanPST: a self-check of a finished PST against every rule of
//! `docs/outlook-conformance.md` that can be checked from the file. First the node database's
//! own check (`ndb::verify`: header, maps, pages, blocks, B-trees, references), then the
//! [LTP](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/4c24c7d2-5c5a-4b99-88b2-f4b84cc293ae)
//! and [messaging](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/e2e7a5aa-c89f-4fb8-b044-15ac76e5207e)
//! layers, which no open reader checks but ScanPST and Outlook do: every heap, property and
//! table context decodes under the LTP readers' rules; the nodes of a new Outlook store are
//! there and the template tables have exactly Outlook's columns; the store, the special
//! folders and every folder, message, recipient and attachment carry what Outlook gives them;
//! folder counts equal table rows; each contents row equals its message's PC and each
//! attachment row its attachment's PC; sizes are what ScanPST recomputes
//! (docs/pst-writer-notes.md §4.6) and fit their types; every nidParent names the folder whose
//! table lists the node; every row version is below the header's `dwUnique`.
//!
//! The expected values here are written down from Outlook's own files and the rules, not taken
//! from the writer, so that a mistake in the writer does not hide itself.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::pst::error::Error;
use crate::pst::ltp::{self, OwnedPropValue, PropTag, PropValue, Table};
use crate::pst::messaging::tags;
use crate::pst::ndb::{self, Bid, NdbReader, Nid, NidType, SubnodeEntry, special};

/// What [`verify`] found.
#[derive(Debug)]
pub struct VerifyReport {
    /// The node database's own report.
    pub ndb: ndb::VerifyReport,
    /// Problems of the LTP and messaging layers, each naming the node.
    pub problems: Vec<String>,
    /// Folders below the root, messages in contents tables.
    pub folders: usize,
    pub messages: usize,
}

impl VerifyReport {
    pub fn is_clean(&self) -> bool {
        self.ndb.is_clean() && self.problems.is_empty()
    }

    /// Every problem, the node database's first, one per line.
    pub fn describe(&self) -> String {
        self.ndb
            .problems
            .iter()
            .map(ToString::to_string)
            .chain(self.problems.iter().cloned())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The nodes of a new Outlook store that every store we write has (docs/pst-writer-notes.md
/// §4.1): the mandatory nodes of MS-PST 2.7.1, the templates, the search folder Outlook
/// creates and the Outlook-maintained nodes ScanPST expects.
const SKELETON: [Nid; 28] = [
    special::MESSAGE_STORE,
    special::NAME_TO_ID_MAP,
    special::ROOT_FOLDER,
    Nid(0x12D),
    Nid(0x12E),
    Nid(0x12F),
    special::SEARCH_MANAGEMENT_QUEUE,
    special::SEARCH_ACTIVITY_LIST,
    special::SEARCH_DOMAIN_OBJECT,
    special::HIERARCHY_TABLE_TEMPLATE,
    special::CONTENTS_TABLE_TEMPLATE,
    special::ASSOC_CONTENTS_TABLE_TEMPLATE,
    special::SEARCH_CONTENTS_TABLE_TEMPLATE,
    special::RECEIVE_FOLDER_TABLE,
    special::OUTGOING_QUEUE_TABLE,
    special::ATTACHMENT_TABLE,
    special::RECIPIENT_TABLE,
    special::SEARCH_TABLE_INDEX,
    special::CONTENTS_TABLE_INDEX_TEMPLATE,
    special::SEARCH_TABLE_INDEX_TEMPLATE,
    special::HIERARCHY_MAP,
    special::EMPTY_INTERNAL,
    special::SPAM_SEARCH_FOLDER,
    Nid(0x2226),
    Nid(0x2227),
    special::IPM_SUBTREE,
    special::SEARCH_ROOT,
    special::DELETED_ITEMS,
];

/// The columns of Outlook's template tables in a new store (`Empty.pst`), in their order of
/// existence bits (which fixes every cell's offset), PidTagLtpRowId and PidTagLtpRowVer aside.
const OUTLOOK_TEMPLATES: [(Nid, &[u32]); 11] = [
    (
        special::HIERARCHY_TABLE_TEMPLATE,
        &[
            0x3001001F, 0x36020003, 0x36030003, 0x360A000B, 0x0E300102, 0x0E330014, 0x0E340102,
            0x0E380003, 0x3613001F, 0x66350003, 0x66360003,
        ],
    ),
    (
        special::CONTENTS_TABLE_TEMPLATE,
        &[
            0x0E170003, 0x001A001F, 0x0E070003, 0x00170003, 0x0042001F, 0x0037001F, 0x0E060040,
            0x00390040, 0x0E080003, 0x0E04001F, 0x0E03001F, 0x0057000B, 0x0058000B, 0x00360003,
            0x10970003, 0x0070001F, 0x00710102, 0x30130102, 0x65C60003, 0x30080040, 0x0E300102,
            0x0E330014, 0x0E340102, 0x0E3D0102, 0x0E3C0102, 0x0E380003,
        ],
    ),
    (
        special::ASSOC_CONTENTS_TABLE_TEMPLATE,
        &[
            0x0E170003, 0x001A001F, 0x0E070003, 0x3001001F, 0x70030003, 0x70040102, 0x70050102,
            0x7006001F, 0x70070003, 0x6800001F, 0x6803000B, 0x68051003, 0x682F001F,
        ],
    ),
    (
        special::SEARCH_CONTENTS_TABLE_TEMPLATE,
        &[
            0x67F10003, 0x0E05001F, 0x0E170003, 0x001A001F, 0x0E070003, 0x00170003, 0x0042001F,
            0x0037001F, 0x0E060040, 0x0E080003, 0x0E04001F, 0x0E03001F, 0x0057000B, 0x0058000B,
            0x00360003, 0x0E2A000B, 0x30080040,
        ],
    ),
    (special::RECEIVE_FOLDER_TABLE, &[0x66050003, 0x001A001F]),
    (
        special::OUTGOING_QUEUE_TABLE,
        &[0x0E140003, 0x0E100003, 0x00390040],
    ),
    (
        special::ATTACHMENT_TABLE,
        &[0x370B0003, 0x0E200003, 0x37050003, 0x3704001F],
    ),
    (
        special::RECIPIENT_TABLE,
        &[
            0x0E0F000B, 0x3002001F, 0x3003001F, 0x0FFF0102, 0x3001001F, 0x0C150003, 0x300B0102,
            0x0FF90102, 0x0FFE0003, 0x39000003, 0x3A40000B, 0x39FF001F,
        ],
    ),
    (
        special::SEARCH_TABLE_INDEX,
        &[0x0E330014, 0x0E370102, 0x0E380003],
    ),
    (
        special::CONTENTS_TABLE_INDEX_TEMPLATE,
        &[
            0x0E3E0102, 0x0E310102, 0x0E300102, 0x0E380003, 0x0E340102, 0x0E330014, 0x001A001F,
        ],
    ),
    (
        special::SEARCH_TABLE_INDEX_TEMPLATE,
        &[0x30070040, 0x0E330014],
    ),
];

/// The names Outlook gives the folders of a new store.
const TOP_FOLDER_NAME: &str = "Top of Outlook data file";
const SEARCH_ROOT_NAME: &str = "Search Root";
const DELETED_ITEMS_NAME: &str = "Deleted Items";
const SPAM_SEARCH_FOLDER_NAME: &str = "SPAM Search Folder 2";
/// The container class of the mail folders we write.
const MAIL_CLASS: &str = "IPF.Note";
/// The container classes of a user's folders: mail, contacts, appointments, tasks.
const FOLDER_CLASSES: [&str; 4] = [MAIL_CLASS, "IPF.Contact", "IPF.Appointment", "IPF.Task"];

/// Properties every message PC has (MS-PST 2.4.5.1.1), and PidTagSearchKey's 16 bytes.
const MESSAGE_MINIMUM: [PropTag; 7] = [
    tags::MESSAGE_CLASS,
    tags::MESSAGE_FLAGS,
    tags::MESSAGE_SIZE,
    tags::MESSAGE_STATUS,
    tags::CREATION_TIME,
    tags::LAST_MODIFICATION_TIME,
    tags::SEARCH_KEY,
];

/// PidTagRenderingPosition of an attachment not rendered in the body: ScanPST reports an
/// attachment without it.
const NOT_RENDERED: i32 = -1;

/// Problems listed in full; past this many only the first ones are kept.
const MAX_LISTED: usize = 200;

/// Checks the PST at `path`; problems are listed in the report, not returned as errors.
/// Errors are only for a file that cannot be read at all.
pub fn verify(path: &Path) -> Result<VerifyReport, Error> {
    let ndb_report = ndb::verify(path)?;
    let mut reader = NdbReader::open(path)?;
    let mut check = Check {
        reader: &mut reader,
        problems: Vec::new(),
        max_row_version: 0,
    };
    let (folders, messages) = check.store();
    check.row_versions();
    let problems = check.problems;
    Ok(VerifyReport {
        ndb: ndb_report,
        problems,
        folders,
        messages,
    })
}

type Props = BTreeMap<u16, (PropTag, OwnedPropValue)>;

struct Check<'r> {
    reader: &'r mut NdbReader,
    problems: Vec<String>,
    /// The highest PidTagLtpRowVer of every table read.
    max_row_version: u32,
}

/// What a folder is, for the rules of its name and container class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Root,
    TopFolder,
    SearchRoot,
    DeletedItems,
    /// A folder of the user's, below the top folder.
    Mail,
}

impl Role {
    fn of(nid: Nid) -> Role {
        match nid {
            special::ROOT_FOLDER => Role::Root,
            special::IPM_SUBTREE => Role::TopFolder,
            special::SEARCH_ROOT => Role::SearchRoot,
            special::DELETED_ITEMS => Role::DeletedItems,
            _ => Role::Mail,
        }
    }

    /// The name the folder must have, if fixed.
    fn name(self) -> Option<&'static str> {
        match self {
            Role::Root => Some(""),
            Role::TopFolder => Some(TOP_FOLDER_NAME),
            Role::SearchRoot => Some(SEARCH_ROOT_NAME),
            Role::DeletedItems => Some(DELETED_ITEMS_NAME),
            Role::Mail => None,
        }
    }
}

impl Check<'_> {
    fn problem(&mut self, text: String) {
        if self.problems.len() < MAX_LISTED {
            self.problems.push(text);
        }
    }

    /// The whole store: skeleton, templates, store PC, then every folder and its messages.
    fn store(&mut self) -> (usize, usize) {
        for nid in SKELETON {
            if self.reader.node(nid).is_none() {
                self.problem(format!("node {nid:?} of every store is missing"));
            }
        }
        self.templates();
        self.store_pc();
        self.search_folder();
        let folder_nids: Vec<Nid> = self
            .reader
            .nodes()
            .map(|n| n.nid)
            .filter(|nid| nid.nid_type() == Some(NidType::NormalFolder))
            .collect();
        let mut messages = 0;
        for nid in &folder_nids {
            messages += self.folder(*nid);
        }
        // Every message node is in its folder's contents table (checked there by parent).
        (folder_nids.len().saturating_sub(1), messages)
    }

    /// The template tables: no rows, exactly Outlook's columns in Outlook's order.
    fn templates(&mut self) {
        for (nid, columns) in OUTLOOK_TEMPLATES {
            let Some(table) = self.table_of(nid) else {
                continue;
            };
            let found: Vec<u32> = table.columns.iter().map(|tag| tag.value()).collect();
            if found != columns {
                self.problem(format!(
                    "template {nid:?}: columns {} are not Outlook's {}",
                    tag_list(&found),
                    tag_list(columns)
                ));
            }
            let rows = if nid == special::RECEIVE_FOLDER_TABLE {
                1
            } else {
                0
            };
            if table.rows.len() != rows {
                self.problem(format!(
                    "template {nid:?} has {} rows, not {rows}",
                    table.rows.len()
                ));
            }
        }
    }

    /// The store PC: the EntryIDs of the special folders and what a new Outlook store holds.
    fn store_pc(&mut self) {
        let Some(store) = self.pc_of(special::MESSAGE_STORE) else {
            self.problem("the store PC cannot be read".into());
            return;
        };
        let key = match store.get(&tags::RECORD_KEY.id) {
            Some((_, PropValue::Binary(key))) if key.len() == 16 => key.to_vec(),
            found => {
                self.problem(format!("store PidTagRecordKey is {found:?}, not 16 bytes"));
                Vec::new()
            }
        };
        for (tag, nid) in [
            (tags::IPM_SUBTREE_ENTRY_ID, special::IPM_SUBTREE),
            (tags::IPM_WASTEBASKET_ENTRY_ID, special::DELETED_ITEMS),
            (tags::FINDER_ENTRY_ID, special::SEARCH_ROOT),
        ] {
            let ok = matches!(store.get(&tag.id), Some((_, PropValue::Binary(id)))
                if id.len() == 24 && id[..4] == [0; 4] && id[4..20] == key[..]
                    && id[20..] == nid.0.to_le_bytes());
            if !ok {
                self.problem(format!("store {tag}: not the EntryID of {nid:?}"));
            }
        }
        if !matches!(
            store.get(&tags::DISPLAY_NAME.id),
            Some((_, PropValue::String(_)))
        ) {
            self.problem("store has no PidTagDisplayName".into());
        }
        let version_ok = matches!(store.get(&tags::REPLICA_0E34.id), Some((_, PropValue::Binary(v)))
            if v.len() == 24 && v[..4] == 1u32.to_le_bytes() && v[20..] == 1u32.to_le_bytes());
        if !version_ok {
            self.problem("store 0x0E34 is not Outlook's 24 bytes {1, GUID, 1}".into());
        }
        for (tag, expected) in [
            (tags::REPLICA_0E38, PropValue::Integer32(0)),
            (tags::PST_PASSWORD, PropValue::Integer32(0)),
            (tags::STORE_UNDOCUMENTED_6633, PropValue::Boolean(true)),
            (tags::VALID_FOLDER_MASK, PropValue::Integer32(0x89)),
        ] {
            let found = store.get(&tag.id).map(|(_, v)| v);
            if found != Some(&expected) {
                self.problem(format!("store {tag} is {found:?}, not {expected:?}"));
            }
        }
    }

    /// The search folder Outlook creates: its PC and its (empty) criteria.
    fn search_folder(&mut self) {
        if let Some(pc) = self.pc_of(special::SPAM_SEARCH_FOLDER) {
            let name = pc.get(&tags::DISPLAY_NAME.id).map(|(_, v)| v);
            if name != Some(&PropValue::String(SPAM_SEARCH_FOLDER_NAME.into())) {
                self.problem(format!("search folder 0x2223 is named {name:?}"));
            }
        }
        let contents = Nid::new(
            NidType::SearchContentsTable,
            special::SPAM_SEARCH_FOLDER.index(),
        );
        if let Some(table) = self.table_of(contents) {
            let template = Self::template(special::SEARCH_CONTENTS_TABLE_TEMPLATE);
            self.extends(&table, template, &format!("table {contents:?}"));
        }
    }

    fn pc_of(&mut self, nid: Nid) -> Option<Props> {
        let node = self.reader.node(nid)?;
        match read_pc_node(self.reader, node.data, node.sub) {
            Ok(props) => Some(props),
            Err(e) => {
                self.problem(format!("PC of {nid:?}: {e}"));
                None
            }
        }
    }

    fn table_of(&mut self, nid: Nid) -> Option<Table> {
        let Some(node) = self.reader.node(nid) else {
            self.problem(format!("table {nid:?} is missing"));
            return None;
        };
        match read_tc_node(self.reader, node.data, node.sub) {
            Ok(table) => {
                self.saw_rows(&table);
                Some(table)
            }
            Err(e) => {
                self.problem(format!("TC of {nid:?}: {e}"));
                None
            }
        }
    }

    fn saw_rows(&mut self, table: &Table) {
        let highest = table.rows.iter().map(|row| row.version).max().unwrap_or(0);
        self.max_row_version = self.max_row_version.max(highest);
    }

    /// Every row version is below the header's `dwUnique`, which Outlook takes the next one
    /// from.
    fn row_versions(&mut self) {
        let unique = self.reader.unique();
        if self.max_row_version >= unique {
            self.problem(format!(
                "dwUnique {unique:#x} is not above the row version {:#x}",
                self.max_row_version
            ));
        }
    }

    /// A table built from a template starts with the template's columns, in its order.
    fn extends(&mut self, table: &Table, template: &[u32], what: &str) {
        let found: Vec<u32> = table.columns.iter().map(|tag| tag.value()).collect();
        if !found.starts_with(template) {
            self.problem(format!(
                "{what}: columns {} do not begin with its template's {}",
                tag_list(&found),
                tag_list(template)
            ));
        }
    }

    fn template(nid: Nid) -> &'static [u32] {
        OUTLOOK_TEMPLATES
            .iter()
            .find(|(template, _)| *template == nid)
            .map_or(&[], |(_, columns)| columns)
    }

    /// One folder: its PC against its tables and its role, its children's rows against their
    /// PCs, its messages. Returns the number of messages.
    fn folder(&mut self, nid: Nid) -> usize {
        let Some(pc) = self.pc_of(nid) else { return 0 };
        self.folder_pc(nid, &pc);
        let hierarchy = self.table_of(nid.with_type(NidType::HierarchyTable));
        let contents = self.table_of(nid.with_type(NidType::ContentsTable));
        let associated = self.table_of(nid.with_type(NidType::AssociatedContentsTable));
        for (table, template, kind) in [
            (&hierarchy, special::HIERARCHY_TABLE_TEMPLATE, "hierarchy"),
            (&contents, special::CONTENTS_TABLE_TEMPLATE, "contents"),
            (
                &associated,
                special::ASSOC_CONTENTS_TABLE_TEMPLATE,
                "FAI contents",
            ),
        ] {
            if let Some(table) = table {
                self.extends(
                    table,
                    Self::template(template),
                    &format!("{kind} table of {nid:?}"),
                );
            }
        }
        let (Some(hierarchy), Some(contents)) = (hierarchy, contents) else {
            return 0;
        };
        // Counts.
        let unread = contents
            .rows
            .iter()
            .filter(|row| {
                let flags = cell(&contents, row, tags::MESSAGE_FLAGS);
                !matches!(flags, Some(PropValue::Integer32(f)) if f & tags::message_flags::READ != 0)
            })
            .count();
        for (tag, expected) in [
            (
                tags::CONTENT_COUNT,
                PropValue::Integer32(contents.rows.len() as i32),
            ),
            (
                tags::CONTENT_UNREAD_COUNT,
                PropValue::Integer32(unread as i32),
            ),
            (
                tags::SUBFOLDERS,
                PropValue::Boolean(!hierarchy.rows.is_empty()),
            ),
        ] {
            let found = pc.get(&tag.id).map(|(_, v)| v);
            if found != Some(&expected) {
                self.problem(format!(
                    "folder {nid:?} {tag} is {found:?}, its tables say {expected:?}"
                ));
            }
        }
        // Subfolders: parent, and their row equals their PC.
        for row in &hierarchy.rows {
            let child = Nid(row.id);
            match self.reader.node(child) {
                Some(node) if node.parent == nid => {}
                Some(node) => self.problem(format!(
                    "folder {child:?} is listed by {nid:?} but its nidParent is {:?}",
                    node.parent
                )),
                None => self.problem(format!("hierarchy row {child:?} of {nid:?} has no node")),
            }
            if let Some(child_pc) = self.pc_of(child) {
                self.row_equals_pc(
                    &hierarchy,
                    row,
                    &child_pc,
                    &format!("hierarchy row {child:?}"),
                );
            }
        }
        // Messages: exactly the message nodes whose parent is this folder.
        let listed: BTreeSet<u32> = contents.rows.iter().map(|r| r.id).collect();
        let children: BTreeSet<u32> = self
            .reader
            .nodes()
            .filter(|n| n.parent == nid && n.nid.nid_type() == Some(NidType::NormalMessage))
            .map(|n| n.nid.0)
            .collect();
        if listed != children {
            self.problem(format!(
                "folder {nid:?}: {} contents rows, {} message nodes with it as parent",
                listed.len(),
                children.len()
            ));
        }
        for row in &contents.rows {
            let message = Nid(row.id);
            let Some(node) = self.reader.node(message) else {
                self.problem(format!("contents row {message:?} of {nid:?} has no node"));
                continue;
            };
            if let Some(props) = self.message(message, node.data, node.sub) {
                self.row_equals_pc(&contents, row, &props, &format!("contents row {message:?}"));
            }
        }
        contents.rows.len()
    }

    /// A folder's PC: the properties every folder has, the name and container class of its
    /// role, the node's parent.
    fn folder_pc(&mut self, nid: Nid, pc: &Props) {
        for tag in [
            tags::DISPLAY_NAME,
            tags::CONTENT_COUNT,
            tags::CONTENT_UNREAD_COUNT,
            tags::SUBFOLDERS,
        ] {
            if pc.get(&tag.id).is_none_or(|(found, _)| *found != tag) {
                self.problem(format!("folder {nid:?} has no {tag}"));
            }
        }
        let role = Role::of(nid);
        let name = pc.get(&tags::DISPLAY_NAME.id).map(|(_, v)| v);
        if let Some(expected) = role.name()
            && name != Some(&PropValue::String(expected.into()))
        {
            self.problem(format!(
                "folder {nid:?} is named {name:?}, not {expected:?}"
            ));
        }
        if role == Role::Mail && name == Some(&PropValue::String("".into())) {
            self.problem(format!("folder {nid:?} has an empty name"));
        }
        let class = pc.get(&tags::CONTAINER_CLASS.id).map(|(_, v)| v);
        let class_fits = match (role == Role::Mail, class) {
            (false, None) => true,
            // A user's folder holds mail, contacts, appointments or tasks (MS-OXOSFLD 2.2.6:
            // the container class names the kind of items).
            (true, Some(PropValue::String(class))) => FOLDER_CLASSES.contains(&&**class),
            _ => false,
        };
        if !class_fits {
            let expected_class = (role == Role::Mail).then(|| PropValue::String(MAIL_CLASS.into()));
            self.problem(format!(
                "folder {nid:?} has container class {class:?}, not {expected_class:?}"
            ));
        }
        let parent = self.reader.node(nid).map(|node| node.parent);
        let expected_parent = match role {
            Role::Root | Role::TopFolder | Role::SearchRoot => Some(special::ROOT_FOLDER),
            Role::DeletedItems => Some(special::IPM_SUBTREE),
            Role::Mail => None,
        };
        if let Some(expected) = expected_parent
            && parent != Some(expected)
        {
            self.problem(format!(
                "folder {nid:?} has nidParent {parent:?}, not {expected:?}"
            ));
        }
    }

    /// Every column of `row` equals the object's property; absent ⇔ absent.
    fn row_equals_pc(
        &mut self,
        table: &Table,
        row: &ltp::TableRow<'static>,
        pc: &Props,
        what: &str,
    ) {
        for (tag, value) in table.columns.iter().zip(&row.cells) {
            let in_pc = pc.get(&tag.id).filter(|(t, _)| t == tag).map(|(_, v)| v);
            if value.as_ref() != in_pc {
                self.problem(format!(
                    "{what}: column {tag} is {value:?}, the PC has {in_pc:?}"
                ));
            }
        }
    }

    /// A message (top-level or embedded): its PC, recipient and attachment tables, attachment
    /// rows against attachment PCs, sizes, the attachment flag. Returns its PC.
    fn message(&mut self, nid: Nid, data: Bid, sub: Bid) -> Option<Props> {
        let what = format!("message {nid:?}");
        let props = match read_pc_node(self.reader, data, sub) {
            Ok(props) => props,
            Err(e) => {
                self.problem(format!("{what}: {e}"));
                return None;
            }
        };
        for tag in MESSAGE_MINIMUM {
            if props.get(&tag.id).is_none_or(|(found, _)| *found != tag) {
                self.problem(format!("{what} has no {tag}"));
            }
        }
        if let Some((_, PropValue::Binary(key))) = props.get(&tags::SEARCH_KEY.id)
            && key.len() != 16
        {
            self.problem(format!("{what}: PidTagSearchKey of {} bytes", key.len()));
        }
        let subnodes = match self.reader.subnodes(sub) {
            Ok(s) => s,
            Err(e) => {
                self.problem(format!("{what}: subnode tree: {e}"));
                return Some(props);
            }
        };
        let size = self.node_size(data, &subnodes);
        self.expect_size(&props, tags::MESSAGE_SIZE, size, &what);
        let find = |nid: Nid| subnodes.iter().find(|s| s.nid == nid).copied();
        match find(special::RECIPIENT_TABLE) {
            Some(entry) => match read_tc_node(self.reader, entry.data, entry.sub) {
                Ok(table) => {
                    self.saw_rows(&table);
                    self.extends(
                        &table,
                        Self::template(special::RECIPIENT_TABLE),
                        &format!("{what} recipient table"),
                    );
                    let ids: BTreeSet<u32> = table.rows.iter().map(|row| row.id).collect();
                    let expected: BTreeSet<u32> = (1..=table.rows.len() as u32).collect();
                    if ids != expected {
                        self.problem(format!("{what}: recipient row IDs are not 1..n"));
                    }
                }
                Err(e) => self.problem(format!("{what}: recipient table: {e}")),
            },
            None => self.problem(format!("{what}: no recipient table")),
        }
        let attachments: Vec<SubnodeEntry> = subnodes
            .iter()
            .filter(|s| s.nid.nid_type() == Some(NidType::Attachment))
            .copied()
            .collect();
        let mut visible = false;
        match find(special::ATTACHMENT_TABLE) {
            None if attachments.is_empty() => {}
            None => self.problem(format!("{what}: attachments without an attachment table")),
            Some(entry) => match read_tc_node(self.reader, entry.data, entry.sub) {
                Err(e) => self.problem(format!("{what}: attachment table: {e}")),
                Ok(table) => {
                    self.saw_rows(&table);
                    self.extends(
                        &table,
                        Self::template(special::ATTACHMENT_TABLE),
                        &format!("{what} attachment table"),
                    );
                    let rows: BTreeSet<u32> = table.rows.iter().map(|r| r.id).collect();
                    let nodes: BTreeSet<u32> = attachments.iter().map(|a| a.nid.0).collect();
                    if rows != nodes {
                        self.problem(format!(
                            "{what}: attachment rows differ from attachment subnodes"
                        ));
                    }
                    for row in &table.rows {
                        let Some(entry) = find(Nid(row.id)) else {
                            continue;
                        };
                        let Some(pc) = self.attachment(entry, &what) else {
                            continue;
                        };
                        visible |= !matches!(
                            pc.get(&tags::ATTACHMENT_HIDDEN.id),
                            Some((_, PropValue::Boolean(true)))
                        );
                        self.row_equals_pc(
                            &table,
                            row,
                            &pc,
                            &format!("{what} attachment row {:#x}", row.id),
                        );
                    }
                }
            },
        }
        let flags = match props.get(&tags::MESSAGE_FLAGS.id) {
            Some((_, PropValue::Integer32(f))) => *f,
            _ => 0,
        };
        if (flags & tags::message_flags::HAS_ATTACH != 0) != visible {
            self.problem(format!(
                "{what}: MSGFLAG_HASATTACH is not set exactly when an attachment is visible"
            ));
        }
        Some(props)
    }

    /// An attachment: its PC, its size, its rendering position, an embedded message's object
    /// size and content.
    fn attachment(&mut self, entry: SubnodeEntry, message: &str) -> Option<Props> {
        let what = format!("{message} attachment {:?}", entry.nid);
        let props = match read_pc_node(self.reader, entry.data, entry.sub) {
            Ok(p) => p,
            Err(e) => {
                self.problem(format!("{what}: {e}"));
                return None;
            }
        };
        let subnodes = self.reader.subnodes(entry.sub).unwrap_or_default();
        self.expect_size(&props, tags::ATTACH_SIZE, property_bytes(&props), &what);
        let position = props.get(&tags::RENDERING_POSITION.id).map(|(_, v)| v);
        if position != Some(&PropValue::Integer32(NOT_RENDERED)) {
            self.problem(format!(
                "{what}: PidTagRenderingPosition is {position:?}, not -1"
            ));
        }
        if !matches!(
            props.get(&tags::ATTACH_METHOD.id),
            Some((_, PropValue::Integer32(1 | 5)))
        ) {
            self.problem(format!("{what}: PidTagAttachMethod is not 1 or 5"));
        }
        if let Some((_, PropValue::Object { nid, size })) = props.get(&tags::ATTACH_DATA_OBJECT.id)
        {
            match subnodes.iter().find(|s| s.nid == *nid).copied() {
                None => self.problem(format!("{what}: embedded message {nid:?} is not a subnode")),
                Some(embedded) => {
                    let inner = self.reader.subnodes(embedded.sub).unwrap_or_default();
                    let computed = self.node_size(embedded.data, &inner);
                    if u64::from(*size) != computed {
                        self.problem(format!("{what}: object size {size}, computed {computed}"));
                    }
                    self.message(*nid, embedded.data, embedded.sub);
                }
            }
        }
        Some(props)
    }

    /// A size property: present, an Integer32, equal to `expected`, which must fit one.
    fn expect_size(&mut self, props: &Props, tag: PropTag, expected: u64, what: &str) {
        let found = props.get(&tag.id).map(|(_, v)| v);
        match i32::try_from(expected) {
            Ok(expected) if found == Some(&PropValue::Integer32(expected)) => {}
            Ok(expected) => self.problem(format!(
                "{what}: {tag} is {found:?}, ScanPST's rule gives {expected}"
            )),
            Err(_) => self.problem(format!(
                "{what}: {tag} would be {expected}, past what a 32-bit size can hold"
            )),
        }
    }

    /// Logical bytes of a node's data blocks and, recursively, its subnodes'
    /// (docs/pst-writer-notes.md §4.6).
    fn node_size(&mut self, data: Bid, subnodes: &[SubnodeEntry]) -> u64 {
        let mut size = self.data_size(data);
        for entry in subnodes {
            let inner = self.reader.subnodes(entry.sub).unwrap_or_default();
            size += self.node_size(entry.data, &inner);
        }
        size
    }

    fn data_size(&mut self, bid: Bid) -> u64 {
        if bid.is_none() {
            return 0;
        }
        match self.reader.read_blocks(bid) {
            Ok(blocks) => blocks.iter().map(|b| b.len() as u64).sum(),
            Err(e) => {
                self.problem(format!("data tree {bid:?}: {e}"));
                0
            }
        }
    }
}

/// Tags as 8-digit hex, for problem texts.
fn tag_list(tags: &[u32]) -> String {
    let listed: Vec<String> = tags.iter().map(|tag| format!("{tag:08X}")).collect();
    format!("[{}]", listed.join(" "))
}

/// PidTagAttachSize as ScanPST computes it (docs/pst-writer-notes.md §4.6): the sizes of the
/// object's property values added up, as read from the file: fixed sizes by type, strings in
/// UTF-16 bytes, binary and multi-valued values as stored, an embedded object by the size it
/// declares.
fn property_bytes(props: &Props) -> u64 {
    let utf16 = |s: &str| 2 * s.encode_utf16().count() as u64;
    props
        .values()
        .map(|(_, value)| match value {
            PropValue::Boolean(_) => 1,
            PropValue::Integer16(_) => 2,
            PropValue::Integer32(_) => 4,
            PropValue::Integer64(_) | PropValue::Floating64(_) | PropValue::Time(_) => 8,
            PropValue::Guid(_) => 16,
            PropValue::String(s) => utf16(s),
            PropValue::Binary(b) => b.len() as u64,
            // Never read back as such (a reader gives `Binary`); counted the same.
            PropValue::BinaryInSubnode { size, .. } => *size,
            PropValue::MultipleInteger32(v) => 4 * v.len() as u64,
            PropValue::MultipleString(v) => {
                4 + 4 * v.len() as u64 + v.iter().map(|s| utf16(s)).sum::<u64>()
            }
            PropValue::MultipleBinary(v) => {
                4 + 4 * v.len() as u64 + v.iter().map(|b| b.len() as u64).sum::<u64>()
            }
            PropValue::Object { size, .. } => u64::from(*size),
        })
        .sum()
}

fn cell<'t>(
    table: &'t Table,
    row: &'t ltp::TableRow<'static>,
    tag: PropTag,
) -> Option<&'t OwnedPropValue> {
    let index = table.columns.iter().position(|t| *t == tag)?;
    row.cells.get(index)?.as_ref()
}

/// The blocks of a subnode of a node with subnode tree `sub`.
fn subnode_reader(
    reader: &mut NdbReader,
    sub: Bid,
) -> Result<impl FnMut(Nid) -> Result<Vec<Vec<u8>>, ltp::Error> + '_, ltp::Error> {
    let entries = if sub.is_none() {
        Vec::new()
    } else {
        reader.subnodes(sub)?
    };
    Ok(move |nid: Nid| {
        let entry = entries
            .iter()
            .find(|e| e.nid == nid)
            .ok_or(ltp::Error::Ndb(ndb::Error::BlockNotFound {
                bid: Bid::NONE,
            }))?;
        Ok(reader.read_blocks(entry.data)?)
    })
}

fn read_pc_node(reader: &mut NdbReader, data: Bid, sub: Bid) -> Result<Props, ltp::Error> {
    let blocks = if data.is_none() {
        Vec::new()
    } else {
        reader.read_blocks(data)?
    };
    let mut subnodes = subnode_reader(reader, sub)?;
    let props = ltp::read_pc(&blocks, &mut subnodes)?;
    Ok(props
        .into_iter()
        .map(|(tag, value)| (tag.id, (tag, value)))
        .collect())
}

fn read_tc_node(reader: &mut NdbReader, data: Bid, sub: Bid) -> Result<Table, ltp::Error> {
    let blocks = if data.is_none() {
        Vec::new()
    } else {
        reader.read_blocks(data)?
    };
    let mut subnodes = subnode_reader(reader, sub)?;
    ltp::read_tc(&blocks, &mut subnodes)
}

#[cfg(test)]
mod tests {
    //! A store written by [`PstWriter`] checks clean; the same store damaged on purpose, one
    //! rule at a time (its blocks and pages otherwise made right again), does not.

    use std::path::PathBuf;

    use super::*;
    use crate::pst::mail::{
        Address, Attachment, AttachmentContent, FileTime, Message, MessageState, Recipient,
        RecipientKind,
    };
    use crate::pst::ndb::testing::{
        find, replace_utf16, rewrite_block, rewrite_header, rewrite_node_entry, set_pc_record,
    };
    use crate::pst::{PstWriter, WriterOptions};

    fn mail(n: u64) -> Message {
        Message {
            subject: Some(format!("Report number {n}")),
            from: Some(Address::new(Some("Ann"), "ann@example.com")),
            recipients: vec![Recipient {
                kind: RecipientKind::To,
                address: Address::new(Some("Bob"), "bob@example.com"),
            }],
            submit_time: FileTime::from_unix(1_600_000_000 + n as i64),
            delivery_time: FileTime::from_unix(1_600_000_100 + n as i64),
            state: MessageState {
                read: n.is_multiple_of(2),
                ..MessageState::default()
            },
            body_text: Some(format!("Body {n}")),
            ..Message::default()
        }
    }

    fn file(name: &str, bytes: Vec<u8>) -> Attachment {
        Attachment {
            filename: Some(name.into()),
            mime_type: Some("application/octet-stream".into()),
            content_id: None,
            content_location: None,
            hidden: false,
            content: AttachmentContent::Data(bytes),
        }
    }

    /// A store with an Inbox of three messages: one with an attachment and an embedded
    /// message (itself with an attachment), two plain ones.
    fn store(dir: &Path) -> PathBuf {
        let path = dir.join("store.pst");
        let options = WriterOptions::new("Checks", FileTime::from_unix(1_700_000_000).unwrap());
        let mut writer = PstWriter::create(&path, options).unwrap();
        let inbox = writer.add_folder(writer.top_folder(), "Inbox").unwrap();
        let mut inner = mail(9);
        inner.attachments.push(file("inner.bin", vec![7; 5000]));
        let mut first = mail(1);
        first.attachments.push(file("plan.pdf", vec![1; 300]));
        first.attachments.push(Attachment {
            filename: None,
            mime_type: None,
            content_id: None,
            content_location: None,
            hidden: false,
            content: AttachmentContent::Message(Box::new(inner)),
        });
        writer.add_message(inbox, &first).unwrap();
        writer.add_message(inbox, &mail(2)).unwrap();
        writer.add_message(inbox, &mail(3)).unwrap();
        writer.finish().unwrap();
        path
    }

    fn clean_store() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = store(dir.path());
        let report = verify(&path).unwrap();
        assert!(report.is_clean(), "{}", report.describe());
        assert_eq!((report.folders, report.messages), (4, 3));
        (dir, path)
    }

    /// Damages the clean store with `damage` and returns what verify says; asserts it names
    /// `expected` (and that the node database was left intact, unless `ndb` is expected).
    fn damaged(damage: impl FnOnce(&Path, &mut NdbReader), expected: &str) -> VerifyReport {
        let (_dir, path) = clean_store();
        let mut reader = NdbReader::open(&path).unwrap();
        damage(&path, &mut reader);
        drop(reader);
        let report = verify(&path).unwrap();
        let text = report.describe();
        assert!(text.contains(expected), "expected {expected:?} in:\n{text}");
        report
    }

    fn inbox(reader: &NdbReader) -> Nid {
        reader
            .nodes()
            .find(|n| {
                n.parent == special::IPM_SUBTREE
                    && n.nid != special::DELETED_ITEMS
                    && n.nid.nid_type() == Some(NidType::NormalFolder)
            })
            .unwrap()
            .nid
    }

    fn first_message(reader: &NdbReader) -> ndb::NodeEntry {
        reader
            .nodes()
            .find(|n| n.nid.nid_type() == Some(NidType::NormalMessage))
            .unwrap()
    }

    /// The attachment subnodes of the first message: (by value, embedded message).
    fn attachments(reader: &mut NdbReader) -> Vec<SubnodeEntry> {
        let message = first_message(reader);
        reader
            .subnodes(message.sub)
            .unwrap()
            .into_iter()
            .filter(|s| s.nid.nid_type() == Some(NidType::Attachment))
            .collect()
    }

    /// PC record types.
    const I32: u16 = 0x0003;

    #[test]
    fn a_store_of_the_writer_is_clean() {
        clean_store();
    }

    #[test]
    fn a_wrong_attachment_size() {
        damaged(
            |path, reader| {
                let data = attachments(reader)[0].data;
                rewrite_block(path, data, |page| {
                    let at = find(page, &[0x20, 0x0E, 0x03, 0x00]).unwrap();
                    page[at + 4] ^= 0x01;
                });
            },
            "attachment",
        );
        damaged(
            |path, reader| {
                let data = attachments(reader)[0].data;
                rewrite_block(path, data, |page| set_pc_record(page, 0x0E20, I32, 1000));
            },
            "0x0E200003 is Some(Integer32(1000)), ScanPST's rule gives",
        );
    }

    #[test]
    fn an_attachment_without_its_rendering_position() {
        damaged(
            |path, reader| {
                let data = attachments(reader)[0].data;
                rewrite_block(path, data, |page| set_pc_record(page, 0x370B, I32, 0));
            },
            "PidTagRenderingPosition is Some(Integer32(0)), not -1",
        );
    }

    #[test]
    fn a_wrong_object_size() {
        damaged(
            |path, reader| {
                let entry = attachments(reader)[1];
                let embedded = reader
                    .subnodes(entry.sub)
                    .unwrap()
                    .into_iter()
                    .find(|s| s.nid.nid_type() == Some(NidType::NormalMessage))
                    .unwrap();
                rewrite_block(path, entry.data, |page| {
                    let at = find(page, &embedded.nid.0.to_le_bytes()).unwrap();
                    page[at + 4] ^= 0x02;
                });
            },
            "object size",
        );
    }

    #[test]
    fn a_wrong_message_size() {
        damaged(
            |path, reader| {
                let data = first_message(reader).data;
                rewrite_block(path, data, |page| set_pc_record(page, 0x0E08, I32, 77));
            },
            "0x0E080003 is Some(Integer32(77)), ScanPST's rule gives",
        );
    }

    #[test]
    fn a_contents_row_that_differs_from_its_message() {
        damaged(
            |path, reader| {
                let data = first_message(reader).data;
                rewrite_block(path, data, |page| {
                    replace_utf16(page, "Report number 1", "Report number X");
                });
            },
            "contents row",
        );
    }

    #[test]
    fn an_attachment_flag_without_a_visible_attachment() {
        damaged(
            |path, reader| {
                let data = reader
                    .nodes()
                    .filter(|n| n.nid.nid_type() == Some(NidType::NormalMessage))
                    .nth(1)
                    .unwrap()
                    .data;
                rewrite_block(path, data, |page| {
                    let at = find(page, &[0x07, 0x0E, 0x03, 0x00]).unwrap();
                    page[at + 4] |= 0x10;
                });
            },
            "MSGFLAG_HASATTACH",
        );
    }

    #[test]
    fn a_message_without_a_required_property() {
        damaged(
            |path, reader| {
                let data = first_message(reader).data;
                // PidTagSearchKey's record renamed to an unused ID (the order stays sorted).
                rewrite_block(path, data, |page| {
                    let at = find(page, &[0x0B, 0x30, 0x02, 0x01]).unwrap();
                    page[at] = 0x0C;
                });
            },
            "has no 0x300B0102",
        );
    }

    #[test]
    fn a_folder_count_that_differs_from_its_table() {
        damaged(
            |path, reader| {
                let data = reader.node(inbox(reader)).unwrap().data;
                rewrite_block(path, data, |page| set_pc_record(page, 0x3602, I32, 4));
            },
            "0x36020003 is Some(Integer32(4)), its tables say Integer32(3)",
        );
    }

    #[test]
    fn a_message_whose_parent_is_another_folder() {
        damaged(
            |path, reader| {
                let message = first_message(reader).nid;
                rewrite_node_entry(path, message, |entry| {
                    entry[24..28].copy_from_slice(&special::DELETED_ITEMS.0.to_le_bytes());
                });
            },
            "3 contents rows, 2 message nodes with it as parent",
        );
    }

    #[test]
    fn a_missing_outlook_node() {
        damaged(
            |path, _| {
                rewrite_node_entry(path, special::SEARCH_TABLE_INDEX_TEMPLATE, |entry| {
                    entry[0] = 0xF9;
                });
            },
            "node Nid(0x6f8) of every store is missing",
        );
    }

    #[test]
    fn a_template_with_another_column() {
        damaged(
            |path, reader| {
                let data = reader.node(special::RECIPIENT_TABLE).unwrap().data;
                // PidTagSendRichInfo (0x3A40000B) becomes 0x3A41000B.
                rewrite_block(path, data, |page| {
                    let at = find(page, &[0x0B, 0x00, 0x40, 0x3A]).unwrap();
                    page[at + 2] = 0x41;
                });
            },
            "template Nid(0x692): columns",
        );
    }

    #[test]
    fn store_properties_outlook_holds() {
        damaged(
            |path, reader| {
                let data = reader.node(special::MESSAGE_STORE).unwrap().data;
                rewrite_block(path, data, |page| set_pc_record(page, 0x67FF, I32, 1));
            },
            "store 0x67FF0003 is Some(Integer32(1)), not Integer32(0)",
        );
        damaged(
            |path, reader| {
                let data = reader.node(special::MESSAGE_STORE).unwrap().data;
                rewrite_block(path, data, |page| set_pc_record(page, 0x0E38, I32, 3));
            },
            "store 0x0E380003 is Some(Integer32(3))",
        );
        damaged(
            |path, reader| {
                let data = reader.node(special::MESSAGE_STORE).unwrap().data;
                rewrite_block(path, data, |page| {
                    let at = find(page, &[0xE3, 0x35, 0x02, 0x01]).unwrap();
                    page[at] = 0xE2;
                });
            },
            "store 0x35E30102: not the EntryID",
        );
    }

    #[test]
    fn special_folder_names_and_classes() {
        damaged(
            |path, reader| {
                let data = reader.node(special::IPM_SUBTREE).unwrap().data;
                rewrite_block(path, data, |page| {
                    replace_utf16(page, "Top of Outlook data file", "Top of Personal Folders!");
                });
            },
            "is named Some(String(\"Top of Personal Folders!\")), not \"Top of Outlook data file\"",
        );
        damaged(
            |path, reader| {
                let data = reader.node(inbox(reader)).unwrap().data;
                rewrite_block(path, data, |page| {
                    replace_utf16(page, "IPF.Note", "IPF.Nota")
                });
            },
            "has container class Some(String(\"IPF.Nota\")), not Some(String(\"IPF.Note\"))",
        );
    }

    #[test]
    fn a_folder_without_a_required_property() {
        damaged(
            |path, reader| {
                let data = reader.node(inbox(reader)).unwrap().data;
                // PidTagContentUnreadCount's record renamed to an unused ID (still sorted).
                rewrite_block(path, data, |page| {
                    let at = find(page, &[0x03, 0x36, 0x03, 0x00]).unwrap();
                    page[at] = 0x04;
                });
            },
            "has no 0x36030003",
        );
    }

    #[test]
    fn a_folder_without_its_fai_table() {
        let mut fai = None;
        let report = damaged(
            |path, reader| {
                let nid = inbox(reader).with_type(NidType::AssociatedContentsTable);
                fai = Some(nid);
                // Its NID becomes one of type 0x10 of the next index: the NBT stays sorted.
                rewrite_node_entry(path, nid, |entry| entry[0] += 1);
            },
            "is missing",
        );
        let expected = format!("table {:?} is missing", fai.unwrap());
        assert!(
            report.describe().contains(&expected),
            "{}",
            report.describe()
        );
    }

    #[test]
    fn a_message_without_a_recipient_table() {
        damaged(
            |path, reader| {
                let sub = first_message(reader).sub;
                // The recipient table's subnode (0x692) becomes 0x693, another type; the
                // subnode block stays sorted.
                rewrite_block(path, sub, |block| {
                    let at = find(block, &0x692u64.to_le_bytes()).unwrap();
                    block[at] = 0x93;
                });
            },
            "no recipient table",
        );
    }

    #[test]
    fn an_attachment_row_that_differs_from_its_attachment() {
        damaged(
            |path, reader| {
                // Every name of plan.pdf (its display name, short and long file names).
                let name: Vec<u8> = "plan.pdf"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes)
                    .collect();
                let mut renamed = 0;
                for attachment in attachments(reader) {
                    rewrite_block(path, attachment.data, |page| {
                        while find(page, &name).is_some() {
                            replace_utf16(page, "plan.pdf", "plan.pdX");
                            renamed += 1;
                        }
                    });
                }
                assert!(renamed >= 2, "{renamed}");
            },
            "attachment row",
        );
    }

    #[test]
    fn an_attachment_of_another_method() {
        damaged(
            |path, reader| {
                let data = attachments(reader)[0].data;
                rewrite_block(path, data, |page| set_pc_record(page, 0x3705, I32, 2));
            },
            "PidTagAttachMethod is not 1 or 5",
        );
    }

    #[test]
    fn a_row_version_not_below_the_unique_counter() {
        damaged(
            |path, _| rewrite_header(path, |header| header.unique = 2),
            "dwUnique 0x2 is not above the row version",
        );
    }
}
