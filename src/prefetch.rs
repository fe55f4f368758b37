//! Reading units ahead of the workers that analyse them.
//!
//! On a cold page cache a run waits on the disk: with one blocking read per worker
//! thread, two threads keep two reads in flight, while the disk serves many at once
//! (reading 40 000 files of the 1 GB corpus cold took 3.4 s with 2 concurrent readers,
//! 1.5 s with 8). [`read_ahead`] runs [`READERS`] reader threads that take the files in
//! order and hand their bytes over a bounded channel, so the workers find them read.
//! A reader takes [`BATCH`] consecutive files at a time and sends them as one message:
//! a message per file cost a thread wake-up per file, which on a warm cache (where a
//! read is a copy) cost more than the read. The channel's order is the order batches
//! finish, not the files' order; each file carries its index for the caller to put
//! results back in order.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
use std::time::Instant;

/// Reader threads: reads in flight on a cold cache. They wait on the disk, not on
/// a core, so they may outnumber the cores.
pub const READERS: usize = 8;
/// Batches read and not yet taken, at most, beyond those the readers hold.
pub const DEPTH: usize = 4;
/// Consecutive files a reader reads and sends together.
pub const BATCH: usize = 16;
/// Readers, batch and depth of the analyze phase.
pub const DEFAULT: (usize, usize, usize) = (READERS, BATCH, DEPTH);

/// One file's bytes, read ahead.
pub struct Read {
    /// Index of the file in the list given to [`read_ahead`].
    pub index: usize,
    pub bytes: std::io::Result<Vec<u8>>,
    /// Nanoseconds the read took.
    pub read_ns: u64,
}

/// Read something with `read`, and how long that took in nanoseconds.
pub fn timed(read: impl FnOnce() -> std::io::Result<Vec<u8>>) -> (std::io::Result<Vec<u8>>, u64) {
    let t = Instant::now();
    let bytes = read();
    (bytes, t.elapsed().as_nanos() as u64)
}

/// Read units `0..n` with `read` on `readers` threads, in order, `batch` consecutive
/// units to a message and at most `depth` messages ahead of `consume`, which gets them
/// as they arrive (every unit exactly once, unless it stops taking them; the readers
/// then stop too). Returns what `consume` returns, once every reader has stopped.
pub fn read_ahead<R>(
    n: usize,
    read: impl Fn(usize) -> std::io::Result<Vec<u8>> + Sync,
    (readers, batch, depth): (usize, usize, usize),
    consume: impl FnOnce(Receiver<Vec<Read>>) -> R,
) -> R {
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        let (tx, rx) = sync_channel(depth);
        let batch = batch.max(1);
        let read = &read;
        for _ in 0..readers.clamp(1, n.div_ceil(batch).max(1)) {
            let tx = tx.clone();
            let next = &next;
            s.spawn(move || loop {
                let first = next.fetch_add(batch, Ordering::Relaxed);
                if first >= n {
                    break;
                }
                let reads = (first..(first + batch).min(n))
                    .map(|index| {
                        let (bytes, read_ns) = timed(|| read(index));
                        Read {
                            index,
                            bytes,
                            read_ns,
                        }
                    })
                    .collect();
                if tx.send(reads).is_err() {
                    // The consumer is gone.
                    break;
                }
            });
        }
        drop(tx);
        consume(rx)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_arrives_once_with_its_own_bytes_or_error() {
        let d = tempfile::tempdir().unwrap();
        let mut paths = Vec::new();
        for i in 0..100 {
            let p = d.path().join(format!("{i}.txt"));
            if i % 7 != 3 {
                std::fs::write(&p, format!("file {i}")).unwrap();
            }
            paths.push(p);
        }
        for (readers, batch) in [(1, 1), (3, 1), (READERS, BATCH), (3, 7), (2, 200)] {
            let read = |i: usize| std::fs::read(&paths[i]);
            let mut got: Vec<_> = read_ahead(paths.len(), read, (readers, batch, 2), |rx| {
                rx.into_iter().flatten().collect()
            });
            assert_eq!(got.len(), paths.len());
            got.sort_by_key(|r| r.index);
            for (i, r) in got.iter().enumerate() {
                assert_eq!(r.index, i);
                match &r.bytes {
                    Ok(b) => assert_eq!(b, format!("file {i}").as_bytes()),
                    Err(e) => {
                        assert_eq!(i % 7, 3, "{e}");
                        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
                    }
                }
            }
        }
        // No files: the consumer sees the channel close at once.
        let none = |_: usize| -> std::io::Result<Vec<u8>> { unreachable!("no unit to read") };
        assert_eq!(read_ahead(0, none, DEFAULT, |rx| rx.iter().count()), 0);
    }

    #[test]
    fn a_consumer_that_stops_early_stops_the_readers() {
        let d = tempfile::tempdir().unwrap();
        let paths: Vec<_> = (0..1000)
            .map(|i| {
                let p = d.path().join(format!("{i}"));
                std::fs::write(&p, "x").unwrap();
                p
            })
            .collect();
        // Returns (the scope joins every reader) after taking 5 batches of 3 of the 1000
        // files.
        let read = |i: usize| std::fs::read(&paths[i]);
        let taken = read_ahead(paths.len(), read, (4, 3, 2), |rx| {
            rx.iter().take(5).flatten().count()
        });
        assert_eq!(taken, 15);
    }
}
