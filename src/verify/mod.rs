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

mod align;
mod dense;
use self::align::*;
pub use self::align::{align, bounds, lcs_len, Bounds};
pub use self::dense::conflicts;

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
pub const MIN_SHARE: f64 = 0.4;

/// How a pair was found to be copies, and how similar they are.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Verdict {
    pub similarity: f64,
    /// The shorter copy is contained in the longer (similarity is the containment).
    pub containment: bool,
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
    if !dense_pair_ok(tokens.0, tokens.1, threshold) {
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

/// A mask-dense candidate pair of the graph also needs evidence nearly free of
/// conflicts (see [`conflicts`], [`conflicts_allowed`]): does the pair pass that, or is
/// neither side mask-dense? (A member then joins its cluster by its similarity to the
/// kept copy.)
fn dense_pair_ok(a: &[u32], b: &[u32], threshold: f64) -> bool {
    !(is_dense(a) || is_dense(b))
        || written_agree(a, b, threshold)
            && conflicts(a, b).is_none_or(|c| c <= conflicts_allowed(a, b))
}

/// Tokens of the shorter copy per conflict a mask-dense pair may have (see
/// [`dense_pair_ok`]).
pub const TOKENS_PER_CONFLICT: usize = 60;

/// Conflicts a mask-dense pair may have and still be copies: one per
/// [`TOKENS_PER_CONFLICT`] tokens of the shorter copy. A long copy may carry an edit
/// (a typo, a word changed) that stands against the other's word; two instances of one
/// template differ in more places than that (a name, a note or a date in each item).
fn conflicts_allowed(a: &[u32], b: &[u32]) -> usize {
    a.len().min(b.len()) / TOKENS_PER_CONFLICT
}

/// The verdict of shingle Jaccard alone, as [`is_copy`] takes it first: `Some` with the
/// Jaccard as similarity when the shingles of `n` tokens share at least `threshold`, a
/// mask-dense pair also passes [`dense_pair_ok`], and the names and numbers one copy
/// writes out are all written by the other too (shingles fold them, so two articles
/// `第四十八条本法自１９９８年５月１日起施行` and `第二十四条…１０月１日…` share every
/// shingle; a copy may mask or drop a name, not write another). What makes a copy whose
/// sentences come in another order one, where the monotone alignment cannot.
pub fn shingle_verdict(a: &[u32], b: &[u32], n: usize, threshold: f64) -> Option<Verdict> {
    // The cheap tests first: the mask-dense one may align the pair.
    let (mut sa, mut sb) = (Vec::new(), Vec::new());
    crate::fingerprint::shingles(a, n, &mut sa);
    crate::fingerprint::shingles(b, n, &mut sb);
    let j = jaccard_sorted(&sa, &sb);
    if j < threshold {
        return None;
    }
    let named = |t: u32| !is_slot_token(t) && t & crate::fingerprint::IDENT != 0;
    let (na, nb) = (sorted_where(a, named), sorted_where(b, named));
    if crate::cluster::common_sorted(&na, &nb) < na.len().min(nb.len()) {
        return None;
    }
    dense_pair_ok(a, b, threshold).then_some(Verdict {
        similarity: j,
        containment: false,
    })
}

/// Least share of a part's shingles that the other copy must hold when the part's
/// whole paragraph is what verifies (see [`part_verdict`]).
pub const PART_SHARE: f64 = 0.5;

/// Two paragraphs of which one or both are parts of a paragraph that the page wrote as
/// one and the structure stage searches in parts (`wa`, `wb`: the wholes, or the
/// paragraph itself when it is not a part): copies when the wholes are (by
/// [`copy_verdict`] or [`shingle_verdict`], as an edge of the graph) and each part has
/// at least [`PART_SHARE`] of its shingles in the other paragraph (the other part, when
/// both are parts: two pages that glued the same two paragraphs have wholes that are
/// copies, and each part's copy in the other whole is the other's other part). A copy
/// that deleted a clause next to the cut, or written whole, matches neither part well
/// enough alone; a part that is another paragraph wrongly glued on shares almost no
/// shingle with it (shingles, not the alignment: a short part aligns half its tokens,
/// its commas and function words, with any long paragraph). The verdict reports the
/// wholes' similarity.
pub fn part_verdict(
    (a, wa): (&[u32], &[u32]),
    (b, wb): (&[u32], &[u32]),
    n: usize,
    threshold: f64,
) -> Option<Verdict> {
    let v = copy_verdict(wa, wb, threshold).or_else(|| shingle_verdict(wa, wb, n, threshold))?;
    let share_ok = |part: &[u32], whole: &[u32], other: &[u32]| {
        if part.len() == whole.len() {
            return true;
        }
        // (`other` is the other paragraph itself, whole or part.)
        let (mut sp, mut so) = (Vec::new(), Vec::new());
        crate::fingerprint::shingles(part, n, &mut sp);
        crate::fingerprint::shingles(other, n, &mut so);
        crate::cluster::common_sorted(&sp, &so) as f64 >= PART_SHARE * sp.len().max(1) as f64
    };
    (share_ok(a, wa, b) && share_ok(b, wb, a)).then_some(v)
}

/// The tokens of `x` that `keep` takes, sorted (a multiset to compare).
fn sorted_where(x: &[u32], keep: impl Fn(u32) -> bool) -> Vec<u32> {
    let mut v: Vec<u32> = x.iter().copied().filter(|&t| keep(t)).collect();
    v.sort_unstable();
    v
}

/// Share of slot-like tokens (masks, and names and numbers that shingles fold) from
/// which a paragraph is *mask-dense*.
pub const DENSE_SLOTS: f64 = 0.3;

/// Is the paragraph mask-dense: at least [`DENSE_SLOTS`] of its tokens slot-like
/// (masks, and names and numbers that shingles fold)?
pub fn is_dense(x: &[u32]) -> bool {
    let n = x.iter().filter(|t| is_slot_token(folded(**t))).count();
    !x.is_empty() && n as f64 >= DENSE_SLOTS * x.len() as f64
}

/// The mask-dense rule: when either paragraph is mostly slots (a list of masked units,
/// `XX县评剧团、XX科协、…`), slots agreeing with whatever the other copy writes is no
/// evidence; the tokens both copies write out (words, and names and numbers in their
/// own text) must agree at `threshold`, as a Dice share of the two multisets. Pairs that
/// are not mask-dense pass. (To be an edge of the graph of verified pairs, a mask-dense
/// pair must also leave no gap in which both copies write something of their own,
/// [`conflicts`]: a copy that masks a name stands a slot where the other writes it,
/// while two instances of one template, or two days' weather headings, write
/// different names, notes or dates in the same places.)
pub fn dense_evidence(a: &[u32], b: &[u32], threshold: f64) -> bool {
    !is_dense(a) && !is_dense(b) || written_agree(a, b, threshold)
}

/// Do the tokens `a` and `b` write out (not slots) agree at `threshold`, as a Dice
/// share of the two multisets? Two sequences of nothing but slots agree only if equal.
fn written_agree(a: &[u32], b: &[u32], threshold: f64) -> bool {
    let own = |t: u32| !is_slot_token(t);
    let (oa, ob) = (sorted_where(a, own), sorted_where(b, own));
    if oa.is_empty() && ob.is_empty() {
        // Nothing but slots on both sides: only an exact copy (same key) is one.
        return a == b;
    }
    let common = crate::cluster::common_sorted(&oa, &ob);
    if 2.0 * common as f64 >= threshold * (oa.len() + ob.len()) as f64 {
        return true;
    }
    // One copy masks most of what the other writes: what it writes is nearly all in the
    // other, names included, and it writes at least `WRITTEN_NAMES_MIN` of the other's
    // names itself. Two instances of one template share its words, but not their names.
    let (small, large) = if oa.len() <= ob.len() {
        (&oa, &ob)
    } else {
        (&ob, &oa)
    };
    let name = |t: &u32| t & crate::fingerprint::IDENT != 0 && t & NAMEABLE != 0;
    // Names counted once each: a list that repeats two names is no evidence.
    let distinct = |v: &[u32]| -> Vec<u32> {
        let mut d: Vec<u32> = v.iter().copied().filter(name).collect();
        d.dedup();
        d
    };
    let (ns, nl) = (distinct(small), distinct(large));
    let names = crate::cluster::common_sorted(&ns, &nl);
    common as f64 >= CONTAINMENT * small.len() as f64
        && names >= WRITTEN_NAMES_MIN
        && names as f64 >= CONTAINMENT * ns.len() as f64
}

/// Different names a mask-dense copy must write, and the other copy write too, when it
/// writes much less than the other (see [`written_agree`]).
pub const WRITTEN_NAMES_MIN: usize = 3;

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
        let (n, m) = (a.len(), b.len());
        let w = m + 1;
        let dp = super::dense::slot_table(a, b);
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

    #[test]
    fn a_copy_that_masks_most_names_agrees_by_the_names_it_writes() {
        let n = NAME_TOKEN;
        // An election list written out, and a copy that masks eight of its twelve
        // names: it writes far less (Dice under the threshold), but all it writes is
        // in the other, four names of it.
        let intro = [word(1), word(2), word(3)];
        let names: Vec<u32> = (1..=12).map(name).collect();
        let full: Vec<u32> = intro
            .iter()
            .copied()
            .chain(names.clone())
            .chain([word(9)])
            .collect();
        let keep = [1, 4, 7, 11];
        let masked: Vec<u32> = intro
            .iter()
            .copied()
            .chain((1..=12).map(|k| if keep.contains(&k) { name(k) } else { n }))
            .chain([word(9)])
            .collect();
        assert!(is_dense(&masked));
        assert!(dense_evidence(&full, &masked, 0.7));
        // Another list of the same template, masked alike: it writes four names of its
        // own, none of the first list's.
        let other: Vec<u32> = intro
            .iter()
            .copied()
            .chain((1..=12).map(|k| if keep.contains(&k) { name(k + 40) } else { n }))
            .chain([word(9)])
            .collect();
        assert!(!dense_evidence(&full, &other, 0.7));
        // A copy that writes only two names is no evidence.
        let two: Vec<u32> = masked
            .iter()
            .map(|&t| if t == name(7) || t == name(11) { n } else { t })
            .collect();
        assert!(!dense_evidence(&full, &two, 0.7));
        // A list of two names over and over (the synth's lists on name-poor text), and
        // a copy writing four of its items: two names, however often.
        let two_names: Vec<u32> = intro
            .iter()
            .copied()
            .chain((1..=12).map(|k| name(k % 2)))
            .chain([word(9)])
            .collect();
        let repeated: Vec<u32> = intro
            .iter()
            .copied()
            .chain((1..=12).map(|k| if keep.contains(&k) { name(k % 2) } else { n }))
            .chain([word(9)])
            .collect();
        assert!(!dense_evidence(&two_names, &repeated, 0.7));
    }

    #[test]
    fn a_long_mask_dense_copy_may_carry_one_edit_per_sixty_tokens() {
        // A news paragraph dense with names and numbers, and a copy with a typo (one
        // word written as another, `会见` as `领见`) and a name masked.
        let long: Vec<u32> = (0..70)
            .map(|k| if k % 2 == 0 { name(k) } else { word(k) })
            .collect();
        let mut typo = long.clone();
        typo[31] = word(500);
        typo[10] = NAME_TOKEN;
        assert!(is_dense(&long) && long.len() >= TOKENS_PER_CONFLICT);
        assert_eq!(conflicts(&long, &typo), Some(1));
        assert!(dense_pair_ok(&long, &typo, 0.7));
        // Two edits are more than seventy tokens may carry; a short paragraph may
        // carry none.
        let mut two = typo.clone();
        two[51] = word(501);
        assert!(!dense_pair_ok(&long, &two, 0.7));
        let (short, short_typo) = (&long[..40], &typo[..40]);
        assert!(!dense_pair_ok(short, short_typo, 0.7));
    }

    #[test]
    fn two_instances_of_one_template_write_different_things_in_one_place() {
        let n = NAME_TOKEN;
        // Election results of two provinces, one template, masked in other places:
        // the template words agree (Dice well above the threshold), but where both
        // write something of their own between the same two template words, it
        // differs (`（朝鲜族）` against `（女，苗族）`).
        let template = |x: &[u32]| -> Vec<u32> {
            [word(1), n, word(2), word(3), word(4), word(5), n, word(6)]
                .into_iter()
                .chain(x.iter().copied())
                .chain([n, n, word(7), word(8)])
                .collect()
        };
        let a = template(&[n, word(20)]);
        let b = template(&[n, word(21), word(22)]);
        let copy = |x: &[u32], y: &[u32]| {
            let (mut sx, mut sy) = (Vec::new(), Vec::new());
            crate::fingerprint::shingles(x, 3, &mut sx);
            crate::fingerprint::shingles(y, 3, &mut sy);
            is_copy((x, y), (&sx, &sy), 0.7, 0.25)
        };
        assert_eq!(conflicts(&a, &b), Some(1));
        assert!(dense_evidence(&a, &b, 0.7) && !copy(&a, &b));
        // A copy that masks what the other writes is still one: a slot stands there.
        let c = template(&[name(5), word(20)]);
        assert_eq!(conflicts(&a, &c), Some(0));
        assert!(copy(&a, &c));
        // So is one that drops a note the other writes (nothing stands against it).
        let d = template(&[n]);
        assert_eq!(conflicts(&a, &d), Some(0));
        assert!(copy(&a, &d));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn fast_paths_agree_with_the_reference_on_copies((a, b) in copy_pair(), t in 0.5f64..0.95) {
            check_fast_paths(&a, &b, t)?;
        }

        #[test]
        fn the_conflict_walk_always_finds_its_way_back(a in tokens(), b in tokens()) {
            // Every cell of the table is one of its candidates: the walk never stops
            // short, and a sequence never conflicts with itself.
            prop_assert!(conflicts(&a, &b).is_some());
            prop_assert_eq!(conflicts(&a, &a), Some(0));
            let c = conflicts(&a, &b).unwrap();
            prop_assert!(c <= a.len().min(b.len()));
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
        // A piece of just the shortest share still is; one token less is not.
        let least = (MIN_SHARE * long.len() as f64).ceil() as u32;
        let piece: Vec<u32> = (100..100 + least).collect();
        assert!(similarity(&piece, &long, 0.9).containment);
        let tiny: Vec<u32> = (100..99 + least).collect();
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
