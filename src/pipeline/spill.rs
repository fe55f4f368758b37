//! The spill file: files' key tokens and band keys kept on disk between the phases
//! beyond their memory budgets, read back by position.

use super::*;

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
    pub(super) file: std::fs::File,
    /// Bytes written or reserved so far.
    pub(super) len: AtomicU64,
    /// Bytes of tokens that may still stay in memory.
    pub(super) token_budget: AtomicU64,
    /// Bytes of band keys that may still stay in memory.
    pub(super) key_budget: AtomicU64,
    /// Some file's band keys went to disk.
    pub(super) keys_spilled: AtomicBool,
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
    pub(super) fn reserve(&self, size: u64) -> u64 {
        self.len.fetch_add(size, Ordering::Relaxed)
    }

    /// Append `bytes`; returns their offset.
    pub(super) fn append(&self, bytes: &[u8]) -> std::io::Result<u64> {
        let at = self.reserve(bytes.len() as u64);
        write_at(&self.file, bytes, at)?;
        Ok(at)
    }

    /// Move `f`'s key tokens and band keys from memory into the spill file, each
    /// unless it fits in what is left of its memory budget.
    pub fn spill(&self, f: &mut AnalyzedFile) -> std::io::Result<()> {
        if let FileTokens::Memory(v) = &f.facts.tokens {
            if !take_budget(&self.token_budget, v.len() as u64 * 4) {
                f.facts.tokens = FileTokens::Spilled(self.append(&le_bytes(v, u32::to_le_bytes))?);
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
    pub(super) fn read_le<T, const N: usize>(
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
pub(super) fn le_bytes<T: std::marker::Copy, const N: usize>(
    v: &[T],
    to: fn(T) -> [u8; N],
) -> Vec<u8> {
    // Sized up front: collecting a flat_map grows the vector as it goes, at half the
    // speed for u32 (2.0 against 1.1 ms a million, best of 9).
    let mut out = Vec::with_capacity(v.len() * N);
    for &x in v {
        out.extend_from_slice(&to(x));
    }
    out
}

#[cfg(unix)]
pub(super) fn write_at(f: &std::fs::File, bytes: &[u8], pos: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(f, bytes, pos)
}

#[cfg(unix)]
pub(crate) fn read_at(f: &std::fs::File, bytes: &mut [u8], pos: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(f, bytes, pos)
}

#[cfg(windows)]
pub(super) fn write_at(f: &std::fs::File, mut bytes: &[u8], mut pos: u64) -> std::io::Result<()> {
    while !bytes.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_write(f, bytes, pos)?;
        bytes = &bytes[n..];
        pos += n as u64;
    }
    Ok(())
}

#[cfg(windows)]
pub(crate) fn read_at(
    f: &std::fs::File,
    mut bytes: &mut [u8],
    mut pos: u64,
) -> std::io::Result<()> {
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
