//! [HEADER](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/c9876f5a-664b-46a3-9887-ba63f113abf5)
//! and [ROOT](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/32ce8c94-4757-46c8-a169-3fd21abee584)
//! (MS-PST 2.2.2.6, 2.2.2.5), Unicode form: the 564 bytes at the start of the file that say
//! where everything else is. Written last, so that it describes a complete file.

use super::crc::crc;
use super::le::{put_u16, put_u32, put_u64, u16_at, u32_at, u64_at};

/// Bytes of the Unicode header; the rest of the first 0x4200 bytes is zero.
pub const HEADER_SIZE: usize = 564;

pub const MAGIC: [u8; 4] = *b"!BDN";
/// `wMagicClient` of a PST ("SM").
pub const MAGIC_CLIENT: u16 = 0x4D53;
/// `wVer` of a Unicode PST.
pub const VERSION_UNICODE: u16 = 23;
/// `wVerClient`.
pub const VERSION_CLIENT: u16 = 19;
/// `bPlatformCreate` and `bPlatformAccess`.
pub const PLATFORM: u8 = 0x01;
pub const SENTINEL: u8 = 0x80;
/// `bCryptMethod`: `NDB_CRYPT_NONE`.
pub const CRYPT_NONE: u8 = 0x00;
/// `bCryptMethod`: `NDB_CRYPT_PERMUTE`, what Outlook writes.
pub const CRYPT_PERMUTE: u8 = 0x01;
/// `fAMapValid`: `VALID_AMAP2`, every AMap is right.
pub const AMAP_VALID2: u8 = 0x02;
/// `bidUnused` as in the spec's sample header and Outlook's files; a zero here was reported to
/// trouble Outlook.
pub const BID_UNUSED_SEED: u64 = 0x0000_0001_0000_0004;

/// `dwCRCPartial` covers the 471 bytes from `wMagicClient`.
const CRC_PARTIAL_RANGE: std::ops::Range<usize> = 0x008..0x008 + 471;
/// `dwCRCFull` covers the 516 bytes from `wMagicClient`.
const CRC_FULL_RANGE: std::ops::Range<usize> = 0x008..0x008 + 516;

/// BREF (MS-PST 2.2.2.4): a BID and the file offset it is stored at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BRef {
    pub bid: u64,
    pub ib: u64,
}

impl BRef {
    pub fn encode(&self, buf: &mut [u8], at: usize) {
        put_u64(buf, at, self.bid);
        put_u64(buf, at + 8, self.ib);
    }

    pub fn decode<const N: usize>(buf: &[u8; N], at: usize) -> BRef {
        BRef {
            bid: u64_at(buf, at),
            ib: u64_at(buf, at + 8),
        }
    }
}

/// ROOT: the file's size, its allocation summary and the two B-tree roots.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Root {
    /// `dwReserved` (Outlook's `cOrphans`).
    pub reserved: u32,
    /// `ibFileEof`: the file's length.
    pub file_eof: u64,
    /// `ibAMapLast`: offset of the last AMap page.
    pub amap_last: u64,
    /// `cbAMapFree`: free bytes over all AMaps (64 per zero bit).
    pub amap_free: u64,
    /// `cbPMapFree`: free bytes over all PMaps.
    pub pmap_free: u64,
    /// `BREFNBT`: the node B-tree's root page.
    pub nbt: BRef,
    /// `BREFBBT`: the block B-tree's root page.
    pub bbt: BRef,
    /// `fAMapValid`.
    pub amap_valid: u8,
    /// `bReserved`, `wReserved`.
    pub reserved_byte: u8,
    pub reserved_word: u16,
}

/// The Unicode HEADER, every field as stored (CRCs aside, which [`Header::encode`] computes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub magic: [u8; 4],
    pub magic_client: u16,
    /// `wVer`.
    pub version: u16,
    /// `wVerClient`.
    pub client_version: u16,
    pub platform_create: u8,
    pub platform_access: u8,
    /// `dwReserved1`, `dwReserved2`: a creator writes 0; Outlook keeps its own values there.
    pub reserved1: u32,
    pub reserved2: u32,
    pub bid_unused: u64,
    /// `bidNextP`: the next page BID.
    pub next_page_bid: u64,
    /// `dwUnique`: bumped on every header write; also the source of table row versions.
    pub unique: u32,
    /// `rgnid[32]`: per NID type, the last index handed out.
    pub rgnid: [u32; 32],
    pub qw_unused: u64,
    pub root: Root,
    /// `dwAlign`.
    pub align: u32,
    /// `rgbFM`: the FMap bytes of the first 128 AMaps (see `amap::initial_fmap`).
    pub rgb_fm: [u8; 128],
    /// `rgbFP`: the FPMap bits of the first 1024 PMaps; 0xFF throughout, as every PMap we
    /// write is full.
    pub rgb_fp: [u8; 128],
    /// `bSentinel`.
    pub sentinel: u8,
    /// `bCryptMethod`.
    pub crypt_method: u8,
    /// `rgbReserved`.
    pub reserved3: u16,
    /// `bidNextB`: the next block BID.
    pub next_block_bid: u64,
    /// `rgbReserved2`, `bReserved`, `rgbReserved3` (36 bytes after `dwCRCFull`).
    pub reserved_tail: [u8; 36],
}

impl Header {
    /// A header with the constants and seed values a new Unicode PST carries; the caller fills in
    /// the counters and the ROOT.
    pub fn new_unicode() -> Header {
        Header {
            magic: MAGIC,
            magic_client: MAGIC_CLIENT,
            version: VERSION_UNICODE,
            client_version: VERSION_CLIENT,
            platform_create: PLATFORM,
            platform_access: PLATFORM,
            reserved1: 0,
            reserved2: 0,
            bid_unused: BID_UNUSED_SEED,
            next_page_bid: 0,
            unique: 0,
            rgnid: [0; 32],
            qw_unused: 0,
            root: Root {
                amap_valid: AMAP_VALID2,
                ..Root::default()
            },
            align: 0,
            rgb_fm: [0xFF; 128],
            rgb_fp: [0xFF; 128],
            sentinel: SENTINEL,
            crypt_method: CRYPT_PERMUTE,
            reserved3: 0,
            next_block_bid: 0,
            reserved_tail: [0; 36],
        }
    }

    /// The header's bytes, with both CRCs computed over the final fields.
    pub fn encode(&self) -> [u8; HEADER_SIZE] {
        let mut buf = [0u8; HEADER_SIZE];
        buf[0x000..0x004].copy_from_slice(&self.magic);
        put_u16(&mut buf, 0x008, self.magic_client);
        put_u16(&mut buf, 0x00A, self.version);
        put_u16(&mut buf, 0x00C, self.client_version);
        buf[0x00E] = self.platform_create;
        buf[0x00F] = self.platform_access;
        put_u32(&mut buf, 0x010, self.reserved1);
        put_u32(&mut buf, 0x014, self.reserved2);
        put_u64(&mut buf, 0x018, self.bid_unused);
        put_u64(&mut buf, 0x020, self.next_page_bid);
        put_u32(&mut buf, 0x028, self.unique);
        for (i, nid) in self.rgnid.iter().enumerate() {
            put_u32(&mut buf, 0x02C + 4 * i, *nid);
        }
        put_u64(&mut buf, 0x0AC, self.qw_unused);
        let root = &self.root;
        put_u32(&mut buf, 0x0B4, root.reserved);
        put_u64(&mut buf, 0x0B8, root.file_eof);
        put_u64(&mut buf, 0x0C0, root.amap_last);
        put_u64(&mut buf, 0x0C8, root.amap_free);
        put_u64(&mut buf, 0x0D0, root.pmap_free);
        root.nbt.encode(&mut buf, 0x0D8);
        root.bbt.encode(&mut buf, 0x0E8);
        buf[0x0F8] = root.amap_valid;
        buf[0x0F9] = root.reserved_byte;
        put_u16(&mut buf, 0x0FA, root.reserved_word);
        put_u32(&mut buf, 0x0FC, self.align);
        buf[0x100..0x180].copy_from_slice(&self.rgb_fm);
        buf[0x180..0x200].copy_from_slice(&self.rgb_fp);
        buf[0x200] = self.sentinel;
        buf[0x201] = self.crypt_method;
        put_u16(&mut buf, 0x202, self.reserved3);
        put_u64(&mut buf, 0x204, self.next_block_bid);
        buf[0x210..0x234].copy_from_slice(&self.reserved_tail);
        let (partial, full) = computed_crcs(&buf);
        put_u32(&mut buf, 0x004, partial);
        put_u32(&mut buf, 0x20C, full);
        buf
    }

    /// Every field of a stored header, checked for nothing (see [`stored_crcs`] and
    /// [`Header::constant_problems`]).
    pub fn decode(buf: &[u8; HEADER_SIZE]) -> Header {
        let mut rgnid = [0u32; 32];
        for (i, nid) in rgnid.iter_mut().enumerate() {
            *nid = u32_at(buf, 0x02C + 4 * i);
        }
        let mut magic = [0; 4];
        magic.copy_from_slice(&buf[0x000..0x004]);
        let mut rgb_fm = [0; 128];
        rgb_fm.copy_from_slice(&buf[0x100..0x180]);
        let mut rgb_fp = [0; 128];
        rgb_fp.copy_from_slice(&buf[0x180..0x200]);
        let mut reserved_tail = [0; 36];
        reserved_tail.copy_from_slice(&buf[0x210..0x234]);
        Header {
            magic,
            magic_client: u16_at(buf, 0x008),
            version: u16_at(buf, 0x00A),
            client_version: u16_at(buf, 0x00C),
            platform_create: buf[0x00E],
            platform_access: buf[0x00F],
            reserved1: u32_at(buf, 0x010),
            reserved2: u32_at(buf, 0x014),
            bid_unused: u64_at(buf, 0x018),
            next_page_bid: u64_at(buf, 0x020),
            unique: u32_at(buf, 0x028),
            rgnid,
            qw_unused: u64_at(buf, 0x0AC),
            root: Root {
                reserved: u32_at(buf, 0x0B4),
                file_eof: u64_at(buf, 0x0B8),
                amap_last: u64_at(buf, 0x0C0),
                amap_free: u64_at(buf, 0x0C8),
                pmap_free: u64_at(buf, 0x0D0),
                nbt: BRef::decode(buf, 0x0D8),
                bbt: BRef::decode(buf, 0x0E8),
                amap_valid: buf[0x0F8],
                reserved_byte: buf[0x0F9],
                reserved_word: u16_at(buf, 0x0FA),
            },
            align: u32_at(buf, 0x0FC),
            rgb_fm,
            rgb_fp,
            sentinel: buf[0x200],
            crypt_method: buf[0x201],
            reserved3: u16_at(buf, 0x202),
            next_block_bid: u64_at(buf, 0x204),
            reserved_tail,
        }
    }

    /// Fields that differ from what a Unicode PST must hold, as (field, value found). The ROOT's
    /// sizes and references and `rgbFM` are checked against the file elsewhere.
    pub fn constant_problems(&self) -> Vec<(&'static str, u64)> {
        let mut problems = Vec::new();
        let mut check = |field: &'static str, ok: bool, value: u64| {
            if !ok {
                problems.push((field, value));
            }
        };
        check(
            "dwMagic",
            self.magic == MAGIC,
            u64::from(u32::from_le_bytes(self.magic)),
        );
        check(
            "wMagicClient",
            self.magic_client == MAGIC_CLIENT,
            self.magic_client.into(),
        );
        check("wVer", self.version == VERSION_UNICODE, self.version.into());
        check(
            "wVerClient",
            self.client_version == VERSION_CLIENT,
            self.client_version.into(),
        );
        check(
            "bPlatformCreate",
            self.platform_create == PLATFORM,
            self.platform_create.into(),
        );
        check(
            "bPlatformAccess",
            self.platform_access == PLATFORM,
            self.platform_access.into(),
        );
        check("dwAlign", self.align == 0, self.align.into());
        check("bSentinel", self.sentinel == SENTINEL, self.sentinel.into());
        check(
            "bCryptMethod",
            matches!(self.crypt_method, CRYPT_NONE | CRYPT_PERMUTE),
            self.crypt_method.into(),
        );
        check("rgbReserved", self.reserved3 == 0, self.reserved3.into());
        check(
            "fAMapValid",
            self.root.amap_valid == AMAP_VALID2,
            self.root.amap_valid.into(),
        );
        if let Some(byte) = self.rgb_fp.iter().find(|b| **b != 0xFF) {
            check("rgbFP", false, (*byte).into());
        }
        problems
    }
}

/// The CRCs stored in a header: (`dwCRCPartial`, `dwCRCFull`).
pub fn stored_crcs(buf: &[u8; HEADER_SIZE]) -> (u32, u32) {
    (u32_at(buf, 0x004), u32_at(buf, 0x20C))
}

/// The CRCs a header's bytes call for: (`dwCRCPartial`, `dwCRCFull`).
pub fn computed_crcs(buf: &[u8; HEADER_SIZE]) -> (u32, u32) {
    (crc(&buf[CRC_PARTIAL_RANGE]), crc(&buf[CRC_FULL_RANGE]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header of `Empty.pst`, the fresh store Outlook wrote that ships with the `outlook-pst`
    /// crate, field by field from its hex dump.
    fn outlook_empty_pst() -> Header {
        let mut rgnid = [0x400; 32];
        rgnid[0x02] = 0x404;
        rgnid[0x03] = 0x4000;
        rgnid[0x04] = 0x10000;
        rgnid[0x08] = 0x8000;
        rgnid[0x0D] = 0x404;
        rgnid[0x0E] = 0x404;
        rgnid[0x0F] = 0x404;
        let mut reserved_tail = [0; 36];
        reserved_tail[0] = 0x39;
        reserved_tail[1] = 0x77;
        Header {
            reserved1: 0x1F10,
            reserved2: 0x06CC_7715,
            bid_unused: 0,
            next_page_bid: 0x17F,
            unique: 0x16,
            rgnid,
            root: Root {
                file_eof: 0x42400,
                amap_last: 0x4400,
                amap_free: 0x3AD40,
                pmap_free: 0,
                nbt: BRef {
                    bid: 0x17D,
                    ib: 0x9200,
                },
                bbt: BRef {
                    bid: 0x17B,
                    ib: 0x8400,
                },
                amap_valid: AMAP_VALID2,
                ..Root::default()
            },
            next_block_bid: 0x130,
            reserved_tail,
            ..Header::new_unicode()
        }
    }

    #[test]
    fn encodes_outlook_header_with_its_crcs() {
        let bytes = outlook_empty_pst().encode();
        assert_eq!(stored_crcs(&bytes), (0x77BB_FE83, 0xF030_4BC1));
        assert_eq!(
            bytes[..0x30],
            [
                0x21, 0x42, 0x44, 0x4E, 0x83, 0xFE, 0xBB, 0x77, 0x53, 0x4D, 0x17, 0x00, 0x13, 0x00,
                0x01, 0x01, 0x10, 0x1F, 0x00, 0x00, 0x15, 0x77, 0xCC, 0x06, 0x00, 0x00, 0x00, 0x00,
                0x00, 0x00, 0x00, 0x00, 0x7F, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x16, 0x00,
                0x00, 0x00, 0x00, 0x04, 0x00, 0x00,
            ]
        );
        assert_eq!(
            bytes[0xB0..0x100],
            [
                0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x24, 0x04, 0, 0, 0, 0, 0, //
                0x00, 0x44, 0, 0, 0, 0, 0, 0, 0x40, 0xAD, 0x03, 0, 0, 0, 0, 0, //
                0, 0, 0, 0, 0, 0, 0, 0, 0x7D, 0x01, 0, 0, 0, 0, 0, 0, //
                0x00, 0x92, 0, 0, 0, 0, 0, 0, 0x7B, 0x01, 0, 0, 0, 0, 0, 0, //
                0x00, 0x84, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0,
            ]
        );
        assert_eq!(
            bytes[0x200..0x214],
            [
                0x80, 0x01, 0x00, 0x00, 0x30, 0x01, 0, 0, 0, 0, 0, 0, 0xC1, 0x4B, 0x30, 0xF0, 0x39,
                0x77, 0x00, 0x00,
            ]
        );
        assert!(bytes[0x100..0x200].iter().all(|b| *b == 0xFF));
    }

    #[test]
    fn decode_reverses_encode() {
        let header = outlook_empty_pst();
        let bytes = header.encode();
        assert_eq!(Header::decode(&bytes), header);
        assert_eq!(computed_crcs(&bytes), stored_crcs(&bytes));
        assert!(header.constant_problems().is_empty());
    }

    #[test]
    fn a_changed_byte_breaks_the_crcs() {
        let mut bytes = outlook_empty_pst().encode();
        bytes[0x1FF] = 0x00; // inside the full CRC's range only
        let (partial, full) = computed_crcs(&bytes);
        assert_eq!(partial, 0x77BB_FE83);
        assert_ne!(full, 0xF030_4BC1);
    }

    #[test]
    fn names_the_wrong_constants() {
        let header = Header {
            version: 14,
            sentinel: 0,
            ..Header::new_unicode()
        };
        assert_eq!(
            header.constant_problems(),
            vec![("wVer", 14), ("bSentinel", 0)]
        );
    }
}
