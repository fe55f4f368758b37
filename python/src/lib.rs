//! `zhclean._core`: the per-shard work of zhclean on Arrow record batches.
//!
//! Every function here calls the library's own stages (`zhclean::pipeline`); nothing is
//! re-implemented. The batch schemas are the versioned contract in
//! `docs/arrow-schemas.md`: each batch this module returns carries the schema name and
//! the run's parameters in its metadata, and every batch that comes back with a
//! `params_id` column is refused unless it was made with this engine's parameters.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, UInt32Type, UInt64Type};
use arrow_array::{
    Array, ArrayRef, BinaryArray, BooleanArray, FixedSizeListArray, Float64Array, ListArray,
    RecordBatch, StringArray, UInt32Array, UInt64Array,
};
use arrow_buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_pyarrow::PyArrowType;
use arrow_schema::{DataType, Field, Schema};
use clap::Parser;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use serde_json::json;
use xxhash_rust::xxh3::xxh3_64;
use zhclean::cli::{Cli, Command};
use zhclean::cluster::{Cluster, Member};
use zhclean::keep::Copy;
use zhclean::pipeline::{self, Analyzed, FileRef, GroupCounts, PairVerifier, ParaView};
use zhclean::report::{self, Place, RunInfo};
use zhclean::script::Script;
use zhclean::sink::{CleanDir, CleanOut};
use zhclean::source::{Dir, Source};
use zhclean::walk::Skipped;

/// Version of the batch schemas in `docs/arrow-schemas.md`.
const SCHEMA_VERSION: u32 = 1;
/// The hashing scheme: xxh3 word/char shingle hashes folded to 32 bits, MinHash with
/// `a·x + b mod 2^32` permutations from the seed, band keys as in `zhclean::lsh`, over
/// key text whose ideographs are folded to simplified (`zhclean::script`, table 1).
const SCHEME: &str = "xxh3-32/minhash-affine-u32/lsh-band-key-1/t2s-1";

type Batch = PyArrowType<RecordBatch>;

mod arrow;
mod records;
mod run;
use arrow::*;
use records::{Caught, RecordsIn};
use run::{Staging, Totals};

// ---- the engine ----

/// A zhclean engine for the flags of `zhclean clean` (the same parser).
#[pyclass(frozen, module = "zhclean._core")]
struct Engine {
    core: pipeline::Engine,
    /// The input folder as a source (`input_root`, else INPUT).
    input: Dir,
    /// Records read by Spark's readers: their format and fields (None: text files).
    records: Option<RecordsIn>,
    params: String,
    params_id: u64,
}

impl Engine {
    fn batch(&self, schema: &str, cols: Vec<(&str, ArrayRef)>) -> PyResult<Batch> {
        let fields: Vec<Field> = cols
            .iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
            .collect();
        let meta = HashMap::from([
            (
                "zhclean.schema".to_string(),
                format!("{schema}/{SCHEMA_VERSION}"),
            ),
            ("zhclean.params".to_string(), self.params.clone()),
        ]);
        let schema = Arc::new(Schema::new_with_metadata(fields, meta));
        RecordBatch::try_new(schema, cols.into_iter().map(|(_, a)| a).collect())
            .map(PyArrowType)
            .map_err(value_err)
    }

    /// Refuse a batch made under other parameters (by its metadata or its `params_id`).
    fn check(&self, b: &RecordBatch) -> PyResult<()> {
        if let Some(p) = b.schema().metadata().get("zhclean.params") {
            if *p != self.params {
                return Err(value_err(format!(
                    "batch was made with other parameters ({p}); this run uses {}; refusing to mix runs",
                    self.params
                )));
            }
        }
        if b.column_by_name("params_id").is_some() {
            if let Some(bad) = u64s(b, "params_id")?.iter().find(|&&x| x != self.params_id) {
                return Err(value_err(format!(
                    "batch row has params_id {bad:#x}, this run {:#x}; refusing to mix runs",
                    self.params_id
                )));
            }
        }
        Ok(())
    }

    fn params_col(&self, n: usize) -> ArrayRef {
        u64_col(vec![self.params_id; n])
    }
}

#[pymethods]
impl Engine {
    /// `args`: the flags of `zhclean clean` after the subcommand (INPUT --out OUT ...).
    /// `input_root` replaces INPUT as the folder files are read from (workers get the
    /// driver's absolute path, whatever their own working folder). `records`
    /// (`"jsonl"` or `"parquet"`): the input is records of that format, which Spark
    /// reads and hands over (`records_in`, then `analyze` and `write` with a `source`
    /// column).
    #[new]
    #[pyo3(signature = (args, input_root=None, records=None))]
    fn new(
        args: Vec<String>,
        input_root: Option<PathBuf>,
        records: Option<String>,
    ) -> PyResult<Self> {
        let argv = ["zhclean".to_string(), "clean".to_string()]
            .into_iter()
            .chain(args);
        let cli = Cli::try_parse_from(argv).map_err(|e| value_err(e.render()))?;
        let Command::Clean(a) = cli.command else {
            return Err(value_err("not a clean command"));
        };
        let mut cfg = a.into_config();
        if cfg.index.is_some() {
            return Err(value_err(
                "--index: the Spark job has no saved index; clean new batches against one with the local zhclean clean --index",
            ));
        }
        if let Some(root) = input_root {
            cfg.input = root;
        }
        let core = pipeline::Engine::new(&cfg).map_err(value_err)?;
        let input = Dir::from_config(&cfg).map_err(value_err)?;
        let records = match records.as_deref() {
            None => None,
            Some("jsonl") => Some(RecordsIn::of(&cfg, zhclean::records::Format::Jsonl)),
            Some("parquet") => Some(RecordsIn::of(&cfg, zhclean::records::Format::Parquet)),
            Some(other) => return Err(value_err(format!("no record format named {other}"))),
        };
        let (bands, rows) = core.bands_rows();
        let rules = cfg.boilerplate_rules.as_ref().map(|p| {
            std::fs::read(p)
                .map(|b| format!("{:016x}", xxh3_64(&b)))
                .unwrap_or_default()
        });
        // The options summary.json echoes, as the batches carry them: keys in name
        // order, `max_partners` and `script` only when asked for, so the params of a
        // default run stay what they were (they are hashed into `params_id`).
        let o = zhclean::report::Options::of(&cfg, (bands, rows));
        let mut params = json!({
            "schema_version": SCHEMA_VERSION,
            "scheme": SCHEME,
            "zhclean": env!("CARGO_PKG_VERSION"),
            "shingle": o.shingle,
            "num_perm": o.num_perm,
            "seed": o.seed,
            "bands": o.bands,
            "rows": o.rows,
            "threshold": o.threshold,
            "doc_threshold": o.doc_threshold,
            "min_chars": o.min_chars,
            "fold": o.fold,
            "keep": o.keep,
            "mask_style": o.mask_style,
            "keep_boilerplate": o.keep_boilerplate,
            "boilerplate_rules": rules,
            "encoding": o.encoding,
        });
        if o.max_partners != zhclean::lsh::MAX_PARTNERS {
            params["max_partners"] = o.max_partners.into();
        }
        if cfg.script.is_some() {
            params["script"] = o.script.into();
        }
        let params = params.to_string();
        let params_id = xxh3_64(params.as_bytes());
        Ok(Engine {
            core,
            input,
            records,
            params,
            params_id,
        })
    }

    /// The parameters every batch of this run carries (JSON).
    #[getter]
    fn params(&self) -> String {
        self.params.clone()
    }

    #[getter]
    fn params_id(&self) -> u64 {
        self.params_id
    }

    #[getter]
    fn input(&self) -> String {
        self.core.config().input.to_string_lossy().into_owned()
    }

    #[getter]
    fn out(&self) -> String {
        self.core.config().out.to_string_lossy().into_owned()
    }

    /// `--input-format`: `auto`, `text`, `jsonl` or `parquet`.
    #[getter]
    fn input_format(&self) -> &'static str {
        match self.core.config().input_format {
            zhclean::InputFormat::Auto => "auto",
            zhclean::InputFormat::Text => "text",
            zhclean::InputFormat::Jsonl => "jsonl",
            zhclean::InputFormat::Parquet => "parquet",
        }
    }

    /// What `--input-format auto` means for a folder holding the files `names` (not
    /// hidden), as `zhclean clean` decides it for a local folder.
    fn folder_format(&self, names: Vec<String>) -> &'static str {
        let holds = |pred: &dyn Fn(&str) -> bool| names.iter().any(|n| pred(n));
        match zhclean::InputFormat::of_folder(holds, &self.core.config().exts) {
            zhclean::InputFormat::Jsonl => "jsonl",
            zhclean::InputFormat::Parquet => "parquet",
            _ => "text",
        }
    }

    /// The record format a file name's ending says (`jsonl`, `parquet`), if any.
    #[staticmethod]
    fn record_format_of(name: &str) -> Option<&'static str> {
        zhclean::records::Format::of(name).map(|f| f.name())
    }

    /// Whether `--exclude` passes over `rel` (a path relative to INPUT).
    fn excluded(&self, rel: &str) -> PyResult<bool> {
        let set = zhclean::walk::exclude_set(&self.core.config().excludes).map_err(value_err)?;
        Ok(set.is_match(rel))
    }

    /// `--text-field` and `--id-field`.
    #[getter]
    fn text_field(&self) -> String {
        self.core.config().records.text_field.clone()
    }

    #[getter]
    fn id_field(&self) -> Option<String> {
        self.core.config().records.id_field.clone()
    }

    /// How records are written back: `clean`, `keep-empty` or `annotate`.
    #[getter]
    fn records_out(&self) -> &'static str {
        self.core.config().records_out.name()
    }

    /// `--output-format`: `auto`, or what clean/ is asked to be (`text`, `jsonl`,
    /// `parquet`).
    #[getter]
    fn output_format(&self) -> &'static str {
        match self.core.config().output_format {
            None | Some(zhclean::InputFormat::Auto) => "auto",
            Some(zhclean::InputFormat::Text) => "text",
            Some(zhclean::InputFormat::Jsonl) => "jsonl",
            Some(zhclean::InputFormat::Parquet) => "parquet",
        }
    }

    /// `--force`.
    #[getter]
    fn force(&self) -> bool {
        self.core.config().force
    }

    #[getter]
    fn num_perm(&self) -> usize {
        self.core.config().num_perm
    }

    /// `--max-partners`: the candidate cap the Spark job applies as the local run does.
    #[getter]
    fn max_partners(&self) -> usize {
        self.core.config().max_partners
    }

    /// Verified copies after which a paragraph tries no more of its ranked partners
    /// (`zhclean::lsh::ENOUGH_COPIES`).
    #[getter]
    fn enough_copies(&self) -> usize {
        zhclean::lsh::ENOUGH_COPIES
    }

    /// Shared bands from which candidate partners rank alike under the cap
    /// (`zhclean::lsh::strong_bands`), as the local run computes them.
    #[getter]
    fn strong_bands(&self) -> u16 {
        let (bands, rows) = self.core.bands_rows();
        zhclean::lsh::strong_bands(bands, rows, self.core.config().threshold)
    }

    /// The input batch of the engine method `method` (its columns, their types): the
    /// one definition the driver casts Spark's columns to.
    fn inputs(&self, method: &str) -> PyResult<PyArrowType<Schema>> {
        input_schema(method).map(PyArrowType)
    }

    /// Documents tried for each document under `--doc-threshold` by the gap coverage
    /// (`zhclean::gaps::GAP_PARTNERS`), as the local run does.
    #[getter]
    fn gap_partners(&self) -> usize {
        zhclean::gaps::GAP_PARTNERS
    }

    /// Walk the input folder: (relative paths in processing order, walk state JSON for
    /// [`Totals`]).
    fn walk(&self, py: Python<'_>) -> PyResult<(Vec<String>, String)> {
        let w = py.detach(|| self.input.list());
        let state = json!({
            "skipped": w.skipped,
            "failed": w.failed,
            "other_files": w.other_files,
        })
        .to_string();
        Ok((w.sources.into_iter().map(|s| s.rel_path).collect(), state))
    }

    /// Analyze files (`file_idx: uint32, rel_path: utf8`): returns the `files`, `docs`
    /// and `paragraphs` batches. For records, `rel_path` is a record's unit name (from
    /// `records_in`) and a `source` column holds the record.
    fn analyze(&self, py: Python<'_>, batch: Batch) -> PyResult<(Batch, Batch, Batch)> {
        let b = batch.0;
        let idx = u32s(&b, "file_idx")?.to_vec();
        let paths = strs(&b, "rel_path")?;
        let rel: Vec<String> = (0..b.num_rows())
            .map(|i| paths.value(i).to_string())
            .collect();
        let cfg = self.core.config();
        let min_chars = cfg.min_chars;
        let (bands, _) = self.core.bands_rows();
        let records = self.batch_records(&b)?;
        let input: &dyn Source = match &records {
            Some(m) => m,
            None => &self.input,
        };
        let results: Vec<Analyzed> = py.detach(|| {
            let mut sc = pipeline::Scratch::default();
            rel.iter()
                .map(|r| self.core.analyze(input, &input.unit(r), &mut sc))
                .collect()
        });
        // files
        let n = results.len();
        let (mut status, mut reason, mut hash, mut enc, mut nd, mut np, mut summ) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        // docs
        let (mut d_file, mut d_doc, mut d_first, mut d_last) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut d_trad = Vec::new();
        // paragraphs
        let mut p_file = Vec::new();
        let mut p_para = Vec::new();
        let mut p_doc = Vec::new();
        let mut p_first = Vec::new();
        let mut p_last = Vec::new();
        let mut p_masks = Vec::new();
        let mut p_chars = Vec::new();
        let mut p_hash = Vec::new();
        let mut p_searched = Vec::new();
        let mut p_trad = Vec::new();
        let (mut p_col0, mut p_col1) = (Vec::new(), Vec::new());
        let mut p_tokens: Vec<Option<&[u32]>> = Vec::new();
        let mut p_keys: Vec<Option<&[u64]>> = Vec::new();
        // A part of a paragraph searched in parts: the whole's first and last
        // paragraphs in the file, and its key tokens (`pipeline::whole_of`).
        let (mut p_whole0, mut p_whole1) = (Vec::new(), Vec::new());
        let mut p_whole: Vec<Option<Vec<u32>>> = Vec::new();
        for (fi, r) in idx.iter().zip(&results) {
            match r {
                Analyzed::Done(a) => {
                    let f = &a.facts;
                    status.push("ok");
                    reason.push(None);
                    hash.push(f.hash);
                    enc.push(Some(f.encoding));
                    nd.push(f.docs.len() as u32);
                    np.push(f.paras.len() as u32);
                    summ.push(Some(
                        serde_json::to_string(&f.summary(min_chars)).map_err(value_err)?,
                    ));
                    for (di, d) in f.docs.iter().enumerate() {
                        d_file.push(*fi);
                        d_doc.push(di as u32);
                        d_first.push(d.lines[0]);
                        d_last.push(d.lines[1]);
                        d_trad.push(d.script == Script::Traditional);
                    }
                    let mut k = 0;
                    let glued = |j: usize| f.paras[j].glued;
                    let in_file = |j: usize| j < f.paras.len();
                    let is_searched = |j: usize| f.paras[j].key.searched(min_chars);
                    for (pi, p) in f.paras.iter().enumerate() {
                        let searched = p.key.searched(min_chars);
                        let whole = pipeline::whole_of(pi, glued, in_file, is_searched);
                        p_whole0.push(whole.map(|w| w[0] as u32));
                        p_whole1.push(whole.map(|w| w[1] as u32));
                        p_whole.push(whole.map(|[w0, w1]| {
                            (w0..=w1)
                                .flat_map(|j| {
                                    f.para_tokens(&f.paras[j]).unwrap_or(&[]).iter().copied()
                                })
                                .collect()
                        }));
                        p_file.push(*fi);
                        p_para.push(pi as u32);
                        p_doc.push(p.doc);
                        p_first.push(p.lines[0]);
                        p_last.push(p.lines[1]);
                        p_masks.push(p.masks);
                        p_chars.push(p.key.key_chars);
                        p_hash.push(p.key.key_hash);
                        p_searched.push(searched);
                        p_trad.push(p.script == Script::Traditional);
                        p_col0.push(p.cols.map(|c| c[0]));
                        p_col1.push(p.cols.map(|c| c[1]));
                        if searched {
                            p_tokens.push(f.para_tokens(p));
                            p_keys.push(a.band_keys_in_memory().map(|v| &v[k..k + bands]));
                            k += bands;
                        } else {
                            p_tokens.push(None);
                            p_keys.push(None);
                        }
                    }
                }
                Analyzed::Skipped(s) | Analyzed::Failed(s) => {
                    status.push(if matches!(r, Analyzed::Skipped(_)) {
                        "skipped"
                    } else {
                        "failed"
                    });
                    reason.push(Some(s.reason.clone()));
                    hash.push(0);
                    enc.push(None);
                    nd.push(0);
                    np.push(0);
                    summ.push(None);
                }
            }
        }
        let files = self.batch(
            "files",
            vec![
                ("file_idx", u32_col(idx.clone())),
                ("rel_path", Arc::new(StringArray::from(rel.clone()))),
                ("status", Arc::new(StringArray::from(status))),
                ("reason", Arc::new(StringArray::from(reason))),
                ("hash", u64_col(hash)),
                ("encoding", Arc::new(StringArray::from(enc))),
                ("n_docs", u32_col(nd)),
                ("n_paras", u32_col(np)),
                ("summary", Arc::new(StringArray::from(summ))),
                ("params_id", self.params_col(n)),
            ],
        )?;
        let docs = self.batch(
            "docs",
            vec![
                ("file_idx", u32_col(d_file)),
                ("doc", u32_col(d_doc)),
                ("first_line", u32_col(d_first)),
                ("last_line", u32_col(d_last)),
                ("traditional", Arc::new(BooleanArray::from(d_trad))),
            ],
        )?;
        let np = p_file.len();
        let paras = self.batch(
            "paragraphs",
            vec![
                ("file_idx", u32_col(p_file)),
                ("para", u32_col(p_para)),
                ("doc", u32_col(p_doc)),
                ("first_line", u32_col(p_first)),
                ("last_line", u32_col(p_last)),
                ("masks", u32_col(p_masks)),
                ("key_chars", u32_col(p_chars)),
                ("key_hash", u64_col(p_hash)),
                ("searched", Arc::new(BooleanArray::from(p_searched))),
                ("traditional", Arc::new(BooleanArray::from(p_trad))),
                ("first_col", Arc::new(UInt32Array::from(p_col0))),
                ("last_col", Arc::new(UInt32Array::from(p_col1))),
                (
                    "tokens",
                    list_col::<UInt32Type>(&p_tokens, DataType::UInt32),
                ),
                ("whole_first", Arc::new(UInt32Array::from(p_whole0))),
                ("whole_last", Arc::new(UInt32Array::from(p_whole1))),
                (
                    "whole_tokens",
                    list_col::<UInt32Type>(
                        &p_whole.iter().map(|w| w.as_deref()).collect::<Vec<_>>(),
                        DataType::UInt32,
                    ),
                ),
                (
                    "band_keys",
                    list_col::<UInt64Type>(&p_keys, DataType::UInt64),
                ),
                ("params_id", self.params_col(np)),
            ],
        )?;
        Ok((files, docs, paras))
    }

    /// Check records as `zhclean clean` lists them (`rel_path: utf8` the file's,
    /// `position: uint64` the 0-based line or row, `source: utf8` the JSON line or the
    /// text, `id: utf8` the id column's value as a string when `--id-field` names one):
    /// per row, `status` (`ok`, `blank` or `bad`), the record's unit `name`, and for a
    /// bad one its `failure` as `summary.json` lists it (JSON).
    fn records_in(&self, py: Python<'_>, batch: Batch) -> PyResult<Batch> {
        let b = batch.0;
        let r = self.records_or_err()?;
        let file = strs(&b, "rel_path")?;
        let pos = u64s(&b, "position")?;
        let source = opt_strs(&b, "source")?;
        let id = opt_strs(&b, "id")?;
        fn at(a: &StringArray, i: usize) -> Option<&str> {
            a.is_valid(i).then(|| a.value(i))
        }
        let rows = py.detach(|| {
            (0..b.num_rows())
                .map(|i| r.check(file.value(i), pos[i], at(source, i), at(id, i)))
                .collect::<Vec<_>>()
        });
        let (mut status, mut name, mut failure) = (Vec::new(), Vec::new(), Vec::new());
        for row in rows {
            match row {
                None => {
                    status.push("blank");
                    name.push(None);
                    failure.push(None);
                }
                Some(Ok(n)) => {
                    status.push("ok");
                    name.push(Some(n));
                    failure.push(None);
                }
                Some(Err(f)) => {
                    status.push("bad");
                    name.push(None);
                    failure.push(Some(serde_json::to_string(&f).map_err(value_err)?));
                }
            }
        }
        self.batch(
            "records_in",
            vec![
                ("status", Arc::new(StringArray::from(status))),
                ("name", Arc::new(StringArray::from(name))),
                ("failure", Arc::new(StringArray::from(failure))),
            ],
        )
    }

    /// Write back records that were not cleaned (`source: utf8`: their analysis passed
    /// them over, an empty text say), as `zhclean clean` does: dropped, kept with an
    /// empty text under `--keep-empty`, or annotated as keeping nothing. Returns `out`
    /// and `note` as `write` does.
    fn write_back(&self, py: Python<'_>, batch: Batch) -> PyResult<Batch> {
        let b = batch.0;
        let r = self.records_or_err()?;
        let src = strs(&b, "source")?;
        let outs = py.detach(|| {
            (0..b.num_rows())
                .map(|i| r.write_back(src.value(i), None, || records::note(false, None, b"", b"")))
                .collect::<PyResult<Vec<_>>>()
        })?;
        let (out, note): (Vec<_>, Vec<_>) = outs.into_iter().unzip();
        self.batch(
            "written_back",
            vec![
                ("out", Arc::new(StringArray::from(out))),
                ("note", Arc::new(StringArray::from(note))),
            ],
        )
    }

    /// MinHash signatures (`FixedSizeList<uint32, num_perm>`) of paragraphs' key
    /// tokens (`tokens: list<uint32>`, as `analyze` returns them).
    fn signatures(&self, py: Python<'_>, batch: Batch) -> PyResult<Batch> {
        let b = batch.0;
        self.check(&b)?;
        let toks = lists::<UInt32Type>(&b, "tokens")?;
        let k = self.core.config().num_perm;
        let n = self.core.config().shingle.size();
        let values = py.detach(|| {
            let mut out = Vec::with_capacity(b.num_rows() * k);
            let (mut sh, mut sig) = (Vec::new(), Vec::new());
            for i in 0..b.num_rows() {
                zhclean::fingerprint::shingles(toks.row(i), n, &mut sh);
                self.core.signature(&sh, &mut sig);
                out.extend_from_slice(&sig);
            }
            out
        });
        let sig = FixedSizeListArray::try_new(
            Arc::new(Field::new_list_field(DataType::UInt32, false)),
            k as i32,
            Arc::new(UInt32Array::from(values)),
            None,
        )
        .map_err(value_err)?;
        self.batch("signatures", vec![("signature", Arc::new(sig))])
    }

    /// Candidate pairs of LSH buckets (`ids: list<uint32>`, one bucket per row): all
    /// pairs of a bucket, or in a crowded one each member with the first ones, as the
    /// local run does. Returns `a < b` pairs (duplicates across buckets remain).
    fn bucket_pairs(&self, py: Python<'_>, batch: Batch) -> PyResult<Batch> {
        let b = batch.0;
        let ids = lists::<UInt32Type>(&b, "ids")?;
        let pairs = py.detach(|| {
            let mut out = Vec::new();
            let mut e = Vec::new();
            for i in 0..b.num_rows() {
                e.clear();
                e.extend(ids.row(i).iter().map(|&id| (0u64, id)));
                e.sort_unstable();
                zhclean::lsh::pairs_from_sorted(&e, &mut out);
            }
            out
        });
        let (a, bb): (Vec<u32>, Vec<u32>) = pairs.into_iter().unzip();
        self.batch("pairs", vec![("a", u32_col(a)), ("b", u32_col(bb))])
    }

    /// Verify candidate pairs (`a, b: uint32; a_tokens, b_tokens: list<uint32>`, and
    /// for a part of a paragraph searched in parts its whole, `a_whole_first,
    /// a_whole_last: uint32; a_whole: list<uint32>` and the same for `b`, `NO_WHOLE`
    /// and empty for the others): returns the `edges` that are copies.
    fn verify(&self, py: Python<'_>, batch: Batch) -> PyResult<Batch> {
        let b = batch.0;
        self.check(&b)?;
        let (a, bb) = (u32s(&b, "a")?, u32s(&b, "b")?);
        let (ta, tb) = (
            lists::<UInt32Type>(&b, "a_tokens")?,
            lists::<UInt32Type>(&b, "b_tokens")?,
        );
        // The wholes of parts (`NO_WHOLE` when the paragraph is not a part).
        let (wa, wb) = (
            (u32s(&b, "a_whole_first")?, u32s(&b, "a_whole_last")?),
            (u32s(&b, "b_whole_first")?, u32s(&b, "b_whole_last")?),
        );
        let (twa, twb) = (
            lists::<UInt32Type>(&b, "a_whole")?,
            lists::<UInt32Type>(&b, "b_whole")?,
        );
        let cfg = self.core.config();
        let (ka, kb): (Vec<u32>, Vec<u32>) = py.detach(|| {
            let mut pv = PairVerifier::default();
            (0..b.num_rows())
                .filter(|&i| {
                    let load = |id: u32, out: &mut Vec<u32>| {
                        out.clear();
                        out.extend_from_slice(if id == a[i] { ta.row(i) } else { tb.row(i) });
                        Ok::<(), std::convert::Infallible>(())
                    };
                    let whole = |id: u32, out: &mut Vec<u32>| {
                        let ((first, last), tokens) =
                            if id == a[i] { (wa, twa) } else { (wb, twb) };
                        if first[i] == NO_WHOLE {
                            return Ok(None);
                        }
                        out.clear();
                        out.extend_from_slice(tokens.row(i));
                        Ok(Some([first[i], last[i]]))
                    };
                    matches!(pv.check(cfg, (a[i], bb[i]), whole, load), Ok(true))
                })
                .map(|i| (a[i], bb[i]))
                .unzip()
        });
        self.batch("edges", vec![("a", u32_col(ka)), ("b", u32_col(kb))])
    }

    /// The coverage that the gaps between matched units add (`zhclean::gaps`). One row
    /// per searched unit, the rows of one document D together: `d, e, id, group,
    /// key_chars: uint32; tokens, near: list<uint32>; params_id`. `e` is `u32::MAX` on
    /// D's own units, and E on the units of a document E tried against D; `near` (on
    /// D's units) lists the groups verified against the unit's group. Returns `gains`
    /// rows `d, e: uint32; chars: uint64`, for the pairs that gain characters.
    fn gap_cover(&self, py: Python<'_>, batch: Batch) -> PyResult<Batch> {
        let b = batch.0;
        self.check(&b)?;
        let (d, e, id) = (u32s(&b, "d")?, u32s(&b, "e")?, u32s(&b, "id")?);
        let (group, chars) = (u32s(&b, "group")?, u32s(&b, "key_chars")?);
        let (tokens, near) = (
            lists::<UInt32Type>(&b, "tokens")?,
            lists::<UInt32Type>(&b, "near")?,
        );
        let cfg = self.core.config();
        let gains = py.detach(|| -> PyResult<Vec<(u32, u32, u64)>> {
            let mut out = Vec::new();
            for (dd, rows) in runs(d)? {
                let mut own: Vec<usize> = rows.clone().filter(|&r| e[r] == u32::MAX).collect();
                own.sort_by_key(|&r| id[r]);
                let mut others: Vec<usize> = rows.filter(|&r| e[r] != u32::MAX).collect();
                others.sort_by_key(|&r| (e[r], id[r]));
                let near_of: HashMap<u32, &[u32]> =
                    own.iter().map(|&r| (group[r], near.row(r))).collect();
                let dg: Vec<u32> = own.iter().map(|&r| group[r]).collect();
                let dc: Vec<u64> = own.iter().map(|&r| chars[r] as u64).collect();
                for er in others.chunk_by(|&x, &y| e[x] == e[y]) {
                    let eg: Vec<u32> = er.iter().map(|&r| group[r]).collect();
                    let near = |g: u32| near_of.get(&g).copied().unwrap_or(&[]);
                    let load = |side: bool, k: usize, out: &mut Vec<u32>| {
                        out.extend_from_slice(tokens.row(if side { er[k] } else { own[k] }));
                        Ok::<(), std::convert::Infallible>(())
                    };
                    let Ok(gained) =
                        zhclean::gaps::gap_cover(&dg, &dc, &eg, near, cfg.threshold, load);
                    if gained > 0 {
                        out.push((dd, e[er[0]], gained));
                    }
                }
            }
            Ok(out)
        })?;
        let (gd, ge): (Vec<u32>, Vec<u32>) = gains.iter().map(|g| (g.0, g.1)).unzip();
        let gc: Vec<u64> = gains.iter().map(|g| g.2).collect();
        self.batch(
            "gains",
            vec![
                ("d", u32_col(gd)),
                ("e", u32_col(ge)),
                ("chars", u64_col(gc)),
            ],
        )
    }

    /// Split paragraph components into clusters. One row per searched member, the
    /// rows of a component together: `component, id, group, masks, key_chars: uint32;
    /// in_removed_doc: bool; tokens, neighbours: list<uint32>; whole_first, whole_last:
    /// uint32; whole: list<uint32>` (a part's whole, see `verify`). Returns `clusters`
    /// rows.
    fn paragraph_clusters(&self, py: Python<'_>, batch: Batch) -> PyResult<Batch> {
        let b = batch.0;
        self.check(&b)?;
        let comp = u32s(&b, "component")?;
        let cols = ParaColumns {
            id: u32s(&b, "id")?,
            group: u32s(&b, "group")?,
            masks: u32s(&b, "masks")?,
            key_chars: u32s(&b, "key_chars")?,
            removed: bools(&b, "in_removed_doc")?,
            tokens: lists::<UInt32Type>(&b, "tokens")?,
            neighbours: lists::<UInt32Type>(&b, "neighbours")?,
            whole: (u32s(&b, "whole_first")?, u32s(&b, "whole_last")?),
            whole_tokens: lists::<UInt32Type>(&b, "whole")?,
        };
        let cfg = self.core.config();
        self.split_runs(py, comp, |rows| {
            let (v, ids) = BatchView::new(cols, rows);
            Ok(pipeline::split_paragraph_component(cfg, &v, &ids))
        })
    }

    /// Split document components into clusters. One row per document, the rows of a
    /// component together: `component, doc: uint32; masks, key_chars: uint64; covers:
    /// list<uint32>` (documents it covers) with `coverage: list<float64>`.
    fn document_clusters(&self, py: Python<'_>, batch: Batch) -> PyResult<Batch> {
        let b = batch.0;
        self.check(&b)?;
        let comp = u32s(&b, "component")?;
        let doc = u32s(&b, "doc")?;
        let masks = u64s(&b, "masks")?;
        let chars = u64s(&b, "key_chars")?;
        let covers = lists::<UInt32Type>(&b, "covers")?;
        let coverage = lists::<Float64Type>(&b, "coverage")?;
        let cfg = self.core.config();
        self.split_runs(py, comp, |rows| {
            let mut edges: BTreeMap<u32, Vec<(u32, f64)>> = BTreeMap::new();
            let mut facts: BTreeMap<u32, (u64, u64)> = BTreeMap::new();
            for r in rows {
                let (cv, cg) = (covers.row(r), coverage.row(r));
                if cv.len() != cg.len() {
                    return Err(value_err("covers and coverage differ in length"));
                }
                edges.insert(doc[r], cv.iter().copied().zip(cg.iter().copied()).collect());
                facts.insert(doc[r], (masks[r], chars[r]));
            }
            let ids: Vec<u32> = facts.keys().copied().collect();
            let cover = |k: u32| edges.get(&k).map_or(&[][..], |v| v.as_slice());
            let copy = |d: u32| {
                let (m, ch) = facts.get(&d).copied().unwrap_or_default();
                pipeline::doc_copy(d, m, ch)
            };
            Ok(pipeline::split_document_component(cfg, &ids, cover, copy))
        })
    }

    /// `clusters.jsonl` lines. One row per member, a cluster's rows together and in
    /// member order: `cluster, kept, member: uint32; level, file: utf8; first_line,
    /// last_line: uint32; similarity: float64; containment, traditional: bool`.
    fn records(&self, py: Python<'_>, batch: Batch) -> PyResult<Batch> {
        let b = batch.0;
        let cluster = u32s(&b, "cluster")?;
        let kept = u32s(&b, "kept")?;
        let member = u32s(&b, "member")?;
        let level = strs(&b, "level")?;
        let file = strs(&b, "file")?;
        let (first, last) = (u32s(&b, "first_line")?, u32s(&b, "last_line")?);
        let sim = f64s(&b, "similarity")?;
        let cont = bools(&b, "containment")?;
        // Optional (added within version 1): absent, every member is simplified.
        let trad = match b.column_by_name("traditional") {
            Some(_) => Some(bools(&b, "traditional")?),
            None => None,
        };
        // Optional (added within version 1): a part of a page-long paragraph's columns,
        // null for every other member.
        let col = |name: &str| -> PyResult<Option<&UInt32Array>> {
            match b.column_by_name(name) {
                None => Ok(None),
                Some(c) => c
                    .as_any()
                    .downcast_ref::<UInt32Array>()
                    .map(Some)
                    .ok_or_else(|| value_err(format!("column '{name}' is not uint32"))),
            }
        };
        let (col0, col1) = (col("first_col")?, col("last_col")?);
        let (ids, lines) = py.detach(|| -> PyResult<(Vec<u32>, Vec<String>)> {
            let (mut ids, mut lines) = (Vec::new(), Vec::new());
            for (c, rows) in runs(cluster)? {
                let name = level.value(rows.start);
                let lvl = report::Level::parse(name)
                    .ok_or_else(|| value_err(format!("unknown level '{name}'")))?;
                let members: Vec<Member> = rows
                    .clone()
                    .map(|r| (member[r], sim[r], cont.value(r)))
                    .collect();
                let row_of: HashMap<u32, usize> = rows.clone().map(|r| (member[r], r)).collect();
                let place = |m: u32| {
                    let r = row_of[&m];
                    let script = if trad.is_some_and(|t| t.value(r)) {
                        Script::Traditional
                    } else {
                        Script::Simplified
                    };
                    let cols = match (col0, col1) {
                        (Some(a), Some(b)) if a.is_valid(r) && b.is_valid(r) => {
                            Some([a.value(r), b.value(r)])
                        }
                        _ => None,
                    };
                    Place {
                        file: file.value(r).to_string(),
                        lines: [first[r], last[r]],
                        cols,
                        script,
                        // The Spark job has no saved index (`--index` is local).
                        indexed: None,
                    }
                };
                let rec = pipeline::cluster_record(c, lvl, kept[rows.start], &members, place);
                let mut buf = Vec::new();
                report::push_jsonl(&mut buf, &rec);
                ids.push(c);
                lines.push(String::from_utf8(buf).expect("JSON is UTF-8"));
            }
            Ok((ids, lines))
        })?;
        self.batch(
            "records",
            vec![
                ("cluster", u32_col(ids)),
                ("json", Arc::new(StringArray::from(lines))),
            ],
        )
    }

    /// Write files' cleaned text under `clean_root` (a staging `clean/`). One row per
    /// file: `file_idx, n_paras, n_docs: uint32; rel_path, encoding: utf8; hash: uint64;
    /// removed_paras, removed_para_clusters, removed_docs, removed_doc_clusters:
    /// list<uint32>`. Returns per file its `removed.jsonl` and `placeholders.jsonl`
    /// lines and its counts (JSON), or why it failed. For records (a `source` column,
    /// as for `analyze`, and with `--annotate` a `clusters` column: JSON
    /// `[{cluster, level, kept}]` or null) nothing is written: `out` holds the record
    /// to write back (the JSON line, or a Parquet row's text; null: dropped) and `note`
    /// a Parquet row's `zhclean` column.
    fn write(&self, py: Python<'_>, clean_root: PathBuf, batch: Batch) -> PyResult<Batch> {
        let b = batch.0;
        self.check(&b)?;
        let clean = CleanDir(clean_root);
        let caught = Caught::default();
        let idx = u32s(&b, "file_idx")?;
        let rel = strs(&b, "rel_path")?;
        let enc = strs(&b, "encoding")?;
        let hash = u64s(&b, "hash")?;
        let (np, nd) = (u32s(&b, "n_paras")?, u32s(&b, "n_docs")?);
        let rp = lists::<UInt32Type>(&b, "removed_paras")?;
        let rpc = lists::<UInt32Type>(&b, "removed_para_clusters")?;
        let rd = lists::<UInt32Type>(&b, "removed_docs")?;
        let rdc = lists::<UInt32Type>(&b, "removed_doc_clusters")?;
        let records = self.batch_records(&b)?;
        let (input, clean): (&dyn Source, &dyn CleanOut) = match &records {
            Some(m) => (m, &caught),
            None => (&self.input, &clean),
        };
        let sources = match &records {
            Some(_) => Some(strs(&b, "source")?),
            None => None,
        };
        let notes = match b.column_by_name("clusters") {
            Some(_) => Some(opt_strs(&b, "clusters")?),
            None => None,
        };
        type Row = (bool, Option<String>, Vec<u8>, Vec<u8>, Option<String>);
        let mut outs: Vec<(Option<String>, Option<String>)> = Vec::new();
        let rows = py.detach(|| -> PyResult<Vec<Row>> {
            let mut out = Vec::with_capacity(b.num_rows());
            for i in 0..b.num_rows() {
                let expand = |n: u32, at: &[u32], c: &[u32]| -> PyResult<Vec<Option<u32>>> {
                    let mut v = vec![None; n as usize];
                    for (&k, &cl) in at.iter().zip(c) {
                        *v.get_mut(k as usize)
                            .ok_or_else(|| value_err("removed index out of range"))? = Some(cl);
                    }
                    Ok(v)
                };
                let pr = expand(np[i], rp.row(i), rpc.row(i))?;
                let dr = expand(nd[i], rd.row(i), rdc.row(i))?;
                let f = FileRef {
                    rel_path: rel.value(i),
                    hash: hash[i],
                    encoding: enc.value(i),
                    paragraphs: np[i] as usize,
                };
                let written = self.core.write_file(input, clean, f, &pr, &dr);
                if let (Some(r), Some(src)) = (&self.records, sources) {
                    let text = caught.take();
                    outs.push(match &written {
                        Ok(o) => {
                            let kept = text.is_some();
                            let clusters = notes.and_then(|n| n.is_valid(i).then(|| n.value(i)));
                            r.write_back(src.value(i), text, || {
                                records::note(kept, clusters, &o.removed, &o.placeholders)
                            })?
                        }
                        Err(_) => r.write_back(src.value(i), None, || {
                            records::note(false, None, b"", b"")
                        })?,
                    });
                }
                out.push(match written {
                    Ok(o) => (
                        true,
                        None,
                        o.removed,
                        o.placeholders,
                        Some(serde_json::to_string(&o.counts).map_err(value_err)?),
                    ),
                    Err(e) => (
                        false,
                        Some(e.kind.to_string()),
                        Vec::new(),
                        Vec::new(),
                        None,
                    ),
                });
            }
            Ok(out)
        })?;
        let mut ok = Vec::new();
        let mut reason = Vec::new();
        let mut removed = Vec::new();
        let mut places = Vec::new();
        let mut counts = Vec::new();
        for r in &rows {
            ok.push(r.0);
            reason.push(r.1.as_deref());
            removed.push(r.2.as_slice());
            places.push(r.3.as_slice());
            counts.push(r.4.as_deref());
        }
        let mut cols: Vec<(&str, ArrayRef)> = vec![
            ("file_idx", u32_col(idx.to_vec())),
            ("ok", Arc::new(BooleanArray::from(ok))),
            ("reason", Arc::new(StringArray::from(reason))),
            ("removed", Arc::new(BinaryArray::from(removed))),
            ("placeholders", Arc::new(BinaryArray::from(places))),
            ("counts", Arc::new(StringArray::from(counts))),
        ];
        if self.records.is_some() {
            let (out, note): (Vec<_>, Vec<_>) = outs.into_iter().unzip();
            cols.push(("out", Arc::new(StringArray::from(out))));
            cols.push(("note", Arc::new(StringArray::from(note))));
        }
        self.batch("written", cols)
    }
}

impl Engine {
    fn records_or_err(&self) -> PyResult<&RecordsIn> {
        self.records
            .as_ref()
            .ok_or_else(|| value_err("this engine reads text files, not records"))
    }

    /// The records of a batch with a `source` column as a source (None: text files).
    fn batch_records(&self, b: &RecordBatch) -> PyResult<Option<zhclean::source::Memory>> {
        if b.column_by_name("source").is_none() {
            return Ok(None);
        }
        let r = self.records_or_err()?;
        r.source(strs(b, "rel_path")?, strs(b, "source")?).map(Some)
    }

    /// Split each run of rows with the same `component` into clusters with `split`,
    /// without the GIL, and return them as `clusters` rows.
    fn split_runs(
        &self,
        py: Python<'_>,
        comp: &[u32],
        split: impl Fn(std::ops::Range<usize>) -> PyResult<Vec<Cluster>> + Sync,
    ) -> PyResult<Batch> {
        let out = py.detach(|| -> PyResult<Vec<(u32, Cluster)>> {
            let mut out = Vec::new();
            for (c, rows) in runs(comp)? {
                out.extend(split(rows)?.into_iter().map(|cl| (c, cl)));
            }
            Ok(out)
        })?;
        self.clusters_batch(out)
    }

    /// `clusters` rows: one per member, members in id order, with the cluster's first
    /// (smallest) member that numbers it.
    fn clusters_batch(&self, mut out: Vec<(u32, Cluster)>) -> PyResult<Batch> {
        let mut comp = Vec::new();
        let mut first = Vec::new();
        let mut kept = Vec::new();
        let mut member = Vec::new();
        let mut sim = Vec::new();
        let mut cont = Vec::new();
        for (c, (k, members)) in out.iter_mut() {
            members.sort_by_key(|m| m.0);
            for &(m, s, ct) in members.iter() {
                comp.push(*c);
                first.push(members[0].0);
                kept.push(*k);
                member.push(m);
                sim.push(s);
                cont.push(ct);
            }
        }
        self.batch(
            "clusters",
            vec![
                ("component", u32_col(comp)),
                ("first", u32_col(first)),
                ("kept", u32_col(kept)),
                ("member", u32_col(member)),
                ("similarity", Arc::new(Float64Array::from(sim))),
                ("containment", Arc::new(BooleanArray::from(cont))),
            ],
        )
    }
}

/// Runs of equal values in `keys` (rows of one group must be together).
fn runs(keys: &[u32]) -> PyResult<Vec<(u32, std::ops::Range<usize>)>> {
    let mut out: Vec<(u32, std::ops::Range<usize>)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut i = 0;
    while i < keys.len() {
        let mut j = i + 1;
        while j < keys.len() && keys[j] == keys[i] {
            j += 1;
        }
        if !seen.insert(keys[i]) {
            return Err(value_err(format!(
                "rows of group {} are not together in the batch",
                keys[i]
            )));
        }
        out.push((keys[i], i..j));
        i = j;
    }
    Ok(out)
}

/// The columns of a `paragraph_clusters` batch.
#[derive(Clone, Copy)]
struct ParaColumns<'a> {
    id: &'a [u32],
    group: &'a [u32],
    masks: &'a [u32],
    key_chars: &'a [u32],
    removed: &'a BooleanArray,
    tokens: Lists<'a, u32>,
    neighbours: Lists<'a, u32>,
    /// First and last ids of the whole of a part (`NO_WHOLE`: not a part).
    whole: (&'a [u32], &'a [u32]),
    whole_tokens: Lists<'a, u32>,
}

/// `whole_first` of a paragraph that is not a part of a paragraph searched in parts.
const NO_WHOLE: u32 = u32::MAX;

/// One paragraph component's rows, as the split reads them.
struct BatchView<'a> {
    cols: ParaColumns<'a>,
    row_of: HashMap<u32, usize>,
    /// Members of each exact group of more than one, in id order (by representative).
    members: BTreeMap<u32, Vec<u32>>,
}

impl<'a> BatchView<'a> {
    /// The view of `rows`, and the component's ids in order.
    fn new(cols: ParaColumns<'a>, rows: std::ops::Range<usize>) -> (Self, Vec<u32>) {
        let mut v = BatchView {
            cols,
            row_of: HashMap::with_capacity(rows.len()),
            members: BTreeMap::new(),
        };
        for r in rows {
            v.row_of.insert(cols.id[r], r);
            v.members.entry(cols.group[r]).or_default().push(cols.id[r]);
        }
        v.members.retain(|_, m| m.len() > 1);
        for m in v.members.values_mut() {
            m.sort_unstable();
        }
        let mut ids: Vec<u32> = v.row_of.keys().copied().collect();
        ids.sort_unstable();
        (v, ids)
    }

    fn row(&self, i: u32) -> usize {
        self.row_of[&i]
    }
}

impl ParaView for BatchView<'_> {
    fn copy(&self, i: u32) -> Copy {
        let r = self.row(i);
        Copy {
            order: i,
            masks: self.cols.masks[r],
            key_chars: self.cols.key_chars[r],
        }
    }
    fn in_removed_doc(&self, i: u32) -> bool {
        self.cols.removed.value(self.row(i))
    }
    fn group(&self, i: u32) -> u32 {
        self.cols.group[self.row(i)]
    }
    fn group_members(&self, rep: u32) -> Option<&[u32]> {
        self.members.get(&rep).map(|v| v.as_slice())
    }
    fn neighbours(&self, rep: u32) -> &[u32] {
        self.row_of
            .get(&rep)
            .map_or(&[], |&r| self.cols.neighbours.row(r))
    }
    fn tokens(&self, i: u32) -> &[u32] {
        self.cols.tokens.row(self.row(i))
    }
    fn whole(&self, i: u32) -> Option<([u32; 2], &[u32])> {
        let r = self.row(i);
        let (first, last) = self.cols.whole;
        (first[r] != NO_WHOLE).then(|| ([first[r], last[r]], self.cols.whole_tokens.row(r)))
    }
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Engine>()?;
    m.add_class::<Staging>()?;
    m.add_class::<Totals>()?;
    m.add("SCHEMA_VERSION", SCHEMA_VERSION)?;
    m.add("SCHEME", SCHEME)?;
    Ok(())
}
