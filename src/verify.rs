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
use crate::fingerprint::{is_slot_token, NAMEABLE, NAME_TOKEN, NUMERIC};

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
pub fn align(a: &[u32], b: &[u32]) -> (usize, usize) {
    // Common prefix and suffix match one to one; align only the middle.
    let pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a2, b2) = (&a[pre..], &b[pre..]);
    let suf = a2
        .iter()
        .rev()
        .zip(b2.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a, b) = (&a2[..a2.len() - suf], &b2[..b2.len() - suf]);
    let fixed = pre + suf;
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

/// The alignment score of `a` and `b`, and whether containment makes them copies at
/// `threshold`.
pub fn similarity(a: &[u32], b: &[u32], threshold: f64) -> Verdict {
    if a == b {
        return Verdict {
            similarity: 1.0,
            containment: false,
        };
    }
    let (ma, mb) = align(a, b);
    let (la, lb) = (a.len().max(1), b.len().max(1));
    let dice = (ma + mb) as f64 / (la + lb) as f64;
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
    let j = jaccard_sorted(shingles.0, shingles.1);
    if j >= threshold {
        return true;
    }
    if j < floor {
        return false;
    }
    accepts(similarity(tokens.0, tokens.1, threshold), threshold)
}

/// Does a verdict make a copy at `threshold`?
pub fn accepts(v: Verdict, threshold: f64) -> bool {
    v.containment || v.similarity >= threshold.max(ALIGN_MIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::NUM_TOKEN;

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
