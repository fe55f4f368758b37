//! `zhclean eval`: score a report folder against a synth corpus's `truth.json`.
//!
//! - Paragraph duplicates, pairwise: every pair of paragraphs that copy one origin is a
//!   true pair; every pair of members of one `level: "paragraph"` cluster is a found
//!   pair. A member is matched to the truth paragraph holding its first line. Recall is
//!   also given per kind of pair: neither copy masked, at least one masked, at least one
//!   with a clause deleted or its ending cut.
//! - Placeholders: a reported span is right when file, line, start and end equal an
//!   inserted mask's; the share of right spans with the inserted kind is given apart.
//! - Furniture: line precision and recall of `removed.jsonl` entries with
//!   `reason: "boilerplate"` against the furniture lines.
//!
//! A report without `placeholders.jsonl` or `removed.jsonl` (a baseline that only finds
//! duplicates) is scored on clusters alone.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::synth::{Truth, TRUTH_FORMAT};

/// Precision and recall counts.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq)]
pub struct Prf {
    pub true_positives: u64,
    pub found: u64,
    pub expected: u64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl Prf {
    fn new(tp: u64, found: u64, expected: u64) -> Self {
        let precision = if found == 0 {
            1.0
        } else {
            tp as f64 / found as f64
        };
        let recall = if expected == 0 {
            1.0
        } else {
            tp as f64 / expected as f64
        };
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        Prf {
            true_positives: tp,
            found,
            expected,
            precision,
            recall,
            f1,
        }
    }
}

/// Recall of one kind of true pair.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PairRecall {
    pub pairs: &'static str,
    pub expected: u64,
    pub found: u64,
    pub recall: f64,
}

/// Every score of one report.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Scores {
    pub paragraph_pairs: Prf,
    pub pair_recall: Vec<PairRecall>,
    /// Cluster members that match no truth paragraph (titles, salutations, headers).
    pub unmatched_members: u64,
    pub placeholders: Option<Prf>,
    /// Share of right spans whose kind equals the inserted kind.
    pub placeholder_kind_accuracy: Option<f64>,
    pub furniture: Option<Prf>,
    /// Paragraph recovery, when the truth lists units and the corpus is at hand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub units: Option<UnitScores>,
}

/// How well the structure stage gives back the units of the pages.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct UnitScores {
    /// Truth units, and those that some paragraph of the structure stage covers
    /// exactly (same first and last line).
    pub units: u64,
    pub exact: u64,
    pub exact_share: f64,
    /// The same per kind of unit (`body`, `title`, `list-item`, …) and per layout
    /// (`wrapped`, `traditional`): `[exact, units]`.
    pub by_kind: BTreeMap<String, [u64; 2]>,
    /// Line breaks: a join is two adjacent lines in one unit (truth) or one paragraph
    /// (found).
    pub joins: Prf,
}

/// Unit and join counts over pages, for [`UnitScores`].
#[derive(Debug, Default)]
pub struct UnitTally {
    units: u64,
    exact: u64,
    by_kind: BTreeMap<String, [u64; 2]>,
    join_tp: u64,
    join_found: u64,
    join_want: u64,
}

impl UnitTally {
    /// Score one page: `text` as decoded, prepared as `zhclean clean` prepares it
    /// (`boiler`'s furniture rules), against its true `units` (1-based line ranges,
    /// inclusive, and kinds). Each unit also counts under every key of `tags` (layout,
    /// source).
    pub fn page(
        &mut self,
        text: &str,
        units: &[([usize; 2], &str)],
        tags: &[&str],
        boiler: &crate::boilerplate::Boilerplate,
    ) {
        let prep = crate::pipeline::prepare(text, boiler, false);
        let no = |i: usize| prep.lines[i].no as usize;
        // A page-long paragraph's parts are one unit here.
        let wholes = crate::parts::wholes(&prep.paras);
        let found: HashSet<(usize, usize)> = wholes
            .iter()
            .map(|w| {
                (
                    no(prep.paras[w.start].first),
                    no(prep.paras[w.end - 1].last),
                )
            })
            .collect();
        let mut found_joins: HashSet<usize> = HashSet::new();
        for w in &wholes {
            let lines: Vec<usize> = prep.paras[w.clone()]
                .iter()
                .flat_map(|p| p.pieces.iter().map(|&(l, _)| no(l)))
                .collect();
            for pair in lines.windows(2) {
                if pair[1] == pair[0] + 1 {
                    found_joins.insert(pair[0]);
                }
            }
        }
        let mut want_joins: HashSet<usize> = HashSet::new();
        for &(lines, kind) in units {
            let hit = found.contains(&(lines[0], lines[1]));
            self.units += 1;
            self.exact += hit as u64;
            for k in std::iter::once(kind).chain(tags.iter().copied()) {
                let e = self.by_kind.entry(k.to_string()).or_default();
                e[0] += hit as u64;
                e[1] += 1;
            }
            want_joins.extend(lines[0]..lines[1]);
        }
        self.join_want += want_joins.len() as u64;
        self.join_found += found_joins.len() as u64;
        self.join_tp += found_joins.intersection(&want_joins).count() as u64;
    }

    pub fn scores(&self) -> UnitScores {
        UnitScores {
            units: self.units,
            exact: self.exact,
            exact_share: if self.units == 0 {
                1.0
            } else {
                self.exact as f64 / self.units as f64
            },
            by_kind: self.by_kind.clone(),
            joins: Prf::new(self.join_tp, self.join_found, self.join_want),
        }
    }
}

/// Score the structure stage on the corpus the truth describes: each file is decoded
/// and prepared as `zhclean clean` does (built-in furniture rules), and its paragraphs'
/// line ranges are compared with the truth's units.
pub fn eval_units(truth: &Truth, corpus: &Path) -> Result<Option<UnitScores>> {
    if truth.units.is_empty() {
        return Ok(None);
    }
    let boiler = crate::boilerplate::Boilerplate::builtin();
    let mut by_file: BTreeMap<&str, Vec<([usize; 2], &str)>> = BTreeMap::new();
    for u in &truth.units {
        by_file
            .entry(u.file.as_str())
            .or_default()
            .push((u.lines, u.kind.as_str()));
    }
    let look: HashMap<&str, &crate::synth::TruthFile> =
        truth.files.iter().map(|f| (f.path.as_str(), f)).collect();
    let mut tally = UnitTally::default();
    let records = record_texts(corpus)?;
    for (file, units) in by_file {
        let path = corpus.join(file);
        let bytes = match &records {
            Some(texts) => texts
                .get(file)
                .cloned()
                .ok_or_else(|| Error::Config(format!("{}: no record {file}", corpus.display())))?,
            None => std::fs::read(&path).map_err(|e| Error::io(&path, e))?,
        };
        let dec = crate::decode::decode(&bytes, None)
            .map_err(|e| Error::Config(format!("{}: {e:?}", path.display())))?;
        let mut tags = Vec::new();
        if let Some(f) = look.get(file) {
            if f.wrap_width.is_some() {
                tags.push("layout: wrapped");
            }
            if f.script.is_some() {
                tags.push("layout: traditional");
            }
        }
        tally.page(&dec.text, &units, &tags, &boiler);
    }
    Ok(Some(tally.scores()))
}

/// The texts of a corpus written as records (`zhclean synth --format`), by id; None for
/// a corpus of files.
fn record_texts(corpus: &Path) -> Result<Option<HashMap<String, Vec<u8>>>> {
    use crate::records::source::{RecordOptions, Standalone};
    use crate::source::Source;
    let auto = crate::InputFormat::Auto.resolve(corpus, &["txt".to_string()]);
    let Some(format) = auto.records() else {
        return Ok(None);
    };
    let opts = RecordOptions {
        id_field: Some("id".into()),
        ..RecordOptions::default()
    };
    let standalone = Standalone::open(corpus, format, opts)?;
    let src = standalone.records();
    let w = src.list();
    if let Some(f) = w.failed.first() {
        return Err(Error::Config(format!("{}: {f}", corpus.display())));
    }
    let mut texts = HashMap::new();
    for u in &w.sources {
        let id = crate::records::split_name(&u.rel_path)
            .1
            .unwrap_or_default();
        let bytes = src.read(u).map_err(|e| Error::io(corpus, e))?;
        texts.insert(id.to_string(), bytes);
    }
    Ok(Some(texts))
}

fn read_jsonl(path: &Path) -> Result<Option<Vec<Value>>> {
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v = serde_json::from_str(line)
            .map_err(|e| Error::Config(format!("{}:{}: not JSON: {e}", path.display(), i + 1)))?;
        out.push(v);
    }
    Ok(Some(out))
}

fn field<'a>(v: &'a Value, k: &str, path: &Path) -> Result<&'a Value> {
    v.get(k)
        .ok_or_else(|| Error::Config(format!("{}: a record lacks '{k}'", path.display())))
}

fn as_u64(v: &Value, k: &str, path: &Path) -> Result<u64> {
    field(v, k, path)?
        .as_u64()
        .ok_or_else(|| Error::Config(format!("{}: '{k}' is not a number", path.display())))
}

fn as_str<'a>(v: &'a Value, k: &str, path: &Path) -> Result<&'a str> {
    field(v, k, path)?
        .as_str()
        .ok_or_else(|| Error::Config(format!("{}: '{k}' is not a string", path.display())))
}

/// The unit a report line names: its `record` for a record (a synth corpus written as
/// records names each by the file it stands for), else its `file`.
fn unit_of<'a>(v: &'a Value, path: &Path) -> Result<&'a str> {
    match v.get("record").and_then(Value::as_str) {
        Some(r) => Ok(r),
        None => as_str(v, "file", path),
    }
}

fn lines_of(v: &Value, path: &Path) -> Result<(u64, u64)> {
    let l = field(v, "lines", path)?;
    match (
        l.get(0).and_then(Value::as_u64),
        l.get(1).and_then(Value::as_u64),
    ) {
        (Some(a), Some(b)) if a <= b => Ok((a, b)),
        _ => Err(Error::Config(format!(
            "{}: 'lines' is not [first, last]",
            path.display()
        ))),
    }
}

/// Read and check `truth.json`.
pub fn read_truth(path: &Path) -> Result<Truth> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let t: Truth = serde_json::from_slice(&bytes)
        .map_err(|e| Error::Config(format!("{}: not a synth truth file: {e}", path.display())))?;
    if t.format != TRUTH_FORMAT || t.version != 1 {
        return Err(Error::Config(format!(
            "{}: format '{}' version {} (expected '{TRUTH_FORMAT}' version 1)",
            path.display(),
            t.format,
            t.version
        )));
    }
    Ok(t)
}

/// Score the report in `report_dir` against `truth`.
pub fn eval(truth: &Truth, report_dir: &Path) -> Result<Scores> {
    // Truth paragraph of every (file, line).
    let mut at: HashMap<(&str, u64), u32> = HashMap::new();
    for (i, p) in truth.paragraphs.iter().enumerate() {
        for l in p.lines[0]..=p.lines[1] {
            at.insert((p.file.as_str(), l as u64), i as u32);
        }
    }
    let mut by_origin: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (i, p) in truth.paragraphs.iter().enumerate() {
        by_origin.entry(p.origin).or_default().push(i as u32);
    }
    let mut true_pairs: HashSet<(u32, u32)> = HashSet::new();
    for v in by_origin.values() {
        for (x, &a) in v.iter().enumerate() {
            for &b in &v[x + 1..] {
                true_pairs.insert((a, b));
            }
        }
    }

    let clusters_path = report_dir.join("clusters.jsonl");
    let clusters = read_jsonl(&clusters_path)?
        .ok_or_else(|| Error::Config(format!("{}: missing", clusters_path.display())))?;
    let mut found_pairs: HashSet<(u32, u32)> = HashSet::new();
    let mut unmatched = 0;
    for c in &clusters {
        if c.get("level")
            .and_then(Value::as_str)
            .unwrap_or("paragraph")
            != "paragraph"
        {
            continue;
        }
        let members = field(c, "members", &clusters_path)?
            .as_array()
            .ok_or_else(|| {
                Error::Config(format!(
                    "{}: 'members' is not a list",
                    clusters_path.display()
                ))
            })?;
        let mut ids = Vec::new();
        for m in members {
            let file = unit_of(m, &clusters_path)?;
            let (a, _) = lines_of(m, &clusters_path)?;
            match at.get(&(file, a)) {
                Some(&id) => ids.push(id),
                None => unmatched += 1,
            }
        }
        ids.sort_unstable();
        ids.dedup();
        for (x, &a) in ids.iter().enumerate() {
            for &b in &ids[x + 1..] {
                found_pairs.insert((a, b));
            }
        }
    }
    let tp = found_pairs.intersection(&true_pairs).count() as u64;
    let paragraph_pairs = Prf::new(tp, found_pairs.len() as u64, true_pairs.len() as u64);

    let para = |i: u32| &truth.paragraphs[i as usize].edits;
    type PairKind<'a> = (&'static str, Box<dyn Fn(u32, u32) -> bool + 'a>);
    let kinds: [PairKind; 5] = [
        (
            "neither copy masked",
            Box::new(|a, b| para(a).masks == 0 && para(b).masks == 0),
        ),
        (
            "a copy masked",
            Box::new(|a, b| para(a).masks > 0 || para(b).masks > 0),
        ),
        (
            "a clause deleted or the ending cut",
            Box::new(|a, b| {
                let e = |x: u32| para(x).clause_deleted || para(x).truncated;
                e(a) || e(b)
            }),
        ),
        (
            "simplified vs traditional copy",
            Box::new(|a, b| para(a).traditional != para(b).traditional),
        ),
        (
            "wrapped vs unwrapped copy",
            Box::new(|a, b| para(a).wrapped != para(b).wrapped),
        ),
    ];
    let pair_recall = kinds
        .iter()
        .map(|(name, pred)| {
            let expected = true_pairs.iter().filter(|&&(a, b)| pred(a, b)).count() as u64;
            let found = true_pairs
                .iter()
                .filter(|&&(a, b)| pred(a, b) && found_pairs.contains(&(a, b)))
                .count() as u64;
            PairRecall {
                pairs: name,
                expected,
                found,
                recall: if expected == 0 {
                    1.0
                } else {
                    found as f64 / expected as f64
                },
            }
        })
        .collect();

    // Placeholders.
    let ph_path = report_dir.join("placeholders.jsonl");
    let (placeholders, placeholder_kind_accuracy) = match read_jsonl(&ph_path)? {
        None => (None, None),
        Some(recs) => {
            let want: HashMap<(&str, u64, u64, u64), &crate::placeholders::Kind> = truth
                .masks
                .iter()
                .map(|m| {
                    (
                        (m.file.as_str(), m.line as u64, m.start as u64, m.end as u64),
                        &m.kind,
                    )
                })
                .collect();
            let (mut right, mut kind_right) = (0u64, 0u64);
            for r in &recs {
                let key = (
                    unit_of(r, &ph_path)?,
                    as_u64(r, "line", &ph_path)?,
                    as_u64(r, "start", &ph_path)?,
                    as_u64(r, "end", &ph_path)?,
                );
                if let Some(k) = want.get(&key) {
                    right += 1;
                    if as_str(r, "kind", &ph_path)? == k.name() {
                        kind_right += 1;
                    }
                }
            }
            let prf = Prf::new(right, recs.len() as u64, want.len() as u64);
            let acc = if right == 0 {
                1.0
            } else {
                kind_right as f64 / right as f64
            };
            (Some(prf), Some(acc))
        }
    };

    // Furniture lines.
    let rm_path = report_dir.join("removed.jsonl");
    let furniture = match read_jsonl(&rm_path)? {
        None => None,
        Some(recs) => {
            let want: HashSet<(&str, u64)> = truth
                .furniture
                .iter()
                .map(|f| (f.file.as_str(), f.line as u64))
                .collect();
            let mut got: HashSet<(String, u64)> = HashSet::new();
            for r in &recs {
                if r.get("reason").and_then(Value::as_str) != Some("boilerplate") {
                    continue;
                }
                let file = unit_of(r, &rm_path)?;
                let (a, b) = lines_of(r, &rm_path)?;
                for l in a..=b {
                    got.insert((file.to_string(), l));
                }
            }
            let tp = got
                .iter()
                .filter(|(f, l)| want.contains(&(f.as_str(), *l)))
                .count();
            Some(Prf::new(tp as u64, got.len() as u64, want.len() as u64))
        }
    };

    Ok(Scores {
        paragraph_pairs,
        pair_recall,
        unmatched_members: unmatched,
        placeholders,
        placeholder_kind_accuracy,
        furniture,
        units: None,
    })
}

/// The scores as a text table.
pub fn render(s: &Scores) -> String {
    let mut out = String::new();
    let row = |out: &mut String, name: &str, p: &Prf| {
        out.push_str(&format!(
            "{name:<22} precision {:.4}  recall {:.4}  F1 {:.4}  ({} right of {} found, {} expected)\n",
            p.precision, p.recall, p.f1, p.true_positives, p.found, p.expected
        ));
    };
    row(&mut out, "paragraph pairs", &s.paragraph_pairs);
    for r in &s.pair_recall {
        out.push_str(&format!(
            "  recall, {:<36} {:.4}  ({} of {})\n",
            r.pairs, r.recall, r.found, r.expected
        ));
    }
    if s.unmatched_members > 0 {
        out.push_str(&format!(
            "  {} cluster members match no body paragraph\n",
            s.unmatched_members
        ));
    }
    match &s.placeholders {
        Some(p) => {
            row(&mut out, "placeholder spans", p);
            out.push_str(&format!(
                "  kind as inserted: {:.4} of right spans\n",
                s.placeholder_kind_accuracy.unwrap_or(1.0)
            ));
        }
        None => out.push_str("placeholder spans      (no placeholders.jsonl)\n"),
    }
    match &s.furniture {
        Some(p) => row(&mut out, "furniture lines", p),
        None => out.push_str("furniture lines        (no removed.jsonl)\n"),
    }
    if let Some(u) = &s.units {
        out.push_str(&format!(
            "paragraph units        exact {:.4}  ({} of {})\n",
            u.exact_share, u.exact, u.units
        ));
        for (k, [e, n]) in &u.by_kind {
            out.push_str(&format!(
                "  {k:<38} {:.4}  ({e} of {n})\n",
                *e as f64 / (*n).max(1) as f64
            ));
        }
        row(&mut out, "line-break joins", &u.joins);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prf_edges() {
        let p = Prf::new(0, 0, 0);
        assert_eq!((p.precision, p.recall), (1.0, 1.0));
        let p = Prf::new(3, 4, 6);
        assert!((p.precision - 0.75).abs() < 1e-12 && (p.recall - 0.5).abs() < 1e-12);
        assert!((p.f1 - 0.6).abs() < 1e-12);
    }
}
