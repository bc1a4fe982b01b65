//! Apple Mail's "Export Mailbox…" bundle (docs/formats.md §1.6): a folder `Name.mbox` holding an
//! mbox file named `mbox` and a binary `table_of_contents`; nested exports nest bundles. The
//! same shape (`Name.mbox/mbox`) is a Mail 1 mailbox. The mbox file is the truth; the table of
//! contents is only read for its message count, as a cross-check.

use std::io::Read as _;
use std::path::Path;

/// The first four bytes of a `table_of_contents` file, big-endian.
const TOC_MAGIC: u32 = 0x000D_BBA0;

/// The message count a `table_of_contents` file declares: big-endian magic `0x000DBBA0`, then
/// a big-endian u32 count. `None` when the file is missing or is not one.
pub fn table_of_contents_count(path: &Path) -> Option<u32> {
    let mut head = [0u8; 8];
    std::fs::File::open(path).ok()?.read_exact(&mut head).ok()?;
    let [a, b, c, d, e, f, g, h] = head;
    (u32::from_be_bytes([a, b, c, d]) == TOC_MAGIC).then(|| u32::from_be_bytes([e, f, g, h]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_after_the_magic() {
        let dir = tempfile::tempdir().unwrap();
        let toc = dir.path().join("table_of_contents");
        std::fs::write(&toc, [0x00, 0x0D, 0xBB, 0xA0, 0, 0, 1, 2, 9, 9]).unwrap();
        assert_eq!(table_of_contents_count(&toc), Some(258));
        std::fs::write(&toc, [0x00, 0x0D, 0xBB, 0xA1, 0, 0, 1, 2]).unwrap();
        assert_eq!(table_of_contents_count(&toc), None);
        std::fs::write(&toc, [0x00, 0x0D, 0xBB]).unwrap();
        assert_eq!(table_of_contents_count(&toc), None);
        assert_eq!(table_of_contents_count(&dir.path().join("missing")), None);
    }
}
