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

/// Step 4: the candidate pairs that verification accepts (see [`PairVerifier`]), with
/// tokens read back by `read`.
pub(in crate::pipeline) fn verify_candidates(
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
