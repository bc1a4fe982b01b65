//! Contents-table rows kept on disk until `finish()` builds the tables ([MS-PST 2.3.4.4](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/c48fa6b4-bfd4-49d7-80f8-8718bc4bcddc)
//! row data comes from them). A folder of 100,000 messages must not hold its rows in memory:
//! each row is appended to one temporary file, and a folder keeps only where the runs of its
//! rows are ([`RowRuns`]): its messages come one after another, so that is one run, or a few.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::pst::ltp::PropValue;
use crate::pst::ndb::Nid;

/// One row as it comes back from the spill file; its strings and binaries borrow from the
/// [`RowBuffer`] it was read into, so a folder's rows cost no allocation per value.
#[derive(Clone, Debug, PartialEq)]
pub struct SpilledRow<'a> {
    pub row_id: Nid,
    pub row_version: u32,
    pub cells: Vec<Option<PropValue<'a>>>,
}

/// The records of some rows, read back in one buffer.
#[derive(Debug, Default)]
pub struct RowBuffer {
    data: Vec<u8>,
    /// End of each record in `data`.
    ends: Vec<usize>,
}

impl RowBuffer {
    /// The rows, in the order they were read, each decoded when it is taken: a row's cells
    /// (tens of values) are held one row at a time, not for the whole buffer.
    pub fn rows(&self) -> impl Iterator<Item = io::Result<SpilledRow<'_>>> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(&self.ends).map(|(start, &end)| {
            let record = self
                .data
                .get(start..end)
                .ok_or_else(|| invalid("record out of its buffer"))?;
            decode_row(record)
        })
    }
}

/// Where one folder's rows are in the spill file: runs of records that follow each other.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RowRuns {
    runs: Vec<RowRun>,
}

/// Records that follow each other in the spill file: `count` of them from `start` to `end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowRun {
    pub start: u64,
    end: u64,
    pub count: usize,
}

impl RowRuns {
    /// Adds the record from `start` to `end`: to the last run when it follows it.
    pub fn push(&mut self, start: u64, end: u64) {
        match self.runs.last_mut() {
            Some(run) if run.end == start => {
                run.end = end;
                run.count += 1;
            }
            _ => self.runs.push(RowRun {
                start,
                end,
                count: 1,
            }),
        }
    }

    /// The runs, in the order the rows were added.
    pub fn runs(&self) -> &[RowRun] {
        &self.runs
    }

    /// How many rows were added.
    pub fn rows(&self) -> usize {
        self.runs.iter().map(|run| run.count).sum()
    }
}

/// The append-only file of rows.
#[derive(Debug)]
pub struct RowSpill {
    file: BufWriter<File>,
    len: u64,
    scratch: Vec<u8>,
}

impl RowSpill {
    /// A new spill file in `dir`; the file has no name and vanishes with the handle.
    pub fn new_in(dir: &Path) -> io::Result<RowSpill> {
        Ok(RowSpill {
            file: BufWriter::with_capacity(64 * 1024, tempfile::tempfile_in(dir)?),
            len: 0,
            scratch: Vec::new(),
        })
    }

    /// Appends a row and returns its offset; it ends where the file now does ([`RowSpill::len`]).
    pub fn push(
        &mut self,
        row_id: Nid,
        row_version: u32,
        cells: &[Option<PropValue<'_>>],
    ) -> io::Result<u64> {
        if cells
            .iter()
            .any(|cell| matches!(cell, Some(PropValue::BinaryInSubnode { .. })))
        {
            return Err(invalid(
                "a value kept in a subnode cannot be a contents row's cell",
            ));
        }
        let offset = self.len;
        let buf = &mut self.scratch;
        buf.clear();
        buf.extend_from_slice(&[0; 4]);
        buf.extend_from_slice(&row_id.0.to_le_bytes());
        buf.extend_from_slice(&row_version.to_le_bytes());
        buf.extend_from_slice(&(cells.len() as u16).to_le_bytes());
        for cell in cells {
            match cell {
                None => buf.push(0),
                Some(value) => {
                    buf.push(1);
                    encode_value(value, buf);
                }
            }
        }
        let record_len = (buf.len() - 4) as u32;
        buf[..4].copy_from_slice(&record_len.to_le_bytes());
        self.file.write_all(buf)?;
        self.len += buf.len() as u64;
        Ok(offset)
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Flushes the file and returns a reader over it.
    pub fn reader(&mut self) -> io::Result<SpillReader> {
        self.file.flush()?;
        let file = self.file.get_ref().try_clone()?;
        Ok(SpillReader {
            file: BufReader::with_capacity(64 * 1024, file),
            pos: None,
        })
    }
}

/// Reads rows back, run by run.
#[derive(Debug)]
pub struct SpillReader {
    file: BufReader<File>,
    /// Where the reader stands, once known.
    pos: Option<u64>,
}

impl SpillReader {
    /// Reads `count` records that follow each other from `start` into one buffer; returns it
    /// and where the record after them starts.
    pub fn read_following(&mut self, start: u64, count: usize) -> io::Result<(RowBuffer, u64)> {
        let mut buffer = RowBuffer {
            data: Vec::new(),
            ends: Vec::with_capacity(count),
        };
        let mut at = start;
        for _ in 0..count {
            at = self.read_record(at, &mut buffer.data)?;
            buffer.ends.push(buffer.data.len());
        }
        Ok((buffer, at))
    }

    /// Appends the record at `offset` to `out`; returns where the next record starts.
    fn read_record(&mut self, offset: u64, out: &mut Vec<u8>) -> io::Result<u64> {
        match self.pos {
            Some(pos) if pos == offset => {}
            Some(pos) if offset > pos && offset - pos < 64 * 1024 => {
                self.file.seek_relative((offset - pos) as i64)?;
            }
            _ => {
                self.file.seek(SeekFrom::Start(offset))?;
            }
        }
        let mut len = [0u8; 4];
        self.file.read_exact(&mut len)?;
        let len = u32::from_le_bytes(len) as usize;
        let start = out.len();
        out.resize(start + len, 0);
        self.file.read_exact(&mut out[start..])?;
        let next = offset + 4 + len as u64;
        self.pos = Some(next);
        Ok(next)
    }
}

fn encode_value(value: &PropValue<'_>, buf: &mut Vec<u8>) {
    buf.extend_from_slice(&(value.prop_type() as u16).to_le_bytes());
    let put_bytes = |buf: &mut Vec<u8>, bytes: &[u8]| {
        buf.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        buf.extend_from_slice(bytes);
    };
    match value {
        PropValue::Integer16(v) => buf.extend_from_slice(&v.to_le_bytes()),
        PropValue::Integer32(v) => buf.extend_from_slice(&v.to_le_bytes()),
        PropValue::Boolean(v) => buf.push(u8::from(*v)),
        PropValue::Integer64(v) => buf.extend_from_slice(&v.to_le_bytes()),
        PropValue::Floating64(v) => buf.extend_from_slice(&v.to_le_bytes()),
        PropValue::Time(v) => buf.extend_from_slice(&v.to_le_bytes()),
        PropValue::String(s) => put_bytes(buf, s.as_bytes()),
        PropValue::Binary(b) => put_bytes(buf, b),
        PropValue::Guid(g) => buf.extend_from_slice(g),
        PropValue::MultipleInteger32(values) => {
            buf.extend_from_slice(&(values.len() as u32).to_le_bytes());
            for v in values {
                buf.extend_from_slice(&v.to_le_bytes());
            }
        }
        PropValue::MultipleString(values) => {
            buf.extend_from_slice(&(values.len() as u32).to_le_bytes());
            for v in values {
                put_bytes(buf, v.as_bytes());
            }
        }
        PropValue::MultipleBinary(values) => {
            buf.extend_from_slice(&(values.len() as u32).to_le_bytes());
            for v in values {
                put_bytes(buf, v);
            }
        }
        PropValue::Object { nid, size } => {
            buf.extend_from_slice(&nid.0.to_le_bytes());
            buf.extend_from_slice(&size.to_le_bytes());
        }
        // Refused by `push`: contents rows hold no attachment data.
        PropValue::BinaryInSubnode { .. } => {}
    }
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("row spill file: {what}"),
    )
}

/// A cursor over one record.
struct Cursor<'a> {
    data: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> io::Result<&'a [u8]> {
        if self.data.len() < n {
            return Err(invalid("record ends early"));
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> io::Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    fn u32(&mut self) -> io::Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn bytes(&mut self) -> io::Result<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    fn str(&mut self) -> io::Result<&'a str> {
        std::str::from_utf8(self.bytes()?).map_err(|_| invalid("string is not UTF-8"))
    }
}

fn decode_row(record: &[u8]) -> io::Result<SpilledRow<'_>> {
    use crate::pst::ltp::PropType as T;
    let mut c = Cursor { data: record };
    let row_id = Nid(c.u32()?);
    let row_version = c.u32()?;
    let count = u16::from_le_bytes(c.array()?) as usize;
    let mut cells = Vec::with_capacity(count);
    for _ in 0..count {
        if c.take(1)?[0] == 0 {
            cells.push(None);
            continue;
        }
        let ty = u16::from_le_bytes(c.array()?);
        let value = match ty {
            t if t == T::Integer16 as u16 => PropValue::Integer16(i16::from_le_bytes(c.array()?)),
            t if t == T::Integer32 as u16 => PropValue::Integer32(i32::from_le_bytes(c.array()?)),
            t if t == T::Boolean as u16 => PropValue::Boolean(c.take(1)?[0] != 0),
            t if t == T::Integer64 as u16 => PropValue::Integer64(i64::from_le_bytes(c.array()?)),
            t if t == T::Floating64 as u16 => PropValue::Floating64(f64::from_le_bytes(c.array()?)),
            t if t == T::Time as u16 => PropValue::Time(u64::from_le_bytes(c.array()?)),
            t if t == T::String as u16 => PropValue::String(Cow::Borrowed(c.str()?)),
            t if t == T::Binary as u16 => PropValue::Binary(Cow::Borrowed(c.bytes()?)),
            t if t == T::Guid as u16 => PropValue::Guid(c.array()?),
            t if t == T::MultipleInteger32 as u16 => {
                let n = c.u32()? as usize;
                let mut values = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    values.push(i32::from_le_bytes(c.array()?));
                }
                PropValue::MultipleInteger32(values)
            }
            t if t == T::MultipleString as u16 => {
                let n = c.u32()? as usize;
                let mut values = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    values.push(c.str()?.to_owned());
                }
                PropValue::MultipleString(values)
            }
            t if t == T::MultipleBinary as u16 => {
                let n = c.u32()? as usize;
                let mut values = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    values.push(c.bytes()?.to_vec());
                }
                PropValue::MultipleBinary(values)
            }
            t if t == T::Object as u16 => PropValue::Object {
                nid: Nid(c.u32()?),
                size: c.u32()?,
            },
            other => return Err(invalid(&format!("unknown property type {other:#06x}"))),
        };
        cells.push(Some(value));
    }
    if !c.data.is_empty() {
        return Err(invalid("trailing bytes after a row"));
    }
    Ok(SpilledRow {
        row_id,
        row_version,
        cells,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<Option<PropValue<'static>>> {
        vec![
            Some(PropValue::Integer16(-2)),
            Some(PropValue::Integer32(7)),
            None,
            Some(PropValue::Boolean(true)),
            Some(PropValue::Integer64(-9)),
            Some(PropValue::Floating64(1.5)),
            Some(PropValue::Time(0x01D7_0000_0000_0000)),
            Some(PropValue::String(Cow::Borrowed("Grüße 😀"))),
            Some(PropValue::String(Cow::Borrowed(""))),
            Some(PropValue::Binary(Cow::Borrowed(&[1, 2, 3]))),
            Some(PropValue::Guid([9; 16])),
            Some(PropValue::MultipleInteger32(vec![1, -1])),
            Some(PropValue::MultipleString(vec!["a".into(), "".into()])),
            Some(PropValue::MultipleBinary(vec![vec![], vec![5]])),
            Some(PropValue::Object {
                nid: Nid(0x24),
                size: 77,
            }),
        ]
    }

    /// Three folders' rows, written mixed: each folder's runs, read back run by run in any
    /// order of the folders, give its rows in the order written.
    #[test]
    fn rows_come_back_as_written_run_by_run() {
        let dir = tempfile::tempdir().unwrap();
        let mut spill = RowSpill::new_in(dir.path()).unwrap();
        let cells = every_kind();
        let mut folders = vec![RowRuns::default(); 3];
        let mut written = vec![Vec::new(); 3];
        for i in 0..1000u32 {
            // Folder 0 takes rows 0-399 and 700-999, folder 1 400-599, folder 2 every third
            // of 600-699 (runs of one row).
            let folder = match i {
                600..700 if i % 3 == 0 => 2,
                400..700 => 1,
                _ => 0,
            };
            let mut row = cells.clone();
            row[1] = Some(PropValue::Integer32(i as i32));
            let start = spill.push(Nid(0x24 + (i << 5)), i + 1, &row).unwrap();
            folders[folder].push(start, spill.len());
            written[folder].push(i);
        }
        assert!(!spill.is_empty());
        let run_counts: Vec<usize> = folders.iter().map(|f| f.runs().len()).collect();
        assert_eq!(run_counts, [2, 34, 34]);
        let mut reader = spill.reader().unwrap();
        for folder in [2, 0, 1] {
            let mut read = Vec::new();
            for run in folders[folder].runs() {
                // Two reads a run, the second from where the first ended.
                let first = run.count / 2;
                let (buffer, next) = reader.read_following(run.start, first).unwrap();
                let (rest, _) = reader.read_following(next, run.count - first).unwrap();
                for buffer in [buffer, rest] {
                    for row in buffer.rows() {
                        let row = row.unwrap();
                        let i = (row.row_id.0 - 0x24) >> 5;
                        assert_eq!(row.row_version, i + 1);
                        assert_eq!(row.cells[1], Some(PropValue::Integer32(i as i32)));
                        assert_eq!(row.cells[2..], cells[2..]);
                        read.push(i);
                    }
                }
            }
            assert_eq!(read, written[folder], "folder {folder}");
            assert_eq!(folders[folder].rows(), written[folder].len());
        }
    }

    #[test]
    fn a_damaged_record_is_an_error_not_a_panic() {
        assert!(decode_row(&[1, 2]).is_err());
        let mut bad = vec![0u8; 10];
        bad[8] = 1; // one cell
        bad.extend_from_slice(&[1, 0x99, 0x99]); // present, unknown type
        assert!(decode_row(&bad).is_err());
    }
}
