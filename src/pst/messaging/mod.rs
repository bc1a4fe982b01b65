//! [Messaging layer](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/e2e7a5aa-c89f-4fb8-b044-15ac76e5207e)
//! (MS-PST 2.4): what the nodes of a mail store contain — the message store, the name-to-ID map,
//! folders with their hierarchy and contents tables, messages with recipients and attachments.
//! Each object is first a property list ([`props::Props`]); table rows are taken from the same
//! lists, so a row always equals its object.

pub mod attachment;
pub mod entry_id;
pub mod folder;
pub mod message;
pub mod name_map;
pub mod node;
pub mod pim;
pub mod pim_names;
pub mod props;
pub mod recipient;
pub mod recurrence;
pub mod skeleton;
pub mod spill;
pub mod store;
pub mod subject;
pub mod tags;
pub mod templates;
