//! Memory a finished stretch of the job no longer needs goes back to the system.
//!
//! glibc keeps what is freed in its heaps for the next allocations: a heap shrinks only from its
//! top, and only by what exceeds the trim threshold (16 MiB, set in `main.rs`), so megabytes
//! freed below a live allocation stay resident. That suits a stretch of the job that allocates
//! alike message after message, not the step to a stretch that allocates otherwise. Once the
//! PST of a 2 GB mailbox was finished, its allocator held 78 MB, 2 MB of them in use, and the
//! read-back spread over that and kept 80 MB resident (45 MB now); a message larger than the
//! budget of mail in flight, converted alone, came on top of what the messages before it had
//! freed. Peaks (`scripts/bench.sh`'s mailboxes, five runs): 2 GB 86-89 MB before, 77-82 MB
//! now; 0.25 GB 74-91 MB before, 68-86 MB now. What is given back is taken again with page
//! faults: 160,000-190,000 for the 2 GB mailbox instead of 115,000-130,000.

/// Gives the memory the allocator holds free back to the system: at the end of a stretch of
/// the job, and before a message larger than the budget of mail in flight is converted alone.
/// Costs a pass over the allocator's free lists, a millisecond or two.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub(crate) fn give_back_free_memory() {
    // SAFETY: malloc_trim only returns free memory to the system; it is safe to call from any
    // thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Other allocators give free memory back on their own.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn give_back_free_memory() {}

#[cfg(test)]
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

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
            // SAFETY: mincore only reads the page tables of this range of this process's
            // address space (its heap, mapped still) and writes one byte per page into `flags`.
            let done = unsafe {
                libc::mincore(first as *mut libc::c_void, last - first, flags.as_mut_ptr())
            };
            assert_eq!(done, 0, "mincore refused the range");
            resident += flags.iter().filter(|flag| *flag & 1 == 1).count();
        }
        resident
    }

    #[test]
    fn memory_freed_between_live_allocations_leaves_the_process() {
        // 48 MiB in pieces of 64 KiB, each followed by a small piece that stays: freeing the
        // large ones leaves holes the heap cannot shrink past, as a job's freed mail is left
        // between what it still holds. Only the pages of those holes are counted, so the other
        // tests, which run beside this one, do not count.
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
}
