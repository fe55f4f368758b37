//! The walk stage: which files of the input tree are read, in which order.
//!
//! Files are returned sorted by their relative path (with `/` separators), so every id
//! derived from their order is the same on every run. Hidden files and folders are
//! skipped with a note, symlinks are followed but loops are noted and not entered, and
//! `--exclude` globs are matched against the relative path.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};
use walkdir::WalkDir;

use crate::error::{Error, Result};

/// One input file to process.
#[derive(Clone, Debug)]
pub struct Unit {
    /// Path relative to the input folder, `/`-separated.
    pub rel_path: String,
    /// Path to open.
    pub path: PathBuf,
}

/// The reason a file that is not text is skipped with (`summary.json` counts these
/// files among `files`; other skips are not files of the corpus).
pub const BINARY: &str = "binary";

/// A path that was passed over, and why.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Skipped {
    pub file: String,
    /// For a record of a JSON Lines file, its id (see [`crate::records`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// For a record, or a break in a record file, the line (1-based) in its file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// For a record of a Parquet file, or a break in one, the row (0-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    pub reason: String,
}

impl std::fmt::Display for Skipped {
    /// `file: reason`, `file:line: reason`, `file:line (record ID): reason` or
    /// `file row N (record ID): reason`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(r) = self.row {
            write!(f, " row {r}")?;
        }
        if let Some(r) = &self.record {
            write!(f, " (record {r})")?;
        }
        write!(f, ": {}", self.reason)
    }
}

impl Skipped {
    /// A file passed over for `reason`.
    pub fn new(file: impl Into<String>, reason: impl Into<String>) -> Skipped {
        Skipped {
            file: file.into(),
            reason: reason.into(),
            ..Skipped::default()
        }
    }

    /// The unit named `name` (a file, or a record: see [`crate::records::unit_name`])
    /// passed over for `reason`.
    pub fn unit(name: &str, reason: impl Into<String>) -> Skipped {
        let (file, record) = crate::records::split_name(name);
        let place = match (
            crate::records::Format::of(file),
            crate::records::position_of(name),
        ) {
            (Some(f), Some(p)) => f.place(p),
            _ => Skipped::default(),
        };
        Skipped {
            file: file.to_string(),
            record: record.map(str::to_string),
            reason: reason.into(),
            ..place
        }
    }
}

/// What the walk found.
#[derive(Debug, Default)]
pub struct Walk {
    /// Files to process, in sorted relative-path order.
    pub sources: Vec<Unit>,
    /// Hidden, excluded, looping or unreadable entries.
    pub skipped: Vec<Skipped>,
    /// Entries that could not be read at all (counted as failures).
    pub failed: Vec<Skipped>,
    /// Files whose ending is not one of `--ext` (counted, not listed).
    pub other_files: usize,
}

/// Build a glob set from `--exclude` patterns.
pub fn exclude_set(patterns: &[String]) -> Result<GlobSet> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let g = Glob::new(p).map_err(|e| Error::Config(format!("--exclude '{p}': {e}")))?;
        b.add(g);
    }
    b.build()
        .map_err(|e| Error::Config(format!("--exclude: {e}")))
}

fn rel_string(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether a file `name` ends in `.ext` with something before it (both lowercase).
pub fn has_ending(name: &str, ext: &str) -> bool {
    name.len() > ext.len() + 1
        && name.ends_with(ext)
        && name.as_bytes()[name.len() - ext.len() - 1] == b'.'
}

/// What kind of special file (not a regular file, folder or link) this is, if it is one.
fn special_kind(t: &std::fs::FileType) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("FIFO");
        }
        if t.is_socket() {
            return Some("socket");
        }
        if t.is_block_device() {
            return Some("block device");
        }
        if t.is_char_device() {
            return Some("character device");
        }
    }
    (!t.is_file() && !t.is_dir() && !t.is_symlink()).then_some("not a regular file")
}

pub fn walk(root: &Path, exts: &[String], excludes: &GlobSet) -> Walk {
    let mut out = Walk::default();
    let exts: Vec<String> = exts
        .iter()
        .map(|e| e.trim_start_matches('.').to_lowercase())
        .collect();
    let mut hidden = Vec::new();
    let mut excluded = Vec::new();
    let it = WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            if e.depth() == 0 {
                return true;
            }
            let rel = rel_string(root, e.path());
            if e.file_name().to_string_lossy().starts_with('.') {
                hidden.push(rel);
                return false;
            }
            if excludes.is_match(&rel) {
                excluded.push(rel);
                return false;
            }
            true
        });
    for entry in it {
        match entry {
            Ok(e) => {
                if let Some(kind) = special_kind(&e.file_type()) {
                    // Never opened: reading a FIFO would block the run.
                    out.skipped.push(Skipped::new(
                        rel_string(root, e.path()),
                        format!("special file ({kind}), not read"),
                    ));
                    continue;
                }
                if !e.file_type().is_file() {
                    continue;
                }
                let name = e.file_name().to_string_lossy().to_lowercase();
                if !exts.iter().any(|x| has_ending(&name, x)) {
                    out.other_files += 1;
                    continue;
                }
                out.sources.push(Unit {
                    rel_path: rel_string(root, e.path()),
                    path: e.path().to_path_buf(),
                });
            }
            Err(err) => {
                let file = err.path().map(|p| rel_string(root, p)).unwrap_or_default();
                if err.loop_ancestor().is_some() {
                    out.skipped.push(Skipped::new(file, "symlink loop"));
                } else {
                    let reason = err
                        .io_error()
                        .map(|e| e.to_string())
                        .unwrap_or_else(|| err.to_string());
                    out.failed.push(Skipped::new(file, reason));
                }
            }
        }
    }
    out.skipped
        .extend(hidden.into_iter().map(|file| Skipped::new(file, "hidden")));
    out.skipped.extend(
        excluded
            .into_iter()
            .map(|file| Skipped::new(file, "excluded")),
    );
    out.sources.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    out.skipped.sort();
    out.failed.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn sorted_filtered_and_noted() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        fs::create_dir_all(r.join("b/deep")).unwrap();
        fs::create_dir_all(r.join(".git")).unwrap();
        fs::write(r.join("b/deep/z.txt"), "x").unwrap();
        fs::write(r.join("a.TXT"), "x").unwrap();
        fs::write(r.join("b.txt"), "x").unwrap();
        fs::write(r.join("c.md"), "x").unwrap();
        fs::write(r.join(".hidden.txt"), "x").unwrap();
        fs::write(r.join(".git/x.txt"), "x").unwrap();
        fs::write(r.join("b/skip.txt"), "x").unwrap();
        let ex = exclude_set(&["b/skip*".to_string()]).unwrap();
        let w = walk(r, &["txt".to_string()], &ex);
        let rels: Vec<_> = w.sources.iter().map(|s| s.rel_path.as_str()).collect();
        assert_eq!(rels, ["a.TXT", "b.txt", "b/deep/z.txt"]);
        assert_eq!(w.other_files, 1);
        let skipped: Vec<_> = w
            .skipped
            .iter()
            .map(|s| (s.file.as_str(), s.reason.as_str()))
            .collect();
        assert_eq!(
            skipped,
            [
                (".git", "hidden"),
                (".hidden.txt", "hidden"),
                ("b/skip.txt", "excluded")
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loop_is_noted_not_followed() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        fs::create_dir_all(r.join("a")).unwrap();
        fs::write(r.join("a/x.txt"), "x").unwrap();
        std::os::unix::fs::symlink(r.join("a"), r.join("a/loop")).unwrap();
        let w = walk(r, &["txt".to_string()], &exclude_set(&[]).unwrap());
        assert_eq!(w.sources.len(), 1);
        assert_eq!(w.skipped, [Skipped::new("a/loop", "symlink loop")]);
    }
}
