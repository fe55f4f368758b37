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
//! `engine.rs` the shared context ([`Engine`]) and phase 1 for one file; `group.rs`
//! phase 2 (candidates, the partner cap, verification, coverage, cluster splits and
//! records); `write.rs` phase 3 for one file (fates, clean text, report lines). This
//! file runs the phases over the thread pool ([`Cleaner`]: the units of any
//! [`Source`] into any [`Sink`]) and adds up `summary.json` ([`Totals`]).

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
mod spill;
mod text;
mod write;
pub use self::engine::*;
pub use self::facts::*;
pub use self::group::*;
pub use self::spill::*;
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
    let cleaner = Cleaner::new(cfg)?;
    let input = crate::source::Dir::from_config(cfg)?;
    let staging = Staging::create(&cfg.input, &cfg.out, cfg.force)?;
    let mut outcome = cleaner.run(&input, &staging)?;
    outcome.cleared = staging.cleared().to_vec();
    staging.commit()?;
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
        Ok(Cleaner { engine, pool })
    }

    /// Clean the units of `input` into `out`. A sink that stages its outputs (as
    /// [`Staging`] does) is the caller's to commit.
    pub fn run(&self, input: &dyn Source, out: &dyn Sink) -> Result<Outcome> {
        let threads = self.pool.current_num_threads();
        self.pool
            .install(|| run_in_pool(&self.engine, input, out, threads))
    }
}

fn run_in_pool(
    engine: &Engine,
    input: &dyn Source,
    out: &dyn Sink,
    threads: usize,
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
                a = Analyzed::Failed(Skipped {
                    file: src.rel_path.clone(),
                    reason: format!("cannot write the temporary spill file: {e}"),
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
    let mut files: Vec<FileFacts> = Vec::with_capacity(analyzed.len());
    let mut stage_ns = StageNs::default();
    for a in analyzed {
        match a {
            Analyzed::Done(f) => {
                stage_ns.add(&f.stage_ns);
                files.push(*f);
            }
            Analyzed::Skipped(s) => totals.skipped(s),
            Analyzed::Failed(s) => totals.failed(s),
        }
    }
    phase.insert("2_analyze".to_string(), t.elapsed().as_secs_f64());

    // group
    let t = Instant::now();
    // Each file's band keys move out of its facts (the vectors themselves, no copy),
    // so the group phase can drop them once it has the candidates: they are a quarter
    // of the memory of a run.
    let keys: Vec<FileKeys> = files
        .iter_mut()
        .map(|f| std::mem::replace(&mut f.band_keys, FileKeys::Memory(Vec::new())))
        .collect();
    let mut dec = group(engine, &files, keys, &spill, out.scratch())?;
    phase.insert("3_group".to_string(), t.elapsed().as_secs_f64());

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
        for (ci, chunk) in files.chunks_mut(WRITE_CHUNK).enumerate() {
            let written: Vec<std::result::Result<FileOutput, Skipped>> = chunk
                .par_iter_mut()
                .enumerate()
                .map(|(k, f)| {
                    let i = ci * WRITE_CHUNK + k;
                    let (p0, d0) = (para_base[i], doc_base[i]);
                    let paras = &dec.para_removed[p0..p0 + f.paras.len()];
                    let docs = &dec.doc_removed[d0..d0 + f.docs.len()];
                    let r = match f.kept.take() {
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
            for (f, out) in chunk.iter().zip(written) {
                match out {
                    Ok(o) => {
                        totals.file(&f.summary(cfg.min_chars), &o.counts);
                        outs.push(o);
                    }
                    Err(s) => totals.failed(s),
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

    let run = RunInfo {
        threads,
        wall_seconds: t_all.elapsed().as_secs_f64(),
        phase_seconds: phase,
        stage_cpu_seconds: stage_ns
            .named()
            .map(|(s, v)| (s.to_string(), Duration::from_nanos(v).as_secs_f64()))
            .collect(),
    };
    let summary = totals.finish(engine, &group_counts, run);
    out.write_report("summary.json", &summary_json(&summary))?;
    let failed = summary.failed.len() + summary.decode_errors.len();
    Ok(Outcome {
        summary,
        failed,
        cleared: Vec::new(),
    })
}

/// `summary.json` as written.
pub fn summary_json(summary: &Summary) -> Vec<u8> {
    let mut js = serde_json::to_vec_pretty(summary).expect("summary serialises");
    js.push(b'\n');
    js
}

/// Counts of the group phase that go into `summary.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GroupCounts {
    pub candidate_pairs: usize,
    /// Candidate pairs not verified: neither side was among the other's first
    /// [`lsh::MAX_PARTNERS`] partners (see [`lsh::cap_partners`]).
    #[serde(default)]
    pub candidate_pairs_skipped: usize,
    pub verified_pairs: usize,
    pub clusters: PerLevel,
}

impl Decisions {
    fn counts(&self) -> GroupCounts {
        let mut clusters = PerLevel::default();
        for r in &self.records {
            match r.level {
                Level::Paragraph => clusters.paragraph += 1,
                Level::Document => clusters.document += 1,
            }
        }
        GroupCounts {
            candidate_pairs: self.candidate_pairs,
            candidate_pairs_skipped: self.candidate_pairs_skipped,
            verified_pairs: self.verified_pairs,
            clusters,
        }
    }
}

/// `summary.json` built up file by file, in file order; the local run and a
/// distributed one feed it the same facts.
pub struct Totals {
    summary: Summary,
}

impl Totals {
    /// Start from what the walk found.
    pub fn new(skipped: Vec<Skipped>, failed: Vec<Skipped>, other_files: usize) -> Totals {
        let mut summary = Summary {
            version: env!("CARGO_PKG_VERSION"),
            skipped,
            failed,
            ..Default::default()
        };
        summary.counts.other_files = other_files;
        Totals { summary }
    }

    /// A file passed over (binary).
    pub fn skipped(&mut self, s: Skipped) {
        self.summary.skipped.push(s);
    }

    /// A file that could not be read or written.
    pub fn failed(&mut self, s: Skipped) {
        self.summary.failed.push(s);
    }

    /// A file that was analysed and written.
    pub fn file(&mut self, f: &FileSummary, o: &FileCounts) {
        let s = &mut self.summary;
        let c = &mut s.counts;
        c.files_written += o.wrote as usize;
        c.boilerplate_lines += o.boilerplate_lines;
        c.empty_lines += o.empty_lines;
        for &(k, n) in &o.kinds {
            *c.placeholders.entry(k.name()).or_default() += n;
        }
        for (rule, n) in &o.rules {
            *s.boilerplate_rules.entry(rule.clone()).or_default() += n;
        }
        c.removed_paragraphs.paragraph += o.removed_paragraphs.paragraph;
        c.removed_paragraphs.document += o.removed_paragraphs.document;
        c.removed_documents += o.removed_documents;
        c.files_processed += 1;
        c.bytes += f.bytes;
        c.lines += f.lines;
        c.documents += f.documents;
        c.paragraphs += f.paragraphs;
        c.paragraphs_searched += f.paragraphs_searched;
        *s.encodings.entry(f.encoding.clone()).or_default() += 1;
        if let Some(d) = &f.decode_issue {
            s.decode_errors.push(d.clone());
        }
    }

    /// The finished summary.
    pub fn finish(self, engine: &Engine, g: &GroupCounts, run: RunInfo) -> Summary {
        let cfg = engine.config();
        let (bands, rows) = engine.bands_rows();
        let mut summary = self.summary;
        let c = &mut summary.counts;
        for k in Kind::ALL {
            c.placeholders.entry(k.name()).or_default();
        }
        c.candidate_pairs = g.candidate_pairs;
        c.candidate_pairs_skipped = g.candidate_pairs_skipped;
        c.verified_pairs = g.verified_pairs;
        c.clusters = g.clusters.clone();
        summary.failed.sort();
        summary.skipped.sort();
        c.files_failed = summary.failed.len();
        c.files_skipped = summary.skipped.len();
        c.files = c.files_processed
            + c.files_failed
            + summary
                .skipped
                .iter()
                .filter(|s| s.reason == walk::BINARY)
                .count();
        summary.options = report::Options {
            shingle: cfg.shingle.to_string(),
            num_perm: cfg.num_perm,
            bands,
            rows,
            threshold: cfg.threshold,
            doc_threshold: cfg.doc_threshold,
            min_chars: cfg.min_chars,
            max_partners: cfg.max_partners,
            seed: cfg.seed,
            keep: format!("{:?}", cfg.keep).to_lowercase(),
            mask_style: format!("{:?}", cfg.mask_style).to_lowercase(),
            fold: format!("{:?}", cfg.fold).to_lowercase(),
            script: cfg.script.map_or("keep", script::Script::name).to_string(),
            keep_boilerplate: cfg.keep_boilerplate,
            encoding: cfg.encoding.map(|e| e.name().to_string()),
            exts: cfg.exts.clone(),
            excludes: cfg.excludes.clone(),
        };
        summary.run = run;
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(tokens: Vec<u32>, paras: &[[u32; 2]]) -> FileFacts {
        FileFacts {
            rel_path: "a.txt".into(),
            hash: 0,
            bytes: 0,
            encoding: "UTF-8",
            decode_issue: None,
            n_lines: 0,
            docs: Vec::new(),
            paras: paras
                .iter()
                .map(|&t| ParaFacts {
                    doc: 0,
                    lines: [1, 1],
                    cols: None,
                    masks: 0,
                    key: KeyFacts::default(),
                    script: script::Script::Simplified,
                    tokens: t,
                })
                .collect(),
            band_keys: FileKeys::Memory(Vec::new()),
            tokens: FileTokens::Memory(tokens),
            stage_ns: StageNs::default(),
            kept: None,
        }
    }

    #[test]
    fn pair_verifier_with_its_table_gives_what_is_copy_gives() {
        // Paragraph ids that share table slots (k and k + RECENT_SLOTS), pairs in the
        // order of a run (sorted by `a`) with every `b` recurring, and a load count.
        let ids: Vec<u32> = (0..40u32)
            .flat_map(|k| [k, k + RECENT_SLOTS as u32])
            .collect();
        let tokens = |id: u32| -> Vec<u32> {
            let k = id % RECENT_SLOTS as u32;
            // Families of near copies: same base text, a few tokens changed.
            (0..30u32)
                .map(|t| {
                    if (t + id).is_multiple_of(7) {
                        1000 + id * 31 + t
                    } else {
                        100 + (k % 5) * 50 + t
                    }
                })
                .collect()
        };
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        for &a in &ids {
            for &b in &ids {
                if a < b {
                    pairs.push((a, b));
                }
            }
        }
        let cfg = Config::new(
            std::path::PathBuf::from("in"),
            std::path::PathBuf::from("out"),
        );
        let mut pv = PairVerifier::default();
        let mut loads = 0;
        let (mut copies, mut not) = (0, 0);
        for &(a, b) in &pairs {
            let got = pv
                .check(&cfg, (a, b), |i, out: &mut Vec<u32>| {
                    loads += 1;
                    *out = tokens(i);
                    Ok::<(), ()>(())
                })
                .unwrap();
            let (ta, tb) = (tokens(a), tokens(b));
            let (mut sa, mut sb) = (Vec::new(), Vec::new());
            fingerprint::shingles(&ta, cfg.shingle.size(), &mut sa);
            fingerprint::shingles(&tb, cfg.shingle.size(), &mut sb);
            let want = verify::is_copy((&ta, &tb), (&sa, &sb), cfg.threshold, VERIFY_FLOOR);
            assert_eq!(got, want, "{a} {b}");
            if want {
                copies += 1;
            } else {
                not += 1;
            }
        }
        assert!(copies > 20 && not > 50, "{copies} {not}");
        assert!(
            loads < pairs.len(),
            "{loads} loads for {} pairs",
            pairs.len()
        );
    }

    #[test]
    fn memo_gives_what_fingerprinting_gives() {
        // A seed twice over in one file, and again with one paragraph changed: the memo
        // answers the repeats, and the facts must equal those of an engine without it.
        let seed = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/seeds/000_2fb96dc22149446e.txt"),
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let changed = seed.replacen("同志们", "各位同志", 1);
        std::fs::write(
            dir.path().join("a.txt"),
            format!("{seed}\n{seed}\n{changed}"),
        )
        .unwrap();
        let cfg = Config::new(dir.path().to_path_buf(), dir.path().join("out"));
        let input = crate::source::Dir::from_config(&cfg).unwrap();
        let src = input.unit("a.txt");
        let with = Engine::new(&cfg).unwrap();
        let mut without = Engine::new(&cfg).unwrap();
        without.memo = None;
        without.word_memo = None;
        let facts = |e: &Engine| match e.analyze(&input, &src, &mut Scratch::default()) {
            Analyzed::Done(f) => {
                let f = *f;
                let paras: Vec<_> = f
                    .paras
                    .iter()
                    .map(|p| (p.doc, p.lines, p.masks, p.key, p.tokens))
                    .collect();
                let keys = f.band_keys_in_memory().unwrap().to_vec();
                let FileTokens::Memory(tokens) = f.tokens else {
                    panic!("tokens in memory")
                };
                (paras, tokens, keys)
            }
            _ => panic!("analysed"),
        };
        let (a, b) = (facts(&with), facts(&without));
        assert!(
            a.0.len() > 20 && a.2.len() > 100,
            "{} {}",
            a.0.len(),
            a.2.len()
        );
        assert_eq!(a, b);
        let stored = with.memo.as_ref().unwrap().len();
        assert!(
            stored < a.0.len(),
            "repeats are looked up, not stored again"
        );
        // A second pass over the same file is answered from the memo entirely.
        assert_eq!(facts(&with), b);
        // The word memo alone (a paragraph changed in one clause is found clause by
        // clause) gives the same.
        let mut words_only = Engine::new(&cfg).unwrap();
        words_only.memo = None;
        assert_eq!(facts(&words_only), b);
        assert!(words_only.word_memo.as_ref().unwrap().len() > 100);
        assert_eq!(facts(&words_only), b);
    }

    #[test]
    fn marks_give_back_the_furniture_and_spans_or_are_not_kept() {
        let boiler = Boilerplate::builtin();
        let text = "更新时间：2020-01-01 下载docx\n\n张某某同志在20XX年X月的讲话\n\n××县实现增长X%，成绩来之不易。\n";
        let prep = prepare(text, &boiler, false);
        assert!(prep.furniture.iter().any(Option::is_some));
        assert!(prep.spans.iter().filter(|s| !s.is_empty()).count() >= 2);
        let marks = Marks::of(&prep).unwrap();
        assert_eq!(marks.furniture(), prep.furniture);
        assert_eq!(marks.spans(prep.paras.len()).unwrap(), prep.spans);
        assert_eq!(marks.spans(prep.paras.len() + 1), None);
        let again = prepare_marked(text, &marks, false).unwrap();
        assert_eq!(again.spans, prep.spans);
        assert_eq!(again.furniture, prep.furniture);
        assert_eq!(again.paras, prep.paras);
        // A rule id or a span that does not fit the packed fields: no marks.
        let mut odd = prep.clone();
        odd.furniture[0] = Some(NO_RULE);
        assert!(Marks::of(&odd).is_none());
        let mut odd = prep.clone();
        let p = odd.spans.iter().position(|s| !s.is_empty()).unwrap();
        let start = odd.spans[p][0].start;
        odd.spans[p][0].end = start + usize::from(u16::MAX) + 1;
        assert!(Marks::of(&odd).is_none());
        odd.spans[p][0].end = start + usize::from(u16::MAX);
        assert!(Marks::of(&odd).is_some());
    }

    #[test]
    fn kept_text_stages_write_what_reading_again_writes() {
        let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/seeds");
        let out = tempfile::tempdir().unwrap();
        let cfg = Config::new(seeds.clone(), out.path().join("unused"));
        let engine = Engine::new(&cfg).unwrap();
        let input = crate::source::Dir::from_config(&cfg).unwrap();
        let analyze =
            |name: &str| match engine.analyze(&input, &input.unit(name), &mut Scratch::default()) {
                Analyzed::Done(f) => *f,
                _ => panic!("analysed"),
            };
        let left = || {
            (
                engine.keep_left.load(Ordering::Relaxed),
                engine.marks_left.load(Ordering::Relaxed),
            )
        };
        // Nothing is kept unless the run gives a budget.
        let name = "000_2fb96dc22149446e.txt";
        assert!(analyze(name).kept.is_none());
        engine.keep_prepared(1000, 10);
        assert!(analyze(name).kept.is_none(), "a file over both budgets");
        assert_eq!(left(), (1000, 10));
        let mut written = 0;
        for e in std::fs::read_dir(&seeds).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            // Within the budget for whole text stages, they are kept; beyond it, the
            // marks, within theirs.
            engine.keep_prepared(u64::MAX, 0);
            let mut f = analyze(&name);
            let Some(Kept::Prepared(kept)) = f.kept.take() else {
                panic!("{name}: text stages not kept")
            };
            assert_eq!(left(), (u64::MAX - kept.heap_bytes(), 0), "{name}");
            assert!(kept.heap_bytes() > f.bytes, "{name}");
            engine.keep_prepared(0, u64::MAX);
            let Some(Kept::Marks(marks)) = analyze(&name).kept else {
                panic!("{name}: marks not kept")
            };
            assert_eq!(left(), (0, u64::MAX - marks.heap_bytes()), "{name}");
            assert!(marks.heap_bytes() * 4 < f.bytes, "{name}");
            // Every third paragraph and the last document removed, as by a cluster.
            let paras: Vec<Option<u32>> = (0..f.paras.len())
                .map(|i| (i % 3 == 1).then_some(7))
                .collect();
            let mut docs = vec![None; f.docs.len()];
            if let Some(d) = docs.last_mut() {
                *d = Some(9);
            }
            let roots = ["kept", "marked", "again"].map(|r| out.path().join(r));
            let sinks = roots.clone().map(crate::sink::CleanDir);
            let f_ref = f.file_ref();
            let outputs = [
                engine.write_prepared(&sinks[0], f_ref, &kept, &paras, &docs),
                engine.write_again(&input, &sinks[1], f_ref, Some(&marks), &paras, &docs),
                engine.write_file(&input, &sinks[2], f_ref, &paras, &docs),
            ]
            .map(std::result::Result::unwrap);
            let b = &outputs[2];
            assert!(
                !b.placeholders.is_empty() || !b.removed.is_empty(),
                "{name}"
            );
            for (a, root) in outputs.iter().zip(&roots).take(2) {
                assert_eq!(a.removed, b.removed, "{name}");
                assert_eq!(a.placeholders, b.placeholders, "{name}");
                assert_eq!(
                    serde_json::to_string(&a.counts).unwrap(),
                    serde_json::to_string(&b.counts).unwrap()
                );
                assert_eq!(
                    std::fs::read(root.join(&name)).ok(),
                    std::fs::read(roots[2].join(&name)).ok(),
                    "{name}"
                );
            }
            // Marks that do not fit the text are not used: the file is prepared anew.
            let mut wrong = (*marks).clone();
            wrong.counts = wrong.counts[1..].into();
            let text = std::fs::read_to_string(seeds.join(&name)).unwrap();
            assert!(prepare_marked(&text, &wrong, false).is_none(), "{name}");
            wrong.furniture = wrong.furniture[1..].into();
            assert!(prepare_marked(&text, &wrong, false).is_none(), "{name}");
            written += 1;
        }
        assert_eq!(written, 5);
    }

    #[test]
    fn band_columns_are_the_same_in_memory_and_on_disk() {
        // Three files; 2 bands; file 1 has no searched paragraph. Paragraph ids (global)
        // 0..7: file 0 has 0,1,2 (2 not searched), file 1 has 3, file 2 has 4,5,6.
        let bands = 2;
        let keys_of: Vec<Option<(u32, u32)>> = vec![
            Some((0, 0)),
            Some((0, 2)),
            None,
            None,
            Some((2, 0)),
            Some((2, 2)),
            Some((2, 4)),
        ];
        let keys_len = [4, 0, 6];
        let file_keys = || {
            vec![
                vec![10u64, 11, 20, 21],
                vec![],
                vec![40, 41, u64::MAX, 51, 60, 1 << 40],
            ]
        };
        let reps = [0u32, 1, 5, 6];
        let want = [vec![10u64, 20, u64::MAX, 60], vec![11, 21, 51, 1 << 40]];
        for (budget, chunk) in [(u64::MAX, 3), (0, 3), (0, 1), (0, 100), (40, 2)] {
            let dir = tempfile::tempdir().unwrap();
            let spill = Spill::new(dir.path(), u64::MAX, budget).unwrap();
            let mut keys = Vec::new();
            for v in file_keys() {
                let mut f = facts(Vec::new(), &[]);
                f.band_keys = FileKeys::Memory(v);
                spill.spill(&mut f).unwrap();
                keys.push(f.band_keys);
            }
            let cols =
                band_columns(&reps, &keys_of, &keys_len, keys, (bands, chunk), &spill).unwrap();
            assert_eq!(
                matches!(cols, BandColumns::Spilled { .. }),
                budget != u64::MAX,
                "{budget}"
            );
            let mut bytes = Vec::new();
            for (b, w) in want.iter().enumerate() {
                assert_eq!(
                    &*cols.band(b, &spill, &mut bytes).unwrap(),
                    w,
                    "{budget} {chunk}"
                );
            }
        }
    }

    #[test]
    fn spilled_tokens_read_back_as_they_were() {
        // Budget 0: both files spill (the second after the first's 20 bytes). 20 bytes:
        // the first file (5 tokens) stays in memory and the second spills to the start
        // of the file.
        for (budget, a_spilled, b_at) in [(0, true, 20), (20, false, 0)] {
            let dir = tempfile::tempdir().unwrap();
            let spill = Spill::new(dir.path(), budget, u64::MAX).unwrap();
            let mut a = facts(vec![1, 2, 3, 4, 5], &[[0, 2], [2, 0], [2, 3]]);
            let mut b = facts(vec![u32::MAX, 7, 0x0102_0304], &[[0, 3]]);
            let before: Vec<Vec<u32>> = [&a, &a, &a, &b]
                .iter()
                .zip([0, 1, 2, 0])
                .map(|(f, i)| f.para_tokens(&f.paras[i]).unwrap().to_vec())
                .collect();
            spill.spill(&mut a).unwrap();
            spill.spill(&mut b).unwrap();
            assert!(matches!(b.tokens, FileTokens::Spilled(at) if at == b_at));
            assert_eq!(a.para_tokens(&a.paras[0]).is_none(), a_spilled);
            let (mut out, mut bytes) = (Vec::new(), Vec::new());
            for ((f, i), want) in [(&a, 0), (&a, 1), (&a, 2), (&b, 0)].iter().zip(&before) {
                spill.read(f, &f.paras[*i], &mut out, &mut bytes).unwrap();
                assert_eq!(&out, want);
            }
        }
    }
}
