//! Handing memory the run no longer holds back to the operating system.
//!
//! mimalloc (the binary's allocator) keeps freed memory for a while before
//! returning it, so that a stage that frees a large frame and the next stage
//! that allocates do not meet the kernel in between. At the few points where
//! a large history's run frees most of what it held just before the next
//! stage allocates again (see BENCHMARKS.md), that memory is handed back at
//! once, so the two stages' peaks do not add up.

/// Returns the memory freed so far to the operating system (mimalloc's
/// `mi_collect(true)`; nothing happens under another allocator).
pub fn hand_back() {
    // SAFETY: `mi_collect` takes no pointers and may be called from any
    // thread at any time.
    unsafe { libmimalloc_sys::mi_collect(true) }
}
