//! `zhclean synth --varied`: what other sites do to a page, on top of the damage every
//! copy goes through.
//!
//! - titles of the news kind (the opening clause of the document's first paragraph, no
//!   end punctuation) as well as speech titles, subtitles (`——在…上的讲话`), bylines
//!   (`（本报记者 XX）`) and photo credits, on their own line or at the end of a
//!   paragraph (`…万元。（张某某摄）`), and notes such as `（完）`;
//! - lists, one item a line (units, places, rows of names) under an intro line, and
//!   lists written into one paragraph (`…有：XX县评剧团、XX科协、…等。`), whose names
//!   a site may mask until little else is left;
//! - hard-wrapped pages: every unit longer than the width is cut into lines of a
//!   fixed width (28 to 46 characters, or 56 to 92 columns with a CJK character
//!   counted as two), closing punctuation kept on the line it closes, and sometimes the
//!   first line of each paragraph indented with `　　`;
//! - traditional-character mirrors (OpenCC's `s2t`), half of them encoded as Big5.
//!
//! Its random draws come from a stream of their own, so a corpus made without
//! `--varied` is byte for byte what it was before this existed.

use super::{mask_text, OutLine, Piece, Rng, Style};
use crate::placeholders::Kind;

/// Persons and other names (places, organisations) of the source, for bylines and lists.
pub(super) struct Pools {
    persons: Vec<Piece>,
    units: Vec<Piece>,
}

impl Pools {
    pub(super) fn of(origins: &[Vec<Piece>]) -> Pools {
        let mut persons = Vec::new();
        let mut units = Vec::new();
        for p in origins.iter().flatten() {
            if p.kind != Some(Kind::Entity) {
                continue;
            }
            let n = p.text.chars().count();
            if p.person && (2..=4).contains(&n) {
                persons.push(p.clone());
            } else if !p.person && (3..=16).contains(&n) {
                units.push(p.clone());
            }
        }
        persons.sort_by(|a, b| a.text.cmp(&b.text));
        persons.dedup();
        units.sort_by(|a, b| a.text.cmp(&b.text));
        units.dedup();
        if persons.is_empty() {
            persons.push(person("张明"));
        }
        if units.is_empty() {
            units.push(unit("县人民政府"));
        }
        Pools { persons, units }
    }
}

fn person(t: &str) -> Piece {
    Piece {
        text: t.into(),
        kind: Some(Kind::Entity),
        person: true,
    }
}

fn unit(t: &str) -> Piece {
    Piece {
        text: t.into(),
        kind: Some(Kind::Entity),
        person: false,
    }
}

fn text(t: &str) -> Piece {
    Piece {
        text: t.into(),
        kind: None,
        person: false,
    }
}

/// A list of a document, the same in every copy.
#[derive(Clone)]
pub(super) struct List {
    intro: &'static str,
    /// Each item line as pieces.
    items: Vec<Vec<Piece>>,
    /// Before which paragraph of the document it stands.
    pub(super) at: usize,
}

/// What a document carries besides its paragraphs, the same in every copy.
#[derive(Clone, Default)]
pub(super) struct Extras {
    /// A news title in place of the speech title.
    pub(super) headline: Option<String>,
    subtitle: Option<String>,
    byline: Option<Vec<Piece>>,
    /// Paragraph index and the credit written after it: at its end or on a line.
    credit: Option<(usize, Vec<Piece>, bool)>,
    pub(super) list: Option<List>,
    /// An inline list paragraph: its origin id, its pieces and before which paragraph.
    pub(super) inline: Option<(u32, Vec<Piece>, usize)>,
    salutation: Option<&'static str>,
}

const SUBTITLES: [&str; 5] = [
    "——在年度总结表彰大会上的发言",
    "——在全体干部职工大会上的讲话",
    "——在工作推进会上的讲话（根据录音整理）",
    "——学习贯彻会议精神的体会",
    "（根据录音整理）",
];
const INTROS: [&str; 5] = [
    "获奖单位名单如下：",
    "参加会议的单位有：",
    "受表彰的先进集体：",
    "名单如下：",
    "附：表彰名单",
];
/// Fewest distinct unit names a source must have for inline lists of them (5 to 12
/// items each).
const INLINE_MIN_UNITS: usize = 50;
const INLINE_INTROS: [&str; 3] = ["参加这次活动的有", "受到表彰的单位是", "协办单位包括"];
const SALUTATIONS: [&str; 4] = [
    "各位领导、同志们：",
    "尊敬的各位来宾：",
    "各位代表：",
    "同志们、朋友们：",
];

impl Extras {
    /// Draw a document's extras; `n` is its paragraph count and `first` its first
    /// paragraph's text.
    pub(super) fn draw(
        rng: &mut Rng,
        pools: &Pools,
        n: usize,
        first: &str,
        next_origin: &mut u32,
    ) -> Extras {
        let mut e = Extras::default();
        if rng.chance(0.4) {
            let clause: String = first
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '“' || *c == '”')
                .collect();
            let k = clause.chars().count();
            if (8..=28).contains(&k) {
                e.headline = Some(clause);
            }
        }
        if rng.chance(0.25) {
            e.subtitle = Some((*rng.pick(&SUBTITLES)).into());
        }
        if rng.chance(0.25) {
            let a = rng.pick(&pools.persons).clone();
            e.byline = Some(match rng.below(3) {
                0 => vec![text("（本报记者　"), a, text("）")],
                1 => {
                    let b = rng.pick(&pools.persons).clone();
                    vec![text("本报记者　"), a, text("　"), b]
                }
                _ => {
                    let b = rng.pick(&pools.persons).clone();
                    vec![text("（记者 "), a, text(" 通讯员 "), b, text("）")]
                }
            });
        }
        if rng.chance(0.25) {
            let a = rng.pick(&pools.persons).clone();
            let credit = match rng.below(4) {
                0 => vec![text("（"), a, text("摄）")],
                1 => vec![text("（新华社记者 "), a, text(" 摄）")],
                2 => vec![text("（本报记者 "), a, text("）")],
                _ => vec![text("（完）")],
            };
            e.credit = Some((rng.below(n), credit, rng.chance(0.5)));
        }
        if rng.chance(0.2) {
            let people = rng.chance(0.3);
            let items = (0..3 + rng.below(8))
                .map(|_| {
                    if people {
                        let mut row = Vec::new();
                        for j in 0..3 + rng.below(3) {
                            if j > 0 {
                                row.push(text("　"));
                            }
                            row.push(rng.pick(&pools.persons).clone());
                        }
                        row
                    } else {
                        vec![rng.pick(&pools.units).clone()]
                    }
                })
                .collect();
            e.list = Some(List {
                intro: rng.pick::<&str>(&INTROS),
                items,
                at: rng.below(n + 1),
            });
        }
        // (Only from a source with enough names of units: on one that has a handful,
        // every such list repeats the same few words, and two lists of different origins
        // read the same, which no corpus labels as two texts.)
        if pools.units.len() >= INLINE_MIN_UNITS && rng.chance(0.12) {
            let mut pieces = vec![text(rng.pick::<&str>(&INLINE_INTROS)), text("：")];
            for j in 0..5 + rng.below(8) {
                if j > 0 {
                    pieces.push(text("、"));
                }
                pieces.push(rng.pick(&pools.units).clone());
            }
            pieces.push(text("等"));
            pieces.push(text("。"));
            e.inline = Some((*next_origin, pieces, rng.below(n + 1)));
            *next_origin += 1;
        }
        if rng.chance(0.3) {
            e.salutation = Some(rng.pick::<&str>(&SALUTATIONS));
        }
        e
    }

    pub(super) fn salutation(&self) -> Option<&'static str> {
        self.salutation
    }

    /// The lines under the title: subtitle and byline.
    pub(super) fn head_lines(&self, pen: &mut Pen, out: &mut Vec<OutLine>) {
        if let Some(s) = &self.subtitle {
            out.push(OutLine::unit(s.clone(), "subtitle"));
        }
        if let Some(b) = &self.byline {
            out.push(pen.line(b, "byline"));
        }
    }

    /// The list standing before paragraph `j`, if any.
    pub(super) fn list_lines(&self, j: usize, pen: &mut Pen, out: &mut Vec<OutLine>) {
        let Some(l) = self.list.as_ref().filter(|l| l.at == j) else {
            return;
        };
        out.push(OutLine::unit(l.intro.into(), "list-intro"));
        for it in &l.items {
            out.push(pen.line(it, "list-item"));
        }
    }

    /// Write paragraph `j`'s credit: appended to its last line or on a line after it.
    /// Returns whether it took a line of its own (a unit apart from the paragraph).
    pub(super) fn credit_after(&self, j: usize, pen: &mut Pen, out: &mut Vec<OutLine>) -> bool {
        let Some((_, pieces, inline)) = self.credit.as_ref().filter(|c| c.0 == j) else {
            return false;
        };
        let l = pen.line(pieces, "credit");
        match out.last_mut() {
            Some(last) if *inline => {
                let at = last.text.chars().count();
                last.text.push_str(&l.text);
                last.masks
                    .extend(l.masks.into_iter().map(|(s, e, k)| (s + at, e + at, k)));
                false
            }
            _ => {
                out.push(l);
                true
            }
        }
    }
}

/// How one copy writes what it adds: the site's mask style (none for an unmasked
/// copy), the chance a name is masked, and `--varied`'s random stream.
pub(super) struct Pen<'a> {
    pub(super) style: Option<&'a Style>,
    pub(super) mask_p: f64,
    pub(super) rng: &'a mut Rng,
}

impl Pen<'_> {
    /// A line of pieces, names masked in the site's style with probability `mask_p`.
    fn line(&mut self, pieces: &[Piece], kind: &'static str) -> OutLine {
        line_of(pieces, self.style, self.mask_p, self.rng, kind)
    }
}

/// [`Pen::line`].
fn line_of(
    pieces: &[Piece],
    style: Option<&Style>,
    mask_p: f64,
    rng: &mut Rng,
    kind: &'static str,
) -> OutLine {
    let mut l = OutLine::unit(String::new(), kind);
    let mut n = 0;
    for p in pieces {
        let masked = match (p.kind, style) {
            (Some(k), Some(st)) if rng.chance(mask_p) => Some(mask_text(p, k, st, rng)),
            _ => None,
        };
        let t = match masked {
            Some((t, k)) => {
                let len = t.chars().count();
                let start = if k == Kind::Entity && t.ends_with('某') && len == 2 {
                    n + 1
                } else {
                    n
                };
                l.masks.push((start, n + len, k));
                t
            }
            None => p.text.clone(),
        };
        n += t.chars().count();
        l.text.push_str(&t);
    }
    l
}

/// How a file lays out its lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Wrap {
    /// Width of a line: characters, or columns when `columns`.
    pub(super) width: usize,
    pub(super) columns: bool,
    /// The first line of a paragraph opens with two ideographic spaces.
    pub(super) indent: bool,
}

/// A file's layout and script.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct FileLook {
    pub(super) wrap: Option<Wrap>,
    pub(super) traditional: bool,
    pub(super) big5: bool,
}

impl FileLook {
    pub(super) fn draw(rng: &mut Rng) -> FileLook {
        let wrap = rng.chance(0.18).then(|| {
            let columns = rng.chance(0.3);
            let chars = 28 + rng.below(19);
            Wrap {
                width: if columns { 2 * chars } else { chars },
                columns,
                indent: rng.chance(0.4),
            }
        });
        let traditional = rng.chance(0.15);
        FileLook {
            wrap,
            traditional,
            big5: traditional && rng.chance(0.5),
        }
    }
}

fn is_wide(c: char) -> bool {
    !c.is_ascii() && !('\u{FF61}'..='\u{FF9F}').contains(&c)
}

/// Cut one unit's text into lines of the width: positions (in chars) where each line
/// starts, after the first. Masks are not looked at: a wrapper cuts through them.
fn wrap_points(chars: &[char], w: Wrap, indent: usize) -> Vec<usize> {
    let width_of = |c: char| if w.columns && is_wide(c) { 2 } else { 1 };
    let mut cuts = Vec::new();
    let mut used = indent * if w.columns { 2 } else { 1 };
    let mut i = 0;
    while i < chars.len() {
        let cw = width_of(chars[i]);
        if used + cw > w.width && i > cuts.last().copied().unwrap_or(0) {
            let mut cut = i;
            // Closing punctuation stays on the line it closes.
            while cut < chars.len() && crate::segment::no_line_start(chars[cut]) {
                cut += 1;
            }
            if cut >= chars.len() {
                break;
            }
            cuts.push(cut);
            used = chars[cut..i.max(cut)].iter().map(|&c| width_of(c)).sum();
            i = i.max(cut);
            continue;
        }
        used += cw;
        i += 1;
    }
    cuts
}

/// Re-lay `lines` as a wrapped page: each unit (a line and the lines that continue it)
/// is joined and cut at the width. Returns the new lines and, per old line, the new
/// lines it spans (first, last).
pub(super) fn wrap_lines(lines: Vec<OutLine>, w: Wrap) -> (Vec<OutLine>, Vec<(usize, usize)>) {
    let mut out: Vec<OutLine> = Vec::with_capacity(lines.len() * 2);
    let mut map = vec![(0, 0); lines.len()];
    let mut i = 0;
    while i < lines.len() {
        let mut j = i + 1;
        while j < lines.len() && lines[j].join_prev {
            j += 1;
        }
        let first_new = out.len();
        if lines[i].furniture.is_some() {
            for (k, l) in lines[i..j].iter().enumerate() {
                map[i + k] = (out.len(), out.len());
                out.push(l.clone());
            }
            i = j;
            continue;
        }
        // The unit's text and masks, joined.
        let mut text = String::new();
        let mut masks = Vec::new();
        let mut n = 0;
        for l in &lines[i..j] {
            masks.extend(l.masks.iter().map(|&(s, e, k)| (s + n, e + n, k)));
            n += l.text.chars().count();
            text.push_str(&l.text);
        }
        let chars: Vec<char> = text.chars().collect();
        let indent = if w.indent && lines[i].unit == "body" {
            2
        } else {
            0
        };
        // A mask the width cuts in two is in no line of the truth (it holds a mask in
        // one line); the page is cut where the width says, as a wrapper does.
        let cuts = wrap_points(&chars, w, indent);
        let mut starts = vec![0];
        starts.extend(&cuts);
        for (k, &a) in starts.iter().enumerate() {
            let b = starts.get(k + 1).copied().unwrap_or(chars.len());
            let lead = if k == 0 { indent } else { 0 };
            let mut l = OutLine::unit(
                "　".repeat(lead) + &chars[a..b].iter().collect::<String>(),
                lines[i].unit,
            );
            l.join_prev = k > 0;
            l.masks = masks
                .iter()
                .filter(|m| a <= m.0 && m.1 <= b)
                .map(|&(s, e, kd)| (s - a + lead, e - a + lead, kd))
                .collect();
            out.push(l);
        }
        for m in map.iter_mut().take(j).skip(i) {
            *m = (first_new, out.len() - 1);
        }
        i = j;
    }
    (out, map)
}

/// Write every line in traditional characters where the conversion keeps its length
/// (so the truth's mask columns still hold); others stay as they were.
pub(super) fn to_traditional(lines: &mut [OutLine]) {
    for l in lines {
        let t = crate::script::convert(&l.text, crate::script::Script::Traditional);
        if t.chars().count() == l.text.chars().count() {
            l.text = t;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_the_text_and_the_width() {
        let text = "我们要坚持以人民为中心的发展思想，推动经济社会高质量发展。这是一个很长的段落，\
                    需要被切成好几行，每一行都不超过规定的宽度，标点不放在行首。";
        let mut l = OutLine::unit(text.into(), "body");
        l.masks = vec![(3, 5, Kind::Entity)];
        for w in [
            Wrap {
                width: 30,
                columns: false,
                indent: false,
            },
            Wrap {
                width: 60,
                columns: true,
                indent: true,
            },
        ] {
            let (out, map) = wrap_lines(vec![l.clone()], w);
            assert!(out.len() >= 3);
            assert_eq!(map, vec![(0, out.len() - 1)]);
            let joined: String = out
                .iter()
                .map(|l| l.text.trim_start_matches('　'))
                .collect();
            assert_eq!(joined, text);
            for (k, o) in out.iter().enumerate() {
                assert_eq!(o.join_prev, k > 0);
                let first = o.text.chars().find(|&c| c != '　').unwrap();
                assert!(!crate::segment::no_line_start(first), "{}", o.text);
                let n = o.text.chars().count();
                assert!(n <= 30 + 2, "{n}: {}", o.text);
            }
            let m = &out[0].masks[0];
            let lead = if w.indent { 2 } else { 0 };
            assert_eq!((m.0, m.1), (3 + lead, 5 + lead));
        }
    }
}
