//! `zhclean synth`: a labelled corpus built from any Chinese text, for measuring
//! duplicate finding, placeholder detection and furniture removal (`zhclean eval`), and
//! for benchmarking whole runs at a chosen size.
//!
//! The source is one paragraph a line, either plain text (names, places and
//! organisations found with jieba-rs tags) or word/TAG text in the People's Daily
//! style (`江/nr  泽民/nr`, `[中央/n 电视台/n]nt`), whose own tags are then used, so the
//! masks do not come from the tagger our fingerprints use. Every source paragraph that
//! ends a sentence, has at least [`MIN_PARA_CHARS`] characters and shares less than
//! 30% of its character 8-grams with any earlier one is an *origin* (so a quote of an
//! earlier paragraph is not counted as a different text).
//! Documents of 3 to 8 origins are written once and copied 0 to 3 more times; every
//! instance goes through the damage real sites do, drawn at random per copy:
//!
//! - masks of one site style per copy (`XX`, `**`, `××`, `某某`, `○○`, `□□`, censoring
//!   `---`; years `20XX`/`20__`/`201x`/`20××`/`20_`; numbers and dates `x`/`X`/`×`/`*`);
//! - clause deletions, a truncated ending, a dropped paragraph;
//! - half-width punctuation, broken lines, CRLF;
//! - site furniture (date lines, metadata bars, site introductions, teasers, download
//!   prompts) and compilation files holding 2 to 4 documents under numbered headers;
//! - GB18030 and UTF-8-with-BOM files.
//!
//! When the source runs out before `--size` is reached, new origins are made by
//! joining sentences of random source paragraphs, so a large corpus does not turn into
//! one giant cluster. `truth.json` (format in `docs/synth.md`) records every
//! paragraph's origin, every inserted mask and every furniture line.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::minhash::splitmix64;
use crate::placeholders::Kind;
use crate::segment::{ends_sentence, sentences, Segmenter};

mod varied;

/// `format` of `truth.json`.
pub const TRUTH_FORMAT: &str = "zhclean-synth-truth";
/// Shortest source paragraph taken as an origin, in characters.
pub const MIN_PARA_CHARS: usize = 30;
/// Character n-grams compared between origins.
const OVERLAP_GRAM: usize = 8;
/// Share of the smaller origin's n-grams that another origin may hold: above it the
/// later one is dropped, so no two origins are copies of each other.
const OVERLAP_MAX: f64 = 0.3;
/// Longest source paragraph taken as an origin, in characters.
const MAX_PARA_CHARS: usize = 1500;

/// Options of a synth run.
#[derive(Clone, Debug)]
pub struct SynthOptions {
    /// Seed of every random choice.
    pub seed: u64,
    /// Original documents to write (ignored when `size` is set).
    pub docs: usize,
    /// Write documents until the corpus holds at least this many bytes.
    pub size: Option<u64>,
    /// Write `truth.json` (large corpora for speed runs can skip it).
    pub truth: bool,
    /// Add what other sites do (see [`varied`]): titles, bylines, lists, hard-wrapped
    /// and traditional-character mirrors.
    pub varied: bool,
    /// Write the corpus as records into shards of this format (each file's text a
    /// record, its path the id; no encodings but UTF-8) instead of as files.
    pub records: Option<crate::records::Format>,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            seed: 1,
            docs: 200,
            size: None,
            truth: true,
            varied: false,
            records: None,
        }
    }
}

/// What a synth run wrote.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SynthStats {
    pub files: usize,
    pub bytes: u64,
    pub documents: usize,
    pub paragraphs: usize,
    pub origins: usize,
    pub masks: usize,
    pub furniture_lines: usize,
}

/// A piece of a source paragraph: its text and, if a site could mask it, what it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    pub text: String,
    pub kind: Option<Kind>,
    /// A person's name (masked as 张某 by the 某 style, censored by `---`).
    pub person: bool,
}

/// Deterministic random numbers (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        splitmix64(&mut self.0)
    }
    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (((self.next() >> 32) * n as u64) >> 32) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

fn is_digitish(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

/// Split a word into maskable pieces by its tag and leading digits.
fn pieces_of(word: &str, tag: &str, out: &mut Vec<Piece>) {
    let plain = |t: &str| Piece {
        text: t.to_string(),
        kind: None,
        person: false,
    };
    let named = tag.starts_with("nr") || tag == "ns" || tag == "nt";
    if named && !word.chars().any(is_digitish) && word.chars().count() >= 2 {
        out.push(Piece {
            text: word.to_string(),
            kind: Some(Kind::Entity),
            person: tag.starts_with("nr"),
        });
        return;
    }
    // Leading digits (with one decimal point) and what follows them.
    let mut end = 0;
    let mut seen_point = false;
    for (i, c) in word.char_indices() {
        if is_digitish(c) {
            end = i + c.len_utf8();
        } else if matches!(c, '.' | '．') && !seen_point && end == i && i > 0 {
            seen_point = true;
        } else {
            break;
        }
    }
    if end == 0 {
        out.push(plain(word));
        return;
    }
    let (digits, rest) = word.split_at(end);
    let n = digits.chars().count();
    let kind = if n == 4 && rest.starts_with('年') && !seen_point {
        Kind::Year
    } else if (rest.starts_with('月') || rest.starts_with('日') || rest.starts_with('号')) && n <= 2
    {
        Kind::Date
    } else {
        Kind::Number
    };
    out.push(Piece {
        text: digits.to_string(),
        kind: Some(kind),
        person: false,
    });
    if !rest.is_empty() {
        out.push(plain(rest));
    }
}

/// Is `line` word/TAG text (most whitespace-separated tokens end in `/letters`)?
fn looks_tagged(lines: &[&str]) -> bool {
    let (mut tagged, mut total) = (0, 0);
    for l in lines.iter().filter(|l| !l.trim().is_empty()).take(50) {
        for t in l.split_whitespace() {
            total += 1;
            let t = t.split(']').next().unwrap_or(t);
            if let Some((w, tag)) = t.rsplit_once('/') {
                if !w.is_empty() && !tag.is_empty() && tag.chars().all(|c| c.is_ascii_alphabetic())
                {
                    tagged += 1;
                }
            }
        }
    }
    total > 0 && tagged * 10 >= total * 9
}

/// (word, tag) pairs of one word/TAG line; `[a/x b/y]nt` compounds become one word.
fn parse_tagged(line: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut compound: Option<String> = None;
    for tok in line.split_whitespace() {
        let (tok, outer) = match tok.rsplit_once(']') {
            Some((a, b)) if a.contains('/') => (a, Some(b)),
            _ => (tok, None),
        };
        let (tok, opens) = match tok.strip_prefix('[') {
            Some(t) if t.contains('/') => (t, true),
            _ => (tok, false),
        };
        let (word, tag) = tok.rsplit_once('/').unwrap_or((tok, "x"));
        if opens {
            compound = Some(String::new());
        }
        match compound.as_mut() {
            Some(c) => c.push_str(word),
            None => {
                // Consecutive person-name tokens (江/nr 泽民/nr) are one name.
                match out.last_mut() {
                    Some((w, t)) if tag == "nr" && t == "nr" => w.push_str(word),
                    _ => out.push((word.to_string(), tag.to_string())),
                }
            }
        }
        if let Some(outer) = outer {
            if let Some(c) = compound.take() {
                out.push((c, outer.to_string()));
            }
        }
    }
    if let Some(c) = compound {
        out.push((c, "n".into()));
    }
    out
}

/// The origins of a source text: paragraphs as pieces, deduplicated by text; and
/// whether the source was word/TAG text.
pub fn read_source(text: &str, seg: &Segmenter) -> (Vec<Vec<Piece>>, bool) {
    let lines: Vec<&str> = text.lines().collect();
    let tagged = looks_tagged(&lines);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut index: HashMap<u64, Vec<u32>> = HashMap::new();
    let mut gram_counts: Vec<usize> = Vec::new();
    for line in lines {
        let words: Vec<(String, String)> = if tagged {
            parse_tagged(line)
        } else {
            let t = line.trim();
            seg.tagged(t, true)
                .into_iter()
                .map(|(w, g)| (w.to_string(), g.to_string()))
                .collect()
        };
        let mut pieces = Vec::new();
        for (w, t) in &words {
            if !w.trim().is_empty() {
                pieces_of(w, t, &mut pieces);
            }
        }
        let joined: String = pieces.iter().map(|p| p.text.as_str()).collect();
        let n = joined.chars().count();
        if !(MIN_PARA_CHARS..=MAX_PARA_CHARS).contains(&n) || !ends_sentence(&joined) {
            continue;
        }
        if !seen.insert(joined.clone()) {
            continue;
        }
        // Origins must be different texts: drop one that shares a good part of its
        // character 8-grams with an earlier origin (a quote, a repeated formula).
        let key: Vec<char> = joined.chars().filter(|c| c.is_alphanumeric()).collect();
        let grams: Vec<u64> = {
            let mut g: Vec<u64> = key
                .windows(OVERLAP_GRAM.min(key.len()).max(1))
                .map(|w| xxhash_rust::xxh3::xxh3_64(w.iter().collect::<String>().as_bytes()))
                .collect();
            g.sort_unstable();
            g.dedup();
            g
        };
        let mut shared: HashMap<u32, usize> = HashMap::new();
        for h in &grams {
            for &o in index.get(h).into_iter().flatten() {
                *shared.entry(o).or_default() += 1;
            }
        }
        let overlaps = shared.iter().any(|(&o, &n)| {
            let smaller = grams.len().min(gram_counts[o as usize]).max(1);
            n as f64 >= OVERLAP_MAX * smaller as f64
        });
        if overlaps {
            continue;
        }
        let id = out.len() as u32;
        for h in grams.iter() {
            index.entry(*h).or_default().push(id);
        }
        gram_counts.push(grams.len());
        out.push(pieces);
    }
    (out, tagged)
}

/// How one site masks things.
#[derive(Clone, Copy, Debug)]
struct Style {
    entity: &'static [&'static str],
    year: &'static str,
    number: &'static str,
    /// Masks a person as surname + 某.
    mou: bool,
    /// Censors persons with dashes instead of masking them.
    censor: bool,
}

const STYLES: [Style; 7] = [
    Style {
        entity: &["XX", "XXX"],
        year: "20XX",
        number: "X",
        mou: false,
        censor: false,
    },
    Style {
        entity: &["**", "***"],
        year: "20__",
        number: "x",
        mou: false,
        censor: false,
    },
    Style {
        entity: &["××", "×××"],
        year: "20××",
        number: "×",
        mou: false,
        censor: false,
    },
    Style {
        entity: &["某某"],
        year: "201x",
        number: "x",
        mou: true,
        censor: false,
    },
    Style {
        entity: &["○○"],
        year: "20_",
        number: "x",
        mou: false,
        censor: false,
    },
    Style {
        entity: &["xx"],
        year: "20xx",
        number: "x",
        mou: false,
        censor: false,
    },
    Style {
        entity: &["XX"],
        year: "20-",
        number: "X",
        mou: false,
        censor: true,
    },
];

/// The styles of `--varied` runs: the star site writes years as `20**`.
const VARIED_STYLES: [Style; 7] = {
    let mut s = STYLES;
    s[1].year = "20**";
    s
};

/// One paragraph instance as written: text and its masks (char offsets, kind).
#[derive(Clone, Debug)]
struct Written {
    text: String,
    masks: Vec<(usize, usize, Kind)>,
    origin: u32,
    edits: Edits,
}

/// What was done to a paragraph instance (recorded in the truth).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Edits {
    pub masks: u32,
    pub clause_deleted: bool,
    pub truncated: bool,
    pub half_width: bool,
    pub broken: bool,
    /// Written in traditional characters (a mirror).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub traditional: bool,
    /// Hard-wrapped over several lines.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub wrapped: bool,
}

/// Full-width punctuation and its half-width form.
const WIDTH: [(char, char); 8] = [
    ('，', ','),
    ('。', '.'),
    ('：', ':'),
    ('；', ';'),
    ('！', '!'),
    ('？', '?'),
    ('（', '('),
    ('）', ')'),
];

/// Render an origin as one copy would: masks in `style` with probability `mask_p`
/// each, maybe a clause deleted or the ending truncated, maybe half-width punctuation.
fn render(
    origin: u32,
    pieces: &[Piece],
    style: Option<&Style>,
    mask_p: f64,
    half: bool,
    rng: &mut Rng,
) -> Written {
    let mut edits = Edits {
        half_width: half,
        ..Edits::default()
    };
    // Clause boundaries: piece indices after a comma.
    let mut keep = vec![true; pieces.len()];
    let commas: Vec<usize> = pieces
        .iter()
        .enumerate()
        .filter(|(_, p)| p.text == "，")
        .map(|(i, _)| i)
        .collect();
    let total: usize = pieces.iter().map(|p| p.text.chars().count()).sum();
    if commas.len() >= 3 && rng.chance(0.15) {
        let k = 1 + rng.below(commas.len() - 1);
        let (a, b) = (commas[k - 1] + 1, commas[k] + 1);
        let len: usize = pieces[a..b].iter().map(|p| p.text.chars().count()).sum();
        if len * 4 <= total {
            keep[a..b].iter_mut().for_each(|x| *x = false);
            edits.clause_deleted = true;
        }
    } else if rng.chance(0.05) {
        // Truncate after a sentence end that keeps at least 60% of the text.
        let mut acc = 0;
        for (i, p) in pieces.iter().enumerate() {
            acc += p.text.chars().count();
            if i + 1 < pieces.len()
                && matches!(p.text.as_str(), "。" | "！" | "？")
                && acc * 5 >= total * 3
            {
                keep[i + 1..].iter_mut().for_each(|x| *x = false);
                edits.truncated = true;
                break;
            }
        }
    }
    let mut text = String::new();
    let mut masks = Vec::new();
    let mut n = 0;
    for (p, _) in pieces.iter().zip(&keep).filter(|(_, k)| **k) {
        let masked = match (p.kind, style) {
            (Some(kind), Some(st)) if rng.chance(mask_p) => Some(mask_text(p, kind, st, rng)),
            _ => None,
        };
        let (t, kind) = match masked {
            Some((t, k)) => (t, Some(k)),
            None => (p.text.clone(), None),
        };
        let len = t.chars().count();
        if let Some(k) = kind {
            // A name masked by surname + 某 keeps the surname as text.
            let start = if k == Kind::Entity && t.ends_with('某') && t.chars().count() == 2 {
                n + 1
            } else {
                n
            };
            masks.push((start, n + len, k));
        }
        text.push_str(&t);
        n += len;
    }
    if half {
        text = text
            .chars()
            .map(|c| WIDTH.iter().find(|w| w.0 == c).map_or(c, |w| w.1))
            .collect();
    }
    edits.masks = masks.len() as u32;
    Written {
        text,
        masks,
        origin,
        edits,
    }
}

/// The mask a site style writes for a piece, and the kind the truth records.
fn mask_text(p: &Piece, kind: Kind, st: &Style, rng: &mut Rng) -> (String, Kind) {
    match kind {
        Kind::Entity if p.person && st.censor => ("---".into(), Kind::Redacted),
        Kind::Entity if p.person && st.mou => {
            let first = p.text.chars().next().unwrap_or('张');
            (format!("{first}某"), Kind::Entity)
        }
        Kind::Entity => ((*rng.pick(st.entity)).to_string(), Kind::Entity),
        Kind::Year => {
            let y = if st.year == "201x" {
                // Keeps the decade's first three digits when they are 201.
                let digits: String = p.text.chars().take(3).collect();
                if digits == "201" {
                    "201x".to_string()
                } else {
                    "20XX".to_string()
                }
            } else {
                st.year.to_string()
            };
            (y, Kind::Year)
        }
        Kind::Date => (st.number.into(), Kind::Date),
        _ => (st.number.into(), Kind::Number),
    }
}

/// Source of origins: the source paragraphs in order, then recombined ones.
struct Origins<'a> {
    source: &'a [Vec<Piece>],
    next: usize,
    made: Vec<Vec<Piece>>,
}

impl Origins<'_> {
    /// The next origin's id and pieces.
    fn take(&mut self, rng: &mut Rng) -> (u32, Vec<Piece>) {
        let id = self.next as u32;
        self.next += 1;
        if id as usize >= self.source.len() {
            // Join 2–5 sentences of random source paragraphs into a new origin. Each
            // plain word is swapped for a random source word with probability
            // `REWORD`, so a sentence drawn again reads differently: without it every
            // sentence of a large corpus recurs in about a hundred origins, and
            // unrelated paragraphs share enough shingles to become candidates.
            let mut pieces = Vec::new();
            for _ in 0..2 + rng.below(4) {
                let p = rng.pick(self.source);
                let sents = sentence_ranges(p);
                let (a, b) = *rng.pick(&sents);
                for piece in &p[a..b] {
                    let swap = is_plain_word(piece) && rng.chance(REWORD);
                    match swap.then(|| self.random_word(rng)).flatten() {
                        Some(w) => pieces.push(w),
                        None => pieces.push(piece.clone()),
                    }
                }
            }
            self.made.push(pieces.clone());
            return (id, pieces);
        }
        (id, self.source[id as usize].clone())
    }

    /// A random plain word of the source (a few tries; `None` if none is found).
    fn random_word(&self, rng: &mut Rng) -> Option<Piece> {
        (0..8).find_map(|_| {
            let p = rng.pick(self.source);
            if p.is_empty() {
                return None;
            }
            let w = rng.pick(p);
            is_plain_word(w).then(|| w.clone())
        })
    }
}

/// Share of plain words swapped in a recombined origin (see [`Origins::take`]).
const REWORD: f64 = 0.4;

/// A word that may be swapped: no mask kind, not a name, letters only.
fn is_plain_word(p: &Piece) -> bool {
    p.kind.is_none() && !p.person && !p.text.is_empty() && p.text.chars().all(char::is_alphabetic)
}

/// Piece ranges of the sentences of a paragraph.
fn sentence_ranges(p: &[Piece]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut a = 0;
    for (i, x) in p.iter().enumerate() {
        if matches!(x.text.as_str(), "。" | "！" | "？") {
            out.push((a, i + 1));
            a = i + 1;
        }
    }
    if out.is_empty() {
        out.push((0, p.len()));
    }
    out
}

/// A document: title and origin paragraphs.
struct Doc {
    id: u32,
    title: String,
    paras: Vec<(u32, Vec<Piece>)>,
    extras: varied::Extras,
}

const TITLES: [&str; 8] = [
    "在全县经济工作会议上的讲话",
    "在全市干部大会上的讲话",
    "在创建文明单位动员会上的讲话",
    "在党风廉政建设工作会议上的讲话",
    "在安全生产工作会议上的讲话",
    "在全区优化营商环境大会上的讲话",
    "在年度工作总结会上的发言",
    "在主题教育动员部署会上的讲话",
];

/// A written line and what the truth says of it.
#[derive(Clone, Debug)]
struct OutLine {
    text: String,
    furniture: Option<&'static str>,
    masks: Vec<(usize, usize, Kind)>,
    /// The line continues the previous line's unit (the page broke or wrapped it).
    join_prev: bool,
    /// What kind of unit the line belongs to (`body`, `title`, `list-item`, …).
    unit: &'static str,
}

impl OutLine {
    /// The first line of a unit of this kind.
    fn unit(text: String, unit: &'static str) -> OutLine {
        OutLine {
            text,
            furniture: None,
            masks: Vec::new(),
            join_prev: false,
            unit,
        }
    }

    /// A furniture line.
    fn furniture(text: String, rule: &'static str) -> OutLine {
        OutLine {
            furniture: Some(rule),
            ..OutLine::unit(text, "furniture")
        }
    }
}

/// A file of the corpus, in `truth.json`.
#[derive(Debug, Serialize, Deserialize)]
pub struct TruthFile {
    pub path: String,
    pub encoding: String,
    pub bom: bool,
    pub crlf: bool,
    pub lines: usize,
    /// `wrapped` (hard-wrapped at `wrap_width`) or absent (a unit a line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrap_width: Option<String>,
    /// `traditional` when the file is a traditional-character mirror.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
}

/// A unit of a file: the lines that make up one paragraph, title, list item, … of
/// the page (furniture aside). What the structure stage should give back.
#[derive(Debug, Serialize, Deserialize)]
pub struct TruthUnit {
    pub file: String,
    pub lines: [usize; 2],
    pub kind: String,
}

/// A body paragraph: where it is, which origin it copies, what was done to it.
#[derive(Debug, Serialize, Deserialize)]
pub struct TruthPara {
    pub file: String,
    pub lines: [usize; 2],
    pub origin: u32,
    pub doc: u32,
    #[serde(flatten)]
    pub edits: Edits,
}

/// An inserted mask (character columns in its line, end exclusive).
#[derive(Debug, Serialize, Deserialize)]
pub struct TruthMask {
    pub file: String,
    pub line: usize,
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub kind: Kind,
}

/// A line of site furniture and the rule that should remove it.
#[derive(Debug, Serialize, Deserialize)]
pub struct TruthFurniture {
    pub file: String,
    pub line: usize,
    pub rule: String,
}

/// `truth.json`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Truth {
    pub format: String,
    pub version: u32,
    pub seed: u64,
    pub source_tagged: bool,
    pub stats: SynthStats,
    pub files: Vec<TruthFile>,
    pub paragraphs: Vec<TruthPara>,
    pub masks: Vec<TruthMask>,
    pub furniture: Vec<TruthFurniture>,
    /// Every unit of every file (written by `--varied` runs and later; empty in older
    /// truth files).
    #[serde(default)]
    pub units: Vec<TruthUnit>,
}

fn date_text(rng: &mut Rng) -> String {
    let (y, m, d) = (2015 + rng.below(9), 1 + rng.below(12), 1 + rng.below(28));
    match rng.below(3) {
        0 => format!("{y}-{m:02}-{d:02}"),
        1 => format!("{y}年{m}月{d}日"),
        _ => format!(
            "{y}/{m:02}/{d:02} {:02}:{:02}",
            rng.below(24),
            rng.below(60)
        ),
    }
}

fn top_furniture(rng: &mut Rng, title: &str, out: &mut Vec<OutLine>) {
    let f = OutLine::furniture;
    if rng.chance(0.3) {
        for _ in 0..1 + rng.below(3) {
            out.push(f(date_text(rng), "date-line"));
        }
    }
    if rng.chance(0.3) {
        let d = date_text(rng);
        let t = match rng.below(3) {
            0 => format!("更新时间:{d} 作者:会员上传 下载docx"),
            1 => format!(
                "发布时间：{d}  来源：网友投稿  阅读：{}次",
                100 + rng.below(9000)
            ),
            _ => format!("作者：佚名 来源：本站原创 发布时间：{d}"),
        };
        out.push(f(t, "page-metadata"));
    }
    if rng.chance(0.2) {
        let t = match rng.below(3) {
            0 => format!("本站精心为大家整理了{title}，希望对你有帮助。"),
            1 => format!("以下是小编为大家收集的{title}，仅供参考，欢迎大家阅读。"),
            _ => format!("下面是范文网小编分享的{title}，欢迎阅读与借鉴。"),
        };
        out.push(f(t, "site-intro"));
    }
}

fn bottom_furniture(rng: &mut Rng, out: &mut Vec<OutLine>) {
    if rng.chance(0.3) {
        let prompts = [
            "将本文的Word文档下载到电脑",
            "推荐度：",
            "点击下载文档",
            "【相关推荐】",
            "本文来源于网络，如有侵权请联系删除",
        ];
        let k = 1 + rng.below(3);
        let start = rng.below(prompts.len());
        for j in 0..k {
            out.push(OutLine::furniture(
                prompts[(start + j) % prompts.len()].into(),
                "download-prompt",
            ));
        }
    }
}

/// Text in a shard of a record corpus (`SynthOptions::records`) before the next begins.
pub use crate::records::shards::SHARD_BYTES;

/// Write a synth corpus from `source` into `out` (`out/corpus/` and `out/truth.json`).
pub fn synth(source: &str, seg: &Segmenter, opts: &SynthOptions, out: &Path) -> Result<SynthStats> {
    let (origins, tagged) = read_source(source, seg);
    if origins.len() < 3 {
        return Err(Error::Config(format!(
            "the source holds {} usable paragraphs (one a line, {MIN_PARA_CHARS}+ characters, \
             ending a sentence); at least 3 are needed",
            origins.len()
        )));
    }
    let corpus = out.join("corpus");
    if corpus.exists() {
        return Err(Error::Config(format!(
            "{} exists; synth writes a new corpus into an empty folder",
            corpus.display()
        )));
    }
    std::fs::create_dir_all(&corpus).map_err(|e| Error::io(&corpus, e))?;
    // A record corpus has a folder of shards per site, as a corpus of files has a folder
    // of pages per site: a site's pages come in number order, so the records are in the
    // order of the files' paths, and a run over either sees the same units in turn.
    let mut shards: BTreeMap<String, crate::records::ShardWriter> = BTreeMap::new();
    let mut rng = Rng(opts.seed ^ 0x005E_ED0F_5A17);
    let mut src = Origins {
        source: &origins,
        next: 0,
        made: Vec::new(),
    };
    let mut stats = SynthStats::default();
    let mut truth_files = Vec::new();
    let mut paragraphs = Vec::new();
    let mut masks_out = Vec::new();
    let mut furniture = Vec::new();
    let mut units = Vec::new();
    let mut doc_id = 0u32;
    // `--varied`: its own random stream, names to draw from, and origin ids for the
    // inline lists it writes (above every id the source can give).
    let mut vrng = Rng(opts.seed ^ 0x7A21_ED00_0D0C);
    let pools = varied::Pools::of(&origins);
    let mut next_made_origin = 1u32 << 30;
    let mut file_no = 0usize;
    loop {
        let done = match opts.size {
            Some(s) => stats.bytes >= s,
            None => doc_id as usize >= opts.docs,
        };
        if done {
            break;
        }
        // A batch of documents and their copies, shuffled into files.
        let mut instances: Vec<(usize, usize)> = Vec::new(); // (doc in batch, copy no)
        let mut docs = Vec::new();
        for b in 0..8 {
            let n = 3 + rng.below(6);
            let paras = (0..n).map(|_| src.take(&mut rng)).collect();
            let mut doc = Doc {
                id: doc_id,
                title: rng.pick(&TITLES).to_string(),
                paras,
                extras: varied::Extras::default(),
            };
            if opts.varied {
                let first: String = doc.paras[0].1.iter().map(|p| p.text.as_str()).collect();
                doc.extras = varied::Extras::draw(
                    &mut vrng,
                    &pools,
                    doc.paras.len(),
                    &first,
                    &mut next_made_origin,
                );
                if let Some(h) = &doc.extras.headline {
                    doc.title = h.clone();
                }
            }
            docs.push(doc);
            doc_id += 1;
            let copies = [0, 0, 0, 0, 1, 1, 1, 2, 2, 3][rng.below(10)];
            for c in 0..=copies {
                instances.push((b, c));
            }
        }
        for i in (1..instances.len()).rev() {
            let j = rng.below(i + 1);
            instances.swap(i, j);
        }
        let mut at = 0;
        while at < instances.len() {
            let k = if rng.chance(0.6) { 1 } else { 2 + rng.below(3) }.min(instances.len() - at);
            let group = &instances[at..at + k];
            at += k;
            let site = rng.below(STYLES.len());
            let rel = format!("site{site}/{file_no:06}.txt");
            file_no += 1;
            let mut lines: Vec<OutLine> = Vec::new();
            let mut paras_here: Vec<(usize, usize, u32, u32, Edits)> = Vec::new();
            let first_title = docs[group[0].0].title.clone();
            top_furniture(&mut rng, &first_title, &mut lines);
            let teaser_at = (rng.chance(0.15)).then_some(lines.len());
            let header_style = rng.below(3);
            for (gi, &(b, copy)) in group.iter().enumerate() {
                let doc = &docs[b];
                let styles = if opts.varied { &VARIED_STYLES } else { &STYLES };
                let style = (copy > 0 || rng.chance(0.5)).then(|| &styles[site]);
                let mask_p = 0.4 + 0.6 * (rng.below(100) as f64 / 100.0);
                let half = rng.chance(0.2);
                let num = ["一", "二", "三", "四"][gi];
                if k > 1 {
                    lines.push(OutLine::unit(
                        match header_style {
                            0 => format!("范文{num}"),
                            1 => format!("篇{num}：{}", doc.title),
                            _ => format!("讲话稿范文{num}"),
                        },
                        "header",
                    ));
                }
                if k == 1 || header_style != 1 {
                    lines.push(OutLine::unit(doc.title.clone(), "title"));
                }
                let ex = &doc.extras;
                let mut pen = varied::Pen {
                    style,
                    mask_p,
                    rng: &mut vrng,
                };
                ex.head_lines(&mut pen, &mut lines);
                if rng.chance(0.7) {
                    let s = ex.salutation().unwrap_or("同志们：");
                    lines.push(OutLine::unit(s.into(), "salutation"));
                }
                for (j, (origin, pieces)) in doc.paras.iter().enumerate() {
                    ex.list_lines(j, &mut pen, &mut lines);
                    if let Some((o, pieces, _)) = ex.inline.as_ref().filter(|x| x.2 == j) {
                        let w = render(*o, pieces, style, mask_p, half, pen.rng);
                        let mut l = OutLine::unit(w.text, "body");
                        l.masks = w.masks;
                        lines.push(l);
                        paras_here.push((lines.len() - 1, lines.len() - 1, *o, doc.id, w.edits));
                    }
                    if copy > 0 && rng.chance(0.08) {
                        continue; // this copy dropped the paragraph
                    }
                    let mut w = render(*origin, pieces, style, mask_p, half, &mut rng);
                    let first = lines.len();
                    let n = w.text.chars().count();
                    if n >= 70 && rng.chance(0.1) {
                        if let Some(cut) = break_point(&w.text, &w.masks, &mut rng) {
                            let chars: Vec<char> = w.text.chars().collect();
                            let (a, b2): (String, String) =
                                (chars[..cut].iter().collect(), chars[cut..].iter().collect());
                            let (ma, mb): (Vec<_>, Vec<_>) =
                                w.masks.iter().partition(|m| m.1 <= cut);
                            lines.push(OutLine {
                                masks: ma,
                                ..OutLine::unit(a, "body")
                            });
                            lines.push(OutLine {
                                masks: mb
                                    .into_iter()
                                    .map(|(s, e, k)| (s - cut, e - cut, k))
                                    .collect(),
                                join_prev: true,
                                ..OutLine::unit(b2, "body")
                            });
                            w.edits.broken = true;
                        }
                    }
                    if !w.edits.broken {
                        lines.push(OutLine {
                            masks: std::mem::take(&mut w.masks),
                            ..OutLine::unit(std::mem::take(&mut w.text), "body")
                        });
                    }
                    // A credit on its own line is a unit, not part of the paragraph.
                    let own_line = ex.credit_after(j, &mut pen, &mut lines);
                    let last = lines.len() - 1 - usize::from(own_line);
                    paras_here.push((first, last, w.origin, doc.id, w.edits));
                }
                ex.list_lines(doc.paras.len(), &mut pen, &mut lines);
                if rng.chance(0.3) {
                    lines.push(OutLine::unit("谢谢大家！".into(), "closing"));
                }
            }
            bottom_furniture(&mut rng, &mut lines);
            if let Some(t) = teaser_at {
                let follow: String = lines[t..]
                    .iter()
                    .filter(|l| l.furniture.is_none())
                    .map(|l| l.text.as_str())
                    .collect();
                let head: String = follow.chars().take(40).collect();
                if head.chars().count() == 40 {
                    lines.insert(t, OutLine::furniture(format!("{head}..."), "teaser"));
                    for p in paras_here.iter_mut() {
                        p.0 += 1;
                        p.1 += 1;
                    }
                }
            }
            // Another site's layout and script.
            let look = if opts.varied {
                varied::FileLook::draw(&mut vrng)
            } else {
                varied::FileLook::default()
            };
            if let Some(w) = look.wrap {
                let (wrapped, map) = varied::wrap_lines(std::mem::take(&mut lines), w);
                lines = wrapped;
                for p in paras_here.iter_mut() {
                    let (a, b) = (map[p.0].0, map[p.1].1);
                    p.4.wrapped = b > a;
                    (p.0, p.1) = (a, b);
                }
            }
            if look.traditional {
                varied::to_traditional(&mut lines);
                paras_here.iter_mut().for_each(|p| p.4.traditional = true);
            }
            // Encoding and line ends.
            let crlf = rng.chance(0.1);
            let (mut encoding, mut bom) = match rng.below(20) {
                0..=2 => ("gb18030", false),
                3..=4 => ("utf-8", true),
                _ => ("utf-8", false),
            };
            if look.big5 {
                (encoding, bom) = ("big5", false);
            }
            let nl = if crlf { "\r\n" } else { "\n" };
            let mut text = String::new();
            for l in &lines {
                text.push_str(&l.text);
                text.push_str(nl);
            }
            let mut bytes = Vec::new();
            if bom {
                bytes.extend_from_slice(b"\xEF\xBB\xBF");
            }
            if encoding == "gb18030" {
                let (b, _, _) = encoding_rs::GB18030.encode(&text);
                bytes.extend_from_slice(&b);
            } else if encoding == "big5" {
                // Big5 lacks some characters (encoding_rs would write them as &#…;):
                // such a page stays UTF-8.
                match encoding_rs::BIG5.encode(&text) {
                    (b, _, false) => bytes.extend_from_slice(&b),
                    _ => {
                        encoding = "utf-8";
                        bytes.extend_from_slice(text.as_bytes());
                    }
                }
            } else {
                bytes.extend_from_slice(text.as_bytes());
            }
            match opts.records {
                // A record holds the text: its encoding and byte-order mark are the
                // file's, not the record's.
                Some(format) => {
                    let site = rel.split('/').next().unwrap_or_default().to_string();
                    if !shards.contains_key(&site) {
                        let dir = corpus.join(&site);
                        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
                        let w = crate::records::ShardWriter::new(&dir, format, SHARD_BYTES);
                        shards.insert(site.clone(), w);
                    }
                    shards
                        .get_mut(&site)
                        .expect("just added")
                        .push(&rel, &text)?;
                }
                None => write_atomic(&corpus.join(&rel), &bytes)?,
            }
            // The bytes of the page as a file, records or not, so that `--size` writes
            // the same pages whatever the format.
            stats.bytes += bytes.len() as u64;
            stats.files += 1;
            stats.documents += k;
            stats.paragraphs += paras_here.len();
            if opts.truth {
                for (i, l) in lines.iter().enumerate() {
                    if let Some(rule) = l.furniture {
                        furniture.push(TruthFurniture {
                            file: rel.clone(),
                            line: i + 1,
                            rule: rule.to_string(),
                        });
                    }
                    let chars: Vec<char> = l.text.chars().collect();
                    for &(s, e, kind) in &l.masks {
                        masks_out.push(TruthMask {
                            file: rel.clone(),
                            line: i + 1,
                            start: s,
                            end: e,
                            text: chars[s..e].iter().collect(),
                            kind,
                        });
                    }
                }
                let mut i = 0;
                while i < lines.len() {
                    let mut j = i + 1;
                    while j < lines.len() && lines[j].join_prev {
                        j += 1;
                    }
                    if lines[i].furniture.is_none() {
                        units.push(TruthUnit {
                            file: rel.clone(),
                            lines: [i + 1, j],
                            kind: lines[i].unit.to_string(),
                        });
                    }
                    i = j;
                }
                for (a, b, origin, doc, edits) in paras_here {
                    paragraphs.push(TruthPara {
                        file: rel.clone(),
                        lines: [a + 1, b + 1],
                        origin,
                        doc,
                        edits,
                    });
                }
                truth_files.push(TruthFile {
                    path: rel,
                    encoding: encoding.to_string(),
                    bom,
                    crlf,
                    lines: lines.len(),
                    wrap_width: look
                        .wrap
                        .map(|w| format!("{}{}", w.width, if w.columns { " columns" } else { "" })),
                    script: look.traditional.then(|| "traditional".into()),
                });
            }
            stats.furniture_lines += lines.iter().filter(|l| l.furniture.is_some()).count();
            stats.masks += lines.iter().map(|l| l.masks.len()).sum::<usize>();
        }
    }
    stats.origins = src.next;
    for w in shards.into_values() {
        w.finish()?;
    }
    if opts.truth {
        let truth = Truth {
            format: TRUTH_FORMAT.into(),
            version: 1,
            seed: opts.seed,
            source_tagged: tagged,
            stats,
            files: truth_files,
            paragraphs,
            masks: masks_out,
            furniture,
            units,
        };
        let mut js = serde_json::to_vec(&truth).expect("truth serialises");
        js.push(b'\n');
        write_atomic(&out.join("truth.json"), &js)?;
        return Ok(truth.stats);
    }
    Ok(stats)
}

/// Where to break a paragraph the way a page breaks it: after 35+ characters, not after
/// punctuation, not inside a mask, leaving 20+ characters for the second line.
fn break_point(text: &str, masks: &[(usize, usize, Kind)], rng: &mut Rng) -> Option<usize> {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    for _ in 0..8 {
        let cut = 35 + rng.below(n.saturating_sub(55).max(1));
        if cut + 20 > n {
            continue;
        }
        let (a, b) = (chars[cut - 1], chars[cut]);
        let punct = |c: char| !c.is_alphanumeric();
        if punct(a) || punct(b) || masks.iter().any(|m| m.0 < cut && cut < m.1) {
            continue;
        }
        let first: String = chars[..cut].iter().collect();
        if sentences(&first).len() > 1 && ends_sentence(&first) {
            continue;
        }
        return Some(cut);
    }
    None
}

/// Write `bytes` to `path` through a temp file in the same folder and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir: PathBuf = path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(|e| Error::io(&dir, e))?;
    tmp.write_all(bytes).map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tagged_source_parses_names_compounds_and_numbers() {
        let line =
            "[中央/n  电视台/n]nt  记者/n  江/nr  泽民/nr  １９９８年/t  １２月/t  ５０％/m  。/w";
        let w = parse_tagged(line);
        assert_eq!(w[0], ("中央电视台".into(), "nt".into()));
        assert_eq!(w[2], ("江泽民".into(), "nr".into()));
        let mut p = Vec::new();
        for (a, b) in &w {
            pieces_of(a, b, &mut p);
        }
        let kinds: Vec<(&str, Option<Kind>)> =
            p.iter().map(|x| (x.text.as_str(), x.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("中央电视台", Some(Kind::Entity)),
                ("记者", None),
                ("江泽民", Some(Kind::Entity)),
                ("１９９８", Some(Kind::Year)),
                ("年", None),
                ("１２", Some(Kind::Date)),
                ("月", None),
                ("５０", Some(Kind::Number)),
                ("％", None),
                ("。", None),
            ]
        );
        assert!(looks_tagged(&[line]));
        assert!(!looks_tagged(&["同志们：今天召开会议。"]));
    }

    #[test]
    fn render_records_masks_where_they_are() {
        let mut rng = Rng(3);
        let pieces = vec![
            Piece {
                text: "江泽民".into(),
                kind: Some(Kind::Entity),
                person: true,
            },
            Piece {
                text: "在".into(),
                kind: None,
                person: false,
            },
            Piece {
                text: "1998".into(),
                kind: Some(Kind::Year),
                person: false,
            },
            Piece {
                text: "年讲话。".into(),
                kind: None,
                person: false,
            },
        ];
        for st in &STYLES {
            let w = render(0, &pieces, Some(st), 1.0, false, &mut rng);
            assert_eq!(w.masks.len(), 2, "{st:?} {}", w.text);
            let chars: Vec<char> = w.text.chars().collect();
            for &(s, e, _) in &w.masks {
                let t: String = chars[s..e].iter().collect();
                assert!(!t.contains('江') && !t.contains("1998"), "{t}");
            }
        }
    }
}
