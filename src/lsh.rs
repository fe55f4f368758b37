//! The candidates stage: LSH banding of MinHash signatures.
//!
//! A signature of `b × r` slots is cut into `b` bands of `r` rows; two paragraphs whose
//! signatures agree on all rows of any band become a candidate pair. `b` and `r` are
//! chosen as datasketch's `_optimal_param` does: minimise the weighted area of false
//! positives (below the threshold) plus false negatives (above it) under the S-curve
//! `1 - (1 - s^r)^b`. Band keys are stable across machines and versions.

use rayon::iter::ParallelIterator;
use rayon::slice::ParallelSliceMut;

/// Probability that a pair of similarity `s` becomes a candidate.
pub fn candidate_probability(s: f64, b: usize, r: usize) -> f64 {
    1.0 - (1.0 - s.powi(r as i32)).powi(b as i32)
}

/// Composite Simpson integral of `f` over `[lo, hi]`.
fn integrate(f: impl Fn(f64) -> f64, lo: f64, hi: f64) -> f64 {
    const N: usize = 256;
    if hi <= lo {
        return 0.0;
    }
    let h = (hi - lo) / N as f64;
    let mut sum = f(lo) + f(hi);
    for i in 1..N {
        let x = lo + h * i as f64;
        sum += if i % 2 == 1 { 4.0 } else { 2.0 } * f(x);
    }
    sum * h / 3.0
}

/// Bands and rows minimising `w_fp · FP area + w_fn · FN area` for `threshold`.
pub fn optimal_params(threshold: f64, num_perm: usize, w_fp: f64, w_fn: f64) -> (usize, usize) {
    let mut best = (f64::INFINITY, (1, 1));
    for b in 1..=num_perm {
        for r in 1..=num_perm / b {
            let fp = integrate(|s| candidate_probability(s, b, r), 0.0, threshold);
            let fneg = integrate(|s| 1.0 - candidate_probability(s, b, r), threshold, 1.0);
            let err = w_fp * fp + w_fn * fneg;
            if err < best.0 {
                best = (err, (b, r));
            }
        }
    }
    best.1
}

/// The key of band `band` (its `r` rows of the signature), stable across machines.
#[inline]
pub fn band_key(rows: &[u32], band: usize) -> u64 {
    let mut h = 0x243F_6A88_85A3_08D3u64 ^ (band as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for &v in rows {
        h = (h ^ v as u64).wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        h ^= h >> 32;
    }
    h
}

/// The `(key, id)` entries of one band (`keys[i]` is the key of `ids[i]`), sorted by
/// key then id, as [`pairs_from_sorted`] takes them. Band keys are uniform hashes, so
/// one pass that deals the entries out by the top bits of their keys leaves buckets of
/// a few entries each, and sorting those is cheaper than sorting the whole (a third
/// less time at 1.8 million entries, half at 100 thousand).
pub fn sorted_entries(keys: &[u64], ids: &[u32]) -> Vec<(u64, u32)> {
    let n = keys.len().min(ids.len());
    // About 16 entries a bucket, at most 2^16 buckets.
    let bits = (n / 16).max(1).ilog2().clamp(1, 16);
    let shift = 64 - bits;
    let mut start = vec![0usize; (1 << bits) + 1];
    for &k in &keys[..n] {
        start[(k >> shift) as usize + 1] += 1;
    }
    for i in 1..start.len() {
        start[i] += start[i - 1];
    }
    let mut at = start.clone();
    let mut out = vec![(0u64, 0u32); n];
    for (&k, &id) in keys.iter().zip(ids) {
        let b = (k >> shift) as usize;
        out[at[b]] = (k, id);
        at[b] += 1;
    }
    for w in start.windows(2) {
        out[w[0]..w[1]].sort_unstable();
    }
    out
}

/// A candidate pair `(lo, hi)` and the number of bands it shares (of those whose bucket
/// paired it): the more bands, the more of the two signatures agree.
pub type Candidate = (u32, u32, u16);

/// Count the sorted pairs of some bands into candidates (one per pair, with how many of
/// those bands paired it).
pub fn count_sorted(pairs: &[(u32, u32)]) -> Vec<Candidate> {
    pairs
        .chunk_by(|x, y| x == y)
        .map(|run| (run[0].0, run[0].1, run.len().min(u16::MAX as usize) as u16))
        .collect()
}

/// Merge the sorted candidates `new` into the sorted candidates `set`, in linear time,
/// adding the band counts of a pair in both (the candidate set grows band by band;
/// sorting it again each time cost more than the bands themselves).
pub fn merge_sorted(set: &mut Vec<Candidate>, new: &[Candidate]) {
    if new.is_empty() {
        return;
    }
    let old = std::mem::take(set);
    let mut out = Vec::with_capacity(old.len() + new.len());
    let (mut i, mut j) = (0, 0);
    while i < old.len() && j < new.len() {
        let (x, y) = (old[i], new[j]);
        match (x.0, x.1).cmp(&(y.0, y.1)) {
            std::cmp::Ordering::Less => {
                out.push(x);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(y);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push((x.0, x.1, x.2.saturating_add(y.2)));
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&old[i..]);
    out.extend_from_slice(&new[j..]);
    *set = out;
}

/// Largest bucket whose members are all paired with each other; in a larger bucket
/// every member is paired with its first `MAX_BUCKET_ALL_PAIRS` members only (by id), so
/// a text that recurs in N places yields about 8·N pairs a band, not N²/2: the copies
/// form stars around the first few, which the cluster split follows two hops. On the
/// synth and 30 MB corpora almost every bucket holds 2 to 4 paragraphs; 8 changes no
/// output there (4 does), and on 50,000 overlapping excerpts it yields 2.0 M candidates
/// where 64 yielded 5.2 M (BENCHMARKS.md, issue 19).
pub const MAX_BUCKET_ALL_PAIRS: usize = 8;

/// Candidate pairs `(lo, hi)` from `(band key, id)` entries sorted by key then id.
/// Appends to `out` (duplicates across bands are removed by the caller).
pub fn pairs_from_sorted(entries: &[(u64, u32)], out: &mut Vec<(u32, u32)>) {
    let mut i = 0;
    while i < entries.len() {
        let mut j = i + 1;
        while j < entries.len() && entries[j].0 == entries[i].0 {
            j += 1;
        }
        let bucket = &entries[i..j];
        for (x, &(_, a)) in bucket.iter().enumerate() {
            for &(_, b) in &bucket[..x.min(MAX_BUCKET_ALL_PAIRS)] {
                out.push((b.min(a), b.max(a)));
            }
        }
        i = j;
    }
}

/// Most candidate partners a paragraph is verified against on its own account, by
/// default (`--max-partners`).
pub const MAX_PARTNERS: usize = 64;

/// Verified copies after which the paragraph of a one-paragraph document tries no more
/// of its ranked partners: past that, more partners are more copies of what it is
/// already joined to, and trying them made the work grow with the square of how often
/// a text recurs (an excerpt site). A pair is still tried when its other end has not
/// stopped before it. 16 keeps 50,000 overlapping excerpts linearithmic; 24 did not
/// (BENCHMARKS.md, issue 19).
pub const ENOUGH_COPIES: usize = 16;

/// Shared bands from which partners rank alike in [`rank_partners`]: half of what a
/// pair at `threshold` shares on average (`bands × threshold^rows / 2`), at least 1.
pub fn strong_bands(bands: usize, rows: usize, threshold: f64) -> u16 {
    let expected = bands as f64 * threshold.powi(rows as i32);
    ((expected / 2.0).ceil() as u16).max(1)
}

/// Each paragraph's candidate partners in the order verification tries them: `(node,
/// candidate index)` rows, by node then rank, at most `max` a node (see
/// [`rank_partners`]).
pub type Partners = Vec<(u32, u32)>;

/// Rank each paragraph's candidate partners and keep its first `max`: a pair is tried
/// only when either side has the other among them. A text that recurs in N places gives
/// each copy N - 1 candidates, N² in all; this keeps at most 2·max·N. Every pair is
/// kept when no paragraph has more than `max` partners; `cands` must be sorted. The work
/// is linear in the candidates (a counting sort by paragraph, then a selection of each
/// paragraph's first `max`).
///
/// A paragraph's partners are ranked by
/// 1. the bands they share with it, counted up to `strong` (see [`strong_bands`]):
///    every partner whose signature agrees as a pair at the threshold would is as good
///    as another, since beyond that the count is noise;
/// 2. then the candidate pairs the two units (`unit_of`: documents, each with
///    `searched_in` of its paragraphs searched) share: the copies of
///    one document pick the same partner documents for all their paragraphs, so a
///    document copy stays covered by whole documents, not by a few paragraphs of many;
/// 3. then the lower id.
pub fn rank_partners(
    cands: &[Candidate],
    max: usize,
    (unit_of, searched_in): (&[u32], &[u32]),
    strong: u16,
) -> Partners {
    let top = cands
        .iter()
        .map(|&(a, b, _)| a.max(b))
        .max()
        .map_or(0, |m| m as usize + 1);
    let mut at = vec![0usize; top + 1];
    for &(a, b, _) in cands {
        at[a as usize + 1] += 1;
        at[b as usize + 1] += 1;
    }
    for i in 1..at.len() {
        at[i] += at[i - 1];
    }
    // Candidates shared by the pair's two units. Two units of one searched paragraph
    // each share the one pair; the others are counted on the pairs sorted by unit pair.
    let mut shared = vec![1u32; cands.len()];
    let mut unit_pairs: Vec<(u32, u32, u32)> = cands
        .iter()
        .enumerate()
        .filter_map(|(k, &(a, b, _))| {
            let (x, y) = (unit_of[a as usize], unit_of[b as usize]);
            let (x, y) = (x.min(y), x.max(y));
            (searched_in[x as usize] > 1 || searched_in[y as usize] > 1).then_some((x, y, k as u32))
        })
        .collect();
    unit_pairs.par_sort_unstable();
    for run in unit_pairs.chunk_by(|x, y| (x.0, x.1) == (y.0, y.1)) {
        for &(.., k) in run {
            shared[k as usize] = run.len() as u32;
        }
    }
    drop(unit_pairs);
    // Each pair from both ends, laid out by node, each node's rows then ordered by rank
    // and partner. The node and its rank are one key: the node in the top 32 bits, then
    // 255 less the strong bands (8 bits), then 2^24 - 1 less the shared pairs (24 bits).
    let key = |node: u32, hits: u16, shared: u32| {
        let strong = u64::from(hits.min(strong).min(255));
        let shared = u64::from(shared.min((1 << 24) - 1));
        (u64::from(node) << 32) | ((255 - strong) << 24) | ((1 << 24) - 1 - shared)
    };
    let mut ends: Vec<(u64, u32, u32)> = vec![(0, 0, 0); at[top]];
    for (k, &(a, b, hits)) in cands.iter().enumerate() {
        for (node, partner) in [(a, b), (b, a)] {
            ends[at[node as usize]] = (key(node, hits, shared[k]), partner, k as u32);
            at[node as usize] += 1;
        }
    }
    drop(shared);
    ends.par_chunk_by_mut(|x, y| x.0 >> 32 == y.0 >> 32)
        .for_each(|run| {
            if run.len() > max {
                run.select_nth_unstable(max);
            }
            let first = max.min(run.len());
            run[..first].sort_unstable();
        });
    let mut ranked = Vec::with_capacity(ends.len().min(max.saturating_mul(top)));
    for run in ends.chunk_by(|x, y| x.0 >> 32 == y.0 >> 32) {
        ranked.extend(
            run.iter()
                .take(max)
                .map(|&(key, _, k)| ((key >> 32) as u32, k)),
        );
    }
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keep the candidates that some paragraph ranks among its first `max` (what
    /// verification tries when no paragraph stops early); returns how many were dropped.
    fn cap_partners(cands: &mut Vec<Candidate>, max: usize, units: &[u32], strong: u16) -> usize {
        let mut keep = vec![false; cands.len()];
        let mut sizes = vec![0u32; units.iter().max().map_or(0, |&u| u as usize + 1)];
        for &u in units {
            sizes[u as usize] += 1;
        }
        let partners = rank_partners(cands, max, (units, &sizes), strong);
        assert!(partners.windows(2).all(|w| w[0].0 <= w[1].0));
        for run in partners.chunk_by(|x, y| x.0 == y.0) {
            assert!(run.len() <= max);
        }
        for &(_, k) in &partners {
            keep[k as usize] = true;
        }
        let mut k = 0;
        let before = cands.len();
        cands.retain(|_| {
            k += 1;
            keep[k - 1]
        });
        before - cands.len()
    }

    #[test]
    fn partners_are_capped_by_the_most_shared_bands_then_the_lowest_ids() {
        // A clique of 10, every pair sharing one band but those with 9, which share 5:
        // with 3 partners each, 9's pairs come first, then the lowest ids.
        let mut cands: Vec<Candidate> = (0..10)
            .flat_map(|a| (a + 1..10).map(move |b| (a, b, if b == 9 { 5 } else { 1 })))
            .collect();
        let all = cands.clone();
        // Each paragraph its own unit, and bands counted in full: the ranking is by
        // bands, then id.
        let units: Vec<u32> = (0..10).collect();
        assert_eq!(cap_partners(&mut cands.clone(), 9, &units, u16::MAX), 0);
        let dropped = cap_partners(&mut cands, 3, &units, u16::MAX);
        assert_eq!(dropped + cands.len(), all.len());
        assert!(cands
            .windows(2)
            .all(|w| (w[0].0, w[0].1) < (w[1].0, w[1].1)));
        let first3 = |x: u32, y: u32| {
            let mut p: Vec<(std::cmp::Reverse<u16>, u32)> = all
                .iter()
                .filter(|c| c.0 == x || c.1 == x)
                .map(|c| (std::cmp::Reverse(c.2), if c.0 == x { c.1 } else { c.0 }))
                .collect();
            p.sort_unstable();
            p.iter().take(3).any(|&(_, z)| z == y)
        };
        for &(a, b, h) in &all {
            assert_eq!(
                cands.contains(&(a, b, h)),
                first3(a, b) || first3(b, a),
                "{a} {b}"
            );
        }
        // 9 is everyone's first partner; (0, 1) is 0's second and stays; (3, 4) does not.
        assert!(cands.iter().filter(|c| c.1 == 9).count() == 9);
        assert!(cands.contains(&(0, 1, 1)));
        assert!(!cands.contains(&(3, 4, 1)));
        // No paragraph over the cap: nothing changes.
        let mut small = vec![(0, 1, 1), (1, 2, 1), (5, 9, 2)];
        assert_eq!(cap_partners(&mut small, 2, &units, u16::MAX), 0);
        assert_eq!(small, [(0, 1, 1), (1, 2, 1), (5, 9, 2)]);
    }

    #[test]
    fn partners_rank_alike_past_the_strong_bands_then_by_the_units_sharing_the_most() {
        // Four copies of a three-paragraph document (unit u holds paragraphs 3u..3u+3)
        // and three stray one-paragraph units 12, 13, 14 that each pair with paragraph 0
        // of every copy. Paragraph k of a copy pairs with paragraph k of the others,
        // sharing 5 to 8 bands by noise; the strays share 9.
        let units: Vec<u32> = (0..12).map(|i| i / 3).chain([4, 5, 6]).collect();
        let mut cands: Vec<Candidate> = Vec::new();
        for k in 0..3u32 {
            for u in 0..4u32 {
                for v in u + 1..4 {
                    let noise = ((u * 7 + v * 3 + k * 5) % 4) as u16;
                    cands.push((3 * u + k, 3 * v + k, 5 + noise));
                }
            }
        }
        for u in 0..4u32 {
            for s in 12..15 {
                cands.push((3 * u, s, 9));
            }
        }
        cands.sort_unstable();
        let copies = |c: &[Candidate]| c.iter().filter(|p| p.1 < 12).count();
        let strays = |c: &[Candidate]| c.iter().filter(|p| p.1 >= 12).count();
        assert_eq!((copies(&cands), strays(&cands)), (18, 12));
        // Bands counted in full: paragraph 0 of every copy takes the strays first, and
        // the copies' paragraph-0 pairs are lost (each side took three strays).
        let mut by_bands = cands.clone();
        assert_eq!(cap_partners(&mut by_bands, 3, &units, u16::MAX), 6);
        assert_eq!((copies(&by_bands), strays(&by_bands)), (12, 12));
        // Strong from 5 bands: all partners rank alike, and the copies (three shared
        // candidate pairs between two copies, against one with a stray) come first.
        // Every copy pair stays; a stray keeps the three copies of the lowest ids.
        let mut by_units = cands.clone();
        assert_eq!(cap_partners(&mut by_units, 3, &units, 5), 3);
        assert_eq!((copies(&by_units), strays(&by_units)), (18, 9));
        assert!(!by_units.iter().any(|&(a, b, _)| a == 9 && b >= 12));
        assert!(strong_bands(32, 4, 0.7) == 4 && strong_bands(1, 8, 0.1) == 1);
    }

    proptest::proptest! {
        #[test]
        fn sorted_entries_sort_by_key_then_id(
            keys in proptest::collection::vec(proptest::prelude::any::<u64>(), 0..3000),
            dups in proptest::collection::vec(0usize..3000, 0..300),
            seed in proptest::prelude::any::<u32>(),
            skew in 0u32..64,
        ) {
            // Keys crowded into few buckets, repeated keys (a bucket of candidates), and
            // ids in no particular order.
            let mut keys: Vec<u64> = keys.iter().map(|k| k >> skew).collect();
            for d in dups {
                if !keys.is_empty() {
                    let k = keys[d % keys.len()];
                    keys.push(k);
                }
            }
            let ids: Vec<u32> = (0..keys.len() as u32)
                .map(|i| i.wrapping_mul(2_654_435_761) ^ seed)
                .collect();
            let mut want: Vec<(u64, u32)> = keys.iter().copied().zip(ids.iter().copied()).collect();
            want.sort_unstable();
            proptest::prop_assert_eq!(sorted_entries(&keys, &ids), want);
        }
    }

    #[test]
    fn merge_sorted_is_sorted_union_with_band_counts_added() {
        let mut set = vec![(0, 1, 1), (0, 5, 2), (2, 3, 1), (7, 9, 1)];
        let new = count_sorted(&[(0, 0), (0, 5), (3, 4), (7, 9), (7, 9), (8, 9)]);
        assert_eq!(new, [(0, 0, 1), (0, 5, 1), (3, 4, 1), (7, 9, 2), (8, 9, 1)]);
        merge_sorted(&mut set, &new);
        assert_eq!(
            set,
            [
                (0, 0, 1),
                (0, 1, 1),
                (0, 5, 3),
                (2, 3, 1),
                (3, 4, 1),
                (7, 9, 3),
                (8, 9, 1)
            ]
        );
        merge_sorted(&mut set, &[]);
        assert_eq!(set.len(), 7);
        let mut empty = Vec::new();
        merge_sorted(&mut empty, &[(1, 2, 1)]);
        assert_eq!(empty, [(1, 2, 1)]);
    }

    #[test]
    fn optimal_params_fit_the_budget_and_the_threshold() {
        for (t, k) in [(0.7, 128), (0.5, 128), (0.9, 256), (0.7, 64)] {
            let (b, r) = optimal_params(t, k, 0.5, 0.5);
            assert!(b * r <= k);
            // The S-curve's steepest point sits near the threshold.
            let knee = (1.0 / b as f64).powf(1.0 / r as f64);
            assert!((knee - t).abs() < 0.12, "t={t} b={b} r={r} knee={knee}");
        }
        // Higher thresholds need more rows per band.
        assert!(optimal_params(0.9, 128, 0.5, 0.5).1 > optimal_params(0.5, 128, 0.5, 0.5).1);
    }

    #[test]
    fn pairs_come_from_shared_buckets() {
        let mut e = vec![(5, 3), (1, 0), (5, 1), (2, 2), (5, 7)];
        e.sort_unstable();
        let mut out = Vec::new();
        pairs_from_sorted(&e, &mut out);
        out.sort_unstable();
        assert_eq!(out, [(1, 3), (1, 7), (3, 7)]);
        assert_ne!(band_key(&[1, 2], 0), band_key(&[1, 2], 1));
        assert_eq!(band_key(&[1, 2], 0), band_key(&[1, 2], 0));
    }
}
