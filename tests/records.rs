//! JSON Lines in and out: the same texts as records and as `.txt` files give the same
//! clusters, removals and masks, and the same cleaned text; every field of a record
//! survives in order; bad records and broken compressed files are reported, not fatal.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::Path;

use serde_json::Value;

use super::util::*;

/// The texts of a corpus folder (decoded as the pipeline decodes them), by relative
/// path, binary files left out.
fn texts_of(corpus: &Path) -> Vec<(String, String)> {
    files_under(corpus)
        .into_iter()
        .filter(|(rel, _)| rel.ends_with(".txt"))
        .filter_map(|(rel, path)| {
            let d = zhclean::decode::decode(&fs::read(path).unwrap(), None).ok()?;
            Some((rel, d.text))
        })
        .collect()
}

/// Write `records` (JSON objects, one a line) to `path`, compressed as its name says.
fn write_records(path: &Path, records: &[String]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let body: String = records.iter().map(|r| format!("{r}\n")).collect();
    let f = fs::File::create(path).unwrap();
    let name = path.to_string_lossy();
    if name.ends_with(".gz") {
        let mut w = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
        w.write_all(body.as_bytes()).unwrap();
        w.finish().unwrap();
    } else if name.ends_with(".zst") {
        let mut w = zstd::stream::write::Encoder::new(f, 1).unwrap();
        w.write_all(body.as_bytes()).unwrap();
        w.finish().unwrap();
    } else {
        let mut f = f;
        f.write_all(body.as_bytes()).unwrap();
    }
}

/// The lines of a JSON Lines file, decompressed as its name says.
fn read_lines(path: &Path) -> Vec<String> {
    let f = fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name = path.to_string_lossy();
    let mut body = String::new();
    if name.ends_with(".gz") {
        flate2::read::MultiGzDecoder::new(f)
            .read_to_string(&mut body)
            .unwrap();
    } else if name.ends_with(".zst") {
        zstd::stream::read::Decoder::new(f)
            .unwrap()
            .read_to_string(&mut body)
            .unwrap();
    } else {
        let mut f = f;
        f.read_to_string(&mut body).unwrap();
    }
    body.lines().map(str::to_string).collect()
}

/// A record of `rel`'s text with fields around it of several types.
fn record(i: usize, rel: &str, text: &str) -> String {
    format!(
        r#"{{"id":{},"meta":{{"source":"site-{}","tags":["a",1]}},"text":{},"score":{}.50,"ok":true}}"#,
        serde_json::to_string(rel).unwrap(),
        i % 3,
        serde_json::to_string(text).unwrap(),
        i
    )
}

/// The seeds' texts, and each as a record (see [`record`]).
fn seed_records() -> (Vec<(String, String)>, Vec<String>) {
    let texts = texts_of(&fixtures().join("seeds"));
    let recs = texts
        .iter()
        .enumerate()
        .map(|(i, (r, t))| record(i, r, t))
        .collect();
    (texts, recs)
}

/// A report's lines with a record's `file`+`record` turned back into the text file's
/// path (the record id is that path), so the two runs compare line by line.
fn as_files(lines: Vec<Value>) -> Vec<Value> {
    fn fix(m: &mut Value) {
        if let Some(r) = m.as_object_mut().unwrap().remove("record") {
            m["file"] = r;
        }
    }
    lines
        .into_iter()
        .map(|mut v| {
            if let Some(ms) = v.get_mut("members") {
                ms.as_array_mut().unwrap().iter_mut().for_each(fix);
            } else {
                fix(&mut v);
            }
            v
        })
        .collect()
}

/// The record run's reports are the text run's, a record named for its file.
fn same_reports(files: &Run, records: &Run) {
    for name in ["clusters.jsonl", "removed.jsonl", "placeholders.jsonl"] {
        let got = as_files(records.jsonl(name));
        let want = files.jsonl(name);
        assert_eq!(got.len(), want.len(), "{name}");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g, w, "{name}");
        }
    }
    let clusters = records.jsonl("clusters.jsonl");
    assert!(!clusters.is_empty());
    assert!(clusters
        .iter()
        .all(|c| c["members"][0]["record"].is_string()));
}

/// Run the corpus as text files and as records split over two record files (`names`),
/// and check the two runs agree.
fn records_match_files(corpus: &Path, names: [&str; 2]) {
    let texts = texts_of(corpus);
    assert!(texts.len() >= 5, "{} texts", texts.len());
    let files = clean(corpus, &[]);
    assert_eq!(files.code(), 0, "{}", files.stderr());

    let (_d, input) = input_dir();
    let half = texts.len() / 2;
    let recs: Vec<String> = texts
        .iter()
        .enumerate()
        .map(|(i, (r, t))| record(i, r, t))
        .collect();
    write_records(&input.join(names[0]), &recs[..half]);
    write_records(&input.join(names[1]), &recs[half..]);
    let run = clean(&input, &["--id-field", "id"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());

    same_reports(&files, &run);

    // The cleaned records: in order, every field as it was but the text, which is the
    // text file's cleaned text; records that kept nothing are gone.
    let mut seen = 0;
    for (k, name) in names.iter().enumerate() {
        let part = if k == 0 { &recs[..half] } else { &recs[half..] };
        let lines = read_lines(&run.out().join("clean").join(name));
        let mut it = lines.iter();
        for (j, orig) in part.iter().enumerate() {
            let (rel, _) = &texts[if k == 0 { j } else { half + j }];
            let Some(want_text) = files.clean(rel) else {
                continue;
            };
            let line = it
                .next()
                .unwrap_or_else(|| panic!("{name}: no record for {rel}"));
            let got: Value = serde_json::from_str(line).unwrap();
            let orig: Value = serde_json::from_str(orig).unwrap();
            let fields: zhclean::records::Fields = serde_json::from_str(line).unwrap();
            let keys: Vec<&str> = fields.0.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(keys, ["id", "meta", "text", "score", "ok"], "{rel}");
            assert_eq!(got["id"], orig["id"]);
            assert_eq!(got["meta"], orig["meta"]);
            assert_eq!(got["ok"], true);
            assert!(
                line.contains(&format!(
                    r#""score":{}.50"#,
                    if k == 0 { j } else { half + j }
                )),
                "{line}"
            );
            let text = got["text"].as_str().unwrap();
            assert_eq!(
                text.trim_end_matches('\n'),
                want_text.trim_end_matches('\n'),
                "{rel}"
            );
            seen += 1;
        }
        assert!(it.next().is_none(), "{name}: more records than kept texts");
    }
    assert!(seen >= 3, "{seen} records kept");
    let s = run.summary();
    assert_eq!(s["counts"]["files"], texts.len());
    assert_eq!(
        s["counts"]["clusters"],
        files.summary()["counts"]["clusters"]
    );
}

#[test]
fn seeds_as_records_give_what_the_seed_files_give() {
    records_match_files(
        &fixtures().join("seeds"),
        ["a.jsonl.zst", "more/b.jsonl.gz"],
    );
}

#[test]
fn a_synth_corpus_as_records_gives_what_its_files_give() {
    let dir = tempfile::tempdir().unwrap();
    let (_, synth) = synth(
        dir.path(),
        &seeds_text(),
        &["--seed", "7", "--docs", "40", "--varied", "--no-truth"],
    );
    records_match_files(
        &synth.join("corpus"),
        ["part-00000.jsonl", "part-00001.jsonl.zst"],
    );
}

#[test]
fn bad_records_and_a_truncated_file_are_reported_and_the_rest_is_cleaned() {
    let (_d, input) = input_dir();
    let good = "各位代表：今年以来，全市上下坚持稳中求进工作总基调，经济运行持续回升向好。";
    write_records(
        &input.join("a.jsonl"),
        &[
            format!(r#"{{"text":"{good}"}}"#),
            r#"{"body":"no text field"}"#.into(),
            r#"{"text": 5}"#.into(),
            r#"{"text": "broken"#.into(),
            String::new(),
            r#"{"text":"第二条记录，内容与第一条不同，应当保留下来。"}"#.into(),
        ],
    );
    // A .zst cut in the middle: the records before the cut are cleaned, the cut reported.
    let many: Vec<String> = (0..3000)
        .map(|i| {
            format!(r#"{{"text":"第{i}份材料：本单位认真落实各项工作部署，取得第{i}项成效。"}}"#)
        })
        .collect();
    write_records(&input.join("b.jsonl.zst"), &many);
    let full = fs::read(input.join("b.jsonl.zst")).unwrap();
    fs::write(input.join("b.jsonl.zst"), &full[..full.len() * 2 / 3]).unwrap();

    let run = clean(&input, &[]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let err = run.stderr();
    for want in [
        "a.jsonl:2: the record has no \"text\" field",
        "a.jsonl:3: the \"text\" field is not a string",
        "a.jsonl:4: not a JSON object",
        "b.jsonl.zst:",
        "truncated or corrupt compressed data",
    ] {
        assert!(err.contains(want), "{want}: {err}");
    }
    assert!(
        !err.contains("a.jsonl:5"),
        "a blank line is no record: {err}"
    );
    let s = run.summary();
    assert_eq!(
        s["options"]["records"],
        serde_json::json!({"format": "jsonl", "text_field": "text", "id_field": null, "output": "clean"})
    );
    let failed = s["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 4, "{failed:?}");
    assert_eq!(failed[0]["file"], "a.jsonl");
    assert_eq!(failed[0]["line"], 2);
    let a = read_lines(&run.out().join("clean/a.jsonl"));
    assert_eq!(a.len(), 2, "{a:?}");
    // The records before the cut were read (they are near-copies of each other, but
    // for their numbers: most go as duplicates).
    let read = s["counts"]["files_processed"].as_u64().unwrap();
    assert!(read > 100 && read < 20_002, "{read} records");
    let b = read_lines(&run.out().join("clean/b.jsonl.zst"));
    assert!(!b.is_empty());
    for l in a.iter().chain(&b) {
        serde_json::from_str::<Value>(l).unwrap();
    }
}

#[test]
fn keep_empty_keeps_every_record_and_annotate_says_what_a_clean_would_do() {
    let (_d, input) = input_dir();
    let (texts, recs) = seed_records();
    write_records(&input.join("seeds.jsonl.gz"), &recs);

    let plain = clean(&input, &["--id-field", "id"]);
    let kept: Vec<Value> = read_lines(&plain.out().join("clean/seeds.jsonl.gz"))
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        kept.len(),
        texts.len() - 1,
        "000 is a copy of a speech of 001"
    );

    let empty = clean(&input, &["--id-field", "id", "--keep-empty"]);
    let all: Vec<Value> = read_lines(&empty.out().join("clean/seeds.jsonl.gz"))
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(all.len(), texts.len());
    assert_eq!(all[0]["text"], "");
    assert_eq!(all[0]["id"], texts[0].0);

    let ann = clean(&input, &["--id-field", "id", "--annotate"]);
    assert_eq!(ann.code(), 0, "{}", ann.stderr());
    assert_eq!(ann.summary()["options"]["records"]["output"], "annotate");
    assert_eq!(ann.summary()["options"]["records"]["id_field"], "id");
    assert!(plain.summary()["options"].get("records").is_some());
    let lines = read_lines(&ann.out().join("clean/seeds.jsonl.gz"));
    assert_eq!(lines.len(), texts.len());
    let removed = ann.jsonl("removed.jsonl");
    let masks = ann.jsonl("placeholders.jsonl");
    let clusters = ann.jsonl("clusters.jsonl");
    for (line, (rel, text)) in lines.iter().zip(&texts) {
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["text"], *text.as_str(), "the text is as it was");
        let z = &v["zhclean"];
        assert_eq!(
            z["kept"],
            kept.iter().any(|k| k["id"] == *rel.as_str()),
            "{rel}"
        );
        let of = |r: &&Value| r["record"] == *rel.as_str();
        assert_eq!(
            z["removed"].as_array().unwrap().len(),
            removed.iter().filter(of).count()
        );
        assert_eq!(
            z["masks"].as_array().unwrap().len(),
            masks.iter().filter(of).count()
        );
        let in_clusters = clusters
            .iter()
            .filter(|c| {
                c["members"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|m| m["record"] == *rel.as_str())
            })
            .count();
        assert_eq!(
            z["clusters"].as_array().unwrap().len(),
            in_clusters,
            "{rel}"
        );
        if let Some(r) = z["removed"].as_array().unwrap().first() {
            assert!(
                r.get("file").is_none() && r["lines"].is_array() && r["reason"].is_string(),
                "{r}"
            );
        }
    }
    // The review page reads a record run: a page per record it found something in,
    // named `file ▸ id`, with the record's text and its furniture struck through.
    let review = zhclean().arg("review").arg(plain.out()).output().unwrap();
    assert_eq!(
        review.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&review.stderr)
    );
    let index = fs::read_to_string(plain.out().join("review/index.html")).unwrap();
    let name = format!("seeds.jsonl.gz ▸ {}", texts[1].0);
    assert!(index.contains(&name), "{name}");
    let pages: Vec<String> = fs::read_dir(plain.out().join("review/files"))
        .unwrap()
        .map(|e| fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    let page = pages
        .iter()
        .find(|p| p.contains(&format!("<h1>{name}</h1>")))
        .expect("its page");
    assert!(
        page.contains("furniture: date-line"),
        "001's date lines are furniture"
    );
    assert!(page.contains("同志们"), "the record's text is on its page");
    let z0: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(z0["zhclean"]["kept"], false);
    assert!(z0["zhclean"]["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["level"] == "document" && c["kept"] == false));
}

#[test]
fn record_runs_do_not_depend_on_the_thread_count() {
    let (_d, input) = input_dir();
    let (_, recs) = seed_records();
    write_records(&input.join("x.jsonl.zst"), &recs[..2]);
    write_records(&input.join("y.jsonl"), &recs[2..]);
    let one = clean(&input, &["-j", "1"]);
    let four = clean(&input, &["-j", "4"]);
    assert_eq!(one.code(), 0, "{}", one.stderr());
    let a: BTreeMap<String, Vec<u8>> = one.snapshot();
    assert_eq!(a, four.snapshot());
    assert!(
        a.contains_key("clean/x.jsonl.zst") && a.contains_key("clean/y.jsonl"),
        "{:?}",
        a.keys()
    );
}

#[test]
fn a_record_file_as_input_needs_an_output_outside_nothing_else() {
    let (_d, input) = input_dir();
    let (_, recs) = seed_records();
    let file = input.join("dump.jsonl");
    write_records(&file, &recs);
    let before = tree_digest(&input);
    // The output beside the file, in the same folder, is fine.
    let o = zhclean()
        .arg("clean")
        .arg(&file)
        .arg("--out")
        .arg(input.join("out"))
        .arg("-q")
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(input.join("out/clean/dump.jsonl").exists());
    let bad = zhclean()
        .arg("clean")
        .arg(&file)
        .arg("--out")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let enc = zhclean()
        .arg("clean")
        .arg(&file)
        .args(["--encoding", "gbk"])
        .arg("--out")
        .arg(input.join("o2"))
        .output()
        .unwrap();
    assert_eq!(enc.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&enc.stderr).contains("--encoding"));
    fs::remove_dir_all(input.join("out")).unwrap();
    assert_eq!(tree_digest(&input), before, "the input is untouched");
}

mod parquet_files {
    use std::sync::Arc;

    use arrow_array::cast::AsArray;
    use arrow_array::{Array, ArrayRef, Int64Array, LargeStringArray, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::arrow::ArrowWriter;
    use parquet::basic::Compression;
    use parquet::file::properties::WriterProperties;

    use super::*;

    /// A shard of `rows` (path, text) with an id, a score and the text column as
    /// `text_type`; texts given as None are null.
    fn write_shard(
        path: &Path,
        rows: &[(String, Option<String>)],
        text_type: DataType,
        c: Compression,
    ) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let schema = Arc::new(
            Schema::new(vec![
                Field::new("id", DataType::Utf8, false),
                Field::new("text", text_type.clone(), true),
                Field::new("score", DataType::Int64, false),
            ])
            .with_metadata(std::collections::HashMap::from([(
                "huggingface".to_string(),
                r#"{"info":{}}"#.to_string(),
            )])),
        );
        let ids: ArrayRef = Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| r.0.as_str()),
        ));
        let texts: Vec<Option<&str>> = rows.iter().map(|r| r.1.as_deref()).collect();
        let text: ArrayRef = match text_type {
            DataType::LargeUtf8 => Arc::new(LargeStringArray::from(texts)),
            _ => Arc::new(StringArray::from(texts)),
        };
        let score: ArrayRef = Arc::new(Int64Array::from_iter_values(0..rows.len() as i64));
        let batch = RecordBatch::try_new(schema.clone(), vec![ids, text, score]).unwrap();
        let props = WriterProperties::builder()
            .set_compression(c)
            .set_max_row_group_row_count(Some(2))
            .build();
        let mut w =
            ArrowWriter::try_new(fs::File::create(path).unwrap(), schema, Some(props)).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }

    /// A row as the tests read it: id, text, score.
    type Row = (String, Option<String>, i64);

    /// A shard's schema, compression and rows.
    fn read_shard(path: &Path) -> (Arc<Schema>, Compression, Vec<Row>) {
        let b = ParquetRecordBatchReaderBuilder::try_new(fs::File::open(path).unwrap()).unwrap();
        let schema = b.schema().clone();
        let c = b.metadata().row_group(0).column(0).compression();
        let mut rows = Vec::new();
        for batch in b.build().unwrap() {
            let batch = batch.unwrap();
            let text = batch.column(1);
            for i in 0..batch.num_rows() {
                let t = match text.data_type() {
                    DataType::LargeUtf8 => text.as_string::<i64>().value(i).to_string(),
                    _ => text.as_string::<i32>().value(i).to_string(),
                };
                rows.push((
                    batch.column(0).as_string::<i32>().value(i).to_string(),
                    (!text.is_null(i)).then_some(t),
                    batch
                        .column(2)
                        .as_primitive::<arrow_array::types::Int64Type>()
                        .value(i),
                ));
            }
        }
        (schema, c, rows)
    }

    #[test]
    fn parquet_shards_give_what_the_files_give_and_keep_their_schema() {
        let dir = tempfile::tempdir().unwrap();
        let (_, synth) = synth(
            dir.path(),
            &seeds_text(),
            &["--seed", "5", "--docs", "30", "--varied", "--no-truth"],
        );
        let corpus = synth.join("corpus");
        let texts = texts_of(&corpus);
        let files = clean(&corpus, &[]);
        assert_eq!(files.code(), 0, "{}", files.stderr());

        let (_d, input) = input_dir();
        let rows: Vec<(String, Option<String>)> = texts
            .iter()
            .map(|(r, t)| (r.clone(), Some(t.clone())))
            .collect();
        let half = rows.len() / 2;
        let shards = [
            "data/train-00000-of-00002.parquet",
            "data/train-00001-of-00002.parquet",
        ];
        write_shard(
            &input.join(shards[0]),
            &rows[..half],
            DataType::Utf8,
            Compression::SNAPPY,
        );
        let zstd = Compression::ZSTD(Default::default());
        write_shard(
            &input.join(shards[1]),
            &rows[half..],
            DataType::LargeUtf8,
            zstd,
        );
        let run = clean(&input, &["--id-field", "id"]);
        assert_eq!(run.code(), 0, "{}", run.stderr());
        same_reports(&files, &run);

        let mut seen = 0;
        for (k, shard) in shards.iter().enumerate() {
            let (in_schema, in_c, _) = read_shard(&input.join(shard));
            let (schema, c, got) = read_shard(&run.out().join("clean").join(shard));
            assert_eq!(schema, in_schema, "same columns, types and metadata");
            assert_eq!(c, in_c, "same compression");
            let part = if k == 0 { &rows[..half] } else { &rows[half..] };
            let want: Vec<Row> = part
                .iter()
                .enumerate()
                .filter_map(|(i, (rel, _))| {
                    files.clean(rel).map(|t| (rel.clone(), Some(t), i as i64))
                })
                .collect();
            let trim = |v: &[Row]| -> Vec<(String, String, i64)> {
                v.iter()
                    .map(|(a, t, s)| (a.clone(), t.clone().unwrap().trim_end().to_string(), *s))
                    .collect()
            };
            assert_eq!(trim(&got), trim(&want), "{shard}");
            seen += got.len();
        }
        assert!(seen >= 5, "{seen} rows kept");
    }

    #[test]
    fn null_texts_and_a_broken_shard_are_reported_and_annotate_adds_a_column() {
        let (_d, input) = input_dir();
        let (texts, _) = seed_records();
        let mut rows: Vec<(String, Option<String>)> = texts
            .iter()
            .map(|(r, t)| (r.clone(), Some(t.clone())))
            .collect();
        rows.insert(1, ("null-row".into(), None));
        write_shard(
            &input.join("a.parquet"),
            &rows,
            DataType::Utf8,
            Compression::SNAPPY,
        );
        fs::write(input.join("b.parquet"), b"PAR1 this is not parquet").unwrap();

        let run = clean(&input, &["--id-field", "id", "--text-field", "text"]);
        assert_eq!(run.code(), 1, "{}", run.stderr());
        let err = run.stderr();
        assert!(
            err.contains("a.parquet row 1: the \"text\" field is null"),
            "{err}"
        );
        assert!(
            err.contains("b.parquet: not a readable Parquet file"),
            "{err}"
        );
        let (_, _, kept) = read_shard(&run.out().join("clean/a.parquet"));
        assert_eq!(
            kept.len(),
            texts.len() - 1,
            "the null row and the copy 000 go"
        );
        assert!(kept.iter().all(|r| r.0 != "null-row"));

        let wrong = clean(&input, &["--text-field", "score"]);
        assert!(
            wrong
                .stderr()
                .contains("the \"score\" column is Int64, not a string column"),
            "{}",
            wrong.stderr()
        );

        let ann = clean(&input, &["--id-field", "id", "--annotate"]);
        let b = ParquetRecordBatchReaderBuilder::try_new(
            fs::File::open(ann.out().join("clean/a.parquet")).unwrap(),
        )
        .unwrap();
        let names: Vec<String> = b
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names, ["id", "text", "score", "zhclean"]);
        let mut notes = Vec::new();
        for batch in b.build().unwrap() {
            let batch = batch.unwrap();
            let z = batch.column(3).as_string::<i32>();
            for i in 0..batch.num_rows() {
                notes.push((
                    batch.column(0).as_string::<i32>().value(i).to_string(),
                    z.value(i).to_string(),
                ));
            }
        }
        assert_eq!(notes.len(), texts.len(), "every good row, the null one not");
        let first: Value = serde_json::from_str(&notes[0].1).unwrap();
        assert_eq!(notes[0].0, texts[0].0);
        assert_eq!(first["kept"], false);
        assert!(first["removed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["reason"] == "duplicate"));
    }
}

#[test]
fn a_synth_corpus_written_as_records_scores_as_its_files_do() {
    // The same seed as files, as JSON Lines shards and as Parquet shards: the eval of
    // each run (record ids are the file names truth.json uses) is the same.
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("source.txt");
    fs::write(&src, seeds_text()).unwrap();
    let (mut scores, mut runs) = (Vec::new(), Vec::new());
    for format in ["text", "jsonl", "parquet"] {
        let syn = dir.path().join(format);
        let args = [
            "--seed", "9", "--docs", "30", "--varied", "--format", format,
        ];
        synth_file(&src, &syn, &args);
        let corpus = syn.join("corpus");
        // A folder per site, of pages or of shards.
        let site0: Vec<String> = fs::read_dir(corpus.join("site0"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        match format {
            "jsonl" => assert_eq!(site0, ["part-00000.jsonl.zst"]),
            "parquet" => assert_eq!(site0, ["part-00000.parquet"]),
            _ => assert!(site0.iter().all(|s| s.ends_with(".txt")), "{site0:?}"),
        }
        let run = clean(&corpus, &["--id-field", "id"]);
        assert_eq!(run.code(), 0, "{format}: {}", run.stderr());
        let s = eval_json(&syn.join("truth.json"), &run);
        assert!(
            s["paragraph_pairs"]["expected"].as_u64().unwrap() > 20,
            "{s}"
        );
        runs.push(as_files(run.jsonl("clusters.jsonl")));
        scores.push((
            s["paragraph_pairs"].clone(),
            s["placeholders"].clone(),
            s["furniture"].clone(),
            s["units"].clone(),
        ));
    }
    assert_eq!(scores[0], scores[1], "jsonl");
    assert_eq!(scores[0], scores[2], "parquet");
    // The records come in the files' order: the same clusters, numbered alike.
    assert_eq!(runs[0], runs[1]);
    assert_eq!(runs[0], runs[2]);
}

#[test]
fn segment_and_normalize_read_records_too() {
    let (_d, input) = input_dir();
    let (texts, recs) = seed_records();
    let file = input.join("seeds.jsonl.gz");
    let mut with_bad = recs[..2].to_vec();
    with_bad.push(r#"{"body": "no text"}"#.into());
    write_records(&file, &with_bad);
    let seg = zhclean()
        .args(["segment", "--level", "paragraphs"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(seg.status.code(), Some(1), "a bad record makes it 1");
    let err = String::from_utf8_lossy(&seg.stderr);
    assert!(
        err.contains("seeds.jsonl.gz:3: the record has no \"text\" field"),
        "{err}"
    );
    let out = String::from_utf8(seg.stdout).unwrap();
    let one = zhclean()
        .args(["segment", "--level", "paragraphs"])
        .arg(fixtures().join("seeds").join(&texts[1].0))
        .output()
        .unwrap();
    let one = String::from_utf8(one.stdout).unwrap();
    // Each record's paragraphs under its header, as the file's own would be.
    let second = out.split("# record 1\n").nth(1).unwrap();
    assert_eq!(second, one);
    assert!(out.starts_with("# record 0\n"));

    // --text-field names the field; normalize --report names the record of each span.
    let other = input.join("other.jsonl");
    fs::write(
        &other,
        "{\"body\":\"报请X书记同意，20_年取得x%的增长。\"}\n",
    )
    .unwrap();
    let norm = zhclean()
        .args(["normalize", "--text-field", "body", "--report"])
        .arg(&other)
        .output()
        .unwrap();
    assert_eq!(norm.status.code(), Some(0));
    let spans: Vec<Value> = String::from_utf8(norm.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(spans.len(), 3);
    assert!(spans.iter().all(|s| s["record"] == "0" && s["line"] == 1));
    let text = zhclean()
        .args(["normalize", "--text-field", "body"])
        .arg(&other)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(text.stdout).unwrap(),
        "# record 0\n报请××书记同意，20××年取得×%的增长。\n"
    );
}

#[test]
fn text_files_written_as_record_shards_hold_what_the_text_run_writes() {
    let dir = tempfile::tempdir().unwrap();
    let (_, synth) = synth(
        dir.path(),
        &seeds_text(),
        &["--seed", "9", "--docs", "30", "--no-truth"],
    );
    let corpus = synth.join("corpus");
    let files = clean(&corpus, &[]);
    assert_eq!(files.code(), 0, "{}", files.stderr());
    // What the text run wrote, as records: path order, ids the paths, the text without
    // the file's last newline.
    let want: Vec<(String, String)> = files_under(&files.out().join("clean"))
        .into_iter()
        .map(|(rel, path)| {
            let t = fs::read_to_string(path).unwrap();
            (rel, t.strip_suffix('\n').unwrap_or(&t).to_string())
        })
        .collect();
    assert!(want.len() > 20);

    let shards = clean(&corpus, &["--output-format", "jsonl"]);
    assert_eq!(shards.code(), 0, "{}", shards.stderr());
    let names: Vec<String> = files_under(&shards.out().join("clean"))
        .into_iter()
        .map(|(rel, _)| rel)
        .collect();
    assert_eq!(names, ["part-00000.jsonl.zst"]);
    let got: Vec<(String, String)> = read_lines(&shards.out().join("clean/part-00000.jsonl.zst"))
        .iter()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["id"].as_str().unwrap().to_string(),
                v["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got, want);
    // The reports are the text run's; summary.json says how clean/ was written.
    for name in ["clusters.jsonl", "removed.jsonl", "placeholders.jsonl"] {
        assert_eq!(shards.report(name), files.report(name), "{name}");
    }
    assert_eq!(shards.summary()["options"]["output_format"], "jsonl");
    assert!(files.summary()["options"].get("output_format").is_none());

    // Parquet shards hold the same records; the records can be cleaned again as input.
    let pq = clean(&corpus, &["--output-format", "parquet"]);
    assert_eq!(pq.code(), 0, "{}", pq.stderr());
    let again = clean(&pq.out().join("clean"), &["--id-field", "id"]);
    assert_eq!(again.code(), 0, "{}", again.stderr());
    assert_eq!(again.summary()["counts"]["files_processed"], want.len());

    // Records are written back in their own format only.
    let refused = clean(&shards.out().join("clean"), &["--output-format", "parquet"]);
    assert_eq!(refused.code(), 2);
    assert!(
        refused.stderr().contains("--output-format"),
        "{}",
        refused.stderr()
    );
    assert!(!refused.out().exists());
}
