//! [Property context](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/294c83c6-ff92-42f5-b6b6-876c29fa9737)
//! (MS-PST 2.3.3): a heap (`bClientSig` 0xBC) whose user root is a BTH of `wPropId` →
//! (`wPropType`, `dwValueHnid`) records.
//!
//! We keep the BTH to one leaf, because readpst refuses a property context whose BTH has index
//! levels: so at most 447 properties. Allocations follow Outlook's order: the BTHHEADER (HID
//! 0x20), the record leaf (0x40), then the values in the order the properties are given.

use super::bth::{BthHeader, read_bth, reserve_bth_header, set_bth_header};
use super::value::{Storage, decode_inline, inline_value, load_hnid, storage, store_hnid};
use super::{
    ClientSig, Error, Heap, HeapBuilder, NodeBlocks, OwnedPropValue, PropTag, PropType, PropValue,
    SubnodeReader, SubnodeWriter, u16_at, u32_at,
};

/// The most properties one BTH leaf holds: 3580 / 8.
pub const MAX_PC_PROPERTIES: usize = 447;
const RECORD_SIZE: usize = 8;

/// Builds the property context of `props` (any order, each ID once). Values of 1..=3580 bytes
/// go on the heap, larger ones into subnodes written through `subnodes`, empty strings and
/// binaries are HNID 0.
pub fn build_pc(
    props: &[(PropTag, PropValue<'_>)],
    subnodes: &mut (impl SubnodeWriter + ?Sized),
) -> Result<NodeBlocks, Error> {
    build_open_pc(props, subnodes).map(OpenPc::into_blocks)
}

/// A property context built by [`build_open_pc`] whose 4-byte inline values can still be
/// set: for a value that counts the PC's own blocks (PidTagMessageSize), known only once the PC
/// is built. Such a value lies in its record whatever it is, so setting it changes no other
/// byte: the blocks are those [`build_pc`] gives for the final value, built once.
#[derive(Debug)]
pub struct OpenPc {
    blocks: NodeBlocks,
    /// Where the record leaf lies: its block and offset (none without properties).
    leaf: Option<(usize, usize)>,
    /// The records' tags, in the leaf's order.
    tags: Vec<PropTag>,
}

impl OpenPc {
    pub fn blocks(&self) -> &NodeBlocks {
        &self.blocks
    }

    pub fn into_blocks(self) -> NodeBlocks {
        self.blocks
    }

    /// Sets the value of `tag`, a 4-byte inline property the PC was built with.
    pub fn set_integer32(&mut self, tag: PropTag, value: i32) -> Result<(), Error> {
        let not_there = || Error::invalid("PC", "wPropId", tag.id, "not a 4-byte inline record");
        if storage(tag.ty) != Some(Storage::Inline(4)) {
            return Err(not_there());
        }
        let index = self
            .tags
            .binary_search_by_key(&tag.id, |found| found.id)
            .ok()
            .filter(|&index| self.tags[index] == tag)
            .ok_or_else(not_there)?;
        let (block, offset) = self.leaf.ok_or_else(not_there)?;
        let at = offset + index * RECORD_SIZE + 4;
        let slot = self.blocks.0[block]
            .get_mut(at..at + 4)
            .ok_or_else(not_there)?;
        slot.copy_from_slice(&value.to_le_bytes());
        Ok(())
    }
}

/// Builds the property context of `props` as [`build_pc`] does, keeping where its records lie.
pub fn build_open_pc(
    props: &[(PropTag, PropValue<'_>)],
    subnodes: &mut (impl SubnodeWriter + ?Sized),
) -> Result<OpenPc, Error> {
    if props.len() > MAX_PC_PROPERTIES {
        return Err(Error::TooManyProperties { count: props.len() });
    }
    let mut order: Vec<usize> = (0..props.len()).collect();
    order.sort_by_key(|&i| props[i].0.id);
    if let Some(pair) = order
        .windows(2)
        .find(|pair| props[pair[0]].0.id == props[pair[1]].0.id)
    {
        return Err(Error::DuplicateProperty {
            id: props[pair[0]].0.id,
        });
    }

    let mut heap = HeapBuilder::new(ClientSig::PropertyContext);
    let header = reserve_bth_header(&mut heap)?;
    heap.set_user_root(header);
    let leaf = match props.len() {
        0 => None,
        count => Some(heap.reserve(count * RECORD_SIZE)?),
    };

    let mut hnids = Vec::with_capacity(props.len());
    for (tag, value) in props {
        if value.prop_type() != tag.ty {
            return Err(Error::PropertyType {
                tag: *tag,
                found: value.prop_type(),
            });
        }
        let stored = match storage(tag.ty) {
            Some(Storage::Inline(_)) => inline_value(value).unwrap_or_default(),
            Some(Storage::Fixed8 | Storage::Hnid) | None => {
                store_hnid(&mut heap, subnodes, *tag, value)?
            }
        };
        hnids.push(stored);
    }

    let mut root = super::Hid::NONE;
    if let Some(leaf) = leaf {
        let mut records = Vec::with_capacity(props.len() * RECORD_SIZE);
        for &i in &order {
            let tag = props[i].0;
            records.extend_from_slice(&tag.id.to_le_bytes());
            records.extend_from_slice(&(tag.ty as u16).to_le_bytes());
            records.extend_from_slice(&hnids[i].to_le_bytes());
        }
        if let Some(slot) = heap.allocation_mut(leaf) {
            slot.copy_from_slice(&records);
        }
        root = leaf;
    }
    let bth = BthHeader {
        key_size: 2,
        data_size: 6,
        levels: 0,
        root,
    };
    set_bth_header(&mut heap, header, bth)?;
    let leaf = leaf.and_then(|leaf| heap.place(leaf));
    Ok(OpenPc {
        blocks: heap.finish(),
        leaf,
        tags: order.iter().map(|&i| props[i].0).collect(),
    })
}

/// Reads a property context back: its properties in ID order. Checks the heap, that the BTH is
/// the single-level cbKey 2 / cbEnt 6 tree we write, that inline values are well formed and
/// that every HNID resolves.
pub fn read_pc<B: AsRef<[u8]>>(
    blocks: &[B],
    subnodes: &mut (impl SubnodeReader + ?Sized),
) -> Result<Vec<(PropTag, OwnedPropValue)>, Error> {
    let heap = Heap::read(blocks)?;
    if heap.client_sig() != ClientSig::PropertyContext {
        return Err(Error::invalid(
            "HNHDR",
            "bClientSig",
            heap.client_sig() as u8,
            "a property context has 0xBC",
        ));
    }
    let (bth, records) = read_bth(&heap, heap.user_root())?;
    if (bth.key_size, bth.data_size, bth.levels) != (2, 6, 0) {
        return Err(Error::invalid(
            "PC BTHHEADER",
            "cbKey/cbEnt/bIdxLevels",
            u64::from(bth.key_size) << 16 | u64::from(bth.data_size) << 8 | u64::from(bth.levels),
            "a property context is a single-level BTH with cbKey 2 and cbEnt 6",
        ));
    }
    let mut props = Vec::with_capacity(records.len());
    for record in records {
        let id = u16_at(record, 0, "PC BTH record")?;
        let ty = u16_at(record, 2, "PC BTH record")?;
        let hnid = u32_at(record, 4, "PC BTH record")?;
        let Some(ty) = PropType::from_u16(ty) else {
            return Err(Error::invalid(
                "PC BTH record",
                "wPropType",
                ty,
                "not a property type we write",
            ));
        };
        let value = match storage(ty) {
            Some(Storage::Inline(_)) => decode_inline(ty, hnid, "PC BTH record")?,
            Some(Storage::Fixed8 | Storage::Hnid) => {
                load_hnid(&heap, subnodes, ty, hnid, "PC value")?
            }
            None => {
                return Err(Error::invalid(
                    "PC BTH record",
                    "wPropType",
                    ty as u16,
                    "not a property type we write",
                ));
            }
        };
        props.push((PropTag::new(id, ty), value));
    }
    Ok(props)
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::pst::ltp::testing::{
        MemorySubnodes, hex, outlook_pst_accepts_bth_header, outlook_pst_accepts_heap,
    };
    use crate::pst::ltp::{Hid, MAX_BLOCK};
    use crate::pst::ndb::{Nid, NidType};

    fn tag(id: u16, ty: PropType) -> PropTag {
        PropTag::new(id, ty)
    }

    fn string(s: &str) -> PropValue<'_> {
        PropValue::String(Cow::Borrowed(s))
    }

    fn binary(b: &[u8]) -> PropValue<'_> {
        PropValue::Binary(Cow::Borrowed(b))
    }

    /// Builds, checks the result with our reader and `outlook-pst`, and returns the blocks.
    fn build(props: &[(PropTag, PropValue<'_>)], subnodes: &mut MemorySubnodes) -> NodeBlocks {
        let blocks = build_pc(props, subnodes).unwrap();
        outlook_pst_accepts_heap(&blocks.0);
        let heap = Heap::read(&blocks.0).unwrap();
        outlook_pst_accepts_bth_header(heap.get(heap.user_root()).unwrap());
        let mut expected: Vec<(PropTag, OwnedPropValue)> = props
            .iter()
            .map(|(tag, value)| (*tag, value.clone().into_owned()))
            .collect();
        expected.sort_by_key(|(tag, _)| tag.id);
        assert_eq!(read_pc(&blocks.0, subnodes).unwrap(), expected);
        blocks
    }

    // The next four are nodes of the fresh store Outlook wrote as `examples/Empty.pst` of the
    // `outlook-pst` crate. Given Outlook's properties in the order Outlook allocated their
    // values, we write the same bytes.

    #[test]
    fn rebuilds_outlooks_root_folder_pc() {
        // An empty display name is HNID 0; counts inline; Subfolders true.
        let props = [
            (tag(0x3001, PropType::String), string("")),
            (tag(0x3602, PropType::Integer32), PropValue::Integer32(0)),
            (tag(0x3603, PropType::Integer32), PropValue::Integer32(0)),
            (tag(0x360A, PropType::Boolean), PropValue::Boolean(true)),
        ];
        let blocks = build(&props, &mut MemorySubnodes::default());
        assert_eq!(blocks.total_size(), 62);
        assert_eq!(
            blocks.0,
            vec![hex("
                0000: 34 00 EC BC 20 00 00 00 00 00 00 00 B5 02 06 00
                0010: 40 00 00 00 01 30 1F 00 00 00 00 00 02 36 03 00
                0020: 00 00 00 00 03 36 03 00 00 00 00 00 0A 36 0B 00
                0030: 01 00 00 00 02 00 00 00 0C 00 14 00 34 00
            ")]
        );
    }

    #[test]
    fn rebuilds_outlooks_deleted_items_pc() {
        let props = [
            (tag(0x3001, PropType::String), string("Deleted Items")),
            (
                tag(0x3004, PropType::String),
                string("Deleted Items folder"),
            ),
            (tag(0x3602, PropType::Integer32), PropValue::Integer32(0)),
            (tag(0x3603, PropType::Integer32), PropValue::Integer32(0)),
            (tag(0x360A, PropType::Boolean), PropValue::Boolean(false)),
        ];
        let blocks = build(&props, &mut MemorySubnodes::default());
        assert_eq!(
            blocks.0,
            vec![hex("
                0000: 7E 00 EC BC 20 00 00 00 00 00 00 00 B5 02 06 00
                0010: 40 00 00 00 01 30 1F 00 60 00 00 00 04 30 1F 00
                0020: 80 00 00 00 02 36 03 00 00 00 00 00 03 36 03 00
                0030: 00 00 00 00 0A 36 0B 00 00 00 00 00 44 00 65 00
                0040: 6C 00 65 00 74 00 65 00 64 00 20 00 49 00 74 00
                0050: 65 00 6D 00 73 00 44 00 65 00 6C 00 65 00 74 00
                0060: 65 00 64 00 20 00 49 00 74 00 65 00 6D 00 73 00
                0070: 20 00 66 00 6F 00 6C 00 64 00 65 00 72 00 04 00
                0080: 00 00 0C 00 14 00 3C 00 56 00 7E 00
            ")]
        );
    }

    #[test]
    fn rebuilds_outlooks_search_criteria_pc() {
        let props = [(tag(0x660B, PropType::Integer32), PropValue::Integer32(0))];
        let blocks = build(&props, &mut MemorySubnodes::default());
        assert_eq!(
            blocks.0,
            vec![hex("
                0000: 1C 00 EC BC 20 00 00 00 00 00 00 00 B5 02 06 00
                0010: 40 00 00 00 0B 66 03 00 00 00 00 00 02 00 00 00
                0020: 0C 00 14 00 1C 00
            ")]
        );
    }

    #[test]
    fn rebuilds_outlooks_message_store_pc() {
        let record_key = hex("53 66 E7 DD 90 0F B7 4D B6 E1 30 CE DF 3B C0 77");
        let entry_id = |nid: u32| {
            let mut id = vec![0; 4];
            id.extend_from_slice(&record_key);
            id.extend_from_slice(&nid.to_le_bytes());
            id
        };
        let (ipm, finder, wastebasket, views) = (
            entry_id(0x8022),
            entry_id(0x8042),
            entry_id(0x8062),
            entry_id(0x8082),
        );
        let replica =
            hex("01 00 00 00 64 6F 41 3E 83 B2 A5 46 BC 5E 84 42 60 F8 6A 5A 01 00 00 00");
        let props = [
            (tag(0x0FF9, PropType::Binary), binary(&record_key)),
            (tag(0x3001, PropType::String), string("Empty")),
            (tag(0x0E34, PropType::Binary), binary(&replica)),
            (tag(0x35E0, PropType::Binary), binary(&ipm)),
            (tag(0x35E7, PropType::Binary), binary(&finder)),
            (tag(0x35E3, PropType::Binary), binary(&wastebasket)),
            (tag(0x35E6, PropType::Binary), binary(&views)),
            (tag(0x0E38, PropType::Integer32), PropValue::Integer32(0)),
            (tag(0x35DF, PropType::Integer32), PropValue::Integer32(0xC9)),
            (tag(0x6633, PropType::Boolean), PropValue::Boolean(true)),
            (
                tag(0x66FA, PropType::Integer32),
                PropValue::Integer32(0x000E_0011),
            ),
            (
                tag(0x66FC, PropType::Integer32),
                PropValue::Integer32(0x0018_B2B3),
            ),
            (tag(0x67FF, PropType::Integer32), PropValue::Integer32(0)),
        ];
        let blocks = build(&props, &mut MemorySubnodes::default());
        assert_eq!(
            blocks.0,
            vec![hex("
                0000: 0E 01 EC BC 20 00 00 00 00 00 00 00 B5 02 06 00
                0010: 40 00 00 00 34 0E 02 01 A0 00 00 00 38 0E 03 00
                0020: 00 00 00 00 F9 0F 02 01 60 00 00 00 01 30 1F 00
                0030: 80 00 00 00 DF 35 03 00 C9 00 00 00 E0 35 02 01
                0040: C0 00 00 00 E3 35 02 01 00 01 00 00 E6 35 02 01
                0050: 20 01 00 00 E7 35 02 01 E0 00 00 00 33 66 0B 00
                0060: 01 00 00 00 FA 66 03 00 11 00 0E 00 FC 66 03 00
                0070: B3 B2 18 00 FF 67 03 00 00 00 00 00 53 66 E7 DD
                0080: 90 0F B7 4D B6 E1 30 CE DF 3B C0 77 45 00 6D 00
                0090: 70 00 74 00 79 00 01 00 00 00 64 6F 41 3E 83 B2
                00A0: A5 46 BC 5E 84 42 60 F8 6A 5A 01 00 00 00 00 00
                00B0: 00 00 53 66 E7 DD 90 0F B7 4D B6 E1 30 CE DF 3B
                00C0: C0 77 22 80 00 00 00 00 00 00 53 66 E7 DD 90 0F
                00D0: B7 4D B6 E1 30 CE DF 3B C0 77 42 80 00 00 00 00
                00E0: 00 00 53 66 E7 DD 90 0F B7 4D B6 E1 30 CE DF 3B
                00F0: C0 77 62 80 00 00 00 00 00 00 53 66 E7 DD 90 0F
                0100: B7 4D B6 E1 30 CE DF 3B C0 77 82 80 00 00 09 00
                0110: 00 00 0C 00 14 00 7C 00 8C 00 96 00 AE 00 C6 00
                0120: DE 00 F6 00 0E 01
            ")]
        );
    }

    #[test]
    fn every_type_round_trips() {
        let guid = [7u8; 16];
        let props = [
            (tag(0x0001, PropType::Integer16), PropValue::Integer16(-2)),
            (
                tag(0x0002, PropType::Integer32),
                PropValue::Integer32(-70000),
            ),
            (tag(0x0005, PropType::Boolean), PropValue::Boolean(true)),
            (
                tag(0x0006, PropType::Integer64),
                PropValue::Integer64(-1 << 40),
            ),
            (
                tag(0x0007, PropType::Floating64),
                PropValue::Floating64(-2.25),
            ),
            (
                tag(0x000A, PropType::Time),
                PropValue::Time(0x01D9_0000_0000_0000),
            ),
            (tag(0x000B, PropType::String), string("Grüße, 世界 😀")),
            (tag(0x000C, PropType::Binary), binary(&[0, 1, 2, 0xFF])),
            (tag(0x000D, PropType::Guid), PropValue::Guid(guid)),
            (
                tag(0x000E, PropType::MultipleInteger32),
                PropValue::MultipleInteger32(vec![1, -1, i32::MAX]),
            ),
            (
                tag(0x000F, PropType::MultipleString),
                PropValue::MultipleString(vec!["a".into(), String::new(), "Ωmega".into()]),
            ),
            (
                tag(0x0010, PropType::MultipleBinary),
                PropValue::MultipleBinary(vec![vec![1], vec![], vec![2, 3]]),
            ),
            (
                tag(0x0011, PropType::Object),
                PropValue::Object {
                    nid: Nid::new(NidType::NormalMessage, 0x10005),
                    size: 4321,
                },
            ),
            // Empty values: HNID 0, nothing allocated.
            (tag(0x0012, PropType::String), string("")),
            (tag(0x0013, PropType::Binary), binary(&[])),
            (
                tag(0x0014, PropType::MultipleInteger32),
                PropValue::MultipleInteger32(vec![]),
            ),
            (
                tag(0x0015, PropType::MultipleString),
                PropValue::MultipleString(vec![]),
            ),
            (
                tag(0x0016, PropType::MultipleBinary),
                PropValue::MultipleBinary(vec![]),
            ),
        ];
        let mut subnodes = MemorySubnodes::default();
        let blocks = build(&props, &mut subnodes);
        assert!(subnodes.subnodes.is_empty());
        let heap = Heap::read(&blocks.0).unwrap();
        let (_, records) = read_bth(&heap, heap.user_root()).unwrap();
        let hnid = |id: u16| {
            let record = records
                .iter()
                .find(|r| u16_at(r, 0, "").unwrap() == id)
                .unwrap();
            u32_at(record, 4, "").unwrap()
        };
        for id in [0x12, 0x13, 0x14] {
            assert_eq!(hnid(id), 0, "property {id:#x}");
        }
        // An 8-byte value and a GUID are heap allocations of their size.
        assert_eq!(heap.get(Hid(hnid(0x06))).unwrap().len(), 8);
        assert_eq!(heap.get(Hid(hnid(0x0D))).unwrap(), &guid);
        // Strings: UTF-16LE, no terminating NUL.
        assert_eq!(
            heap.get(Hid(hnid(0x0B))).unwrap().len(),
            2 * "Grüße, 世界 😀".encode_utf16().count()
        );
        // A variable-size list: count, offsets from the value's start, items.
        assert_eq!(
            heap.get(Hid(hnid(0x10))).unwrap(),
            hex("03 00 00 00 10 00 00 00 11 00 00 00 11 00 00 00 01 02 03")
        );
        assert_eq!(heap.get(Hid(hnid(0x15))).unwrap(), &[0, 0, 0, 0]);
        // Inline values keep their high bytes 0.
        assert_eq!(hnid(0x01), 0xFFFE);
        assert_eq!(hnid(0x05), 1);
    }

    #[test]
    fn values_over_3580_bytes_go_to_subnodes() {
        let at_limit = vec![0xAB; 3580];
        let over = vec![0xCD; 3581];
        let large = vec![0xEF; 20_000];
        let long_text = "x".repeat(5000);
        let many: Vec<String> = (0..2000).map(|i| format!("item {i}")).collect();
        let props = [
            (tag(0x1001, PropType::Binary), binary(&at_limit)),
            (tag(0x1002, PropType::Binary), binary(&over)),
            (tag(0x1003, PropType::Binary), binary(&large)),
            (tag(0x1004, PropType::String), string(&long_text)),
            (
                tag(0x1005, PropType::MultipleString),
                PropValue::MultipleString(many),
            ),
        ];
        let mut subnodes = MemorySubnodes::default();
        let blocks = build(&props, &mut subnodes);
        assert_eq!(subnodes.subnodes.len(), 4);
        assert!(subnodes.block_sizes.values().all(|size| *size == MAX_BLOCK));
        let heap = Heap::read(&blocks.0).unwrap();
        let (_, records) = read_bth(&heap, heap.user_root()).unwrap();
        let hnids: Vec<u32> = records.iter().map(|r| u32_at(r, 4, "").unwrap()).collect();
        assert!(Hid::is_hid(hnids[0]));
        for hnid in &hnids[1..] {
            assert_eq!(Nid(*hnid).nid_type(), Some(NidType::Ltp));
        }
        let large_blocks = &subnodes.subnodes[&Nid(hnids[2])];
        assert_eq!(
            large_blocks.iter().map(Vec::len).collect::<Vec<_>>(),
            [8176, 8176, 3648]
        );
    }

    #[test]
    fn holds_0_1_and_447_properties_but_not_448() {
        let mut subnodes = MemorySubnodes::default();
        let blocks = build(&[], &mut subnodes);
        let heap = Heap::read(&blocks.0).unwrap();
        let (bth, _) = read_bth(&heap, heap.user_root()).unwrap();
        assert_eq!(bth.root, Hid::NONE);

        build(
            &[(tag(0x0037, PropType::String), string("Subject"))],
            &mut subnodes,
        );

        let texts: Vec<String> = (0..448).map(|i| format!("value {i}")).collect();
        let props: Vec<(PropTag, PropValue<'_>)> = texts
            .iter()
            .enumerate()
            .map(|(i, text)| (tag(0x8000 + i as u16, PropType::String), string(text)))
            .collect();
        let blocks = build(&props[..447], &mut subnodes);
        let heap = Heap::read(&blocks.0).unwrap();
        let (bth, records) = read_bth(&heap, heap.user_root()).unwrap();
        assert_eq!((bth.levels, records.len()), (0, 447));
        assert!(matches!(
            build_pc(&props, &mut subnodes),
            Err(Error::TooManyProperties { count: 448 })
        ));
    }

    #[test]
    fn refuses_repeated_ids_and_mistyped_values() {
        let mut subnodes = MemorySubnodes::default();
        let repeated = [
            (tag(0x0037, PropType::String), string("a")),
            (tag(0x0037, PropType::Binary), binary(b"b")),
        ];
        assert!(matches!(
            build_pc(&repeated, &mut subnodes),
            Err(Error::DuplicateProperty { id: 0x0037 })
        ));
        let mistyped = [(tag(0x0E08, PropType::Integer32), PropValue::Integer64(1))];
        assert!(matches!(
            build_pc(&mistyped, &mut subnodes),
            Err(Error::PropertyType {
                found: PropType::Integer64,
                ..
            })
        ));
    }

    #[test]
    fn the_reader_refuses_other_heaps_and_multi_level_trees() {
        let mut subnodes = MemorySubnodes::default();
        let mut heap = HeapBuilder::new(ClientSig::TableContext);
        let header = crate::pst::ltp::build_bth(&mut heap, 2, 6, &[]).unwrap();
        heap.set_user_root(header);
        assert!(matches!(
            read_pc(&heap.finish().0, &mut subnodes),
            Err(Error::Invalid {
                field: "bClientSig",
                ..
            })
        ));

        // 448 records of cbKey 2 / cbEnt 6 need an index level.
        let records: Vec<u8> = (0..448u16)
            .flat_map(|id| {
                let mut record = id.to_le_bytes().to_vec();
                record.extend_from_slice(&[3, 0, 0, 0, 0, 0]);
                record
            })
            .collect();
        let mut heap = HeapBuilder::new(ClientSig::PropertyContext);
        let header = crate::pst::ltp::build_bth(&mut heap, 2, 6, &records).unwrap();
        heap.set_user_root(header);
        assert!(matches!(
            read_pc(&heap.finish().0, &mut subnodes),
            Err(Error::Invalid {
                field: "cbKey/cbEnt/bIdxLevels",
                ..
            })
        ));
    }

    /// Floating32, ErrorCode, Currency, FloatingTime and 8-bit strings have no [`PropValue`]:
    /// we never write them, and the reader reports them.
    #[test]
    fn the_reader_reports_types_we_do_not_write() {
        for ty in [0x0004u16, 0x000A, 0x0006, 0x0007, 0x001E, 0x0001] {
            let mut record = 0x3001u16.to_le_bytes().to_vec();
            record.extend_from_slice(&ty.to_le_bytes());
            record.extend_from_slice(&[0; 4]);
            let mut heap = HeapBuilder::new(ClientSig::PropertyContext);
            let header = crate::pst::ltp::build_bth(&mut heap, 2, 6, &record).unwrap();
            heap.set_user_root(header);
            match read_pc(&heap.finish().0, &mut MemorySubnodes::default()) {
                Err(Error::Invalid { field, value, .. }) => {
                    assert_eq!((field, value), ("wPropType", u64::from(ty)));
                }
                other => panic!("type {ty:#06x}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_reader_refuses_small_values_in_subnodes_and_missing_subnodes() {
        let mut subnodes = MemorySubnodes::default();
        let big = vec![1u8; 4000];
        let blocks = build_pc(
            &[(tag(0x1000, PropType::Binary), binary(&big))],
            &mut subnodes,
        )
        .unwrap();
        let mut empty = MemorySubnodes::default();
        assert!(matches!(
            read_pc(&blocks.0, &mut empty),
            Err(Error::SubnodeNotFound { .. })
        ));
        let nid = *subnodes.subnodes.keys().next().unwrap();
        subnodes.subnodes.insert(nid, vec![vec![1; 100]]);
        assert!(matches!(
            read_pc(&blocks.0, &mut subnodes),
            Err(Error::Invalid { field: "HNID", .. })
        ));
    }

    #[test]
    fn a_size_set_after_building_gives_the_bytes_of_a_pc_built_with_it() {
        let size = tag(0x0E08, PropType::Integer32);
        let long = "a value too long for the heap ".repeat(200);
        let props = |value: i32| {
            // Many properties, so that the records' leaf is large and the heap has two pages.
            let mut props: Vec<(PropTag, PropValue<'_>)> = (0..300u16)
                .map(|i| {
                    (
                        tag(0x6000 + i, PropType::String),
                        string("a value of forty bytes, in UTF-16"),
                    )
                })
                .collect();
            props.extend([
                (tag(0x0037, PropType::String), string(&long)),
                (size, PropValue::Integer32(value)),
                (tag(0x0E07, PropType::Integer32), PropValue::Integer32(9)),
            ]);
            props
        };
        let mut subnodes = MemorySubnodes::default();
        let mut open = build_open_pc(&props(0), &mut subnodes).unwrap();
        assert!(open.blocks().0.len() > 1);
        open.set_integer32(size, 123_456_789).unwrap();
        let expected = build(&props(123_456_789), &mut MemorySubnodes::default());
        assert_eq!(open.into_blocks(), expected);

        let mut open = build_open_pc(&props(0), &mut MemorySubnodes::default()).unwrap();
        let before = open.blocks().clone();
        for (absent, why) in [
            (tag(0x0E09, PropType::Integer32), "not in the PC"),
            (tag(0x0037, PropType::String), "not inline"),
            (tag(0x0E07, PropType::Boolean), "another type"),
        ] {
            assert!(open.set_integer32(absent, 1).is_err(), "{why}");
        }
        assert_eq!(open.into_blocks(), before);
    }
}
