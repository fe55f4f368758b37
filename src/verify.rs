//! The verification stage: is a candidate pair really two copies of one paragraph?
//!
//! Two measures on key tokens (see [`crate::fingerprint`]):
//!
//! - **Shingle Jaccard**, exact on the two shingle sets: the fast test. A pair at or
//!   above the threshold is a copy.
//! - **Mask-aware alignment**, for pairs below it: the best monotone alignment of the two
//!   token sequences in which equal tokens match and a slot token (a mask, or a folded
//!   name or number) matches any run of up to [`NAME_RUN`]/[`NUM_RUN`] nouns/numerals
//!   of the other copy, since a site's `XX` may stand for a name the tagger split into
//!   words. Two copies that both name something must name the same thing: their name
//!   tokens keep their own text here (they are folded only in shingles).
//!   Its score is Dice-like: matched tokens of both sides over all tokens of both.
//!   When one copy is a trimmed version of the other (a clause cut, the ending dropped),
//!   the shorter one's matched share is its *containment*; a pair whose containment
//!   reaches [`CONTAINMENT`] while the shorter copy keeps at least [`MIN_SHARE`] of the
//!   longer is a copy too, reported as containment.
//!
//! The similarity reported in `clusters.jsonl` is the alignment score (or containment),
//! computed between each member and its cluster's kept copy.

use crate::cluster::jaccard_sorted;
use crate::fingerprint::{folded, is_slot_token, NAMEABLE, NAME_TOKEN, NUMERIC};
use crate::minhash::Path;

/// Tokens a name slot may stand for.
pub const NAME_RUN: usize = 4;
/// Tokens a number slot may stand for.
pub const NUM_RUN: usize = 3;
/// Least alignment score that makes a copy, whatever `--threshold` says: the score
/// counts matched tokens, which is more lenient than shingle Jaccard (one changed word
/// costs one token, but up to n shingles), and a slot matches whatever stands in the
/// other copy.
pub const ALIGN_MIN: f64 = 0.85;
/// Containment at which a trimmed copy counts as a copy.
pub const CONTAINMENT: f64 = 0.9;
/// Shortest trimmed copy, as a share of the longer one's tokens.
pub const MIN_SHARE: f64 = 0.5;

/// How a pair was found to be copies, and how similar they are.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Verdict {
    pub similarity: f64,
    /// The shorter copy is contained in the longer (similarity is the containment).
    pub containment: bool,
}

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
fn align_above(a: &[u32], b: &[u32], total_lo: Option<usize>) -> (usize, usize) {
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
fn strip_common<'a>(a: &'a [u32], b: &'a [u32]) -> (usize, &'a [u32], &'a [u32]) {
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
fn run(slot: u32) -> usize {
    if slot == NAME_TOKEN {
        NAME_RUN
    } else {
        NUM_RUN
    }
}

/// What a slot may stand for: a name slot for nouns, a number slot for numerals (a
/// kind-per-mask slot of `--fold masks` for either).
fn fits(slot: u32, t: u32) -> bool {
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
struct LcsTable {
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
const SLOT_OF_KIND: [u32; 3] = [NAME_TOKEN, crate::fingerprint::NUM_TOKEN, 3];
const SLOT_KINDS: usize = SLOT_OF_KIND.len();

/// The kind (index into [`SLOT_OF_KIND`]) of a slot token.
fn slot_kind(slot: u32) -> usize {
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
fn lcs_step(v: &mut [u64], m: &[u64]) {
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
fn spare(s: &[u32]) -> usize {
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

/// What the bounds settle about a pair, before any dynamic program.
enum Settled {
    /// The bounds are the alignment itself (no slot involved, or equal sequences).
    Exact(Verdict),
    /// Even the lower bound is a copy (a lower bound of the total).
    Copy(usize),
    /// Not even the upper bound is a copy.
    NotCopy,
    /// Only the alignment can tell (a lower bound of the total).
    Open(usize),
}

fn settle(a: &[u32], b: &[u32], threshold: f64) -> Settled {
    if a == b {
        return Settled::Exact(Verdict {
            similarity: 1.0,
            containment: false,
        });
    }
    let bd = bounds(a, b);
    let (la, lb) = (a.len(), b.len());
    if bd.exact {
        return Settled::Exact(verdict(bd.total_lo, bd.a_hi, bd.b_hi, la, lb, threshold));
    }
    if accepts(verdict(bd.total_lo, 0, 0, la, lb, threshold), threshold) {
        return Settled::Copy(bd.total_lo);
    }
    if !accepts(
        verdict(bd.total_hi, bd.a_hi, bd.b_hi, la, lb, threshold),
        threshold,
    ) {
        return Settled::NotCopy;
    }
    Settled::Open(bd.total_lo)
}

/// What [`similarity`] plus [`accepts`] would decide, when the bounds settle it.
pub fn decided_by_bounds(a: &[u32], b: &[u32], threshold: f64) -> Option<bool> {
    match settle(a, b, threshold) {
        Settled::Exact(v) => Some(accepts(v, threshold)),
        Settled::Copy(_) => Some(true),
        Settled::NotCopy => Some(false),
        Settled::Open(_) => None,
    }
}

/// The verdict of [`similarity`] when [`accepts`] takes it, else `None`; the bounds
/// answer without the dynamic program where they can.
pub fn copy_verdict(a: &[u32], b: &[u32], threshold: f64) -> Option<Verdict> {
    if !dense_evidence(a, b, threshold) {
        return None;
    }
    let v = match settle(a, b, threshold) {
        Settled::Exact(v) => v,
        Settled::NotCopy => return None,
        Settled::Copy(lo) | Settled::Open(lo) => similarity_above(a, b, threshold, Some(lo)),
    };
    accepts(v, threshold).then_some(v)
}

/// Score `(total matched, matched in a)` packed in one word, so the lexicographic best
/// of the reference is a plain `max`: total in the high half, matched in `a` in the low.
/// `u32` (16 + 16 bits, twice the lanes per vector) when both middles together hold
/// fewer than 2^16 tokens, else `u64`.
trait Packed: Copy + Ord + Default + std::ops::Add<Output = Self> {
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
fn align_slots(a: &[u32], b: &[u32], lo: usize) -> (usize, usize) {
    if a.len() + b.len() < 1 << u32::HALF {
        align_slots_packed::<u32>(a, b, lo)
    } else {
        align_slots_packed::<u64>(a, b, lo)
    }
}

fn align_slots_packed<S: Packed>(a: &[u32], b: &[u32], lo: usize) -> (usize, usize) {
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
fn align_slots_kernel<S: Packed>(a: &[u32], b: &[u32], lo: usize) -> (usize, usize) {
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

/// The alignment score of `a` and `b`, and whether containment makes them copies at
/// `threshold`.
pub fn similarity(a: &[u32], b: &[u32], threshold: f64) -> Verdict {
    similarity_above(a, b, threshold, None)
}

/// [`similarity`], given a lower bound of the alignment's total (see [`align_above`]).
fn similarity_above(a: &[u32], b: &[u32], threshold: f64, total_lo: Option<usize>) -> Verdict {
    if a == b {
        return Verdict {
            similarity: 1.0,
            containment: false,
        };
    }
    let (ma, mb) = align_above(a, b, total_lo);
    verdict(ma + mb, ma, mb, a.len(), b.len(), threshold)
}

/// The verdict for `total` matched tokens of both sides (`ma` of `a`'s `la`, `mb` of
/// `b`'s `lb`): the Dice-like score, or containment when the score falls short but the
/// shorter copy is nearly all matched. Monotone in every count, so upper bounds give
/// an upper verdict.
fn verdict(total: usize, ma: usize, mb: usize, la: usize, lb: usize, threshold: f64) -> Verdict {
    let (la, lb) = (la.max(1), lb.max(1));
    let dice = total as f64 / (la + lb) as f64;
    if dice >= threshold.max(ALIGN_MIN) {
        return Verdict {
            similarity: dice,
            containment: false,
        };
    }
    let (m_short, l_short, l_long) = if la <= lb { (ma, la, lb) } else { (mb, lb, la) };
    let contained = m_short as f64 / l_short as f64;
    if contained >= CONTAINMENT && l_short as f64 >= MIN_SHARE * l_long as f64 {
        return Verdict {
            similarity: contained,
            containment: true,
        };
    }
    Verdict {
        similarity: dice,
        containment: false,
    }
}

/// Is the candidate pair a copy? Shingle Jaccard first, the alignment only below it,
/// and only when the sets share at least `floor` (a pair that shares almost nothing
/// cannot align well either).
pub fn is_copy(
    tokens: (&[u32], &[u32]),
    shingles: (&[u32], &[u32]),
    threshold: f64,
    floor: f64,
) -> bool {
    if !dense_evidence(tokens.0, tokens.1, threshold) {
        return false;
    }
    let j = jaccard_sorted(shingles.0, shingles.1);
    if j >= threshold {
        return true;
    }
    if j < floor {
        return false;
    }
    let (a, b) = tokens;
    match settle(a, b, threshold) {
        Settled::Exact(v) => accepts(v, threshold),
        Settled::Copy(_) => true,
        Settled::NotCopy => false,
        Settled::Open(lo) => accepts(similarity_above(a, b, threshold, Some(lo)), threshold),
    }
}

/// Share of slot-like tokens (masks, and names and numbers that shingles fold) from
/// which a paragraph is *mask-dense*.
pub const DENSE_SLOTS: f64 = 0.3;

/// The mask-dense rule: when either paragraph is mostly slots (a list of masked units,
/// `XX县评剧团、XX科协、…`), slots agreeing with whatever the other copy writes is no
/// evidence; the tokens both copies write out (words, and names and numbers in their
/// own text) must agree at `threshold`, as a Dice share of the two multisets. Pairs that
/// are not mask-dense pass.
pub fn dense_evidence(a: &[u32], b: &[u32], threshold: f64) -> bool {
    let slotlike = |t: &u32| is_slot_token(folded(*t));
    let dense = |x: &[u32]| {
        let n = x.iter().filter(|t| slotlike(t)).count();
        !x.is_empty() && n as f64 >= DENSE_SLOTS * x.len() as f64
    };
    if !dense(a) && !dense(b) {
        return true;
    }
    let own = |x: &[u32]| {
        let mut v: Vec<u32> = x.iter().copied().filter(|t| !is_slot_token(*t)).collect();
        v.sort_unstable();
        v
    };
    let (oa, ob) = (own(a), own(b));
    if oa.is_empty() && ob.is_empty() {
        // Nothing but slots on both sides: only an exact copy (same key) is one.
        return a == b;
    }
    let common = crate::cluster::common_sorted(&oa, &ob);
    2.0 * common as f64 >= threshold * (oa.len() + ob.len()) as f64
}

/// Does a verdict make a copy at `threshold`?
pub fn accepts(v: Verdict, threshold: f64) -> bool {
    v.containment || v.similarity >= threshold.max(ALIGN_MIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::NUM_TOKEN;
    use proptest::prelude::*;

    /// The definition [`align`] must equal: the full dynamic program, kept for tests.
    fn align_reference(a: &[u32], b: &[u32]) -> (usize, usize) {
        // Common prefix and suffix match one to one; align only the middle.
        let (fixed, a, b) = strip_common(a, b);
        if a.is_empty() || b.is_empty() {
            return (fixed, fixed);
        }
        let run = |t: u32| if t == NAME_TOKEN { NAME_RUN } else { NUM_RUN };
        // What a slot may stand for: a name slot for nouns, a number slot for numerals
        // (a kind-per-mask slot of `--fold masks` for either).
        let fits = |slot: u32, t: u32| {
            !is_slot_token(t)
                && match slot {
                    NAME_TOKEN => t & NAMEABLE != 0,
                    crate::fingerprint::NUM_TOKEN => t & NUMERIC != 0,
                    _ => t & (NAMEABLE | NUMERIC) != 0,
                }
        };
        let (n, m) = (a.len(), b.len());
        // dp[i][j]: (total matched, matched in a) for a[..i], b[..j]; rows kept whole
        // because a slot in `a` reaches back up to NAME_RUN rows.
        let w = m + 1;
        let mut dp = vec![(0u32, 0u32); (n + 1) * w];
        for i in 1..=n {
            for j in 1..=m {
                let (x, y) = (a[i - 1], b[j - 1]);
                let mut best = dp[(i - 1) * w + j].max(dp[i * w + j - 1]);
                if x == y {
                    let p = dp[(i - 1) * w + j - 1];
                    best = best.max((p.0 + 2, p.1 + 1));
                } else {
                    if is_slot_token(x) && !is_slot_token(y) {
                        // x stands for b[j-k..j].
                        for k in 1..=run(x).min(j) {
                            if !fits(x, b[j - k]) {
                                break;
                            }
                            let p = dp[(i - 1) * w + j - k];
                            best = best.max((p.0 + 1 + k as u32, p.1 + 1));
                        }
                    }
                    if is_slot_token(y) && !is_slot_token(x) {
                        // y stands for a[i-k..i].
                        for k in 1..=run(y).min(i) {
                            if !fits(y, a[i - k]) {
                                break;
                            }
                            let p = dp[(i - k) * w + j - 1];
                            best = best.max((p.0 + 1 + k as u32, p.1 + k as u32));
                        }
                    }
                }
                dp[i * w + j] = best;
            }
        }
        let (tot, ma) = dp[n * w + m];
        let mb = tot - ma;
        (fixed + ma as usize, fixed + mb as usize)
    }

    /// Tokens from a small alphabet (so copies share many), with slots and the
    /// name/number bits mixed in.
    fn tokens() -> impl Strategy<Value = Vec<u32>> {
        proptest::collection::vec(
            prop_oneof![
                3 => (8u32..40).prop_map(|t| t << 3 | (t % 4)),
                1 => Just(NAME_TOKEN),
                1 => Just(NUM_TOKEN),
                1 => 3u32..8,
            ],
            0..150,
        )
    }

    /// A sequence and an edited copy of it: tokens replaced by slots or other tokens,
    /// dropped, or inserted, so that many pairs sit near the acceptance bar.
    fn copy_pair() -> impl Strategy<Value = (Vec<u32>, Vec<u32>)> {
        (
            tokens(),
            proptest::collection::vec((0u8..8, 8u32..40), 0..160),
        )
            .prop_map(|(a, edits)| {
                let mut b = Vec::new();
                for (i, &x) in a.iter().enumerate() {
                    let (op, t) = edits.get(i).copied().unwrap_or((7, 0));
                    match op {
                        0 => b.push(NAME_TOKEN),
                        1 => b.push(NUM_TOKEN),
                        2 => b.push(t << 3 | 1),
                        3 => {}
                        4 => {
                            b.push(x);
                            b.push(t << 3 | 2);
                        }
                        _ => b.push(x),
                    }
                }
                (a, b)
            })
    }

    /// The fast alignment equals the reference, the bounds hold, and a decision made by
    /// the bounds is the one the alignment makes.
    fn check_fast_paths(a: &[u32], b: &[u32], t: f64) -> Result<(), TestCaseError> {
        let (ma, mb) = align_reference(a, b);
        prop_assert_eq!(align(a, b), (ma, mb));
        let bd = bounds(a, b);
        // Any lower bound of the total gives the same, down to the tightest (the total
        // itself, the narrowest band).
        for lo in [0, bd.total_lo / 2, bd.total_lo, ma + mb] {
            prop_assert_eq!(align_above(a, b, Some(lo)), (ma, mb), "lower bound {}", lo);
        }
        // The u64 scores (middles of 2^16 tokens and more) give what the u32 ones give.
        let (_, am, bm) = strip_common(a, b);
        prop_assert_eq!(
            align_slots_packed::<u64>(am, bm, 0),
            align_slots_packed::<u32>(am, bm, 0)
        );
        prop_assert!(
            bd.total_lo <= ma + mb && ma + mb <= bd.total_hi,
            "{bd:?} {ma} {mb}"
        );
        prop_assert!(ma <= bd.a_hi && mb <= bd.b_hi, "{bd:?} {ma} {mb}");
        let v = similarity(a, b, t);
        if let Some(d) = decided_by_bounds(a, b, t) {
            prop_assert_eq!(d, accepts(v, t));
        }
        prop_assert_eq!(
            copy_verdict(a, b, t),
            (dense_evidence(a, b, t) && accepts(v, t)).then_some(v)
        );
        Ok(())
    }

    /// Token values for the tests below: plain words, and names in their own text.
    fn word(k: u32) -> u32 {
        (k + 100) << 3
    }
    fn name(k: u32) -> u32 {
        ((k + 500) << 3) | NAMEABLE | crate::fingerprint::IDENT
    }

    #[test]
    fn mask_dense_pairs_need_their_written_tokens_to_agree() {
        let n = NAME_TOKEN;
        let intro = [word(1), word(2), word(3), word(4)];
        // Two different lists of units, each mostly masked: slots would match
        // whatever the other writes, the names both write out differ.
        let a: Vec<u32> = intro
            .iter()
            .copied()
            .chain([n, name(1), n, name(2), n, name(3), word(9)])
            .collect();
        let b: Vec<u32> = intro
            .iter()
            .copied()
            .chain([name(7), n, name(8), n, name(9), n, word(9)])
            .collect();
        assert!(!dense_evidence(&a, &b, 0.7));
        assert_eq!(copy_verdict(&a, &b, 0.7), None);
        // The same list, masked in other places: what both write out agrees.
        let full: Vec<u32> = intro
            .iter()
            .copied()
            .chain([
                name(1),
                name(2),
                name(3),
                name(4),
                name(5),
                name(6),
                word(9),
            ])
            .collect();
        let masked: Vec<u32> = intro
            .iter()
            .copied()
            .chain([name(1), n, name(3), name(4), n, name(6), word(9)])
            .collect();
        assert!(dense_evidence(&full, &masked, 0.7));
        // Nothing but slots and the same words: only the same key is a copy.
        let only: Vec<u32> = vec![n, word(1), n];
        assert!(dense_evidence(&only, &only, 0.7));
        // A paragraph of prose with a mask or two is not mask-dense.
        let prose: Vec<u32> = (1..30).map(word).chain([n]).collect();
        let other: Vec<u32> = (1..30).map(word).chain([name(3)]).collect();
        assert!(dense_evidence(&prose, &other, 0.7));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn fast_paths_agree_with_the_reference_on_copies((a, b) in copy_pair(), t in 0.5f64..0.95) {
            check_fast_paths(&a, &b, t)?;
        }

        #[test]
        fn fast_paths_agree_with_the_reference(a in tokens(), b in tokens(), t in 0.5f64..0.95) {
            check_fast_paths(&a, &b, t)?;
        }

        #[test]
        fn bit_parallel_lcs_equals_the_reference(
            a in proptest::collection::vec(8u32..30, 0..300),
            b in proptest::collection::vec(8u32..30, 0..300),
        ) {
            let (l, _) = align_reference(&a, &b);
            let (fixed, ma, mb) = strip_common(&a, &b);
            prop_assert_eq!(fixed + lcs_len(ma, mb), l);
        }
    }

    #[test]
    fn slots_match_runs_of_the_other_copy() {
        // 10 11 NAME 13 NUM 15  vs  10 11 21 25 13 30 15 (21, 25 nouns; 30 a numeral)
        let a = [10, 11, NAME_TOKEN, 13, NUM_TOKEN, 15];
        let b = [10, 11, 21, 25, 13, 30, 15];
        assert_eq!(align(&a, &b), (6, 7));
        assert_eq!(similarity(&a, &b, 0.7).similarity, 1.0);
        // Without the slot the middle does not match.
        let c = [10, 11, 99, 13, 98, 15];
        let (ma, mb) = align(&c, &b);
        assert_eq!((ma, mb), (4, 4));
    }

    #[test]
    fn a_slot_does_not_swallow_long_runs() {
        let a = [1000, NAME_TOKEN, 1001];
        // Five nouns: the slot takes at most NAME_RUN of them, the fifth stays unmatched.
        let b = [1000, 21, 23, 25, 27, 29, 1001];
        assert_eq!(align(&a, &b), (3, 2 + NAME_RUN));
        // Nor does it stand for a verb (a token without the NAMEABLE bit).
        let c = [1000, 20, 1001];
        assert_eq!(align(&a, &c), (2, 2));
    }

    #[test]
    fn trimmed_copy_is_containment() {
        let long: Vec<u32> = (100..200).collect();
        let short: Vec<u32> = (100..170).collect();
        let v = similarity(&short, &long, 0.9);
        assert!(v.containment && v.similarity == 1.0, "{v:?}");
        // Too short a piece of the longer copy is not a copy.
        let tiny: Vec<u32> = (100..140).collect();
        assert!(!similarity(&tiny, &long, 0.9).containment);
    }

    #[test]
    fn unrelated_is_not_a_copy() {
        let a: Vec<u32> = (100..160).collect();
        let b: Vec<u32> = (300..360).collect();
        assert!(!is_copy((&a, &b), (&a, &b), 0.7, 0.2));
        assert_eq!(similarity(&a, &b, 0.7).similarity, 0.0);
    }
}
