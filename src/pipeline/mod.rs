//! The pipeline: runs every stage in order; the only module that knows about rayon.
//!
//! Three phases keep memory growing with the number of paragraphs rather than the
//! bytes of text:
//!
//! 1. **analyze**, parallel over files: read → decode → lines → boilerplate → structure →
//!    placeholders → segment → fingerprint (shingles, MinHash, band keys). Only compact
//!    per-paragraph facts are kept; the text is dropped (the first files' text stages,
//!    and the furniture and masks of the next, stay for phase 3 within a budget).
//! 2. **group**, over all paragraphs: exact-key fast path, LSH candidates, verification,
//!    union-find, document-level duplicates, keep decisions, stable cluster ids.
//! 3. **write**, parallel over files: the file is read and prepared again (the same
//!    deterministic steps, checked against a content hash; with its marks, only lines
//!    and structure), and its cleaned text and report lines are written.
//!
//! Results are collected in file order and every grouping step is order-free, so the
//! outputs do not depend on the thread count.
//!
//! Where things are: `text.rs` composes a file's text stages ([`Prepared`], [`Marks`]);
//! `facts.rs` holds what phase 1 keeps of a file ([`FileFacts`], [`ParaFacts`]) and
//! hands on ([`Analyzed`]); `spill.rs` the tokens and band keys kept on disk;
//! `engine.rs` the shared context ([`Engine`]) and phase 1 for one file; `group/`
//! phase 2 as a recipe of steps (`ids.rs`: global ids and exact groups;
//! `candidates.rs`: LSH candidates; `pairs.rs`: verification; `documents.rs`: coverage
//! and document clusters; `paragraphs.rs`: paragraph clusters; `numbering.rs`: cluster
//! ids and records); `write.rs` phase 3 for one file (fates, clean text, report lines). This
//! file runs the phases over the thread pool ([`Cleaner`]: the units of any
//! [`Source`] into any [`Sink`]); `summary.rs` adds up `summary.json` ([`Totals`]).

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use xxhash_rust::xxh3::{xxh3_128, xxh3_64};

use crate::boilerplate::{Boilerplate, RuleId};
use crate::cluster::{split_around_kept, Cluster, Member, UnionFind};
use crate::config::{Config, Fold, ShingleKind};
use crate::decode::{self, Decoded, NotText};
use crate::error::{Error, Result};
use crate::fingerprint::{self, KeyFacts};
use crate::gaps;
use crate::keep::{rank, Copy};
use crate::lines::{split_lines, Line};
use crate::lsh;
use crate::memo::Memo;
use crate::minhash::MinHasher;
use crate::parts;
use crate::placeholders::{self, Kind, Span};
use crate::prefetch;
use crate::release;
use crate::report::{self, *};
use crate::script;
use crate::segment::{Segmenter, WordMemo};
use crate::sink::{CleanOut, Sink};
use crate::source::Source;
use crate::structure::{self, Document, Paragraph};
use crate::verify;
use crate::walk::{self, Skipped, Unit};
use serde::{Deserialize, Serialize};
use std::path::Path;

mod engine;
mod facts;
mod group;
mod prior;
mod spill;
mod summary;
mod text;
mod write;
pub use self::engine::*;
pub use self::facts::*;
pub use self::group::*;
pub use self::prior::*;
pub use self::spill::*;
pub use self::summary::*;
pub use self::text::*;
pub use self::write::*;

/// Decisions of the group phase, indexed by global paragraph / document id.
struct Decisions {
    /// Cluster that removes each paragraph (paragraph level), if any.
    para_removed: Vec<Option<u32>>,
    /// Cluster that removes each document, if any.
    doc_removed: Vec<Option<u32>>,
    records: Vec<ClusterRecord>,
    candidate_pairs: usize,
    candidate_pairs_skipped: usize,
    verified_pairs: usize,
}

fn progress_bar(cfg: &Config, len: usize, msg: &'static str) -> ProgressBar {
    if !cfg.progress || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template(
            "{msg:>9} [{bar:40}] {pos}/{len} files {elapsed_precise} eta {eta}",
        )
        .expect("progress template")
        .progress_chars("=> "),
    );
    pb.set_message(msg);
    pb
}

/// Run `zhclean clean` with `cfg`: the files of `INPUT` into `OUT` (see [`Cleaner`]).
pub fn run(cfg: &Config) -> Result<Outcome> {
    let mut cleaner = Cleaner::new(cfg)?;
    open_index(&mut cleaner, cfg)?;
    let format = cfg.input_format.resolve(&cfg.input, &cfg.exts);
    let records = format.records();
    if records.is_some() && cfg.encoding.is_some() {
        return Err(crate::Error::Config(
            "--encoding applies to text files; a record's text is UTF-8".into(),
        ));
    }
    if format == crate::InputFormat::Text && cfg.input.is_file() {
        return Err(crate::Error::Config(format!(
            "input {} is not a folder (a JSON Lines file ends in .jsonl, .jsonl.gz or .jsonl.zst; or pass --input-format jsonl)",
            cfg.input.display()
        )));
    }
    let output = cfg.output_format.unwrap_or(format);
    if records.is_some() && output != format {
        return Err(crate::Error::Config(
            "--output-format: records are written back in their own format (JSON Lines as JSON Lines, Parquet as Parquet)".into(),
        ));
    }
    let staging = Staging::create(&cfg.input, &cfg.out, cfg.force)?;
    let mut outcome = match (records, output.records()) {
        (Some(format), _) => run_records(&cleaner, cfg, format, &staging)?,
        (None, None) => {
            let input = crate::source::Dir::from_config(cfg)?;
            cleaner.run(&input, &staging)?
        }
        (None, Some(shards)) => {
            let input = crate::source::Dir::from_config(cfg)?;
            let out = crate::records::shards::ShardSink::new(&staging, shards);
            let mut outcome = cleaner.run(&input, &out)?;
            out.finish()?;
            outcome.summary.options.output_format = Some(shards.name());
            staging.write_report("summary.json", &summary_json(&outcome.summary))?;
            outcome
        }
    };
    outcome.cleared = staging.cleared().to_vec();
    staging.commit()?;
    commit_index(&mut cleaner, cfg, &mut outcome)?;
    Ok(outcome)
}

/// `--index`: check where it is and open it.
fn open_index(cleaner: &mut Cleaner, cfg: &Config) -> Result<()> {
    let Some(dir) = &cfg.index else {
        return Ok(());
    };
    let at = report::resolve(dir)?;
    if let Ok(input) = cfg.input.canonicalize() {
        if at.starts_with(&input) {
            return Err(Error::Config(format!(
                "index {} is inside the input {}; choose a folder outside it",
                dir.display(),
                cfg.input.display()
            )));
        }
    }
    if !cfg.out.as_os_str().is_empty() {
        let out = report::resolve(&cfg.out)?;
        for sub in ["clean", "report"] {
            if at.starts_with(out.join(sub)) {
                return Err(Error::Config(format!(
                    "index {} is inside {}/{sub}, which a run replaces",
                    dir.display(),
                    cfg.out.display()
                )));
            }
        }
    }
    cleaner.open_index(dir, cfg.index_mode)
}

/// Add what the run staged to its index, once its outputs are committed.
fn commit_index(cleaner: &mut Cleaner, cfg: &Config, outcome: &mut Outcome) -> Result<()> {
    if let Some(st) = outcome.staged.take() {
        let input = std::path::absolute(&cfg.input).unwrap_or_else(|_| cfg.input.clone());
        cleaner.commit_index(st, Some(input.display().to_string()))?;
    }
    Ok(())
}

/// `zhclean index build`: the folder `INPUT` cleaned against (and added to) the index
/// `cfg.index`, with `clean/` and `report/` written only if `cfg.out` is given.
pub fn build_index(cfg: &Config) -> Result<Outcome> {
    if cfg.index_mode != crate::index::IndexMode::Update {
        return Err(Error::Config(
            "index build adds to the index: --index-mode read does not apply".into(),
        ));
    }
    if !cfg.out.as_os_str().is_empty() {
        return run(cfg);
    }
    let format = cfg.input_format.resolve(&cfg.input, &cfg.exts);
    if format != crate::InputFormat::Text || cfg.input.is_file() {
        return Err(Error::Config(
            "index build without --out reads a folder of text files; for records, give --out (or run clean --index)".into(),
        ));
    }
    let mut cleaner = Cleaner::new(cfg)?;
    open_index(&mut cleaner, cfg)?;
    let dir = cfg.index.as_deref().expect("index build has --index");
    let input = crate::source::Dir::from_config(cfg)?;
    let out = crate::sink::Discard::new(dir)?;
    let mut outcome = cleaner.run(&input, &out)?;
    drop(out);
    commit_index(&mut cleaner, cfg, &mut outcome)?;
    Ok(outcome)
}

/// A clean of records (JSON Lines or Parquet): each record a unit, written back as records (see
/// [`crate::records`]).
fn run_records(
    cleaner: &Cleaner,
    cfg: &Config,
    format: crate::records::Format,
    staging: &Staging,
) -> Result<Outcome> {
    let spool = staging.dir().join("records");
    std::fs::create_dir(&spool).map_err(|e| crate::Error::io(&spool, e))?;
    let input = crate::records::source::Records::new(
        &cfg.input,
        format,
        &cfg.excludes,
        cfg.records.clone(),
        &spool,
    )?;
    let out = crate::records::sink::RecordsSink::new(staging, &input, cfg.records_out);
    let mut outcome = cleaner.run(&input, &out)?;
    let t = Instant::now();
    let failed = cleaner.pool.install(|| out.finish());
    let s = &mut outcome.summary;
    s.options.records = Some(crate::report::RecordsEcho::of(cfg, format));
    s.run
        .phase_seconds
        .insert("5_records".to_string(), t.elapsed().as_secs_f64());
    outcome.failed += failed.len();
    s.failed.extend(failed);
    s.failed.sort();
    s.counts.files_failed = s.failed.len();
    staging.write_report("summary.json", &summary_json(s))?;
    Ok(outcome)
}

/// A clean with its options, to run over any [`Source`] into any [`Sink`]:
/// [`run`] is a [`Cleaner`] over the folder `INPUT` into a staging folder of `OUT`.
///
/// ```
/// use zhclean::{sink, source, Cleaner, Config};
///
/// let speech = "各位代表：今年以来，全市上下坚持稳中求进工作总基调，经济运行持续回升向好，\
///               人民群众获得感不断增强，各项工作取得新的明显成效。";
/// // The same speech posted again, a clause shorter.
/// let copy = speech.replace("人民群众获得感不断增强，", "");
/// let input = source::Memory::new([("a.txt", speech.to_string()), ("b.txt", copy)]);
/// let out = sink::Memory::new()?;
/// let outcome = Cleaner::new(&Config::new("memory", "memory"))?.run(&input, &out)?;
/// assert_eq!(outcome.summary.counts.files, 2);
/// // b.txt is a copy of a.txt: only a.txt, the longer, keeps its text.
/// assert_eq!(out.units(), ["a.txt"]);
/// assert_eq!(out.clean_text("a.txt").unwrap().trim_end(), speech);
/// let clusters = String::from_utf8(out.report_bytes("clusters.jsonl").unwrap()).unwrap();
/// assert!(clusters.contains(r#""file":"b.txt""#));
/// # Ok::<(), zhclean::Error>(())
/// ```
pub struct Cleaner {
    engine: Engine,
    pool: rayon::ThreadPool,
    /// The saved index runs are compared with (`clean --index`).
    index: Option<crate::index::Index>,
}

impl Cleaner {
    /// Check `cfg` (its `input` and `out` are not used here) and build the shared
    /// context and the thread pool (`cfg.jobs` threads).
    pub fn new(cfg: &Config) -> Result<Cleaner> {
        let engine = Engine::new_deferred(cfg)?;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(cfg.jobs)
            .build()
            .map_err(|e| Error::Config(format!("cannot start {} threads: {e}", cfg.jobs)))?;
        Ok(Cleaner {
            engine,
            pool,
            index: None,
        })
    }

    /// Compare runs with the saved index at `dir` too (made if `mode` is update and
    /// there is none), and in update mode stage their documents for it
    /// ([`Outcome::staged`], for [`Cleaner::commit_index`]).
    pub fn open_index(&mut self, dir: &Path, mode: crate::index::IndexMode) -> Result<()> {
        let params = crate::index::Params::of(self.engine.config(), self.engine.bands_rows());
        self.index = Some(crate::index::Index::open(dir, mode, &params)?);
        Ok(())
    }

    /// Make the segment a run staged part of the index (once its outputs are
    /// committed: the index must never hold what the output does not).
    pub fn commit_index(
        &mut self,
        staged: crate::index::Staged,
        input: Option<String>,
    ) -> Result<crate::index::RunEntry> {
        let index = self.index.as_mut().expect("a staged run has an index");
        index.commit(staged, input)
    }

    /// Clean the units of `input` into `out`. A sink that stages its outputs (as
    /// [`Staging`] does) is the caller's to commit.
    pub fn run(&self, input: &dyn Source, out: &dyn Sink) -> Result<Outcome> {
        let threads = self.pool.current_num_threads();
        self.engine.state.reset();
        let index = self.index.as_ref();
        self.pool
            .install(|| run_in_pool(&self.engine, input, out, threads, index))
    }
}

fn run_in_pool(
    engine: &Engine,
    input: &dyn Source,
    out: &dyn Sink,
    threads: usize,
    index: Option<&crate::index::Index>,
) -> Result<Outcome> {
    let cfg = engine.config();
    let spill = Spill::new(
        out.scratch(),
        cfg.spill_budget.unwrap_or(TOKEN_MEMORY_BUDGET),
        cfg.spill_budget.unwrap_or(KEY_MEMORY_BUDGET),
    )?;
    let t_all = Instant::now();
    let mut phase = BTreeMap::new();

    // walk
    let t = Instant::now();
    let w = input.list();
    phase.insert("1_walk".to_string(), t.elapsed().as_secs_f64());
    let mut totals = Totals::new(w.skipped, w.failed, w.other_files);

    // analyze. Reader threads read the files ahead of the workers (see `prefetch`).
    // jieba's dictionary loads on one thread while another prepares the first files to
    // arrive (with one thread, it loads first); they then finish like the rest. Which
    // files go ahead, and the order files are analysed in, depend on timing; the
    // results are put back in file order, and what comes out does not depend on it.
    let t = Instant::now();
    engine.keep_prepared(
        cfg.spill_budget.unwrap_or(PREPARED_MEMORY_BUDGET),
        cfg.spill_budget.unwrap_or(MARKS_MEMORY_BUDGET),
    );
    let pb = progress_bar(cfg, w.sources.len(), "analyze");
    let prepare_read = |r: prefetch::Read| {
        let src = &w.sources[r.index];
        (r.index, engine.prepare_read(src, r.bytes, r.read_ns))
    };
    let finish = |sc: &mut Scratch, (i, read)| {
        let src = &w.sources[i];
        let mut a = engine.finish_analysis(src, read, sc);
        if let Analyzed::Done(f) = &mut a {
            if let Err(e) = spill.spill(f) {
                a = Analyzed::from(FileError {
                    file: src.rel_path.clone(),
                    kind: FileErrorKind::Spill(e.to_string()),
                });
            }
        }
        pb.inc(1);
        (i, a)
    };
    let read = |i: usize| input.read(&w.sources[i]);
    let mut analyzed: Vec<(usize, Analyzed)> =
        prefetch::read_ahead(w.sources.len(), read, prefetch::DEFAULT, |rx| {
            let (_, (ahead, rx)) = rayon::join(
                || engine.segmenter(),
                move || {
                    let mut ahead = Vec::new();
                    while !engine.segmenter_ready() {
                        match rx.recv() {
                            Ok(reads) => ahead.extend(reads.into_iter().map(prepare_read)),
                            Err(_) => break,
                        }
                    }
                    (ahead, rx)
                },
            );
            let mut analyzed: Vec<(usize, Analyzed)> = ahead
                .into_par_iter()
                .map_init(Scratch::default, finish)
                .collect();
            analyzed.par_extend(
                rx.into_iter()
                    .par_bridge()
                    .map_init(Scratch::default, |sc, reads| {
                        reads
                            .into_iter()
                            .map(|r| finish(sc, prepare_read(r)))
                            .collect::<Vec<_>>()
                    })
                    .flatten_iter(),
            );
            analyzed
        });
    analyzed.sort_unstable_by_key(|&(i, _)| i);
    let analyzed: Vec<Analyzed> = analyzed.into_iter().map(|(_, a)| a).collect();
    pb.finish_and_clear();
    engine.clear_memo();
    // The write phase finds files again by their facts' relative paths.
    drop(w.sources);
    // What moves on by value leaves the facts here, so no later phase changes them.
    let mut files: Vec<FileFacts> = Vec::with_capacity(analyzed.len());
    let mut keys: Vec<FileKeys> = Vec::with_capacity(analyzed.len());
    let mut kept: Vec<Option<Kept>> = Vec::with_capacity(analyzed.len());
    let mut stage_ns = StageNs::default();
    for a in analyzed {
        match a {
            Analyzed::Done(f) => {
                let AnalyzedFile {
                    facts,
                    band_keys,
                    kept: k,
                } = *f;
                stage_ns.add(&facts.stage_ns);
                files.push(facts);
                keys.push(band_keys);
                kept.push(k);
            }
            Analyzed::Skipped(s) => totals.skipped(s),
            Analyzed::Failed(s) => totals.failed(s),
        }
    }
    phase.insert("2_analyze".to_string(), t.elapsed().as_secs_f64());

    // index: the indexed documents near the run's paragraphs go first.
    let t = Instant::now();
    let adding = index.filter(|ix| ix.mode() == crate::index::IndexMode::Update);
    // The run's band keys as the analyze phase left them, for the index's new segment.
    let keys_kept: Vec<FileKeys> = match adding {
        Some(_) => keys.clone(),
        None => Vec::new(),
    };
    let prior = match index {
        Some(ix) => {
            let (mut pf, mut pk, prior) = load(engine, ix, &files, &keys, &spill, out.scratch())?;
            pf.append(&mut files);
            files = pf;
            pk.append(&mut keys);
            keys = pk;
            phase.insert("2b_index".to_string(), t.elapsed().as_secs_f64());
            prior
        }
        None => Prior::default(),
    };

    // group
    let t = Instant::now();
    let mut dec = group(engine, &files, keys, &spill, out.scratch(), &prior)?;
    phase.insert("3_group".to_string(), t.elapsed().as_secs_f64());
    let mut index_summary = index.map(|ix| IndexSummary {
        path: ix.dir().display().to_string(),
        mode: ix.mode(),
        runs: ix.runs().len(),
        documents_loaded: prior.files,
        paragraphs_loaded: prior.paras,
        ..IndexSummary::default()
    });
    if let Some(s) = &mut index_summary {
        // Counted as summary.json's `removed_*` are: a paragraph inside a removed
        // document counts with its document.
        let by_index = |c: &Option<u32>| {
            c.is_some_and(|c| {
                let r = &dec.records[c as usize];
                r.members[r.kept].indexed
            })
        };
        let (mut p0, mut d0) = (prior.paras, prior.files);
        for f in &files[prior.files..] {
            let docs = &dec.doc_removed[d0..d0 + f.docs.len()];
            s.removed_documents += docs.iter().filter(|c| by_index(c)).count();
            s.removed_paragraphs += f
                .paras
                .iter()
                .zip(&dec.para_removed[p0..])
                .filter(|(p, c)| docs[p.doc as usize].is_none() && by_index(c))
                .count();
            p0 += f.paras.len();
            d0 += f.docs.len();
        }
    }

    // write
    let t = Instant::now();
    let pb = progress_bar(cfg, files.len(), "write");
    let mut para_base = Vec::with_capacity(files.len());
    let mut doc_base = Vec::with_capacity(files.len());
    let (mut pn, mut dn) = (0usize, 0usize);
    for f in &files {
        para_base.push(pn);
        doc_base.push(dn);
        pn += f.paras.len();
        dn += f.docs.len();
    }
    // Files are written in parallel chunks whose report lines a writer thread appends
    // in file order while the next chunk is written, so report lines never pile up in
    // memory for the whole corpus and the workers do not wait for the appends. The
    // writer streams the cluster records out (and drops them) first: at 1 GB they and
    // their JSON were the largest things in memory at the end of the group phase.
    let group_counts = dec.counts();
    let records = std::mem::take(&mut dec.records);
    let mut clusters = out.report("clusters.jsonl")?;
    let mut removed = out.report("removed.jsonl")?;
    let mut places = out.report("placeholders.jsonl")?;
    let clean: &dyn CleanOut = out;
    const WRITE_CHUNK: usize = 256;
    // Which of the run's own files were written (the index takes only those).
    let mut written_ok = vec![false; files.len()];
    // Two chunks of report lines at most wait for the writer.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<FileOutput>>(2);
    std::thread::scope(|scope| -> Result<()> {
        let writer = scope.spawn(move || -> Result<()> {
            let mut line = Vec::new();
            for r in records {
                line.clear();
                push_jsonl(&mut line, &r);
                clusters.append(&line)?;
            }
            clusters.finish()?;
            for outs in rx {
                for o in outs {
                    removed.append(&o.removed)?;
                    places.append(&o.placeholders)?;
                }
            }
            removed.finish()?;
            places.finish()
        });
        // `kept` is the run's own files' (the indexed ones come first in `files`).
        let mut kept = kept.into_iter();
        for (ci, chunk) in files[prior.files..].chunks(WRITE_CHUNK).enumerate() {
            // Each file's kept text stages, by value: dropped as soon as it is written.
            let kept_here: Vec<Option<Kept>> = kept.by_ref().take(chunk.len()).collect();
            let written: Vec<std::result::Result<FileOutput, FileError>> = chunk
                .par_iter()
                .zip(kept_here)
                .enumerate()
                .map(|(k, (f, kept))| {
                    let i = prior.files + ci * WRITE_CHUNK + k;
                    let (p0, d0) = (para_base[i], doc_base[i]);
                    let paras = &dec.para_removed[p0..p0 + f.paras.len()];
                    let docs = &dec.doc_removed[d0..d0 + f.docs.len()];
                    let r = match kept {
                        Some(Kept::Prepared(prep)) => {
                            engine.write_prepared(clean, f.file_ref(), &prep, paras, docs)
                        }
                        Some(Kept::Marks(m)) => {
                            engine.write_again(input, clean, f.file_ref(), Some(&m), paras, docs)
                        }
                        None => engine.write_file(input, clean, f.file_ref(), paras, docs),
                    };
                    pb.inc(1);
                    r
                })
                .collect();
            let mut outs = Vec::with_capacity(written.len());
            for (k, (f, out)) in chunk.iter().zip(written).enumerate() {
                match out {
                    Ok(o) => {
                        totals.file(&f.summary(cfg.min_chars), &o.counts);
                        written_ok[prior.files + ci * WRITE_CHUNK + k] = true;
                        outs.push(o);
                    }
                    Err(e) => totals.failed(e.listed()),
                }
            }
            if tx.send(outs).is_err() {
                break; // the writer failed; it says why below
            }
        }
        drop(tx);
        writer
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })?;
    pb.finish_and_clear();
    phase.insert("4_write".to_string(), t.elapsed().as_secs_f64());

    // The run's documents, staged as the index's next segment.
    let staged = match adding {
        Some(ix) => {
            let t = Instant::now();
            let (p, d) = (prior.paras, prior.files);
            let st = ix.stage(|w| {
                fill(
                    w,
                    engine,
                    &files[prior.files..],
                    &keys_kept,
                    &written_ok[prior.files..],
                    (&dec.para_removed[p..], &dec.doc_removed[d..]),
                    &spill,
                    out.scratch(),
                )
            })?;
            phase.insert("4b_index".to_string(), t.elapsed().as_secs_f64());
            if let Some(s) = &mut index_summary {
                s.added = Some(IndexAdded {
                    run: st.run,
                    held: st.stats.held,
                    bytes: st.stats.bytes,
                });
            }
            Some(st)
        }
        None => None,
    };

    let run = RunInfo {
        input: input
            .root()
            .map(|r| std::path::absolute(r).unwrap_or_else(|_| r.to_path_buf()))
            .map(|r| r.to_string_lossy().into_owned()),
        threads,
        wall_seconds: t_all.elapsed().as_secs_f64(),
        phase_seconds: phase,
        stage_cpu_seconds: stage_ns
            .named()
            .map(|(s, v)| (s.to_string(), Duration::from_nanos(v).as_secs_f64()))
            .collect(),
    };
    let mut summary = totals.finish(engine, &group_counts, run);
    summary.index = index_summary;
    out.write_report("summary.json", &summary_json(&summary))?;
    let failed = summary.failed.len() + summary.decode_errors.len();
    Ok(Outcome {
        summary,
        failed,
        cleared: Vec::new(),
        staged,
    })
}

#[cfg(test)]
mod tests;
