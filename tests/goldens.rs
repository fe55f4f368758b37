//! Goldens: a digest of every output file of fixed runs, recorded from a known binary
//! and compared on every test run, so a change that should leave outputs alone (the
//! pipeline split of issue 22, a faster kernel) proves it did. A change that means to
//! alter outputs records them again and says why in its commit:
//! `ZHCLEAN_RECORD_GOLDENS=1 cargo test --release goldens`. `bench/goldens.sh` runs
//! the same comparison on large synth corpora.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::util::*;

/// The recorded digests: `run<TAB>file<TAB>xxh3-128` lines, sorted.
const GOLDENS: &str = "tests/goldens.tsv";

/// The runs: a name, the corpus (relative to a folder that holds `fixtures` and the
/// made corpora) and the flags.
const RUNS: &[(&str, &str, &[&str])] = &[
    ("fixtures-default", "fixtures", &[]),
    (
        "fixtures-longest-token",
        "fixtures",
        &[
            "--keep",
            "longest",
            "--mask-style",
            "token",
            "--threshold",
            "0.6",
        ],
    ),
    ("synth-default", "synth", &[]),
    (
        "synth-fold-none-first",
        "synth",
        &["--fold", "none", "--keep", "first", "--shingle", "char:5"],
    ),
    (
        "synth-simplified-capped",
        "synth",
        &[
            "--script",
            "simplified",
            "--max-partners",
            "3",
            "--keep-boilerplate",
        ],
    ),
    (
        "synth-spilled",
        "synth",
        &["--spill-budget", "1K", "-j", "1"],
    ),
    ("long-default", "long", &[]),
];

/// Digests of every file under `out`, by relative path; `summary.json` without its
/// `run` section (times and threads).
fn digests(out: &Path) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for e in walkdir::WalkDir::new(out).sort_by_file_name() {
        let e = e.unwrap();
        if !e.file_type().is_file() {
            continue;
        }
        let rel = e
            .path()
            .strip_prefix(out)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let mut bytes = std::fs::read(e.path()).unwrap();
        if rel == "report/summary.json" {
            let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            v.as_object_mut().unwrap().remove("run");
            bytes = serde_json::to_vec(&v).unwrap();
        }
        m.insert(rel, format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&bytes)));
    }
    m
}

/// The corpora the runs read: the fixtures, a varied synth corpus of 60 documents made
/// from the seeds, and two page-long lines (one a copy of the other's second half).
fn corpora(root: &Path) {
    let seeds_text: String = walkdir::WalkDir::new(fixtures().join("seeds"))
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    let source = root.join("source.txt");
    std::fs::write(&source, &seeds_text).unwrap();
    let made = root.join("made");
    let st = zhclean()
        .args([
            "synth",
            source.to_str().unwrap(),
            "--out",
            made.to_str().unwrap(),
        ])
        .args(["--seed", "11", "--docs", "60", "--varied", "--no-truth"])
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    std::fs::rename(made.join("corpus"), root.join("synth")).unwrap();
    let line: String = seeds_text.lines().map(str::trim).collect();
    let page: String = line.chars().take(9000).collect();
    let half: String = page.chars().skip(4000).collect();
    std::fs::create_dir_all(root.join("long")).unwrap();
    std::fs::write(root.join("long/page.txt"), format!("{page}\n")).unwrap();
    std::fs::write(root.join("long/half.txt"), format!("标题\n{half}\n")).unwrap();
}

#[test]
fn goldens_outputs_are_byte_identical_to_the_recorded_ones() {
    let dir = tempfile::tempdir().unwrap();
    corpora(dir.path());
    let mut got = String::new();
    for (name, corpus, flags) in RUNS {
        let input = if *corpus == "fixtures" {
            fixtures()
        } else {
            dir.path().join(corpus)
        };
        let out = dir.path().join("out").join(name);
        let st = zhclean()
            .arg("clean")
            .arg(&input)
            .arg("--out")
            .arg(&out)
            .arg("-q")
            .args(*flags)
            .output()
            .unwrap();
        // The fixtures hold a file with invalid bytes: exit 1, a whole run.
        assert!(
            matches!(st.status.code(), Some(0 | 1)),
            "{name}: {}",
            String::from_utf8_lossy(&st.stderr)
        );
        for (rel, d) in digests(&out) {
            writeln!(got, "{name}\t{rel}\t{d}").unwrap();
        }
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(GOLDENS);
    if std::env::var_os("ZHCLEAN_RECORD_GOLDENS").is_some() {
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).expect("tests/goldens.tsv");
    if got != want {
        let w: std::collections::BTreeSet<&str> = want.lines().collect();
        let g: std::collections::BTreeSet<&str> = got.lines().collect();
        let gone: Vec<&&str> = w.difference(&g).take(10).collect();
        let new: Vec<&&str> = g.difference(&w).take(10).collect();
        panic!(
            "outputs differ from {GOLDENS} (if meant, record them again with \
             ZHCLEAN_RECORD_GOLDENS=1 and say why in the commit)\nrecorded, now missing: \
             {gone:#?}\nnew: {new:#?}"
        );
    }
}
