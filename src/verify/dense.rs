//! Written-against-written conflicts of a slot-aware alignment, for the mask-dense rule.

use super::*;

/// Largest `a.len() * b.len()` the conflict count aligns; longer mask-dense pairs keep
/// the plain rule.
pub const CONFLICT_MAX_CELLS: usize = 1 << 20;

/// The whole table of the slot-aware dynamic program: cell `i * (b.len() + 1) + j` is
/// (total matched, matched in `a`) for `a[..i]`, `b[..j]`, where equal tokens match and a
/// slot matches a run the other copy writes (`align::run`, `align::fits`). The definition the
/// fast alignment is tested against, and what [`conflicts`] walks back through.
pub(super) fn slot_table(a: &[u32], b: &[u32]) -> Vec<(u32, u32)> {
    let (n, m) = (a.len(), b.len());
    let w = m + 1;
    let mut dp = vec![(0u32, 0u32); (n + 1) * w];
    for i in 1..=n {
        for j in 1..=m {
            let (x, y) = (a[i - 1], b[j - 1]);
            let mut best = dp[(i - 1) * w + j].max(dp[i * w + j - 1]);
            if x == y {
                let p = dp[(i - 1) * w + j - 1];
                best = best.max((p.0 + 2, p.1 + 1));
            } else {
                if is_slot_token(x) && !is_slot_token(y) {
                    // x stands for b[j-k..j].
                    for k in 1..=run(x).min(j) {
                        if !fits(x, b[j - k]) {
                            break;
                        }
                        let p = dp[(i - 1) * w + j - k];
                        best = best.max((p.0 + 1 + k as u32, p.1 + 1));
                    }
                }
                if is_slot_token(y) && !is_slot_token(x) {
                    // y stands for a[i-k..i].
                    for k in 1..=run(y).min(i) {
                        if !fits(y, a[i - k]) {
                            break;
                        }
                        let p = dp[(i - k) * w + j - 1];
                        best = best.max((p.0 + 1 + k as u32, p.1 + k as u32));
                    }
                }
            }
            dp[i * w + j] = best;
        }
    }
    dp
}

/// Between consecutive matches of the best slot-aware alignment (the one
/// [`align`] scores), tokens both copies write out but do not match stand against
/// each other: a name or word one copy writes where the other writes another. Returns
/// the sum over the gaps of the smaller side's count of such written tokens (slots
/// left unmatched count neither way), or `None` past [`CONFLICT_MAX_CELLS`].
pub fn conflicts(a: &[u32], b: &[u32]) -> Option<usize> {
    let (n, m) = (a.len(), b.len());
    if n.saturating_mul(m) > CONFLICT_MAX_CELLS {
        return None;
    }
    let w = m + 1;
    let dp = slot_table(a, b);
    // Walk back: a step that keeps the score is a gap token; count the written ones
    // of each side until the next match closes the gap.
    let (mut i, mut j) = (n, m);
    let (mut ga, mut gb, mut total) = (0usize, 0usize, 0usize);
    let written = |t: u32| !is_slot_token(t);
    while i > 0 || j > 0 {
        let here = dp[i * w + j];
        if i > 0 && dp[(i - 1) * w + j] == here {
            ga += usize::from(written(a[i - 1]));
            i -= 1;
            continue;
        }
        if j > 0 && dp[i * w + j - 1] == here {
            gb += usize::from(written(b[j - 1]));
            j -= 1;
            continue;
        }
        // A match closes the gap: step over it.
        total += ga.min(gb);
        (ga, gb) = (0, 0);
        let (x, y) = (a[i - 1], b[j - 1]);
        if x == y {
            i -= 1;
            j -= 1;
            continue;
        }
        // A slot of one side standing for a run of the other: find the run.
        let step = if is_slot_token(x) && !is_slot_token(y) {
            (1..=run(x).min(j))
                .take_while(|&k| fits(x, b[j - k]))
                .find(|&k| {
                    let p = dp[(i - 1) * w + j - k];
                    (p.0 + 1 + k as u32, p.1 + 1) == here
                })
                .map(|k| (1, k))
        } else {
            None
        };
        let step = step.or_else(|| {
            (is_slot_token(y) && !is_slot_token(x))
                .then(|| {
                    (1..=run(y).min(i))
                        .take_while(|&k| fits(y, a[i - k]))
                        .find(|&k| {
                            let p = dp[(i - k) * w + j - 1];
                            (p.0 + 1 + k as u32, p.1 + k as u32) == here
                        })
                        .map(|k| (k, 1))
                })
                .flatten()
        });
        // Every cell is one of its candidates, so a step always exists.
        let (di, dj) = step?;
        i -= di;
        j -= dj;
    }
    Some(total + ga.min(gb))
}
