//! The records of JSON Lines files as a [`Source`]: each record a unit.
//!
//! Listing reads every file once (files in parallel, each streamed: nothing holds a
//! whole file) and appends each record's text to a spool file of its own in the
//! scratch folder; reading a record then is one positioned read of the spool. A bad
//! record (broken JSON, no text field, a text that is not a string) is reported with
//! its file and line and passed over; a file that cannot be read or decompressed to
//! the end (a truncated `.gz` or `.zst`) keeps the records before the break, and the
//! break is reported.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rayon::prelude::*;

use super::{is_blank, open_read, parse_record, unit_name, Compression, Format, Lines};
use crate::error::{Error, Result};
use crate::source::Source;
use crate::walk::{self, Skipped, Unit, Walk};

/// What a run reads from record files.
#[derive(Clone, Debug)]
pub struct RecordOptions {
    /// The field holding the text (`--text-field`).
    pub text_field: String,
    /// The field holding the id (`--id-field`); the record's position when None.
    pub id_field: Option<String>,
}

impl Default for RecordOptions {
    fn default() -> Self {
        RecordOptions {
            text_field: "text".into(),
            id_field: None,
        }
    }
}

/// One record file of the input.
#[derive(Debug)]
pub struct RecordFile {
    /// Relative to the input folder (the file name, when INPUT is a file).
    pub rel: String,
    pub path: PathBuf,
    pub format: Format,
    /// Of a JSON Lines file (a Parquet file compresses inside).
    pub compression: Compression,
}

/// Where a record's text is in its file's spool.
#[derive(Clone, Copy, Debug)]
pub(super) struct Spooled {
    pub position: u64,
    pub offset: u64,
    pub len: u64,
    /// xxh3 of the text, to tell a file that changed before it was written back.
    pub hash: u64,
}

/// What listing a file found.
#[derive(Debug, Default)]
pub(super) struct Listed {
    pub records: Vec<Spooled>,
    pub names: Vec<String>,
    pub failed: Vec<Skipped>,
}

/// A record file's spool being written, and what its listing found.
pub(super) struct Spooler<'a> {
    file: &'a RecordFile,
    w: std::io::BufWriter<File>,
    path: PathBuf,
    offset: u64,
    out: Listed,
}

impl Spooler<'_> {
    /// The record at `position` (0-based line or row) with its text and id.
    pub(super) fn record(&mut self, position: u64, text: &str, id: &str) -> std::io::Result<()> {
        self.w.write_all(text.as_bytes())?;
        self.out.records.push(Spooled {
            position,
            offset: self.offset,
            len: text.len() as u64,
            hash: xxhash_rust::xxh3::xxh3_64(text.as_bytes()),
        });
        self.out.names.push(unit_name(&self.file.rel, position, id));
        self.offset += text.len() as u64;
        Ok(())
    }

    /// The record at `position` is passed over for `reason`.
    pub(super) fn bad(&mut self, position: u64, reason: String) {
        let s = self.file.format.place(position);
        self.out.failed.push(Skipped {
            file: self.file.rel.clone(),
            reason,
            ..s
        });
    }

    /// The file cannot be read on after `position` records (or at all: None).
    pub(super) fn broken(&mut self, position: Option<u64>, reason: String) {
        let s = position
            .map(|p| self.file.format.place(p))
            .unwrap_or_default();
        self.out.failed.push(Skipped {
            file: self.file.rel.clone(),
            reason,
            ..s
        });
    }

    /// The spool could not take a record: none of the file's records can be read.
    fn spool_failed(mut self, e: std::io::Error) -> Listed {
        self.out.records.clear();
        self.out.names.clear();
        let reason = format!("cannot write the spool file {}: {e}", self.path.display());
        self.broken(None, reason);
        self.out
    }
}

/// The records of JSON Lines or Parquet files (see the module doc).
pub struct Records {
    input: PathBuf,
    files: Vec<RecordFile>,
    walk_skipped: Vec<Skipped>,
    walk_failed: Vec<Skipped>,
    other_files: usize,
    opts: RecordOptions,
    spool_dir: PathBuf,
    listed: OnceLock<Vec<Listed>>,
    spools: Vec<OnceLock<std::io::Result<File>>>,
}

impl Records {
    /// The record files of `format` in `input` (a file, or a folder walked as
    /// `zhclean clean` walks one, keeping the files whose names end as
    /// [`Format::exts`] say), spooling into `spool_dir` (which must outlive the run).
    pub fn new(
        input: &Path,
        format: Format,
        excludes: &[String],
        opts: RecordOptions,
        spool_dir: &Path,
    ) -> Result<Records> {
        let meta = std::fs::metadata(input).map_err(|e| Error::io(input, e))?;
        let file = |rel: String, path: PathBuf| RecordFile {
            compression: Compression::of(&rel),
            format,
            rel,
            path,
        };
        let (files, w) = if meta.is_file() {
            let name = input
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (vec![file(name, input.to_path_buf())], Walk::default())
        } else {
            let exts: Vec<String> = format.exts().iter().map(|s| s.to_string()).collect();
            let w = walk::walk(input, &exts, &walk::exclude_set(excludes)?);
            let files = w
                .sources
                .iter()
                .map(|u| file(u.rel_path.clone(), u.path.clone()))
                .collect();
            (files, w)
        };
        Ok(Records {
            spools: (0..files.len()).map(|_| OnceLock::new()).collect(),
            input: input.to_path_buf(),
            files,
            walk_skipped: w.skipped,
            walk_failed: w.failed,
            other_files: w.other_files,
            opts,
            spool_dir: spool_dir.to_path_buf(),
            listed: OnceLock::new(),
        })
    }

    /// The record files, in unit order.
    pub fn files(&self) -> &[RecordFile] {
        &self.files
    }

    /// The records of file `file` that were read, in file order.
    pub(super) fn records(&self, file: usize) -> &[Spooled] {
        &self.listed()[file].records
    }

    /// The options records are read with.
    pub fn options(&self) -> &RecordOptions {
        &self.opts
    }

    fn spool_path(&self, file: usize) -> PathBuf {
        self.spool_dir.join(format!("records-{file}.spool"))
    }

    /// Read every file into its spool (once; files in parallel on the current pool).
    pub(super) fn listed(&self) -> &[Listed] {
        self.listed.get_or_init(|| {
            (0..self.files.len())
                .into_par_iter()
                .map(|i| self.spool_file(i))
                .collect()
        })
    }

    fn spool_file(&self, i: usize) -> Listed {
        let f = &self.files[i];
        let spool_path = self.spool_path(i);
        let mut sp = match File::create(&spool_path) {
            Ok(w) => Spooler {
                file: f,
                w: std::io::BufWriter::with_capacity(1 << 20, w),
                path: spool_path,
                offset: 0,
                out: Listed::default(),
            },
            Err(e) => {
                let mut out = Listed::default();
                let reason = format!("cannot write the spool file {}: {e}", spool_path.display());
                out.failed.push(Skipped::new(f.rel.clone(), reason));
                return out;
            }
        };
        let read = match f.format {
            Format::Jsonl => self.spool_jsonl(&mut sp),
            Format::Parquet => super::parquet::spool(f, &self.opts, &mut sp),
        };
        match read.and_then(|()| sp.w.flush()) {
            Ok(()) => sp.out,
            Err(e) => sp.spool_failed(e),
        }
    }

    /// The records of a JSON Lines file into its spool.
    fn spool_jsonl(&self, sp: &mut Spooler) -> std::io::Result<()> {
        let f = sp.file;
        let mut lines = match open_read(&f.path, f.compression) {
            Ok(r) => Lines::new(r),
            Err(e) => {
                sp.broken(None, e.to_string());
                return Ok(());
            }
        };
        let mut buf = Vec::new();
        loop {
            let position = match lines.next_into(&mut buf) {
                Ok(Some(p)) => p,
                Ok(None) => return Ok(()),
                Err(e) => {
                    let what = match f.compression {
                        Compression::None => "cannot read on",
                        _ => "truncated or corrupt compressed data; records after it are lost",
                    };
                    sp.broken(Some(lines.read()), format!("{what}: {e}"));
                    return Ok(());
                }
            };
            if is_blank(&buf) {
                continue;
            }
            let id_field = self.opts.id_field.as_deref();
            match parse_record(&buf, &self.opts.text_field, id_field, position) {
                Ok(rec) => sp.record(position, &rec.text, &rec.id)?,
                Err(e) => sp.bad(position, e.to_string()),
            }
        }
    }

    /// The file and record index of a unit name (from the name itself: the files are
    /// in name order, a file's records in position order).
    pub(super) fn locate(&self, name: &str) -> Option<(usize, usize)> {
        let (file, _) = super::split_name(name);
        let position = super::position_of(name)?;
        let f = self
            .files
            .binary_search_by(|rf| rf.rel.as_str().cmp(file))
            .ok()?;
        let recs = &self.listed()[f].records;
        let r = recs.binary_search_by_key(&position, |s| s.position).ok()?;
        (self.listed()[f].names[r] == name).then_some((f, r))
    }

    fn read_spooled(&self, file: usize, rec: &Spooled) -> std::io::Result<Vec<u8>> {
        let f = self.spools[file].get_or_init(|| File::open(self.spool_path(file)));
        let f = f
            .as_ref()
            .map_err(|e| std::io::Error::new(e.kind(), e.to_string()))?;
        let mut buf = vec![0u8; rec.len as usize];
        read_exact_at(f, &mut buf, rec.offset)?;
        Ok(buf)
    }
}

/// Records read outside a run (by `segment`, `normalize`, `eval` and `review`), with
/// their spool in a temporary folder of the system's, removed with them.
pub struct Standalone {
    records: Records,
    _spool: tempfile::TempDir,
}

impl Standalone {
    /// The records of `format` in `input` (as [`Records::new`], no excludes).
    pub fn open(input: &Path, format: Format, opts: RecordOptions) -> Result<Standalone> {
        let spool = tempfile::Builder::new()
            .prefix("zhclean-records-")
            .tempdir()
            .map_err(|e| Error::io(&std::env::temp_dir(), e))?;
        Ok(Standalone {
            records: Records::new(input, format, &[], opts, spool.path())?,
            _spool: spool,
        })
    }

    /// The records (readable while this lives: it holds their spool).
    pub fn records(&self) -> &Records {
        &self.records
    }
}

#[cfg(unix)]
pub(super) fn read_exact_at(f: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(f, buf, offset)
}

#[cfg(windows)]
pub(super) fn read_exact_at(f: &File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(f, buf, offset)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

impl Source for Records {
    fn list(&self) -> Walk {
        let listed = self.listed();
        let mut failed = self.walk_failed.clone();
        failed.extend(listed.iter().flat_map(|l| l.failed.iter().cloned()));
        Walk {
            sources: listed
                .iter()
                .flat_map(|l| {
                    // A record has no path of its own: it is read from the spool.
                    l.names.iter().map(|n| Unit {
                        rel_path: n.clone(),
                        path: PathBuf::new(),
                    })
                })
                .collect(),
            skipped: self.walk_skipped.clone(),
            failed,
            other_files: self.other_files,
        }
    }

    fn read(&self, unit: &Unit) -> std::io::Result<Vec<u8>> {
        let (f, r) = self
            .locate(&unit.rel_path)
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such record"))?;
        self.read_spooled(f, &self.listed()[f].records[r])
    }

    fn unit(&self, rel_path: &str) -> Unit {
        Unit {
            rel_path: rel_path.to_string(),
            path: PathBuf::new(),
        }
    }

    /// The input as given: the record file, or the folder of them (what `zhclean
    /// review` reads the records from again).
    fn root(&self) -> Option<&Path> {
        Some(&self.input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{Compressed, Compression};

    fn write(p: &Path, c: Compression, body: &[u8]) {
        let mut w = Compressed::new(File::create(p).unwrap(), c).unwrap();
        w.write_all(body).unwrap();
        w.finish().unwrap();
    }

    #[test]
    fn records_are_units_and_bad_ones_are_reported_with_their_line() {
        let d = tempfile::tempdir().unwrap();
        let input = d.path().join("in");
        std::fs::create_dir(&input).unwrap();
        write(
            &input.join("a.jsonl.zst"),
            Compression::Zstd,
            "{\"text\":\"第一篇\",\"id\":\"x\"}\n{\"id\":\"y\"}\n\n{\"text\":\"第三篇\",\"id\":\"z\"}\n".as_bytes(),
        );
        write(
            &input.join("b.jsonl"),
            Compression::None,
            b"{\"text\":\"b\"}\nnot json\n",
        );
        std::fs::write(input.join("c.txt"), "not a record file").unwrap();
        let spool = d.path().join("spool");
        std::fs::create_dir(&spool).unwrap();
        let src =
            Records::new(&input, Format::Jsonl, &[], RecordOptions::default(), &spool).unwrap();
        let w = src.list();
        let names: Vec<String> = w
            .sources
            .iter()
            .map(|u| crate::records::display_name(&u.rel_path))
            .collect();
        assert_eq!(
            names,
            [
                "a.jsonl.zst line 1 (record 0)",
                "a.jsonl.zst line 4 (record 3)",
                "b.jsonl line 1 (record 0)"
            ]
        );
        assert_eq!(src.read(&w.sources[1]).unwrap(), "第三篇".as_bytes());
        assert_eq!(src.read(&src.unit(&w.sources[2].rel_path)).unwrap(), b"b");
        assert_eq!(w.other_files, 1);
        let failed: Vec<(String, Option<u64>, String)> = w
            .failed
            .iter()
            .map(|s| (s.file.clone(), s.line, s.reason.clone()))
            .collect();
        assert_eq!(
            failed[0],
            (
                "a.jsonl.zst".into(),
                Some(2),
                "the record has no \"text\" field".into()
            )
        );
        assert_eq!(failed[1].0, "b.jsonl");
        assert_eq!(failed[1].1, Some(2));
        assert!(failed[1].2.starts_with("not a JSON object"), "{failed:?}");
    }

    #[test]
    fn a_truncated_zstd_file_keeps_what_came_before_and_says_so() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.jsonl.zst");
        let mut body = Vec::new();
        // Enough text, and varied enough, for many zstd blocks (128 KiB each).
        for i in 0..20_000u64 {
            let n = i.wrapping_mul(2_654_435_761) % 1_000_003;
            let line = format!("{{\"text\":\"第{i}篇讲话稿，编号{n}。\"}}\n");
            body.extend_from_slice(line.as_bytes());
        }
        write(&p, Compression::Zstd, &body);
        let full = std::fs::read(&p).unwrap();
        std::fs::write(&p, &full[..full.len() / 2]).unwrap();
        let src = Records::new(&p, Format::Jsonl, &[], RecordOptions::default(), d.path()).unwrap();
        let w = src.list();
        assert!(
            !w.sources.is_empty() && w.sources.len() < 20_000,
            "{}",
            w.sources.len()
        );
        assert_eq!(w.failed.len(), 1);
        assert!(
            w.failed[0].reason.starts_with("truncated or corrupt"),
            "{:?}",
            w.failed
        );
        assert_eq!(w.failed[0].line, Some(w.sources.len() as u64 + 1));
    }

    #[test]
    fn ids_come_from_the_id_field_when_asked() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.jsonl");
        std::fs::write(
            &p,
            "{\"text\":\"一\",\"id\":17}\n{\"text\":\"二\",\"id\":\"b-2\"}\n",
        )
        .unwrap();
        let opts = RecordOptions {
            id_field: Some("id".into()),
            ..RecordOptions::default()
        };
        let src = Records::new(&p, Format::Jsonl, &[], opts, d.path()).unwrap();
        let ids: Vec<Option<String>> = src
            .list()
            .sources
            .iter()
            .map(|u| {
                crate::records::split_name(&u.rel_path)
                    .1
                    .map(str::to_string)
            })
            .collect();
        assert_eq!(ids, [Some("17".to_string()), Some("b-2".to_string())]);
    }
}
