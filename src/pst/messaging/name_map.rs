//! The [name-to-ID map](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/e17e195d-0454-4b9b-b398-c9127a26a678)
//! (MS-PST 2.4.7): the store-wide table that gives named properties (a GUID and a number or a
//! name) their property IDs from 0x8000 up. We register a fixed set, so every file maps the
//! same names to the same IDs.

use std::borrow::Cow;

use crate::pst::ltp::{PropTag, PropType, PropValue};
use crate::pst::messaging::pim_names::PIM_NAMED;
use crate::pst::messaging::tags;

/// Hash buckets Outlook uses (PidTagNameidBucketCount).
pub const BUCKET_COUNT: u32 = 251;

/// The property set a named property belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropertySet {
    /// PS_PUBLIC_STRINGS, written as GUID index 2 without a GUID-stream entry.
    PublicStrings,
    /// Any other set: the GUID is stored in the GUID stream (little-endian fields, as on disk).
    Guid([u8; 16]),
}

/// A named property's name: a number (LID) or a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Name {
    Id(u32),
    String(&'static str),
}

/// One named property we write, with the type it is written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NamedProperty {
    pub set: PropertySet,
    pub name: Name,
    pub ty: PropType,
}

/// PSETID_Common {00062008-0000-0000-C000-000000000046}.
const PSETID_COMMON: [u8; 16] = [
    0x08, 0x20, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46,
];

/// PidNameKeywords: the categories of an item (MS-OXCMSG 2.2.1.17).
pub const KEYWORDS: NamedProperty = NamedProperty {
    set: PropertySet::PublicStrings,
    name: Name::String("Keywords"),
    ty: PropType::MultipleString,
};

/// PidLidFlagRequest: the text of a follow-up flag (MS-OXOFLAG 2.2.1.9).
pub const FLAG_REQUEST: NamedProperty = NamedProperty {
    set: PropertySet::Guid(PSETID_COMMON),
    name: Name::Id(0x8530),
    ty: PropType::String,
};

/// The named properties of mail, first in the map.
pub const MAIL_NAMED: [NamedProperty; 2] = [KEYWORDS, FLAG_REQUEST];

/// Every named property this writer uses, in the order that gives their IDs: those of mail,
/// then those of contacts, appointments and tasks.
pub fn registered() -> impl Iterator<Item = NamedProperty> {
    MAIL_NAMED.into_iter().chain(PIM_NAMED.iter().copied())
}

/// The tag a registered named property is written with in property contexts and tables.
pub fn tag_of(property: NamedProperty) -> PropTag {
    let index = registered()
        .position(|p| p == property)
        .unwrap_or(MAIL_NAMED.len() + PIM_NAMED.len());
    PropTag::new(0x8000 + index as u16, property.ty)
}

/// The PST CRC (MS-PST 5.3): CRC-32 with initial value 0 and no final inversion.
pub fn crc(data: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new_with_initial(0xFFFF_FFFF);
    hasher.update(data);
    !hasher.finalize()
}

/// The streams and buckets of the map, ready to be the properties of node 0x61.
pub fn name_map_properties() -> Vec<(PropTag, PropValue<'static>)> {
    name_map_properties_of(&registered().collect::<Vec<_>>())
}

fn name_map_properties_of(properties: &[NamedProperty]) -> Vec<(PropTag, PropValue<'static>)> {
    let mut guids: Vec<[u8; 16]> = Vec::new();
    let mut entries = Vec::with_capacity(8 * properties.len());
    let mut strings = Vec::new();
    let mut buckets: Vec<Vec<u8>> = vec![Vec::new(); BUCKET_COUNT as usize];
    for (index, property) in properties.iter().enumerate() {
        let guid_index: u16 = match property.set {
            PropertySet::PublicStrings => 2,
            PropertySet::Guid(guid) => {
                let k = guids.iter().position(|g| *g == guid).unwrap_or_else(|| {
                    guids.push(guid);
                    guids.len() - 1
                });
                3 + k as u16
            }
        };
        let (id_or_offset, key, is_string) = match property.name {
            Name::Id(lid) => (lid, lid, 0u16),
            Name::String(name) => {
                let utf16: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
                let offset = strings.len() as u32;
                strings.extend_from_slice(&(utf16.len() as u32).to_le_bytes());
                strings.extend_from_slice(&utf16);
                while strings.len() % 4 != 0 {
                    strings.push(0);
                }
                (offset, crc(&utf16), 1u16)
            }
        };
        let guid_and_kind = (guid_index << 1) | is_string;
        let entry = |first: u32| {
            let mut e = [0u8; 8];
            e[..4].copy_from_slice(&first.to_le_bytes());
            e[4..6].copy_from_slice(&guid_and_kind.to_le_bytes());
            e[6..].copy_from_slice(&(index as u16).to_le_bytes());
            e
        };
        entries.extend_from_slice(&entry(id_or_offset));
        let bucket = (key ^ u32::from(guid_and_kind)) % BUCKET_COUNT;
        buckets[bucket as usize].extend_from_slice(&entry(key));
    }
    let mut props = vec![
        (
            tags::NAMEID_BUCKET_COUNT,
            PropValue::Integer32(BUCKET_COUNT as i32),
        ),
        (
            tags::NAMEID_STREAM_GUID,
            PropValue::Binary(Cow::Owned(guids.concat())),
        ),
        (
            tags::NAMEID_STREAM_ENTRY,
            PropValue::Binary(Cow::Owned(entries)),
        ),
        (
            tags::NAMEID_STREAM_STRING,
            PropValue::Binary(Cow::Owned(strings)),
        ),
    ];
    for (bucket, records) in buckets.into_iter().enumerate() {
        if !records.is_empty() {
            props.push((
                PropTag::new(0x1000 + bucket as u16, PropType::Binary),
                PropValue::Binary(Cow::Owned(records)),
            ));
        }
    }
    props
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binary(props: &[(PropTag, PropValue<'static>)], id: u16) -> Vec<u8> {
        match props.iter().find(|(t, _)| t.id == id) {
            Some((_, PropValue::Binary(b))) => b.to_vec(),
            other => panic!("no binary {id:#x}: {other:?}"),
        }
    }

    #[test]
    fn crc_matches_the_spec_vectors() {
        assert_eq!(crc(b"123456789"), 0x2DFD_2D88);
        assert_eq!(crc(&[0u8; 496]), 0);
    }

    #[test]
    fn registered_properties_get_ids_from_0x8000() {
        assert_eq!(
            tag_of(KEYWORDS),
            PropTag::new(0x8000, PropType::MultipleString)
        );
        assert_eq!(tag_of(FLAG_REQUEST), PropTag::new(0x8001, PropType::String));
    }

    #[test]
    fn streams_are_byte_exact_and_never_empty() {
        let props = name_map_properties_of(&MAIL_NAMED);
        assert_eq!(binary(&props, 2), PSETID_COMMON.to_vec());
        // "Keywords": offset 0 in the string stream, public strings (2 << 1 | 1), index 0;
        // then LID 0x8530 in the first GUID of the stream (3 << 1), index 1.
        assert_eq!(
            binary(&props, 3),
            vec![0, 0, 0, 0, 5, 0, 0, 0, 0x30, 0x85, 0, 0, 6, 0, 1, 0]
        );
        let strings = binary(&props, 4);
        assert_eq!(&strings[..4], &16u32.to_le_bytes());
        assert_eq!(strings.len(), 20);
        assert_eq!(&strings[4..6], &[b'K', 0]);
    }

    #[test]
    fn entries_land_in_the_buckets_of_the_hash_rule() {
        let props = name_map_properties_of(&MAIL_NAMED);
        let name: Vec<u8> = "Keywords"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let keywords_key = crc(&name);
        let keywords_bucket = (keywords_key ^ 5) % 251;
        let flag_bucket = (0x8530 ^ 6) % 251;
        let mut expected_keywords = keywords_key.to_le_bytes().to_vec();
        expected_keywords.extend_from_slice(&[5, 0, 0, 0]);
        assert_eq!(
            binary(&props, 0x1000 + keywords_bucket as u16),
            expected_keywords
        );
        assert_eq!(
            binary(&props, 0x1000 + flag_bucket as u16),
            vec![0x30, 0x85, 0, 0, 6, 0, 1, 0]
        );
        // Bucket count, three streams, and one bucket per entry (they differ here).
        assert_ne!(keywords_bucket, flag_bucket);
        assert_eq!(props.len(), 6);
    }

    #[test]
    fn every_registered_property_has_one_entry_and_ids_follow_the_order() {
        let all: Vec<NamedProperty> = registered().collect();
        let props = name_map_properties();
        assert_eq!(binary(&props, 3).len(), 8 * all.len());
        let in_buckets: usize = props
            .iter()
            .filter(|(t, _)| t.id >= 0x1000)
            .map(|(_, v)| match v {
                PropValue::Binary(b) => b.len() / 8,
                _ => 0,
            })
            .sum();
        assert_eq!(in_buckets, all.len());
        for (index, property) in all.iter().enumerate() {
            assert_eq!(tag_of(*property).id, 0x8000 + index as u16);
        }
    }
}
