//! Our writer of Unicode PST files ([MS-PST]), layered as the spec is:
//!
//! * `ndb` — the node database: header, pages, blocks, B-trees, allocation maps ([MS-PST] 2.2).
//! * `ltp` — lists, tables and properties on top of nodes: heap-on-node, BTH, property and
//!   table contexts ([MS-PST] 2.3).
//! * `messaging` — store, folders, messages, recipients, attachments ([MS-PST] 2.4).
//!
//! It knows nothing of mail sources or MIME, and imports nothing else of this crate.
//!
//! [MS-PST]: https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/141923d5-15ab-4ef1-a524-6dce75aae546

mod error;
pub mod item;
pub mod ltp;
mod mail;
pub mod messaging;
pub mod ndb;
mod verify;
mod writer;

pub use error::Error;
pub use verify::{VerifyReport, verify};
pub use writer::{
    DELETED_ITEMS_NAME, FolderId, FolderSummary, PstWriter, ReadyMessage, TOP_FOLDER_NAME,
    WriteSummary, WriterOptions,
};

pub use item::{
    AddressKind, Appointment, Attendee, AttendeeRole, BusyStatus, Contact, DistList, FolderClass,
    Item, LocalMinutes, PhoneKind, Photo, PostalAddress, Recurrence, RecurrenceEnd,
    RecurrenceException, RecurrencePattern, Response, Task, TaskStatus, TimeZone, Transition,
};
pub use mail::{
    Address, Attachment, AttachmentContent, FileTime, Importance, Message, MessageState, Recipient,
    RecipientKind, StreamedData, StreamedReader,
};
