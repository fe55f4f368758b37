//! Tests of the pipeline's pieces (the whole run is tested in `tests/`).

use super::*;

fn facts(tokens: Vec<u32>, paras: &[[u32; 2]]) -> FileFacts {
    FileFacts {
        rel_path: "a.txt".into(),
        hash: 0,
        bytes: 0,
        encoding: "UTF-8",
        decode_issue: None,
        n_lines: 0,
        docs: Vec::new(),
        paras: paras
            .iter()
            .map(|&t| ParaFacts {
                doc: 0,
                lines: [1, 1],
                cols: None,
                glued: false,
                masks: 0,
                key: KeyFacts::default(),
                script: script::Script::Simplified,
                tokens: t,
            })
            .collect(),
        tokens: FileTokens::Memory(tokens),
        stage_ns: StageNs::default(),
    }
}

#[test]
fn pair_verifier_with_its_table_gives_what_is_copy_gives() {
    // Paragraph ids that share table slots (k and k + RECENT_SLOTS), pairs in the
    // order of a run (sorted by `a`) with every `b` recurring, and a load count.
    let ids: Vec<u32> = (0..40u32)
        .flat_map(|k| [k, k + RECENT_SLOTS as u32])
        .collect();
    let tokens = |id: u32| -> Vec<u32> {
        let k = id % RECENT_SLOTS as u32;
        // Families of near copies: same base text, a few tokens changed. Plain words
        // (no tag bits): not names or numbers, which would make the pairs mask-dense.
        (0..30u32)
            .map(|t| {
                if (t + id).is_multiple_of(7) {
                    (1000 + id * 31 + t) << 3
                } else {
                    (100 + (k % 5) * 50 + t) << 3
                }
            })
            .collect()
    };
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for &a in &ids {
        for &b in &ids {
            if a < b {
                pairs.push((a, b));
            }
        }
    }
    let cfg = Config::new(
        std::path::PathBuf::from("in"),
        std::path::PathBuf::from("out"),
    );
    let mut pv = PairVerifier::default();
    let mut loads = 0;
    let (mut copies, mut not) = (0, 0);
    for &(a, b) in &pairs {
        let got = pv
            .check(
                &cfg,
                (a, b),
                |_, _| Ok(None),
                |i, out: &mut Vec<u32>| {
                    loads += 1;
                    *out = tokens(i);
                    Ok::<(), ()>(())
                },
            )
            .unwrap();
        let (ta, tb) = (tokens(a), tokens(b));
        let (mut sa, mut sb) = (Vec::new(), Vec::new());
        fingerprint::shingles(&ta, cfg.shingle.size(), &mut sa);
        fingerprint::shingles(&tb, cfg.shingle.size(), &mut sb);
        let want = verify::is_copy((&ta, &tb), (&sa, &sb), cfg.threshold, VERIFY_FLOOR);
        assert_eq!(got, want, "{a} {b}");
        if want {
            copies += 1;
        } else {
            not += 1;
        }
    }
    assert!(copies > 20 && not > 50, "{copies} {not}");
    assert!(
        loads < pairs.len(),
        "{loads} loads for {} pairs",
        pairs.len()
    );
}

/// Verification with the early stop: a one-paragraph document's paragraph with more
/// than `ENOUGH_COPIES` copies among its partners stops trying them, a pair is still tried from whichever end has
/// not stopped, a paragraph whose partners are not copies tries them all, and the
/// outcome is the same at any thread count.
#[test]
fn verification_stops_at_enough_copies_from_both_ends_at_any_thread_count() {
    // 40 copies of one text (ids 0..40, one document each), then ids 40..50: the text's
    // first half with other words after it, each a candidate of every copy and of the
    // others (not copies).
    let copy: Vec<u32> = (100..130).collect();
    let tokens = move |id: u32| -> Vec<u32> {
        if id < 40 {
            copy.clone()
        } else {
            (100..115)
                .chain((0..15).map(|t| 5000 + id * 100 + t))
                .collect()
        }
    };
    let n = 50u32;
    // Every pair shares 10 bands, but the strays share 20 with copies 30..40: they rank
    // first there, so those copies must go past them to find their copies.
    let cands: Vec<lsh::Candidate> = (0..n)
        .flat_map(|a| (a + 1..n).map(move |b| (a, b, if b >= 40 && a >= 30 { 20 } else { 10 })))
        .collect();
    let units: Vec<u32> = (0..n).collect();
    let cfg = Config::new(
        std::path::PathBuf::from("in"),
        std::path::PathBuf::from("out"),
    );
    let partners = lsh::rank_partners(&cands, 64, (&units, &[1; 50]), u16::MAX);
    let run = |threads: usize, stops: bool| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            verify_candidates(
                &cfg,
                &cands,
                &partners,
                |_| stops,
                |_| None,
                |i, out, _| {
                    *out = tokens(i);
                    Ok(())
                },
            )
            .unwrap()
        })
    };
    let one = run(1, true);
    let three = run(3, true);
    assert_eq!(one.pairs, three.pairs);
    assert_eq!(one.skipped, three.skipped);
    let e = lsh::ENOUGH_COPIES as u32;
    assert!(e < 30);
    // Copy a's partners rank by id among the copies (ties), so it stops after its first
    // e copies: the pair (a, b) of copies is tried when a or b has the other among its e
    // lowest-id others, i.e. when a < e (copies 30..40 rank the strays first, which
    // are not copies and do not count).
    let want: Vec<(u32, u32)> = cands
        .iter()
        .map(|&(a, b, _)| (a, b))
        .filter(|&(a, b)| b < 40 && a < e)
        .collect();
    assert_eq!(one.pairs, want);
    // Every stray tries all its partners (none is a copy), so no pair with a stray is
    // skipped; the skipped pairs are the copy pairs with both ends past e.
    let skipped = (e..40).map(|a| 39 - a).sum::<u32>() as usize;
    assert_eq!(one.skipped, skipped);
    // The strays' pairs were tried and are not copies.
    assert_eq!(one.pairs.len() + one.skipped + 10 * 40 + 45, cands.len());
    // Paragraphs of longer documents do not stop: every copy pair is verified.
    let all = run(2, false);
    assert_eq!(all.skipped, 0);
    assert_eq!(all.pairs.len(), 40 * 39 / 2);
}

#[test]
fn memo_gives_what_fingerprinting_gives() {
    // A seed twice over in one file, and again with one paragraph changed: the memo
    // answers the repeats, and the facts must equal those of an engine without it.
    let seed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/seeds/000_2fb96dc22149446e.txt"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let changed = seed.replacen("同志们", "各位同志", 1);
    std::fs::write(
        dir.path().join("a.txt"),
        format!("{seed}\n{seed}\n{changed}"),
    )
    .unwrap();
    let cfg = Config::new(dir.path().to_path_buf(), dir.path().join("out"));
    let input = crate::source::Dir::from_config(&cfg).unwrap();
    let src = input.unit("a.txt");
    let with = Engine::new(&cfg).unwrap();
    let mut without = Engine::new(&cfg).unwrap();
    without.state.memo = None;
    without.state.word_memo = None;
    let facts = |e: &Engine| match e.analyze(&input, &src, &mut Scratch::default()) {
        Analyzed::Done(f) => {
            let f = *f;
            let paras: Vec<_> = f
                .facts
                .paras
                .iter()
                .map(|p| (p.doc, p.lines, p.masks, p.key, p.tokens))
                .collect();
            let keys = f.band_keys_in_memory().unwrap().to_vec();
            let FileTokens::Memory(tokens) = f.facts.tokens else {
                panic!("tokens in memory")
            };
            (paras, tokens, keys)
        }
        _ => panic!("analysed"),
    };
    let (a, b) = (facts(&with), facts(&without));
    assert!(
        a.0.len() > 20 && a.2.len() > 100,
        "{} {}",
        a.0.len(),
        a.2.len()
    );
    assert_eq!(a, b);
    let stored = with.state.memo.as_ref().unwrap().len();
    assert!(
        stored < a.0.len(),
        "repeats are looked up, not stored again"
    );
    // A second pass over the same file is answered from the memo entirely.
    assert_eq!(facts(&with), b);
    // The word memo alone (a paragraph changed in one clause is found clause by
    // clause) gives the same.
    let mut words_only = Engine::new(&cfg).unwrap();
    words_only.state.memo = None;
    assert_eq!(facts(&words_only), b);
    assert!(words_only.state.word_memo.as_ref().unwrap().len() > 100);
    assert_eq!(facts(&words_only), b);
}

#[test]
fn marks_give_back_the_furniture_and_spans_or_are_not_kept() {
    let boiler = Boilerplate::builtin();
    let text = "更新时间：2020-01-01 下载docx\n\n张某某同志在20XX年X月的讲话\n\n××县实现增长X%，成绩来之不易。\n";
    let prep = prepare(text, &boiler, false);
    assert!(prep.furniture.iter().any(Option::is_some));
    assert!(prep.spans.iter().filter(|s| !s.is_empty()).count() >= 2);
    let marks = Marks::of(&prep).unwrap();
    assert_eq!(marks.furniture(), prep.furniture);
    assert_eq!(marks.spans(prep.paras.len()).unwrap(), prep.spans);
    assert_eq!(marks.spans(prep.paras.len() + 1), None);
    let again = prepare_marked(text, &marks, false).unwrap();
    assert_eq!(again.spans, prep.spans);
    assert_eq!(again.furniture, prep.furniture);
    assert_eq!(again.paras, prep.paras);
    // A rule id or a span that does not fit the packed fields: no marks.
    let mut odd = prep.clone();
    odd.furniture[0] = Some(NO_RULE);
    assert!(Marks::of(&odd).is_none());
    let mut odd = prep.clone();
    let p = odd.spans.iter().position(|s| !s.is_empty()).unwrap();
    let start = odd.spans[p][0].start;
    odd.spans[p][0].end = start + usize::from(u16::MAX) + 1;
    assert!(Marks::of(&odd).is_none());
    odd.spans[p][0].end = start + usize::from(u16::MAX);
    assert!(Marks::of(&odd).is_some());
}

#[test]
fn kept_text_stages_write_what_reading_again_writes() {
    let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/seeds");
    let out = tempfile::tempdir().unwrap();
    let cfg = Config::new(seeds.clone(), out.path().join("unused"));
    let engine = Engine::new(&cfg).unwrap();
    let input = crate::source::Dir::from_config(&cfg).unwrap();
    let analyze =
        |name: &str| match engine.analyze(&input, &input.unit(name), &mut Scratch::default()) {
            Analyzed::Done(f) => *f,
            _ => panic!("analysed"),
        };
    let left = || {
        (
            engine.state.keep_left.load(Ordering::Relaxed),
            engine.state.marks_left.load(Ordering::Relaxed),
        )
    };
    // Nothing is kept unless the run gives a budget.
    let name = "000_2fb96dc22149446e.txt";
    assert!(analyze(name).kept.is_none());
    engine.keep_prepared(1000, 10);
    assert!(analyze(name).kept.is_none(), "a file over both budgets");
    assert_eq!(left(), (1000, 10));
    let mut written = 0;
    for e in std::fs::read_dir(&seeds).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        // Within the budget for whole text stages, they are kept; beyond it, the
        // marks, within theirs.
        engine.keep_prepared(u64::MAX, 0);
        let mut f = analyze(&name);
        let Some(Kept::Prepared(kept)) = f.kept.take() else {
            panic!("{name}: text stages not kept")
        };
        assert_eq!(left(), (u64::MAX - kept.heap_bytes(), 0), "{name}");
        assert!(kept.heap_bytes() > f.facts.bytes, "{name}");
        engine.keep_prepared(0, u64::MAX);
        let Some(Kept::Marks(marks)) = analyze(&name).kept else {
            panic!("{name}: marks not kept")
        };
        assert_eq!(left(), (0, u64::MAX - marks.heap_bytes()), "{name}");
        assert!(marks.heap_bytes() * 4 < f.facts.bytes, "{name}");
        // Every third paragraph and the last document removed, as by a cluster.
        let paras: Vec<Option<u32>> = (0..f.facts.paras.len())
            .map(|i| (i % 3 == 1).then_some(7))
            .collect();
        let mut docs = vec![None; f.facts.docs.len()];
        if let Some(d) = docs.last_mut() {
            *d = Some(9);
        }
        let roots = ["kept", "marked", "again"].map(|r| out.path().join(r));
        let sinks = roots.clone().map(crate::sink::CleanDir);
        let f_ref = f.facts.file_ref();
        let outputs = [
            engine.write_prepared(&sinks[0], f_ref, &kept, &paras, &docs),
            engine.write_again(&input, &sinks[1], f_ref, Some(&marks), &paras, &docs),
            engine.write_file(&input, &sinks[2], f_ref, &paras, &docs),
        ]
        .map(std::result::Result::unwrap);
        let b = &outputs[2];
        assert!(
            !b.placeholders.is_empty() || !b.removed.is_empty(),
            "{name}"
        );
        for (a, root) in outputs.iter().zip(&roots).take(2) {
            assert_eq!(a.removed, b.removed, "{name}");
            assert_eq!(a.placeholders, b.placeholders, "{name}");
            assert_eq!(
                serde_json::to_string(&a.counts).unwrap(),
                serde_json::to_string(&b.counts).unwrap()
            );
            assert_eq!(
                std::fs::read(root.join(&name)).ok(),
                std::fs::read(roots[2].join(&name)).ok(),
                "{name}"
            );
        }
        // Marks that do not fit the text are not used: the file is prepared anew.
        let mut wrong = (*marks).clone();
        wrong.counts = wrong.counts[1..].into();
        let text = std::fs::read_to_string(seeds.join(&name)).unwrap();
        assert!(prepare_marked(&text, &wrong, false).is_none(), "{name}");
        wrong.furniture = wrong.furniture[1..].into();
        assert!(prepare_marked(&text, &wrong, false).is_none(), "{name}");
        written += 1;
    }
    assert_eq!(written, 5);
}

#[test]
fn band_columns_are_the_same_in_memory_and_on_disk() {
    // Three files; 2 bands; file 1 has no searched paragraph. Paragraph ids (global)
    // 0..7: file 0 has 0,1,2 (2 not searched), file 1 has 3, file 2 has 4,5,6.
    let bands = 2;
    let keys_of: Vec<Option<(u32, u32)>> = vec![
        Some((0, 0)),
        Some((0, 2)),
        None,
        None,
        Some((2, 0)),
        Some((2, 2)),
        Some((2, 4)),
    ];
    let keys_len = [4, 0, 6];
    let file_keys = || {
        vec![
            vec![10u64, 11, 20, 21],
            vec![],
            vec![40, 41, u64::MAX, 51, 60, 1 << 40],
        ]
    };
    let reps = [0u32, 1, 5, 6];
    let want = [vec![10u64, 20, u64::MAX, 60], vec![11, 21, 51, 1 << 40]];
    for (budget, chunk) in [(u64::MAX, 3), (0, 3), (0, 1), (0, 100), (40, 2)] {
        let dir = tempfile::tempdir().unwrap();
        let spill = Spill::new(dir.path(), u64::MAX, budget).unwrap();
        let mut keys = Vec::new();
        for v in file_keys() {
            let mut f = AnalyzedFile {
                facts: facts(Vec::new(), &[]),
                band_keys: FileKeys::Memory(v),
                kept: None,
            };
            spill.spill(&mut f).unwrap();
            keys.push(f.band_keys);
        }
        let cols = band_columns(&reps, &keys_of, &keys_len, keys, (bands, chunk), &spill).unwrap();
        assert_eq!(
            matches!(cols, BandColumns::Spilled { .. }),
            budget != u64::MAX,
            "{budget}"
        );
        let mut bytes = Vec::new();
        for (b, w) in want.iter().enumerate() {
            assert_eq!(
                &*cols.band(b, &spill, &mut bytes).unwrap(),
                w,
                "{budget} {chunk}"
            );
        }
    }
}

#[test]
fn spilled_tokens_read_back_as_they_were() {
    // Budget 0: both files spill (the second after the first's 20 bytes). 20 bytes:
    // the first file (5 tokens) stays in memory and the second spills to the start
    // of the file.
    for (budget, a_spilled, b_at) in [(0, true, 20), (20, false, 0)] {
        let dir = tempfile::tempdir().unwrap();
        let spill = Spill::new(dir.path(), budget, u64::MAX).unwrap();
        let a = facts(vec![1, 2, 3, 4, 5], &[[0, 2], [2, 0], [2, 3]]);
        let b = facts(vec![u32::MAX, 7, 0x0102_0304], &[[0, 3]]);
        let before: Vec<Vec<u32>> = [&a, &a, &a, &b]
            .iter()
            .zip([0, 1, 2, 0])
            .map(|(f, i)| f.para_tokens(&f.paras[i]).unwrap().to_vec())
            .collect();
        let analyzed = |facts| AnalyzedFile {
            facts,
            band_keys: FileKeys::Memory(Vec::new()),
            kept: None,
        };
        let (mut fa, mut fb) = (analyzed(a), analyzed(b));
        spill.spill(&mut fa).unwrap();
        spill.spill(&mut fb).unwrap();
        let (a, b) = (fa.facts, fb.facts);
        assert!(matches!(b.tokens, FileTokens::Spilled(at) if at == b_at));
        assert_eq!(a.para_tokens(&a.paras[0]).is_none(), a_spilled);
        let (mut out, mut bytes) = (Vec::new(), Vec::new());
        for ((f, i), want) in [(&a, 0), (&a, 1), (&a, 2), (&b, 0)].iter().zip(&before) {
            spill.read(f, &f.paras[*i], &mut out, &mut bytes).unwrap();
            assert_eq!(&out, want);
        }
    }
}

#[test]
fn file_errors_print_the_reasons_summary_json_has_always_listed() {
    let e = |kind| FileError {
        file: "a/b.txt".into(),
        kind,
    };
    let listed = |kind| e(kind).listed().reason;
    assert_eq!(listed(FileErrorKind::Binary), "binary");
    assert_eq!(
        listed(FileErrorKind::Changed),
        "file changed during the run"
    );
    assert_eq!(
        listed(FileErrorKind::Spill("No space left on device".into())),
        "cannot write the temporary spill file: No space left on device"
    );
    assert_eq!(
        listed(FileErrorKind::Internal(
            "paragraph count differs between phases"
        )),
        "internal: paragraph count differs between phases"
    );
    assert_eq!(
        listed(FileErrorKind::Read(
            "Permission denied (os error 13)".into()
        )),
        "Permission denied (os error 13)"
    );
    assert_eq!(
        e(FileErrorKind::Changed).to_string(),
        "a/b.txt: file changed during the run"
    );
    assert!(
        matches!(Analyzed::from(e(FileErrorKind::Binary)), Analyzed::Skipped(s) if s.reason == "binary")
    );
    assert!(matches!(
        Analyzed::from(e(FileErrorKind::Changed)),
        Analyzed::Failed(_)
    ));
}
