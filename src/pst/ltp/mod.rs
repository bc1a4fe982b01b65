//! [LTP layer](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/4c24c7d2-5c5a-4b99-88b2-f4b84cc293ae)
//! (MS-PST 2.3): heap-on-node, BTH, property contexts and table contexts, built in memory as the
//! blocks of one node. Values too large for a heap go into subnodes through [`SubnodeWriter`].
//!
//! Each structure has a builder and a reader. The readers decode what the builders write and
//! check it against the rules our writer keeps (which are stricter than the spec in a few
//! places: no freed heap allocations, single-level property BTHs, rows-per-block), so the
//! messaging layer and the tests can verify every node before it reaches the file.

mod bth;
mod error;
mod heap;
mod pc;
mod prop;
mod tc;
mod value;

#[cfg(test)]
pub(crate) mod testing;

pub use bth::{BthHeader, build_bth, read_bth, reserve_bth_header, write_bth};
pub use error::Error;
pub use heap::{ClientSig, Heap, HeapBuilder, Hid, MAX_ALLOCATION, MAX_BLOCK};
pub use pc::{MAX_PC_PROPERTIES, OpenPc, build_open_pc, build_pc, read_pc};
pub use prop::{OwnedPropValue, PropTag, PropType, PropValue};
pub use tc::{
    ClosedBlock, ColumnDesc, PID_TAG_LTP_ROW_ID, PID_TAG_LTP_ROW_VER, RowIds, Table, TableRow,
    TcBuilder, TcInfo, TcTree, build_tc, read_tc,
};

use crate::pst::ndb::{self, Nid};

/// Where a property or table context puts data that does not fit on its heap (values over 3580
/// bytes, a table's row matrix): each becomes a subnode (type `NID_TYPE_LTP`) of the node being
/// built, with its own data tree.
pub trait SubnodeWriter {
    /// Writes `data` as a new subnode whose data tree holds it in blocks of at most `block_size`
    /// bytes (8176 for a plain value; whole rows for a row matrix), and returns its NID.
    fn write_subnode(&mut self, data: &[u8], block_size: usize) -> Result<Nid, ndb::Error>;
}

/// How the readers reach the subnodes of the node they read: the data blocks of subnode `nid`,
/// in order (the row-matrix check needs the block boundaries). Any
/// `FnMut(Nid) -> Result<Vec<Vec<u8>>, Error>` is one.
pub trait SubnodeReader {
    fn read_subnode(&mut self, nid: Nid) -> Result<Vec<Vec<u8>>, Error>;
}

impl<F> SubnodeReader for F
where
    F: FnMut(Nid) -> Result<Vec<Vec<u8>>, Error>,
{
    fn read_subnode(&mut self, nid: Nid) -> Result<Vec<Vec<u8>>, Error> {
        self(nid)
    }
}

/// The data blocks of one node, in order, each at most [`MAX_BLOCK`] bytes: what the NDB layer
/// writes as the node's data tree.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeBlocks(pub Vec<Vec<u8>>);

impl NodeBlocks {
    /// The node's logical size: the sum of its block lengths (what `PidTagMessageSize` counts).
    pub fn total_size(&self) -> u64 {
        self.0.iter().map(|block| block.len() as u64).sum()
    }

    pub fn blocks(&self) -> &[Vec<u8>] {
        &self.0
    }
}

/// `len` bytes of `data` at `offset`, or a [`Error::Truncated`] naming `structure`.
fn bytes_at<'a>(
    data: &'a [u8],
    offset: usize,
    len: usize,
    structure: &'static str,
) -> Result<&'a [u8], Error> {
    offset
        .checked_add(len)
        .and_then(|end| data.get(offset..end))
        .ok_or(Error::Truncated {
            structure,
            offset,
            needed: len,
            len: data.len(),
        })
}

fn u16_at(data: &[u8], offset: usize, structure: &'static str) -> Result<u16, Error> {
    let bytes = bytes_at(data, offset, 2, structure)?;
    Ok(u16::from_le_bytes([bytes[0], bytes[1]]))
}

fn u32_at(data: &[u8], offset: usize, structure: &'static str) -> Result<u32, Error> {
    let bytes = bytes_at(data, offset, 4, structure)?;
    Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}
