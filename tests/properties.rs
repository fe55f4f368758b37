//! Property tests of the text stages on arbitrary input (issue 19's "fuzzing as a
//! habit"): no panic on any bytes or string, offsets inside their line, and output a
//! function of the input. Case counts stay small for CI; `fuzz/properties.sh` runs them
//! longer.

use proptest::prelude::*;
use zhclean::boilerplate::Boilerplate;
use zhclean::lines::split_lines;

use crate::util::snapshot;

/// `PROPTEST_CASES` when set (a longer run, `fuzz/properties.sh`), else `ci`: an
/// explicit case count would otherwise override the variable.
fn cases(ci: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(ci)
}

/// Text that looks like a scraped page: ideographs, masks, punctuation of both widths,
/// brackets, digits, Latin letters, white space of all kinds, every line end, and HTML
/// left in (references and tags, whole and broken).
fn page() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[的一是不了在人有我他这个们中来上大为和国地到以说时要就出会]{1,12}",
        "[XxＸ×*＊○□△某_\\-—]{1,4}",
        "[，。、；：！？（）()《》“”‘’『』「」…·,.;:!?]",
        "[0-9０-９]{1,4}[年月日%％]?",
        "[a-zA-Z]{1,6}",
        "[ \t\u{3000}\u{00A0}\u{200B}\u{FEFF}]{1,3}",
        proptest::sample::select(vec![
            "\n",
            "\r\n",
            "\r",
            "同志们：",
            "一、",
            "（二）",
            "讲话一",
            "讲话二",
            "更新时间:2020-01-01 下载docx",
            "（张某某摄）",
            "* ",
            "20**年",
            "××４０周年",
            "&nbsp;",
            "&ldquo;",
            "&times;&times;",
            "&amp;",
            "&#183;",
            "&",
            ";",
            "<br/>",
            "<p>",
            "</p>",
            "<span style=\"x\">",
            "<o:p></o:p>",
            "<",
            ">",
        ])
        .prop_map(str::to_string),
        any::<char>().prop_map(|c| c.to_string()),
    ];
    proptest::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256)))]

    /// Any bytes decode or are called binary, the same way twice; decoded text is the
    /// bytes' (for UTF-8 input, exactly).
    #[test]
    fn decode_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let a = zhclean::decode::decode(&bytes, None);
        let b = zhclean::decode::decode(&bytes, None);
        prop_assert_eq!(a.is_ok(), b.is_ok());
        if let (Ok(a), Ok(b)) = (&a, &b) {
            prop_assert_eq!(&a.text, &b.text);
            if let Ok(s) = std::str::from_utf8(&bytes) {
                if !bytes.starts_with(b"\xEF\xBB\xBF") && a.encoding == "UTF-8" {
                    prop_assert_eq!(&a.text, s);
                }
            }
        }
    }

    /// Lines: numbered from 1 in order, every removed column inside the original line,
    /// and the cleaned text plus the removed characters is the original's length.
    #[test]
    fn lines_of_any_text(text in page()) {
        let lines = split_lines(&text);
        for (i, l) in lines.iter().enumerate() {
            prop_assert_eq!(l.no as usize, i + 1);
            prop_assert!(l.removed.windows(2).all(|w| w[0] < w[1]));
            let total = l.text.chars().count() + l.removed.len();
            prop_assert!(l.removed.iter().all(|&c| (c as usize) < total));
            for col in 0..l.text.chars().count() {
                prop_assert!(l.orig_col(col) < total);
            }
        }
    }

    /// Furniture, structure and masks on any page: one rule verdict a line; paragraphs
    /// in order, each the concatenation of its lines; documents covering the paragraphs
    /// in order; mask spans sorted, disjoint and inside their paragraph; and the same
    /// result twice.
    #[test]
    fn text_stages_of_any_page(text in page()) {
        let boiler = Boilerplate::builtin();
        let prep = zhclean::pipeline::prepare(&text, &boiler, false);
        prop_assert_eq!(prep.furniture.len(), prep.lines.len());
        let mut last_line = None;
        for (p, spans) in prep.paras.iter().zip(&prep.spans) {
            prop_assert!(p.first <= p.last && p.last < prep.lines.len());
            prop_assert!(last_line.is_none_or(|l| l < p.first));
            last_line = Some(p.last);
            let joined: String = p.pieces.iter().map(|&(li, _)| prep.lines[li].text.as_str()).collect();
            prop_assert_eq!(&joined, &p.text);
            let n = p.text.chars().count();
            prop_assert!(spans.windows(2).all(|w| w[0].end <= w[1].start));
            prop_assert!(spans.iter().all(|s| s.start < s.end && s.end <= n));
            let applied = zhclean::placeholders::apply(&p.text, spans, zhclean::MaskStyle::Token);
            prop_assert!(spans.is_empty() || applied.contains('['));
        }
        let mut next = 0;
        for d in &prep.docs {
            prop_assert_eq!(d.paras.start, next);
            next = d.paras.end;
        }
        prop_assert_eq!(next, prep.paras.len());
        let again = zhclean::pipeline::prepare(&text, &boiler, false);
        prop_assert_eq!(
            again.paras.iter().map(|p| &p.text).collect::<Vec<_>>(),
            prep.paras.iter().map(|p| &p.text).collect::<Vec<_>>()
        );
        // The explained build gives the same paragraphs, and a decision for each pair
        // of adjacent content lines it looked at.
        let (_, paras, ex) = zhclean::structure::build_explained(&prep.lines, &prep.furniture, false, true);
        prop_assert_eq!(paras.len(), prep.paras.len());
        prop_assert!(ex.decisions.iter().all(|d| d.line + 1 < prep.lines.len()));
    }

    /// Masks on any string: spans sorted, disjoint, inside the text; replacement keeps
    /// the text outside the spans.
    #[test]
    fn placeholders_of_any_string(text in page()) {
        let spans = zhclean::placeholders::detect(&text);
        let n = text.chars().count();
        prop_assert!(spans.windows(2).all(|w| w[0].end <= w[1].start));
        prop_assert!(spans.iter().all(|s| s.start < s.end && s.end <= n));
        let kept = zhclean::placeholders::apply(&text, &spans, zhclean::MaskStyle::Keep);
        prop_assert_eq!(kept, text.clone());
    }

    /// Any page glued into one line is cut into parts that cover it exactly, at char
    /// boundaries, each of bounded length; a run of end marks or a text without any
    /// sentence end is bounded too.
    #[test]
    fn parts_of_any_long_line(
        pages in proptest::collection::vec(page(), 1..12),
        run in 0usize..3000,
        repeat in 1usize..40,
    ) {
        use zhclean::parts::{cut_points, LONG_CHARS, PART_MAX_CHARS, PART_MIN_CHARS};
        let one: String = pages.concat().replace(['\n', '\r'], "");
        let text = format!("{}{}", one.repeat(repeat), "。".repeat(run));
        let n = text.chars().count();
        let cuts = cut_points(&text);
        prop_assert!(n > LONG_CHARS || cuts.is_empty());
        let mut last = (0, 0);
        for &(b, c) in &cuts {
            prop_assert!(text.is_char_boundary(b));
            prop_assert_eq!(text[..b].chars().count(), c);
            prop_assert!(c - last.1 >= PART_MIN_CHARS && c - last.1 <= PART_MAX_CHARS);
            last = (b, c);
        }
        if !cuts.is_empty() {
            prop_assert!(n - last.1 >= PART_MIN_CHARS);
            prop_assert!(n - last.1 <= PART_MAX_CHARS + PART_MIN_CHARS);
        }
    }

    /// The script fold keeps the length in characters and is idempotent.
    #[test]
    fn script_fold_of_any_string(text in page()) {
        let f = zhclean::script::fold_str(&text);
        prop_assert_eq!(f.chars().count(), text.chars().count());
        prop_assert_eq!(zhclean::script::fold_str(&f), f);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(12) / 20 + 12))]

    /// Whole runs on random small trees (pages, some copied, some in subfolders):
    /// `--jobs 1` and `--jobs 2` write the same bytes, and nothing is lost: every
    /// paragraph of every input is in clean/ as a line, or all its lines are in
    /// removed.jsonl.
    #[test]
    fn whole_runs_on_random_trees(
        mut pages in proptest::collection::vec(page(), 1..6),
        copies in proptest::collection::vec(0usize..6, 0..4),
        glue in 0usize..3,
    ) {
        // Sometimes the first page is glued into one long line, searched in parts.
        if glue == 0 {
            pages[0] = pages[0].replace(['\n', '\r'], "").repeat(40);
        }
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in");
        std::fs::create_dir_all(input.join("sub")).unwrap();
        let mut files = Vec::new();
        for (i, p) in pages.iter().enumerate() {
            let rel = if i % 2 == 0 { format!("{i}.txt") } else { format!("sub/{i}.txt") };
            std::fs::write(input.join(&rel), p).unwrap();
            files.push((rel, p.clone()));
        }
        for (k, &c) in copies.iter().enumerate() {
            let (_, text) = files[c % files.len()].clone();
            let rel = format!("copy{k}.txt");
            std::fs::write(input.join(&rel), &text).unwrap();
            files.push((rel, text));
        }
        let mut outs = Vec::new();
        for jobs in [1, 2] {
            let mut cfg = zhclean::Config::new(&input, dir.path().join(format!("out{jobs}")));
            cfg.jobs = jobs;
            let outcome = zhclean::pipeline::run(&cfg);
            prop_assert!(outcome.is_ok(), "{:?}", outcome.err());
            outs.push(snapshot(&dir.path().join(format!("out{jobs}"))));
        }
        prop_assert_eq!(&outs[0], &outs[1]);
        let removed: Vec<serde_json::Value> = String::from_utf8(outs[0]["report/removed.jsonl"].clone())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let boiler = Boilerplate::builtin();
        for (rel, text) in &files {
            let dec = zhclean::decode::decode(text.as_bytes(), None);
            let Ok(dec) = dec else { continue };
            let prep = zhclean::pipeline::prepare(&dec.text, &boiler, false);
            let clean = outs[0]
                .get(&format!("clean/{rel}"))
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            let clean_lines: std::collections::HashSet<&str> = clean.lines().collect();
            let gone = |no: u32| {
                removed.iter().any(|r| {
                    r["file"] == rel.as_str()
                        && r["lines"][0].as_u64().unwrap() <= no as u64
                        && no as u64 <= r["lines"][1].as_u64().unwrap()
                })
            };
            let cols = zhclean::parts::cols(&prep.paras, &prep.lines);
            for ((p, spans), cols) in prep.paras.iter().zip(&prep.spans).zip(&cols) {
                let written = zhclean::placeholders::apply(&p.text, spans, zhclean::MaskStyle::Conventional);
                let all_removed = (p.first..=p.last)
                    .filter(|&i| !prep.lines[i].is_blank())
                    .all(|i| gone(prep.lines[i].no));
                // A part of a page-long paragraph shares its line with the other parts.
                let kept = match cols {
                    None => clean_lines.contains(written.as_str()),
                    Some(_) => clean.contains(written.as_str()),
                };
                prop_assert!(
                    kept || all_removed,
                    "{}: paragraph at lines {}-{} is neither in clean/ nor removed: {:?}",
                    rel, prep.lines[p.first].no, prep.lines[p.last].no, written
                );
            }
        }
    }
}
