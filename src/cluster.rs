//! The cluster stage: exact Jaccard, union-find, and clusters built around their kept
//! member (candidates are verified in `verify`; `pipeline/group/` runs the steps).
//!
//! Union-find joins verified pairs into components; a component is then split greedily
//! around kept members (best first by the keep policy), and a member joins a cluster
//! only if its own similarity to that cluster's kept member reaches the threshold. So no
//! bridge paragraph can chain two unrelated paragraphs into one cluster, and the
//! similarity reported for a member is always its similarity to the copy that stays.

/// Union-find over `0..n`; the root of a set is its smallest member, so the result does
/// not depend on the order of unions.
#[derive(Clone, Debug)]
pub struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    pub fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
        }
    }

    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }

    pub fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = (ra.min(rb), ra.max(rb));
            self.parent[hi as usize] = lo;
        }
    }
}

/// Exact Jaccard similarity of two sorted, deduplicated sets.
pub fn jaccard_sorted(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let inter = common_sorted(a, b);
    inter as f64 / (a.len() + b.len() - inter) as f64
}

/// Elements two sorted sequences share: the size of the intersection of two sorted
/// sets, or of two sorted multisets (an element counted as often as both hold it).
pub fn common_sorted(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut inter) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    inter
}

/// A cluster member: id, similarity to the kept copy, found by containment.
pub type Member = (u32, f64, bool);
/// A cluster: the kept id and its members (the kept one included).
pub type Cluster = (u32, Vec<Member>);

/// Members of `component` grouped into `(kept, [(member, similarity, containment)])`
/// clusters. `ranked` lists the component in keep-policy order (best first); `near`
/// lists the ids that may be copies of an id (its neighbours in the graph of verified
/// pairs and exact copies); `sim` says whether a member is a copy of a kept one
/// (`None`: not a copy), and how similar. A kept copy tries its neighbours, then the
/// neighbours of those that joined (two hops; others are not tried). Each member is
/// checked against the kept copy itself, so a bridge cannot chain unrelated members
/// together, with one exception: a copy that failed against the kept copy may join
/// through a member that is a near-copy of the kept one (joined at [`BRIDGE_MIN`] or
/// more), when `bridge(kept, (near_copy, by_containment), member)` says it is a copy of
/// that near-copy (and what to report). Two clause-deleted copies
/// that delete different clauses, or a glued paragraph's part and a kept part of
/// another copy, are then still one cluster. Clusters of one member are dropped.
///
/// The work is at most two `sim` calls per edge of the graph, not one per pair of the
/// component: a component chained through thousands of members costs no more than its
/// edges.
pub fn split_around_kept(
    ranked: &[u32],
    mut near: impl FnMut(u32, &mut Vec<u32>),
    mut sim: impl FnMut(u32, u32) -> Option<(f64, bool)>,
    mut bridge: impl FnMut(u32, (u32, bool), u32) -> Option<(f64, bool)>,
) -> Vec<Cluster> {
    // Position of each id in `ranked`, and whether it is still unassigned.
    let mut pos: Vec<(u32, u32)> = ranked
        .iter()
        .enumerate()
        .map(|(p, &id)| (id, p as u32))
        .collect();
    pos.sort_unstable();
    let rank_of = |id: u32| {
        pos.binary_search_by_key(&id, |&(i, _)| i)
            .ok()
            .map(|k| pos[k].1 as usize)
    };
    let mut free = vec![true; ranked.len()];
    // The round (kept copy's rank) in which each member was last tried.
    let mut tried = vec![u32::MAX; ranked.len()];
    let mut out = Vec::new();
    let mut cands: Vec<u32> = Vec::new();
    let mut at: Vec<usize> = Vec::new();
    for (p, &kept) in ranked.iter().enumerate() {
        if !free[p] {
            continue;
        }
        free[p] = false;
        let round = p as u32;
        gather(
            &mut near,
            [kept],
            &rank_of,
            |q| free[q],
            &mut cands,
            &mut at,
        );
        let mut members = vec![(kept, 1.0, false)];
        for &q in &at {
            tried[q] = round;
            if let Some((s, c)) = sim(kept, ranked[q]) {
                members.push((ranked[q], s, c));
                free[q] = false;
            }
        }
        // Second hop: the neighbours of those that joined, against the kept copy too.
        // A copy that the partner cap (or a band miss) kept from being paired with the
        // kept copy is still checked against it, so N near-copies make one cluster, not
        // one per cap's worth of partners. Each member joins once, so over all rounds
        // this tries no more than the edges of the members that joined.
        let joined = members[1..].iter().map(|m| m.0);
        let untried = |q: usize| free[q] && tried[q] != round;
        gather(&mut near, joined, &rank_of, untried, &mut cands, &mut at);
        for &q in &at {
            tried[q] = round;
            if let Some((s, c)) = sim(kept, ranked[q]) {
                members.push((ranked[q], s, c));
                free[q] = false;
            }
        }
        // Third: through a near-copy of the kept copy, those that failed against it.
        // Only the near-copies that joined by the two hops bridge, each once.
        for k in 1..members.len() {
            let (b, s, c) = members[k];
            if s < BRIDGE_MIN {
                continue;
            }
            let failed = |q: usize| free[q] && tried[q] == round;
            gather(&mut near, [b], &rank_of, failed, &mut cands, &mut at);
            for &q in &at {
                if let Some((s, c)) = bridge(kept, (b, c), ranked[q]) {
                    members.push((ranked[q], s, c));
                    free[q] = false;
                }
            }
        }
        if members.len() > 1 {
            out.push((kept, members));
        }
    }
    out
}

/// Least similarity to the kept copy of a member that others may join through (see
/// [`split_around_kept`]): the alignment's own bar for a copy. (At 0.9, the whole
/// paragraph did not bridge a kept copy with a long clause deleted, 0.899, to a copy
/// that deleted another.)
pub const BRIDGE_MIN: f64 = crate::verify::ALIGN_MIN;

/// Into `at`, sorted and once each, the ranks of the ids near any of `of` that `keep`
/// accepts (`cands` is scratch).
fn gather(
    near: &mut impl FnMut(u32, &mut Vec<u32>),
    of: impl IntoIterator<Item = u32>,
    rank_of: &impl Fn(u32) -> Option<usize>,
    keep: impl Fn(usize) -> bool,
    cands: &mut Vec<u32>,
    at: &mut Vec<usize>,
) {
    at.clear();
    for x in of {
        cands.clear();
        near(x, cands);
        at.extend(
            cands
                .iter()
                .filter_map(|&m| rank_of(m))
                .filter(|&q| keep(q)),
        );
    }
    at.sort_unstable();
    at.dedup();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_find_roots_are_minimal_and_order_free() {
        let mut a = UnionFind::new(6);
        a.union(5, 4);
        a.union(4, 2);
        a.union(1, 3);
        let mut b = UnionFind::new(6);
        b.union(2, 4);
        b.union(3, 1);
        b.union(4, 5);
        for x in 0..6 {
            assert_eq!(a.find(x), b.find(x));
        }
        assert_eq!(a.find(5), 2);
        assert_eq!(a.find(3), 1);
    }

    #[test]
    fn jaccard() {
        assert_eq!(jaccard_sorted(&[1, 2, 3], &[2, 3, 4]), 0.5);
        assert_eq!(jaccard_sorted(&[], &[1]), 0.0);
        assert_eq!(jaccard_sorted(&[7], &[7]), 1.0);
    }

    fn no_bridge(_: u32, _: (u32, bool), _: u32) -> Option<(f64, bool)> {
        None
    }

    #[test]
    fn a_bridge_does_not_chain_unrelated_members() {
        // 0 ~ 1 and 1 ~ 2, but 0 and 2 are unrelated: 2 must not join 0's cluster.
        let sets: [&[u32]; 3] = [&[1, 2, 3, 4], &[1, 2, 3, 4, 5, 6], &[3, 4, 5, 6]];
        let sim = |a: u32, b: u32| {
            let j = jaccard_sorted(sets[a as usize], sets[b as usize]);
            (j >= 0.6).then_some((j, false))
        };
        // Everyone is near everyone (a complete graph).
        let all = |_: u32, out: &mut Vec<u32>| out.extend([0, 1, 2]);
        let c = split_around_kept(&[1, 0, 2], all, sim, no_bridge);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].0, 1);
        assert_eq!(c[0].1.len(), 3);
        let c = split_around_kept(&[0, 1, 2], all, sim, no_bridge);
        assert_eq!(c, vec![(0, vec![(0, 1.0, false), (1, 4.0 / 6.0, false)])]);
        // Without the edge 1 - 2, 2 is still tried against 1, through 0 that joined
        // 1 (two hops), and joins: it is a copy of the kept copy itself.
        let path = |a: u32, out: &mut Vec<u32>| match a {
            1 => out.push(0),
            0 => out.extend([1, 2]),
            _ => out.push(0),
        };
        let c = split_around_kept(&[1, 0, 2], path, sim, no_bridge);
        let two = 4.0 / 6.0;
        assert_eq!(
            c,
            vec![(1, vec![(1, 1.0, false), (0, two, false), (2, two, false)])]
        );
    }

    #[test]
    fn a_copy_that_fails_against_the_kept_copy_joins_through_a_near_copy_of_it() {
        // 1 and 2 are copies that deleted different clauses of 0's text: each is near
        // 0, but not near each other. With 1 kept, 2 fails against it and joins
        // through 0, a near-copy of the kept one; `bridge` says what it reports.
        let sets: [&[u32]; 4] = [
            &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
            &[1, 2, 3, 4, 5, 6, 7, 8, 9],
            &[2, 3, 4, 5, 6, 7, 8, 9, 10],
            &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13],
        ];
        let j = |a: u32, b: u32| jaccard_sorted(sets[a as usize], sets[b as usize]);
        let sim = |a: u32, b: u32| (j(a, b) >= 0.85).then_some((j(a, b), false));
        let all = |_: u32, out: &mut Vec<u32>| out.extend([0, 1, 2]);
        let mut asked = Vec::new();
        let bridge = |kept: u32, (via, _): (u32, bool), m: u32| {
            asked.push((kept, via, m));
            sim(via, m).map(|_| (j(kept, m), false))
        };
        let c = split_around_kept(&[1, 0, 2], all, sim, bridge);
        assert_eq!(asked, vec![(1, 0, 2)]);
        assert_eq!(
            c,
            vec![(1, vec![(1, 1.0, false), (0, 0.9, false), (2, 0.8, false)])]
        );
        // Without the bridge, 2 is a cluster of one, and dropped.
        let c = split_around_kept(&[1, 0, 2], all, sim, no_bridge);
        assert_eq!(c, vec![(1, vec![(1, 1.0, false), (0, 0.9, false)])]);
        // A member below BRIDGE_MIN (0 in 3 at 0.77, 2 to 1 at 0.8) bridges nothing.
        let loose = |a: u32, b: u32| (j(a, b) >= 0.75).then_some((j(a, b), a == 3 || b == 3));
        for (ranked, joined, want) in [([3, 0, 2], 0, vec![]), ([1, 2, 3], 2, vec![])] {
            let mut asked = Vec::new();
            let c = split_around_kept(
                &ranked,
                |_, out| out.extend(ranked),
                loose,
                |k, via, m| {
                    asked.push((k, via, m));
                    None
                },
            );
            assert_eq!(asked, want, "{ranked:?}");
            assert_eq!(c[0].1[1].0, joined);
        }
        // One joined by containment at BRIDGE_MIN or more is asked, with its flag, and
        // `bridge` decides.
        let contained = |a: u32, b: u32| match (a.min(b), a.max(b)) {
            (0, 1) => Some((0.95, true)),
            (0, 2) => Some((0.9, false)),
            _ => None,
        };
        let mut asked = Vec::new();
        let c = split_around_kept(&[1, 0, 2], all, contained, |k, via, m| {
            asked.push((k, via, m));
            Some((0.6, false))
        });
        assert_eq!(asked, vec![(1, (0, true), 2)]);
        assert_eq!(c[0].1.len(), 3);
    }

    #[test]
    fn copies_two_hops_away_join_the_kept_copy_and_three_hops_do_not() {
        // Five copies of one text, verified only along the path 0 - 1 - 2 - 3 - 4 (as
        // when the partner cap keeps a copy's first partners only).
        let path = |a: u32, out: &mut Vec<u32>| {
            out.extend([a.wrapping_sub(1), a + 1].into_iter().filter(|&x| x < 5))
        };
        let mut calls = 0;
        let sim = |_: u32, _: u32| {
            calls += 1;
            Some((1.0, false))
        };
        let c = split_around_kept(&[0, 1, 2, 3, 4], path, sim, no_bridge);
        let ids = |c: &Cluster| c.1.iter().map(|m| m.0).collect::<Vec<_>>();
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].0, ids(&c[0])), (0, vec![0, 1, 2]));
        assert_eq!((c[1].0, ids(&c[1])), (3, vec![3, 4]));
        assert_eq!(calls, 3, "one try per member reached");
    }
}
