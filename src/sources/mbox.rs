//! mbox files: [`MboxReader`] splits a byte stream into messages with flat memory (its rules
//! are in `mbox/reader.rs`, `docs/formats.md` §4.2), [`MboxStore`] is a loose mbox file as a
//! mail store, `from_line` reads the date on a separator line, and [`takeout`] is a Gmail
//! Takeout export.

mod count;
mod from_line;
mod reader;
mod store;
pub mod takeout;

pub use count::{MboxCount, count_in_shares};
pub use from_line::parse_from_line_date;
pub use reader::{
    LeadingGarbage, MboxEntry, MboxReader, NotAnMbox, looks_like_mbox_start, write_mboxrd,
};
pub use store::{MboxMessages, MboxStore, detect, folder_info, folder_name};
