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

/// Digests of every file under `out` (see [`snapshot`]), by relative path.
fn digests(out: &Path) -> BTreeMap<String, String> {
    snapshot(out)
        .into_iter()
        .map(|(rel, bytes)| (rel, format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&bytes))))
        .collect()
}

/// The corpora the runs read: the fixtures, a varied synth corpus of 60 documents made
/// from the seeds, and two page-long lines (one a copy of the other's second half).
fn corpora(root: &Path) {
    let seeds_text: String = seeds().into_iter().map(|(_, t)| t).collect();
    let args = ["--seed", "11", "--docs", "60", "--varied", "--no-truth"];
    synth(root, &seeds_text, &args);
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
        let input = match *corpus {
            "fixtures" => fixtures(),
            "synth" => dir.path().join("synth/corpus"),
            other => dir.path().join(other),
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
