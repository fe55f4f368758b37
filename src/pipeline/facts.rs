//! What the analyze phase keeps of a file and its paragraphs ([`FileFacts`],
//! [`ParaFacts`]) and what it hands on ([`Analyzed`], [`FileRef`]).

use super::*;

/// Stages timed inside the per-file work. `TextStages` is [`prepare`] (lines,
/// furniture, structure and mask detection); `Placeholders` is slotting the masks and
/// width folding for the fingerprint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Read,
    Decode,
    TextStages,
    Placeholders,
    Segment,
    Fingerprint,
    Minhash,
}

impl Stage {
    /// Every stage, in the order `summary.json` lists them.
    pub const ALL: [Stage; 7] = [
        Stage::Read,
        Stage::Decode,
        Stage::TextStages,
        Stage::Placeholders,
        Stage::Segment,
        Stage::Fingerprint,
        Stage::Minhash,
    ];

    /// Its name in `summary.json`'s `stage_cpu_seconds`.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Read => "read",
            Stage::Decode => "decode",
            Stage::TextStages => "text_stages",
            Stage::Placeholders => "placeholders",
            Stage::Segment => "segment",
            Stage::Fingerprint => "fingerprint",
            Stage::Minhash => "minhash",
        }
    }
}

/// Nanoseconds spent in each [`Stage`].
#[derive(Clone, Copy, Debug, Default)]
pub struct StageNs([u64; Stage::ALL.len()]);

impl StageNs {
    /// Add another file's times.
    pub fn add(&mut self, other: &StageNs) {
        for (s, v) in self.0.iter_mut().zip(other.0) {
            *s += v;
        }
    }

    /// `(name, nanoseconds)` of every stage, in order.
    pub fn named(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        Stage::ALL.iter().map(|&s| (s.name(), self[s]))
    }
}

impl std::ops::Index<Stage> for StageNs {
    type Output = u64;
    fn index(&self, s: Stage) -> &u64 {
        &self.0[s as usize]
    }
}

impl std::ops::IndexMut<Stage> for StageNs {
    fn index_mut(&mut self, s: Stage) -> &mut u64 {
        &mut self.0[s as usize]
    }
}

/// What the run returns to the caller.
#[derive(Debug)]
pub struct Outcome {
    pub summary: Summary,
    /// Files that failed (the exit status is 1 when this or `decode_errors` is non-zero).
    pub failed: usize,
    /// Staging folders left in OUT by interrupted runs, removed by this one.
    pub cleared: Vec<std::path::PathBuf>,
    /// What the run staged for its index (update mode), to commit once its outputs are.
    pub staged: Option<crate::index::Staged>,
}

/// Per-paragraph facts kept between phases.
#[derive(Debug, Clone)]
pub struct ParaFacts {
    /// Document of the paragraph (index in its file).
    pub doc: u32,
    /// First and last line numbers (1-based).
    pub lines: [u32; 2],
    /// Columns within those lines of a part of a page-long paragraph ([`parts::cols`]).
    pub cols: Option<[u32; 2]>,
    /// A part that goes on in the next paragraph (the two are written as one).
    pub glued: bool,
    /// Masked placeholders in the paragraph.
    pub masks: u32,
    pub key: KeyFacts,
    /// The script the paragraph is written in (its key is folded to simplified).
    pub script: script::Script,
    /// Start and length of the paragraph's key tokens in its file's [`FileTokens`]
    /// (empty unless the paragraph takes part in the search).
    pub tokens: [u32; 2],
}

/// Line range of a document, and its script (that of most of its paragraphs).
#[derive(Debug, Clone)]
pub struct DocFacts {
    pub lines: [u32; 2],
    pub script: script::Script,
}

/// What the analyze phase keeps of a file.
#[derive(Debug, Clone)]
pub struct FileFacts {
    pub rel_path: String,
    /// xxh3 of the file's bytes: the write phase checks the file did not change.
    pub hash: u64,
    pub bytes: u64,
    pub encoding: &'static str,
    pub decode_issue: Option<DecodeIssue>,
    pub n_lines: usize,
    pub docs: Vec<DocFacts>,
    pub paras: Vec<ParaFacts>,
    /// Key tokens of the searched paragraphs, one after another.
    pub tokens: FileTokens,
    pub(super) stage_ns: StageNs,
}

/// What the analyze phase hands on for a file: its facts, which the later phases only
/// read, and what moves on by value: its band keys, to the candidate search (which
/// drops them once it has the candidates: they are a quarter of the memory of a run),
/// and its kept text stages, to the write phase.
#[derive(Debug)]
pub struct AnalyzedFile {
    pub facts: FileFacts,
    /// Band keys of the searched paragraphs, `bands` per paragraph, in paragraph order.
    pub band_keys: FileKeys,
    /// The file's text stages, or their furniture and masks, kept for the write phase
    /// while the run's budgets for them last (see [`Engine::keep_prepared`]);
    /// otherwise it reads and prepares the file again.
    pub(super) kept: Option<Kept>,
}

impl AnalyzedFile {
    /// The file's band keys, if they are in memory.
    pub fn band_keys_in_memory(&self) -> Option<&[u64]> {
        match &self.band_keys {
            FileKeys::Memory(v) => Some(v),
            FileKeys::Spilled(_) => None,
        }
    }
}

/// A file's key tokens: in memory, or spilled to a [`Spill`] (the local run keeps all
/// but the first [`TOKEN_MEMORY_BUDGET`] bytes of them on disk between the phases,
/// since they are the largest per-paragraph data).
#[derive(Debug, Clone)]
pub enum FileTokens {
    Memory(Vec<u32>),
    /// At this byte offset of the spill file.
    Spilled(u64),
}

/// A file's band keys: in memory, or spilled to a [`Spill`] (the local run keeps all
/// but the first [`KEY_MEMORY_BUDGET`] bytes of them on disk until the candidates are
/// found).
#[derive(Debug, Clone)]
pub enum FileKeys {
    Memory(Vec<u64>),
    /// At this byte offset of the spill file.
    Spilled(u64),
}

impl FileFacts {
    /// The key tokens of paragraph `p` of this file, if they are in memory.
    pub fn para_tokens(&self, p: &ParaFacts) -> Option<&[u32]> {
        match &self.tokens {
            FileTokens::Memory(v) => {
                Some(&v[p.tokens[0] as usize..(p.tokens[0] + p.tokens[1]) as usize])
            }
            FileTokens::Spilled(_) => None,
        }
    }

    /// The file's share of `summary.json`.
    pub fn summary(&self, min_chars: usize) -> FileSummary {
        FileSummary {
            bytes: self.bytes,
            lines: self.n_lines,
            documents: self.docs.len(),
            paragraphs: self.paras.len(),
            paragraphs_searched: self
                .paras
                .iter()
                .filter(|p| p.key.searched(min_chars))
                .count(),
            encoding: self.encoding.to_string(),
            decode_issue: self.decode_issue.clone(),
        }
    }

    /// What the write phase needs to find the file again.
    pub fn file_ref(&self) -> FileRef<'_> {
        FileRef {
            rel_path: &self.rel_path,
            hash: self.hash,
            encoding: self.encoding,
            paragraphs: self.paras.len(),
        }
    }
}

/// A file as the write phase finds it again.
#[derive(Debug, Clone, Copy)]
pub struct FileRef<'a> {
    pub rel_path: &'a str,
    pub hash: u64,
    pub encoding: &'a str,
    pub paragraphs: usize,
}

impl FileRef<'_> {
    /// The file, failed for `kind`.
    pub(super) fn error(&self, kind: FileErrorKind) -> FileError {
        FileError {
            file: self.rel_path.to_string(),
            kind,
        }
    }
}

/// Why a file could not be cleaned, or was passed over. Its `Display` is the reason
/// `summary.json` lists (see [`FileError::listed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileErrorKind {
    /// Not text: passed over, and counted among the files.
    Binary,
    /// Reading it failed (the system's message).
    Read(String),
    /// Its bytes differ between the analyze and the write phase.
    Changed,
    /// Its cleaned text could not be written (the message).
    Write(String),
    /// The temporary spill file could not take its tokens (the message).
    Spill(String),
    /// Two phases disagree about it: a bug.
    Internal(&'static str),
}

impl std::fmt::Display for FileErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileErrorKind::Binary => f.write_str(walk::BINARY),
            FileErrorKind::Read(e) | FileErrorKind::Write(e) => f.write_str(e),
            FileErrorKind::Changed => f.write_str("file changed during the run"),
            FileErrorKind::Spill(e) => write!(f, "cannot write the temporary spill file: {e}"),
            FileErrorKind::Internal(what) => write!(f, "internal: {what}"),
        }
    }
}

/// A file that could not be cleaned, or was passed over, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub file: String,
    pub kind: FileErrorKind,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}",
            crate::records::display_name(&self.file),
            self.kind
        )
    }
}

impl FileError {
    /// The entry `summary.json` lists it as (under `skipped` when it is binary, else
    /// under `failed`).
    pub fn listed(&self) -> Skipped {
        Skipped::unit(&self.file, self.kind.to_string())
    }
}

impl From<FileError> for Analyzed {
    fn from(e: FileError) -> Analyzed {
        match e.kind {
            FileErrorKind::Binary => Analyzed::Skipped(e.listed()),
            _ => Analyzed::Failed(e.listed()),
        }
    }
}

/// A file's share of `summary.json` from the analyze phase.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileSummary {
    pub bytes: u64,
    pub lines: usize,
    pub documents: usize,
    pub paragraphs: usize,
    pub paragraphs_searched: usize,
    pub encoding: String,
    pub decode_issue: Option<DecodeIssue>,
}

/// The result of analysing one file.
pub enum Analyzed {
    Done(Box<AnalyzedFile>),
    /// Passed over (binary).
    Skipped(Skipped),
    /// Could not be read.
    Failed(Skipped),
}
