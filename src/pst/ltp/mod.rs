//! [LTP layer](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/4c24c7d2-5c5a-4b99-88b2-f4b84cc293ae)
//! (MS-PST 2.3): heap-on-node, BTH, property contexts and table contexts, built in memory as the
//! blocks of one node. Values too large for a heap go into subnodes through [`SubnodeWriter`].

mod prop;

pub use prop::{PropTag, PropType, PropValue};

use crate::pst::ndb::{self, Nid};

/// Where a property or table context puts data that does not fit on its heap (values over 3580
/// bytes, a table's row matrix): each becomes a subnode (type `NID_TYPE_LTP`) of the node being
/// built, with its own data tree.
pub trait SubnodeWriter {
    /// Writes `data` as a new subnode whose data tree holds it in blocks of at most `block_size`
    /// bytes (8176 for a plain value; whole rows for a row matrix), and returns its NID.
    fn write_subnode(&mut self, data: &[u8], block_size: usize) -> Result<Nid, ndb::Error>;
}
