//! The column sets of the [template tables](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/c1af6316-b8a4-4b17-883e-3a60189f361c)
//! (MS-PST 2.7.3.3) and of the tables built from them, exactly as Outlook writes them in a new
//! store (`Empty.pst`): the same columns, typed as Outlook types them (the spec's tables type
//! 0x0E30 as Integer32 and 0x3613 as Binary; Outlook writes Binary and String), in Outlook's
//! order, which gives each cell the offset and existence bit Outlook gives it. The template
//! nodes hold these columns and no others; the tables of folders and messages may carry more,
//! as Outlook's own do (docs/pst-writer-notes.md §3.4, §4.1).
//! `PidTagLtpRowId` and `PidTagLtpRowVer` are part of every table and are not listed here.

use crate::pst::ltp::PropTag;
use crate::pst::messaging::tags::*;

/// Hierarchy tables (MS-PST 2.4.4.4.1, template 0x60D): one row per subfolder.
pub const HIERARCHY: &[PropTag] = &[
    DISPLAY_NAME,
    CONTENT_COUNT,
    CONTENT_UNREAD_COUNT,
    SUBFOLDERS,
    REPLICA_0E30,
    REPLICA_CHANGE_NUMBER,
    REPLICA_0E34,
    REPLICA_0E38,
    CONTAINER_CLASS,
    FOLDER_6635,
    FOLDER_6636,
];

/// The contents table template (MS-PST 2.4.4.5.1, node 0x60E): Outlook's 26 columns.
pub const CONTENTS_TEMPLATE: &[PropTag] = &[
    MESSAGE_STATUS,
    MESSAGE_CLASS,
    MESSAGE_FLAGS,
    IMPORTANCE,
    SENT_REPRESENTING_NAME,
    SUBJECT,
    MESSAGE_DELIVERY_TIME,
    CLIENT_SUBMIT_TIME,
    MESSAGE_SIZE,
    DISPLAY_TO,
    DISPLAY_CC,
    MESSAGE_TO_ME,
    MESSAGE_CC_ME,
    SENSITIVITY,
    ITEM_TEMPORARY_FLAGS,
    CONVERSATION_TOPIC,
    CONVERSATION_INDEX,
    BODY_CONTENT_ID_3013,
    SECURE_SUBMIT_FLAGS,
    LAST_MODIFICATION_TIME,
    REPLICA_0E30,
    REPLICA_CHANGE_NUMBER,
    REPLICA_0E34,
    REPLICA_0E3D,
    REPLICA_0E3C,
    REPLICA_0E38,
];

/// A folder's contents table: one row per message, every cell equal to the message's
/// property. The template's columns, then PidTagInternetMessageId, a column Outlook itself
/// adds to the contents tables it uses.
pub const CONTENTS: &[PropTag] = &[
    MESSAGE_STATUS,
    MESSAGE_CLASS,
    MESSAGE_FLAGS,
    IMPORTANCE,
    SENT_REPRESENTING_NAME,
    SUBJECT,
    MESSAGE_DELIVERY_TIME,
    CLIENT_SUBMIT_TIME,
    MESSAGE_SIZE,
    DISPLAY_TO,
    DISPLAY_CC,
    MESSAGE_TO_ME,
    MESSAGE_CC_ME,
    SENSITIVITY,
    ITEM_TEMPORARY_FLAGS,
    CONVERSATION_TOPIC,
    CONVERSATION_INDEX,
    BODY_CONTENT_ID_3013,
    SECURE_SUBMIT_FLAGS,
    LAST_MODIFICATION_TIME,
    REPLICA_0E30,
    REPLICA_CHANGE_NUMBER,
    REPLICA_0E34,
    REPLICA_0E3D,
    REPLICA_0E3C,
    REPLICA_0E38,
    INTERNET_MESSAGE_ID,
];

/// Folder-associated (FAI) contents tables (MS-PST 2.4.4.6.1, template 0x60F); we write no
/// FAI messages.
pub const ASSOCIATED_CONTENTS: &[PropTag] = &[
    MESSAGE_STATUS,
    MESSAGE_CLASS,
    MESSAGE_FLAGS,
    DISPLAY_NAME,
    VIEW_DESCRIPTOR_FLAGS,
    VIEW_DESCRIPTOR_LINK_TO,
    VIEW_DESCRIPTOR_VIEW_FOLDER,
    VIEW_DESCRIPTOR_NAME,
    VIEW_DESCRIPTOR_VERSION,
    OFFLINE_ADDRESS_BOOK_NAME,
    SEND_OUTLOOK_RECALL_REPORT,
    OFFLINE_ADDRESS_BOOK_TRUNCATED_PROPERTIES,
    VIEW_DESCRIPTOR_682F,
];

/// Search folder contents tables (MS-PST 2.4.8.6.2.1, template 0x610).
pub const SEARCH_CONTENTS: &[PropTag] = &[
    SEARCH_ROW_67F1,
    ORIGINAL_DISPLAY_TO_0E05,
    MESSAGE_STATUS,
    MESSAGE_CLASS,
    MESSAGE_FLAGS,
    IMPORTANCE,
    SENT_REPRESENTING_NAME,
    SUBJECT,
    MESSAGE_DELIVERY_TIME,
    MESSAGE_SIZE,
    DISPLAY_TO,
    DISPLAY_CC,
    MESSAGE_TO_ME,
    MESSAGE_CC_ME,
    SENSITIVITY,
    HAS_SEARCH_FOLDER_0E2A,
    LAST_MODIFICATION_TIME,
];

/// The recipient table template (MS-PST 2.4.5.3.1, node 0x692): Outlook's 12 columns.
pub const RECIPIENTS_TEMPLATE: &[PropTag] = &[
    RESPONSIBILITY,
    ADDRESS_TYPE,
    EMAIL_ADDRESS,
    ENTRY_ID,
    DISPLAY_NAME,
    RECIPIENT_TYPE,
    SEARCH_KEY,
    RECORD_KEY,
    OBJECT_TYPE,
    DISPLAY_TYPE,
    SEND_RICH_INFO,
    SEVEN_BIT_DISPLAY_NAME,
];

/// A message's recipient table: the template's columns, then the SMTP address and the
/// recipient properties Outlook keeps for each recipient of the mail it writes. Recipients
/// exist only as rows of this table.
pub const RECIPIENTS: &[PropTag] = &[
    RESPONSIBILITY,
    ADDRESS_TYPE,
    EMAIL_ADDRESS,
    ENTRY_ID,
    DISPLAY_NAME,
    RECIPIENT_TYPE,
    SEARCH_KEY,
    RECORD_KEY,
    OBJECT_TYPE,
    DISPLAY_TYPE,
    SEND_RICH_INFO,
    SEVEN_BIT_DISPLAY_NAME,
    SMTP_ADDRESS,
    RECIPIENT_DISPLAY_NAME,
    RECIPIENT_ENTRY_ID,
    RECIPIENT_FLAGS,
    RECIPIENT_TRACK_STATUS,
];

/// Attachment tables (MS-PST 2.4.6.1.1, template 0x671): one row per attachment, cells equal
/// to its PC.
pub const ATTACHMENTS: &[PropTag] = &[
    RENDERING_POSITION,
    ATTACH_SIZE,
    ATTACH_METHOD,
    ATTACH_FILENAME,
];

/// The receive-folder table (node 0x62B).
pub const RECEIVE_FOLDERS: &[PropTag] = &[RECEIVE_FOLDER_NID, MESSAGE_CLASS];

/// The outgoing queue (node 0x64C).
pub const OUTGOING_QUEUE: &[PropTag] = &[SUBMIT_FLAGS, MESSAGE_SUBMISSION_0E10, CLIENT_SUBMIT_TIME];

/// Outlook's search table index (node 0x6B6).
pub const SEARCH_TABLE_INDEX: &[PropTag] = &[REPLICA_CHANGE_NUMBER, REPLICA_0E37, REPLICA_0E38];

/// Outlook's contents table index template (node 0x6D7).
pub const CONTENTS_TABLE_INDEX: &[PropTag] = &[
    REPLICA_0E3E,
    REPLICA_0E31,
    REPLICA_0E30,
    REPLICA_0E38,
    REPLICA_0E34,
    REPLICA_CHANGE_NUMBER,
    MESSAGE_CLASS,
];

/// Outlook's search table index template (node 0x6F8).
pub const SEARCH_TABLE_INDEX_TEMPLATE: &[PropTag] = &[CREATION_TIME, REPLICA_CHANGE_NUMBER];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pst::ltp::PropType;
    use std::collections::BTreeSet;

    #[test]
    fn every_table_has_unique_columns_and_no_row_id() {
        for columns in [
            HIERARCHY,
            CONTENTS_TEMPLATE,
            CONTENTS,
            RECIPIENTS_TEMPLATE,
            ASSOCIATED_CONTENTS,
            SEARCH_CONTENTS,
            RECIPIENTS,
            ATTACHMENTS,
            RECEIVE_FOLDERS,
            OUTGOING_QUEUE,
            SEARCH_TABLE_INDEX,
            CONTENTS_TABLE_INDEX,
            SEARCH_TABLE_INDEX_TEMPLATE,
        ] {
            let ids: BTreeSet<u16> = columns.iter().map(|t| t.id).collect();
            assert_eq!(ids.len(), columns.len());
            assert!(!ids.contains(&LTP_ROW_ID.id) && !ids.contains(&LTP_ROW_VER.id));
        }
    }

    #[test]
    fn outlook_types_win_over_the_spec_table() {
        assert!(HIERARCHY.contains(&PropTag::new(0x0E30, PropType::Binary)));
        assert!(HIERARCHY.contains(&PropTag::new(0x3613, PropType::String)));
        // Outlook's 28 contents columns and 14 recipient columns, RowId and RowVer aside.
        assert_eq!(CONTENTS_TEMPLATE.len(), 26);
        assert_eq!(RECIPIENTS_TEMPLATE.len(), 12);
    }

    /// The tables built from a template start with its columns in its order, so that their
    /// cells sit where the template's do.
    #[test]
    fn tables_extend_their_templates() {
        assert_eq!(CONTENTS[..CONTENTS_TEMPLATE.len()], *CONTENTS_TEMPLATE);
        assert_eq!(CONTENTS[CONTENTS_TEMPLATE.len()..], [INTERNET_MESSAGE_ID]);
        assert_eq!(
            RECIPIENTS[..RECIPIENTS_TEMPLATE.len()],
            *RECIPIENTS_TEMPLATE
        );
    }
}
