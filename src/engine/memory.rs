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
pub fn give_back_free_memory() {
    // SAFETY: malloc_trim only returns free memory to the system; it is safe to call from any
    // thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Other allocators give free memory back on their own.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn give_back_free_memory() {}
