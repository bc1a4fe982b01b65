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
            Some(Storage::Fixed8 | Storage::Hnid) => store_hnid(&mut heap, subnodes, *tag, value)?,
            None => {
                return Err(Error::UnwritableType {
                    tag: *tag,
                    ty: tag.ty,
                });
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
    Ok(heap.finish())
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
