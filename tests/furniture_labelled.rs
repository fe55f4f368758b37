//! Furniture removal against hand-labelled pages (`fixtures/labelled/furniture/`): every
//! per-rule file must come out exactly as labelled, and precision/recall over all of
//! them must reach 0.97.

use std::collections::BTreeMap;
use std::fs;

use crate::util::{clean, fixtures, input_dir};

/// One labelled input line: its file, line number and expected rule (`None`: stays).
struct Labelled {
    source: String,
    file: String,
    line: u64,
    rule: Option<String>,
    text: String,
}

/// Parse every labelled file and write the pages into `input`.
fn materialise(input: &std::path::Path) -> Vec<Labelled> {
    let dir = fixtures().join("labelled/furniture");
    let mut sources: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    sources.sort();
    let mut out = Vec::new();
    let mut pages: BTreeMap<String, String> = BTreeMap::new();
    for src in sources {
        let source = src.file_name().unwrap().to_string_lossy().into_owned();
        let mut file = String::new();
        let mut line = 0;
        for raw in fs::read_to_string(&src).unwrap().lines() {
            if raw.starts_with('#') || raw.is_empty() {
                continue;
            }
            if let Some(name) = raw.strip_prefix("=== ") {
                file = name.trim().to_string();
                assert!(!pages.contains_key(&file), "{file} twice");
                pages.insert(file.clone(), String::new());
                line = 0;
                continue;
            }
            let (label, text) = raw.split_once('\t').expect("LABEL<TAB>TEXT");
            assert!(!file.is_empty(), "{source}: a line before any === NAME");
            let page = pages.get_mut(&file).unwrap();
            page.push_str(text);
            page.push('\n');
            line += 1;
            out.push(Labelled {
                source: source.clone(),
                file: file.clone(),
                line,
                rule: (label != ".").then(|| label.to_string()),
                text: text.to_string(),
            });
        }
    }
    for (name, text) in &pages {
        fs::write(input.join(name), text).unwrap();
    }
    out
}

#[test]
fn labelled_furniture_precision_recall_and_per_rule_files() {
    let (_d, input) = input_dir();
    let labels = materialise(&input);
    let run = clean(&input, &[]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    // Which rule removed each line.
    let mut removed: BTreeMap<(String, u64), String> = BTreeMap::new();
    for r in run.jsonl("removed.jsonl") {
        if r["reason"] != "boilerplate" {
            continue;
        }
        let (a, b) = (
            r["lines"][0].as_u64().unwrap(),
            r["lines"][1].as_u64().unwrap(),
        );
        for l in a..=b {
            let key = (r["file"].as_str().unwrap().to_string(), l);
            removed.insert(key, r["rule"].as_str().unwrap().to_string());
        }
    }
    let (mut tp, mut fp, mut fneg, mut wrong_rule) = (0, 0, 0, 0);
    let mut errors = Vec::new();
    for l in &labels {
        let got = removed.get(&(l.file.clone(), l.line));
        match (&l.rule, got) {
            (Some(want), Some(got)) => {
                tp += 1;
                if want != got {
                    wrong_rule += 1;
                    errors.push(format!("{}: rule {got}, want {want}: {}", l.source, l.text));
                }
            }
            (None, Some(got)) => {
                fp += 1;
                errors.push(format!("{}: removed by {got}: {}", l.source, l.text));
            }
            (Some(want), None) => {
                fneg += 1;
                errors.push(format!("{}: kept, want {want}: {}", l.source, l.text));
            }
            (None, None) => {}
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fneg).max(1) as f64;
    // `cargo test --release labelled_furniture -- --nocapture` prints the README figure.
    println!(
        "furniture on {} labelled lines ({} furniture): precision {precision:.3}, recall \
         {recall:.3}, {wrong_rule} removed by another rule than labelled",
        labels.len(),
        tp + fneg
    );
    for e in &errors {
        println!("  {e}");
    }
    // The per-rule files are our tests of each rule and its near-misses: exact.
    let per_rule: Vec<_> = errors
        .iter()
        .filter(|e| !e.starts_with("pages.txt"))
        .collect();
    assert!(per_rule.is_empty(), "{per_rule:#?}");
    assert!(
        precision >= 0.97 && recall >= 0.97,
        "precision {precision:.3} recall {recall:.3}: {errors:#?}"
    );
}
