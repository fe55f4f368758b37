//! The saved index (`clean --index`, `index build`, `index info`): cleaning batch after
//! batch against it removes what one run over all of them removes; a crash, a second
//! updater, damage, other parameters and `read` mode leave it whole.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use xxhash_rust::xxh3::xxh3_64;

use super::util::*;

/// `zhclean clean INPUT --out OUT --index IDX ARGS… --quiet`.
fn clean_indexed(input: &Path, out: &Path, idx: &Path, args: &[&str]) -> std::process::Output {
    zhclean()
        .arg("clean")
        .arg(input)
        .arg("--out")
        .arg(out)
        .arg("--index")
        .arg(idx)
        .arg("--quiet")
        .args(args)
        .output()
        .unwrap()
}

fn ok(o: &std::process::Output) {
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A run's summary.json.
fn summary_of(out: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(out.join("report/summary.json")).unwrap()).unwrap()
}

/// A run's first document cluster.
fn document_cluster(out: &Path) -> serde_json::Value {
    fs::read_to_string(out.join("report/clusters.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|c| c["level"] == "document")
        .expect("a document cluster")
}

/// What a run removed as copies, by file, and what it wrote, by file: for the files
/// `only` names.
type Removed = BTreeSet<(String, String)>;
fn outcome(out: &Path, only: &BTreeSet<String>) -> (Removed, BTreeMap<String, Vec<u8>>) {
    let removed = fs::read_to_string(out.join("report/removed.jsonl")).unwrap();
    let removed = removed
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["reason"] == "duplicate")
        .map(|r| {
            let f = r["file"].as_str().unwrap().to_string();
            let at = format!(
                "{}{}",
                r["lines"],
                r.get("cols").map(|c| c.to_string()).unwrap_or_default()
            );
            (f, at)
        })
        .filter(|(f, _)| only.contains(f))
        .collect();
    let clean = files_under(&out.join("clean"))
        .into_iter()
        .filter(|(rel, _)| only.contains(rel))
        .map(|(rel, p)| (rel, fs::read(p).unwrap()))
        .collect();
    (removed, clean)
}

/// Split the files of `corpus` into `batches` (`batch_of` a file's relative path), lay each batch out under `b<k>/` so the batches' paths sort in order, and
/// clean batch after batch against one index: each batch loses what one `--keep first`
/// run over it and the batches before it removes from it, and keeps the same text.
fn batches_equal_one_run(
    corpus: &Path,
    batches: usize,
    batch_of: impl Fn(&str) -> usize,
    extra: &[&str],
) -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let mut names: Vec<BTreeSet<String>> = vec![BTreeSet::new(); batches];
    for (rel, path) in files_under(corpus) {
        let k = batch_of(&rel);
        let name = format!("b{k}/{rel}");
        // Batch k alone, and in every union of batches up to one at or after it.
        let roots = std::iter::once(dir.path().join(format!("batch{k}")))
            .chain((k.max(1)..batches).map(|j| dir.path().join(format!("upto{j}"))));
        for root in roots {
            let to = root.join(&name);
            fs::create_dir_all(to.parent().unwrap()).unwrap();
            fs::copy(&path, &to).unwrap();
        }
        names[k].insert(name);
    }
    assert!(names.iter().all(|n| !n.is_empty()), "an empty batch");
    let idx = dir.path().join("idx");
    let mut against_index = 0;
    for (k, only) in names.iter().enumerate() {
        let out = dir.path().join(format!("out{k}"));
        let args = [&["--keep", "first"][..], extra].concat();
        let o = clean_indexed(&dir.path().join(format!("batch{k}")), &out, &idx, &args);
        ok(&o);
        let s = summary_of(&out);
        assert_eq!(s["index"]["runs"], k);
        assert_eq!(s["index"]["added"]["run"], k + 1);
        if k == 0 {
            continue;
        }
        against_index += s["index"]["removed_paragraphs"].as_u64().unwrap()
            + s["index"]["removed_documents"].as_u64().unwrap();
        let one = clean(&dir.path().join(format!("upto{k}")), &["--keep", "first"]);
        assert_eq!(one.code(), 0, "{}", one.stderr());
        let want = outcome(&one.out(), only);
        let got = outcome(&out, only);
        let missing: Vec<_> = want.0.difference(&got.0).collect();
        let extra: Vec<_> = got.0.difference(&want.0).collect();
        assert!(missing.is_empty() && extra.is_empty(), "batch {k} of {batches}: removed in one run only {missing:?}; against the index only {extra:?}");
        assert_eq!(
            want.1.keys().collect::<Vec<_>>(),
            got.1.keys().collect::<Vec<_>>(),
            "batch {k}"
        );
        for (f, text) in &want.1 {
            assert!(got.1[f] == *text, "batch {k}: {f} differs");
        }
    }
    assert!(
        against_index > 0,
        "nothing was removed against the index: the test proves nothing"
    );
    against_index
}

/// Each file in one of `n` batches by a hash of its path and `seed`.
fn at_random(n: usize, seed: u64) -> impl Fn(&str) -> usize {
    move |rel| (xxh3_64(format!("{seed}/{rel}").as_bytes()) % n as u64) as usize
}

#[test]
fn batches_against_the_index_remove_what_one_run_removes_on_the_seeds() {
    batches_equal_one_run(&fixtures().join("seeds"), 2, at_random(2, 1), &[]);
}

#[test]
fn batches_against_the_index_remove_what_one_run_removes_on_a_synth_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let (_, syn) = synth(
        dir.path(),
        &seeds_text(),
        &["--seed", "5", "--docs", "80", "--varied", "--no-truth"],
    );
    let corpus = syn.join("corpus");
    batches_equal_one_run(&corpus, 2, at_random(2, 7), &[]);
    // With every file's tokens and band keys on disk: the index reads and writes them
    // from the spill file.
    batches_equal_one_run(
        &corpus,
        5,
        at_random(5, 11),
        &["--spill-budget", "0", "-j", "3"],
    );
}

/// An indexed document whose every paragraph was removed as a copy (of two earlier
/// documents, neither of which holds 80 % of it) still stays, and a new copy of it is
/// a document copy of it, as in one run: the index finds it through those paragraphs.
#[test]
fn a_copy_of_an_indexed_document_made_of_removed_paragraphs_is_a_document_copy() {
    let paras: Vec<String> = seeds_text()
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| (60..300).contains(&l.chars().count()) && l.ends_with('。'))
        .take(10)
        .collect();
    assert_eq!(paras.len(), 10);
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c");
    fs::create_dir_all(&corpus).unwrap();
    let join = |ix: &[usize]| {
        ix.iter()
            .map(|&i| paras[i].as_str())
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    };
    fs::write(corpus.join("a1.txt"), join(&[0, 1, 2, 3, 4])).unwrap();
    fs::write(corpus.join("a2.txt"), join(&[5, 6, 7, 8, 9])).unwrap();
    let mixed = join(&[0, 1, 5, 6]);
    fs::write(corpus.join("a3.txt"), &mixed).unwrap();
    fs::write(corpus.join("b.txt"), &mixed).unwrap();
    let removed = batches_equal_one_run(&corpus, 2, |rel| usize::from(rel == "b.txt"), &[]);
    assert_eq!(removed, 1, "b.txt goes as one document copy of a3.txt");
}

/// The index as it reads: the manifest and the segments it names, by name.
fn index_state(idx: &Path) -> BTreeMap<String, Vec<u8>> {
    let manifest = fs::read(idx.join("manifest.json")).unwrap_or_default();
    let mut out = BTreeMap::new();
    if !manifest.is_empty() {
        let v: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
        for r in v["runs"].as_array().unwrap() {
            let s = r["segment"].as_str().unwrap();
            out.insert(s.to_string(), fs::read(idx.join(s)).unwrap());
        }
    }
    out.insert("manifest.json".to_string(), manifest);
    out
}

/// Two batches of the seeds: 000–002 and 003–004.
fn two_batches(dir: &Path) -> (PathBuf, PathBuf) {
    let (a, b) = (dir.join("a"), dir.join("b"));
    fs::create_dir_all(&a).unwrap();
    fs::create_dir_all(&b).unwrap();
    for (path, _) in seeds() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let to = if name.as_str() < "003" { &a } else { &b };
        fs::copy(&path, to.join(&name)).unwrap();
    }
    (a, b)
}

/// [`two_batches`] in a temporary folder, the first batch cleaned into the index
/// `<tmp>/idx`: the folder, the two batches and the index.
fn first_batch_indexed() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_batches(dir.path());
    let idx = dir.path().join("idx");
    ok(&clean_indexed(&a, &dir.path().join("oa"), &idx, &[]));
    (dir, a, b, idx)
}

#[test]
fn a_crash_at_any_step_of_an_update_leaves_the_index_before_or_after() {
    // The index after a, and after a then b, without crashes.
    let (dir, a, b, idx) = first_batch_indexed();
    let before = index_state(&idx);
    let reference = dir.path().join("ref");
    ok(&clean_indexed(&a, &dir.path().join("ra"), &reference, &[]));
    ok(&clean_indexed(&b, &dir.path().join("rb"), &reference, &[]));
    let after = index_state(&reference);
    assert_ne!(before, after);
    for (point, done) in [
        ("index-segment-written", false),
        ("index-segment-renamed", false),
        ("index-manifest-written", false),
        ("index-committed", true),
    ] {
        let copy = dir.path().join(format!("idx-{point}"));
        fs::create_dir_all(&copy).unwrap();
        for (name, bytes) in &before {
            fs::write(copy.join(name), bytes).unwrap();
        }
        let out = dir.path().join(format!("o-{point}"));
        let o = zhclean()
            .arg("clean")
            .arg(&b)
            .arg("--out")
            .arg(&out)
            .arg("--index")
            .arg(&copy)
            .arg("-q")
            .env("ZHCLEAN_FAILPOINT", point)
            .output()
            .unwrap();
        assert_ne!(
            o.status.code(),
            Some(0),
            "{point}: the failpoint did not fire"
        );
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(point),
            "{point}"
        );
        let state = index_state(&copy);
        assert!(
            state == if done { after.clone() } else { before.clone() },
            "{point}: the index is in between"
        );
        // The next update clears what the crash left and ends where an uninterrupted
        // run does.
        if !done {
            ok(&clean_indexed(
                &b,
                &dir.path().join(format!("o2-{point}")),
                &copy,
                &[],
            ));
            assert!(index_state(&copy) == after, "{point}: a rerun differs");
            let left: Vec<String> = fs::read_dir(&copy)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| {
                    !["lock", "manifest.json", "run-000001.seg", "run-000002.seg"]
                        .contains(&n.as_str())
                })
                .collect();
            assert!(left.is_empty(), "{point}: left behind {left:?}");
        }
    }
}

/// A real `kill -9` at moments spread over an update run (analysis, grouping, the
/// segment, the commit): the index reads as before or as after, and a rerun ends where
/// an uninterrupted run does.
#[test]
fn kill_9_during_an_update_leaves_the_index_before_or_after() {
    let dir = tempfile::tempdir().unwrap();
    let (_, syn) = synth(
        dir.path(),
        &seeds_text(),
        &["--seed", "9", "--docs", "400", "--no-truth"],
    );
    let corpus = syn.join("corpus");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for (rel, path) in files_under(&corpus) {
        let to = if xxh3_64(rel.as_bytes()).is_multiple_of(2) {
            &a
        } else {
            &b
        }
        .join(&rel);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(path, to).unwrap();
    }
    let reference = dir.path().join("ref");
    ok(&clean_indexed(&a, &dir.path().join("ra"), &reference, &[]));
    let before = index_state(&reference);
    let t = std::time::Instant::now();
    ok(&clean_indexed(&b, &dir.path().join("rb"), &reference, &[]));
    let took = t.elapsed();
    let after = index_state(&reference);
    let mut states = [0usize; 2];
    for i in 0..8u32 {
        let idx = dir.path().join(format!("idx{i}"));
        fs::create_dir_all(&idx).unwrap();
        for (name, bytes) in &before {
            fs::write(idx.join(name), bytes).unwrap();
        }
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_zhclean"))
            .arg("clean")
            .arg(&b)
            .arg("--out")
            .arg(dir.path().join(format!("o{i}")))
            .arg("--index")
            .arg(&idx)
            .arg("-q")
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // From a tenth of the run's time to a little past its end.
        std::thread::sleep(took * (1 + 2 * i) / 14);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let state = index_state(&idx);
        assert!(
            state == before || state == after,
            "killed at {i}/8: the index is in between"
        );
        states[usize::from(state == after)] += 1;
        if state == before {
            ok(&clean_indexed(
                &b,
                &dir.path().join(format!("p{i}")),
                &idx,
                &[],
            ));
            assert!(
                index_state(&idx) == after,
                "killed at {i}/8: the rerun differs"
            );
        }
    }
    assert!(
        states[0] > 0,
        "no kill landed before the commit: {states:?}"
    );
}

#[test]
fn a_second_updater_is_refused_while_the_first_holds_the_lock() {
    let (dir, _, b, idx) = first_batch_indexed();
    let lock = fs::OpenOptions::new()
        .write(true)
        .open(idx.join("lock"))
        .unwrap();
    lock.try_lock().unwrap();
    let before = index_state(&idx);
    let o = clean_indexed(&b, &dir.path().join("ob"), &idx, &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("another zhclean run is updating this index"),
        "{err}"
    );
    assert!(!dir.path().join("ob").exists(), "nothing was written");
    // Reading needs no lock.
    ok(&clean_indexed(
        &b,
        &dir.path().join("oc"),
        &idx,
        &["--index-mode", "read"],
    ));
    drop(lock);
    ok(&clean_indexed(&b, &dir.path().join("ob"), &idx, &[]));
    assert_ne!(index_state(&idx), before);
}

#[test]
fn read_mode_compares_and_changes_nothing_on_disk() {
    let (dir, _, b, idx) = first_batch_indexed();
    let before = tree_digest(&idx);
    let read = dir.path().join("read");
    ok(&clean_indexed(&b, &read, &idx, &["--index-mode", "read"]));
    assert_eq!(tree_digest(&idx), before, "read mode changed the index");
    let update = dir.path().join("update");
    ok(&clean_indexed(&b, &update, &idx, &[]));
    let all: BTreeSet<String> = files_under(&b).into_iter().map(|(r, _)| r).collect();
    assert_eq!(outcome(&read, &all), outcome(&update, &all));
    let s = summary_of(&read);
    assert_eq!(s["index"]["mode"], "read");
    assert!(s["index"]["added"].is_null());
    assert_eq!(s["index"]["removed_documents"], 1, "{s}");
    // The copy that stays is named as it was indexed.
    let doc = document_cluster(&read);
    let kept = &doc["members"][doc["kept"].as_u64().unwrap() as usize];
    assert_eq!(kept["file"], "001_3c29d6a2925e26d0.txt", "{doc}");
    assert_eq!(kept["lines"], serde_json::json!([59, 81]));
    assert_eq!(kept["indexed"], true);
    assert_eq!(kept["index_run"], 1);
    // The review names the indexed copy apart from the run's own files.
    let review = zhclean().arg("review").arg(&read).output().unwrap();
    ok(&review);
    let page = fs::read_to_string(read.join("review/index.html")).unwrap();
    assert!(page.contains("[index run 1] 001_3c29d6a2925e26d0.txt"));
    // Read mode needs an index.
    let o = clean_indexed(
        &b,
        &dir.path().join("none"),
        &dir.path().join("nothing"),
        &["--index-mode", "read"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no index here"));
}

#[test]
fn damage_versions_and_other_parameters_are_refused_with_what_is_wrong() {
    let (dir, a, b, idx) = first_batch_indexed();
    let good = index_state(&idx);
    let restore = || {
        for (n, bytes) in &good {
            fs::write(idx.join(n), bytes).unwrap();
        }
    };
    let refused = |args: &[&str], want: &str| {
        let o = clean_indexed(&b, &dir.path().join("o"), &idx, args);
        assert_eq!(o.status.code(), Some(2), "{want}");
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(err.contains(want), "wanted {want:?} in {err}");
        assert!(!dir.path().join("o/report").exists(), "no report written");
    };
    refused(
        &["--threshold", "0.8"],
        "--threshold is 0.7 in the index, 0.8 in this run",
    );
    refused(
        &["--shingle", "char:5", "--seed", "2"],
        "--shingle is word:3 in the index, char:5 in this run; --seed is 1",
    );
    // A byte flipped in the first document of the segment: found when it is loaded
    // (a run over the batch indexed loads every document of it).
    let seg = idx.join("run-000001.seg");
    let mut bytes = good["run-000001.seg"].clone();
    bytes[20] ^= 0x01;
    fs::write(&seg, &bytes).unwrap();
    let o = clean_indexed(&a, &dir.path().join("o"), &idx, &["--index-mode", "read"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        err.contains("run-000001.seg: document 0 checksum mismatch: the file is damaged"),
        "{err}"
    );
    assert!(!dir.path().join("o/report").exists(), "no report written");
    // In the tables at the end: found when the index is opened.
    let mut bytes = good["run-000001.seg"].clone();
    let at = bytes.len() - 80;
    bytes[at] ^= 0x01;
    fs::write(&seg, &bytes).unwrap();
    refused(&[], "table checksum mismatch");
    restore();
    // Truncated.
    fs::write(
        &seg,
        &good["run-000001.seg"][..good["run-000001.seg"].len() - 100],
    )
    .unwrap();
    refused(&["--index-mode", "read"], "where the manifest says");
    let info = zhclean()
        .args(["index", "info"])
        .arg(&idx)
        .output()
        .unwrap();
    assert_eq!(info.status.code(), Some(2));
    restore();
    // `index info --verify` reads every block: a flipped byte anywhere is found.
    let mut bytes = good["run-000001.seg"].clone();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x10;
    fs::write(&seg, &bytes).unwrap();
    let info = zhclean()
        .args(["index", "info", "--verify"])
        .arg(&idx)
        .output()
        .unwrap();
    assert_eq!(
        info.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&info.stdout)
    );
    assert!(String::from_utf8_lossy(&info.stderr).contains("damaged"));
    restore();
    // An edited manifest, and one of another format version.
    let manifest = String::from_utf8(good["manifest.json"].clone()).unwrap();
    fs::write(
        idx.join("manifest.json"),
        manifest.replacen("\"paragraphs\": ", "\"paragraphs\": 1", 1),
    )
    .unwrap();
    refused(&[], "manifest.json checksum mismatch");
    fs::write(
        idx.join("manifest.json"),
        manifest.replace("\"version\": 1", "\"version\": 2"),
    )
    .unwrap();
    refused(&[], "index format version 2; this zhclean reads version 1");
    restore();
    ok(&clean_indexed(&b, &dir.path().join("o"), &idx, &[]));
    let info = zhclean()
        .args(["index", "info", "--verify", "--json"])
        .arg(&idx)
        .output()
        .unwrap();
    ok(&info);
    let v: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(v["runs"].as_array().unwrap().len(), 2);
    assert_eq!(
        v["documents"],
        v["runs"][0]["documents"].as_u64().unwrap() + v["runs"][1]["documents"].as_u64().unwrap()
    );
    assert_eq!(v["params"]["bands"], 32);
}

#[test]
fn index_build_writes_only_the_index_and_the_same_index_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let seeds = fixtures().join("seeds");
    let build = |idx: &Path, jobs: &str| {
        let o = zhclean()
            .args(["index", "build"])
            .arg(&seeds)
            .arg("--index")
            .arg(idx)
            .args(["-q", "-j", jobs])
            .output()
            .unwrap();
        ok(&o);
    };
    let (one, three) = (dir.path().join("one"), dir.path().join("three"));
    build(&one, "1");
    build(&three, "3");
    assert!(index_state(&one) == index_state(&three));
    let names: BTreeSet<String> = fs::read_dir(&one)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["lock", "manifest.json", "run-000001.seg"]
            .map(String::from)
            .into()
    );
    // The index holds the seeds' 12 documents, the 2 that are copies flagged so.
    let info = zhclean()
        .args(["index", "info", "--json"])
        .arg(&one)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(
        (v["documents"].as_u64(), v["documents_removed"].as_u64()),
        (Some(12), Some(2)),
        "{v}"
    );
    // Cleaning the same corpus against it removes everything.
    let out = dir.path().join("again");
    ok(&clean_indexed(
        &seeds,
        &out,
        &one,
        &["--index-mode", "read"],
    ));
    assert!(
        files_under(&out.join("clean")).is_empty(),
        "a corpus indexed is all copies of itself"
    );
    // The index may not be inside the input.
    let (_d, input) = input_dir();
    fs::copy(seeds.join("000_2fb96dc22149446e.txt"), input.join("a.txt")).unwrap();
    let o = zhclean()
        .args(["index", "build"])
        .arg(&input)
        .arg("--index")
        .arg(input.join("idx"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("inside the input"));
}

/// Records against an index: JSON Lines batches, each record a unit; an indexed copy
/// is named by its file and record, and the batch's copies go as in one run.
#[test]
fn json_lines_batches_are_cleaned_against_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    fs::create_dir_all(&a).unwrap();
    fs::create_dir_all(&b).unwrap();
    let line =
        |id: String, text: &str| serde_json::json!({"id": id, "text": text}).to_string() + "\n";
    let seeds = seeds();
    let (first, rest) = seeds.split_at(3);
    let jsonl = |part: &[(PathBuf, String)], tag: &str| -> String {
        part.iter()
            .enumerate()
            .map(|(i, (_, t))| line(format!("{tag}{i}"), t))
            .collect()
    };
    fs::write(a.join("a.jsonl"), jsonl(first, "a")).unwrap();
    fs::write(b.join("b.jsonl"), jsonl(rest, "b")).unwrap();
    let idx = dir.path().join("idx");
    ok(&clean_indexed(
        &a,
        &dir.path().join("oa"),
        &idx,
        &["--id-field", "id"],
    ));
    let out = dir.path().join("ob");
    ok(&clean_indexed(&b, &out, &idx, &["--id-field", "id"]));
    let s = summary_of(&out);
    // b0 (003) holds 001's third speech (a1): that document goes against the index.
    assert_eq!(s["index"]["removed_documents"], 1, "{s}");
    let doc = document_cluster(&out);
    let kept = &doc["members"][doc["kept"].as_u64().unwrap() as usize];
    assert_eq!(
        (kept["file"].as_str(), kept["record"].as_str()),
        (Some("a.jsonl"), Some("a1")),
        "{doc}"
    );
    assert_eq!(kept["indexed"], true);
    let other = &doc["members"][1 - doc["kept"].as_u64().unwrap() as usize];
    assert_eq!(
        (other["file"].as_str(), other["record"].as_str()),
        (Some("b.jsonl"), Some("b0")),
        "{doc}"
    );
    // The batch's records file is written back without that document's lines.
    let cleaned = fs::read_to_string(out.join("clean/b.jsonl")).unwrap();
    let b0: serde_json::Value = serde_json::from_str(cleaned.lines().next().unwrap()).unwrap();
    assert_eq!(b0["id"], "b0");
    assert!(!b0["text"]
        .as_str()
        .unwrap()
        .contains("主题全国文明城市巩固讲话五"));
}
