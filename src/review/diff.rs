//! The differences between a kept copy and a removed one, as runs of characters (or
//! lines, for texts too long to diff by character) marked same, gone or added: what
//! the review page colours. Myers' diff from `similar`, with no deadline, so the same
//! texts always give the same runs.

use similar::{capture_diff_slices, Algorithm, DiffOp};

/// Longest text (in characters, either side) diffed character by character; longer
/// texts are diffed line by line ([`line_diff`]).
pub const MAX_CHAR_DIFF: usize = 6000;

/// Longest text (in lines, either side) diffed line by line; longer ones are not
/// diffed at all.
pub const MAX_LINE_DIFF: usize = 4000;

/// What a run of a diff side is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// In both texts.
    Same,
    /// Only in this side's text (gone from the other, or added to it).
    Only,
    /// In both once folded (width, traditional and simplified), written differently.
    Folded,
}

/// One side of a diff: runs `(mark, start, end)` over its items (characters or lines),
/// in order and covering them all.
pub type Side = Vec<(Mark, usize, usize)>;

/// The runs of `a` and of `b` (kept and removed copy) by character.
pub fn char_diff(a: &[char], b: &[char]) -> (Side, Side) {
    sides(&capture_diff_slices(Algorithm::Myers, a, b), |_, _| true)
}

/// [`char_diff`] of the texts as `fold` writes each character: characters that are
/// the same only once folded are marked [`Mark::Folded`].
pub fn char_diff_folded(
    a: &[char],
    b: &[char],
    mut fold: impl FnMut(char) -> char,
) -> (Side, Side) {
    let fa: Vec<char> = a.iter().map(|&c| fold(c)).collect();
    let fb: Vec<char> = b.iter().map(|&c| fold(c)).collect();
    sides(&capture_diff_slices(Algorithm::Myers, &fa, &fb), |i, j| {
        a[i] == b[j]
    })
}

/// The runs of `a` and of `b` by line.
pub fn line_diff(a: &[&str], b: &[&str]) -> (Side, Side) {
    sides(&capture_diff_slices(Algorithm::Myers, a, b), |_, _| true)
}

/// The sides of `ops`; `same(i, j)` says whether item `i` of the old text and item `j`
/// of the new that the diff pairs are written alike.
fn sides(ops: &[DiffOp], same: impl Fn(usize, usize) -> bool) -> (Side, Side) {
    let (mut a, mut b) = (Side::new(), Side::new());
    let push = |side: &mut Side, mark: Mark, start: usize, len: usize| {
        if len == 0 {
            return;
        }
        match side.last_mut() {
            Some(last) if last.0 == mark && last.2 == start => last.2 = start + len,
            _ => side.push((mark, start, start + len)),
        }
    };
    for op in ops {
        match *op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => {
                for k in 0..len {
                    let (i, j) = (old_index + k, new_index + k);
                    let mark = if same(i, j) { Mark::Same } else { Mark::Folded };
                    push(&mut a, mark, i, 1);
                    push(&mut b, mark, j, 1);
                }
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => push(&mut a, Mark::Only, old_index, old_len),
            DiffOp::Insert {
                new_index, new_len, ..
            } => push(&mut b, Mark::Only, new_index, new_len),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                push(&mut a, Mark::Only, old_index, old_len);
                push(&mut b, Mark::Only, new_index, new_len);
            }
        }
    }
    (a, b)
}

/// Share of `side`'s items (of `len`) marked [`Mark::Same`].
pub fn same_share(side: &Side, len: usize) -> f64 {
    if len == 0 {
        return 1.0;
    }
    let same: usize = side
        .iter()
        .filter(|r| r.0 == Mark::Same)
        .map(|r| r.2 - r.1)
        .sum();
    same as f64 / len as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    fn text(c: &[char], side: &Side, mark: Mark) -> String {
        side.iter()
            .filter(|r| r.0 == mark)
            .map(|r| c[r.1..r.2].iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("|")
    }

    #[test]
    fn a_masked_and_an_edited_copy_show_what_differs_and_nothing_else() {
        let a = chars("今年全市完成投资12亿元，同比增长8%。");
        let b = chars("今年全市完成投资XX亿元，同比增长8%，超额完成。");
        let (ra, rb) = char_diff(&a, &b);
        // Each side is covered once, in order.
        for (side, n) in [(&ra, a.len()), (&rb, b.len())] {
            let mut at = 0;
            for r in side.iter() {
                assert_eq!(r.1, at);
                assert!(r.2 > r.1);
                at = r.2;
            }
            assert_eq!(at, n);
        }
        assert_eq!(text(&a, &ra, Mark::Only), "12");
        assert_eq!(text(&b, &rb, Mark::Only), "XX|，超额完成");
        assert_eq!(
            text(&a, &ra, Mark::Same).replace('|', ""),
            text(&b, &rb, Mark::Same).replace('|', "")
        );
        assert!((same_share(&ra, a.len()) - 18.0 / 20.0).abs() < 1e-9);
    }

    #[test]
    fn equal_and_empty_texts() {
        let a = chars("同志们：");
        let (ra, rb) = char_diff(&a, &a);
        assert_eq!(ra, vec![(Mark::Same, 0, 4)]);
        assert_eq!(ra, rb);
        let (ea, eb) = char_diff(&[], &a);
        assert!(ea.is_empty());
        assert_eq!(eb, vec![(Mark::Only, 0, 4)]);
        assert_eq!(same_share(&ea, 0), 1.0);
    }

    #[test]
    fn characters_the_same_once_folded_are_marked_apart() {
        let a = chars("今年，經濟發展");
        let b = chars("今年,经济发展。");
        let fold = |c: char| match c {
            '，' => ',',
            '經' => '经',
            '濟' => '济',
            '發' => '发',
            c => c,
        };
        let (ra, rb) = char_diff_folded(&a, &b, fold);
        assert_eq!(
            ra,
            vec![(Mark::Same, 0, 2), (Mark::Folded, 2, 6), (Mark::Same, 6, 7)]
        );
        assert_eq!(
            rb,
            vec![
                (Mark::Same, 0, 2),
                (Mark::Folded, 2, 6),
                (Mark::Same, 6, 7),
                (Mark::Only, 7, 8)
            ]
        );
        assert_eq!(text(&b, &rb, Mark::Folded), ",经济发");
    }

    #[test]
    fn lines_are_diffed_as_units() {
        let a = ["标题", "第一段。", "第二段。"];
        let b = ["标题", "第二段。", "第三段。"];
        let (ra, rb) = line_diff(&a, &b);
        assert_eq!(
            ra,
            vec![(Mark::Same, 0, 1), (Mark::Only, 1, 2), (Mark::Same, 2, 3)]
        );
        assert_eq!(rb, vec![(Mark::Same, 0, 2), (Mark::Only, 2, 3)]);
    }
}
