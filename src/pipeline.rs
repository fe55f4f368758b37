//! The pipeline: runs every stage in order; the only module that knows about rayon.
//!
//! Three phases keep memory growing with the number of paragraphs rather than the
//! bytes of text:
//!
//! 1. **analyze**, parallel over files: read → decode → lines → boilerplate → structure →
//!    placeholders → segment → fingerprint (shingles, MinHash, band keys). Only compact
//!    per-paragraph facts are kept; the text is dropped (the first files' text stages,
//!    and the furniture and masks of the next, stay for phase 3 within a budget).
//! 2. **group**, over all paragraphs: exact-key fast path, LSH candidates, verification,
//!    union-find, document-level duplicates, keep decisions, stable cluster ids.
//! 3. **write**, parallel over files: the file is read and prepared again (the same
//!    deterministic steps, checked against a content hash; with its marks, only lines
//!    and structure), and its cleaned text and report lines are written.
//!
//! Results are collected in file order and every grouping step is order-free, so the
//! outputs do not depend on the thread count.

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use xxhash_rust::xxh3::{xxh3_128, xxh3_64};

use crate::boilerplate::{Boilerplate, RuleId};
use crate::cluster::{split_around_kept, Cluster, Member, UnionFind};
use crate::config::{Config, Fold, ShingleKind};
use crate::decode::{self, Decoded, NotText};
use crate::error::{Error, Result};
use crate::fingerprint::{self, KeyFacts};
use crate::keep::{rank, Copy};
use crate::lines::{split_lines, Line};
use crate::lsh;
use crate::memo::Memo;
use crate::minhash::MinHasher;
use crate::parts;
use crate::placeholders::{self, Kind, Span};
use crate::prefetch;
use crate::release;
use crate::report::{self, *};
use crate::script;
use crate::segment::{Segmenter, WordMemo};
use crate::structure::{self, Document, Paragraph};
use crate::verify;
use crate::walk::{self, Skipped, Source};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A file after the deterministic text stages (no dedup yet).
#[derive(Debug, Clone)]
pub struct Prepared {
    pub lines: Vec<Line>,
    /// Furniture rule of each line.
    pub furniture: Vec<Option<RuleId>>,
    pub docs: Vec<Document>,
    pub paras: Vec<Paragraph>,
    /// Masked spans of each paragraph (char offsets in its text).
    pub spans: Vec<Vec<Span>>,
}

impl Prepared {
    /// What the write phase needs of a file of many megabytes ([`release::BIG_BYTES`]
    /// of line text or more): of a line, only its number, its column map and whether it
    /// is blank, since the paragraphs hold the text. The lines' text goes (a one-byte
    /// stand-in marks a line that is not blank), which is a third of such a file's
    /// memory in that phase. Smaller files stay as they are.
    fn for_writing(mut self) -> Prepared {
        let bytes: usize = self.lines.iter().map(|l| l.text.len()).sum();
        if (bytes as u64) >= release::BIG_BYTES {
            for l in &mut self.lines {
                if !l.is_blank() {
                    l.text = String::from(" ");
                }
            }
        }
        self
    }
}

/// Take `size` bytes from `budget` if it has them.
fn take_budget(budget: &AtomicU64, size: u64) -> bool {
    budget
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
            left.checked_sub(size)
        })
        .is_ok()
}

impl Prepared {
    /// Bytes it holds, roughly: what keeping it for the write phase costs.
    pub fn heap_bytes(&self) -> u64 {
        use std::mem::size_of;
        let lines: usize = self
            .lines
            .iter()
            .map(|l| size_of::<Line>() + l.text.capacity() + 4 * l.removed.capacity())
            .sum();
        let paras: usize = self
            .paras
            .iter()
            .map(|p| {
                size_of::<Paragraph>()
                    + p.text.capacity()
                    + size_of::<(usize, usize)>() * p.pieces.capacity()
            })
            .sum();
        let docs: usize = self
            .docs
            .iter()
            .map(|d| size_of::<Document>() + d.title.as_ref().map_or(0, |t| t.capacity()))
            .sum();
        let spans: usize = self
            .spans
            .iter()
            .map(|s| size_of::<Vec<Span>>() + size_of::<Span>() * s.capacity())
            .sum();
        (lines + paras + docs + spans + size_of::<Option<RuleId>>() * self.furniture.len()) as u64
    }
}

/// Run the text stages on decoded text.
pub fn prepare(text: &str, boiler: &Boilerplate, keep_furniture: bool) -> Prepared {
    prepare_lines(split_lines(text), boiler, keep_furniture)
}

/// [`prepare`] after the lines stage: a caller that owns the decoded text can let it
/// go first (a page-long line would otherwise be held four times at once).
pub fn prepare_lines(lines: Vec<Line>, boiler: &Boilerplate, keep_furniture: bool) -> Prepared {
    let furniture = boiler.classify(&lines);
    assemble(lines, furniture, keep_furniture, |paras| {
        paras
            .iter()
            .map(|p| placeholders::detect(&p.text))
            .collect()
    })
}

/// [`prepare`] with the furniture and masks the analyze phase found in the same text
/// (see [`Marks`]): only the lines and the structure are built again. `None` when the
/// marks do not fit the text.
pub fn prepare_marked(text: &str, marks: &Marks, keep_furniture: bool) -> Option<Prepared> {
    prepare_marked_lines(split_lines(text), marks, keep_furniture).ok()
}

/// [`prepare_marked`] after the lines stage; the lines come back when the marks do not
/// fit them.
fn prepare_marked_lines(
    lines: Vec<Line>,
    marks: &Marks,
    keep_furniture: bool,
) -> std::result::Result<Prepared, Vec<Line>> {
    if lines.len() != marks.furniture.len() {
        return Err(lines);
    }
    let prep = assemble(lines, marks.furniture(), keep_furniture, |paras| {
        marks.spans(paras.len()).unwrap_or_default()
    });
    if prep.spans.len() == prep.paras.len() {
        Ok(prep)
    } else {
        Err(prep.lines)
    }
}

/// The text stages after the furniture rules: structure, page-long paragraphs cut
/// into parts, then `spans` of the paragraphs.
fn assemble(
    lines: Vec<Line>,
    furniture: Vec<Option<RuleId>>,
    keep_furniture: bool,
    spans: impl FnOnce(&[Paragraph]) -> Vec<Vec<Span>>,
) -> Prepared {
    let (mut docs, paras) = structure::build(&lines, &furniture, keep_furniture);
    let paras = parts::cut(&mut docs, paras);
    let spans = spans(&paras);
    Prepared {
        lines,
        furniture,
        docs,
        paras,
        spans,
    }
}

/// What the write phase needs of a file's text stages besides its text: the furniture
/// rule of each line and the masked spans of each paragraph. Two bytes a line and a
/// paragraph and eight a mask, against about twice the text for a whole [`Prepared`],
/// it spares the write phase the furniture rules and the mask detection of a file it
/// reads again, which are more than half of preparing it.
#[derive(Debug, Clone)]
pub struct Marks {
    /// Rule of each line, [`NO_RULE`] for none.
    furniture: Box<[RuleId]>,
    /// The paragraphs' spans one after another.
    spans: Box<[MarkSpan]>,
    /// How many spans each paragraph has.
    counts: Box<[u16]>,
}

/// [`Marks::furniture`] of a line that no rule removes.
const NO_RULE: RuleId = RuleId::MAX;

/// A [`Span`] in 8 bytes.
#[derive(Debug, Clone, Copy)]
struct MarkSpan {
    start: u32,
    len: u16,
    kind: Kind,
}
const _: () = assert!(std::mem::size_of::<MarkSpan>() == 8);

impl Marks {
    /// The marks of `prep` (`None` if a number does not fit its field).
    pub fn of(prep: &Prepared) -> Option<Marks> {
        let furniture = prep
            .furniture
            .iter()
            .map(|r| match *r {
                Some(NO_RULE) => None,
                Some(r) => Some(r),
                None => Some(NO_RULE),
            })
            .collect::<Option<_>>()?;
        let mut spans = Vec::with_capacity(prep.spans.iter().map(Vec::len).sum());
        let mut counts = Vec::with_capacity(prep.spans.len());
        for para in &prep.spans {
            for s in para {
                spans.push(MarkSpan {
                    start: s.start.try_into().ok()?,
                    len: (s.end - s.start).try_into().ok()?,
                    kind: s.kind,
                });
            }
            counts.push(para.len().try_into().ok()?);
        }
        Some(Marks {
            furniture,
            spans: spans.into(),
            counts: counts.into(),
        })
    }

    /// The furniture rule of each line.
    fn furniture(&self) -> Vec<Option<RuleId>> {
        self.furniture
            .iter()
            .map(|&r| (r != NO_RULE).then_some(r))
            .collect()
    }

    /// The spans of each of `paragraphs` paragraphs (`None` if they are not that many).
    fn spans(&self, paragraphs: usize) -> Option<Vec<Vec<Span>>> {
        if paragraphs != self.counts.len() {
            return None;
        }
        let mut rest = &self.spans[..];
        let out = self
            .counts
            .iter()
            .map(|&n| {
                let (para, after) = rest.split_at(usize::from(n).min(rest.len()));
                rest = after;
                para.iter()
                    .map(|s| Span {
                        start: s.start as usize,
                        end: s.start as usize + usize::from(s.len),
                        kind: s.kind,
                    })
                    .collect()
            })
            .collect();
        Some(out)
    }

    /// Bytes it holds: what keeping it for the write phase costs.
    pub fn heap_bytes(&self) -> u64 {
        Marks::bytes(self.furniture.len(), self.spans.len(), self.counts.len())
    }

    /// [`Marks::heap_bytes`] of the marks of `lines` lines and `paragraphs` paragraphs
    /// holding `spans` spans, known before they are made.
    fn bytes(lines: usize, spans: usize, paragraphs: usize) -> u64 {
        use std::mem::size_of;
        (size_of::<Marks>()
            + size_of::<RuleId>() * lines
            + size_of::<MarkSpan>() * spans
            + size_of::<u16>() * paragraphs) as u64
    }
}

/// What the analyze phase keeps of a file's text stages for the write phase.
#[derive(Debug, Clone)]
pub enum Kept {
    /// All of them: the write phase need not read the file again.
    Prepared(Box<Prepared>),
    /// The furniture and masks: the write phase reads the file and builds its lines
    /// and structure again.
    Marks(Box<Marks>),
}

/// Stages timed inside the per-file work. `text_stages` is [`prepare`] (lines,
/// furniture, structure and mask detection); `placeholders` is slotting the masks and
/// width folding for the fingerprint.
const STAGES: [&str; 7] = [
    "read",
    "decode",
    "text_stages",
    "placeholders",
    "segment",
    "fingerprint",
    "minhash",
];

/// What the run returns to the caller.
#[derive(Debug)]
pub struct Outcome {
    pub summary: Summary,
    /// Files that failed (the exit status is 1 when this or `decode_errors` is non-zero).
    pub failed: usize,
    /// Staging folders left in OUT by interrupted runs, removed by this one.
    pub cleared: Vec<std::path::PathBuf>,
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
    /// Band keys of the searched paragraphs, `bands` per paragraph, in paragraph order.
    pub band_keys: FileKeys,
    /// Key tokens of the searched paragraphs, one after another.
    pub tokens: FileTokens,
    stage_ns: [u64; STAGES.len()],
    /// The file's text stages, or their furniture and masks, kept for the write phase
    /// while the run's budgets for them last (see [`Engine::keep_prepared`]);
    /// otherwise it reads and prepares the file again.
    kept: Option<Kept>,
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

/// Bytes of key tokens a local run keeps in memory before it spills files' tokens to
/// disk. A 30 MB corpus has about 17 MB of them, which then never touch the disk (read
/// back one paragraph per system call, they cost 4.5 % of such a run); a 1 GB corpus
/// has about 0.76 GB, and keeps 4 % of them in memory.
pub const TOKEN_MEMORY_BUDGET: u64 = 32 << 20;

/// Bytes of band keys a local run keeps in memory (256 bytes per searched paragraph
/// with 32 bands): all of a 30 MB corpus's 17 MB; at 1 GB, 0.53 GB would be a third of
/// the run's peak, so once the budget is spent they go to disk, and the candidate
/// search reads them back a few bands at a time.
pub const KEY_MEMORY_BUDGET: u64 = 64 << 20;

/// A temporary file that holds the run's key tokens and band keys between the
/// analyze and group phases (removed when dropped). Files append theirs at once and
/// read them back by position, from any thread. The first files to arrive keep theirs
/// in memory up to a budget for each: which files those are depends on thread timing,
/// but what is read back does not.
pub struct Spill {
    file: std::fs::File,
    /// Bytes written or reserved so far.
    len: AtomicU64,
    /// Bytes of tokens that may still stay in memory.
    token_budget: AtomicU64,
    /// Bytes of band keys that may still stay in memory.
    key_budget: AtomicU64,
    /// Some file's band keys went to disk.
    keys_spilled: AtomicBool,
}

impl Spill {
    /// A spill file in `dir` (unlinked at once where the system allows) that lets
    /// `token_budget` bytes of key tokens and `key_budget` bytes of band keys stay in
    /// memory.
    pub fn new(dir: &Path, token_budget: u64, key_budget: u64) -> Result<Spill> {
        let file = tempfile::tempfile_in(dir).map_err(|e| Error::io(dir, e))?;
        Ok(Spill {
            file,
            len: AtomicU64::new(0),
            token_budget: AtomicU64::new(token_budget),
            key_budget: AtomicU64::new(key_budget),
            keys_spilled: AtomicBool::new(false),
        })
    }

    /// Room for `size` bytes; returns its offset.
    fn reserve(&self, size: u64) -> u64 {
        self.len.fetch_add(size, Ordering::Relaxed)
    }

    /// Append `bytes`; returns their offset.
    fn append(&self, bytes: &[u8]) -> std::io::Result<u64> {
        let at = self.reserve(bytes.len() as u64);
        write_at(&self.file, bytes, at)?;
        Ok(at)
    }

    /// Move `f`'s key tokens and band keys from memory into the spill file, each
    /// unless it fits in what is left of its memory budget.
    pub fn spill(&self, f: &mut FileFacts) -> std::io::Result<()> {
        if let FileTokens::Memory(v) = &f.tokens {
            if !take_budget(&self.token_budget, v.len() as u64 * 4) {
                f.tokens = FileTokens::Spilled(self.append(&le_bytes(v, u32::to_le_bytes))?);
            }
        }
        if let FileKeys::Memory(v) = &f.band_keys {
            if !take_budget(&self.key_budget, v.len() as u64 * 8) {
                f.band_keys = FileKeys::Spilled(self.append(&le_bytes(v, u64::to_le_bytes))?);
                self.keys_spilled.store(true, Ordering::Relaxed);
            }
        }
        Ok(())
    }

    /// Append to `out` the `n` values stored little-endian at byte offset `at`.
    fn read_le<T, const N: usize>(
        &self,
        (at, n): (u64, usize),
        from: fn([u8; N]) -> T,
        out: &mut Vec<T>,
        bytes: &mut Vec<u8>,
    ) -> std::io::Result<()> {
        bytes.resize(n * N, 0);
        read_at(&self.file, bytes, at)?;
        out.extend(
            bytes
                .chunks_exact(N)
                .map(|c| from(c.try_into().expect("chunks of N bytes"))),
        );
        Ok(())
    }

    /// Read paragraph `p`'s tokens of file `f` into `out`.
    pub fn read(
        &self,
        f: &FileFacts,
        p: &ParaFacts,
        out: &mut Vec<u32>,
        bytes: &mut Vec<u8>,
    ) -> std::io::Result<()> {
        out.clear();
        match &f.tokens {
            FileTokens::Memory(_) => out.extend_from_slice(f.para_tokens(p).expect("in memory")),
            FileTokens::Spilled(at) => {
                let at = at + p.tokens[0] as u64 * 4;
                self.read_le((at, p.tokens[1] as usize), u32::from_le_bytes, out, bytes)?;
            }
        }
        Ok(())
    }
}

/// `v` as the spill file holds it: little-endian, one value after another.
fn le_bytes<T: std::marker::Copy, const N: usize>(v: &[T], to: fn(T) -> [u8; N]) -> Vec<u8> {
    // Sized up front: collecting a flat_map grows the vector as it goes, at half the
    // speed for u32 (2.0 against 1.1 ms a million, best of 9).
    let mut out = Vec::with_capacity(v.len() * N);
    for &x in v {
        out.extend_from_slice(&to(x));
    }
    out
}

#[cfg(unix)]
fn write_at(f: &std::fs::File, bytes: &[u8], pos: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(f, bytes, pos)
}

#[cfg(unix)]
fn read_at(f: &std::fs::File, bytes: &mut [u8], pos: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(f, bytes, pos)
}

#[cfg(windows)]
fn write_at(f: &std::fs::File, mut bytes: &[u8], mut pos: u64) -> std::io::Result<()> {
    while !bytes.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_write(f, bytes, pos)?;
        bytes = &bytes[n..];
        pos += n as u64;
    }
    Ok(())
}

#[cfg(windows)]
fn read_at(f: &std::fs::File, mut bytes: &mut [u8], mut pos: u64) -> std::io::Result<()> {
    while !bytes.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_read(f, bytes, pos)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        bytes = &mut bytes[n..];
        pos += n as u64;
    }
    Ok(())
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

    /// The file's band keys, if they are in memory.
    pub fn band_keys_in_memory(&self) -> Option<&[u64]> {
        match &self.band_keys {
            FileKeys::Memory(v) => Some(v),
            FileKeys::Spilled(_) => None,
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
                .filter(|p| p.key.key_chars as usize >= min_chars)
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
    /// The file, failed for `reason`.
    fn skipped(&self, reason: String) -> Skipped {
        Skipped {
            file: self.rel_path.to_string(),
            reason,
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
    Done(Box<FileFacts>),
    /// Passed over (binary).
    Skipped(Skipped),
    /// Could not be read.
    Failed(Skipped),
}

/// Everything the per-file and group work needs, built once per process from a
/// [`Config`]: the local run and every worker of a distributed one build the same.
pub struct Engine {
    cfg: Config,
    boiler: Boilerplate,
    /// jieba, when the shingles or the folding need words; loaded on first use (see
    /// [`Engine::new_deferred`]).
    /// The options need jieba's words ([`crate::segment::shared`]).
    seg: bool,
    hasher: MinHasher,
    bands: usize,
    rows: usize,
    /// Fingerprints by xxh3-128 of the normalised paragraph text, so a paragraph that
    /// recurs verbatim in the corpus (the same speech posted again and again) is
    /// segmented and hashed once (`None`: off, in tests).
    memo: Option<Memo<Fingerprinted>>,
    /// jieba's words of the clauses seen so far, so an edited copy of a paragraph is
    /// segmented only where it differs (`None`: off, in tests).
    word_memo: Option<WordMemo>,
    /// Bytes of [`Prepared`] files the analyze phase may still keep for the write phase.
    keep_left: AtomicU64,
    /// Bytes of [`Marks`] of other files it may still keep.
    marks_left: AtomicU64,
}

/// Memory for files' text stages kept from the analyze phase for the write phase, so
/// a small or middling corpus is not read and prepared twice (`--spill-budget` sets it
/// too; `0` keeps none). Whatever is kept, the outputs are the same.
pub const PREPARED_MEMORY_BUDGET: u64 = 128 << 20;

/// Memory for the [`Marks`] of files whose text stages are not kept whole (8 bytes a
/// mask, 2 a line and a paragraph: the 1 GB benchmark corpus, 8 million masks, needs
/// about 100 MiB). `--spill-budget` sets it too.
pub const MARKS_MEMORY_BUDGET: u64 = 256 << 20;

/// What fingerprinting a normalised paragraph gives: its key facts, and when it is
/// searched its key tokens and band keys.
struct Fingerprinted {
    key: KeyFacts,
    tokens: Box<[u32]>,
    band_keys: Box<[u64]>,
}

/// Shards of the paragraph memo and of the word memo.
const MEMO_SHARDS: usize = 16;
/// Memory of the paragraph memo (about 600 bytes a searched paragraph).
const MEMO_BYTES: usize = 48 << 20;
/// Memory of the word memo (about 80 bytes a clause).
const WORD_MEMO_BYTES: usize = 32 << 20;

/// A file read, decoded and prepared, waiting for jieba.
struct ReadFile {
    /// The read and its decoding (the text itself dropped: `prep` holds it as lines).
    read: ReadBytes,
    prep: Prepared,
    stage_ns: [u64; STAGES.len()],
}

/// Per-thread scratch buffers.
#[derive(Default)]
pub struct Scratch {
    fp: fingerprint::Scratch,
    norm: String,
    shingles: Vec<u32>,
    sig: Vec<u32>,
}

fn ns(t: Instant) -> u64 {
    t.elapsed().as_nanos() as u64
}

/// A file read and decoded, with the xxh3 and length of its bytes.
struct ReadBytes {
    hash: u64,
    len: u64,
    dec: Decoded,
}

fn read_decode(
    src: &Source,
    forced: Option<&'static encoding_rs::Encoding>,
    stage_ns: &mut [u64],
) -> std::result::Result<ReadBytes, Analyzed> {
    let (bytes, read_ns) = prefetch::read_timed(&src.path);
    stage_ns[0] += read_ns;
    decode_read(src, bytes, forced, stage_ns)
}

/// [`read_decode`] once the file is read (here or ahead, see [`prefetch`]).
fn decode_read(
    src: &Source,
    bytes: std::io::Result<Vec<u8>>,
    forced: Option<&'static encoding_rs::Encoding>,
    stage_ns: &mut [u64],
) -> std::result::Result<ReadBytes, Analyzed> {
    let bytes = bytes.map_err(|e| {
        Analyzed::Failed(Skipped {
            file: src.rel_path.clone(),
            reason: e.to_string(),
        })
    })?;
    let t = Instant::now();
    let (hash, len) = (xxh3_64(&bytes), bytes.len() as u64);
    let dec = decode::decode_owned(bytes, forced).map_err(|NotText::Binary| {
        Analyzed::Skipped(Skipped {
            file: src.rel_path.clone(),
            reason: "binary".into(),
        })
    })?;
    stage_ns[1] += ns(t);
    Ok(ReadBytes { hash, len, dec })
}

impl Engine {
    /// Check `cfg` and build the shared context (boilerplate rules, jieba, hashers).
    pub fn new(cfg: &Config) -> Result<Engine> {
        let engine = Engine::new_deferred(cfg)?;
        engine.segmenter();
        Ok(engine)
    }

    /// [`Engine::new`] without loading jieba's dictionary (about 0.2 s), so the caller
    /// can load it ([`Engine::segmenter`]) while other work goes on; whatever needs it
    /// first waits for it.
    pub fn new_deferred(cfg: &Config) -> Result<Engine> {
        let (bands, rows) = cfg.validate()?;
        let boiler = match &cfg.boilerplate_rules {
            Some(p) => Boilerplate::with_user_rules(p)?,
            None => Boilerplate::builtin(),
        };
        let seg = matches!(cfg.shingle, ShingleKind::Word(_)) || cfg.fold == Fold::Entities;
        Ok(Engine {
            cfg: cfg.clone(),
            boiler,
            seg,
            hasher: MinHasher::new(cfg.num_perm, cfg.seed),
            bands,
            rows,
            memo: Some(Memo::new(MEMO_SHARDS, MEMO_BYTES)),
            word_memo: Some(WordMemo::new(MEMO_SHARDS, WORD_MEMO_BYTES)),
            keep_left: AtomicU64::new(0),
            marks_left: AtomicU64::new(0),
        })
    }

    /// Forget the paragraphs and clauses seen so far (their memory is wanted
    /// elsewhere).
    pub fn clear_memo(&self) {
        if let Some(m) = &self.memo {
            m.clear();
        }
        if let Some(m) = &self.word_memo {
            m.clear();
        }
    }

    /// Let the analyze phase keep up to `bytes` of prepared files in their facts for
    /// the write phase ([`Engine::write_prepared`]), and up to `marks` bytes of the
    /// [`Marks`] of the others; none by default.
    pub fn keep_prepared(&self, bytes: u64, marks: u64) {
        self.keep_left.store(bytes, Ordering::Relaxed);
        self.marks_left.store(marks, Ordering::Relaxed);
    }

    /// jieba, loaded now if it was not yet (`None` when the options need no words).
    pub fn segmenter(&self) -> Option<&Segmenter> {
        self.seg.then(crate::segment::shared)
    }

    /// Is jieba loaded, or not needed?
    fn segmenter_ready(&self) -> bool {
        !self.seg || crate::segment::shared_ready()
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// LSH bands × rows in force.
    pub fn bands_rows(&self) -> (usize, usize) {
        (self.bands, self.rows)
    }

    pub fn boilerplate(&self) -> &Boilerplate {
        &self.boiler
    }

    /// The MinHash signature of a sorted shingle set (for callers that keep signatures).
    pub fn signature(&self, shingles: &[u32], sig: &mut Vec<u32>) {
        sig.resize(self.hasher.num_perm(), 0);
        self.hasher.signature_into(shingles, sig);
    }

    /// Read, decode and prepare one file, and fingerprint its paragraphs.
    pub fn analyze(&self, src: &Source, sc: &mut Scratch) -> Analyzed {
        self.finish_analysis(src, self.read_prepare(src), sc)
    }

    /// [`Engine::analyze`] after [`Engine::read_prepare`].
    fn finish_analysis(
        &self,
        src: &Source,
        read: std::result::Result<ReadFile, Analyzed>,
        sc: &mut Scratch,
    ) -> Analyzed {
        match read {
            Ok(r) => self.fingerprint_file(src, r, sc),
            Err(a) => a,
        }
    }

    /// The part of [`Engine::analyze`] that needs no jieba: read, decode, prepare.
    fn read_prepare(&self, src: &Source) -> std::result::Result<ReadFile, Analyzed> {
        let (bytes, read_ns) = prefetch::read_timed(&src.path);
        self.prepare_read(src, bytes, read_ns)
    }

    /// [`Engine::read_prepare`] of a file already read (`read_ns`: what that took).
    fn prepare_read(
        &self,
        src: &Source,
        bytes: std::io::Result<Vec<u8>>,
        read_ns: u64,
    ) -> std::result::Result<ReadFile, Analyzed> {
        let mut stage_ns = [0u64; STAGES.len()];
        stage_ns[0] = read_ns;
        let _big = release::Big::new(bytes.as_ref().map_or(0, |b| b.len() as u64));
        let mut read = decode_read(src, bytes, self.cfg.encoding, &mut stage_ns)?;
        let t = Instant::now();
        let lines = split_lines(&std::mem::take(&mut read.dec.text));
        let prep = prepare_lines(lines, &self.boiler, self.cfg.keep_boilerplate);
        stage_ns[2] += ns(t);
        Ok(ReadFile {
            read,
            prep,
            stage_ns,
        })
    }

    /// What of `prep` to keep for the write phase, within the budgets left. Marks are
    /// made only once their budget has room for them.
    fn keep(&self, prep: Prepared) -> Option<Kept> {
        let prep = prep.for_writing();
        if take_budget(&self.keep_left, prep.heap_bytes()) {
            return Some(Kept::Prepared(Box::new(prep)));
        }
        let spans = prep.spans.iter().map(Vec::len).sum();
        let size = Marks::bytes(prep.furniture.len(), spans, prep.paras.len());
        if !take_budget(&self.marks_left, size) {
            return None;
        }
        let marks = Marks::of(&prep);
        if marks.is_none() {
            self.marks_left.fetch_add(size, Ordering::Relaxed);
        }
        marks.map(|m| Kept::Marks(Box::new(m)))
    }

    /// The rest of [`Engine::analyze`]: segment, fingerprint and hash the paragraphs.
    fn fingerprint_file(&self, src: &Source, r: ReadFile, sc: &mut Scratch) -> Analyzed {
        let ReadFile {
            read: r,
            mut stage_ns,
            prep,
        } = r;
        let _big = release::Big::new(r.len);
        let dec = &r.dec;
        let Prepared {
            lines,
            docs,
            paras,
            spans: para_spans,
            ..
        } = &prep;

        let mut para_doc = vec![0u32; paras.len()];
        for (d, doc) in docs.iter().enumerate() {
            for p in doc.paras.clone() {
                para_doc[p] = d as u32;
            }
        }
        let part_cols = parts::cols(paras, lines);
        let k = self.hasher.num_perm();
        sc.sig.resize(k, 0);
        let mut facts = Vec::with_capacity(paras.len());
        let mut band_keys = Vec::new();
        let mut file_tokens: Vec<u32> = Vec::new();
        for (pi, p) in paras.iter().enumerate() {
            let t = Instant::now();
            let spans = &para_spans[pi];
            let seen = if self.cfg.fold == Fold::None || spans.is_empty() {
                // Nothing to slot (or no slotting): the text as it is.
                fingerprint::normalize_into(&p.text, &mut sc.norm)
            } else {
                let slotted = placeholders::slotted(&p.text, spans);
                fingerprint::normalize_into(&slotted, &mut sc.norm)
            };
            let script = seen.script();
            stage_ns[3] += ns(t);
            let text_hash = xxh3_128(sc.norm.as_bytes());
            let (tokens_at, keys_at) = (file_tokens.len(), band_keys.len());
            if let Some(key) = self.memo.as_ref().and_then(|m| {
                m.get(text_hash, |f| {
                    file_tokens.extend_from_slice(&f.tokens);
                    band_keys.extend_from_slice(&f.band_keys);
                    f.key
                })
            }) {
                facts.push(ParaFacts {
                    doc: para_doc[pi],
                    lines: [lines[p.first].no, lines[p.last].no],
                    cols: part_cols[pi],
                    masks: spans.len() as u32,
                    key,
                    script,
                    tokens: [tokens_at as u32, (file_tokens.len() - tokens_at) as u32],
                });
                continue;
            }
            let t = Instant::now();
            let mut words: Vec<(&str, &str)> = Vec::new();
            match self.segmenter() {
                Some(seg) => seg.classed(
                    &sc.norm,
                    self.cfg.fold == Fold::Entities,
                    self.word_memo.as_ref(),
                    &mut words,
                ),
                None => words.push((sc.norm.as_str(), "")),
            }
            stage_ns[4] += ns(t);
            let t = Instant::now();
            let key = fingerprint::key_tokens(
                &words,
                self.cfg.fold,
                matches!(self.cfg.shingle, ShingleKind::Char(_)),
                &mut sc.fp,
            );
            stage_ns[5] += ns(t);
            let mut tokens = [file_tokens.len() as u32, 0];
            if key.key_chars as usize >= self.cfg.min_chars {
                // Only a searched paragraph needs shingles, and MinHash no sorted set.
                let t = Instant::now();
                let n = self.cfg.shingle.size();
                fingerprint::shingle_hashes(&sc.fp.tokens, n, &mut sc.shingles);
                stage_ns[5] += ns(t);
                let t = Instant::now();
                self.hasher.signature_into(&sc.shingles, &mut sc.sig);
                for b in 0..self.bands {
                    band_keys.push(lsh::band_key(
                        &sc.sig[b * self.rows..(b + 1) * self.rows],
                        b,
                    ));
                }
                file_tokens.extend_from_slice(&sc.fp.tokens);
                tokens[1] = sc.fp.tokens.len() as u32;
                stage_ns[6] += ns(t);
            }
            if let Some(m) = &self.memo {
                let (tokens, band_keys) = (&file_tokens[tokens_at..], &band_keys[keys_at..]);
                m.put(
                    text_hash,
                    Fingerprinted {
                        key,
                        tokens: tokens.into(),
                        band_keys: band_keys.into(),
                    },
                    64 + 4 * tokens.len() + 8 * band_keys.len(),
                );
            }
            facts.push(ParaFacts {
                doc: para_doc[pi],
                lines: [lines[p.first].no, lines[p.last].no],
                cols: part_cols[pi],
                masks: spans.len() as u32,
                key,
                script,
                tokens,
            });
        }
        // Pushed one at a time, the vectors may hold up to twice their length.
        band_keys.shrink_to_fit();
        file_tokens.shrink_to_fit();
        Analyzed::Done(Box::new(FileFacts {
            rel_path: src.rel_path.clone(),
            hash: r.hash,
            bytes: r.len,
            encoding: dec.encoding,
            decode_issue: (dec.bad_bytes > 0).then(|| DecodeIssue {
                file: src.rel_path.clone(),
                encoding: dec.encoding.to_string(),
                bad_bytes: dec.bad_bytes,
                first_bad_line: dec.first_bad_line,
            }),
            n_lines: lines.len(),
            docs: docs
                .iter()
                .map(|d| {
                    let trad = d
                        .paras
                        .clone()
                        .filter(|&p| facts[p].script == script::Script::Traditional)
                        .count();
                    DocFacts {
                        lines: [lines[d.first].no, lines[d.last].no],
                        script: script::Script::of_counts(
                            trad as u32,
                            (d.paras.len() - trad) as u32,
                        ),
                    }
                })
                .collect(),
            paras: facts,
            band_keys: FileKeys::Memory(band_keys),
            tokens: FileTokens::Memory(file_tokens),
            stage_ns,
            kept: self.keep(prep),
        }))
    }
}

/// Decisions of the group phase, indexed by global paragraph / document id.
struct Decisions {
    /// Cluster that removes each paragraph (paragraph level), if any.
    para_removed: Vec<Option<u32>>,
    /// Cluster that removes each document, if any.
    doc_removed: Vec<Option<u32>>,
    records: Vec<ClusterRecord>,
    candidate_pairs: usize,
    candidate_pairs_skipped: usize,
    verified_pairs: usize,
}

fn progress_bar(cfg: &Config, len: usize, msg: &'static str) -> ProgressBar {
    if !cfg.progress || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template(
            "{msg:>9} [{bar:40}] {pos}/{len} files {elapsed_precise} eta {eta}",
        )
        .expect("progress template")
        .progress_chars("=> "),
    );
    pb.set_message(msg);
    pb
}

/// Run `zhclean clean` with `cfg`.
pub fn run(cfg: &Config) -> Result<Outcome> {
    let engine = Engine::new_deferred(cfg)?;
    let excludes = walk::exclude_set(&cfg.excludes)?;
    let staging = Staging::create(&cfg.input, &cfg.out, cfg.force)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.jobs)
        .build()
        .map_err(|e| Error::Config(format!("cannot start {} threads: {e}", cfg.jobs)))?;
    let threads = pool.current_num_threads();
    let mut outcome = pool.install(|| run_in_pool(&engine, &excludes, &staging, threads))?;
    outcome.cleared = staging.cleared().to_vec();
    staging.commit()?;
    Ok(outcome)
}

fn run_in_pool(
    engine: &Engine,
    excludes: &globset::GlobSet,
    staging: &Staging,
    threads: usize,
) -> Result<Outcome> {
    let cfg = engine.config();
    let spill = Spill::new(
        staging.dir(),
        cfg.spill_budget.unwrap_or(TOKEN_MEMORY_BUDGET),
        cfg.spill_budget.unwrap_or(KEY_MEMORY_BUDGET),
    )?;
    let t_all = Instant::now();
    let mut phase = BTreeMap::new();

    // walk
    let t = Instant::now();
    let w = walk::walk(&cfg.input, &cfg.exts, excludes);
    phase.insert("1_walk".to_string(), t.elapsed().as_secs_f64());
    let mut totals = Totals::new(w.skipped, w.failed, w.other_files);

    // analyze. Reader threads read the files ahead of the workers (see `prefetch`).
    // jieba's dictionary loads on one thread while another prepares the first files to
    // arrive (with one thread, it loads first); they then finish like the rest. Which
    // files go ahead, and the order files are analysed in, depend on timing; the
    // results are put back in file order, and what comes out does not depend on it.
    let t = Instant::now();
    engine.keep_prepared(
        cfg.spill_budget.unwrap_or(PREPARED_MEMORY_BUDGET),
        cfg.spill_budget.unwrap_or(MARKS_MEMORY_BUDGET),
    );
    let pb = progress_bar(cfg, w.sources.len(), "analyze");
    let prepare_read = |r: prefetch::Read| {
        let src = &w.sources[r.index];
        (r.index, engine.prepare_read(src, r.bytes, r.read_ns))
    };
    let finish = |sc: &mut Scratch, (i, read)| {
        let src = &w.sources[i];
        let mut a = engine.finish_analysis(src, read, sc);
        if let Analyzed::Done(f) = &mut a {
            if let Err(e) = spill.spill(f) {
                a = Analyzed::Failed(Skipped {
                    file: src.rel_path.clone(),
                    reason: format!("cannot write the temporary spill file: {e}"),
                });
            }
        }
        pb.inc(1);
        (i, a)
    };
    let paths: Vec<&Path> = w.sources.iter().map(|s| s.path.as_path()).collect();
    let mut analyzed: Vec<(usize, Analyzed)> =
        prefetch::read_ahead(&paths, prefetch::DEFAULT, |rx| {
            let (_, (ahead, rx)) = rayon::join(
                || engine.segmenter(),
                move || {
                    let mut ahead = Vec::new();
                    while !engine.segmenter_ready() {
                        match rx.recv() {
                            Ok(reads) => ahead.extend(reads.into_iter().map(prepare_read)),
                            Err(_) => break,
                        }
                    }
                    (ahead, rx)
                },
            );
            let mut analyzed: Vec<(usize, Analyzed)> = ahead
                .into_par_iter()
                .map_init(Scratch::default, finish)
                .collect();
            analyzed.par_extend(
                rx.into_iter()
                    .par_bridge()
                    .map_init(Scratch::default, |sc, reads| {
                        reads
                            .into_iter()
                            .map(|r| finish(sc, prepare_read(r)))
                            .collect::<Vec<_>>()
                    })
                    .flatten_iter(),
            );
            analyzed
        });
    analyzed.sort_unstable_by_key(|&(i, _)| i);
    let analyzed: Vec<Analyzed> = analyzed.into_iter().map(|(_, a)| a).collect();
    pb.finish_and_clear();
    engine.clear_memo();
    // The write phase finds files again by their facts' relative paths.
    drop(w.sources);
    let mut files: Vec<FileFacts> = Vec::with_capacity(analyzed.len());
    let mut stage_ns = [0u64; STAGES.len()];
    for a in analyzed {
        match a {
            Analyzed::Done(f) => {
                for (s, v) in stage_ns.iter_mut().zip(f.stage_ns) {
                    *s += v;
                }
                files.push(*f);
            }
            Analyzed::Skipped(s) => totals.skipped(s),
            Analyzed::Failed(s) => totals.failed(s),
        }
    }
    phase.insert("2_analyze".to_string(), t.elapsed().as_secs_f64());

    // group
    let t = Instant::now();
    // Each file's band keys move out of its facts (the vectors themselves, no copy),
    // so the group phase can drop them once it has the candidates: they are a quarter
    // of the memory of a run.
    let keys: Vec<FileKeys> = files
        .iter_mut()
        .map(|f| std::mem::replace(&mut f.band_keys, FileKeys::Memory(Vec::new())))
        .collect();
    let mut dec = group(engine, &files, keys, &spill, staging.dir())?;
    phase.insert("3_group".to_string(), t.elapsed().as_secs_f64());

    // write
    let t = Instant::now();
    let pb = progress_bar(cfg, files.len(), "write");
    let mut para_base = Vec::with_capacity(files.len());
    let mut doc_base = Vec::with_capacity(files.len());
    let (mut pn, mut dn) = (0usize, 0usize);
    for f in &files {
        para_base.push(pn);
        doc_base.push(dn);
        pn += f.paras.len();
        dn += f.docs.len();
    }
    // Files are written in parallel chunks whose report lines a writer thread appends
    // in file order while the next chunk is written, so report lines never pile up in
    // memory for the whole corpus and the workers do not wait for the appends. The
    // writer streams the cluster records out (and drops them) first: at 1 GB they and
    // their JSON were the largest things in memory at the end of the group phase.
    let group_counts = dec.counts();
    let records = std::mem::take(&mut dec.records);
    let mut clusters = staging.report_writer("clusters.jsonl")?;
    let mut removed = staging.report_writer("removed.jsonl")?;
    let mut places = staging.report_writer("placeholders.jsonl")?;
    let clean_root = staging.clean_root();
    const WRITE_CHUNK: usize = 256;
    // Two chunks of report lines at most wait for the writer.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<FileOutput>>(2);
    std::thread::scope(|scope| -> Result<()> {
        let writer = scope.spawn(move || -> Result<()> {
            let mut line = Vec::new();
            for r in records {
                line.clear();
                push_jsonl(&mut line, &r);
                clusters.append(&line)?;
            }
            clusters.finish()?;
            for outs in rx {
                for o in outs {
                    removed.append(&o.removed)?;
                    places.append(&o.placeholders)?;
                }
            }
            removed.finish()?;
            places.finish()
        });
        for (ci, chunk) in files.chunks_mut(WRITE_CHUNK).enumerate() {
            let written: Vec<std::result::Result<FileOutput, Skipped>> = chunk
                .par_iter_mut()
                .enumerate()
                .map(|(k, f)| {
                    let i = ci * WRITE_CHUNK + k;
                    let (p0, d0) = (para_base[i], doc_base[i]);
                    let paras = &dec.para_removed[p0..p0 + f.paras.len()];
                    let docs = &dec.doc_removed[d0..d0 + f.docs.len()];
                    let r = match f.kept.take() {
                        Some(Kept::Prepared(prep)) => {
                            engine.write_prepared(&clean_root, f.file_ref(), &prep, paras, docs)
                        }
                        Some(Kept::Marks(m)) => {
                            engine.write_again(&clean_root, f.file_ref(), Some(&m), paras, docs)
                        }
                        None => engine.write_file(&clean_root, f.file_ref(), paras, docs),
                    };
                    pb.inc(1);
                    r
                })
                .collect();
            let mut outs = Vec::with_capacity(written.len());
            for (f, out) in chunk.iter().zip(written) {
                match out {
                    Ok(o) => {
                        totals.file(&f.summary(cfg.min_chars), &o.counts);
                        outs.push(o);
                    }
                    Err(s) => totals.failed(s),
                }
            }
            if tx.send(outs).is_err() {
                break; // the writer failed; it says why below
            }
        }
        drop(tx);
        writer
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })?;
    pb.finish_and_clear();
    phase.insert("4_write".to_string(), t.elapsed().as_secs_f64());

    let run = RunInfo {
        threads,
        wall_seconds: t_all.elapsed().as_secs_f64(),
        phase_seconds: phase,
        stage_cpu_seconds: STAGES
            .iter()
            .zip(stage_ns)
            .map(|(s, v)| (s.to_string(), Duration::from_nanos(v).as_secs_f64()))
            .collect(),
    };
    let summary = totals.finish(engine, &group_counts, run);
    staging.write_report("summary.json", &summary_json(&summary))?;
    let failed = summary.failed.len() + summary.decode_errors.len();
    Ok(Outcome {
        summary,
        failed,
        cleared: Vec::new(),
    })
}

/// `summary.json` as written.
pub fn summary_json(summary: &Summary) -> Vec<u8> {
    let mut js = serde_json::to_vec_pretty(summary).expect("summary serialises");
    js.push(b'\n');
    js
}

/// Counts of the group phase that go into `summary.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GroupCounts {
    pub candidate_pairs: usize,
    /// Candidate pairs not verified: neither side was among the other's first
    /// [`lsh::MAX_PARTNERS`] partners (see [`lsh::cap_partners`]).
    #[serde(default)]
    pub candidate_pairs_skipped: usize,
    pub verified_pairs: usize,
    pub clusters: PerLevel,
}

impl Decisions {
    fn counts(&self) -> GroupCounts {
        let mut clusters = PerLevel::default();
        for r in &self.records {
            match r.level {
                "paragraph" => clusters.paragraph += 1,
                _ => clusters.document += 1,
            }
        }
        GroupCounts {
            candidate_pairs: self.candidate_pairs,
            candidate_pairs_skipped: self.candidate_pairs_skipped,
            verified_pairs: self.verified_pairs,
            clusters,
        }
    }
}

/// `summary.json` built up file by file, in file order; the local run and a
/// distributed one feed it the same facts.
pub struct Totals {
    summary: Summary,
}

impl Totals {
    /// Start from what the walk found.
    pub fn new(skipped: Vec<Skipped>, failed: Vec<Skipped>, other_files: usize) -> Totals {
        let mut summary = Summary {
            version: env!("CARGO_PKG_VERSION"),
            skipped,
            failed,
            ..Default::default()
        };
        summary.counts.other_files = other_files;
        Totals { summary }
    }

    /// A file passed over (binary).
    pub fn skipped(&mut self, s: Skipped) {
        self.summary.skipped.push(s);
    }

    /// A file that could not be read or written.
    pub fn failed(&mut self, s: Skipped) {
        self.summary.failed.push(s);
    }

    /// A file that was analysed and written.
    pub fn file(&mut self, f: &FileSummary, o: &FileCounts) {
        let s = &mut self.summary;
        let c = &mut s.counts;
        c.files_written += o.wrote as usize;
        c.boilerplate_lines += o.boilerplate_lines;
        c.empty_lines += o.empty_lines;
        for &(k, n) in &o.kinds {
            *c.placeholders.entry(k.name()).or_default() += n;
        }
        for (rule, n) in &o.rules {
            *s.boilerplate_rules.entry(rule.clone()).or_default() += n;
        }
        c.removed_paragraphs.paragraph += o.removed_paragraphs.paragraph;
        c.removed_paragraphs.document += o.removed_paragraphs.document;
        c.removed_documents += o.removed_documents;
        c.files_processed += 1;
        c.bytes += f.bytes;
        c.lines += f.lines;
        c.documents += f.documents;
        c.paragraphs += f.paragraphs;
        c.paragraphs_searched += f.paragraphs_searched;
        *s.encodings.entry(f.encoding.clone()).or_default() += 1;
        if let Some(d) = &f.decode_issue {
            s.decode_errors.push(d.clone());
        }
    }

    /// The finished summary.
    pub fn finish(self, engine: &Engine, g: &GroupCounts, run: RunInfo) -> Summary {
        let cfg = engine.config();
        let (bands, rows) = engine.bands_rows();
        let mut summary = self.summary;
        let c = &mut summary.counts;
        for k in Kind::ALL {
            c.placeholders.entry(k.name()).or_default();
        }
        c.candidate_pairs = g.candidate_pairs;
        c.candidate_pairs_skipped = g.candidate_pairs_skipped;
        c.verified_pairs = g.verified_pairs;
        c.clusters = g.clusters.clone();
        summary.failed.sort();
        summary.skipped.sort();
        c.files_failed = summary.failed.len();
        c.files_skipped = summary.skipped.len();
        c.files = c.files_processed
            + c.files_failed
            + summary
                .skipped
                .iter()
                .filter(|s| s.reason == "binary")
                .count();
        summary.options = report::Options {
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
            script: cfg.script.map_or("keep", script::Script::name).to_string(),
            keep_boilerplate: cfg.keep_boilerplate,
            encoding: cfg.encoding.map(|e| e.name().to_string()),
            exts: cfg.exts.clone(),
            excludes: cfg.excludes.clone(),
        };
        summary.run = run;
        summary
    }
}

/// Shingle Jaccard below which a candidate pair is not aligned (see `verify::is_copy`).
const VERIFY_FLOOR: f64 = 0.25;

/// A verifier of candidate pairs that loads and shingles `a` once while pairs come
/// sorted by `a`, and keeps the `b` sides it loaded in a direct-mapped table: at 30 MB,
/// 102 k pairs touch only 53 k paragraphs, and a paragraph comes back as `b` or `a`
/// while it is still in the table about 40 % of the time.
#[derive(Default)]
pub struct PairVerifier {
    a: Loaded,
    recent: Vec<Loaded>,
}

/// A paragraph's key tokens and shingles.
struct Loaded {
    /// Paragraph id (`u32::MAX`: none).
    id: u32,
    tokens: Vec<u32>,
    shingles: Vec<u32>,
}

impl Default for Loaded {
    fn default() -> Self {
        Loaded {
            id: u32::MAX,
            tokens: Vec::new(),
            shingles: Vec::new(),
        }
    }
}

/// Entries of [`PairVerifier`]'s table of recent `b` sides.
const RECENT_SLOTS: usize = 1 << 14;

impl Loaded {
    /// Make this paragraph `id`, loading and shingling it unless it already is.
    fn set<E>(
        &mut self,
        id: u32,
        n: usize,
        load: &mut impl FnMut(u32, &mut Vec<u32>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        if self.id != id {
            self.id = u32::MAX;
            load(id, &mut self.tokens)?;
            fingerprint::shingles(&self.tokens, n, &mut self.shingles);
            self.id = id;
        }
        Ok(())
    }
}

impl PairVerifier {
    /// Is the candidate pair `(a, b)` a verified copy: shingle Jaccard, then the
    /// mask-aware alignment (see `verify::is_copy`). `load(id, out)` puts a
    /// paragraph's key tokens in `out`.
    pub fn check<E>(
        &mut self,
        cfg: &Config,
        (a, b): (u32, u32),
        mut load: impl FnMut(u32, &mut Vec<u32>) -> std::result::Result<(), E>,
    ) -> std::result::Result<bool, E> {
        let n = cfg.shingle.size();
        if self.recent.is_empty() {
            self.recent.resize_with(RECENT_SLOTS, Loaded::default);
        }
        if self.a.id != a {
            let seen = &self.recent[a as usize % RECENT_SLOTS];
            if seen.id == a {
                self.a.id = u32::MAX;
                self.a.tokens.clone_from(&seen.tokens);
                self.a.shingles.clone_from(&seen.shingles);
                self.a.id = a;
            }
        }
        self.a.set(a, n, &mut load)?;
        let b_side = &mut self.recent[b as usize % RECENT_SLOTS];
        b_side.set(b, n, &mut load)?;
        Ok(verify::is_copy(
            (&self.a.tokens, &b_side.tokens),
            (&self.a.shingles, &b_side.shingles),
            cfg.threshold,
            VERIFY_FLOOR,
        ))
    }
}

/// Lists of ids for the ids `0..n`, in one array.
struct Lists {
    /// Where each id's list starts in `items` (`n + 1` entries).
    start: Vec<u32>,
    items: Vec<u32>,
}

impl Lists {
    /// From `(id, item)` pairs sorted by id (each list keeps the pairs' order).
    fn from_sorted(n: usize, pairs: &[(u32, u32)]) -> Lists {
        let mut start = vec![0u32; n + 1];
        for &(k, _) in pairs {
            start[k as usize + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        Lists {
            start,
            items: pairs.iter().map(|&(_, v)| v).collect(),
        }
    }

    fn get(&self, id: u32) -> &[u32] {
        let i = id as usize;
        &self.items[self.start[i] as usize..self.start[i + 1] as usize]
    }
}

/// The components of more than one member, from `(root, member)` pairs: members in
/// ascending order, components in the order of their roots.
fn components(pairs: impl Iterator<Item = (u32, u32)>) -> Vec<Vec<u32>> {
    let mut pairs: Vec<(u32, u32)> = pairs.collect();
    pairs.sort_unstable();
    pairs
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|c| c.len() > 1)
        .map(|c| c.iter().map(|&(_, m)| m).collect())
        .collect()
}

/// The band keys of the group representatives, one column per band, in the order of
/// their ids.
enum BandColumns {
    Memory(Vec<Vec<u64>>),
    /// Band `b`'s column at byte offset `at + 8 · b · reps` of the spill file.
    Spilled {
        at: u64,
        reps: usize,
    },
}

/// Entries of each column written to the spill file at once.
const COLUMN_CHUNK: usize = 8192;

impl BandColumns {
    /// Band `b`'s column.
    fn band<'a>(
        &'a self,
        b: usize,
        spill: &Spill,
        bytes: &mut Vec<u8>,
    ) -> std::io::Result<std::borrow::Cow<'a, [u64]>> {
        match self {
            BandColumns::Memory(cols) => Ok(std::borrow::Cow::Borrowed(&cols[b])),
            BandColumns::Spilled { at, reps } => {
                let mut col = Vec::with_capacity(*reps);
                let at = at + (8 * b * reps) as u64;
                spill.read_le((at, *reps), u64::from_le_bytes, &mut col, bytes)?;
                Ok(std::borrow::Cow::Owned(col))
            }
        }
    }
}

/// Lay out the band keys of `reps` (ascending ids) one column per band: in memory when
/// every file kept its keys in memory, else in the spill file, a chunk of each column
/// at a time (`chunk` entries of each). `keys_of` gives each searched paragraph's file
/// and offset in its keys, `keys_len` each file's number of keys. Each file's keys are
/// dropped once read.
fn band_columns(
    reps: &[u32],
    keys_of: &[Option<(u32, u32)>],
    keys_len: &[u32],
    mut keys: Vec<FileKeys>,
    (bands, chunk): (usize, usize),
    spill: &Spill,
) -> std::io::Result<BandColumns> {
    let on_disk = spill.keys_spilled.load(Ordering::Relaxed);
    let n = reps.len();
    let mut cols: Vec<Vec<u64>> = (0..bands)
        .map(|_| Vec::with_capacity(if on_disk { chunk } else { n }))
        .collect();
    let at = if on_disk {
        spill.reserve((8 * n * bands) as u64)
    } else {
        0
    };
    let mut flushed = 0usize;
    let flush = |cols: &mut [Vec<u64>], flushed: &mut usize| -> std::io::Result<()> {
        for (b, col) in cols.iter_mut().enumerate() {
            let bytes = le_bytes(col, u64::to_le_bytes);
            write_at(&spill.file, &bytes, at + (8 * (b * n + *flushed)) as u64)?;
        }
        *flushed += cols[0].len();
        cols.iter_mut().for_each(Vec::clear);
        Ok(())
    };
    let (mut cur, mut file_keys, mut bytes) = (None, Vec::new(), Vec::new());
    for &i in reps {
        let (f, k) = keys_of[i as usize].expect("representatives are searched");
        if cur != Some(f) {
            file_keys = match std::mem::replace(&mut keys[f as usize], FileKeys::Memory(Vec::new()))
            {
                FileKeys::Memory(v) => v,
                FileKeys::Spilled(off) => {
                    let mut v = Vec::new();
                    let n_keys = keys_len[f as usize] as usize;
                    spill.read_le((off, n_keys), u64::from_le_bytes, &mut v, &mut bytes)?;
                    v
                }
            };
            cur = Some(f);
        }
        for (b, col) in cols.iter_mut().enumerate() {
            col.push(file_keys[k as usize + b]);
        }
        if on_disk && cols[0].len() == chunk {
            flush(&mut cols, &mut flushed)?;
        }
    }
    if !on_disk {
        return Ok(BandColumns::Memory(cols));
    }
    if cols.first().is_some_and(|c| !c.is_empty()) {
        flush(&mut cols, &mut flushed)?;
    }
    Ok(BandColumns::Spilled { at, reps: n })
}

/// What the paragraph split of one component reads about its members (global ids).
pub trait ParaView {
    /// The copy as the keep policy sees it.
    fn copy(&self, i: u32) -> Copy;
    /// Is the paragraph inside a document removed as a copy (it then ranks last)?
    fn in_removed_doc(&self, i: u32) -> bool;
    /// Representative (smallest id) of the paragraph's exact-key group.
    fn group(&self, i: u32) -> u32;
    /// Members of the exact group of representative `rep`, if it has more than one.
    fn group_members(&self, rep: u32) -> Option<&[u32]>;
    /// Representatives verified against representative `rep`.
    fn neighbours(&self, rep: u32) -> &[u32];
    /// Key tokens.
    fn tokens(&self, i: u32) -> &[u32];
}

/// Split one connected component of paragraphs into clusters around kept copies.
pub fn split_paragraph_component<V: ParaView>(cfg: &Config, v: &V, comp: &[u32]) -> Vec<Cluster> {
    let mut ranked = comp.to_vec();
    ranked.sort_by_key(|&i| (v.in_removed_doc(i), rank(cfg.keep, &v.copy(i))));
    // Near a paragraph: its exact group, and the exact groups of the representatives
    // verified against its own.
    let near = |a: u32, out: &mut Vec<u32>| {
        let g = v.group(a);
        let mut add = |rep: u32| match v.group_members(rep) {
            Some(ms) => out.extend_from_slice(ms),
            None => out.push(rep),
        };
        add(g);
        for &h in v.neighbours(g) {
            add(h);
        }
    };
    split_around_kept(&ranked, near, |a, b| {
        if v.group(a) == v.group(b) {
            return Some((1.0, false));
        }
        verify::copy_verdict(v.tokens(a), v.tokens(b), cfg.threshold)
            .map(|v| (v.similarity, v.containment))
    })
}

/// Split one connected component of documents (joined by coverage edges) into
/// clusters: the kept document covers the most remaining documents, ties broken by
/// the keep policy. `covers(e)` lists the documents `e` covers, with their coverage.
pub fn split_document_component<'a>(
    cfg: &Config,
    comp: &[u32],
    covers: impl Fn(u32) -> &'a [(u32, f64)],
    copy: impl Fn(u32) -> Copy,
) -> Vec<Cluster> {
    use std::cmp::Reverse;
    use std::collections::{BinaryHeap, HashSet};
    // Greedy: each round the document that covers the most of those left (ties: the
    // `--keep` rank, then the id) takes them. Counts only fall as documents go, so a
    // heap of stale counts is exact once the top's count is checked again (lazy
    // greedy): the work follows the cover edges, not rounds × documents × edges.
    let mut out = Vec::new();
    let mut alive: HashSet<u32> = comp.iter().copied().collect();
    let live =
        |k: u32, alive: &HashSet<u32>| covers(k).iter().filter(|(d, _)| alive.contains(d)).count();
    // (documents it covers among those left, then the best `--keep` rank and the
    // lowest id first)
    type Entry = (usize, Reverse<(u32, Reverse<u32>, u32)>, Reverse<u32>);
    let mut heap: BinaryHeap<Entry> = comp
        .iter()
        .map(|&k| {
            (
                live(k, &alive),
                Reverse(rank(cfg.keep, &copy(k))),
                Reverse(k),
            )
        })
        .collect();
    while let Some((n, r, Reverse(k))) = heap.pop() {
        if n == 0 {
            break;
        }
        if !alive.contains(&k) {
            continue;
        }
        let now = live(k, &alive);
        if now < n {
            heap.push((now, r, Reverse(k)));
            continue;
        }
        let mut members = vec![(k, 1.0, false)];
        for &(d, c) in covers(k) {
            if alive.contains(&d) {
                members.push((d, c, false));
            }
        }
        for (m, _, _) in &members {
            alive.remove(m);
        }
        out.push((k, members));
    }
    out
}

/// Paragraph facts of the whole run, by global id.
struct RunView<'a> {
    paras: &'a [(&'a ParaFacts, u32, u32)],
    group_of: &'a [u32],
    group_members: &'a BTreeMap<u32, Vec<u32>>,
    neighbours: &'a Lists,
    doc_is_removed: &'a [bool],
    /// Key tokens of the component being split (read back from the spill file).
    tokens: HashMap<u32, Vec<u32>>,
}

impl ParaView for RunView<'_> {
    fn copy(&self, i: u32) -> Copy {
        let p = self.paras[i as usize].0;
        Copy {
            order: i,
            masks: p.masks,
            key_chars: p.key.key_chars,
        }
    }
    fn in_removed_doc(&self, i: u32) -> bool {
        self.doc_is_removed[self.paras[i as usize].2 as usize]
    }
    fn group(&self, i: u32) -> u32 {
        self.group_of[i as usize]
    }
    fn group_members(&self, rep: u32) -> Option<&[u32]> {
        self.group_members.get(&rep).map(|v| v.as_slice())
    }
    fn neighbours(&self, rep: u32) -> &[u32] {
        self.neighbours.get(rep)
    }
    fn tokens(&self, i: u32) -> &[u32] {
        self.tokens.get(&i).map_or(&[], |v| v.as_slice())
    }
}

/// The group phase: candidates, verification, clusters, documents, keep decisions.
fn group(
    engine: &Engine,
    files: &[FileFacts],
    keys: Vec<FileKeys>,
    spill: &Spill,
    spill_dir: &Path,
) -> Result<Decisions> {
    let cfg = engine.config();
    let (bands, _) = engine.bands_rows();
    // Global ids.
    let total: usize = files.iter().map(|f| f.paras.len()).sum();
    let mut paras: Vec<(&ParaFacts, u32 /*file*/, u32 /*global doc*/)> = Vec::with_capacity(total);
    let mut doc_file: Vec<u32> = Vec::new();
    let mut doc_lines: Vec<[u32; 2]> = Vec::new();
    let mut doc_script: Vec<script::Script> = Vec::new();
    // Where each searched paragraph's band keys start: file, offset in its keys.
    let mut keys_of: Vec<Option<(u32, u32)>> = Vec::with_capacity(total);
    // Band keys of each file.
    let mut keys_len: Vec<u32> = Vec::with_capacity(files.len());
    for (fi, f) in files.iter().enumerate() {
        let mut kpos = 0;
        let base = doc_file.len() as u32;
        for d in &f.docs {
            doc_file.push(fi as u32);
            doc_lines.push(d.lines);
            doc_script.push(d.script);
        }
        for p in &f.paras {
            paras.push((p, fi as u32, base + p.doc));
            if p.key.key_chars as usize >= cfg.min_chars {
                keys_of.push(Some((fi as u32, kpos)));
                kpos += bands as u32;
            } else {
                keys_of.push(None);
            }
        }
        keys_len.push(kpos);
    }
    let n = paras.len();
    let searched: Vec<u32> = (0..n as u32)
        .filter(|&i| keys_of[i as usize].is_some())
        .collect();

    // Exact-key fast path: identical keys are one group; only its first member is banded.
    let mut by_key: Vec<(u64, u32)> = searched
        .iter()
        .map(|&i| (paras[i as usize].0.key.key_hash, i))
        .collect();
    by_key.par_sort_unstable();
    let mut uf = UnionFind::new(n);
    let mut reps = Vec::new();
    let mut group_of = vec![u32::MAX; n];
    // Members of each exact group of more than one (by representative).
    let mut group_members: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for g in by_key.chunk_by(|a, b| a.0 == b.0) {
        reps.push(g[0].1);
        if g.len() > 1 {
            group_members.insert(g[0].1, g.iter().map(|&(_, m)| m).collect());
        }
        for &(_, m) in g {
            uf.union(g[0].1, m);
            group_of[m as usize] = g[0].1;
        }
    }
    drop(by_key);

    // LSH candidates among group representatives. Bands are taken a few at a time and
    // merged into the sorted, deduplicated set, since a near-identical pair turns up in
    // most bands and all bands' pairs at once would need many times the final set. The
    // representatives' keys are first laid out one column per band (on disk when the
    // files' keys were spilled), so a round reads only its own bands.
    let mut rep_ids = reps;
    rep_ids.sort_unstable();
    let io = |e| Error::io(spill_dir, e);
    let columns = band_columns(
        &rep_ids,
        &keys_of,
        &keys_len,
        keys,
        (bands, COLUMN_CHUNK),
        spill,
    )
    .map_err(io)?;
    let band_pairs = |b: usize| -> Result<Vec<(u32, u32)>> {
        let mut bytes = Vec::new();
        let column = columns.band(b, spill, &mut bytes).map_err(io)?;
        let e = lsh::sorted_entries(&column, &rep_ids);
        drop(column);
        let mut out = Vec::new();
        lsh::pairs_from_sorted(&e, &mut out);
        Ok(out)
    };
    // Each candidate counts the bands that paired it (a pair turns up once a band).
    let mut cands: Vec<lsh::Candidate> = Vec::new();
    let per_round = rayon::current_num_threads().max(1) * 2;
    for first in (0..bands).step_by(per_round) {
        let round: Vec<Vec<(u32, u32)>> = (first..(first + per_round).min(bands))
            .into_par_iter()
            .map(band_pairs)
            .collect::<Result<_>>()?;
        let mut round = round.concat();
        round.par_sort_unstable();
        lsh::merge_sorted(&mut cands, &lsh::count_sorted(&round));
    }
    cands.shrink_to_fit();
    drop(columns);
    drop(rep_ids);
    let candidate_pairs = cands.len();
    // A text that recurs in N places gives each copy N - 1 candidates: verify each
    // paragraph against a bounded number of them, so the work follows the copies.
    let candidate_pairs_skipped = lsh::cap_partners(&mut cands, cfg.max_partners);

    // Verification, with tokens read back from the spill file.
    let read = |i: u32, out: &mut Vec<u32>, bytes: &mut Vec<u8>| -> Result<()> {
        let (p, f, _) = paras[i as usize];
        spill
            .read(&files[f as usize], p, out, bytes)
            .map_err(|e| Error::io(spill_dir, e))
    };
    let checked: Vec<Option<(u32, u32)>> = cands
        .par_iter()
        .map_init(
            || (PairVerifier::default(), Vec::new()),
            |(pv, bytes), &(a, b, _)| -> Result<Option<(u32, u32)>> {
                let copy = pv.check(cfg, (a, b), |i, out| read(i, out, bytes))?;
                Ok(copy.then_some((a, b)))
            },
        )
        .collect::<Result<_>>()?;
    let verified: Vec<(u32, u32)> = checked.into_iter().flatten().collect();
    for &(a, b) in &verified {
        uf.union(a, b);
    }

    // Document coverage: a paragraph of D is covered by E when a copy (same exact group,
    // or a verified neighbour group) lies in E.
    // Lists by paragraph id in flat arrays, not maps of vectors: at 1 GB these hold
    // millions of entries, and the map nodes and per-entry vectors were most of the
    // memory at the end of this phase.
    let mut pairs: Vec<(u32, u32)> = searched
        .iter()
        .map(|&i| (group_of[i as usize], paras[i as usize].2))
        .collect();
    pairs.par_sort_unstable();
    pairs.dedup();
    let group_docs = Lists::from_sorted(n, &pairs);
    pairs.clear();
    pairs.extend(verified.iter().flat_map(|&(a, b)| [(a, b), (b, a)]));
    pairs.par_sort_unstable();
    let neighbours = Lists::from_sorted(n, &pairs);
    drop(pairs);
    let ndocs = doc_file.len();
    let mut doc_chars = vec![0u64; ndocs];
    let mut doc_masks = vec![0u64; ndocs];
    let mut doc_searched_chars = vec![0u64; ndocs];
    for (i, (p, _, d)) in paras.iter().enumerate() {
        doc_chars[*d as usize] += p.key.key_chars as u64;
        doc_masks[*d as usize] += p.masks as u64;
        if keys_of[i].is_some() {
            doc_searched_chars[*d as usize] += p.key.key_chars as u64;
        }
    }
    let mut covered: BTreeMap<(u32, u32), u64> = BTreeMap::new();
    let mut others = Vec::new();
    for &i in &searched {
        let (p, _, d) = paras[i as usize];
        let g = group_of[i as usize];
        others.clear();
        others.extend_from_slice(group_docs.get(g));
        for &h in neighbours.get(g) {
            others.extend_from_slice(group_docs.get(h));
        }
        others.sort_unstable();
        others.dedup();
        for &e in &others {
            if e != d {
                *covered.entry((d, e)).or_default() += p.key.key_chars as u64;
            }
        }
    }
    drop(group_docs);
    drop(keys_of);
    let mut doc_uf = UnionFind::new(ndocs);
    // Kept candidate -> the documents it covers, with their coverage.
    let mut doc_edges: BTreeMap<u32, Vec<(u32, f64)>> = BTreeMap::new();
    for (&(d, e), &chars) in covered.iter() {
        let c = coverage(chars, doc_searched_chars[d as usize]);
        if c >= cfg.doc_threshold {
            doc_uf.union(d, e);
            doc_edges.entry(e).or_default().push((d, c));
        }
    }
    drop(covered);
    let doc_copy = |d: u32| doc_copy(d, doc_masks[d as usize], doc_chars[d as usize]);
    let mut doc_clusters: Vec<Cluster> = Vec::new();
    for comp in components((0..ndocs as u32).map(|d| (doc_uf.find(d), d))) {
        let covers = |k: u32| doc_edges.get(&k).map_or(&[][..], |v| v.as_slice());
        doc_clusters.extend(split_document_component(cfg, &comp, covers, doc_copy));
    }
    drop(doc_edges);
    let mut doc_removed = vec![None; ndocs];

    // Paragraph clusters around kept members; copies inside removed documents rank last.
    let mut doc_is_removed = vec![false; ndocs];
    for (k, members) in &doc_clusters {
        for (m, _, _) in members {
            if m != k {
                doc_is_removed[*m as usize] = true;
            }
        }
    }
    let comp_list = components(searched.iter().map(|&i| (uf.find(i), i)));
    let split: Vec<Vec<Cluster>> = comp_list
        .par_iter()
        .map_init(Vec::new, |bytes, comp| -> Result<Vec<Cluster>> {
            let mut tokens = HashMap::with_capacity(comp.len());
            for &i in comp {
                let mut t = Vec::new();
                read(i, &mut t, bytes)?;
                tokens.insert(i, t);
            }
            let view = RunView {
                paras: &paras,
                group_of: &group_of,
                group_members: &group_members,
                neighbours: &neighbours,
                doc_is_removed: &doc_is_removed,
                tokens,
            };
            Ok(split_paragraph_component(cfg, &view, comp))
        })
        .collect::<Result<_>>()?;
    let para_clusters: Vec<Cluster> = split.into_iter().flatten().collect();
    drop((comp_list, neighbours));

    // Stable ids: paragraph clusters by first member, then document clusters likewise.
    let mut records = Vec::new();
    let mut para_removed = vec![None; n];
    emit_clusters(
        "paragraph",
        para_clusters,
        0,
        &mut para_removed,
        &mut records,
        |m| {
            let (p, f, _) = paras[m as usize];
            Place {
                file: files[f as usize].rel_path.clone(),
                lines: p.lines,
                cols: p.cols,
                script: p.script,
            }
        },
    );
    let base = records.len() as u32;
    emit_clusters(
        "document",
        doc_clusters,
        base,
        &mut doc_removed,
        &mut records,
        |d| Place {
            file: files[doc_file[d as usize] as usize].rel_path.clone(),
            lines: doc_lines[d as usize],
            cols: None,
            script: doc_script[d as usize],
        },
    );
    Ok(Decisions {
        para_removed,
        doc_removed,
        records,
        candidate_pairs,
        candidate_pairs_skipped,
        verified_pairs: verified.len(),
    })
}

/// Share of a document's searched key characters that another document covers.
pub fn coverage(covered_chars: u64, searched_chars: u64) -> f64 {
    if searched_chars == 0 {
        return 0.0;
    }
    covered_chars as f64 / searched_chars as f64
}

/// A document as the keep policy sees it.
pub fn doc_copy(d: u32, masks: u64, key_chars: u64) -> Copy {
    Copy {
        order: d,
        masks: masks.min(u32::MAX as u64) as u32,
        key_chars: key_chars.min(u32::MAX as u64) as u32,
    }
}

/// Put members in id order and clusters in order of their first member: the order
/// that numbers clusters.
pub fn order_clusters(clusters: &mut [Cluster]) {
    for (_, m) in clusters.iter_mut() {
        m.sort_by_key(|x| x.0);
    }
    clusters.sort_by_key(|(_, m)| m[0].0);
}

/// The `clusters.jsonl` record of cluster `cid` (members in id order). `place` names a
/// member's file and line range.
pub fn cluster_record(
    cid: u32,
    level: &'static str,
    kept: u32,
    members: &[Member],
    place: impl Fn(u32) -> Place,
) -> ClusterRecord {
    let placed: Vec<Place> = members.iter().map(|&(m, ..)| place(m)).collect();
    // Members in both scripts: the record says so, and which member is which.
    let mixed = placed.windows(2).any(|w| w[0].script != w[1].script);
    ClusterRecord {
        cluster: cid,
        level,
        kept: members
            .iter()
            .position(|x| x.0 == kept)
            .expect("kept is a member"),
        scripts: mixed.then(|| vec!["simplified", "traditional"]),
        members: members
            .iter()
            .zip(placed)
            .map(|(&(_, s, containment), p)| ClusterMember {
                file: p.file,
                lines: p.lines,
                cols: p.cols,
                similarity: round4(s),
                containment,
                script: mixed.then(|| p.script.name()),
            })
            .collect(),
    }
}

/// Number `clusters` from `base` in order of their first member, mark every non-kept
/// member as removed by its cluster, and push the records.
fn emit_clusters(
    level: &'static str,
    mut clusters: Vec<Cluster>,
    base: u32,
    removed: &mut [Option<u32>],
    records: &mut Vec<ClusterRecord>,
    place: impl Fn(u32) -> Place,
) {
    order_clusters(&mut clusters);
    for (j, (kept, members)) in clusters.iter().enumerate() {
        let cid = base + j as u32;
        for &(m, _, _) in members {
            if m != *kept {
                removed[m as usize] = Some(cid);
            }
        }
        records.push(cluster_record(cid, level, *kept, members, &place));
    }
}

/// What the write phase produced for one file.
pub struct FileOutput {
    /// Lines of `removed.jsonl`.
    pub removed: Vec<u8>,
    /// Lines of `placeholders.jsonl`.
    pub placeholders: Vec<u8>,
    pub counts: FileCounts,
}

/// A file's share of `summary.json` from the write phase.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FileCounts {
    /// A cleaned file was written (not every paragraph was removed).
    pub wrote: bool,
    pub boilerplate_lines: usize,
    pub empty_lines: usize,
    /// Masks by kind.
    pub kinds: Vec<(Kind, usize)>,
    /// Furniture lines by rule name.
    pub rules: Vec<(String, usize)>,
    pub removed_paragraphs: PerLevel,
    pub removed_documents: usize,
}

/// Why a line does not reach `clean/` as it was.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fate {
    Kept,
    Empty,
    Furniture(RuleId),
    Duplicate(u32),
}

impl Engine {
    /// Write file `f`'s cleaned text under `clean_root` and return its report lines.
    /// `para_removed` and `doc_removed` hold, for each of its paragraphs and documents,
    /// the cluster that removes it. The file is read again and must not have changed.
    pub fn write_file(
        &self,
        clean_root: &Path,
        f: FileRef,
        para_removed: &[Option<u32>],
        doc_removed: &[Option<u32>],
    ) -> std::result::Result<FileOutput, Skipped> {
        self.write_again(clean_root, f, None, para_removed, doc_removed)
    }

    /// [`Engine::write_file`] with the file's [`Marks`] from the analyze phase, if it
    /// kept them.
    fn write_again(
        &self,
        clean_root: &Path,
        f: FileRef,
        marks: Option<&Marks>,
        para_removed: &[Option<u32>],
        doc_removed: &[Option<u32>],
    ) -> std::result::Result<FileOutput, Skipped> {
        let cfg = &self.cfg;
        let fail = |reason: String| f.skipped(reason);
        let src = Source {
            rel_path: f.rel_path.to_string(),
            path: cfg.input.join(f.rel_path),
        };
        let mut stage_ns = [0u64; STAGES.len()];
        // The analyze phase already chose the encoding: no second detection. (UTF-8 is
        // detected again because its strict check is cheaper than a forced decode.)
        let forced = cfg.encoding.or_else(|| {
            (f.encoding != encoding_rs::UTF_8.name())
                .then(|| encoding_rs::Encoding::for_label(f.encoding.as_bytes()))
                .flatten()
        });
        let (hash, decoded) = match read_decode(&src, forced, &mut stage_ns) {
            Ok(r) => (r.hash, r.dec),
            Err(Analyzed::Failed(s) | Analyzed::Skipped(s)) => return Err(s),
            Err(Analyzed::Done(_)) => unreachable!("read_decode never returns Done"),
        };
        if hash != f.hash {
            return Err(fail("file changed during the run".into()));
        }
        let keep = cfg.keep_boilerplate;
        let _big = release::Big::new(decoded.text.len() as u64);
        let lines = split_lines(&decoded.text);
        drop(decoded);
        let prep = match marks {
            Some(m) => prepare_marked_lines(lines, m, keep)
                .unwrap_or_else(|lines| prepare_lines(lines, &self.boiler, keep)),
            None => prepare_lines(lines, &self.boiler, keep),
        }
        .for_writing();
        self.write_prepared(clean_root, f, &prep, para_removed, doc_removed)
    }

    /// [`Engine::write_file`] with the file's text stages at hand (kept from the
    /// analyze phase, or just done again).
    pub fn write_prepared(
        &self,
        clean_root: &Path,
        f: FileRef,
        prep: &Prepared,
        para_removed: &[Option<u32>],
        doc_removed: &[Option<u32>],
    ) -> std::result::Result<FileOutput, Skipped> {
        let cfg = &self.cfg;
        let boiler = &self.boiler;
        let fail = |reason: String| f.skipped(reason);
        let _big = release::Big::new(prep.paras.iter().map(|p| p.text.len() as u64).sum());
        if prep.paras.len() != f.paragraphs
            || para_removed.len() != prep.paras.len()
            || doc_removed.len() != prep.docs.len()
        {
            return Err(fail(
                "internal: paragraph count differs between phases".into(),
            ));
        }
        let mut counts = FileCounts::default();
        let mut fate: Vec<Fate> = prep
            .lines
            .iter()
            .zip(&prep.furniture)
            .map(|(l, r)| match r {
                Some(rule) => Fate::Furniture(*rule),
                None if l.is_blank() => Fate::Empty,
                None => Fate::Kept,
            })
            .collect();
        let mut para_out: Vec<bool> = vec![true; prep.paras.len()];
        // A removed part of a page-long paragraph is a record of its own, with columns,
        // unless all the paragraph's parts go with one cluster (see below).
        let part_cols = parts::cols(&prep.paras, &prep.lines);
        let mut part_removed: Vec<Option<u32>> = vec![None; prep.paras.len()];
        let mut remove = |pi: usize, c: u32, fate: &mut [Fate]| {
            let p = &prep.paras[pi];
            match part_cols[pi] {
                Some(_) => part_removed[pi] = Some(c),
                None => fate[p.first..=p.last].fill(Fate::Duplicate(c)),
            }
        };
        for pi in 0..prep.paras.len() {
            if let Some(c) = para_removed[pi] {
                para_out[pi] = false;
                remove(pi, c, &mut fate);
            }
        }
        let mut in_removed_doc = vec![false; prep.paras.len()];
        for (di, d) in prep.docs.iter().enumerate() {
            if let Some(c) = doc_removed[di] {
                counts.removed_documents += 1;
                for pi in d.paras.clone() {
                    in_removed_doc[pi] = true;
                    para_out[pi] = false;
                    remove(pi, c, &mut fate);
                }
            }
        }
        // Runs of a paragraph's parts removed by one cluster are one record; a run that
        // is the whole paragraph is its lines, as for a paragraph that was not cut.
        // (index of its first line, line numbers, columns, cluster)
        type PartRecord = (usize, [u32; 2], [u32; 2], u32);
        let mut part_records: Vec<PartRecord> = Vec::new();
        let mut pi = 0;
        while pi < prep.paras.len() {
            let Some(c) = part_removed[pi] else {
                pi += 1;
                continue;
            };
            let mut pj = pi;
            while prep.paras[pj].glued && part_removed.get(pj + 1) == Some(&Some(c)) {
                pj += 1;
            }
            let (a, b) = (&prep.paras[pi], &prep.paras[pj]);
            let whole = (pi == 0 || !prep.paras[pi - 1].glued) && !b.glued;
            if whole {
                fate[a.first..=b.last].fill(Fate::Duplicate(c));
            } else if let (Some(ca), Some(cb)) = (part_cols[pi], part_cols[pj]) {
                let lines = [prep.lines[a.first].no, prep.lines[b.last].no];
                part_records.push((a.first, lines, [ca[0], cb[1]], c));
            }
            pi = pj + 1;
        }
        // A paragraph inside a removed document counts at document level; any other
        // removed copy at paragraph level.
        for (pi, in_doc) in in_removed_doc.iter().enumerate() {
            if *in_doc {
                counts.removed_paragraphs.document += 1;
            } else if para_removed[pi].is_some() {
                counts.removed_paragraphs.paragraph += 1;
            }
        }
        // clean/ (its size known, so a page-long file's text is not copied as it grows)
        let mut clean = String::with_capacity(
            prep.paras
                .iter()
                .zip(&para_out)
                .filter(|(_, &out)| out)
                .map(|(p, _)| p.text.len() + 1)
                .sum(),
        );
        let mut places = Vec::new();
        let place_lines = PlaceholderLines::new(f.rel_path);
        let mut text = String::new();
        let mut kinds: BTreeMap<Kind, usize> = BTreeMap::new();
        // The kept parts of a page-long paragraph are written on one line again.
        let mut line_open = false;
        for (pi, p) in prep.paras.iter().enumerate() {
            let spans = &prep.spans[pi];
            if para_out[pi] {
                let masked = placeholders::apply(&p.text, spans, cfg.mask_style);
                clean.push_str(&script::to_script(&masked, cfg.script));
                line_open = true;
            }
            if !p.glued && std::mem::take(&mut line_open) {
                clean.push('\n');
            }
            if spans.is_empty() {
                continue;
            }
            let chars: Vec<char> = p.text.chars().collect();
            for s in spans {
                *kinds.entry(s.kind).or_default() += 1;
                let (li, col, piece_end) = p.locate(s.start, chars.len());
                let line = &prep.lines[li];
                let end_in_piece = s.end.min(piece_end) - (s.start - col);
                text.clear();
                text.extend(&chars[s.start..s.end]);
                let replacement = placeholders::replacement(s.kind, &text, cfg.mask_style);
                place_lines.push(
                    &mut places,
                    line.no,
                    [line.orig_col(col), line.orig_col(end_in_piece - 1) + 1],
                    &text,
                    s.kind,
                    replacement.as_deref().unwrap_or(&text),
                );
            }
        }
        let wrote = !clean.is_empty();
        if wrote {
            report::write_file_at(&clean_root.join(f.rel_path), clean.as_bytes())
                .map_err(|e| fail(e.to_string()))?;
        }
        // removed.jsonl: runs of lines with the same fate, and removed parts, in order
        // of their first line (a part before a run that starts on its line).
        let mut removed = Vec::new();
        let mut parts_left = part_records.into_iter().peekable();
        let mut push_parts = |before: usize, removed: &mut Vec<u8>| {
            while let Some((_, lines, cols, c)) = parts_left.next_if(|&(first, ..)| first < before)
            {
                let r = RemovedRecord {
                    file: f.rel_path,
                    lines,
                    cols: Some(cols),
                    reason: "duplicate",
                    rule: None,
                    cluster: Some(c),
                    kept: None,
                };
                push_jsonl(removed, &r);
            }
        };
        let mut rules: BTreeMap<RuleId, usize> = BTreeMap::new();
        let (mut boilerplate_lines, mut empty_lines) = (0, 0);
        let mut i = 0;
        while i < fate.len() {
            let mut j = i + 1;
            while j < fate.len() && fate[j] == fate[i] {
                j += 1;
            }
            let lines = [prep.lines[i].no, prep.lines[j - 1].no];
            let rec = match fate[i] {
                Fate::Kept => None,
                Fate::Empty => {
                    empty_lines += j - i;
                    Some(RemovedRecord {
                        file: f.rel_path,
                        lines,
                        cols: None,
                        reason: "empty",
                        rule: Some("blank-line"),
                        cluster: None,
                        kept: None,
                    })
                }
                Fate::Furniture(r) => {
                    boilerplate_lines += j - i;
                    *rules.entry(r).or_default() += j - i;
                    Some(RemovedRecord {
                        file: f.rel_path,
                        lines,
                        cols: None,
                        reason: "boilerplate",
                        rule: Some(boiler.names()[r as usize].as_str()),
                        cluster: None,
                        kept: cfg.keep_boilerplate.then_some(true),
                    })
                }
                Fate::Duplicate(c) => Some(RemovedRecord {
                    file: f.rel_path,
                    lines,
                    cols: None,
                    reason: "duplicate",
                    rule: None,
                    cluster: Some(c),
                    kept: None,
                }),
            };
            if let Some(r) = rec {
                push_parts(i + 1, &mut removed);
                push_jsonl(&mut removed, &r);
            }
            i = j;
        }
        push_parts(usize::MAX, &mut removed);
        counts.wrote = wrote;
        counts.boilerplate_lines = boilerplate_lines;
        counts.empty_lines = empty_lines;
        counts.kinds = kinds.into_iter().collect();
        counts.rules = rules
            .into_iter()
            .map(|(r, n)| (boiler.names()[r as usize].clone(), n))
            .collect();
        Ok(FileOutput {
            removed,
            placeholders: places,
            counts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(tokens: Vec<u32>, paras: &[[u32; 2]]) -> FileFacts {
        FileFacts {
            rel_path: "a.txt".into(),
            hash: 0,
            bytes: 0,
            encoding: "UTF-8",
            decode_issue: None,
            n_lines: 0,
            docs: Vec::new(),
            paras: paras
                .iter()
                .map(|&t| ParaFacts {
                    doc: 0,
                    lines: [1, 1],
                    cols: None,
                    masks: 0,
                    key: KeyFacts::default(),
                    script: script::Script::Simplified,
                    tokens: t,
                })
                .collect(),
            band_keys: FileKeys::Memory(Vec::new()),
            tokens: FileTokens::Memory(tokens),
            stage_ns: [0; STAGES.len()],
            kept: None,
        }
    }

    #[test]
    fn pair_verifier_with_its_table_gives_what_is_copy_gives() {
        // Paragraph ids that share table slots (k and k + RECENT_SLOTS), pairs in the
        // order of a run (sorted by `a`) with every `b` recurring, and a load count.
        let ids: Vec<u32> = (0..40u32)
            .flat_map(|k| [k, k + RECENT_SLOTS as u32])
            .collect();
        let tokens = |id: u32| -> Vec<u32> {
            let k = id % RECENT_SLOTS as u32;
            // Families of near copies: same base text, a few tokens changed.
            (0..30u32)
                .map(|t| {
                    if (t + id).is_multiple_of(7) {
                        1000 + id * 31 + t
                    } else {
                        100 + (k % 5) * 50 + t
                    }
                })
                .collect()
        };
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        for &a in &ids {
            for &b in &ids {
                if a < b {
                    pairs.push((a, b));
                }
            }
        }
        let cfg = Config::new(
            std::path::PathBuf::from("in"),
            std::path::PathBuf::from("out"),
        );
        let mut pv = PairVerifier::default();
        let mut loads = 0;
        let (mut copies, mut not) = (0, 0);
        for &(a, b) in &pairs {
            let got = pv
                .check(&cfg, (a, b), |i, out: &mut Vec<u32>| {
                    loads += 1;
                    *out = tokens(i);
                    Ok::<(), ()>(())
                })
                .unwrap();
            let (ta, tb) = (tokens(a), tokens(b));
            let (mut sa, mut sb) = (Vec::new(), Vec::new());
            fingerprint::shingles(&ta, cfg.shingle.size(), &mut sa);
            fingerprint::shingles(&tb, cfg.shingle.size(), &mut sb);
            let want = verify::is_copy((&ta, &tb), (&sa, &sb), cfg.threshold, VERIFY_FLOOR);
            assert_eq!(got, want, "{a} {b}");
            if want {
                copies += 1;
            } else {
                not += 1;
            }
        }
        assert!(copies > 20 && not > 50, "{copies} {not}");
        assert!(
            loads < pairs.len(),
            "{loads} loads for {} pairs",
            pairs.len()
        );
    }

    #[test]
    fn memo_gives_what_fingerprinting_gives() {
        // A seed twice over in one file, and again with one paragraph changed: the memo
        // answers the repeats, and the facts must equal those of an engine without it.
        let seed = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/seeds/000_2fb96dc22149446e.txt"),
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let changed = seed.replacen("同志们", "各位同志", 1);
        std::fs::write(
            dir.path().join("a.txt"),
            format!("{seed}\n{seed}\n{changed}"),
        )
        .unwrap();
        let cfg = Config::new(dir.path().to_path_buf(), dir.path().join("out"));
        let src = Source {
            rel_path: "a.txt".into(),
            path: dir.path().join("a.txt"),
        };
        let with = Engine::new(&cfg).unwrap();
        let mut without = Engine::new(&cfg).unwrap();
        without.memo = None;
        without.word_memo = None;
        let facts = |e: &Engine| match e.analyze(&src, &mut Scratch::default()) {
            Analyzed::Done(f) => {
                let f = *f;
                let paras: Vec<_> = f
                    .paras
                    .iter()
                    .map(|p| (p.doc, p.lines, p.masks, p.key, p.tokens))
                    .collect();
                let keys = f.band_keys_in_memory().unwrap().to_vec();
                let FileTokens::Memory(tokens) = f.tokens else {
                    panic!("tokens in memory")
                };
                (paras, tokens, keys)
            }
            _ => panic!("analysed"),
        };
        let (a, b) = (facts(&with), facts(&without));
        assert!(
            a.0.len() > 20 && a.2.len() > 100,
            "{} {}",
            a.0.len(),
            a.2.len()
        );
        assert_eq!(a, b);
        let stored = with.memo.as_ref().unwrap().len();
        assert!(
            stored < a.0.len(),
            "repeats are looked up, not stored again"
        );
        // A second pass over the same file is answered from the memo entirely.
        assert_eq!(facts(&with), b);
        // The word memo alone (a paragraph changed in one clause is found clause by
        // clause) gives the same.
        let mut words_only = Engine::new(&cfg).unwrap();
        words_only.memo = None;
        assert_eq!(facts(&words_only), b);
        assert!(words_only.word_memo.as_ref().unwrap().len() > 100);
        assert_eq!(facts(&words_only), b);
    }

    #[test]
    fn marks_give_back_the_furniture_and_spans_or_are_not_kept() {
        let boiler = Boilerplate::builtin();
        let text = "更新时间：2020-01-01 下载docx\n\n张某某同志在20XX年X月的讲话\n\n××县实现增长X%，成绩来之不易。\n";
        let prep = prepare(text, &boiler, false);
        assert!(prep.furniture.iter().any(Option::is_some));
        assert!(prep.spans.iter().filter(|s| !s.is_empty()).count() >= 2);
        let marks = Marks::of(&prep).unwrap();
        assert_eq!(marks.furniture(), prep.furniture);
        assert_eq!(marks.spans(prep.paras.len()).unwrap(), prep.spans);
        assert_eq!(marks.spans(prep.paras.len() + 1), None);
        let again = prepare_marked(text, &marks, false).unwrap();
        assert_eq!(again.spans, prep.spans);
        assert_eq!(again.furniture, prep.furniture);
        assert_eq!(again.paras, prep.paras);
        // A rule id or a span that does not fit the packed fields: no marks.
        let mut odd = prep.clone();
        odd.furniture[0] = Some(NO_RULE);
        assert!(Marks::of(&odd).is_none());
        let mut odd = prep.clone();
        let p = odd.spans.iter().position(|s| !s.is_empty()).unwrap();
        let start = odd.spans[p][0].start;
        odd.spans[p][0].end = start + usize::from(u16::MAX) + 1;
        assert!(Marks::of(&odd).is_none());
        odd.spans[p][0].end = start + usize::from(u16::MAX);
        assert!(Marks::of(&odd).is_some());
    }

    #[test]
    fn kept_text_stages_write_what_reading_again_writes() {
        let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/seeds");
        let out = tempfile::tempdir().unwrap();
        let cfg = Config::new(seeds.clone(), out.path().join("unused"));
        let engine = Engine::new(&cfg).unwrap();
        let analyze = |name: &str| {
            let src = Source {
                rel_path: name.into(),
                path: seeds.join(name),
            };
            match engine.analyze(&src, &mut Scratch::default()) {
                Analyzed::Done(f) => *f,
                _ => panic!("analysed"),
            }
        };
        let left = || {
            (
                engine.keep_left.load(Ordering::Relaxed),
                engine.marks_left.load(Ordering::Relaxed),
            )
        };
        // Nothing is kept unless the run gives a budget.
        let name = "000_2fb96dc22149446e.txt";
        assert!(analyze(name).kept.is_none());
        engine.keep_prepared(1000, 10);
        assert!(analyze(name).kept.is_none(), "a file over both budgets");
        assert_eq!(left(), (1000, 10));
        let mut written = 0;
        for e in std::fs::read_dir(&seeds).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            // Within the budget for whole text stages, they are kept; beyond it, the
            // marks, within theirs.
            engine.keep_prepared(u64::MAX, 0);
            let mut f = analyze(&name);
            let Some(Kept::Prepared(kept)) = f.kept.take() else {
                panic!("{name}: text stages not kept")
            };
            assert_eq!(left(), (u64::MAX - kept.heap_bytes(), 0), "{name}");
            assert!(kept.heap_bytes() > f.bytes, "{name}");
            engine.keep_prepared(0, u64::MAX);
            let Some(Kept::Marks(marks)) = analyze(&name).kept else {
                panic!("{name}: marks not kept")
            };
            assert_eq!(left(), (0, u64::MAX - marks.heap_bytes()), "{name}");
            assert!(marks.heap_bytes() * 4 < f.bytes, "{name}");
            // Every third paragraph and the last document removed, as by a cluster.
            let paras: Vec<Option<u32>> = (0..f.paras.len())
                .map(|i| (i % 3 == 1).then_some(7))
                .collect();
            let mut docs = vec![None; f.docs.len()];
            if let Some(d) = docs.last_mut() {
                *d = Some(9);
            }
            let roots = ["kept", "marked", "again"].map(|r| out.path().join(r));
            let outputs = [
                engine.write_prepared(&roots[0], f.file_ref(), &kept, &paras, &docs),
                engine.write_again(&roots[1], f.file_ref(), Some(&marks), &paras, &docs),
                engine.write_file(&roots[2], f.file_ref(), &paras, &docs),
            ]
            .map(std::result::Result::unwrap);
            let b = &outputs[2];
            assert!(
                !b.placeholders.is_empty() || !b.removed.is_empty(),
                "{name}"
            );
            for (a, root) in outputs.iter().zip(&roots).take(2) {
                assert_eq!(a.removed, b.removed, "{name}");
                assert_eq!(a.placeholders, b.placeholders, "{name}");
                assert_eq!(
                    serde_json::to_string(&a.counts).unwrap(),
                    serde_json::to_string(&b.counts).unwrap()
                );
                assert_eq!(
                    std::fs::read(root.join(&name)).ok(),
                    std::fs::read(roots[2].join(&name)).ok(),
                    "{name}"
                );
            }
            // Marks that do not fit the text are not used: the file is prepared anew.
            let mut wrong = (*marks).clone();
            wrong.counts = wrong.counts[1..].into();
            let text = std::fs::read_to_string(seeds.join(&name)).unwrap();
            assert!(prepare_marked(&text, &wrong, false).is_none(), "{name}");
            wrong.furniture = wrong.furniture[1..].into();
            assert!(prepare_marked(&text, &wrong, false).is_none(), "{name}");
            written += 1;
        }
        assert_eq!(written, 5);
    }

    #[test]
    fn band_columns_are_the_same_in_memory_and_on_disk() {
        // Three files; 2 bands; file 1 has no searched paragraph. Paragraph ids (global)
        // 0..7: file 0 has 0,1,2 (2 not searched), file 1 has 3, file 2 has 4,5,6.
        let bands = 2;
        let keys_of: Vec<Option<(u32, u32)>> = vec![
            Some((0, 0)),
            Some((0, 2)),
            None,
            None,
            Some((2, 0)),
            Some((2, 2)),
            Some((2, 4)),
        ];
        let keys_len = [4, 0, 6];
        let file_keys = || {
            vec![
                vec![10u64, 11, 20, 21],
                vec![],
                vec![40, 41, u64::MAX, 51, 60, 1 << 40],
            ]
        };
        let reps = [0u32, 1, 5, 6];
        let want = [vec![10u64, 20, u64::MAX, 60], vec![11, 21, 51, 1 << 40]];
        for (budget, chunk) in [(u64::MAX, 3), (0, 3), (0, 1), (0, 100), (40, 2)] {
            let dir = tempfile::tempdir().unwrap();
            let spill = Spill::new(dir.path(), u64::MAX, budget).unwrap();
            let mut keys = Vec::new();
            for v in file_keys() {
                let mut f = facts(Vec::new(), &[]);
                f.band_keys = FileKeys::Memory(v);
                spill.spill(&mut f).unwrap();
                keys.push(f.band_keys);
            }
            let cols =
                band_columns(&reps, &keys_of, &keys_len, keys, (bands, chunk), &spill).unwrap();
            assert_eq!(
                matches!(cols, BandColumns::Spilled { .. }),
                budget != u64::MAX,
                "{budget}"
            );
            let mut bytes = Vec::new();
            for (b, w) in want.iter().enumerate() {
                assert_eq!(
                    &*cols.band(b, &spill, &mut bytes).unwrap(),
                    w,
                    "{budget} {chunk}"
                );
            }
        }
    }

    #[test]
    fn spilled_tokens_read_back_as_they_were() {
        // Budget 0: both files spill (the second after the first's 20 bytes). 20 bytes:
        // the first file (5 tokens) stays in memory and the second spills to the start
        // of the file.
        for (budget, a_spilled, b_at) in [(0, true, 20), (20, false, 0)] {
            let dir = tempfile::tempdir().unwrap();
            let spill = Spill::new(dir.path(), budget, u64::MAX).unwrap();
            let mut a = facts(vec![1, 2, 3, 4, 5], &[[0, 2], [2, 0], [2, 3]]);
            let mut b = facts(vec![u32::MAX, 7, 0x0102_0304], &[[0, 3]]);
            let before: Vec<Vec<u32>> = [&a, &a, &a, &b]
                .iter()
                .zip([0, 1, 2, 0])
                .map(|(f, i)| f.para_tokens(&f.paras[i]).unwrap().to_vec())
                .collect();
            spill.spill(&mut a).unwrap();
            spill.spill(&mut b).unwrap();
            assert!(matches!(b.tokens, FileTokens::Spilled(at) if at == b_at));
            assert_eq!(a.para_tokens(&a.paras[0]).is_none(), a_spilled);
            let (mut out, mut bytes) = (Vec::new(), Vec::new());
            for ((f, i), want) in [(&a, 0), (&a, 1), (&a, 2), (&b, 0)].iter().zip(&before) {
                spill.read(f, &f.paras[*i], &mut out, &mut bytes).unwrap();
                assert_eq!(&out, want);
            }
        }
    }
}
