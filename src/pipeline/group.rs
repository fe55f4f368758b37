//! The group phase: exact groups, LSH candidates, the partner cap, verification,
//! document coverage and the cluster splits, numbered into cluster records.

use super::*;

/// Shingle Jaccard below which a candidate pair is not aligned (see `verify::is_copy`).
pub(super) const VERIFY_FLOOR: f64 = 0.25;

/// A verifier of candidate pairs that loads and shingles `a` once while pairs come
/// sorted by `a`, and keeps the `b` sides it loaded in a direct-mapped table: at 30 MB,
/// 102 k pairs touch only 53 k paragraphs, and a paragraph comes back as `b` or `a`
/// while it is still in the table about 40 % of the time.
#[derive(Default)]
pub struct PairVerifier {
    pub(super) a: Loaded,
    pub(super) recent: Vec<Loaded>,
}

/// A paragraph's key tokens and shingles.
pub(super) struct Loaded {
    /// Paragraph id (`u32::MAX`: none).
    pub(super) id: u32,
    pub(super) tokens: Vec<u32>,
    pub(super) shingles: Vec<u32>,
}

impl Default for Loaded {
    fn default() -> Self {
        Loaded {
            id: u32::MAX,
            tokens: Vec::new(),
            shingles: Vec::new(),
        }
    }
}

/// Entries of [`PairVerifier`]'s table of recent `b` sides.
pub(super) const RECENT_SLOTS: usize = 1 << 14;

impl Loaded {
    /// Make this paragraph `id`, loading and shingling it unless it already is.
    pub(super) fn set<E>(
        &mut self,
        id: u32,
        n: usize,
        load: &mut impl FnMut(u32, &mut Vec<u32>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        if self.id != id {
            self.id = u32::MAX;
            load(id, &mut self.tokens)?;
            fingerprint::shingles(&self.tokens, n, &mut self.shingles);
            self.id = id;
        }
        Ok(())
    }
}

impl PairVerifier {
    /// Is the candidate pair `(a, b)` a verified copy: shingle Jaccard, then the
    /// mask-aware alignment (see `verify::is_copy`). `load(id, out)` puts a
    /// paragraph's key tokens in `out`.
    pub fn check<E>(
        &mut self,
        cfg: &Config,
        (a, b): (u32, u32),
        mut load: impl FnMut(u32, &mut Vec<u32>) -> std::result::Result<(), E>,
    ) -> std::result::Result<bool, E> {
        let n = cfg.shingle.size();
        if self.recent.is_empty() {
            self.recent.resize_with(RECENT_SLOTS, Loaded::default);
        }
        if self.a.id != a {
            let seen = &self.recent[a as usize % RECENT_SLOTS];
            if seen.id == a {
                self.a.id = u32::MAX;
                self.a.tokens.clone_from(&seen.tokens);
                self.a.shingles.clone_from(&seen.shingles);
                self.a.id = a;
            }
        }
        self.a.set(a, n, &mut load)?;
        let b_side = &mut self.recent[b as usize % RECENT_SLOTS];
        b_side.set(b, n, &mut load)?;
        Ok(verify::is_copy(
            (&self.a.tokens, &b_side.tokens),
            (&self.a.shingles, &b_side.shingles),
            cfg.threshold,
            VERIFY_FLOOR,
        ))
    }
}

/// Lists of ids for the ids `0..n`, in one array.
pub(super) struct Lists {
    /// Where each id's list starts in `items` (`n + 1` entries).
    pub(super) start: Vec<u32>,
    pub(super) items: Vec<u32>,
}

impl Lists {
    /// From `(id, item)` pairs sorted by id (each list keeps the pairs' order).
    pub(super) fn from_sorted(n: usize, pairs: &[(u32, u32)]) -> Lists {
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

    pub(super) fn get(&self, id: u32) -> &[u32] {
        let i = id as usize;
        &self.items[self.start[i] as usize..self.start[i + 1] as usize]
    }
}

/// The components of more than one member, from `(root, member)` pairs: members in
/// ascending order, components in the order of their roots.
pub(super) fn components(pairs: impl Iterator<Item = (u32, u32)>) -> Vec<Vec<u32>> {
    let mut pairs: Vec<(u32, u32)> = pairs.collect();
    pairs.sort_unstable();
    pairs
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|c| c.len() > 1)
        .map(|c| c.iter().map(|&(_, m)| m).collect())
        .collect()
}

/// The band keys of the group representatives, one column per band, in the order of
/// their ids.
pub(super) enum BandColumns {
    Memory(Vec<Vec<u64>>),
    /// Band `b`'s column at byte offset `at + 8 · b · reps` of the spill file.
    Spilled {
        at: u64,
        reps: usize,
    },
}

/// Entries of each column written to the spill file at once.
pub(super) const COLUMN_CHUNK: usize = 8192;

impl BandColumns {
    /// Band `b`'s column.
    pub(super) fn band<'a>(
        &'a self,
        b: usize,
        spill: &Spill,
        bytes: &mut Vec<u8>,
    ) -> std::io::Result<std::borrow::Cow<'a, [u64]>> {
        match self {
            BandColumns::Memory(cols) => Ok(std::borrow::Cow::Borrowed(&cols[b])),
            BandColumns::Spilled { at, reps } => {
                let mut col = Vec::with_capacity(*reps);
                let at = at + (8 * b * reps) as u64;
                spill.read_le((at, *reps), u64::from_le_bytes, &mut col, bytes)?;
                Ok(std::borrow::Cow::Owned(col))
            }
        }
    }
}

/// Lay out the band keys of `reps` (ascending ids) one column per band: in memory when
/// every file kept its keys in memory, else in the spill file, a chunk of each column
/// at a time (`chunk` entries of each). `keys_of` gives each searched paragraph's file
/// and offset in its keys, `keys_len` each file's number of keys. Each file's keys are
/// dropped once read.
pub(super) fn band_columns(
    reps: &[u32],
    keys_of: &[Option<(u32, u32)>],
    keys_len: &[u32],
    mut keys: Vec<FileKeys>,
    (bands, chunk): (usize, usize),
    spill: &Spill,
) -> std::io::Result<BandColumns> {
    let on_disk = spill.keys_spilled.load(Ordering::Relaxed);
    let n = reps.len();
    let mut cols: Vec<Vec<u64>> = (0..bands)
        .map(|_| Vec::with_capacity(if on_disk { chunk } else { n }))
        .collect();
    let at = if on_disk {
        spill.reserve((8 * n * bands) as u64)
    } else {
        0
    };
    let mut flushed = 0usize;
    let flush = |cols: &mut [Vec<u64>], flushed: &mut usize| -> std::io::Result<()> {
        for (b, col) in cols.iter_mut().enumerate() {
            let bytes = le_bytes(col, u64::to_le_bytes);
            write_at(&spill.file, &bytes, at + (8 * (b * n + *flushed)) as u64)?;
        }
        *flushed += cols[0].len();
        cols.iter_mut().for_each(Vec::clear);
        Ok(())
    };
    let (mut cur, mut file_keys, mut bytes) = (None, Vec::new(), Vec::new());
    for &i in reps {
        let (f, k) = keys_of[i as usize].expect("representatives are searched");
        if cur != Some(f) {
            file_keys = match std::mem::replace(&mut keys[f as usize], FileKeys::Memory(Vec::new()))
            {
                FileKeys::Memory(v) => v,
                FileKeys::Spilled(off) => {
                    let mut v = Vec::new();
                    let n_keys = keys_len[f as usize] as usize;
                    spill.read_le((off, n_keys), u64::from_le_bytes, &mut v, &mut bytes)?;
                    v
                }
            };
            cur = Some(f);
        }
        for (b, col) in cols.iter_mut().enumerate() {
            col.push(file_keys[k as usize + b]);
        }
        if on_disk && cols[0].len() == chunk {
            flush(&mut cols, &mut flushed)?;
        }
    }
    if !on_disk {
        return Ok(BandColumns::Memory(cols));
    }
    if cols.first().is_some_and(|c| !c.is_empty()) {
        flush(&mut cols, &mut flushed)?;
    }
    Ok(BandColumns::Spilled { at, reps: n })
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
}

/// Split one connected component of paragraphs into clusters around kept copies.
pub fn split_paragraph_component<V: ParaView>(cfg: &Config, v: &V, comp: &[u32]) -> Vec<Cluster> {
    let mut ranked = comp.to_vec();
    ranked.sort_by_key(|&i| (v.in_removed_doc(i), rank(cfg.keep, &v.copy(i))));
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
    split_around_kept(&ranked, near, |a, b| {
        if v.group(a) == v.group(b) {
            return Some((1.0, false));
        }
        verify::copy_verdict(v.tokens(a), v.tokens(b), cfg.threshold)
            .map(|v| (v.similarity, v.containment))
    })
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
    use std::cmp::Reverse;
    use std::collections::{BinaryHeap, HashSet};
    // Greedy: each round the document that covers the most of those left (ties: the
    // `--keep` rank, then the id) takes them. Counts only fall as documents go, so a
    // heap of stale counts is exact once the top's count is checked again (lazy
    // greedy): the work follows the cover edges, not rounds × documents × edges.
    let mut out = Vec::new();
    let mut alive: HashSet<u32> = comp.iter().copied().collect();
    let live =
        |k: u32, alive: &HashSet<u32>| covers(k).iter().filter(|(d, _)| alive.contains(d)).count();
    // (documents it covers among those left, then the best `--keep` rank and the
    // lowest id first)
    type Entry = (usize, Reverse<(u32, Reverse<u32>, u32)>, Reverse<u32>);
    let mut heap: BinaryHeap<Entry> = comp
        .iter()
        .map(|&k| {
            (
                live(k, &alive),
                Reverse(rank(cfg.keep, &copy(k))),
                Reverse(k),
            )
        })
        .collect();
    while let Some((n, r, Reverse(k))) = heap.pop() {
        if n == 0 {
            break;
        }
        if !alive.contains(&k) {
            continue;
        }
        let now = live(k, &alive);
        if now < n {
            heap.push((now, r, Reverse(k)));
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

/// Paragraph facts of the whole run, by global id.
pub(super) struct RunView<'a> {
    pub(super) paras: &'a [(&'a ParaFacts, u32, u32)],
    pub(super) group_of: &'a [u32],
    pub(super) group_members: &'a BTreeMap<u32, Vec<u32>>,
    pub(super) neighbours: &'a Lists,
    pub(super) doc_is_removed: &'a [bool],
    /// Key tokens of the component being split (read back from the spill file).
    pub(super) tokens: HashMap<u32, Vec<u32>>,
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
}

/// The group phase: candidates, verification, clusters, documents, keep decisions.
/// Global ids of one run: every paragraph with its file and global document, the
/// documents' files, lines and scripts, and where a searched paragraph's band keys are.
pub(super) struct Ids<'a> {
    /// `(facts, file, global document)` by global paragraph id.
    pub(super) paras: Vec<(&'a ParaFacts, u32, u32)>,
    pub(super) doc_file: Vec<u32>,
    pub(super) doc_lines: Vec<[u32; 2]>,
    pub(super) doc_script: Vec<script::Script>,
    /// Where each searched paragraph's band keys start: file, offset in its keys.
    pub(super) keys_of: Vec<Option<(u32, u32)>>,
    /// Band keys of each file.
    pub(super) keys_len: Vec<u32>,
    /// The searched paragraphs' ids, ascending.
    pub(super) searched: Vec<u32>,
}

/// Step 1: number the run's paragraphs and documents.
pub(super) fn ids(files: &[FileFacts], min_chars: usize, bands: usize) -> Ids<'_> {
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

/// Exact groups: searched paragraphs with identical keys.
pub(super) struct Exact {
    /// Joined so far: each exact group.
    pub(super) uf: UnionFind,
    /// The first member of each group, the only one banded.
    pub(super) reps: Vec<u32>,
    /// The representative of each searched paragraph (`u32::MAX` for the others).
    pub(super) group_of: Vec<u32>,
    /// Members of each exact group of more than one (by representative).
    pub(super) group_members: BTreeMap<u32, Vec<u32>>,
}

/// Step 2: the exact-key fast path. Identical keys are one group; only its first member
/// is banded.
pub(super) fn exact_groups(ids: &Ids) -> Exact {
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

/// Step 3: LSH candidates among the group representatives `reps`, each with the bands
/// that paired it. Bands are taken a few at a time and merged into the sorted set,
/// since a near-identical pair turns up in most bands and all bands' pairs at once would
/// need many times the final set. The representatives' keys are first laid out one
/// column per band (on disk when the files' keys were spilled), so a round reads only
/// its own bands.
pub(super) fn candidates(
    ids: &Ids,
    mut reps: Vec<u32>,
    keys: Vec<FileKeys>,
    bands: usize,
    spill: &Spill,
    spill_dir: &Path,
) -> Result<Vec<lsh::Candidate>> {
    reps.sort_unstable();
    let io = |e| Error::io(spill_dir, e);
    let columns = band_columns(
        &reps,
        &ids.keys_of,
        &ids.keys_len,
        keys,
        (bands, COLUMN_CHUNK),
        spill,
    )
    .map_err(io)?;
    let band_pairs = |b: usize| -> Result<Vec<(u32, u32)>> {
        let mut bytes = Vec::new();
        let column = columns.band(b, spill, &mut bytes).map_err(io)?;
        let e = lsh::sorted_entries(&column, &reps);
        drop(column);
        let mut out = Vec::new();
        lsh::pairs_from_sorted(&e, &mut out);
        Ok(out)
    };
    let mut cands: Vec<lsh::Candidate> = Vec::new();
    let per_round = rayon::current_num_threads().max(1) * 2;
    for first in (0..bands).step_by(per_round) {
        let round: Vec<Vec<(u32, u32)>> = (first..(first + per_round).min(bands))
            .into_par_iter()
            .map(band_pairs)
            .collect::<Result<_>>()?;
        let mut round = round.concat();
        round.par_sort_unstable();
        lsh::merge_sorted(&mut cands, &lsh::count_sorted(&round));
    }
    cands.shrink_to_fit();
    Ok(cands)
}

/// Step 4: the candidate pairs that verification accepts (see [`PairVerifier`]), with
/// tokens read back by `read`.
pub(super) fn verify_candidates(
    cfg: &Config,
    cands: &[lsh::Candidate],
    read: impl Fn(u32, &mut Vec<u32>, &mut Vec<u8>) -> Result<()> + Sync,
) -> Result<Vec<(u32, u32)>> {
    let checked: Vec<Option<(u32, u32)>> = cands
        .par_iter()
        .map_init(
            || (PairVerifier::default(), Vec::new()),
            |(pv, bytes), &(a, b, _)| -> Result<Option<(u32, u32)>> {
                let copy = pv.check(cfg, (a, b), |i, out| read(i, out, bytes))?;
                Ok(copy.then_some((a, b)))
            },
        )
        .collect::<Result<_>>()?;
    Ok(checked.into_iter().flatten().collect())
}

/// The group phase: [`ids`] → [`exact_groups`] → [`candidates`] → the partner cap
/// ([`lsh::cap_partners`]) → [`verify_candidates`] → document coverage (one hop, then
/// [`gap_coverage`]) and clusters →
/// paragraph clusters → numbering.
pub(super) fn group(
    engine: &Engine,
    files: &[FileFacts],
    keys: Vec<FileKeys>,
    spill: &Spill,
    spill_dir: &Path,
) -> Result<Decisions> {
    let cfg = engine.config();
    let (bands, _) = engine.bands_rows();
    let run_ids = ids(files, cfg.min_chars, bands);
    let Exact {
        mut uf,
        reps,
        group_of,
        group_members,
    } = exact_groups(&run_ids);
    let mut cands = candidates(&run_ids, reps, keys, bands, spill, spill_dir)?;
    let Ids {
        paras,
        doc_file,
        doc_lines,
        doc_script,
        keys_of,
        keys_len: _,
        searched,
    } = run_ids;
    let n = paras.len();
    let candidate_pairs = cands.len();
    // A text that recurs in N places gives each copy N - 1 candidates: verify each
    // paragraph against a bounded number of them, so the work follows the copies.
    let candidate_pairs_skipped = lsh::cap_partners(&mut cands, cfg.max_partners);
    // Tokens are read back from the spill file.
    let read = |i: u32, out: &mut Vec<u32>, bytes: &mut Vec<u8>| -> Result<()> {
        let (p, f, _) = paras[i as usize];
        spill
            .read(&files[f as usize], p, out, bytes)
            .map_err(|e| Error::io(spill_dir, e))
    };
    let verified = verify_candidates(cfg, &cands, read)?;
    drop(cands);
    for &(a, b) in &verified {
        uf.union(a, b);
    }

    // Document coverage: a paragraph of D is covered by E when a copy (same exact group,
    // or a verified neighbour group) lies in E.
    // Lists by paragraph id in flat arrays, not maps of vectors: at 1 GB these hold
    // millions of entries, and the map nodes and per-entry vectors were most of the
    // memory at the end of this phase.
    let mut pairs: Vec<(u32, u32)> = searched
        .iter()
        .map(|&i| (group_of[i as usize], paras[i as usize].2))
        .collect();
    pairs.par_sort_unstable();
    pairs.dedup();
    let group_docs = Lists::from_sorted(n, &pairs);
    pairs.clear();
    pairs.extend(verified.iter().flat_map(|&(a, b)| [(a, b), (b, a)]));
    pairs.par_sort_unstable();
    let neighbours = Lists::from_sorted(n, &pairs);
    drop(pairs);
    let ndocs = doc_file.len();
    let mut doc_chars = vec![0u64; ndocs];
    let mut doc_masks = vec![0u64; ndocs];
    let mut doc_searched_chars = vec![0u64; ndocs];
    for (i, (p, _, d)) in paras.iter().enumerate() {
        doc_chars[*d as usize] += p.key.key_chars as u64;
        doc_masks[*d as usize] += p.masks as u64;
        if keys_of[i].is_some() {
            doc_searched_chars[*d as usize] += p.key.key_chars as u64;
        }
    }
    let mut covered: BTreeMap<(u32, u32), u64> = BTreeMap::new();
    let mut others = Vec::new();
    for &i in &searched {
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
    drop(keys_of);
    let doc_units = {
        let pairs: Vec<(u32, u32)> = searched.iter().map(|&i| (paras[i as usize].2, i)).collect();
        Lists::from_sorted(ndocs, &pairs)
    };
    let near = |g: u32| neighbours.get(g);
    for ((d, e), chars) in gap_coverage(
        cfg,
        &covered,
        &doc_searched_chars,
        &doc_units,
        |i| {
            (
                group_of[i as usize],
                paras[i as usize].0.key.key_chars as u64,
            )
        },
        near,
        read,
    )? {
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
        doc_clusters.extend(split_document_component(cfg, &comp, covers, doc_copy));
    }
    drop(doc_edges);
    let mut doc_removed = vec![None; ndocs];

    // Paragraph clusters around kept members; copies inside removed documents rank last.
    let mut doc_is_removed = vec![false; ndocs];
    for (k, members) in &doc_clusters {
        for (m, _, _) in members {
            if m != k {
                doc_is_removed[*m as usize] = true;
            }
        }
    }
    let comp_list = components(searched.iter().map(|&i| (uf.find(i), i)));
    let split: Vec<Vec<Cluster>> = comp_list
        .par_iter()
        .map_init(Vec::new, |bytes, comp| -> Result<Vec<Cluster>> {
            let mut tokens = HashMap::with_capacity(comp.len());
            for &i in comp {
                let mut t = Vec::new();
                read(i, &mut t, bytes)?;
                tokens.insert(i, t);
            }
            let view = RunView {
                paras: &paras,
                group_of: &group_of,
                group_members: &group_members,
                neighbours: &neighbours,
                doc_is_removed: &doc_is_removed,
                tokens,
            };
            Ok(split_paragraph_component(cfg, &view, comp))
        })
        .collect::<Result<_>>()?;
    let para_clusters: Vec<Cluster> = split.into_iter().flatten().collect();
    drop((comp_list, neighbours));

    // Stable ids: paragraph clusters by first member, then document clusters likewise.
    let mut records = Vec::new();
    let mut para_removed = vec![None; n];
    emit_clusters(
        Level::Paragraph,
        para_clusters,
        0,
        &mut para_removed,
        &mut records,
        |m| {
            let (p, f, _) = paras[m as usize];
            Place {
                file: files[f as usize].rel_path.clone(),
                lines: p.lines,
                cols: p.cols,
                script: p.script,
            }
        },
    );
    let base = records.len() as u32;
    emit_clusters(
        Level::Document,
        doc_clusters,
        base,
        &mut doc_removed,
        &mut records,
        |d| Place {
            file: files[doc_file[d as usize] as usize].rel_path.clone(),
            lines: doc_lines[d as usize],
            cols: None,
            script: doc_script[d as usize],
        },
    );
    Ok(Decisions {
        para_removed,
        doc_removed,
        records,
        candidate_pairs,
        candidate_pairs_skipped,
        verified_pairs: verified.len(),
    })
}

/// Characters of D that the gaps between its matched units and E's cover
/// ([`gaps::gap_cover`]), for the pairs `(d, e)` of `covered` under `--doc-threshold`:
/// each D's first [`gaps::GAP_PARTNERS`] such E, those covering the most first, then
/// the lowest ids. `doc_units` lists each document's searched units in order, and
/// `unit(i)` is unit `i`'s group and searched characters. Pairs that gain nothing are
/// left out.
pub(super) fn gap_coverage<'a>(
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

/// Put members in id order and clusters in order of their first member: the order
/// that numbers clusters.
pub fn order_clusters(clusters: &mut [Cluster]) {
    for (_, m) in clusters.iter_mut() {
        m.sort_by_key(|x| x.0);
    }
    clusters.sort_by_key(|(_, m)| m[0].0);
}

/// The `clusters.jsonl` record of cluster `cid` (members in id order). `place` names a
/// member's file and line range.
pub fn cluster_record(
    cid: u32,
    level: Level,
    kept: u32,
    members: &[Member],
    place: impl Fn(u32) -> Place,
) -> ClusterRecord {
    let placed: Vec<Place> = members.iter().map(|&(m, ..)| place(m)).collect();
    // Members in both scripts: the record says so, and which member is which.
    let mixed = placed.windows(2).any(|w| w[0].script != w[1].script);
    ClusterRecord {
        cluster: cid,
        level,
        kept: members
            .iter()
            .position(|x| x.0 == kept)
            .expect("kept is a member"),
        scripts: mixed.then(|| vec!["simplified", "traditional"]),
        members: members
            .iter()
            .zip(placed)
            .map(|(&(_, s, containment), p)| ClusterMember {
                file: p.file,
                lines: p.lines,
                cols: p.cols,
                similarity: round4(s),
                containment,
                script: mixed.then(|| p.script.name()),
            })
            .collect(),
    }
}

/// Number `clusters` from `base` in order of their first member, mark every non-kept
/// member as removed by its cluster, and push the records.
pub(super) fn emit_clusters(
    level: Level,
    mut clusters: Vec<Cluster>,
    base: u32,
    removed: &mut [Option<u32>],
    records: &mut Vec<ClusterRecord>,
    place: impl Fn(u32) -> Place,
) {
    order_clusters(&mut clusters);
    for (j, (kept, members)) in clusters.iter().enumerate() {
        let cid = base + j as u32;
        for &(m, _, _) in members {
            if m != *kept {
                removed[m as usize] = Some(cid);
            }
        }
        records.push(cluster_record(cid, level, *kept, members, &place));
    }
}
