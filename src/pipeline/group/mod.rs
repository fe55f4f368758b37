//! The group phase: exact groups, LSH candidates, the partner cap, verification,
//! document coverage and the cluster splits, numbered into cluster records.

use super::*;

mod candidates;
mod documents;
mod ids;
mod numbering;
mod pairs;
mod paragraphs;
pub(in crate::pipeline) use self::candidates::*;
pub use self::documents::*;
pub use self::ids::whole_of;
pub(in crate::pipeline) use self::ids::*;
pub use self::numbering::*;
pub use self::pairs::*;
pub use self::paragraphs::*;

/// The group phase as a recipe: [`ids`] → [`exact_groups`] → [`candidates`] → the
/// partner ranking ([`lsh::rank_partners`]) → [`verify_candidates`] → [`document_clusters`]
/// (one-hop coverage, then [`gap_coverage`]) → [`paragraph_clusters`] → [`number`].
pub(super) fn group(
    engine: &Engine,
    files: &[FileFacts],
    keys: Vec<FileKeys>,
    spill: &Spill,
    spill_dir: &Path,
    prior: &Prior,
) -> Result<Decisions> {
    let cfg = engine.config();
    let (bands, rows) = engine.bands_rows();
    let mut run_ids = ids(files, cfg.min_chars, bands);
    let mut exact = exact_groups(&run_ids);
    let reps = std::mem::take(&mut exact.reps);
    let cands = candidates(&run_ids, reps, keys, bands, spill, spill_dir)?;
    // Where the band keys were is of no more use.
    run_ids.keys_of = Vec::new();
    let candidate_pairs = cands.len();
    // A text that recurs in N places gives each copy N - 1 candidates: each paragraph
    // tries a bounded number of them, best ranked first (a one-paragraph document's
    // until it has enough copies), so the work follows the copies; the copies of one
    // document keep the same partner documents.
    let doc_of: Vec<u32> = run_ids.paras.iter().map(|&(_, _, d)| d).collect();
    let strong = lsh::strong_bands(bands, rows, cfg.threshold);
    let mut searched_in = vec![0u32; run_ids.doc_file.len()];
    for &i in &run_ids.searched {
        searched_in[doc_of[i as usize] as usize] += 1;
    }
    let partners = lsh::rank_partners(&cands, cfg.max_partners, (&doc_of, &searched_in), strong);
    // The documents with one searched paragraph: theirs stop at enough copies.
    let stops_early = |i: u32| searched_in[doc_of[i as usize] as usize] == 1;
    let whole_of = |i: u32| run_ids.whole_of(i);
    // Tokens are read back from the spill file.
    let paras = &run_ids.paras;
    let read = |i: u32, out: &mut Vec<u32>, bytes: &mut Vec<u8>| -> Result<()> {
        let (p, f, _) = paras[i as usize];
        spill
            .read(&files[f as usize], p, out, bytes)
            .map_err(|e| Error::io(spill_dir, e))
    };
    let Verified {
        pairs: verified,
        skipped: candidate_pairs_skipped,
    } = verify_candidates(cfg, &cands, &partners, stops_early, whole_of, read)?;
    drop((cands, partners, doc_of, searched_in));
    let neighbours = neighbour_lists(paras.len(), &verified);
    let doc_clusters =
        document_clusters(cfg, &run_ids, &exact.group_of, &neighbours, &read, prior)?;
    for &(a, b) in &verified {
        exact.uf.union(a, b);
    }
    let para_clusters = paragraph_clusters(
        cfg,
        &run_ids,
        &mut exact,
        &neighbours,
        &doc_clusters,
        &read,
        prior,
    )?;
    drop(neighbours);
    let numbered = number(files, &run_ids, para_clusters, doc_clusters, prior);
    Ok(Decisions {
        para_removed: numbered.para_removed,
        doc_removed: numbered.doc_removed,
        records: numbered.records,
        candidate_pairs,
        candidate_pairs_skipped,
        verified_pairs: verified.len(),
    })
}

/// `clusters` without their indexed members other than the kept copy, and without the
/// clusters that then hold one member: an indexed copy is never removed, and only its
/// part as the copy that stays is news to a run.
pub(in crate::pipeline) fn drop_indexed(
    clusters: Vec<Cluster>,
    indexed: impl Fn(u32) -> bool,
) -> Vec<Cluster> {
    clusters
        .into_iter()
        .filter_map(|(kept, mut members)| {
            members.retain(|&(m, _, _)| m == kept || !indexed(m));
            (members.len() > 1).then_some((kept, members))
        })
        .collect()
}
