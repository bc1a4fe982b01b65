//! [Property value formats](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/7ac490ce-31af-4a75-97df-eb9d07a003fd)
//! (MS-PST 2.3.3.2–2.3.3.5 and MS-OXCDATA 2.11.1): how a value is held in a PC record or a TC
//! cell, and the bytes of values stored through an HNID. Strings are UTF-16LE without a
//! terminating NUL; variable-size multi-valued types carry a count and offsets
//! ([MS-PST 2.3.3.4.2](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/45063075-c65d-48cd-a441-f86809bcc6eb)).

use std::borrow::Cow;

use crate::pst::ndb::{Nid, NidType};

use super::{
    Error, Heap, HeapBuilder, Hid, MAX_ALLOCATION, MAX_BLOCK, OwnedPropValue, PropTag, PropType,
    PropValue, SubnodeReader, SubnodeWriter, u32_at,
};

/// Where a value of a type lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Storage {
    /// In the PC record's `dwValueHnid` and in a TC cell of this many bytes (1, 2 or 4).
    Inline(u8),
    /// Through an HNID in a PC, inline in an 8-byte TC cell.
    Fixed8,
    /// Through an HNID everywhere (a 4-byte TC cell).
    Hnid,
}

/// How values of `ty` are stored; `None` for the types [`PropValue`] cannot hold, which we
/// never write (8-bit strings, Floating32, ErrorCode, Currency, FloatingTime).
pub(super) fn storage(ty: PropType) -> Option<Storage> {
    use PropType::*;
    Some(match ty {
        Boolean => Storage::Inline(1),
        Integer16 => Storage::Inline(2),
        Integer32 => Storage::Inline(4),
        Floating64 | Integer64 | Time => Storage::Fixed8,
        Object | Guid | String | Binary | MultipleInteger32 | MultipleString | MultipleBinary => {
            Storage::Hnid
        }
        String8 | Floating32 | ErrorCode | Currency | FloatingTime => return None,
    })
}

/// The size of a TC cell of type `ty`.
pub(super) fn cell_size(ty: PropType) -> Option<u8> {
    Some(match storage(ty)? {
        Storage::Inline(size) => size,
        Storage::Fixed8 => 8,
        Storage::Hnid => 4,
    })
}

/// The inline value of a [`Storage::Inline`] type, as a little-endian u32 (the high bytes 0).
pub(super) fn inline_value(value: &PropValue<'_>) -> Option<u32> {
    Some(match value {
        PropValue::Boolean(v) => u32::from(*v),
        PropValue::Integer16(v) => u32::from(*v as u16),
        PropValue::Integer32(v) => *v as u32,
        _ => return None,
    })
}

/// The value of an inline type from its stored bits; the unused high bytes must be 0.
pub(super) fn decode_inline(
    ty: PropType,
    bits: u32,
    structure: &'static str,
) -> Result<OwnedPropValue, Error> {
    Ok(match ty {
        PropType::Boolean => match bits {
            0 => PropValue::Boolean(false),
            1 => PropValue::Boolean(true),
            _ => {
                return Err(Error::invalid(
                    structure,
                    "Boolean value",
                    bits,
                    "must be 0 or 1",
                ));
            }
        },
        PropType::Integer16 if bits <= 0xFFFF => PropValue::Integer16(bits as u16 as i16),
        PropType::Integer16 => {
            return Err(Error::invalid(
                structure,
                "Integer16 value",
                bits,
                "its high 16 bits must be 0",
            ));
        }
        PropType::Integer32 => PropValue::Integer32(bits as i32),
        _ => {
            return Err(Error::invalid(
                structure,
                "wPropType",
                ty as u16,
                "not a type stored inline",
            ));
        }
    })
}

/// The bytes a value stored through an HNID (or in an 8-byte cell) is made of. Empty for an
/// empty string, binary or fixed-size list: those are HNID 0.
pub(super) fn value_bytes<'v>(
    tag: PropTag,
    value: &'v PropValue<'_>,
) -> Result<Cow<'v, [u8]>, Error> {
    Ok(match value {
        PropValue::Integer64(v) => Cow::Owned(v.to_le_bytes().to_vec()),
        PropValue::Floating64(v) => Cow::Owned(v.to_le_bytes().to_vec()),
        PropValue::Time(v) => Cow::Owned(v.to_le_bytes().to_vec()),
        PropValue::Guid(v) => Cow::Borrowed(v.as_slice()),
        PropValue::Binary(v) => Cow::Borrowed(v.as_ref()),
        PropValue::String(v) => Cow::Owned(utf16(v)),
        PropValue::Object { nid, size } => {
            let mut bytes = nid.0.to_le_bytes().to_vec();
            bytes.extend_from_slice(&size.to_le_bytes());
            Cow::Owned(bytes)
        }
        PropValue::MultipleInteger32(values) => {
            Cow::Owned(values.iter().flat_map(|v| v.to_le_bytes()).collect())
        }
        PropValue::MultipleString(values) => {
            let items: Vec<Vec<u8>> = values.iter().map(|s| utf16(s)).collect();
            Cow::Owned(variable_list(tag, &items)?)
        }
        PropValue::MultipleBinary(values) => Cow::Owned(variable_list(tag, values)?),
        PropValue::Boolean(_) | PropValue::Integer16(_) | PropValue::Integer32(_) => {
            let bits = inline_value(value).unwrap_or_default();
            Cow::Owned(bits.to_le_bytes().to_vec())
        }
        PropValue::BinaryInSubnode { .. } => return Err(Error::ValueInSubnode { tag }),
    })
}

/// UTF-16LE without a terminator. A `str` cannot hold a lone surrogate, so the result is always
/// well-formed UTF-16.
fn utf16(s: &str) -> Vec<u8> {
    // Mail bodies are mostly ASCII: a run of ASCII is widened in place (a loop the compiler
    // vectorises), and only other characters go through `encode_utf16` one by one. Encoding
    // every character so was a fifth of the writing thread's time.
    let mut out = Vec::with_capacity(2 * s.len());
    let mut rest = s;
    while !rest.is_empty() {
        let ascii = rest
            .bytes()
            .position(|b| !b.is_ascii())
            .unwrap_or(rest.len());
        let (run, tail) = rest.split_at(ascii);
        let start = out.len();
        out.resize(start + 2 * run.len(), 0);
        for (unit, &byte) in out[start..].chunks_exact_mut(2).zip(run.as_bytes()) {
            unit[0] = byte;
        }
        let Some(c) = tail.chars().next() else {
            break;
        };
        let mut units = [0u16; 2];
        for unit in c.encode_utf16(&mut units) {
            out.extend_from_slice(&unit.to_le_bytes());
        }
        rest = &tail[c.len_utf8()..];
    }
    out
}

/// `ulCount`, `rgulDataOffsets` (from the start of the value), then the items back to back.
fn variable_list(tag: PropTag, items: &[Vec<u8>]) -> Result<Vec<u8>, Error> {
    let header = 4 * (items.len() + 1);
    let size = header + items.iter().map(Vec::len).sum::<usize>();
    let too_large = || Error::ValueTooLarge { tag, size };
    let count = u32::try_from(items.len()).map_err(|_| too_large())?;
    u32::try_from(size).map_err(|_| too_large())?;
    let mut bytes = Vec::with_capacity(size);
    bytes.extend_from_slice(&count.to_le_bytes());
    let mut offset = header;
    for item in items {
        bytes.extend_from_slice(&(offset as u32).to_le_bytes());
        offset += item.len();
    }
    for item in items {
        bytes.extend_from_slice(item);
    }
    Ok(bytes)
}

/// The value of type `ty` stored as `bytes` through an HNID (empty for HNID 0), or in an
/// 8-byte cell.
pub(super) fn decode_bytes(
    ty: PropType,
    bytes: &[u8],
    structure: &'static str,
) -> Result<OwnedPropValue, Error> {
    let fixed = |size: usize| -> Result<&[u8], Error> {
        if bytes.len() == size {
            Ok(bytes)
        } else {
            Err(Error::invalid(
                structure,
                "value size",
                bytes.len() as u64,
                "wrong size for its fixed-size type",
            ))
        }
    };
    let eight = |b: &[u8]| -> [u8; 8] {
        let mut out = [0; 8];
        out.copy_from_slice(b);
        out
    };
    Ok(match ty {
        PropType::Integer64 => PropValue::Integer64(i64::from_le_bytes(eight(fixed(8)?))),
        PropType::Floating64 => PropValue::Floating64(f64::from_le_bytes(eight(fixed(8)?))),
        PropType::Time => PropValue::Time(u64::from_le_bytes(eight(fixed(8)?))),
        PropType::Guid => {
            let mut guid = [0; 16];
            guid.copy_from_slice(fixed(16)?);
            PropValue::Guid(guid)
        }
        PropType::Object => {
            let bytes = fixed(8)?;
            PropValue::Object {
                nid: Nid(u32_at(bytes, 0, structure)?),
                size: u32_at(bytes, 4, structure)?,
            }
        }
        PropType::Binary => PropValue::Binary(Cow::Owned(bytes.to_vec())),
        PropType::String => PropValue::String(Cow::Owned(from_utf16(bytes, structure)?)),
        PropType::MultipleInteger32 => {
            if !bytes.len().is_multiple_of(4) {
                return Err(Error::invalid(
                    structure,
                    "value size",
                    bytes.len() as u64,
                    "a list of Integer32 is a multiple of 4 bytes",
                ));
            }
            PropValue::MultipleInteger32(
                bytes
                    .chunks(4)
                    .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect(),
            )
        }
        PropType::MultipleString => PropValue::MultipleString(
            variable_items(bytes, structure)?
                .into_iter()
                .map(|item| from_utf16(item, structure))
                .collect::<Result<_, _>>()?,
        ),
        PropType::MultipleBinary => PropValue::MultipleBinary(
            variable_items(bytes, structure)?
                .into_iter()
                .map(<[u8]>::to_vec)
                .collect(),
        ),
        PropType::Boolean
        | PropType::Integer16
        | PropType::Integer32
        | PropType::Floating32
        | PropType::ErrorCode
        | PropType::Currency
        | PropType::FloatingTime
        | PropType::String8 => {
            return Err(Error::invalid(
                structure,
                "wPropType",
                ty as u16,
                "not a type stored through an HNID by us",
            ));
        }
    })
}

fn from_utf16(bytes: &[u8], structure: &'static str) -> Result<String, Error> {
    if !bytes.len().is_multiple_of(2) {
        return Err(Error::invalid(
            structure,
            "string size",
            bytes.len() as u64,
            "UTF-16 takes an even number of bytes",
        ));
    }
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    Ok(String::from_utf16_lossy(&units))
}

/// The items of a variable-size list: the offsets must start right after themselves, never
/// decrease, and stay inside the value; the last item runs to its end.
fn variable_items<'b>(bytes: &'b [u8], structure: &'static str) -> Result<Vec<&'b [u8]>, Error> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    let count = u32_at(bytes, 0, structure)? as usize;
    let header = count
        .checked_add(1)
        .and_then(|n| n.checked_mul(4))
        .filter(|header| *header <= bytes.len())
        .ok_or(Error::invalid(
            structure,
            "ulCount",
            count as u64,
            "more offsets than the value holds",
        ))?;
    let mut offsets = Vec::with_capacity(count + 1);
    for i in 0..count {
        offsets.push(u32_at(bytes, 4 + 4 * i, structure)? as usize);
    }
    offsets.push(bytes.len());
    if count > 0 && offsets[0] != header {
        return Err(Error::invalid(
            structure,
            "rgulDataOffsets[0]",
            offsets[0] as u64,
            "the first item starts right after the offsets",
        ));
    }
    if count == 0 && bytes.len() != header {
        return Err(Error::invalid(
            structure,
            "ulCount",
            0u64,
            "an empty list has nothing after its count",
        ));
    }
    offsets
        .windows(2)
        .map(|pair| {
            bytes.get(pair[0]..pair[1]).ok_or(Error::invalid(
                structure,
                "rgulDataOffsets",
                pair[1] as u64,
                "offsets must not decrease nor pass the end",
            ))
        })
        .collect()
}

/// Stores the bytes of a value held through an HNID and returns the HNID: 0 when empty, a HID
/// up to 3580 bytes, else a new subnode of 8176-byte blocks.
pub(super) fn store_hnid(
    heap: &mut HeapBuilder,
    subnodes: &mut (impl SubnodeWriter + ?Sized),
    tag: PropTag,
    value: &PropValue<'_>,
) -> Result<u32, Error> {
    if let PropValue::BinaryInSubnode { nid, .. } = value {
        return Ok(nid.0);
    }
    let bytes = value_bytes(tag, value)?;
    if u32::try_from(bytes.len()).is_err() {
        return Err(Error::ValueTooLarge {
            tag,
            size: bytes.len(),
        });
    }
    Ok(match bytes.len() {
        0 => 0,
        1..=MAX_ALLOCATION => heap.allocate(&bytes)?.0,
        _ => subnodes.write_subnode(&bytes, MAX_BLOCK)?.0,
    })
}

/// Loads the value of type `ty` that `hnid` points at: HNID 0 is an empty value, a HID an
/// allocation, anything else a value subnode (type `NID_TYPE_LTP`, more than 3580 bytes).
pub(super) fn load_hnid(
    heap: &Heap<'_>,
    subnodes: &mut (impl SubnodeReader + ?Sized),
    ty: PropType,
    hnid: u32,
    structure: &'static str,
) -> Result<OwnedPropValue, Error> {
    if hnid == 0 {
        return decode_bytes(ty, &[], structure);
    }
    if Hid::is_hid(hnid) {
        return decode_bytes(ty, heap.get(Hid(hnid))?, structure);
    }
    let nid = Nid(hnid);
    if nid.nid_type() != Some(NidType::Ltp) {
        return Err(Error::invalid(
            structure,
            "HNID",
            hnid,
            "neither a HID nor a value subnode (NID type 0x1F)",
        ));
    }
    let data = subnodes.read_subnode(nid)?.concat();
    if data.len() <= MAX_ALLOCATION {
        return Err(Error::invalid(
            structure,
            "HNID",
            hnid,
            "a value of at most 3580 bytes belongs on the heap, not in a subnode",
        ));
    }
    decode_bytes(ty, &data, structure)
}

#[cfg(test)]
mod tests {
    use super::utf16;

    proptest::proptest! {
        /// The ASCII runs' shortcut gives what `encode_utf16` gives, for any text.
        #[test]
        fn utf16_is_the_standard_encoding(text in "(\\PC|[a-z \n]{0,40}){0,60}") {
            let expected: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
            proptest::prop_assert_eq!(utf16(&text), expected);
        }
    }

    #[test]
    fn utf16_of_mixed_text() {
        let text = "Grüße, 世界 😀 ok\r\n";
        let expected: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(utf16(text), expected);
        assert!(utf16("").is_empty());
    }
}
