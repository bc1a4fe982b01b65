//! [Message objects](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/1042af37-aaa4-4edc-bffd-90a1ede24188)
//! (MS-PST 2.4.5): the properties of a message PC, built from a [`Message`]. Its contents-table
//! row is taken from the same list ([`Props::row`]), so row and PC cannot disagree.

use std::borrow::Cow;

use sha2::{Digest as _, Sha256};

use crate::pst::item::Item;
use crate::pst::ltp::{PropTag, PropValue};
use crate::pst::mail::{Address, FileTime, Importance, Message, RecipientKind};
use crate::pst::messaging::entry_id::{address_search_key, one_off_entry_id};
use crate::pst::messaging::name_map::{self, FLAG_REQUEST, KEYWORDS};
use crate::pst::messaging::pim;
use crate::pst::messaging::props::Props;
use crate::pst::messaging::subject::{Subject, conversation_index};
use crate::pst::messaging::tags::{self, message_flags};

/// The address type of every address we write.
pub const SMTP: &str = "SMTP";
/// The message class of mail.
pub const MAIL_CLASS: &str = "IPM.Note";
/// UTF-8, the code page of the HTML body we store.
const UTF8_CODEPAGE: i32 = 65001;
/// PidTagNativeBody values (MS-OXCMSG 2.2.1.49.9).
const NATIVE_BODY_PLAIN: i32 = 1;
const NATIVE_BODY_HTML: i32 = 3;
/// PidTagLastVerbExecuted values (MS-OXOMSG 2.2.1.37).
const VERB_REPLY_TO_SENDER: i32 = 102;
const VERB_FORWARD: i32 = 104;
/// PidTagIconIndex values of replied and forwarded mail.
const ICON_REPLIED: i32 = 0x105;
const ICON_FORWARDED: i32 = 0x106;
/// PidTagFlagStatus "flagged" and PidTagFollowupIcon red (MS-OXOFLAG 2.2.1).
const FLAG_STATUS_FLAGGED: i32 = 2;
const FOLLOWUP_ICON_RED: i32 = 6;
const FLAG_REQUEST_FOLLOW_UP: &str = "Follow up";

/// Whether the message shows the paper clip: it has an attachment that is not hidden.
pub fn has_visible_attachment(message: &Message) -> bool {
    message.attachments.iter().any(|a| !a.hidden)
}

/// PidTagMessageFlags of a stored message.
pub fn message_flags(message: &Message) -> i32 {
    let mut flags = 0;
    if message.state.read {
        flags |= message_flags::READ;
    }
    // MSGFLAG_UNSENT only on drafts; received mail is unmodified since delivery.
    flags |= if message.state.draft {
        message_flags::UNSENT
    } else {
        message_flags::UNMODIFIED
    };
    if has_visible_attachment(message) {
        flags |= message_flags::HAS_ATTACH;
    }
    flags
}

/// The date a message's creation and modification times take: when it arrived, else when it
/// was sent, else `now`.
pub fn message_time(message: &Message, now: FileTime) -> FileTime {
    message.delivery_time.or(message.submit_time).unwrap_or(now)
}

/// PidTagSearchKey of a message: 16 bytes derived from what identifies it, so that the same
/// input always gives the same key (MS-OXCPRPT: copies of a message share their search key).
pub fn message_search_key(message: &Message) -> [u8; 16] {
    let mut hasher = Sha256::new();
    hasher.update(b"pst-message-search-key\0");
    for field in [
        message.internet_message_id.as_deref(),
        message.subject.as_deref(),
        message.from.as_ref().map(|a| a.email.as_str()),
    ] {
        hasher.update(field.unwrap_or("").as_bytes());
        hasher.update([0]);
    }
    for number in [
        message.submit_time.map_or(0, |t| t.0),
        message.delivery_time.map_or(0, |t| t.0),
        message.body_text.as_ref().map_or(0, |b| b.len() as u64),
        message.body_html.as_ref().map_or(0, |b| b.len() as u64),
        message.attachments.len() as u64,
    ] {
        hasher.update(number.to_le_bytes());
    }
    let mut key = [0u8; 16];
    key.copy_from_slice(&hasher.finalize()[..16]);
    key
}

/// The names of one kind of recipient joined by "; ", as Outlook shows them in To/Cc/Bcc.
pub fn display_recipients(message: &Message, kind: RecipientKind) -> String {
    let mut out = String::new();
    for recipient in message.recipients.iter().filter(|r| r.kind == kind) {
        if !out.is_empty() {
            out.push_str("; ");
        }
        out.push_str(recipient.address.display());
    }
    out
}

/// The properties of a message PC. `message_size` is PidTagMessageSize, which the caller
/// computes from the node's blocks (docs/pst-writer-notes.md §4.6); it is stored inline and does
/// not change them.
pub fn message_properties<'a>(message: &'a Message, now: FileTime, message_size: i32) -> Props<'a> {
    let mut props = Props::new();
    let class = message
        .item
        .as_deref()
        .map_or(MAIL_CLASS, Item::message_class);
    props.string(tags::MESSAGE_CLASS, class);
    props.int(tags::MESSAGE_FLAGS, message_flags(message));
    props.int(tags::MESSAGE_SIZE, message_size);
    props.int(tags::MESSAGE_STATUS, 0);

    let subject = message.subject.as_deref().map(Subject::parse);
    if let Some(subject) = &subject {
        props.string(tags::SUBJECT, subject.encoded());
        if !subject.prefix.is_empty() {
            props.string(tags::SUBJECT_PREFIX, subject.prefix.clone());
        }
        props.string(tags::NORMALIZED_SUBJECT, subject.normalized.clone());
        props.string(tags::CONVERSATION_TOPIC, subject.normalized.clone());
    }
    let time = message_time(message, now);
    let index = match &message.conversation_index {
        Some(index) if !index.is_empty() => Cow::Borrowed(index.as_slice()),
        _ => {
            let topic = subject.as_ref().map_or("", |s| s.normalized.as_str());
            Cow::Owned(conversation_index(
                topic,
                message.submit_time.unwrap_or(time).0,
            ))
        }
    };
    props.binary(tags::CONVERSATION_INDEX, index);

    if let Some(t) = message.submit_time {
        props.time(tags::CLIENT_SUBMIT_TIME, t.0);
    }
    if let Some(t) = message.delivery_time {
        props.time(tags::MESSAGE_DELIVERY_TIME, t.0);
    }
    props.time(tags::CREATION_TIME, time.0);
    props.time(tags::LAST_MODIFICATION_TIME, time.0);
    props.binary(tags::SEARCH_KEY, message_search_key(message).to_vec());

    // The author is the "From" of Outlook (sent representing); the sender is who sent it on
    // the author's behalf, the author himself in ordinary mail.
    let author = message.from.as_ref().or(message.sender.as_ref());
    let sender = message.sender.as_ref().or(message.from.as_ref());
    if let Some(author) = author {
        set_address(
            &mut props,
            author,
            AddressTags {
                name: tags::SENT_REPRESENTING_NAME,
                email: tags::SENT_REPRESENTING_EMAIL_ADDRESS,
                address_type: tags::SENT_REPRESENTING_ADDRESS_TYPE,
                entry_id: tags::SENT_REPRESENTING_ENTRY_ID,
                search_key: tags::SENT_REPRESENTING_SEARCH_KEY,
                smtp: tags::SENT_REPRESENTING_SMTP_ADDRESS,
            },
        );
    }
    if let Some(sender) = sender {
        set_address(
            &mut props,
            sender,
            AddressTags {
                name: tags::SENDER_NAME,
                email: tags::SENDER_EMAIL_ADDRESS,
                address_type: tags::SENDER_ADDRESS_TYPE,
                entry_id: tags::SENDER_ENTRY_ID,
                search_key: tags::SENDER_SEARCH_KEY,
                smtp: tags::SENDER_SMTP_ADDRESS,
            },
        );
    }
    props.string(
        tags::DISPLAY_TO,
        display_recipients(message, RecipientKind::To),
    );
    props.string(
        tags::DISPLAY_CC,
        display_recipients(message, RecipientKind::Cc),
    );
    props.string(
        tags::DISPLAY_BCC,
        display_recipients(message, RecipientKind::Bcc),
    );

    let optional_strings = [
        (tags::TRANSPORT_MESSAGE_HEADERS, &message.transport_headers),
        (tags::INTERNET_MESSAGE_ID, &message.internet_message_id),
        (tags::IN_REPLY_TO_ID, &message.in_reply_to),
        (tags::INTERNET_REFERENCES, &message.references),
        (tags::BODY, &message.body_text),
    ];
    for (tag, value) in optional_strings {
        if let Some(value) = value {
            props.string(tag, value.as_str());
        }
    }
    if let Some(html) = &message.body_html {
        props.binary(tags::HTML, html.as_bytes());
        props.int(tags::INTERNET_CODEPAGE, UTF8_CODEPAGE);
        props.int(tags::NATIVE_BODY, NATIVE_BODY_HTML);
    } else if message.body_text.is_some() {
        props.int(tags::NATIVE_BODY, NATIVE_BODY_PLAIN);
    }

    let (importance, priority) = match message.importance {
        Importance::Low => (0, -1),
        Importance::Normal => (1, 0),
        Importance::High => (2, 1),
    };
    props.int(tags::IMPORTANCE, importance);
    props.int(tags::PRIORITY, priority);
    props.int(tags::SENSITIVITY, 0);

    if message.state.replied {
        props.int(tags::LAST_VERB_EXECUTED, VERB_REPLY_TO_SENDER);
        props.int(tags::ICON_INDEX, ICON_REPLIED);
    } else if message.state.forwarded {
        props.int(tags::LAST_VERB_EXECUTED, VERB_FORWARD);
        props.int(tags::ICON_INDEX, ICON_FORWARDED);
    }
    if message.state.flagged {
        props.int(tags::FLAG_STATUS, FLAG_STATUS_FLAGGED);
        props.int(tags::FOLLOWUP_ICON, FOLLOWUP_ICON_RED);
        props.string(name_map::tag_of(FLAG_REQUEST), FLAG_REQUEST_FOLLOW_UP);
    }
    if !message.categories.is_empty() {
        props.set(
            name_map::tag_of(KEYWORDS),
            PropValue::MultipleString(message.categories.clone()),
        );
    }
    if let Some(item) = message.item.as_deref() {
        pim::item_properties(&mut props, item);
    }
    props
}

/// The six properties that describe one address (name, address, type, EntryID, search key,
/// SMTP address), for the sender, the author or a recipient.
#[derive(Clone, Copy, Debug)]
pub struct AddressTags {
    pub name: PropTag,
    pub email: PropTag,
    pub address_type: PropTag,
    pub entry_id: PropTag,
    pub search_key: PropTag,
    pub smtp: PropTag,
}

/// Sets the properties of `address`. A mail that named a person without an address gets the
/// name only.
pub fn set_address<'a>(props: &mut Props<'a>, address: &'a Address, tags: AddressTags) {
    let name = address.display();
    props.string(tags.name, name);
    if address.email.is_empty() {
        return;
    }
    props.string(tags.email, address.email.as_str());
    props.string(tags.address_type, SMTP);
    props.binary(tags.entry_id, one_off_entry_id(name, SMTP, &address.email));
    props.binary(tags.search_key, address_search_key(SMTP, &address.email));
    props.string(tags.smtp, address.email.as_str());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pst::mail::{Attachment, AttachmentContent, MessageState, Recipient};
    use crate::pst::messaging::templates;

    fn sample() -> Message {
        Message {
            subject: Some("RE: Plans".into()),
            from: Some(Address::new(Some("Ann"), "ann@example.com")),
            recipients: vec![
                Recipient {
                    kind: RecipientKind::To,
                    address: Address::new(Some("Bob"), "bob@example.com"),
                },
                Recipient {
                    kind: RecipientKind::To,
                    address: Address::new(None, "cy@example.com"),
                },
                Recipient {
                    kind: RecipientKind::Cc,
                    address: Address::new(Some("Di"), "di@example.com"),
                },
            ],
            submit_time: FileTime::from_unix(1_600_000_000),
            delivery_time: FileTime::from_unix(1_600_000_060),
            state: MessageState {
                read: true,
                replied: true,
                flagged: true,
                ..MessageState::default()
            },
            internet_message_id: Some("<a@b>".into()),
            body_text: Some("hello".into()),
            body_html: Some("<p>hello</p>".into()),
            categories: vec!["Red".into()],
            attachments: vec![Attachment {
                filename: Some("a.txt".into()),
                mime_type: Some("text/plain".into()),
                content_id: None,
                content_location: None,
                hidden: false,
                content: AttachmentContent::Data(b"x".to_vec()),
            }],
            ..Message::default()
        }
    }

    fn string(props: &Props<'_>, tag: PropTag) -> String {
        match props.get(tag) {
            Some(PropValue::String(s)) => s.to_string(),
            other => panic!("{tag:?}: {other:?}"),
        }
    }

    #[test]
    fn a_received_mail_has_the_properties_outlook_shows() {
        let message = sample();
        let props = message_properties(&message, FileTime(1), 1234);
        assert_eq!(string(&props, tags::MESSAGE_CLASS), "IPM.Note");
        assert_eq!(string(&props, tags::SUBJECT), "\u{1}\u{5}RE: Plans");
        assert_eq!(string(&props, tags::SUBJECT_PREFIX), "RE: ");
        assert_eq!(string(&props, tags::CONVERSATION_TOPIC), "Plans");
        assert_eq!(string(&props, tags::SENT_REPRESENTING_NAME), "Ann");
        assert_eq!(
            string(&props, tags::SENDER_EMAIL_ADDRESS),
            "ann@example.com"
        );
        assert_eq!(string(&props, tags::DISPLAY_TO), "Bob; cy@example.com");
        assert_eq!(string(&props, tags::DISPLAY_CC), "Di");
        assert_eq!(string(&props, tags::DISPLAY_BCC), "");
        assert_eq!(
            props.get(tags::MESSAGE_FLAGS),
            Some(&PropValue::Integer32(0x01 | 0x02 | 0x10))
        );
        assert_eq!(
            props.get(tags::MESSAGE_SIZE),
            Some(&PropValue::Integer32(1234))
        );
        assert_eq!(
            props.get(tags::CREATION_TIME),
            Some(&PropValue::Time(message.delivery_time.unwrap().0))
        );
        assert_eq!(
            props.get(tags::LAST_VERB_EXECUTED),
            Some(&PropValue::Integer32(102))
        );
        assert_eq!(props.get(tags::FLAG_STATUS), Some(&PropValue::Integer32(2)));
        assert_eq!(
            props.get(name_map::tag_of(KEYWORDS)),
            Some(&PropValue::MultipleString(vec!["Red".into()]))
        );
        assert_eq!(
            props.get(tags::HTML),
            Some(&PropValue::Binary(b"<p>hello</p>".as_slice().into()))
        );
        assert_eq!(
            props.get(tags::INTERNET_CODEPAGE),
            Some(&PropValue::Integer32(65001))
        );
    }

    #[test]
    fn absent_values_stay_absent() {
        let message = Message::default();
        let props = message_properties(&message, FileTime(42), 0);
        for tag in [
            tags::SUBJECT,
            tags::CLIENT_SUBMIT_TIME,
            tags::MESSAGE_DELIVERY_TIME,
            tags::SENT_REPRESENTING_NAME,
            tags::BODY,
            tags::HTML,
            tags::INTERNET_MESSAGE_ID,
        ] {
            assert_eq!(props.get(tag), None, "{tag:?}");
        }
        // Only the dates the spec requires fall back to the writer's "now".
        assert_eq!(props.get(tags::CREATION_TIME), Some(&PropValue::Time(42)));
        assert_eq!(
            props.get(tags::MESSAGE_FLAGS),
            Some(&PropValue::Integer32(0x02))
        );
    }

    #[test]
    fn drafts_are_unsent_and_hidden_attachments_show_no_clip() {
        let mut message = sample();
        message.state.draft = true;
        message.state.read = false;
        message.attachments[0].hidden = true;
        assert_eq!(message_flags(&message), 0x08);
    }

    #[test]
    fn contents_row_equals_the_pc() {
        let message = sample();
        let props = message_properties(&message, FileTime(1), 99);
        let row = props.row(templates::CONTENTS);
        for (tag, cell) in templates::CONTENTS.iter().zip(&row) {
            assert_eq!(cell.as_ref(), props.get(*tag), "{tag:?}");
        }
        // Subject, class, flags, size, sender name, times... are in the row.
        assert!(row.iter().flatten().count() >= 15);
    }

    #[test]
    fn search_key_and_conversation_index_are_deterministic() {
        let a = sample();
        let mut b = sample();
        assert_eq!(message_search_key(&a), message_search_key(&b));
        b.internet_message_id = Some("<other@b>".into());
        assert_ne!(message_search_key(&a), message_search_key(&b));
        let pa = message_properties(&a, FileTime(1), 0);
        let pb = message_properties(&a, FileTime(2), 0);
        assert_eq!(
            pa.get(tags::CONVERSATION_INDEX),
            pb.get(tags::CONVERSATION_INDEX)
        );
    }
}
