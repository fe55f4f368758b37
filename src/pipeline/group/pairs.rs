//! Step 4 of the group phase: verifying candidate pairs.

use super::*;

/// Shingle Jaccard below which a candidate pair is not aligned (see `verify::is_copy`).
pub(in crate::pipeline) const VERIFY_FLOOR: f64 = 0.25;

/// A verifier of candidate pairs that loads and shingles `a` once while pairs come
/// sorted by `a`, and keeps the `b` sides it loaded in a direct-mapped table: at 30 MB,
/// 102 k pairs touch only 53 k paragraphs, and a paragraph comes back as `b` or `a`
/// while it is still in the table about 40 % of the time.
#[derive(Default)]
pub struct PairVerifier {
    pub(in crate::pipeline) a: Loaded,
    pub(in crate::pipeline) recent: Vec<Loaded>,
}

/// A paragraph's key tokens and shingles.
pub(in crate::pipeline) struct Loaded {
    /// Paragraph id (`u32::MAX`: none).
    pub(in crate::pipeline) id: u32,
    pub(in crate::pipeline) tokens: Vec<u32>,
    pub(in crate::pipeline) shingles: Vec<u32>,
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
pub(in crate::pipeline) const RECENT_SLOTS: usize = 1 << 14;

impl Loaded {
    /// Make this paragraph `id`, loading and shingling it unless it already is.
    pub(in crate::pipeline) fn set<E>(
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
    /// mask-aware alignment (see `verify::is_copy`), then, for a part of a paragraph
    /// searched in parts, its whole (see `verify::part_verdict`). `load(id, out)` puts
    /// a paragraph's key tokens in `out`; `whole(id, out)` says of which paragraph
    /// (first and last ids, see [`whole_of`]) `id` is a part, and puts that whole's key
    /// tokens in `out`, or gives `None`.
    pub fn check<E>(
        &mut self,
        cfg: &Config,
        (a, b): (u32, u32),
        mut whole: impl FnMut(u32, &mut Vec<u32>) -> std::result::Result<Option<[u32; 2]>, E>,
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
        if verify::is_copy(
            (&self.a.tokens, &b_side.tokens),
            (&self.a.shingles, &b_side.shingles),
            cfg.threshold,
            VERIFY_FLOOR,
        ) {
            return Ok(true);
        }
        let (mut ta, mut tb) = (Vec::new(), Vec::new());
        let (wa, wb) = (whole(a, &mut ta)?, whole(b, &mut tb)?);
        if !parts_of_two(wa, wb) {
            return Ok(false);
        }
        let wa: &[u32] = if wa.is_some() { &ta } else { &self.a.tokens };
        let wb: &[u32] = if wb.is_some() { &tb } else { &b_side.tokens };
        let (pa, pb) = (&self.a.tokens[..], &b_side.tokens[..]);
        Ok(verify::part_verdict((pa, wa), (pb, wb), n, cfg.threshold).is_some())
    }
}

/// Do `wa` and `wb`, what [`Ids::whole_of`] says of two paragraphs, call for
/// `verify::part_verdict`: is one of them a part, and are they not two parts of one
/// paragraph (which are no copies of each other)?
pub(in crate::pipeline) fn parts_of_two(wa: Option<[u32; 2]>, wb: Option<[u32; 2]>) -> bool {
    (wa.is_some() || wb.is_some()) && (wa.is_none() || wa != wb)
}

/// The key tokens of the paragraph whose first and last ids are `whole`, its parts
/// read by `load`, into `out`.
pub(in crate::pipeline) fn whole_tokens<E>(
    [first, last]: [u32; 2],
    out: &mut Vec<u32>,
    mut load: impl FnMut(u32, &mut Vec<u32>) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    out.clear();
    let mut part = Vec::new();
    for j in first..=last {
        load(j, &mut part)?;
        out.extend_from_slice(&part);
    }
    Ok(())
}

/// What verification made of the candidates.
pub(in crate::pipeline) struct Verified {
    /// The accepted pairs, in the candidates' order.
    pub(in crate::pipeline) pairs: Vec<(u32, u32)>,
    /// Candidates never tried: left out by the partner cap, or past a one-paragraph
    /// document's [`lsh::ENOUGH_COPIES`] verified copies.
    pub(in crate::pipeline) skipped: usize,
}

/// Step 4: the candidate pairs that verification accepts (see [`PairVerifier`]), with
/// tokens read back by `read`. Each paragraph tries its ranked partners in order; one
/// that `stops_early` (the only searched paragraph of its document) stops at
/// [`lsh::ENOUGH_COPIES`] copies: its further partners would be more copies of what it
/// is already joined to, and any one of them covers its whole document, so a text that
/// recurs N times costs about N tries, not N · cap. A paragraph of a longer document
/// tries all its ranked partners: its document's coverage needs its edges to whichever
/// document is kept, which is not known yet. What a paragraph tries depends only on the
/// verdicts of its own pairs, so the outcome does not depend on the thread count.
pub(in crate::pipeline) fn verify_candidates(
    cfg: &Config,
    cands: &[lsh::Candidate],
    partners: &lsh::Partners,
    stops_early: impl Fn(u32) -> bool + Sync,
    whole_of: impl Fn(u32) -> Option<[u32; 2]> + Sync,
    read: impl Fn(u32, &mut Vec<u32>, &mut Vec<u8>) -> Result<()> + Sync,
) -> Result<Verified> {
    use std::sync::atomic::AtomicU8;
    const UNTRIED: u8 = 0;
    const NO: u8 = 1;
    const YES: u8 = 2;
    // A pair's verdict is a function of the pair alone, so the two ends of a pair may
    // share it whichever of them tries it first.
    let verdicts: Vec<AtomicU8> = (0..cands.len()).map(|_| AtomicU8::new(UNTRIED)).collect();
    let init = || (PairVerifier::default(), Vec::new());
    let try_pair = |(pv, bytes): &mut (PairVerifier, Vec<u8>), k: usize| {
        let v = verdicts[k].load(Ordering::Relaxed);
        if v != UNTRIED {
            return Ok(v == YES);
        }
        let (a, b, _) = cands[k];
        let whole = |i: u32, out: &mut Vec<u32>| -> Result<Option<[u32; 2]>> {
            let Some(w) = whole_of(i) else {
                return Ok(None);
            };
            let mut scratch = Vec::new();
            whole_tokens(w, out, |j, part| read(j, part, &mut scratch))?;
            Ok(Some(w))
        };
        let copy = pv.check(cfg, (a, b), whole, |i, out| read(i, out, bytes))?;
        verdicts[k].store(if copy { YES } else { NO }, Ordering::Relaxed);
        Ok::<bool, Error>(copy)
    };
    let runs: Vec<&[(u32, u32)]> = partners.chunk_by(|x, y| x.0 == y.0).collect();
    runs.par_iter()
        .try_for_each_init(init, |state, run| -> Result<()> {
            let enough = if stops_early(run[0].0) {
                lsh::ENOUGH_COPIES
            } else {
                usize::MAX
            };
            let mut copies = 0;
            for &(_, k) in run.iter() {
                if try_pair(state, k as usize)? {
                    copies += 1;
                    if copies == enough {
                        break;
                    }
                }
            }
            Ok(())
        })?;
    let verdicts: Vec<u8> = verdicts.into_iter().map(AtomicU8::into_inner).collect();
    let pairs = cands
        .iter()
        .zip(&verdicts)
        .filter(|&(_, &v)| v == YES)
        .map(|(&(a, b, _), _)| (a, b))
        .collect();
    let skipped = verdicts.iter().filter(|&&v| v == UNTRIED).count();
    Ok(Verified { pairs, skipped })
}

/// The representatives verified against each representative (`verified` pairs both
/// ways), by paragraph id: a flat list, as every list by paragraph id here (at 1 GB
/// these hold millions of entries, and maps of vectors were most of the memory at the
/// end of this phase).
pub(in crate::pipeline) fn neighbour_lists(n: usize, verified: &[(u32, u32)]) -> Lists {
    let mut pairs: Vec<(u32, u32)> = verified
        .iter()
        .flat_map(|&(a, b)| [(a, b), (b, a)])
        .collect();
    pairs.par_sort_unstable();
    Lists::from_sorted(n, &pairs)
}
