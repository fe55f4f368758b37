//! The parts stage: a page-long paragraph is searched as sentence-bounded parts.
//!
//! A scrape that lost its line breaks puts a whole speech, or a whole page, on one line,
//! and the structure stage rightly makes it one paragraph. Searched whole, such a
//! paragraph costs the alignment the product of two copies' lengths, and a copy of one
//! of its passages elsewhere is never found. So a paragraph longer than [`LONG_CHARS`]
//! is cut into parts of ordinary length, each a unit of the search, of the keep
//! decision and of the reports, as a paragraph is; `clean/` writes the kept parts of
//! one paragraph on one line again, so its text stays as it was apart from what is
//! removed.
//!
//! Cuts fall where two copies of the page agree whatever was edited in them: at a
//! sentence end whose last few written characters (not masks, not numbers; folded to
//! simplified) hash to an anchor, one sentence end in [`ANCHOR_EVERY`]. Content-defined
//! cuts come back in step after an insertion or a deletion, where cuts every N
//! characters would shift every later part of the copy. A part is at least
//! [`PART_MIN_CHARS`] long; one that reaches [`PART_MAX_CHARS`] without an anchor is
//! cut at its last sentence end, else at its last clause mark, else where it is.

use crate::lines::Line;
use crate::script::Folder;
use crate::segment::{is_closer, is_sentence_end};
use crate::structure::{Document, Paragraph};

/// A paragraph longer than this (in characters) is cut into parts.
pub const LONG_CHARS: usize = 2000;
/// Shortest part, but for the last part of a paragraph that leaves no room for it.
pub const PART_MIN_CHARS: usize = 200;
/// A part that reaches this length without an anchor is cut where it can be.
pub const PART_MAX_CHARS: usize = 1000;
/// One sentence end in this many is an anchor, on average.
pub const ANCHOR_EVERY: u64 = 8;
/// Written characters before a sentence end that decide whether it is an anchor.
const ANCHOR_CHARS: usize = 4;
/// How far back from a sentence end the anchor characters are looked for.
const ANCHOR_REACH: usize = 16;

/// Characters the anchor skips: what copies of one text write differently (masks,
/// numbers) rather than what they say.
fn unstable(c: char) -> bool {
    !crate::placeholders::is_han(c) || "某一二三四五六七八九十百千万亿零两".contains(c)
}

/// A place in a text: its byte offset and its char offset.
pub type At = (usize, usize);

/// Is the sentence that ends where `before` ends (just before its end mark) cut after?
fn is_anchor(before: &str, fold: &mut Folder) -> bool {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    let mut taken = 0;
    for c in before.chars().rev().take(ANCHOR_REACH) {
        if unstable(c) {
            continue;
        }
        h = (h ^ fold.fold(c) as u64).wrapping_mul(0x0100_0000_01B3);
        taken += 1;
        if taken == ANCHOR_CHARS {
            break;
        }
    }
    taken > 0
        && ((h ^ (h >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9) >> 32).is_multiple_of(ANCHOR_EVERY)
}

/// Where the parts of `text` after the first begin, as `(byte, char)` offsets (none
/// when the text is not longer than [`LONG_CHARS`]). Works on the text as it is, so a
/// page of many megabytes costs no copy.
pub fn cut_points(text: &str) -> Vec<At> {
    let mut cuts = Vec::new();
    if text.len() <= LONG_CHARS {
        return cuts;
    }
    let n = text.chars().count();
    if n <= LONG_CHARS {
        return cuts;
    }
    let mut fold = Folder::new();
    // (byte, char) offset where the current part starts, and its last sentence end
    // and last clause mark that leave both sides at least the shortest part.
    let mut start = (0, 0);
    let (mut sentence, mut clause): (Option<At>, Option<At>) = (None, None);
    let room = |at: usize, start: usize| at - start >= PART_MIN_CHARS && n - at >= PART_MIN_CHARS;
    // The (byte, char) offset of the next character.
    let mut at = (0, 0);
    while let Some(c) = text[at.0..].chars().next() {
        if at.1 - start.1 >= PART_MAX_CHARS {
            let cut = sentence.or(clause).unwrap_or(at);
            if n - cut.1 < PART_MIN_CHARS {
                break;
            }
            cuts.push(cut);
            (start, sentence, clause) = (cut, None, None);
            // Go on from the cut: what follows it belongs to the new part.
            at = cut;
            continue;
        }
        let next = (at.0 + c.len_utf8(), at.1 + 1);
        if is_sentence_end(c) {
            // The sentence ends after its run of end marks and closing quotes.
            let mut end = next;
            while let Some(d) = text[end.0..].chars().next() {
                // (A run of end marks never carries a part past its longest.)
                if !(is_sentence_end(d) || is_closer(d)) || end.1 - start.1 >= PART_MAX_CHARS {
                    break;
                }
                end = (end.0 + d.len_utf8(), end.1 + 1);
            }
            if room(end.1, start.1) {
                if is_anchor(&text[start.0..at.0], &mut fold) {
                    cuts.push(end);
                    (start, sentence, clause) = (end, None, None);
                } else {
                    sentence = Some(end);
                }
            }
            at = end;
            continue;
        }
        if matches!(c, '，' | '、' | '：' | ',' | ':') && room(next.1, start.1) {
            clause = Some(next);
        }
        at = next;
    }
    cuts
}

/// Cut every paragraph longer than [`LONG_CHARS`] into parts, and renumber the
/// documents' paragraph ranges to match.
pub fn cut(docs: &mut [Document], paras: Vec<Paragraph>) -> Vec<Paragraph> {
    if paras.iter().all(|p| p.text.len() <= LONG_CHARS) {
        // Fewer bytes than the limit in characters: nothing is long (the usual case).
        return paras;
    }
    let mut out = Vec::with_capacity(paras.len());
    // New index of each old paragraph's first part, and the end.
    let mut first_part = Vec::with_capacity(paras.len() + 1);
    for p in paras {
        first_part.push(out.len());
        let cuts = cut_points(&p.text);
        if cuts.is_empty() {
            out.push(p);
        } else {
            split(&p, &cuts, &mut out);
        }
    }
    first_part.push(out.len());
    for d in docs {
        d.paras = first_part[d.paras.start]..first_part[d.paras.end];
    }
    out
}

/// Push the parts of `p` cut before each of `cuts` (`(byte, char)` offsets).
fn split(p: &Paragraph, cuts: &[At], out: &mut Vec<Paragraph>) {
    let mut from = (0, 0);
    for k in 0..=cuts.len() {
        let to = cuts.get(k).copied();
        let (a, b) = (from, to.unwrap_or((p.text.len(), usize::MAX)));
        // The line piece the part starts in, and those that start inside it.
        let j = p
            .pieces
            .partition_point(|&(_, off)| off <= a.1)
            .saturating_sub(1);
        let (line, off) = p.pieces[j];
        let mut pieces = vec![(line, 0)];
        pieces.extend(
            p.pieces[j + 1..]
                .iter()
                .take_while(|&&(_, o)| o < b.1)
                .map(|&(l, o)| (l, o - a.1)),
        );
        out.push(Paragraph {
            first: line,
            last: pieces.last().map_or(line, |&(l, _)| l),
            text: p.text[a.0..b.0].to_string(),
            pieces,
            col: a.1 - off + if j == 0 { p.col } else { 0 },
            glued: to.is_some() || p.glued,
        });
        from = b;
    }
}

/// Where each part of a page-long paragraph lies in its lines: the original column
/// (0-based, as in `placeholders.jsonl`) of its first character in its first line and
/// the column after its last character in its last line. `None` for a paragraph that was
/// not cut, which its line range names.
pub fn cols(paras: &[Paragraph], lines: &[Line]) -> Vec<Option<[u32; 2]>> {
    let col = |l: usize, c: usize| u32::try_from(lines[l].orig_col(c)).unwrap_or(u32::MAX);
    let end = |l: usize, c: usize| u32::try_from(lines[l].orig_end(c)).unwrap_or(u32::MAX);
    let mut glued_before = false;
    paras
        .iter()
        .map(|p| {
            let part = p.glued || glued_before;
            glued_before = p.glued;
            if !part {
                return None;
            }
            let n = p.text.chars().count();
            let (l0, c0, _) = p.locate(0, n);
            let (l1, c1, _) = p.locate(n.saturating_sub(1), n);
            Some([col(l0, c0), end(l1, c1)])
        })
        .collect()
}

/// The text of one paragraph from its parts (a range that [`wholes`] gives), borrowed
/// when it was not cut.
pub fn whole_text(parts: &[Paragraph]) -> std::borrow::Cow<'_, str> {
    match parts {
        [one] => one.text.as_str().into(),
        parts => parts
            .iter()
            .map(|p| p.text.as_str())
            .collect::<String>()
            .into(),
    }
}

/// Ranges of `paras` that are one paragraph each: a paragraph's parts, or a paragraph
/// that was not cut.
pub fn wholes(paras: &[Paragraph]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, p) in paras.iter().enumerate() {
        if !p.glued {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < paras.len() {
        out.push(start..paras.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page of `n` sentences of varied length and wording.
    fn page(n: usize) -> String {
        let words = [
            "我们", "要", "坚持", "改革", "发展", "稳定", "工作", "推进", "全面", "建设",
        ];
        (0..n)
            .map(|i| {
                let len = 6 + (i * 7) % 23;
                let s: String = (0..len)
                    .map(|k| words[(i * 3 + k * k) % words.len()])
                    .collect();
                format!("{s}{}", if i % 3 == 0 { "，" } else { "。" })
            })
            .collect()
    }

    fn parts_of(text: &str) -> Vec<String> {
        let mut bounds = vec![0];
        for (b, c) in cut_points(text) {
            // The char offset names the same place as the byte offset.
            assert_eq!(text[..b].chars().count(), c);
            bounds.push(b);
        }
        bounds.push(text.len());
        bounds
            .windows(2)
            .map(|w| text[w[0]..w[1]].to_string())
            .collect()
    }

    #[test]
    fn short_paragraphs_are_not_cut() {
        assert!(cut_points(&page(20)).is_empty());
    }

    #[test]
    fn long_paragraphs_are_cut_at_sentence_ends_within_the_bounds() {
        let text = page(400);
        let parts = parts_of(&text);
        assert!(parts.len() > 5, "{}", parts.len());
        assert_eq!(parts.concat(), text);
        for (i, p) in parts.iter().enumerate() {
            let n = p.chars().count();
            assert!(n >= PART_MIN_CHARS, "part {i}: {n}");
            assert!(n <= PART_MAX_CHARS + PART_MIN_CHARS, "part {i}: {n}");
            if i + 1 < parts.len() {
                assert!(p.ends_with('。') || p.ends_with('，'), "part {i}: {p}");
            }
        }
    }

    #[test]
    fn cuts_come_back_in_step_after_an_edit() {
        // A clause deleted near the start and masks written over some characters:
        // after the edit, the copy's parts are the original's.
        let text = page(600);
        let orig = parts_of(&text);
        let chars: Vec<char> = text.chars().collect();
        let mut edited: String = chars[..50].iter().chain(&chars[90..]).collect();
        edited = edited.replacen("改革", "某某", 3);
        let copy = parts_of(&edited);
        let same = copy.iter().filter(|p| orig.contains(p)).count();
        assert!(
            same + 3 >= orig.len(),
            "{same} of {} parts the same",
            orig.len()
        );
    }

    #[test]
    fn no_sentence_ends_still_bounds_parts() {
        let text: String = "改革发展稳定".repeat(1000);
        let parts = parts_of(&text);
        assert_eq!(parts.concat(), text);
        assert!(parts
            .iter()
            .all(|p| p.chars().count() <= PART_MAX_CHARS + PART_MIN_CHARS));
        assert!(parts.len() >= 5);
    }

    #[test]
    fn parts_map_back_to_their_lines_and_columns() {
        // One long paragraph over two lines: the second line starts at char 1500.
        let text = page(400);
        let chars: Vec<char> = text.chars().collect();
        let p = Paragraph {
            first: 2,
            last: 3,
            text: text.clone(),
            pieces: vec![(2, 0), (3, 1500)],
            col: 0,
            glued: false,
        };
        let mut docs = vec![Document {
            first: 0,
            last: 3,
            title: None,
            paras: 0..2,
        }];
        let short = Paragraph::single(0, &crate::lines::split_lines("短句。")[0]);
        let parts = cut(&mut docs, vec![short.clone(), p]);
        assert_eq!(docs[0].paras, 0..parts.len());
        assert_eq!(parts[0], short);
        let mut pos = 0;
        for (i, part) in parts[1..].iter().enumerate() {
            assert_eq!(part.glued, i + 2 < parts.len());
            let n = part.text.chars().count();
            for k in [0, n - 1] {
                let (line, col, _) = part.locate(k, n);
                let at = pos + k;
                if at < 1500 {
                    assert_eq!((line, col), (2, at));
                } else {
                    assert_eq!((line, col), (3, at - 1500));
                }
                assert_eq!(part.text.chars().nth(k), Some(chars[at]));
            }
            pos += n;
        }
        assert_eq!(pos, chars.len());
        assert_eq!(wholes(&parts), [0..1, 1..parts.len()]);
    }
}
