//! Messages too large to hold in memory ([`RawMessage::large`](crate::model::RawMessage)), read
//! a piece at a time from their file. Their MIME structure is walked line by line; every part
//! body larger than [`PART_IN_MEMORY`] is decoded (base64, quoted-printable) into an unnamed
//! temporary file, and in a copy of the message held in memory — its skeleton — that body is
//! replaced by one marker line. The skeleton is converted as any message is; a part whose body
//! is a marker gets the file as its content, which the PST writer copies a block at a time. So
//! memory holds a message's headers and small parts, never its large ones.
//!
//! Decisions about large messages (each has a test):
//! * The header must end, with a blank line, within the first MiB (or be framed as
//!   `framing` frames a message without a blank line or without a header); otherwise the
//!   message is kept as an attachment, as a message that cannot be read is.
//! * A boundary is a line that starts with `--` and the boundary of the innermost multipart
//!   (as the MIME parser reads a message in memory); the line break before it belongs to it.
//! * A large attached message (message/rfc822) is kept as an `.eml` file, not converted.
//! * A large text body is read back into memory: the PST holds a body as one value.
//! * Broken base64 is kept as sent, as in a message held in memory.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;
use base64::engine::GeneralPurpose;
use mail_parser::{MessageParser, MimeHeaders as _};

use super::framing::{self, Framing, Shape};
use super::guarded;
use super::parts::{TransferEncoding, decode_quoted_printable, is_base64, lenient_base64};
use crate::model::FileSpan;
use crate::pst::{AttachmentContent, StreamedData};

/// Part bodies of a large message larger than this are kept on disk.
pub(super) const PART_IN_MEMORY: usize = 1024 * 1024;
/// The header of a large message must end within this many bytes.
const HEADER_LIMIT: u64 = 1024 * 1024;
/// The header of a part inside it, likewise (more is not a header: it ends there).
const PART_HEADER_LIMIT: usize = 256 * 1024;
/// How much of a line's start is looked at for a boundary (boundaries are at most 70
/// characters, RFC 2046).
const LINE_HEAD: usize = 1024;
/// Bytes read from the message at a time.
const READ_BUFFER: usize = 64 * 1024;
/// Base64 characters or quoted-printable bytes decoded at a time.
const DECODE_CHUNK: usize = 256 * 1024;
/// What starts every marker; the rest is a per-message random nonce and the part's number.
const MARKER_PREFIX: &[u8] = b"M2PLARGE";
/// The header field of the marker of an attached message.
const MESSAGE_MARKER_FIELD: &[u8] = b"X-Mail2pst-Large-Part: ";

/// A message as the converter reads it: its skeleton, and the parts kept apart from it.
#[derive(Debug)]
pub(super) struct Skeleton {
    pub bytes: Vec<u8>,
    pub kept: KeptParts,
}

/// The part bodies of one message kept apart from its skeleton (on disk, or in memory for
/// `lean`), found by the markers that replaced them.
#[derive(Debug)]
pub(super) struct KeptParts {
    nonce: String,
    parts: Vec<KeptPart>,
}

/// One part body kept apart from the skeleton, decoded.
#[derive(Debug)]
pub(super) struct KeptPart {
    pub data: KeptData,
    /// Its base64 is broken: `data` is the body as sent.
    pub broken: bool,
}

/// Where a kept part body is.
#[derive(Debug)]
pub(super) enum KeptData {
    /// In an unnamed file: a large part of a message too large for memory.
    File(StreamedData),
    /// In memory: a large base64 part of a message held in memory, decoded before the MIME
    /// parser reads the message (see `lean`). The attachment made of it takes the bytes.
    Memory { len: u64, bytes: Mutex<Vec<u8>> },
}

impl KeptData {
    pub fn len(&self) -> u64 {
        match self {
            KeptData::File(data) => data.len(),
            KeptData::Memory { len, .. } => *len,
        }
    }

    /// A copy of the bytes.
    pub fn to_vec(&self) -> io::Result<Vec<u8>> {
        match self {
            KeptData::File(data) => data.to_vec(),
            KeptData::Memory { bytes, .. } => {
                Ok(bytes.lock().unwrap_or_else(PoisonError::into_inner).clone())
            }
        }
    }

    /// The bytes as an attachment's content: the file, or the bytes themselves, moved out.
    pub fn content(&self) -> AttachmentContent {
        match self {
            KeptData::File(data) => AttachmentContent::Streamed(data.clone()),
            KeptData::Memory { bytes, .. } => AttachmentContent::Data(std::mem::take(
                &mut *bytes.lock().unwrap_or_else(PoisonError::into_inner),
            )),
        }
    }
}

impl KeptParts {
    pub(super) fn new() -> KeptParts {
        let mut random = [0u8; 8];
        // Without randomness the nonce is still unlikely in mail; markers are looked for only
        // where a part body is exactly one.
        let _ = getrandom::fill(&mut random);
        KeptParts {
            nonce: random.iter().map(|b| format!("{b:02X}")).collect(),
            parts: Vec::new(),
        }
    }

    /// The marker line that stands for part `index`: base64 characters only, a multiple of
    /// four, so any transfer encoding reads it as written.
    pub(super) fn marker(&self, index: usize) -> Vec<u8> {
        let mut marker = MARKER_PREFIX.to_vec();
        marker.extend_from_slice(self.nonce.as_bytes());
        marker.extend_from_slice(format!("{index:08X}").as_bytes());
        marker
    }

    /// Keeps `part`; returns the marker line that stands for it.
    pub(super) fn keep(&mut self, part: KeptPart) -> Vec<u8> {
        let marker = self.marker(self.parts.len());
        self.parts.push(part);
        marker
    }

    /// The kept part a part body stands for, when the body is one of our markers (for an
    /// attached message: a header field and a body that are).
    pub fn find(&self, body: &[u8]) -> Option<&KeptPart> {
        let mut body = body.trim_ascii();
        if let Some(rest) = body.strip_prefix(MESSAGE_MARKER_FIELD) {
            let line = framing::line_end(rest, 0);
            body = rest[line..].trim_ascii();
        }
        let rest = body
            .strip_prefix(MARKER_PREFIX)?
            .strip_prefix(self.nonce.as_bytes())?;
        let index = std::str::from_utf8(rest).ok()?;
        if index.len() != 8 {
            return None;
        }
        self.parts.get(usize::from_str_radix(index, 16).ok()?)
    }
}

/// Reads a large message into its skeleton, keeping part bodies larger than `part_in_memory`
/// in unnamed files in `spill_dir`. `Err` says why the message cannot be read this way.
pub(super) fn read(
    span: &FileSpan,
    spill_dir: &Path,
    part_in_memory: usize,
) -> Result<Skeleton, String> {
    let cannot_read = |error: io::Error| format!("it could not be read again: {error}");
    let mut head = span.head(HEADER_LIMIT).map_err(cannot_read)?;
    let whole = head.len() as u64 == span.len();
    if !whole {
        // Only whole lines: a line cut short is not what the message has there.
        head.truncate(memchr::memrchr(b'\n', &head).map_or(0, |at| at + 1));
    }
    let framing = Framing::of(&head);
    // Where the body starts in the message, framed as a message held in memory is (the
    // skeleton keeps the header's lines as they are, so its framing is the same).
    let body_start = match framing.shape {
        Shape::Normal => {
            let after_header = &framing.message[framing.header.len()..];
            let blank_line = framing::line_end(after_header, 0);
            if blank_line == 0 && !whole {
                return Err(format!(
                    "its header does not end in its first {} KiB",
                    HEADER_LIMIT / 1024
                ));
            }
            framing.header.len() + blank_line
        }
        Shape::Unterminated { body_start } => body_start,
        Shape::NoHeader if super::looks_binary(framing.message) => {
            return Err("it has no header and is not text".to_owned());
        }
        Shape::NoHeader => 0,
    };
    let header_end = head.len() - framing.message.len() + body_start;
    let entity = Entity::of(&framing.parsed_header(), false);
    let mut walker = Walker {
        lines: Lines::new(span.reader()),
        span,
        skeleton: Vec::with_capacity(header_end + 64 * 1024),
        kept: KeptParts::new(),
        boundaries: Vec::new(),
        spill_dir,
        part_in_memory,
    };
    walker
        .copy_to_skeleton(header_end as u64)
        .map_err(cannot_read)?;
    walker.body(&entity).map_err(cannot_read)?;
    Ok(Skeleton {
        bytes: walker.skeleton,
        kept: walker.kept,
    })
}

/// A large message's bytes in an unnamed file in `dir`, unquoted, for attaching it whole.
pub(super) fn copy_to_spill(span: &FileSpan, dir: &Path) -> io::Result<StreamedData> {
    let mut out = BufWriter::new(tempfile::tempfile_in(dir)?);
    let len = io::copy(&mut span.reader(), &mut out)?;
    let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
    Ok(StreamedData::new(Arc::new(file), 0, len))
}

/// What the walk needs of an entity's header.
#[derive(Debug)]
pub(super) struct Entity {
    /// The boundary of a multipart.
    pub boundary: Option<Vec<u8>>,
    /// A multipart/digest, whose parts are messages unless they say otherwise.
    pub digest: bool,
    /// An attached message (message/rfc822 or message/global).
    pub message: bool,
    pub encoding: TransferEncoding,
}

impl Entity {
    /// Reads a header block with the MIME parser, as the conversion will. `in_digest`: the
    /// entity is a part of a multipart/digest.
    pub(super) fn of(header: &[u8], in_digest: bool) -> Entity {
        let mut input = header.to_vec();
        input.extend_from_slice(b"\r\n\r\n");
        let parsed = guarded(|| MessageParser::default().parse(&input)).flatten();
        let root = parsed.as_ref().and_then(|parsed| parsed.parts.first());
        let content_type = root.and_then(|part| part.content_type());
        let boundary = content_type
            .filter(|ct| ct.ctype().eq_ignore_ascii_case("multipart"))
            .and_then(|ct| ct.attribute("boundary"))
            .filter(|boundary| !boundary.is_empty())
            .map(|boundary| boundary.as_bytes().to_vec());
        let encoding = root
            .and_then(|part| part.content_transfer_encoding())
            .map_or(TransferEncoding::Identity, TransferEncoding::of);
        let subtype_is = |names: &[&str]| {
            content_type
                .and_then(|ct| ct.subtype())
                .is_some_and(|subtype| names.iter().any(|n| subtype.eq_ignore_ascii_case(n)))
        };
        let message = match content_type {
            Some(ct) => {
                ct.ctype().eq_ignore_ascii_case("message") && subtype_is(&["rfc822", "global"])
            }
            None => in_digest,
        };
        Entity {
            digest: boundary.is_some() && subtype_is(&["digest"]),
            boundary,
            message,
            encoding,
        }
    }
}

/// Where the walk through a body stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    /// The end of the message.
    End,
    /// At a boundary line (not taken yet) of the multipart at `level` of the stack.
    Boundary { level: usize, closing: bool },
}

struct Walker<'a, R> {
    lines: Lines<R>,
    span: &'a FileSpan,
    skeleton: Vec<u8>,
    kept: KeptParts,
    /// The boundaries of the multiparts the walk is in, outermost first.
    boundaries: Vec<Vec<u8>>,
    spill_dir: &'a Path,
    part_in_memory: usize,
}

impl<R: Read> Walker<'_, R> {
    /// Copies the next `len` bytes into the skeleton as they are.
    fn copy_to_skeleton(&mut self, len: u64) -> io::Result<()> {
        let mut left = len;
        while left > 0 {
            let taken = self.lines.take_bytes(left, &mut self.skeleton)?;
            if taken == 0 {
                break;
            }
            left -= taken;
        }
        Ok(())
    }

    /// The body of an entity whose header was just read.
    fn body(&mut self, entity: &Entity) -> io::Result<Stop> {
        match &entity.boundary {
            Some(boundary) => self.multipart(boundary.clone(), entity.digest),
            None => self.leaf(&entity.encoding, entity.message),
        }
    }

    /// A multipart's preamble, parts and epilogue.
    fn multipart(&mut self, boundary: Vec<u8>, digest: bool) -> io::Result<Stop> {
        self.boundaries.push(boundary);
        let level = self.boundaries.len() - 1;
        // The preamble, read as a body: when no boundary comes, it is the whole body.
        let mut stop = self.leaf(&TransferEncoding::Identity, false)?;
        loop {
            match stop {
                Stop::End => {
                    self.boundaries.truncate(level);
                    return Ok(Stop::End);
                }
                Stop::Boundary { level: outer, .. } if outer < level => {
                    self.boundaries.truncate(level);
                    return Ok(stop);
                }
                Stop::Boundary { closing: true, .. } => {
                    self.take_line_to_skeleton()?;
                    self.boundaries.truncate(level);
                    // The epilogue, up to a boundary around this multipart.
                    return self.leaf(&TransferEncoding::Identity, false);
                }
                Stop::Boundary { closing: false, .. } => {
                    self.take_line_to_skeleton()?;
                    let header = self.part_header()?;
                    stop = self.body(&Entity::of(&header, digest))?;
                }
            }
        }
    }

    /// The header of a part, up to and with its blank line, copied to the skeleton.
    fn part_header(&mut self) -> io::Result<Vec<u8>> {
        let mut header = Vec::new();
        while let Some(head) = self.lines.head()? {
            if header.len() >= PART_HEADER_LIMIT || boundary_at(&self.boundaries, head).is_some() {
                break;
            }
            let blank = head == b"\n" || head == b"\r\n";
            let start = self.skeleton.len();
            let end = self.take_line_to_skeleton()?;
            if blank {
                break;
            }
            header.extend_from_slice(&self.skeleton[start..end]);
        }
        Ok(header)
    }

    /// Takes the next line into the skeleton; returns where it ends there.
    fn take_line_to_skeleton(&mut self) -> io::Result<usize> {
        let skeleton = &mut self.skeleton;
        let eol = self.lines.take_line(&mut |piece| {
            skeleton.extend_from_slice(piece);
            Ok(())
        })?;
        skeleton.extend_from_slice(eol);
        Ok(skeleton.len())
    }

    /// A body up to the next boundary of a multipart around it (or the end): kept in the
    /// skeleton when small, else decoded into a file and replaced by a marker line. The line
    /// break before a boundary belongs to the boundary.
    fn leaf(&mut self, encoding: &TransferEncoding, message: bool) -> io::Result<Stop> {
        let start = self.lines.consumed;
        let mut body = Body {
            encoding: encoding.clone(),
            limit: self.part_in_memory,
            spill_dir: self.spill_dir,
            state: BodyState::Memory(Vec::new()),
        };
        let mut held: &'static [u8] = b"";
        let stop = loop {
            let Some(head) = self.lines.head()? else {
                body.put(held)?;
                held = b"";
                break Stop::End;
            };
            if let Some((level, closing)) = boundary_at(&self.boundaries, head) {
                break Stop::Boundary { level, closing };
            }
            body.put(held)?;
            held = self.lines.take_line(&mut |piece| body.put(piece))?;
        };
        match body.state {
            BodyState::Memory(bytes) => {
                self.skeleton.extend_from_slice(&bytes);
                self.skeleton.extend_from_slice(held);
            }
            BodyState::Disk(decoder) => {
                let raw_len = decoder.raw_len;
                let part = match decoder.finish()? {
                    Some(data) => KeptPart {
                        data: KeptData::File(data),
                        broken: false,
                    },
                    None => KeptPart {
                        data: KeptData::File(self.raw_copy(start, raw_len)?),
                        broken: true,
                    },
                };
                let marker = self.kept.keep(part);
                let eol = if held.is_empty() { b"\n" } else { held };
                if message && *encoding == TransferEncoding::Identity {
                    // The MIME parser reads an attached message in place: it must look like
                    // one, or the parser reads on past the part's end.
                    self.skeleton.extend_from_slice(MESSAGE_MARKER_FIELD);
                    self.skeleton.extend_from_slice(&marker);
                    self.skeleton.extend_from_slice(eol);
                    self.skeleton.extend_from_slice(eol);
                }
                self.skeleton.extend_from_slice(&marker);
                self.skeleton.extend_from_slice(eol);
            }
        }
        Ok(stop)
    }

    /// The body as sent, `len` bytes from `start` in the message, into a file of its own.
    fn raw_copy(&self, start: u64, len: u64) -> io::Result<StreamedData> {
        let mut reader = self.span.reader();
        io::copy(&mut (&mut reader).take(start), &mut io::sink())?;
        let mut out = BufWriter::new(tempfile::tempfile_in(self.spill_dir)?);
        let copied = io::copy(&mut reader.take(len), &mut out)?;
        let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        Ok(StreamedData::new(Arc::new(file), 0, copied))
    }
}

/// Whether a line starting with `head` is a boundary of the innermost of the multiparts in
/// `boundaries` (outermost first): its level, and whether it closes the multipart. Only the
/// innermost counts, as the MIME parser reads a message held in memory.
fn boundary_at(boundaries: &[Vec<u8>], head: &[u8]) -> Option<(usize, bool)> {
    let level = boundaries.len().checked_sub(1)?;
    Some((level, delimiter_line(head, &boundaries[level])?))
}

/// Whether a line starting with `head` is a delimiter line of `boundary` (it starts with `--`
/// and the boundary), and whether it closes the multipart.
pub(super) fn delimiter_line(head: &[u8], boundary: &[u8]) -> Option<bool> {
    let after = head.strip_prefix(b"--")?.strip_prefix(boundary)?;
    Some(after.starts_with(b"--"))
}

/// A part body being read: in memory while it is small, then decoded into a file.
struct Body<'a> {
    encoding: TransferEncoding,
    limit: usize,
    spill_dir: &'a Path,
    state: BodyState,
}

enum BodyState {
    Memory(Vec<u8>),
    Disk(Box<Decoder>),
}

impl Body<'_> {
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        match &mut self.state {
            BodyState::Memory(kept) if kept.len() + bytes.len() <= self.limit => {
                kept.extend_from_slice(bytes);
                Ok(())
            }
            BodyState::Memory(kept) => {
                let mut decoder = Decoder::new(&self.encoding, self.spill_dir)?;
                decoder.put(kept)?;
                decoder.put(bytes)?;
                self.state = BodyState::Disk(Box::new(decoder));
                Ok(())
            }
            BodyState::Disk(decoder) => decoder.put(bytes),
        }
    }
}

/// Decodes a part body, as it comes, into an unnamed file; the same bytes as the decoding of
/// a body held in memory (`parts`).
struct Decoder {
    out: BufWriter<File>,
    written: u64,
    /// Bytes of the body as sent.
    raw_len: u64,
    kind: Decoding,
}

enum Decoding {
    /// The bytes are the content.
    AsSent,
    Base64 {
        engine: Box<GeneralPurpose>,
        /// Base64 characters not decoded yet.
        characters: Vec<u8>,
        /// An `=` was met: the data has ended; the rest is ignored.
        ended: bool,
        /// Something other than base64 and white space came before the end.
        broken: bool,
    },
    QuotedPrintable {
        /// Bytes not decoded yet: decoded at line ends, where the decoding can be cut.
        pending: Vec<u8>,
    },
}

impl Decoder {
    fn new(encoding: &TransferEncoding, dir: &Path) -> io::Result<Decoder> {
        let kind = match encoding {
            TransferEncoding::Base64 => Decoding::Base64 {
                engine: Box::new(lenient_base64()),
                characters: Vec::with_capacity(DECODE_CHUNK),
                ended: false,
                broken: false,
            },
            TransferEncoding::QuotedPrintable => Decoding::QuotedPrintable {
                pending: Vec::new(),
            },
            _ => Decoding::AsSent,
        };
        Ok(Decoder {
            out: BufWriter::with_capacity(READ_BUFFER, tempfile::tempfile_in(dir)?),
            written: 0,
            raw_len: 0,
            kind,
        })
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.raw_len += bytes.len() as u64;
        match &mut self.kind {
            Decoding::AsSent => write(&mut self.out, &mut self.written, bytes),
            Decoding::Base64 {
                engine,
                characters,
                ended,
                broken,
            } => {
                if *ended || *broken {
                    return Ok(());
                }
                // The data ends at the first `=`; what follows is ignored.
                let data = match memchr::memchr(b'=', bytes) {
                    Some(at) => {
                        *ended = true;
                        &bytes[..at]
                    }
                    None => bytes,
                };
                if data.iter().all(|&b| is_base64(b)) {
                    characters.extend_from_slice(data);
                } else {
                    for &byte in data {
                        if is_base64(byte) {
                            characters.push(byte);
                        } else if !byte.is_ascii_whitespace() {
                            *broken = true;
                            break;
                        }
                    }
                }
                if characters.len() >= DECODE_CHUNK {
                    let whole = characters.len() / 4 * 4;
                    let decoded = engine
                        .decode(&characters[..whole])
                        .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?;
                    characters.drain(..whole);
                    write(&mut self.out, &mut self.written, &decoded)?;
                }
                Ok(())
            }
            Decoding::QuotedPrintable { pending } => {
                pending.extend_from_slice(bytes);
                if pending.len() >= DECODE_CHUNK {
                    let cut = quoted_printable_cut(pending);
                    let decoded = decode_quoted_printable(&pending[..cut]);
                    pending.drain(..cut);
                    write(&mut self.out, &mut self.written, &decoded)?;
                }
                Ok(())
            }
        }
    }

    /// The decoded body; `None` when its base64 is broken (it is then kept as sent).
    fn finish(mut self) -> io::Result<Option<StreamedData>> {
        match &mut self.kind {
            Decoding::AsSent => {}
            Decoding::Base64 {
                engine,
                characters,
                broken,
                ..
            } => {
                if *broken || characters.len() % 4 == 1 {
                    return Ok(None);
                }
                let decoded = engine
                    .decode(&characters[..])
                    .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?;
                write(&mut self.out, &mut self.written, &decoded)?;
            }
            Decoding::QuotedPrintable { pending } => {
                let decoded = decode_quoted_printable(pending);
                write(&mut self.out, &mut self.written, &decoded)?;
            }
        }
        let file = self
            .out
            .into_inner()
            .map_err(io::IntoInnerError::into_error)?;
        Ok(Some(StreamedData::new(Arc::new(file), 0, self.written)))
    }
}

fn write(out: &mut BufWriter<File>, written: &mut u64, bytes: &[u8]) -> io::Result<()> {
    out.write_all(bytes)?;
    *written += bytes.len() as u64;
    Ok(())
}

/// Where quoted-printable text can be cut and each piece decoded alone with the same result:
/// after the last line end. A line with no end in sight is cut where no escape (`=XX`), soft
/// break or trailing white space is split.
fn quoted_printable_cut(pending: &[u8]) -> usize {
    if let Some(newline) = memchr::memrchr(b'\n', pending) {
        return newline + 1;
    }
    let mut cut = pending.len();
    while cut > 2 {
        let last = pending[cut - 1];
        let splits_escape = pending[cut - 3..cut].contains(&b'=');
        if !splits_escape && !matches!(last, b' ' | b'\t' | b'\r') {
            return cut;
        }
        cut -= 1;
    }
    pending.len()
}

/// A message read line by line, a buffer at a time; no line is ever held whole.
struct Lines<R> {
    input: R,
    buffer: Vec<u8>,
    at: usize,
    eof: bool,
    /// Bytes taken so far.
    consumed: u64,
}

impl<R: Read> Lines<R> {
    fn new(input: R) -> Lines<R> {
        Lines {
            input,
            buffer: Vec::with_capacity(READ_BUFFER),
            at: 0,
            eof: false,
            consumed: 0,
        }
    }

    /// Makes at least `want` bytes available, unless the message ends first.
    fn fill(&mut self, want: usize) -> io::Result<()> {
        if self.buffer.len() - self.at >= want || self.eof {
            return Ok(());
        }
        self.buffer.drain(..self.at);
        self.at = 0;
        while self.buffer.len() < want.max(READ_BUFFER) && !self.eof {
            let old = self.buffer.len();
            self.buffer.resize(want.max(READ_BUFFER), 0);
            let read = self.input.read(&mut self.buffer[old..])?;
            self.buffer.truncate(old + read);
            if read == 0 {
                self.eof = true;
            }
            if self.buffer.len() >= want {
                break;
            }
        }
        Ok(())
    }

    /// The start of the next line (up to [`LINE_HEAD`] bytes, with its line end if that is
    /// within them); `None` at the end of the message.
    fn head(&mut self) -> io::Result<Option<&[u8]>> {
        self.fill(LINE_HEAD)?;
        let ahead = &self.buffer[self.at..];
        if ahead.is_empty() {
            return Ok(None);
        }
        let window = &ahead[..ahead.len().min(LINE_HEAD)];
        let end = memchr::memchr(b'\n', window).map_or(window.len(), |at| at + 1);
        Ok(Some(&window[..end]))
    }

    /// Takes the next line: gives its bytes without the line end to `put`, a piece at a time,
    /// and returns the line end (empty at the end of the message).
    fn take_line(
        &mut self,
        put: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<&'static [u8]> {
        loop {
            self.fill(2)?;
            let ahead = &self.buffer[self.at..];
            if ahead.is_empty() {
                return Ok(b"");
            }
            if let Some(newline) = memchr::memchr(b'\n', ahead) {
                let (content, eol): (&[u8], &'static [u8]) =
                    match ahead[..newline].strip_suffix(b"\r") {
                        Some(content) => (content, b"\r\n"),
                        None => (&ahead[..newline], b"\n"),
                    };
                put(content)?;
                self.advance(newline + 1);
                return Ok(eol);
            }
            // No line end in the buffer: pass it on, but a final CR may start a CRLF.
            let keep = usize::from(ahead.ends_with(b"\r") && !self.eof);
            let pass = ahead.len() - keep;
            if pass == 0 {
                self.fill(self.buffer.len() - self.at + 1)?;
                continue;
            }
            put(&ahead[..pass])?;
            self.advance(pass);
        }
    }

    /// Takes up to `len` bytes as they are into `out`; returns how many (0 at the end).
    fn take_bytes(&mut self, len: u64, out: &mut Vec<u8>) -> io::Result<u64> {
        self.fill(1)?;
        let ahead = &self.buffer[self.at..];
        let take = ahead.len().min(usize::try_from(len).unwrap_or(usize::MAX));
        out.extend_from_slice(&ahead[..take]);
        self.advance(take);
        Ok(take as u64)
    }

    fn advance(&mut self, len: usize) {
        self.at += len;
        self.consumed += len as u64;
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::super::{
        Converted, Limits, convert_bytes, convert_large, convert_skeleton, convert_with,
        duplicate_key,
    };
    use super::*;
    use crate::model::{FolderPath, Origin, RawMessage};
    use crate::pst::{AttachmentContent, Message};

    /// `bytes` as a large message in a file of its own, quoted as an mbox quotes it when
    /// `quoted`.
    fn large(bytes: &[u8], quoted: bool) -> RawMessage {
        let mut stored = Vec::new();
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            let quotes = line.iter().take_while(|&&b| b == b'>').count();
            if quoted && line[quotes..].starts_with(b"From ") {
                stored.push(b'>');
            }
            stored.extend_from_slice(line);
        }
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&stored).unwrap();
        let mut span = FileSpan::new(Arc::new(file), 0, stored.len() as u64);
        if quoted {
            span = span.mbox_quoted();
        }
        let origin = Origin::File {
            path: PathBuf::from("large.eml"),
        };
        RawMessage::large(FolderPath::root(), span, origin)
    }

    fn in_memory(bytes: &[u8]) -> RawMessage {
        RawMessage::new(
            FolderPath::root(),
            bytes.to_vec(),
            Origin::File {
                path: PathBuf::from("small.eml"),
            },
        )
    }

    /// Parts over `part` bytes are kept on disk.
    fn limits(part: usize) -> Limits<'static> {
        Limits {
            large_part: part,
            ..Limits::PST
        }
    }

    fn convert_both(bytes: &[u8], part: usize, quoted: bool) -> (Converted, Converted) {
        let normal = convert_with(&in_memory(bytes), &Limits::PST);
        let raw = large(bytes, quoted);
        let span = raw.large.clone().unwrap();
        let large = convert_large(&raw, &span, &limits(part));
        (normal, large)
    }

    /// Differences between a message converted from memory and the same message read as a
    /// large one, with the contents of streamed attachments read back. An attached message
    /// kept as a file in the large one is not compared with its conversion.
    fn differences(normal: &Message, large: &Message, place: &str, out: &mut Vec<String>) {
        let strip = |m: &Message| Message {
            attachments: Vec::new(),
            ..m.clone()
        };
        if strip(normal) != strip(large) {
            out.push(format!(
                "{place}: {:#?}\n!=\n{:#?}",
                strip(normal),
                strip(large)
            ));
        }
        if normal.attachments.len() != large.attachments.len() {
            out.push(format!(
                "{place}: {} attachments != {}",
                normal.attachments.len(),
                large.attachments.len()
            ));
            return;
        }
        for (index, (a, b)) in normal
            .attachments
            .iter()
            .zip(&large.attachments)
            .enumerate()
        {
            let place = format!("{place} attachment {index}");
            let names = (&a.filename, &a.mime_type, &a.content_id, a.hidden);
            if names != (&b.filename, &b.mime_type, &b.content_id, b.hidden) {
                out.push(format!(
                    "{place}: {names:?} != {:?}",
                    (&b.filename, &b.mime_type, &b.content_id, b.hidden)
                ));
            }
            match (&a.content, &b.content) {
                (AttachmentContent::Data(x), AttachmentContent::Data(y)) if x == y => {}
                (AttachmentContent::Data(x), AttachmentContent::Streamed(y))
                    if *x == y.to_vec().unwrap() => {}
                (AttachmentContent::Message(x), AttachmentContent::Message(y)) => {
                    differences(x, y, &place, out);
                }
                (AttachmentContent::Message(_), AttachmentContent::Streamed(_)) => {}
                _ => out.push(format!("{place}: the contents differ")),
            }
        }
    }

    const MIXED: &[u8] = b"From: a@example.com\r\nSubject: big\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\npreamble\r\n--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n--inner\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nna=C3=AFve text that is long enough to be kept on disk when parts are small=\r\n, with a soft break\r\nand a hard one\r\n--inner\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hello <b>there</b>, this HTML is long enough too</p>\r\n--inner--\r\n--outer\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\nContent-Disposition: attachment; filename=\"a.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K\r\neJwr5HIK4TI2UzA3MDA0NTFSMLKwMDE2N/JjCuHSMFIIBC0FAFqyBU8KZW5kc3Ry\r\nZWFtCmVuZG9iago=\r\n--outer\r\nContent-Type: application/octet-stream; name=raw.bin\r\nContent-Transfer-Encoding: binary\r\n\r\nFrom the start of a line\r\n>From quoted\r\nbinary \x00\x01\x02 bytes\r\n--outer\r\nContent-Type: image/png; name=broken.png\r\nContent-Transfer-Encoding: base64\r\n\r\nnot*base64*at*all\r\n--outer\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nFrom: b@example.com\r\n\r\nThe attached message's body is here and it is long too.\r\n--outer--\r\nepilogue\r\n";

    #[test]
    fn a_large_message_converts_as_it_would_from_memory() {
        for quoted in [false, true] {
            for part in [1, 40, PART_IN_MEMORY] {
                for bytes in [
                    MIXED.to_vec(),
                    MIXED.iter().copied().filter(|&b| b != b'\r').collect(),
                ] {
                    let (normal, large) = convert_both(&bytes, part, quoted);
                    let mut found = Vec::new();
                    differences(&normal.message, &large.message, "message", &mut found);
                    assert!(
                        found.is_empty(),
                        "part {part}, quoted {quoted}:\n{}",
                        found.join("\n")
                    );
                    assert_eq!(normal.degraded, large.degraded);
                }
            }
        }
    }

    #[test]
    fn kept_parts_are_on_disk_and_broken_base64_is_kept_as_sent() {
        let (normal, large) = convert_both(MIXED, 1, false);
        let streamed = large
            .message
            .attachments
            .iter()
            .filter(|a| matches!(a.content, AttachmentContent::Streamed(_)))
            .count();
        assert_eq!(
            streamed,
            large.message.attachments.len(),
            "{:?}",
            large.message.attachments
        );
        let broken = "MIME part 6 (image/png \"broken.png\"): its base64 encoding is broken; the part is kept as sent";
        assert!(
            normal.warnings.iter().any(|w| w == broken),
            "{:?}",
            normal.warnings
        );
        assert!(
            large.warnings.iter().any(|w| w == broken),
            "{:?}",
            large.warnings
        );
        assert!(
            large
                .warnings
                .iter()
                .any(|w| w.contains("an attached message of")),
            "{:?}",
            large.warnings
        );
    }

    /// The corpus's single messages, in order.
    fn corpus_messages() -> Vec<PathBuf> {
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/eml");
        let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&corpus)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .collect();
        files.sort();
        files
    }

    #[test]
    fn every_corpus_message_read_as_a_large_one_converts_as_from_memory() {
        let files = corpus_messages();
        // Read from memory, the MIME parser reads an attached message in place, and a
        // multipart left open in it runs on over the parts after it; a large message's
        // attached messages are kept whole, so those parts stay parts.
        let reads_better = ["stalwart-mail-parser/resources/eml/thirdparty/015.eml"];
        let mut failures = Vec::new();
        for file in &files {
            if reads_better.iter().any(|known| file.ends_with(known)) {
                continue;
            }
            let bytes = std::fs::read(file).unwrap();
            for quoted in [false, true] {
                let (normal, large) = convert_both(&bytes, 64, quoted);
                let mut found = Vec::new();
                differences(&normal.message, &large.message, "message", &mut found);
                if !found.is_empty() {
                    failures.push(format!("{}: {}", file.display(), found.join("; ")));
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {}:\n{}",
            failures.len(),
            files.len(),
            failures.join("\n\n")
        );
    }

    /// `lean` cuts only what the parser would read the same: with every base64 part of 64
    /// bytes or more cut, each corpus message converts as the parser alone reads it.
    #[test]
    fn every_corpus_message_with_its_base64_parts_cut_converts_as_the_parser_reads_it() {
        let files = corpus_messages();
        let mut cut = 0;
        let mut failures = Vec::new();
        for file in &files {
            let raw = in_memory(&std::fs::read(file).unwrap());
            let Some(skeleton) = super::super::lean::cut_parts_from(&raw.bytes, 64) else {
                continue;
            };
            cut += 1;
            let parser = convert_bytes(&raw, &raw.bytes, &Limits::PST);
            let lean = convert_skeleton(&raw, &skeleton, &Limits::PST);
            let mut found = Vec::new();
            differences(&parser.message, &lean.message, "message", &mut found);
            if parser.warnings != lean.warnings {
                found.push(format!("{:?} != {:?}", parser.warnings, lean.warnings));
            }
            if !found.is_empty() {
                failures.push(format!("{}: {}", file.display(), found.join("; ")));
            }
        }
        assert!(cut >= 50, "only {cut} of {} messages were cut", files.len());
        assert!(
            failures.is_empty(),
            "{} of {cut}:\n{}",
            failures.len(),
            failures.join("\n\n")
        );
    }

    #[test]
    fn a_header_that_does_not_end_keeps_the_message_as_an_attachment() {
        let mut bytes = b"Subject: no end\r\n".to_vec();
        bytes.extend(std::iter::repeat_n(b"X-Filler: x\r\n".as_slice(), 100_000).flatten());
        let raw = large(&bytes, false);
        let span = raw.large.clone().unwrap();
        let converted = convert_large(&raw, &span, &limits(64));
        assert!(converted.degraded);
        let [attachment] = &converted.message.attachments[..] else {
            panic!("{:?}", converted.message.attachments);
        };
        let AttachmentContent::Streamed(data) = &attachment.content else {
            panic!("not streamed");
        };
        assert_eq!(data.to_vec().unwrap(), bytes);
    }

    #[test]
    fn a_header_without_a_blank_line_and_a_message_without_a_header_are_framed_as_in_memory() {
        let unterminated: &[u8] = b"Subject: no blank line\r\nFrom: a@example.com\r\nThis line is the body\r\nand so is this one\r\n";
        let no_header: &[u8] =
            b"A digest's preamble saved on its own\r\n\r\nhas no header at all\r\n";
        for (bytes, body) in [
            (unterminated, "This line is the body"),
            (no_header, "has no header at all"),
        ] {
            for quoted in [false, true] {
                let (normal, large) = convert_both(bytes, 1, quoted);
                let mut found = Vec::new();
                differences(&normal.message, &large.message, "message", &mut found);
                assert!(found.is_empty(), "{}", found.join("\n"));
                assert!(!large.degraded);
                let text = large.message.body_text.unwrap_or_default();
                assert!(text.contains(body), "{text:?}");
            }
        }
    }

    #[test]
    fn a_large_message_has_the_duplicate_key_it_would_have_in_memory() {
        for bytes in [MIXED.to_vec(), b"Subject: x\n\nbody  \r\n\r\n \t".to_vec()] {
            assert_eq!(
                duplicate_key(&large(&bytes, true)),
                duplicate_key(&in_memory(&bytes))
            );
        }
    }
}
