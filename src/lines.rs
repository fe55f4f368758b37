//! The lines stage: decoded text to numbered, cleaned lines.
//!
//! A line ends at `\n`, `\r\n` or `\r`. Zero-width characters are removed everywhere,
//! white space used as indentation or trailing (ASCII, NBSP, the full-width space U+3000)
//! is trimmed, and a NBSP inside a line becomes a plain space. Every line remembers its
//! original 1-based number and which original columns were removed, so a span found in
//! the cleaned text maps back to columns of the original line (see
//! [`Line::orig_col`]).
//!
//! HTML left in the text ([`crate::markup`]) is cleaned too: a character reference
//! becomes its character (`&ldquo;` → `“`, `&nbsp;` → a space) and a tag is dropped (a
//! block tag, `<br>` or `<p>`, becomes a space). The line keeps the original columns of
//! what it read (see [`Line::orig_end`]) and how much longer it was as written, which is
//! what a wrapper counted (see [`LineMarkup`]).

/// One input line after cleaning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// 1-based line number in the decoded input.
    pub no: u32,
    /// Cleaned text.
    pub text: String,
    /// Original char columns that cleaning removed, ascending.
    pub removed: Vec<u32>,
    /// Display columns of the white space trimmed at the start and at the end (an
    /// ideographic space is two): what a page's indentation and a wrapper's line width
    /// are measured with.
    pub edge_cols: [u16; 2],
    /// What the line's HTML markup changed, when it held any (boxed: most lines hold
    /// none).
    pub markup: Option<Box<LineMarkup>>,
}

/// What cleaning did to a line's HTML markup.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct LineMarkup {
    /// Cleaned columns of characters that stand for more than one original character
    /// (a character reference, a block tag read as a space), with that many, ascending.
    pub wide: Vec<(u32, u32)>,
    /// How much longer than its cleaned text the line's interior was as written, in
    /// each of the structure stage's measures (characters, columns, columns with
    /// ambiguous characters wide): the markup a wrapper counted.
    pub extra: [u32; 3],
    /// How much of the line's length as written (edges included) the page does not
    /// show, in the same measures: a reference's letters beyond its character, a tag's
    /// all; what a wrapper that counted the shown text did not count.
    pub hidden: [u32; 3],
}

impl Line {
    /// Nothing left after cleaning.
    pub fn is_blank(&self) -> bool {
        self.text.is_empty()
    }

    /// The original column of char `col` of the cleaned text.
    pub fn orig_col(&self, col: usize) -> usize {
        let mut c = col;
        for &r in &self.removed {
            if r as usize <= c {
                c += 1;
            } else {
                break;
            }
        }
        c
    }

    /// [`LineMarkup::extra`], zero without markup.
    pub fn markup_extra(&self) -> [u32; 3] {
        self.markup.as_ref().map_or([0; 3], |m| m.extra)
    }

    /// [`LineMarkup::hidden`], zero without markup.
    pub fn markup_hidden(&self) -> [u32; 3] {
        self.markup.as_ref().map_or([0; 3], |m| m.hidden)
    }

    /// The original column after char `col` of the cleaned text: past the whole
    /// character reference or tag it was read from.
    pub fn orig_end(&self, col: usize) -> usize {
        let wide = self.markup.as_ref().map_or(&[][..], |m| &m.wide[..]);
        let n = match wide.binary_search_by_key(&(col as u32), |&(c, _)| c) {
            Ok(k) => wide[k].1 as usize,
            Err(_) => 1,
        };
        self.orig_col(col) + n
    }
}

/// Zero-width and invisible format characters that scrapers leave in text.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}'
    )
}

/// Split decoded text into cleaned lines.
pub fn split_lines(text: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    let mut no = 1u32;
    while let Some(k) = memchr::memchr2(b'\n', b'\r', &bytes[i..]) {
        i += k;
        lines.push(clean_line(no, &text[start..i]));
        no += 1;
        i += if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            2
        } else {
            1
        };
        start = i;
    }
    if start < bytes.len() {
        lines.push(clean_line(no, &text[start..]));
    }
    lines
}

fn clean_line(no: u32, raw: &str) -> Line {
    if !raw.chars().any(is_invisible) && !crate::markup::may_hold(raw) {
        return clean_visible_line(no, raw);
    }
    clean_any_line(no, raw)
}

/// [`clean_line`] for any line: the reference the fast path is tested against.
fn clean_any_line(no: u32, raw: &str) -> Line {
    use unicode_width::UnicodeWidthChar;
    // Each kept character: its original column, the character, and how many original
    // characters it was read from (more than one for markup).
    let mut kept: Vec<(u32, char, u32)> = Vec::with_capacity(raw.len() / 3 + 1);
    // Dropped tags: original column and length.
    let mut tags: Vec<(u32, u32)> = Vec::new();
    // Columns of block tags kept as a space.
    let mut block_tags: Vec<u32> = Vec::new();
    let mut removed = Vec::new();
    let mut markup = false;
    let (mut b, mut col) = (0usize, 0u32);
    while b < raw.len() {
        let rest = &raw[b..];
        if let Some(m) = crate::markup::at(rest) {
            markup = true;
            let n = rest[..m.bytes()].chars().count() as u32;
            match m.kept().filter(|&c| !is_invisible(c)) {
                Some(c) => {
                    if matches!(m, crate::markup::Markup::Tag { .. }) {
                        block_tags.push(col);
                    }
                    kept.push((col, c, n));
                    removed.extend(col + 1..col + n);
                }
                None => {
                    tags.push((col, n));
                    removed.extend(col..col + n);
                }
            }
            b += m.bytes();
            col += n;
            continue;
        }
        let c = rest.chars().next().expect("not at the end");
        if is_invisible(c) {
            removed.push(col);
        } else {
            kept.push((col, c, 1));
        }
        b += c.len_utf8();
        col += 1;
    }
    let lead = kept
        .iter()
        .take_while(|(_, c, _)| c.is_whitespace())
        .count();
    let trail = kept[lead..]
        .iter()
        .rev()
        .take_while(|(_, c, _)| c.is_whitespace())
        .count();
    if lead > 0 || trail > 0 {
        removed.extend(kept[..lead].iter().map(|&(i, ..)| i));
        removed.extend(kept[kept.len() - trail..].iter().map(|&(i, ..)| i));
    }
    removed.sort_unstable();
    let body = &kept[lead..kept.len() - trail];
    let text: String = body
        .iter()
        .map(|&(_, c, _)| if c == '\u{00A0}' { ' ' } else { c })
        .collect();
    // Markup counts as written: at the edges in the trimmed columns, inside the line
    // in `markup_extra`.
    let (first, last) = match body {
        [] => (u32::MAX, u32::MAX),
        [a, .., z] => (a.0, z.0),
        [a] => (a.0, a.0),
    };
    let edge = |ks: &[(u32, char, u32)], side: &dyn Fn(u32) -> bool| -> u16 {
        let ws: usize = ks
            .iter()
            .map(|&(_, c, n)| if n > 1 { n as usize } else { ws_width(c) })
            .sum();
        let tag: u32 = tags.iter().filter(|t| side(t.0)).map(|t| t.1).sum();
        (ws + tag as usize).min(u16::MAX as usize) as u16
    };
    let edge_cols = [
        edge(&kept[..lead], &|c| c < first),
        edge(&kept[kept.len() - trail..], &|c| {
            first != u32::MAX && c > last
        }),
    ];
    let mut wide = Vec::new();
    let mut markup_extra = [0u32; 3];
    let mut markup_hidden = [0u32; 3];
    let inner = |col: u32| first != u32::MAX && col > first && col < last;
    for (k, &(col, c, n)) in kept.iter().enumerate() {
        if n == 1 {
            continue;
        }
        // A reference, or a block tag read as a space: as the text counts it, and as
        // the page shows it (a tag not at all).
        let counted = if c.is_whitespace() {
            let w = ws_width(c) as u32;
            [1, w, w]
        } else {
            [
                1,
                c.width().unwrap_or(0) as u32,
                c.width_cjk().unwrap_or(0) as u32,
            ]
        };
        let shown = if block_tags.contains(&col) {
            [0; 3]
        } else {
            counted
        };
        let in_body = k >= lead && k < kept.len() - trail;
        for m in 0..3 {
            markup_hidden[m] += n.saturating_sub(shown[m]);
            if in_body {
                markup_extra[m] += n.saturating_sub(counted[m]);
            }
        }
        if in_body {
            wide.push(((k - lead) as u32, n));
        }
    }
    for &(c, n) in &tags {
        markup_hidden.iter_mut().for_each(|e| *e += n);
        if inner(c) {
            markup_extra.iter_mut().for_each(|e| *e += n);
        }
    }
    Line {
        no,
        text,
        removed,
        edge_cols,
        markup: markup.then(|| {
            Box::new(LineMarkup {
                wide,
                extra: markup_extra,
                hidden: markup_hidden,
            })
        }),
    }
}

/// Display columns of one trimmed white-space character: an ideographic space is two.
fn ws_width(c: char) -> usize {
    if c == '\u{3000}' {
        2
    } else {
        1
    }
}

/// [`clean_line`] for the common line without invisible characters: trim, and turn
/// NBSP into a space, without a per-character buffer.
fn clean_visible_line(no: u32, raw: &str) -> Line {
    let start = raw.trim_start_matches(char::is_whitespace);
    let body = start.trim_end_matches(char::is_whitespace);
    let lead = raw[..raw.len() - start.len()].chars().count() as u32;
    let trail = start[body.len()..].chars().count() as u32;
    let mut removed: Vec<u32> = (0..lead).collect();
    if trail > 0 {
        let total = lead + body.chars().count() as u32 + trail;
        removed.extend(total - trail..total);
    }
    let text = if body.contains('\u{00A0}') {
        body.replace('\u{00A0}', " ")
    } else {
        body.to_string()
    };
    let edge_cols = [
        ws_cols(raw[..raw.len() - start.len()].chars()),
        ws_cols(start[body.len()..].chars()),
    ];
    Line {
        no,
        text,
        removed,
        edge_cols,
        markup: None,
    }
}

/// Display columns of trimmed white space: an ideographic space is two, others one.
fn ws_cols(ws: impl Iterator<Item = char>) -> u16 {
    let n: usize = ws.map(ws_width).sum();
    n.min(u16::MAX as usize) as u16
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// White space of several kinds (NBSP, ideographic, em space) and text; no
    /// invisible characters, which take the general path.
    const VISIBLE: &[char] = &[
        ' ', '\t', '\u{00A0}', '\u{3000}', '\u{2003}', '同', '志', 'a', '1', '，', '。',
    ];

    proptest! {
        #[test]
        fn fast_path_equals_general_cleaning(idx in proptest::collection::vec(0..VISIBLE.len(), 0..24)) {
            let raw: String = idx.iter().map(|&i| VISIBLE[i]).collect();
            prop_assert_eq!(clean_visible_line(3, &raw), clean_any_line(3, &raw));
        }
    }

    /// Pieces of text and markup, whole and broken.
    const MARKUP: &[&str] = &[
        "&nbsp;",
        "&ldquo;",
        "&#183;",
        "&amp;",
        "&times;",
        "<br/>",
        "<p>",
        "</p>",
        "<span a=\"b\">",
        "&",
        ";",
        "<",
        ">",
        "nbsp",
        "p",
        " ",
        "\u{3000}",
        "\u{200B}",
        "同",
        "。",
    ];

    proptest! {
        #[test]
        fn every_cleaned_character_maps_back_to_what_it_was_read_from(
            idx in proptest::collection::vec(0..MARKUP.len(), 0..16)
        ) {
            let raw: String = idx.iter().map(|&i| MARKUP[i]).collect();
            let l = clean_line(1, &raw);
            let orig: Vec<char> = raw.chars().collect();
            for (k, c) in l.text.chars().enumerate() {
                let (a, b) = (l.orig_col(k), l.orig_end(k));
                let written: String = orig[a..b].iter().collect();
                let read = match crate::markup::at(&written) {
                    Some(m) if m.bytes() == written.len() => m.kept(),
                    _ => written.chars().next(),
                };
                let read = read.map(|r| if r == '\u{00A0}' { ' ' } else { r });
                prop_assert_eq!(read, Some(c), "{:?} at {} in {:?}", written, k, raw);
            }
            prop_assert_eq!(orig.len(), l.text.chars().count() + l.removed.len());
        }
    }

    #[test]
    fn all_line_endings_and_numbers() {
        let ls = split_lines("一\r\n二\r三\n\n四");
        let got: Vec<_> = ls.iter().map(|l| (l.no, l.text.as_str())).collect();
        assert_eq!(got, [(1, "一"), (2, "二"), (3, "三"), (4, ""), (5, "四")]);
        assert_eq!(split_lines("a\n").len(), 1);
        assert!(split_lines("").is_empty());
    }

    #[test]
    fn indentation_and_invisibles_are_removed_with_column_map() {
        let ls = split_lines("\u{3000}\u{3000}同\u{200B}志们\u{00A0}好 ");
        let l = &ls[0];
        assert_eq!(l.text, "同志们 好");
        assert_eq!(l.removed, [0, 1, 3, 8]);
        // '志' is cleaned column 1, original column 4.
        assert_eq!(l.orig_col(1), 4);
        assert_eq!(l.orig_col(0), 2);
        assert_eq!(l.orig_col(4), 7);
        assert!(split_lines(" \u{3000}\u{200B}")[0].is_blank());
    }

    #[test]
    fn html_markup_is_decoded_or_dropped_with_its_columns_kept() {
        let raw = "&nbsp;&nbsp;同志们&ldquo;好&rdquo;<span class=\"x\">！</span><br/>";
        let l = &split_lines(raw)[0];
        assert_eq!(l.text, "同志们“好”！");
        assert!(l.markup.is_some());
        // The indent counts as written (two references of six), as do `</span><br/>`.
        assert_eq!(l.edge_cols, [12, 12]);
        // `“` is read from `&ldquo;` at original columns 15..22; `”` from 23..30.
        assert_eq!((l.orig_col(3), l.orig_end(3)), (15, 22));
        assert_eq!((l.orig_col(4), l.orig_end(4)), (22, 23));
        assert_eq!((l.orig_col(5), l.orig_end(5)), (23, 30));
        // `！` sits after the 15 columns of `<span class="x">`.
        assert_eq!((l.orig_col(6), l.orig_end(6)), (46, 47));
        // Inside the line, each reference is 6 more characters than the one it stands
        // for, and the tag is 16; counted with ambiguous characters wide, a curly
        // quote is two columns of its reference's seven.
        assert_eq!(l.markup_extra(), [28, 28, 26]);
        // A block tag inside a line reads as a space; text that only looks like markup
        // stays as it is.
        assert_eq!(
            split_lines("第一段。<br>第二段。")[0].text,
            "第一段。 第二段。"
        );
        let plain = &split_lines("AT&T 与 R&D，<stdio.h> 和 a && b")[0];
        assert_eq!(plain.text, "AT&T 与 R&D，<stdio.h> 和 a && b");
        assert!(plain.markup.is_none() && plain.removed.is_empty());
    }
}
