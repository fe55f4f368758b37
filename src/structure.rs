//! The structure stage: content lines to documents of paragraphs.
//!
//! A paragraph is one content line (not blank, not furniture). A document is, for now,
//! the whole file; compilation splitting and reflow of broken lines build on the types
//! here. Every paragraph keeps the range of original lines it came from and, for a
//! paragraph made of several lines, where each line starts in its text, so a span found
//! in the paragraph maps back to a line and column.

use crate::boilerplate::RuleId;
use crate::lines::Line;

/// A paragraph: text and the original lines it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paragraph {
    /// Index (into the file's lines) of the first line.
    pub first: usize,
    /// Index of the last line (inclusive).
    pub last: usize,
    /// Text of the joined lines.
    pub text: String,
    /// `(line index, char offset in text)` of each line that makes up the paragraph.
    pub pieces: Vec<(usize, usize)>,
}

impl Paragraph {
    /// A paragraph of one line.
    pub fn single(idx: usize, line: &Line) -> Self {
        Paragraph {
            first: idx,
            last: idx,
            text: line.text.clone(),
            pieces: vec![(idx, 0)],
        }
    }

    /// The line index and cleaned column of char `pos` of the text, and the char
    /// offset at which that line's piece ends.
    pub fn locate(&self, pos: usize, total_chars: usize) -> (usize, usize, usize) {
        let k = self
            .pieces
            .partition_point(|&(_, off)| off <= pos)
            .saturating_sub(1);
        let (line, off) = self.pieces[k];
        let piece_end = self.pieces.get(k + 1).map_or(total_chars, |&(_, o)| o);
        (line, pos - off, piece_end)
    }
}

/// A document: a range of lines and the paragraphs in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// Index of the first line (inclusive).
    pub first: usize,
    /// Index of the last line (inclusive).
    pub last: usize,
    /// Title line, if the document has one.
    pub title: Option<String>,
    /// Range of paragraph indices.
    pub paras: std::ops::Range<usize>,
}

/// Build documents and paragraphs from lines; `furniture[i]` is the rule that marked
/// line `i` as site furniture. With `keep_furniture` those lines are paragraphs too.
pub fn build(
    lines: &[Line],
    furniture: &[Option<RuleId>],
    keep_furniture: bool,
) -> (Vec<Document>, Vec<Paragraph>) {
    let mut paras = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if l.is_blank() || (furniture[i].is_some() && !keep_furniture) {
            continue;
        }
        paras.push(Paragraph::single(i, l));
    }
    let docs = if paras.is_empty() {
        Vec::new()
    } else {
        vec![Document {
            first: paras[0].first,
            last: paras[paras.len() - 1].last,
            title: None,
            paras: 0..paras.len(),
        }]
    };
    (docs, paras)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lines::split_lines;

    #[test]
    fn one_document_of_content_lines() {
        let lines = split_lines("2022-07-14\n\n同志们：\n正文一。\n\n正文二。\n");
        let fur = vec![Some(0), None, None, None, None, None];
        let (docs, paras) = build(&lines, &fur, false);
        assert_eq!(paras.iter().map(|p| p.first).collect::<Vec<_>>(), [2, 3, 5]);
        assert_eq!(docs.len(), 1);
        assert_eq!(
            (docs[0].first, docs[0].last, docs[0].paras.clone()),
            (2, 5, 0..3)
        );
        let (_, paras) = build(&lines, &fur, true);
        assert_eq!(paras.len(), 4);
    }

    #[test]
    fn locate_maps_joined_text_to_lines() {
        let p = Paragraph {
            first: 3,
            last: 4,
            text: "组织开展".into(),
            pieces: vec![(3, 0), (4, 2)],
        };
        assert_eq!(p.locate(0, 4), (3, 0, 2));
        assert_eq!(p.locate(1, 4), (3, 1, 2));
        assert_eq!(p.locate(2, 4), (4, 0, 4));
        assert_eq!(p.locate(3, 4), (4, 1, 4));
    }
}
