//! Document coverage across units cut differently: the gaps between matched units.
//!
//! A document's coverage by another counts its searched characters that have a copy
//! there, unit by unit (a unit is a paragraph, or a part of a page-long one). Two copies
//! of one document do not always have the same units. A copy that lost a clause can
//! lose the anchor of a cut ([`crate::parts`]), so that one of its parts spans two of
//! the other copy's; a site that joins two paragraphs makes one unit of two. Such a
//! unit is a copy of neither of the other's units, and a document whose copies differ
//! this way falls under the coverage threshold although all of its text is there.
//!
//! So the units D and E match are taken as anchors of a monotone alignment of the two
//! documents, and each run of D's unmatched units between two anchors is verified, as
//! one text, against E's units between the same two anchors, by the same verifier as
//! any candidate pair. A run that verifies is covered by E; a run that only contains
//! E's text (D wrote more there) is not. The work is bounded: a run or a span of more
//! than [`GAP_TOKENS`] key tokens is not tried, and the caller tries a bounded number
//! of documents E for each D ([`GAP_PARTNERS`]).

use std::collections::HashMap;
use std::ops::Range;

/// Longest run (of D) or span (of E) tried, in key tokens: about six ordinary parts of
/// a page-long paragraph, and an alignment of at most `GAP_TOKENS²/64` word operations.
pub const GAP_TOKENS: usize = 4096;
/// Documents E tried for each D under the threshold, those covering the most of it
/// first. On 200 near-copies of a 100,000-character page, 4, 8, 16 and 64 remove the
/// same documents but one, and 64 costs 2.3 times the run.
pub const GAP_PARTNERS: usize = 8;

/// A run of D's unmatched units and the span of E's units between the same anchors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gap {
    pub d: Range<usize>,
    pub e: Range<usize>,
}

/// For each unit of D (in document order), the positions of its copies among E's units
/// (ascending). A unit of D is a copy of one of E when they share a group, or their
/// groups are verified neighbours: `d_groups` and `e_groups` are the units' groups,
/// `near(g)` the groups verified against `g`.
pub fn matches<'a>(
    d_groups: &[u32],
    e_groups: &[u32],
    near: impl Fn(u32) -> &'a [u32],
) -> Vec<Vec<u32>> {
    let mut at: HashMap<u32, Vec<u32>> = HashMap::new();
    for (j, &h) in e_groups.iter().enumerate() {
        at.entry(h).or_default().push(j as u32);
    }
    d_groups
        .iter()
        .map(|&g| {
            let mut m: Vec<u32> = std::iter::once(g)
                .chain(near(g).iter().copied())
                .filter_map(|h| at.get(&h))
                .flatten()
                .copied()
                .collect();
            m.sort_unstable();
            m.dedup();
            m
        })
        .collect()
}

/// The gaps of D against E, given each D unit's matches (see [`matches()`]) and the number
/// of E's units. Anchors are taken greedily in D's order, each at the first match not
/// before the previous anchor; a matched unit whose matches all lie before it (a
/// crossing) is covered already, and drops the run it interrupts rather than join it.
pub fn gaps(matched: &[Vec<u32>], e_len: usize) -> Vec<Gap> {
    let mut out = Vec::new();
    let mut last: Option<u32> = None;
    // The open run: its first unit of D, and the first unit of E after its left anchor.
    let mut run: Option<(usize, usize)> = None;
    let after = |last: Option<u32>| last.map_or(0, |a| a as usize + 1);
    for (i, m) in matched.iter().enumerate() {
        if m.is_empty() {
            run.get_or_insert((i, after(last)));
            continue;
        }
        match m.iter().copied().find(|&j| last.is_none_or(|a| j >= a)) {
            Some(j) => {
                if let Some((s, e0)) = run.take() {
                    if e0 < j as usize {
                        out.push(Gap {
                            d: s..i,
                            e: e0..j as usize,
                        });
                    }
                }
                last = Some(j);
            }
            None => run = None,
        }
    }
    if let Some((s, e0)) = run {
        if e0 < e_len {
            out.push(Gap {
                d: s..matched.len(),
                e: e0..e_len,
            });
        }
    }
    out
}

/// Characters of D that its gaps against E cover: the runs whose text verifies against
/// E's span (see the module doc). D's units come as their groups and searched
/// characters, E's as their groups; `near` as in [`matches()`]. `load(false, i, out)`
/// appends the key tokens of D's unit `i` to `out`, `load(true, j, out)` those of E's
/// unit `j`.
pub fn gap_cover<'a, Err>(
    d_groups: &[u32],
    d_chars: &[u64],
    e_groups: &[u32],
    near: impl Fn(u32) -> &'a [u32],
    threshold: f64,
    load: impl FnMut(bool, usize, &mut Vec<u32>) -> Result<(), Err>,
) -> Result<u64, Err> {
    let matched = matches(d_groups, e_groups, near);
    verify_gaps(d_chars, &matched, e_groups.len(), threshold, load)
}

/// [`gap_cover`] given the matches.
fn verify_gaps<Err>(
    d_chars: &[u64],
    matched: &[Vec<u32>],
    e_len: usize,
    threshold: f64,
    mut load: impl FnMut(bool, usize, &mut Vec<u32>) -> Result<(), Err>,
) -> Result<u64, Err> {
    let mut covered = 0;
    let (mut dt, mut et) = (Vec::new(), Vec::new());
    'gap: for g in gaps(matched, e_len) {
        for (side, range, out) in [(false, &g.d, &mut dt), (true, &g.e, &mut et)] {
            out.clear();
            for k in range.clone() {
                load(side, k, out)?;
                if out.len() > GAP_TOKENS {
                    continue 'gap;
                }
            }
        }
        if dt.is_empty() || et.is_empty() {
            continue;
        }
        match crate::verify::copy_verdict(&dt, &et, threshold) {
            // A run that only contains E's span wrote more than E there.
            Some(v) if !v.containment || dt.len() <= et.len() => {
                covered += d_chars[g.d.clone()].iter().sum::<u64>();
            }
            _ => {}
        }
    }
    Ok(covered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(v: &[&[u32]]) -> Vec<Vec<u32>> {
        v.iter().map(|x| x.to_vec()).collect()
    }

    #[test]
    fn a_run_between_anchors_meets_the_span_between_them() {
        // D: 0~0, 1 and 2 unmatched, 3~4, 4 unmatched (end).
        let g = gaps(&m(&[&[0], &[], &[], &[4], &[]]), 6);
        assert_eq!(g, vec![Gap { d: 1..3, e: 1..4 }, Gap { d: 4..5, e: 5..6 }]);
    }

    #[test]
    fn leading_runs_start_at_e_start_and_empty_spans_are_no_gap() {
        let g = gaps(&m(&[&[], &[2], &[], &[3]]), 4);
        // D's first unit against E's 0..2; D's third unit sits between anchors 2 and 3,
        // where E has nothing: inserted text, not a gap.
        assert_eq!(g, vec![Gap { d: 0..1, e: 0..2 }]);
        assert!(gaps(&m(&[&[3], &[]]), 4).is_empty());
    }

    #[test]
    fn anchors_stay_monotone_and_a_crossing_drops_its_run() {
        // Unit 1 matches E's 0 and 5: after the anchor at 2 only 5 qualifies.
        let g = gaps(&m(&[&[2], &[0, 5], &[], &[7]]), 8);
        assert_eq!(g, vec![Gap { d: 2..3, e: 6..7 }]);
        // Unit 2 matches only E's 0, before the anchor at 3: the open run is dropped.
        let g = gaps(&m(&[&[3], &[], &[0], &[6]]), 8);
        assert!(g.is_empty(), "{g:?}");
    }

    #[test]
    fn matches_follow_groups_and_their_verified_neighbours() {
        let near: HashMap<u32, Vec<u32>> = [(10, vec![20]), (20, vec![10])].into();
        let empty = Vec::new();
        let got = matches(&[10, 30, 40], &[20, 40, 10, 50], |g| {
            near.get(&g).unwrap_or(&empty)
        });
        assert_eq!(got, m(&[&[0, 2], &[], &[1]]));
    }

    /// Tokens of a made-up text: `n` distinct words from `from` on.
    fn words(from: u32, n: u32) -> Vec<u32> {
        (from..from + n).map(|t| t * 7 + 1000).collect()
    }

    #[test]
    fn a_part_that_spans_two_is_covered_and_new_text_is_not() {
        // E: parts A B C D. D's copy lost the cut between B and C: A, BC, D.
        let e = [words(0, 60), words(60, 60), words(120, 60), words(180, 60)];
        let bc: Vec<u32> = [e[1].clone(), e[2].clone()].concat();
        let d = [e[0].clone(), bc, e[3].clone()];
        let matched = m(&[&[0], &[], &[3]]);
        let chars = [100, 200, 100];
        let load = |side: bool, k: usize, out: &mut Vec<u32>| -> Result<(), ()> {
            out.extend_from_slice(if side { &e[k] } else { &d[k] });
            Ok(())
        };
        assert_eq!(verify_gaps(&chars, &matched, 4, 0.8, load), Ok(200));
        // The same run with other words in it is not covered.
        let d2 = [e[0].clone(), words(5000, 120), e[3].clone()];
        let load = |side: bool, k: usize, out: &mut Vec<u32>| -> Result<(), ()> {
            out.extend_from_slice(if side { &e[k] } else { &d2[k] });
            Ok(())
        };
        assert_eq!(verify_gaps(&chars, &matched, 4, 0.8, load), Ok(0));
    }

    #[test]
    fn a_run_that_holds_more_than_the_span_is_not_covered() {
        // E: A B C; D: A, B + 60 new words, C. The span B is contained in D's run.
        let e = [words(0, 60), words(60, 100), words(160, 60)];
        let d = [
            e[0].clone(),
            [e[1].clone(), words(9000, 60)].concat(),
            e[2].clone(),
        ];
        let load = |side: bool, k: usize, out: &mut Vec<u32>| -> Result<(), ()> {
            out.extend_from_slice(if side { &e[k] } else { &d[k] });
            Ok(())
        };
        assert_eq!(
            verify_gaps(&[1, 1, 1], &m(&[&[0], &[], &[2]]), 3, 0.8, load),
            Ok(0)
        );
    }

    #[test]
    fn runs_over_the_token_bound_are_not_tried() {
        let e = [
            words(0, 10),
            words(10, GAP_TOKENS as u32 + 1),
            words(9000, 10),
        ];
        let load = |side: bool, k: usize, out: &mut Vec<u32>| -> Result<(), ()> {
            out.extend_from_slice(&e[k]);
            let _ = side;
            Ok(())
        };
        assert_eq!(
            verify_gaps(&[1, 1, 1], &m(&[&[0], &[], &[2]]), 3, 0.8, load),
            Ok(0)
        );
    }
}
