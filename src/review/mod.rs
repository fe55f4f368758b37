//! `zhclean review`: a finished run read back as HTML a person can check it with.
//!
//! Reads `OUT/report/` (the contract of `docs/reports.md`) and the input text (the
//! folder `summary.json` names as `run.input`, or `--input`), and writes
//! `OUT/review/index.html`, one self-contained page (inline style, script and SVG; it
//! loads nothing), with a page per file under `OUT/review/files/`:
//! - the run at a glance: counts, removed characters by reason, masks by kind,
//!   encodings, failed and skipped files, cluster sizes and similarities;
//! - the clusters, biggest and least similar first, filterable: the kept copy beside
//!   each removed one with a character diff ([`diff`]), masks in their own colour, the
//!   similarity and the test that decided it; a document cluster lists the paragraph
//!   clusters inside it;
//! - per file: its lines as read, paragraphs as the structure stage found them,
//!   removed lines struck through with their reason, masks with kind and replacement.
//!
//! `--sample N` keeps the page small on a big run: N clusters of each similarity band
//! and N files, chosen by a seeded hash (the same every time). Every text from the
//! input is escaped ([`html::escape`]). The folder is built beside `review/` and
//! renamed into place, so an interrupted run leaves the old page or the new one.

pub mod diff;
pub mod html;
mod pages;

use self::pages::Ctx;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use crate::boilerplate::Boilerplate;
use crate::error::{Error, Result};

/// What `zhclean review` is asked for.
#[derive(Clone, Debug)]
pub struct Options {
    /// The output folder of a finished `zhclean clean` run.
    pub out: PathBuf,
    /// The run's input folder, when `summary.json` does not name it or it moved.
    pub input: Option<PathBuf>,
    /// Show only this many clusters per similarity band, and this many files.
    pub sample: Option<usize>,
    /// Seed of the sample.
    pub seed: u64,
}

/// What was written.
#[derive(Clone, Debug)]
pub struct Written {
    pub index: PathBuf,
    pub pages: usize,
    pub bytes: u64,
    pub clusters: usize,
    pub clusters_shown: usize,
    pub files: usize,
    pub files_shown: usize,
}

/// Most clusters shown without `--sample` (the first, in the page's order).
pub const MAX_CLUSTERS: usize = 1000;

/// Most file pages written without `--sample` (the first, in path order).
pub const MAX_FILES: usize = 1000;

/// Most removed copies of one cluster shown beside the kept one (the least similar);
/// the others are listed.
pub const MAX_PAIRS: usize = 20;

/// Longest document (in characters, either side) shown whole in a document diff.
pub const MAX_DOC_CHARS: usize = 30_000;

/// Prefix of the folder a review is built in before it is renamed to `review/`.
pub const BUILD_PREFIX: &str = ".zhclean-review-";

#[derive(Clone, Debug, Deserialize)]
struct Member {
    file: String,
    #[serde(default)]
    record: Option<String>,
    lines: [u32; 2],
    #[serde(default)]
    cols: Option<[u32; 2]>,
    similarity: f64,
    #[serde(default)]
    containment: bool,
    #[serde(default)]
    script: Option<String>,
    /// The index run that added an indexed copy (`clean --index`): its text is not in
    /// this run's input.
    #[serde(default)]
    index_run: Option<u32>,
}

#[derive(Clone, Debug, Deserialize)]
struct Cluster {
    cluster: u32,
    level: String,
    kept: usize,
    members: Vec<Member>,
}

impl Cluster {
    /// The least similarity of a removed member (1 for a cluster of exact copies).
    fn least(&self) -> f64 {
        self.members
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != self.kept)
            .map(|(_, m)| m.similarity)
            .fold(1.0, f64::min)
    }
}

#[derive(Clone, Debug, Deserialize)]
struct Removal {
    file: String,
    #[serde(default)]
    record: Option<String>,
    lines: [u32; 2],
    #[serde(default)]
    cols: Option<[u32; 2]>,
    reason: String,
    #[serde(default)]
    rule: Option<String>,
    #[serde(default)]
    cluster: Option<u32>,
}

#[derive(Clone, Debug, Deserialize)]
struct Mask {
    file: String,
    #[serde(default)]
    record: Option<String>,
    line: u32,
    start: usize,
    end: usize,
    kind: String,
    #[serde(default)]
    replacement: Option<String>,
}

/// Between a record file's name and a record's id in the name the review gives a
/// record (a record is a "file" of the review: it has a page of its own).
const RECORD_MARK: &str = " ▸ ";

/// The review's name of a report line's unit: the file, or `file ▸ record`.
fn unit_key(file: &mut String, record: &mut Option<String>) {
    if let Some(r) = record.take() {
        file.push_str(RECORD_MARK);
        file.push_str(&r);
    }
}

/// A run over records: its input read again (into a spool in the system's temporary
/// folder), each record by the review's name of it.
struct RecordTexts {
    src: crate::records::source::Standalone,
    units: std::collections::HashMap<String, crate::walk::Unit>,
}

impl RecordTexts {
    fn open(input: &Path, echo: &Value) -> Result<RecordTexts> {
        use crate::records::source::{RecordOptions, Standalone};
        use crate::records::Format;
        use crate::source::Source;
        let format = match echo["format"].as_str() {
            Some(f) if f == Format::Parquet.name() => Format::Parquet,
            _ => Format::Jsonl,
        };
        let opts = RecordOptions {
            text_field: echo["text_field"].as_str().unwrap_or("text").to_string(),
            id_field: echo["id_field"].as_str().map(str::to_string),
        };
        let src = Standalone::open(input, format, opts)?;
        let units = src
            .records()
            .list()
            .sources
            .into_iter()
            .map(|u| {
                let (file, record) = crate::records::split_name(&u.rel_path);
                let mut key = file.to_string();
                unit_key(&mut key, &mut record.map(str::to_string));
                (key, u)
            })
            .collect();
        Ok(RecordTexts { src, units })
    }

    fn bytes(&self, key: &str) -> std::result::Result<Vec<u8>, String> {
        use crate::source::Source;
        let u = self
            .units
            .get(key)
            .ok_or_else(|| format!("{key}: no such record"))?;
        self.src
            .records()
            .read(u)
            .map_err(|e| format!("{key}: {e}"))
    }
}

/// A file's text as the run read it: its lines (1-based through [`Text::line`]) and
/// its paragraphs as line ranges.
struct Text {
    lines: Vec<String>,
    paras: Vec<[u32; 2]>,
}

impl Text {
    fn line(&self, no: u32) -> &str {
        self.lines
            .get((no as usize).wrapping_sub(1))
            .map_or("", String::as_str)
    }

    /// The characters of lines `lines` (trimmed and joined, as a paragraph is), from
    /// column `cols[0]` of the first to `cols[1]` of the last when given.
    fn span(&self, lines: [u32; 2], cols: Option<[u32; 2]>) -> String {
        let mut out = String::new();
        for no in lines[0]..=lines[1] {
            let l = self.line(no);
            let piece: String = match cols {
                Some([a, b]) if lines[0] == lines[1] => l
                    .chars()
                    .skip(a as usize)
                    .take((b - a.min(b)) as usize)
                    .collect(),
                Some([a, _]) if no == lines[0] => l.chars().skip(a as usize).collect(),
                Some([_, b]) if no == lines[1] => l.chars().take(b as usize).collect(),
                _ => l.to_string(),
            };
            out.push_str(piece.trim());
        }
        out
    }

    /// Characters and UTF-8 bytes of those lines (of the columns, when given).
    fn size_of(&self, lines: [u32; 2], cols: Option<[u32; 2]>) -> [u64; 2] {
        let size = |s: &str| [s.chars().count() as u64, s.len() as u64];
        match cols {
            Some(_) => size(&self.span(lines, cols)),
            None => (lines[0]..=lines[1])
                .map(|n| size(self.line(n)))
                .fold([0, 0], |a, b| [a[0] + b[0], a[1] + b[1]]),
        }
    }
}

/// A finished run's reports.
struct Run {
    summary: Value,
    clusters: Vec<Cluster>,
    removed: Vec<Removal>,
    input: PathBuf,
    files: Vec<String>,
    /// For a run over records, their texts.
    records: Option<RecordTexts>,
}

fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| {
                Error::Config(format!(
                    "{}:{}: not a report record: {e}",
                    path.display(),
                    i + 1
                ))
            })
        })
        .collect()
}

/// The masks of `placeholders.jsonl` in the files of `keep`, read a line at a time (a
/// big run holds millions of them), by file and line.
fn read_masks(
    path: &Path,
    keep: &BTreeSet<&str>,
) -> Result<BTreeMap<String, BTreeMap<u32, Vec<Mask>>>> {
    use std::io::BufRead;
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut out: BTreeMap<String, BTreeMap<u32, Vec<Mask>>> = BTreeMap::new();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| Error::io(path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let mut m: Mask = serde_json::from_str(&line).map_err(|e| {
            Error::Config(format!(
                "{}:{}: not a report record: {e}",
                path.display(),
                i + 1
            ))
        })?;
        unit_key(&mut m.file, &mut m.record);
        if keep.contains(m.file.as_str()) {
            out.entry(m.file.clone())
                .or_default()
                .entry(m.line)
                .or_default()
                .push(m);
        }
    }
    Ok(out)
}

fn load(opts: &Options) -> Result<Run> {
    let report = opts.out.join("report");
    let summary_path = report.join("summary.json");
    if !summary_path.is_file() {
        return Err(Error::Config(format!(
            "{}: no report/summary.json here: give the output folder of a finished \
             `zhclean clean` run",
            opts.out.display()
        )));
    }
    let bytes = std::fs::read(&summary_path).map_err(|e| Error::io(&summary_path, e))?;
    let summary: Value = serde_json::from_slice(&bytes)
        .map_err(|e| Error::Config(format!("{}: not JSON: {e}", summary_path.display())))?;
    let input = match (&opts.input, summary["run"]["input"].as_str()) {
        (Some(p), _) => p.clone(),
        (None, Some(p)) => PathBuf::from(p),
        (None, None) => {
            return Err(Error::Config(format!(
                "{} does not name the run's input folder: give it with --input INPUT",
                summary_path.display()
            )))
        }
    };
    let echo = &summary["options"]["records"];
    let there = input.is_dir() || (echo.is_object() && input.is_file());
    if !there {
        return Err(Error::Config(format!(
            "{}: the run's input folder is not there (give it with --input INPUT)",
            input.display()
        )));
    }
    let records = match echo.is_object() {
        true => Some(RecordTexts::open(&input, echo)?),
        false => None,
    };
    let clusters_path = report.join("clusters.jsonl");
    let mut clusters: Vec<Cluster> = read_jsonl(&clusters_path)?;
    for m in clusters.iter_mut().flat_map(|c| c.members.iter_mut()) {
        unit_key(&mut m.file, &mut m.record);
        if let Some(run) = m.index_run {
            // Named apart from the run's own files (which may have the same names), so
            // its text is never read from this run's input.
            m.file = format!("[index run {run}] {}", m.file);
        }
    }
    if let Some(c) = clusters.iter().find(|c| c.kept >= c.members.len()) {
        return Err(Error::Config(format!(
            "{}: cluster {} names kept member {} of {}",
            clusters_path.display(),
            c.cluster,
            c.kept,
            c.members.len()
        )));
    }
    let mut removed: Vec<Removal> = read_jsonl(&report.join("removed.jsonl"))?;
    for r in &mut removed {
        unit_key(&mut r.file, &mut r.record);
    }
    // Every file the run wrote or removed something of (for records: that it removed
    // something of, or found copies of; clean/ holds the record files).
    let mut files: BTreeSet<String> = BTreeSet::new();
    let clean = opts.out.join("clean");
    let walk_clean = if records.is_none() {
        Some(&clean)
    } else {
        None
    };
    for e in walk_clean
        .into_iter()
        .flat_map(|c| walkdir::WalkDir::new(c).sort_by_file_name())
    {
        let e = e.map_err(|e| {
            let p = e.path().unwrap_or(&clean).to_path_buf();
            Error::io(&p, e.into())
        })?;
        if e.file_type().is_file() {
            if let Ok(rel) = e.path().strip_prefix(&clean) {
                files.insert(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    files.extend(removed.iter().map(|r| r.file.clone()));
    files.extend(
        clusters
            .iter()
            .flat_map(|c| c.members.iter().map(|m| m.file.clone())),
    );
    Ok(Run {
        summary,
        clusters,
        removed,
        input,
        files: files.into_iter().collect(),
        records,
    })
}

/// A file of the run, decoded as the run decoded it, with the structure stage's
/// paragraphs when `paras` (the costly part); the error says why not.
fn read_text(run: &Run, rel: &str, paras: bool) -> std::result::Result<Text, String> {
    let summary = &run.summary;
    let path = run.input.join(rel);
    let bytes = match &run.records {
        Some(r) => r.bytes(rel)?,
        None => std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?,
    };
    let forced = summary["options"]["encoding"]
        .as_str()
        .and_then(|l| encoding_rs::Encoding::for_label(l.as_bytes()));
    let d = crate::decode::decode(&bytes, forced)
        .map_err(|_| format!("{}: not text", path.display()))?;
    if !paras {
        return Ok(Text {
            lines: raw_lines(&d.text),
            paras: Vec::new(),
        });
    }
    let keep_furniture = summary["options"]["keep_boilerplate"]
        .as_bool()
        .unwrap_or(false);
    let prep = crate::pipeline::prepare(&d.text, &Boilerplate::builtin(), keep_furniture);
    let paras = crate::parts::wholes(&prep.paras)
        .into_iter()
        .map(|w| {
            let (a, b) = (&prep.paras[w.start], &prep.paras[w.end - 1]);
            [prep.lines[a.first].no, prep.lines[b.last].no]
        })
        .collect();
    Ok(Text {
        lines: raw_lines(&d.text),
        paras,
    })
}

/// Lines as the reports number them: each ends at `\n`, `\r\n` or `\r`.
fn raw_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        match rest.find(['\n', '\r']) {
            Some(i) => {
                out.push(rest[..i].to_string());
                let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[i + skip..];
            }
            None => {
                out.push(rest.to_string());
                rest = "";
            }
        }
    }
    out
}

/// The similarity band a cluster's least similar member falls in.
fn band(least: f64) -> &'static str {
    if least >= 1.0 {
        "1.0"
    } else if least >= 0.9 {
        "0.9–1.0"
    } else if least >= 0.8 {
        "0.8–0.9"
    } else {
        "below 0.8"
    }
}

/// `items` chosen by the `n` smallest seeded hashes of their keys.
fn sample<T: Clone>(items: &[T], n: usize, seed: u64, key: impl Fn(&T) -> String) -> Vec<T> {
    let mut h: Vec<(u64, usize)> = items
        .iter()
        .enumerate()
        .map(|(i, x)| {
            (
                xxhash_rust::xxh3::xxh3_64_with_seed(key(x).as_bytes(), seed),
                i,
            )
        })
        .collect();
    h.sort_unstable();
    let mut pick: Vec<usize> = h.into_iter().take(n).map(|(_, i)| i).collect();
    pick.sort_unstable();
    pick.into_iter().map(|i| items[i].clone()).collect()
}

/// Build the review of `opts.out` and move it into `OUT/review/`.
pub fn build(opts: &Options) -> Result<Written> {
    let run = load(opts)?;
    // Which clusters and files get shown.
    let mut order: Vec<&Cluster> = run.clusters.iter().collect();
    order.sort_by(|a, b| {
        b.members
            .len()
            .cmp(&a.members.len())
            .then(a.least().total_cmp(&b.least()))
            .then(a.cluster.cmp(&b.cluster))
    });
    let shown: Vec<&Cluster> = match opts.sample {
        None => order.iter().copied().take(MAX_CLUSTERS).collect(),
        Some(n) => {
            let mut keep = BTreeSet::new();
            for b in ["1.0", "0.9–1.0", "0.8–0.9", "below 0.8"] {
                let of_band: Vec<u32> = order
                    .iter()
                    .filter(|c| band(c.least()) == b)
                    .map(|c| c.cluster)
                    .collect();
                keep.extend(sample(&of_band, n, opts.seed, |id| id.to_string()));
            }
            order
                .iter()
                .copied()
                .filter(|c| keep.contains(&c.cluster))
                .collect()
        }
    };
    let files_shown: Vec<String> = match opts.sample {
        None => run.files.iter().take(MAX_FILES).cloned().collect(),
        Some(n) => sample(&run.files, n, opts.seed, |f| f.clone()),
    };
    // Texts: every file with removals is read for the characters removed; those shown
    // (a page, or a member of a cluster shown) are kept.
    let mut needed: BTreeSet<&str> = files_shown.iter().map(String::as_str).collect();
    for c in &shown {
        needed.extend(c.members.iter().map(|m| m.file.as_str()));
    }
    let page_of: BTreeMap<&str, usize> = files_shown
        .iter()
        .enumerate()
        .map(|(i, f)| (f.as_str(), i))
        .collect();
    let mut removed_of: BTreeMap<&str, Vec<&Removal>> = BTreeMap::new();
    for r in &run.removed {
        removed_of.entry(&r.file).or_default().push(r);
    }
    let level_of: BTreeMap<u32, &str> = run
        .clusters
        .iter()
        .map(|c| (c.cluster, c.level.as_str()))
        .collect();
    let to_read: Vec<&str> = run
        .files
        .iter()
        .map(String::as_str)
        .filter(|f| needed.contains(f) || removed_of.contains_key(f))
        .collect();
    type Read = (
        std::result::Result<Text, String>,
        BTreeMap<String, [u64; 2]>,
    );
    let read: Vec<(&str, Read)> = to_read
        .par_iter()
        .map(|&f| {
            // Paragraphs only for the file pages: cluster members need lines alone.
            let text = read_text(&run, f, page_of.contains_key(f));
            let mut by_reason: BTreeMap<String, [u64; 2]> = BTreeMap::new();
            if let Ok(t) = &text {
                for r in removed_of.get(f).map_or(&[][..], |v| v.as_slice()) {
                    let [c, b] = t.size_of(r.lines, r.cols);
                    let e = by_reason.entry(reason_label(r, &level_of)).or_default();
                    e[0] += c;
                    e[1] += b;
                }
            }
            let text = if needed.contains(f) {
                text
            } else {
                text.map(|_| Text {
                    lines: Vec::new(),
                    paras: Vec::new(),
                })
            };
            (f, (text, by_reason))
        })
        .collect();
    let mut removed_size: BTreeMap<String, [u64; 2]> = BTreeMap::new();
    let mut texts: BTreeMap<&str, std::result::Result<Text, String>> = BTreeMap::new();
    for (f, (text, by_reason)) in read {
        for (k, [c, b]) in by_reason {
            let e = removed_size.entry(k).or_default();
            e[0] += c;
            e[1] += b;
        }
        if needed.contains(f) {
            texts.insert(f, text);
        } else if let Err(e) = text {
            texts.insert(f, Err(e));
        }
    }
    let shown_files: BTreeSet<&str> = files_shown.iter().map(String::as_str).collect();
    let masks = read_masks(&opts.out.join("report/placeholders.jsonl"), &shown_files)?;
    let ctx = Ctx {
        run: &run,
        masks: &masks,
        texts: &texts,
        page_of: &page_of,
        level_of: &level_of,
    };

    // Build beside review/ and rename into place.
    std::fs::create_dir_all(&opts.out).map_err(|e| Error::io(&opts.out, e))?;
    clear_stale_builds(&opts.out)?;
    let tmp = tempfile::Builder::new()
        .prefix(BUILD_PREFIX)
        .tempdir_in(&opts.out)
        .map_err(|e| Error::io(&opts.out, e))?;
    let mut bytes = 0u64;
    let index = ctx.index(&shown, &files_shown, &removed_size, opts);
    bytes += write(&tmp.path().join("index.html"), &index)?;
    let files_dir = tmp.path().join("files");
    std::fs::create_dir_all(&files_dir).map_err(|e| Error::io(&files_dir, e))?;
    let pages: Vec<(usize, String)> = files_shown
        .par_iter()
        .enumerate()
        .map(|(i, f)| (i, ctx.file_page(f, &removed_of)))
        .collect();
    for (i, html) in &pages {
        bytes += write(&files_dir.join(page_name(*i)), html)?;
    }
    let dst = opts.out.join("review");
    if dst.exists() {
        let old = tmp.path().join("old-review");
        std::fs::rename(&dst, &old).map_err(|e| Error::io(&dst, e))?;
    }
    let built = tmp.path().join("built");
    std::fs::create_dir(&built).map_err(|e| Error::io(&built, e))?;
    for name in ["index.html", "files"] {
        let from = tmp.path().join(name);
        std::fs::rename(&from, built.join(name)).map_err(|e| Error::io(&from, e))?;
    }
    std::fs::rename(&built, &dst).map_err(|e| Error::io(&dst, e))?;
    drop(tmp);
    Ok(Written {
        index: dst.join("index.html"),
        pages: pages.len() + 1,
        bytes,
        clusters: run.clusters.len(),
        clusters_shown: shown.len(),
        files: run.files.len(),
        files_shown: files_shown.len(),
    })
}

/// Remove the build folders an interrupted review left in `out`.
fn clear_stale_builds(out: &Path) -> Result<()> {
    let rd = std::fs::read_dir(out).map_err(|e| Error::io(out, e))?;
    for e in rd.flatten() {
        let name = e.file_name();
        if name.to_string_lossy().starts_with(BUILD_PREFIX) && e.path().is_dir() {
            std::fs::remove_dir_all(e.path()).map_err(|err| Error::io(&e.path(), err))?;
            eprintln!(
                "removed {} (left by an interrupted review)",
                e.path().display()
            );
        }
    }
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<u64> {
    std::fs::write(path, text).map_err(|e| Error::io(path, e))?;
    Ok(text.len() as u64)
}

fn page_name(i: usize) -> String {
    format!("{i:05}.html")
}

/// What a removal is counted under in the chart.
fn reason_label(r: &Removal, level_of: &BTreeMap<u32, &str>) -> String {
    match (r.reason.as_str(), r.cluster, r.rule.as_deref()) {
        ("duplicate", Some(c), _) => match level_of.get(&c) {
            Some(&"document") => "duplicate document".into(),
            _ => "duplicate paragraph".into(),
        },
        ("boilerplate", _, Some(rule)) => format!("furniture: {rule}"),
        ("empty", _, _) => "empty".into(),
        (reason, _, Some(rule)) => format!("{reason}: {rule}"),
        (reason, _, None) => reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::diff::Mark;
    use super::pages::{chars_html, line_with_masks};
    use super::*;

    #[test]
    fn lines_split_as_the_reports_count_them() {
        assert_eq!(raw_lines("a\r\nb\rc\n\nd"), ["a", "b", "c", "", "d"]);
        assert_eq!(raw_lines("a\n"), ["a"]);
        assert!(raw_lines("").is_empty());
    }

    #[test]
    fn spans_take_columns_of_a_part() {
        let t = Text {
            lines: vec!["  第一行 ".into(), "第二行内容".into()],
            paras: vec![],
        };
        assert_eq!(t.span([1, 2], None), "第一行第二行内容");
        assert_eq!(t.span([2, 2], Some([1, 3])), "二行");
        assert_eq!(t.span([1, 2], Some([2, 2])), "第一行第二");
        assert_eq!(t.size_of([1, 2], None), [11, 27]);
        assert_eq!(t.size_of([2, 2], Some([1, 3])), [2, 6]);
        // A line past the end is empty, not a panic.
        assert_eq!(t.span([2, 9], None), "第二行内容");
    }

    #[test]
    fn a_sample_is_the_same_for_a_seed_and_bounded() {
        let items: Vec<u32> = (0..100).collect();
        let a = sample(&items, 5, 1, |x| x.to_string());
        assert_eq!(a.len(), 5);
        assert_eq!(a, sample(&items, 5, 1, |x| x.to_string()));
        assert_ne!(a, sample(&items, 5, 2, |x| x.to_string()));
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(sample(&items, 500, 1, |x| x.to_string()).len(), 100);
    }

    #[test]
    fn masks_and_differences_are_marked_and_text_escaped() {
        let kept: Vec<char> = "<b>今年XX县投资12亿元".chars().collect();
        let removed: Vec<char> = "<b>今年某某县投资15亿元".chars().collect();
        let (ra, rb) = diff::char_diff(&kept, &removed);
        let left = chars_html(&kept, &ra, "only-a", false);
        let right = chars_html(&removed, &rb, "only-b", false);
        assert!(left.starts_with("<div class=\"txt\">&lt;b&gt;"), "{left}");
        assert!(
            left.contains("<span class=\"only-a mask\">XX</span>"),
            "{left}"
        );
        assert!(
            right.contains("<span class=\"only-b mask\">某某</span>"),
            "{right}"
        );
        assert!(left.contains("<span class=\"only-a\">2</span>"), "{left}");
        assert!(right.contains("<span class=\"only-b\">5</span>"), "{right}");
        // Names that --fold entities folds are marked when asked for.
        let t: Vec<char> = "今天张三来到北京市。".chars().collect();
        let same = vec![(Mark::Same, 0, t.len())];
        let html = chars_html(&t, &same, "only-b", true);
        assert!(html.contains("<span class=\"name\">张三</span>"), "{html}");
        assert!(
            html.contains("<span class=\"name\">北京市</span>"),
            "{html}"
        );
        assert!(!chars_html(&t, &same, "only-b", false).contains("name"));
        let mut line = String::new();
        let m = Mask {
            file: "f".into(),
            record: None,
            line: 1,
            start: 2,
            end: 4,
            kind: "entity".into(),
            replacement: Some("××".into()),
        };
        line_with_masks(&mut line, "今年XX<县>", std::slice::from_ref(&m));
        assert_eq!(
            line,
            "今年<span class=\"mask\" title=\"entity → ××\">XX</span>&lt;县&gt;"
        );
        // A span that does not fit the line is left out, not a panic.
        let bad = Mask {
            start: 3,
            end: 40,
            ..m
        };
        let mut line = String::new();
        line_with_masks(&mut line, "今年", &[bad]);
        assert_eq!(line, "今年");
    }
}
