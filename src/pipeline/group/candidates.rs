//! Step 3 of the group phase: LSH candidates from band columns.

use super::*;

/// The band keys of the group representatives, one column per band, in the order of
/// their ids.
pub(in crate::pipeline) enum BandColumns {
    Memory(Vec<Vec<u64>>),
    /// Band `b`'s column at byte offset `at + 8 · b · reps` of the spill file.
    Spilled {
        at: u64,
        reps: usize,
    },
}

/// Entries of each column written to the spill file at once.
pub(in crate::pipeline) const COLUMN_CHUNK: usize = 8192;

impl BandColumns {
    /// Band `b`'s column.
    pub(in crate::pipeline) fn band<'a>(
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
pub(in crate::pipeline) fn band_columns(
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

/// Step 3: LSH candidates among the group representatives `reps`, each with the bands
/// that paired it. Bands are taken a few at a time and merged into the sorted set,
/// since a near-identical pair turns up in most bands and all bands' pairs at once would
/// need many times the final set. The representatives' keys are first laid out one
/// column per band (on disk when the files' keys were spilled), so a round reads only
/// its own bands.
pub(in crate::pipeline) fn candidates(
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
