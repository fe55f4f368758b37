//! Document coverage and the document clusters of the group phase.

use super::*;

/// Steps 5 and 6: document coverage and the document clusters. A searched unit of D is
/// covered by E when a copy (the same exact group, or a verified neighbour group) lies
/// in E; [`gap_coverage`] then adds the runs of unmatched units that verify between
/// matched ones. Documents covered at `--doc-threshold` are joined, and each component
/// is split around the documents that cover the most ([`split_document_component`]).
pub(in crate::pipeline) fn document_clusters(
    cfg: &Config,
    ids: &Ids,
    group_of: &[u32],
    neighbours: &Lists,
    read: &(impl Fn(u32, &mut Vec<u32>, &mut Vec<u8>) -> Result<()> + Sync),
    prior: &Prior,
) -> Result<Vec<Cluster>> {
    let (paras, searched) = (&ids.paras, &ids.searched);
    let n = paras.len();
    let ndocs = ids.doc_file.len();
    let mut pairs: Vec<(u32, u32)> = searched
        .iter()
        .map(|&i| (group_of[i as usize], paras[i as usize].2))
        .collect();
    pairs.par_sort_unstable();
    pairs.dedup();
    let group_docs = Lists::from_sorted(n, &pairs);
    drop(pairs);
    let mut doc_chars = vec![0u64; ndocs];
    let mut doc_masks = vec![0u64; ndocs];
    let mut doc_searched_chars = vec![0u64; ndocs];
    for (p, _, d) in paras.iter() {
        doc_chars[*d as usize] += p.key.key_chars as u64;
        doc_masks[*d as usize] += p.masks as u64;
    }
    for &i in searched {
        let (p, _, d) = paras[i as usize];
        doc_searched_chars[d as usize] += p.key.key_chars as u64;
    }
    let mut covered: BTreeMap<(u32, u32), u64> = BTreeMap::new();
    let mut others = Vec::new();
    for &i in searched {
        let (p, _, d) = paras[i as usize];
        let g = group_of[i as usize];
        others.clear();
        others.extend_from_slice(group_docs.get(g));
        for &h in neighbours.get(g) {
            others.extend_from_slice(group_docs.get(h));
        }
        others.sort_unstable();
        others.dedup();
        for &e in &others {
            if e != d {
                *covered.entry((d, e)).or_default() += p.key.key_chars as u64;
            }
        }
    }
    drop(group_docs);
    let doc_units = {
        let pairs: Vec<(u32, u32)> = searched.iter().map(|&i| (paras[i as usize].2, i)).collect();
        Lists::from_sorted(ndocs, &pairs)
    };
    let unit = |i: u32| {
        (
            group_of[i as usize],
            paras[i as usize].0.key.key_chars as u64,
        )
    };
    let near = |g: u32| neighbours.get(g);
    let gains = gap_coverage(
        cfg,
        &covered,
        &doc_searched_chars,
        &doc_units,
        unit,
        near,
        read,
    )?;
    for ((d, e), chars) in gains {
        *covered
            .get_mut(&(d, e))
            .expect("a pair of the coverage map") += chars;
    }
    drop(doc_units);
    let mut doc_uf = UnionFind::new(ndocs);
    // Kept candidate -> the documents it covers, with their coverage.
    let mut doc_edges: BTreeMap<u32, Vec<(u32, f64)>> = BTreeMap::new();
    for (&(d, e), &chars) in covered.iter() {
        let c = coverage(chars, doc_searched_chars[d as usize]);
        if c >= cfg.doc_threshold {
            doc_uf.union(d, e);
            doc_edges.entry(e).or_default().push((d, c));
        }
    }
    drop(covered);
    let doc_copy = |d: u32| doc_copy(d, doc_masks[d as usize], doc_chars[d as usize]);
    let mut doc_clusters: Vec<Cluster> = Vec::new();
    for comp in components((0..ndocs as u32).map(|d| (doc_uf.find(d), d))) {
        let covers = |k: u32| doc_edges.get(&k).map_or(&[][..], |v| v.as_slice());
        let indexed = |d: u32| prior.doc(d);
        let barred = |d: u32| prior.doc_barred(d);
        doc_clusters.extend(split_document_component_first(
            cfg, &comp, covers, doc_copy, indexed, barred,
        ));
    }
    Ok(drop_indexed(doc_clusters, |d| prior.doc(d)))
}

/// Split one connected component of documents (joined by coverage edges) into
/// clusters: the kept document covers the most remaining documents, ties broken by
/// the keep policy. `covers(e)` lists the documents `e` covers, with their coverage.
pub fn split_document_component<'a>(
    cfg: &Config,
    comp: &[u32],
    covers: impl Fn(u32) -> &'a [(u32, f64)],
    copy: impl Fn(u32) -> Copy,
) -> Vec<Cluster> {
    split_document_component_first(cfg, comp, covers, copy, |_| false, |_| false)
}

/// [`split_document_component`] where the documents `first` picks (indexed ones) take
/// what they cover before any other, and are never taken themselves; those `barred`
/// picks (indexed ones removed in their run) take nothing.
pub fn split_document_component_first<'a>(
    cfg: &Config,
    comp: &[u32],
    covers: impl Fn(u32) -> &'a [(u32, f64)],
    copy: impl Fn(u32) -> Copy,
    first: impl Fn(u32) -> bool,
    barred: impl Fn(u32) -> bool,
) -> Vec<Cluster> {
    use std::cmp::Reverse;
    use std::collections::{BinaryHeap, HashSet};
    if cfg.keep == crate::KeepPolicy::First {
        return split_in_path_order(comp, covers, first, barred);
    }
    // Greedy: each round the document that covers the most of those left (ties: the
    // `--keep` rank, then the id) takes them. Counts only fall as documents go, so a
    // heap of stale counts is exact once the top's count is checked again (lazy
    // greedy): the work follows the cover edges, not rounds × documents × edges.
    let mut out = Vec::new();
    // Documents that may still be taken (or kept): never a `first` one.
    let mut alive: HashSet<u32> = comp.iter().copied().filter(|&d| !first(d)).collect();
    let live =
        |k: u32, alive: &HashSet<u32>| covers(k).iter().filter(|(d, _)| alive.contains(d)).count();
    // (a `first` document, documents it covers among those left, then the best
    // `--keep` rank and the lowest id first)
    type Entry = (bool, usize, Reverse<(u32, Reverse<u32>, u32)>, Reverse<u32>);
    let mut heap: BinaryHeap<Entry> = comp
        .iter()
        .filter(|&&k| !barred(k))
        .map(|&k| {
            (
                first(k),
                live(k, &alive),
                Reverse(rank(cfg.keep, &copy(k))),
                Reverse(k),
            )
        })
        .collect();
    while let Some((is_first, n, r, Reverse(k))) = heap.pop() {
        if n == 0 {
            if is_first {
                continue;
            }
            break;
        }
        if !is_first && !alive.contains(&k) {
            continue;
        }
        let now = live(k, &alive);
        if now < n {
            heap.push((is_first, now, r, Reverse(k)));
            continue;
        }
        let mut members = vec![(k, 1.0, false)];
        for &(d, c) in covers(k) {
            if alive.contains(&d) {
                members.push((d, c, false));
            }
        }
        for (m, _, _) in &members {
            alive.remove(m);
        }
        out.push((k, members));
    }
    out
}

/// `--keep first`: the first copy stays. Documents in path order (their ids) each take
/// the documents after them that they cover and that are left; a document is never
/// removed by one after it, so a corpus cleaned batch after batch against a saved index
/// (where what is published stays) loses what one run over all of it loses.
fn split_in_path_order<'a>(
    comp: &[u32],
    covers: impl Fn(u32) -> &'a [(u32, f64)],
    first: impl Fn(u32) -> bool,
    barred: impl Fn(u32) -> bool,
) -> Vec<Cluster> {
    let mut taken = std::collections::HashSet::new();
    let mut out = Vec::new();
    let mut order = comp.to_vec();
    order.sort_unstable();
    for k in order {
        if taken.contains(&k) || barred(k) {
            continue;
        }
        let mut members = vec![(k, 1.0, false)];
        for &(d, c) in covers(k) {
            if d > k && !first(d) && taken.insert(d) {
                members.push((d, c, false));
            }
        }
        if members.len() > 1 {
            out.push((k, members));
        }
    }
    out
}

/// Characters of D that the gaps between its matched units and E's cover
/// ([`gaps::gap_cover`]), for the pairs `(d, e)` of `covered` under `--doc-threshold`:
/// each D's first [`gaps::GAP_PARTNERS`] such E, those covering the most first, then
/// the lowest ids. `doc_units` lists each document's searched units in order, and
/// `unit(i)` is unit `i`'s group and searched characters. Pairs that gain nothing are
/// left out.
pub(in crate::pipeline) fn gap_coverage<'a>(
    cfg: &Config,
    covered: &BTreeMap<(u32, u32), u64>,
    doc_searched_chars: &[u64],
    doc_units: &Lists,
    unit: impl Fn(u32) -> (u32, u64) + Sync,
    near: impl Fn(u32) -> &'a [u32] + Sync,
    read: impl Fn(u32, &mut Vec<u32>, &mut Vec<u8>) -> Result<()> + Sync,
) -> Result<Vec<((u32, u32), u64)>> {
    use std::cmp::Reverse;
    let mut tried: Vec<(u32, Reverse<u64>, u32)> = covered
        .iter()
        .filter(|&(&(d, _), &c)| coverage(c, doc_searched_chars[d as usize]) < cfg.doc_threshold)
        .map(|(&(d, e), &c)| (d, Reverse(c), e))
        .collect();
    tried.sort_unstable();
    let mut capped = Vec::with_capacity(tried.len());
    for run in tried.chunk_by(|a, b| a.0 == b.0) {
        capped.extend(run.iter().take(gaps::GAP_PARTNERS).map(|&(d, _, e)| (d, e)));
    }
    let gained: Vec<((u32, u32), u64)> = capped
        .par_iter()
        .map_init(
            || (Vec::new(), Vec::new()),
            |(tmp, bytes), &(d, e)| -> Result<((u32, u32), u64)> {
                let (du, eu) = (doc_units.get(d), doc_units.get(e));
                let (dg, chars): (Vec<u32>, Vec<u64>) = du.iter().map(|&i| unit(i)).unzip();
                let eg: Vec<u32> = eu.iter().map(|&i| unit(i).0).collect();
                let gained =
                    gaps::gap_cover(&dg, &chars, &eg, &near, cfg.threshold, |side, k, out| {
                        read(if side { eu[k] } else { du[k] }, tmp, bytes)?;
                        out.extend_from_slice(tmp);
                        Ok(())
                    })?;
                Ok(((d, e), gained))
            },
        )
        .collect::<Result<_>>()?;
    Ok(gained.into_iter().filter(|&(_, c)| c > 0).collect())
}

/// Share of a document's searched key characters that another document covers.
pub fn coverage(covered_chars: u64, searched_chars: u64) -> f64 {
    if searched_chars == 0 {
        return 0.0;
    }
    covered_chars as f64 / searched_chars as f64
}

/// A document as the keep policy sees it.
pub fn doc_copy(d: u32, masks: u64, key_chars: u64) -> Copy {
    Copy {
        order: d,
        masks: masks.min(u32::MAX as u64) as u32,
        key_chars: key_chars.min(u32::MAX as u64) as u32,
    }
}
