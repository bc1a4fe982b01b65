//! One stored message ([`RawMessage`]) to the message a PST keeps ([`pst::Message`]): pure
//! functions, no I/O. This is where charsets, broken headers and odd MIME are handled; every
//! repair of malformed input leaves a warning that says what was done, and a message that cannot
//! be read at all is still converted (its bytes attached), never dropped.
//!
//! MIME parsing is mail-parser's; before it sees the bytes, `framing` finds where the header
//! ends, because a file without a header or with an unterminated one would otherwise lose text.
//! The bytes of each part are decoded here (`parts`), not taken from mail-parser; large base64
//! files are decoded before mail-parser reads the message (`lean`).
//!
//! Decisions about malformed input (each has a test with such an input):
//! * Unreadable — subject [`UNPARSEABLE_SUBJECT`], bytes attached, `degraded`: an empty or blank
//!   file, and a file with no header whose content is not text (a NUL byte in its first 8000
//!   bytes). Text without a header is a message with an empty header and that text as body.
//! * A header not ended by a blank line ends at its first line that is not a field; stray lines
//!   inside a header that does end are skipped (and stay in the transport headers), unless
//!   nothing but white space follows that blank line: then the lines after the last field are
//!   the body.
//! * A leading mbox `From ` line or byte-order mark is not part of the message; the separator's
//!   date is the received time when neither the store nor a `Received:` field gives one.
//! * Repeated Subject/From/Date/Message-ID fields: the first counts. Repeated Content-Type
//!   fields of a message's own header: the first (as mail clients and Python's `email` read
//!   them; the later ones are left out of the parser's input). Other repeated MIME fields, and
//!   those of a part's header: the last (as mail-parser reads the structure).
//! * A Date that is not a real date (mail-parser's range check, plus the day must exist) is left
//!   out; nothing is invented.
//! * Undeclared 8-bit header text: UTF-8 if valid, else the message's charset, else
//!   Windows-1252. Body text: a wrong or unknown charset label falls back the same way.
//! * Transfer encodings are read by their first word, case-insensitively (`base64;`); unknown
//!   ones as 8bit; broken base64 and uuencode are kept as sent.
//! * `Content-Type: text` without subtype is text/plain.
//! * HTML bodies are stored as UTF-8, so their `<meta charset>` is rewritten to say so.
//! * An attached message that cannot be read, or nested deeper than 16, is kept as an `.eml`.
//! * A MIME part whose body follows its header with no blank line between them: the header
//!   ends at the run of lines that are not header fields and that no field follows, when the
//!   header would otherwise run to the end of the part (as Python's `email` and MimeKit read it).
//!
//! The conversion is checked against a second, independent reading of the same message
//! (`reading`, a parser that shares no code with this module): the engine reads each message
//! both ways and calls [`consult()`]. The engine's reading keeps of each attachment only its size,
//! content hash and CRC-32, which is enough to pair the attachments that agree (nearly all); where one does
//! not pair, [`consult()`] answers [`NeedsPartBytes`] and the engine reads the message again,
//! keeping the bytes. Where the two disagree on content (each case has a test):
//! * An attachment both see, but the converter sees shorter (a prefix of what the reading
//!   decoded): the reading's bytes are kept when they can be trusted (the part is whole, i.e.
//!   its multipart closes, and its transfer encoding decoded cleanly); otherwise the
//!   converter's, and a warning gives both sizes and why the fuller one is not trusted.
//! * A file only the reading sees: added when it can be trusted and is not empty, otherwise a
//!   warning. A text part only the reading sees as an attachment is only reported (the
//!   converter may have taken it as body text, and it must not be there twice).
//! * An attachment only the converter sees: kept, with a warning.
//! * A message cut short (a multipart that never closes: a mailbox truncated in the middle of
//!   a message): written as found, with a warning that says it is cut short.
//!
//! Every such warning puts the message among those "converted with warnings" in the report,
//! with its place in the source.

mod calendar;
mod consult;
mod contact;
mod duplicate;
mod fields;
mod framing;
mod large;
mod lean;
mod part_headers;
mod parts;
mod text;

use std::collections::BTreeSet;
use std::path::Path;

use mail_parser::{Message as MimeMessage, MessageParser, MimeHeaders as _};

pub use consult::{NeedsPartBytes, consult};
pub use duplicate::{DuplicateKey, content_hash, duplicate_key};

use self::fields::Fields;
use self::framing::{Framing, Shape};
use self::large::{KeptParts, Skeleton};
use self::parts::Parts;
use self::text::{quote, utf8_or_windows_1252};
use crate::model::{FileSpan, FolderKind, MessageFlags, RawMessage};
use crate::pst::{self, Attachment, AttachmentContent, FileTime};

/// The subject of a message that could not be read at all.
pub const UNPARSEABLE_SUBJECT: &str = "(unparseable message)";

/// Header fields that are a mail client's private bookkeeping, not mail: Thunderbird's status
/// bits and tags (the Thunderbird source turns them into flags and categories first).
const BOOKKEEPING_FIELDS: [&str; 3] = ["X-Mozilla-Status", "X-Mozilla-Status2", "X-Mozilla-Keys"];

/// A converted message and what the conversion had to repair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Converted {
    pub message: pst::Message,
    /// What was repaired or assumed, one sentence each, for the job's report. Only the
    /// conversion's own; the source's `RawMessage::warnings` are not repeated here.
    pub warnings: Vec<String>,
    /// True when the PST message is not a faithful copy: the message could not be read (its
    /// bytes are attached instead), or an attachment too large for a PST was left out.
    pub degraded: bool,
}

/// Converts an item of a folder of `kind`: mail, a vCard, an iCalendar event or to-do.
/// `default_zone` (an IANA name) is the zone of iCalendar times that name none ("floating"
/// times, all-day dates): the zone of the computer the conversion runs on. The large parts of
/// a large mail message wait in `spill_dir` ([`convert_spilling_to`]).
pub fn convert_item(
    raw: &RawMessage,
    kind: FolderKind,
    default_zone: &str,
    spill_dir: &Path,
) -> Converted {
    match kind {
        FolderKind::Mail => convert_spilling_to(raw, spill_dir),
        FolderKind::Contacts => with_categories(contact::convert(&raw.bytes), raw),
        FolderKind::Calendar => {
            with_categories(calendar::convert_event(&raw.bytes, default_zone), raw)
        }
        FolderKind::Tasks => with_categories(calendar::convert_todo(&raw.bytes, default_zone), raw),
    }
}

/// Adds the source's warnings and tags (an address book's own categories) to a converted item.
fn with_categories(mut converted: Converted, raw: &RawMessage) -> Converted {
    for keyword in &raw.keywords {
        if !converted.message.categories.contains(keyword) {
            converted.message.categories.push(keyword.clone());
        }
    }
    converted
}

/// Converts one message. Never fails and never panics: what cannot be read is kept as an
/// attachment and reported. The large parts of a large message are kept in the system's
/// temporary folder while the message is written ([`convert_spilling_to`] says where).
pub fn convert(raw: &RawMessage) -> Converted {
    convert_spilling_to(raw, &std::env::temp_dir())
}

/// Converts one message as [`convert`] does; the large parts of a large message
/// ([`RawMessage::large`]) are decoded into unnamed files in `dir`, which the PST writer reads
/// them from and which vanish with the converted message.
pub fn convert_spilling_to(raw: &RawMessage, dir: &Path) -> Converted {
    let limits = Limits {
        spill_dir: Some(dir),
        ..Limits::PST
    };
    match &raw.large {
        Some(span) => convert_large(raw, span, &limits),
        None => convert_with(raw, &limits),
    }
}

/// What a PST can hold, how deep attached messages are followed, and how a large message's
/// parts are kept.
#[derive(Clone, Copy, Debug)]
struct Limits<'a> {
    /// Attachments this large or larger are left out.
    max_attachment_bytes: u64,
    /// Messages attached deeper than this are kept as `.eml` files, not converted.
    max_depth: usize,
    /// Parts of a large message larger than this are kept on disk.
    large_part: usize,
    /// Where they are kept (the system's temporary folder when `None`).
    spill_dir: Option<&'a Path>,
    /// The parts of the message being converted that are kept apart from what the parser reads:
    /// on disk for a large message, in memory for the large base64 files of another (`lean`).
    kept: Option<&'a KeptParts>,
}

impl Limits<'_> {
    const PST: Limits<'static> = Limits {
        // PST attachment sizes are 32-bit signed.
        max_attachment_bytes: 2 * 1024 * 1024 * 1024,
        max_depth: 16,
        large_part: large::PART_IN_MEMORY,
        spill_dir: None,
        kept: None,
    };

    fn spill_dir(&self) -> std::borrow::Cow<'_, Path> {
        match self.spill_dir {
            Some(dir) => std::borrow::Cow::Borrowed(dir),
            None => std::borrow::Cow::Owned(std::env::temp_dir()),
        }
    }
}

/// Problems met while converting one message.
#[derive(Debug, Default)]
struct Notes {
    warnings: Vec<String>,
    /// The warnings already recorded, to keep each once.
    seen: BTreeSet<String>,
    degraded: bool,
}

impl Notes {
    /// Records a warning once (a part read twice, for both bodies, is reported once).
    fn warn(&mut self, warning: impl Into<String>) {
        let warning = warning.into();
        if self.seen.insert(warning.clone()) {
            self.warnings.push(warning);
        }
    }

    /// Takes in the notes of an attached message, each prefixed with where it was.
    fn merge(&mut self, place: &str, inner: Notes) {
        for warning in inner.warnings {
            self.warn(format!("{place}: {warning}"));
        }
        self.degraded |= inner.degraded;
    }
}

fn convert_with(raw: &RawMessage, limits: &Limits) -> Converted {
    // Large base64 files are decoded before the parser reads the rest (see `lean`).
    if limits.kept.is_none()
        && let Some(skeleton) = guarded(|| lean::cut(&raw.bytes)).flatten()
    {
        return convert_skeleton(raw, &skeleton, limits);
    }
    convert_bytes(raw, &raw.bytes, limits)
}

/// `raw` converted from `bytes`, its own or a skeleton of it.
fn convert_bytes(raw: &RawMessage, bytes: &[u8], limits: &Limits) -> Converted {
    let mut notes = Notes::default();
    let message = match read_message(bytes, 0, limits, &mut notes) {
        Ok(message) => message,
        Err(why) => return unparseable_within(raw, &why, limits),
    };
    with_store_state(raw, message, notes)
}

/// A skeleton of `raw` (its headers and small parts, each kept part replaced by a marker)
/// converted as any message; the kept parts come from where they were kept.
fn convert_skeleton(raw: &RawMessage, skeleton: &Skeleton, limits: &Limits) -> Converted {
    let limits = Limits {
        kept: Some(&skeleton.kept),
        ..*limits
    };
    convert_bytes(raw, &skeleton.bytes, &limits)
}

/// A message too large for memory: its skeleton (its headers and small parts, each large part
/// replaced by a marker) is converted as any message; the large parts come from their files.
fn convert_large(raw: &RawMessage, span: &FileSpan, limits: &Limits) -> Converted {
    match large::read(span, &limits.spill_dir(), limits.large_part) {
        Ok(skeleton) => convert_skeleton(raw, &skeleton, limits),
        Err(why) => unparseable_within(raw, &why, limits),
    }
}

/// What the store knew of a message, added to its conversion: received time, flags, tags.
fn with_store_state(raw: &RawMessage, mut message: pst::Message, mut notes: Notes) -> Converted {
    if let Some(received) = raw.received {
        match FileTime::from_unix(received) {
            Some(time) => message.delivery_time = Some(time),
            None => notes.warn(format!(
                "the store's received time {received} is out of range; not used"
            )),
        }
    }
    message.state = state_of(raw.flags);
    message.categories = categories(&raw.keywords);
    Converted {
        message,
        warnings: notes.warnings,
        degraded: notes.degraded,
    }
}

/// A message that could not be read (`why` says why): written anyway, with its bytes as an
/// attachment and the store's flags, received time and tags, as [`convert`] writes a message it
/// cannot parse. For a caller whose conversion of the message failed in another way.
pub fn unparseable(raw: &RawMessage, why: &str) -> Converted {
    unparseable_within(raw, why, &Limits::PST)
}

fn unparseable_within(raw: &RawMessage, why: &str, limits: &Limits) -> Converted {
    let mut warnings = vec![format!(
        "the message could not be read ({why}); its bytes are attached as message.eml"
    )];
    let mut attachments = Vec::new();
    let size = raw.size();
    let content = if size >= limits.max_attachment_bytes {
        warnings.push(format!(
            "its {size} bytes are more than a PST attachment can hold; left out"
        ));
        None
    } else {
        match &raw.large {
            None => Some(AttachmentContent::Data(raw.bytes.clone())),
            Some(span) => match large::copy_to_spill(span, &limits.spill_dir()) {
                Ok(data) => Some(AttachmentContent::Streamed(data)),
                Err(error) => {
                    warnings.push(format!("its bytes could not be read again: {error}"));
                    None
                }
            },
        }
    };
    if let Some(content) = content {
        attachments.push(Attachment {
            filename: Some("message.eml".to_owned()),
            mime_type: Some("message/rfc822".to_owned()),
            content_id: None,
            content_location: None,
            hidden: false,
            content,
        });
    }
    Converted {
        message: pst::Message {
            subject: Some(UNPARSEABLE_SUBJECT.to_owned()),
            delivery_time: raw.received.and_then(FileTime::from_unix),
            state: state_of(raw.flags),
            attachments,
            categories: categories(&raw.keywords),
            ..pst::Message::default()
        },
        warnings,
        degraded: true,
    }
}

/// Reads one message from its bytes (a stored message, or one attached to another). `Err`
/// says why there is no message to read; nothing is noted then.
fn read_message(
    bytes: &[u8],
    depth: usize,
    limits: &Limits,
    notes: &mut Notes,
) -> Result<pst::Message, String> {
    // mail-parser keeps offsets as u32.
    if u32::try_from(bytes.len()).is_err() {
        return Err(format!("{} bytes is too large to parse", bytes.len()));
    }
    let framing = Framing::of(bytes);
    if framing.message.iter().all(u8::is_ascii_whitespace) {
        return Err("it is empty".to_owned());
    }
    if framing.shape == Shape::NoHeader && looks_binary(framing.message) {
        return Err("it has no header and is not text".to_owned());
    }
    let input = framing.parser_input();
    let Some(mut parsed) = parse_guarded(&input) else {
        return Err("the MIME parser found no message in it".to_owned());
    };
    let mut own = Notes::default();
    note_framing(&framing, &mut own);
    let repairs = part_headers::missing_blank_lines(&parsed);
    let message = if repairs.is_empty() {
        message_of(&mut parsed, &framing, depth, limits, &mut own)
    } else {
        drop(parsed);
        let repaired = repaired_parts(&input, repairs, &mut own);
        let Some(mut parsed) = parse_guarded(&repaired) else {
            return Err("the MIME parser found no message in it".to_owned());
        };
        message_of(&mut parsed, &framing, depth, limits, &mut own)
    };
    for warning in own.warnings {
        notes.warn(warning);
    }
    notes.degraded |= own.degraded;
    Ok(message)
}

/// The parser's input with every MIME part's header ended where its body begins (see
/// `part_headers`). A repair can bring to light a part the broken one hid, so this looks again,
/// a few times at most.
fn repaired_parts(input: &[u8], mut repairs: Vec<usize>, notes: &mut Notes) -> Vec<u8> {
    const ROUNDS: usize = 4;
    let mut bytes = input.to_vec();
    for _ in 0..ROUNDS {
        for &at in &repairs {
            notes.warn(format!(
                "a MIME part's header is followed by its body with no blank line between them; \
                 the body was read from line {} on",
                part_headers::line_number(&bytes, at)
            ));
        }
        bytes = part_headers::with_blank_lines(&bytes, &repairs);
        repairs = match parse_guarded(&bytes) {
            Some(parsed) => part_headers::missing_blank_lines(&parsed),
            None => Vec::new(),
        };
        if repairs.is_empty() {
            break;
        }
    }
    bytes
}

/// Git's test for binary content: a NUL byte in the first 8000 bytes.
fn looks_binary(bytes: &[u8]) -> bool {
    bytes.iter().take(8000).any(|&b| b == 0)
}

fn note_framing(framing: &Framing<'_>, notes: &mut Notes) {
    if framing.had_bom {
        notes.warn("the message starts with a UTF-8 byte-order mark; it was left out");
    }
    if let Some(line) = framing.from_line {
        notes.warn(format!(
            "the message starts with an mbox separator line {}; it is not part of the message",
            quote(line)
        ));
    }
    match framing.shape {
        Shape::Normal if framing.header.is_empty() => {
            notes.warn("the message has no header: it starts with a blank line");
        }
        Shape::Normal => {}
        Shape::NoHeader => {
            notes.warn("the message has no header: its first line is not a header field, so all of it is taken as body");
        }
        Shape::Unterminated { .. } => {
            notes.warn("the header is not ended by a blank line: it ends at the first line that is not a header field, and the rest is taken as body");
        }
    }
    if !framing.later_content_types.is_empty() {
        notes.warn(format!(
            "the header has {} Content-Type fields; the first was followed, as mail clients do",
            framing.later_content_types.len() + 1
        ));
    }
    const LISTED: usize = 3;
    for (line, text) in framing.stray_lines.iter().take(LISTED) {
        notes.warn(format!(
            "header line {line} is not a header field and was skipped: {}",
            quote(text)
        ));
    }
    if framing.stray_lines.len() > LISTED {
        notes.warn(format!(
            "{} more header lines are not header fields and were skipped",
            framing.stray_lines.len() - LISTED
        ));
    }
}

/// A parsed message as a PST message.
fn message_of(
    parsed: &mut MimeMessage<'_>,
    framing: &Framing<'_>,
    depth: usize,
    limits: &Limits,
    notes: &mut Notes,
) -> pst::Message {
    let (mut message, parser_bodies) = read_parsed(parsed, framing, depth, limits, notes);
    parts::take_parser_bodies(parsed, &mut message.attachments, &parser_bodies);
    message
}

/// The message as [`message_of`] makes it, but for the attachments whose bytes mail-parser
/// decoded: those are listed, to be moved out of the parsed message.
fn read_parsed(
    parsed: &MimeMessage<'_>,
    framing: &Framing<'_>,
    depth: usize,
    limits: &Limits,
    notes: &mut Notes,
) -> (pst::Message, Vec<(usize, usize)>) {
    let Some(root) = parsed.parts.first() else {
        return (pst::Message::default(), Vec::new());
    };
    let charset = declared_charset(parsed);
    let fields = Fields {
        headers: &root.headers,
        raw: &parsed.raw_message,
        charset,
    };

    let from = fields::mailbox(fields, mail_parser::HeaderName::From, notes);
    let sender = fields::mailbox(fields, mail_parser::HeaderName::Sender, notes).filter(|s| {
        from.as_ref()
            .is_none_or(|f| !f.email.eq_ignore_ascii_case(&s.email))
    });
    let mut recipients = Vec::new();
    for (name, kind) in [
        (mail_parser::HeaderName::To, pst::RecipientKind::To),
        (mail_parser::HeaderName::Cc, pst::RecipientKind::Cc),
        (mail_parser::HeaderName::Bcc, pst::RecipientKind::Bcc),
    ] {
        for address in fields::recipients(fields, name, notes) {
            recipients.push(pst::Recipient { kind, address });
        }
    }
    let submit_time = fields::date(fields, notes);
    // A Received: field has a zone; an mbox separator's date usually has none.
    let delivery_time = fields::received(fields)
        .or_else(|| framing.from_line.and_then(fields::from_line_time))
        .or(submit_time);

    let parts = Parts::new(parsed, charset, limits.kept);
    parts.check(notes);
    let (body_text, body_html) = parts.bodies(notes);
    let (attachments, parser_bodies) =
        parts.attachments(body_html.as_deref(), depth, limits, notes);

    let header_block = parsed
        .raw_message
        .get(root.offset_header as usize..root.offset_body as usize)
        .unwrap_or_default();

    let message = pst::Message {
        subject: fields::subject(fields, notes),
        from,
        sender,
        recipients,
        submit_time,
        delivery_time,
        state: pst::MessageState::default(),
        importance: fields::importance(fields),
        internet_message_id: fields::message_id(fields, notes),
        in_reply_to: fields::id_list(fields, mail_parser::HeaderName::InReplyTo),
        references: fields::id_list(fields, mail_parser::HeaderName::References),
        transport_headers: transport_headers(header_block),
        body_text,
        body_html,
        attachments,
        categories: Vec::new(),
        conversation_index: fields::conversation_index(fields, notes),
        item: None,
    };
    (message, parser_bodies)
}

/// The charset the message declares for its text: the top-level Content-Type's, else the
/// first text body part's. Used to read header bytes that were sent without an encoding.
fn declared_charset<'m>(parsed: &'m MimeMessage<'_>) -> Option<&'m str> {
    let charset_of = |index: usize| {
        parsed
            .parts
            .get(index)?
            .content_type()?
            .attribute("charset")
    };
    charset_of(0).or_else(|| {
        parsed
            .text_body
            .iter()
            .chain(&parsed.html_body)
            .find_map(|&id| charset_of(id as usize))
    })
}

/// The header block as Outlook keeps it (PidTagTransportMessageHeaders): the fields as
/// received, CRLF line ends, without a mail client's bookkeeping fields or an mbox separator.
/// Lines that are not UTF-8 are read as Windows-1252, which keeps every byte.
fn transport_headers(block: &[u8]) -> Option<String> {
    let mut text = String::new();
    for (at, field) in framing::header_fields(block).into_iter().enumerate() {
        let first_line = framing::trim_line_end(&field[..framing::line_end(field, 0)]);
        if first_line.is_empty()
            || (at == 0 && field.starts_with(b"From ") && !framing::is_field_line(first_line))
        {
            continue;
        }
        if let Some(name) = framing::field_name(field)
            && BOOKKEEPING_FIELDS
                .iter()
                .any(|b| b.as_bytes().eq_ignore_ascii_case(name))
        {
            continue;
        }
        let mut start = 0;
        while start < field.len() {
            let end = framing::line_end(field, start);
            text.push_str(&utf8_or_windows_1252(framing::trim_line_end(
                &field[start..end],
            )));
            text.push_str("\r\n");
            start = end;
        }
    }
    (!text.is_empty()).then_some(text)
}

fn state_of(flags: MessageFlags) -> pst::MessageState {
    pst::MessageState {
        read: flags.read,
        replied: flags.replied,
        forwarded: flags.forwarded,
        flagged: flags.flagged,
        draft: flags.draft,
    }
}

/// The user's tags as Outlook categories: trimmed, empty ones and repeats left out.
fn categories(keywords: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for keyword in keywords {
        let keyword = keyword.trim();
        if !keyword.is_empty() && !out.iter().any(|k| k == keyword) {
            out.push(keyword.to_owned());
        }
    }
    out
}

/// mail-parser's parse. It promises never to panic, but it is given every byte anyone ever
/// sent; a panic there must cost one message, not the job.
fn parse_guarded(bytes: &[u8]) -> Option<MimeMessage<'_>> {
    guarded(|| MessageParser::default().parse(bytes)).flatten()
}

/// Runs a parsing step of a dependency, turning a panic into `None`.
fn guarded<T>(step: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(step)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FolderPath, Origin};

    fn raw(bytes: &[u8]) -> RawMessage {
        RawMessage::new(
            FolderPath::root(),
            bytes.to_vec(),
            Origin::File {
                path: "test.eml".into(),
            },
        )
    }

    fn data_len(attachment: &Attachment) -> usize {
        data(attachment).len()
    }

    fn data(attachment: &Attachment) -> &[u8] {
        match &attachment.content {
            AttachmentContent::Data(bytes) => bytes,
            AttachmentContent::Message(_) => panic!("an attached message"),
            AttachmentContent::Streamed(_) => panic!("a streamed attachment"),
        }
    }

    /// The message `text` converted with its large parts decoded before the parser reads it
    /// (and the parts cut), after checking that the parser alone reads it into the same
    /// message, with the same warnings.
    fn converts_as_the_parser_reads(text: &str) -> (Converted, large::Skeleton) {
        let raw = raw(text.as_bytes());
        let skeleton = lean::cut(&raw.bytes).expect("large parts are cut");
        let lean = convert(&raw);
        let mut notes = Notes::default();
        let parsed = read_message(&raw.bytes, 0, &Limits::PST, &mut notes).unwrap();
        let parser = with_store_state(&raw, parsed, notes);
        assert_eq!(lean.warnings, parser.warnings);
        assert_eq!(lean.message, parser.message);
        (lean, skeleton)
    }

    /// A message whose large files are decoded before the parser reads it converts exactly as
    /// the parser alone reads it: line ends, nested multiparts, a boundary that begins with
    /// another, an inline image, a small file, a file whose base64 has no padding (not cut).
    #[test]
    fn large_files_decoded_before_parsing_convert_as_the_parser_reads_them() {
        use super::lean::tests::{lines as base64_lines, noise};
        let files = [
            ("image/png", "inline", noise(200_000, 1)),
            ("application/pdf", "attachment", noise(300_001, 2)),
            ("application/zip", "attachment", noise(1_000, 3)),
            ("application/octet-stream", "attachment", noise(90_002, 4)),
        ];
        for eol in ["\n", "\r\n"] {
            let mut text = [
                "From: Ann <ann@example.com>",
                "To: bob@example.com",
                "Subject: files",
                "Message-ID: <lean@example.com>",
                "Content-Type: multipart/mixed; boundary=\"b\"",
                "",
                "--b",
                "Content-Type: multipart/related; boundary=\"b-rel\"",
                "",
                "--b-rel",
                "Content-Type: text/html; charset=utf-8",
                "",
                "<p>see <img src=\"cid:img\"></p>",
            ]
            .join(eol);
            for (index, (mime, disposition, data)) in files.iter().enumerate() {
                let boundary = if index == 0 { "b-rel" } else { "b" };
                let mut encoded = base64_lines(data, eol);
                if index == 3 {
                    encoded = format!("{}{eol}", encoded.trim_end().trim_end_matches('='));
                }
                text.push_str(&format!(
                    "{eol}--{boundary}{eol}Content-Type: {mime}; name=\"f{index}\"{eol}\
                     Content-Disposition: {disposition}; filename=\"f{index}\"{eol}\
                     Content-ID: <img>{eol}Content-Transfer-Encoding: base64{eol}{eol}{encoded}"
                ));
                if index == 0 {
                    text.push_str(&format!("--b-rel--{eol}"));
                }
            }
            text.push_str(&format!("--b--{eol}"));
            let (lean, skeleton) = converts_as_the_parser_reads(&text);
            // The image and the PDF; not the small file, nor the one without padding.
            assert!(skeleton.kept.find(&skeleton.kept.marker(1)).is_some());
            assert!(skeleton.kept.find(&skeleton.kept.marker(2)).is_none());
            let sizes: Vec<usize> = lean.message.attachments.iter().map(data_len).collect();
            assert_eq!(sizes, [200_000, 300_001, 1_000, 90_002]);
        }
    }

    /// Large base64 text parts (bodies in a charset, an HTML body, text files that are not
    /// UTF-8, a part without a Content-Type) decoded before the parser reads the message
    /// convert exactly as the parser alone reads them: the same bodies, the same attachments,
    /// the same warnings.
    #[test]
    fn large_text_parts_decoded_before_parsing_convert_as_the_parser_reads_them() {
        use super::lean::tests::{lines as base64_lines, noise};
        let latin1: Vec<u8> = b"Gr\xfc\xdfe aus M\xfcnchen, caf\xe9 na\xefve.\n"
            .iter()
            .copied()
            .cycle()
            .take(150_000)
            .collect();
        let html = "<p>Grüße — ☕ 会議</p>\n".repeat(6_000);
        let csv = "name;city\nZoë;Århus\n".repeat(8_000);
        let parts: [(Option<&str>, &str, Vec<u8>); 5] = [
            (Some("text/plain; charset=iso-8859-1"), "", latin1),
            (Some("text/html; charset=utf-8"), "", html.into_bytes()),
            (
                Some("text/plain; name=\"log.txt\""),
                "Content-Disposition: attachment; filename=\"log.txt\"",
                noise(120_001, 5),
            ),
            (
                Some("text/csv; charset=utf-8"),
                "Content-Disposition: attachment; filename=\"t.csv\"",
                csv.into_bytes(),
            ),
            (
                None,
                "Content-Disposition: attachment; filename=\"typeless.txt\"",
                noise(70_000, 6),
            ),
        ];
        for eol in ["\n", "\r\n"] {
            let mut text = [
                "From: Ann <ann@example.com>",
                "Subject: texts",
                "Message-ID: <lean-text@example.com>",
                "Content-Type: multipart/mixed; boundary=\"b\"",
                "",
                "--b",
                "Content-Type: multipart/alternative; boundary=\"b-alt\"",
                "",
            ]
            .join(eol);
            for (index, (content_type, field, data)) in parts.iter().enumerate() {
                let boundary = if index < 2 { "b-alt" } else { "b" };
                text.push_str(&format!("{eol}--{boundary}{eol}"));
                if let Some(content_type) = content_type {
                    text.push_str(&format!("Content-Type: {content_type}{eol}"));
                }
                if !field.is_empty() {
                    text.push_str(&format!("{field}{eol}"));
                }
                text.push_str(&format!(
                    "Content-Transfer-Encoding: base64{eol}{eol}{}",
                    base64_lines(data, eol)
                ));
                if index == 1 {
                    text.push_str(&format!("--b-alt--{eol}"));
                }
            }
            text.push_str(&format!("--b--{eol}"));
            let (lean, skeleton) = converts_as_the_parser_reads(&text);
            assert!(skeleton.kept.find(&skeleton.kept.marker(4)).is_some());
            let body = lean.message.body_text.as_deref().unwrap_or_default();
            assert!(
                body.starts_with("Grüße aus München, café naïve."),
                "{body:.40}"
            );
            assert!(
                lean.message
                    .body_html
                    .as_deref()
                    .unwrap_or_default()
                    .contains("☕ 会議")
            );
            let sizes: Vec<usize> = lean.message.attachments.iter().map(data_len).collect();
            assert_eq!(sizes, [120_001, parts[3].2.len(), 70_000]);
            assert_eq!(data(&lean.message.attachments[0]), &parts[2].2[..]);
        }
    }

    #[test]
    fn empty_and_blank_files_are_unparseable_but_kept() {
        for bytes in [&b""[..], b"\r\n  \n\t\n"] {
            let converted = convert(&raw(bytes));
            assert!(converted.degraded);
            assert_eq!(
                converted.message.subject.as_deref(),
                Some(UNPARSEABLE_SUBJECT)
            );
            assert_eq!(data(&converted.message.attachments[0]), bytes);
            assert_eq!(
                converted.warnings,
                [
                    "the message could not be read (it is empty); its bytes are attached as message.eml"
                ]
            );
        }
    }

    /// As in mikel/mail's fixture `multiple_content_types.eml`: a multipart message whose
    /// header also says `text/plain`.
    #[test]
    fn of_several_content_types_the_first_is_followed() {
        for unterminated in [false, true] {
            let mut bytes =
                b"Subject: s\r\nContent-Type: multipart/alternative; boundary=\"b\"\r\n\
                Content-type: text/plain\r\nX-After: kept\r\n"
                    .to_vec();
            if !unterminated {
                bytes.extend_from_slice(b"\r\n");
            }
            bytes.extend_from_slice(
                b"This is a multi-part message in MIME format.\r\n\r\n--b\r\n\
                  Content-Type: text/plain\r\n\r\nfoo\r\n--b\r\n\
                  Content-Type: text/html\r\n\r\n<p>foo</p>\r\n--b--\r\n",
            );
            let converted = convert(&raw(&bytes));
            let message = &converted.message;
            assert_eq!(message.body_text.as_deref(), Some("foo"), "{unterminated}");
            assert!(
                message
                    .body_html
                    .as_deref()
                    .is_some_and(|h| h.contains("<p>foo</p>"))
            );
            assert!(message.attachments.is_empty());
            assert!(
                converted.warnings.iter().any(|w| w
                    == "the header has 2 Content-Type fields; the first was followed, as mail clients do"),
                "{:?}",
                converted.warnings
            );
        }
    }

    #[test]
    fn binary_data_without_a_header_is_unparseable_but_text_is_a_body() {
        let converted = convert(&raw(b"GIF89a\0\x01\0\x01"));
        assert!(converted.degraded);
        let converted = convert(&raw(b"just some text\nwith no header at all\n"));
        assert!(!converted.degraded);
        assert_eq!(
            converted.message.body_text.as_deref(),
            Some("just some text\r\nwith no header at all\r\n")
        );
    }

    #[test]
    fn the_store_decides_flags_categories_and_received_time() {
        let mut message = raw(b"Subject: s\nDate: Thu, 01 Jan 2004 00:00:00 +0000\nX-Mozilla-Draft-Info: internal/draft; vcard=0\n\nb\n");
        message.flags = MessageFlags {
            read: true,
            flagged: true,
            ..MessageFlags::default()
        };
        message.keywords = vec![
            " Work ".into(),
            "".into(),
            "Work".into(),
            "Réunion client".into(),
        ];
        message.received = Some(1_100_000_000);
        let converted = convert(&message);
        let state = converted.message.state;
        assert!(state.read && state.flagged && !state.draft && !state.replied);
        assert_eq!(converted.message.categories, ["Work", "Réunion client"]);
        assert_eq!(
            converted.message.delivery_time.map(FileTime::to_unix),
            Some(1_100_000_000)
        );
        assert_eq!(
            converted.message.submit_time.map(FileTime::to_unix),
            Some(1_072_915_200)
        );

        message.received = Some(i64::MIN);
        let converted = convert(&message);
        assert_eq!(
            converted.message.delivery_time.map(FileTime::to_unix),
            Some(1_072_915_200)
        );
        assert_eq!(converted.warnings.len(), 1);
    }

    #[test]
    fn delivery_time_falls_back_from_received_to_separator_to_date() {
        let date = "Date: Thu, 01 Jan 2004 00:00:00 +0000\n";
        let received = "Received: from a by b; Fri, 02 Jan 2004 00:00:00 +0000\n";
        let unix = |text: String| {
            convert(&raw(text.as_bytes()))
                .message
                .delivery_time
                .map(FileTime::to_unix)
        };
        assert_eq!(unix(format!("{date}\nb")), Some(1_072_915_200));
        assert_eq!(unix(format!("{received}{date}\nb")), Some(1_073_001_600));
        assert_eq!(
            unix(format!(
                "From x Sat Jan  3 00:00:00 2004\n{received}{date}\nb"
            )),
            Some(1_073_001_600)
        );
        assert_eq!(
            unix(format!("From x Sat Jan  3 00:00:00 2004\n{date}\nb")),
            Some(1_073_088_000)
        );
        assert_eq!(unix("Subject: no dates\n\nb".to_owned()), None);
    }

    #[test]
    fn sender_is_kept_only_when_it_is_someone_else() {
        let same = convert(&raw(b"From: A <a@x.org>\nSender: a@X.org\n\nb"));
        assert_eq!(same.message.sender, None);
        let other = convert(&raw(b"From: A <a@x.org>\nSender: List <list@x.org>\n\nb"));
        assert_eq!(
            other.message.sender.map(|s| s.email).as_deref(),
            Some("list@x.org")
        );
    }

    #[test]
    fn transport_headers_are_the_header_block_without_bookkeeping() {
        let converted = convert(&raw(
            b"From - Mon Jan  1 00:00:00 2001\nX-Mozilla-Status: 0001\nSubject: caf\xe9\nX-Mozilla-Keys: $label1\n  folded\nTo: a@b\n\nbody\n",
        ));
        assert_eq!(
            converted.message.transport_headers.as_deref(),
            Some("Subject: café\r\nTo: a@b\r\n")
        );
    }

    #[test]
    fn html_only_mail_gets_a_plain_body_and_plain_only_mail_no_html() {
        let html = convert(&raw(
            b"Content-Type: text/html\n\n<html><body><p>Hello <b>there</b></p></body></html>\n",
        ));
        assert!(html.message.body_html.is_some());
        assert!(
            html.message
                .body_text
                .as_deref()
                .is_some_and(|t| t.contains("Hello there"))
        );
        let plain = convert(&raw(b"Content-Type: text/plain\n\nHello\n"));
        assert_eq!(plain.message.body_html, None);
    }

    const RELATED: &[u8] = b"Content-Type: multipart/related; boundary=b\n\n--b\nContent-Type: text/html\n\n<img src=\"cid:shown@x\"><img src=\"cid:ATTACHED@x\">\n--b\nContent-Type: image/png\nContent-ID: <shown@x>\nContent-Disposition: inline\nContent-Transfer-Encoding: base64\n\naGk=\n--b\nContent-Type: image/png\nContent-ID: <attached@x>\nContent-Disposition: attachment; filename=a.png\nContent-Transfer-Encoding: base64\n\naGk=\n--b\nContent-Type: image/png\nContent-ID: <unused@x>\nContent-Transfer-Encoding: base64\n\naGk=\n--b--\n";

    #[test]
    fn only_inline_parts_the_html_shows_are_hidden() {
        let converted = convert(&raw(RELATED));
        let hidden: Vec<(Option<&str>, bool)> = converted
            .message
            .attachments
            .iter()
            .map(|a| (a.content_id.as_deref(), a.hidden))
            .collect();
        assert_eq!(
            hidden,
            [
                (Some("shown@x"), true),
                (Some("attached@x"), false),
                (Some("unused@x"), false)
            ]
        );
        assert_eq!(
            converted.message.attachments[1].filename.as_deref(),
            Some("a.png")
        );
        assert_eq!(
            converted.message.attachments[2].filename.as_deref(),
            Some("attachment.png")
        );
        assert!(
            converted
                .message
                .attachments
                .iter()
                .all(|a| data(a) == b"hi")
        );
    }

    #[test]
    fn attachments_too_large_for_a_pst_are_left_out_and_reported() {
        let limits = Limits {
            max_attachment_bytes: 2,
            ..Limits::PST
        };
        let converted = convert_with(&raw(RELATED), &limits);
        assert!(converted.degraded);
        assert!(converted.message.attachments.is_empty());
        assert_eq!(converted.warnings.len(), 3);
        assert!(
            converted.warnings[0]
                .ends_with("2 bytes is more than a PST attachment can hold; left out")
        );
    }

    #[test]
    fn text_attachments_keep_their_bytes() {
        let converted = convert(&raw(
            b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nbody\n--b\nContent-Type: text/plain; charset=iso-8859-1; name=l.txt\nContent-Disposition: attachment\nContent-Transfer-Encoding: 8bit\n\ncaf\xe9\n--b\nContent-Type: text/plain; charset=utf-8; name=q.txt\nContent-Disposition: attachment\nContent-Transfer-Encoding: quoted-printable\n\nna=C3=AFve=\n--b--\n",
        ));
        let attachments = &converted.message.attachments;
        assert_eq!(data(&attachments[0]), b"caf\xe9");
        assert_eq!(data(&attachments[1]), "naïve".as_bytes());
        assert!(converted.warnings.is_empty(), "{:?}", converted.warnings);
    }

    const NESTED: &[u8] = b"Subject: outer\nContent-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: text/plain\n\nouter body\n--o\nContent-Type: message/rfc822\n\nSubject: inner\nContent-Type: text/plain\n\ninner body\n--o--\n";

    #[test]
    fn attached_messages_are_embedded_and_read() {
        let converted = convert(&raw(NESTED));
        let AttachmentContent::Message(inner) = &converted.message.attachments[0].content else {
            panic!("not embedded");
        };
        assert_eq!(inner.subject.as_deref(), Some("inner"));
        assert_eq!(inner.body_text.as_deref(), Some("inner body"));
        assert!(inner.state.read);
        assert_eq!(
            converted.message.attachments[0].filename.as_deref(),
            Some("message.eml")
        );
    }

    #[test]
    fn messages_nested_too_deep_are_kept_as_files() {
        let limits = Limits {
            max_depth: 0,
            ..Limits::PST
        };
        let converted = convert_with(&raw(NESTED), &limits);
        assert!(data(&converted.message.attachments[0]).starts_with(b"Subject: inner"));
        assert!(converted.warnings[0].contains("nested more than 0 deep"));
    }

    #[test]
    fn an_attached_message_that_cannot_be_read_is_kept_as_a_file() {
        let converted = convert(&raw(
            b"Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nAAECAwAAAA==\n--o--\n",
        ));
        assert_eq!(
            data(&converted.message.attachments[0]),
            b"\0\x01\x02\x03\0\0\0"
        );
        assert!(!converted.degraded);
        assert!(
            converted.warnings[0].contains("could not be read (it has no header and is not text)")
        );
    }

    #[test]
    fn the_preferred_alternative_is_the_last_of_its_kind() {
        let converted = convert(&raw(
            b"Content-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/plain\n\nfirst\n--a\nContent-Type: text/plain\n\nsecond\n--a\nContent-Type: text/html\n\n<p>html</p>\n--a--\n",
        ));
        assert_eq!(converted.message.body_text.as_deref(), Some("second"));
        assert_eq!(converted.message.body_html.as_deref(), Some("<p>html</p>"));
    }

    #[test]
    fn a_panic_in_a_parsing_step_becomes_none() {
        assert_eq!(guarded(|| 1), Some(1));
        assert_eq!(guarded(|| -> u8 { panic!("a parser bug") }), None);
    }

    #[test]
    fn stray_header_lines_are_reported_three_at_a_time() {
        let converted = convert(&raw(b"Subject: s\na\nb\nc\nd\ne\nTo: x@y\n\nbody\n"));
        assert_eq!(converted.message.subject.as_deref(), Some("s"));
        assert_eq!(
            converted.warnings,
            [
                "header line 2 is not a header field and was skipped: \"a\"",
                "header line 3 is not a header field and was skipped: \"b\"",
                "header line 4 is not a header field and was skipped: \"c\"",
                "2 more header lines are not header fields and were skipped",
            ]
        );
    }

    #[test]
    fn uuencoded_and_unknown_encodings_are_kept_as_sent() {
        let converted = convert(&raw(
            b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee attached\n--b\nContent-Type: application/octet-stream; name=a.bin\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644 a.bin\n#86)C\n`\nend\n--b\nContent-Type: application/octet-stream; name=b.bin\nContent-Transfer-Encoding: 7-bit\n\nraw\n--b--\n",
        ));
        let attachments = &converted.message.attachments;
        assert_eq!(data(&attachments[0]), b"begin 644 a.bin\n#86)C\n`\nend");
        assert_eq!(data(&attachments[1]), b"raw");
        assert_eq!(
            converted.warnings,
            [
                "MIME part 2 (application/octet-stream \"a.bin\"): uuencoded content is kept encoded, as sent",
                "MIME part 3 (application/octet-stream \"b.bin\"): unknown Content-Transfer-Encoding \"7-bit\"; read as 8bit",
            ]
        );
    }

    #[test]
    fn undeclared_8bit_body_text_is_read_as_windows_1252() {
        let converted = convert(&raw(b"Subject: s\n\nna\xefve caf\xe9\n"));
        assert_eq!(
            converted.message.body_text.as_deref(),
            Some("naïve café\r\n")
        );
        assert_eq!(
            converted.warnings,
            ["MIME part 0 (text/plain): 8-bit text without a charset; read as windows-1252"]
        );
    }
}
