//! The fingerprint stage: a paragraph's canonical key and its shingle set.
//!
//! Key text: masks replaced by their kind's slot character (every mask of one kind is the
//! same token, whatever its style), NFKC width folding (full-width letters, digits and
//! punctuation become half-width), ASCII lower-cased, punctuation and white space
//! removed, every run of digits folded to `0`. Shingles are n consecutive key words
//! (jieba) or key characters, each hashed once (xxh3) to 32 bits; the set is sorted and
//! deduplicated, ready for the MinHash core and for exact Jaccard verification.

use unicode_normalization::UnicodeNormalization;
use xxhash_rust::xxh3::xxh3_64;

use crate::config::ShingleKind;
use crate::placeholders::is_slot;

/// Key facts of one paragraph.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyFacts {
    /// Characters of key text.
    pub key_chars: u32,
    /// Hash of the whole key text (equal keys: exact duplicates).
    pub key_hash: u64,
}

/// Reused buffers, one per thread.
#[derive(Debug, Default)]
pub struct Scratch {
    key: String,
    token: String,
    token_hashes: Vec<u64>,
    char_offsets: Vec<usize>,
}

/// Width-fold a paragraph (masks already slotted) for segmentation.
pub fn normalize_into(slotted: &str, out: &mut String) {
    out.clear();
    out.extend(slotted.nfkc());
}

/// Push the key form of `word` (key chars, lower case, digit runs folded) to `out`.
fn push_key(word: &str, out: &mut String) {
    let mut in_digits = false;
    for c in word.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('0');
            }
            in_digits = true;
            continue;
        }
        in_digits = false;
        if c.is_alphanumeric() || is_slot(c) {
            out.push(c.to_ascii_lowercase());
        }
    }
}

/// Mix one 64-bit token hash into a running n-gram hash.
#[inline]
fn combine(acc: u64, t: u64) -> u64 {
    (acc ^ t)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(31)
}

/// Fold a 64-bit hash to the 32-bit shingle hash.
#[inline]
fn fold(h: u64) -> u32 {
    (h ^ (h >> 32)) as u32
}

/// Shingles of one paragraph from its words (as the segmenter cut the normalised text).
/// Returns the key facts; `out` receives the sorted, deduplicated shingle hashes.
pub fn shingles_from_words(
    kind: ShingleKind,
    words: &[&str],
    sc: &mut Scratch,
    out: &mut Vec<u32>,
) -> KeyFacts {
    out.clear();
    sc.key.clear();
    sc.token_hashes.clear();
    for w in words {
        sc.token.clear();
        push_key(w, &mut sc.token);
        if sc.token.is_empty() {
            continue;
        }
        // A digit run split across two words folds once.
        if sc.token == "0" && sc.key.ends_with('0') {
            continue;
        }
        sc.key.push_str(&sc.token);
        sc.token_hashes.push(xxh3_64(sc.token.as_bytes()));
    }
    let n = kind.size();
    match kind {
        ShingleKind::Word(_) => {
            let t = &sc.token_hashes;
            if !t.is_empty() {
                let w = n.min(t.len());
                for win in t.windows(w) {
                    out.push(fold(win.iter().fold(w as u64, |a, &h| combine(a, h))));
                }
            }
        }
        ShingleKind::Char(_) => char_shingles(&sc.key, n, &mut sc.char_offsets, out),
    }
    out.sort_unstable();
    out.dedup();
    KeyFacts {
        key_chars: sc.key.chars().count() as u32,
        key_hash: xxh3_64(sc.key.as_bytes()),
    }
}

/// Shingles of one paragraph by characters: no segmentation needed.
pub fn shingles_from_text(
    kind: ShingleKind,
    normalized: &str,
    sc: &mut Scratch,
    out: &mut Vec<u32>,
) -> KeyFacts {
    let words = [normalized];
    shingles_from_words(kind, &words, sc, out)
}

fn char_shingles(key: &str, n: usize, offsets: &mut Vec<usize>, out: &mut Vec<u32>) {
    offsets.clear();
    offsets.extend(key.char_indices().map(|(i, _)| i));
    offsets.push(key.len());
    let chars = offsets.len() - 1;
    if chars == 0 {
        return;
    }
    let w = n.min(chars);
    for s in 0..=chars - w {
        out.push(fold(xxh3_64(&key.as_bytes()[offsets[s]..offsets[s + w]])));
    }
}

/// The key text of a paragraph (for display and tests).
pub fn key_text(words: &[&str]) -> String {
    let mut sc = Scratch::default();
    let mut out = Vec::new();
    shingles_from_words(ShingleKind::Char(1), words, &mut sc, &mut out);
    sc.key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_folds_width_punctuation_and_digits() {
        let mut a = String::new();
        normalize_into("（一）创建全国文明单位，２０２０年，共12个！", &mut a);
        assert_eq!(key_text(&[a.as_str()]), "一创建全国文明单位0年共0个");
        let mut b = String::new();
        normalize_into("(一)创建全国文明单位,2019年,共3个!", &mut b);
        let mut sc = Scratch::default();
        let (mut sa, mut sb) = (Vec::new(), Vec::new());
        let fa = shingles_from_text(ShingleKind::Char(3), &a, &mut sc, &mut sa);
        let fb = shingles_from_text(ShingleKind::Char(3), &b, &mut sc, &mut sb);
        assert_eq!(fa, fb);
        assert_eq!(sa, sb);
        assert_eq!(fa.key_chars, 14);
        assert_eq!(sa.len(), 12);
    }

    #[test]
    fn word_shingles_are_ngrams_of_key_words() {
        let mut sc = Scratch::default();
        let mut out = Vec::new();
        let f = shingles_from_words(
            ShingleKind::Word(3),
            &["创建", "，", "全国", "文明", "单位", "。"],
            &mut sc,
            &mut out,
        );
        assert_eq!(f.key_chars, 8);
        assert_eq!(out.len(), 2);
        shingles_from_words(ShingleKind::Word(3), &["创建", "，"], &mut sc, &mut out);
        assert_eq!(out.len(), 1, "short paragraphs give one shingle");
        shingles_from_words(ShingleKind::Word(3), &["，", "。"], &mut sc, &mut out);
        assert!(out.is_empty());
    }
}
