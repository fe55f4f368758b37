//! Steps 1 and 2 of the group phase: the run's global ids, and the exact groups;
//! the flat lists and components the later steps share.

use super::*;

/// Lists of ids for the ids `0..n`, in one array.
pub(in crate::pipeline) struct Lists {
    /// Where each id's list starts in `items` (`n + 1` entries).
    pub(in crate::pipeline) start: Vec<u32>,
    pub(in crate::pipeline) items: Vec<u32>,
}

impl Lists {
    /// From `(id, item)` pairs sorted by id (each list keeps the pairs' order).
    pub(in crate::pipeline) fn from_sorted(n: usize, pairs: &[(u32, u32)]) -> Lists {
        let mut start = vec![0u32; n + 1];
        for &(k, _) in pairs {
            start[k as usize + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        Lists {
            start,
            items: pairs.iter().map(|&(_, v)| v).collect(),
        }
    }

    pub(in crate::pipeline) fn get(&self, id: u32) -> &[u32] {
        let i = id as usize;
        &self.items[self.start[i] as usize..self.start[i + 1] as usize]
    }
}

/// The components of more than one member, from `(root, member)` pairs: members in
/// ascending order, components in the order of their roots.
pub(in crate::pipeline) fn components(pairs: impl Iterator<Item = (u32, u32)>) -> Vec<Vec<u32>> {
    let mut pairs: Vec<(u32, u32)> = pairs.collect();
    pairs.sort_unstable();
    pairs
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|c| c.len() > 1)
        .map(|c| c.iter().map(|&(_, m)| m).collect())
        .collect()
}

/// Global ids of one run: every paragraph with its file and global document, the
/// documents' files, lines and scripts, and where a searched paragraph's band keys are.
pub(in crate::pipeline) struct Ids<'a> {
    /// `(facts, file, global document)` by global paragraph id.
    pub(in crate::pipeline) paras: Vec<(&'a ParaFacts, u32, u32)>,
    pub(in crate::pipeline) doc_file: Vec<u32>,
    pub(in crate::pipeline) doc_lines: Vec<[u32; 2]>,
    pub(in crate::pipeline) doc_script: Vec<script::Script>,
    /// Where each searched paragraph's band keys start: file, offset in its keys.
    pub(in crate::pipeline) keys_of: Vec<Option<(u32, u32)>>,
    /// Band keys of each file.
    pub(in crate::pipeline) keys_len: Vec<u32>,
    /// The searched paragraphs' ids, ascending.
    pub(in crate::pipeline) searched: Vec<u32>,
}

/// Step 1: number the run's paragraphs and documents.
pub(in crate::pipeline) fn ids(files: &[FileFacts], min_chars: usize, bands: usize) -> Ids<'_> {
    let total: usize = files.iter().map(|f| f.paras.len()).sum();
    let mut ids = Ids {
        paras: Vec::with_capacity(total),
        doc_file: Vec::new(),
        doc_lines: Vec::new(),
        doc_script: Vec::new(),
        keys_of: Vec::with_capacity(total),
        keys_len: Vec::with_capacity(files.len()),
        searched: Vec::new(),
    };
    for (fi, f) in files.iter().enumerate() {
        let mut kpos = 0;
        let base = ids.doc_file.len() as u32;
        for d in &f.docs {
            ids.doc_file.push(fi as u32);
            ids.doc_lines.push(d.lines);
            ids.doc_script.push(d.script);
        }
        for p in &f.paras {
            ids.paras.push((p, fi as u32, base + p.doc));
            if p.key.searched(min_chars) {
                ids.keys_of.push(Some((fi as u32, kpos)));
                kpos += bands as u32;
            } else {
                ids.keys_of.push(None);
            }
        }
        ids.keys_len.push(kpos);
    }
    ids.searched = (0..ids.paras.len() as u32)
        .filter(|&i| ids.keys_of[i as usize].is_some())
        .collect();
    ids
}

impl Ids<'_> {
    /// The first and last ids of the paragraph that `i` is a part of (see
    /// [`whole_of`]).
    pub(in crate::pipeline) fn whole_of(&self, i: u32) -> Option<[u32; 2]> {
        let file = self.paras[i as usize].1;
        let glued = |j: usize| self.paras[j].0.glued;
        let in_file = |j: usize| self.paras.get(j).is_some_and(|p| p.1 == file);
        let searched = |j: usize| self.searched.binary_search(&(j as u32)).is_ok();
        whole_of(i as usize, glued, in_file, searched).map(|[a, b]| [a as u32, b as u32])
    }
}

/// The first and last indices of the paragraph that paragraph `i` is a part of, when
/// the page wrote it as one and it is searched in two to [`WHOLE_MAX_PARTS`] parts, all
/// of them searched (as [`Engine::share_whole_keys`] counts them); `None` for any other
/// paragraph. `glued(j)`: paragraph `j` goes on in the next; `in_file(j)`: `j` is a
/// paragraph of `i`'s file. The one rule for a run's ids and for a file's paragraphs
/// (the Spark job's analysis).
pub fn whole_of(
    i: usize,
    glued: impl Fn(usize) -> bool,
    in_file: impl Fn(usize) -> bool,
    searched: impl Fn(usize) -> bool,
) -> Option<[usize; 2]> {
    let (mut first, mut last) = (i, i);
    while first > 0 && in_file(first - 1) && glued(first - 1) {
        first -= 1;
        if i - first >= WHOLE_MAX_PARTS {
            return None;
        }
    }
    while glued(last) && in_file(last + 1) {
        last += 1;
        if last - first >= WHOLE_MAX_PARTS {
            return None;
        }
    }
    (first < last && (first..=last).all(searched)).then_some([first, last])
}

/// Exact groups: searched paragraphs with identical keys.
pub(in crate::pipeline) struct Exact {
    /// Joined so far: each exact group.
    pub(in crate::pipeline) uf: UnionFind,
    /// The first member of each group, the only one banded.
    pub(in crate::pipeline) reps: Vec<u32>,
    /// The representative of each searched paragraph (`u32::MAX` for the others).
    pub(in crate::pipeline) group_of: Vec<u32>,
    /// Members of each exact group of more than one (by representative).
    pub(in crate::pipeline) group_members: BTreeMap<u32, Vec<u32>>,
}

/// Step 2: the exact-key fast path. Identical keys are one group; only its first member
/// is banded.
pub(in crate::pipeline) fn exact_groups(ids: &Ids) -> Exact {
    let n = ids.paras.len();
    let mut by_key: Vec<(u64, u32)> = ids
        .searched
        .iter()
        .map(|&i| (ids.paras[i as usize].0.key.key_hash, i))
        .collect();
    by_key.par_sort_unstable();
    let mut ex = Exact {
        uf: UnionFind::new(n),
        reps: Vec::new(),
        group_of: vec![u32::MAX; n],
        group_members: BTreeMap::new(),
    };
    for g in by_key.chunk_by(|a, b| a.0 == b.0) {
        ex.reps.push(g[0].1);
        if g.len() > 1 {
            ex.group_members
                .insert(g[0].1, g.iter().map(|&(_, m)| m).collect());
        }
        for &(_, m) in g {
            ex.uf.union(g[0].1, m);
            ex.group_of[m as usize] = g[0].1;
        }
    }
    ex
}
