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

/// The store's replication version (0x0E34) as a new Outlook store holds it: 1, a GUID of the
/// store's, 1. Ours is derived from the record key, so the same input gives the same file.
fn replica_version(store_uid: &[u8; 16]) -> Vec<u8> {
    let digest = Sha256::new()
        .chain_update(b"pst-store-replica\0")
        .chain_update(store_uid)
        .finalize();
    let mut value = Vec::with_capacity(24);
    value.extend_from_slice(&1u32.to_le_bytes());
    value.extend_from_slice(&digest[..16]);
    value.extend_from_slice(&1u32.to_le_bytes());
    value
}

/// The store PC: the spec's minimum (record key, name, the three folder EntryIDs), and what a
/// new Outlook store also holds (docs/pst-writer-notes.md §4.2): the valid folder mask, the
/// replication version and flags (0x0E34, 0x0E38 = 0), the undocumented 0x6633 and
/// PidTagPstPassword 0.
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
    props.binary(tags::REPLICA_0E34, replica_version(store_uid));
    props.int(tags::REPLICA_0E38, 0);
    props.boolean(tags::STORE_UNDOCUMENTED_6633, true);
    props.int(tags::PST_PASSWORD, 0);
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
        assert_eq!(props.len(), 10);
        assert_eq!(
            props.get(tags::PST_PASSWORD),
            Some(&PropValue::Integer32(0))
        );
        let Some(PropValue::Binary(version)) = props.get(tags::REPLICA_0E34) else {
            panic!("no replication version");
        };
        assert_eq!(
            (version.len(), &version[..4], &version[20..]),
            (24, &[1, 0, 0, 0][..], &[1, 0, 0, 0][..])
        );
    }

    #[test]
    fn default_uid_is_deterministic_per_name() {
        assert_eq!(default_store_uid("a"), default_store_uid("a"));
        assert_ne!(default_store_uid("a"), default_store_uid("b"));
    }
}
