//! The sink seam: where a run's outputs go.
//!
//! The write phase hands a [`Sink`] each unit's cleaned text ([`CleanOut::clean`], from
//! several threads at once, once for each unit that keeps any text) and the report
//! files: the JSONL reports line by line in unit order ([`Sink::report`]) and
//! `summary.json` whole ([`Sink::write_report`]). A sink also gives the run a folder
//! for its temporary files ([`Sink::scratch`]: the spill file of tokens and band keys).
//!
//! Two sinks today: [`crate::report::Staging`], the output folder of `zhclean clean`
//! (everything goes into a staging folder that becomes `clean/` and `report/` at once
//! on commit), and [`Memory`], which keeps the outputs in memory for library users and
//! tests. [`CleanDir`] is the clean-text half alone, for workers that write into a
//! staging folder someone else commits (the Spark job).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::report::{ReportWriter, Staging};

/// Where cleaned text goes.
pub trait CleanOut: Sync {
    /// Put the cleaned text of unit `unit` (its relative path or name).
    fn clean(&self, unit: &str, text: &[u8]) -> Result<()>;
}

/// A report file written piece by piece, in order.
pub trait ReportOut: Send {
    fn append(&mut self, bytes: &[u8]) -> Result<()>;
    /// All of it is written.
    fn finish(self: Box<Self>) -> Result<()>;
}

/// Where a run's outputs go (see the module doc).
pub trait Sink: CleanOut {
    /// A folder for the run's temporary files, removed with the sink.
    fn scratch(&self) -> &Path;
    /// The report `name` (`clusters.jsonl`, …), to be written line by line.
    fn report<'a>(&'a self, name: &str) -> Result<Box<dyn ReportOut + 'a>>;
    /// The report `name` (`summary.json`) at once.
    fn write_report(&self, name: &str, bytes: &[u8]) -> Result<()>;
}

/// Cleaned text as files under a folder (`unit` is their relative path).
pub struct CleanDir(pub PathBuf);

impl CleanOut for CleanDir {
    fn clean(&self, unit: &str, text: &[u8]) -> Result<()> {
        crate::report::write_file_at(&self.0.join(unit), text)
    }
}

/// Outputs kept in memory.
///
/// ```
/// use zhclean::sink::{CleanOut, Memory};
///
/// let out = Memory::new().unwrap();
/// out.clean("a.txt", "第一段。\n".as_bytes()).unwrap();
/// assert_eq!(out.clean_text("a.txt").as_deref(), Some("第一段。\n"));
/// assert_eq!(out.clean_text("b.txt"), None);
/// ```
#[derive(Debug)]
pub struct Memory {
    scratch: tempfile::TempDir,
    clean: Mutex<BTreeMap<String, Vec<u8>>>,
    reports: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl Memory {
    /// An empty sink (its scratch folder is made in the system's temporary folder).
    pub fn new() -> Result<Memory> {
        let scratch = tempfile::Builder::new()
            .prefix("zhclean-")
            .tempdir()
            .map_err(|e| Error::io(&std::env::temp_dir(), e))?;
        Ok(Memory {
            scratch,
            clean: Mutex::default(),
            reports: Mutex::default(),
        })
    }

    /// The cleaned text of a unit, if it kept any.
    pub fn clean_text(&self, unit: &str) -> Option<String> {
        let clean = self.clean.lock().expect("not poisoned");
        clean
            .get(unit)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }

    /// The units that kept text, in name order.
    pub fn units(&self) -> Vec<String> {
        self.clean
            .lock()
            .expect("not poisoned")
            .keys()
            .cloned()
            .collect()
    }

    /// A report's bytes (`clusters.jsonl`, `removed.jsonl`, `placeholders.jsonl`,
    /// `summary.json`), once written.
    pub fn report_bytes(&self, name: &str) -> Option<Vec<u8>> {
        self.reports
            .lock()
            .expect("not poisoned")
            .get(name)
            .cloned()
    }
}

impl CleanOut for Memory {
    fn clean(&self, unit: &str, text: &[u8]) -> Result<()> {
        let mut clean = self.clean.lock().expect("not poisoned");
        clean.insert(unit.to_string(), text.to_vec());
        Ok(())
    }
}

/// A report of [`Memory`], added to it when finished.
struct MemoryReport<'a> {
    sink: &'a Memory,
    name: String,
    bytes: Vec<u8>,
}

impl ReportOut for MemoryReport<'_> {
    fn append(&mut self, bytes: &[u8]) -> Result<()> {
        self.bytes.extend_from_slice(bytes);
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<()> {
        let MemoryReport { sink, name, bytes } = *self;
        sink.write_report(&name, &bytes)
    }
}

impl Sink for Memory {
    fn scratch(&self) -> &Path {
        self.scratch.path()
    }

    fn report<'a>(&'a self, name: &str) -> Result<Box<dyn ReportOut + 'a>> {
        Ok(Box::new(MemoryReport {
            sink: self,
            name: name.to_string(),
            bytes: Vec::new(),
        }))
    }

    fn write_report(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let mut reports = self.reports.lock().expect("not poisoned");
        reports.insert(name.to_string(), bytes.to_vec());
        Ok(())
    }
}

/// Outputs dropped as they come (`zhclean index build` without `--out`): only the
/// run's scratch folder exists, made in `dir` and removed with the sink.
#[derive(Debug)]
pub struct Discard {
    scratch: tempfile::TempDir,
}

impl Discard {
    pub fn new(dir: &Path) -> Result<Discard> {
        let scratch = tempfile::Builder::new()
            .prefix(".zhclean-scratch-")
            .tempdir_in(dir)
            .map_err(|e| Error::io(dir, e))?;
        Ok(Discard { scratch })
    }
}

struct Dropped;

impl ReportOut for Dropped {
    fn append(&mut self, _: &[u8]) -> Result<()> {
        Ok(())
    }
    fn finish(self: Box<Self>) -> Result<()> {
        Ok(())
    }
}

impl CleanOut for Discard {
    fn clean(&self, _: &str, _: &[u8]) -> Result<()> {
        Ok(())
    }
}

impl Sink for Discard {
    fn scratch(&self) -> &Path {
        self.scratch.path()
    }
    fn report<'a>(&'a self, _: &str) -> Result<Box<dyn ReportOut + 'a>> {
        Ok(Box::new(Dropped))
    }
    fn write_report(&self, _: &str, _: &[u8]) -> Result<()> {
        Ok(())
    }
}

impl CleanOut for Staging {
    fn clean(&self, unit: &str, text: &[u8]) -> Result<()> {
        crate::report::write_file_at(&self.clean_path(unit), text)
    }
}

impl ReportOut for ReportWriter {
    fn append(&mut self, bytes: &[u8]) -> Result<()> {
        ReportWriter::append(self, bytes)
    }

    fn finish(self: Box<Self>) -> Result<()> {
        ReportWriter::finish(*self)
    }
}

/// A sink that writes its cleaned text its own way and its reports and scratch files
/// into a staging folder (the record sinks): it is a [`Sink`] through that folder.
pub trait StagedClean: CleanOut {
    fn staging(&self) -> &Staging;
}

impl<T: StagedClean> Sink for T {
    fn scratch(&self) -> &Path {
        self.staging().dir()
    }

    fn report<'a>(&'a self, name: &str) -> Result<Box<dyn ReportOut + 'a>> {
        Sink::report(self.staging(), name)
    }

    fn write_report(&self, name: &str, bytes: &[u8]) -> Result<()> {
        Sink::write_report(self.staging(), name, bytes)
    }
}

impl Sink for Staging {
    fn scratch(&self) -> &Path {
        self.dir()
    }

    fn report<'a>(&'a self, name: &str) -> Result<Box<dyn ReportOut + 'a>> {
        Ok(Box::new(self.report_writer(name)?))
    }

    fn write_report(&self, name: &str, bytes: &[u8]) -> Result<()> {
        Staging::write_report(self, name, bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_reports_appear_when_finished() {
        let m = Memory::new().unwrap();
        let mut r = m.report("x.jsonl").unwrap();
        r.append(b"1\n").unwrap();
        r.append(b"2\n").unwrap();
        assert_eq!(m.report_bytes("x.jsonl"), None);
        r.finish().unwrap();
        assert_eq!(m.report_bytes("x.jsonl").unwrap(), b"1\n2\n");
        assert!(m.scratch().is_dir());
    }

    #[test]
    fn a_clean_folder_makes_the_folders_a_unit_needs() {
        let d = tempfile::tempdir().unwrap();
        CleanDir(d.path().to_path_buf())
            .clean("a/b.txt", "文".as_bytes())
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(d.path().join("a/b.txt")).unwrap(),
            "文"
        );
    }
}
