//! Thunderbird and Postbox (a Thunderbird fork with the same store): profiles, accounts, the
//! folder tree and the messages with their flags and tags. See `docs/formats.md` §2–3.
//!
//! - [`profile`]: `profiles.ini`, what a profile folder looks like, the lock warning.
//! - [`prefs`]: `prefs.js` → accounts, their folders and store format, tag names.
//! - [`folders`]: the folder tree of an account, with the names Thunderbird shows.
//! - [`mork`] and [`summary`]: the `.msf` summaries (live messages, flags, tags).
//! - [`status`]: the `X-Mozilla-*` headers inside stored messages.
//! - [`pim`]: the profile's address books and calendars.
//! - [`MozillaStore`]: all of it as a [`MailStore`](crate::sources::MailStore).

pub mod folders;
pub mod mork;
pub mod pim;
pub mod prefs;
pub mod profile;
mod read;
pub mod status;
mod store;
pub mod summary;

pub use read::{FolderCount, loose_message};
pub use store::{MozillaStore, detect, open_every_profile, recognizes};
