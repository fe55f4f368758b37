//! The lines stage: decoded text to numbered, cleaned lines.
//!
//! A line ends at `\n`, `\r\n` or `\r`. Zero-width characters are removed everywhere,
//! white space used as indentation or trailing (ASCII, NBSP, the full-width space U+3000)
//! is trimmed, and a NBSP inside a line becomes a plain space. Every line remembers its
//! original 1-based number and which original columns were removed, so a span found in
//! the cleaned text maps back to columns of the original line (see
//! [`Line::orig_col`]).

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
    if !raw.chars().any(is_invisible) {
        return clean_visible_line(no, raw);
    }
    clean_any_line(no, raw)
}

/// [`clean_line`] for any line: the reference the fast path is tested against.
fn clean_any_line(no: u32, raw: &str) -> Line {
    let mut kept: Vec<(u32, char)> = Vec::with_capacity(raw.len() / 3 + 1);
    let mut removed = Vec::new();
    for (i, c) in raw.chars().enumerate() {
        if is_invisible(c) {
            removed.push(i as u32);
        } else {
            kept.push((i as u32, c));
        }
    }
    let lead = kept.iter().take_while(|(_, c)| c.is_whitespace()).count();
    let trail = kept[lead..]
        .iter()
        .rev()
        .take_while(|(_, c)| c.is_whitespace())
        .count();
    if lead > 0 || trail > 0 {
        removed.extend(kept[..lead].iter().map(|&(i, _)| i));
        removed.extend(kept[kept.len() - trail..].iter().map(|&(i, _)| i));
        removed.sort_unstable();
    }
    let text: String = kept[lead..kept.len() - trail]
        .iter()
        .map(|&(_, c)| if c == '\u{00A0}' { ' ' } else { c })
        .collect();
    let edge_cols = [
        ws_cols(kept[..lead].iter().map(|&(_, c)| c)),
        ws_cols(kept[kept.len() - trail..].iter().map(|&(_, c)| c)),
    ];
    Line {
        no,
        text,
        removed,
        edge_cols,
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
    }
}

/// Display columns of trimmed white space: an ideographic space is two, others one.
fn ws_cols(ws: impl Iterator<Item = char>) -> u16 {
    let n: usize = ws.map(|c| if c == '\u{3000}' { 2 } else { 1 }).sum();
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
}
