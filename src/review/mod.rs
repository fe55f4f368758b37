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

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use self::diff::{char_diff_folded, line_diff, Mark, Side, MAX_CHAR_DIFF, MAX_LINE_DIFF};
use self::html::{bar_chart, escape, escape_into, histogram, page, thousands};
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
    lines: [u32; 2],
    #[serde(default)]
    cols: Option<[u32; 2]>,
    similarity: f64,
    #[serde(default)]
    containment: bool,
    #[serde(default)]
    script: Option<String>,
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
    line: u32,
    start: usize,
    end: usize,
    kind: String,
    #[serde(default)]
    replacement: Option<String>,
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
        let m: Mask = serde_json::from_str(&line).map_err(|e| {
            Error::Config(format!(
                "{}:{}: not a report record: {e}",
                path.display(),
                i + 1
            ))
        })?;
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
    if !input.is_dir() {
        return Err(Error::Config(format!(
            "{}: the run's input folder is not there (give it with --input INPUT)",
            input.display()
        )));
    }
    let clusters_path = report.join("clusters.jsonl");
    let clusters: Vec<Cluster> = read_jsonl(&clusters_path)?;
    if let Some(c) = clusters.iter().find(|c| c.kept >= c.members.len()) {
        return Err(Error::Config(format!(
            "{}: cluster {} names kept member {} of {}",
            clusters_path.display(),
            c.cluster,
            c.kept,
            c.members.len()
        )));
    }
    let removed: Vec<Removal> = read_jsonl(&report.join("removed.jsonl"))?;
    // Every file the run wrote or removed something of.
    let mut files: BTreeSet<String> = BTreeSet::new();
    let clean = opts.out.join("clean");
    for e in walkdir::WalkDir::new(&clean).sort_by_file_name() {
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
    })
}

/// A file of the run, decoded as the run decoded it, with the structure stage's
/// paragraphs when `paras` (the costly part); the error says why not.
fn read_text(
    input: &Path,
    rel: &str,
    summary: &Value,
    paras: bool,
) -> std::result::Result<Text, String> {
    let path = input.join(rel);
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
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
            let text = read_text(&run.input, f, &run.summary, page_of.contains_key(f));
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

struct Ctx<'a> {
    run: &'a Run,
    /// The masks of the files shown, by file and line.
    masks: &'a BTreeMap<String, BTreeMap<u32, Vec<Mask>>>,
    texts: &'a BTreeMap<&'a str, std::result::Result<Text, String>>,
    page_of: &'a BTreeMap<&'a str, usize>,
    level_of: &'a BTreeMap<u32, &'a str>,
}

impl Ctx<'_> {
    fn text(&self, file: &str) -> std::result::Result<&Text, String> {
        match self.texts.get(file) {
            Some(Ok(t)) => Ok(t),
            Some(Err(e)) => Err(e.clone()),
            None => Err(format!("{file}: not read")),
        }
    }

    /// A link to a file's page at a line, or the place as text when it has none.
    fn place(&self, file: &str, lines: [u32; 2], prefix: &str) -> String {
        let label = if lines[0] == lines[1] {
            format!("{file}:{}", lines[0])
        } else {
            format!("{file}:{}–{}", lines[0], lines[1])
        };
        match self.page_of.get(file) {
            Some(&i) => format!(
                "<a href=\"{prefix}files/{}#L{}\">{}</a>",
                page_name(i),
                lines[0],
                escape(&label)
            ),
            None => escape(&label),
        }
    }

    fn index(
        &self,
        shown: &[&Cluster],
        files_shown: &[String],
        removed_size: &BTreeMap<String, [u64; 2]>,
        opts: &Options,
    ) -> String {
        let s = &self.run.summary;
        let c = &s["counts"];
        let n = |v: &Value| thousands(v.as_u64().unwrap_or(0));
        let mut b = String::new();
        let _ = write!(
            b,
            "<header><h1>zhclean review</h1><p class=\"note\">{} → {} · zhclean {} · \
             {} files</p></header><main>",
            escape(&self.run.input.display().to_string()),
            escape(&opts.out.display().to_string()),
            escape(s["version"].as_str().unwrap_or("?")),
            thousands(self.run.files.len() as u64),
        );
        if opts.sample.is_none()
            && (shown.len() < self.run.clusters.len() || files_shown.len() < self.run.files.len())
        {
            let _ = write!(
                b,
                "<p class=\"note\">This run is big: the page shows the first {} of {} \
                 clusters (biggest and least similar first) and the first {} of {} files \
                 (path order). <code>--sample N</code> picks from every similarity band \
                 instead.</p>",
                shown.len(),
                self.run.clusters.len(),
                files_shown.len(),
                self.run.files.len()
            );
        }
        if let Some(k) = opts.sample {
            let _ = write!(
                b,
                "<p class=\"note\">Sample: {k} clusters of each similarity band ({} of {} \
                 shown) and {k} files ({} of {}), seed {}. The counts and charts are of the \
                 whole run.</p>",
                shown.len(),
                self.run.clusters.len(),
                files_shown.len(),
                self.run.files.len(),
                opts.seed
            );
        }
        // The run at a glance.
        b.push_str("<h2 id=\"run\">The run at a glance</h2><table>");
        let removed_paras = c["removed_paragraphs"]["paragraph"].as_u64().unwrap_or(0)
            + c["removed_paragraphs"]["document"].as_u64().unwrap_or(0);
        let paras = c["paragraphs"].as_u64().unwrap_or(0);
        let rows: Vec<(&str, String)> = vec![
            (
                "files in / written",
                format!("{} / {}", n(&c["files"]), n(&c["files_written"])),
            ),
            (
                "files failed / skipped",
                format!("{} / {}", n(&c["files_failed"]), n(&c["files_skipped"])),
            ),
            ("bytes read", n(&c["bytes"])),
            (
                "paragraphs in / out",
                format!(
                    "{} / {}",
                    thousands(paras),
                    thousands(paras.saturating_sub(removed_paras))
                ),
            ),
            (
                "removed as duplicate paragraphs / inside duplicate documents",
                format!(
                    "{} / {}",
                    n(&c["removed_paragraphs"]["paragraph"]),
                    n(&c["removed_paragraphs"]["document"])
                ),
            ),
            (
                "clusters: paragraph / document",
                format!(
                    "{} / {}",
                    n(&c["clusters"]["paragraph"]),
                    n(&c["clusters"]["document"])
                ),
            ),
            (
                "furniture lines / empty lines",
                format!("{} / {}", n(&c["boilerplate_lines"]), n(&c["empty_lines"])),
            ),
        ];
        for (k, v) in rows {
            let _ = write!(b, "<tr><th>{}</th><td class=\"n\">{v}</td></tr>", escape(k));
        }
        b.push_str("</table>");
        // Removed characters by reason, masks, encodings.
        let mut bars: Vec<(String, f64, &str)> = removed_size
            .iter()
            .map(|(k, &[v, _])| {
                let class = if k.starts_with("duplicate document") {
                    "doc"
                } else if k.starts_with("duplicate") {
                    "dup"
                } else if k.starts_with("furniture") {
                    "furn"
                } else {
                    "empty"
                };
                (k.clone(), v as f64, class)
            })
            .collect();
        bars.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        b.push_str("<div class=\"charts\">");
        let mut table = String::from(
            "<table><tr><th>reason</th><th>characters</th><th>bytes (UTF-8)</th></tr>",
        );
        for (k, [chars, bytes]) in removed_size {
            let _ = write!(
                table,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape(k),
                thousands(*chars),
                thousands(*bytes)
            );
        }
        table.push_str("</table>");
        let _ = write!(
            b,
            "<figure><figcaption>Removed characters by reason</figcaption>{}{table}</figure>",
            bar_chart(&bars, "chars")
        );
        let masks: Vec<(String, f64, &str)> = c["placeholders"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_f64().unwrap_or(0.0), ""))
                    .collect()
            })
            .unwrap_or_default();
        let _ = write!(
            b,
            "<figure><figcaption>Masks by kind</figcaption>{}</figure>",
            bar_chart(&masks, "")
        );
        let mut sizes = [0u64; 6];
        let mut sims = [0u64; 6];
        for cl in &self.run.clusters {
            let k = match cl.members.len() {
                0..=2 => 0,
                3 => 1,
                4 => 2,
                5..=9 => 3,
                10..=99 => 4,
                _ => 5,
            };
            sizes[k] += 1;
            for (i, m) in cl.members.iter().enumerate() {
                if i == cl.kept {
                    continue;
                }
                let k = match m.similarity {
                    x if x >= 1.0 => 5,
                    x if x >= 0.95 => 4,
                    x if x >= 0.9 => 3,
                    x if x >= 0.8 => 2,
                    x if x >= 0.7 => 1,
                    _ => 0,
                };
                sims[k] += 1;
            }
        }
        let size_bins = bins(&["2", "3", "4", "5–9", "10–99", "100+"], sizes);
        let sim_bins = bins(
            &["<0.7", "0.7–0.8", "0.8–0.9", "0.9–0.95", "0.95–1", "1.0"],
            sims,
        );
        let _ = write!(
            b,
            "<figure><figcaption>Cluster sizes (copies)</figcaption>{}</figure>\
             <figure><figcaption>Similarity of removed copies to the kept one</figcaption>{}\
             </figure></div>",
            histogram(&size_bins),
            histogram(&sim_bins)
        );
        let _ = write!(
            b,
            "<table><tr><th>encodings</th><td>{}</td></tr><tr><th>furniture rules that \
             fired</th><td>{}",
            counts_list(&s["encodings"], |k, n| format!("{} {n}", escape(k))),
            counts_list(&s["boilerplate_rules"], |k, n| {
                format!("<code>{}</code> {n} lines", escape(k))
            })
        );
        b.push_str("</td></tr></table>");
        for (key, title) in [
            ("failed", "Failed files"),
            ("decode_errors", "Files with bytes that did not decode"),
            ("skipped", "Skipped files"),
        ] {
            let list = s[key].as_array().map_or(&[][..], |v| v.as_slice());
            if list.is_empty() {
                continue;
            }
            let _ = write!(b, "<h3>{title}</h3><table>");
            for e in list {
                let file = e["file"].as_str().unwrap_or("?");
                let why: String = e
                    .as_object()
                    .map(|o| {
                        o.iter()
                            .filter(|(k, _)| k.as_str() != "file")
                            .map(|(k, v)| {
                                format!("{k}: {}", v.as_str().map_or(v.to_string(), str::to_string))
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                let _ = write!(
                    b,
                    "<tr><td>{}</td><td>{}</td></tr>",
                    escape(file),
                    escape(&why)
                );
            }
            b.push_str("</table>");
        }
        // Clusters.
        let _ = write!(
            b,
            "<h2 id=\"clusters\">Clusters</h2><p class=\"legend\">In each pair the kept copy \
             is on the left. <span class=\"only-a\">only in the kept copy</span><span \
             class=\"only-b\">only in the removed copy</span><span class=\"fold\">the same \
             once folded (width, traditional and simplified)</span><span class=\"mask\">a \
             mask</span><span class=\"name\">a name the fingerprints fold \
             (--fold entities)</span></p><div class=\"filters\"><label>level <select id=\"f-level\">\
             <option value=\"\">all</option><option>paragraph</option><option>document\
             </option></select></label><label>at least <input id=\"f-size\" type=\"number\" \
             min=\"2\" value=\"2\" style=\"width:4em\"> copies</label><label>least \
             similarity at most <input id=\"f-sim\" type=\"number\" min=\"0\" max=\"1\" \
             step=\"0.01\" value=\"1\" style=\"width:5em\"></label><label>file <input \
             id=\"f-file\" type=\"search\" placeholder=\"part of a path\"></label><label>\
             order <select id=\"f-sort\"><option value=\"size\">biggest first</option>\
             <option value=\"sim\">least similar first</option><option value=\"id\">by id\
             </option></select></label><span id=\"f-count\"></span></div><div \
             id=\"cluster-list\">"
        );
        for (i, cl) in shown.iter().enumerate() {
            // The first cluster opens by itself: what the page is for, at a glance.
            self.cluster(&mut b, cl, i == 0);
        }
        b.push_str("</div>");
        // Files.
        b.push_str("<h2 id=\"files\">Files</h2><table class=\"files\"><tr><th>file</th><th>removed lines</th></tr>");
        let mut removed_lines: BTreeMap<&str, BTreeMap<String, u64>> = BTreeMap::new();
        for r in &self.run.removed {
            *removed_lines
                .entry(&r.file)
                .or_default()
                .entry(reason_label(r, self.level_of))
                .or_default() += u64::from(r.lines[1] - r.lines[0].min(r.lines[1]) + 1);
        }
        for (i, f) in files_shown.iter().enumerate() {
            let what = removed_lines
                .get(f.as_str())
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| format!("{} {}", escape(k), v))
                        .collect::<Vec<_>>()
                        .join(" · ")
                })
                .unwrap_or_default();
            let _ = write!(
                b,
                "<tr><td><a href=\"files/{}\">{}</a></td><td>{what}</td></tr>",
                page_name(i),
                escape(f)
            );
        }
        b.push_str("</table></main>");
        page("zhclean review", &b, true)
    }

    /// One cluster: a summary line, then each removed copy beside the kept one.
    fn cluster(&self, b: &mut String, cl: &Cluster, open: bool) {
        if cl.members.is_empty() {
            return;
        }
        let kept = &cl.members[cl.kept.min(cl.members.len() - 1)];
        let files: BTreeSet<&str> = cl.members.iter().map(|m| m.file.as_str()).collect();
        let files: Vec<&str> = files.into_iter().collect();
        let least = cl.least();
        let _ = write!(
            b,
            "<section class=\"cluster\" id=\"c{id}\" data-id=\"{id}\" data-level=\"{}\" \
             data-size=\"{}\" data-sim=\"{least}\" data-files=\"{}\"><details{}><summary>\
             <b>#{id}</b> {} · {} copies · least similarity {least:.4} · <span \
             class=\"kept\">kept</span> {}",
            escape(&cl.level),
            cl.members.len(),
            escape(&files.join(" ")),
            if open { " open" } else { "" },
            escape(&cl.level),
            cl.members.len(),
            self.place(&kept.file, kept.lines, ""),
            id = cl.cluster,
        );
        let kept_text = self.text(&kept.file);
        if let Ok(t) = &kept_text {
            let preview: String = t.span(kept.lines, kept.cols).chars().take(60).collect();
            let _ = write!(b, " · <span class=\"note\">{}…</span>", escape(&preview));
        }
        b.push_str("</summary>");
        if cl.level == "document" {
            self.inner_clusters(b, cl);
        }
        let removed: Vec<&Member> = cl
            .members
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != cl.kept)
            .map(|(_, m)| m)
            .collect();
        // The least similar copies first: they are the ones worth a look.
        let mut by_sim = removed.clone();
        by_sim.sort_by(|a, b| a.similarity.total_cmp(&b.similarity));
        for m in by_sim.iter().take(MAX_PAIRS) {
            let rule = self.rule(cl, m);
            let _ = write!(
                b,
                "<div class=\"pair\"><div><h4><span class=\"kept\">kept</span> {}{}</h4>",
                self.place(&kept.file, kept.lines, ""),
                script_note(kept)
            );
            let other = self.text(&m.file);
            let (left, right) = match (&kept_text, &other) {
                (Ok(a), Ok(o)) => self.diff_html(cl, a, kept, o, m),
                (Err(e), _) | (_, Err(e)) => {
                    let msg = format!("<p class=\"note\">cannot show: {}</p>", escape(e));
                    (msg.clone(), msg)
                }
            };
            let _ = write!(
                b,
                "{left}</div><div><h4><span class=\"removed\">removed</span> {}{} · \
                 similarity {:.4} · {}</h4>{right}</div></div>",
                self.place(&m.file, m.lines, ""),
                script_note(m),
                m.similarity,
                escape(&rule)
            );
        }
        if removed.len() > MAX_PAIRS {
            let rest: Vec<String> = by_sim[MAX_PAIRS..]
                .iter()
                .map(|m| self.place(&m.file, m.lines, ""))
                .collect();
            let _ = write!(
                b,
                "<p class=\"note\">{} more removed copies, not shown side by side: {}</p>",
                rest.len(),
                rest.join(" ")
            );
        }
        b.push_str("</details></section>");
    }

    /// The paragraph clusters with a member inside one of a document cluster's members.
    fn inner_clusters(&self, b: &mut String, cl: &Cluster) {
        let inside = |m: &Member| {
            cl.members
                .iter()
                .any(|d| d.file == m.file && d.lines[0] <= m.lines[0] && m.lines[1] <= d.lines[1])
        };
        let ids: Vec<u32> = self
            .run
            .clusters
            .iter()
            .filter(|p| p.level == "paragraph" && p.members.iter().any(inside))
            .map(|p| p.cluster)
            .collect();
        if ids.is_empty() {
            b.push_str("<p class=\"note\">No paragraph cluster lies inside these documents.</p>");
            return;
        }
        b.push_str("<p>Paragraph clusters inside these documents: ");
        let links: Vec<String> = ids
            .iter()
            .map(|id| format!("<a href=\"#c{id}\">#{id}</a>"))
            .collect();
        b.push_str(&links.join(" "));
        b.push_str("</p>");
    }

    /// The test that made `m` a copy of the cluster's kept member, in words.
    fn rule(&self, cl: &Cluster, m: &Member) -> String {
        let o = &self.run.summary["options"];
        let t = o["threshold"].as_f64().unwrap_or(0.7);
        if cl.level == "document" {
            let d = o["doc_threshold"].as_f64().unwrap_or(0.8);
            return format!(
                "document copy: this share of its searched text has copies in the kept \
                 document (coverage ≥ {d})"
            );
        }
        if m.containment {
            return "containment: the shorter copy lies almost whole in the longer (≥ 0.9 of it)"
                .to_string();
        }
        if m.similarity >= 1.0 {
            let same = match (self.text(&m.file), self.text(&cl.members[cl.kept].file)) {
                (Ok(a), Ok(k)) => {
                    a.span(m.lines, m.cols)
                        == k.span(cl.members[cl.kept].lines, cl.members[cl.kept].cols)
                }
                _ => false,
            };
            return if same {
                "exact: the same text".to_string()
            } else {
                "the same key text once masks, names, numbers, script and punctuation are folded"
                    .to_string()
            };
        }
        // The similarity reported is the verdict's alignment score (verify::copy_verdict).
        format!(
            "near copy: the mask-aware alignment of their key tokens scores {:.4}, at least \
             the threshold {t}",
            m.similarity
        )
    }

    /// The kept and the removed text, marked where they differ.
    fn diff_html(
        &self,
        cl: &Cluster,
        kt: &Text,
        k: &Member,
        ot: &Text,
        m: &Member,
    ) -> (String, String) {
        if cl.level == "document" {
            let a: Vec<String> = (k.lines[0]..=k.lines[1])
                .map(|n| kt.line(n).trim().to_string())
                .collect();
            let o: Vec<String> = (m.lines[0]..=m.lines[1])
                .map(|n| ot.line(n).trim().to_string())
                .collect();
            let a: Vec<&str> = a
                .iter()
                .map(String::as_str)
                .filter(|l| !l.is_empty())
                .collect();
            let o: Vec<&str> = o
                .iter()
                .map(String::as_str)
                .filter(|l| !l.is_empty())
                .collect();
            let chars = |v: &[&str]| v.iter().map(|l| l.chars().count()).sum::<usize>();
            if a.len() > MAX_LINE_DIFF
                || o.len() > MAX_LINE_DIFF
                || chars(&a) > MAX_DOC_CHARS
                || chars(&o) > MAX_DOC_CHARS
            {
                let msg = "<p class=\"note\">too long to show here: open the file pages, and \
                           the paragraph clusters above.</p>"
                    .to_string();
                return (msg.clone(), msg);
            }
            let (ra, ro) = line_diff(&a, &o);
            return (lines_html(&a, &ra, "only-a"), lines_html(&o, &ro, "only-b"));
        }
        let a: Vec<char> = kt.span(k.lines, k.cols).chars().collect();
        let o: Vec<char> = ot.span(m.lines, m.cols).chars().collect();
        if a.len() > MAX_CHAR_DIFF || o.len() > MAX_CHAR_DIFF {
            let a: String = a.into_iter().collect();
            let o: String = o.into_iter().collect();
            let one = |s: &str| format!("<div class=\"txt\">{}</div>", escape(s));
            return (one(&a), one(&o));
        }
        let mut folder = crate::script::Folder::new();
        let (ra, ro) = char_diff_folded(&a, &o, |c| folder.fold(fold_width(c)));
        let names = self.run.summary["options"]["fold"].as_str() == Some("entities");
        (
            chars_html(&a, &ra, "only-a", names),
            chars_html(&o, &ro, "only-b", names),
        )
    }

    /// A file's page: its lines, paragraphs boxed, removals struck through.
    fn file_page(&self, file: &str, removed_of: &BTreeMap<&str, Vec<&Removal>>) -> String {
        let mut b = String::new();
        let _ = write!(
            b,
            "<header><p><a href=\"../index.html\">← the run</a></p><h1>{}</h1></header><main>",
            escape(file)
        );
        let t = match self.text(file) {
            Ok(t) => t,
            Err(e) => {
                let _ = write!(b, "<p>cannot show this file: {}</p></main>", escape(&e));
                return page(file, &b, false);
            }
        };
        let rm = removed_of.get(file).map_or(&[][..], |v| v.as_slice());
        let none = BTreeMap::new();
        let masks_of = self.masks.get(file).unwrap_or(&none);
        b.push_str(
            "<p class=\"legend\">A box is a paragraph as the structure stage found it. \
             <span class=\"mask\">a mask</span> (hover for its kind and replacement); struck \
             through: removed, with the reason on the right.</p>",
        );
        let mut para_at = t.paras.iter().peekable();
        let mut open_until: Option<u32> = None;
        for (i, line) in t.lines.iter().enumerate() {
            let no = i as u32 + 1;
            while para_at.peek().is_some_and(|p| p[1] < no) {
                para_at.next();
            }
            if open_until.is_none() {
                if let Some(p) = para_at.peek().filter(|p| p[0] == no) {
                    b.push_str("<div class=\"para\">");
                    open_until = Some(p[1]);
                }
            }
            let why = rm.iter().find(|r| r.lines[0] <= no && no <= r.lines[1]);
            let _ =
                write!(
                b,
                "<div class=\"ln{}\" id=\"L{no}\"><span class=\"no\">{no}</span><span class=\"t\">",
                if why.is_some_and(|r| r.cols.is_none()) { " rm" } else { "" }
            );
            line_with_masks(
                &mut b,
                line,
                masks_of.get(&no).map_or(&[][..], |v| v.as_slice()),
            );
            b.push_str("</span>");
            if let Some(r) = why {
                let label = reason_label(r, self.level_of);
                let part = if r.cols.is_some() {
                    " (part of the line)"
                } else {
                    ""
                };
                match r.cluster {
                    Some(c) => {
                        let _ = write!(
                            b,
                            "<span class=\"why\"><a href=\"../index.html#c{c}\">{} #{c}</a>{part}</span>",
                            escape(&label)
                        );
                    }
                    None => {
                        let _ = write!(b, "<span class=\"why\">{}{part}</span>", escape(&label));
                    }
                }
            }
            b.push_str("</div>");
            if open_until == Some(no) {
                b.push_str("</div>");
                open_until = None;
            }
        }
        if open_until.is_some() {
            b.push_str("</div>");
        }
        b.push_str("</main>");
        page(file, &b, false)
    }
}

/// `"key count · key count …"` of a JSON object of counts, each written by `item`.
fn counts_list(v: &Value, item: impl Fn(&str, String) -> String) -> String {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| item(k, thousands(v.as_u64().unwrap_or(0))))
                .collect::<Vec<_>>()
                .join(" · ")
        })
        .unwrap_or_default()
}

/// Histogram bins from their labels and counts.
fn bins(labels: &[&str], counts: [u64; 6]) -> Vec<(String, u64)> {
    labels
        .iter()
        .zip(counts)
        .map(|(l, n)| (l.to_string(), n))
        .collect()
}

/// A character as NFKC writes it, when that is one character (full-width forms).
fn fold_width(c: char) -> char {
    use unicode_normalization::UnicodeNormalization;
    let mut it = std::iter::once(c).nfkc();
    match (it.next(), it.next()) {
        (Some(f), None) => f,
        _ => c,
    }
}

fn script_note(m: &Member) -> String {
    m.script
        .as_deref()
        .map(|s| format!(" · {}", escape(s)))
        .unwrap_or_default()
}

/// A line with its masks (from `placeholders.jsonl`) marked.
fn line_with_masks(b: &mut String, line: &str, masks: &[Mask]) {
    let chars: Vec<char> = line.chars().collect();
    let mut at = 0;
    let mut masks: Vec<&Mask> = masks.iter().collect();
    masks.sort_by_key(|m| m.start);
    for m in masks {
        if m.start < at || m.end > chars.len() || m.start >= m.end {
            continue;
        }
        escape_into(b, &chars[at..m.start].iter().collect::<String>());
        let title = match &m.replacement {
            Some(r) => format!("{} → {r}", m.kind),
            None => m.kind.clone(),
        };
        let _ = write!(b, "<span class=\"mask\" title=\"{}\">", escape(&title));
        escape_into(b, &chars[m.start..m.end].iter().collect::<String>());
        b.push_str("</span>");
        at = m.end;
    }
    escape_into(b, &chars[at..].iter().collect::<String>());
}

/// Characters with the runs that only this side has marked, and masks (as the
/// placeholder rules detect them in this text) in their own colour.
fn chars_html(c: &[char], side: &Side, only: &str, names: bool) -> String {
    let text: String = c.iter().collect();
    // Per character: 1 a mask, 2 a name that `--fold entities` folds (jieba's tags).
    let mut kind = vec![0u8; c.len()];
    for s in crate::placeholders::detect(&text) {
        for x in kind.iter_mut().take(s.end.min(c.len())).skip(s.start) {
            *x |= 1;
        }
    }
    if names {
        let mut at = 0;
        for (word, tag) in crate::segment::shared().tagged(&text, true) {
            let n = word.chars().count();
            if crate::fingerprint::is_name_tag(tag) {
                for x in kind.iter_mut().take((at + n).min(c.len())).skip(at) {
                    *x |= 2;
                }
            }
            at += n;
        }
    }
    let mut b = String::from("<div class=\"txt\">");
    for &(mark, start, end) in side {
        let mut i = start;
        while i < end {
            let k = kind[i];
            let mut j = i + 1;
            while j < end && kind[j] == k {
                j += 1;
            }
            let mut class: Vec<&str> = Vec::new();
            match mark {
                Mark::Only => class.push(only),
                Mark::Folded => class.push("fold"),
                Mark::Same => {}
            }
            if k & 1 != 0 {
                class.push("mask");
            } else if k & 2 != 0 {
                class.push("name");
            }
            let piece: String = c[i..j].iter().collect();
            if class.is_empty() {
                escape_into(&mut b, &piece);
            } else {
                let _ = write!(b, "<span class=\"{}\">", class.join(" "));
                escape_into(&mut b, &piece);
                b.push_str("</span>");
            }
            i = j;
        }
    }
    b.push_str("</div>");
    b
}

/// Lines with those only this side has marked.
fn lines_html(lines: &[&str], side: &Side, only: &str) -> String {
    let mut b = String::from("<div class=\"txt\">");
    for &(mark, start, end) in side {
        for l in &lines[start..end] {
            match mark {
                Mark::Same | Mark::Folded => {
                    b.push_str("<div>");
                    escape_into(&mut b, l);
                    b.push_str("</div>");
                }
                Mark::Only => {
                    let _ = write!(b, "<div class=\"{only}\">");
                    escape_into(&mut b, l);
                    b.push_str("</div>");
                }
            }
        }
    }
    b.push_str("</div>");
    b
}

#[cfg(test)]
mod tests {
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
