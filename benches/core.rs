//! Criterion benches of the hot core and the text stages. Every bench checks the
//! result it times against a value computed once outside the timed loop (or against
//! the scalar reference), so a fast wrong answer cannot pass for progress.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use zhclean::cluster::UnionFind;
use zhclean::config::{Config, Fold, ShingleKind};
use zhclean::fingerprint::{self, Scratch};
use zhclean::lsh;
use zhclean::minhash::{splitmix64, MinHasher, Path};
use zhclean::pipeline;
use zhclean::placeholders;
use zhclean::segment::Segmenter;
use zhclean::synth::{self, SynthOptions};

fn seeds_text() -> String {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/seeds");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

fn random_shingles(n: usize, seed: u64) -> Vec<u32> {
    let mut st = seed;
    let mut v: Vec<u32> = (0..n).map(|_| splitmix64(&mut st) as u32).collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn bench_signature(c: &mut Criterion) {
    let shingles = random_shingles(20_000, 3);
    let mut g = c.benchmark_group("signature");
    g.throughput(Throughput::Elements(shingles.len() as u64));
    for k in [64usize, 128, 256] {
        let mh = MinHasher::new(k, 1);
        let mut want = vec![0u32; k];
        mh.signature_reference(&shingles, &mut want);
        let mut out = vec![0u32; k];
        g.bench_with_input(BenchmarkId::new("reference", k), &k, |b, _| {
            b.iter(|| {
                mh.signature_reference(black_box(&shingles), &mut out);
                assert_eq!(out, want);
            })
        });
        for path in Path::ALL {
            if mh.signature_with(path, &shingles, &mut out).is_none() {
                continue; // this CPU lacks the path
            }
            g.bench_with_input(BenchmarkId::new(path.name(), k), &k, |b, _| {
                b.iter(|| {
                    mh.signature_with(path, black_box(&shingles), &mut out);
                    assert_eq!(out, want);
                })
            });
        }
        g.bench_with_input(BenchmarkId::new("dispatch", k), &k, |b, _| {
            b.iter(|| {
                mh.signature_into(black_box(&shingles), &mut out);
                assert_eq!(out, want);
            })
        });
    }
    g.finish();

    // Paragraph-sized sets (100 shingles, as a 150-character paragraph has), where the
    // per-call overhead and the short inner loop count.
    let paras: Vec<Vec<u32>> = (0..1000).map(|i| random_shingles(100, 1000 + i)).collect();
    let total: u64 = paras.iter().map(|p| p.len() as u64).sum();
    let mh = MinHasher::new(128, 1);
    let mut want = vec![0u32; 128 * paras.len()];
    for (p, w) in paras.iter().zip(want.chunks_exact_mut(128)) {
        mh.signature_reference(p, w);
    }
    let mut out = vec![0u32; 128 * paras.len()];
    let mut g = c.benchmark_group("signature_paragraphs");
    g.throughput(Throughput::Elements(total));
    g.bench_function("reference/128", |b| {
        b.iter(|| {
            for (p, o) in paras.iter().zip(out.chunks_exact_mut(128)) {
                mh.signature_reference(black_box(p), o);
            }
            assert_eq!(out, want);
        })
    });
    g.bench_function("dispatch/128", |b| {
        b.iter(|| {
            for (p, o) in paras.iter().zip(out.chunks_exact_mut(128)) {
                mh.signature_into(black_box(p), o);
            }
            assert_eq!(out, want);
        })
    });
    g.finish();
}

fn bench_text(c: &mut Criterion) {
    let text = seeds_text();
    let paras: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let seg = Segmenter::new();
    let mut g = c.benchmark_group("text");
    g.throughput(Throughput::Bytes(text.len() as u64));

    let want_spans: usize = paras.iter().map(|p| placeholders::detect(p).len()).sum();
    g.bench_function("placeholders_detect_apply", |b| {
        b.iter(|| {
            let mut n = 0;
            for p in &paras {
                let s = placeholders::detect(black_box(p));
                n += s.len();
                black_box(placeholders::apply(p, &s, zhclean::MaskStyle::Conventional));
            }
            assert_eq!(n, want_spans);
        })
    });

    // Key-text folding (NFKC width and script) on the seeds as they are, and on the same
    // text in traditional characters: both must give the simplified key text.
    let trad: Vec<String> = paras
        .iter()
        .map(|p| zhclean::script::convert(p, zhclean::script::Script::Traditional))
        .collect();
    let mut want = Vec::new();
    let mut buf = String::new();
    for p in &paras {
        zhclean::fingerprint::normalize_into(p, &mut buf);
        want.push(buf.clone());
    }
    let folds_back = trad
        .iter()
        .zip(&want)
        .filter(|(t, w)| {
            let mut out = String::new();
            zhclean::fingerprint::normalize_into(t, &mut out);
            &out == *w
        })
        .count();
    eprintln!(
        "text/normalize: {folds_back} of {} seed paragraphs in traditional characters fold \
         back to their simplified key text exactly",
        want.len()
    );
    for (name, input) in [
        (
            "normalize_simplified",
            &paras.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        ),
        ("normalize_traditional", &trad),
    ] {
        g.bench_function(name, |b| {
            let mut out = String::new();
            b.iter(|| {
                let same = input
                    .iter()
                    .zip(&want)
                    .filter(|(p, w)| {
                        zhclean::fingerprint::normalize_into(black_box(p), &mut out);
                        out == **w
                    })
                    .count();
                assert_eq!(
                    same,
                    if name == "normalize_simplified" {
                        want.len()
                    } else {
                        folds_back
                    }
                );
            })
        });
    }

    // Raw jieba-rs `cut` (no HMM) against our segment stage as the pipeline calls it
    // (`Segmenter::tagged`: the same cut plus a tag per word), on the same text.
    let jieba = jieba_rs::Jieba::new();
    let want_cut: usize = paras.iter().map(|p| jieba.cut(p, false).len()).sum();
    g.bench_function("jieba_rs_cut_raw", |b| {
        b.iter(|| {
            let n: usize = paras
                .iter()
                .map(|p| jieba.cut(black_box(p), false).len())
                .sum();
            assert_eq!(n, want_cut);
        })
    });
    g.bench_function("segment_stage_tagged", |b| {
        b.iter(|| {
            let n: usize = paras
                .iter()
                .map(|p| seg.tagged(black_box(p), false).len())
                .sum();
            assert_eq!(n, want_cut);
        })
    });

    let want_words: usize = paras.iter().map(|p| seg.words(p, false).len()).sum();
    g.bench_function("jieba_words_no_hmm", |b| {
        b.iter(|| {
            let n: usize = paras
                .iter()
                .map(|p| seg.words(black_box(p), false).len())
                .sum();
            assert_eq!(n, want_words);
        })
    });

    // The default path: jieba tags, names/numbers/masks folded (--fold entities).
    let words: Vec<Vec<(&str, &str)>> = paras.iter().map(|p| seg.tagged(p, false)).collect();
    let mut sc = Scratch::default();
    let mut out = Vec::new();
    let want_sh: usize = words
        .iter()
        .map(|w| {
            fingerprint::fingerprint(ShingleKind::Word(3), w, Fold::Entities, &mut sc, &mut out);
            out.len()
        })
        .sum();
    g.bench_function("shingles_word3", |b| {
        b.iter(|| {
            let mut n = 0;
            for w in &words {
                fingerprint::fingerprint(
                    ShingleKind::Word(3),
                    black_box(w),
                    Fold::Entities,
                    &mut sc,
                    &mut out,
                );
                n += out.len();
            }
            assert_eq!(n, want_sh);
        })
    });
    g.finish();
}

fn bench_grouping(c: &mut Criterion) {
    let n = 100_000u32;
    let mut st = 11u64;
    let edges: Vec<(u32, u32)> = (0..n)
        .map(|_| {
            (
                (splitmix64(&mut st) % n as u64) as u32,
                (splitmix64(&mut st) % n as u64) as u32,
            )
        })
        .collect();
    let mut uf = UnionFind::new(n as usize);
    for &(a, b) in &edges {
        uf.union(a, b);
    }
    let want_roots = (0..n).filter(|&i| uf.find(i) == i).count();
    let mut g = c.benchmark_group("grouping");
    g.throughput(Throughput::Elements(edges.len() as u64));
    g.bench_function("union_find_100k", |b| {
        b.iter(|| {
            let mut uf = UnionFind::new(n as usize);
            for &(a, b) in black_box(&edges) {
                uf.union(a, b);
            }
            assert_eq!((0..n).filter(|&i| uf.find(i) == i).count(), want_roots);
        })
    });
    let (bands, rows) = lsh::optimal_params(0.7, 128, 0.5, 0.5);
    let sigs: Vec<u32> = (0..10_000 * 128)
        .map(|_| splitmix64(&mut st) as u32)
        .collect();
    let want_first = lsh::band_key(&sigs[..rows], 0);
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("band_keys_10k", |b| {
        b.iter(|| {
            let mut first = 0;
            for (i, sig) in sigs.chunks_exact(128).enumerate() {
                for band in 0..bands {
                    let k = lsh::band_key(black_box(&sig[band * rows..(band + 1) * rows]), band);
                    if i == 0 && band == 0 {
                        first = k;
                    }
                }
            }
            assert_eq!(first, want_first);
        })
    });
    g.finish();
}

/// The saved index's lookup: a segment of 20,000 documents with 33 probe keys for each
/// of their 5 searched paragraphs (3.3 M keys, 806 blocks), probed with the keys of
/// 1,000 paragraphs of which 500 are indexed: the documents found must be those 500's.
fn bench_index(c: &mut Criterion) {
    use zhclean::fingerprint::KeyFacts;
    use zhclean::index::segment::{IndexedDoc, IndexedPara, Segment, SegmentWriter};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.seg");
    let mut w = SegmentWriter::create(&path).unwrap();
    let mut st = 5u64;
    let key = |doc: u64, p: u64, k: u64| {
        xxhash_rust::xxh3::xxh3_64(&[doc, p, k].map(u64::to_le_bytes).concat())
    };
    let (docs, paras, keys) = (20_000u64, 5u64, 33u64);
    for d in 0..docs {
        let doc = IndexedDoc {
            name: format!("site/{d:06}.txt"),
            lines: [1, paras as u32],
            script: zhclean::script::Script::Simplified,
            removed: false,
            paras: (0..paras)
                .map(|p| IndexedPara {
                    lines: [p as u32 + 1; 2],
                    cols: None,
                    glued: false,
                    masks: 0,
                    key: KeyFacts {
                        key_chars: 80,
                        key_hash: key(d, p, 99),
                    },
                    script: zhclean::script::Script::Simplified,
                    removed: false,
                    tokens: (0..60).map(|_| splitmix64(&mut st) as u32).collect(),
                })
                .collect(),
        };
        let probes: Vec<u64> = (0..paras)
            .flat_map(|p| (0..keys).map(move |k| (p, k)))
            .map(|(p, k)| key(d, p, k))
            .collect();
        w.add(&doc, &probes, 20).unwrap();
    }
    let stats = w.finish().unwrap();
    let seg = Segment::open(&path, stats.bytes, stats.checksum).unwrap();
    // 500 indexed paragraphs (one in every 40 documents) and 500 new ones.
    let mut probes: Vec<u64> = (0..500u64)
        .flat_map(|i| (0..keys).map(move |k| key(i * 40, 2, k)))
        .chain((0..500u64).flat_map(|i| (0..keys).map(move |k| key(docs + i, 0, k))))
        .collect();
    probes.sort_unstable();
    let want: Vec<u32> = (0..500u32).map(|i| i * 40).collect();
    let mut g = c.benchmark_group("index");
    g.throughput(Throughput::Elements(probes.len() as u64));
    g.bench_function("lookup_33k_probes_in_3m_keys", |b| {
        b.iter(|| assert_eq!(seg.lookup(black_box(&probes)).unwrap(), want))
    });
    g.throughput(Throughput::Elements(want.len() as u64));
    g.bench_function("load_500_documents", |b| {
        b.iter(|| {
            for &d in &want {
                assert_eq!(seg.doc(black_box(d)).unwrap().paras.len(), paras as usize);
            }
        })
    });
    g.finish();
}

/// The whole `clean` run, one thread, on a fixed 2 MB synth corpus built from the seeds
/// (recombined when they run out). Each run must write the same clusters as the first.
fn bench_pipeline(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let seg = Segmenter::new();
    let opts = SynthOptions {
        seed: 3,
        size: Some(2_000_000),
        truth: false,
        ..Default::default()
    };
    let stats = synth::synth(&seeds_text(), &seg, &opts, &dir.path().join("synth")).unwrap();
    let mut cfg = Config::new(dir.path().join("synth/corpus"), dir.path().join("out"));
    cfg.jobs = 1;
    cfg.force = true;
    cfg.progress = false;
    let first = pipeline::run(&cfg).unwrap();
    let clusters = |c: &Config| std::fs::read(c.out.join("report/clusters.jsonl")).unwrap();
    let want = clusters(&cfg);
    assert!(first.summary.counts.clusters.paragraph > 0);
    let mut g = c.benchmark_group("pipeline");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(stats.bytes));
    g.bench_function("clean_2mb_1_thread", |b| {
        b.iter(|| {
            let o = pipeline::run(black_box(&cfg)).unwrap();
            assert_eq!(o.failed, 0);
            assert_eq!(clusters(&cfg), want);
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    bench_signature,
    bench_text,
    bench_grouping,
    bench_index,
    bench_pipeline
);
criterion_main!(benches);
