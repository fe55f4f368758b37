//! The paragraph clusters of the group phase: a component split around kept copies.

use super::*;

/// Step 7: the paragraph clusters. Exact groups and verified pairs join paragraphs
/// into components, and each component is split around kept copies
/// ([`split_paragraph_component`]); copies inside documents that `doc_clusters` remove
/// rank last.
pub(in crate::pipeline) fn paragraph_clusters(
    cfg: &Config,
    ids: &Ids,
    exact: &mut Exact,
    neighbours: &Lists,
    doc_clusters: &[Cluster],
    read: &(impl Fn(u32, &mut Vec<u32>, &mut Vec<u8>) -> Result<()> + Sync),
    prior: &Prior,
) -> Result<Vec<Cluster>> {
    let mut doc_is_removed = vec![false; ids.doc_file.len()];
    for (k, members) in doc_clusters {
        for (m, _, _) in members {
            if m != k {
                doc_is_removed[*m as usize] = true;
            }
        }
    }
    let uf = &mut exact.uf;
    let comp_list = components(ids.searched.iter().map(|&i| (uf.find(i), i)));
    let split: Vec<Vec<Cluster>> = comp_list
        .par_iter()
        .map_init(Vec::new, |bytes, comp| -> Result<Vec<Cluster>> {
            let mut tokens = HashMap::with_capacity(comp.len());
            let mut wholes = HashMap::new();
            for &i in comp {
                let mut t = Vec::new();
                read(i, &mut t, bytes)?;
                if let Some(w) = ids.whole_of(i) {
                    let mut whole = Vec::new();
                    whole_tokens(w, &mut whole, |j, out| read(j, out, bytes))?;
                    wholes.insert(i, (w, whole));
                }
                tokens.insert(i, t);
            }
            let view = RunView {
                paras: &ids.paras,
                group_of: &exact.group_of,
                group_members: &exact.group_members,
                neighbours,
                doc_is_removed: &doc_is_removed,
                tokens,
                wholes,
                prior,
            };
            Ok(split_paragraph_component(cfg, &view, comp))
        })
        .collect::<Result<_>>()?;
    Ok(drop_indexed(split.into_iter().flatten().collect(), |i| {
        prior.para(i)
    }))
}

/// What the paragraph split of one component reads about its members (global ids).
pub trait ParaView {
    /// The copy as the keep policy sees it.
    fn copy(&self, i: u32) -> Copy;
    /// Is the paragraph inside a document removed as a copy (it then ranks last)?
    fn in_removed_doc(&self, i: u32) -> bool;
    /// Representative (smallest id) of the paragraph's exact-key group.
    fn group(&self, i: u32) -> u32;
    /// Members of the exact group of representative `rep`, if it has more than one.
    fn group_members(&self, rep: u32) -> Option<&[u32]>;
    /// Representatives verified against representative `rep`.
    fn neighbours(&self, rep: u32) -> &[u32];
    /// Key tokens.
    fn tokens(&self, i: u32) -> &[u32];
    /// For a part of a paragraph searched in parts: the first and last ids of the
    /// paragraph, and its key tokens.
    fn whole(&self, _i: u32) -> Option<([u32; 2], &[u32])> {
        None
    }
    /// Where the copy comes in the keep order before its rank: 0 for an indexed copy
    /// that stayed, 1 for the run's own, 2 for an indexed copy removed in its run.
    fn class(&self, _i: u32) -> u8 {
        1
    }
}

/// Least alignment score of a member with the kept copy when it joins through a
/// near-copy that contains the kept one (see [`split_paragraph_component`]).
pub const BRIDGE_OVERLAP: f64 = 0.5;

/// Split one connected component of paragraphs into clusters around kept copies.
pub fn split_paragraph_component<V: ParaView>(cfg: &Config, v: &V, comp: &[u32]) -> Vec<Cluster> {
    let mut ranked = comp.to_vec();
    ranked.sort_by_key(|&i| (v.class(i), v.in_removed_doc(i), rank(cfg.keep, &v.copy(i))));
    // Near a paragraph: its exact group, and the exact groups of the representatives
    // verified against its own.
    let near = |a: u32, out: &mut Vec<u32>| {
        let g = v.group(a);
        let mut add = |rep: u32| match v.group_members(rep) {
            Some(ms) => out.extend_from_slice(ms),
            None => out.push(rep),
        };
        add(g);
        for &h in v.neighbours(g) {
            add(h);
        }
    };
    let verdict = |a: u32, b: u32| {
        if v.group(a) == v.group(b) {
            return Some((1.0, false));
        }
        let (ta, tb) = (v.tokens(a), v.tokens(b));
        // The alignment, or the shingles that made the pair an edge of the graph (a
        // copy whose sentences come in another order aligns badly).
        let n = cfg.shingle.size();
        verify::copy_verdict(ta, tb, cfg.threshold)
            .or_else(|| verify::shingle_verdict(ta, tb, n, cfg.threshold))
            .or_else(|| {
                // A part of a paragraph searched in parts, by its whole, as in
                // verification.
                let (wa, wb) = (v.whole(a), v.whole(b));
                if !parts_of_two(wa.map(|w| w.0), wb.map(|w| w.0)) {
                    return None;
                }
                let (wa, wb) = (wa.map_or(ta, |w| w.1), wb.map_or(tb, |w| w.1));
                verify::part_verdict((ta, wa), (tb, wb), n, cfg.threshold)
            })
            .map(|v| (v.similarity, v.containment))
    };
    // Through a near-copy of the kept copy, when none of the three is mask-dense
    // (there slots agree with anything, and a template's instances would chain: a
    // province's election list, kept, to another's through a third), and the member
    // is no longer than the near-copy that contains it (a glued paragraph holds more
    // than the kept copy's text). A near-copy that joined by containment bridges only
    // when it is the longer one (the kept copy is trimmed, and the whole paragraph
    // bridges it to a copy trimmed elsewhere), and only a member that shares at least
    // [`BRIDGE_OVERLAP`] with the kept copy (two trims of one whole may keep
    // different halves of it). The member's alignment with the kept copy is reported
    // as measured.
    let bridge = |kept: u32, (via, via_contains): (u32, bool), m: u32| {
        let (tk, tv, tm) = (v.tokens(kept), v.tokens(via), v.tokens(m));
        if verify::is_dense(tv) || verify::is_dense(tm) || verify::is_dense(tk) {
            return None;
        }
        if via_contains && tv.len() < tk.len() {
            return None;
        }
        let (_, containment) = verdict(via, m)?;
        if containment && tm.len() > tv.len() {
            return None;
        }
        let to_kept = verify::similarity(tk, tm, cfg.threshold);
        if via_contains && to_kept.similarity < BRIDGE_OVERLAP {
            return None;
        }
        Some((to_kept.similarity, to_kept.containment))
    };
    split_around_kept(&ranked, near, verdict, bridge)
}

/// Paragraph facts of the whole run, by global id.
pub(in crate::pipeline) struct RunView<'a> {
    pub(in crate::pipeline) paras: &'a [(&'a ParaFacts, u32, u32)],
    pub(in crate::pipeline) group_of: &'a [u32],
    pub(in crate::pipeline) group_members: &'a BTreeMap<u32, Vec<u32>>,
    pub(in crate::pipeline) neighbours: &'a Lists,
    pub(in crate::pipeline) doc_is_removed: &'a [bool],
    /// Key tokens of the component being split (read back from the spill file).
    pub(in crate::pipeline) tokens: HashMap<u32, Vec<u32>>,
    /// The wholes of its members that are parts (see [`Ids::whole_of`]).
    pub(in crate::pipeline) wholes: HashMap<u32, ([u32; 2], Vec<u32>)>,
    pub(in crate::pipeline) prior: &'a Prior,
}

impl ParaView for RunView<'_> {
    fn copy(&self, i: u32) -> Copy {
        let p = self.paras[i as usize].0;
        Copy {
            order: i,
            masks: p.masks,
            key_chars: p.key.key_chars,
        }
    }
    fn in_removed_doc(&self, i: u32) -> bool {
        self.doc_is_removed[self.paras[i as usize].2 as usize]
    }
    fn group(&self, i: u32) -> u32 {
        self.group_of[i as usize]
    }
    fn group_members(&self, rep: u32) -> Option<&[u32]> {
        self.group_members.get(&rep).map(|v| v.as_slice())
    }
    fn neighbours(&self, rep: u32) -> &[u32] {
        self.neighbours.get(rep)
    }
    fn tokens(&self, i: u32) -> &[u32] {
        self.tokens.get(&i).map_or(&[], |v| v.as_slice())
    }
    fn whole(&self, i: u32) -> Option<([u32; 2], &[u32])> {
        self.wholes.get(&i).map(|(w, t)| (*w, t.as_slice()))
    }
    fn class(&self, i: u32) -> u8 {
        self.prior.class(i)
    }
}
