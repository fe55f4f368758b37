//! Command-line flags (clap derive only), shared by the `zhclean` binary and the Python
//! module (whose Spark job takes the same flags). Flags become a [`crate::Config`] in
//! [`CleanArgs::into_config`]; nothing reads a raw flag after that.

use std::num::NonZeroUsize;
use std::path::PathBuf;

use crate::{Config, Fold, KeepPolicy, MaskStyle, ShingleKind};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Clean scraped collections of Chinese speeches and official documents.
#[derive(Debug, Parser)]
#[command(name = "zhclean", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Clean a folder of scraped files: decode, strip site furniture, normalise masks,
    /// remove near-duplicate paragraphs and documents, and write clean/ and report/.
    Clean(Box<CleanArgs>),
    /// Print a file's paragraphs, sentences or words (a debugging aid).
    Segment(SegmentArgs),
    /// Normalise masked placeholders line by line (FILE or stdin to stdout).
    Normalize(NormalizeArgs),
    /// Build a labelled corpus (copies, masks, furniture, compilations, encodings) and
    /// its truth.json from any Chinese text, one paragraph a line.
    Synth(SynthArgs),
    /// Score a report folder against a synth corpus's truth.json.
    Eval(EvalArgs),
    /// Write OUT/review/index.html: a finished run's clusters, diffs, furniture and
    /// masks as one self-contained page (and a page per file) to check the run with.
    Review(ReviewArgs),
    /// Make or inspect a saved dedup index (see `clean --index`).
    #[command(subcommand)]
    Index(IndexCommand),
}

/// `zhclean index …`.
#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Index a corpus without writing clean/: its copies are found as `clean` finds
    /// them (and against IDX if it holds an index already), and its documents are
    /// added to IDX (those removed as copies flagged). With --out, clean/ and report/
    /// are written too.
    #[command(mut_arg("out", |a| a.required(false)), mut_arg("index", |a| a.required(true)))]
    Build(Box<CleanArgs>),
    /// Print what an index holds: runs, documents, paragraphs, parameters, size on disk.
    Info(IndexInfoArgs),
}

#[derive(Debug, Args)]
pub struct IndexInfoArgs {
    /// The index folder.
    pub index: PathBuf,
    /// Read and check every block and document against its checksum.
    #[arg(long)]
    pub verify: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Which copy of a duplicate group stays.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum KeepArg {
    /// Fewest masked placeholders, then most text, then first path.
    Best,
    /// First in sorted path order.
    First,
    /// Most text, then first path.
    Longest,
}

/// What fingerprints fold into slot tokens.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FoldArg {
    /// Masks, names jieba tags as persons/places/organisations, and digits: one slot
    /// for names, one for numbers.
    Entities,
    /// Masks only, one slot per kind.
    Masks,
    /// Nothing: masks hash as the characters they are.
    None,
}

/// How masked placeholders are written.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum MaskStyleArg {
    /// ×× for names and removed text, 20××年 for years, × for numbers and dates.
    Conventional,
    /// [ENTITY] [YEAR] [DATE] [NUMBER] [REDACTED].
    // The brackets are the tokens themselves (this text is `--help`'s), not links.
    #[allow(rustdoc::broken_intra_doc_links)]
    Token,
    /// Detect and report only; change nothing.
    Keep,
}

/// `--script`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScriptArg {
    /// Each paragraph as it was written.
    Keep,
    /// Traditional-character paragraphs converted to simplified (OpenCC t2s).
    Simplified,
    /// Simplified-character paragraphs converted to traditional (OpenCC s2t).
    Traditional,
}

impl From<ScriptArg> for Option<crate::script::Script> {
    fn from(s: ScriptArg) -> Self {
        match s {
            ScriptArg::Keep => None,
            ScriptArg::Simplified => Some(crate::script::Script::Simplified),
            ScriptArg::Traditional => Some(crate::script::Script::Traditional),
        }
    }
}

impl From<MaskStyleArg> for MaskStyle {
    fn from(m: MaskStyleArg) -> Self {
        match m {
            MaskStyleArg::Conventional => MaskStyle::Conventional,
            MaskStyleArg::Token => MaskStyle::Token,
            MaskStyleArg::Keep => MaskStyle::Keep,
        }
    }
}

/// A file ending: not empty (an empty `--ext` would match no file and say nothing).
fn parse_ext(s: &str) -> Result<String, String> {
    let e = s.trim().trim_start_matches('.');
    if e.is_empty() {
        Err("expected a file ending such as 'txt', got an empty one".into())
    } else {
        Ok(e.to_string())
    }
}

fn parse_unit(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("expected a number between 0 and 1, got '{s}'"))?;
    if v > 0.0 && v <= 1.0 {
        Ok(v)
    } else {
        Err(format!("must be above 0 and at most 1, got {v}"))
    }
}

fn parse_encoding(s: &str) -> Result<&'static encoding_rs::Encoding, String> {
    encoding_rs::Encoding::for_label(s.as_bytes())
        .ok_or_else(|| format!("unknown encoding label '{s}' (try utf-8, gb18030, gbk, big5)"))
}

#[derive(Debug, Args)]
pub struct CleanArgs {
    /// Folder of scraped files (walked recursively), or a JSON Lines file or folder of
    /// them (see --input-format).
    pub input: PathBuf,

    /// Output folder; receives clean/ and report/.
    #[arg(long, short, required = true)]
    pub out: Option<PathBuf>,

    /// A saved dedup index (a folder): every paragraph and document is also compared
    /// with what it holds, and a copy of an indexed one is removed (the indexed copy
    /// wins whatever --keep says). In update mode the folder is made if need be, and
    /// this run's documents are added to it once clean/ and report/ are written.
    #[arg(long, value_name = "IDX")]
    pub index: Option<PathBuf>,

    /// update: compare with the index, then add this run's documents; read: compare
    /// only, the index is not changed (to check a test set against a training corpus,
    /// or for a dry run).
    #[arg(long, value_enum, default_value = "update", requires = "index")]
    pub index_mode: IndexModeArg,

    /// File ending to read (repeatable).
    #[arg(long = "ext", value_name = "EXT", default_value = "txt", value_parser = parse_ext)]
    pub exts: Vec<String>,

    /// Skip paths matching this glob, relative to INPUT (repeatable), e.g. 'drafts/**'.
    #[arg(long = "exclude", value_name = "GLOB")]
    pub excludes: Vec<String>,

    /// Read every file in this encoding instead of detecting it (a byte-order mark
    /// still wins). Labels as in the WHATWG Encoding Standard: utf-8, gb18030, gbk, big5.
    #[arg(long, value_name = "LABEL", value_parser = parse_encoding)]
    pub encoding: Option<&'static encoding_rs::Encoding>,

    /// Shingles: word:N (jieba words) or char:N (characters of key text).
    #[arg(long, value_name = "KIND:N", default_value = "word:3")]
    pub shingle: ShingleKind,

    /// MinHash permutations.
    #[arg(long, value_name = "N", default_value = "128")]
    pub num_perm: NonZeroUsize,

    /// Similarity (Jaccard of shingles) at which two paragraphs are copies.
    #[arg(long, value_name = "0..1", default_value = "0.7", value_parser = parse_unit)]
    pub threshold: f64,

    /// LSH bands (with --rows); by default derived from --threshold and --num-perm.
    #[arg(long, value_name = "B", requires = "rows")]
    pub bands: Option<NonZeroUsize>,

    /// LSH rows per band (with --bands).
    #[arg(long, value_name = "R", requires = "bands")]
    pub rows: Option<NonZeroUsize>,

    /// Seed of the MinHash permutations.
    #[arg(long, value_name = "N", default_value = "1")]
    pub seed: u64,

    /// Paragraphs with fewer key characters take no part in near-duplicate search.
    #[arg(long, value_name = "N", default_value = "20")]
    pub min_chars: usize,

    /// Candidate partners a paragraph is verified against on its own account: a pair is
    /// verified when either side reaches the other among its first N candidates: those
    /// that share the most LSH bands with it (counted up to half of what a pair at
    /// --threshold shares; past that they rank alike), then those in the document that
    /// shares the most candidates with its own, then the lowest ids. The paragraph of a
    /// one-paragraph document stops trying them at 16 verified copies. A text that
    /// recurs in thousands of places costs at most N per copy. What is skipped is counted in summary.json
    /// (`candidate_pairs_skipped`).
    #[arg(long, value_name = "N", default_value = "64")]
    pub max_partners: std::num::NonZeroUsize,

    /// Share of a document's text that must be copies of one other document for it to
    /// be a document-level duplicate.
    #[arg(long, value_name = "0..1", default_value = "0.8", value_parser = parse_unit)]
    pub doc_threshold: f64,

    /// Which copy of a duplicate group stays.
    #[arg(long, value_enum, default_value = "best")]
    pub keep: KeepArg,

    /// How masked placeholders are written in clean/.
    #[arg(long, value_enum, default_value = "conventional")]
    pub mask_style: MaskStyleArg,

    /// What fingerprints fold into slots so differently masked copies hash alike.
    #[arg(long, value_enum, default_value = "entities")]
    pub fold: FoldArg,

    /// The script clean/ is written in. Fingerprints fold traditional characters to
    /// simplified whatever this says, so a mirror in the other script is found either
    /// way; this only decides what is written.
    #[arg(long, value_enum, default_value = "keep")]
    pub script: ScriptArg,

    /// Keep site furniture in clean/ (it is still reported).
    #[arg(long)]
    pub keep_boilerplate: bool,

    /// Extra boilerplate rules, one per line: literal:NAME:TEXT, prefix:NAME:TEXT or
    /// regex:NAME:PATTERN.
    #[arg(long, value_name = "FILE")]
    pub boilerplate_rules: Option<PathBuf>,

    /// Worker threads (default: all cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<NonZeroUsize>,

    /// Replace clean/ and report/ in a non-empty output folder.
    #[arg(long)]
    pub force: bool,

    /// Memory for key tokens, and as much again for LSH band keys, before the rest
    /// goes to a temporary file in the output folder until the run ends; as much
    /// again for files' text stages kept for the write phase, which reads and
    /// prepares the others again; and as much again for those others' furniture and
    /// masks, which it then need not find again (default: 32M of tokens, 64M of
    /// keys, 128M of prepared files, 256M of marks; 0: all on disk, none kept).
    /// Outputs do not depend on it.
    #[arg(long, value_name = "SIZE", value_parser = parse_budget)]
    pub spill_budget: Option<u64>,

    /// What INPUT is: auto (a .jsonl/.jsonl.gz/.jsonl.zst or .parquet file, or a
    /// folder holding such files and no files of --ext, is records; anything else a
    /// folder of text files), text, jsonl or parquet. Each record (a line, a row) is
    /// cleaned as a file is, and clean/ holds the same files with each record's text
    /// cleaned.
    #[arg(long, value_enum, default_value = "auto")]
    pub input_format: InputFormatArg,

    /// The field (JSON Lines) or column (Parquet) of a record that holds its text.
    #[arg(long, value_name = "NAME", default_value = "text")]
    pub text_field: String,

    /// The field or column of a record that names it in the reports (a string or an
    /// integer); by default its position: the 0-based line or row in its file.
    #[arg(long, value_name = "NAME")]
    pub id_field: Option<String>,

    /// What clean/ is written as: auto (the input's own layout: text files for text
    /// files, the same record files for records), or, for a folder of text files,
    /// jsonl or parquet: records `{"id": <relative path>, "text": <cleaned text>}` in
    /// shards of 64 MB of text (clean/part-00000.jsonl.zst or .parquet, zstd), files in
    /// path order. Records are always written back in their own format.
    #[arg(long, value_enum, default_value = "auto")]
    pub output_format: OutputFormatArg,

    /// Write records that keep no text with an empty text, instead of dropping them.
    #[arg(long, conflicts_with = "annotate")]
    pub keep_empty: bool,

    /// Write every record with its original text and a `zhclean` field saying what a
    /// clean would do (its clusters, whether it is the copy kept, the lines removed and
    /// why, its masks), instead of cleaning the text.
    #[arg(long)]
    pub annotate: bool,

    /// No progress bars and no summary table.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `--index-mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum IndexModeArg {
    Update,
    Read,
}

/// `--output-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormatArg {
    Auto,
    Text,
    Jsonl,
    Parquet,
}

/// `--input-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InputFormatArg {
    /// By what INPUT holds (see --input-format).
    Auto,
    /// A folder of text files.
    Text,
    /// A JSON Lines file or a folder of them (plain, .gz or .zst).
    Jsonl,
    /// A Parquet file or a folder of Parquet shards.
    Parquet,
}

impl CleanArgs {
    /// The run's configuration.
    pub fn into_config(self) -> Config {
        let mut c = Config::new(self.input, self.out.unwrap_or_default());
        c.index = self.index;
        c.index_mode = match self.index_mode {
            IndexModeArg::Update => crate::index::IndexMode::Update,
            IndexModeArg::Read => crate::index::IndexMode::Read,
        };
        c.exts = self.exts;
        c.excludes = self.excludes;
        c.encoding = self.encoding;
        c.shingle = self.shingle;
        c.num_perm = self.num_perm.get();
        c.threshold = self.threshold;
        c.bands_rows = self.bands.zip(self.rows).map(|(b, r)| (b.get(), r.get()));
        c.seed = self.seed;
        c.min_chars = self.min_chars;
        c.max_partners = self.max_partners.get();
        c.doc_threshold = self.doc_threshold;
        c.keep = match self.keep {
            KeepArg::Best => KeepPolicy::Best,
            KeepArg::First => KeepPolicy::First,
            KeepArg::Longest => KeepPolicy::Longest,
        };
        c.mask_style = self.mask_style.into();
        c.fold = match self.fold {
            FoldArg::Entities => Fold::Entities,
            FoldArg::Masks => Fold::Masks,
            FoldArg::None => Fold::None,
        };
        c.script = self.script.into();
        c.keep_boilerplate = self.keep_boilerplate;
        c.boilerplate_rules = self.boilerplate_rules;
        c.jobs = self.jobs.map_or(0, |j| j.get());
        c.force = self.force;
        c.spill_budget = self.spill_budget;
        c.progress = !self.quiet;
        c.input_format = match self.input_format {
            InputFormatArg::Auto => crate::InputFormat::Auto,
            InputFormatArg::Text => crate::InputFormat::Text,
            InputFormatArg::Jsonl => crate::InputFormat::Jsonl,
            InputFormatArg::Parquet => crate::InputFormat::Parquet,
        };
        c.output_format = match self.output_format {
            OutputFormatArg::Auto => None,
            OutputFormatArg::Text => Some(crate::InputFormat::Text),
            OutputFormatArg::Jsonl => Some(crate::InputFormat::Jsonl),
            OutputFormatArg::Parquet => Some(crate::InputFormat::Parquet),
        };
        c.records = crate::records::source::RecordOptions {
            text_field: self.text_field,
            id_field: self.id_field,
        };
        c.records_out = if self.annotate {
            crate::records::sink::RecordsOut::Annotate
        } else if self.keep_empty {
            crate::records::sink::RecordsOut::KeepEmpty
        } else {
            crate::records::sink::RecordsOut::Clean
        };
        c
    }
}

/// Granularity of `zhclean segment`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Level {
    /// One document per line: its line range, paragraph count and title.
    Documents,
    /// One paragraph per line (site furniture removed).
    Paragraphs,
    /// One sentence per line.
    Sentences,
    /// One sentence per line, words separated by spaces.
    Words,
}

#[derive(Debug, Args)]
pub struct SegmentArgs {
    /// File to segment ('-' for stdin).
    pub file: PathBuf,

    /// What to print.
    #[arg(long, value_enum, default_value = "words")]
    pub level: Level,

    /// With --level words, print word/TAG (jieba part-of-speech tags).
    #[arg(long)]
    pub tags: bool,

    /// With --level paragraphs, print the file's layout, each paragraph's line range,
    /// and why each line was joined to the next or kept apart from it.
    #[arg(long)]
    pub explain: bool,

    /// Read the file in this encoding instead of detecting it.
    #[arg(long, value_name = "LABEL", value_parser = parse_encoding)]
    pub encoding: Option<&'static encoding_rs::Encoding>,

    /// Read FILE as records (JSON Lines, or Parquet by its name) with their text in this
    /// field: each record's output follows a `# record ID` line. A .jsonl/.parquet file
    /// is read so even without it (field `text`).
    #[arg(long, value_name = "NAME")]
    pub text_field: Option<String>,
}

#[derive(Debug, Args)]
pub struct NormalizeArgs {
    /// File to read ('-' or nothing for stdin).
    pub file: Option<PathBuf>,

    /// How masks are written.
    #[arg(long, value_enum, default_value = "conventional")]
    pub mask_style: MaskStyleArg,

    /// Print the spans found as JSONL instead of the normalised text.
    #[arg(long)]
    pub report: bool,

    /// Read the file in this encoding instead of detecting it.
    #[arg(long, value_name = "LABEL", value_parser = parse_encoding)]
    pub encoding: Option<&'static encoding_rs::Encoding>,

    /// Read FILE as records (JSON Lines, or Parquet by its name) with their text in this
    /// field: each record's output follows a `# record ID` line. A .jsonl/.parquet file
    /// is read so even without it (field `text`).
    #[arg(long, value_name = "NAME")]
    pub text_field: Option<String>,
}

/// A size as [`parse_size`] reads it, or 0.
fn parse_budget(s: &str) -> Result<u64, String> {
    if s.trim() == "0" {
        Ok(0)
    } else {
        parse_size(s)
    }
}

/// A size such as 5000, 64K, 100M or 1G (bytes; K/M/G are powers of 1024).
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, mult) = match t.chars().last() {
        Some('K' | 'k') => (&t[..t.len() - 1], 1u64 << 10),
        Some('M' | 'm') => (&t[..t.len() - 1], 1 << 20),
        Some('G' | 'g') => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    let v: f64 = num
        .parse()
        .map_err(|_| format!("expected a size such as 100M or 1G, got '{s}'"))?;
    if v > 0.0 {
        Ok((v * mult as f64) as u64)
    } else {
        Err(format!("size must be above 0, got '{s}'"))
    }
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Chinese text, one paragraph a line: plain, or word/TAG like the People's Daily
    /// corpus (its tags then choose what gets masked).
    pub source: PathBuf,

    /// Folder that receives corpus/ and truth.json (corpus/ must not exist yet).
    #[arg(long, short)]
    pub out: PathBuf,

    /// Seed of every random choice.
    #[arg(long, value_name = "N", default_value = "1")]
    pub seed: u64,

    /// Original documents to write (each copied 0 to 3 more times).
    #[arg(long, value_name = "N", default_value = "200", conflicts_with = "size")]
    pub docs: usize,

    /// Write documents until the corpus holds this many bytes (e.g. 100M, 1G); when the
    /// source runs out, new paragraphs are joined from its sentences.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub size: Option<u64>,

    /// Do not write truth.json (for speed runs on large corpora).
    #[arg(long)]
    pub no_truth: bool,

    /// Add what other sites do: news titles, subtitles, bylines and photo credits,
    /// lists one item a line, hard-wrapped pages and traditional-character mirrors
    /// (some in Big5). Without it the corpus is what earlier versions wrote.
    #[arg(long)]
    pub varied: bool,

    /// Read the source in this encoding instead of detecting it.
    #[arg(long, value_name = "LABEL", value_parser = parse_encoding)]
    pub encoding: Option<&'static encoding_rs::Encoding>,

    /// Write the corpus as files (text) or as records in shards of 64 MB of text:
    /// corpus/siteN/part-NNNNN.jsonl.zst or .parquet, each file's text a
    /// record whose id is the path it would have had (truth.json's file names).
    #[arg(long, value_enum, default_value = "text")]
    pub format: SynthFormat,
}

/// `zhclean synth --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SynthFormat {
    /// A file per page, in the page's encoding.
    Text,
    /// JSON Lines shards, zstd-compressed.
    Jsonl,
    /// Parquet shards, zstd-compressed.
    Parquet,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// truth.json written by zhclean synth.
    pub truth: PathBuf,

    /// Report folder (OUT/report of zhclean clean, or any folder with a clusters.jsonl).
    pub report: PathBuf,

    /// Print the scores as JSON.
    #[arg(long)]
    pub json: bool,

    /// The corpus the truth describes, for scoring paragraph recovery (default: the
    /// corpus/ folder next to TRUTH, when there is one).
    #[arg(long, value_name = "DIR")]
    pub corpus: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// The output folder of a finished `zhclean clean` run.
    pub out: PathBuf,

    /// The run's input folder (default: the one summary.json names as run.input).
    #[arg(long, value_name = "DIR")]
    pub input: Option<PathBuf>,

    /// Show N clusters of each similarity band (1.0, 0.9-1.0, 0.8-0.9, below 0.8) and N
    /// files, chosen by a seeded hash, so the page stays small on a big run. The counts
    /// and charts still cover the whole run.
    #[arg(long, value_name = "N")]
    pub sample: Option<std::num::NonZeroUsize>,

    /// Seed of --sample.
    #[arg(long, value_name = "N", default_value = "1")]
    pub seed: u64,

    /// Open the page in the default browser once written.
    #[arg(long)]
    pub open: bool,
}
