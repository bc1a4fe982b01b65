//! A second reading of a stored message, independent of the converter: what a careful mail
//! client would show of it (the header fields a PST keeps, the plain and HTML bodies, every
//! attachment with its size and content hash). `verify`, the job's read-back and the conversion's own
//! cross-check compare against it, so that a defect of the converter shows up as a difference
//! instead of being checked against itself.
//!
//! It shares no code with `convert`: the MIME structure, header values, addresses, dates and
//! transfer decoding are `mailparse`'s, a parser written apart from mail-parser (the
//! converter's), with its own base64 (data-encoding), quoted-printable and charset
//! (encoding_rs) decoders. `mailparse` is chosen because it is the most used MIME parser of the
//! Rust ecosystem besides mail-parser, builds on Rust 1.85 and later, gives the raw bytes of
//! every part (so a part's body can be found again where the parser went wrong) and has no
//! dependency in common with the converter's parsing. This module sits beside `sources` in the
//! layers: it imports only `model`, whose plain [`IndependentReading`] the engine hands to the
//! converter and to the checks.
//!
//! Where mail is malformed, the reading is lenient in the way widely used readers are (Python's
//! `email` package, MimeKit), and says what it did in [`IndependentReading::notes`]:
//! * A part whose header is followed by its body with no blank line between them: the header
//!   ends at the run of lines that are not header fields and that no field follows, when the
//!   header runs to the end of the part (or only white space follows its blank line). Without
//!   this, `mailparse` takes the whole body for header lines, and the part for empty.
//! * Base64 that does not decode as a whole: the base64 characters before the first `=` are
//!   decoded, a last group of one character left out; a part with other characters mixed in is
//!   kept as sent. Either way the part is not [`PartReading::clean`].
//! * A multipart whose boundary begins with the boundary of a multipart around it (PHP's
//!   `_NextPart_x` and `_NextPart_x_alt`): each delimiter line is the boundary it holds whole,
//!   as RFC 2046 reads it; mailparse alone would take the inner delimiters for the outer one's.
//! * A multipart whose closing boundary never comes: its last part is cut short (not
//!   [`PartReading::whole`]); this is how a mailbox truncated in the middle of a message looks.

use std::borrow::Cow;

use mailparse::body::Body;
use mailparse::{DispositionType, MailHeaderMap as _, ParsedContentType, ParsedMail};
use sha2::{Digest as _, Sha256};

use crate::model::{
    ContentHash, ContentHasher, IndependentReading, PartReading, TextDigest, content_hash,
};

/// Attached messages are read as attachments and not opened; multiparts nested deeper than this
/// are not followed (mailparse's own limit is higher, its recursion deeper).
const MAX_NESTING: usize = 64;

/// Reads one stored message. Never fails: what cannot be read is left out of the reading and
/// said in its notes.
pub fn read(bytes: &[u8]) -> IndependentReading {
    read_keeping(bytes, true)
}

/// Reads one stored message as [`read`] does, but keeps of each attachment only its size and
/// content hash (its `data` stays empty): a base64 file is hashed a stretch at a time as it is
/// decoded, never held whole, so a large attachment is not in memory once more while the
/// message is checked.
pub fn read_digests(bytes: &[u8]) -> IndependentReading {
    read_keeping(bytes, false)
}

/// Reads one stored message as [`read_digests`] does, without ever copying it: where
/// boundaries must be renamed, the renamed bytes are changed in `bytes` and put back before
/// this returns (also when the reading panics).
pub fn read_digests_in_place(bytes: &mut [u8]) -> IndependentReading {
    let start = bytes.len() - without_framing(bytes).len();
    let bytes = &mut bytes[start..];
    match boundary_renames(bytes) {
        None => read_renamed(bytes, Vec::new(), false),
        Some(renames) => read_with_renames(bytes, renames, false),
    }
}

/// Reads one stored message as [`read_digests`] does when that needs neither a copy nor a
/// change of `bytes`, so that it may run beside another reader of the same bytes; when some
/// boundaries must be renamed first, says which (for [`read_digests_renamed`]).
pub fn read_digests_shared(bytes: &[u8]) -> Result<IndependentReading, MustRename> {
    let bytes = without_framing(bytes);
    match boundary_renames(bytes) {
        None => Ok(read_renamed(bytes, Vec::new(), false)),
        Some(renames) => Err(MustRename(renames)),
    }
}

/// The boundary renames a message needs before `mailparse` reads it: each boundary that
/// begins with another gets a first byte of its own.
#[derive(Debug)]
pub struct MustRename((Vec<(usize, u8)>, String));

/// Reads one stored message as [`read_digests_in_place`] does, with the renames
/// [`read_digests_shared`] found in it.
pub fn read_digests_renamed(bytes: &mut [u8], renames: MustRename) -> IndependentReading {
    let start = bytes.len() - without_framing(bytes).len();
    read_with_renames(&mut bytes[start..], renames.0, false)
}

fn read_keeping(bytes: &[u8], keep_bytes: bool) -> IndependentReading {
    let bytes = without_framing(bytes);
    match boundary_renames(bytes) {
        None => read_renamed(bytes, Vec::new(), keep_bytes),
        // A borrowed message is renamed in a copy.
        Some(renames) => read_with_renames(&mut bytes.to_vec(), renames, keep_bytes),
    }
}

/// Reads `bytes` with the boundary renames `(changes, note)` made in place, and undone after.
fn read_with_renames(
    bytes: &mut [u8],
    (changes, note): (Vec<(usize, u8)>, String),
    keep_bytes: bool,
) -> IndependentReading {
    let renamed = Renamed::apply(bytes, changes);
    read_renamed(&renamed, vec![note], keep_bytes)
}

/// Reads a message whose boundaries are already told apart; `notes` says what was done to it.
fn read_renamed(bytes: &[u8], notes: Vec<String>, keep_bytes: bool) -> IndependentReading {
    let mut reading = IndependentReading::default();
    let mut collected = Collected::default();
    let mut walker = Walker {
        keep_bytes,
        notes,
        ..Walker::default()
    };
    let repaired = with_blank_line(bytes, "the message");
    let bytes = match &repaired {
        Some((fixed, note)) => {
            walker.notes.push(note.clone());
            fixed.as_slice()
        }
        None => bytes,
    };
    // mailparse fails only on a lone CR ending a header line, or on nesting past its limit.
    match mailparse::parse_mail(bytes) {
        Ok(parsed) => {
            header_fields(&parsed, &mut reading);
            let at = Position {
                place: "",
                depth: 0,
                runs_to_end: true,
                related_resource: false,
            };
            walker.visit(&parsed, at, &mut collected);
        }
        Err(why) => walker
            .notes
            .push(format!("the message cannot be read: {why}")),
    }
    let notes = walker.notes;
    if !collected.text.is_empty() {
        reading.text_body = text_digest(&join(&collected.text));
    }
    if !collected.html.is_empty() {
        reading.html_body = text_digest(&as_utf8_html(&join(&collected.html)));
    }
    reading.attachments = collected.attachments;
    reading.cut_short = collected.cut_short;
    reading.notes = notes;
    reading
}

/// The digest of a body text: line ends made LF, NUL characters removed, white space trimmed at
/// both ends; `None` when nothing is left. The same for every side that is compared.
///
/// The text is hashed where it lies, a stretch at a time: bodies are the bulk of most
/// messages, and a copy per rule would cost more than the hash.
pub fn text_digest(text: &str) -> Option<TextDigest> {
    // Trimming the result trims what is white space or NUL at either end of the text (line
    // ends stay white space, NULs go).
    let kept = |c: char| !c.is_whitespace() && c != '\0';
    let start = text.find(kept)?;
    let end = text.rfind(kept).map_or(text.len(), |at| {
        at + text[at..].chars().next().map_or(1, char::len_utf8)
    });
    let region = &text[start..end];
    let text = region.as_bytes();
    let mut hash = Sha256::new();
    let mut dropped = 0;
    let mut from = 0;
    for at in memchr::memchr2_iter(b'\r', b'\0', text) {
        hash.update(&text[from..at]);
        from = at + 1;
        match text[at] {
            // CR LF: the LF that follows is hashed with the next stretch.
            b'\r' if text.get(at + 1) == Some(&b'\n') => dropped += 1,
            b'\r' => hash.update(b"\n"),
            _ => dropped += 1,
        }
    }
    hash.update(&text[from..]);
    let chars = region.chars().count() - dropped;
    Some(TextDigest {
        sha256: hash.finalize().into(),
        chars,
    })
}

/// HTML as it reads once stored as UTF-8: every `charset=` a `<meta>` tag declares says
/// `utf-8`, since a reader that trusted the original label would garble the text.
pub fn as_utf8_html(html: &str) -> Cow<'_, str> {
    let lower = html.to_ascii_lowercase();
    if !lower.contains("<meta") {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = lower[search..].find("<meta") {
        let tag = search + found;
        let tag_end = lower[tag..].find('>').map_or(lower.len(), |end| tag + end);
        search = tag_end;
        let Some(label) = lower[tag..tag_end].find("charset=") else {
            continue;
        };
        let mut value = tag + label + "charset=".len();
        if matches!(lower.as_bytes().get(value), Some(b'"' | b'\'')) {
            value += 1;
        }
        let value_end = lower[value..tag_end]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ';' | '/' | '>'))
            .map_or(tag_end, |end| value + end);
        if value < copied || &lower[value..value_end] == "utf-8" {
            continue;
        }
        out.push_str(&html[copied..value]);
        out.push_str("utf-8");
        copied = value_end;
    }
    out.push_str(&html[copied..]);
    Cow::Owned(out)
}

/// The message without what a store or a transfer put before it: a UTF-8 byte-order mark and
/// an mbox `From ` separator line.
fn without_framing(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.starts_with(b"From ") {
        let end = bytes
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |at| at + 1);
        return &bytes[end..];
    }
    bytes
}

/// The bytes to change so that no multipart boundary begins with another (PHP's mail
/// functions write `----=_NextPart_x` around `----=_NextPart_x_alt`), each as its offset and
/// new value, with a note that says so; `None` when no boundary begins with another. RFC 2046
/// forbids such boundaries, but a delimiter line holds its boundary and white space only, so
/// mail clients and Python's `email` tell them apart; mailparse takes every line that begins
/// with a boundary for its delimiter and would cut the inner multipart into pieces.
///
/// Each boundary that begins with a shorter one gets a first byte of its own that no boundary
/// begins with, in its declarations and in the delimiter lines that hold it whole: the message
/// keeps its length, and nothing else in it changes (a base64 line that happens to hold a
/// boundary stays as it is).
fn boundary_renames(bytes: &[u8]) -> Option<(Vec<(usize, u8)>, String)> {
    let declared = declared_boundaries(bytes);
    let mut boundaries: Vec<&[u8]> = Vec::new();
    for &(_, boundary) in &declared {
        if !boundaries.contains(&boundary) {
            boundaries.push(boundary);
        }
    }
    let clashing: Vec<&[u8]> = boundaries
        .iter()
        .copied()
        .filter(|long| {
            boundaries
                .iter()
                .any(|short| short.len() < long.len() && long.starts_with(short))
        })
        .collect();
    if clashing.is_empty() {
        return None;
    }
    // A first byte for each renamed boundary that no boundary begins with: none of them then
    // begins with another.
    let leads: Vec<u8> = (b'0'..=b'9')
        .chain(b'A'..=b'Z')
        .chain(b'a'..=b'z')
        .filter(|b| {
            !boundaries
                .iter()
                .any(|boundary| boundary.first() == Some(b))
        })
        .take(clashing.len())
        .collect();
    if leads.len() < clashing.len() {
        return None;
    }
    let lead_of = |boundary: &[u8]| {
        clashing
            .iter()
            .position(|&clash| clash == boundary)
            .map(|i| leads[i])
    };
    let mut changes: Vec<(usize, u8)> = declared
        .iter()
        .filter_map(|&(at, boundary)| Some((at, lead_of(boundary)?)))
        .collect();
    let line_starts =
        std::iter::once(0).chain(memchr::memmem::find_iter(bytes, b"\n--").map(|at| at + 1));
    for line in line_starts {
        let Some(rest) = bytes[line..].strip_prefix(b"--") else {
            continue;
        };
        let held = boundaries
            .iter()
            .filter(|boundary| holds_whole(rest, boundary))
            .max_by_key(|boundary| boundary.len());
        if let Some(lead) = held.and_then(|boundary| lead_of(boundary)) {
            changes.push((line + 2, lead));
        }
    }
    let note = format!(
        "the message: {} multipart boundar{} begin{} with the boundary of another; each \
         delimiter line is read as the boundary it holds whole",
        clashing.len(),
        if clashing.len() == 1 { "y" } else { "ies" },
        if clashing.len() == 1 { "s" } else { "" },
    );
    Some((changes, note))
}

/// Whether a delimiter line's text after its `--` is `boundary` whole: the boundary followed
/// by the end, `--` (the closing delimiter) or white space.
fn holds_whole(rest: &[u8], boundary: &[u8]) -> bool {
    rest.strip_prefix(boundary).is_some_and(|after| {
        after.is_empty() || after.starts_with(b"--") || after[0].is_ascii_whitespace()
    })
}

/// The value of every `boundary=` parameter in the message (quoted or not), each with its
/// offset.
fn declared_boundaries(bytes: &[u8]) -> Vec<(usize, &[u8])> {
    let mut found = Vec::new();
    for needle in [&b"oundary="[..], b"OUNDARY="] {
        for at in memchr::memmem::find_iter(bytes, needle) {
            // A parameter: `b` or `B`, after a `;`, white space or the start of a line.
            let before = |back: usize| at.checked_sub(back).map(|i| bytes[i]);
            if !matches!(before(1), Some(b'b' | b'B'))
                || !matches!(before(2), Some(b';' | b' ' | b'\t' | b'\n' | b'\r'))
            {
                continue;
            }
            let mut start = at + needle.len();
            let rest = &bytes[start..];
            let value = match rest.strip_prefix(b"\"") {
                Some(quoted) => {
                    start += 1;
                    quoted.split(|&b| b == b'"' || b == b'\n').next()
                }
                None => rest
                    .split(|&b| b == b';' || b == b'"' || b.is_ascii_whitespace())
                    .next(),
            };
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                found.push((start, value));
            }
        }
    }
    found
}

/// A message with some of its bytes changed; dropping it puts them back.
struct Renamed<'a> {
    bytes: &'a mut [u8],
    /// Each changed byte's offset and the value it had.
    originals: Vec<(usize, u8)>,
}

impl<'a> Renamed<'a> {
    fn apply(bytes: &'a mut [u8], changes: Vec<(usize, u8)>) -> Renamed<'a> {
        let mut originals = changes;
        for (at, value) in &mut originals {
            std::mem::swap(&mut bytes[*at], value);
        }
        Renamed { bytes, originals }
    }
}

impl std::ops::Deref for Renamed<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.bytes
    }
}

impl Drop for Renamed<'_> {
    fn drop(&mut self) {
        // In reverse, so that a byte changed twice gets its first value back.
        for &(at, value) in self.originals.iter().rev() {
            self.bytes[at] = value;
        }
    }
}

/// A message or part whose body follows its header without a blank line, given the blank line
/// mailparse needs, with a note that says so; `None` for one whose header ends as it should.
fn with_blank_line(bytes: &[u8], what: &str) -> Option<(Vec<u8>, String)> {
    let at = early_body_start(bytes)?;
    let note = format!(
        "{what}: its header is followed by the body with no blank line between them; the body \
         starts at line {}",
        bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1
    );
    let mut fixed = Vec::with_capacity(bytes.len() + 1);
    fixed.extend_from_slice(&bytes[..at]);
    fixed.push(b'\n');
    fixed.extend_from_slice(&bytes[at..]);
    Some((fixed, note))
}

/// Where the body of a part starts when its header runs into it without a blank line: the
/// start of the last run of lines that are not header fields, when the header runs to the end
/// of the part or only white space follows its blank line. `None` for a header that ends as it
/// should (stray lines between fields are then just stray lines).
fn early_body_start(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    let mut run = None;
    while at < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |n| at + n + 1);
        let line = &bytes[at..end];
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            let rest_is_blank = || bytes[end..].iter().all(u8::is_ascii_whitespace);
            return run.filter(|_| rest_is_blank());
        }
        if is_field(line) {
            run = None;
        } else if run.is_none() && !matches!(line.first(), Some(b' ' | b'\t')) {
            run = Some(at);
        }
        at = end;
    }
    run
}

/// A header field line: a name of printable characters other than the colon, then a colon
/// (white space before it tolerated).
fn is_field(line: &[u8]) -> bool {
    let name_len = line
        .iter()
        .take_while(|&&b| (b'!'..=b'~').contains(&b) && b != b':')
        .count();
    name_len > 0
        && line[name_len..]
            .iter()
            .find(|&&b| b != b' ' && b != b'\t')
            .is_some_and(|&b| b == b':')
}

/// The bodies and attachments found below one part.
#[derive(Debug, Default)]
struct Collected {
    /// The first part found cut short.
    cut_short: Option<String>,
    text: Vec<String>,
    html: Vec<String>,
    attachments: Vec<PartReading>,
}

/// Where a part sits, as far as reading it is concerned.
#[derive(Clone, Copy, Debug)]
struct Position<'p> {
    /// "1.2", or empty for the message itself.
    place: &'p str,
    depth: usize,
    /// The part runs to the end of the message through multiparts that never close: when it
    /// is a file, the message was cut short in it.
    runs_to_end: bool,
    /// A part of a multipart/related other than its first: a resource of the first, never body
    /// text (RFC 2387).
    related_resource: bool,
}

/// Walks the parts of one message.
#[derive(Debug, Default)]
struct Walker {
    /// Attachments keep their decoded bytes, not only their size and hash.
    keep_bytes: bool,
    notes: Vec<String>,
    /// Leaf parts seen so far.
    leaves: usize,
}

impl Walker {
    fn visit(&mut self, part: &ParsedMail<'_>, at: Position<'_>, out: &mut Collected) {
        let mime = part.ctype.mimetype.trim().to_ascii_lowercase();
        if mime.starts_with("multipart/") && !part.subparts.is_empty() {
            if at.depth >= MAX_NESTING {
                self.notes.push(format!(
                    "MIME part {}: multiparts nested deeper than {MAX_NESTING} are not read",
                    display_place(at.place)
                ));
                return;
            }
            self.multipart(part, &mime, at, out);
            return;
        }
        self.leaf(part, &mime, at, out);
    }

    fn multipart(
        &mut self,
        part: &ParsedMail<'_>,
        mime: &str,
        at: Position<'_>,
        out: &mut Collected,
    ) {
        let closed = closes(part);
        let last = part.subparts.len().saturating_sub(1);
        let mut children = Vec::with_capacity(part.subparts.len());
        for (index, child) in part.subparts.iter().enumerate() {
            let place = if at.place.is_empty() {
                (index + 1).to_string()
            } else {
                format!("{}.{}", at.place, index + 1)
            };
            let child_at = Position {
                place: &place,
                depth: at.depth + 1,
                runs_to_end: at.runs_to_end && !closed && index == last,
                related_resource: mime == "multipart/related" && index > 0,
            };
            let mut collected = Collected::default();
            match with_blank_line(child.raw_bytes, &format!("MIME part {place}")) {
                None => self.visit(child, child_at, &mut collected),
                Some((fixed, note)) => {
                    self.notes.push(note);
                    match mailparse::parse_mail(&fixed) {
                        Ok(parsed) => self.visit(&parsed, child_at, &mut collected),
                        Err(why) => self
                            .notes
                            .push(format!("MIME part {place} cannot be read: {why}")),
                    }
                }
            }
            if out.cut_short.is_none() {
                out.cut_short = collected.cut_short.take();
            }
            children.push(collected);
        }
        if mime == "multipart/alternative" {
            // The last alternative of each kind is the sender's preferred one (RFC 2046 5.1.4).
            let text = children.iter().rposition(|c| !c.text.is_empty());
            let html = children.iter().rposition(|c| !c.html.is_empty());
            for (index, child) in children.into_iter().enumerate() {
                if Some(index) == text {
                    out.text.extend(child.text);
                }
                if Some(index) == html {
                    out.html.extend(child.html);
                }
                out.attachments.extend(child.attachments);
            }
        } else {
            for child in children {
                out.text.extend(child.text);
                out.html.extend(child.html);
                out.attachments.extend(child.attachments);
            }
        }
    }

    /// A part that holds no other parts: a body text, a file, or an attached message.
    fn leaf(&mut self, part: &ParsedMail<'_>, mime: &str, at: Position<'_>, out: &mut Collected) {
        self.leaves += 1;
        let disposition = part.get_content_disposition();
        let name = disposition
            .params
            .get("filename")
            .or_else(|| part.ctype.params.get("name"))
            .map(|n| decoded_words(n.trim()))
            .filter(|n| !n.is_empty());
        // As mail clients show mail: a plain or HTML text is body text unless it is marked as
        // an attachment, is a resource of an HTML page (multipart/related), or is a named file
        // after the first part of the message.
        let is_attachment = disposition.disposition == DispositionType::Attachment
            || at.related_resource
            || (self.leaves > 1 && part.ctype.params.contains_key("name"));
        let (kind, subtype) = mime.split_once('/').unwrap_or((mime, ""));
        let is_text_body = kind == "text" && matches!(subtype, "plain" | "html" | "");
        let place = display_place(at.place);
        let what = match &name {
            Some(name) => format!("MIME part {place} ({mime} {name:?})"),
            None => format!("MIME part {place} ({mime})"),
        };
        let cut = at.runs_to_end && at.depth > 0;
        if cut {
            self.notes.push(format!(
                "{what}: the multiparts around it never close; the message may be cut short in it"
            ));
            out.cut_short.get_or_insert(place.clone());
        }
        let file = !is_text_body || is_attachment;
        if file
            && !self.keep_bytes
            && let Some(Digest { size, hash, crc32 }) = digest(part)
        {
            out.attachments.push(PartReading {
                place,
                name,
                mime_type: mime.to_owned(),
                embedded: kind == "message" && matches!(subtype, "rfc822" | "global"),
                size,
                hash,
                crc32,
                whole: !cut,
                clean: true,
                data: Vec::new(),
            });
            return;
        }
        let (data, clean) = decoded(part, &what, &mut self.notes);
        if !file {
            let text = as_text(&data, part);
            if subtype == "html" {
                out.html.push(text);
            } else {
                out.text.push(text);
            }
            return;
        }
        out.attachments.push(PartReading {
            place,
            name,
            mime_type: mime.to_owned(),
            embedded: kind == "message" && matches!(subtype, "rfc822" | "global"),
            size: data.len() as u64,
            hash: content_hash(&data),
            crc32: crc32fast::hash(&data),
            whole: !cut,
            clean,
            data,
        });
    }
}

/// True when a multipart's closing delimiter (`--boundary--` at the start of a line) is there.
/// It is looked for from the end, where it is.
fn closes(part: &ParsedMail<'_>) -> bool {
    let Some(boundary) = part.ctype.params.get("boundary") else {
        return true;
    };
    let delimiter = format!("--{boundary}--");
    let raw = part.raw_bytes;
    memchr::memmem::rfind_iter(raw, delimiter.as_bytes())
        .any(|at| at == 0 || raw.get(at - 1) == Some(&b'\n'))
}

/// A file name with RFC 2047 encoded words decoded (they are not allowed inside a quoted
/// parameter, but common), by mailparse's own decoder of unstructured header text.
fn decoded_words(name: &str) -> String {
    if !name.contains("=?") {
        return name.to_owned();
    }
    let field = format!("X: {name}");
    match mailparse::parse_header(field.as_bytes()) {
        Ok((header, _)) => header.get_value().trim().to_owned(),
        Err(_) => name.to_owned(),
    }
}

fn display_place(place: &str) -> String {
    if place.is_empty() {
        "1".to_owned()
    } else {
        place.to_owned()
    }
}

/// The transfer encoding a part means, read as mail clients read it: the first word, in any
/// letter case.
fn transfer_encoding(part: &ParsedMail<'_>) -> String {
    part.headers
        .get_first_value("Content-Transfer-Encoding")
        .unwrap_or_default()
        .split(|c: char| c == ';' || c.is_whitespace())
        .find(|w| !w.is_empty())
        .unwrap_or("")
        .trim_matches('"')
        .to_ascii_lowercase()
}

/// What is kept of an attachment's content when its bytes are not kept.
struct Digest {
    size: u64,
    hash: ContentHash,
    crc32: u32,
}

/// The digest of a part's content, transfer-decoded, without holding it whole; `None` where
/// that is not done (quoted-printable) or the base64 does not decode cleanly: the part is then
/// decoded as [`decoded`] does, which also says what went wrong.
fn digest(part: &ParsedMail<'_>) -> Option<Digest> {
    let raw = part_raw(part);
    match transfer_encoding(part).as_str() {
        "base64" => {
            let mut hash = ContentHasher::default();
            let mut crc = crc32fast::Hasher::new();
            let mut size = 0u64;
            let decoded = base64_stretches(raw, |stretch| {
                hash.update(stretch);
                crc.update(stretch);
                size += stretch.len() as u64;
            });
            decoded.then(|| Digest {
                size,
                hash: hash.finish(),
                crc32: crc.finalize(),
            })
        }
        "quoted-printable" => None,
        _ => Some(Digest {
            size: raw.len() as u64,
            hash: content_hash(raw),
            crc32: crc32fast::hash(raw),
        }),
    }
}

/// A part's body as sent, before transfer decoding.
fn part_raw<'a>(part: &'a ParsedMail<'_>) -> &'a [u8] {
    match part.get_body_encoded() {
        Body::Base64(body) | Body::QuotedPrintable(body) => body.get_raw(),
        Body::SevenBit(body) | Body::EightBit(body) => body.get_raw(),
        Body::Binary(body) => body.get_raw(),
    }
}

/// A part's content, transfer-decoded, and whether that went cleanly.
fn decoded(part: &ParsedMail<'_>, what: &str, notes: &mut Vec<String>) -> (Vec<u8>, bool) {
    let raw = part_raw(part);
    let encoding = transfer_encoding(part);
    let decode = |bytes: &[u8], encoding: &str| {
        let encoding = Some(encoding.to_owned());
        match Body::new(bytes, &part.ctype, &encoding) {
            Body::Base64(body) | Body::QuotedPrintable(body) => body.get_decoded().ok(),
            _ => Some(bytes.to_vec()),
        }
    };
    match encoding.as_str() {
        "base64" => {
            if let Some(data) = base64_in_stretches(raw).or_else(|| decode(raw, "base64")) {
                return (data, true);
            }
            match recoverable_base64(raw) {
                Some(compact) => {
                    notes.push(format!(
                        "{what}: its base64 does not decode as a whole; the whole groups before \
                         the first '=' were decoded"
                    ));
                    (decode(&compact, "base64").unwrap_or_default(), false)
                }
                None => {
                    notes.push(format!(
                        "{what}: its base64 has other characters mixed in; kept as sent"
                    ));
                    (raw.to_vec(), false)
                }
            }
        }
        "quoted-printable" => match decode(raw, "quoted-printable") {
            Some(data) => (data, true),
            None => (raw.to_vec(), false),
        },
        _ => (raw.to_vec(), true),
    }
}

/// Stretches of base64 text decoded at a time: a multiple of four characters.
const BASE64_STRETCH: usize = 64 * 1024;

/// A base64 body decoded as mailparse decodes it (ASCII white space left out, then
/// `BASE64_MIME_PERMISSIVE`), a stretch of whole groups at a time, so that a large attachment
/// is not held a second time as one stripped copy. `None` when a stretch does not decode: the
/// whole body is then decoded at once, which says how.
fn base64_in_stretches(raw: &[u8]) -> Option<Vec<u8>> {
    let mut decoded = Vec::with_capacity(raw.len() / 4 * 3);
    base64_stretches(raw, |stretch| decoded.extend_from_slice(stretch)).then_some(decoded)
}

/// Decodes a base64 body as [`base64_in_stretches`] does, giving each decoded stretch to
/// `take`; false when a stretch does not decode (what came before it was given).
fn base64_stretches(raw: &[u8], mut take: impl FnMut(&[u8])) -> bool {
    /// Body bytes taken at a time into the stretch.
    const CHUNK: usize = 4096;
    let base64 = &data_encoding::BASE64_MIME_PERMISSIVE;
    let mut stretch = vec![0; BASE64_STRETCH + CHUNK];
    let mut decoded = vec![0; BASE64_STRETCH / 4 * 3];
    // Base64 characters in `stretch`, and the body bytes not yet taken into it.
    let mut filled = 0;
    let mut rest = raw;
    loop {
        while filled < BASE64_STRETCH && !rest.is_empty() {
            let (chunk, after) = rest.split_at(rest.len().min(CHUNK));
            filled += without_white_space(chunk, &mut stretch[filled..filled + chunk.len()]);
            rest = after;
        }
        let length = filled.min(BASE64_STRETCH);
        if length == 0 {
            return true;
        }
        let text = &stretch[..length];
        // A vector decoder first: it accepts only canonical base64, which it decodes as
        // mailparse's decoder does (tested), four times faster; what it refuses is decoded
        // as mailparse decodes it.
        let written =
            match base64_simd::STANDARD.decode(text, base64_simd::Out::from_slice(&mut decoded)) {
                Ok(done) => done.len(),
                Err(_) => {
                    let Ok(most) = base64.decode_len(length) else {
                        return false;
                    };
                    let Ok(written) = base64.decode_mut(text, &mut decoded[..most]) else {
                        return false;
                    };
                    written
                }
            };
        take(&decoded[..written]);
        if length < BASE64_STRETCH {
            return true;
        }
        // What was taken beyond the stretch begins the next one.
        stretch.copy_within(BASE64_STRETCH..filled, 0);
        filled -= BASE64_STRETCH;
    }
}

/// Copies `bytes` into `out` (as long) without ASCII white space; returns how many were copied.
/// Base64 bodies are lines of one length: a line as long as the last one, ended by a line end
/// and holding no byte up to a space, is copied at once; any other run between line ends and
/// spaces is found with a vector search, and only a run holding a tab or a form feed (rare)
/// is copied a byte at a time.
fn without_white_space(bytes: &[u8], out: &mut [u8]) -> usize {
    let mut count = 0;
    let mut rest = bytes;
    // The length of the last run: the length of the next line, in all but odd bodies.
    let mut line = 0;
    while !rest.is_empty() {
        if line > 0
            && matches!(rest.get(line), Some(b'\r' | b'\n'))
            && rest[..line]
                .iter()
                .fold(true, |plain, &b| plain & (b > b' '))
        {
            out[count..count + line].copy_from_slice(&rest[..line]);
            count += line;
            let line_end = if rest[line..].starts_with(b"\r\n") {
                2
            } else {
                1
            };
            rest = &rest[line + line_end..];
            continue;
        }
        let end = memchr::memchr3(b'\n', b'\r', b' ', rest).unwrap_or(rest.len());
        let run = &rest[..end];
        if memchr::memchr2(b'\t', b'\x0c', run).is_none() {
            out[count..count + run.len()].copy_from_slice(run);
            count += run.len();
        } else {
            for &byte in run.iter().filter(|b| !b.is_ascii_whitespace()) {
                out[count] = byte;
                count += 1;
            }
        }
        if end > 0 {
            line = end;
        }
        rest = rest.get(end + 1..).unwrap_or_default();
    }
    count
}

/// The base64 characters of a body before its first `=`, cut to whole groups and padded, when
/// nothing but base64 characters and white space comes before that `=`.
fn recoverable_base64(raw: &[u8]) -> Option<Vec<u8>> {
    let end = memchr::memchr(b'=', raw).unwrap_or(raw.len());
    let mut compact = Vec::with_capacity(end);
    for &b in &raw[..end] {
        if b.is_ascii_alphanumeric() || b == b'+' || b == b'/' {
            compact.push(b);
        } else if !b.is_ascii_whitespace() {
            return None;
        }
    }
    if compact.len() % 4 == 1 {
        compact.pop();
    }
    while compact.len() % 4 != 0 {
        compact.push(b'=');
    }
    Some(compact)
}

/// Body text in its declared charset; text that declares none (or US-ASCII) but is valid UTF-8
/// is read as UTF-8, as mail clients do.
fn as_text(data: &[u8], part: &ParsedMail<'_>) -> String {
    let declared = part
        .ctype
        .params
        .get("charset")
        .map(|c| c.trim().to_ascii_lowercase());
    let undeclared = declared
        .as_deref()
        .is_none_or(|c| c.is_empty() || c == "us-ascii" || c == "ascii");
    if undeclared && let Ok(text) = std::str::from_utf8(data) {
        return text.to_owned();
    }
    let ctype = ParsedContentType {
        mimetype: part.ctype.mimetype.clone(),
        charset: declared
            .filter(|_| !undeclared)
            .unwrap_or_else(|| "windows-1252".to_owned()),
        params: Default::default(),
    };
    let body = Body::new(data, &ctype, &None);
    match body {
        Body::SevenBit(text) | Body::EightBit(text) => text
            .get_as_string()
            .unwrap_or_else(|_| String::from_utf8_lossy(data).into_owned()),
        _ => String::from_utf8_lossy(data).into_owned(),
    }
}

/// Body pieces joined, each starting on a new line.
fn join(pieces: &[String]) -> String {
    let mut out = String::new();
    for piece in pieces {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(piece);
    }
    out
}

/// The header fields of the message that the PST keeps.
fn header_fields(parsed: &ParsedMail<'_>, reading: &mut IndependentReading) {
    let headers = &parsed.headers;
    reading.subject = headers
        .get_first_value("Subject")
        .map(|s| collapse_white_space(&s))
        .filter(|s| !s.is_empty());
    reading.from = headers
        .get_first_header("From")
        .and_then(|h| mailparse::addrparse_header(h).ok())
        .and_then(|list| {
            list.iter().find_map(|addr| match addr {
                mailparse::MailAddr::Single(single) => Some(single.clone()),
                mailparse::MailAddr::Group(group) => group.addrs.first().cloned(),
            })
        })
        .map(|single| {
            (
                single.display_name.filter(|n| !n.trim().is_empty()),
                single.addr,
            )
        })
        .filter(|(_, addr)| !addr.trim().is_empty())
        .or_else(|| {
            // A From with a name and no address ("From: foo", "MAILER DAEMON <>"): mail
            // clients show the name.
            let value = headers.get_first_value("From")?;
            let name = value
                .split('<')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches('"')
                .trim();
            (!name.is_empty()).then(|| (Some(name.to_owned()), String::new()))
        });
    // mailparse's date parser refuses dates before 1970; chrono's RFC 2822 parser reads those.
    reading.date = headers.get_first_value("Date").and_then(|d| {
        mailparse::dateparse(&d).ok().or_else(|| {
            chrono::DateTime::parse_from_rfc2822(d.trim())
                .ok()
                .map(|t| t.timestamp())
        })
    });
    reading.message_id = headers.get_first_value("Message-ID").and_then(|value| {
        let value = value.trim();
        let id = match (value.find('<'), value.find('>')) {
            (Some(open), Some(close)) if open < close => value[open + 1..close].trim(),
            _ => value.trim_matches(|c| c == '<' || c == '>'),
        };
        (!id.is_empty()).then(|| format!("<{id}>"))
    });
}

/// Runs of white space as one space, trimmed.
pub fn collapse_white_space(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// mailparse's own decoding of a whole base64 body, which the stretches must equal.
    fn whole_base64(raw: &[u8]) -> Option<Vec<u8>> {
        let ctype = mailparse::ParsedContentType::default();
        let encoding = Some("base64".to_owned());
        match Body::new(raw, &ctype, &encoding) {
            Body::Base64(body) => body.get_decoded().ok(),
            _ => None,
        }
    }

    proptest::proptest! {
        /// Lines of one length, of lengths that change, with LF, CRLF or a bare CR, and with
        /// spaces, tabs, form feeds and other control bytes anywhere: only ASCII white space
        /// is left out.
        #[test]
        fn white_space_is_left_out_of_any_lines(
            lines in proptest::collection::vec(
                (
                    1usize..90,
                    proptest::sample::select(vec![&b"\n"[..], b"\r\n", b"\r", b"\r\r\n", b" \n", b""]),
                ),
                0..40,
            ),
            strays in proptest::collection::vec(
                (0usize..4_000, proptest::sample::select(b" \t\x0c\r\n\x01\x0b\x1f".to_vec())),
                0..4,
            ),
        ) {
            let mut raw = Vec::new();
            for (index, (len, end)) in lines.iter().enumerate() {
                raw.extend((0..*len).map(|i| b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/="[(i + index) % 39]));
                raw.extend_from_slice(end);
            }
            for (at, byte) in strays {
                let at = at.min(raw.len());
                raw.insert(at, byte);
            }
            let mut out = vec![0; raw.len()];
            let count = without_white_space(&raw, &mut out);
            let expected: Vec<u8> = raw.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
            proptest::prop_assert_eq!(&out[..count], &expected[..]);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        #[test]
        fn base64_in_stretches_decodes_as_mailparse_does(
            data in proptest::collection::vec(proptest::num::u8::ANY, 0..150_000),
            width in 1usize..120,
            cut in proptest::option::of(0usize..300_000),
            stray in proptest::option::of((0usize..300_000, proptest::sample::select(b"=*-_. \t\x0c\r\n".to_vec()))),
        ) {
            let encoded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &data);
            let mut raw = Vec::new();
            for line in encoded.as_bytes().chunks(width) {
                raw.extend_from_slice(line);
                raw.extend_from_slice(b"\r\n");
            }
            if let Some(cut) = cut {
                raw.truncate(cut.min(raw.len()));
            }
            if let Some((at, byte)) = stray {
                let at = at.min(raw.len());
                raw.insert(at, byte);
            }
            let whole = whole_base64(&raw);
            // `None` sends the caller to the whole decoding: the same result, only slower.
            if let Some(stretches) = base64_in_stretches(&raw) {
                proptest::prop_assert_eq!(Some(stretches), whole);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]
        /// The engine's reading (sizes and hashes only) sees every attachment as the full
        /// reading does, whatever its transfer encoding and however it is broken.
        #[test]
        fn digests_are_those_of_the_full_reading(
            data in proptest::collection::vec(proptest::num::u8::ANY, 0..40_000),
            width in 1usize..100,
            encoding in proptest::sample::select(vec!["base64", "quoted-printable", "8bit", "binary"]),
            cut in proptest::option::of(0usize..60_000),
        ) {
            let mut body = match encoding {
                "base64" => base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &data)
                    .as_bytes()
                    .chunks(width)
                    .flat_map(|line| [line, b"\r\n"].concat())
                    .collect(),
                _ => data.clone(),
            };
            if let Some(cut) = cut {
                body.truncate(cut.min(body.len()));
            }
            let mut message = format!(
                "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n\
                 --b\r\nContent-Type: application/octet-stream; name=a.bin\r\n\
                 Content-Transfer-Encoding: {encoding}\r\n\r\n"
            )
            .into_bytes();
            message.extend_from_slice(&body);
            message.extend_from_slice(b"\r\n--b--\r\n");
            let full = read(&message);
            let digests = read_digests(&message);
            let seen = |reading: &IndependentReading| -> Vec<(u64, ContentHash, bool)> {
                reading.attachments.iter().map(|a| (a.size, a.hash, a.whole)).collect()
            };
            proptest::prop_assert_eq!(seen(&digests), seen(&full));
            proptest::prop_assert!(digests.attachments.iter().all(|a| a.data.is_empty() || a.size == a.data.len() as u64));
        }
    }

    #[test]
    fn a_part_whose_body_follows_its_header_without_a_blank_line_is_read() {
        let message = b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhello\n--b\nContent-Type: application/octet-stream; name=a.bin\nContent-Transfer-Encoding: base64\naGVsbG8g\nd29ybGQ=\n--b--\n";
        let reading = read(message);
        assert_eq!(reading.attachments.len(), 1);
        assert_eq!(reading.attachments[0].data, b"hello world");
        assert_eq!(reading.attachments[0].name.as_deref(), Some("a.bin"));
        assert!(reading.attachments[0].whole && reading.attachments[0].clean);
        assert_eq!(reading.notes.len(), 1, "{:?}", reading.notes);
        assert!(reading.notes[0].starts_with("MIME part 2:"));
    }

    #[test]
    fn a_boundary_that_begins_with_an_enclosing_one_is_told_apart() {
        // The shape of PHP's mail functions (golang/go#10616 shows one): the alternative's
        // boundary is the related one's with `_alt` added.
        let message = b"Content-Type: multipart/related; boundary=\"--=_P\"\n\n----=_P\nContent-Type: multipart/alternative; boundary=\"--=_P_alt\"\n\n----=_P_alt\nContent-Type: text/plain\n\nplain\n----=_P_alt\nContent-Type: text/html\n\n<p>html</p>\n----=_P_alt--\n----=_P\nContent-Type: image/png; name=a.png\nContent-Transfer-Encoding: base64\n\naGVsbG8=\n----=_P--\n";
        let reading = read(message);
        assert_eq!(reading.text_body, text_digest("plain"));
        assert_eq!(reading.html_body, text_digest("<p>html</p>"));
        assert_eq!(reading.attachments.len(), 1, "{:?}", reading.attachments);
        assert_eq!(reading.attachments[0].data, b"hello");
        assert_eq!(reading.notes.len(), 1, "{:?}", reading.notes);
        assert_eq!(
            declared_boundaries(b"Content-Type: multipart/mixed;\n BOUNDARY=abc\n\n--abc\n"),
            vec![(41, &b"abc"[..])]
        );
        // Boundaries that hold the word are not parameters (GMX's, Python's).
        let gmx = b"Content-Type: multipart/mixed; boundary=\"gmxboundary=-1-top\"\n\n--gmxboundary=-1-top\nContent-Type: multipart/related; boundary=\"===BOUNDARY==\"\n";
        let values: Vec<&[u8]> = declared_boundaries(gmx)
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        assert_eq!(values, vec![&b"gmxboundary=-1-top"[..], b"===BOUNDARY=="]);
    }

    #[test]
    fn boundaries_are_told_apart_in_place_and_the_message_is_given_back_unchanged() {
        // Three boundaries, each beginning with the one before (the generator's and PHP's
        // shape, nested twice), and a base64 line that holds the longest one: it stays as sent.
        let message = b"From x@y Mon Jan  1 00:00:00 2024\nContent-Type: multipart/mixed; boundary=b1\n\n--b1\nContent-Type: multipart/related; boundary=\"b1r\"\n\n--b1r\nContent-Type: multipart/alternative; boundary=b1ra\n\n--b1ra\nContent-Type: text/plain\n\nplain\n--b1ra\nContent-Type: text/html\n\n<p>html</p>\n--b1ra--\n--b1r\nContent-Type: image/png; name=i.png\nContent-Transfer-Encoding: base64\n\naGVsbG8=\n--b1r--\n--b1\nContent-Type: application/octet-stream; name=a.bin\nContent-Transfer-Encoding: base64\n\nQUJDb1raREVG\n--b1--\n";
        let copied = read(message);
        assert_eq!(copied.text_body, text_digest("plain"));
        assert_eq!(copied.html_body, text_digest("<p>html</p>"));
        let data: Vec<&[u8]> = copied
            .attachments
            .iter()
            .map(|a| a.data.as_slice())
            .collect();
        assert_eq!(data, [&b"hello"[..], b"ABCoZ\xdaDEF"]);
        assert!(copied.attachments.iter().all(|a| a.whole && a.clean));
        assert_eq!(copied.notes.len(), 1, "{:?}", copied.notes);
        assert!(copied.notes[0].contains("2 multipart boundaries"));

        let mut bytes = message.to_vec();
        let in_place = read_digests_in_place(&mut bytes);
        assert_eq!(bytes, message, "the message is given back as it was");
        assert_eq!(in_place, read_digests(message));
        assert_eq!(
            in_place
                .attachments
                .iter()
                .map(|a| a.hash)
                .collect::<Vec<_>>(),
            copied
                .attachments
                .iter()
                .map(|a| a.hash)
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_message_changed_for_the_reading_is_put_back_when_the_reading_panics() {
        let mut bytes = b"abcdef".to_vec();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let renamed = Renamed::apply(&mut bytes, vec![(1, b'X'), (4, b'Y'), (1, b'Z')]);
            assert_eq!(&*renamed, b"aZcdYf");
            panic!("a reading bug");
        }));
        assert!(outcome.is_err());
        assert_eq!(bytes, b"abcdef");
    }

    #[test]
    fn stray_lines_between_fields_do_not_end_the_header() {
        assert_eq!(early_body_start(b"A: 1\nstray\nB: 2\n\nbody"), None);
        assert_eq!(early_body_start(b"A: 1\n continued\n\nbody"), None);
        assert_eq!(early_body_start(b"A: 1\nbody\nmore"), Some(5));
        assert_eq!(early_body_start(b"A: 1\nbody\n\n  \n"), Some(5));
        assert_eq!(early_body_start(b"A: 1\nbody\n\nmore"), None);
        assert!(is_field(b"Subject : x"));
        assert!(!is_field(b"aGVsbG8="));
        assert!(!is_field(b": x"));
    }

    #[test]
    fn a_multipart_that_never_closes_is_cut_short() {
        let message = b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhello\n--b\nContent-Type: application/octet-stream; name=a.bin\nContent-Transfer-Encoding: base64\n\naGVsbG8gd29y";
        let reading = read(message);
        let part = &reading.attachments[0];
        assert!(!part.whole);
        assert_eq!(part.data, b"hello wor");
        assert!(reading.notes.iter().any(|n| n.contains("never close")));
        assert_eq!(reading.cut_short.as_deref(), Some("2"));
    }

    #[test]
    fn bodies_and_header_fields() {
        let message = "From x Mon Jan  1 00:00:00 2001\nSubject: =?utf-8?q?caf=C3=A9?=  now\nFrom: \"Ann B\" <ann@example.org>\nDate: Thu, 01 Jan 2004 00:00:00 +0000\nMessage-ID:  <1@x> \nContent-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nna=EFve\n--a\nContent-Type: text/html\n\n<meta charset=\"latin1\"><p>x</p>\n--a--\n";
        let reading = read(message.as_bytes());
        assert_eq!(reading.subject.as_deref(), Some("café now"));
        assert_eq!(
            reading.from,
            Some((Some("Ann B".to_owned()), "ann@example.org".to_owned()))
        );
        assert_eq!(reading.date, Some(1_072_915_200));
        assert_eq!(reading.message_id.as_deref(), Some("<1@x>"));
        assert_eq!(reading.text_body, text_digest("naïve"));
        assert_eq!(
            reading.html_body,
            text_digest("<meta charset=\"utf-8\"><p>x</p>")
        );
        assert!(reading.attachments.is_empty());
        assert!(reading.notes.is_empty(), "{:?}", reading.notes);
    }

    #[test]
    fn the_text_digest_is_that_of_the_text_normalized_then_trimmed() {
        // The rule as the copies it avoids would apply it.
        fn by_copies(text: &str) -> Option<TextDigest> {
            let text = text
                .replace("\r\n", "\n")
                .replace(['\r'], "\n")
                .replace('\0', "");
            let text = text.trim();
            (!text.is_empty()).then(|| TextDigest {
                sha256: Sha256::digest(text.as_bytes()).into(),
                chars: text.chars().count(),
            })
        }
        for text in [
            "",
            " \r\n\t",
            "a",
            "\r\n a\r\nb\r\n\r\n",
            " \0 a\0 ",
            "x\r\r\ny\rz",
            "\u{3000}naïve\u{a0}text\u{2028}",
            "\0",
            "a\r",
        ] {
            assert_eq!(text_digest(text), by_copies(text), "{text:?}");
        }
    }

    /// Base64 the vector decoder refuses (stray bits after the last byte, padding inside the
    /// body) decodes as mailparse decodes it.
    #[test]
    fn base64_that_is_not_canonical_decodes_as_mailparse_does() {
        for raw in [&b"QR=="[..], b"QUJ=\r\n", b"QQ==QUJD", b"QUJD\r\nQR==\r\n"] {
            assert!(whole_base64(raw).is_some(), "{raw:?}");
            assert_eq!(base64_in_stretches(raw), whole_base64(raw), "{raw:?}");
        }
    }

    #[test]
    fn broken_base64_is_recovered_or_kept() {
        assert_eq!(
            recoverable_base64(b"aGk\r\nx").as_deref(),
            Some(&b"aGkx"[..])
        );
        assert_eq!(recoverable_base64(b"aGVsb").as_deref(), Some(&b"aGVs"[..]));
        assert_eq!(recoverable_base64(b"aG?k"), None);
    }
}
