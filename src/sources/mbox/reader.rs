//! Our own streaming mbox reader.
//!
//! [`MboxReader`] splits any byte stream into messages with flat memory: it holds one window of
//! the file (a few hundred KB) and the message being read, nothing else. The rules, chosen to
//! lose nothing on the files people really have (see `docs/formats.md` §2.7 and §4):
//!
//! * A message starts at a line that begins with `From ` (the "From_ line"). The first one of
//!   the file is always taken; later ones only when the two lines after them look like header
//!   fields (printable field-name characters, then `:`), as Thunderbird's
//!   `IsReallyReallyFromLine` checks. A body line `From here on…` that a writer forgot to
//!   escape therefore stays in its message. No blank line is needed before a separator (GNU
//!   Mailutils writes one right after a closing MIME boundary); when there is one, it belongs
//!   to the separator and is removed from the message, and so is one blank line at the end of
//!   the file.
//! * Escaping: every line matching `^>+From ` loses one `>` (mboxrd). For mboxo files this is
//!   ambiguous — an original `>From ` line (rare: quoted text whose quote mark touches the
//!   word) comes out as `From `, one character lost — while the far more common escaped
//!   `>From ` comes back right. Thunderbird 128 and later read their files the same way.
//!   Space-escaped lines (` From `, older Thunderbird) are body text and stay as they are.
//! * `Content-Length:` (mboxcl, mboxcl2) is a hint, never trusted on its own: when a
//!   separator-looking line falls inside the body the header claims, the reader looks at the
//!   place where the body would end; only if a From_ line (or the end of the file) is exactly
//!   there does the line count as body text. A wrong length changes nothing.
//! * Line endings are kept as stored (LF, CRLF or a mix); the From_ line's own ending is
//!   removed with it. A UTF-8 byte-order mark at the start of the file and blank lines before
//!   the first From_ line are skipped.
//! * An empty file holds no messages. Text before the first From_ line is reported through
//!   [`MboxReader::leading_garbage`]; a file with no From_ line at all yields one
//!   [`NotAnMbox`] error.

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use memchr::{memchr, memmem, memrchr};

use crate::model::{FileSpan, LARGE_MESSAGE};

use super::from_line::parse_from_line_date;

/// Bytes asked of the source per read.
pub(super) const READ_SIZE: usize = 256 * 1024;

/// The window's usual size: one read plus room to look ahead without moving bytes each time.
pub(super) const WINDOW_SIZE: usize = 2 * READ_SIZE;

/// How far past the start of a `From ` line the separator check looks for header lines. Lines
/// longer than this get the benefit of the doubt, as in Thunderbird.
pub(super) const CHECK_LOOKAHEAD: usize = 16 * 1024;

/// The longest From_ line kept in an entry; the rest of a longer one is skipped.
pub(super) const FROM_LINE_MAX: usize = 16 * 1024;

/// How far the window may grow to check a `Content-Length` hint; beyond that the hint is not
/// used and the separator check alone decides.
pub(super) const HINT_LOOKAHEAD_MAX: usize = 8 * 1024 * 1024;

/// How much of leading garbage is quoted in reports.
pub(super) const SAMPLE_LEN: usize = 60;

pub(super) const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// One message of an mbox file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MboxEntry {
    /// Byte offset of the message's From_ line from the start of the file (or from where the
    /// reader was told the stream starts, see [`MboxReader::starting_at`]).
    pub offset: u64,
    /// The From_ line as stored, `From ` included, its line ending removed. Not always UTF-8.
    /// Cut at 16 KiB.
    pub from_line: Vec<u8>,
    /// The From_ line's date as Unix seconds, when it has one we can read
    /// ([`parse_from_line_date`]).
    pub received: Option<i64>,
    /// The message (RFC 5322) with its mbox escaping removed and its line endings as stored.
    /// Empty for a large message.
    pub bytes: Vec<u8>,
    /// A message of [`LARGE_MESSAGE`] bytes or more is not copied: this is where it lies in
    /// the stream, escaping included (offsets as [`MboxEntry::offset`] counts them).
    pub large: Option<Range<u64>>,
}

/// How much of a large message is read for a look at its header.
pub(super) const HEAD_LEN: u64 = 64 * 1024;

impl MboxEntry {
    /// A large entry of the file at `path` as a span of that file (opened again, read-only),
    /// read with its escaping undone; `None` for an entry held in `bytes`.
    pub fn span_in(&self, path: &Path) -> io::Result<Option<FileSpan>> {
        let Some(range) = &self.large else {
            return Ok(None);
        };
        let file = Arc::new(File::open(path)?);
        let span = FileSpan::new(file, range.start, range.end.saturating_sub(range.start));
        Ok(Some(span.mbox_quoted()))
    }

    /// The message's start, enough for its header fields: `bytes`, or a large message's first
    /// 64 KiB from `span`.
    pub fn header_bytes<'a>(&'a self, span: Option<&FileSpan>) -> io::Result<Cow<'a, [u8]>> {
        match span {
            Some(span) => Ok(Cow::Owned(span.head(HEAD_LEN)?)),
            None => Ok(Cow::Borrowed(&self.bytes)),
        }
    }
}

/// Text before the first From_ line of a file: not a message, but not to be dropped silently.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeadingGarbage {
    /// Where it starts (after a byte-order mark and blank lines).
    pub offset: u64,
    /// How many bytes it spans, up to the first From_ line or the end of the file.
    pub len: u64,
    /// Its first characters, for a report.
    pub sample: String,
}

impl fmt::Display for LeadingGarbage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} bytes before the first `From ` line, starting “{}”",
            self.len, self.sample
        )
    }
}

/// The error a reader yields for a stream that holds text but no From_ line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotAnMbox(pub LeadingGarbage);

impl fmt::Display for NotAnMbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not an mbox file: no `From ` separator line in {} bytes (it starts “{}”)",
            self.0.len, self.0.sample
        )
    }
}

impl std::error::Error for NotAnMbox {}

impl NotAnMbox {
    /// The `NotAnMbox` inside an I/O error the reader returned, if that is what it is.
    pub fn from_io(error: &io::Error) -> Option<&NotAnMbox> {
        error.get_ref()?.downcast_ref::<NotAnMbox>()
    }
}

/// Splits a byte stream into mbox messages, one [`MboxEntry`] per message, streaming.
///
/// ```
/// use mail2pst::sources::mbox::MboxReader;
/// let mbox = b"From a@example.com Tue Oct  2 00:26:47 2007\nSubject: hi\nTo: b@example.com\n\n>From me\n\n";
/// let entries: Vec<_> = MboxReader::new(&mbox[..]).collect::<Result<_, _>>().unwrap();
/// assert_eq!(entries[0].bytes, b"Subject: hi\nTo: b@example.com\n\nFrom me\n");
/// assert_eq!(entries[0].received, Some(1_191_284_807));
/// ```
///
/// The source needs no `BufReader`: the reader keeps its own large window and asks the source
/// for big reads (a `BufReader` passes those through unbuffered). Memory stays flat whatever
/// the file's size: the window (512 KiB, growing to at most 8 MiB while a `Content-Length`
/// hint is checked) plus the current message. After an error the reader yields nothing more.
pub struct MboxReader<R> {
    window: Window<R>,
    from_finder: memmem::Finder<'static>,
    state: State,
    /// True when the window's first byte starts a line.
    at_line_start: bool,
    garbage: Option<LeadingGarbage>,
    largest_message: usize,
    /// Messages this large are not copied (see [`MboxEntry::large`]).
    large_message: usize,
}

impl<R> fmt::Debug for MboxReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MboxReader")
            .field("offset", &self.window.offset())
            .field("state", &self.state)
            .field("leading_garbage", &self.garbage)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    /// Nothing read yet.
    Start,
    /// The window starts with the From_ line of the next message.
    AtSeparator,
    Done,
}

/// Where the scan of a message stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum End {
    /// At the From_ line of the next message (the window starts with it).
    Separator,
    Eof,
}

/// What a message's `Content-Length` says about where its body ends (an absolute offset).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Hint {
    None,
    Unchecked(u64),
    /// A From_ line or the end of the file is exactly there.
    Confirmed(u64),
    Refuted,
}

impl<R: Read> MboxReader<R> {
    /// A reader over a whole file or stream; offsets count from its first byte.
    pub fn new(source: R) -> Self {
        Self::starting_at(source, 0)
    }

    /// A reader over a stream that starts `offset` bytes into its file (e.g. a file seeked to
    /// a message's From_ line), so that entry offsets are the file's. A byte-order mark is
    /// only looked for at offset 0.
    pub fn starting_at(source: R, offset: u64) -> Self {
        MboxReader {
            window: Window::new(source, offset),
            from_finder: memmem::Finder::new(b"From "),
            state: State::Start,
            at_line_start: true,
            garbage: None,
            largest_message: 0,
            large_message: usize::try_from(LARGE_MESSAGE).unwrap_or(usize::MAX),
        }
    }

    /// Text found before the first From_ line, once the reader has got past it (after the
    /// first call to `next`, [`skip_message`](Self::skip_message) or
    /// [`count_messages`](Self::count_messages)).
    pub fn leading_garbage(&self) -> Option<&LeadingGarbage> {
        self.garbage.as_ref()
    }

    /// Moves past the next message without copying it, by the same rules as `next`, and
    /// returns the offset of its From_ line. `None` at the end.
    pub fn skip_message(&mut self) -> Option<io::Result<u64>> {
        self.read_entry(false)
            .map(|entry| entry.map(|entry| entry.offset))
    }

    /// Counts the remaining messages without copying them.
    pub fn count_messages(&mut self) -> io::Result<u64> {
        let mut count = 0;
        while let Some(entry) = self.skip_message() {
            entry?;
            count += 1;
        }
        Ok(count)
    }

    /// The most memory the reader has held at once for its window and one message, in bytes.
    pub fn peak_buffer_bytes(&self) -> usize {
        self.window.largest + self.largest_message
    }

    /// How far into the stream the reader has got (an offset, as entry offsets are), for
    /// progress reports.
    pub fn position(&self) -> u64 {
        self.window.offset()
    }

    pub(super) fn read_entry(&mut self, copy: bool) -> Option<io::Result<MboxEntry>> {
        let result = self.try_read_entry(copy);
        if result.is_err() {
            self.state = State::Done;
        }
        result.transpose()
    }

    pub(super) fn try_read_entry(&mut self, copy: bool) -> io::Result<Option<MboxEntry>> {
        if self.state == State::Start {
            self.start()?;
        }
        if self.state == State::Done {
            return Ok(None);
        }
        let offset = self.window.offset();
        let from_line = self.take_from_line()?;
        let start = self.window.offset();
        let mut bytes = Vec::new();
        let mut sink = Sink::new(copy.then_some(&mut bytes), self.large_message);
        let end = self.scan(&mut sink, true, true)?;
        let large = sink
            .overflowed
            .then(|| start..self.window.offset() - sink.stripped as u64);
        self.state = match end {
            End::Separator => State::AtSeparator,
            End::Eof => State::Done,
        };
        self.largest_message = self.largest_message.max(bytes.capacity());
        // Grown by doubling, a large message's buffer can be a quarter larger than the message;
        // the message is held while it is converted and checked, its slack with it.
        if bytes.capacity() - bytes.len() > bytes.len() / 8 {
            bytes.shrink_to_fit();
        }
        self.window.shrink();
        Ok(Some(MboxEntry {
            offset,
            received: parse_from_line_date(&from_line),
            from_line,
            bytes,
            large,
        }))
    }

    /// Messages of `bytes` or more are not copied but given as [`MboxEntry::large`]
    /// ([`LARGE_MESSAGE`] unless changed).
    pub fn with_large_message(mut self, bytes: u64) -> Self {
        self.large_message = usize::try_from(bytes).unwrap_or(usize::MAX);
        self
    }

    /// Gets past a byte-order mark, blank lines and any garbage to the first From_ line.
    pub(super) fn start(&mut self) -> io::Result<()> {
        self.state = State::Done;
        self.window.fill(UTF8_BOM.len())?;
        if self.window.offset() == 0 && self.window.avail().starts_with(UTF8_BOM) {
            self.window.consume(UTF8_BOM.len());
        }
        // True once part of a (very long) whitespace line has been consumed: what follows is
        // not at the start of a line.
        let mut mid_line = false;
        loop {
            self.window.fill(1)?;
            let data = self.window.avail();
            if data.is_empty() {
                return Ok(());
            }
            let newline = memchr(b'\n', data);
            if newline.is_none() && !self.window.eof && data.len() < READ_SIZE {
                self.window.fill(data.len() + 1)?;
                continue;
            }
            let line_len = newline.map_or(data.len(), |i| i + 1);
            if !data[..line_len].iter().all(u8::is_ascii_whitespace) {
                break;
            }
            mid_line = newline.is_none();
            self.window.consume(line_len);
        }
        self.window.fill(SAMPLE_LEN)?;
        if mid_line || !self.window.avail().starts_with(b"From ") {
            let offset = self.window.offset();
            let data = self.window.avail();
            let first_line = &data[..memchr(b'\n', data).unwrap_or(data.len())];
            let sample = sample_of(first_line);
            let end = self.scan(&mut Sink::new(None, usize::MAX), false, !mid_line)?;
            let garbage = LeadingGarbage {
                offset,
                len: self.window.offset() - offset,
                sample,
            };
            self.garbage = Some(garbage.clone());
            if end == End::Eof {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    NotAnMbox(garbage),
                ));
            }
        }
        self.state = State::AtSeparator;
        Ok(())
    }

    /// Consumes the From_ line the window starts with and returns it without its line ending.
    pub(super) fn take_from_line(&mut self) -> io::Result<Vec<u8>> {
        let mut kept: Option<Vec<u8>> = None;
        loop {
            let data = self.window.avail();
            let found = memchr(b'\n', data);
            if found.is_some() || self.window.eof || data.len() >= FROM_LINE_MAX {
                let line_len = found.unwrap_or(data.len());
                let line = kept.get_or_insert_with(|| data[..line_len.min(FROM_LINE_MAX)].to_vec());
                if found.is_some() || self.window.eof {
                    let mut line = std::mem::take(line);
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    self.window.consume(found.map_or(data.len(), |i| i + 1));
                    return Ok(line);
                }
                // A From_ line longer than we keep: skip the rest of it.
                self.window.consume(data.len());
            }
            self.window.fill(self.window.len() + 1)?;
        }
    }

    /// Reads one message (or leading garbage) up to the next separator or the end of the
    /// stream, putting its unescaped bytes into `sink`. The From_ line is already consumed.
    pub(super) fn scan(
        &mut self,
        sink: &mut Sink<'_>,
        header_first: bool,
        at_line_start: bool,
    ) -> io::Result<End> {
        let mut in_header = header_first;
        let mut content_length: Option<u64> = None;
        let mut hint = Hint::None;
        // Where the search for `From ` resumes, relative to the window's start.
        let mut search_from = 0;
        self.at_line_start = at_line_start;
        loop {
            if self.window.len() <= search_from {
                if self.window.eof {
                    sink.put(self.window.avail());
                    self.window.consume(self.window.len());
                    sink.strip_trailing_blank_line();
                    return Ok(End::Eof);
                }
                self.window.fill(search_from + 1)?;
                continue;
            }
            if in_header {
                // Header lines are taken one by one: the block is short and each line needs a
                // look (blank line, From_ line, escape, Content-Length).
                let data = self.window.avail();
                let newline = memchr(b'\n', data);
                if newline.is_none() && !self.window.eof && data.len() < 256 {
                    self.window.fill(256)?;
                    continue;
                }
                let line_len = newline.map_or(data.len(), |i| i + 1);
                let line = &data[..line_len];
                let mut skip = 0;
                if self.at_line_start {
                    if is_blank_line(line) {
                        in_header = false;
                        let body_start = self.window.offset() + line_len as u64;
                        if let Some(end) = content_length.and_then(|l| body_start.checked_add(l)) {
                            hint = Hint::Unchecked(end);
                        }
                    } else if line.starts_with(b"From ") {
                        if data.len() < CHECK_LOOKAHEAD && !self.window.eof {
                            self.window.fill(CHECK_LOOKAHEAD)?;
                            continue;
                        }
                        if looks_like_separator(data, self.window.eof) {
                            sink.strip_trailing_blank_line();
                            return Ok(End::Separator);
                        }
                    } else if is_escaped_from_line(line) {
                        skip = 1;
                    } else if content_length.is_none() && newline.is_some() {
                        content_length = content_length_value(line);
                    }
                }
                sink.put(&line[skip..]);
                self.window.consume(line_len);
                self.at_line_start = newline.is_some();
                continue;
            }

            // The body: jump from one `From ` to the next, passing whole stretches through.
            let data = self.window.avail();
            let Some(at) = self
                .from_finder
                .find(&data[search_from..])
                .map(|i| i + search_from)
            else {
                if self.window.eof {
                    search_from = data.len();
                    continue;
                }
                // Pass the complete lines on; keep the last, partial one, which may yet turn
                // into a `From ` line when more bytes arrive.
                let keep_from = match memrchr(b'\n', data) {
                    Some(i) => i + 1,
                    // A line longer than the window: no line starts inside it.
                    None if data.len() >= READ_SIZE => data.len(),
                    None => 0,
                };
                sink.put(&data[..keep_from]);
                if keep_from > 0 {
                    self.at_line_start = data[keep_from - 1] == b'\n';
                }
                self.window.consume(keep_from);
                let left = self.window.len();
                search_from = left.saturating_sub(b"From".len());
                self.window.fill(left + 1)?;
                continue;
            };
            let line_start = data[..at]
                .iter()
                .rposition(|&b| b != b'>')
                .map_or(0, |i| i + 1);
            let starts_line = if line_start == 0 {
                self.at_line_start
            } else {
                data[line_start - 1] == b'\n'
            };
            if !starts_line {
                search_from = at + 1;
                continue;
            }
            if line_start < at {
                // `>From `, `>>From `…: drop one `>`.
                sink.put(&data[..line_start]);
                self.window.consume(line_start + 1);
                self.at_line_start = false;
                search_from = at - line_start;
                continue;
            }
            if data.len() - at < CHECK_LOOKAHEAD && !self.window.eof {
                sink.put(&data[..at]);
                self.window.consume(at);
                self.at_line_start = true;
                search_from = 0;
                self.window.fill(CHECK_LOOKAHEAD)?;
                continue;
            }
            if looks_like_separator(&data[at..], self.window.eof)
                && !self.hint_covers(at, &mut hint)?
            {
                sink.put(&self.window.avail()[..at]);
                self.window.consume(at);
                sink.strip_trailing_blank_line();
                return Ok(End::Separator);
            }
            search_from = at + 1;
        }
    }

    /// Whether the body length a `Content-Length` header gave reaches past the separator-looking
    /// line at `at` (relative to the window) — checked once per message, by looking for a From_
    /// line or the end of the file exactly where the body would end.
    pub(super) fn hint_covers(&mut self, at: usize, hint: &mut Hint) -> io::Result<bool> {
        let here = self.window.offset() + at as u64;
        let end = match *hint {
            Hint::None | Hint::Refuted => return Ok(false),
            Hint::Confirmed(end) => return Ok(here < end),
            Hint::Unchecked(end) => end,
        };
        if here >= end {
            return Ok(false);
        }
        let Ok(relative) = usize::try_from(end - self.window.offset()) else {
            *hint = Hint::Refuted;
            return Ok(false);
        };
        let need = relative + b"\r\nFrom ".len();
        if need > HINT_LOOKAHEAD_MAX {
            *hint = Hint::Refuted;
            return Ok(false);
        }
        self.window.fill(need)?;
        let data = self.window.avail();
        let confirmed = data.get(relative..).is_some_and(|rest| {
            let at_line_start = data.get(relative - 1) == Some(&b'\n');
            let rest = rest
                .strip_prefix(b"\r\n")
                .or_else(|| rest.strip_prefix(b"\n"))
                .unwrap_or(rest);
            at_line_start && (rest.starts_with(b"From ") || (rest.is_empty() && self.window.eof))
        });
        *hint = if confirmed {
            Hint::Confirmed(end)
        } else {
            Hint::Refuted
        };
        Ok(confirmed)
    }
}

impl<R: Read> Iterator for MboxReader<R> {
    type Item = io::Result<MboxEntry>;

    fn next(&mut self) -> Option<Self::Item> {
        self.read_entry(true)
    }
}

/// Where the bytes of a message go: a buffer, or nowhere when only counting. A message that
/// grows past `limit` bytes is not kept: the buffer is emptied, and only its last bytes are
/// watched, for the blank line that ends it.
/// The size from which a message's buffer grows by a quarter at a time.
const QUARTER_GROWTH_FROM: usize = 8 * 1024 * 1024;

pub(super) struct Sink<'a> {
    buffer: Option<&'a mut Vec<u8>>,
    limit: usize,
    /// The message grew past `limit`.
    overflowed: bool,
    /// Bytes put so far, and the last three of them.
    len: usize,
    tail: [u8; 3],
    /// Bytes taken off the end as the separator's blank line.
    stripped: usize,
}

impl<'a> Sink<'a> {
    pub(super) fn new(buffer: Option<&'a mut Vec<u8>>, limit: usize) -> Sink<'a> {
        Sink {
            buffer,
            limit,
            overflowed: false,
            len: 0,
            tail: [0; 3],
            stripped: 0,
        }
    }

    pub(super) fn put(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.len += bytes.len();
        for &byte in bytes.iter().rev().take(3).rev() {
            self.tail.rotate_left(1);
            self.tail[2] = byte;
        }
        let Some(buffer) = self.buffer.as_deref_mut() else {
            return;
        };
        if self.overflowed {
            return;
        }
        if buffer.len() + bytes.len() >= self.limit {
            self.overflowed = true;
            *buffer = Vec::new();
            return;
        }
        // Past a few megabytes the buffer grows by a quarter, not by doubling: a message of
        // 20 MB would otherwise be read into 32 MB or more.
        if buffer.capacity() - buffer.len() < bytes.len() && buffer.len() >= QUARTER_GROWTH_FROM {
            buffer.reserve_exact(bytes.len().max(buffer.len() / 4));
        }
        buffer.extend_from_slice(bytes);
    }

    /// Drops the blank line that belongs to the separator (or ends the file).
    pub(super) fn strip_trailing_blank_line(&mut self) {
        let tail = &self.tail[3 - self.len.min(3)..];
        let blank = if tail.ends_with(b"\r\n") && (self.len == 2 || tail.ends_with(b"\n\r\n")) {
            2
        } else if tail.ends_with(b"\n") && (self.len == 1 || tail.ends_with(b"\n\n")) {
            1
        } else {
            0
        };
        self.stripped = blank;
        if let Some(buffer) = self.buffer.as_deref_mut()
            && !self.overflowed
        {
            buffer.truncate(buffer.len().saturating_sub(blank));
        }
    }
}

/// The part of the stream the reader is looking at.
pub(super) struct Window<R> {
    source: R,
    buf: Vec<u8>,
    head: usize,
    tail: usize,
    /// The stream offset of `buf[0]`.
    base: u64,
    eof: bool,
    /// The largest size `buf` has had.
    largest: usize,
}

impl<R: Read> Window<R> {
    pub(super) fn new(source: R, base: u64) -> Self {
        Window {
            source,
            buf: vec![0; WINDOW_SIZE],
            head: 0,
            tail: 0,
            base,
            eof: false,
            largest: WINDOW_SIZE,
        }
    }

    /// Reads until at least `want` bytes are available or the stream ends. The window grows
    /// only when `want` is larger than it; callers bound `want`.
    pub(super) fn fill(&mut self, want: usize) -> io::Result<()> {
        while self.len() < want && !self.eof {
            if self.head > 0
                && (self.buf.len() - self.tail < READ_SIZE || self.head + want > self.buf.len())
            {
                self.buf.copy_within(self.head..self.tail, 0);
                self.base += self.head as u64;
                self.tail -= self.head;
                self.head = 0;
            }
            if want > self.buf.len() {
                self.buf.resize(want, 0);
                self.largest = self.largest.max(self.buf.len());
            }
            let read = loop {
                match self.source.read(&mut self.buf[self.tail..]) {
                    Ok(read) => break read,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            };
            if read == 0 {
                self.eof = true;
            }
            self.tail += read;
        }
        Ok(())
    }

    /// Gives back memory a `Content-Length` check made the window take.
    pub(super) fn shrink(&mut self) {
        if self.buf.len() > WINDOW_SIZE && self.len() <= WINDOW_SIZE / 2 {
            self.buf.copy_within(self.head..self.tail, 0);
            self.base += self.head as u64;
            self.tail -= self.head;
            self.head = 0;
            self.buf.truncate(WINDOW_SIZE);
            self.buf.shrink_to_fit();
        }
    }
}

impl<R> Window<R> {
    pub(super) fn avail(&self) -> &[u8] {
        &self.buf[self.head..self.tail]
    }

    pub(super) fn len(&self) -> usize {
        self.tail - self.head
    }

    pub(super) fn offset(&self) -> u64 {
        self.base + self.head as u64
    }

    pub(super) fn consume(&mut self, n: usize) {
        self.head += n.min(self.len());
    }
}

/// Thunderbird's check that a `From ` line is a real separator: the two lines after it must
/// look like header fields (folded continuation lines allowed). `data` starts with the `From `
/// line; when it runs out before the check can decide, the line gets the benefit of the doubt
/// — except when `data` is all that is left of the stream and nothing follows the `From `
/// line: a `From ` line that ends the file is text, not the start of an empty message.
pub(super) fn looks_like_separator(data: &[u8], ends_stream: bool) -> bool {
    let Some(end_of_from_line) = memchr(b'\n', data) else {
        return !ends_stream;
    };
    let mut rest = &data[end_of_from_line + 1..];
    if rest.is_empty() {
        return !ends_stream;
    }
    for _ in 0..2 {
        let Some(name_len) = rest.iter().position(|&b| !is_field_name_byte(b)) else {
            return true;
        };
        if name_len == 0 || rest[name_len] != b':' {
            return false;
        }
        loop {
            let Some(end_of_line) = memchr(b'\n', rest) else {
                return true;
            };
            rest = &rest[end_of_line + 1..];
            match rest.first() {
                None => return true,
                Some(b' ' | b'\t') => {}
                Some(_) => break,
            }
        }
    }
    true
}

/// RFC 5322 field names: printable US-ASCII except `:`.
pub(super) fn is_field_name_byte(b: u8) -> bool {
    (33..=126).contains(&b) && b != b':'
}

pub(super) fn is_blank_line(line: &[u8]) -> bool {
    line == b"\n" || line == b"\r\n"
}

/// `>From `, `>>From `… at the start of `line`.
pub(super) fn is_escaped_from_line(line: &[u8]) -> bool {
    let quotes = line.iter().take_while(|&&b| b == b'>').count();
    quotes > 0 && line[quotes..].starts_with(b"From ")
}

/// The value of a `Content-Length:` header line.
pub(super) fn content_length_value(line: &[u8]) -> Option<u64> {
    const NAME: &[u8] = b"content-length:";
    let head = line.get(..NAME.len())?;
    if !head.eq_ignore_ascii_case(NAME) {
        return None;
    }
    let value = line[NAME.len()..].trim_ascii();
    if value.is_empty() || value.len() > 19 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(value).ok()?.parse().ok()
}

pub(super) fn sample_of(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(SAMPLE_LEN)]);
    text.trim_end()
        .chars()
        .filter(|c| !c.is_control())
        .collect()
}

/// True when `head` (the first bytes of a file) starts like an mbox: after a byte-order mark
/// and blank lines, the first line begins with `From `.
pub fn looks_like_mbox_start(head: &[u8]) -> bool {
    let head = head.strip_prefix(UTF8_BOM).unwrap_or(head);
    let first = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&[][..], |i| &head[i..]);
    // A first line of spaces followed by `From ` is not a From_ line.
    let line_start = head.len() - first.len();
    let at_line_start = line_start == 0 || head[line_start - 1] == b'\n';
    at_line_start && first.starts_with(b"From ")
}

/// Writes messages as mboxrd: a From_ line, the message with `^>*From ` lines escaped by one
/// more `>`, and a blank line. The inverse of [`MboxReader`] for messages that end with a line
/// ending and start with at least two header lines; tests and benchmarks use it.
pub fn write_mboxrd(out: &mut Vec<u8>, from_line: &[u8], message: &[u8]) {
    out.extend_from_slice(from_line);
    out.push(b'\n');
    for line in message.split_inclusive(|&b| b == b'\n') {
        if is_escaped_from_line(line) || line.starts_with(b"From ") {
            out.push(b'>');
        }
        out.extend_from_slice(line);
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn split(mbox: &[u8]) -> Vec<Vec<u8>> {
        MboxReader::new(mbox)
            .map(|entry| entry.unwrap().bytes)
            .collect()
    }

    /// A reader whose source hands out at most `step` bytes per read, to cross every window
    /// boundary.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    const HEADERS: &str = "From: a@example.com\nSubject: s\n\n";

    #[test]
    fn splits_on_from_lines_followed_by_headers() {
        let mbox = format!(
            "From a Tue Oct  2 00:26:47 2007\n{HEADERS}one\n\nFrom b Tue Oct  2 00:26:47 2007\n{HEADERS}two\n"
        );
        assert_eq!(
            split(mbox.as_bytes()),
            [
                format!("{HEADERS}one\n").into_bytes(),
                format!("{HEADERS}two\n").into_bytes()
            ]
        );
    }

    #[test]
    fn body_from_line_without_headers_after_it_stays_in_the_message() {
        let body = "From here on, nothing.\nReally.\n";
        let mbox = format!("From a\n{HEADERS}{body}");
        assert_eq!(
            split(mbox.as_bytes()),
            [format!("{HEADERS}{body}").into_bytes()]
        );
    }

    #[test]
    fn separator_without_a_blank_line_before_it() {
        let mbox = format!("From a\n{HEADERS}--b--\nFrom b\n{HEADERS}two\n");
        assert_eq!(
            split(mbox.as_bytes()),
            [
                format!("{HEADERS}--b--\n").into_bytes(),
                format!("{HEADERS}two\n").into_bytes()
            ]
        );
    }

    #[test]
    fn mboxrd_unescaping_removes_one_quote() {
        let mbox = format!("From a\n{HEADERS}>From x\n>>From y\n>Fromage\n > From z\nnot >From\n");
        assert_eq!(
            split(mbox.as_bytes()),
            [format!("{HEADERS}From x\n>From y\n>Fromage\n > From z\nnot >From\n").into_bytes()]
        );
    }

    #[test]
    fn escaped_line_in_the_header_block_is_unescaped() {
        let mbox = b"From a\nX-A: 1\n>From b\nX-B: 2\n\nbody\n";
        assert_eq!(split(mbox), [b"X-A: 1\nFrom b\nX-B: 2\n\nbody\n".to_vec()]);
    }

    #[test]
    fn crlf_is_kept_and_the_separator_blank_line_removed() {
        let mbox =
            b"From a\r\nA: 1\r\nB: 2\r\n\r\nbody\r\n\r\nFrom b\r\nA: 1\r\nB: 2\r\n\r\ntwo\r\n\r\n";
        assert_eq!(
            split(mbox),
            [
                b"A: 1\r\nB: 2\r\n\r\nbody\r\n".to_vec(),
                b"A: 1\r\nB: 2\r\n\r\ntwo\r\n".to_vec()
            ]
        );
    }

    #[test]
    fn offsets_and_from_lines() {
        let mbox = b"\xEF\xBB\xBF\nFrom a Tue Oct  2 00:26:47 2007\r\nA: 1\nB: 2\n\nx\n\nFrom \xff\nA: 1\nB: 2\n\ny\n";
        let entries: Vec<MboxEntry> = MboxReader::new(&mbox[..]).map(Result::unwrap).collect();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].offset, 4);
        assert_eq!(entries[0].from_line, b"From a Tue Oct  2 00:26:47 2007");
        assert_eq!(entries[0].received, Some(1_191_284_807));
        assert_eq!(&mbox[entries[1].offset as usize..][..6], b"From \xff");
        assert_eq!(entries[1].from_line, b"From \xff");
        assert_eq!(entries[1].received, None);
    }

    #[test]
    fn empty_and_blank_streams_hold_no_messages() {
        assert!(split(b"").is_empty());
        assert!(split(b"\n\r\n  \n").is_empty());
        assert!(split(UTF8_BOM).is_empty());
    }

    #[test]
    fn text_without_from_lines_is_not_an_mbox() {
        let mut reader = MboxReader::new(&b"Subject: hi\n\nbody\n"[..]);
        let error = reader.next().unwrap().unwrap_err();
        let not_an_mbox = NotAnMbox::from_io(&error).unwrap();
        assert_eq!(not_an_mbox.0.len, 18);
        assert_eq!(not_an_mbox.0.sample, "Subject: hi");
        assert!(reader.next().is_none());
    }

    #[test]
    fn leading_garbage_is_reported_and_skipped() {
        let mbox = format!("junk\nmore junk\nFrom a\n{HEADERS}one\n");
        let mut reader = MboxReader::new(mbox.as_bytes());
        assert_eq!(reader.leading_garbage(), None);
        let entry = reader.next().unwrap().unwrap();
        assert_eq!(entry.bytes, format!("{HEADERS}one\n").into_bytes());
        assert_eq!(entry.offset, 15);
        let garbage = reader.leading_garbage().unwrap();
        assert_eq!(
            (garbage.offset, garbage.len, garbage.sample.as_str()),
            (0, 15, "junk")
        );
    }

    #[test]
    fn last_message_without_a_final_newline() {
        assert_eq!(
            split(b"From a\nA: 1\nB: 2\n\nend"),
            [b"A: 1\nB: 2\n\nend".to_vec()]
        );
    }

    #[test]
    fn from_inside_a_line_longer_than_the_window_does_not_split() {
        // Wherever the window happens to cut the long line, the `From ` that ends it is not at
        // the start of a line.
        let header = "From a\nA: 1\nB: 2\n\n";
        let separator = "From b\nA: 1\nB: 2\n\nbody\n";
        for len in WINDOW_SIZE - header.len() - 40..WINDOW_SIZE - header.len() + 40 {
            let mbox = format!("{header}{}{separator}", "x".repeat(len));
            let mut reader = MboxReader::new(mbox.as_bytes());
            assert_eq!(reader.count_messages().unwrap(), 1, "line of {len} bytes");
        }
        let mbox = format!("{header}{}\n{separator}", "x".repeat(WINDOW_SIZE + 10));
        assert_eq!(split(mbox.as_bytes()).len(), 2);
    }

    #[test]
    fn from_line_ending_the_file_is_text() {
        for tail in ["From z\n", "From z"] {
            let mbox = format!("From a\n{HEADERS}one\n\n{tail}");
            assert_eq!(
                split(mbox.as_bytes()),
                [format!("{HEADERS}one\n\n{tail}").into_bytes()]
            );
        }
        // The first From_ line of a file is always a separator, even with nothing after it.
        assert_eq!(split(b"From a\n"), [Vec::<u8>::new()]);
    }

    #[test]
    fn content_length_hint_keeps_a_header_like_body_in_its_message() {
        let body = "From x Tue Oct  2 00:26:47 2007\nFrom: y\nTo: z\n\nforwarded\n";
        let message = format!("Content-Length: {}\nSubject: s\n\n{body}", body.len());
        let mbox = format!("From a\n{message}\nFrom b\n{HEADERS}two\n");
        assert_eq!(
            split(mbox.as_bytes()),
            [message.into_bytes(), format!("{HEADERS}two\n").into_bytes()]
        );
    }

    #[test]
    fn wrong_content_length_is_not_trusted() {
        let body = "From x Tue Oct  2 00:26:47 2007\nFrom: y\nTo: z\n\nforwarded\n";
        for length in [3, body.len() + 5, 1 << 40] {
            let mbox = format!("From a\nContent-Length: {length}\nSubject: s\n\n{body}");
            assert_eq!(split(mbox.as_bytes()).len(), 2, "Content-Length {length}");
        }
    }

    #[test]
    fn count_matches_iteration_and_reports_garbage() {
        let mbox = format!("junk\nFrom a\n{HEADERS}1\n\nFrom b\n{HEADERS}2\nFrom c\n{HEADERS}");
        let mut reader = MboxReader::new(mbox.as_bytes());
        assert_eq!(reader.count_messages().unwrap(), 3);
        assert_eq!(reader.leading_garbage().unwrap().len, 5);
        assert_eq!(split(mbox.as_bytes()).len(), 3);
    }

    #[test]
    fn looks_like_mbox_start_examples() {
        assert!(looks_like_mbox_start(b"From a"));
        assert!(looks_like_mbox_start(b"\xEF\xBB\xBF\r\n\nFrom a"));
        assert!(!looks_like_mbox_start(b"  From a"));
        assert!(!looks_like_mbox_start(b"From: a"));
        assert!(!looks_like_mbox_start(b""));
    }

    /// The reader's rules written the plain way, over a whole buffer with no window: entries
    /// as (offset, bytes), and the length of leading garbage. `Err` for "not an mbox".
    #[allow(clippy::type_complexity)]
    fn reference_split(data: &[u8]) -> Result<(Vec<(u64, Vec<u8>)>, Option<u64>), ()> {
        let line_end = |at: usize| memchr(b'\n', &data[at..]).map_or(data.len(), |i| at + i + 1);
        let mut at = if data.starts_with(UTF8_BOM) { 3 } else { 0 };
        while at < data.len() && data[at..line_end(at)].iter().all(u8::is_ascii_whitespace) {
            at = line_end(at);
        }
        if at == data.len() {
            return Ok((Vec::new(), None));
        }
        let mut garbage = None;
        if !data[at..].starts_with(b"From ") {
            let start = at;
            loop {
                at = line_end(at);
                if at == data.len() {
                    return Err(());
                }
                if data[at..].starts_with(b"From ") && looks_like_separator(&data[at..], true) {
                    break;
                }
            }
            garbage = Some((at - start) as u64);
        }
        let mut entries = Vec::new();
        loop {
            let offset = at as u64;
            at = line_end(at);
            let mut bytes = Vec::new();
            let mut in_header = true;
            let mut content_length = None;
            let mut body_end: Option<u64> = None;
            let mut verdict: Option<bool> = None;
            let mut separator = false;
            while at < data.len() {
                let end = line_end(at);
                let line = &data[at..end];
                if line.starts_with(b"From ") && looks_like_separator(&data[at..], true) {
                    let covered = !in_header
                        && body_end.is_some_and(|body_end| {
                            (at as u64) < body_end
                                && *verdict.get_or_insert_with(|| {
                                    let Ok(e) = usize::try_from(body_end) else {
                                        return false;
                                    };
                                    e <= data.len() && data[e - 1] == b'\n' && {
                                        let rest = &data[e..];
                                        let rest = rest
                                            .strip_prefix(b"\r\n")
                                            .or_else(|| rest.strip_prefix(b"\n"))
                                            .unwrap_or(rest);
                                        rest.is_empty() || rest.starts_with(b"From ")
                                    }
                                })
                        });
                    if !covered {
                        separator = true;
                        break;
                    }
                }
                if in_header && is_blank_line(line) {
                    in_header = false;
                    body_end = content_length.and_then(|l: u64| (end as u64).checked_add(l));
                } else if in_header
                    && !line.starts_with(b"From ")
                    && !is_escaped_from_line(line)
                    && content_length.is_none()
                    && line.ends_with(b"\n")
                {
                    content_length = content_length_value(line);
                }
                let skip = usize::from(is_escaped_from_line(line));
                bytes.extend_from_slice(&line[skip..]);
                at = end;
            }
            let mut kept = Vec::new();
            let mut sink = Sink::new(Some(&mut kept), usize::MAX);
            sink.put(&bytes);
            sink.strip_trailing_blank_line();
            entries.push((offset, kept));
            if !separator {
                return Ok((entries, garbage));
            }
        }
    }

    fn mbox_like_bytes() -> impl Strategy<Value = Vec<u8>> {
        let token = prop_oneof![
            proptest::collection::vec(any::<u8>(), 1..4),
            proptest::string::string_regex("[a-z ]{1,12}")
                .unwrap()
                .prop_map(String::into_bytes),
            Just(b"\nFrom ".to_vec()),
            Just(b"From a\nX: 1\nY: 2\n\n".to_vec()),
            Just(b"\n>From ".to_vec()),
            Just(b"\n>>From x".to_vec()),
            Just(b"\nA: b\n".to_vec()),
            Just(b"\n\tfolded\n".to_vec()),
            Just(b"\r\n".to_vec()),
            Just(b"\n\n".to_vec()),
            Just(b"\n".to_vec()),
            Just(b"\nContent-Length: 3\n".to_vec()),
            Just(b"\nContent-Length: 14\n".to_vec()),
            Just(b"   ".to_vec()),
            Just(UTF8_BOM.to_vec()),
        ];
        proptest::collection::vec(token, 0..120).prop_map(|tokens| tokens.concat())
    }

    fn header_lines() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[A-Z][a-z-]{0,8}: [ -~]{0,20}").unwrap()
    }

    fn body_line() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::string::string_regex("[ -~]{0,40}").unwrap(),
            proptest::string::string_regex(">{0,3}From [ -~]{0,20}").unwrap(),
            header_lines(),
            Just(String::new()),
        ]
    }

    fn message() -> impl Strategy<Value = Vec<u8>> {
        (
            proptest::collection::vec(header_lines(), 2..5),
            proptest::collection::vec(body_line(), 0..12),
            any::<bool>(),
        )
            .prop_map(|(headers, body, crlf)| {
                let eol = if crlf { "\r\n" } else { "\n" };
                let mut text = String::new();
                for line in headers
                    .iter()
                    .chain([String::new()].iter())
                    .chain(body.iter())
                {
                    text.push_str(line);
                    text.push_str(eol);
                }
                text.into_bytes()
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        #[test]
        fn mboxrd_writer_and_reader_round_trip(
            messages in proptest::collection::vec(message(), 0..6),
            step in 1usize..64,
        ) {
            let mut mbox = Vec::new();
            for message in &messages {
                write_mboxrd(&mut mbox, b"From sender Tue Oct  2 00:26:47 2007", message);
            }
            let read: Vec<Vec<u8>> = MboxReader::new(Trickle { data: &mbox, step })
                .map(|entry| entry.unwrap().bytes)
                .collect();
            proptest::prop_assert_eq!(&read, &messages);
            let count = MboxReader::new(&mbox[..]).count_messages().unwrap();
            proptest::prop_assert_eq!(count, messages.len() as u64);
        }

        #[test]
        fn streaming_reader_matches_the_plain_model(data in mbox_like_bytes(), step in 1usize..9) {
            let expected = reference_split(&data);
            let mut reader = MboxReader::new(Trickle { data: &data, step });
            let read: Vec<io::Result<MboxEntry>> = reader.by_ref().collect();
            match expected {
                Ok((entries, garbage)) => {
                    let read: Vec<(u64, Vec<u8>)> = read
                        .into_iter()
                        .map(|entry| entry.map(|e| (e.offset, e.bytes)))
                        .collect::<io::Result<_>>()
                        .unwrap();
                    prop_assert_eq!(read, entries);
                    prop_assert_eq!(reader.leading_garbage().map(|g| g.len), garbage);
                }
                Err(()) => {
                    prop_assert_eq!(read.len(), 1);
                    prop_assert!(read[0].as_ref().is_err_and(|e| NotAnMbox::from_io(e).is_some()));
                }
            }
        }

        /// Messages too large to copy come as spans of the file; read back, with their
        /// escaping undone, they are the bytes the reader would have copied.
        #[test]
        fn large_messages_read_from_the_file_are_the_messages(
            data in mbox_like_bytes(),
            large in 0u64..200,
        ) {
            use std::io::Write as _;
            let expected: Vec<(u64, Vec<u8>)> = MboxReader::new(&data[..])
                .map(|entry| entry.map(|e| (e.offset, e.bytes)))
                .collect::<io::Result<_>>()
                .unwrap_or_default();
            let mut file = tempfile::NamedTempFile::new().unwrap();
            file.write_all(&data).unwrap();
            let reader = MboxReader::new(File::open(file.path()).unwrap()).with_large_message(large);
            let mut read = Vec::new();
            for entry in reader {
                let Ok(entry) = entry else { break };
                let span = entry.span_in(file.path()).unwrap();
                prop_assert_eq!(span.is_some(), entry.bytes.is_empty() && entry.large.is_some());
                let bytes = match span {
                    Some(span) => span.read_all().unwrap(),
                    None => entry.bytes,
                };
                read.push((entry.offset, bytes));
            }
            prop_assert_eq!(read, expected);
        }

        #[test]
        fn arbitrary_bytes_never_panic_and_count_matches(
            data in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::num::u8::ANY.prop_map(|b| vec![b]),
                    proptest::strategy::Just(b"\nFrom ".to_vec()),
                    proptest::strategy::Just(b"\n>From ".to_vec()),
                    proptest::strategy::Just(b"\nA: b\n".to_vec()),
                    proptest::strategy::Just(b"\r\n".to_vec()),
                    proptest::strategy::Just(b"\nContent-Length: 3\n".to_vec()),
                ],
                0..200,
            ),
            step in 1usize..16,
        ) {
            let data: Vec<u8> = data.concat();
            let entries: Vec<io::Result<MboxEntry>> =
                MboxReader::new(Trickle { data: &data, step }).collect();
            let mut reader = MboxReader::new(&data[..]);
            match reader.count_messages() {
                Ok(count) => {
                    proptest::prop_assert_eq!(count, entries.len() as u64);
                    proptest::prop_assert!(entries.iter().all(Result::is_ok));
                }
                Err(_) => proptest::prop_assert!(entries.last().is_some_and(Result::is_err)),
            }
        }
    }
}
