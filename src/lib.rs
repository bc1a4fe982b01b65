//! mail2pst moves mail out of Apple Mail, Thunderbird, Postbox, MBOX and EML files into an Outlook
//! PST file, with nothing lost.
//!
//! Layers, from the disk up (each may import only those before it):
//! [`model`] → [`sources`] and [`reading`] → `convert` (with [`pst`]) → `engine` → `cli` / `gui`.
//! `reading` is the independent second reading of a message that the checks compare against; it
//! shares no code with `convert`.

pub mod cli;
pub mod convert;
pub mod engine;
pub mod gui;
pub mod license;
pub mod model;
pub mod pst;
pub mod reading;
pub mod sources;
