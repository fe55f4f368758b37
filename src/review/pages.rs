//! The pages of a review: the index (the run at a glance, then the clusters with their
//! diffs) and one page per file, rendered from what [`super::load`] read back.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use super::diff::{char_diff_folded, line_diff, Mark, Side, MAX_CHAR_DIFF, MAX_LINE_DIFF};
use super::html::{bar_chart, escape, escape_into, histogram, page, thousands};
use super::*;
pub(super) struct Ctx<'a> {
    pub(super) run: &'a Run,
    /// The masks of the files shown, by file and line.
    pub(super) masks: &'a BTreeMap<String, BTreeMap<u32, Vec<Mask>>>,
    pub(super) texts: &'a BTreeMap<&'a str, std::result::Result<Text, String>>,
    pub(super) page_of: &'a BTreeMap<&'a str, usize>,
    pub(super) level_of: &'a BTreeMap<u32, &'a str>,
}

impl Ctx<'_> {
    fn text(&self, file: &str) -> std::result::Result<&Text, String> {
        match self.texts.get(file) {
            Some(Ok(t)) => Ok(t),
            Some(Err(e)) => Err(e.clone()),
            None => Err(format!("{file}: not read")),
        }
    }

    /// A link to a file's page at a line, or the place as text when it has none.
    fn place(&self, file: &str, lines: [u32; 2], prefix: &str) -> String {
        let label = if lines[0] == lines[1] {
            format!("{file}:{}", lines[0])
        } else {
            format!("{file}:{}–{}", lines[0], lines[1])
        };
        match self.page_of.get(file) {
            Some(&i) => format!(
                "<a href=\"{prefix}files/{}#L{}\">{}</a>",
                page_name(i),
                lines[0],
                escape(&label)
            ),
            None => escape(&label),
        }
    }

    pub(super) fn index(
        &self,
        shown: &[&Cluster],
        files_shown: &[String],
        removed_size: &BTreeMap<String, [u64; 2]>,
        opts: &Options,
    ) -> String {
        let s = &self.run.summary;
        let c = &s["counts"];
        let n = |v: &Value| thousands(v.as_u64().unwrap_or(0));
        let mut b = String::new();
        let _ = write!(
            b,
            "<header><h1>zhclean review</h1><p class=\"note\">{} → {} · zhclean {} · \
             {} files</p></header><main>",
            escape(&self.run.input.display().to_string()),
            escape(&opts.out.display().to_string()),
            escape(s["version"].as_str().unwrap_or("?")),
            thousands(self.run.files.len() as u64),
        );
        if opts.sample.is_none()
            && (shown.len() < self.run.clusters.len() || files_shown.len() < self.run.files.len())
        {
            let _ = write!(
                b,
                "<p class=\"note\">This run is big: the page shows the first {} of {} \
                 clusters (biggest and least similar first) and the first {} of {} files \
                 (path order). <code>--sample N</code> picks from every similarity band \
                 instead.</p>",
                shown.len(),
                self.run.clusters.len(),
                files_shown.len(),
                self.run.files.len()
            );
        }
        if let Some(k) = opts.sample {
            let _ = write!(
                b,
                "<p class=\"note\">Sample: {k} clusters of each similarity band ({} of {} \
                 shown) and {k} files ({} of {}), seed {}. The counts and charts are of the \
                 whole run.</p>",
                shown.len(),
                self.run.clusters.len(),
                files_shown.len(),
                self.run.files.len(),
                opts.seed
            );
        }
        // The run at a glance.
        b.push_str("<h2 id=\"run\">The run at a glance</h2><table>");
        let removed_paras = c["removed_paragraphs"]["paragraph"].as_u64().unwrap_or(0)
            + c["removed_paragraphs"]["document"].as_u64().unwrap_or(0);
        let paras = c["paragraphs"].as_u64().unwrap_or(0);
        let rows: Vec<(&str, String)> = vec![
            (
                "files in / written",
                format!("{} / {}", n(&c["files"]), n(&c["files_written"])),
            ),
            (
                "files failed / skipped",
                format!("{} / {}", n(&c["files_failed"]), n(&c["files_skipped"])),
            ),
            ("bytes read", n(&c["bytes"])),
            (
                "paragraphs in / out",
                format!(
                    "{} / {}",
                    thousands(paras),
                    thousands(paras.saturating_sub(removed_paras))
                ),
            ),
            (
                "removed as duplicate paragraphs / inside duplicate documents",
                format!(
                    "{} / {}",
                    n(&c["removed_paragraphs"]["paragraph"]),
                    n(&c["removed_paragraphs"]["document"])
                ),
            ),
            (
                "clusters: paragraph / document",
                format!(
                    "{} / {}",
                    n(&c["clusters"]["paragraph"]),
                    n(&c["clusters"]["document"])
                ),
            ),
            (
                "furniture lines / empty lines",
                format!("{} / {}", n(&c["boilerplate_lines"]), n(&c["empty_lines"])),
            ),
        ];
        for (k, v) in rows {
            let _ = write!(b, "<tr><th>{}</th><td class=\"n\">{v}</td></tr>", escape(k));
        }
        b.push_str("</table>");
        // Removed characters by reason, masks, encodings.
        let mut bars: Vec<(String, f64, &str)> = removed_size
            .iter()
            .map(|(k, &[v, _])| {
                let class = if k.starts_with("duplicate document") {
                    "doc"
                } else if k.starts_with("duplicate") {
                    "dup"
                } else if k.starts_with("furniture") {
                    "furn"
                } else {
                    "empty"
                };
                (k.clone(), v as f64, class)
            })
            .collect();
        bars.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        b.push_str("<div class=\"charts\">");
        let mut table = String::from(
            "<table><tr><th>reason</th><th>characters</th><th>bytes (UTF-8)</th></tr>",
        );
        for (k, [chars, bytes]) in removed_size {
            let _ = write!(
                table,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape(k),
                thousands(*chars),
                thousands(*bytes)
            );
        }
        table.push_str("</table>");
        let _ = write!(
            b,
            "<figure><figcaption>Removed characters by reason</figcaption>{}{table}</figure>",
            bar_chart(&bars, "chars")
        );
        let masks: Vec<(String, f64, &str)> = c["placeholders"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_f64().unwrap_or(0.0), ""))
                    .collect()
            })
            .unwrap_or_default();
        let _ = write!(
            b,
            "<figure><figcaption>Masks by kind</figcaption>{}</figure>",
            bar_chart(&masks, "")
        );
        let mut sizes = [0u64; 6];
        let mut sims = [0u64; 6];
        for cl in &self.run.clusters {
            let k = match cl.members.len() {
                0..=2 => 0,
                3 => 1,
                4 => 2,
                5..=9 => 3,
                10..=99 => 4,
                _ => 5,
            };
            sizes[k] += 1;
            for (i, m) in cl.members.iter().enumerate() {
                if i == cl.kept {
                    continue;
                }
                let k = match m.similarity {
                    x if x >= 1.0 => 5,
                    x if x >= 0.95 => 4,
                    x if x >= 0.9 => 3,
                    x if x >= 0.8 => 2,
                    x if x >= 0.7 => 1,
                    _ => 0,
                };
                sims[k] += 1;
            }
        }
        let size_bins = bins(&["2", "3", "4", "5–9", "10–99", "100+"], sizes);
        let sim_bins = bins(
            &["<0.7", "0.7–0.8", "0.8–0.9", "0.9–0.95", "0.95–1", "1.0"],
            sims,
        );
        let _ = write!(
            b,
            "<figure><figcaption>Cluster sizes (copies)</figcaption>{}</figure>\
             <figure><figcaption>Similarity of removed copies to the kept one</figcaption>{}\
             </figure></div>",
            histogram(&size_bins),
            histogram(&sim_bins)
        );
        let _ = write!(
            b,
            "<table><tr><th>encodings</th><td>{}</td></tr><tr><th>furniture rules that \
             fired</th><td>{}",
            counts_list(&s["encodings"], |k, n| format!("{} {n}", escape(k))),
            counts_list(&s["boilerplate_rules"], |k, n| {
                format!("<code>{}</code> {n} lines", escape(k))
            })
        );
        b.push_str("</td></tr></table>");
        for (key, title) in [
            ("failed", "Failed files"),
            ("decode_errors", "Files with bytes that did not decode"),
            ("skipped", "Skipped files"),
        ] {
            let list = s[key].as_array().map_or(&[][..], |v| v.as_slice());
            if list.is_empty() {
                continue;
            }
            let _ = write!(b, "<h3>{title}</h3><table>");
            for e in list {
                let file = e["file"].as_str().unwrap_or("?");
                let why: String = e
                    .as_object()
                    .map(|o| {
                        o.iter()
                            .filter(|(k, _)| k.as_str() != "file")
                            .map(|(k, v)| {
                                format!("{k}: {}", v.as_str().map_or(v.to_string(), str::to_string))
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                let _ = write!(
                    b,
                    "<tr><td>{}</td><td>{}</td></tr>",
                    escape(file),
                    escape(&why)
                );
            }
            b.push_str("</table>");
        }
        // Clusters.
        let _ = write!(
            b,
            "<h2 id=\"clusters\">Clusters</h2><p class=\"legend\">In each pair the kept copy \
             is on the left. <span class=\"only-a\">only in the kept copy</span><span \
             class=\"only-b\">only in the removed copy</span><span class=\"fold\">the same \
             once folded (width, traditional and simplified)</span><span class=\"mask\">a \
             mask</span><span class=\"name\">a name the fingerprints fold \
             (--fold entities)</span></p><div class=\"filters\"><label>level <select id=\"f-level\">\
             <option value=\"\">all</option><option>paragraph</option><option>document\
             </option></select></label><label>at least <input id=\"f-size\" type=\"number\" \
             min=\"2\" value=\"2\" style=\"width:4em\"> copies</label><label>least \
             similarity at most <input id=\"f-sim\" type=\"number\" min=\"0\" max=\"1\" \
             step=\"0.01\" value=\"1\" style=\"width:5em\"></label><label>file <input \
             id=\"f-file\" type=\"search\" placeholder=\"part of a path\"></label><label>\
             order <select id=\"f-sort\"><option value=\"size\">biggest first</option>\
             <option value=\"sim\">least similar first</option><option value=\"id\">by id\
             </option></select></label><span id=\"f-count\"></span></div><div \
             id=\"cluster-list\">"
        );
        for (i, cl) in shown.iter().enumerate() {
            // The first cluster opens by itself: what the page is for, at a glance.
            self.cluster(&mut b, cl, i == 0);
        }
        b.push_str("</div>");
        // Files.
        b.push_str("<h2 id=\"files\">Files</h2><table class=\"files\"><tr><th>file</th><th>removed lines</th></tr>");
        let mut removed_lines: BTreeMap<&str, BTreeMap<String, u64>> = BTreeMap::new();
        for r in &self.run.removed {
            *removed_lines
                .entry(&r.file)
                .or_default()
                .entry(reason_label(r, self.level_of))
                .or_default() += u64::from(r.lines[1] - r.lines[0].min(r.lines[1]) + 1);
        }
        for (i, f) in files_shown.iter().enumerate() {
            let what = removed_lines
                .get(f.as_str())
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| format!("{} {}", escape(k), v))
                        .collect::<Vec<_>>()
                        .join(" · ")
                })
                .unwrap_or_default();
            let _ = write!(
                b,
                "<tr><td><a href=\"files/{}\">{}</a></td><td>{what}</td></tr>",
                page_name(i),
                escape(f)
            );
        }
        b.push_str("</table></main>");
        page("zhclean review", &b, true)
    }

    /// One cluster: a summary line, then each removed copy beside the kept one.
    fn cluster(&self, b: &mut String, cl: &Cluster, open: bool) {
        if cl.members.is_empty() {
            return;
        }
        let kept = &cl.members[cl.kept.min(cl.members.len() - 1)];
        let files: BTreeSet<&str> = cl.members.iter().map(|m| m.file.as_str()).collect();
        let files: Vec<&str> = files.into_iter().collect();
        let least = cl.least();
        let _ = write!(
            b,
            "<section class=\"cluster\" id=\"c{id}\" data-id=\"{id}\" data-level=\"{}\" \
             data-size=\"{}\" data-sim=\"{least}\" data-files=\"{}\"><details{}><summary>\
             <b>#{id}</b> {} · {} copies · least similarity {least:.4} · <span \
             class=\"kept\">kept</span> {}",
            escape(&cl.level),
            cl.members.len(),
            escape(&files.join(" ")),
            if open { " open" } else { "" },
            escape(&cl.level),
            cl.members.len(),
            self.place(&kept.file, kept.lines, ""),
            id = cl.cluster,
        );
        let kept_text = self.text(&kept.file);
        if let Ok(t) = &kept_text {
            let preview: String = t.span(kept.lines, kept.cols).chars().take(60).collect();
            let _ = write!(b, " · <span class=\"note\">{}…</span>", escape(&preview));
        }
        b.push_str("</summary>");
        if cl.level == "document" {
            self.inner_clusters(b, cl);
        }
        let removed: Vec<&Member> = cl
            .members
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != cl.kept)
            .map(|(_, m)| m)
            .collect();
        // The least similar copies first: they are the ones worth a look.
        let mut by_sim = removed.clone();
        by_sim.sort_by(|a, b| a.similarity.total_cmp(&b.similarity));
        for m in by_sim.iter().take(MAX_PAIRS) {
            let rule = self.rule(cl, m);
            let _ = write!(
                b,
                "<div class=\"pair\"><div><h4><span class=\"kept\">kept</span> {}{}</h4>",
                self.place(&kept.file, kept.lines, ""),
                script_note(kept)
            );
            let other = self.text(&m.file);
            let (left, right) = match (&kept_text, &other) {
                (Ok(a), Ok(o)) => self.diff_html(cl, a, kept, o, m),
                (Err(e), _) | (_, Err(e)) => {
                    let msg = format!("<p class=\"note\">cannot show: {}</p>", escape(e));
                    (msg.clone(), msg)
                }
            };
            let _ = write!(
                b,
                "{left}</div><div><h4><span class=\"removed\">removed</span> {}{} · \
                 similarity {:.4} · {}</h4>{right}</div></div>",
                self.place(&m.file, m.lines, ""),
                script_note(m),
                m.similarity,
                escape(&rule)
            );
        }
        if removed.len() > MAX_PAIRS {
            let rest: Vec<String> = by_sim[MAX_PAIRS..]
                .iter()
                .map(|m| self.place(&m.file, m.lines, ""))
                .collect();
            let _ = write!(
                b,
                "<p class=\"note\">{} more removed copies, not shown side by side: {}</p>",
                rest.len(),
                rest.join(" ")
            );
        }
        b.push_str("</details></section>");
    }

    /// The paragraph clusters with a member inside one of a document cluster's members.
    fn inner_clusters(&self, b: &mut String, cl: &Cluster) {
        let inside = |m: &Member| {
            cl.members
                .iter()
                .any(|d| d.file == m.file && d.lines[0] <= m.lines[0] && m.lines[1] <= d.lines[1])
        };
        let ids: Vec<u32> = self
            .run
            .clusters
            .iter()
            .filter(|p| p.level == "paragraph" && p.members.iter().any(inside))
            .map(|p| p.cluster)
            .collect();
        if ids.is_empty() {
            b.push_str("<p class=\"note\">No paragraph cluster lies inside these documents.</p>");
            return;
        }
        b.push_str("<p>Paragraph clusters inside these documents: ");
        let links: Vec<String> = ids
            .iter()
            .map(|id| format!("<a href=\"#c{id}\">#{id}</a>"))
            .collect();
        b.push_str(&links.join(" "));
        b.push_str("</p>");
    }

    /// The test that made `m` a copy of the cluster's kept member, in words.
    fn rule(&self, cl: &Cluster, m: &Member) -> String {
        let o = &self.run.summary["options"];
        let t = o["threshold"].as_f64().unwrap_or(0.7);
        if cl.level == "document" {
            let d = o["doc_threshold"].as_f64().unwrap_or(0.8);
            return format!(
                "document copy: this share of its searched text has copies in the kept \
                 document (coverage ≥ {d})"
            );
        }
        if m.containment {
            return "containment: the shorter copy lies almost whole in the longer (≥ 0.9 of it)"
                .to_string();
        }
        if m.similarity >= 1.0 {
            let same = match (self.text(&m.file), self.text(&cl.members[cl.kept].file)) {
                (Ok(a), Ok(k)) => {
                    a.span(m.lines, m.cols)
                        == k.span(cl.members[cl.kept].lines, cl.members[cl.kept].cols)
                }
                _ => false,
            };
            return if same {
                "exact: the same text".to_string()
            } else {
                "the same key text once masks, names, numbers, script and punctuation are folded"
                    .to_string()
            };
        }
        // The similarity reported is the verdict's alignment score (verify::copy_verdict).
        format!(
            "near copy: the mask-aware alignment of their key tokens scores {:.4}, at least \
             the threshold {t}",
            m.similarity
        )
    }

    /// The kept and the removed text, marked where they differ.
    fn diff_html(
        &self,
        cl: &Cluster,
        kt: &Text,
        k: &Member,
        ot: &Text,
        m: &Member,
    ) -> (String, String) {
        if cl.level == "document" {
            let a: Vec<String> = (k.lines[0]..=k.lines[1])
                .map(|n| kt.line(n).trim().to_string())
                .collect();
            let o: Vec<String> = (m.lines[0]..=m.lines[1])
                .map(|n| ot.line(n).trim().to_string())
                .collect();
            let a: Vec<&str> = a
                .iter()
                .map(String::as_str)
                .filter(|l| !l.is_empty())
                .collect();
            let o: Vec<&str> = o
                .iter()
                .map(String::as_str)
                .filter(|l| !l.is_empty())
                .collect();
            let chars = |v: &[&str]| v.iter().map(|l| l.chars().count()).sum::<usize>();
            if a.len() > MAX_LINE_DIFF
                || o.len() > MAX_LINE_DIFF
                || chars(&a) > MAX_DOC_CHARS
                || chars(&o) > MAX_DOC_CHARS
            {
                let msg = "<p class=\"note\">too long to show here: open the file pages, and \
                           the paragraph clusters above.</p>"
                    .to_string();
                return (msg.clone(), msg);
            }
            let (ra, ro) = line_diff(&a, &o);
            return (lines_html(&a, &ra, "only-a"), lines_html(&o, &ro, "only-b"));
        }
        let a: Vec<char> = kt.span(k.lines, k.cols).chars().collect();
        let o: Vec<char> = ot.span(m.lines, m.cols).chars().collect();
        if a.len() > MAX_CHAR_DIFF || o.len() > MAX_CHAR_DIFF {
            let a: String = a.into_iter().collect();
            let o: String = o.into_iter().collect();
            let one = |s: &str| format!("<div class=\"txt\">{}</div>", escape(s));
            return (one(&a), one(&o));
        }
        let mut folder = crate::script::Folder::new();
        let (ra, ro) = char_diff_folded(&a, &o, |c| folder.fold(fold_width(c)));
        let names = self.run.summary["options"]["fold"].as_str() == Some("entities");
        (
            chars_html(&a, &ra, "only-a", names),
            chars_html(&o, &ro, "only-b", names),
        )
    }

    /// A file's page: its lines, paragraphs boxed, removals struck through.
    pub(super) fn file_page(
        &self,
        file: &str,
        removed_of: &BTreeMap<&str, Vec<&Removal>>,
    ) -> String {
        let mut b = String::new();
        let _ = write!(
            b,
            "<header><p><a href=\"../index.html\">← the run</a></p><h1>{}</h1></header><main>",
            escape(file)
        );
        let t = match self.text(file) {
            Ok(t) => t,
            Err(e) => {
                let _ = write!(b, "<p>cannot show this file: {}</p></main>", escape(&e));
                return page(file, &b, false);
            }
        };
        let rm = removed_of.get(file).map_or(&[][..], |v| v.as_slice());
        let none = BTreeMap::new();
        let masks_of = self.masks.get(file).unwrap_or(&none);
        b.push_str(
            "<p class=\"legend\">A box is a paragraph as the structure stage found it. \
             <span class=\"mask\">a mask</span> (hover for its kind and replacement); struck \
             through: removed, with the reason on the right.</p>",
        );
        let mut para_at = t.paras.iter().peekable();
        let mut open_until: Option<u32> = None;
        for (i, line) in t.lines.iter().enumerate() {
            let no = i as u32 + 1;
            while para_at.peek().is_some_and(|p| p[1] < no) {
                para_at.next();
            }
            if open_until.is_none() {
                if let Some(p) = para_at.peek().filter(|p| p[0] == no) {
                    b.push_str("<div class=\"para\">");
                    open_until = Some(p[1]);
                }
            }
            let why = rm.iter().find(|r| r.lines[0] <= no && no <= r.lines[1]);
            let _ =
                write!(
                b,
                "<div class=\"ln{}\" id=\"L{no}\"><span class=\"no\">{no}</span><span class=\"t\">",
                if why.is_some_and(|r| r.cols.is_none()) { " rm" } else { "" }
            );
            line_with_masks(
                &mut b,
                line,
                masks_of.get(&no).map_or(&[][..], |v| v.as_slice()),
            );
            b.push_str("</span>");
            if let Some(r) = why {
                let label = reason_label(r, self.level_of);
                let part = if r.cols.is_some() {
                    " (part of the line)"
                } else {
                    ""
                };
                match r.cluster {
                    Some(c) => {
                        let _ = write!(
                            b,
                            "<span class=\"why\"><a href=\"../index.html#c{c}\">{} #{c}</a>{part}</span>",
                            escape(&label)
                        );
                    }
                    None => {
                        let _ = write!(b, "<span class=\"why\">{}{part}</span>", escape(&label));
                    }
                }
            }
            b.push_str("</div>");
            if open_until == Some(no) {
                b.push_str("</div>");
                open_until = None;
            }
        }
        if open_until.is_some() {
            b.push_str("</div>");
        }
        b.push_str("</main>");
        page(file, &b, false)
    }
}

/// `"key count · key count …"` of a JSON object of counts, each written by `item`.
fn counts_list(v: &Value, item: impl Fn(&str, String) -> String) -> String {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| item(k, thousands(v.as_u64().unwrap_or(0))))
                .collect::<Vec<_>>()
                .join(" · ")
        })
        .unwrap_or_default()
}

/// Histogram bins from their labels and counts.
fn bins(labels: &[&str], counts: [u64; 6]) -> Vec<(String, u64)> {
    labels
        .iter()
        .zip(counts)
        .map(|(l, n)| (l.to_string(), n))
        .collect()
}

/// A character as NFKC writes it, when that is one character (full-width forms).
fn fold_width(c: char) -> char {
    use unicode_normalization::UnicodeNormalization;
    let mut it = std::iter::once(c).nfkc();
    match (it.next(), it.next()) {
        (Some(f), None) => f,
        _ => c,
    }
}

fn script_note(m: &Member) -> String {
    m.script
        .as_deref()
        .map(|s| format!(" · {}", escape(s)))
        .unwrap_or_default()
}

/// A line with its masks (from `placeholders.jsonl`) marked.
pub(super) fn line_with_masks(b: &mut String, line: &str, masks: &[Mask]) {
    let chars: Vec<char> = line.chars().collect();
    let mut at = 0;
    let mut masks: Vec<&Mask> = masks.iter().collect();
    masks.sort_by_key(|m| m.start);
    for m in masks {
        if m.start < at || m.end > chars.len() || m.start >= m.end {
            continue;
        }
        escape_into(b, &chars[at..m.start].iter().collect::<String>());
        let title = match &m.replacement {
            Some(r) => format!("{} → {r}", m.kind),
            None => m.kind.clone(),
        };
        let _ = write!(b, "<span class=\"mask\" title=\"{}\">", escape(&title));
        escape_into(b, &chars[m.start..m.end].iter().collect::<String>());
        b.push_str("</span>");
        at = m.end;
    }
    escape_into(b, &chars[at..].iter().collect::<String>());
}

/// Characters with the runs that only this side has marked, and masks (as the
/// placeholder rules detect them in this text) in their own colour.
pub(super) fn chars_html(c: &[char], side: &Side, only: &str, names: bool) -> String {
    let text: String = c.iter().collect();
    // Per character: 1 a mask, 2 a name that `--fold entities` folds (jieba's tags).
    let mut kind = vec![0u8; c.len()];
    for s in crate::placeholders::detect(&text) {
        for x in kind.iter_mut().take(s.end.min(c.len())).skip(s.start) {
            *x |= 1;
        }
    }
    if names {
        let mut at = 0;
        for (word, tag) in crate::segment::shared().tagged(&text, true) {
            let n = word.chars().count();
            if crate::fingerprint::is_name_tag(tag) {
                for x in kind.iter_mut().take((at + n).min(c.len())).skip(at) {
                    *x |= 2;
                }
            }
            at += n;
        }
    }
    let mut b = String::from("<div class=\"txt\">");
    for &(mark, start, end) in side {
        let mut i = start;
        while i < end {
            let k = kind[i];
            let mut j = i + 1;
            while j < end && kind[j] == k {
                j += 1;
            }
            let mut class: Vec<&str> = Vec::new();
            match mark {
                Mark::Only => class.push(only),
                Mark::Folded => class.push("fold"),
                Mark::Same => {}
            }
            if k & 1 != 0 {
                class.push("mask");
            } else if k & 2 != 0 {
                class.push("name");
            }
            let piece: String = c[i..j].iter().collect();
            if class.is_empty() {
                escape_into(&mut b, &piece);
            } else {
                let _ = write!(b, "<span class=\"{}\">", class.join(" "));
                escape_into(&mut b, &piece);
                b.push_str("</span>");
            }
            i = j;
        }
    }
    b.push_str("</div>");
    b
}

/// Lines with those only this side has marked.
fn lines_html(lines: &[&str], side: &Side, only: &str) -> String {
    let mut b = String::from("<div class=\"txt\">");
    for &(mark, start, end) in side {
        for l in &lines[start..end] {
            match mark {
                Mark::Same | Mark::Folded => {
                    b.push_str("<div>");
                    escape_into(&mut b, l);
                    b.push_str("</div>");
                }
                Mark::Only => {
                    let _ = write!(b, "<div class=\"{only}\">");
                    escape_into(&mut b, l);
                    b.push_str("</div>");
                }
            }
        }
    }
    b.push_str("</div>");
    b
}
