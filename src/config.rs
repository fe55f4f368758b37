//! The options of a run, as plain data with no command-line types in it. The binary
//! turns flags into a [`Config`]; the library checks the combination with
//! [`Config::validate`] and resolves derived values (LSH bands × rows) once, so no stage
//! ever reads a raw flag.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::lsh;

/// How a paragraph's key text is cut into shingles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShingleKind {
    /// n consecutive jieba words (the default, `word:3`).
    Word(usize),
    /// n consecutive key characters (`char:5`).
    Char(usize),
}

impl ShingleKind {
    /// The shingle size n.
    pub fn size(self) -> usize {
        match self {
            ShingleKind::Word(n) | ShingleKind::Char(n) => n,
        }
    }
}

impl fmt::Display for ShingleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShingleKind::Word(n) => write!(f, "word:{n}"),
            ShingleKind::Char(n) => write!(f, "char:{n}"),
        }
    }
}

impl FromStr for ShingleKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let (kind, n) = s
            .split_once(':')
            .ok_or_else(|| format!("expected KIND:N such as word:3 or char:5, got '{s}'"))?;
        let n: usize = n
            .parse()
            .map_err(|_| format!("shingle size must be a whole number, got '{n}'"))?;
        if !(1..=16).contains(&n) {
            return Err(format!("shingle size must be 1 to 16, got {n}"));
        }
        match kind {
            "word" => Ok(ShingleKind::Word(n)),
            "char" => Ok(ShingleKind::Char(n)),
            _ => Err(format!(
                "shingle kind must be 'word' or 'char', got '{kind}'"
            )),
        }
    }
}

impl Serialize for ShingleKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Which copy of a group of duplicates stays in `clean/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeepPolicy {
    /// Fewest masked placeholders, then most key characters, then first path.
    Best,
    /// First in sorted path order (then line order).
    First,
    /// Most key characters, then first path.
    Longest,
}

/// What the fingerprint folds into slot tokens, so copies that mask differently hash
/// alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fold {
    /// Masks, names tagged by jieba (persons, places, organisations) and digit runs:
    /// two slots, one for names and one for numbers (the default).
    Entities,
    /// Masks only, one slot per kind; digit runs fold to `0`.
    Masks,
    /// Nothing: masks are hashed as the characters they are.
    None,
}

/// How masked placeholders are written in `clean/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MaskStyle {
    /// `××` for entities and redacted text, `20××` for years, `×` for numbers and dates.
    Conventional,
    /// Typed tokens: `[ENTITY]`, `[YEAR]`, `[DATE]`, `[NUMBER]`, `[REDACTED]`.
    Token,
    /// Detect and report only; the text is left as it was.
    Keep,
}

/// How far below `--threshold` the LSH candidate curve is centred (see
/// [`Config::candidate_threshold`]). On the development synth corpus, LSH tuned for
/// 0.7 itself (14 × 9) found 89% of the true pairs; tuned for 0.4 (32 × 4), 99.6%.
pub const CANDIDATE_MARGIN: f64 = 0.3;

/// Every option of a `clean` run.
#[derive(Clone, Debug)]
pub struct Config {
    /// Folder walked for input files.
    pub input: PathBuf,
    /// Folder that receives `clean/` and `report/`.
    pub out: PathBuf,
    /// File name endings taken as input (without the dot, compared case-insensitively).
    pub exts: Vec<String>,
    /// Glob patterns (matched against the relative path) of files and folders to skip.
    pub excludes: Vec<String>,
    /// Force one encoding (an encoding_rs label such as `gbk`, `big5`, `utf-8`).
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// How paragraphs are shingled.
    pub shingle: ShingleKind,
    /// MinHash permutations (signature length).
    pub num_perm: usize,
    /// Jaccard threshold a pair of paragraphs must reach to be duplicates.
    pub threshold: f64,
    /// LSH bands × rows; `None` derives them from `threshold` and `num_perm`.
    pub bands_rows: Option<(usize, usize)>,
    /// Seed of the MinHash permutations.
    pub seed: u64,
    /// Paragraphs with fewer key characters take no part in near-duplicate search.
    pub min_chars: usize,
    /// Candidate partners a paragraph is verified against on its own account (see
    /// [`crate::lsh::rank_partners`]).
    pub max_partners: usize,
    /// Share of a document's key characters that must be copies of one other
    /// document's paragraphs for it to be a document-level duplicate of it.
    pub doc_threshold: f64,
    /// Which copy stays.
    pub keep: KeepPolicy,
    /// Canonical style of masks in `clean/`.
    pub mask_style: MaskStyle,
    /// What the fingerprint folds into slot tokens.
    pub fold: Fold,
    /// The script of what `clean/` holds: each file's own (`None`), or one for all.
    pub script: Option<crate::script::Script>,
    /// Keep site furniture in `clean/` (it is still reported).
    pub keep_boilerplate: bool,
    /// Extra boilerplate rules, one per line.
    pub boilerplate_rules: Option<PathBuf>,
    /// Worker threads; 0 means all cores.
    pub jobs: usize,
    /// Replace `clean/` and `report/` in a non-empty output folder.
    pub force: bool,
    /// Bytes of key tokens, and of band keys, a local run keeps in memory before it
    /// spills the rest to disk, and of prepared files and of other files' marks it
    /// keeps for the write phase; `None` for the defaults
    /// ([`crate::pipeline::TOKEN_MEMORY_BUDGET`], [`crate::pipeline::KEY_MEMORY_BUDGET`],
    /// [`crate::pipeline::PREPARED_MEMORY_BUDGET`], [`crate::pipeline::MARKS_MEMORY_BUDGET`]).
    pub spill_budget: Option<u64>,
    /// Draw progress bars (only when stderr is a terminal).
    pub progress: bool,
    /// What `input` holds (`--input-format`).
    pub input_format: InputFormat,
    /// The fields records are read from (`--text-field`, `--id-field`).
    pub records: crate::records::source::RecordOptions,
    /// How records are written back (`--keep-empty`, `--annotate`).
    pub records_out: crate::records::sink::RecordsOut,
    /// What clean/ is written as (`--output-format`; None: as the input is).
    pub output_format: Option<InputFormat>,
    /// A saved dedup index to compare with (`--index`), and how (`--index-mode`).
    pub index: Option<PathBuf>,
    pub index_mode: crate::index::IndexMode,
}

/// What a run's input is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InputFormat {
    /// A JSON Lines or Parquet file by its name; a folder holding no text files of
    /// `--ext` but JSON Lines files (or else Parquet files); otherwise a folder of text
    /// files.
    #[default]
    Auto,
    /// A folder of text files.
    Text,
    /// A JSON Lines file, or a folder of them (plain, `.gz` or `.zst`).
    Jsonl,
    /// A Parquet file, or a folder of Parquet shards.
    Parquet,
}

impl InputFormat {
    /// The record format of a records input (after [`InputFormat::resolve`]).
    pub fn records(self) -> Option<crate::records::Format> {
        match self {
            InputFormat::Jsonl => Some(crate::records::Format::Jsonl),
            InputFormat::Parquet => Some(crate::records::Format::Parquet),
            _ => None,
        }
    }

    /// What `auto` means for `input` (with the text endings `exts`).
    pub fn resolve(self, input: &std::path::Path, exts: &[String]) -> InputFormat {
        if self != InputFormat::Auto {
            return self;
        }
        if input.is_file() {
            let name = input
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            return match crate::records::Format::of(&name) {
                Some(crate::records::Format::Jsonl) => InputFormat::Jsonl,
                Some(crate::records::Format::Parquet) => InputFormat::Parquet,
                None => InputFormat::Text,
            };
        }
        let holds = |pred: &dyn Fn(&str) -> bool| {
            walkdir::WalkDir::new(input)
                .follow_links(true)
                .into_iter()
                .filter_entry(|e| {
                    e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.')
                })
                .filter_map(|e| e.ok())
                .any(|e| e.file_type().is_file() && pred(&e.file_name().to_string_lossy()))
        };
        InputFormat::of_folder(holds, exts)
    }

    /// What `auto` means for a folder, where `holds(pred)` tells whether it holds a
    /// file (not hidden) whose name satisfies `pred`: text files of `exts` first, then
    /// JSON Lines, then Parquet. The Spark job asks it of a listing of a URI.
    pub fn of_folder(
        holds: impl Fn(&dyn Fn(&str) -> bool) -> bool,
        exts: &[String],
    ) -> InputFormat {
        let text = |n: &str| {
            let n = n.to_lowercase();
            exts.iter()
                .any(|x| crate::walk::has_ending(&n, &x.to_lowercase()))
        };
        let of = |f| move |n: &str| crate::records::Format::of(n) == Some(f);
        if holds(&text) {
            InputFormat::Text
        } else if holds(&of(crate::records::Format::Jsonl)) {
            InputFormat::Jsonl
        } else if holds(&of(crate::records::Format::Parquet)) {
            InputFormat::Parquet
        } else {
            InputFormat::Text
        }
    }
}

impl Config {
    /// A configuration with every default, for the given input and output folders.
    pub fn new(input: impl Into<PathBuf>, out: impl Into<PathBuf>) -> Self {
        Config {
            input: input.into(),
            out: out.into(),
            exts: vec!["txt".to_string()],
            excludes: Vec::new(),
            encoding: None,
            shingle: ShingleKind::Word(3),
            num_perm: 128,
            threshold: 0.7,
            bands_rows: None,
            seed: 1,
            min_chars: 20,
            max_partners: crate::lsh::MAX_PARTNERS,
            doc_threshold: 0.8,
            keep: KeepPolicy::Best,
            mask_style: MaskStyle::Conventional,
            fold: Fold::Entities,
            script: None,
            keep_boilerplate: false,
            boilerplate_rules: None,
            jobs: 0,
            force: false,
            spill_budget: None,
            progress: false,
            input_format: InputFormat::Auto,
            records: Default::default(),
            records_out: Default::default(),
            output_format: None,
            index: None,
            index_mode: crate::index::IndexMode::Update,
        }
    }

    /// The similarity LSH is tuned for: [`CANDIDATE_MARGIN`] below `--threshold`, so
    /// copies whose shingles moved (a clause cut, masks the fold missed) still become
    /// candidates for the mask-aware verification.
    pub fn candidate_threshold(&self) -> f64 {
        (self.threshold - CANDIDATE_MARGIN).max(0.1)
    }

    /// Check the options together; returns the LSH bands × rows in force.
    pub fn validate(&self) -> Result<(usize, usize)> {
        if !(1..=4096).contains(&self.num_perm) {
            return Err(Error::Config(format!(
                "--num-perm must be 1 to 4096, got {}",
                self.num_perm
            )));
        }
        for (name, v) in [
            ("--threshold", self.threshold),
            ("--doc-threshold", self.doc_threshold),
        ] {
            if !(v > 0.0 && v <= 1.0) {
                return Err(Error::Config(format!(
                    "{name} must be above 0 and at most 1, got {v}"
                )));
            }
        }
        if self.exts.is_empty() {
            return Err(Error::Config("--ext needs at least one ending".into()));
        }
        match self.bands_rows {
            Some((b, r)) => {
                if b == 0 || r == 0 {
                    return Err(Error::Config(
                        "--bands and --rows must be at least 1".into(),
                    ));
                }
                if b * r > self.num_perm {
                    return Err(Error::Config(format!(
                        "--bands {b} × --rows {r} = {} exceeds --num-perm {}",
                        b * r,
                        self.num_perm
                    )));
                }
                Ok((b, r))
            }
            None => Ok(lsh::optimal_params(
                self.candidate_threshold(),
                self.num_perm,
                0.5,
                0.5,
            )),
        }
    }
}
