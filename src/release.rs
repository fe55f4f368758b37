//! Handing freed memory back to the system while a file of many megabytes is worked on.
//!
//! The binary's allocator keeps what a run frees, the fast choice for the many small
//! allocations of ordinary paragraphs (see `main.rs`). A file of many megabytes frees
//! blocks of its own size (its decoded text, the paragraph that held a page-long line),
//! and kept, they add their size to the peak. The binary sets a hook that makes the
//! allocator return freed memory while such a file is in hand ([`Big`]), and keep it
//! again afterwards; ordinary corpora never pay for it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// A file at least this large is worked on with freed memory handed back.
pub const BIG_BYTES: u64 = 16 << 20;

/// `hook(true)`: hand freed memory back from now on; `hook(false)`: keep it again.
static HOOK: OnceLock<fn(bool)> = OnceLock::new();
/// Big files in hand, and a lock that orders the hook's calls.
static IN_HAND: Mutex<usize> = Mutex::new(0);
/// How often the hook was turned on (for tests).
static TURNED_ON: AtomicUsize = AtomicUsize::new(0);

/// Set the hook (once; later calls are ignored).
pub fn set_hook(f: fn(bool)) {
    let _ = HOOK.set(f);
}

/// Freed memory goes back to the system while one of these lives.
pub struct Big(bool);

impl Big {
    /// For a file of `bytes`: in effect only when the file is big.
    pub fn new(bytes: u64) -> Big {
        if bytes < BIG_BYTES {
            return Big(false);
        }
        let mut n = IN_HAND.lock().unwrap_or_else(|e| e.into_inner());
        *n += 1;
        if *n == 1 {
            TURNED_ON.fetch_add(1, Ordering::Relaxed);
            if let Some(f) = HOOK.get() {
                f(true);
            }
        }
        Big(true)
    }
}

impl Drop for Big {
    fn drop(&mut self) {
        if !self.0 {
            return;
        }
        let mut n = IN_HAND.lock().unwrap_or_else(|e| e.into_inner());
        *n -= 1;
        if *n == 0 {
            if let Some(f) = HOOK.get() {
                f(false);
            }
        }
    }
}

/// How often freed memory was handed back since the process started.
pub fn turned_on() -> usize {
    TURNED_ON.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_big_files_turn_it_on_and_nesting_turns_it_on_once() {
        let before = turned_on();
        drop(Big::new(1 << 20));
        assert_eq!(turned_on(), before);
        {
            let _a = Big::new(BIG_BYTES);
            let _b = Big::new(BIG_BYTES * 2);
        }
        // Other tests may run big files at the same time: at least one more.
        assert!(turned_on() > before);
        assert_eq!(*IN_HAND.lock().unwrap(), 0);
    }
}
