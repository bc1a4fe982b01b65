//! The [message store](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/aa0539bd-e7bf-4cec-8bde-0b87c2a86baf)
//! (MS-PST 2.4.3): the PC of node 0x21 that names the store and points at its special folders.

use sha2::{Digest as _, Sha256};

use crate::pst::messaging::entry_id::entry_id;
use crate::pst::messaging::props::Props;
use crate::pst::messaging::tags;
use crate::pst::ndb::special;

/// PidTagValidFolderMask bits: IPM subtree, wastebasket, finder.
const VALID_FOLDER_MASK: i32 = 0x01 | 0x08 | 0x80;

/// A record key for a store that was given none: derived from its name, so the same input
/// always gives the same file.
pub fn default_store_uid(store_name: &str) -> [u8; 16] {
    let digest = Sha256::new()
        .chain_update(b"pst-store-record-key\0")
        .chain_update(store_name.as_bytes())
        .finalize();
    let mut uid = [0u8; 16];
    uid.copy_from_slice(&digest[..16]);
    uid
}

/// The store PC: the spec's minimum (record key, name, the three folder EntryIDs), the valid
/// folder mask and the undocumented 0x6633 that every Outlook store carries.
pub fn store_properties<'a>(store_name: &'a str, store_uid: &[u8; 16]) -> Props<'a> {
    let mut props = Props::new();
    props.binary(tags::RECORD_KEY, store_uid.to_vec());
    props.string(tags::DISPLAY_NAME, store_name);
    props.binary(
        tags::IPM_SUBTREE_ENTRY_ID,
        entry_id(store_uid, special::IPM_SUBTREE).to_vec(),
    );
    props.binary(
        tags::IPM_WASTEBASKET_ENTRY_ID,
        entry_id(store_uid, special::DELETED_ITEMS).to_vec(),
    );
    props.binary(
        tags::FINDER_ENTRY_ID,
        entry_id(store_uid, special::SEARCH_ROOT).to_vec(),
    );
    props.int(tags::VALID_FOLDER_MASK, VALID_FOLDER_MASK);
    props.boolean(tags::STORE_UNDOCUMENTED_6633, true);
    props
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pst::ltp::PropValue;

    #[test]
    fn store_points_at_its_special_folders() {
        let uid = default_store_uid("Mail");
        let props = store_properties("Mail", &uid);
        let Some(PropValue::Binary(subtree)) = props.get(tags::IPM_SUBTREE_ENTRY_ID) else {
            panic!("no IPM subtree EntryID");
        };
        assert_eq!(&subtree[4..20], &uid);
        assert_eq!(&subtree[20..], &[0x22, 0x80, 0, 0]);
        assert_eq!(
            props.get(tags::DISPLAY_NAME),
            Some(&PropValue::String("Mail".into()))
        );
        assert_eq!(props.len(), 7);
    }

    #[test]
    fn default_uid_is_deterministic_per_name() {
        assert_eq!(default_store_uid("a"), default_store_uid("a"));
        assert_ne!(default_store_uid("a"), default_store_uid("b"));
    }
}
