//! The column sets of the [template tables](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/c1af6316-b8a4-4b17-883e-3a60189f361c)
//! (MS-PST 2.7.3.3) and of the tables built from them, typed as Outlook writes them (the spec's
//! tables type 0x0E30 as Integer32 and 0x3613 as Binary; Outlook writes Binary and String).
//! `PidTagLtpRowId` and `PidTagLtpRowVer` are part of every table and are not listed here.

use crate::pst::ltp::PropTag;
use crate::pst::messaging::tags::*;

/// Hierarchy tables (MS-PST 2.4.4.4.1): one row per subfolder.
pub const HIERARCHY: &[PropTag] = &[
    REPLICA_0E30,
    REPLICA_CHANGE_NUMBER,
    REPLICA_0E34,
    REPLICA_0E38,
    DISPLAY_NAME,
    CONTENT_COUNT,
    CONTENT_UNREAD_COUNT,
    SUBFOLDERS,
    CONTAINER_CLASS,
    FOLDER_6635,
    FOLDER_6636,
];

/// Contents tables (MS-PST 2.4.4.5.1): one row per message, every cell equal to the message's
/// property. Outlook's 28 columns, plus PidTagInternetMessageId as Outlook itself adds.
pub const CONTENTS: &[PropTag] = &[
    IMPORTANCE,
    MESSAGE_CLASS,
    SENSITIVITY,
    SUBJECT,
    CLIENT_SUBMIT_TIME,
    SENT_REPRESENTING_NAME,
    MESSAGE_TO_ME,
    MESSAGE_CC_ME,
    CONVERSATION_TOPIC,
    CONVERSATION_INDEX,
    DISPLAY_CC,
    DISPLAY_TO,
    MESSAGE_DELIVERY_TIME,
    MESSAGE_FLAGS,
    MESSAGE_SIZE,
    MESSAGE_STATUS,
    REPLICA_0E30,
    REPLICA_CHANGE_NUMBER,
    REPLICA_0E34,
    REPLICA_0E38,
    REPLICA_0E3C,
    REPLICA_0E3D,
    ITEM_TEMPORARY_FLAGS,
    INTERNET_MESSAGE_ID,
    LAST_MODIFICATION_TIME,
    BODY_CONTENT_ID_3013,
    SECURE_SUBMIT_FLAGS,
];

/// Folder-associated (FAI) contents tables (MS-PST 2.4.4.6.1); we write no FAI messages.
pub const ASSOCIATED_CONTENTS: &[PropTag] = &[
    MESSAGE_CLASS,
    MESSAGE_FLAGS,
    MESSAGE_STATUS,
    DISPLAY_NAME,
    OFFLINE_ADDRESS_BOOK_NAME,
    SEND_OUTLOOK_RECALL_REPORT,
    OFFLINE_ADDRESS_BOOK_TRUNCATED_PROPERTIES,
    VIEW_DESCRIPTOR_682F,
    VIEW_DESCRIPTOR_FLAGS,
    VIEW_DESCRIPTOR_LINK_TO,
    VIEW_DESCRIPTOR_VIEW_FOLDER,
    VIEW_DESCRIPTOR_NAME,
    VIEW_DESCRIPTOR_VERSION,
];

/// Search folder contents tables (MS-PST 2.4.8.6.2.1).
pub const SEARCH_CONTENTS: &[PropTag] = &[
    IMPORTANCE,
    MESSAGE_CLASS,
    SENSITIVITY,
    SUBJECT,
    SENT_REPRESENTING_NAME,
    MESSAGE_TO_ME,
    MESSAGE_CC_ME,
    DISPLAY_CC,
    DISPLAY_TO,
    ORIGINAL_DISPLAY_TO_0E05,
    MESSAGE_DELIVERY_TIME,
    MESSAGE_FLAGS,
    MESSAGE_SIZE,
    MESSAGE_STATUS,
    HAS_SEARCH_FOLDER_0E2A,
    LAST_MODIFICATION_TIME,
    SEARCH_ROW_67F1,
];

/// Recipient tables (MS-PST 2.4.5.3.1), with the columns Outlook adds. Recipients exist only
/// as rows of this table.
pub const RECIPIENTS: &[PropTag] = &[
    RECIPIENT_TYPE,
    RESPONSIBILITY,
    RECORD_KEY,
    OBJECT_TYPE,
    ENTRY_ID,
    DISPLAY_NAME,
    ADDRESS_TYPE,
    EMAIL_ADDRESS,
    SEARCH_KEY,
    DISPLAY_TYPE,
    SMTP_ADDRESS,
    SEVEN_BIT_DISPLAY_NAME,
    SEND_RICH_INFO,
    RECIPIENT_DISPLAY_NAME,
    RECIPIENT_ENTRY_ID,
    RECIPIENT_FLAGS,
    RECIPIENT_TRACK_STATUS,
];

/// Attachment tables (MS-PST 2.4.6.1.1): one row per attachment, cells equal to its PC.
pub const ATTACHMENTS: &[PropTag] = &[
    ATTACH_SIZE,
    ATTACH_FILENAME,
    ATTACH_METHOD,
    RENDERING_POSITION,
];

/// The receive-folder table (node 0x62B).
pub const RECEIVE_FOLDERS: &[PropTag] = &[MESSAGE_CLASS, RECEIVE_FOLDER_NID];

/// The outgoing queue (node 0x64C).
pub const OUTGOING_QUEUE: &[PropTag] = &[CLIENT_SUBMIT_TIME, MESSAGE_SUBMISSION_0E10, SUBMIT_FLAGS];

/// Outlook's search table index (node 0x6B6).
pub const SEARCH_TABLE_INDEX: &[PropTag] = &[REPLICA_CHANGE_NUMBER, REPLICA_0E37, REPLICA_0E38];

/// Outlook's contents table index template (node 0x6D7).
pub const CONTENTS_TABLE_INDEX: &[PropTag] = &[
    MESSAGE_CLASS,
    REPLICA_0E30,
    REPLICA_0E31,
    REPLICA_CHANGE_NUMBER,
    REPLICA_0E34,
    REPLICA_0E38,
    REPLICA_0E3E,
];

/// Outlook's search table index template (node 0x6F8).
pub const SEARCH_TABLE_INDEX_TEMPLATE: &[PropTag] = &[REPLICA_CHANGE_NUMBER, CREATION_TIME];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pst::ltp::PropType;
    use std::collections::BTreeSet;

    #[test]
    fn every_table_has_unique_columns_and_no_row_id() {
        for columns in [
            HIERARCHY,
            CONTENTS,
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
        // Outlook's 28 contents columns (26 here without RowId/RowVer) plus the message id.
        assert_eq!(CONTENTS.len(), 27);
    }
}
