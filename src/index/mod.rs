//! The saved dedup index: the documents of earlier runs (those they removed as copies
//! flagged), so a new batch is cleaned against the corpus already published without
//! cleaning that corpus again.
//!
//! An index is a folder:
//!
//! - `manifest.json`: the format version, the parameters that shape fingerprints, and
//!   the runs, each with its segment's name, size and footer checksum (and its own
//!   checksum over all of it). It is replaced atomically (temp file, sync, rename, sync
//!   of the folder) and is the only thing a run changes in place: a segment is written
//!   whole under a temporary name, synced and renamed before the manifest names it.
//!   So a run killed at any moment leaves the index as it was before (an unnamed
//!   segment is an orphan, removed by the next update) or as it is after.
//! - `run-NNNNNN.seg`: one immutable segment per run ([`segment`]).
//! - `lock`: held (an OS file lock, released on exit or crash) by the run that updates
//!   the index; a second one is refused.
//!
//! Why segments rather than an embedded database such as redb: an index only grows by
//! whole runs and is read by sorted probes, so write-once sorted files are what the data
//! is. A run's segment is written sequentially at disk speed, with no per-key B-tree
//! work and no write amplification, lookups read only the 48 KB blocks their keys fall
//! in, and a segment is never rewritten, which makes crash safety one rename. (See
//! BENCHMARKS.md for the figures.)

pub mod segment;

use std::fs::File;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use crate::config::Config;
use crate::error::{Error, Result};
use segment::{Held, IndexedDoc, Segment, SegmentStats, SegmentWriter};

/// The index format's version (`version` in `manifest.json`).
pub const VERSION: u32 = 1;
const FORMAT_NAME: &str = "zhclean-index";
pub const MANIFEST: &str = "manifest.json";
const LOCK: &str = "lock";

/// The version of the rules that turn a paragraph into its key tokens and exact key
/// (folding, slots, segmentation): bump it with any change to them, so an index built
/// with other keys is refused rather than silently missing copies.
/// 2: a part of a paragraph searched in parts carries its whole's band keys in some
/// bands, so the index keeps which paragraphs are glued to the next.
/// 3: shingles drop a unit suffix right after a name slot (`XX县` shingles like `XX`), and
/// the mask rules of session 20 (five to eight `X` before an ideograph, `---X`).
pub const KEY_RULES: u32 = 3;

/// `--index-mode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IndexMode {
    /// Compare, then add the run's documents.
    #[default]
    Update,
    /// Compare only; the index is not changed.
    Read,
}

/// The parameters that shape fingerprints and verdicts; an index is only read by runs
/// with the same ones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    pub key_rules: u32,
    pub shingle: String,
    pub fold: String,
    pub num_perm: usize,
    pub seed: u64,
    pub bands: usize,
    pub rows: usize,
    pub threshold: f64,
    pub doc_threshold: f64,
    pub min_chars: usize,
}

impl Params {
    pub fn of(cfg: &Config, (bands, rows): (usize, usize)) -> Params {
        Params {
            key_rules: KEY_RULES,
            shingle: cfg.shingle.to_string(),
            fold: format!("{:?}", cfg.fold).to_lowercase(),
            num_perm: cfg.num_perm,
            seed: cfg.seed,
            bands,
            rows,
            threshold: cfg.threshold,
            doc_threshold: cfg.doc_threshold,
            min_chars: cfg.min_chars,
        }
    }

    /// What differs between the index's parameters (`self`) and a run's, one phrase each.
    pub fn differences(&self, run: &Params) -> Vec<String> {
        let mut out = Vec::new();
        let mut cmp = |name: &str, a: String, b: String| {
            if a != b {
                out.push(format!("{name} is {a} in the index, {b} in this run"));
            }
        };
        cmp(
            "the key rules' version",
            self.key_rules.to_string(),
            run.key_rules.to_string(),
        );
        cmp("--shingle", self.shingle.clone(), run.shingle.clone());
        cmp("--fold", self.fold.clone(), run.fold.clone());
        cmp(
            "--num-perm",
            self.num_perm.to_string(),
            run.num_perm.to_string(),
        );
        cmp("--seed", self.seed.to_string(), run.seed.to_string());
        cmp(
            "--bands × --rows",
            format!("{}×{}", self.bands, self.rows),
            format!("{}×{}", run.bands, run.rows),
        );
        cmp(
            "--threshold",
            self.threshold.to_string(),
            run.threshold.to_string(),
        );
        cmp(
            "--doc-threshold",
            self.doc_threshold.to_string(),
            run.doc_threshold.to_string(),
        );
        cmp(
            "--min-chars",
            self.min_chars.to_string(),
            run.min_chars.to_string(),
        );
        out
    }
}

/// A run recorded in the manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunEntry {
    /// 1, 2, …: the number reports give as `index_run`.
    pub run: u32,
    pub segment: String,
    pub bytes: u64,
    /// xxh3 of the segment's footer, in hex.
    pub checksum: String,
    /// The folder (or record file) the run read, as given.
    pub input: Option<String>,
    #[serde(flatten)]
    pub held: Held,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Body {
    format: String,
    version: u32,
    params: Params,
    runs: Vec<RunEntry>,
}

#[derive(Serialize, Deserialize)]
struct ManifestFile {
    #[serde(flatten)]
    body: Body,
    /// xxh3 (hex) of the JSON of everything else.
    checksum: String,
}

fn body_sum(b: &Body) -> String {
    format!(
        "{:016x}",
        xxh3_64(&serde_json::to_vec(b).expect("the manifest serialises"))
    )
}

fn bad(dir: &Path, msg: impl Into<String>) -> Error {
    Error::Index {
        path: dir.to_path_buf(),
        msg: msg.into(),
    }
}

/// Test hook: `ZHCLEAN_FAILPOINT=<name>` aborts the process at that point of an update
/// (no destructors, no cleanup: as a `kill -9` there would), so tests can check that the
/// index is whole after a crash at each step.
fn failpoint(name: &str) {
    if std::env::var_os("ZHCLEAN_FAILPOINT").is_some_and(|v| v == name) {
        eprintln!("zhclean: failpoint {name}: aborting");
        std::process::abort();
    }
}

/// Sync a folder, so a rename in it is on disk (a no-op where folders cannot be opened).
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// An open index.
pub struct Index {
    dir: PathBuf,
    mode: IndexMode,
    params: Params,
    runs: Vec<RunEntry>,
    segments: Vec<Segment>,
    /// Held while the index is open for update.
    _lock: Option<File>,
}

/// A segment written but not yet part of the index ([`Index::stage`]).
#[derive(Debug)]
pub struct Staged {
    tmp: Option<PathBuf>,
    name: String,
    /// The run it will be.
    pub run: u32,
    pub stats: SegmentStats,
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(t) = self.tmp.take() {
            let _ = std::fs::remove_file(t);
        }
    }
}

/// What [`Index::info`] reports.
#[derive(Debug, Serialize)]
pub struct Info {
    pub path: String,
    pub version: u32,
    pub params: Params,
    pub runs: Vec<RunEntry>,
    /// All runs' together.
    #[serde(flatten)]
    pub held: Held,
    /// Bytes on disk of the manifest and the segments it names.
    pub bytes: u64,
}

impl Index {
    /// Open the index at `dir` for `mode`, for a run with `params`. For `update`, the
    /// folder is made if need be and locked, and files an interrupted update left are
    /// removed; for `read`, it must hold an index. An index built with other parameters,
    /// or in another format version, is refused with what differs.
    pub fn open(dir: &Path, mode: IndexMode, params: &Params) -> Result<Index> {
        let lock = match mode {
            IndexMode::Update => {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
                let path = dir.join(LOCK);
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&path)
                    .map_err(|e| Error::io(&path, e))?;
                match f.try_lock() {
                    Ok(()) => Some(f),
                    Err(std::fs::TryLockError::WouldBlock) => {
                        return Err(bad(
                            dir,
                            "another zhclean run is updating this index (its lock file is held); wait for it to finish",
                        ))
                    }
                    Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&path, e)),
                }
            }
            IndexMode::Read => None,
        };
        let manifest = dir.join(MANIFEST);
        let runs = if manifest.exists() {
            let body = read_manifest(dir)?;
            let diff = body.params.differences(params);
            if !diff.is_empty() {
                return Err(bad(
                    dir,
                    format!(
                        "built with other parameters, so its fingerprints cannot be compared with this run's: {}",
                        diff.join("; ")
                    ),
                ));
            }
            body.runs
        } else if mode == IndexMode::Read {
            return Err(bad(dir, "no index here (no manifest.json); make one with `zhclean index build` or a `clean --index` run in update mode"));
        } else {
            Vec::new()
        };
        if mode == IndexMode::Update {
            remove_orphans(dir, &runs)?;
        }
        let segments = runs
            .iter()
            .map(|r| open_segment(dir, r))
            .collect::<Result<_>>()?;
        Ok(Index {
            dir: dir.to_path_buf(),
            mode,
            params: params.clone(),
            runs,
            segments,
            _lock: lock,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn mode(&self) -> IndexMode {
        self.mode
    }

    pub fn runs(&self) -> &[RunEntry] {
        &self.runs
    }

    /// The run number of segment `s`.
    pub fn run_of(&self, s: usize) -> u32 {
        self.runs[s].run
    }

    /// The `(segment, document)`s whose paragraphs have any of `probes` (sorted, no
    /// repeats), oldest first.
    pub fn lookup(&self, probes: &[u64]) -> Result<Vec<(u32, u32)>> {
        let mut out = Vec::new();
        for (s, seg) in self.segments.iter().enumerate() {
            out.extend(seg.lookup(probes)?.into_iter().map(|d| (s as u32, d)));
        }
        Ok(out)
    }

    /// Document `d` of segment `s`.
    pub fn doc(&self, s: u32, d: u32) -> Result<IndexedDoc> {
        self.segments[s as usize].doc(d)
    }

    /// Write a new segment (`fill` adds its documents) under a temporary name. It
    /// becomes part of the index only at [`Index::commit`]; dropped uncommitted, it is
    /// removed. Refused in `read` mode.
    pub fn stage(&self, fill: impl FnOnce(&mut SegmentWriter) -> Result<()>) -> Result<Staged> {
        if self.mode != IndexMode::Update {
            return Err(bad(&self.dir, "opened read-only"));
        }
        let run = self.runs.last().map_or(1, |r| r.run + 1);
        let name = format!("run-{run:06}.seg");
        let tmp = self.dir.join(format!("{name}.tmp"));
        let mut staged = Staged {
            tmp: Some(tmp.clone()),
            name,
            run,
            stats: SegmentStats::default(),
        };
        let mut w = SegmentWriter::create(&tmp)?;
        fill(&mut w)?;
        staged.stats = w.finish()?;
        failpoint("index-segment-written");
        Ok(staged)
    }

    /// Make a staged segment part of the index, in one atomic step (see the module
    /// doc): after this the manifest names it, before it the index is as it was.
    pub fn commit(&mut self, mut staged: Staged, input: Option<String>) -> Result<RunEntry> {
        let tmp = staged
            .tmp
            .take()
            .expect("a staged segment is committed once");
        let path = self.dir.join(&staged.name);
        let stats = staged.stats;
        std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
        sync_dir(&self.dir)?;
        failpoint("index-segment-renamed");
        let entry = RunEntry {
            run: staged.run,
            segment: staged.name.clone(),
            bytes: stats.bytes,
            checksum: format!("{:016x}", stats.checksum),
            input,
            held: stats.held,
        };
        let mut runs = self.runs.clone();
        runs.push(entry.clone());
        let body = Body {
            format: FORMAT_NAME.to_string(),
            version: VERSION,
            params: self.params.clone(),
            runs,
        };
        let file = ManifestFile {
            checksum: body_sum(&body),
            body,
        };
        let mut bytes = serde_json::to_vec_pretty(&file).expect("the manifest serialises");
        bytes.push(b'\n');
        let tmp = self.dir.join(format!("{MANIFEST}.tmp"));
        {
            use std::io::Write;
            let mut f = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
            f.write_all(&bytes)
                .and_then(|()| f.sync_all())
                .map_err(|e| Error::io(&tmp, e))?;
        }
        failpoint("index-manifest-written");
        let manifest = self.dir.join(MANIFEST);
        std::fs::rename(&tmp, &manifest).map_err(|e| Error::io(&manifest, e))?;
        sync_dir(&self.dir)?;
        failpoint("index-committed");
        self.segments
            .push(Segment::open(&path, stats.bytes, stats.checksum)?);
        self.runs = file.body.runs;
        Ok(entry)
    }

    /// What the index holds; with `verify`, every block and document is read and checked.
    pub fn info(dir: &Path, verify: bool) -> Result<Info> {
        let body = read_manifest(dir)?;
        let mut bytes = std::fs::metadata(dir.join(MANIFEST))
            .map_err(|e| Error::io(dir, e))?
            .len();
        for r in &body.runs {
            let seg = open_segment(dir, r)?;
            if verify {
                seg.verify()?;
            }
            bytes += r.bytes;
        }
        let mut held = Held::default();
        for r in &body.runs {
            held += r.held;
        }
        Ok(Info {
            path: dir.display().to_string(),
            version: body.version,
            held,
            bytes,
            params: body.params,
            runs: body.runs,
        })
    }
}

/// The segment of run `r` of the index at `dir`, checked against the manifest.
fn open_segment(dir: &Path, r: &RunEntry) -> Result<Segment> {
    let sum = u64::from_str_radix(&r.checksum, 16)
        .map_err(|_| bad(dir, format!("run {}: bad checksum in the manifest", r.run)))?;
    Segment::open(&dir.join(&r.segment), r.bytes, sum)
}

/// The manifest of the index at `dir`, its format, version and checksum checked.
fn read_manifest(dir: &Path) -> Result<Body> {
    let path = dir.join(MANIFEST);
    let bytes = std::fs::read(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => bad(dir, "no index here (no manifest.json)"),
        _ => Error::io(&path, e),
    })?;
    let damaged = || {
        bad(dir, "manifest.json is damaged (not the JSON zhclean wrote); rebuild the index with `zhclean index build`")
    };
    let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| damaged())?;
    if v.get("format").and_then(|f| f.as_str()) != Some(FORMAT_NAME) {
        return Err(bad(dir, "manifest.json is not a zhclean index manifest"));
    }
    match v.get("version").and_then(|f| f.as_u64()) {
        Some(n) if n == VERSION as u64 => {}
        Some(n) => {
            return Err(bad(
                dir,
                format!("index format version {n}; this zhclean reads version {VERSION} (rebuild the index with this version's `zhclean index build`, or use the zhclean that wrote it)"),
            ))
        }
        None => return Err(damaged()),
    }
    let file: ManifestFile = serde_json::from_value(v).map_err(|_| damaged())?;
    if body_sum(&file.body) != file.checksum {
        return Err(bad(
            dir,
            "manifest.json checksum mismatch: the file is damaged or was edited",
        ));
    }
    Ok(file.body)
}

/// Remove what an interrupted update left: segments the manifest does not name, and
/// temporary files. Other files are left alone.
fn remove_orphans(dir: &Path, runs: &[RunEntry]) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for e in entries {
        let e = e.map_err(|e| Error::io(dir, e))?;
        let name = e.file_name().to_string_lossy().into_owned();
        let ours = name.starts_with("run-")
            && (name.ends_with(".seg") || name.ends_with(".seg.tmp"))
            || name == format!("{MANIFEST}.tmp");
        let parts = name.starts_with(".zhclean-parts-") || name.starts_with(".zhclean-scratch-");
        if parts {
            std::fs::remove_dir_all(e.path()).map_err(|err| Error::io(&e.path(), err))?;
        } else if ours && !runs.iter().any(|r| r.segment == name) {
            std::fs::remove_file(e.path()).map_err(|err| Error::io(&e.path(), err))?;
        }
    }
    Ok(())
}
