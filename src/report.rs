//! Report records (the output contract in `docs/reports.md`), their typed levels and
//! reasons, `summary.json`'s types, and the staged output folder. The write phase that
//! fills them for each file is `pipeline/write.rs`.
//!
//! Outputs are first written into a hidden staging folder inside `OUT_DIR`; when every
//! file is complete, `clean/` and `report/` are moved into place by rename, so an
//! interrupted run leaves the previous outputs (or nothing) rather than half-written
//! files. An output folder inside the input tree is refused, and so is a non-empty one
//! unless `--force`.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::placeholders::Kind;
use crate::walk::Skipped;

/// The level of a cluster: copies of a paragraph, or of a whole document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Paragraph,
    Document,
}

impl Level {
    /// Its name in the reports.
    pub fn name(self) -> &'static str {
        match self {
            Level::Paragraph => "paragraph",
            Level::Document => "document",
        }
    }

    /// The level a report names.
    pub fn parse(name: &str) -> Option<Level> {
        match name {
            "paragraph" => Some(Level::Paragraph),
            "document" => Some(Level::Document),
            _ => None,
        }
    }
}

/// Why lines did not reach `clean/` as they were (`removed.jsonl`'s `reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reason {
    /// Site furniture, with the rule that found it.
    Boilerplate,
    /// A copy of what a cluster keeps elsewhere.
    Duplicate,
    /// Nothing left after cleaning.
    Empty,
}

/// Round a similarity for reports (4 decimals).
pub fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// One copy in a cluster.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ClusterMember {
    /// The unit: `"file"`, and `"record"` for a record (see [`crate::records::Named`]).
    #[serde(flatten, serialize_with = "crate::records::named")]
    pub file: String,
    pub lines: [u32; 2],
    /// Present for a part of a page-long paragraph (see [`crate::parts`]): the original
    /// columns where it starts in its first line and ends in its last (end exclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cols: Option<[u32; 2]>,
    pub similarity: f64,
    /// Present (true) when this copy is a trimmed version of the kept one (or the kept
    /// one of it): `similarity` is then the shorter copy's matched share.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub containment: bool,
    /// `simplified` or `traditional`, given only in a cluster whose members differ in
    /// script (see [`ClusterRecord::scripts`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script: Option<&'static str>,
    /// Present (true) for a copy that lives in the saved index (`clean --index`, added
    /// with issue 21): `file` and `lines` are as they were when it was indexed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub indexed: bool,
    /// The index run that added an indexed copy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_run: Option<u32>,
}

/// Where a cluster member is: its file, line range, columns (a part of a page-long
/// paragraph), script, and the index run that added it if it is indexed.
#[derive(Clone, Debug, PartialEq)]
pub struct Place {
    pub file: String,
    pub lines: [u32; 2],
    pub cols: Option<[u32; 2]>,
    pub script: crate::script::Script,
    pub indexed: Option<u32>,
}

/// A line of `clusters.jsonl`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ClusterRecord {
    pub cluster: u32,
    pub level: Level,
    pub kept: usize,
    /// `["simplified", "traditional"]` when the members differ in script (a mirror in
    /// traditional characters); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scripts: Option<Vec<&'static str>>,
    pub members: Vec<ClusterMember>,
}

/// A line of `placeholders.jsonl`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PlaceholderRecord<'a> {
    /// As [`ClusterMember::file`].
    #[serde(flatten, serialize_with = "crate::records::named")]
    pub file: &'a str,
    pub line: u32,
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub kind: Kind,
    pub replacement: String,
}

/// Writes the `placeholders.jsonl` lines of one file, byte for byte what
/// [`push_jsonl`] writes for a [`PlaceholderRecord`]. A file can hold thousands of
/// masks; its name is escaped once here rather than once a line, and the fixed keys
/// are copied rather than serialised.
pub struct PlaceholderLines {
    /// `{"file":"<name>","line":` (with `"record"` after `"file"` for a record)
    head: Vec<u8>,
}

impl PlaceholderLines {
    pub fn new(file: &str) -> Self {
        // `{"file":…}` or `{"file":…,"record":…}` without its `}`.
        let mut head = serde_json::to_vec(&crate::records::Named(file)).expect("a str serialises");
        head.pop();
        head.extend_from_slice(br#","line":"#);
        PlaceholderLines { head }
    }

    /// Append the line of one placeholder (fields as in [`PlaceholderRecord`]).
    pub fn push(
        &self,
        buf: &mut Vec<u8>,
        line: u32,
        [start, end]: [usize; 2],
        text: &str,
        kind: Kind,
        replacement: &str,
    ) {
        let mut num = itoa::Buffer::new();
        buf.extend_from_slice(&self.head);
        buf.extend_from_slice(num.format(line).as_bytes());
        buf.extend_from_slice(br#","start":"#);
        buf.extend_from_slice(num.format(start).as_bytes());
        buf.extend_from_slice(br#","end":"#);
        buf.extend_from_slice(num.format(end).as_bytes());
        buf.extend_from_slice(br#","text":"#);
        serde_json::to_writer(&mut *buf, text).expect("a str serialises");
        buf.extend_from_slice(br#","kind":""#);
        buf.extend_from_slice(kind.name().as_bytes());
        buf.extend_from_slice(br#"","replacement":"#);
        serde_json::to_writer(&mut *buf, replacement).expect("a str serialises");
        buf.extend_from_slice(b"}\n");
    }
}

/// A line of `removed.jsonl`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RemovedRecord<'a> {
    /// As [`ClusterMember::file`].
    #[serde(flatten, serialize_with = "crate::records::named")]
    pub file: &'a str,
    pub lines: [u32; 2],
    /// As [`ClusterMember::cols`]: only this part of the lines was removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cols: Option<[u32; 2]>,
    pub reason: Reason,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<u32>,
    /// Present (true) when `--keep-boilerplate` kept the furniture in `clean/`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept: Option<bool>,
}

/// A file that was processed with decoding errors.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DecodeIssue {
    pub file: String,
    pub encoding: String,
    pub bad_bytes: usize,
    pub first_bad_line: Option<usize>,
}

/// `summary.json`.
#[derive(Clone, Debug, Serialize, Default)]
pub struct Summary {
    pub version: &'static str,
    pub counts: Counts,
    /// Files that could not be read or processed, and why.
    pub failed: Vec<Skipped>,
    /// Files processed although some bytes were not valid in their encoding.
    pub decode_errors: Vec<DecodeIssue>,
    /// Hidden, binary, excluded or looping paths that were passed over.
    pub skipped: Vec<Skipped>,
    /// Files per encoding.
    pub encodings: BTreeMap<String, usize>,
    /// Lines removed per boilerplate rule.
    pub boilerplate_rules: BTreeMap<String, usize>,
    pub options: Options,
    /// Varies from run to run (threads, times); everything else is deterministic.
    pub run: RunInfo,
    /// A run with `--index` (added with issue 21): what it compared against and added.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<IndexSummary>,
}

/// `index` of `summary.json`.
#[derive(Clone, Debug, Serialize, Default)]
pub struct IndexSummary {
    /// The index folder, as given.
    pub path: String,
    /// `update` or `read`.
    pub mode: crate::index::IndexMode,
    /// Runs the index held before this one.
    pub runs: usize,
    /// Indexed documents (and their paragraphs) loaded as near this run's paragraphs.
    pub documents_loaded: usize,
    pub paragraphs_loaded: usize,
    /// This run's paragraphs removed as copies of an indexed paragraph (paragraph
    /// clusters whose kept copy is indexed), and its documents removed as copies of an
    /// indexed document.
    pub removed_paragraphs: usize,
    pub removed_documents: usize,
    /// What this run adds to the index (update mode), once the run's outputs are
    /// committed.
    pub added: Option<IndexAdded>,
}

/// `index.added` of `summary.json`.
#[derive(Clone, Debug, Serialize, Default)]
pub struct IndexAdded {
    pub run: u32,
    #[serde(flatten)]
    pub held: crate::index::segment::Held,
    pub bytes: u64,
}

/// Counts of a run.
#[derive(Clone, Debug, Serialize, Default)]
pub struct Counts {
    pub files: usize,
    pub files_processed: usize,
    pub files_failed: usize,
    pub files_skipped: usize,
    pub files_written: usize,
    pub other_files: usize,
    pub bytes: u64,
    pub lines: usize,
    pub documents: usize,
    pub paragraphs: usize,
    /// Paragraphs long enough to take part in near-duplicate search.
    pub paragraphs_searched: usize,
    pub clusters: PerLevel,
    /// Paragraphs removed as copies: inside removed documents (`document`), and other
    /// copies removed one by one (`paragraph`).
    pub removed_paragraphs: PerLevel,
    pub removed_documents: usize,
    pub candidate_pairs: usize,
    /// Candidate pairs not verified because both paragraphs already had
    /// `lsh::MAX_PARTNERS` partners of lower id (issue 19: a text recurring in
    /// thousands of places). Zero on ordinary corpora.
    pub candidate_pairs_skipped: usize,
    pub verified_pairs: usize,
    pub placeholders: BTreeMap<&'static str, usize>,
    pub boilerplate_lines: usize,
    pub empty_lines: usize,
    /// Lines whose HTML markup (character references, tags) was decoded or dropped
    /// (added in session 25).
    #[serde(default)]
    pub markup_lines: usize,
}

/// A count per level.
#[derive(Clone, Debug, Serialize, Deserialize, Default)]
pub struct PerLevel {
    pub paragraph: usize,
    pub document: usize,
}

/// Options in force.
#[derive(Clone, Debug, Serialize, Default)]
pub struct Options {
    pub shingle: String,
    pub num_perm: usize,
    pub bands: usize,
    pub rows: usize,
    pub threshold: f64,
    pub doc_threshold: f64,
    pub min_chars: usize,
    /// `--max-partners`.
    pub max_partners: usize,
    pub seed: u64,
    pub keep: String,
    pub mask_style: String,
    pub fold: String,
    /// `keep`, `simplified` or `traditional` (`--script`).
    pub script: String,
    pub keep_boilerplate: bool,
    pub encoding: Option<String>,
    pub exts: Vec<String>,
    pub excludes: Vec<String>,
    /// For a run over records (added with issue 20): their format and fields, and how
    /// they were written back; absent for a run over text files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<RecordsEcho>,
    /// `--output-format` when clean/ is not written as the input is (added with issue
    /// 20): `jsonl` or `parquet` shards of a folder of text files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_format: Option<&'static str>,
}

/// `options.records` of `summary.json`.
#[derive(Clone, Debug, Serialize, Default)]
pub struct RecordsEcho {
    /// `jsonl` or `parquet`.
    pub format: &'static str,
    pub text_field: String,
    /// None: records are named by their position.
    pub id_field: Option<String>,
    /// `clean`, `keep-empty` or `annotate`.
    pub output: &'static str,
}

impl RecordsEcho {
    /// What `cfg` reads records of `format` with, and how it writes them back.
    pub fn of(cfg: &crate::Config, format: crate::records::Format) -> RecordsEcho {
        RecordsEcho {
            format: format.name(),
            text_field: cfg.records.text_field.clone(),
            id_field: cfg.records.id_field.clone(),
            output: cfg.records_out.name(),
        }
    }
}

impl Options {
    /// The options of `cfg` as `summary.json` echoes them (`bands` × `rows` in force).
    /// The Spark job's batch parameters are built from the same values.
    pub fn of(cfg: &crate::Config, (bands, rows): (usize, usize)) -> Options {
        Options {
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
            script: cfg
                .script
                .map_or("keep", crate::script::Script::name)
                .to_string(),
            keep_boilerplate: cfg.keep_boilerplate,
            encoding: cfg.encoding.map(|e| e.name().to_string()),
            exts: cfg.exts.clone(),
            excludes: cfg.excludes.clone(),
            records: None,
            output_format: None,
        }
    }
}

/// What varies between runs of the same input.
#[derive(Clone, Debug, Serialize, Deserialize, Default)]
pub struct RunInfo {
    /// The input folder (or record file), made absolute (added for `zhclean review`);
    /// absent for a source that has no place (texts in memory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    pub threads: usize,
    pub wall_seconds: f64,
    /// Wall time of each phase, in order.
    pub phase_seconds: BTreeMap<String, f64>,
    /// CPU time summed over threads, per stage of the per-file work.
    pub stage_cpu_seconds: BTreeMap<String, f64>,
}

/// Append one JSON line.
pub fn push_jsonl<T: Serialize>(buf: &mut Vec<u8>, rec: &T) {
    serde_json::to_writer(&mut *buf, rec).expect("report records serialise");
    buf.push(b'\n');
}

/// Write `bytes` to `path`, creating its parent folders (used inside a staging folder,
/// which makes the whole output appear at once).
pub fn write_file_at(path: &Path, bytes: &[u8]) -> Result<()> {
    // Most files go into a folder an earlier file made: try that first, and make the
    // folders only when the file cannot be created for want of them (two system calls
    // a file fewer than making them each time).
    let mut f = match fs::File::create(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(p) = path.parent() {
                fs::create_dir_all(p).map_err(|e| Error::io(p, e))?;
            }
            fs::File::create(path)
        }
        r => r,
    }
    .map_err(|e| Error::io(path, e))?;
    f.write_all(bytes).map_err(|e| Error::io(path, e))?;
    Ok(())
}

/// Absolute form of a path that may not exist yet: the nearest existing ancestor is
/// canonicalised and the rest appended.
pub(crate) fn resolve(path: &Path) -> Result<PathBuf> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| Error::io(path, e))?
            .join(path)
    };
    let mut tail = Vec::new();
    let mut cur = abs.as_path();
    loop {
        if let Ok(c) = cur.canonicalize() {
            let mut out = c;
            for t in tail.iter().rev() {
                out.push(t);
            }
            return Ok(out);
        }
        match (cur.file_name(), cur.parent()) {
            (Some(name), Some(parent)) => {
                tail.push(name.to_os_string());
                cur = parent;
            }
            _ => {
                return Ok(abs
                    .components()
                    .filter(|c| !matches!(c, Component::CurDir))
                    .collect())
            }
        }
    }
}

/// The output folder being written: a staging folder that becomes `clean/` and
/// `report/` on [`Staging::commit`].
#[derive(Debug)]
pub struct Staging {
    out: PathBuf,
    dir: tempfile::TempDir,
    /// Held locked for the run's life, so a later run can tell a live staging folder
    /// from one a crashed run left behind (see [`STAGING_LOCK`]).
    _lock: fs::File,
    /// Staging folders of interrupted runs that [`Staging::create`] removed.
    cleared: Vec<PathBuf>,
}

/// Prefix of a staging folder's name.
pub const STAGING_PREFIX: &str = ".zhclean-staging-";
/// The file in a staging folder that its run holds an exclusive lock on. A staging
/// folder whose lock can be taken (or that has no lock file: older versions) belongs to
/// no live run: it was left by a run that was killed, and the next run on that output
/// folder removes it.
pub const STAGING_LOCK: &str = "lock";

/// Remove the staging folders under `out` that no live run holds; returns them.
fn clear_interrupted(out: &Path) -> Result<Vec<PathBuf>> {
    let mut cleared = Vec::new();
    let Ok(entries) = fs::read_dir(out) else {
        return Ok(cleared);
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(STAGING_PREFIX))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for d in dirs {
        let free = match fs::File::open(d.join(STAGING_LOCK)) {
            Ok(f) => f.try_lock().is_ok(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
            Err(_) => false,
        };
        if free {
            fs::remove_dir_all(&d).map_err(|e| Error::io(&d, e))?;
            cleared.push(d);
        }
    }
    Ok(cleared)
}

/// A report file in the staging folder, appended to in order; it only becomes visible
/// when the staging folder is committed.
pub struct ReportWriter {
    out: std::io::BufWriter<fs::File>,
    path: PathBuf,
}

impl ReportWriter {
    pub fn append(&mut self, bytes: &[u8]) -> Result<()> {
        self.out
            .write_all(bytes)
            .map_err(|e| Error::io(&self.path, e))
    }

    pub fn finish(mut self) -> Result<()> {
        self.out.flush().map_err(|e| Error::io(&self.path, e))
    }
}

impl Staging {
    /// Check the input and output folders and open a staging folder.
    pub fn create(input: &Path, out: &Path, force: bool) -> Result<Staging> {
        let input_c = input
            .canonicalize()
            .map_err(|e| Error::Config(format!("input folder {}: {e}", input.display())))?;
        let out_c = resolve(out)?;
        if input_c.is_file() {
            // A record file: the output may sit beside it, but not be it.
            if out_c == input_c {
                return Err(Error::Config(format!(
                    "output folder {} is the input file",
                    out.display()
                )));
            }
            return Staging::open(out, out_c, force);
        }
        if !input_c.is_dir() {
            return Err(Error::Config(format!(
                "input {} is not a folder",
                input.display()
            )));
        }
        if out_c.starts_with(&input_c) {
            return Err(Error::Config(format!(
                "output folder {} is inside the input folder {}; choose a folder outside it",
                out.display(),
                input.display()
            )));
        }
        for sub in ["clean", "report"] {
            if input_c.starts_with(out_c.join(sub)) {
                return Err(Error::Config(format!(
                    "input folder {} is inside {}/{sub}, which a run replaces",
                    input.display(),
                    out.display()
                )));
            }
        }
        Staging::open(out, out_c, force)
    }

    /// Open a staging folder in `out_c` (`out` resolved), once the input is checked.
    fn open(out: &Path, out_c: PathBuf, force: bool) -> Result<Staging> {
        if out_c.exists() {
            if !out_c.is_dir() {
                return Err(Error::Config(format!(
                    "output {} is not a folder",
                    out.display()
                )));
            }
            let non_empty = fs::read_dir(&out_c)
                .map_err(|e| Error::io(&out_c, e))?
                .any(|e| {
                    e.is_ok_and(|e| !e.file_name().to_string_lossy().starts_with(STAGING_PREFIX))
                });
            if non_empty && !force {
                return Err(Error::Config(format!(
                    "output folder {} is not empty; pass --force to replace its clean/ and report/",
                    out.display()
                )));
            }
        }
        fs::create_dir_all(&out_c).map_err(|e| Error::io(&out_c, e))?;
        let cleared = clear_interrupted(&out_c)?;
        let dir = tempfile::Builder::new()
            .prefix(STAGING_PREFIX)
            .tempdir_in(&out_c)
            .map_err(|e| Error::io(&out_c, e))?;
        let lock_path = dir.path().join(STAGING_LOCK);
        let lock = fs::File::create(&lock_path).map_err(|e| Error::io(&lock_path, e))?;
        lock.lock().map_err(|e| Error::io(&lock_path, e))?;
        for sub in ["clean", "report"] {
            fs::create_dir(dir.path().join(sub))
                .map_err(|e| Error::io(&dir.path().join(sub), e))?;
        }
        Ok(Staging {
            out: out_c,
            dir,
            _lock: lock,
            cleared,
        })
    }

    /// The staging folders of interrupted runs that opening this one removed.
    pub fn cleared(&self) -> &[PathBuf] {
        &self.cleared
    }

    /// The staging folder itself (workers of a distributed run write into it).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The staging `clean/` folder.
    pub fn clean_root(&self) -> PathBuf {
        self.dir.path().join("clean")
    }

    /// Path of a file under the staging `clean/`.
    pub fn clean_path(&self, rel: &str) -> PathBuf {
        self.clean_root().join(rel)
    }

    /// Write a file under the staging folder, creating its parent folders.
    pub fn write(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        write_file_at(path, bytes)
    }

    /// A report file to be written piece by piece (JSONL streamed in file order).
    pub fn report_writer(&self, name: &str) -> Result<ReportWriter> {
        let path = self.dir.path().join("report").join(name);
        if let Some(p) = path.parent() {
            fs::create_dir_all(p).map_err(|e| Error::io(p, e))?;
        }
        let f = fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
        Ok(ReportWriter {
            out: std::io::BufWriter::with_capacity(1 << 20, f),
            path,
        })
    }

    /// Write a report file.
    pub fn write_report(&self, name: &str, bytes: &[u8]) -> Result<()> {
        self.write(&self.dir.path().join("report").join(name), bytes)
    }

    /// Move `clean/` and `report/` into place; the previous ones are deleted.
    pub fn commit(self) -> Result<()> {
        for sub in ["clean", "report"] {
            let dst = self.out.join(sub);
            let new = self.dir.path().join(sub);
            if dst.exists() {
                let old = self.dir.path().join(format!("old-{sub}"));
                fs::rename(&dst, &old).map_err(|e| Error::io(&dst, e))?;
            }
            fs::rename(&new, &dst).map_err(|e| Error::io(&dst, e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_staging_folders_no_live_run_holds_are_cleared() {
        let out = tempfile::tempdir().unwrap();
        let live = out.path().join(format!("{STAGING_PREFIX}live"));
        let dead = out.path().join(format!("{STAGING_PREFIX}dead"));
        let old = out.path().join(format!("{STAGING_PREFIX}old"));
        let other = out.path().join("keep-me");
        for d in [&live, &dead, &old, &other] {
            fs::create_dir(d).unwrap();
        }
        let held = fs::File::create(live.join(STAGING_LOCK)).unwrap();
        held.lock().unwrap();
        fs::File::create(dead.join(STAGING_LOCK)).unwrap();
        let cleared = clear_interrupted(out.path()).unwrap();
        assert_eq!(cleared, [dead.clone(), old.clone()]);
        assert!(live.exists() && other.exists() && !dead.exists() && !old.exists());
        drop(held);
        assert_eq!(clear_interrupted(out.path()).unwrap(), [live]);
    }

    #[test]
    fn files_are_written_into_folders_made_as_needed() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("clean/site/2020/a.txt");
        write_file_at(&a, "一".as_bytes()).unwrap();
        write_file_at(&a.with_file_name("b.txt"), b"2").unwrap();
        write_file_at(&dir.path().join("c.txt"), b"3").unwrap();
        assert_eq!(fs::read_to_string(&a).unwrap(), "一");
        assert_eq!(fs::read(a.with_file_name("b.txt")).unwrap(), b"2");
        assert_eq!(fs::read(dir.path().join("c.txt")).unwrap(), b"3");
        // A folder in the way is a file: the error names the path.
        let blocked = dir.path().join("c.txt/d.txt");
        let err = write_file_at(&blocked, b"4").unwrap_err().to_string();
        assert!(err.contains("c.txt"), "{err}");
    }

    proptest::proptest! {
        /// The placeholder line writer gives serde's bytes, whatever the strings hold
        /// (quotes, backslashes, control characters, any Unicode).
        #[test]
        fn placeholder_lines_are_what_serde_writes(
            file in "\\PC{0,12}|[a-z/\"\\\\\u{0}-\u{1f}\u{7f}中]{0,12}",
            line: u32,
            start: usize,
            end: usize,
            text in "\\PC{0,6}|[X*\"\\\\\u{0}-\u{1f}]{0,6}",
            kind in proptest::sample::select(Kind::ALL.to_vec()),
            replacement in "\\PC{0,4}",
        ) {
            let mut want = Vec::new();
            push_jsonl(&mut want, &PlaceholderRecord {
                file: &file,
                line,
                start,
                end,
                text: text.clone(),
                kind,
                replacement: replacement.clone(),
            });
            let mut got = b"earlier bytes stay".to_vec();
            PlaceholderLines::new(&file).push(&mut got, line, [start, end], &text, kind, &replacement);
            proptest::prop_assert_eq!(&got[18..], &want[..]);
        }
    }

    #[test]
    fn refuses_output_inside_input_and_non_empty_output() {
        let d = tempfile::tempdir().unwrap();
        let input = d.path().join("in");
        fs::create_dir_all(input.join("sub")).unwrap();
        let e = Staging::create(&input, &input.join("sub/out"), false).unwrap_err();
        assert!(e.to_string().contains("inside the input folder"), "{e}");
        assert!(
            !input.join("sub/out").exists(),
            "nothing is created in the input tree"
        );
        let out = d.path().join("out");
        fs::create_dir_all(&out).unwrap();
        fs::write(out.join("x"), "1").unwrap();
        let e = Staging::create(&input, &out, false).unwrap_err();
        assert!(e.to_string().contains("--force"), "{e}");
        let s = Staging::create(&input, &out, true).unwrap();
        s.write(&s.clean_path("a/b.txt"), b"hi\n").unwrap();
        s.write_report("summary.json", b"{}").unwrap();
        s.commit().unwrap();
        assert_eq!(
            fs::read_to_string(out.join("clean/a/b.txt")).unwrap(),
            "hi\n"
        );
        assert!(out.join("x").exists());
        let left: Vec<_> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left.len(), 3, "{left:?}");
    }
}
