//! Cleaned records written back as JSON Lines: `clean/<same name>`, same compression.
//!
//! The write phase hands each record's cleaned text to [`RecordsSink`] (from several
//! threads), which appends it to a spool file of its record file in the scratch
//! folder. [`RecordsSink::finish`] then streams each input file again and writes its
//! records in their order, every field as it was, the text field replaced by the
//! cleaned text; a record that kept no text is dropped (`--keep-empty`: kept, with an
//! empty text). With `--annotate` every record keeps its text and gains a `zhclean`
//! field instead: the clusters it belongs to, whether it is the copy kept, the lines
//! that a clean would remove and why, and its masks (see `docs/reports.md`).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;
use serde::Serialize;
use serde_json::value::{to_raw_value, RawValue};

use super::source::{RecordFile, Records, Spooled};
use super::{is_blank, open_read, parse_record, Compressed, Format, Lines};
use crate::error::{Error, Result};
use crate::report::Staging;
use crate::sink::{CleanOut, StagedClean};
use crate::walk::Skipped;

/// How records are written back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RecordsOut {
    /// The cleaned text in place of the text; records that keep no text dropped.
    #[default]
    Clean,
    /// As `Clean`, records that keep no text kept with an empty text.
    KeepEmpty,
    /// The original text, and a `zhclean` field with what was found.
    Annotate,
}

impl RecordsOut {
    /// Its name in `summary.json` (`options.records.output`).
    pub fn name(self) -> &'static str {
        match self {
            RecordsOut::Clean => "clean",
            RecordsOut::KeepEmpty => "keep-empty",
            RecordsOut::Annotate => "annotate",
        }
    }
}

/// The spool of one record file's cleaned texts.
#[derive(Default)]
struct CleanSpool {
    w: Option<std::io::BufWriter<File>>,
    at: u64,
    /// By record index: where its cleaned text is.
    texts: HashMap<u32, (u64, u64)>,
    error: Option<String>,
}

/// The records of a [`Records`] source written back into a staging folder (see the
/// module doc); reports go to the staging folder as for text files.
pub struct RecordsSink<'a> {
    staging: &'a Staging,
    src: &'a Records,
    mode: RecordsOut,
    spools: Vec<Mutex<CleanSpool>>,
}

impl<'a> RecordsSink<'a> {
    pub fn new(staging: &'a Staging, src: &'a Records, mode: RecordsOut) -> RecordsSink<'a> {
        RecordsSink {
            staging,
            src,
            mode,
            spools: src.files().iter().map(|_| Mutex::default()).collect(),
        }
    }

    fn spool_path(&self, file: usize) -> PathBuf {
        self.staging.dir().join(format!("clean-{file}.spool"))
    }

    /// Write every record file under the staging `clean/` (files in parallel); the
    /// files that could not be written, and why.
    pub fn finish(&self) -> Vec<Skipped> {
        let notes = match self.mode {
            RecordsOut::Annotate => match Annotations::read(self.staging.dir()) {
                Ok(a) => Some(a),
                Err(e) => return vec![Skipped::new("report", e.to_string())],
            },
            _ => None,
        };
        let mut failed: Vec<Skipped> = (0..self.src.files().len())
            .into_par_iter()
            .filter_map(|f| self.write_file(f, notes.as_ref()).err())
            .collect();
        failed.sort();
        failed
    }

    fn write_file(
        &self,
        f: usize,
        notes: Option<&Annotations>,
    ) -> std::result::Result<(), Skipped> {
        let file = &self.src.files()[f];
        let fail = |position: Option<u64>, reason: String| Skipped {
            file: file.rel.clone(),
            reason,
            ..position.map(|p| file.format.place(p)).unwrap_or_default()
        };
        let mut spool = std::mem::take(&mut *self.spools[f].lock().expect("not poisoned"));
        if let Some(e) = spool.error.take() {
            return Err(fail(None, e));
        }
        let spool_file = match spool.w.take() {
            None => None,
            Some(mut w) => {
                w.flush()
                    .map_err(|e| fail(None, format!("cannot write the spool file: {e}")))?;
                drop(w);
                Some(File::open(self.spool_path(f)).map_err(|e| fail(None, e.to_string()))?)
            }
        };
        let cleaned = Cleaned {
            file: spool_file,
            texts: spool.texts,
        };
        let out_path = self.staging.clean_path(&file.rel);
        if let Some(p) = out_path.parent() {
            std::fs::create_dir_all(p).map_err(|e| fail(None, e.to_string()))?;
        }
        let mut cursors = match notes {
            Some(n) => Some(
                n.cursors(&file.rel)
                    .map_err(|e| fail(None, e.to_string()))?,
            ),
            None => None,
        };
        let mut note = |id: &str, r: usize| -> std::result::Result<String, String> {
            let kept = cleaned.texts.contains_key(&(r as u32));
            let n = match (notes, cursors.as_mut()) {
                (Some(n), Some(c)) => {
                    Some(n.note(&file.rel, id, kept, c).map_err(|e| e.to_string())?)
                }
                _ => None,
            };
            Ok(serde_json::to_string(&n).expect("annotations serialise"))
        };
        let records = self.src.records(f);
        let opts = self.src.options();
        match file.format {
            Format::Jsonl => self.write_jsonl(file, records, &cleaned, &mut note, &out_path),
            Format::Parquet => super::parquet::write(
                file, records, opts, self.mode, &cleaned, &mut note, &out_path,
            ),
        }
        .map_err(|(position, reason)| fail(position, reason))?;
        let _ = std::fs::remove_file(self.spool_path(f));
        Ok(())
    }

    fn write_jsonl(
        &self,
        file: &RecordFile,
        records: &[Spooled],
        cleaned: &Cleaned,
        note: &mut dyn FnMut(&str, usize) -> std::result::Result<String, String>,
        out_path: &Path,
    ) -> std::result::Result<(), (Option<u64>, String)> {
        let io = |e: std::io::Error| (None, format!("{}: {e}", out_path.display()));
        let out = File::create(out_path).map_err(io)?;
        let mut out = Compressed::new(out, file.compression).map_err(io)?;
        let input = open_read(&file.path, file.compression).map_err(|e| (None, e.to_string()))?;
        let mut lines = Lines::new(input);
        let opts = self.src.options();
        let mut buf = Vec::new();
        let mut next = 0usize;
        let mut line_out = Vec::new();
        let changed = |p| (Some(p), "file changed during the run".to_string());
        while next < records.len() {
            let position = match lines.next_into(&mut buf) {
                Ok(Some(p)) => p,
                // The listing met the same end or break: it is reported already.
                Ok(None) | Err(_) => break,
            };
            if is_blank(&buf) || records[next].position != position {
                continue;
            }
            let r = next;
            next += 1;
            let mut rec = parse_record(&buf, &opts.text_field, opts.id_field.as_deref(), position)
                .map_err(|_| changed(position))?;
            if xxhash_rust::xxh3::xxh3_64(rec.text.as_bytes()) != records[r].hash {
                return Err(changed(position));
            }
            let text = cleaned.text(r, &rec.text).map_err(|e| (None, e))?;
            let id = rec.id.clone();
            let written = write_back(
                &mut rec,
                self.mode,
                &opts.text_field,
                text,
                || note(&id, r),
                &mut line_out,
            );
            if written.map_err(|e| (None, e))? {
                out.write_all(&line_out).map_err(io)?;
            }
        }
        out.finish().map_err(io)
    }
}

/// Write record `rec` back into `line` (a JSON line, with its newline) as `mode` says:
/// its text field set to the cleaned `text` (None: it kept none), or with `--annotate`
/// a `zhclean` field holding `note()`. False: the record is dropped.
pub fn write_back(
    rec: &mut super::Record,
    mode: RecordsOut,
    text_field: &str,
    text: Option<String>,
    note: impl FnOnce() -> std::result::Result<String, String>,
    line: &mut Vec<u8>,
) -> std::result::Result<bool, String> {
    let raw = |t: &str| to_raw_value(t).expect("a string serialises");
    match (mode, text) {
        (RecordsOut::Annotate, _) => {
            let n = RawValue::from_string(note()?).expect("annotations are JSON");
            rec.fields.set("zhclean", n);
        }
        (_, Some(t)) => rec.fields.set(text_field, raw(&t)),
        (RecordsOut::KeepEmpty, None) => rec.fields.set(text_field, raw("")),
        (RecordsOut::Clean, None) => return Ok(false),
    }
    line.clear();
    serde_json::to_writer(&mut *line, &rec.fields).expect("records serialise");
    line.push(b'\n');
    Ok(true)
}

/// A record's cleaned text as it is written back: the write phase ends every line with
/// a newline, and a text `orig` that did not end with one gets none.
pub fn cleaned_text(orig: &str, cleaned: Vec<u8>) -> std::result::Result<String, String> {
    let mut text =
        String::from_utf8(cleaned).map_err(|_| "cleaned text is not UTF-8".to_string())?;
    if !orig.ends_with('\n') && text.ends_with('\n') {
        text.pop();
    }
    Ok(text)
}

/// The cleaned texts of one record file's records, in its spool.
pub(super) struct Cleaned {
    file: Option<File>,
    /// By record index: where its cleaned text is.
    texts: HashMap<u32, (u64, u64)>,
}

impl Cleaned {
    /// The cleaned text of record `r` (None: it kept none), whose text was `orig`.
    pub(super) fn text(&self, r: usize, orig: &str) -> std::result::Result<Option<String>, String> {
        let Some(&(offset, len)) = self.texts.get(&(r as u32)) else {
            return Ok(None);
        };
        let Some(f) = &self.file else {
            // Annotating: only the fact that text was kept is noted.
            return Ok(Some(orig.to_string()));
        };
        let mut text = vec![0u8; len as usize];
        super::source::read_exact_at(f, &mut text, offset)
            .map_err(|e| format!("cannot read the spool file: {e}"))?;
        cleaned_text(orig, text).map(Some)
    }
}

impl CleanOut for RecordsSink<'_> {
    fn clean(&self, unit: &str, text: &[u8]) -> Result<()> {
        let (f, r) = self
            .src
            .locate(unit)
            .ok_or_else(|| Error::Config(format!("no record {}", super::display_name(unit))))?;
        if self.mode == RecordsOut::Annotate {
            // Annotating keeps the original text: only the fact that text was kept counts.
            self.spools[f]
                .lock()
                .expect("not poisoned")
                .texts
                .insert(r as u32, (0, 0));
            return Ok(());
        }
        let path = self.spool_path(f);
        let mut s = self.spools[f].lock().expect("not poisoned");
        if s.w.is_none() {
            let file = File::create(&path).map_err(|e| Error::io(&path, e))?;
            s.w = Some(std::io::BufWriter::with_capacity(1 << 16, file));
        }
        let at = s.at;
        let w = s.w.as_mut().expect("just opened");
        if let Err(e) = w.write_all(text) {
            s.error = Some(format!(
                "cannot write the spool file {}: {e}",
                path.display()
            ));
            return Err(Error::io(&path, e));
        }
        s.at += text.len() as u64;
        s.texts.insert(r as u32, (at, text.len() as u64));
        Ok(())
    }
}

impl StagedClean for RecordsSink<'_> {
    fn staging(&self) -> &Staging {
        self.staging
    }
}

/// What `--annotate` adds to a record (the `zhclean` field).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Note {
    /// Whether a clean keeps any of its text.
    pub kept: bool,
    /// The clusters it is a member of, each with whether it is the copy kept.
    pub clusters: Vec<ClusterNote>,
    /// The lines a clean removes, as in `removed.jsonl` (without `file`/`record`).
    pub removed: Vec<Box<RawValue>>,
    /// Its masks, as in `placeholders.jsonl` (without `file`/`record`).
    pub masks: Vec<Box<RawValue>>,
}

#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct ClusterNote {
    pub cluster: u32,
    pub level: String,
    pub kept: bool,
}

/// The reports of the run, by record: what [`Note`]s are made of. The clusters a record
/// is in are held by record (a few numbers a cluster member); its lines of
/// `removed.jsonl` and `placeholders.jsonl` are read as its file is written
/// ([`Annotations::cursors`]): those reports are in record order, so each file's lines
/// are one range of each, read once, a record at a time.
struct Annotations {
    clusters: HashMap<(String, String), Vec<ClusterNote>>,
    report: PathBuf,
    /// Per report (removed, placeholders): each file's byte range.
    ranges: [HashMap<String, (u64, u64)>; 2],
}

const NOTED: [&str; 2] = ["removed.jsonl", "placeholders.jsonl"];

#[derive(serde::Deserialize)]
struct MemberIn {
    file: String,
    record: Option<String>,
}

#[derive(serde::Deserialize)]
struct ClusterIn {
    cluster: u32,
    level: String,
    kept: usize,
    members: Vec<MemberIn>,
}

impl Annotations {
    fn read(staging: &Path) -> Result<Annotations> {
        let mut clusters: HashMap<(String, String), Vec<ClusterNote>> = HashMap::new();
        let report = staging.join("report");
        for_lines(&report.join("clusters.jsonl"), |_, line| {
            let c: ClusterIn = serde_json::from_slice(line)?;
            for (i, m) in c.members.into_iter().enumerate() {
                if let Some(r) = m.record {
                    clusters.entry((m.file, r)).or_default().push(ClusterNote {
                        cluster: c.cluster,
                        level: c.level.clone(),
                        kept: i == c.kept,
                    });
                }
            }
            Ok(())
        })?;
        let mut ranges: [HashMap<String, (u64, u64)>; 2] = Default::default();
        for (k, name) in NOTED.iter().enumerate() {
            for_lines(&report.join(name), |at, line| {
                let m: MemberIn = serde_json::from_slice(line)?;
                let end = at + line.len() as u64 + 1;
                ranges[k]
                    .entry(m.file)
                    .and_modify(|r| r.1 = end)
                    .or_insert((at, end));
                Ok(())
            })?;
        }
        Ok(Annotations {
            clusters,
            report,
            ranges,
        })
    }

    /// Readers of `file`'s lines of the two reports, in record order.
    fn cursors(&self, file: &str) -> Result<[Cursor; 2]> {
        let open = |k: usize| -> Result<Cursor> {
            let path = self.report.join(NOTED[k]);
            let (start, end) = self.ranges[k].get(file).copied().unwrap_or((0, 0));
            let mut f = File::open(&path).map_err(|e| Error::io(&path, e))?;
            std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(start))
                .map_err(|e| Error::io(&path, e))?;
            Ok(Cursor {
                r: std::io::BufReader::new(std::io::Read::take(f, end - start)),
                path,
                next: None,
            })
        };
        Ok([open(0)?, open(1)?])
    }

    /// The note of `record` of `file`: its clusters, and its lines from `cursors`.
    fn note(
        &self,
        file: &str,
        record: &str,
        kept: bool,
        cursors: &mut [Cursor; 2],
    ) -> Result<Note> {
        let key = (file.to_string(), record.to_string());
        let [removed, masks] = cursors;
        Ok(Note {
            kept,
            clusters: self.clusters.get(&key).cloned().unwrap_or_default(),
            removed: removed.take(record)?,
            masks: masks.take(record)?,
        })
    }
}

/// A report line's record id, and its fields but `file` and `record` (what a [`Note`]
/// holds of it).
fn unnamed(line: &[u8]) -> serde_json::Result<(String, Box<RawValue>)> {
    let mut f: super::Fields = serde_json::from_slice(line)?;
    let id = f
        .get("record")
        .and_then(|v| serde_json::from_str::<String>(v.get()).ok())
        .unwrap_or_default();
    f.0.retain(|(k, _)| k != "file" && k != "record");
    Ok((id, to_raw_value(&f).expect("fields serialise")))
}

impl Note {
    /// The note of a record from its own lines of `removed.jsonl` and
    /// `placeholders.jsonl` (as the write phase gives them for one unit), whether it
    /// kept text, and the clusters it is in (in `clusters.jsonl` order).
    pub fn of_lines(
        kept: bool,
        clusters: Vec<ClusterNote>,
        removed: &[u8],
        masks: &[u8],
    ) -> serde_json::Result<Note> {
        let lines = |b: &[u8]| -> serde_json::Result<Vec<Box<RawValue>>> {
            b.split(|&c| c == b'\n')
                .filter(|l| !is_blank(l))
                .map(|l| unnamed(l).map(|(_, v)| v))
                .collect()
        };
        Ok(Note {
            kept,
            clusters,
            removed: lines(removed)?,
            masks: lines(masks)?,
        })
    }
}

/// One file's lines of a report, read a record at a time.
struct Cursor {
    r: std::io::BufReader<std::io::Take<File>>,
    path: PathBuf,
    /// The line read ahead: its record and its fields but `file` and `record`.
    next: Option<(String, Box<RawValue>)>,
}

impl Cursor {
    /// The lines of `record`: the run of lines from here that name it (a record with
    /// none has no run: the next line names a later record).
    fn take(&mut self, record: &str) -> Result<Vec<Box<RawValue>>> {
        let mut out = Vec::new();
        loop {
            if self.next.is_none() {
                let mut line = Vec::new();
                let n = self
                    .r
                    .read_until(b'\n', &mut line)
                    .map_err(|e| Error::io(&self.path, e))?;
                if n == 0 {
                    return Ok(out);
                }
                let bad =
                    |e: serde_json::Error| Error::Config(format!("{}: {e}", self.path.display()));
                self.next = Some(unnamed(&line).map_err(bad)?);
            }
            match self.next.take() {
                Some((id, v)) if id == record => out.push(v),
                other => {
                    self.next = other;
                    return Ok(out);
                }
            }
        }
    }
}

/// Call `f` on each line of the JSON Lines file at `path`, with its byte offset.
fn for_lines(path: &Path, mut f: impl FnMut(u64, &[u8]) -> serde_json::Result<()>) -> Result<()> {
    let r = std::io::BufReader::new(File::open(path).map_err(|e| Error::io(path, e))?);
    let mut at = 0u64;
    for (i, line) in r.split(b'\n').enumerate() {
        let line = line.map_err(|e| Error::io(path, e))?;
        let here = at;
        at += line.len() as u64 + 1;
        if is_blank(&line) {
            continue;
        }
        f(here, &line)
            .map_err(|e| Error::Config(format!("{} line {}: {e}", path.display(), i + 1)))?;
    }
    Ok(())
}
