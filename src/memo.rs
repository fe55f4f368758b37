//! Bounded memo tables shared by all threads, keyed by a 128-bit hash of the input.
//!
//! Scraped corpora repeat themselves: the same speech is posted again and again, and
//! an edited copy keeps most of its sentences. The analyze phase memoises what is
//! costly to compute from a piece of text (a paragraph's fingerprint, a clause's jieba
//! words) under the xxh3-128 of that text, so a repeat is looked up instead of being
//! worked out again. What a lookup gives is what the work gives, so the output does
//! not depend on whether, or by which thread, an entry was found.
//!
//! A memo is split into shards behind their own locks, chosen by the high half of the
//! key; the low half indexes the shard's table. Memory is bounded: a shard that would
//! outgrow its share of the budget is emptied first, which keeps the bookkeeping to
//! one counter and still keeps what recurs often (it is soon found again).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Mutex, MutexGuard};

/// A hasher for keys that are already uniform hashes: it keeps the low 64 bits.
#[derive(Default)]
struct PreHashed(u64);

impl Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u128` is expected; fold anything else in so it still works.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u128(&mut self, k: u128) {
        self.0 = k as u64;
    }
}

struct Shard<V> {
    map: HashMap<u128, V, BuildHasherDefault<PreHashed>>,
    bytes: usize,
}

impl<V> Default for Shard<V> {
    fn default() -> Self {
        Shard {
            map: HashMap::default(),
            bytes: 0,
        }
    }
}

/// Lock a shard. A poisoned shard only means another thread panicked while holding it;
/// its entries are whole (each is inserted in one call), so they are still good.
fn lock<V>(s: &Mutex<Shard<V>>) -> MutexGuard<'_, Shard<V>> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

/// Values of type `V` by a 128-bit hash of what they were computed from, within a
/// memory budget.
pub struct Memo<V> {
    shards: Box<[Mutex<Shard<V>>]>,
    shard_bytes: usize,
}

impl<V> Memo<V> {
    /// A memo of `shards` shards (a power of two) holding about `bytes` in all, as
    /// counted by the sizes given to [`Memo::put`].
    pub fn new(shards: usize, bytes: usize) -> Memo<V> {
        assert!(shards.is_power_of_two(), "shard count {shards}");
        Memo {
            shards: (0..shards).map(|_| Mutex::default()).collect(),
            shard_bytes: bytes / shards,
        }
    }

    fn shard(&self, h: u128) -> MutexGuard<'_, Shard<V>> {
        lock(&self.shards[(h >> 64) as usize & (self.shards.len() - 1)])
    }

    /// `f` of the value under `h`, if there is one.
    pub fn get<R>(&self, h: u128, f: impl FnOnce(&V) -> R) -> Option<R> {
        self.shard(h).map.get(&h).map(f)
    }

    /// Keep `v` under `h`; `size` is what it costs, in bytes.
    pub fn put(&self, h: u128, v: V, size: usize) {
        let mut shard = self.shard(h);
        if shard.bytes + size > self.shard_bytes {
            *shard = Shard::default();
        }
        shard.bytes += size;
        shard.map.insert(h, v);
    }

    /// Forget everything (its memory is wanted elsewhere).
    pub fn clear(&self) {
        for s in self.shards.iter() {
            *lock(s) = Shard::default();
        }
    }

    /// Number of entries held.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).map.len()).sum()
    }

    /// Is it empty?
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_values_within_its_budget() {
        let m: Memo<u32> = Memo::new(4, 400);
        // Keys spread over the shards by their high half, and within a shard by the low.
        let key = |i: u32| (u128::from(i) << 64 | u128::from(i.wrapping_mul(2_654_435_761))) * 7;
        for i in 0..8 {
            m.put(key(i), i, 10);
        }
        for i in 0..8 {
            assert_eq!(m.get(key(i), |&v| v), Some(i));
        }
        assert_eq!(m.get(key(99), |&v| v), None);
        assert_eq!(m.len(), 8);
        m.clear();
        assert!(m.is_empty());
        // 100 bytes a shard: the eleventh entry of 10 bytes in one shard empties it.
        let same_shard = |i: u32| (1u128 << 64) | u128::from(i);
        for i in 0..10 {
            m.put(same_shard(i), i, 10);
        }
        assert_eq!(m.len(), 10);
        assert_eq!(m.get(same_shard(0), |&v| v), Some(0));
        m.put(same_shard(10), 10, 10);
        assert_eq!(m.get(same_shard(0), |&v| v), None);
        assert_eq!(m.get(same_shard(10), |&v| v), Some(10));
        assert_eq!(m.len(), 1);
    }
}
