//! The MIME parts of a parsed message as a PST message keeps them: one plain and one HTML body,
//! and attachments (files, and messages attached to messages).

use std::borrow::Cow;
use std::collections::BTreeSet;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use mail_parser::decoders::html::{html_to_text, text_to_html};
use mail_parser::parsers::MessageStream;
use mail_parser::{
    Encoding, HeaderName, HeaderValue, Message as MimeMessage, MessagePart, MimeHeaders as _,
    PartType,
};

use super::fields::{Fields, has_encoded_word};
use super::large::{KeptPart, KeptParts};
use super::text::{clean_display, decode_text, quote, to_crlf};
use super::{Limits, Notes, guarded};
use crate::pst::{Attachment, AttachmentContent};

/// A Content-Transfer-Encoding as it was meant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum TransferEncoding {
    Base64,
    QuotedPrintable,
    /// 7bit, 8bit, binary, or no field at all: the bytes are the content.
    Identity,
    /// uuencode: no decoder here; the part keeps its encoded text.
    Uuencode,
    /// A value no standard knows (`7-bit`, `plain`, `text/html`): read as 8bit.
    Unknown(String),
}

impl TransferEncoding {
    /// Reads a Content-Transfer-Encoding value the way mail clients do: case-insensitive, the
    /// first word only (`base64;` and `"base64"` occur in real mail).
    pub(super) fn of(value: &str) -> TransferEncoding {
        let word = value
            .split(|c: char| c == ';' || c.is_whitespace())
            .find(|w| !w.is_empty())
            .unwrap_or("")
            .trim_matches('"')
            .to_ascii_lowercase();
        match word.as_str() {
            "base64" => TransferEncoding::Base64,
            "quoted-printable" => TransferEncoding::QuotedPrintable,
            "" | "7bit" | "8bit" | "binary" => TransferEncoding::Identity,
            "x-uuencode" | "uuencode" | "x-uue" => TransferEncoding::Uuencode,
            _ => TransferEncoding::Unknown(word),
        }
    }

    fn name(&self) -> &str {
        match self {
            TransferEncoding::Base64 => "base64",
            TransferEncoding::QuotedPrintable => "quoted-printable",
            TransferEncoding::Identity => "8bit",
            TransferEncoding::Uuencode => "x-uuencode",
            TransferEncoding::Unknown(word) => word,
        }
    }
}

/// The parts of one parsed message. mail-parser gives the structure and which parts are bodies
/// and attachments; the bytes of each part are decoded here from its raw body, so that a
/// misspelt transfer encoding is still decoded, a text attachment keeps its own bytes, and
/// quoted-printable loses nothing (mail-parser drops the last bytes of a part that ends in a
/// soft line break).
pub(super) struct Parts<'m, 'x> {
    message: &'m MimeMessage<'x>,
    charset: Option<&'m str>,
    /// The parts kept apart from the parser's input (see [`Limits`]), each replaced here by a
    /// marker.
    kept: Option<&'m KeptParts>,
    /// Per part: mail-parser's decoding is exactly ours (see [`Parts::parsed_base64`]),
    /// looked at once, as it reads the whole part.
    parser_decoded: Vec<bool>,
}

impl<'m, 'x> Parts<'m, 'x> {
    pub fn new(
        message: &'m MimeMessage<'x>,
        charset: Option<&'m str>,
        kept: Option<&'m KeptParts>,
    ) -> Parts<'m, 'x> {
        let parser_decoded = message
            .parts
            .iter()
            .map(|part| parser_decoding_matches(raw_body(message, part), part))
            .collect();
        Parts {
            message,
            charset,
            kept,
            parser_decoded,
        }
    }

    /// The kept part whose marker is this part's body, if it is one.
    fn kept(&self, part: &MessagePart<'_>) -> Option<&'m KeptPart> {
        self.kept?.find(self.raw_body(part))
    }

    /// Reports every part whose transfer encoding is broken, misspelt or unknown.
    pub fn check(&self, notes: &mut Notes) {
        for (index, part) in self.message.parts.iter().enumerate() {
            if matches!(part.body, PartType::Multipart(_) | PartType::Message(_)) {
                continue;
            }
            if self.raw_body(part).iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let what = self.describe(index, part);
            let content_types = part
                .headers
                .iter()
                .filter(|h| h.name == HeaderName::ContentType)
                .count();
            if content_types > 1 {
                notes.warn(format!(
                    "{what}: {content_types} Content-Type fields; the last is used"
                ));
            }
            if part
                .content_type()
                .is_some_and(|ct| ct.ctype().eq_ignore_ascii_case("text") && ct.subtype().is_none())
            {
                notes.warn(format!(
                    "{what}: Content-Type \"text\" has no subtype; read as text/plain"
                ));
            }
            let written = part.content_transfer_encoding().unwrap_or_default();
            let encoding = TransferEncoding::of(written);
            let broken = match self.kept(part) {
                Some(kept) => kept.broken,
                None => {
                    encoding == TransferEncoding::Base64
                        && self.parsed_base64(index, part).is_none()
                        && base64_len(self.raw_body(part)).is_none_or(|len| len % 4 == 1)
                }
            };
            if broken {
                notes.warn(format!(
                    "{what}: its {} encoding is broken; the part is kept as sent",
                    encoding.name()
                ));
                continue;
            }
            match &encoding {
                TransferEncoding::Base64 | TransferEncoding::QuotedPrintable
                    if !written.trim().eq_ignore_ascii_case(encoding.name()) =>
                {
                    notes.warn(format!(
                        "{what}: Content-Transfer-Encoding {} read as {}",
                        quote(written.as_bytes()),
                        encoding.name()
                    ));
                }
                TransferEncoding::Uuencode => {
                    notes.warn(format!(
                        "{what}: uuencoded content is kept encoded, as sent"
                    ));
                }
                TransferEncoding::Unknown(word) => notes.warn(format!(
                    "{what}: unknown Content-Transfer-Encoding {}; read as 8bit",
                    quote(word.as_bytes())
                )),
                _ => {}
            }
        }
    }

    /// The bytes of a part's body before transfer decoding.
    fn raw_body(&self, part: &MessagePart<'_>) -> &'m [u8] {
        raw_body(self.message, part)
    }

    /// A leaf part's content, transfer-decoded, and whether the encoding was broken (then the
    /// bytes are the raw body).
    fn decoded<'p>(&'p self, index: usize, part: &'p MessagePart<'_>) -> (Cow<'p, [u8]>, bool) {
        if let Some(kept) = self.kept(part) {
            // A large text body: the PST keeps bodies as whole strings.
            return match kept.data.to_vec() {
                Ok(bytes) => (Cow::Owned(bytes), kept.broken),
                Err(_) => (Cow::Borrowed(&[][..]), true),
            };
        }
        let raw = self.raw_body(part);
        let encoding = part
            .content_transfer_encoding()
            .map_or(TransferEncoding::Identity, TransferEncoding::of);
        match encoding {
            TransferEncoding::QuotedPrintable => (Cow::Owned(decode_quoted_printable(raw)), false),
            TransferEncoding::Base64 => match self.parsed_base64(index, part) {
                Some(bytes) => (Cow::Borrowed(bytes), false),
                None => match decode_base64(raw) {
                    Some(bytes) => (Cow::Owned(bytes), false),
                    None => (Cow::Borrowed(raw), true),
                },
            },
            _ => (Cow::Borrowed(raw), false),
        }
    }

    /// True when [`Parts::decoded`] gives mail-parser's own decoding of the part.
    fn is_parser_body(&self, index: usize, part: &MessagePart<'_>) -> bool {
        self.kept(part).is_none()
            && part
                .content_transfer_encoding()
                .map_or(TransferEncoding::Identity, TransferEncoding::of)
                == TransferEncoding::Base64
            && self.parsed_base64(index, part).is_some()
    }

    /// What mail-parser already decoded of a base64 file part, when it is exactly what
    /// [`decode_base64`] gives. Attachments are most of the bytes of mail; this spares decoding
    /// them twice.
    fn parsed_base64<'p>(&self, index: usize, part: &'p MessagePart<'_>) -> Option<&'p [u8]> {
        if !self.parser_decoded.get(index).copied().unwrap_or(false) {
            return None;
        }
        match &part.body {
            PartType::Binary(decoded) | PartType::InlineBinary(decoded) => Some(decoded.as_ref()),
            _ => None,
        }
    }

    /// A text part as text, in its declared charset (see [`decode_text`]).
    fn text(&self, index: usize, part: &MessagePart<'_>, notes: &mut Notes) -> String {
        let (bytes, _) = self.decoded(index, part);
        let charset = part.content_type().and_then(|ct| ct.attribute("charset"));
        let (text, warning) = decode_text(&bytes, charset);
        if let Some(warning) = warning {
            notes.warn(format!("{}: {warning}", self.describe(index, part)));
        }
        text
    }

    /// "MIME part 3 (image/png "logo.png")": how warnings name a part.
    fn describe(&self, index: usize, part: &MessagePart<'_>) -> String {
        match part.attachment_name() {
            Some(name) => format!(
                "MIME part {index} ({} {})",
                mime_type(part),
                quote(name.as_bytes())
            ),
            None => format!("MIME part {index} ({})", mime_type(part)),
        }
    }

    /// The plain and the HTML body. A message with only HTML gets a plain body made from it;
    /// a message with only plain text has no HTML body.
    pub fn bodies(&self, notes: &mut Notes) -> (Option<String>, Option<String>) {
        let mut text_ids = self.best_alternatives(&self.message.text_body);
        text_ids.extend(self.subtypeless_text());
        let html_ids = self.best_alternatives(&self.message.html_body);

        let has_html = html_ids.iter().any(|&id| {
            matches!(
                self.message.parts.get(id).map(|p| &p.body),
                Some(PartType::Html(_))
            )
        });
        let html = has_html.then(|| {
            join(
                html_ids
                    .iter()
                    .filter_map(|&id| self.body_piece(id, true, notes))
                    .collect(),
            )
        });
        let mut text = join(
            text_ids
                .iter()
                .filter_map(|&id| self.body_piece(id, false, notes))
                .collect(),
        );
        if text.trim().is_empty()
            && let Some(html) = &html
        {
            text = guarded(|| html_to_text(html)).unwrap_or_default();
        }
        let nonempty = |s: String| (!s.trim().is_empty()).then(|| to_crlf(&s));
        (nonempty(text), html.and_then(nonempty))
    }

    /// A text or HTML body part as HTML (`as_html`) or as plain text, converted as needed.
    /// `None` for a part that is neither (an inline image among the body parts).
    fn body_piece(&self, id: usize, as_html: bool, notes: &mut Notes) -> Option<String> {
        let part = self.message.parts.get(id)?;
        let is_html = match part.body {
            PartType::Html(_) => true,
            PartType::Text(_) => false,
            _ => return None,
        };
        let text = self.text(id, part, notes);
        Some(match (is_html, as_html) {
            (false, true) => text_to_html(&text),
            (true, false) => guarded(|| html_to_text(&text)).unwrap_or_default(),
            (true, true) => declare_utf8(text),
            (false, false) => text,
        })
    }

    /// Parts typed only `text` (no subtype) that are not attachments. mail-parser files them
    /// as attachments; RFC 2045 makes a type it cannot read text/plain, so they are body text.
    fn subtypeless_text(&self) -> Vec<usize> {
        self.message
            .attachments
            .iter()
            .map(|&id| id as usize)
            .filter(|&id| {
                self.message.parts.get(id).is_some_and(|part| {
                    let is_bare_text = part.content_type().is_some_and(|ct| {
                        ct.ctype().eq_ignore_ascii_case("text") && ct.subtype().is_none()
                    });
                    let is_attachment = part
                        .content_disposition()
                        .is_some_and(|d| d.is_attachment())
                        || part.attachment_name().is_some();
                    is_bare_text && !is_attachment && matches!(part.body, PartType::Text(_))
                })
            })
            .collect()
    }

    /// Body part ids with redundant alternatives left out: of several parts of the same kind
    /// in one multipart/alternative, the last is the sender's preferred one (RFC 2046 5.1.4).
    fn best_alternatives(&self, ids: &[u32]) -> Vec<usize> {
        let parts = &self.message.parts;
        let mut alternative_parent = vec![None; parts.len()];
        for (index, part) in parts.iter().enumerate() {
            let is_alternative = part.content_type().is_some_and(|ct| {
                ct.subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("alternative"))
            });
            if let (true, PartType::Multipart(children)) = (is_alternative, &part.body) {
                for &child in children {
                    if let Some(slot) = alternative_parent.get_mut(child as usize) {
                        *slot = Some(index);
                    }
                }
            }
        }
        // Walk backwards so the last part of each kind in an alternative is met first.
        let mut seen = BTreeSet::new();
        let mut kept: Vec<usize> = ids
            .iter()
            .rev()
            .map(|&id| id as usize)
            .filter(|&id| {
                let Some(parent) = alternative_parent.get(id).copied().flatten() else {
                    return true;
                };
                let is_html = matches!(parts.get(id).map(|p| &p.body), Some(PartType::Html(_)));
                seen.insert((parent, is_html))
            })
            .collect();
        kept.reverse();
        kept
    }

    /// The attachments, in the order of the message. `html` is the HTML body, to tell which
    /// inline parts it shows.
    /// The message's attachments, and which of them are to get mail-parser's decoded body of a
    /// part (attachment position, part index) once this reading of the message is done: see
    /// [`take_parser_bodies`].
    pub fn attachments(
        &self,
        html: Option<&str>,
        depth: usize,
        limits: &Limits,
        notes: &mut Notes,
    ) -> (Vec<Attachment>, Vec<(usize, usize)>) {
        let references = References::of(html.unwrap_or(""));
        let mut out = Vec::new();
        let mut parser_bodies = Vec::new();
        let subtypeless_text = self.subtypeless_text();
        for &id in &self.message.attachments {
            let index = id as usize;
            if subtypeless_text.contains(&index) {
                continue;
            }
            let Some(part) = self.message.parts.get(index) else {
                continue;
            };
            if let Some((attachment, parser_body)) =
                self.attachment(index, part, &references, depth, limits, notes)
            {
                if parser_body {
                    parser_bodies.push((out.len(), index));
                }
                out.push(attachment);
            }
        }
        (out, parser_bodies)
    }

    fn attachment(
        &self,
        index: usize,
        part: &MessagePart<'_>,
        references: &References,
        depth: usize,
        limits: &Limits,
        notes: &mut Notes,
    ) -> Option<(Attachment, bool)> {
        let mime = mime_type(part);
        let filename = self.filename(part, notes);
        let content_id = part
            .content_id()
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_owned);
        let content_location = part.content_location().and_then(clean_display);
        if matches!(part.body, PartType::Multipart(_)) {
            return None;
        }
        // An attached message is read from the part's own bytes, not from mail-parser's nested
        // message: after malformed MIME the parser can start the nested message too late.
        let is_message = matches!(part.body, PartType::Message(_))
            || mime == "message/rfc822"
            || mime == "message/global";
        let kept = self.kept(part);
        let (bytes, _) = match kept {
            Some(_) => (Cow::Borrowed(&[][..]), false),
            None => self.decoded(index, part),
        };
        let size = kept.map_or(bytes.len() as u64, |kept| kept.data.len());
        if size >= limits.max_attachment_bytes {
            notes.warn(format!(
                "{}: {size} bytes is more than a PST attachment can hold; left out",
                self.describe(index, part)
            ));
            notes.degraded = true;
            return None;
        }
        let parser_body = !is_message && self.is_parser_body(index, part);
        let content = match kept {
            Some(kept) => {
                if is_message {
                    notes.warn(format!(
                        "{}: an attached message of {size} bytes is kept as an .eml file, \
                         not converted",
                        self.describe(index, part)
                    ));
                }
                kept.data.content()
            }
            None if is_message => self.embedded(&bytes, index, part, depth, limits, notes),
            // mail-parser's own decoded bytes: moved out of the parsed message afterwards
            // instead of copied (attachments are most of the bytes of mail).
            None if parser_body => AttachmentContent::Data(Vec::new()),
            None => AttachmentContent::Data(bytes.into_owned()),
        };

        let is_attachment_disposition = part
            .content_disposition()
            .is_some_and(|d| d.is_attachment());
        let hidden = !is_attachment_disposition
            && references.shows(content_id.as_deref(), content_location.as_deref());
        let filename = filename.unwrap_or_else(|| default_filename(&mime).to_owned());
        let attachment = Attachment {
            filename: Some(filename),
            mime_type: Some(mime),
            content_id,
            content_location,
            hidden,
            content,
        };
        Some((attachment, parser_body))
    }

    /// A message attached to this one: converted like any message, or kept as an `.eml` file
    /// when it cannot be read or is nested too deep.
    fn embedded(
        &self,
        bytes: &[u8],
        index: usize,
        part: &MessagePart<'_>,
        depth: usize,
        limits: &Limits,
        notes: &mut Notes,
    ) -> AttachmentContent {
        let what = self.describe(index, part);
        if depth + 1 > limits.max_depth {
            notes.warn(format!(
                "{what}: messages nested more than {} deep are kept as .eml files",
                limits.max_depth
            ));
            return AttachmentContent::Data(bytes.to_vec());
        }
        let mut inner = Notes::default();
        match super::read_message(bytes, depth + 1, limits, &mut inner) {
            Ok(mut message) => {
                message.state.read = true;
                notes.merge(&what, inner);
                AttachmentContent::Message(Box::new(message))
            }
            Err(why) => {
                notes.warn(format!(
                    "{what}: the attached message could not be read ({why}); kept as an .eml file"
                ));
                AttachmentContent::Data(bytes.to_vec())
            }
        }
    }

    /// The file name the sender gave (Content-Disposition `filename`, else Content-Type
    /// `name`), with RFC 2231 and encoded words decoded.
    fn filename(&self, part: &MessagePart<'_>, notes: &mut Notes) -> Option<String> {
        let fields = Fields {
            headers: &part.headers,
            raw: &self.message.raw_message,
            charset: self.charset,
        };
        let mut attribute = |name: HeaderName<'static>, attribute: &str| -> Option<String> {
            // mail-parser reads the last of repeated MIME fields; so do we.
            let header = fields.all(name).last()?;
            let value = fields.value(header, |s| s.parse_content_type(), notes);
            match value {
                HeaderValue::ContentType(ct) => ct.attribute(attribute).map(str::to_owned),
                _ => None,
            }
        };
        let name = attribute(HeaderName::ContentDisposition, "filename")
            .or_else(|| attribute(HeaderName::ContentType, "name"))?;
        let name = if has_encoded_word(&name) {
            // An encoded word inside a quoted parameter (not allowed, but common).
            let mut bytes = name.clone().into_bytes();
            bytes.push(b'\n');
            match MessageStream::new(&bytes).parse_unstructured() {
                HeaderValue::Text(decoded) => decoded.into_owned(),
                _ => name,
            }
        } else {
            name
        };
        clean_display(&name)
    }
}

/// The bytes of a part's body before transfer decoding.
fn raw_body<'m>(message: &'m MimeMessage<'_>, part: &MessagePart<'_>) -> &'m [u8] {
    let start = part.offset_body as usize;
    let end = part.offset_end as usize;
    message.raw_message.get(start..end).unwrap_or_default()
}

/// Whether mail-parser's decoding of a base64 file part is exactly what [`decode_base64`]
/// gives: the parser saw no problem, nothing but padding and white space follows the first
/// `=`, and the length is that of the base64 characters before it.
fn parser_decoding_matches(raw: &[u8], part: &MessagePart<'_>) -> bool {
    let (PartType::Binary(decoded) | PartType::InlineBinary(decoded)) = &part.body else {
        return false;
    };
    if part.encoding != Encoding::Base64 || part.is_encoding_problem {
        return false;
    }
    let (data, padding) = match memchr::memchr(b'=', raw) {
        Some(at) => raw.split_at(at),
        None => (raw, &b""[..]),
    };
    if !padding
        .iter()
        .all(|&b| b == b'=' || b.is_ascii_whitespace())
    {
        return false;
    }
    // The parser refused anything but base64 characters and white space, so the rest are
    // base64 characters.
    let white = memchr::memchr3_iter(b'\n', b'\r', b' ', data).count()
        + memchr::memchr2_iter(b'\t', b'\x0C', data).count();
    let characters = data.len() - white;
    let expected = characters / 4 * 3 + (characters % 4).saturating_sub(1);
    characters % 4 != 1 && decoded.len() == expected
}

/// Base64 in a MIME part (RFC 2045 6.8): line breaks and white space are skipped, and the data
/// ends at the first `=`. `None` when other characters are mixed in or a character is left
/// over: the part is then not base64 and is kept as sent.
fn decode_base64(raw: &[u8]) -> Option<Vec<u8>> {
    lenient_base64().decode(base64_data(raw)?).ok()
}

/// The base64 decoder of MIME parts: padding optional, stray bits after the last character
/// allowed.
pub(super) fn lenient_base64() -> GeneralPurpose {
    GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    )
}

/// The base64 characters of a part up to the first `=`, white space left out; `None` when
/// anything else is mixed in.
fn base64_data(raw: &[u8]) -> Option<Vec<u8>> {
    let mut compact = Vec::with_capacity(raw.len());
    for_base64_runs(raw, |run| compact.extend_from_slice(run)).then_some(compact)
}

/// How many base64 characters [`base64_data`] would give, without copying them.
fn base64_len(raw: &[u8]) -> Option<usize> {
    let mut len = 0;
    for_base64_runs(raw, |run| len += run.len()).then_some(len)
}

/// Calls `run` with each stretch of base64 characters of a part, up to the first `=`; false
/// when a character that is neither base64 nor white space is found. Lines are checked whole
/// and copied as slices: mail bodies are mostly base64, and this runs over every byte of them.
fn for_base64_runs(raw: &[u8], mut run: impl FnMut(&[u8])) -> bool {
    let data = memchr::memchr(b'=', raw).map_or(raw, |end| &raw[..end]);
    for line in data.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(|&b| is_base64(b)) {
            run(line);
            continue;
        }
        for piece in line.split(|b| b.is_ascii_whitespace()) {
            if !piece.iter().all(|&b| is_base64(b)) {
                return false;
            }
            run(piece);
        }
    }
    true
}

pub(super) fn is_base64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// Quoted-printable (RFC 2045 6.7), read as leniently as mail clients do: trailing white space
/// is transport padding, `=` at the end of a line joins it to the next, an `=` that starts no
/// escape is itself, and a hard line break is CRLF (the canonical form).
///
/// Lines are found, and the text between escapes copied, by vector searches: most of a
/// quoted-printable body is plain text.
pub(super) fn decode_quoted_printable(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut rest = raw;
    loop {
        let (line, last) = match memchr::memchr(b'\n', rest) {
            Some(at) => (&rest[..at], false),
            None => (rest, true),
        };
        rest = rest.get(line.len() + 1..).unwrap_or_default();
        let end = line
            .iter()
            .rposition(|&b| !matches!(b, b' ' | b'\t' | b'\r'))
            .map_or(0, |at| at + 1);
        let line = &line[..end];
        let (mut content, soft_break) = match line.strip_suffix(b"=") {
            Some(content) => (content, true),
            None => (line, false),
        };
        while let Some(at) = memchr::memchr(b'=', content) {
            out.extend_from_slice(&content[..at]);
            let digit = |i: usize| {
                let value = (*content.get(i)? as char).to_digit(16)?;
                u8::try_from(value).ok()
            };
            match (digit(at + 1), digit(at + 2)) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    content = &content[at + 3..];
                }
                _ => {
                    out.push(b'=');
                    content = &content[at + 1..];
                }
            }
        }
        out.extend_from_slice(content);
        if last {
            break;
        }
        if !soft_break {
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

/// HTML whose `<meta>` tags declare the charset it now has: the text was decoded to UTF-8, and a
/// reader that trusts a stale `charset=iso-8859-1` would garble it.
fn declare_utf8(html: String) -> String {
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len());
    let mut copied = 0;
    for (tag_start, _) in lower.match_indices("<meta") {
        let tag_end = lower[tag_start..]
            .find('>')
            .map_or(lower.len(), |e| tag_start + e);
        let Some(at) = lower[tag_start..tag_end].find("charset=") else {
            continue;
        };
        let mut value_start = tag_start + at + "charset=".len();
        if matches!(lower.as_bytes().get(value_start), Some(b'"' | b'\'')) {
            value_start += 1;
        }
        let value_end = lower[value_start..tag_end]
            .find(|c: char| matches!(c, '"' | '\'' | ';' | '/' | '>') || c.is_whitespace())
            .map_or(tag_end, |e| value_start + e);
        if value_start < copied || &lower[value_start..value_end] == "utf-8" {
            continue;
        }
        out.push_str(&html[copied..value_start]);
        out.push_str("utf-8");
        copied = value_end;
    }
    out.push_str(&html[copied..]);
    out
}

/// A part's MIME type, lower case. A part without one is text/plain (RFC 2045), or
/// message/rfc822 inside a digest (RFC 2046 5.1.5), which the parser has already decided.
pub(super) fn mime_type(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => {
            let main = ct.ctype().trim().to_ascii_lowercase();
            let sub = ct.subtype().map(|s| s.trim().to_ascii_lowercase());
            match (main.as_str(), sub) {
                (_, Some(sub)) if !sub.is_empty() && !main.is_empty() => format!("{main}/{sub}"),
                ("text", _) => "text/plain".to_owned(),
                ("message", _) => "message/rfc822".to_owned(),
                _ => "application/octet-stream".to_owned(),
            }
        }
        None if matches!(part.body, PartType::Message(_)) => "message/rfc822".to_owned(),
        None => "text/plain".to_owned(),
    }
}

/// A file name for a part that came without one, from its MIME type.
fn default_filename(mime: &str) -> &'static str {
    match mime {
        "message/rfc822" | "message/global" => "message.eml",
        "application/ms-tnef" | "application/vnd.ms-tnef" => "winmail.dat",
        "application/pkcs7-signature" | "application/x-pkcs7-signature" => "smime.p7s",
        "application/pkcs7-mime" | "application/x-pkcs7-mime" => "smime.p7m",
        "application/pgp-signature" => "signature.asc",
        "application/pgp-encrypted" => "pgp-encrypted.asc",
        "application/pgp-keys" => "key.asc",
        "text/calendar" => "invite.ics",
        "text/vcard" | "text/x-vcard" | "text/directory" => "contact.vcf",
        "text/html" => "attachment.html",
        "text/rfc822-headers" | "text/plain" => "attachment.txt",
        "message/delivery-status" | "message/global-delivery-status" => "delivery-status.txt",
        "message/disposition-notification" => "disposition-notification.txt",
        "image/png" => "attachment.png",
        "image/jpeg" | "image/jpg" | "image/pjpeg" => "attachment.jpg",
        "image/gif" => "attachment.gif",
        "image/bmp" => "attachment.bmp",
        "image/tiff" => "attachment.tif",
        "image/webp" => "attachment.webp",
        "image/svg+xml" => "attachment.svg",
        "application/pdf" => "attachment.pdf",
        "application/zip" => "attachment.zip",
        "application/msword" => "attachment.doc",
        "application/json" => "attachment.json",
        "application/xml" | "text/xml" => "attachment.xml",
        "audio/mpeg" => "attachment.mp3",
        "video/mp4" => "attachment.mp4",
        _ if mime.starts_with("text/") => "attachment.txt",
        _ => "attachment",
    }
}

/// What an HTML body refers to: `cid:` URLs and other URLs (for Content-Location).
struct References<'h> {
    html: &'h str,
    /// Content ids the HTML shows, percent-decoded, lower case.
    content_ids: BTreeSet<String>,
}

impl<'h> References<'h> {
    fn of(html: &'h str) -> References<'h> {
        let lower = html.to_ascii_lowercase();
        let content_ids = lower
            .match_indices("cid:")
            .map(|(at, _)| {
                let rest = &html[at + 4..];
                let end = rest
                    .find(|c: char| {
                        c.is_whitespace() || matches!(c, '"' | '\'' | '(' | ')' | '<' | '>' | ';')
                    })
                    .unwrap_or(rest.len());
                percent_decode(&rest[..end]).to_ascii_lowercase()
            })
            .filter(|id| !id.is_empty())
            .collect();
        References { html, content_ids }
    }

    /// True when the HTML shows the part with this Content-ID or Content-Location.
    fn shows(&self, content_id: Option<&str>, location: Option<&str>) -> bool {
        if let Some(id) = content_id
            && self.content_ids.contains(&id.to_ascii_lowercase())
        {
            return true;
        }
        let Some(location) = location else {
            return false;
        };
        self.html.match_indices(location).any(|(at, _)| {
            let before = self.html[..at].chars().next_back();
            let after = self.html[at + location.len()..].chars().next();
            matches!(before, Some('"' | '\'' | '=' | '('))
                && matches!(after, None | Some('"' | '\'' | ')' | '>' | ' '))
        })
    }
}

/// `%XX` escapes decoded (cid: URLs are URL-encoded, RFC 2392); bad escapes kept as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[at], bytes.get(at + 1), bytes.get(at + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let value = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(u8::try_from(value).unwrap_or(b'?'));
                at += 3;
            }
            (b, _, _) => {
                out.push(b);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Body pieces joined, each starting on a new line.
fn join(pieces: Vec<String>) -> String {
    let mut out = String::new();
    for piece in pieces {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&piece);
    }
    out
}

/// Moves mail-parser's decoded bodies into the attachments that are to have them
/// ([`Parts::attachments`]), once nothing reads the parsed message any more.
pub fn take_parser_bodies(
    parsed: &mut MimeMessage<'_>,
    attachments: &mut [Attachment],
    parser_bodies: &[(usize, usize)],
) {
    for &(position, index) in parser_bodies {
        let (Some(attachment), Some(part)) =
            (attachments.get_mut(position), parsed.parts.get_mut(index))
        else {
            continue;
        };
        let body = std::mem::replace(&mut part.body, PartType::Text(Cow::Borrowed("")));
        if let PartType::Binary(decoded) | PartType::InlineBinary(decoded) = body {
            attachment.content = AttachmentContent::Data(decoded.into_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::STANDARD;
    use mail_parser::MessageParser;
    use proptest::prelude::*;

    use super::*;

    /// A message with one base64 attachment whose body is `body`.
    fn with_attachment(body: &str) -> Vec<u8> {
        format!(
            "Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
             --b\r\nContent-Type: text/plain\r\n\r\nhello\r\n\
             --b\r\nContent-Type: application/octet-stream; name=\"f.bin\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{body}\r\n--b--\r\n"
        )
        .into_bytes()
    }

    /// Quoted-printable as the rules in [`decode_quoted_printable`]'s comment read, a line and a
    /// byte at a time: the definition the decoder's searches must keep to.
    fn quoted_printable_a_byte_at_a_time(raw: &[u8]) -> Vec<u8> {
        let hex = |b: u8| (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok());
        let mut out = Vec::new();
        let mut lines = raw.split(|&b| b == b'\n').peekable();
        while let Some(line) = lines.next() {
            let end = line
                .iter()
                .rposition(|&b| !matches!(b, b' ' | b'\t' | b'\r'))
                .map_or(0, |at| at + 1);
            let (content, soft_break) = match line[..end].strip_suffix(b"=") {
                Some(content) => (content, true),
                None => (&line[..end], false),
            };
            let mut at = 0;
            while at < content.len() {
                let escape = (content.get(at + 1).copied().and_then(hex))
                    .zip(content.get(at + 2).copied().and_then(hex));
                match (content[at], escape) {
                    (b'=', Some((high, low))) => {
                        out.push(high << 4 | low);
                        at += 3;
                    }
                    (b, _) => {
                        out.push(b);
                        at += 1;
                    }
                }
            }
            if !soft_break && lines.peek().is_some() {
                out.extend_from_slice(b"\r\n");
            }
        }
        out
    }

    proptest! {
        /// The decoder reads quoted-printable text of every shape (escapes broken anywhere,
        /// white space and `=` at line ends, bare CR, LF or CRLF) as the definition does.
        #[test]
        fn quoted_printable_decodes_as_defined(
            pieces in proptest::collection::vec(
                prop::sample::select(vec![
                    "a", "caf", " ", "\t", "=", "=3D", "=e9", "=C3=A9", "=4", "=XY", "=\r\n",
                    "=\n", "\r\n", "\n", "\r", "=  \n", "x  \r\n", "0", "F", "=\t",
                ]),
                0..60,
            ),
        ) {
            let raw = pieces.concat();
            prop_assert_eq!(
                decode_quoted_printable(raw.as_bytes()),
                quoted_printable_a_byte_at_a_time(raw.as_bytes())
            );
        }
    }

    proptest! {
        /// Taking mail-parser's decoding of an attachment gives what our own decoding gives,
        /// for well-formed and damaged base64 alike (missing padding, text after the padding,
        /// stray characters, a last group of one character).
        #[test]
        fn parsed_base64_equals_our_decoding(
            data in proptest::collection::vec(any::<u8>(), 0..300),
            width in 1usize..90,
            cut in 0usize..3,
            tail in prop::sample::select(vec!["", "=", "QUJD", "-", "A", "  \t"]),
            stray in prop::option::of((0usize..400, prop::sample::select(vec!['-', '*', ' ', '.']))),
        ) {
            let encoded = STANDARD.encode(&data);
            let mut body: String = encoded[..encoded.len() - cut.min(encoded.len())].to_owned();
            body.push_str(tail);
            if let Some((at, c)) = stray {
                let at = at.min(body.len());
                body.insert(at, c);
            }
            let lines: Vec<String> = body
                .as_bytes()
                .chunks(width)
                .map(|line| String::from_utf8_lossy(line).into_owned())
                .collect();
            let raw = with_attachment(&lines.join("\r\n"));
            let message = MessageParser::default().parse(&raw).unwrap();
            let parts = Parts::new(&message, None, None);
            let mut fast_parts = 0;
            for (index, part) in message.parts.iter().enumerate() {
                if let Some(fast) = parts.parsed_base64(index, part) {
                    let slow = decode_base64(parts.raw_body(part));
                    prop_assert_eq!(Some(fast.to_vec()), slow);
                    fast_parts += 1;
                }
            }
            // Well-formed base64 takes the fast path.
            let well_formed = cut == 0 && tail.is_empty() && stray.is_none() && !data.is_empty();
            prop_assert!(!well_formed || fast_parts == 1);
        }
    }

    #[test]
    fn transfer_encodings_are_read_as_clients_read_them() {
        assert_eq!(TransferEncoding::of("Base64"), TransferEncoding::Base64);
        assert_eq!(TransferEncoding::of("base64;"), TransferEncoding::Base64);
        assert_eq!(
            TransferEncoding::of("\"quoted-printable\""),
            TransferEncoding::QuotedPrintable
        );
        assert_eq!(TransferEncoding::of(" 7bit "), TransferEncoding::Identity);
        assert_eq!(
            TransferEncoding::of("x-uuencode"),
            TransferEncoding::Uuencode
        );
        assert_eq!(
            TransferEncoding::of("7-bit"),
            TransferEncoding::Unknown("7-bit".to_owned())
        );
    }

    #[test]
    fn references_find_cid_urls_and_locations() {
        let refs = References::of(
            r#"<img src="cid:Part1.ABC@x"><img src='CID:a%25b@y'><a href="http://x/img.png">"#,
        );
        assert!(refs.shows(Some("part1.abc@x"), None));
        assert!(refs.shows(Some("a%b@y"), None));
        assert!(!refs.shows(Some("other@x"), None));
        assert!(refs.shows(None, Some("http://x/img.png")));
        assert!(!refs.shows(None, Some("img")));
    }

    #[test]
    fn parts_without_a_name_get_one_from_their_type() {
        assert_eq!(default_filename("image/png"), "attachment.png");
        assert_eq!(default_filename("message/rfc822"), "message.eml");
        assert_eq!(default_filename("text/x-unknown"), "attachment.txt");
        assert_eq!(default_filename("application/x-unknown"), "attachment");
    }

    #[test]
    fn quoted_printable_keeps_the_bytes_before_a_final_soft_break() {
        assert_eq!(decode_quoted_printable(b"abc=3D=\r\nw="), b"abc=w");
        assert_eq!(decode_quoted_printable(b"a  \r\nb=20\nc"), b"a\r\nb \r\nc");
        assert_eq!(decode_quoted_printable(b"=4=XY=e9\n"), b"=4=XY\xe9\r\n");
        assert_eq!(decode_quoted_printable(b"x=\n =1B"), b"x \x1b");
    }

    #[test]
    fn base64_skips_line_breaks_and_refuses_garbage() {
        assert_eq!(
            decode_base64(b"aGVs\r\nbG8=\r\n").as_deref(),
            Some(&b"hello"[..])
        );
        assert_eq!(
            decode_base64(b"aGk=\r\n ignored after the end").as_deref(),
            Some(&b"hi"[..])
        );
        assert_eq!(decode_base64(b"aGk").as_deref(), Some(&b"hi"[..]));
        assert_eq!(decode_base64(b"?garbage"), None);
        assert_eq!(decode_base64(b"aGVsb"), None);
    }

    #[test]
    fn html_meta_tags_declare_utf8() {
        assert_eq!(
            declare_utf8(
                r#"<HEAD><META http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"></HEAD>café"#.to_owned()
            ),
            r#"<HEAD><META http-equiv="Content-Type" content="text/html; charset=utf-8"></HEAD>café"#
        );
        assert_eq!(
            declare_utf8("<meta charset='windows-1252'/><p>x</p>".to_owned()),
            "<meta charset='utf-8'/><p>x</p>"
        );
        assert_eq!(
            declare_utf8("<p>charset=x</p>".to_owned()),
            "<p>charset=x</p>"
        );
    }

    #[test]
    fn percent_decoding_keeps_bad_escapes() {
        assert_eq!(percent_decode("a%25b%zz%4"), "a%b%zz%4");
    }
}
