//! [CRC calculation](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/39c35207-130f-4d83-96f8-2b311a285a8f)
//! (MS-PST 5.3): the checksum of the header, every page and every block.
//!
//! The spec's CRC is the reflected CRC-32 (zlib's table) started at 0 and not inverted at the
//! end. `crc32fast` computes the usual CRC-32, which starts at and ends with an inversion; starting
//! it at `0xFFFF_FFFF` and inverting its result cancels both, with its SIMD speed intact.

/// The PST CRC of `data`.
pub fn crc(data: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new_with_initial(0xFFFF_FFFF);
    hasher.update(data);
    !hasher.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_value_of_the_spec_crc() {
        // The check value of CRC-32 with init 0 and no final xor ("CRC-32/JAMCRC" inverted).
        assert_eq!(crc(b"123456789"), 0x2DFD_2D88);
    }

    #[test]
    fn zero_bytes_have_crc_zero() {
        // An empty DList page body: its trailer in Outlook's files carries CRC 0.
        assert_eq!(crc(&[0; 496]), 0);
        assert_eq!(crc(&[]), 0);
    }

    #[test]
    fn differs_from_standard_crc32() {
        assert_ne!(crc(b"123456789"), crc32fast::hash(b"123456789"));
    }
}
