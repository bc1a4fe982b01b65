//! [Attachment objects](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/46eb4828-c6a5-420d-a137-9ee36df317c1)
//! (MS-PST 2.4.6): the attachment PC and its row in the message's attachment table, both from
//! one property list.

use std::borrow::Cow;

use crate::pst::ltp::PropValue;
use crate::pst::mail::{Attachment, AttachmentContent};
use crate::pst::messaging::props::Props;
use crate::pst::messaging::tags;
use crate::pst::messaging::templates;
use crate::pst::ndb::Nid;

/// PidTagAttachMethod values (MS-OXCMSG 2.2.2.9).
pub const ATTACH_BY_VALUE: i32 = 1;
pub const ATTACH_EMBEDDED_MSG: i32 = 5;
/// PidTagAttachFlags: the HTML body refers to this part (ATT_MHTML_REF).
const ATT_MHTML_REF: i32 = 4;
/// PidTagRenderingPosition: not rendered in a plain-text body.
const NOT_RENDERED: i32 = -1;
/// The largest size PidTagAttachSize and PidTagMessageSize (signed 32-bit integers) can hold.
pub const MAX_ATTACHMENT_SIZE: u64 = i32::MAX as u64;

/// Where an attachment's content is in the node being built.
#[derive(Clone, Debug, PartialEq)]
pub enum StoredContent<'a> {
    /// The bytes, by value.
    Data(&'a [u8]),
    /// Bytes by value, already written as a value subnode of the attachment (content streamed
    /// from a file).
    Streamed { nid: Nid, size: u64 },
    /// An embedded message already written as a subnode of the attachment (PtypObject).
    Message {
        nid: Nid,
        size: u32,
        subject: Option<&'a str>,
    },
}

impl<'a> StoredContent<'a> {
    /// `written` is the subnode already written for the content (its NID and size): the
    /// embedded message, or the streamed bytes.
    pub fn of(
        attachment: &'a Attachment,
        written: Option<(Nid, u64)>,
    ) -> Option<StoredContent<'a>> {
        match (&attachment.content, written) {
            (AttachmentContent::Data(data), _) => Some(StoredContent::Data(data)),
            (AttachmentContent::Streamed(_), Some((nid, size))) => {
                Some(StoredContent::Streamed { nid, size })
            }
            (AttachmentContent::Message(message), Some((nid, size))) => {
                Some(StoredContent::Message {
                    nid,
                    size: u32::try_from(size).unwrap_or(u32::MAX),
                    subject: message.subject.as_deref(),
                })
            }
            (AttachmentContent::Streamed(_) | AttachmentContent::Message(_), None) => None,
        }
    }
}

/// The attachment PC (MS-PST 2.4.6.2.1), PidTagAttachSize included ([`attachment_size`]; an
/// attachment whose size passes `i32::MAX` is refused before it gets here).
pub fn attachment_properties<'a>(
    attachment: &'a Attachment,
    content: StoredContent<'a>,
) -> Props<'a> {
    let mut props = attachment_properties_without_size(attachment, content);
    let size = attachment_size(&props);
    props.int(tags::ATTACH_SIZE, i32::try_from(size).unwrap_or(i32::MAX));
    props
}

/// PidTagAttachSize as ScanPST computes it: the sum of the sizes of the attachment's property
/// values ([`PropValue::stored_size`]), its own four bytes included, an embedded message
/// counted with the size its object declares (docs/pst-writer-notes.md §4.6). An attachment
/// whose data is written from elsewhere adds that data's length to the sum of the rest.
pub fn attachment_size(props: &Props<'_>) -> u64 {
    let own = if props.get(tags::ATTACH_SIZE).is_some() {
        0
    } else {
        PropValue::Integer32(0).stored_size()
    };
    own + props
        .iter()
        .map(|(_, value)| value.stored_size())
        .sum::<u64>()
}

/// The attachment PC but for PidTagAttachSize.
fn attachment_properties_without_size<'a>(
    attachment: &'a Attachment,
    content: StoredContent<'a>,
) -> Props<'a> {
    let mut props = Props::new();
    let mut display_name = attachment.filename.as_deref();
    match content {
        StoredContent::Data(data) => {
            props.int(tags::ATTACH_METHOD, ATTACH_BY_VALUE);
            props.binary(tags::ATTACH_DATA_BINARY, data);
        }
        StoredContent::Streamed { nid, size } => {
            props.int(tags::ATTACH_METHOD, ATTACH_BY_VALUE);
            props.set(
                tags::ATTACH_DATA_BINARY,
                PropValue::BinaryInSubnode { nid, size },
            );
        }
        StoredContent::Message { nid, size, subject } => {
            props.int(tags::ATTACH_METHOD, ATTACH_EMBEDDED_MSG);
            props.set(tags::ATTACH_DATA_OBJECT, PropValue::Object { nid, size });
            display_name = display_name.or(subject);
        }
    }
    props.int(tags::RENDERING_POSITION, NOT_RENDERED);
    if let Some(filename) = attachment.filename.as_deref() {
        props.string(tags::ATTACH_LONG_FILENAME, filename);
        props.string(tags::ATTACH_FILENAME, short_filename(filename));
        if let Some(extension) = extension(filename) {
            props.string(tags::ATTACH_EXTENSION, extension);
        }
    }
    if let Some(name) = display_name {
        props.string(tags::DISPLAY_NAME, name);
    }
    let mime_type = match (&attachment.mime_type, &attachment.content) {
        (Some(mime), _) => Some(mime.as_str()),
        (None, AttachmentContent::Message(_)) => Some("message/rfc822"),
        (None, AttachmentContent::Data(_) | AttachmentContent::Streamed(_)) => None,
    };
    if let Some(mime) = mime_type {
        props.string(tags::ATTACH_MIME_TAG, mime);
    }
    if let Some(id) = &attachment.content_id {
        props.string(
            tags::ATTACH_CONTENT_ID,
            id.trim_start_matches('<').trim_end_matches('>'),
        );
    }
    if let Some(location) = &attachment.content_location {
        props.string(tags::ATTACH_CONTENT_LOCATION, location.as_str());
    }
    if attachment.hidden {
        props.int(tags::ATTACH_FLAGS, ATT_MHTML_REF);
    }
    props.boolean(tags::ATTACHMENT_HIDDEN, attachment.hidden);
    props
}

/// The attachment's row in the attachment table: the PC's values of the template columns.
pub fn attachment_row<'a>(props: &Props<'a>) -> Vec<Option<PropValue<'a>>> {
    props.row(templates::ATTACHMENTS)
}

/// The extension of a file name with its dot, e.g. ".pdf".
fn extension(filename: &str) -> Option<&str> {
    let dot = filename.rfind('.')?;
    let extension = &filename[dot..];
    (dot > 0 && extension.len() > 1).then_some(extension)
}

/// An 8.3 form of a file name for PidTagAttachFilename: the name itself when it already fits,
/// else up to six letters or digits, "~1" and up to three characters of the extension.
pub fn short_filename(filename: &str) -> Cow<'_, str> {
    let (stem, ext) = match extension(filename) {
        Some(extension) => (
            &filename[..filename.len() - extension.len()],
            &extension[1..],
        ),
        None => (filename, ""),
    };
    let fits = |s: &str, max: usize| {
        s.len() <= max
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-$~!#%&@^{}()'`".contains(c))
    };
    if !stem.is_empty() && fits(stem, 8) && fits(ext, 3) {
        return Cow::Borrowed(filename);
    }
    let clean = |s: &str, max: usize| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .take(max)
            .collect::<String>()
            .to_ascii_uppercase()
    };
    let mut short = clean(stem, 6);
    if short.is_empty() {
        short.push_str("FILE");
    }
    short.push_str("~1");
    let ext = clean(ext, 3);
    if !ext.is_empty() {
        short.push('.');
        short.push_str(&ext);
    }
    Cow::Owned(short)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(hidden: bool) -> Attachment {
        Attachment {
            filename: Some("logo image.png".into()),
            mime_type: Some("image/png".into()),
            content_id: Some("<logo@x>".into()),
            content_location: None,
            hidden,
            content: AttachmentContent::Data(vec![1, 2, 3]),
        }
    }

    #[test]
    fn inline_image_is_hidden_with_its_content_id() {
        let attachment = image(true);
        let content = StoredContent::of(&attachment, None).unwrap();
        let props = attachment_properties(&attachment, content);
        assert_eq!(
            props.get(tags::ATTACH_CONTENT_ID),
            Some(&PropValue::String("logo@x".into()))
        );
        assert_eq!(
            props.get(tags::ATTACHMENT_HIDDEN),
            Some(&PropValue::Boolean(true))
        );
        assert_eq!(
            props.get(tags::ATTACH_FLAGS),
            Some(&PropValue::Integer32(4))
        );
        assert_eq!(
            props.get(tags::ATTACH_EXTENSION),
            Some(&PropValue::String(".png".into()))
        );
        let row = attachment_row(&props);
        // PidTagAttachSize, value by value: method 4, the 3 data bytes, rendering position 4,
        // "logo image.png" 28 (long file name) + 28 (display name), "LOGOIM~1.PNG" 24, ".png"
        // 8, "image/png" 18, "logo@x" 12, flags 4, hidden 1, the size itself 4.
        assert_eq!(138, 4 + 3 + 4 + 28 + 28 + 24 + 8 + 18 + 12 + 4 + 1 + 4);
        assert_eq!(
            row,
            vec![
                Some(PropValue::Integer32(-1)),
                Some(PropValue::Integer32(138)),
                Some(PropValue::Integer32(1)),
                Some(PropValue::String("LOGOIM~1.PNG".into())),
            ]
        );
    }

    #[test]
    fn visible_attachment_has_no_reference_flag() {
        let attachment = image(false);
        let props = attachment_properties(&attachment, StoredContent::Data(&[1]));
        assert_eq!(props.get(tags::ATTACH_FLAGS), None);
        assert_eq!(
            props.get(tags::ATTACHMENT_HIDDEN),
            Some(&PropValue::Boolean(false))
        );
    }

    #[test]
    fn embedded_message_is_an_object_named_by_its_subject() {
        let attachment = Attachment {
            filename: None,
            mime_type: None,
            content_id: None,
            content_location: None,
            hidden: false,
            content: AttachmentContent::Message(Box::default()),
        };
        let content = StoredContent::Message {
            nid: Nid(0x200024),
            size: 900,
            subject: Some("Minutes"),
        };
        let props = attachment_properties(&attachment, content);
        assert_eq!(
            props.get(tags::ATTACH_METHOD),
            Some(&PropValue::Integer32(5))
        );
        assert_eq!(
            props.get(tags::ATTACH_DATA_OBJECT),
            Some(&PropValue::Object {
                nid: Nid(0x200024),
                size: 900
            })
        );
        assert_eq!(
            props.get(tags::DISPLAY_NAME),
            Some(&PropValue::String("Minutes".into()))
        );
        assert_eq!(
            props.get(tags::ATTACH_MIME_TAG),
            Some(&PropValue::String("message/rfc822".into()))
        );
        // Method 4, the object's 900, rendering position 4, "Minutes" 14, "message/rfc822" 28,
        // hidden 1, the size itself 4.
        assert_eq!(
            props.get(tags::ATTACH_SIZE),
            Some(&PropValue::Integer32(4 + 900 + 4 + 14 + 28 + 1 + 4))
        );
    }

    #[test]
    fn short_names_are_8_3() {
        assert_eq!(short_filename("a.txt"), "a.txt");
        assert_eq!(short_filename("report 2024.pdf"), "REPORT~1.PDF");
        assert_eq!(short_filename("Überweisung.html"), "BERWEI~1.HTM");
        assert_eq!(short_filename("noext"), "noext");
        assert_eq!(short_filename(".hidden"), "HIDDEN~1");
    }
}
