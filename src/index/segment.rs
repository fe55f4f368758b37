//! One run's segment of a saved index: an immutable file written once, start to end,
//! then never changed.
//!
//! Layout (all integers little-endian):
//!
//! 1. the magic `ZHCIDX` + format version (8 bytes);
//! 2. the documents, each a zstd frame of its [`IndexedDoc`] (name, lines, script, and
//!    every paragraph's facts and key tokens);
//! 3. the probe table: `(key u64, doc u32)` entries sorted by key, then document, in
//!    blocks of [`BLOCK`] entries. A probe key is a paragraph's exact key or one of its
//!    band keys, mixed with its band ([`probe_key`]), for every searched paragraph of
//!    the document (one removed as a copy too: a new document may be a copy of this
//!    one through it);
//! 4. the document table: each document's offset, length and xxh3;
//! 5. the fence table: each block's first key, offset, entries and xxh3;
//! 6. the footer ([`FOOTER`] bytes): where the two tables are, their xxh3, the entry
//!    count, the magic again, and the footer's own xxh3.
//!
//! Opening a segment reads the footer and the two tables (a few bytes per document and
//! per 4,096 keys) and checks them; a lookup reads only the blocks its keys fall in, and
//! a document only when it is loaded, each checked against its xxh3 before it is used.
//! So a damaged or truncated file is reported, never read as if it were whole, and a
//! lookup costs memory for what it finds, not for the size of the index.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

use crate::error::{Error, Result};
use crate::fingerprint::KeyFacts;
use crate::script::Script;

/// The segment format's version (in the magic's last byte and in the manifest).
pub const FORMAT: u8 = 1;
const MAGIC: [u8; 8] = [b'Z', b'H', b'C', b'I', b'D', b'X', 0, FORMAT];
/// The zstd level of the documents.
pub const LEVEL: i32 = 3;
/// Entries per block of the probe table.
pub const BLOCK: usize = 4096;
const ENTRY: usize = 12;
const FENCE: usize = 28;
const DOC_ENTRY: usize = 20;
/// Bytes of the footer.
pub const FOOTER: usize = 72;
/// Partitions (by a key's top bits) the writer sorts its probe entries in, one at a
/// time, so building the index of a large corpus holds one partition's entries in
/// memory, not all of them.
const PARTITIONS: usize = 64;
/// Documents a single probe key loads at most: a band key that thousands of indexed
/// paragraphs share (a stock sentence) would otherwise load them all for each new
/// paragraph that has it; documents that stayed come first, then the oldest.
pub const MAX_DOCS_PER_KEY: usize = 256;

/// The probe key of band `band`'s key (the exact key is band `bands`).
pub fn probe_key(key: u64, band: usize) -> u64 {
    // Band keys are uniform hashes; mixing in the band keeps equal keys of two bands
    // apart, as the candidate search (one band at a time) does.
    (key ^ (band as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)).rotate_left(band as u32 % 64)
}

/// A paragraph as the index holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexedPara {
    pub lines: [u32; 2],
    pub cols: Option<[u32; 2]>,
    /// A part that goes on in the next paragraph (the two are one where written).
    pub glued: bool,
    pub masks: u32,
    /// Key characters and exact key.
    pub key: KeyFacts,
    pub script: Script,
    /// Removed from its run as a copy of another paragraph (its document stayed): it
    /// counts for its document's coverage but is never the copy that stays.
    pub removed: bool,
    /// Key tokens (empty unless the paragraph took part in the search).
    pub tokens: Vec<u32>,
}

/// A document as the index holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexedDoc {
    /// Its unit's name (relative path, or record name) when it was indexed.
    pub name: String,
    pub lines: [u32; 2],
    pub script: Script,
    /// Removed from its run as a copy of another document (its paragraphs are then all
    /// `removed`): kept in the index as a link between copies (a new paragraph may be
    /// a copy of an indexed one only through one of these, as in one run over both),
    /// but it never keeps or removes anything itself.
    pub removed: bool,
    pub paras: Vec<IndexedPara>,
}

/// A document's or paragraph's flags byte: its script (bit 0) and whether it was
/// removed (bit 1).
fn flags_byte(s: Script, removed: bool) -> u8 {
    u8::from(s == Script::Traditional) | u8::from(removed) << 1
}

impl IndexedDoc {
    fn encode(&self, out: &mut Vec<u8>) {
        let u32s = |out: &mut Vec<u8>, v: &[u32]| {
            for x in v {
                out.extend_from_slice(&x.to_le_bytes());
            }
        };
        u32s(out, &[self.name.len() as u32]);
        out.extend_from_slice(self.name.as_bytes());
        u32s(out, &self.lines);
        out.push(flags_byte(self.script, self.removed));
        u32s(out, &[self.paras.len() as u32]);
        for p in &self.paras {
            u32s(out, &p.lines);
            // Bit 0: columns follow; bit 1: glued to the next paragraph.
            out.push(u8::from(p.cols.is_some()) | u8::from(p.glued) << 1);
            if let Some(c) = p.cols {
                u32s(out, &c);
            }
            u32s(out, &[p.masks, p.key.key_chars]);
            out.extend_from_slice(&p.key.key_hash.to_le_bytes());
            out.push(flags_byte(p.script, p.removed));
            u32s(out, &[p.tokens.len() as u32]);
            u32s(out, &p.tokens);
        }
    }

    fn decode(b: &[u8]) -> Option<IndexedDoc> {
        let mut r = Cursor(b);
        let name_len = r.u32()? as usize;
        let name = String::from_utf8(r.take(name_len)?.to_vec()).ok()?;
        let lines = [r.u32()?, r.u32()?];
        let (script, removed) = r.flags()?;
        let n = r.u32()? as usize;
        let mut paras = Vec::with_capacity(n.min(1 << 16));
        for _ in 0..n {
            let lines = [r.u32()?, r.u32()?];
            let part = r.take(1)?[0];
            if part > 3 {
                return None;
            }
            let cols = match part & 1 {
                0 => None,
                _ => Some([r.u32()?, r.u32()?]),
            };
            let glued = part & 2 != 0;
            let (masks, key_chars) = (r.u32()?, r.u32()?);
            let key_hash = u64::from_le_bytes(r.take(8)?.try_into().ok()?);
            let (script, removed) = r.flags()?;
            let nt = r.u32()? as usize;
            let raw = r.take(nt.checked_mul(4)?)?;
            let tokens = raw
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
                .collect();
            paras.push(IndexedPara {
                lines,
                cols,
                glued,
                masks,
                key: KeyFacts {
                    key_chars,
                    key_hash,
                },
                script,
                removed,
                tokens,
            });
        }
        r.0.is_empty().then_some(IndexedDoc {
            name,
            lines,
            script,
            removed,
            paras,
        })
    }
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    /// A flags byte ([`flags_byte`]).
    fn flags(&mut self) -> Option<(Script, bool)> {
        let f = self.take(1)?[0];
        let script = match f & 1 {
            1 => Script::Traditional,
            _ => Script::Simplified,
        };
        (f <= 3).then_some((script, f & 2 == 2))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

/// What a segment (or an index, or a run's addition to one) holds: the counts the
/// manifest, `index info` and `summary.json` give, under these names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Held {
    /// Documents: those that stayed and, as links between copies, those removed as
    /// copies (`documents_removed` of them).
    pub documents: u64,
    pub documents_removed: u64,
    pub paragraphs: u64,
    pub paragraphs_searched: u64,
    pub keys: u64,
}

impl std::ops::AddAssign for Held {
    fn add_assign(&mut self, o: Held) {
        self.documents += o.documents;
        self.documents_removed += o.documents_removed;
        self.paragraphs += o.paragraphs;
        self.paragraphs_searched += o.paragraphs_searched;
        self.keys += o.keys;
    }
}

/// What a finished segment holds (recorded in the manifest).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SegmentStats {
    pub bytes: u64,
    /// xxh3 of the footer (which holds the tables' xxh3s).
    pub checksum: u64,
    pub held: Held,
}

/// A document ready to be added to a segment: its compressed frame, flags and counts,
/// and its probe keys.
pub struct Packed {
    frame: Vec<u8>,
    removed: bool,
    paragraphs: u64,
    searched: u64,
    probes: Vec<u64>,
}

impl Packed {
    /// `z` is a compressor to reuse (a zstd context costs more to make than a small
    /// document to compress).
    pub fn new(
        doc: &IndexedDoc,
        probes: Vec<u64>,
        min_chars: usize,
        z: &mut zstd::bulk::Compressor<'static>,
    ) -> std::io::Result<Packed> {
        let mut raw = Vec::new();
        doc.encode(&mut raw);
        Ok(Packed {
            frame: z.compress(&raw)?,
            removed: doc.removed,
            paragraphs: doc.paras.len() as u64,
            searched: doc
                .paras
                .iter()
                .filter(|p| p.key.searched(min_chars))
                .count() as u64,
            probes,
        })
    }
}

/// Writes one segment: documents as they come, then the probe table sorted one
/// partition at a time from temporary files beside it.
pub struct SegmentWriter {
    path: PathBuf,
    out: BufWriter<File>,
    pos: u64,
    docs: Vec<(u64, u32, u64)>,
    parts: Vec<BufWriter<File>>,
    part_dir: tempfile::TempDir,
    stats: SegmentStats,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::io(path, e)
}

impl SegmentWriter {
    /// A new segment file at `path` (created; it must not exist).
    pub fn create(path: &Path) -> Result<SegmentWriter> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(io(path))?;
        let part_dir = tempfile::Builder::new()
            .prefix(".zhclean-parts-")
            .tempdir_in(dir)
            .map_err(io(dir))?;
        let parts = (0..PARTITIONS)
            .map(|i| {
                let p = part_dir.path().join(format!("{i:02}"));
                File::create(&p).map(BufWriter::new).map_err(io(&p))
            })
            .collect::<Result<_>>()?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        out.write_all(&MAGIC).map_err(io(path))?;
        Ok(SegmentWriter {
            path: path.to_path_buf(),
            out,
            pos: MAGIC.len() as u64,
            docs: Vec::new(),
            parts,
            part_dir,
            stats: SegmentStats::default(),
        })
    }

    /// Append a document and the probe keys of its searched paragraphs.
    pub fn add(&mut self, doc: &IndexedDoc, probes: &[u64], min_chars: usize) -> Result<()> {
        let p = zstd::bulk::Compressor::new(LEVEL)
            .and_then(|mut z| Packed::new(doc, probes.to_vec(), min_chars, &mut z))
            .map_err(io(&self.path))?;
        self.add_packed(p)
    }

    /// Append a document packed with [`Packed::new`] (on any thread).
    pub fn add_packed(&mut self, p: Packed) -> Result<()> {
        let d = self.docs.len() as u32;
        self.out.write_all(&p.frame).map_err(io(&self.path))?;
        self.docs
            .push((self.pos, p.frame.len() as u32, xxh3_64(&p.frame)));
        self.pos += p.frame.len() as u64;
        self.stats.held += Held {
            documents: 1,
            documents_removed: u64::from(p.removed),
            paragraphs: p.paragraphs,
            paragraphs_searched: p.searched,
            keys: 0,
        };
        // A removed document's entries sort after the kept ones' of the same key, so
        // the kept ones are found first when a key has more than a lookup takes.
        let entry_doc = d | u32::from(p.removed) << 31;
        for &k in &p.probes {
            let part = &mut self.parts[(k >> 58) as usize];
            let mut e = [0u8; ENTRY];
            e[..8].copy_from_slice(&k.to_le_bytes());
            e[8..].copy_from_slice(&entry_doc.to_le_bytes());
            part.write_all(&e).map_err(io(self.part_dir.path()))?;
        }
        Ok(())
    }

    /// Sort and write the probe table, the tables and the footer; flush and sync the
    /// file. The segment is complete once this returns.
    pub fn finish(mut self) -> Result<SegmentStats> {
        let part_io = io(self.part_dir.path());
        let mut fences: Vec<u8> = Vec::new();
        let mut n_fences = 0u64;
        let parts = std::mem::take(&mut self.parts);
        for (i, part) in parts.into_iter().enumerate() {
            let file = part
                .into_inner()
                .map_err(|e| Error::io(self.part_dir.path(), e.into_error()))?;
            drop(file);
            let p = self.part_dir.path().join(format!("{i:02}"));
            let mut raw = Vec::new();
            File::open(&p)
                .and_then(|f| BufReader::new(f).read_to_end(&mut raw))
                .map_err(io(&p))?;
            std::fs::remove_file(&p).map_err(&part_io)?;
            let mut entries: Vec<(u64, u32)> = raw
                .chunks_exact(ENTRY)
                .map(|c| {
                    (
                        u64::from_le_bytes(c[..8].try_into().expect("8 bytes")),
                        u32::from_le_bytes(c[8..].try_into().expect("4 bytes")),
                    )
                })
                .collect();
            drop(raw);
            entries.par_sort_unstable();
            entries.dedup();
            self.stats.held.keys += entries.len() as u64;
            for block in entries.chunks(BLOCK) {
                let mut b = Vec::with_capacity(block.len() * ENTRY);
                for &(k, d) in block {
                    b.extend_from_slice(&k.to_le_bytes());
                    b.extend_from_slice(&d.to_le_bytes());
                }
                self.out.write_all(&b).map_err(io(&self.path))?;
                fences.extend_from_slice(&block[0].0.to_le_bytes());
                fences.extend_from_slice(&self.pos.to_le_bytes());
                fences.extend_from_slice(&(block.len() as u32).to_le_bytes());
                fences.extend_from_slice(&xxh3_64(&b).to_le_bytes());
                self.pos += b.len() as u64;
                n_fences += 1;
            }
        }
        let mut docs = Vec::with_capacity(self.docs.len() * DOC_ENTRY);
        for &(at, len, sum) in &self.docs {
            docs.extend_from_slice(&at.to_le_bytes());
            docs.extend_from_slice(&len.to_le_bytes());
            docs.extend_from_slice(&sum.to_le_bytes());
        }
        let docs_at = self.pos;
        self.out.write_all(&docs).map_err(io(&self.path))?;
        self.pos += docs.len() as u64;
        let fences_at = self.pos;
        self.out.write_all(&fences).map_err(io(&self.path))?;
        self.pos += fences.len() as u64;
        let mut footer = Vec::with_capacity(FOOTER);
        for v in [
            docs_at,
            self.docs.len() as u64,
            xxh3_64(&docs),
            fences_at,
            n_fences,
            xxh3_64(&fences),
            self.stats.held.keys,
        ] {
            footer.extend_from_slice(&v.to_le_bytes());
        }
        footer.extend_from_slice(&MAGIC);
        let sum = xxh3_64(&footer);
        footer.extend_from_slice(&sum.to_le_bytes());
        self.out.write_all(&footer).map_err(io(&self.path))?;
        self.pos += footer.len() as u64;
        let file = self
            .out
            .into_inner()
            .map_err(|e| Error::io(&self.path, e.into_error()))?;
        file.sync_all().map_err(io(&self.path))?;
        self.stats.bytes = self.pos;
        self.stats.checksum = sum;
        Ok(self.stats)
    }
}

/// A damaged segment: what is wrong, for the message that names the file.
fn damaged(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::Index {
        path: path.to_path_buf(),
        msg: format!("{what}: the file is damaged or was changed (rebuild the index with `zhclean index build`)"),
    }
}

struct Fence {
    first: u64,
    at: u64,
    len: u32,
    sum: u64,
}

/// An open segment: its tables in memory, its blocks and documents read on demand.
pub struct Segment {
    path: PathBuf,
    file: File,
    docs: Vec<(u64, u32, u64)>,
    fences: Vec<Fence>,
    pub keys: u64,
}

fn read_at(file: &File, at: u64, len: usize) -> std::io::Result<Vec<u8>> {
    let mut b = vec![0u8; len];
    crate::pipeline::read_at(file, &mut b, at)?;
    Ok(b)
}

impl Segment {
    /// Open the segment at `path`, which the manifest says is `bytes` long with footer
    /// xxh3 `checksum`; its footer and tables are checked.
    pub fn open(path: &Path, bytes: u64, checksum: u64) -> Result<Segment> {
        let file = File::open(path).map_err(io(path))?;
        let len = file.metadata().map_err(io(path))?.len();
        if len != bytes {
            return Err(damaged(
                path,
                format_args!("{len} bytes where the manifest says {bytes}"),
            ));
        }
        if len < (MAGIC.len() + FOOTER) as u64 {
            return Err(damaged(path, "too short to be a segment"));
        }
        let io = io(path);
        let head = read_at(&file, 0, MAGIC.len()).map_err(&io)?;
        if head[..7] == MAGIC[..7] && head[7] != FORMAT {
            return Err(Error::Index {
                path: path.to_path_buf(),
                msg: format!(
                    "segment format version {} (this zhclean reads version {FORMAT})",
                    head[7]
                ),
            });
        }
        if head != MAGIC {
            return Err(damaged(path, "not a zhclean index segment"));
        }
        let footer = read_at(&file, len - FOOTER as u64, FOOTER).map_err(&io)?;
        let sum = u64::from_le_bytes(footer[64..].try_into().expect("8 bytes"));
        if xxh3_64(&footer[..64]) != sum || footer[56..64] != MAGIC {
            return Err(damaged(path, "footer checksum mismatch"));
        }
        if sum != checksum {
            return Err(damaged(path, "footer differs from the one in the manifest"));
        }
        let mut r = Cursor(&footer[..56]);
        let v: Vec<u64> = (0..7).map(|_| r.u64().expect("56 bytes")).collect();
        let (docs_at, n_docs, docs_sum, fences_at, n_fences, fences_sum, keys) =
            (v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
        let table = |at: u64, n: u64, size: usize, sum: u64, what: &str| -> Result<Vec<u8>> {
            let end = n
                .checked_mul(size as u64)
                .and_then(|b| b.checked_add(at))
                .filter(|&e| e <= len - FOOTER as u64)
                .ok_or_else(|| damaged(path, format_args!("{what} table out of bounds")))?;
            let b = read_at(&file, at, (end - at) as usize).map_err(&io)?;
            if xxh3_64(&b) != sum {
                return Err(damaged(
                    path,
                    format_args!("{what} table checksum mismatch"),
                ));
            }
            Ok(b)
        };
        let docs = table(docs_at, n_docs, DOC_ENTRY, docs_sum, "document")?
            .chunks_exact(DOC_ENTRY)
            .map(|c| {
                let mut r = Cursor(c);
                let at = r.u64().expect("20 bytes");
                let len = r.u32().expect("20 bytes");
                (at, len, r.u64().expect("20 bytes"))
            })
            .collect();
        let fences = table(fences_at, n_fences, FENCE, fences_sum, "fence")?
            .chunks_exact(FENCE)
            .map(|c| {
                let mut r = Cursor(c);
                Fence {
                    first: r.u64().expect("28 bytes"),
                    at: r.u64().expect("28 bytes"),
                    len: r.u32().expect("28 bytes"),
                    sum: r.u64().expect("28 bytes"),
                }
            })
            .collect();
        Ok(Segment {
            path: path.to_path_buf(),
            file,
            docs,
            fences,
            keys,
        })
    }

    pub fn documents(&self) -> usize {
        self.docs.len()
    }

    /// The documents whose paragraphs have any of `probes` (sorted, no repeats),
    /// ascending; each key loads at most [`MAX_DOCS_PER_KEY`].
    pub fn lookup(&self, probes: &[u64]) -> Result<Vec<u32>> {
        // (block, probe) for every block a probe's entries can be in: from the last
        // block starting before it to the last starting at or before it.
        let mut wanted: Vec<(u32, u64)> = Vec::new();
        for &p in probes {
            let end = self.fences.partition_point(|f| f.first <= p);
            let start = self
                .fences
                .partition_point(|f| f.first < p)
                .saturating_sub(1);
            for b in start..end {
                wanted.push((b as u32, p));
            }
        }
        let per_block: Vec<&[(u32, u64)]> = wanted.chunk_by(|a, b| a.0 == b.0).collect();
        let found: Vec<Vec<(u64, u32)>> = per_block
            .par_iter()
            .map(|w| -> Result<Vec<(u64, u32)>> {
                let f = &self.fences[w[0].0 as usize];
                let b = self.block(w[0].0 as usize)?;
                let key = |i: usize| {
                    u64::from_le_bytes(b[i * ENTRY..i * ENTRY + 8].try_into().expect("8"))
                };
                let doc = |i: usize| {
                    u32::from_le_bytes(b[i * ENTRY + 8..i * ENTRY + 12].try_into().expect("4"))
                };
                let n = f.len as usize;
                let mut out = Vec::new();
                for &(_, p) in w.iter() {
                    let (mut lo, mut hi) = (0, n);
                    while lo < hi {
                        let mid = (lo + hi) / 2;
                        if key(mid) < p {
                            lo = mid + 1;
                        } else {
                            hi = mid;
                        }
                    }
                    let mut i = lo;
                    while i < n && key(i) == p && i - lo < MAX_DOCS_PER_KEY {
                        out.push((p, doc(i)));
                        i += 1;
                    }
                }
                Ok(out)
            })
            .collect::<Result<_>>()?;
        let mut hits: Vec<(u64, u32)> = found.concat();
        hits.sort_unstable();
        let mut docs: Vec<u32> = Vec::with_capacity(hits.len());
        for run in hits.chunk_by(|a, b| a.0 == b.0) {
            docs.extend(
                run.iter()
                    .take(MAX_DOCS_PER_KEY)
                    .map(|&(_, d)| d & !(1 << 31)),
            );
        }
        docs.sort_unstable();
        docs.dedup();
        if let Some(&d) = docs.iter().find(|&&d| d as usize >= self.docs.len()) {
            return Err(damaged(
                &self.path,
                format_args!("document {d} out of range"),
            ));
        }
        Ok(docs)
    }

    /// Document `d`, read and checked.
    pub fn doc(&self, d: u32) -> Result<IndexedDoc> {
        let (at, len, sum) = self.docs[d as usize];
        let frame = read_at(&self.file, at, len as usize).map_err(io(&self.path))?;
        if xxh3_64(&frame) != sum {
            return Err(damaged(
                &self.path,
                format_args!("document {d} checksum mismatch"),
            ));
        }
        let raw = zstd::stream::decode_all(&frame[..])
            .map_err(|_| damaged(&self.path, format_args!("document {d} does not decompress")))?;
        IndexedDoc::decode(&raw)
            .ok_or_else(|| damaged(&self.path, format_args!("document {d} is malformed")))
    }

    /// Read and check every block and document (`zhclean index info --verify`).
    pub fn verify(&self) -> Result<()> {
        (0..self.docs.len() as u32)
            .into_par_iter()
            .try_for_each(|d| self.doc(d).map(drop))?;
        (0..self.fences.len())
            .into_par_iter()
            .try_for_each(|i| self.block(i).map(drop))
    }

    /// Probe block `i`'s bytes, read and checked.
    fn block(&self, i: usize) -> Result<Vec<u8>> {
        let f = &self.fences[i];
        let b = read_at(&self.file, f.at, f.len as usize * ENTRY).map_err(io(&self.path))?;
        if xxh3_64(&b) != f.sum {
            return Err(damaged(
                &self.path,
                format_args!("probe block {i} checksum mismatch"),
            ));
        }
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(name: &str, key: u64) -> IndexedDoc {
        IndexedDoc {
            name: name.to_string(),
            lines: [1, 3],
            script: Script::Traditional,
            removed: key == 2,
            paras: vec![
                IndexedPara {
                    lines: [1, 1],
                    cols: None,
                    glued: false,
                    masks: 0,
                    key: KeyFacts {
                        key_chars: 5,
                        key_hash: 7,
                    },
                    script: Script::Simplified,
                    removed: false,
                    tokens: Vec::new(),
                },
                IndexedPara {
                    lines: [2, 3],
                    cols: Some([4, 9]),
                    glued: true,
                    masks: 2,
                    key: KeyFacts {
                        key_chars: 40,
                        key_hash: key,
                    },
                    script: Script::Traditional,
                    removed: true,
                    tokens: vec![1, 2, 3, u32::MAX],
                },
            ],
        }
    }

    #[test]
    fn documents_round_trip_and_keys_find_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.seg");
        let mut w = SegmentWriter::create(&path).unwrap();
        // Enough keys for several blocks, one key shared by two documents.
        for d in 0..3u64 {
            let keys: Vec<u64> = (0..5000u64)
                .map(|k| xxh3_64(&(d * 10_000 + k).to_le_bytes()))
                .chain([42])
                .collect();
            w.add(&doc(&format!("d{d}.txt"), d), &keys, 20).unwrap();
        }
        let stats = w.finish().unwrap();
        assert_eq!(
            (
                stats.held.documents,
                stats.held.documents_removed,
                stats.held.paragraphs,
                stats.held.paragraphs_searched
            ),
            (3, 1, 6, 3)
        );
        assert_eq!(
            stats.held.keys, 15_003,
            "5,000 keys of each document, and 42 in all three"
        );
        let s = Segment::open(&path, stats.bytes, stats.checksum).unwrap();
        assert_eq!(s.doc(1).unwrap(), doc("d1.txt", 1));
        let k = |d: u64, k: u64| xxh3_64(&(d * 10_000 + k).to_le_bytes());
        let mut probes = vec![42, k(2, 4999), k(0, 0), 99];
        probes.sort_unstable();
        assert_eq!(s.lookup(&probes).unwrap(), [0, 1, 2]);
        assert_eq!(s.lookup(&[k(1, 17)]).unwrap(), [1]);
        assert!(s.lookup(&[5]).unwrap().is_empty());
        s.verify().unwrap();
    }

    #[test]
    fn damage_is_reported_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.seg");
        let mut w = SegmentWriter::create(&path).unwrap();
        w.add(&doc("a.txt", 1), &[1, 2, 3], 20).unwrap();
        let stats = w.finish().unwrap();
        let good = std::fs::read(&path).unwrap();
        // A flipped byte in the document, then a truncated file.
        let mut bad = good.clone();
        bad[MAGIC.len() + 3] ^= 0x40;
        std::fs::write(&path, &bad).unwrap();
        let s = Segment::open(&path, stats.bytes, stats.checksum).unwrap();
        let e = s.doc(0).unwrap_err().to_string();
        assert!(e.contains("document 0 checksum mismatch"), "{e}");
        std::fs::write(&path, &good[..good.len() - 5]).unwrap();
        let e = Segment::open(&path, stats.bytes, stats.checksum)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("where the manifest says"), "{e}");
    }
}
