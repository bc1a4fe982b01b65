//! [EntryIDs](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/9378e8b9-7b6a-45bf-a51a-f21daf24d9ce)
//! (MS-PST 2.4.3.2) of folders and messages, the one-off EntryIDs of recipients and senders
//! (MS-OXCDATA 2.2.5.1), and the address search keys (MS-OXPROPS PidTagSearchKey).

use crate::pst::ndb::Nid;

/// `MAPI_ONE_OFF_UID`: marks an EntryID that carries the whole address in itself.
const ONE_OFF_UID: [u8; 16] = [
    0x81, 0x2B, 0x1F, 0xA4, 0xBE, 0xA3, 0x10, 0x19, 0x9D, 0x6E, 0x00, 0xDD, 0x01, 0x0F, 0x54, 0x02,
];
/// `MAPI_ONE_OFF_UNICODE`: the strings are UTF-16LE.
const ONE_OFF_UNICODE: u16 = 0x8000;
/// `MAPI_ONE_OFF_NO_RICH_INFO`: send plain Internet mail, not TNEF.
const ONE_OFF_NO_RICH_INFO: u16 = 0x0001;

/// The 24-byte EntryID of a folder or message of this store: four zero flag bytes, the store's
/// record key, the NID.
pub fn entry_id(store_uid: &[u8; 16], nid: Nid) -> [u8; 24] {
    let mut id = [0u8; 24];
    id[4..20].copy_from_slice(store_uid);
    id[20..24].copy_from_slice(&nid.0.to_le_bytes());
    id
}

/// The one-off EntryID of an SMTP address: flags, the one-off UID, version 0, flags (Unicode,
/// no rich info), then display name, address type and address, each UTF-16LE with a NUL.
pub fn one_off_entry_id(display_name: &str, address_type: &str, address: &str) -> Vec<u8> {
    let mut id = Vec::with_capacity(24 + 2 * (display_name.len() + address.len() + 8));
    id.extend_from_slice(&[0; 4]);
    id.extend_from_slice(&ONE_OFF_UID);
    id.extend_from_slice(&0u16.to_le_bytes());
    id.extend_from_slice(&(ONE_OFF_UNICODE | ONE_OFF_NO_RICH_INFO).to_le_bytes());
    for text in [display_name, address_type, address] {
        for unit in text.encode_utf16() {
            id.extend_from_slice(&unit.to_le_bytes());
        }
        id.extend_from_slice(&[0, 0]);
    }
    id
}

/// The search key of an address: ASCII `TYPE:ADDRESS` in upper case with a terminating NUL
/// (MS-OXCMAIL 2.2.3.2.6). Non-ASCII characters are kept as UTF-8.
pub fn address_search_key(address_type: &str, address: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(address_type.len() + address.len() + 2);
    key.extend_from_slice(address_type.to_uppercase().as_bytes());
    key.push(b':');
    key.extend_from_slice(address.to_uppercase().as_bytes());
    key.push(0);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_entry_id_is_flags_uid_nid() {
        let uid: [u8; 16] = std::array::from_fn(|i| i as u8 + 1);
        let id = entry_id(&uid, Nid(0x8022));
        assert_eq!(&id[..4], &[0, 0, 0, 0]);
        assert_eq!(&id[4..20], &uid);
        assert_eq!(&id[20..], &[0x22, 0x80, 0, 0]);
    }

    #[test]
    fn one_off_entry_id_is_byte_exact() {
        let id = one_off_entry_id("A", "SMTP", "a@b");
        let mut expected = vec![0, 0, 0, 0];
        expected.extend_from_slice(&ONE_OFF_UID);
        expected.extend_from_slice(&[0x00, 0x00, 0x01, 0x80]);
        expected.extend_from_slice(&[b'A', 0, 0, 0]);
        expected.extend_from_slice(&[b'S', 0, b'M', 0, b'T', 0, b'P', 0, 0, 0]);
        expected.extend_from_slice(&[b'a', 0, b'@', 0, b'b', 0, 0, 0]);
        assert_eq!(id, expected);
    }

    #[test]
    fn search_key_is_upper_case_with_nul() {
        assert_eq!(
            address_search_key("SMTP", "Ann@Example.com"),
            b"SMTP:ANN@EXAMPLE.COM\0".to_vec()
        );
    }
}
