//! Apple Mail: a Mac's Mail library (`~/Library/Mail`, Mail 1 to V10), single `.mbox` mailbox
//! bundles and "Export Mailbox…" bundles, as formats.md §1 describes them.

pub mod emlx;
pub mod encode;
pub mod envelope;
pub mod mime;
pub mod partial;
