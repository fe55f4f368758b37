//! The alignment kernels of verification: the best monotone alignment of two token
//! sequences in which a slot matches a run of nouns/numerals, its bit-parallel bounds,
//! and the banded, packed dynamic program (vectorised at run time).

use super::*;

/// Matched tokens of each side of the best alignment of `a` and `b`.
///
/// The common prefix and suffix match one to one and only the middle is aligned. When
/// neither middle holds a slot the best alignment is a longest common subsequence,
/// computed bit-parallel ([`lcs_len`], 64 cells per word operation); otherwise the
/// dynamic program of `align_reference` (the tests' definition) runs on packed scores
/// over a ring of rows.
pub fn align(a: &[u32], b: &[u32]) -> (usize, usize) {
    align_above(a, b, None)
}

/// [`align`], given `total_lo`, a lower bound of its total (matched tokens of both
/// sides), such as [`Bounds::total_lo`]: the higher the bound, the narrower the band of
/// the dynamic program (see [`align_slots`]). `None`: twice the plain LCS.
pub(super) fn align_above(a: &[u32], b: &[u32], total_lo: Option<usize>) -> (usize, usize) {
    let (fixed, a, b) = strip_common(a, b);
    if a.is_empty() || b.is_empty() {
        return (fixed, fixed);
    }
    if !a.iter().chain(b).any(|&t| is_slot_token(t)) {
        let l = lcs_len(a, b);
        return (fixed + l, fixed + l);
    }
    let lo = match total_lo {
        Some(t) => t.saturating_sub(2 * fixed),
        None => 2 * lcs_len(a, b),
    };
    let (ma, mb) = align_slots(a, b, lo);
    (fixed + ma, fixed + mb)
}

/// Length of the common prefix plus suffix, and the two middles.
pub(super) fn strip_common<'a>(a: &'a [u32], b: &'a [u32]) -> (usize, &'a [u32], &'a [u32]) {
    let pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a2, b2) = (&a[pre..], &b[pre..]);
    let suf = a2
        .iter()
        .rev()
        .zip(b2.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    (pre + suf, &a2[..a2.len() - suf], &b2[..b2.len() - suf])
}

/// Tokens a slot may stand for at most.
pub(super) fn run(slot: u32) -> usize {
    if slot == NAME_TOKEN {
        NAME_RUN
    } else {
        NUM_RUN
    }
}

/// What a slot may stand for: a name slot for nouns, a number slot for numerals (a
/// kind-per-mask slot of `--fold masks` for either).
pub(super) fn fits(slot: u32, t: u32) -> bool {
    !is_slot_token(t)
        && match slot {
            NAME_TOKEN => t & NAMEABLE != 0,
            crate::fingerprint::NUM_TOKEN => t & NUMERIC != 0,
            _ => t & (NAMEABLE | NUMERIC) != 0,
        }
}

/// Longest common subsequence of `a` and `b`, bit-parallel over `b` (Allison and Dix
/// 1986, in Hyyrö's 2004 form): one bit per position of `b`, `V' = (V + (V & M)) |
/// (V & !M)` per token of `a`, and the LCS is the number of zero bits left.
pub fn lcs_len(a: &[u32], b: &[u32]) -> usize {
    LcsTable::new(b, false).lcs(a, false)
}

/// Match masks of `b` for the bit-parallel LCS.
pub(super) struct LcsTable {
    len: usize,
    words: usize,
    /// Distinct tokens of `b`, and for each the bit set of its positions.
    toks: Vec<u32>,
    masks: Vec<u64>,
    /// Open addressing over `toks`: 1 + the index of a token, 0 for an empty slot.
    slots: Vec<u32>,
    /// `32 - log2(slots.len())`: a token's home slot is its Fibonacci hash shifted.
    shift: u32,
    /// With wildcards: positions of `b` that each slot kind fits (noun, numeral,
    /// either), and positions of `b`'s name, number and other slots.
    extra: Vec<u64>,
}

/// One slot token of each kind (name, number, other), to ask [`fits`] what a kind may
/// stand for. Masks `extra[k]` hold the positions of `b` that a slot of kind `k` fits;
/// masks `extra[SLOT_KINDS + k]` hold the positions of `b`'s slots of kind `k`.
pub(super) const SLOT_OF_KIND: [u32; 3] = [NAME_TOKEN, crate::fingerprint::NUM_TOKEN, 3];
pub(super) const SLOT_KINDS: usize = SLOT_OF_KIND.len();

/// The kind (index into [`SLOT_OF_KIND`]) of a slot token.
pub(super) fn slot_kind(slot: u32) -> usize {
    SLOT_OF_KIND
        .iter()
        .position(|&s| s == slot)
        .unwrap_or(SLOT_KINDS - 1)
}

impl LcsTable {
    fn new(b: &[u32], wildcard: bool) -> Self {
        let words = b.len().div_ceil(64);
        // At most half full, so a probe ends after a slot or two.
        let cap = (2 * b.len()).next_power_of_two().max(4);
        let mut t = LcsTable {
            len: b.len(),
            words,
            toks: Vec::new(),
            masks: Vec::new(),
            slots: vec![0; cap],
            shift: 32 - cap.trailing_zeros(),
            extra: Vec::new(),
        };
        for (j, &x) in b.iter().enumerate() {
            let ti = match t.probe(x) {
                Ok(ti) => ti,
                Err(slot) => {
                    t.toks.push(x);
                    t.masks.resize(t.masks.len() + words, 0);
                    t.slots[slot] = t.toks.len() as u32;
                    t.toks.len() - 1
                }
            };
            t.masks[ti * words + j / 64] |= 1 << (j % 64);
        }
        let mut extra = Vec::new();
        if wildcard {
            extra.resize(2 * SLOT_KINDS * words, 0u64);
            for (j, &t) in b.iter().enumerate() {
                let bit = 1u64 << (j % 64);
                if is_slot_token(t) {
                    extra[(SLOT_KINDS + slot_kind(t)) * words + j / 64] |= bit;
                } else {
                    for (k, &slot) in SLOT_OF_KIND.iter().enumerate() {
                        if fits(slot, t) {
                            extra[k * words + j / 64] |= bit;
                        }
                    }
                }
            }
        }
        t.extra = extra;
        t
    }

    /// The index of token `x` in `toks`, or the empty slot where it would go.
    #[inline]
    fn probe(&self, x: u32) -> Result<usize, usize> {
        let mask = self.slots.len() - 1;
        let mut i = (x.wrapping_mul(0x9E37_79B1) >> self.shift) as usize;
        loop {
            match self.slots[i] {
                0 => return Err(i),
                s if self.toks[s as usize - 1] == x => return Ok(s as usize - 1),
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// The LCS of `a` with this table's sequence; with `wildcard` (the table must be
    /// built with it) a slot also matches one token of the other side that it may
    /// stand for (see [`fits`]).
    fn lcs(&self, a: &[u32], wildcard: bool) -> usize {
        let words = self.words;
        let mut v = vec![u64::MAX; words];
        let mut m = vec![0u64; words];
        for &x in a {
            let eq = self
                .probe(x)
                .ok()
                .map(|ti| &self.masks[ti * words..(ti + 1) * words]);
            if !wildcard {
                if let Some(e) = eq {
                    lcs_step(&mut v, e);
                }
                continue;
            }
            // A slot matches what its kind fits; a token matches the slots that fit it.
            let mut parts: [Option<usize>; SLOT_KINDS] = [None; SLOT_KINDS];
            if is_slot_token(x) {
                parts[0] = Some(slot_kind(x));
            } else {
                for (k, &slot) in SLOT_OF_KIND.iter().enumerate() {
                    if fits(slot, x) {
                        parts[k] = Some(SLOT_KINDS + k);
                    }
                }
            }
            if eq.is_none() && parts.iter().all(Option::is_none) {
                continue;
            }
            match eq {
                Some(e) => m.copy_from_slice(e),
                None => m.fill(0),
            }
            for p in parts.into_iter().flatten() {
                for (mw, &xw) in m.iter_mut().zip(&self.extra[p * words..(p + 1) * words]) {
                    *mw |= xw;
                }
            }
            lcs_step(&mut v, &m);
        }
        let tail = words * 64 - self.len;
        self.len + tail - v.iter().map(|w| w.count_ones() as usize).sum::<usize>()
    }
}

/// One row of the bit-parallel LCS: `V' = (V + (V & M)) | (V & !M)` over all words.
#[inline]
pub(super) fn lcs_step(v: &mut [u64], m: &[u64]) {
    let mut carry = 0u64;
    for (vw, &mw) in v.iter_mut().zip(m) {
        let u = *vw & mw;
        let (s1, c1) = vw.overflowing_add(u);
        let (s2, c2) = s1.overflowing_add(carry);
        carry = (c1 | c2) as u64;
        *vw = s2 | (*vw & !mw);
    }
}

/// Cheap bounds on the best alignment of `a` and `b`, without the dynamic program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// A lower bound of matched tokens of both sides (twice the wildcard LCS).
    pub total_lo: usize,
    /// Upper bounds of matched tokens: both sides, of `a`, of `b`.
    pub total_hi: usize,
    pub a_hi: usize,
    pub b_hi: usize,
    /// Neither middle holds a slot: the plain LCS is the alignment, and the bounds
    /// are its exact counts.
    pub exact: bool,
}

/// Tokens of the other side that the slots of `s` may stand for beyond one each.
pub(super) fn spare(s: &[u32]) -> usize {
    s.iter()
        .filter(|&&t| is_slot_token(t))
        .map(|&t| run(t) - 1)
        .sum()
}

/// Bounds from one bit-parallel LCS run in which a slot also matches one token that
/// it may stand for (a wildcard LCS). That is an alignment (each slot standing for
/// one token), so twice it is a lower bound of the total. Collapsing each slot run of
/// the best alignment to one wildcard match gives a wildcard alignment, which loses at
/// most `run - 1` tokens per slot; so the wildcard LCS plus those losses bounds the
/// total (and each side) from above.
pub fn bounds(a: &[u32], b: &[u32]) -> Bounds {
    let (fixed, ma, mb) = strip_common(a, b);
    let (spare_a, spare_b) = (spare(ma), spare(mb));
    let wildcard = spare_a + spare_b > 0;
    let table = LcsTable::new(mb, wildcard);
    // The wildcard LCS is an alignment too (a slot standing for one token), so it is
    // both the lower bound and, with the spares, the upper.
    let lcs = table.lcs(ma, wildcard);
    Bounds {
        total_lo: 2 * (fixed + lcs),
        total_hi: (2 * (fixed + lcs) + spare_a + spare_b).min(a.len() + b.len()),
        a_hi: (fixed + lcs + spare_b).min(a.len()),
        b_hi: (fixed + lcs + spare_a).min(b.len()),
        exact: !wildcard,
    }
}

/// Score `(total matched, matched in a)` packed in one word, so the lexicographic best
/// of the reference is a plain `max`: total in the high half, matched in `a` in the low.
/// `u32` (16 + 16 bits, twice the lanes per vector) when both middles together hold
/// fewer than 2^16 tokens, else `u64`.
pub(super) trait Packed: Copy + Ord + Default + std::ops::Add<Output = Self> {
    const HALF: u32;
    fn pack(total: usize, in_a: usize) -> Self;
    /// `(total, in_a)`.
    fn unpack(self) -> (usize, usize);
}

/// `Packed` for an unsigned word of `2 * half` bits.
macro_rules! packed {
    ($t:ty, $half:expr) => {
        impl Packed for $t {
            const HALF: u32 = $half;
            #[inline(always)]
            fn pack(total: usize, in_a: usize) -> $t {
                ((total as $t) << $half) | in_a as $t
            }
            #[inline(always)]
            fn unpack(self) -> (usize, usize) {
                (
                    (self >> $half) as usize,
                    (self & ((1 << $half) - 1)) as usize,
                )
            }
        }
    };
}
packed!(u32, 16);
packed!(u64, 32);

/// The slot-aware dynamic program of `align_reference` (in the tests) on non-empty
/// middles, row by row over a ring of the last `max run + 1` rows, each score packed
/// into a word ([`Packed`]).
///
/// A cell's best is the max of its left neighbour and of terms that read earlier rows
/// only (up, diagonal match, slot runs). So each row first takes those terms, in a loop
/// without a carried dependency that the compiler vectorises, then a running max
/// supplies the left neighbour; slot terms touch only the cells next to a slot.
///
/// Only a band of diagonals is computed, from `lo`, a lower bound of the total (twice
/// the plain LCS is one). With `u = n + m - lo`: a path reaches diagonal `j - i = d > 0`
/// only by skipping tokens of `b` (+1 each) or by slots of `a` standing for runs (+ at
/// most `spare(a)` in all), so a path that reaches `d > u + spare(a)` leaves more than `u`
/// tokens of `b` unmatched, and its total is below `lo`; likewise below the diagonal.
/// Every best path therefore lies in `-(u + spare(b)) <= d <= u + spare(a)`. Cells outside
/// the band are never written, so they hold 0 or a value of an earlier row of their
/// column, and those never exceed the true value of the cell read (the table only
/// grows along rows and columns): the band gives what the whole table gives.
pub(super) fn align_slots(a: &[u32], b: &[u32], lo: usize) -> (usize, usize) {
    if a.len() + b.len() < 1 << u32::HALF {
        align_slots_packed::<u32>(a, b, lo)
    } else {
        align_slots_packed::<u64>(a, b, lo)
    }
}

pub(super) fn align_slots_packed<S: Packed>(a: &[u32], b: &[u32], lo: usize) -> (usize, usize) {
    match Path::detect() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Path::detect` chose this path because the CPU has AVX-512F/BW/VL.
        Path::Avx512 => unsafe { align_slots_avx512::<S>(a, b, lo) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Path::detect` chose this path because the CPU has AVX2.
        Path::Avx2 => unsafe { align_slots_avx2::<S>(a, b, lo) },
        _ => align_slots_kernel::<S>(a, b, lo),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn align_slots_avx2<S: Packed>(a: &[u32], b: &[u32], lo: usize) -> (usize, usize) {
    align_slots_kernel::<S>(a, b, lo)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
unsafe fn align_slots_avx512<S: Packed>(a: &[u32], b: &[u32], lo: usize) -> (usize, usize) {
    align_slots_kernel::<S>(a, b, lo)
}

#[inline(always)]
pub(super) fn align_slots_kernel<S: Packed>(a: &[u32], b: &[u32], lo: usize) -> (usize, usize) {
    const ROWS: usize = if NAME_RUN > NUM_RUN {
        NAME_RUN
    } else {
        NUM_RUN
    } + 1;
    let (n, m) = (a.len(), b.len());
    let u = (n + m).saturating_sub(lo);
    // The band: row i computes columns i - below ..= i + above.
    let (below, above) = (u + spare(b), u + spare(a));
    let w = m + 1;
    let mut ring = vec![S::default(); ROWS * w];
    let mut cur = vec![S::default(); w];
    let b_slots: Vec<usize> = (0..m).filter(|&j| is_slot_token(b[j])).collect();
    // The band moves right row by row: b's slots before it are passed for good.
    let mut slots_from = 0;
    for i in 1..=n {
        let (j0, j1) = (i.saturating_sub(below).max(1), (i + above).min(m));
        let x = a[i - 1];
        let prev = &ring[((i - 1) % ROWS) * w..][..w];
        // Up and diagonal terms.
        for ((c, (&up, &diag)), &y) in cur[j0..=j1]
            .iter_mut()
            .zip(prev[j0..=j1].iter().zip(&prev[j0 - 1..j1]))
            .zip(&b[j0 - 1..j1])
        {
            let d = if y == x {
                diag + S::pack(2, 1)
            } else {
                S::default()
            };
            *c = up.max(d);
        }
        if is_slot_token(x) {
            // x stands for b[j-k..j].
            for j in j0..=j1 {
                for k in 1..=run(x).min(j) {
                    if !fits(x, b[j - k]) {
                        break;
                    }
                    cur[j] = cur[j].max(prev[j - k] + S::pack(1 + k, 1));
                }
            }
        } else {
            while slots_from < b_slots.len() && b_slots[slots_from] + 1 < j0 {
                slots_from += 1;
            }
            for &jb in &b_slots[slots_from..] {
                if jb + 1 > j1 {
                    break;
                }
                // b[jb] stands for a[i-k..i].
                let y = b[jb];
                for k in 1..=run(y).min(i) {
                    if !fits(y, a[i - k]) {
                        break;
                    }
                    let earlier = ring[((i - k) % ROWS) * w + jb];
                    cur[jb + 1] = cur[jb + 1].max(earlier + S::pack(1 + k, k));
                }
            }
        }
        // Left neighbours: a running max along the row, carried in a register.
        let mut left = S::default();
        for c in cur[j0..=j1].iter_mut() {
            left = left.max(*c);
            *c = left;
        }
        ring[(i % ROWS) * w..][j0..=j1].copy_from_slice(&cur[j0..=j1]);
    }
    let (tot, ma) = cur[m].unpack();
    (ma, tot - ma)
}
