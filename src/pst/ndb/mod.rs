//! [NDB layer](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/9d2083cf-fd37-4a0d-b61a-d2ef10a89a04)
//! (MS-PST 2.2): the file as nodes and blocks. The header, pages, blocks, B-trees and allocation
//! maps, written in one pass: blocks stream to disk as they come, the B-trees, maps and header
//! are written last.

mod error;
mod ids;

pub use error::Error;
pub use ids::{Bid, Nid, NidType, special};
