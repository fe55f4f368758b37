//! `summary.json`: the group phase's counts and the totals added up file by file.

use super::*;

/// `summary.json` as written.
pub fn summary_json(summary: &Summary) -> Vec<u8> {
    let mut js = serde_json::to_vec_pretty(summary).expect("summary serialises");
    js.push(b'\n');
    js
}

/// Counts of the group phase that go into `summary.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GroupCounts {
    pub candidate_pairs: usize,
    /// Candidate pairs not verified: neither side had the other among its first
    /// `--max-partners` partners (see [`lsh::rank_partners`]), or the other came after
    /// a one-paragraph document's [`lsh::ENOUGH_COPIES`] verified copies.
    #[serde(default)]
    pub candidate_pairs_skipped: usize,
    pub verified_pairs: usize,
    pub clusters: PerLevel,
}

impl Decisions {
    pub(super) fn counts(&self) -> GroupCounts {
        let mut clusters = PerLevel::default();
        for r in &self.records {
            match r.level {
                Level::Paragraph => clusters.paragraph += 1,
                Level::Document => clusters.document += 1,
            }
        }
        GroupCounts {
            candidate_pairs: self.candidate_pairs,
            candidate_pairs_skipped: self.candidate_pairs_skipped,
            verified_pairs: self.verified_pairs,
            clusters,
        }
    }
}

/// `summary.json` built up file by file, in file order; the local run and a
/// distributed one feed it the same facts.
pub struct Totals {
    summary: Summary,
}

impl Totals {
    /// Start from what the walk found.
    pub fn new(skipped: Vec<Skipped>, failed: Vec<Skipped>, other_files: usize) -> Totals {
        let mut summary = Summary {
            version: env!("CARGO_PKG_VERSION"),
            skipped,
            failed,
            ..Default::default()
        };
        summary.counts.other_files = other_files;
        Totals { summary }
    }

    /// A file passed over (binary).
    pub fn skipped(&mut self, s: Skipped) {
        self.summary.skipped.push(s);
    }

    /// A file that could not be read or written.
    pub fn failed(&mut self, s: Skipped) {
        self.summary.failed.push(s);
    }

    /// A file that was analysed and written.
    pub fn file(&mut self, f: &FileSummary, o: &FileCounts) {
        let s = &mut self.summary;
        let c = &mut s.counts;
        c.files_written += o.wrote as usize;
        c.boilerplate_lines += o.boilerplate_lines;
        c.empty_lines += o.empty_lines;
        c.markup_lines += o.markup_lines;
        for &(k, n) in &o.kinds {
            *c.placeholders.entry(k.name()).or_default() += n;
        }
        for (rule, n) in &o.rules {
            *s.boilerplate_rules.entry(rule.clone()).or_default() += n;
        }
        c.removed_paragraphs.paragraph += o.removed_paragraphs.paragraph;
        c.removed_paragraphs.document += o.removed_paragraphs.document;
        c.removed_documents += o.removed_documents;
        c.files_processed += 1;
        c.bytes += f.bytes;
        c.lines += f.lines;
        c.documents += f.documents;
        c.paragraphs += f.paragraphs;
        c.paragraphs_searched += f.paragraphs_searched;
        *s.encodings.entry(f.encoding.clone()).or_default() += 1;
        if let Some(d) = &f.decode_issue {
            s.decode_errors.push(d.clone());
        }
    }

    /// The finished summary.
    pub fn finish(self, engine: &Engine, g: &GroupCounts, run: RunInfo) -> Summary {
        let cfg = engine.config();
        let (bands, rows) = engine.bands_rows();
        let mut summary = self.summary;
        let c = &mut summary.counts;
        for k in Kind::ALL {
            c.placeholders.entry(k.name()).or_default();
        }
        c.candidate_pairs = g.candidate_pairs;
        c.candidate_pairs_skipped = g.candidate_pairs_skipped;
        c.verified_pairs = g.verified_pairs;
        c.clusters = g.clusters.clone();
        summary.failed.sort();
        summary.skipped.sort();
        c.files_failed = summary.failed.len();
        c.files_skipped = summary.skipped.len();
        c.files = c.files_processed
            + c.files_failed
            + summary
                .skipped
                .iter()
                .filter(|s| s.reason == walk::BINARY)
                .count();
        summary.options = report::Options::of(cfg, (bands, rows));
        summary.run = run;
        summary
    }
}
