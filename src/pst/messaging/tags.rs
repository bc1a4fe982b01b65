//! [Properties](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/36c1290e-8b1b-4d8c-91e1-d9fb3147c11c)
//! (MS-PST 2.5, MS-OXPROPS): the tags of every property the messaging layer writes, typed as
//! Outlook writes them.

use crate::pst::ltp::{PropTag, PropType};

const fn int(id: u16) -> PropTag {
    PropTag::new(id, PropType::Integer32)
}
const fn string(id: u16) -> PropTag {
    PropTag::new(id, PropType::String)
}
const fn binary(id: u16) -> PropTag {
    PropTag::new(id, PropType::Binary)
}
const fn boolean(id: u16) -> PropTag {
    PropTag::new(id, PropType::Boolean)
}
const fn time(id: u16) -> PropTag {
    PropTag::new(id, PropType::Time)
}

// Table structure, owned by the writer (never copied from input).
pub const LTP_ROW_ID: PropTag = int(0x67F2);
pub const LTP_ROW_VER: PropTag = int(0x67F3);

// Shared by several kinds of objects.
pub const RECORD_KEY: PropTag = binary(0x0FF9);
pub const DISPLAY_NAME: PropTag = string(0x3001);
pub const SEARCH_KEY: PropTag = binary(0x300B);
pub const CREATION_TIME: PropTag = time(0x3007);
pub const LAST_MODIFICATION_TIME: PropTag = time(0x3008);

// Message store (MS-PST 2.4.3.1).
pub const IPM_SUBTREE_ENTRY_ID: PropTag = binary(0x35E0);
pub const IPM_WASTEBASKET_ENTRY_ID: PropTag = binary(0x35E3);
pub const FINDER_ENTRY_ID: PropTag = binary(0x35E7);
pub const VALID_FOLDER_MASK: PropTag = int(0x35DF);
/// Undocumented; present in every store Outlook writes.
pub const STORE_UNDOCUMENTED_6633: PropTag = boolean(0x6633);
/// PidTagPstPassword: 0, no password (otherwise the CRC of one, which Outlook asks for).
pub const PST_PASSWORD: PropTag = int(0x67FF);

// Folders (MS-PST 2.4.4.1.1).
pub const CONTENT_COUNT: PropTag = int(0x3602);
pub const CONTENT_UNREAD_COUNT: PropTag = int(0x3603);
pub const SUBFOLDERS: PropTag = boolean(0x360A);
pub const CONTAINER_CLASS: PropTag = string(0x3613);
pub const SEARCH_CRITERIA_660B: PropTag = int(0x660B);
pub const COMMENT: PropTag = string(0x3004);

// Messages (MS-PST 2.4.5.1.1, MS-OXOMSG).
pub const IMPORTANCE: PropTag = int(0x0017);
pub const MESSAGE_CLASS: PropTag = string(0x001A);
pub const PRIORITY: PropTag = int(0x0026);
pub const SENSITIVITY: PropTag = int(0x0036);
pub const SUBJECT: PropTag = string(0x0037);
pub const CLIENT_SUBMIT_TIME: PropTag = time(0x0039);
pub const SENT_REPRESENTING_SEARCH_KEY: PropTag = binary(0x003B);
pub const SUBJECT_PREFIX: PropTag = string(0x003D);
pub const SENT_REPRESENTING_ENTRY_ID: PropTag = binary(0x0041);
pub const SENT_REPRESENTING_NAME: PropTag = string(0x0042);
pub const SENT_REPRESENTING_ADDRESS_TYPE: PropTag = string(0x0064);
pub const SENT_REPRESENTING_EMAIL_ADDRESS: PropTag = string(0x0065);
pub const CONVERSATION_TOPIC: PropTag = string(0x0070);
pub const CONVERSATION_INDEX: PropTag = binary(0x0071);
pub const TRANSPORT_MESSAGE_HEADERS: PropTag = string(0x007D);
pub const SENDER_ENTRY_ID: PropTag = binary(0x0C19);
pub const SENDER_NAME: PropTag = string(0x0C1A);
pub const SENDER_SEARCH_KEY: PropTag = binary(0x0C1D);
pub const SENDER_ADDRESS_TYPE: PropTag = string(0x0C1E);
pub const SENDER_EMAIL_ADDRESS: PropTag = string(0x0C1F);
pub const DISPLAY_BCC: PropTag = string(0x0E02);
pub const DISPLAY_CC: PropTag = string(0x0E03);
pub const DISPLAY_TO: PropTag = string(0x0E04);
pub const MESSAGE_DELIVERY_TIME: PropTag = time(0x0E06);
pub const MESSAGE_FLAGS: PropTag = int(0x0E07);
pub const MESSAGE_SIZE: PropTag = int(0x0E08);
pub const MESSAGE_STATUS: PropTag = int(0x0E17);
pub const NORMALIZED_SUBJECT: PropTag = string(0x0E1D);
pub const BODY: PropTag = string(0x1000);
pub const HTML: PropTag = binary(0x1013);
pub const NATIVE_BODY: PropTag = int(0x1016);
pub const INTERNET_MESSAGE_ID: PropTag = string(0x1035);
pub const INTERNET_REFERENCES: PropTag = string(0x1039);
pub const IN_REPLY_TO_ID: PropTag = string(0x1042);
pub const ICON_INDEX: PropTag = int(0x1080);
pub const LAST_VERB_EXECUTED: PropTag = int(0x1081);
pub const FLAG_STATUS: PropTag = int(0x1090);
pub const FOLLOWUP_ICON: PropTag = int(0x1095);
pub const INTERNET_CODEPAGE: PropTag = int(0x3FDE);
pub const SENDER_SMTP_ADDRESS: PropTag = string(0x5D01);
pub const SENT_REPRESENTING_SMTP_ADDRESS: PropTag = string(0x5D02);

// Recipients (MS-PST 2.4.5.3.1).
pub const RECIPIENT_TYPE: PropTag = int(0x0C15);
pub const RESPONSIBILITY: PropTag = boolean(0x0E0F);
pub const OBJECT_TYPE: PropTag = int(0x0FFE);
pub const ENTRY_ID: PropTag = binary(0x0FFF);
pub const ADDRESS_TYPE: PropTag = string(0x3002);
pub const EMAIL_ADDRESS: PropTag = string(0x3003);
pub const DISPLAY_TYPE: PropTag = int(0x3900);
pub const SMTP_ADDRESS: PropTag = string(0x39FE);
pub const SEVEN_BIT_DISPLAY_NAME: PropTag = string(0x39FF);
pub const SEND_RICH_INFO: PropTag = boolean(0x3A40);
pub const RECIPIENT_DISPLAY_NAME: PropTag = string(0x5FF6);
pub const RECIPIENT_ENTRY_ID: PropTag = binary(0x5FF7);
pub const RECIPIENT_FLAGS: PropTag = int(0x5FFD);
pub const RECIPIENT_TRACK_STATUS: PropTag = int(0x5FFF);

// Attachments (MS-PST 2.4.6.2.1).
pub const ATTACH_SIZE: PropTag = int(0x0E20);
pub const ATTACH_NUMBER: PropTag = int(0x0E21);
pub const ATTACH_DATA_BINARY: PropTag = binary(0x3701);
pub const ATTACH_DATA_OBJECT: PropTag = PropTag::new(0x3701, PropType::Object);
pub const ATTACH_EXTENSION: PropTag = string(0x3703);
pub const ATTACH_FILENAME: PropTag = string(0x3704);
pub const ATTACH_METHOD: PropTag = int(0x3705);
pub const ATTACH_LONG_FILENAME: PropTag = string(0x3707);
pub const RENDERING_POSITION: PropTag = int(0x370B);
pub const ATTACH_MIME_TAG: PropTag = string(0x370E);
pub const ATTACH_CONTENT_ID: PropTag = string(0x3712);
pub const ATTACH_CONTENT_LOCATION: PropTag = string(0x3713);
pub const ATTACH_FLAGS: PropTag = int(0x3714);
pub const ATTACHMENT_HIDDEN: PropTag = boolean(0x7FFE);

// Name-to-ID map (MS-PST 2.4.7).
pub const NAMEID_BUCKET_COUNT: PropTag = int(0x0001);
pub const NAMEID_STREAM_GUID: PropTag = binary(0x0002);
pub const NAMEID_STREAM_ENTRY: PropTag = binary(0x0003);
pub const NAMEID_STREAM_STRING: PropTag = binary(0x0004);

// Replication properties: template columns that Outlook fills for its own use; we write them
// only where a new Outlook store has them (the store's 0x0E34 and 0x0E38).
pub const REPLICA_0E30: PropTag = binary(0x0E30);
pub const REPLICA_0E31: PropTag = binary(0x0E31);
pub const REPLICA_CHANGE_NUMBER: PropTag = PropTag::new(0x0E33, PropType::Integer64);
pub const REPLICA_0E34: PropTag = binary(0x0E34);
pub const REPLICA_0E37: PropTag = binary(0x0E37);
pub const REPLICA_0E38: PropTag = int(0x0E38);
pub const REPLICA_0E3C: PropTag = binary(0x0E3C);
pub const REPLICA_0E3D: PropTag = binary(0x0E3D);
pub const REPLICA_0E3E: PropTag = binary(0x0E3E);
pub const MESSAGE_TO_ME: PropTag = boolean(0x0057);
pub const MESSAGE_CC_ME: PropTag = boolean(0x0058);
pub const ORIGINAL_DISPLAY_TO_0E05: PropTag = string(0x0E05);
pub const HAS_SEARCH_FOLDER_0E2A: PropTag = boolean(0x0E2A);
pub const ITEM_TEMPORARY_FLAGS: PropTag = int(0x1097);
pub const SEARCH_ROW_67F1: PropTag = int(0x67F1);
pub const BODY_CONTENT_ID_3013: PropTag = binary(0x3013);
pub const SECURE_SUBMIT_FLAGS: PropTag = int(0x65C6);
pub const FOLDER_6635: PropTag = int(0x6635);
pub const FOLDER_6636: PropTag = int(0x6636);
pub const RECEIVE_FOLDER_NID: PropTag = int(0x6605);
pub const SUBMIT_FLAGS: PropTag = int(0x0E14);
pub const MESSAGE_SUBMISSION_0E10: PropTag = int(0x0E10);
pub const OFFLINE_ADDRESS_BOOK_NAME: PropTag = string(0x6800);
pub const SEND_OUTLOOK_RECALL_REPORT: PropTag = boolean(0x6803);
pub const OFFLINE_ADDRESS_BOOK_TRUNCATED_PROPERTIES: PropTag =
    PropTag::new(0x6805, PropType::MultipleInteger32);
pub const VIEW_DESCRIPTOR_682F: PropTag = string(0x682F);
pub const VIEW_DESCRIPTOR_FLAGS: PropTag = int(0x7003);
pub const VIEW_DESCRIPTOR_LINK_TO: PropTag = binary(0x7004);
pub const VIEW_DESCRIPTOR_VIEW_FOLDER: PropTag = binary(0x7005);
pub const VIEW_DESCRIPTOR_NAME: PropTag = string(0x7006);
pub const VIEW_DESCRIPTOR_VERSION: PropTag = int(0x7007);

/// `PidTagMessageFlags` bits (MS-OXCMSG 2.2.1.6).
pub mod message_flags {
    pub const READ: i32 = 0x01;
    pub const UNMODIFIED: i32 = 0x02;
    pub const UNSENT: i32 = 0x08;
    pub const HAS_ATTACH: i32 = 0x10;
}
