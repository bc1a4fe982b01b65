//! Framing of vCard ([RFC 6350], [RFC 2426], vCard 2.1) and iCalendar ([RFC 5545]) text into
//! the items a folder holds, as mbox framing splits a file into messages: one vCard per
//! contact; per calendar object (one UID) the event or to-do with its changed occurrences and
//! the time zones the calendar defines, as a VCALENDAR of its own. The content of each item
//! is left as it is; `convert/` parses it.
//!
//! [RFC 6350]: https://www.rfc-editor.org/rfc/rfc6350
//! [RFC 2426]: https://www.rfc-editor.org/rfc/rfc2426
//! [RFC 5545]: https://www.rfc-editor.org/rfc/rfc5545

/// One item found in a file: its text and the byte offset where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Framed {
    pub offset: u64,
    pub bytes: Vec<u8>,
}

/// A physical line of `data`: its offset, its bytes without the line break.
fn lines(data: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= data.len() {
            return None;
        }
        let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i + 1);
        let line = &data[start..end];
        let at = start;
        start = end;
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        Some((at, line))
    })
}

/// The line is `NAME:VALUE` with these, letter case and surrounding blanks aside.
fn is_line(line: &[u8], name: &str, value: &str) -> bool {
    let line = line.trim_ascii();
    let Some(colon) = memchr::memchr(b':', line) else {
        return false;
    };
    line[..colon]
        .trim_ascii()
        .eq_ignore_ascii_case(name.as_bytes())
        && line[colon + 1..]
            .trim_ascii()
            .eq_ignore_ascii_case(value.as_bytes())
}

fn begin_of(line: &[u8]) -> Option<String> {
    let line = line.trim_ascii();
    let colon = memchr::memchr(b':', line)?;
    line[..colon]
        .trim_ascii()
        .eq_ignore_ascii_case(b"BEGIN")
        .then(|| String::from_utf8_lossy(line[colon + 1..].trim_ascii()).to_ascii_uppercase())
}

/// Every `BEGIN:VCARD` … `END:VCARD` block of `data` (nested vCards, as vCard 2.1's AGENT,
/// stay inside theirs). A block without its END runs to the end of the data.
pub fn vcards(data: &[u8]) -> Vec<Framed> {
    let mut cards = Vec::new();
    let mut depth = 0usize;
    let mut start = 0usize;
    for (at, line) in lines(data) {
        if is_line(line, "BEGIN", "VCARD") {
            if depth == 0 {
                start = at;
            }
            depth += 1;
        } else if depth > 0 && is_line(line, "END", "VCARD") {
            depth -= 1;
            if depth == 0 {
                let end = at + line.len();
                cards.push(Framed {
                    offset: start as u64,
                    bytes: data[start..end].to_vec(),
                });
            }
        }
    }
    if depth > 0 {
        cards.push(Framed {
            offset: start as u64,
            bytes: data[start..].to_vec(),
        });
    }
    cards
}

/// The calendar objects of an iCalendar text, split by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CalendarObjects {
    pub events: Vec<Framed>,
    pub todos: Vec<Framed>,
    /// Journal entries (VJOURNAL): Outlook's journal is not written.
    pub journals: usize,
}

/// A top-level component of a VCALENDAR.
struct Component {
    kind: String,
    offset: usize,
    text: Vec<u8>,
    uid: Option<String>,
}

/// The value of the component's UID line (unfolded), if any.
fn uid_of(text: &[u8]) -> Option<String> {
    let mut unfolded: Vec<u8> = Vec::with_capacity(text.len());
    for (_, line) in lines(text) {
        if let Some(rest) = line.strip_prefix(b" ").or_else(|| line.strip_prefix(b"\t")) {
            unfolded.extend_from_slice(rest);
        } else {
            unfolded.push(b'\n');
            unfolded.extend_from_slice(line);
        }
    }
    let mut depth = 0usize;
    for line in unfolded.split(|b| *b == b'\n') {
        if begin_of(line).is_some() {
            depth += 1;
        } else if line.trim_ascii().to_ascii_uppercase().starts_with(b"END:") {
            depth = depth.saturating_sub(1);
        } else if depth == 1
            && let Some(colon) = memchr::memchr(b':', line)
        {
            let name = &line[..colon];
            let name = name.split(|b| *b == b';').next().unwrap_or(name);
            if name.trim_ascii().eq_ignore_ascii_case(b"UID") {
                return Some(String::from_utf8_lossy(line[colon + 1..].trim_ascii()).into_owned());
            }
        }
    }
    None
}

/// The components of every VCALENDAR in `data`, and the lines of the calendars' own
/// properties (VERSION, PRODID, …) are dropped; a file without BEGIN:VCALENDAR is read as
/// one calendar's components.
fn components(data: &[u8]) -> Vec<Component> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut current: Option<(String, usize)> = None;
    let mut calendar_depth = 0usize;
    for (at, line) in lines(data) {
        if let Some(kind) = begin_of(line) {
            if kind == "VCALENDAR" && current.is_none() {
                calendar_depth += 1;
                continue;
            }
            if current.is_none() {
                current = Some((kind, at));
                depth = 0;
            }
            depth += 1;
        } else if line.trim_ascii().to_ascii_uppercase().starts_with(b"END:") {
            if current.is_none() {
                calendar_depth = calendar_depth.saturating_sub(1);
                continue;
            }
            depth = depth.saturating_sub(1);
            if depth == 0
                && let Some((kind, start)) = current.take()
            {
                let end = at + line.len();
                let text = data[start..end].to_vec();
                let uid = uid_of(&text);
                out.push(Component {
                    kind,
                    offset: start,
                    text,
                    uid,
                });
            }
        }
    }
    if let Some((kind, start)) = current {
        let text = data[start..].to_vec();
        let uid = uid_of(&text);
        out.push(Component {
            kind,
            offset: start,
            text,
            uid,
        });
    }
    out
}

/// Components of one item: (kind, UID, offset of the first, their texts).
type Group<'a> = (String, Option<String>, usize, Vec<&'a [u8]>);

/// The events and to-dos of an iCalendar text: one item per UID (a component without UID is
/// an item of its own), each a VCALENDAR with every VTIMEZONE of the text before it.
pub fn calendar_objects(data: &[u8]) -> CalendarObjects {
    let components = components(data);
    let mut zones: Vec<u8> = Vec::new();
    for component in components.iter().filter(|c| c.kind == "VTIMEZONE") {
        zones.extend_from_slice(&component.text);
        zones.extend_from_slice(b"\r\n");
    }
    // (kind, uid, offset, texts) in order of first appearance.
    let mut groups: Vec<Group<'_>> = Vec::new();
    for component in &components {
        if component.kind != "VEVENT" && component.kind != "VTODO" {
            continue;
        }
        let existing = component.uid.as_ref().and_then(|uid| {
            groups
                .iter_mut()
                .find(|(kind, u, _, _)| *kind == component.kind && u.as_ref() == Some(uid))
        });
        match existing {
            Some(group) => group.3.push(&component.text),
            None => groups.push((
                component.kind.clone(),
                component.uid.clone(),
                component.offset,
                vec![&component.text],
            )),
        }
    }
    let mut objects = CalendarObjects {
        journals: components.iter().filter(|c| c.kind == "VJOURNAL").count(),
        ..CalendarObjects::default()
    };
    for (kind, _, offset, texts) in groups {
        let mut bytes = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n".to_vec();
        bytes.extend_from_slice(&zones);
        for text in texts {
            bytes.extend_from_slice(text);
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(b"END:VCALENDAR\r\n");
        let framed = Framed {
            offset: offset as u64,
            bytes,
        };
        if kind == "VEVENT" {
            objects.events.push(framed);
        } else {
            objects.todos.push(framed);
        }
    }
    objects
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vcards_are_split_with_their_offsets() {
        let data =
            b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nEND:VCARD\r\nbegin:vcard\nFN:B\nend:vcard\n";
        let cards = vcards(data);
        assert_eq!(cards.len(), 2);
        assert_eq!(cards[0].offset, 0);
        assert!(cards[0].bytes.ends_with(b"END:VCARD"));
        assert_eq!(cards[1].offset, 43);
        assert_eq!(cards[1].bytes, b"begin:vcard\nFN:B\nend:vcard");
    }

    #[test]
    fn an_unterminated_vcard_is_kept() {
        let cards = vcards(b"BEGIN:VCARD\nFN:A\n");
        assert_eq!(cards.len(), 1);
    }

    #[test]
    fn events_are_grouped_by_uid_with_the_time_zones() {
        let data = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:X\r\nEND:VTIMEZONE\r\n\
BEGIN:VEVENT\r\nUID:a\r\nRRULE:FREQ=DAILY\r\nBEGIN:VALARM\r\nUID:alarm\r\nEND:VALARM\r\nEND:VEVENT\r\n\
BEGIN:VTODO\r\nUID:t\r\nEND:VTODO\r\n\
BEGIN:VEVENT\r\nUID:b\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nU\r\n ID:a\r\nRECURRENCE-ID:20240101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let objects = calendar_objects(data);
        assert_eq!(objects.events.len(), 2);
        assert_eq!(objects.todos.len(), 1);
        let first = String::from_utf8(objects.events[0].bytes.clone()).unwrap();
        assert!(first.contains("TZID:X"));
        assert!(first.contains("RECURRENCE-ID"));
        assert_eq!(first.matches("BEGIN:VEVENT").count(), 2);
        assert!(!String::from_utf8_lossy(&objects.events[1].bytes).contains("RRULE"));
    }
}
