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
    /// Write file `f`'s cleaned text under `clean_root` and return its report lines.
    /// `para_removed` and `doc_removed` hold, for each of its paragraphs and documents,
    /// the cluster that removes it. The file is read again and must not have changed.
    pub fn write_file(
        &self,
        clean_root: &Path,
        f: FileRef,
        para_removed: &[Option<u32>],
        doc_removed: &[Option<u32>],
    ) -> std::result::Result<FileOutput, Skipped> {
        self.write_again(clean_root, f, None, para_removed, doc_removed)
    }

    /// [`Engine::write_file`] with the file's [`Marks`] from the analyze phase, if it
    /// kept them.
    pub(super) fn write_again(
        &self,
        clean_root: &Path,
        f: FileRef,
        marks: Option<&Marks>,
        para_removed: &[Option<u32>],
        doc_removed: &[Option<u32>],
    ) -> std::result::Result<FileOutput, Skipped> {
        let cfg = &self.cfg;
        let fail = |reason: String| f.skipped(reason);
        let src = Source {
            rel_path: f.rel_path.to_string(),
            path: cfg.input.join(f.rel_path),
        };
        let mut stage_ns = StageNs::default();
        // The analyze phase already chose the encoding: no second detection. (UTF-8 is
        // detected again because its strict check is cheaper than a forced decode.)
        let forced = cfg.encoding.or_else(|| {
            (f.encoding != encoding_rs::UTF_8.name())
                .then(|| encoding_rs::Encoding::for_label(f.encoding.as_bytes()))
                .flatten()
        });
        let (hash, decoded) = match read_decode(&src, forced, &mut stage_ns) {
            Ok(r) => (r.hash, r.dec),
            Err(Analyzed::Failed(s) | Analyzed::Skipped(s)) => return Err(s),
            Err(Analyzed::Done(_)) => unreachable!("read_decode never returns Done"),
        };
        if hash != f.hash {
            return Err(fail("file changed during the run".into()));
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
        self.write_prepared(clean_root, f, &prep, para_removed, doc_removed)
    }

    /// [`Engine::write_file`] with the file's text stages at hand (kept from the
    /// analyze phase, or just done again).
    pub fn write_prepared(
        &self,
        clean_root: &Path,
        f: FileRef,
        prep: &Prepared,
        para_removed: &[Option<u32>],
        doc_removed: &[Option<u32>],
    ) -> std::result::Result<FileOutput, Skipped> {
        let cfg = &self.cfg;
        let boiler = &self.boiler;
        let fail = |reason: String| f.skipped(reason);
        let _big = release::Big::new(prep.paras.iter().map(|p| p.text.len() as u64).sum());
        if prep.paras.len() != f.paragraphs
            || para_removed.len() != prep.paras.len()
            || doc_removed.len() != prep.docs.len()
        {
            return Err(fail(
                "internal: paragraph count differs between phases".into(),
            ));
        }
        let mut counts = FileCounts::default();
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
        let mut para_out: Vec<bool> = vec![true; prep.paras.len()];
        // A removed part of a page-long paragraph is a record of its own, with columns,
        // unless all the paragraph's parts go with one cluster (see below).
        let part_cols = parts::cols(&prep.paras, &prep.lines);
        let mut part_removed: Vec<Option<u32>> = vec![None; prep.paras.len()];
        let mut remove = |pi: usize, c: u32, fate: &mut [Fate]| {
            let p = &prep.paras[pi];
            match part_cols[pi] {
                Some(_) => part_removed[pi] = Some(c),
                None => fate[p.first..=p.last].fill(Fate::Duplicate(c)),
            }
        };
        for pi in 0..prep.paras.len() {
            if let Some(c) = para_removed[pi] {
                para_out[pi] = false;
                remove(pi, c, &mut fate);
            }
        }
        let mut in_removed_doc = vec![false; prep.paras.len()];
        for (di, d) in prep.docs.iter().enumerate() {
            if let Some(c) = doc_removed[di] {
                counts.removed_documents += 1;
                for pi in d.paras.clone() {
                    in_removed_doc[pi] = true;
                    para_out[pi] = false;
                    remove(pi, c, &mut fate);
                }
            }
        }
        // Runs of a paragraph's parts removed by one cluster are one record; a run that
        // is the whole paragraph is its lines, as for a paragraph that was not cut.
        // (index of its first line, line numbers, columns, cluster)
        type PartRecord = (usize, [u32; 2], [u32; 2], u32);
        let mut part_records: Vec<PartRecord> = Vec::new();
        let mut pi = 0;
        while pi < prep.paras.len() {
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
        // A paragraph inside a removed document counts at document level; any other
        // removed copy at paragraph level.
        for (pi, in_doc) in in_removed_doc.iter().enumerate() {
            if *in_doc {
                counts.removed_paragraphs.document += 1;
            } else if para_removed[pi].is_some() {
                counts.removed_paragraphs.paragraph += 1;
            }
        }
        // clean/ (its size known, so a page-long file's text is not copied as it grows)
        let mut clean = String::with_capacity(
            prep.paras
                .iter()
                .zip(&para_out)
                .filter(|(_, &out)| out)
                .map(|(p, _)| p.text.len() + 1)
                .sum(),
        );
        let mut places = Vec::new();
        let place_lines = PlaceholderLines::new(f.rel_path);
        let mut text = String::new();
        let mut kinds: BTreeMap<Kind, usize> = BTreeMap::new();
        // The kept parts of a page-long paragraph are written on one line again.
        let mut line_open = false;
        for (pi, p) in prep.paras.iter().enumerate() {
            let spans = &prep.spans[pi];
            if para_out[pi] {
                let masked = placeholders::apply(&p.text, spans, cfg.mask_style);
                clean.push_str(&script::to_script(&masked, cfg.script));
                line_open = true;
            }
            if !p.glued && std::mem::take(&mut line_open) {
                clean.push('\n');
            }
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
                let replacement = placeholders::replacement(s.kind, &text, cfg.mask_style);
                place_lines.push(
                    &mut places,
                    line.no,
                    [line.orig_col(col), line.orig_col(end_in_piece - 1) + 1],
                    &text,
                    s.kind,
                    replacement.as_deref().unwrap_or(&text),
                );
            }
        }
        let wrote = !clean.is_empty();
        if wrote {
            report::write_file_at(&clean_root.join(f.rel_path), clean.as_bytes())
                .map_err(|e| fail(e.to_string()))?;
        }
        // removed.jsonl: runs of lines with the same fate, and removed parts, in order
        // of their first line (a part before a run that starts on its line).
        let mut removed = Vec::new();
        let mut parts_left = part_records.into_iter().peekable();
        let mut push_parts = |before: usize, removed: &mut Vec<u8>| {
            while let Some((_, lines, cols, c)) = parts_left.next_if(|&(first, ..)| first < before)
            {
                let r = RemovedRecord {
                    file: f.rel_path,
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
        let mut rules: BTreeMap<RuleId, usize> = BTreeMap::new();
        let (mut boilerplate_lines, mut empty_lines) = (0, 0);
        let mut i = 0;
        while i < fate.len() {
            let mut j = i + 1;
            while j < fate.len() && fate[j] == fate[i] {
                j += 1;
            }
            let lines = [prep.lines[i].no, prep.lines[j - 1].no];
            let rec = match fate[i] {
                Fate::Kept => None,
                Fate::Empty => {
                    empty_lines += j - i;
                    Some(RemovedRecord {
                        file: f.rel_path,
                        lines,
                        cols: None,
                        reason: Reason::Empty,
                        rule: Some("blank-line"),
                        cluster: None,
                        kept: None,
                    })
                }
                Fate::Furniture(r) => {
                    boilerplate_lines += j - i;
                    *rules.entry(r).or_default() += j - i;
                    Some(RemovedRecord {
                        file: f.rel_path,
                        lines,
                        cols: None,
                        reason: Reason::Boilerplate,
                        rule: Some(boiler.names()[r as usize].as_str()),
                        cluster: None,
                        kept: cfg.keep_boilerplate.then_some(true),
                    })
                }
                Fate::Duplicate(c) => Some(RemovedRecord {
                    file: f.rel_path,
                    lines,
                    cols: None,
                    reason: Reason::Duplicate,
                    rule: None,
                    cluster: Some(c),
                    kept: None,
                }),
            };
            if let Some(r) = rec {
                push_parts(i + 1, &mut removed);
                push_jsonl(&mut removed, &r);
            }
            i = j;
        }
        push_parts(usize::MAX, &mut removed);
        counts.wrote = wrote;
        counts.boilerplate_lines = boilerplate_lines;
        counts.empty_lines = empty_lines;
        counts.kinds = kinds.into_iter().collect();
        counts.rules = rules
            .into_iter()
            .map(|(r, n)| (boiler.names()[r as usize].clone(), n))
            .collect();
        Ok(FileOutput {
            removed,
            placeholders: places,
            counts,
        })
    }
}
