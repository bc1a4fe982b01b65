//! [NID](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/18d7644e-cb33-4e11-95c0-34d8a84fbff6)
//! and [BID](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/d3155aa1-ccdd-4dee-a0a9-5363ccca5352)
//! (MS-PST 2.2.2.1, 2.2.2.2): the identifiers of nodes and blocks.

use std::fmt;

/// `nidType`: what kind of node a NID names (its low 5 bits).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NidType {
    /// `NID_TYPE_HID`: a heap allocation.
    Hid = 0x00,
    /// `NID_TYPE_INTERNAL`: Outlook's internal nodes (store, name map, templates...).
    Internal = 0x01,
    NormalFolder = 0x02,
    SearchFolder = 0x03,
    NormalMessage = 0x04,
    Attachment = 0x05,
    SearchUpdateQueue = 0x06,
    SearchCriteria = 0x07,
    AssociatedMessage = 0x08,
    ContentsTableIndex = 0x0A,
    ReceiveFolderTable = 0x0B,
    OutgoingQueueTable = 0x0C,
    HierarchyTable = 0x0D,
    ContentsTable = 0x0E,
    AssociatedContentsTable = 0x0F,
    SearchContentsTable = 0x10,
    AttachmentTable = 0x11,
    RecipientTable = 0x12,
    SearchTableIndex = 0x13,
    /// `NID_TYPE_LTP`: a subnode holding a large property value or a table's row matrix.
    Ltp = 0x1F,
}

impl NidType {
    /// The type whose 5-bit value is `bits`, if the spec defines one.
    pub fn from_bits(bits: u8) -> Option<NidType> {
        use NidType::*;
        Some(match bits {
            0x00 => Hid,
            0x01 => Internal,
            0x02 => NormalFolder,
            0x03 => SearchFolder,
            0x04 => NormalMessage,
            0x05 => Attachment,
            0x06 => SearchUpdateQueue,
            0x07 => SearchCriteria,
            0x08 => AssociatedMessage,
            0x0A => ContentsTableIndex,
            0x0B => ReceiveFolderTable,
            0x0C => OutgoingQueueTable,
            0x0D => HierarchyTable,
            0x0E => ContentsTable,
            0x0F => AssociatedContentsTable,
            0x10 => SearchContentsTable,
            0x11 => AttachmentTable,
            0x12 => RecipientTable,
            0x13 => SearchTableIndex,
            0x1F => Ltp,
            _ => return None,
        })
    }
}

/// A node ID: `index << 5 | type`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Nid(pub u32);

impl Nid {
    /// The largest index a NID can carry (27 bits).
    pub const MAX_INDEX: u32 = (1 << 27) - 1;

    /// The NID of `index` and `ty`; `index` must fit in 27 bits.
    pub const fn new(ty: NidType, index: u32) -> Nid {
        Nid((index << 5) | ty as u32)
    }

    /// The 5-bit type field, as stored.
    pub const fn type_bits(self) -> u8 {
        (self.0 & 0x1F) as u8
    }

    pub fn nid_type(self) -> Option<NidType> {
        NidType::from_bits(self.type_bits())
    }

    pub const fn index(self) -> u32 {
        self.0 >> 5
    }

    /// The NID of the same index with another type (a folder's PC, hierarchy, contents and FAI
    /// tables share one index).
    pub const fn with_type(self, ty: NidType) -> Nid {
        Nid::new(ty, self.index())
    }
}

impl fmt::Debug for Nid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nid({:#x})", self.0)
    }
}

/// Special NIDs of a store (MS-PST 2.4.1).
pub mod special {
    use super::{Nid, NidType};

    pub const MESSAGE_STORE: Nid = Nid(0x21);
    pub const NAME_TO_ID_MAP: Nid = Nid(0x61);
    pub const NORMAL_FOLDER_TEMPLATE: Nid = Nid(0xA1);
    pub const SEARCH_FOLDER_TEMPLATE: Nid = Nid(0xC1);
    pub const ROOT_FOLDER: Nid = Nid(0x122);
    pub const SEARCH_MANAGEMENT_QUEUE: Nid = Nid(0x1E1);
    pub const SEARCH_ACTIVITY_LIST: Nid = Nid(0x201);
    pub const SEARCH_DOMAIN_OBJECT: Nid = Nid(0x261);
    pub const HIERARCHY_TABLE_TEMPLATE: Nid = Nid(0x60D);
    pub const CONTENTS_TABLE_TEMPLATE: Nid = Nid(0x60E);
    pub const ASSOC_CONTENTS_TABLE_TEMPLATE: Nid = Nid(0x60F);
    pub const SEARCH_CONTENTS_TABLE_TEMPLATE: Nid = Nid(0x610);
    pub const RECEIVE_FOLDER_TABLE: Nid = Nid(0x62B);
    pub const OUTGOING_QUEUE_TABLE: Nid = Nid(0x64C);
    pub const ATTACHMENT_TABLE: Nid = Nid(0x671);
    pub const RECIPIENT_TABLE: Nid = Nid(0x692);
    pub const SEARCH_TABLE_INDEX: Nid = Nid(0x6B6);
    pub const CONTENTS_TABLE_INDEX_TEMPLATE: Nid = Nid(0x6D7);
    pub const SEARCH_TABLE_INDEX_TEMPLATE: Nid = Nid(0x6F8);
    pub const HIERARCHY_MAP: Nid = Nid(0xC01);
    pub const EMPTY_INTERNAL: Nid = Nid(0xEC1);
    /// The IPM subtree, the top folder ("Top of Outlook data file").
    pub const IPM_SUBTREE: Nid = Nid::new(NidType::NormalFolder, 0x401);
    pub const SEARCH_ROOT: Nid = Nid::new(NidType::NormalFolder, 0x402);
    pub const DELETED_ITEMS: Nid = Nid::new(NidType::NormalFolder, 0x403);
    pub const SPAM_SEARCH_FOLDER: Nid = Nid::new(NidType::SearchFolder, 0x111);
}

/// A block ID. Bit 1 marks internal blocks (XBLOCK, XXBLOCK, SLBLOCK, SIBLOCK); bit 0 is
/// reserved and always 0 here. BBT/NBT pages have BIDs from a separate counter.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Bid(pub u64);

impl Bid {
    /// "No block": an empty node's data or a node without subnodes.
    pub const NONE: Bid = Bid(0);

    /// The BID of block number `counter` (counting from 1).
    pub const fn block(counter: u64, internal: bool) -> Bid {
        Bid((counter << 2) | if internal { 2 } else { 0 })
    }

    pub const fn is_internal(self) -> bool {
        self.0 & 2 != 0
    }

    pub const fn is_none(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Debug for Bid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bid({:#x})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nids_of_the_spec_decompose() {
        // The IPM subtree of every Outlook store is 0x8022: index 0x401, type normal folder.
        assert_eq!(special::IPM_SUBTREE, Nid(0x8022));
        assert_eq!(special::SEARCH_ROOT, Nid(0x8042));
        assert_eq!(special::DELETED_ITEMS, Nid(0x8062));
        assert_eq!(special::SPAM_SEARCH_FOLDER, Nid(0x2223));
        assert_eq!(special::ROOT_FOLDER.nid_type(), Some(NidType::NormalFolder));
        assert_eq!(special::ROOT_FOLDER.index(), 9);
        assert_eq!(
            special::RECIPIENT_TABLE.nid_type(),
            Some(NidType::RecipientTable)
        );
        assert_eq!(Nid(0x8022).with_type(NidType::HierarchyTable), Nid(0x802D));
        // The first user message Outlook writes: index 0x10001.
        assert_eq!(Nid::new(NidType::NormalMessage, 0x10001), Nid(0x200024));
    }

    #[test]
    fn block_ids_carry_the_internal_bit() {
        assert_eq!(Bid::block(1, false), Bid(4));
        assert_eq!(Bid::block(1, true), Bid(6));
        assert!(Bid::block(7, true).is_internal());
        assert!(!Bid::block(7, false).is_internal());
    }
}
