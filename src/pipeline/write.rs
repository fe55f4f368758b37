//! The write phase of one file: the fate of each line, the clean text, the
//! placeholder lines, the removed runs and the file's counts.

use super::*;

/// What the write phase produced for one file.
pub struct FileOutput {
    /// Lines of `removed.jsonl`.
    pub removed: Vec<u8>,
    /// Lines of `placeholders.jsonl`.
    pub placeholders: Vec<u8>,
    pub counts: FileCounts,
}

/// A file's share of `summary.json` from the write phase.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FileCounts {
    /// A cleaned file was written (not every paragraph was removed).
    pub wrote: bool,
    pub boilerplate_lines: usize,
    pub empty_lines: usize,
    /// Lines whose HTML markup was decoded or dropped.
    #[serde(default)]
    pub markup_lines: usize,
    /// Masks by kind.
    pub kinds: Vec<(Kind, usize)>,
    /// Furniture lines by rule name.
    pub rules: Vec<(String, usize)>,
    pub removed_paragraphs: PerLevel,
    pub removed_documents: usize,
}

/// Why a line does not reach `clean/` as it was.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Fate {
    Kept,
    Empty,
    Furniture(RuleId),
    Duplicate(u32),
}

impl Engine {
    /// Put file `f`'s cleaned text to `out` and return its report lines.
    /// `para_removed` and `doc_removed` hold, for each of its paragraphs and documents,
    /// the cluster that removes it. The file is read again from `input` and must not
    /// have changed.
    pub fn write_file(
        &self,
        input: &dyn Source,
        out: &dyn CleanOut,
        f: FileRef,
        para_removed: &[Option<u32>],
        doc_removed: &[Option<u32>],
    ) -> std::result::Result<FileOutput, FileError> {
        self.write_again(input, out, f, None, para_removed, doc_removed)
    }

    /// [`Engine::write_file`] with the file's [`Marks`] from the analyze phase, if it
    /// kept them.
    pub(super) fn write_again(
        &self,
        input: &dyn Source,
        out: &dyn CleanOut,
        f: FileRef,
        marks: Option<&Marks>,
        para_removed: &[Option<u32>],
        doc_removed: &[Option<u32>],
    ) -> std::result::Result<FileOutput, FileError> {
        let cfg = &self.cfg;
        let src = input.unit(f.rel_path);
        let mut stage_ns = StageNs::default();
        // The analyze phase already chose the encoding: no second detection. (UTF-8 is
        // detected again because its strict check is cheaper than a forced decode.)
        let forced = cfg.encoding.or_else(|| {
            (f.encoding != encoding_rs::UTF_8.name())
                .then(|| encoding_rs::Encoding::for_label(f.encoding.as_bytes()))
                .flatten()
        });
        let r = read_decode(input, &src, forced, &mut stage_ns)?;
        let (hash, decoded) = (r.hash, r.dec);
        if hash != f.hash {
            return Err(f.error(FileErrorKind::Changed));
        }
        let keep = cfg.keep_boilerplate;
        let _big = release::Big::new(decoded.text.len() as u64);
        let lines = split_lines(&decoded.text);
        drop(decoded);
        let prep = match marks {
            Some(m) => prepare_marked_lines(lines, m, keep)
                .unwrap_or_else(|lines| prepare_lines(lines, &self.boiler, keep)),
            None => prepare_lines(lines, &self.boiler, keep),
        }
        .for_writing();
        self.write_prepared(out, f, &prep, para_removed, doc_removed)
    }

    /// [`Engine::write_file`] with the file's text stages at hand (kept from the
    /// analyze phase, or just done again).
    pub fn write_prepared(
        &self,
        out: &dyn CleanOut,
        f: FileRef,
        prep: &Prepared,
        para_removed: &[Option<u32>],
        doc_removed: &[Option<u32>],
    ) -> std::result::Result<FileOutput, FileError> {
        let cfg = &self.cfg;
        let boiler = &self.boiler;
        let _big = release::Big::new(prep.paras.iter().map(|p| p.text.len() as u64).sum());
        if prep.paras.len() != f.paragraphs
            || para_removed.len() != prep.paras.len()
            || doc_removed.len() != prep.docs.len()
        {
            return Err(f.error(FileErrorKind::Internal(
                "paragraph count differs between phases",
            )));
        }
        // fates -> clean text -> placeholder lines -> removed runs -> counts
        let fates = fates(prep, para_removed, doc_removed);
        let clean = clean_text(prep, &fates.out, cfg);
        let (places, kinds) = placeholder_lines(prep, f.rel_path, cfg.mask_style);
        let wrote = !clean.is_empty();
        if wrote {
            out.clean(f.rel_path, clean.as_bytes())
                .map_err(|e| f.error(FileErrorKind::Write(e.to_string())))?;
        }
        drop(clean);
        let runs = removed_runs(prep, &fates, f.rel_path, boiler, cfg.keep_boilerplate);
        let counts = FileCounts {
            wrote,
            boilerplate_lines: runs.boilerplate_lines,
            empty_lines: runs.empty_lines,
            markup_lines: prep.lines.iter().filter(|l| l.markup.is_some()).count(),
            kinds: kinds.into_iter().collect(),
            rules: runs
                .rules
                .into_iter()
                .map(|(r, n)| (boiler.names()[r as usize].clone(), n))
                .collect(),
            removed_paragraphs: fates.removed_paragraphs,
            removed_documents: fates.removed_documents,
        };
        let removed = runs.lines;
        Ok(FileOutput {
            removed,
            placeholders: places,
            counts,
        })
    }
}

/// A removed run of a paragraph's parts: (index of its first line, line numbers,
/// columns, cluster).
type PartRecord = (usize, [u32; 2], [u32; 2], u32);

/// What becomes of a file's lines and paragraphs.
pub(super) struct Fates {
    /// Of each line.
    pub(super) fate: Vec<Fate>,
    /// Each paragraph reaches `clean/`.
    pub(super) out: Vec<bool>,
    /// Runs of removed parts that are not whole paragraphs, in order.
    pub(super) parts: Vec<PartRecord>,
    pub(super) removed_paragraphs: PerLevel,
    pub(super) removed_documents: usize,
}

/// Step 1: the fate of every line (furniture, empty, a copy's cluster, kept) and of
/// every paragraph.
pub(super) fn fates(
    prep: &Prepared,
    para_removed: &[Option<u32>],
    doc_removed: &[Option<u32>],
) -> Fates {
    let n = prep.paras.len();
    let mut fate: Vec<Fate> = prep
        .lines
        .iter()
        .zip(&prep.furniture)
        .map(|(l, r)| match r {
            Some(rule) => Fate::Furniture(*rule),
            None if l.is_blank() => Fate::Empty,
            None => Fate::Kept,
        })
        .collect();
    let mut out: Vec<bool> = vec![true; n];
    // A removed part of a page-long paragraph is a record of its own, with columns,
    // unless all the paragraph's parts go with one cluster (see below).
    let part_cols = parts::cols(&prep.paras, &prep.lines);
    let mut part_removed: Vec<Option<u32>> = vec![None; n];
    let mut remove = |pi: usize, c: u32, fate: &mut [Fate]| {
        let p = &prep.paras[pi];
        match part_cols[pi] {
            Some(_) => part_removed[pi] = Some(c),
            None => fate[p.first..=p.last].fill(Fate::Duplicate(c)),
        }
    };
    for pi in 0..n {
        if let Some(c) = para_removed[pi] {
            out[pi] = false;
            remove(pi, c, &mut fate);
        }
    }
    let mut removed_documents = 0;
    let mut in_removed_doc = vec![false; n];
    for (di, d) in prep.docs.iter().enumerate() {
        if let Some(c) = doc_removed[di] {
            removed_documents += 1;
            for pi in d.paras.clone() {
                in_removed_doc[pi] = true;
                out[pi] = false;
                remove(pi, c, &mut fate);
            }
        }
    }
    // Runs of a paragraph's parts removed by one cluster are one record; a run that is
    // the whole paragraph is its lines, as for a paragraph that was not cut.
    let mut part_records: Vec<PartRecord> = Vec::new();
    let mut pi = 0;
    while pi < n {
        let Some(c) = part_removed[pi] else {
            pi += 1;
            continue;
        };
        let mut pj = pi;
        while prep.paras[pj].glued && part_removed.get(pj + 1) == Some(&Some(c)) {
            pj += 1;
        }
        let (a, b) = (&prep.paras[pi], &prep.paras[pj]);
        let whole = (pi == 0 || !prep.paras[pi - 1].glued) && !b.glued;
        if whole {
            fate[a.first..=b.last].fill(Fate::Duplicate(c));
        } else if let (Some(ca), Some(cb)) = (part_cols[pi], part_cols[pj]) {
            let lines = [prep.lines[a.first].no, prep.lines[b.last].no];
            part_records.push((a.first, lines, [ca[0], cb[1]], c));
        }
        pi = pj + 1;
    }
    // A paragraph inside a removed document counts at document level; any other removed
    // copy at paragraph level.
    let mut removed_paragraphs = PerLevel::default();
    for (pi, in_doc) in in_removed_doc.iter().enumerate() {
        if *in_doc {
            removed_paragraphs.document += 1;
        } else if para_removed[pi].is_some() {
            removed_paragraphs.paragraph += 1;
        }
    }
    Fates {
        fate,
        out,
        parts: part_records,
        removed_paragraphs,
        removed_documents,
    }
}

/// Step 2: the clean text, masks normalised and the script as `--script` says; the
/// kept parts of a page-long paragraph on one line again. Sized before it is filled,
/// so a page-long file's text is not copied as it grows.
pub(super) fn clean_text(prep: &Prepared, out: &[bool], cfg: &Config) -> String {
    let mut clean = String::with_capacity(
        prep.paras
            .iter()
            .zip(out)
            .filter(|(_, &o)| o)
            .map(|(p, _)| p.text.len() + 1)
            .sum(),
    );
    let mut line_open = false;
    for (pi, p) in prep.paras.iter().enumerate() {
        if out[pi] {
            let masked = placeholders::apply(&p.text, &prep.spans[pi], cfg.mask_style);
            clean.push_str(&script::to_script(&masked, cfg.script));
            line_open = true;
        }
        if !p.glued && std::mem::take(&mut line_open) {
            clean.push('\n');
        }
    }
    clean
}

/// Step 3: the `placeholders.jsonl` lines of every mask (kept or removed text alike),
/// at original line columns, and the masks by kind.
pub(super) fn placeholder_lines(
    prep: &Prepared,
    rel_path: &str,
    style: crate::config::MaskStyle,
) -> (Vec<u8>, BTreeMap<Kind, usize>) {
    let mut places = Vec::new();
    let place_lines = PlaceholderLines::new(rel_path);
    let mut text = String::new();
    let mut kinds: BTreeMap<Kind, usize> = BTreeMap::new();
    for (p, spans) in prep.paras.iter().zip(&prep.spans) {
        if spans.is_empty() {
            continue;
        }
        let chars: Vec<char> = p.text.chars().collect();
        for s in spans {
            *kinds.entry(s.kind).or_default() += 1;
            let (li, col, piece_end) = p.locate(s.start, chars.len());
            let line = &prep.lines[li];
            let end_in_piece = s.end.min(piece_end) - (s.start - col);
            text.clear();
            text.extend(&chars[s.start..s.end]);
            let replacement = placeholders::replacement(s.kind, &text, style);
            place_lines.push(
                &mut places,
                line.no,
                [line.orig_col(col), line.orig_end(end_in_piece - 1)],
                &text,
                s.kind,
                replacement.as_deref().unwrap_or(&text),
            );
        }
    }
    (places, kinds)
}

/// The `removed.jsonl` lines of a file and what they add up to.
pub(super) struct Runs {
    pub(super) lines: Vec<u8>,
    /// Furniture lines by rule.
    pub(super) rules: BTreeMap<RuleId, usize>,
    pub(super) boilerplate_lines: usize,
    pub(super) empty_lines: usize,
}

/// Step 4: `removed.jsonl`: runs of lines with the same fate, and removed parts, in
/// order of their first line (a part before a run that starts on its line).
pub(super) fn removed_runs(
    prep: &Prepared,
    fates: &Fates,
    rel_path: &str,
    boiler: &Boilerplate,
    keep_boilerplate: bool,
) -> Runs {
    let fate = &fates.fate;
    let mut removed = Vec::new();
    let mut parts_left = fates.parts.iter().copied().peekable();
    let mut push_parts = |before: usize, removed: &mut Vec<u8>| {
        while let Some((_, lines, cols, c)) = parts_left.next_if(|&(first, ..)| first < before) {
            let r = RemovedRecord {
                file: rel_path,
                lines,
                cols: Some(cols),
                reason: Reason::Duplicate,
                rule: None,
                cluster: Some(c),
                kept: None,
            };
            push_jsonl(removed, &r);
        }
    };
    let mut runs = Runs {
        lines: Vec::new(),
        rules: BTreeMap::new(),
        boilerplate_lines: 0,
        empty_lines: 0,
    };
    let mut i = 0;
    while i < fate.len() {
        let mut j = i + 1;
        while j < fate.len() && fate[j] == fate[i] {
            j += 1;
        }
        let lines = [prep.lines[i].no, prep.lines[j - 1].no];
        let record = |reason, rule, cluster, kept| RemovedRecord {
            file: rel_path,
            lines,
            cols: None,
            reason,
            rule,
            cluster,
            kept,
        };
        let rec = match fate[i] {
            Fate::Kept => None,
            Fate::Empty => {
                runs.empty_lines += j - i;
                Some(record(Reason::Empty, Some("blank-line"), None, None))
            }
            Fate::Furniture(r) => {
                runs.boilerplate_lines += j - i;
                *runs.rules.entry(r).or_default() += j - i;
                let name = Some(boiler.names()[r as usize].as_str());
                Some(record(
                    Reason::Boilerplate,
                    name,
                    None,
                    keep_boilerplate.then_some(true),
                ))
            }
            Fate::Duplicate(c) => Some(record(Reason::Duplicate, None, Some(c), None)),
        };
        if let Some(r) = rec {
            push_parts(i + 1, &mut removed);
            push_jsonl(&mut removed, &r);
        }
        i = j;
    }
    push_parts(usize::MAX, &mut removed);
    runs.lines = removed;
    runs
}
