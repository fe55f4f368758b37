//! Placeholder detection against hand-written expectations: the case table
//! (`tests/data/placeholders.tsv`), the hand-labelled paragraphs
//! (`fixtures/labelled/placeholders.txt`, precision and recall) and every span a reader
//! finds in the seeds (`fixtures/seeds_placeholders.tsv`).

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use zhclean::config::MaskStyle;
use zhclean::placeholders::{apply, detect, Span};

use crate::util::{clean, fixtures};

/// A labelled span: char offsets and kind name.
type Label = (usize, usize, String);

/// Split `{TEXT|kind}` markup into the plain text and its labelled spans.
fn unmark(marked: &str) -> (String, Vec<Label>) {
    let mut text = String::new();
    let mut spans = Vec::new();
    let mut n = 0; // chars written to `text`
    let mut rest = marked;
    while let Some(open) = rest.find('{') {
        let before = &rest[..open];
        text.push_str(before);
        n += before.chars().count();
        let close = rest[open..].find('}').expect("unclosed {") + open;
        let (inner, kind) = rest[open + 1..close].split_once('|').expect("{TEXT|kind}");
        text.push_str(inner);
        let len = inner.chars().count();
        spans.push((n, n + len, kind.to_string()));
        n += len;
        rest = &rest[close + 1..];
    }
    text.push_str(rest);
    (text, spans)
}

fn found(text: &str) -> Vec<Label> {
    detect(text)
        .into_iter()
        .map(|Span { start, end, kind }| (start, end, kind.name().to_string()))
        .collect()
}

fn data_lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[test]
fn case_table_spans_and_every_style() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/placeholders.tsv");
    let rows = data_lines(&path);
    let mut look_alikes = 0;
    let mut failures = Vec::new();
    for row in &rows {
        let cols: Vec<&str> = row.split('\t').collect();
        assert_eq!(cols.len(), 3, "three columns: {row}");
        let (text, want) = unmark(cols[0]);
        let got = found(&text);
        let spans = detect(&text);
        let (conv, token) = if want.is_empty() {
            look_alikes += 1;
            assert_eq!((cols[1], cols[2]), ("=", "="), "a look-alike: {row}");
            (text.clone(), text.clone())
        } else {
            (cols[1].to_string(), cols[2].to_string())
        };
        if got != want {
            failures.push(format!("{text}: want {want:?}, got {got:?}"));
            continue;
        }
        for (style, expected) in [
            (MaskStyle::Conventional, &conv),
            (MaskStyle::Token, &token),
            (MaskStyle::Keep, &text),
        ] {
            let out = apply(&text, &spans, style);
            if &out != expected {
                failures.push(format!("{text} ({style:?}): want {expected}, got {out}"));
            }
        }
    }
    assert!(rows.len() >= 150, "{} cases", rows.len());
    assert!(look_alikes * 2 >= rows.len(), "{look_alikes} look-alikes");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Span-level scores: a found span counts only when its start, end and kind all match.
struct Score {
    labelled: usize,
    found: usize,
    right: usize,
    kind_wrong: usize,
}

impl Score {
    fn precision(&self) -> f64 {
        self.right as f64 / self.found.max(1) as f64
    }
    fn recall(&self) -> f64 {
        self.right as f64 / self.labelled.max(1) as f64
    }
}

#[test]
fn labelled_set_precision_and_recall() {
    let mut s = Score {
        labelled: 0,
        found: 0,
        right: 0,
        kind_wrong: 0,
    };
    let mut misses = Vec::new();
    let lines = data_lines(&fixtures().join("labelled/placeholders.txt"));
    for line in &lines {
        let (text, want) = unmark(line);
        let got = found(&text);
        let want_set: BTreeSet<&Label> = want.iter().collect();
        let got_set: BTreeSet<&Label> = got.iter().collect();
        s.labelled += want.len();
        s.found += got.len();
        s.right += want_set.intersection(&got_set).count();
        s.kind_wrong += got
            .iter()
            .filter(|g| !want_set.contains(g) && want.iter().any(|w| (w.0, w.1) == (g.0, g.1)))
            .count();
        let chars: Vec<char> = text.chars().collect();
        let show = |l: &Label| format!("{}:{}", chars[l.0..l.1].iter().collect::<String>(), l.2);
        for w in want_set.difference(&got_set) {
            misses.push(format!("missed {} in {text}", show(w)));
        }
        for g in got_set.difference(&want_set) {
            misses.push(format!("wrong {} in {text}", show(g)));
        }
    }
    // `cargo test --release labelled_set -- --nocapture` prints the figure for the README.
    println!(
        "placeholders on {} labelled paragraphs: {} labelled spans, {} found, {} right \
         ({} with the right boundaries but the wrong kind); precision {:.3}, recall {:.3}",
        lines.len(),
        s.labelled,
        s.found,
        s.right,
        s.kind_wrong,
        s.precision(),
        s.recall()
    );
    for m in &misses {
        println!("  {m}");
    }
    assert!(s.labelled >= 100, "{} labelled spans", s.labelled);
    assert!(
        s.precision() >= 0.97 && s.recall() >= 0.97,
        "precision {:.3} recall {:.3}\n{}",
        s.precision(),
        s.recall(),
        misses.join("\n")
    );
}

/// Read the seeds span fixture: (file, line, start, end, text, kind).
fn seeds_fixture() -> BTreeSet<(String, u64, u64, u64, String, String)> {
    data_lines(&fixtures().join("seeds_placeholders.tsv"))
        .iter()
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            let num = |i: usize| c[i].parse::<u64>().unwrap();
            (
                c[0].into(),
                num(1),
                num(2),
                num(3),
                c[4].into(),
                c[5].into(),
            )
        })
        .collect()
}

fn reported(run: &crate::util::Run) -> BTreeSet<(String, u64, u64, u64, String, String)> {
    run.jsonl("placeholders.jsonl")
        .iter()
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap().to_string();
            let n = |k: &str| p[k].as_u64().unwrap();
            (
                s("file"),
                n("line"),
                n("start"),
                n("end"),
                s("text"),
                s("kind"),
            )
        })
        .collect()
}

#[test]
fn seeds_spans_equal_the_fixture() {
    let want = seeds_fixture();
    let kept = clean(&fixtures().join("seeds"), &["--keep-boilerplate"]);
    let got = reported(&kept);
    let missed: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missed.is_empty() && extra.is_empty(),
        "missed {missed:?}\nextra {extra:?}"
    );
    // A default run reports exactly the fixture's spans that are not on furniture lines
    // (masks in duplicates are reported: the kept copy's text shows them normalized).
    let run = clean(&fixtures().join("seeds"), &[]);
    let removed: BTreeSet<(String, u64)> = run
        .jsonl("removed.jsonl")
        .iter()
        .filter(|r| r["reason"] == "boilerplate")
        .flat_map(|r| {
            let file = r["file"].as_str().unwrap().to_string();
            let a = r["lines"][0].as_u64().unwrap();
            let b = r["lines"][1].as_u64().unwrap();
            (a..=b).map(move |l| (file.clone(), l))
        })
        .collect();
    let expected: BTreeSet<_> = want
        .into_iter()
        .filter(|s| !removed.contains(&(s.0.clone(), s.1)))
        .collect();
    let got = reported(&run);
    assert!(
        got == expected,
        "differs: {:?}",
        got.symmetric_difference(&expected).collect::<Vec<_>>()
    );
}
