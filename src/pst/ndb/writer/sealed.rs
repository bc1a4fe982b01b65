//! The external blocks of a data tree made ready apart from the writer: their data encoded
//! (NDB_CRYPT_PERMUTE) and their CRCs computed, so that writing them is a copy. A message is
//! built this way on the threads that convert mail, in parallel; the writer only places it.

use super::super::Error;
use super::super::crc::crc;
use super::super::permute;
use super::{check_chunks, check_lengths};

/// The blocks of one data tree, encoded, with their CRCs.
#[derive(Debug, Default)]
pub struct SealedBlocks {
    /// The blocks' data, encoded, one after another.
    bytes: Vec<u8>,
    /// Each block's end in `bytes`, and the CRC of its encoded data.
    blocks: Vec<(usize, u32)>,
}

impl SealedBlocks {
    /// `data` in blocks of `block_size` bytes, as [`NdbWriter::write_data`] writes it (and
    /// refuses what it refuses); the data is encoded where it lies.
    ///
    /// [`NdbWriter::write_data`]: super::NdbWriter::write_data
    pub fn from_data(mut data: Vec<u8>, block_size: usize) -> Result<SealedBlocks, Error> {
        check_chunks(data.len(), block_size)?;
        permute::encode(&mut data);
        let blocks = data
            .chunks(block_size)
            .scan(0, |end, block| {
                *end += block.len();
                Some((*end, crc(block)))
            })
            .collect();
        Ok(SealedBlocks {
            bytes: data,
            blocks,
        })
    }

    /// Blocks given one by one (a heap's pages), as [`NdbWriter::write_blocks`] writes them
    /// (and refuses what it refuses).
    ///
    /// [`NdbWriter::write_blocks`]: super::NdbWriter::write_blocks
    pub fn from_blocks<B: AsRef<[u8]>>(blocks: &[B]) -> Result<SealedBlocks, Error> {
        check_lengths(blocks.iter().map(|block| block.as_ref().len()))?;
        let mut bytes = Vec::with_capacity(blocks.iter().map(|b| b.as_ref().len()).sum());
        let mut ends = Vec::with_capacity(blocks.len());
        for block in blocks {
            let start = bytes.len();
            bytes.extend_from_slice(block.as_ref());
            let encoded = &mut bytes[start..];
            permute::encode(encoded);
            ends.push((bytes.len(), crc(&bytes[start..])));
        }
        Ok(SealedBlocks {
            bytes,
            blocks: ends,
        })
    }

    /// The data bytes of all blocks.
    pub fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    pub(super) fn count(&self) -> usize {
        self.blocks.len()
    }

    fn start(&self, index: usize) -> usize {
        index
            .checked_sub(1)
            .map_or(0, |before| self.blocks[before].0)
    }

    /// Block `index`: its encoded data and its CRC.
    pub(super) fn block(&self, index: usize) -> (&[u8], u32) {
        let (end, crc) = self.blocks[index];
        (&self.bytes[self.start(index)..end], crc)
    }
}
