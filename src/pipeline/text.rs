//! Text-stage composition: a file's lines, furniture, structure, parts and masks as
//! one [`Prepared`], and the [`Marks`] the write phase can rebuild it from.

use super::*;

/// A file after the deterministic text stages (no dedup yet).
#[derive(Debug, Clone)]
pub struct Prepared {
    pub lines: Vec<Line>,
    /// Furniture rule of each line.
    pub furniture: Vec<Option<RuleId>>,
    pub docs: Vec<Document>,
    pub paras: Vec<Paragraph>,
    /// Masked spans of each paragraph (char offsets in its text).
    pub spans: Vec<Vec<Span>>,
}

impl Prepared {
    /// What the write phase needs of a file of many megabytes ([`release::BIG_BYTES`]
    /// of line text or more): of a line, only its number, its column map and whether it
    /// is blank, since the paragraphs hold the text. The lines' text goes (a one-byte
    /// stand-in marks a line that is not blank), which is a third of such a file's
    /// memory in that phase. Smaller files stay as they are.
    pub(super) fn for_writing(mut self) -> Prepared {
        let bytes: usize = self.lines.iter().map(|l| l.text.len()).sum();
        if (bytes as u64) >= release::BIG_BYTES {
            for l in &mut self.lines {
                if !l.is_blank() {
                    l.text = String::from(" ");
                }
            }
        }
        self
    }
}

/// Take `size` bytes from `budget` if it has them.
pub(super) fn take_budget(budget: &AtomicU64, size: u64) -> bool {
    budget
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
            left.checked_sub(size)
        })
        .is_ok()
}

impl Prepared {
    /// Bytes it holds, roughly: what keeping it for the write phase costs.
    pub fn heap_bytes(&self) -> u64 {
        use std::mem::size_of;
        let lines: usize = self
            .lines
            .iter()
            .map(|l| size_of::<Line>() + l.text.capacity() + 4 * l.removed.capacity())
            .sum();
        let paras: usize = self
            .paras
            .iter()
            .map(|p| {
                size_of::<Paragraph>()
                    + p.text.capacity()
                    + size_of::<(usize, usize)>() * p.pieces.capacity()
            })
            .sum();
        let docs: usize = self
            .docs
            .iter()
            .map(|d| size_of::<Document>() + d.title.as_ref().map_or(0, |t| t.capacity()))
            .sum();
        let spans: usize = self
            .spans
            .iter()
            .map(|s| size_of::<Vec<Span>>() + size_of::<Span>() * s.capacity())
            .sum();
        (lines + paras + docs + spans + size_of::<Option<RuleId>>() * self.furniture.len()) as u64
    }
}

/// Run the text stages on decoded text.
pub fn prepare(text: &str, boiler: &Boilerplate, keep_furniture: bool) -> Prepared {
    prepare_lines(split_lines(text), boiler, keep_furniture)
}

/// [`prepare`] after the lines stage: a caller that owns the decoded text can let it
/// go first (a page-long line would otherwise be held four times at once).
pub fn prepare_lines(lines: Vec<Line>, boiler: &Boilerplate, keep_furniture: bool) -> Prepared {
    let furniture = boiler.classify(&lines);
    assemble(lines, furniture, keep_furniture, |paras| {
        paras
            .iter()
            .map(|p| placeholders::detect(&p.text))
            .collect()
    })
}

/// [`prepare`] with the furniture and masks the analyze phase found in the same text
/// (see [`Marks`]): only the lines and the structure are built again. `None` when the
/// marks do not fit the text.
pub fn prepare_marked(text: &str, marks: &Marks, keep_furniture: bool) -> Option<Prepared> {
    prepare_marked_lines(split_lines(text), marks, keep_furniture).ok()
}

/// [`prepare_marked`] after the lines stage; the lines come back when the marks do not
/// fit them.
pub(super) fn prepare_marked_lines(
    lines: Vec<Line>,
    marks: &Marks,
    keep_furniture: bool,
) -> std::result::Result<Prepared, Vec<Line>> {
    if lines.len() != marks.furniture.len() {
        return Err(lines);
    }
    let prep = assemble(lines, marks.furniture(), keep_furniture, |paras| {
        marks.spans(paras.len()).unwrap_or_default()
    });
    if prep.spans.len() == prep.paras.len() {
        Ok(prep)
    } else {
        Err(prep.lines)
    }
}

/// The text stages after the furniture rules: structure, page-long paragraphs cut
/// into parts, then `spans` of the paragraphs.
pub(super) fn assemble(
    lines: Vec<Line>,
    furniture: Vec<Option<RuleId>>,
    keep_furniture: bool,
    spans: impl FnOnce(&[Paragraph]) -> Vec<Vec<Span>>,
) -> Prepared {
    let (mut docs, paras) = structure::build(&lines, &furniture, keep_furniture);
    let paras = parts::cut(&mut docs, paras);
    let spans = spans(&paras);
    Prepared {
        lines,
        furniture,
        docs,
        paras,
        spans,
    }
}

/// What the write phase needs of a file's text stages besides its text: the furniture
/// rule of each line and the masked spans of each paragraph. Two bytes a line and a
/// paragraph and eight a mask, against about twice the text for a whole [`Prepared`],
/// it spares the write phase the furniture rules and the mask detection of a file it
/// reads again, which are more than half of preparing it.
#[derive(Debug, Clone)]
pub struct Marks {
    /// Rule of each line, [`NO_RULE`] for none.
    pub(super) furniture: Box<[RuleId]>,
    /// The paragraphs' spans one after another.
    pub(super) spans: Box<[MarkSpan]>,
    /// How many spans each paragraph has.
    pub(super) counts: Box<[u16]>,
}

/// [`Marks::furniture`] of a line that no rule removes.
pub(super) const NO_RULE: RuleId = RuleId::MAX;

/// A [`Span`] in 8 bytes.
#[derive(Debug, Clone, Copy)]
pub(super) struct MarkSpan {
    pub(super) start: u32,
    pub(super) len: u16,
    pub(super) kind: Kind,
}
const _: () = assert!(std::mem::size_of::<MarkSpan>() == 8);

impl Marks {
    /// The marks of `prep` (`None` if a number does not fit its field).
    pub fn of(prep: &Prepared) -> Option<Marks> {
        let furniture = prep
            .furniture
            .iter()
            .map(|r| match *r {
                Some(NO_RULE) => None,
                Some(r) => Some(r),
                None => Some(NO_RULE),
            })
            .collect::<Option<_>>()?;
        let mut spans = Vec::with_capacity(prep.spans.iter().map(Vec::len).sum());
        let mut counts = Vec::with_capacity(prep.spans.len());
        for para in &prep.spans {
            for s in para {
                spans.push(MarkSpan {
                    start: s.start.try_into().ok()?,
                    len: (s.end - s.start).try_into().ok()?,
                    kind: s.kind,
                });
            }
            counts.push(para.len().try_into().ok()?);
        }
        Some(Marks {
            furniture,
            spans: spans.into(),
            counts: counts.into(),
        })
    }

    /// The furniture rule of each line.
    pub(super) fn furniture(&self) -> Vec<Option<RuleId>> {
        self.furniture
            .iter()
            .map(|&r| (r != NO_RULE).then_some(r))
            .collect()
    }

    /// The spans of each of `paragraphs` paragraphs (`None` if they are not that many).
    pub(super) fn spans(&self, paragraphs: usize) -> Option<Vec<Vec<Span>>> {
        if paragraphs != self.counts.len() {
            return None;
        }
        let mut rest = &self.spans[..];
        let out = self
            .counts
            .iter()
            .map(|&n| {
                let (para, after) = rest.split_at(usize::from(n).min(rest.len()));
                rest = after;
                para.iter()
                    .map(|s| Span {
                        start: s.start as usize,
                        end: s.start as usize + usize::from(s.len),
                        kind: s.kind,
                    })
                    .collect()
            })
            .collect();
        Some(out)
    }

    /// Bytes it holds: what keeping it for the write phase costs.
    pub fn heap_bytes(&self) -> u64 {
        Marks::bytes(self.furniture.len(), self.spans.len(), self.counts.len())
    }

    /// [`Marks::heap_bytes`] of the marks of `lines` lines and `paragraphs` paragraphs
    /// holding `spans` spans, known before they are made.
    pub(super) fn bytes(lines: usize, spans: usize, paragraphs: usize) -> u64 {
        use std::mem::size_of;
        (size_of::<Marks>()
            + size_of::<RuleId>() * lines
            + size_of::<MarkSpan>() * spans
            + size_of::<u16>() * paragraphs) as u64
    }
}

/// What the analyze phase keeps of a file's text stages for the write phase.
#[derive(Debug, Clone)]
pub enum Kept {
    /// All of them: the write phase need not read the file again.
    Prepared(Box<Prepared>),
    /// The furniture and masks: the write phase reads the file and builds its lines
    /// and structure again.
    Marks(Box<Marks>),
}
