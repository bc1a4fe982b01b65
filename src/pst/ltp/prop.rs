//! [Property types](https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxcdata/0c77892e-288e-435a-9c49-be1c20c7afdb)
//! (MS-OXCDATA 2.11.1) and property values as the LTP layer stores them (MS-PST 2.3.3).

use std::borrow::Cow;
use std::fmt;

use crate::pst::ndb::Nid;

/// `wPropType`: how a property's value is encoded.
#[repr(u16)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PropType {
    Integer16 = 0x0002,
    Integer32 = 0x0003,
    Floating32 = 0x0004,
    Floating64 = 0x0005,
    Currency = 0x0006,
    FloatingTime = 0x0007,
    ErrorCode = 0x000A,
    Boolean = 0x000B,
    /// An embedded object (an attached message): a subnode NID and a size.
    Object = 0x000D,
    Integer64 = 0x0014,
    /// An 8-bit string; never written by us (we write Unicode strings only).
    String8 = 0x001E,
    /// A UTF-16LE string without a terminating NUL.
    String = 0x001F,
    /// A FILETIME.
    Time = 0x0040,
    Guid = 0x0048,
    Binary = 0x0102,
    MultipleInteger32 = 0x1003,
    MultipleString = 0x101F,
    MultipleBinary = 0x1102,
}

impl PropType {
    /// The type whose `wPropType` is `value`, if we know it.
    pub fn from_u16(value: u16) -> Option<PropType> {
        use PropType::*;
        Some(match value {
            0x0002 => Integer16,
            0x0003 => Integer32,
            0x0004 => Floating32,
            0x0005 => Floating64,
            0x0006 => Currency,
            0x0007 => FloatingTime,
            0x000A => ErrorCode,
            0x000B => Boolean,
            0x000D => Object,
            0x0014 => Integer64,
            0x001E => String8,
            0x001F => String,
            0x0040 => Time,
            0x0048 => Guid,
            0x0102 => Binary,
            0x1003 => MultipleInteger32,
            0x101F => MultipleString,
            0x1102 => MultipleBinary,
            _ => return None,
        })
    }
}

/// A property tag: the property ID and its type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PropTag {
    pub id: u16,
    pub ty: PropType,
}

impl PropTag {
    pub const fn new(id: u16, ty: PropType) -> PropTag {
        PropTag { id, ty }
    }

    /// The 32-bit tag as written in a TCOLDESC: `id << 16 | type`.
    pub const fn value(self) -> u32 {
        ((self.id as u32) << 16) | self.ty as u32
    }

    /// The tag whose 32-bit value is `value`, if its type is one we know.
    pub fn from_value(value: u32) -> Option<PropTag> {
        let ty = PropType::from_u16((value & 0xFFFF) as u16)?;
        Some(PropTag::new((value >> 16) as u16, ty))
    }
}

impl fmt::Display for PropTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#010X}", self.value())
    }
}

/// A property value. Large byte values are borrowed so that a 50 MB attachment is not copied on
/// its way to disk.
#[derive(Clone, Debug, PartialEq)]
pub enum PropValue<'a> {
    Integer16(i16),
    Integer32(i32),
    Boolean(bool),
    Integer64(i64),
    Floating64(f64),
    /// A FILETIME: 100-ns ticks since 1601-01-01 UTC.
    Time(u64),
    String(Cow<'a, str>),
    Binary(Cow<'a, [u8]>),
    Guid([u8; 16]),
    MultipleInteger32(Vec<i32>),
    MultipleString(Vec<String>),
    MultipleBinary(Vec<Vec<u8>>),
    /// An embedded message already written as a subnode of the node being built (PtypObject).
    Object {
        nid: Nid,
        size: u32,
    },
    /// A binary value already written as a value subnode of the node being built, `size`
    /// bytes: content streamed from a file rather than held in memory. Never read back as such
    /// (a reader gives `Binary`).
    BinaryInSubnode {
        nid: Nid,
        size: u64,
    },
}

/// A value read back from a PST, owning its bytes.
pub type OwnedPropValue = PropValue<'static>;

impl PropValue<'_> {
    /// The type this value is stored as.
    pub fn prop_type(&self) -> PropType {
        match self {
            PropValue::Integer16(_) => PropType::Integer16,
            PropValue::Integer32(_) => PropType::Integer32,
            PropValue::Boolean(_) => PropType::Boolean,
            PropValue::Integer64(_) => PropType::Integer64,
            PropValue::Floating64(_) => PropType::Floating64,
            PropValue::Time(_) => PropType::Time,
            PropValue::String(_) => PropType::String,
            PropValue::Binary(_) => PropType::Binary,
            PropValue::Guid(_) => PropType::Guid,
            PropValue::MultipleInteger32(_) => PropType::MultipleInteger32,
            PropValue::MultipleString(_) => PropType::MultipleString,
            PropValue::MultipleBinary(_) => PropType::MultipleBinary,
            PropValue::Object { .. } => PropType::Object,
            PropValue::BinaryInSubnode { .. } => PropType::Binary,
        }
    }

    /// The bytes of the value itself: 1 for a Boolean, 2, 4 or 8 for the fixed sizes, 16 for
    /// a GUID, the UTF-16 bytes of a string, the bytes of a binary value, the stored form of a
    /// multi-valued one (a variable-size list with its count and offsets), and the size an
    /// embedded object declares. What ScanPST adds up for PidTagAttachSize.
    pub fn stored_size(&self) -> u64 {
        let variable_list = |items: usize, bytes: usize| 4 + 4 * items as u64 + bytes as u64;
        match self {
            PropValue::Boolean(_) => 1,
            PropValue::Integer16(_) => 2,
            PropValue::Integer32(_) => 4,
            PropValue::Integer64(_) | PropValue::Floating64(_) | PropValue::Time(_) => 8,
            PropValue::Guid(_) => 16,
            PropValue::String(s) => 2 * s.encode_utf16().count() as u64,
            PropValue::Binary(b) => b.len() as u64,
            PropValue::BinaryInSubnode { size, .. } => *size,
            PropValue::MultipleInteger32(values) => 4 * values.len() as u64,
            PropValue::MultipleString(values) => variable_list(
                values.len(),
                values.iter().map(|s| 2 * s.encode_utf16().count()).sum(),
            ),
            PropValue::MultipleBinary(values) => {
                variable_list(values.len(), values.iter().map(Vec::len).sum())
            }
            PropValue::Object { size, .. } => u64::from(*size),
        }
    }

    /// The same value owning its bytes.
    pub fn into_owned(self) -> OwnedPropValue {
        match self {
            PropValue::Integer16(v) => PropValue::Integer16(v),
            PropValue::Integer32(v) => PropValue::Integer32(v),
            PropValue::Boolean(v) => PropValue::Boolean(v),
            PropValue::Integer64(v) => PropValue::Integer64(v),
            PropValue::Floating64(v) => PropValue::Floating64(v),
            PropValue::Time(v) => PropValue::Time(v),
            PropValue::String(v) => PropValue::String(Cow::Owned(v.into_owned())),
            PropValue::Binary(v) => PropValue::Binary(Cow::Owned(v.into_owned())),
            PropValue::Guid(v) => PropValue::Guid(v),
            PropValue::MultipleInteger32(v) => PropValue::MultipleInteger32(v),
            PropValue::MultipleString(v) => PropValue::MultipleString(v),
            PropValue::MultipleBinary(v) => PropValue::MultipleBinary(v),
            PropValue::Object { nid, size } => PropValue::Object { nid, size },
            PropValue::BinaryInSubnode { nid, size } => PropValue::BinaryInSubnode { nid, size },
        }
    }
}
