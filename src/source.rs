//! The source seam: where a run's units come from, and their bytes.
//!
//! A unit is what the pipeline cleans as one input, as a file is: its furniture,
//! structure, compilation split, masks and duplicates are found in it, and its report
//! lines name it. A [`Source`] lists its units once, in the order every id of the run
//! derives from (so it must be the same on every run), with what it passed over; it
//! then hands out a unit's bytes on demand, from several threads at once, and more
//! than once: the write phase reads a unit again and checks that it did not change.
//!
//! Two sources today: [`Dir`], the files of a folder tree ([`crate::walk`]), which is
//! what `zhclean clean` reads, and [`Memory`], texts held in memory, for library users
//! and tests; [`crate::records::source::Records`] makes each record of JSON Lines or
//! Parquet files a unit.

use std::path::{Path, PathBuf};

use globset::GlobSet;

use crate::config::Config;
use crate::error::Result;
use crate::walk::{self, Unit, Walk};

/// Where a run's units come from (see the module doc).
pub trait Source: Sync {
    /// The units to process, in processing order, and what was passed over.
    fn list(&self) -> Walk;

    /// The bytes of a unit of the listing.
    fn read(&self, unit: &Unit) -> std::io::Result<Vec<u8>>;

    /// The unit of the listing named `rel_path`, to read it again.
    fn unit(&self, rel_path: &str) -> Unit;

    /// Where the units are read from, for a source that has a place: the folder their
    /// relative paths are relative to, or a record file (`summary.json` names it as
    /// `run.input`, where `zhclean review` finds the text).
    fn root(&self) -> Option<&Path> {
        None
    }
}

/// The files of a folder tree whose names end in one of the extensions (see
/// [`walk::walk`]).
pub struct Dir {
    root: PathBuf,
    exts: Vec<String>,
    excludes: GlobSet,
}

impl Dir {
    /// The files under `root` ending in one of `exts`, but those matching an `excludes`
    /// glob (an invalid glob is an error).
    pub fn new(root: impl Into<PathBuf>, exts: &[String], excludes: &[String]) -> Result<Dir> {
        Ok(Dir {
            root: root.into(),
            exts: exts.to_vec(),
            excludes: walk::exclude_set(excludes)?,
        })
    }

    /// The folder, extensions and excludes of `zhclean clean` (`INPUT`, `--ext`,
    /// `--exclude`).
    pub fn from_config(cfg: &Config) -> Result<Dir> {
        Dir::new(cfg.input.clone(), &cfg.exts, &cfg.excludes)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl Source for Dir {
    fn root(&self) -> Option<&Path> {
        Some(&self.root)
    }

    fn list(&self) -> Walk {
        walk::walk(&self.root, &self.exts, &self.excludes)
    }

    fn read(&self, unit: &Unit) -> std::io::Result<Vec<u8>> {
        std::fs::read(&unit.path)
    }

    fn unit(&self, rel_path: &str) -> Unit {
        Unit {
            rel_path: rel_path.to_string(),
            path: self.root.join(rel_path),
        }
    }
}

/// Texts held in memory, each a unit under its name, listed in name order.
///
/// ```
/// use zhclean::source::{Memory, Source};
///
/// let src = Memory::new([("b.txt", "第二篇"), ("a.txt", "第一篇")]);
/// let names: Vec<String> = src.list().sources.into_iter().map(|u| u.rel_path).collect();
/// assert_eq!(names, ["a.txt", "b.txt"]);
/// assert_eq!(src.read(&src.unit("b.txt")).unwrap(), "第二篇".as_bytes());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Memory {
    /// By name; a name given twice keeps its last text.
    units: Vec<(String, Vec<u8>)>,
}

impl Memory {
    pub fn new<N: Into<String>, B: Into<Vec<u8>>>(units: impl IntoIterator<Item = (N, B)>) -> Self {
        let mut units: Vec<(String, Vec<u8>)> = units
            .into_iter()
            .map(|(n, b)| (n.into(), b.into()))
            .collect();
        // Stable: of equal names the last stays last, and dedup keeps the first of a run.
        units.sort_by(|a, b| a.0.cmp(&b.0));
        units.reverse();
        units.dedup_by(|a, b| a.0 == b.0);
        units.reverse();
        Memory { units }
    }
}

impl Source for Memory {
    fn list(&self) -> Walk {
        Walk {
            sources: self.units.iter().map(|(n, _)| self.unit(n)).collect(),
            ..Walk::default()
        }
    }

    fn read(&self, unit: &Unit) -> std::io::Result<Vec<u8>> {
        match self
            .units
            .binary_search_by(|(n, _)| n.as_str().cmp(&unit.rel_path))
        {
            Ok(i) => Ok(self.units[i].1.clone()),
            Err(_) => Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("no unit named {}", unit.rel_path),
            )),
        }
    }

    fn unit(&self, rel_path: &str) -> Unit {
        Unit {
            rel_path: rel_path.to_string(),
            path: PathBuf::from(rel_path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_lists_by_name_and_keeps_the_last_text_of_a_name() {
        let m = Memory::new([("b", "1"), ("a", "2"), ("b", "3")]);
        let names: Vec<String> = m.list().sources.into_iter().map(|u| u.rel_path).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(m.read(&m.unit("b")).unwrap(), b"3");
        let e = m.read(&m.unit("c")).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    }

    #[test]
    fn a_folder_lists_as_the_walk_does_and_reads_its_files() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("x.txt"), "文").unwrap();
        std::fs::write(d.path().join("y.md"), "no").unwrap();
        let src = Dir::new(d.path(), &["txt".into()], &[]).unwrap();
        let w = src.list();
        assert_eq!(w.sources.len(), 1);
        assert_eq!(w.other_files, 1);
        assert_eq!(src.read(&w.sources[0]).unwrap(), "文".as_bytes());
        assert_eq!(src.read(&src.unit("x.txt")).unwrap(), "文".as_bytes());
        assert!(Dir::new(d.path(), &[], &["[".into()]).is_err());
    }
}
