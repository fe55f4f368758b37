//! Helpers for the integration tests: run the real binary on a fixture folder and read
//! its reports.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub fn zhclean() -> Command {
    Command::new(env!("CARGO_BIN_EXE_zhclean"))
}

/// A finished `clean` run: its output folder (kept alive) and process output.
pub struct Run {
    pub dir: tempfile::TempDir,
    pub output: Output,
}

impl Run {
    pub fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }
    pub fn code(&self) -> i32 {
        self.output.status.code().expect("exit code")
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
    pub fn report(&self, name: &str) -> String {
        std::fs::read_to_string(self.out().join("report").join(name)).expect("report file")
    }
    pub fn jsonl(&self, name: &str) -> Vec<Value> {
        self.report(name)
            .lines()
            .map(|l| serde_json::from_str(l).expect("valid JSON line"))
            .collect()
    }
    pub fn summary(&self) -> Value {
        serde_json::from_str(&self.report("summary.json")).expect("summary JSON")
    }
    pub fn clean(&self, rel: &str) -> Option<String> {
        std::fs::read_to_string(self.out().join("clean").join(rel)).ok()
    }
    /// Every output file except the run-dependent part of summary.json, by path.
    pub fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        snapshot(&self.out())
    }
}

/// Run `zhclean clean INPUT --out <tmp>/out ARGS…`.
pub fn clean(input: &Path, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let output = zhclean()
        .arg("clean")
        .arg(input)
        .arg("--out")
        .arg(dir.path().join("out"))
        .arg("--quiet")
        .args(args)
        .output()
        .unwrap();
    Run { dir, output }
}

/// A fresh input folder `<tmp>/in` (the temp dir must outlive its use).
pub fn input_dir() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("in");
    std::fs::create_dir(&input).unwrap();
    (d, input)
}

/// Hash of every file under a folder, to prove the input was not touched.
pub fn tree_digest(root: &Path) -> BTreeMap<PathBuf, (Vec<u8>, bool)> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let ro = e.metadata().unwrap().permissions().readonly();
            (
                e.path().to_path_buf(),
                (std::fs::read(e.path()).unwrap(), ro),
            )
        })
        .collect()
}

/// Every file of an output folder by relative path (`/`-separated); `summary.json`
/// without its `run` section (times and threads), the one part that may differ between
/// runs of the same input.
pub fn snapshot(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut m = BTreeMap::new();
    for (rel, path) in files_under(out) {
        let mut bytes = std::fs::read(path).unwrap();
        if rel == "report/summary.json" {
            let mut v: Value = serde_json::from_slice(&bytes).unwrap();
            v.as_object_mut().unwrap().remove("run");
            bytes = serde_json::to_vec(&v).unwrap();
        }
        m.insert(rel, bytes);
    }
    m
}

/// The files under `root`, in name order: their paths relative to it (`/`-separated)
/// and to open.
pub fn files_under(root: &Path) -> Vec<(String, PathBuf)> {
    walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(root).unwrap().to_string_lossy();
            (rel.replace('\\', "/"), e.path().to_path_buf())
        })
        .collect()
}

/// The seeds' texts one after the other: a source for `synth`.
pub fn seeds_text() -> String {
    seeds().into_iter().map(|(_, t)| t).collect()
}

/// The seeds' files in name order, with their text.
pub fn seeds() -> Vec<(PathBuf, String)> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(fixtures().join("seeds"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v.into_iter()
        .map(|p| {
            let t = std::fs::read_to_string(&p).unwrap();
            (p, t)
        })
        .collect()
}

/// `zhclean synth` on `source` (written to `<dir>/source.txt`) into `<dir>/synth` with
/// `args`: the source file and the synth folder (corpus/, and truth.json unless
/// `--no-truth`).
pub fn synth(dir: &Path, source: &str, args: &[&str]) -> (PathBuf, PathBuf) {
    let src = dir.join("source.txt");
    std::fs::write(&src, source).unwrap();
    let syn = dir.join("synth");
    synth_file(&src, &syn, args);
    (src, syn)
}

/// `zhclean synth SRC --out OUT ARGS…`, which must succeed.
pub fn synth_file(src: &Path, out: &Path, args: &[&str]) {
    let st = zhclean()
        .arg("synth")
        .arg(src)
        .arg("--out")
        .arg(out)
        .args(args)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
}

/// `zhclean eval TRUTH <run's report> --json`, which must succeed: its scores.
pub fn eval_json(truth: &Path, run: &Run) -> Value {
    let ev = zhclean()
        .arg("eval")
        .arg(truth)
        .arg(run.out().join("report"))
        .arg("--json")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&ev.stderr);
    assert!(ev.status.success(), "{err}");
    serde_json::from_slice(&ev.stdout).unwrap()
}
