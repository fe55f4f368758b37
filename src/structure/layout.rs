//! Layout detection of the structure stage: is a page one paragraph a line, or
//! hard-wrapped at a width (counted in characters or display columns)?

use super::*;

/// How a wrapper counts a line's length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// Characters.
    Chars,
    /// Display columns: a wide character (CJK, full-width forms) is two, one of
    /// ambiguous width (curly quotes, ×, ○) one, as a Western terminal counts.
    Columns,
    /// Display columns with ambiguous characters two, as a CJK terminal counts.
    CjkColumns,
}

impl Measure {
    const ALL: [Measure; 3] = [Measure::Chars, Measure::Columns, Measure::CjkColumns];
}

/// How a file lays out its paragraphs, decided from its line lengths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One paragraph a line (a line the page broke is the exception).
    Lines,
    /// Hard-wrapped: every line of a paragraph but the last reaches `width`.
    Wrapped { width: u32, measure: Measure },
}

impl std::fmt::Display for Layout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Layout::Lines => write!(f, "one paragraph a line"),
            Layout::Wrapped { width, measure } => {
                let unit = match measure {
                    Measure::Chars => "characters",
                    Measure::Columns => "columns",
                    Measure::CjkColumns => "columns (ambiguous characters wide)",
                };
                write!(f, "hard-wrapped at {width} {unit}")
            }
        }
    }
}

/// Shortest line whose length can show a wrap width.
pub(super) const WRAP_MIN_WIDTH: u32 = 16;
/// Longest wrap width, in characters (twice that in columns): wrappers break Chinese
/// text at 28 to 46 characters, and 80-column terminals at 40; lines of one length
/// past this are a source's own cut (reviews truncated at 100 characters), not a wrap.
pub(super) const WRAP_MAX_CHARS: u32 = 80;

/// Lines at the width (within [`wrap_slack`] below it, one above) needed to call a file
/// wrapped, and the share of its long lines they must be.
pub(super) const WRAP_MIN_LINES: usize = 3;
pub(super) const WRAP_MIN_SHARE: f64 = 0.2;
/// Share of the lines in the width's band that are the width itself (or, in columns,
/// one less): what tells a wrapper's lines from lines of like lengths.
pub(super) const WRAP_EXACT_SHARE: f64 = 0.4;
/// How far past the width a full line may run: closing punctuation a typesetter keeps
/// off the next line's start (`。”`).
pub(super) const WRAP_OVER: u32 = 2;

/// How far below the width a full line may stop: counted in columns, a wide character
/// that does not fit in the last column goes to the next line. (Above the width, a
/// line may hold the closing punctuation a typesetter pulls up from the next.)
pub(super) fn wrap_slack(m: Measure) -> u32 {
    u32::from(m != Measure::Chars)
}

/// A line's length as a wrapper counts it, in each [`Measure`] (indexed by it), with
/// the white space the lines stage trimmed at either end (indentation, and the space a
/// wrapper left before the break). One pass over the text; ideographs and printable
/// ASCII, most of it, skip the width tables.
pub(super) fn measures(line: &Line) -> [u32; 3] {
    let (mut chars, mut cols, mut cjk) = (0u32, 0u32, 0u32);
    for c in line.text.chars() {
        let [_, w, wc] = char_measures(c);
        chars += 1;
        cols += w;
        cjk += wc;
    }
    let total = chars as usize + line.removed.len();
    let lead = line
        .removed
        .iter()
        .enumerate()
        .take_while(|&(k, &c)| k as u32 == c)
        .count();
    let trail = line
        .removed
        .iter()
        .rev()
        .enumerate()
        .take_while(|&(k, &c)| c as usize + k + 1 == total)
        .count();
    // A last character read from a reference leaves the reference's tail among the
    // removed columns at the end: it is counted in `LineMarkup::extra`, not as trimmed.
    let last = (chars as usize).checked_sub(1);
    let wide = line.markup.as_ref().map_or(&[][..], |m| &m.wide[..]);
    let tail_of_last = match wide.last() {
        Some(&(c, n)) if Some(c as usize) == last => n as usize - 1,
        _ => 0,
    };
    let trail = trail.saturating_sub(tail_of_last);
    let edge = u32::from(line.edge_cols[0]) + u32::from(line.edge_cols[1]);
    let x = line.markup_extra();
    [
        chars + (lead + trail) as u32 + x[0],
        cols + edge + x[1],
        cjk + edge + x[2],
    ]
}

/// One character's length in each [`Measure`].
#[inline]
fn char_measures(c: char) -> [u32; 3] {
    use unicode_width::UnicodeWidthChar;
    if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
        [1, 2, 2]
    } else if (' '..='~').contains(&c) {
        [1, 1, 1]
    } else {
        [
            1,
            c.width().unwrap_or(0) as u32,
            c.width_cjk().unwrap_or(0) as u32,
        ]
    }
}

/// The measure of the closing punctuation at the end of `line` that a typesetter
/// pulled up from the next line's start (see [`crate::segment::no_line_start`]).
fn pulled_up(line: &Line, m: Measure) -> u32 {
    line.text
        .chars()
        .rev()
        .take_while(|&c| crate::segment::no_line_start(c))
        .map(|c| char_measures(c)[m as usize])
        .sum()
}

/// How far past the width a wrapper's line may run on this page, not counting the
/// closing punctuation pulled up to its end: [`WRAP_OVER`] (the page's width is its
/// commonest full length, which a wrapper's lines may pass by a character or two), or
/// nothing when most of the page's lines in that margin are explained by punctuation
/// pulled up (the wrapper keeps it off a line's start, so its width is exact).
pub(super) fn over_allowance(all: &[Line], lines: &[usize], width: u32, m: Measure) -> u32 {
    let (mut pulled, mut other) = (0usize, 0usize);
    for &i in lines {
        let n = measure(&all[i], m);
        if n > width && n <= width + WRAP_OVER {
            if n - pulled_up(&all[i], m).min(n) <= width {
                pulled += 1;
            } else {
                other += 1;
            }
        }
    }
    if pulled > other {
        0
    } else {
        WRAP_OVER
    }
}

/// Does a line of length `n` (in `m`) fit a wrapper of `width`: no more than `over`
/// past it (see [`over_allowance`]), but for the closing punctuation at its end that a
/// typesetter pulled up (`…发展。”`)? A line that runs further (a command or a table
/// row in a `<pre>` block, which no wrapper touched) is not the wrapper's.
///
/// A line that holds HTML markup fits when its text does: a wrapper that counted the
/// markup as written reached the width with it (see [`measures`]), one that counted
/// what the page shows fitted the text alone.
pub(super) fn within_width(line: &Line, n: u32, width: u32, m: Measure, over: u32) -> bool {
    let shown = n.saturating_sub(line.markup_hidden()[m as usize]);
    shown.saturating_sub(pulled_up(line, m)) <= width + over
}

/// [`measures`] in one measure.
pub(super) fn measure(line: &Line, m: Measure) -> u32 {
    measures(line)[m as usize]
}

/// The line opens with indentation: two columns of white space or more (a lone
/// space is a wrapper's leftover, not an indent).
pub(super) fn indented(line: &Line) -> bool {
    line.edge_cols[0] >= 2
}

/// Decide a file's layout from the lengths of its content lines (`lines` picks them).
///
/// A wrapped page has many lines of one length, the width, and next to none longer;
/// most of those full lines stop mid-sentence. A page of one paragraph a line has
/// lengths all over the place, and its long lines end sentences.
///
/// A page with HTML markup in its lines is measured twice, the markup counted as
/// written and not at all (a wrapper may have counted either), and the better of the two
/// decides.
pub fn layout(all: &[Line], lines: &[usize]) -> Layout {
    let complete: Vec<bool> = lines.iter().map(|&i| ends_complete(&all[i].text)).collect();
    let written: Vec<[u32; 3]> = lines.iter().map(|&i| measures(&all[i])).collect();
    let mut best = best_wrap(&written, &complete, None);
    if lines.iter().any(|&i| all[i].markup_hidden() != [0; 3]) {
        let shown: Vec<[u32; 3]> = lines
            .iter()
            .zip(&written)
            .map(|(&i, w)| std::array::from_fn(|k| w[k].saturating_sub(all[i].markup_hidden()[k])))
            .collect();
        best = best_wrap(&shown, &complete, best);
    }
    best.map_or(Layout::Lines, |b| b.1)
}

/// The wrapper that best explains lines of these `lengths` (in each [`Measure`]), if any
/// explains them better than `best` does (see [`layout`]).
fn best_wrap(
    lengths: &[[u32; 3]],
    complete: &[bool],
    mut best: Option<((usize, usize, usize), Layout)>,
) -> Option<((usize, usize, usize), Layout)> {
    for m in Measure::ALL {
        let slack = wrap_slack(m);
        // Long lines by length, with how many of the first k stop open: every band
        // below is then two binary searches, not a pass over the lines.
        let mut lens: Vec<(u32, bool)> = lengths
            .iter()
            .zip(complete)
            .map(|(l, &c)| (l[m as usize], c))
            .filter(|&(n, _)| n >= WRAP_MIN_WIDTH - slack)
            .collect();
        if lens.len() < WRAP_MIN_LINES {
            continue;
        }
        lens.sort_unstable();
        let mut open_before = Vec::with_capacity(lens.len() + 1);
        open_before.push(0usize);
        for &(_, c) in &lens {
            open_before.push(open_before.last().copied().unwrap_or(0) + usize::from(!c));
        }
        // (length, lines of that length), ascending.
        let runs: Vec<(u32, usize)> = lens
            .chunk_by(|a, b| a.0 == b.0)
            .map(|r| (r[0].0, r.len()))
            .collect();
        // The width: the band of lengths [w - slack, w + WRAP_OVER] that holds the most
        // lines (a full line is the width, one or two more where the typesetter pulled
        // closing punctuation up to it, one less in columns where a wide character did
        // not fit), snapped to the commonest length in it.
        let max = WRAP_MAX_CHARS * if m == Measure::Chars { 1 } else { 2 };
        for &(w, _) in runs.iter().filter(|r| r.0 >= WRAP_MIN_WIDTH && r.0 <= max) {
            let lo = lens.partition_point(|l| l.0 + slack < w);
            let hi = lens.partition_point(|l| l.0 <= w + WRAP_OVER);
            let near = hi - lo;
            let over = lens.len() - hi;
            let open = open_before[hi] - open_before[lo];
            let ok = near >= WRAP_MIN_LINES
                && near as f64 >= WRAP_MIN_SHARE * lens.len() as f64
                && over * 4 <= near
                && open * 2 >= near;
            if !ok {
                continue;
            }
            let band = &runs[runs.partition_point(|r| r.0 + slack < w)
                ..runs.partition_point(|r| r.0 <= w + WRAP_OVER)];
            // In columns a full line is the width or one less, so the width is the
            // length whose lines and those one column shorter are the most (a page of
            // wide characters wrapped at 66 columns has about as many lines of 65).
            let lines_at = |len: u32| band.iter().find(|r| r.0 == len).map_or(0, |r| r.1);
            let width = band
                .iter()
                .max_by_key(|r| {
                    let short = if slack > 0 { lines_at(r.0 - slack) } else { 0 };
                    (r.1 + short, std::cmp::Reverse(r.0))
                })
                .map_or(w, |r| r.0);
            // A wrapper makes most full lines exactly the width: lines that only happen
            // to be of like lengths (a page of reviews) are not wrapped.
            let exact: usize = band
                .iter()
                .filter(|r| r.0 <= width && r.0 + slack >= width)
                .map(|r| r.1)
                .sum();
            if exact < WRAP_MIN_LINES || (exact as f64) < WRAP_EXACT_SHARE * near as f64 {
                continue;
            }
            // The wrapper's own measure and width are the ones that put the most lines
            // exactly on the width: a band of other lengths also holds lines that only
            // happen to be as long (a review of 37 characters among 36 to 40 of a page
            // wrapped at 70 columns). Then the band with more lines, then, in columns,
            // more on the width itself than one short of it.
            let key = (exact, near, lines_at(width));
            if best.is_some_and(|(k, _)| key <= k) {
                continue;
            }
            best = Some((key, Layout::Wrapped { width, measure: m }));
        }
    }
    best
}
