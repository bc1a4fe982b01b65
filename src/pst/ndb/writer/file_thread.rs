//! The file writes of a PST being written, on a thread of their own. The writer fills a buffer
//! with blocks and pages in file order and hands it over; this thread encodes the data of the
//! external blocks that are not encoded yet (messages come encoded, [`super::SealedBlocks`]),
//! puts every block's CRC into its trailer and writes the buffer. The writer keeps only what
//! must happen in order (placing blocks, handing out IDs, the B-trees), and the two run side
//! by side.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::thread::{self, JoinHandle};

use crossbeam_channel::{Receiver, Sender, bounded};

use super::super::Error;
use super::super::block::{put_block_crc, put_crc};
use super::super::permute;
use super::io_at;

/// Buffers handed over and not yet written. With the one being written and the one being
/// filled, the file's bytes in memory stay under four buffers.
const QUEUED: usize = 2;

/// A block in a buffer whose trailer still lacks its CRC.
#[derive(Clone, Copy, Debug)]
pub(super) struct UnsealedBlock {
    /// Where the block starts in the buffer.
    pub start: usize,
    /// Its data bytes.
    pub cb: usize,
    /// Its whole padded size, trailer included.
    pub size: usize,
    pub seal: Seal,
}

/// What a block in a buffer still needs.
#[derive(Clone, Copy, Debug)]
pub(super) enum Seal {
    /// Encoding (external blocks are stored permuted, NDB_CRYPT_PERMUTE), then its CRC.
    Encode,
    /// Its CRC (internal blocks are never encoded).
    Checksum,
    /// This CRC: the data was encoded before it reached the writer.
    Done(u32),
}

/// Bytes to write at `at`: the blocks among them are completed first.
struct Chunk {
    at: u64,
    bytes: Vec<u8>,
    blocks: Vec<UnsealedBlock>,
}

/// The thread that writes the file, and the way to it.
pub(super) struct FileThread {
    chunks: Option<Sender<Chunk>>,
    /// Written buffers, for the writer to fill again.
    spare: Receiver<Vec<u8>>,
    thread: Option<JoinHandle<Result<File, Error>>>,
}

impl FileThread {
    pub(super) fn start(file: File) -> Result<FileThread, Error> {
        let (chunk_tx, chunk_rx) = bounded::<Chunk>(QUEUED);
        let (spare_tx, spare_rx) = bounded::<Vec<u8>>(QUEUED + 1);
        let thread = thread::Builder::new()
            .name("pst-file".to_owned())
            .spawn(move || write_chunks(file, &chunk_rx, &spare_tx))?;
        Ok(FileThread {
            chunks: Some(chunk_tx),
            spare: spare_rx,
            thread: Some(thread),
        })
    }

    /// A buffer already written, emptied, if one is back.
    pub(super) fn spare_buffer(&self) -> Option<Vec<u8>> {
        self.spare.try_recv().ok()
    }

    /// Hands `bytes` over to be written at `at` once `blocks` are completed. Returns the
    /// thread's error when it stopped on one.
    pub(super) fn write(
        &mut self,
        at: u64,
        bytes: Vec<u8>,
        blocks: Vec<UnsealedBlock>,
    ) -> Result<(), Error> {
        let sent = match &self.chunks {
            Some(chunks) => chunks.send(Chunk { at, bytes, blocks }).is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        // The thread stopped: it says why.
        Err(self.stop().err().unwrap_or(Error::WriterFailed))
    }

    /// Waits for every buffer handed over to be written, and gives the file back.
    pub(super) fn finish(mut self) -> Result<File, Error> {
        self.stop()
    }

    fn stop(&mut self) -> Result<File, Error> {
        drop(self.chunks.take());
        match self.thread.take() {
            Some(thread) => thread.join().unwrap_or(Err(Error::WriterFailed)),
            None => Err(Error::WriterFailed),
        }
    }
}

impl Drop for FileThread {
    /// The file is closed before the writer is gone (a temporary file is then removed, which
    /// some systems refuse while it is open).
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.stop();
        }
    }
}

impl std::fmt::Debug for FileThread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileThread")
            .field("running", &self.thread.is_some())
            .finish()
    }
}

/// The thread's work: every chunk in the order given. Stops at the first error, which the
/// writer gets when it hands over the next chunk or finishes.
fn write_chunks(
    mut file: File,
    chunks: &Receiver<Chunk>,
    spare: &Sender<Vec<u8>>,
) -> Result<File, Error> {
    let mut position = 0u64;
    for Chunk {
        at,
        mut bytes,
        blocks,
    } in chunks
    {
        for block in blocks {
            let whole = &mut bytes[block.start..block.start + block.size];
            match block.seal {
                Seal::Encode => {
                    permute::encode(&mut whole[..block.cb]);
                    put_block_crc(whole, block.cb);
                }
                Seal::Checksum => put_block_crc(whole, block.cb),
                Seal::Done(crc) => put_crc(whole, crc),
            }
        }
        if at != position {
            file.seek(SeekFrom::Start(at))
                .map_err(|source| io_at("seeking", at, source))?;
        }
        file.write_all(&bytes)
            .map_err(|source| io_at("writing", at, source))?;
        position = at + bytes.len() as u64;
        bytes.clear();
        let _ = spare.try_send(bytes);
    }
    Ok(file)
}
