//! The header fields a PST message keeps as properties: subject, people, dates, importance,
//! message ids and the conversation index.

use std::borrow::Cow;

use base64::Engine as _;
use mail_parser::parsers::MessageStream;
use mail_parser::{Addr, Address as MimeAddress, DateTime, Header, HeaderName, HeaderValue};

use super::Notes;
use super::text::{clean_display, decode_undeclared, quote, with_known_charsets};
use crate::pst::{Address, FileTime, Importance};

/// A field parser of mail-parser, e.g. [`MessageStream::parse_address`].
type FieldParser = for<'x> fn(&mut MessageStream<'x>) -> HeaderValue<'x>;

/// The header of one message (or one MIME part), with the bytes it was parsed from so that a
/// field written with undeclared 8-bit characters can be read again in the right charset.
#[derive(Clone, Copy, Debug)]
pub(super) struct Fields<'a, 'x> {
    pub headers: &'a [Header<'x>],
    pub raw: &'a [u8],
    /// The charset the message declares for its text, used for undeclared 8-bit header bytes.
    pub charset: Option<&'a str>,
}

impl<'a, 'x> Fields<'a, 'x> {
    pub fn all(self, name: HeaderName<'static>) -> impl Iterator<Item = &'a Header<'x>> {
        self.headers.iter().filter(move |h| h.name == name)
    }

    /// The first field of a name. RFC 5322 allows one; when a message has more, the first is
    /// the one its author wrote (later ones are usually added on the way) and the rest is only
    /// reported.
    pub fn first(self, name: HeaderName<'static>, notes: &mut Notes) -> Option<&'a Header<'x>> {
        let mut all = self.all(name.clone());
        let first = all.next()?;
        let more = all.count();
        if more > 0 {
            notes.warn(format!(
                "the header has {} {} fields; the first is used",
                more + 1,
                name.as_str()
            ));
        }
        Some(first)
    }

    /// The raw bytes of a field's value, up to and including its final line break.
    pub fn raw_value(self, header: &Header<'_>) -> &'a [u8] {
        let start = header.offset_start as usize;
        let end = header.offset_end as usize;
        self.raw.get(start..end).unwrap_or_default()
    }

    /// A field's value as the parser read it; read again when its raw bytes are not UTF-8
    /// (8-bit text without an encoded word: decoded in the message's charset first) or name a
    /// charset mail-parser does not know by that name.
    pub fn value(
        self,
        header: &Header<'x>,
        parse: FieldParser,
        notes: &mut Notes,
    ) -> HeaderValue<'static> {
        let raw = self.raw_value(header);
        let renamed = with_known_charsets(raw);
        let bytes = renamed.as_deref().unwrap_or(raw);
        let text = match std::str::from_utf8(bytes) {
            Ok(_) if renamed.is_none() => return header.value.clone().into_owned(),
            Ok(text) => Cow::Borrowed(text),
            Err(_) => {
                let (text, charset) = decode_undeclared(bytes, self.charset);
                notes.warn(format!(
                    "the {} field has 8-bit characters without an encoding; read as {}",
                    header.name.as_str(),
                    charset.as_deref().unwrap_or("UTF-8")
                ));
                text
            }
        };
        let mut bytes = text.into_owned().into_bytes();
        if !bytes.ends_with(b"\n") {
            bytes.push(b'\n');
        }
        parse(&mut MessageStream::new(&bytes)).into_owned()
    }
}

/// The subject, encoded words decoded, prefix ("RE: ") kept.
pub(super) fn subject(fields: Fields<'_, '_>, notes: &mut Notes) -> Option<String> {
    let header = fields.first(HeaderName::Subject, notes)?;
    let value = fields.value(header, |s| s.parse_unstructured(), notes);
    let subject = clean_display(value.as_text()?)?;
    if has_encoded_word(&subject) {
        notes.warn(format!(
            "the Subject has an encoded word that could not be decoded; kept as written: {}",
            quote(subject.as_bytes())
        ));
    }
    Some(subject)
}

/// True when text still holds something shaped like an RFC 2047 encoded word.
pub(super) fn has_encoded_word(text: &str) -> bool {
    text.match_indices("=?").any(|(at, _)| {
        let rest = &text[at + 2..];
        let mut pieces = rest.splitn(3, '?');
        let (Some(charset), Some(encoding), Some(tail)) =
            (pieces.next(), pieces.next(), pieces.next())
        else {
            return false;
        };
        !charset.is_empty()
            && !charset.contains(char::is_whitespace)
            && matches!(encoding, "B" | "b" | "Q" | "q")
            && tail.contains("?=")
    })
}

/// The first mailbox of the first field of a name (From:, Sender:).
pub(super) fn mailbox(
    fields: Fields<'_, '_>,
    name: HeaderName<'static>,
    notes: &mut Notes,
) -> Option<Address> {
    let header = fields.first(name, notes)?;
    let value = fields.value(header, |s| s.parse_address(), notes);
    addresses_of(&value).into_iter().next()
}

/// Every address of every field of a name (To:, Cc:, Bcc: may be repeated), groups flattened.
pub(super) fn recipients(
    fields: Fields<'_, '_>,
    name: HeaderName<'static>,
    notes: &mut Notes,
) -> Vec<Address> {
    let mut out = Vec::new();
    for header in fields.all(name) {
        let value = fields.value(header, |s| s.parse_address(), notes);
        out.extend(addresses_of(&value));
    }
    out
}

fn addresses_of(value: &HeaderValue<'_>) -> Vec<Address> {
    match value {
        HeaderValue::Address(MimeAddress::List(list)) => list.iter().filter_map(address).collect(),
        HeaderValue::Address(MimeAddress::Group(groups)) => groups
            .iter()
            .flat_map(|group| group.addresses.iter())
            .filter_map(address)
            .collect(),
        _ => Vec::new(),
    }
}

/// One address; `None` for an empty one and for the "undisclosed-recipients" placeholder
/// that some servers write as a name instead of an empty group.
fn address(addr: &Addr<'_>) -> Option<Address> {
    let name = addr.name.as_deref().and_then(clean_display);
    let email = addr
        .address
        .as_deref()
        .map(|email| {
            if email.contains('"') {
                email.trim().to_owned()
            } else {
                // Obsolete syntax allows white space around the dots of an address.
                email.chars().filter(|c| !c.is_whitespace()).collect()
            }
        })
        .unwrap_or_default();
    if name.is_none() && email.is_empty() {
        return None;
    }
    let is_placeholder = |text: &str| {
        let text = text.trim_matches(|c: char| c == ':' || c == ';' || c.is_whitespace());
        text.eq_ignore_ascii_case("undisclosed-recipients")
            || text.eq_ignore_ascii_case("undisclosed recipients")
    };
    if is_placeholder(&email) || (email.is_empty() && name.as_deref().is_some_and(is_placeholder)) {
        return None;
    }
    Some(Address { name, email })
}

/// The Date field as a FILETIME. A field that is not a real date is reported and left out.
pub(super) fn date(fields: Fields<'_, '_>, notes: &mut Notes) -> Option<FileTime> {
    let header = fields.first(HeaderName::Date, notes)?;
    let time = match &header.value {
        HeaderValue::DateTime(date) => file_time(date),
        _ => None,
    };
    if time.is_none() {
        notes.warn(format!(
            "the Date field {} is not a date; the message has no sent time",
            quote(fields.raw_value(header))
        ));
    }
    time
}

/// When the last server received the message: the first `Received:` field (servers add them
/// on top) that carries a valid date.
pub(super) fn received(fields: Fields<'_, '_>) -> Option<FileTime> {
    fields
        .all(HeaderName::Received)
        .find_map(|h| match &h.value {
            HeaderValue::Received(received) => received.date.as_ref().and_then(file_time),
            _ => None,
        })
}

/// A parsed date as a FILETIME, if it is a real date: mail-parser's own range check (years
/// 1900–3000) plus a day that exists in its month.
pub(super) fn file_time(date: &DateTime) -> Option<FileTime> {
    if !date.is_valid() || date.day > days_in_month(date.year, date.month) {
        return None;
    }
    FileTime::from_unix(date.to_timestamp())
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The date of an mbox `From ` line (`From sender Tue Oct  2 00:26:47 2007`, asctime form, in
/// UTC as mbox writers keep it).
pub(super) fn from_line_time(line: &[u8]) -> Option<FileTime> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let text = std::str::from_utf8(line).ok()?;
    let words: Vec<&str> = text.split_whitespace().collect();
    // The sender may be missing or odd; find the month and read on from there.
    let (at, month) = words.iter().enumerate().find_map(|(at, word)| {
        let month = MONTHS.iter().position(|m| word.eq_ignore_ascii_case(m))?;
        Some((at, month))
    })?;
    let day: u8 = words.get(at + 1)?.parse().ok()?;
    let mut clock = words.get(at + 2)?.split(':');
    let hour: u8 = clock.next()?.parse().ok()?;
    let minute: u8 = clock.next()?.parse().ok()?;
    let second: u8 = clock.next().map_or(Some(0), |s| s.parse().ok())?;
    // The year comes last, sometimes after a zone ("12:08:34 2011 +0000" or "PST 2011").
    let year: u16 = words
        .get(at + 3..)?
        .iter()
        .find_map(|w| if w.len() == 4 { w.parse().ok() } else { None })?;
    file_time(&DateTime {
        year,
        month: u8::try_from(month + 1).ok()?,
        day,
        hour,
        minute,
        second,
        tz_before_gmt: false,
        tz_hour: 0,
        tz_minute: 0,
    })
}

/// Importance from `Importance:`, else `X-Priority:`, `Priority:` or `X-MSMail-Priority:`.
pub(super) fn importance(fields: Fields<'_, '_>) -> Importance {
    let text = |name: HeaderName<'static>| -> Option<String> {
        fields
            .all(name)
            .find_map(|h| h.value.as_text().map(|t| t.trim().to_ascii_lowercase()))
    };
    if let Some(value) = text(HeaderName::Importance) {
        match value.as_str() {
            "high" => return Importance::High,
            "low" => return Importance::Low,
            "normal" => return Importance::Normal,
            _ => {}
        }
    }
    if let Some(value) = text(HeaderName::Other("X-Priority".into())) {
        match value.chars().next() {
            Some('1' | '2') => return Importance::High,
            Some('4' | '5') => return Importance::Low,
            Some('3') => return Importance::Normal,
            _ => {}
        }
    }
    if let Some(value) = text(HeaderName::Priority) {
        match value.as_str() {
            "urgent" => return Importance::High,
            "non-urgent" => return Importance::Low,
            "normal" => return Importance::Normal,
            _ => {}
        }
    }
    match text(HeaderName::Other("X-MSMail-Priority".into())).as_deref() {
        Some("high") => Importance::High,
        Some("low") => Importance::Low,
        _ => Importance::Normal,
    }
}

/// The Message-ID with its angle brackets.
pub(super) fn message_id(fields: Fields<'_, '_>, notes: &mut Notes) -> Option<String> {
    let header = fields.first(HeaderName::MessageId, notes)?;
    let id = header.value.as_text_list()?.first()?.trim();
    (!id.is_empty()).then(|| format!("<{id}>"))
}

/// The ids of every field of a name (In-Reply-To:, References:), each in angle brackets,
/// separated by spaces.
pub(super) fn id_list(fields: Fields<'_, '_>, name: HeaderName<'static>) -> Option<String> {
    let ids: Vec<String> = fields
        .all(name)
        .filter_map(|h| h.value.as_text_list())
        .flatten()
        .map(|id| id.trim())
        .filter(|id| !id.is_empty())
        .map(|id| format!("<{id}>"))
        .collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// Outlook's conversation index from a `Thread-Index:` field: base64 of a 22-byte header
/// block followed by 5-byte child blocks ([MS-OXOMSG] 2.2.1.3).
pub(super) fn conversation_index(fields: Fields<'_, '_>, notes: &mut Notes) -> Option<Vec<u8>> {
    let header = fields.first(HeaderName::Other("Thread-Index".into()), notes)?;
    let raw = fields.raw_value(header);
    let compact: Vec<u8> = raw
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(&compact)
        .ok();
    match decoded {
        Some(index) if index.len() >= 22 && (index.len() - 22) % 5 == 0 => Some(index),
        _ => {
            notes.warn(format!(
                "the Thread-Index field {} is not a conversation index; left out",
                quote(raw)
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use mail_parser::MessageParser;

    use super::*;

    fn with_fields<T>(header: &str, f: impl FnOnce(Fields<'_, '_>, &mut Notes) -> T) -> (T, Notes) {
        let raw = format!("{header}\n\nbody\n");
        let message = MessageParser::default().parse(raw.as_bytes()).unwrap();
        let mut notes = Notes::default();
        let fields = Fields {
            headers: message.headers(),
            raw: &message.raw_message,
            charset: None,
        };
        let out = f(fields, &mut notes);
        (out, notes)
    }

    #[test]
    fn encoded_words_are_recognised() {
        assert!(has_encoded_word("x =?utf-8?q?a?= y"));
        assert!(has_encoded_word("=?x-unknown?B?AAAA?="));
        assert!(!has_encoded_word("a =? b ?= c"));
        assert!(!has_encoded_word("what=?"));
    }

    #[test]
    fn undisclosed_recipients_are_not_recipients() {
        let (to, notes) = with_fields(
            "To: undisclosed-recipients:;\nCc: undisclosed recipients: ;\nBcc: Undisclosed-Recipients",
            |f, n| {
                let mut all = recipients(f, HeaderName::To, n);
                all.extend(recipients(f, HeaderName::Cc, n));
                all.extend(recipients(f, HeaderName::Bcc, n));
                all
            },
        );
        assert_eq!(to, Vec::new());
        assert!(notes.warnings.is_empty());
    }

    #[test]
    fn groups_are_flattened_and_repeated_fields_joined() {
        let (to, _) = with_fields(
            "To: Team: Ann <ann@example.com>, bob@example.com;, Carl <carl@example.com>\nTo: dan@example.com",
            |f, n| recipients(f, HeaderName::To, n),
        );
        let emails: Vec<&str> = to.iter().map(|a| a.email.as_str()).collect();
        assert_eq!(
            emails,
            [
                "ann@example.com",
                "bob@example.com",
                "carl@example.com",
                "dan@example.com"
            ]
        );
    }

    #[test]
    fn a_second_from_field_is_reported_and_the_first_kept() {
        let (from, notes) = with_fields(
            "From: First <first@example.com>\nFrom: Second <second@example.com>",
            |f, n| mailbox(f, HeaderName::From, n),
        );
        assert_eq!(from.unwrap().email, "first@example.com");
        assert_eq!(
            notes.warnings,
            ["the header has 2 From fields; the first is used"]
        );
    }

    #[test]
    fn undeclared_8bit_subjects_are_read_as_windows_1252() {
        let raw = b"Subject: Forma\xe7\xe3o Ver\xe3o\n\nbody\n";
        let message = MessageParser::default().parse(&raw[..]).unwrap();
        let mut notes = Notes::default();
        let fields = Fields {
            headers: message.headers(),
            raw: &message.raw_message,
            charset: None,
        };
        assert_eq!(
            subject(fields, &mut notes).as_deref(),
            Some("Formação Verão")
        );
        assert_eq!(
            notes.warnings,
            ["the Subject field has 8-bit characters without an encoding; read as windows-1252"]
        );
    }

    #[test]
    fn impossible_dates_are_left_out_with_a_warning() {
        for bad in [
            "Date: Wed, 15 Dec 2010    59:10 -0500",
            "Date: Mon, 30 Jun 3609 15:33:50 +0600",
            "Date: Pn, 29 paX 2007 21:13:00 +0100",
            "Date: Sat, 31 Feb 2009 10:00:00 +0000",
            "Date: ",
        ] {
            let (time, notes) = with_fields(bad, date);
            assert_eq!(time, None, "{bad}");
            assert_eq!(notes.warnings.len(), 1, "{bad}");
        }
        let (time, notes) = with_fields("Date: Thu, 01 Jan 1970 00:00:10 +0000", date);
        assert_eq!(time.map(FileTime::to_unix), Some(10));
        assert!(notes.warnings.is_empty());
    }

    #[test]
    fn mbox_from_line_dates() {
        let unix = |line: &str| from_line_time(line.as_bytes()).map(FileTime::to_unix);
        assert_eq!(unix("From - Tue Oct 02 00:26:47 2007"), Some(1_191_284_807));
        assert_eq!(unix("From a@b.c Thu Jan  1 00:00:01 1970"), Some(1));
        assert_eq!(
            unix("From MAILER-DAEMON Fri Jul  8 12:08:34 2011 +0000"),
            Some(1_310_126_914)
        );
        assert_eq!(unix("From "), None);
        assert_eq!(unix("From x Feb 30 00:00:00 2001"), None);
    }

    #[test]
    fn importance_comes_from_any_of_the_usual_fields() {
        let of = |h: &str| with_fields(h, |f, _| importance(f)).0;
        assert_eq!(of("Importance: High"), Importance::High);
        assert_eq!(of("X-Priority: 1 (Highest)"), Importance::High);
        assert_eq!(of("X-Priority: 5"), Importance::Low);
        assert_eq!(of("Priority: non-urgent"), Importance::Low);
        assert_eq!(of("X-MSMail-Priority: High"), Importance::High);
        assert_eq!(of("Subject: x"), Importance::Normal);
    }

    #[test]
    fn ids_keep_their_angle_brackets() {
        let (ids, _) = with_fields(
            "Message-ID: <a@b>\nIn-Reply-To: <c@d>\nReferences: <e@f>\n <c@d>",
            |f, n| {
                (
                    message_id(f, n),
                    id_list(f, HeaderName::InReplyTo),
                    id_list(f, HeaderName::References),
                )
            },
        );
        assert_eq!(
            ids,
            (
                Some("<a@b>".to_owned()),
                Some("<c@d>".to_owned()),
                Some("<e@f> <c@d>".to_owned())
            )
        );
    }

    #[test]
    fn thread_index_must_have_the_conversation_index_shape() {
        let (index, notes) = with_fields(
            "Thread-Index: AcT9+CUlRgRKMiKZSj+BjT+PHEf8rQ==",
            conversation_index,
        );
        assert_eq!(index.map(|i| i.len()), Some(22));
        assert!(notes.warnings.is_empty());
        let (index, notes) = with_fields("Thread-Index: not base64!", conversation_index);
        assert_eq!(index, None);
        assert_eq!(notes.warnings.len(), 1);
    }
}
