//! Text files cleaned into record shards (`--output-format jsonl|parquet`): each file
//! that keeps text becomes a record `{"id": <relative path>, "text": <cleaned text>}`,
//! files in path order, in shards of [`SHARD_BYTES`] of text under `clean/`
//! (`part-00000.jsonl.zst`, … or `part-00000.parquet`, …, as `zhclean synth --format`
//! writes them).
//!
//! The write phase hands over cleaned texts from several threads in any order: they are
//! appended to a spool file in the staging folder, and [`ShardSink::finish`] writes
//! the shards in path order from it.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use super::source::read_exact_at;
use super::{Format, ShardWriter};
use crate::error::{Error, Result};
use crate::report::Staging;
use crate::sink::{CleanOut, StagedClean};

/// Text a shard holds before the next one starts.
pub const SHARD_BYTES: u64 = 64 << 20;

#[derive(Default)]
struct Spool {
    w: Option<std::io::BufWriter<File>>,
    at: u64,
    /// By unit: where its cleaned text is in the spool.
    texts: HashMap<String, (u64, u64)>,
}

/// Cleaned text files written as record shards into a staging folder (see the module
/// doc); reports go to the staging folder as for text files.
pub struct ShardSink<'a> {
    staging: &'a Staging,
    format: Format,
    spool: Mutex<Spool>,
}

impl<'a> ShardSink<'a> {
    pub fn new(staging: &'a Staging, format: Format) -> ShardSink<'a> {
        ShardSink {
            staging,
            format,
            spool: Mutex::default(),
        }
    }

    fn spool_path(&self) -> PathBuf {
        self.staging.dir().join("clean-shards.spool")
    }

    /// Write the shards (files in path order); how many.
    pub fn finish(&self) -> Result<usize> {
        let spool = std::mem::take(&mut *self.spool.lock().expect("not poisoned"));
        let path = self.spool_path();
        let dir = self.staging.clean_path("");
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let mut shards = ShardWriter::new(&dir, self.format, SHARD_BYTES);
        if let Some(mut w) = spool.w {
            w.flush().map_err(|e| Error::io(&path, e))?;
            drop(w);
            let f = File::open(&path).map_err(|e| Error::io(&path, e))?;
            let mut units: Vec<(&String, &(u64, u64))> = spool.texts.iter().collect();
            units.sort();
            let mut buf = Vec::new();
            for (unit, &(at, len)) in units {
                buf.resize(len as usize, 0);
                read_exact_at(&f, &mut buf, at).map_err(|e| Error::io(&path, e))?;
                let text = std::str::from_utf8(&buf)
                    .map_err(|_| Error::Config(format!("cleaned text of {unit} is not UTF-8")))?;
                // A record's text does not end with the file's last newline.
                shards.push(unit, text.strip_suffix('\n').unwrap_or(text))?;
            }
            let _ = std::fs::remove_file(&path);
        }
        shards.finish()
    }
}

impl CleanOut for ShardSink<'_> {
    fn clean(&self, unit: &str, text: &[u8]) -> Result<()> {
        let path = self.spool_path();
        let mut s = self.spool.lock().expect("not poisoned");
        if s.w.is_none() {
            let f = File::create(&path).map_err(|e| Error::io(&path, e))?;
            s.w = Some(std::io::BufWriter::with_capacity(1 << 20, f));
        }
        let at = s.at;
        s.w.as_mut()
            .expect("just opened")
            .write_all(text)
            .map_err(|e| Error::io(&path, e))?;
        s.at += text.len() as u64;
        s.texts.insert(unit.to_string(), (at, text.len() as u64));
        Ok(())
    }
}

impl StagedClean for ShardSink<'_> {
    fn staging(&self) -> &Staging {
        self.staging
    }
}
