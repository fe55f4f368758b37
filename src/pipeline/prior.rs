//! A run against a saved index (`clean --index`): the indexed documents near the run's
//! paragraphs are loaded as units placed before the run's own, so the group phase
//! compares them like any other unit; after the run, its documents become the index's
//! next segment (see [`crate::index`]).
//!
//! Near means sharing a probe key: an indexed paragraph with the exact key or a band
//! key of one of the run's searched paragraphs. Its whole document is loaded (the
//! coverage of a document needs all of its units), with its band keys recomputed from
//! its key tokens. The group phase then ranks indexed copies first whatever `--keep`
//! says (they are already published), never removes them, and leaves them out of the
//! clusters except as the copy that stays.

use super::*;
use crate::index::segment::{probe_key, IndexedDoc, IndexedPara, Packed, SegmentWriter};
use crate::index::Index;

/// The indexed units of a run: the first `files` of its files, one per document.
#[derive(Debug, Default)]
pub struct Prior {
    pub files: usize,
    /// Their paragraphs: global ids `0..paras`.
    pub paras: usize,
    /// Of those, the ones removed in their own run as copies (they count for their
    /// document's coverage, but are never the copy that stays).
    pub removed: Vec<bool>,
    /// The index run of each indexed file.
    pub runs: Vec<u32>,
    /// Indexed documents removed in their run (links between copies): they never keep
    /// or remove anything.
    pub doc_removed: Vec<bool>,
}

impl Prior {
    /// Is global paragraph `i` indexed?
    pub fn para(&self, i: u32) -> bool {
        (i as usize) < self.paras
    }

    /// Is global document `d` indexed (one document per indexed file)?
    pub fn doc(&self, d: u32) -> bool {
        (d as usize) < self.files
    }

    /// Is global document `d` an indexed document that was removed in its run?
    pub fn doc_barred(&self, d: u32) -> bool {
        self.doc(d) && self.doc_removed[d as usize]
    }

    /// The paragraph's class in the keep order: indexed copies that stayed first, then
    /// the run's own, then indexed copies that were removed.
    pub fn class(&self, i: u32) -> u8 {
        match self.para(i) {
            true if self.removed[i as usize] => 2,
            true => 0,
            false => 1,
        }
    }
}

/// Probe keys looked up at once (8 bytes each): the run's files are probed in batches
/// of about this many.
const PROBES_AT_ONCE: usize = 4 << 20;

/// A file's band keys, read back from the spill file when they are there.
fn file_keys<'a>(
    keys: &'a FileKeys,
    n: usize,
    spill: &Spill,
    bytes: &mut Vec<u8>,
) -> std::io::Result<std::borrow::Cow<'a, [u64]>> {
    match keys {
        FileKeys::Memory(v) => Ok(std::borrow::Cow::Borrowed(v)),
        FileKeys::Spilled(at) => {
            let mut v = Vec::with_capacity(n);
            spill.read_le((*at, n), u64::from_le_bytes, &mut v, bytes)?;
            Ok(std::borrow::Cow::Owned(v))
        }
    }
}

/// Push a searched paragraph's probe keys: its exact key, then its `band_keys`.
fn push_probes(key_hash: u64, band_keys: &[u64], out: &mut Vec<u64>) {
    out.push(probe_key(key_hash, band_keys.len()));
    out.extend(band_keys.iter().enumerate().map(|(b, &k)| probe_key(k, b)));
}

/// The probe keys of file `f`'s searched paragraphs, from its band keys `keys` (`bands`
/// per searched paragraph).
fn probes_of(f: &FileFacts, keys: &[u64], bands: usize, min_chars: usize, out: &mut Vec<u64>) {
    let searched = f.paras.iter().filter(|p| p.key.searched(min_chars));
    for (p, k) in searched.zip(keys.chunks_exact(bands)) {
        push_probes(p.key.key_hash, k, out);
    }
}

fn searched_keys(f: &FileFacts, min_chars: usize, bands: usize) -> usize {
    f.paras.iter().filter(|p| p.key.searched(min_chars)).count() * bands
}

/// Load the indexed documents near the run's paragraphs (`files` and their `keys`) as
/// units: their facts and band keys, to be put before the run's own.
pub(super) fn load(
    engine: &Engine,
    index: &Index,
    files: &[FileFacts],
    keys: &[FileKeys],
    spill: &Spill,
    scratch: &Path,
) -> Result<(Vec<FileFacts>, Vec<FileKeys>, Prior)> {
    let cfg = engine.config();
    let (bands, _) = engine.bands_rows();
    let io = |e| Error::io(scratch, e);
    if index.runs().is_empty() {
        return Ok((Vec::new(), Vec::new(), Prior::default()));
    }
    // The run's probe keys a batch of files at a time (a few per band of a searched
    // paragraph: a run of many files would hold them all at once otherwise).
    let mut found: Vec<(u32, u32)> = Vec::new();
    let mut from = 0;
    while from < files.len() {
        let (mut to, mut n) = (from, 0);
        while to < files.len() && (to == from || n < PROBES_AT_ONCE) {
            n += searched_keys(&files[to], cfg.min_chars, bands + 1);
            to += 1;
        }
        let per_file: Vec<Vec<u64>> = files[from..to]
            .par_iter()
            .zip(&keys[from..to])
            .map_init(Vec::new, |bytes, (f, k)| -> Result<Vec<u64>> {
                let n = searched_keys(f, cfg.min_chars, bands);
                let k = file_keys(k, n, spill, bytes).map_err(io)?;
                let mut out = Vec::new();
                probes_of(f, &k, bands, cfg.min_chars, &mut out);
                Ok(out)
            })
            .collect::<Result<_>>()?;
        let mut probes = per_file.concat();
        drop(per_file);
        probes.par_sort_unstable();
        probes.dedup();
        found.extend(index.lookup(&probes)?);
        from = to;
    }
    found.sort_unstable();
    found.dedup();
    let loaded: Vec<(u32, IndexedDoc, Vec<u64>)> = found
        .par_iter()
        .map_init(
            Scratch::default,
            |sc, &(s, d)| -> Result<(u32, IndexedDoc, Vec<u64>)> {
                let doc = index.doc(s, d)?;
                let mut band_keys = Vec::new();
                for p in &doc.paras {
                    if p.key.searched(cfg.min_chars) {
                        engine.band_keys_of_tokens(&p.tokens, sc, &mut band_keys);
                    }
                }
                let searched = |p: &'_ IndexedPara| p.key.searched(cfg.min_chars);
                engine.share_whole_keys(
                    doc.paras
                        .iter()
                        .map(|p| (p.glued, searched(p).then_some(&p.tokens[..]))),
                    &mut band_keys,
                    sc,
                );
                Ok((index.run_of(s as usize), doc, band_keys))
            },
        )
        .collect::<Result<_>>()?;
    let mut prior = Prior {
        files: loaded.len(),
        ..Prior::default()
    };
    let mut out_files = Vec::with_capacity(loaded.len());
    let mut out_keys = Vec::with_capacity(loaded.len());
    for (run, doc, band_keys) in loaded {
        let mut tokens = Vec::new();
        let paras = doc
            .paras
            .iter()
            .map(|p| {
                prior.removed.push(p.removed);
                let at = [tokens.len() as u32, p.tokens.len() as u32];
                tokens.extend_from_slice(&p.tokens);
                ParaFacts {
                    doc: 0,
                    lines: p.lines,
                    cols: p.cols,
                    glued: p.glued,
                    masks: p.masks,
                    key: p.key,
                    script: p.script,
                    tokens: at,
                }
            })
            .collect::<Vec<_>>();
        prior.paras += paras.len();
        prior.runs.push(run);
        prior.doc_removed.push(doc.removed);
        let mut a = AnalyzedFile {
            facts: FileFacts {
                rel_path: doc.name,
                hash: 0,
                bytes: 0,
                encoding: "indexed",
                decode_issue: None,
                n_lines: 0,
                docs: vec![DocFacts {
                    lines: doc.lines,
                    script: doc.script,
                }],
                paras,
                tokens: FileTokens::Memory(tokens),
                stage_ns: StageNs::default(),
            },
            band_keys: FileKeys::Memory(band_keys),
            kept: None,
        };
        spill.spill(&mut a).map_err(io)?;
        out_files.push(a.facts);
        out_keys.push(a.band_keys);
    }
    Ok((out_files, out_keys, prior))
}

/// Write the run into the index's next segment: every document of `files` whose file
/// was written (`written`), with all of its paragraphs (those removed as copies
/// flagged, and all of a document removed as a copy, which is flagged too: it stays a
/// link between copies) and the probe keys of its searched paragraphs. `keys` are the files' band keys as the analyze phase left them.
#[allow(clippy::too_many_arguments)]
pub(super) fn fill(
    w: &mut SegmentWriter,
    engine: &Engine,
    files: &[FileFacts],
    keys: &[FileKeys],
    written: &[bool],
    (para_removed, doc_removed): (&[Option<u32>], &[Option<u32>]),
    spill: &Spill,
    scratch: &Path,
) -> Result<()> {
    let cfg = engine.config();
    let (bands, _) = engine.bands_rows();
    let io = |e| Error::io(scratch, e);
    let mut base = Vec::with_capacity(files.len());
    let (mut p0, mut d0) = (0usize, 0usize);
    for f in files {
        base.push((p0, d0));
        p0 += f.paras.len();
        d0 += f.docs.len();
    }
    // A file's documents, packed (read back and compressed) on any thread.
    // Buffers, and a compressor made on first use.
    type Scratch = (Vec<u8>, Vec<u32>, Option<zstd::bulk::Compressor<'static>>);
    let pack = |(bytes, tokens, z): &mut Scratch, fi: usize| -> Result<Vec<Packed>> {
        let f = &files[fi];
        if !written[fi] {
            return Ok(Vec::new());
        }
        let (p0, d0) = base[fi];
        let pr = &para_removed[p0..p0 + f.paras.len()];
        let dr = &doc_removed[d0..d0 + f.docs.len()];
        let k = file_keys(
            &keys[fi],
            searched_keys(f, cfg.min_chars, bands),
            spill,
            bytes,
        )
        .map_err(io)?;
        // Each document's paragraphs, and where each searched one's band keys start.
        let mut of_doc: Vec<Vec<(usize, Option<usize>)>> = vec![Vec::new(); f.docs.len()];
        let mut at = 0;
        for (pi, p) in f.paras.iter().enumerate() {
            let searched = p.key.searched(cfg.min_chars);
            of_doc[p.doc as usize].push((pi, searched.then_some(at)));
            at += if searched { bands } else { 0 };
        }
        let mut out = Vec::with_capacity(f.docs.len());
        for (d, doc) in f.docs.iter().enumerate() {
            let removed = dr[d].is_some();
            let mut paras = Vec::with_capacity(of_doc[d].len());
            let mut probes = Vec::new();
            for &(pi, keys_at) in &of_doc[d] {
                let p = &f.paras[pi];
                let mut para_tokens = Vec::new();
                if let Some(at) = keys_at {
                    spill.read(f, p, tokens, bytes).map_err(io)?;
                    para_tokens = tokens.clone();
                    push_probes(p.key.key_hash, &k[at..at + bands], &mut probes);
                }
                paras.push(IndexedPara {
                    lines: p.lines,
                    cols: p.cols,
                    glued: p.glued,
                    masks: p.masks,
                    key: p.key,
                    script: p.script,
                    removed: removed || pr[pi].is_some(),
                    tokens: para_tokens,
                });
            }
            let doc = IndexedDoc {
                name: f.rel_path.clone(),
                lines: doc.lines,
                script: doc.script,
                removed,
                paras,
            };
            if z.is_none() {
                *z = Some(zstd::bulk::Compressor::new(crate::index::segment::LEVEL).map_err(io)?);
            }
            let z = z.as_mut().expect("made above");
            out.push(Packed::new(&doc, probes, cfg.min_chars, z).map_err(io)?);
        }
        Ok(out)
    };
    // In chunks of files, packed in parallel and added in file order.
    const CHUNK: usize = 256;
    for from in (0..files.len()).step_by(CHUNK) {
        let packed: Vec<Vec<Packed>> = (from..(from + CHUNK).min(files.len()))
            .into_par_iter()
            .map_init(|| (Vec::new(), Vec::new(), None), pack)
            .collect::<Result<_>>()?;
        for p in packed.into_iter().flatten() {
            w.add_packed(p)?;
        }
    }
    Ok(())
}
