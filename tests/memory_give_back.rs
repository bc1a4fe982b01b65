//! `engine::give_back_free_memory` returns to the system what glibc keeps in its heaps after
//! it is freed. In a test binary of its own: the heaps of a process that runs nothing else are
//! laid out as the test lays them out (the other tests of a binary leave free memory of their
//! own in the heaps, which the allocator hands out again anywhere).
#![cfg(all(target_os = "linux", target_env = "gnu"))]

use mail2pst::engine::give_back_free_memory;

const PAGE: usize = 4096;

/// How many of the whole pages within `ranges` are resident.
#[allow(unsafe_code)]
fn resident_pages(ranges: &[(usize, usize)]) -> usize {
    let mut resident = 0;
    for &(start, end) in ranges {
        let first = start.div_ceil(PAGE) * PAGE;
        let last = end / PAGE * PAGE;
        if last <= first {
            continue;
        }
        let mut flags = vec![0u8; (last - first) / PAGE];
        // SAFETY: mincore only reads the page tables of this range of this process's address
        // space (its heap, mapped still) and writes one byte per page into `flags`.
        let done =
            unsafe { libc::mincore(first as *mut libc::c_void, last - first, flags.as_mut_ptr()) };
        assert_eq!(done, 0, "mincore refused the range");
        resident += flags.iter().filter(|flag| *flag & 1 == 1).count();
    }
    resident
}

#[test]
fn memory_freed_between_live_allocations_leaves_the_process() {
    // 48 MiB in pieces of 64 KiB, each followed by a small piece that stays: freeing the large
    // ones leaves holes the heap cannot shrink past, as a job's freed mail is left between what
    // it still holds. Only the pages of those holes are counted.
    let mut held = Vec::new();
    let mut freed = Vec::new();
    for i in 0..768 {
        freed.push(vec![i as u8; 64 * 1024]);
        held.push(vec![i as u8; 16]);
    }
    let holes: Vec<(usize, usize)> = freed
        .iter()
        .map(|piece| {
            (
                piece.as_ptr() as usize,
                piece.as_ptr() as usize + piece.len(),
            )
        })
        .collect();
    // Allocations nothing reads could be left out by the compiler.
    drop(std::hint::black_box(freed));
    let before = resident_pages(&holes);
    give_back_free_memory();
    let after = resident_pages(&holes);
    drop(std::hint::black_box(held));
    assert!(
        before > 4096,
        "the freed pieces were given back without asking ({before} pages resident)"
    );
    assert!(
        after < before / 8,
        "{after} of {before} pages of freed memory are still resident"
    );
}
