//! Records of a fixed size in an unnamed temporary file, read back in the order written: what
//! the writer keeps of every block (for the BBT) and of the nodes that come in NID order (for
//! the NBT) until `finish()`, instead of in memory.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use crate::pst::ndb::Error;

pub(super) struct RecordFile<const N: usize> {
    out: BufWriter<File>,
    count: u64,
}

impl<const N: usize> std::fmt::Debug for RecordFile<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordFile")
            .field("count", &self.count)
            .finish()
    }
}

impl<const N: usize> RecordFile<N> {
    pub(super) fn new() -> Result<RecordFile<N>, Error> {
        let file = tempfile::tempfile().map_err(Error::Spill)?;
        Ok(RecordFile {
            out: BufWriter::with_capacity(1 << 16, file),
            count: 0,
        })
    }

    pub(super) fn len(&self) -> u64 {
        self.count
    }

    pub(super) fn push(&mut self, record: &[u8; N]) -> Result<(), Error> {
        self.out.write_all(record).map_err(Error::Spill)?;
        self.count += 1;
        Ok(())
    }

    /// The records in the order they were pushed.
    pub(super) fn into_records(
        self,
    ) -> Result<impl Iterator<Item = Result<[u8; N], Error>>, Error> {
        let mut file = self
            .out
            .into_inner()
            .map_err(|error| Error::Spill(error.into_error()))?;
        file.seek(SeekFrom::Start(0)).map_err(Error::Spill)?;
        let mut reader = BufReader::with_capacity(1 << 16, file);
        Ok((0..self.count).map(move |_| {
            let mut record = [0u8; N];
            reader.read_exact(&mut record).map_err(Error::Spill)?;
            Ok(record)
        }))
    }
}
