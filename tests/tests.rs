//! Integration tests: the real binary on the fixtures, checking the reports' content.

mod furniture_labelled;
mod goldens;
mod index;
mod paragraphs_labelled;
mod placeholders_table;
mod properties;
mod records;
mod review;
mod util;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use util::*;

const SEEDS_SPEECH: [&str; 3] = ["000_", "001_", "003_"];

fn file_prefix(m: &Value) -> String {
    m["file"].as_str().unwrap()[..4].to_string()
}

fn line_text(file: &str, lines: &Value) -> String {
    let text = fs::read_to_string(fixtures().join("seeds").join(file)).unwrap();
    let all: Vec<&str> = text.lines().collect();
    let (a, b) = (
        lines[0].as_u64().unwrap() as usize,
        lines[1].as_u64().unwrap() as usize,
    );
    all[a - 1..b].concat()
}

/// Letters and Han characters only, masks and punctuation folded away, for an
/// independent check that clustered paragraphs really are copies.
fn plain(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric() && !matches!(c, 'X' | 'x' | '×'))
        .collect()
}

/// The files of a cluster's members, in the record's order.
fn member_files(cluster: &Value) -> Vec<&str> {
    cluster["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["file"].as_str().unwrap())
        .collect()
}

/// The paragraph clusters of a run's clusters.jsonl records.
fn paragraph_clusters(clusters: &[Value]) -> Vec<&Value> {
    clusters
        .iter()
        .filter(|c| c["level"] == "paragraph")
        .collect()
}

/// Files of two paragraphs each (`(name, another paragraph, the copy)`), cleaned with
/// the first copy kept; the run and its clusters, checked to hold one paragraph cluster.
fn one_copy_cluster(files: &[(&str, &str, String)]) -> (tempfile::TempDir, Run, Vec<Value>) {
    one_copy_cluster_with(files, &[])
}

/// [`one_copy_cluster`] with more options.
fn one_copy_cluster_with(
    files: &[(&str, &str, String)],
    opts: &[&str],
) -> (tempfile::TempDir, Run, Vec<Value>) {
    let (d, input) = input_dir();
    for (name, other, copy) in files {
        fs::write(input.join(name), format!("{other}\n{copy}\n")).unwrap();
    }
    let opts: Vec<&str> = ["--keep", "first"].iter().chain(opts).copied().collect();
    let (run, clusters) = one_paragraph_cluster(&input, &opts);
    (d, run, clusters)
}

/// [`one_copy_cluster`] on three files whose copies must all be one cluster, in
/// file order: the run and that paragraph cluster.
fn one_cluster_of_three(files: &[(&str, &str, String)]) -> (tempfile::TempDir, Run, Value) {
    let (d, run, clusters) = one_copy_cluster(files);
    let para = paragraph_clusters(&clusters)[0].clone();
    assert_eq!(
        member_files(&para),
        ["a.txt", "b.txt", "c.txt"],
        "{clusters:?}"
    );
    (d, run, para)
}

/// `input` cleaned with `opts`: the run and its clusters, checked to have succeeded and
/// to hold one paragraph cluster.
fn one_paragraph_cluster(input: &Path, opts: &[&str]) -> (Run, Vec<Value>) {
    let run = clean(input, opts);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let clusters = run.jsonl("clusters.jsonl");
    assert_eq!(paragraph_clusters(&clusters).len(), 1, "{clusters:?}");
    (run, clusters)
}

#[test]
fn seeds_the_same_speech_clusters_across_three_files() {
    let run = clean(&fixtures().join("seeds"), &[]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let clusters = run.jsonl("clusters.jsonl");
    let para = paragraph_clusters(&clusters);
    // Clusters that join copies across the three files that carry the 人大 speech.
    let across = para
        .iter()
        .filter(|c| {
            let files: BTreeSet<String> = c["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(file_prefix)
                .collect();
            files.len() >= 2 && files.iter().all(|f| SEEDS_SPEECH.contains(&f.as_str()))
        })
        .count();
    assert!(across >= 20, "only {across} clusters across 000/001/003");
    // No cluster joins paragraphs that are not copies: every member is close to the kept
    // one by an independent measure (edit similarity of the plain text).
    for c in &para {
        let members = c["members"].as_array().unwrap();
        let kept = &members[c["kept"].as_u64().unwrap() as usize];
        let kt = plain(&line_text(kept["file"].as_str().unwrap(), &kept["lines"]));
        for m in members {
            let mt = plain(&line_text(m["file"].as_str().unwrap(), &m["lines"]));
            let sim = strsim::normalized_levenshtein(&kt, &mt);
            assert!(
                sim > 0.85,
                "cluster {} joins non-copies ({sim:.2}): {kt:.40} / {mt:.40}",
                c["cluster"]
            );
            let s = m["similarity"].as_f64().unwrap();
            assert!((0.7..=1.0).contains(&s), "similarity {s}");
        }
        assert_eq!(
            members[c["kept"].as_u64().unwrap() as usize]["similarity"],
            1.0
        );
    }
    // 000 is the third speech of 001 and the fifth of 003: one document cluster, the
    // other speeches of those compilations are not part of it.
    let docs: Vec<&Value> = clusters
        .iter()
        .filter(|c| c["level"] == "document")
        .collect();
    assert_eq!(docs.len(), 1);
    let members: Vec<(String, Value)> = docs[0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (file_prefix(m), m["lines"].clone()))
        .collect();
    assert_eq!(
        members,
        [
            ("000_".to_string(), serde_json::json!([1, 18])),
            ("001_".to_string(), serde_json::json!([59, 81])),
            ("003_".to_string(), serde_json::json!([53, 73])),
        ]
    );
    assert_eq!(docs[0]["kept"], 1);
    assert!(run.clean("000_2fb96dc22149446e.txt").is_none());
    let c3 = run.clean("003_b437f13d9ea7c8b9.txt").unwrap();
    assert!(c3.contains("主题全国文明城市巩固讲话四"));
    assert!(!c3.contains("主题全国文明城市巩固讲话五"));
    assert!(c3.contains("主题全国文明城市巩固讲话六"));
    let removed = run.jsonl("removed.jsonl");
    for (file, lines) in [
        ("000_2fb96dc22149446e.txt", [1, 18]),
        ("003_b437f13d9ea7c8b9.txt", [53, 73]),
    ] {
        assert!(
            removed.iter().any(|r| r["file"] == file
                && r["reason"] == "duplicate"
                && r["lines"] == serde_json::json!(lines)
                && r["cluster"] == docs[0]["cluster"]),
            "{file}"
        );
    }
    let counts = &run.summary()["counts"];
    assert_eq!(counts["removed_documents"], 2);
    assert_eq!(counts["removed_paragraphs"]["document"], 39);
    assert_eq!(counts["removed_paragraphs"]["paragraph"], 0);
    assert_eq!(counts["documents"], 12);
    // Every removed duplicate names a cluster that exists.
    let ids: BTreeSet<u64> = clusters
        .iter()
        .map(|c| c["cluster"].as_u64().unwrap())
        .collect();
    for r in removed.iter().filter(|r| r["reason"] == "duplicate") {
        assert!(ids.contains(&r["cluster"].as_u64().unwrap()));
    }
}

#[test]
fn seeds_furniture_is_removed_and_nothing_else() {
    let run = clean(&fixtures().join("seeds"), &[]);
    let got: Vec<(String, Vec<u64>, String)> = run
        .jsonl("removed.jsonl")
        .into_iter()
        .filter(|r| r["reason"] == "boilerplate")
        .map(|r| {
            (
                r["file"].as_str().unwrap()[..3].to_string(),
                r["lines"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_u64().unwrap())
                    .collect(),
                r["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(String, Vec<u64>, String)> = [
        ("001", [1, 5], "date-line"),
        ("001", [6, 6], "page-metadata"),
        ("001", [7, 11], "date-line"),
        ("001", [12, 12], "site-intro"),
        ("001", [82, 83], "download-prompt"),
        ("002", [1, 1], "teaser"),
        ("003", [1, 1], "teaser"),
    ]
    .iter()
    .map(|(f, l, r)| (f.to_string(), l.to_vec(), r.to_string()))
    .collect();
    assert_eq!(got, want);
    let clean001 = run.clean("001_3c29d6a2925e26d0.txt").unwrap();
    assert!(clean001.starts_with("同志们:\n"));
    assert!(!clean001.contains("推荐度"));
    let s = run.summary();
    assert_eq!(s["counts"]["boilerplate_lines"], 16);
    assert_eq!(s["boilerplate_rules"]["date-line"], 10);
}

#[test]
fn seeds_placeholders_are_reported_with_original_columns() {
    let run = clean(&fixtures().join("seeds"), &[]);
    let places = run.jsonl("placeholders.jsonl");
    assert!(places.len() > 100);
    for p in &places {
        // The span's text is what stands at those columns of the original line.
        let file = p["file"].as_str().unwrap();
        let raw = fs::read_to_string(fixtures().join("seeds").join(file)).unwrap();
        let line: Vec<char> = raw
            .lines()
            .nth(p["line"].as_u64().unwrap() as usize - 1)
            .unwrap()
            .chars()
            .collect();
        let (s, e) = (
            p["start"].as_u64().unwrap() as usize,
            p["end"].as_u64().unwrap() as usize,
        );
        let at: String = line[s..e].iter().collect();
        assert_eq!(at, p["text"].as_str().unwrap(), "{p}");
    }
    let has = |file: &str, text: &str, kind: &str| {
        places.iter().any(|p| {
            p["file"].as_str().unwrap().starts_with(file) && p["text"] == text && p["kind"] == kind
        })
    };
    assert!(has("000", "---", "redacted"));
    assert!(has("001", "20_", "year"));
    assert!(has("003", "201x", "year"));
    assert!(has("003", "**", "entity"));
    assert!(has("002", "XX", "entity"));
    // Look-alikes in the seeds are not reported.
    assert!(!places
        .iter()
        .any(|p| p["text"] == "-" && p["file"].as_str().unwrap().starts_with("001")));
    let clean3 = run.clean("003_b437f13d9ea7c8b9.txt").unwrap();
    assert!(clean3.contains("××是××的主城区"));
    assert!(clean3.contains("20××年"));
    let all: String = ["001_3c29d6a2925e26d0.txt", "003_b437f13d9ea7c8b9.txt"]
        .iter()
        .filter_map(|f| run.clean(f))
        .collect();
    assert!(
        all.contains("“灯塔-党建在线”"),
        "a look-alike stays as it was"
    );
}

#[test]
fn encodings_decode_and_bad_bytes_are_reported() {
    let run = clean(&fixtures().join("encodings"), &[]);
    assert_eq!(
        run.code(),
        1,
        "a file with invalid bytes makes the exit status 1"
    );
    assert!(
        run.stderr()
            .contains("invalid_bytes.txt:4: 2 invalid byte(s) for UTF-8"),
        "{}",
        run.stderr()
    );
    assert!(run
        .clean("gb18030.txt")
        .unwrap()
        .contains("今天我们召开创建全国文明单位动员会议"));
    // big5.txt is gb18030.txt's speech in traditional characters: the script fold
    // makes it a document-level copy, and the simplified file (more text) is kept.
    assert_eq!(run.clean("big5.txt"), None);
    let clusters = run.jsonl("clusters.jsonl");
    let doc = clusters
        .iter()
        .find(|c| c["level"] == "document")
        .expect("a document cluster");
    assert_eq!(member_files(doc), ["big5.txt", "gb18030.txt"]);
    // A cluster of both scripts says so, and which member is which.
    assert_eq!(
        doc["scripts"],
        serde_json::json!(["simplified", "traditional"])
    );
    let scripts: Vec<&str> = doc["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["script"].as_str().unwrap())
        .collect();
    assert_eq!(scripts, ["traditional", "simplified"]);
    let single = clusters.iter().find(|c| {
        c["members"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["file"] == "invalid_bytes.txt")
    });
    assert!(single.is_some_and(|c| c.get("scripts").is_none()));
    let seg = zhclean()
        .args(["segment", "--level", "paragraphs"])
        .arg(fixtures().join("encodings/big5.txt"))
        .output()
        .unwrap();
    assert!(String::from_utf8(seg.stdout)
        .unwrap()
        .contains("今天我們召開創建全國文明單位動員會議"));
    let bom = run.clean("utf8_bom.txt").unwrap();
    assert!(bom.starts_with("各位领导：\n"), "BOM removed: {bom:?}");
    assert_eq!(
        run.clean("crlf.txt").unwrap(),
        "第一行使用回车换行结尾，这是为了检查行号是否正确计算。\n第二行只用回车结尾，老式系统的文件就是这样。\n第三行用换行结尾，并且带有全角空格缩进。\n"
    );
    let bad = run.clean("invalid_bytes.txt").unwrap();
    assert!(bad.contains("\u{FFFD}坏字节后面的文字仍然应该保留下来。"));
    let s = run.summary();
    assert_eq!(s["encodings"]["GBK"], 1);
    assert_eq!(s["encodings"]["Big5"], 1);
    assert_eq!(s["decode_errors"][0]["file"], "invalid_bytes.txt");
    assert_eq!(s["decode_errors"][0]["first_bad_line"], 4);
}

#[test]
fn edge_files_empty_binary_furniture_hidden_deep() {
    let run = clean(&fixtures().join("edge"), &[]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let s = run.summary();
    let skipped = s["skipped"].as_array().unwrap();
    assert!(skipped
        .iter()
        .any(|k| k["file"] == "binary.txt" && k["reason"] == "binary"));
    assert!(skipped
        .iter()
        .any(|k| k["file"] == ".hidden.txt" && k["reason"] == "hidden"));
    assert_eq!(s["counts"]["other_files"], 1);
    assert!(run.clean("empty.txt").is_none());
    assert!(run.clean("furniture_only.txt").is_none());
    assert_eq!(
        run.clean("deep/a/b/c/d/deep.txt").unwrap(),
        "深层目录中的文件也要被找到并且按照相对路径写入输出目录。\n"
    );
    let removed = run.jsonl("removed.jsonl");
    let furn: Vec<&Value> = removed
        .iter()
        .filter(|r| r["file"] == "furniture_only.txt")
        .collect();
    assert_eq!(furn.len(), 4);
    assert_eq!(furn[1]["rule"], "page-metadata");
}

#[test]
fn unreadable_file_is_reported_and_the_run_goes_on() {
    let (_d, input) = input_dir();
    fs::write(
        input.join("good.txt"),
        "这是一份正常的文件，应当被清洗并写入输出目录。\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(input.join("missing-target.txt"), input.join("broken.txt")).unwrap();
    let run = clean(&input, &[]);
    assert_eq!(run.code(), 1);
    assert!(run.stderr().contains("broken.txt"), "{}", run.stderr());
    assert!(run.clean("good.txt").is_some());
    let s = run.summary();
    assert_eq!(s["failed"][0]["file"], "broken.txt");
    assert_eq!(s["counts"]["files_failed"], 1);
}

#[test]
fn jobs_1_and_jobs_4_give_byte_identical_outputs() {
    for fixture in ["seeds", "encodings", "edge"] {
        let a = clean(&fixtures().join(fixture), &["--jobs", "1"]);
        let b = clean(&fixtures().join(fixture), &["--jobs", "4"]);
        assert_eq!(a.snapshot(), b.snapshot(), "{fixture}");
        assert_eq!(a.summary()["run"]["threads"], 1);
        assert_eq!(b.summary()["run"]["threads"], 4);
    }
}

#[test]
fn output_inside_input_is_refused_and_input_is_untouched() {
    let (_d, input) = input_dir();
    fs::copy(
        fixtures().join("seeds/000_2fb96dc22149446e.txt"),
        input.join("a.txt"),
    )
    .unwrap();
    let before = tree_digest(&input);
    let o = zhclean()
        .args(["clean"])
        .arg(&input)
        .arg("--out")
        .arg(input.join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("inside the input folder"));
    assert_eq!(tree_digest(&input), before);
    // A real run leaves the input as it was too.
    let run = clean(&input, &[]);
    assert_eq!(run.code(), 0);
    assert_eq!(tree_digest(&input), before);
}

#[test]
fn non_empty_output_needs_force_and_force_replaces_only_our_folders() {
    let run = clean(&fixtures().join("edge"), &[]);
    let out = run.out();
    fs::write(out.join("mine.txt"), "user file").unwrap();
    fs::write(out.join("clean/stale.txt"), "old").unwrap();
    let o = zhclean()
        .arg("clean")
        .arg(fixtures().join("edge"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    let o = zhclean()
        .arg("clean")
        .arg(fixtures().join("edge"))
        .arg("--out")
        .arg(&out)
        .args(["--force", "-q"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(out.join("mine.txt").exists());
    assert!(
        !out.join("clean/stale.txt").exists(),
        "clean/ is replaced whole"
    );
    let leftovers: Vec<_> = fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "no staging folder left behind");
}

#[test]
fn bad_options_are_usage_errors() {
    for args in [
        vec!["--bands", "20", "--rows", "10"],
        vec!["--threshold", "1.5"],
        vec!["--shingle", "word:x"],
        vec!["--encoding", "klingon"],
        vec!["--bands", "4"],
    ] {
        let o = zhclean()
            .arg("clean")
            .arg(fixtures().join("edge"))
            .args(["--out", "/tmp/zhclean-never"])
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
    assert!(!std::path::Path::new("/tmp/zhclean-never").exists());
}

#[test]
fn options_change_the_run_and_are_echoed() {
    let run = clean(
        &fixtures().join("seeds"),
        &[
            "--shingle",
            "char:5",
            "--num-perm",
            "64",
            "--bands",
            "8",
            "--rows",
            "8",
            "--keep",
            "first",
            "--mask-style",
            "token",
            "--seed",
            "7",
        ],
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let o = &run.summary()["options"];
    assert_eq!(o["shingle"], "char:5");
    assert_eq!(
        (o["bands"].as_u64(), o["rows"].as_u64()),
        (Some(8), Some(8))
    );
    assert_eq!(o["keep"], "first");
    // keep=first keeps the first copy, documents as well: a document is only removed
    // in favour of one before it that holds it. 003's fifth speech is 001's third, so it
    // goes; 000 holds most of that speech but with these options not 80 % of it, and
    // it comes first, so it stays (its paragraphs are the copies that stay) and 001's
    // third speech keeps what 000 lacks. A paragraph copy inside the removed document
    // goes with it, so a cluster keeps its first member outside it.
    let in_removed_doc = |m: &Value| {
        let f = m["file"].as_str().unwrap();
        let l = m["lines"][0].as_u64().unwrap();
        f.starts_with("003_") && (53..=73).contains(&l)
    };
    for c in run
        .jsonl("clusters.jsonl")
        .iter()
        .filter(|c| c["level"] == "paragraph")
    {
        let first_alive = c["members"]
            .as_array()
            .unwrap()
            .iter()
            .position(|m| !in_removed_doc(m))
            .unwrap();
        assert_eq!(c["kept"].as_u64().unwrap() as usize, first_alive, "{c}");
    }
    let docs: Vec<Value> = run
        .jsonl("clusters.jsonl")
        .into_iter()
        .filter(|c| c["level"] == "document")
        .collect();
    assert_eq!(docs.len(), 1);
    assert_eq!(
        member_files(&docs[0]),
        ["001_3c29d6a2925e26d0.txt", "003_b437f13d9ea7c8b9.txt"]
    );
    assert_eq!(docs[0]["kept"], 0);
    let c0 = run.clean("000_2fb96dc22149446e.txt").unwrap();
    assert!(c0.lines().count() > 10, "000 stays whole: {c0}");
    assert!(run
        .clean("003_b437f13d9ea7c8b9.txt")
        .unwrap()
        .contains("[ENTITY]是[ENTITY]的主城区"));
    let para = run
        .jsonl("clusters.jsonl")
        .into_iter()
        .filter(|c| c["level"] == "paragraph")
        .count();
    assert!(para >= 20, "{para}");
}

#[test]
fn keep_boilerplate_keeps_but_reports() {
    let run = clean(&fixtures().join("edge"), &["--keep-boilerplate"]);
    let c = run.clean("furniture_only.txt").unwrap();
    assert!(c.contains("将本文的Word文档下载到电脑"));
    let removed = run.jsonl("removed.jsonl");
    assert!(removed
        .iter()
        .filter(|r| r["reason"] == "boilerplate")
        .all(|r| r["kept"] == true));
}

#[test]
fn user_boilerplate_rules_apply() {
    let d = tempfile::tempdir().unwrap();
    let rules = d.path().join("rules.txt");
    fs::write(&rules, "prefix:deep-note:深层目录\n").unwrap();
    let run = clean(
        &fixtures().join("edge"),
        &["--boilerplate-rules", rules.to_str().unwrap()],
    );
    assert!(run
        .jsonl("removed.jsonl")
        .iter()
        .any(|r| r["rule"] == "deep-note"));
    assert_eq!(run.summary()["boilerplate_rules"]["deep-note"], 1);
}

/// `--script` converts what is written, paragraph by paragraph, and nothing else: the
/// reports still point at the input's lines, and a paragraph already in the wanted
/// script is left as it is.
#[test]
fn script_option_converts_clean_text() {
    let (_d, input) = input_dir();
    std::fs::copy(
        fixtures().join("encodings/big5.txt"),
        input.join("big5.txt"),
    )
    .unwrap();
    std::fs::write(
        input.join("plain.txt"),
        "这是一段简体字写成的文字，用来检查转换不会改动它。\n",
    )
    .unwrap();
    let run = clean(&input, &["--script", "simplified"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let big5 = run.clean("big5.txt").unwrap();
    assert!(
        big5.contains("今天我们召开创建全国文明单位动员会议"),
        "{big5}"
    );
    assert_eq!(
        run.clean("plain.txt").unwrap(),
        "这是一段简体字写成的文字，用来检查转换不会改动它。\n"
    );
    assert_eq!(run.summary()["options"]["script"], "simplified");
    let run = clean(&input, &["--script", "traditional"]);
    assert!(run
        .clean("plain.txt")
        .unwrap()
        .contains("這是一段簡體字寫成的文字"));
    let run = clean(&input, &[]);
    assert!(run.clean("big5.txt").unwrap().contains("今天我們召開"));
    assert_eq!(run.summary()["options"]["script"], "keep");
}

#[test]
fn segment_and_normalize_commands() {
    let o = zhclean()
        .args(["segment", "--level", "sentences"])
        .arg(fixtures().join("seeds/004_2efd8c0679db03f1.txt"))
        .output()
        .unwrap();
    assert!(o.status.success());
    let s = String::from_utf8(o.stdout).unwrap();
    assert!(s.lines().any(|l| l == "同志们："));
    assert!(s.lines().all(|l| !l.is_empty()));
    let o = zhclean()
        .args(["segment", "--level", "words"])
        .arg(fixtures().join("encodings/gb18030.txt"))
        .output()
        .unwrap();
    let w = String::from_utf8(o.stdout).unwrap();
    assert!(w.contains("文明单位") || w.contains("文明 单位"), "{w}");
    let o = zhclean()
        .args(["normalize"])
        .write_stdin("报请X书记同意，20_年取得x%的增长。\nX光检查\n")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        "报请××书记同意，20××年取得×%的增长。\nX光检查\n"
    );
    let o = zhclean()
        .args(["normalize", "--report", "-"])
        .write_stdin("某某县\n")
        .output()
        .unwrap();
    let v: Value = serde_json::from_str(String::from_utf8(o.stdout).unwrap().trim()).unwrap();
    assert_eq!(
        (v["kind"].as_str(), v["start"].as_u64(), v["end"].as_u64()),
        (Some("entity"), Some(0), Some(2))
    );
}

#[test]
fn seeds_documents_split_as_a_reader_sees_them() {
    let want: serde_json::Map<String, Value> =
        serde_json::from_str(&fs::read_to_string(fixtures().join("seeds_structure.json")).unwrap())
            .unwrap();
    let boiler = zhclean::boilerplate::Boilerplate::builtin();
    for (file, docs) in &want {
        let text = fs::read_to_string(fixtures().join("seeds").join(file)).unwrap();
        let prep = zhclean::pipeline::prepare(&text, &boiler, false);
        let got: Vec<Value> = prep
            .docs
            .iter()
            .map(|d| serde_json::json!([prep.lines[d.first].no, prep.lines[d.last].no, d.title]))
            .collect();
        assert_eq!(&Value::Array(got), docs, "{file}");
    }
    // The sentence the page broke in 003 (…组织 / 开展“中国好人”…) is one paragraph,
    // and a placeholder after the break maps to the second line.
    let text = fs::read_to_string(fixtures().join("seeds/003_b437f13d9ea7c8b9.txt")).unwrap();
    let prep = zhclean::pipeline::prepare(&text, &boiler, false);
    let p = prep
        .paras
        .iter()
        .find(|p| p.text.contains("组织开展“中国好人”"))
        .expect("joined paragraph");
    assert_eq!((prep.lines[p.first].no, prep.lines[p.last].no), (4, 5));
    let run = clean(&fixtures().join("seeds"), &[]);
    let places = run.jsonl("placeholders.jsonl");
    assert!(places
        .iter()
        .any(|x| x["file"] == "003_b437f13d9ea7c8b9.txt" && x["line"] == 5 && x["text"] == "***"));
}

/// A synth corpus built from the seeds' own paragraphs, in `dir`: the source file and
/// the synth folder (corpus/ and truth.json).
fn synth_from_seeds(dir: &Path, docs: &str) -> (PathBuf, PathBuf) {
    let mut source = String::new();
    for (path, _) in seeds() {
        let out = zhclean()
            .args(["segment", "--level", "paragraphs"])
            .arg(path)
            .output()
            .unwrap();
        source.push_str(&String::from_utf8(out.stdout).unwrap());
    }
    synth(dir, &source, &["--seed", "3", "--docs", docs])
}

/// Every input accounted for: a FIFO (never opened: it would block) is listed as
/// skipped, UTF-16 without a BOM is read, `--ext ''` is a usage error, and a missing
/// rules file is named once.
#[test]
fn special_files_utf16_and_bad_flags_are_accounted_for() {
    let (_d, input) = input_dir();
    fs::write(
        input.join("a.txt"),
        "今天我们召开会议，统一思想、明确任务。\n",
    )
    .unwrap();
    let u16: Vec<u8> = "同志们：\n开展创建全国文明城市工作。\n"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    fs::write(input.join("wide.txt"), u16).unwrap();
    #[cfg(unix)]
    {
        let fifo = input.join("pipe.txt");
        let ok = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(ok.is_ok_and(|s| s.success()), "mkfifo");
    }
    let run = clean(&input, &[]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(run
        .clean("wide.txt")
        .unwrap()
        .contains("开展创建全国文明城市工作。"));
    assert_eq!(run.summary()["encodings"]["UTF-16LE"], 1);
    #[cfg(unix)]
    assert!(
        run.summary()["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["file"] == "pipe.txt" && s["reason"] == "special file (FIFO), not read"),
        "{}",
        run.summary()["skipped"]
    );
    let bad = clean(&input, &["--ext", ""]);
    assert_eq!(bad.code(), 2);
    assert!(bad.stderr().contains("--ext"), "{}", bad.stderr());
    let missing = clean(&input, &["--boilerplate-rules", "/nonexistent/site.rules"]);
    assert_eq!(missing.code(), 2);
    assert_eq!(
        missing.stderr().matches("No such file").count(),
        1,
        "{}",
        missing.stderr()
    );
}

/// `kill -9` in the middle of a run leaves its staging folder; the next run on that
/// output folder removes it, says so, and finishes as usual.
#[test]
fn a_killed_runs_staging_folder_is_removed_by_the_next_run() {
    killed_then_run_again("text");
}

/// As above, for a corpus of JSON Lines shards: no record file is half-written either.
#[test]
fn a_killed_record_run_leaves_no_half_written_file() {
    killed_then_run_again("jsonl");
}

fn killed_then_run_again(format: &str) {
    let (_d, dir) = input_dir();
    let (src, _) = synth_from_seeds(&dir, "5");
    let big = dir.join("big");
    let args = [
        "--size",
        "8M",
        "--no-truth",
        "--seed",
        "9",
        "--format",
        format,
    ];
    synth_file(&src, &big, &args);
    let out = dir.join("out");
    let staging = |out: &Path| -> Vec<PathBuf> {
        fs::read_dir(out).map_or(Vec::new(), |rd| {
            rd.map(|e| e.unwrap().path())
                .filter(|p| {
                    p.file_name()
                        .unwrap()
                        .to_string_lossy()
                        .starts_with(".zhclean-staging-")
                })
                .collect()
        })
    };
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_zhclean"))
        .arg("clean")
        .arg(big.join("corpus"))
        .arg("--out")
        .arg(&out)
        .args(["-q", "-j", "1"])
        .spawn()
        .unwrap();
    // Wait until the run has its staging folder and lock, then kill it outright.
    let t0 = std::time::Instant::now();
    while !staging(&out).iter().any(|d| d.join("lock").exists()) {
        assert!(t0.elapsed().as_secs() < 60, "no staging folder appeared");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success(), "the run ended before it was killed");
    let left = staging(&out);
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(
        !out.join("report").exists() && !out.join("clean").exists(),
        "nothing half-written is visible"
    );
    let again = zhclean()
        .arg("clean")
        .arg(big.join("corpus"))
        .arg("--out")
        .arg(&out)
        .args(["-q"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(0), "{err}");
    assert!(
        err.contains("left by a run that was interrupted")
            && err.contains(&*left[0].file_name().unwrap().to_string_lossy()),
        "{err}"
    );
    assert!(staging(&out).is_empty(), "{:?}", staging(&out));
    assert!(out.join("report/summary.json").exists());
    if format == "jsonl" {
        let shard = out.join("clean/site0/part-00000.jsonl.zst");
        let mut text = String::new();
        let f = fs::File::open(&shard).unwrap();
        std::io::Read::read_to_string(&mut zstd::stream::read::Decoder::new(f).unwrap(), &mut text)
            .expect("a whole zstd stream");
        assert!(text.lines().count() > 10);
    }
}

/// The candidate cap: with a small `--max-partners` pairs are skipped and counted, the
/// outputs still do not depend on the thread count, and the default skips none here.
#[test]
fn capped_candidates_are_counted_and_deterministic() {
    let (_d, dir) = input_dir();
    let (_, syn) = synth_from_seeds(&dir, "60");
    let corpus = syn.join("corpus");
    let one = clean(&corpus, &["--max-partners", "2", "-j", "1"]);
    let three = clean(&corpus, &["--max-partners", "2", "-j", "3"]);
    assert_eq!(one.code(), 0, "{}", one.stderr());
    assert!(
        one.summary()["counts"]["candidate_pairs_skipped"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(one.summary()["options"]["max_partners"], 2);
    assert_eq!(one.snapshot(), three.snapshot());
    let default = clean(&corpus, &[]);
    assert_eq!(default.summary()["counts"]["candidate_pairs_skipped"], 0);
    let zero = clean(&corpus, &["--max-partners", "0"]);
    assert_eq!(zero.code(), 2, "{}", zero.stderr());
}

/// A text in 60 places, each copy with one character of its own changed: its LSH
/// buckets hold most of the 60, and a bucket that large pairs its members only with its
/// first few (stars, not all 1,770 pairs); still one copy is kept and the other 59 are
/// removed (the cluster split follows the stars two hops), whatever the thread count.
#[test]
fn a_text_in_sixty_places_keeps_one_copy_from_a_star_of_candidates() {
    let (_d, dir) = input_dir();
    let text = seeds_text();
    let para: Vec<char> = text
        .lines()
        .max_by_key(|l| l.chars().count())
        .unwrap()
        .chars()
        .collect();
    assert!(para.len() > 200);
    for i in 0..60usize {
        let mut copy = para.clone();
        let at = 10 + (i * 37) % (para.len() - 20);
        copy[at] = '某';
        let copy: String = copy.into_iter().collect();
        fs::write(dir.join(format!("{i:02}.txt")), format!("{copy}\n")).unwrap();
    }
    let one = clean(&dir, &["-j", "1"]);
    let three = clean(&dir, &["-j", "3"]);
    assert_eq!(one.code(), 0, "{}", one.stderr());
    assert_eq!(one.snapshot(), three.snapshot());
    let counts = &one.summary()["counts"];
    let pairs = counts["candidate_pairs"].as_u64().unwrap();
    assert!((59..60 * 59 / 2 / 2).contains(&pairs), "{counts}");
    assert_eq!(counts["removed_documents"], 59, "{counts}");
    assert_eq!(counts["clusters"]["document"], 1, "{counts}");
    assert_eq!(files_under(&one.out().join("clean")).len(), 1);
}

#[test]
fn spilling_to_disk_and_keeping_no_prepared_files_changes_no_output() {
    let (_d, dir) = input_dir();
    let (_, syn) = synth_from_seeds(&dir, "60");
    let corpus = syn.join("corpus");
    let memory = clean(&corpus, &[]);
    assert_eq!(memory.code(), 0, "{}", memory.stderr());
    let counts = &memory.summary()["counts"];
    assert!(
        counts["candidate_pairs"].as_u64().unwrap() > 100,
        "{counts}"
    );
    assert!(
        counts["clusters"]["paragraph"].as_u64().unwrap() > 20,
        "{counts}"
    );
    // Everything on disk and nothing kept for the write phase (every file read and
    // prepared again); then the first files' tokens and band keys in memory and what
    // fits of their text stages, or of their marks (a few hundred bytes a file), kept
    // for the write phase; the rest on disk, and read and prepared again.
    for args in [
        &["--spill-budget", "0"][..],
        &["--spill-budget", "8K", "--jobs", "3"],
    ] {
        let spilled = clean(&corpus, args);
        assert_eq!(spilled.code(), 0, "{}", spilled.stderr());
        assert_eq!(memory.snapshot(), spilled.snapshot(), "{args:?}");
    }
}

#[test]
fn synth_then_clean_then_eval_scores_the_run() {
    // Source: the seeds' own paragraphs, one a line.
    let (_d, dir) = input_dir();
    let (src, syn) = synth_from_seeds(&dir, "24");
    let run = clean(&syn.join("corpus"), &[]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let s = eval_json(&syn.join("truth.json"), &run);
    let p = &s["paragraph_pairs"];
    assert!(p["expected"].as_u64().unwrap() > 20, "{s}");
    assert!(p["precision"].as_f64().unwrap() >= 0.95, "{s}");
    assert!(p["recall"].as_f64().unwrap() >= 0.9, "{s}");
    assert_eq!(s["furniture"]["recall"].as_f64().unwrap(), 1.0, "{s}");
    // A second synth into the same folder is refused: nothing is overwritten.
    let again = zhclean()
        .arg("synth")
        .arg(&src)
        .arg("--out")
        .arg(&syn)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
}

/// The seeds' text as one stream, line breaks gone: a page that lost its breaks.
fn seeds_stream() -> String {
    seeds()
        .iter()
        .flat_map(|(_, text)| text.lines().map(str::trim))
        .collect()
}

#[test]
fn a_page_long_line_is_searched_in_parts_and_written_as_one_line() {
    // a.txt: a title, then 6,000 characters on one line. b.txt: one of its parts with a
    // sentence added, so it is the longer copy and `--keep longest` keeps it (that
    // part alone leaves a's line), between two paragraphs of other text, so b is no
    // copy of a as a document. c.txt: a's page again with its first 30 characters cut,
    // a copy of the whole document.
    let stream: Vec<char> = seeds_stream().chars().collect();
    let page: String = stream[..6000].iter().collect();
    let other = |a: usize| stream[a..a + 400].iter().collect::<String>();
    let cuts = zhclean::parts::cut_points(&page);
    assert!(cuts.len() >= 4, "{} cuts", cuts.len());
    let (from, to) = (cuts[1], cuts[2]);
    let part = &page[from.0..to.0];
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    fs::create_dir_all(&input).unwrap();
    fs::write(input.join("a.txt"), format!("标题\n{page}\n")).unwrap();
    let b = format!("{}\n{part}会议到此结束。\n{}\n", other(9000), other(10000));
    fs::write(input.join("b.txt"), b).unwrap();
    let clipped: String = page.chars().skip(30).collect();
    fs::write(input.join("c.txt"), format!("{clipped}\n")).unwrap();
    let run = clean(&input, &["--keep", "longest", "--mask-style", "keep"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());

    // a's page is still one line, with exactly the part b holds taken out.
    let a = run.clean("a.txt").expect("a.txt is kept");
    let lines: Vec<&str> = a.lines().collect();
    assert_eq!(lines.len(), 2, "{} lines", lines.len());
    assert_eq!(lines[0], "标题");
    assert!(
        lines[1] == format!("{}{}", &page[..from.0], &page[to.0..]),
        "a's line is not its page without the part ({} of {} chars)",
        lines[1].chars().count(),
        page.chars().count()
    );
    assert!(run.clean("b.txt").is_some());
    assert!(run.clean("c.txt").is_none(), "c.txt is a copy of a.txt");

    // removed.jsonl names the part by its columns; c goes as whole lines.
    let removed = run.jsonl("removed.jsonl");
    let a_removed: Vec<&Value> = removed.iter().filter(|r| r["file"] == "a.txt").collect();
    assert_eq!(a_removed.len(), 1, "{removed:?}");
    assert_eq!(a_removed[0]["lines"], serde_json::json!([2, 2]));
    assert_eq!(a_removed[0]["cols"], serde_json::json!([from.1, to.1]));
    assert_eq!(a_removed[0]["reason"], "duplicate");
    let c_removed: Vec<&Value> = removed.iter().filter(|r| r["file"] == "c.txt").collect();
    assert_eq!(c_removed.len(), 1, "{removed:?}");
    assert_eq!(c_removed[0]["lines"], serde_json::json!([1, 1]));
    assert!(c_removed[0].get("cols").is_none());

    // The part's cluster: a's member has the same columns; b's has none.
    let clusters = run.jsonl("clusters.jsonl");
    let id = &a_removed[0]["cluster"];
    let cluster = clusters.iter().find(|c| &c["cluster"] == id).unwrap();
    assert_eq!(cluster["level"], "paragraph");
    let members = cluster["members"].as_array().unwrap();
    let of = |f: &str| members.iter().find(|m| m["file"] == f).unwrap();
    assert_eq!(of("a.txt")["cols"], serde_json::json!([from.1, to.1]));
    assert!(of("b.txt").get("cols").is_none());
    assert_eq!(
        members[cluster["kept"].as_u64().unwrap() as usize]["file"],
        "b.txt"
    );
    // Each part counts as a paragraph: a's title and parts, b's three, c's parts.
    let s = run.summary();
    assert_eq!(
        s["counts"]["paragraphs"].as_u64().unwrap() as usize,
        1 + cuts.len() + 1 + 3 + zhclean::parts::cut_points(&clipped).len() + 1
    );
}

#[test]
fn a_copy_that_joins_paragraphs_differently_is_still_a_document_copy() {
    // b.txt writes a.txt's paragraphs 2-4 as one line and 6-8 as another: each of those
    // lines matches none of a's paragraphs (none holds half of it), so one paragraph
    // copy at a time covers under half of b. Verified against a's paragraphs between
    // the same matched neighbours, the joined lines cover the rest.
    let paras: Vec<String> = seeds()
        .iter()
        .flat_map(|(_, text)| {
            text.lines()
                .map(|l| l.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|l| (80..300).contains(&l.chars().count()) && l.ends_with('。'))
        .take(9)
        .collect();
    assert_eq!(paras.len(), 9);
    let a = paras.join("\n");
    let b = [
        paras[0].clone(),
        paras[1..4].concat(),
        paras[4].clone(),
        paras[5..8].concat(),
        paras[8].clone(),
    ]
    .join("\n");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    fs::create_dir_all(&input).unwrap();
    fs::write(input.join("a.txt"), format!("{a}\n")).unwrap();
    fs::write(input.join("b.txt"), format!("{b}\n")).unwrap();
    let run = clean(&input, &[]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let clusters = run.jsonl("clusters.jsonl");
    // The joined lines are no paragraph copies of a's paragraphs.
    let lines_of_b: Vec<&Value> = clusters
        .iter()
        .filter(|c| c["level"] == "paragraph")
        .flat_map(|c| c["members"].as_array().unwrap())
        .filter(|m| m["file"] == "b.txt")
        .map(|m| &m["lines"])
        .collect();
    for joined in [serde_json::json!([2, 2]), serde_json::json!([4, 4])] {
        assert!(!lines_of_b.contains(&&joined), "{lines_of_b:?}");
    }
    assert!(
        lines_of_b.contains(&&serde_json::json!([1, 1])),
        "{lines_of_b:?}"
    );
    let doc = clusters
        .iter()
        .find(|c| c["level"] == "document")
        .unwrap_or_else(|| panic!("no document cluster: {clusters:?}"));
    let members = doc["members"].as_array().unwrap();
    assert_eq!(member_files(doc), ["a.txt", "b.txt"]);
    assert!(
        members
            .iter()
            .all(|m| m["similarity"].as_f64().unwrap() > 0.99),
        "{doc}"
    );
    assert_eq!(run.clean("b.txt"), None, "b.txt is a copy of a.txt");
}

#[test]
fn a_cleaner_over_texts_in_memory_writes_what_the_command_writes_for_the_folder() {
    // The seam: the same bytes as a folder through `zhclean clean`, and as a
    // `source::Memory` through `Cleaner` into a `sink::Memory`, give the same clean
    // texts and reports (summary.json but for its run times).
    let dir = tempfile::tempdir().unwrap();
    let (_, synth) = synth(
        dir.path(),
        &seeds_text(),
        &["--seed", "3", "--docs", "40", "--varied", "--no-truth"],
    );
    let corpus = synth.join("corpus");
    let run = clean(&corpus, &[]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let want = run.snapshot();

    let units: Vec<(String, Vec<u8>)> = files_under(&corpus)
        .into_iter()
        .map(|(rel, path)| (rel, fs::read(path).unwrap()))
        .collect();
    assert!(units.len() > 40, "{} files", units.len());
    let input = zhclean::source::Memory::new(units);
    let out = zhclean::sink::Memory::new().unwrap();
    let cfg = zhclean::Config::new("unused", "unused");
    let outcome = zhclean::Cleaner::new(&cfg)
        .unwrap()
        .run(&input, &out)
        .unwrap();
    assert_eq!(outcome.failed, 0);
    let mut got = std::collections::BTreeMap::new();
    for u in out.units() {
        got.insert(
            format!("clean/{u}"),
            out.clean_text(&u).unwrap().into_bytes(),
        );
    }
    for name in [
        "clusters.jsonl",
        "removed.jsonl",
        "placeholders.jsonl",
        "summary.json",
    ] {
        let mut bytes = out.report_bytes(name).unwrap_or_else(|| panic!("{name}"));
        if name == "summary.json" {
            let mut v: Value = serde_json::from_slice(&bytes).unwrap();
            v.as_object_mut().unwrap().remove("run");
            bytes = serde_json::to_vec(&v).unwrap();
        }
        got.insert(format!("report/{name}"), bytes);
    }
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (k, v) in &want {
        assert!(got[k] == *v, "{k} differs");
    }
}

#[test]
fn a_cleaner_run_twice_gives_the_same_outputs() {
    // The second run starts from a reset state (memos, budgets): what the first run
    // learned changes nothing it writes.
    let units: Vec<(String, String)> = seeds()
        .into_iter()
        .map(|(p, t)| (p.file_name().unwrap().to_string_lossy().into_owned(), t))
        .collect();
    let input = zhclean::source::Memory::new(units);
    let cleaner = zhclean::Cleaner::new(&zhclean::Config::new("unused", "unused")).unwrap();
    let outputs = |out: &zhclean::sink::Memory| {
        let clean: Vec<(String, Option<String>)> = out
            .units()
            .into_iter()
            .map(|u| (u.clone(), out.clean_text(&u)))
            .collect();
        let reports: Vec<Option<Vec<u8>>> =
            ["clusters.jsonl", "removed.jsonl", "placeholders.jsonl"]
                .iter()
                .map(|n| out.report_bytes(n))
                .collect();
        (clean, reports)
    };
    let first = zhclean::sink::Memory::new().unwrap();
    cleaner.run(&input, &first).unwrap();
    let second = zhclean::sink::Memory::new().unwrap();
    cleaner.run(&input, &second).unwrap();
    let (a, b) = (outputs(&first), outputs(&second));
    assert!(!a.0.is_empty() && a.1.iter().all(Option::is_some));
    assert_eq!(a, b);
}

/// A paragraph a wrapped page glued at a full line that ends a sentence is searched in
/// parts; a copy written whole elsewhere is still a candidate of its parts (they carry
/// some of the whole's band keys), so the longer part is found contained in it. Few
/// bands of many rows, so its own keys alone would almost never pair them.
#[test]
fn a_copy_written_whole_is_found_from_the_parts_of_a_glued_paragraph() {
    let paras = [
        "我们要坚持以人民为中心的发展思想，推动经济高质量发展。要让改革发展成果更多更公平惠及全体人民，这是一个很长的段落。",
        "第二段同样很长，它讲的是另一件事情：要加强基层组织建设，把党的政治优势和组织优势转化为发展优势，为全面建设现代化提供坚强保证。",
    ];
    let wrap = |p: &str| -> String {
        let c: Vec<char> = p.chars().collect();
        c.chunks(27)
            .map(|l| l.iter().collect::<String>() + "\n")
            .collect()
    };
    let (_d, input) = input_dir();
    fs::write(input.join("a.txt"), paras.map(wrap).concat()).unwrap();
    fs::write(input.join("b.txt"), format!("{}\n", paras[0])).unwrap();
    let run = clean(&input, &["--bands", "2", "--rows", "8"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let joined = run.jsonl("clusters.jsonl").iter().any(|c| {
        let files = member_files(c);
        c["level"] == "paragraph" && files.contains(&"a.txt") && files.contains(&"b.txt")
    });
    assert!(joined, "{:?}", run.jsonl("clusters.jsonl"));
}

/// A paragraph a wrapped page glued at a full line that ends a sentence, against a copy
/// written whole that deleted a clause on each side of the cut: neither part is a copy
/// of it alone (the first is not contained, the second holds too little of it), but
/// the whole is, so both parts join its cluster. A part that is another paragraph
/// glued on stays, though its whole holds the copy.
#[test]
fn the_parts_of_a_glued_paragraph_join_a_copy_that_deleted_a_clause_across_the_cut() {
    let (s1a, s1b) = (
        "我们要坚持以人民为中心的发展思想，推动经济社会高质量发展，",
        "要让改革发展成果更多更公平地惠及全体人民，这是一项长期的任务。",
    );
    let (s2a, s2b) = (
        "各级党委和政府要统一思想，",
        "切实加强组织领导，层层压实责任，确保各项工作落到实处，取得实效。",
    );
    let other = "第二段讲的是另一件事情：要加强基层组织建设，把党的政治优势和组织优势转化为发展优势，为全面建设现代化国家提供坚强保证，让人民群众有更多获得感。";
    // The first sentence fills two lines of 30 exactly.
    assert_eq!(format!("{s1a}{s1b}").chars().count(), 60);
    let wrap = |p: &str| -> String {
        let c: Vec<char> = p.chars().collect();
        c.chunks(30)
            .map(|l| l.iter().collect::<String>() + "\n")
            .collect()
    };
    let cut = "要让改革发展成果更多更公平地惠及全体人民，";
    let (_d, input) = input_dir();
    let page = wrap(&format!("{s1a}{s1b}{s2a}{s2b}")) + &wrap(other);
    fs::write(input.join("a.txt"), page).unwrap();
    fs::write(
        input.join("b.txt"),
        format!(
            "今年春节前后，全市各级工会组织深入基层，走访慰问困难职工两千多户。\n{s1a}{cut}{s2b}\n"
        ),
    )
    .unwrap();
    let (_run, clusters) = one_paragraph_cluster(&input, &[]);
    let para = paragraph_clusters(&clusters);
    assert_eq!(member_files(para[0]), ["a.txt", "a.txt", "b.txt"]);
    assert!(para[0]["members"][0]["cols"].is_array(), "{clusters:?}");

    // A page that glued another paragraph on after the first sentence, and a copy of
    // that sentence alone with its last clause dropped, short enough that the whole
    // holds it. The copy stays (it comes first), so each part is tried against it;
    // many bands of few rows make the glued-on part its candidate.
    let glued_on = "基层组织建设也要同步加强，各地要把这项工作放在突出位置。";
    let (_d, input) = input_dir();
    fs::write(
        input.join("a.txt"),
        format!("今年春节前后，全市各级工会组织深入基层，走访慰问困难职工两千多户。\n{s1a}{cut}\n"),
    )
    .unwrap();
    let page = wrap(&format!("{s1a}{s1b}{glued_on}")) + &wrap(other);
    fs::write(input.join("b.txt"), page).unwrap();
    let (run, clusters) =
        one_paragraph_cluster(&input, &["--keep", "first", "--bands", "64", "--rows", "2"]);
    let para = paragraph_clusters(&clusters);
    assert_eq!(member_files(para[0]), ["a.txt", "b.txt"], "{clusters:?}");
    assert!(run.clean("b.txt").unwrap().contains(glued_on));
}

/// Two copies that each delete a different clause of one paragraph are not copies of
/// each other; with one of them kept, the other still joins its cluster through a
/// near-copy of the kept one (the whole paragraph, one name masked), and reports its
/// similarity to the kept copy as measured.
#[test]
fn a_copy_that_fails_against_the_kept_copy_joins_through_a_near_copy_of_it() {
    let clauses = [
        "李岚清指出，１９９４年以来，国务院办公厅每年召开一次全国性会议，专门部署、推动教职工住房建设工作。",
        "四年多来，在各级党委、政府的领导下，",
        "经过中央与地方计划、财政、教育、城建、税务、金融、国土、房改等部门和社会各界的共同努力，",
        "全国教职工住房建设工作呈现了蓬勃发展的好势头，",
        "创造了许多成功的经验，取得了显著的成绩。",
        "这既是落实党的尊师重教、提高教师待遇政策的具体措施，",
        "也是推动我国教育发展和培养社会主义事业的跨世纪的建设者和接班人的重要举措，",
        "受到社会各界人士的拥护和支持，必将产生积极而深远的影响。",
    ];
    let without = |drop: &[usize]| -> String {
        (0..clauses.len())
            .filter(|i| !drop.contains(i))
            .map(|i| clauses[i])
            .collect()
    };
    let files = [
        (
            "a.txt",
            "今年春节前后，全市各级工会组织深入基层，走访慰问困难职工两千多户。",
            without(&[4]),
        ),
        (
            "b.txt",
            "会议还听取了关于城市交通建设情况的汇报，与会代表就选线问题展开了讨论。",
            without(&[]).replace("李岚清", "×××"),
        ),
        (
            "c.txt",
            "据气象部门预报，本周后期受冷空气影响，全省大部分地区将出现降温天气。",
            without(&[5, 6]),
        ),
    ];
    // The first copy stays: a.txt's, which c.txt's is no copy of.
    let (_d, run, para) = one_cluster_of_three(&files);
    assert_eq!(para["kept"], 0);
    let to_kept = para["members"][2]["similarity"].as_f64().unwrap();
    assert!(
        to_kept < zhclean::verify::ALIGN_MIN,
        "c.txt's copy aligns with the kept one below what a copy needs: {to_kept}"
    );
    assert!(run.clean("c.txt").unwrap().contains("据气象部门预报"));
    assert!(!run.clean("c.txt").unwrap().contains("四年多来"));

    // The kept copy deleted a long clause, so the whole aligns with it only just
    // above what a copy needs (0.85 to 0.9); it still bridges.
    let files = [
        (files[0].0, files[0].1, without(&[1, 2])),
        (files[1].0, files[1].1, without(&[])),
        (files[2].0, files[2].1, without(&[5, 6])),
    ];
    let (_d, _run, para) = one_cluster_of_three(&files);
    let via = para["members"][1]["similarity"].as_f64().unwrap();
    assert!(
        (zhclean::verify::ALIGN_MIN..0.9).contains(&via),
        "the whole aligns with the kept copy at {via}"
    );
}

/// The kept copy was trimmed (its last sentence cut), and the whole paragraph joined
/// it by containment; a copy that deleted a clause and kept the last sentence is no
/// copy of the kept one, but is of the whole, and the two trims share most of their
/// text: it joins through the whole. Two trims that keep different halves of the
/// whole do not.
#[test]
fn a_copy_trimmed_elsewhere_joins_a_trimmed_kept_copy_through_the_whole() {
    let (s1a, s1b, s1c) = (
        "在各种情况下，",
        "这都是安装完成并且删除临时文件之后，",
        "实际使用的磁盘空间。",
    );
    let s2 = "这还不包括文件系统的额外消耗，比如日志文件。";
    let s3 = "也就是说，在安装和使用过程中，都会需要更多的磁盘空间，请预留足够的余量。";
    let s4 = "请提前做好准备。";
    let others = [
        "今年春节前后，全市各级工会组织深入基层，走访慰问困难职工两千多户。",
        "会议还听取了关于城市交通建设情况的汇报，与会代表就选线问题展开了讨论。",
        "据气象部门预报，本周后期受冷空气影响，全省大部分地区将出现降温天气。",
    ];
    let files = [
        ("a.txt", others[0], format!("{s1a}{s1b}{s1c}{s2}")),
        ("b.txt", others[1], format!("{s1a}{s1b}{s1c}{s2}{s3}")),
        ("c.txt", others[2], format!("{s1a}{s1c}{s2}{s3}")),
    ];
    let (_d, _run, para) = one_cluster_of_three(&files);
    assert_eq!(para["members"][1]["containment"], true);

    // The kept copy is the whole's first half, the other its second half.
    let files = [
        ("a.txt", others[0], format!("{s1a}{s1b}{s1c}{s2}")),
        ("b.txt", others[1], format!("{s1a}{s1b}{s1c}{s2}{s3}{s4}")),
        ("c.txt", others[2], format!("{s3}{s4}")),
    ];
    // (Many bands of few rows, so the first half is a candidate of the whole.)
    let (_d, run, clusters) = one_copy_cluster_with(&files, &["--bands", "64", "--rows", "2"]);
    let para = paragraph_clusters(&clusters);
    assert_eq!(member_files(para[0]), ["a.txt", "b.txt"], "{clusters:?}");
    assert!(run.clean("c.txt").unwrap().contains(s4));
}

#[test]
fn a_copy_whose_sentences_come_in_another_order_joins_the_kept_copy() {
    // Shingles make the pair a copy; the monotone alignment cannot (the second
    // sentence comes first), and the cluster took only the alignment as a member's
    // test against the kept copy.
    let first = "国务院副总理李岚清今天下午在人民大会堂会见了以会长樱内义雄为团长的日本国际贸易促进协会访华团，双方就进一步扩大中日两国经贸合作交换了意见。";
    let second = "李岚清说，中日两国是近邻，发展长期稳定的睦邻友好合作关系符合两国人民的根本利益，也有利于本地区的和平与发展。";
    let files = [
        (
            "a.txt",
            "今年春节前后，全市各级工会组织深入基层，走访慰问困难职工两千多户。",
            format!("{first}{second}"),
        ),
        (
            "b.txt",
            "据气象部门预报，本周后期受冷空气影响，全省大部分地区将出现降温天气。",
            format!("{second}{first}"),
        ),
    ];
    let (_d, run, clusters) = one_copy_cluster(&files);
    let para = paragraph_clusters(&clusters);
    assert_eq!(member_files(para[0]), ["a.txt", "b.txt"]);
    let sim = para[0]["members"][1]["similarity"].as_f64().unwrap();
    assert!(
        (0.7..1.0).contains(&sim),
        "shingle Jaccard as the similarity: {sim}"
    );
    assert!(!run.clean("b.txt").unwrap().contains("睦邻友好"));
    assert!(run.clean("b.txt").unwrap().contains("据气象部门预报"));
    // Shingles fold names and numbers: two laws' articles on when they take effect
    // share every shingle, but one copy writes dates the other does not.
    let files = [
        (
            "a.txt",
            "今年春节前后，全市各级工会组织深入基层，走访慰问困难职工两千多户。",
            "第四十八条本法自１９９８年５月１日起施行。".to_string(),
        ),
        (
            "b.txt",
            "据气象部门预报，本周后期受冷空气影响，全省大部分地区将出现降温天气。",
            "第四十八条本法自１９９８年５月１日起施行。".to_string(),
        ),
        (
            "c.txt",
            "会议还听取了关于城市交通建设情况的汇报，与会代表就选线问题展开了讨论。",
            "第二十四条本法自１９９８年１０月１日起施行。".to_string(),
        ),
    ];
    let (_d, _run, clusters) = one_copy_cluster(&files);
    assert_eq!(
        member_files(paragraph_clusters(&clusters)[0]),
        ["a.txt", "b.txt"]
    );
}

#[test]
fn a_page_saved_with_its_html_left_in_is_a_copy_and_comes_out_as_text() {
    let plain = "会议强调，要认真贯彻落实全会精神，以“钉钉子”精神抓好××市各项工作的落实，确保全年目标任务圆满完成。";
    let scraped = "<p>&nbsp;&nbsp;会议强调，要认真贯彻落实全会精神，以&ldquo;钉钉子&rdquo;精神抓好&times;&times;市各项工作的落实，确保全年目标任务圆满完成。</p><o:p></o:p>";
    let other = "今年以来，全县上下紧紧围绕年初确定的目标任务，攻坚克难，各项事业取得了新的进展。";
    let (d, input) = input_dir();
    fs::write(input.join("a.txt"), format!("{plain}\n")).unwrap();
    fs::write(input.join("b.txt"), format!("{other}\n{scraped}\n")).unwrap();
    let (run, clusters) = one_paragraph_cluster(&input, &["--keep", "longest"]);
    let files = member_files(paragraph_clusters(&clusters)[0]);
    assert_eq!(files, ["a.txt", "b.txt"], "{clusters:?}");
    // The copy that stays is plain text, whichever it is.
    let all: String = ["a.txt", "b.txt"]
        .iter()
        .filter_map(|f| run.clean(f))
        .collect();
    for junk in ["&", "<", ">", "nbsp", "ldquo"] {
        assert!(!all.contains(junk), "{junk} in {all}");
    }
    assert_eq!(run.summary()["counts"]["markup_lines"], 1);
    // The mask read from `&times;&times;` is reported at the columns of those references.
    let masks = run.jsonl("placeholders.jsonl");
    let m = masks
        .iter()
        .find(|m| m["file"] == "b.txt")
        .expect("the scraped copy's mask");
    let line: Vec<char> = scraped.chars().collect();
    let (a, b) = (
        m["start"].as_u64().unwrap() as usize,
        m["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(line[a..b].iter().collect::<String>(), "&times;&times;");
    assert_eq!(m["text"], "××");
    drop(d);
}

/// `synth --varied` on a source with a handful of unit names writes no inline lists of
/// them: every such list would repeat the same few words, and two lists of different
/// origins would read the same.
#[test]
fn synth_builds_no_inline_lists_from_a_source_poor_in_names() {
    let clauses = [
        "我们要认真学习",
        "深入贯彻落实各项工作部署",
        "推动工作取得新成效",
        "切实加强组织领导",
        "进一步提高思想认识",
        "不断增强工作的主动性",
        "扎实做好各项基础工作",
        "努力开创工作新局面",
    ];
    let mut source = String::new();
    let mut x: u64 = 1;
    for _ in 0..60 {
        let picked: Vec<&str> = (0..4)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                clauses[(x >> 61) as usize]
            })
            .collect();
        source.push_str(&format!("{}。\n", picked.join("，")));
    }
    let d = tempfile::tempdir().unwrap();
    let (_, syn) = synth(
        d.path(),
        &source,
        &["--seed", "11", "--docs", "200", "--varied", "--no-truth"],
    );
    let files = files_under(&syn.join("corpus"));
    assert!(files.len() > 50);
    for (rel, path) in files {
        let text = fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&text);
        for intro in ["受到表彰的单位是", "协办单位包括", "参加这次活动的有"]
        {
            assert!(!text.contains(intro), "{rel}: {intro}");
        }
    }
}
