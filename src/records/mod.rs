//! Corpora kept as records: JSON Lines files (plain, `.gz` or `.zst`, a record a line)
//! and Parquet files (a record a row), each record's text in one field or column
//! (`--text-field`, `text` by default).
//!
//! A record is a unit of the run, as a file is ([`crate::source`]): furniture,
//! structure, compilation split, masks and duplicates are found in its text. Its unit
//! name joins the file's relative path, the record's position in the file and its id
//! with [`SEP`] (a character no path holds), so that units sort by file and then by
//! position, and the reports can give `"file"` and `"record"` apart ([`split_name`]).
//!
//! - [`source::Records`] reads the files once, in parallel, and spools each record's
//!   text into a scratch file, so a 10 GB `.jsonl.zst` is never held in memory and the
//!   pipeline can read a record again on demand;
//! - [`sink::RecordsSink`] writes `clean/<same name>` in the same format and
//!   compression: every record with its fields in order, the text replaced by the
//!   cleaned text (records that keep no text are dropped, or kept empty with
//!   `--keep-empty`), or, with `--annotate`, the original text and a `zhclean` field
//!   saying what was found;
//! - [`shards::ShardSink`] writes a folder of text files cleaned as record shards
//!   (`--output-format jsonl|parquet`);
//! - `parquet.rs` reads and writes Parquet files through arrow-rs.

mod parquet;
pub mod shards;
pub mod sink;
pub mod source;

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// Joins a record's file, position and id in its unit name.
pub const SEP: char = '\0';

/// The unit name of the record at 0-based `position` (its line index) of `file`, with
/// id `id`. Positions are zero-padded so that names sort in file order.
pub fn unit_name(file: &str, position: u64, id: &str) -> String {
    format!("{file}{SEP}{position:012}{SEP}{id}")
}

/// A unit name's file and, for a record, its id.
pub fn split_name(name: &str) -> (&str, Option<&str>) {
    match name.split_once(SEP) {
        None => (name, None),
        Some((file, rest)) => (file, Some(rest.split_once(SEP).map_or(rest, |(_, id)| id))),
    }
}

/// A record's position in its file (its 0-based line index), from its unit name.
pub fn position_of(name: &str) -> Option<u64> {
    let (_, rest) = name.split_once(SEP)?;
    rest.split_once(SEP)?.0.parse().ok()
}

/// A unit name as a person reads it: `part.jsonl line 18 (record a-17)` or
/// `part.parquet row 17 (record a-17)` for a record, the path itself for a file.
pub fn display_name(name: &str) -> String {
    match (split_name(name), position_of(name)) {
        ((file, Some(id)), Some(pos)) if Format::of(file) == Some(Format::Parquet) => {
            format!("{file} row {pos} (record {id})")
        }
        ((file, Some(id)), Some(pos)) => format!("{file} line {} (record {id})", pos + 1),
        ((file, _), _) => file.to_string(),
    }
}

/// A unit name as the reports give it: `"file"`, and `"record"` for a record (used
/// with `#[serde(flatten)]`).
pub struct Named<'a>(pub &'a str);

impl Serialize for Named<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (file, record) = split_name(self.0);
        let mut m = s.serialize_map(Some(1 + usize::from(record.is_some())))?;
        m.serialize_entry("file", file)?;
        if let Some(r) = record {
            m.serialize_entry("record", r)?;
        }
        m.end()
    }
}

/// [`Named`] as a `serialize_with` function, for a flattened `file` field.
pub fn named<S: Serializer, T: AsRef<str> + ?Sized>(name: &T, s: S) -> Result<S::Ok, S::Error> {
    Named(name.as_ref()).serialize(s)
}

/// What a record file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// JSON Lines: a record a line (plain, `.gz` or `.zst`).
    Jsonl,
    /// Parquet: a record a row.
    Parquet,
}

impl Format {
    /// The endings of its files.
    pub fn exts(self) -> &'static [&'static str] {
        match self {
            Format::Jsonl => &JSONL_EXTS,
            Format::Parquet => &["parquet"],
        }
    }

    /// The format a file name's ending says, if any.
    pub fn of(name: &str) -> Option<Format> {
        let n = name.to_lowercase();
        [Format::Jsonl, Format::Parquet]
            .into_iter()
            .find(|f| f.exts().iter().any(|x| crate::walk::has_ending(&n, x)))
    }

    /// Its name in `summary.json` (`options.records.format`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Parquet => "parquet",
        }
    }

    /// Where the record at `position` is, as `summary.json` gives it: a line
    /// (1-based) of a JSON Lines file, a row (0-based) of a Parquet file.
    pub fn place(self, position: u64) -> crate::walk::Skipped {
        match self {
            Format::Jsonl => crate::walk::Skipped {
                line: Some(position + 1),
                ..Default::default()
            },
            Format::Parquet => crate::walk::Skipped {
                row: Some(position),
                ..Default::default()
            },
        }
    }
}

/// How a record file is compressed, from its name's ending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// Endings of JSON Lines files (`.json` too: many dumps, C4's and dolma's among them,
/// name JSON Lines so), each plain, `.gz` or `.zst`.
pub const JSONL_EXTS: [&str; 9] = [
    "jsonl",
    "jsonl.gz",
    "jsonl.zst",
    "ndjson",
    "ndjson.gz",
    "ndjson.zst",
    "json",
    "json.gz",
    "json.zst",
];

impl Compression {
    /// The compression a file name's ending says.
    pub fn of(name: &str) -> Compression {
        let n = name.to_lowercase();
        if n.ends_with(".gz") {
            Compression::Gzip
        } else if n.ends_with(".zst") || n.ends_with(".zstd") {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// Whether a file name ends as a JSON Lines file does.
pub fn is_jsonl_name(name: &str) -> bool {
    Format::of(name) == Some(Format::Jsonl)
}

/// The file at `path`, decompressed as `c` says, as lines to read.
pub fn open_read(path: &Path, c: Compression) -> std::io::Result<Box<dyn BufRead + Send>> {
    let f = File::open(path)?;
    let raw: Box<dyn Read + Send> = match c {
        Compression::None => Box::new(f),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(f))),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(f)?),
    };
    Ok(Box::new(BufReader::with_capacity(1 << 20, raw)))
}

/// A file being written, compressed as `c` says; [`Compressed::finish`] ends the
/// stream (a gzip or zstd file is incomplete without it).
pub enum Compressed {
    None(std::io::BufWriter<File>),
    Gzip(flate2::write::GzEncoder<std::io::BufWriter<File>>),
    Zstd(zstd::stream::write::Encoder<'static, std::io::BufWriter<File>>),
}

impl Compressed {
    pub fn new(f: File, c: Compression) -> std::io::Result<Compressed> {
        let w = std::io::BufWriter::with_capacity(1 << 20, f);
        Ok(match c {
            Compression::None => Compressed::None(w),
            Compression::Gzip => Compressed::Gzip(flate2::write::GzEncoder::new(
                w,
                flate2::Compression::default(),
            )),
            Compression::Zstd => Compressed::Zstd(zstd::stream::write::Encoder::new(w, 3)?),
        })
    }

    /// End the stream and flush it to the file.
    pub fn finish(self) -> std::io::Result<()> {
        let mut w = match self {
            Compressed::None(w) => w,
            Compressed::Gzip(e) => e.finish()?,
            Compressed::Zstd(e) => e.finish()?,
        };
        w.flush()?;
        w.get_ref().sync_data()
    }
}

impl Write for Compressed {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Compressed::None(w) => w.write(buf),
            Compressed::Gzip(w) => w.write(buf),
            Compressed::Zstd(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Compressed::None(w) => w.flush(),
            Compressed::Gzip(w) => w.flush(),
            Compressed::Zstd(w) => w.flush(),
        }
    }
}

/// A JSON object's fields in their order, each value as written (numbers, nesting and
/// escapes untouched), so that a record is written back as it was read but for the
/// fields replaced.
#[derive(Debug)]
pub struct Fields(pub Vec<(String, Box<RawValue>)>);

impl Fields {
    /// The value of field `name` (the last, if it is given twice).
    pub fn get(&self, name: &str) -> Option<&RawValue> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| &**v)
    }

    /// Set field `name` to `value` (in its place if it is there, else at the end).
    pub fn set(&mut self, name: &str, value: Box<RawValue>) {
        match self.0.iter_mut().rev().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name.to_string(), value)),
        }
    }
}

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Fields, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Fields;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Fields, A::Error> {
                let mut v = Vec::with_capacity(m.size_hint().unwrap_or(4));
                while let Some(e) = m.next_entry()? {
                    v.push(e);
                }
                Ok(Fields(v))
            }
        }
        d.deserialize_map(V)
    }
}

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// Why a record was passed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadRecord {
    /// Not JSON, or not an object (serde_json's message).
    Json(String),
    /// No such field.
    NoField(String),
    /// The field is there but its value is not a string (or, for an id, a number).
    NotString(String),
}

impl std::fmt::Display for BadRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BadRecord::Json(e) => write!(f, "not a JSON object: {e}"),
            BadRecord::NoField(n) => write!(f, "the record has no \"{n}\" field"),
            BadRecord::NotString(n) => write!(f, "the \"{n}\" field is not a string"),
        }
    }
}

/// A record line read: its fields, text and id.
pub struct Record {
    pub fields: Fields,
    pub text: String,
    pub id: String,
}

/// Parse one line of a JSON Lines file; `position` is the id when `id_field` is None.
pub fn parse_record(
    line: &[u8],
    text_field: &str,
    id_field: Option<&str>,
    position: u64,
) -> Result<Record, BadRecord> {
    let fields: Fields =
        serde_json::from_slice(line).map_err(|e| BadRecord::Json(e.to_string()))?;
    let raw = fields
        .get(text_field)
        .ok_or_else(|| BadRecord::NoField(text_field.to_string()))?;
    let text: String = serde_json::from_str(raw.get())
        .map_err(|_| BadRecord::NotString(text_field.to_string()))?;
    let id = match id_field {
        None => position.to_string(),
        Some(name) => {
            let raw = fields
                .get(name)
                .ok_or_else(|| BadRecord::NoField(name.to_string()))?;
            match serde_json::from_str::<serde_json::Value>(raw.get()) {
                Ok(serde_json::Value::String(s)) => s,
                Ok(serde_json::Value::Number(n)) => n.to_string(),
                _ => return Err(BadRecord::NotString(name.to_string())),
            }
        }
    };
    Ok(Record { fields, text, id })
}

/// Read the lines of a record file one at a time into a buffer, with their 0-based
/// index; `None` at the end. A line's `\n` and `\r` are trimmed.
pub struct Lines {
    r: Box<dyn BufRead + Send>,
    next: u64,
}

impl Lines {
    pub fn new(r: Box<dyn BufRead + Send>) -> Lines {
        Lines { r, next: 0 }
    }

    /// How many lines were read.
    pub fn read(&self) -> u64 {
        self.next
    }

    /// The next line into `buf`, and its index.
    pub fn next_into(&mut self, buf: &mut Vec<u8>) -> std::io::Result<Option<u64>> {
        buf.clear();
        if self.r.read_until(b'\n', buf)? == 0 {
            return Ok(None);
        }
        while buf.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
            buf.pop();
        }
        let i = self.next;
        self.next += 1;
        Ok(Some(i))
    }
}

/// Whether a line holds nothing but white space (passed over silently).
pub fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// Records of `{"id", "text"}` written into numbered shards of a folder
/// (`part-00000.jsonl.zst`, … or `part-00000.parquet`, …), a new shard once one holds
/// `shard_bytes` of text; each shard appears whole (written beside, then renamed).
/// What `zhclean synth --format` writes its corpus with.
pub struct ShardWriter {
    dir: std::path::PathBuf,
    format: Format,
    shard_bytes: u64,
    shard: usize,
    in_shard: u64,
    open: Option<(tempfile::NamedTempFile, Shard)>,
}

enum Shard {
    Jsonl(Compressed),
    Parquet(parquet::Shard),
}

impl ShardWriter {
    pub fn new(dir: &Path, format: Format, shard_bytes: u64) -> ShardWriter {
        ShardWriter {
            dir: dir.to_path_buf(),
            format,
            shard_bytes: shard_bytes.max(1),
            shard: 0,
            in_shard: 0,
            open: None,
        }
    }

    fn name(&self) -> String {
        match self.format {
            Format::Jsonl => format!("part-{:05}.jsonl.zst", self.shard),
            Format::Parquet => format!("part-{:05}.parquet", self.shard),
        }
    }

    /// Add the record `id` with `text`.
    pub fn push(&mut self, id: &str, text: &str) -> crate::Result<()> {
        let io = |e: std::io::Error, dir: &Path| crate::Error::io(dir, e);
        if self.open.is_none() {
            let tmp = tempfile::Builder::new()
                .prefix(".part-")
                .tempfile_in(&self.dir)
                .map_err(|e| io(e, &self.dir))?;
            let f = tmp.reopen().map_err(|e| io(e, tmp.path()))?;
            let shard =
                match self.format {
                    Format::Jsonl => Shard::Jsonl(
                        Compressed::new(f, Compression::Zstd).map_err(|e| io(e, tmp.path()))?,
                    ),
                    Format::Parquet => Shard::Parquet(parquet::Shard::new(f).map_err(|e| {
                        crate::Error::Config(format!("{}: {e}", tmp.path().display()))
                    })?),
                };
            self.open = Some((tmp, shard));
        }
        let (tmp, shard) = self.open.as_mut().expect("just opened");
        match shard {
            Shard::Jsonl(w) => {
                let mut line = serde_json::to_vec(&serde_json::json!({"id": id, "text": text}))
                    .expect("a record serialises");
                line.push(b'\n');
                w.write_all(&line).map_err(|e| io(e, tmp.path()))?;
            }
            Shard::Parquet(w) => w
                .push(id, text)
                .map_err(|e| crate::Error::Config(format!("{}: {e}", tmp.path().display())))?,
        }
        self.in_shard += text.len() as u64;
        if self.in_shard >= self.shard_bytes {
            self.close()?;
        }
        Ok(())
    }

    fn close(&mut self) -> crate::Result<()> {
        let Some((tmp, shard)) = self.open.take() else {
            return Ok(());
        };
        let path = self.dir.join(self.name());
        match shard {
            Shard::Jsonl(w) => w.finish().map_err(|e| crate::Error::io(tmp.path(), e))?,
            Shard::Parquet(w) => w
                .finish()
                .map_err(|e| crate::Error::Config(format!("{}: {e}", tmp.path().display())))?,
        }
        tmp.persist(&path)
            .map_err(|e| crate::Error::io(&path, e.error))?;
        self.shard += 1;
        self.in_shard = 0;
        Ok(())
    }

    /// Write the last shard; the shards written.
    pub fn finish(mut self) -> crate::Result<usize> {
        self.close()?;
        Ok(self.shard)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_file_then_position_and_split_back() {
        let a = unit_name("a.jsonl", 9, "x");
        let b = unit_name("a.jsonl", 10, "a");
        let c = unit_name("a.jsonl.gz", 0, "0");
        assert!(a < b && b < c);
        assert_eq!(split_name(&b), ("a.jsonl", Some("a")));
        assert_eq!(position_of(&b), Some(10));
        assert_eq!(split_name("dir/x.txt"), ("dir/x.txt", None));
        assert_eq!(position_of("dir/x.txt"), None);
        assert_eq!(display_name(&b), "a.jsonl line 11 (record a)");
        let json = serde_json::to_string(&Named(&b)).unwrap();
        assert_eq!(json, r#"{"file":"a.jsonl","record":"a"}"#);
        assert_eq!(
            serde_json::to_string(&Named("x.txt")).unwrap(),
            r#"{"file":"x.txt"}"#
        );
    }

    #[test]
    fn records_keep_their_fields_in_order_as_written() {
        let line = br#"{"id": 7, "text": "\u4e00\u6bb5", "meta": {"b": 1.50, "a": [1e3]}}"#;
        let mut r = parse_record(line, "text", Some("id"), 3).unwrap();
        assert_eq!(r.text, "一段");
        assert_eq!(r.id, "7");
        r.fields
            .set("text", serde_json::value::to_raw_value("新").unwrap());
        let out = serde_json::to_string(&r.fields).unwrap();
        assert_eq!(
            out,
            r#"{"id":7,"text":"新","meta":{"b": 1.50, "a": [1e3]}}"#
        );
        assert_eq!(parse_record(line, "text", None, 3).unwrap().id, "3");
    }

    #[test]
    fn bad_records_say_why() {
        let e = |l: &[u8], id| parse_record(l, "text", id, 0).err().unwrap().to_string();
        assert!(e(b"{\"text\": ", None).starts_with("not a JSON object"));
        assert!(e(b"[1, 2]", None).starts_with("not a JSON object"));
        assert_eq!(
            e(b"{\"body\": \"x\"}", None),
            "the record has no \"text\" field"
        );
        assert_eq!(
            e(b"{\"text\": 5}", None),
            "the \"text\" field is not a string"
        );
        assert_eq!(
            e(b"{\"text\": \"x\"}", Some("id")),
            "the record has no \"id\" field"
        );
        assert_eq!(
            e(b"{\"text\": \"x\", \"id\": null}", Some("id")),
            "the \"id\" field is not a string"
        );
    }

    #[test]
    fn endings_name_the_format_and_compression() {
        assert!(is_jsonl_name("part-00001.jsonl.zst"));
        assert!(is_jsonl_name("c4-train.json.gz"));
        assert!(!is_jsonl_name("a.txt"));
        assert!(!is_jsonl_name(".jsonl"));
        assert_eq!(Compression::of("a.JSONL.GZ"), Compression::Gzip);
        assert_eq!(Compression::of("a.jsonl.zst"), Compression::Zstd);
        assert_eq!(Compression::of("a.jsonl"), Compression::None);
    }

    #[test]
    fn compressed_files_read_back_line_by_line() {
        let d = tempfile::tempdir().unwrap();
        for (name, c) in [
            ("a.jsonl", Compression::None),
            ("a.jsonl.gz", Compression::Gzip),
            ("a.jsonl.zst", Compression::Zstd),
        ] {
            let p = d.path().join(name);
            let mut w = Compressed::new(File::create(&p).unwrap(), c).unwrap();
            w.write_all(b"{\"text\":\"1\"}\r\n\n{\"text\":\"2\"}")
                .unwrap();
            w.finish().unwrap();
            let mut lines = Lines::new(open_read(&p, Compression::of(name)).unwrap());
            let mut buf = Vec::new();
            let mut got = Vec::new();
            while let Some(i) = lines.next_into(&mut buf).unwrap() {
                got.push((i, String::from_utf8(buf.clone()).unwrap()));
            }
            assert_eq!(
                got,
                [
                    (0, r#"{"text":"1"}"#.into()),
                    (1, String::new()),
                    (2, r#"{"text":"2"}"#.into())
                ]
            );
        }
    }
}
