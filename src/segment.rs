//! The segment stage: sentences and words. The only module that imports jieba-rs.
//!
//! One [`Segmenter`] (one jieba dictionary) is built per run and shared by all threads.

use jieba_rs::Jieba;
use std::sync::atomic::{AtomicU64, Ordering};

use xxhash_rust::xxh3::xxh3_128;

use crate::fingerprint::{tag_class, TAG_CLASSES};
use crate::memo::Memo;

/// jieba's words of pieces of text already segmented, by xxh3-128 of the piece.
///
/// It pays when pieces recur (reposts, edited copies) and costs when they do not
/// (reworded text: a lookup and an insert per piece for nothing). So it watches what
/// share of the bytes it looks up it finds, [`PROBE_BYTES`] at a time, and when that
/// falls under [`MIN_FOUND`] it stands aside for the next [`REST_BYTES`] of text, then
/// looks again. Each probe in a row that fails doubles the rest, up to
/// [`MAX_REST_SHIFT`] doublings; one that passes resets it. A memo starts cold, so the
/// first probe of a run finds little even on text that repeats itself; a short first
/// rest lets the second probe, on a warm memo, decide. Which text goes through it
/// changes no word.
pub struct WordMemo {
    memo: Memo<Words>,
    looked: AtomicU64,
    found: AtomicU64,
    /// Bytes of text still to go past the memo.
    rest: AtomicU64,
    /// Probes failed in a row.
    failed: AtomicU64,
}

/// Bytes looked up between two checks of the memo's yield.
const PROBE_BYTES: u64 = 2 << 20;
/// Least share of the bytes looked up that must be found for the memo to stay.
const MIN_FOUND: f64 = 0.3;
/// Bytes of text the memo stands aside for when a probe fails after one that passed.
const REST_BYTES: u64 = 4 << 20;
/// The rest doubles with each failed probe in a row, at most this many times (64 MiB).
const MAX_REST_SHIFT: u64 = 4;

impl WordMemo {
    /// A memo of `shards` shards holding about `bytes`.
    pub fn new(shards: usize, bytes: usize) -> WordMemo {
        WordMemo {
            memo: Memo::new(shards, bytes),
            looked: AtomicU64::new(0),
            found: AtomicU64::new(0),
            rest: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        }
    }

    /// Should a text of `len` bytes go through the memo?
    fn in_use(&self, len: usize) -> bool {
        let len = len as u64;
        self.rest
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |r| {
                (r > 0).then(|| r.saturating_sub(len))
            })
            .is_err()
    }

    /// Count what a text looked up and found, and stand aside if it does not pay.
    fn account(&self, looked: usize, found: usize) {
        let l = self.looked.fetch_add(looked as u64, Ordering::Relaxed) + looked as u64;
        let f = self.found.fetch_add(found as u64, Ordering::Relaxed) + found as u64;
        if l >= PROBE_BYTES {
            self.looked.store(0, Ordering::Relaxed);
            self.found.store(0, Ordering::Relaxed);
            if (f as f64) < MIN_FOUND * l as f64 {
                let shift = self
                    .failed
                    .fetch_add(1, Ordering::Relaxed)
                    .min(MAX_REST_SHIFT);
                self.rest.store(REST_BYTES << shift, Ordering::Relaxed);
            } else {
                self.failed.store(0, Ordering::Relaxed);
            }
        }
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.memo.len()
    }

    /// Is it empty?
    pub fn is_empty(&self) -> bool {
        self.memo.is_empty()
    }

    /// Forget every piece (its memory is wanted elsewhere).
    pub fn clear(&self) {
        self.memo.clear();
    }
}

/// Words a piece's entry holds without a pointer to follow.
const INLINE_WORDS: usize = 11;

/// The words of one piece, each as its byte length shifted left 8 bits, or'ed with its
/// tag class ([`tag_class`]; 0 when untagged). Most pieces have a few words, and those
/// sit in the memo's table entry itself (64 bytes with the key), so a lookup reads one
/// cache line rather than the entry and then a heap block.
#[derive(Clone)]
pub enum Words {
    Inline(u8, [u32; INLINE_WORDS]),
    Heap(Box<[u32]>),
}

// The entry: a 16-byte key and 48 bytes of words, one cache line.
const _: () = assert!(std::mem::size_of::<(u128, Words)>() == 64);

impl Words {
    fn new(words: impl ExactSizeIterator<Item = u32>) -> Words {
        let n = words.len();
        if n <= INLINE_WORDS {
            let mut inline = [0; INLINE_WORDS];
            for (slot, w) in inline.iter_mut().zip(words) {
                *slot = w;
            }
            Words::Inline(n as u8, inline)
        } else {
            Words::Heap(words.collect())
        }
    }

    fn as_slice(&self) -> &[u32] {
        match self {
            Words::Inline(n, w) => &w[..*n as usize],
            Words::Heap(w) => w,
        }
    }

    /// Bytes it holds, for the memo's budget (with the key and the table's share).
    fn size(&self) -> usize {
        match self {
            Words::Inline(..) => 72,
            Words::Heap(w) => 72 + 4 * w.len(),
        }
    }
}

/// Is `c` a place where jieba's default cut always ends one run of text and starts
/// another, so that the text on either side is cut the same alone as together?
///
/// jieba cuts maximal runs of CJK ideographs, ASCII letters and digits and `+#&._%-`
/// on their own, and emits every other character as a word of its own (but for
/// `\r\n`, which it keeps together). This is a subset of those other characters:
/// ASCII punctuation, controls and spaces but `\r`, everything from U+0080 below the
/// first CJK block (U+3400: Latin-1, general punctuation, CJK punctuation), the
/// private use area (the placeholder slots) and everything from U+FB00 to U+FFFF
/// (full-width forms). A test checks every one of them against jieba.
const fn is_cut_point(c: char) -> bool {
    if c.is_ascii() {
        !(c.is_ascii_alphanumeric() || matches!(c, '+' | '#' | '&' | '.' | '_' | '%' | '-' | '\r'))
    } else {
        matches!(c, '\u{80}'..='\u{33FF}' | '\u{E000}'..='\u{F8FF}' | '\u{FB00}'..='\u{FFFF}')
    }
}

/// How a byte of UTF-8 text stands to [`is_cut_point`]: 0, the start of a character
/// that is not one; 1, the start of one; 2 (`E3`) and 3 (`EF`), it depends on the next
/// byte; 4, not the start of a character.
const CUT_BYTE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = match b as u8 {
            c @ 0..=0x7f => is_cut_point(c as char) as u8,
            0x80..=0xbf => 4,
            0xc0..=0xe2 | 0xee => 1,
            0xe3 => 2,
            0xef => 3,
            _ => 0,
        };
        b += 1;
    }
    t
};

/// Is the character starting at byte `i` of `text` (a character boundary) a
/// [`is_cut_point`]? Reads the lead byte and, for `E3`/`EF`, the one after it.
#[inline]
fn cut_at(text: &[u8], i: usize) -> bool {
    match CUT_BYTE[text[i] as usize] {
        1 => true,
        // U+3000..=U+33FF
        2 => text[i + 1] < 0x90,
        // U+F000..=U+F8FF, U+FB00..=U+FFFF
        3 => !(0xa4..=0xab).contains(&text[i + 1]),
        _ => false,
    }
}

/// Longest piece the word memo keeps (longer ones are rare and seldom repeat).
const MEMO_PIECE_BYTES: usize = 512;

/// Word segmenter shared by all threads.
pub struct Segmenter {
    jieba: Jieba,
}

impl Default for Segmenter {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Segmenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Segmenter")
    }
}

/// The process's one jieba, loaded on first use: the fingerprints' words and the
/// structure stage's word test ([`word_across`]) share it.
static SHARED: std::sync::OnceLock<Segmenter> = std::sync::OnceLock::new();

/// The shared jieba ([`SHARED`]), loaded now if it was not yet (others wait for it).
pub fn shared() -> &'static Segmenter {
    SHARED.get_or_init(Segmenter::new)
}

/// Is the shared jieba loaded?
pub fn shared_ready() -> bool {
    SHARED.get().is_some()
}

/// Characters of each side [`word_across`] looks at.
const ACROSS_CHARS: usize = 4;
/// How near the break an ideograph must be, on each side, for [`word_across`] to read
/// a Latin word across it.
const LATIN_ACROSS_REACH: usize = 24;

/// Does a word run across the point between `a` and `b` (the end of one line and the
/// start of the next)? A page that broke a line inside a word broke a sentence. Between
/// ideographs, the word is jieba's: only dictionary words count (no HMM, which may glue
/// any two characters). Between Latin letters, one word goes on when the next line
/// goes on in lower case (`…运行d` / `ebian安装程序`, `…/doc/packa` / `ge/examples`); a
/// capital may open a word of its own (`…很牛X` / `ST的硬盘`). The Latin word must sit in
/// Chinese prose, with ideographs within [`LATIN_ACROSS_REACH`] characters on both
/// sides, so that lines of code or English are not read this way.
pub fn word_across(a: &str, b: &str) -> bool {
    let is_han = |c: char| ('\u{4E00}'..='\u{9FFF}').contains(&c);
    if let (Some(x), Some(y)) = (a.chars().next_back(), b.chars().next()) {
        if x.is_ascii_alphabetic() && y.is_ascii_alphabetic() {
            let in_prose = a.chars().rev().take(LATIN_ACROSS_REACH).any(is_han)
                && b.chars().take(LATIN_ACROSS_REACH).any(is_han);
            return in_prose && y.is_ascii_lowercase();
        }
    }
    let tail: String = {
        let mut t: Vec<char> = a.chars().rev().take(ACROSS_CHARS).collect();
        t.reverse();
        t.into_iter().collect()
    };
    let head: String = b.chars().take(ACROSS_CHARS).collect();
    if !tail.chars().last().is_some_and(is_han) || !head.chars().next().is_some_and(is_han) {
        return false;
    }
    // Folded, so that the dictionary sees a traditional page's words too.
    let (tail, head) = (
        crate::script::fold_str(&tail),
        crate::script::fold_str(&head),
    );
    let joined = format!("{tail}{head}");
    let cut = tail.len();
    let mut at = 0;
    for w in shared().words(&joined, false) {
        let end = at + w.len();
        if at < cut && end > cut {
            return true;
        }
        at = end;
    }
    false
}

impl Segmenter {
    /// Load jieba's bundled dictionary.
    pub fn new() -> Self {
        Segmenter {
            jieba: Jieba::new(),
        }
    }

    /// Words of `text`, in order, covering it entirely. `hmm` finds unknown words.
    pub fn words<'a>(&self, text: &'a str, hmm: bool) -> Vec<&'a str> {
        self.jieba
            .cut(text, hmm)
            .into_iter()
            .map(|t| t.word)
            .collect()
    }

    /// Words with their part-of-speech tags.
    pub fn tagged<'a>(&'a self, text: &'a str, hmm: bool) -> Vec<(&'a str, &'a str)> {
        self.jieba
            .tag(text, hmm)
            .into_iter()
            .map(|t| (t.word, t.tag))
            .collect()
    }

    /// Words of `text` with their tag classes (all 0 unless `tagged`; see
    /// [`tag_class`]), appended to `out`: jieba's `cut` (or `tag`) without HMM,
    /// reduced to classes. With a memo, the text is cut into pieces after each run of
    /// [`is_cut_point`] characters, and a piece seen before is not segmented again;
    /// runs of pieces not found go to jieba in one call. The words are the same with
    /// or without a memo, and whatever it holds, as long as one memo only ever serves
    /// one value of `tagged`.
    pub fn classed<'t>(
        &self,
        text: &'t str,
        tagged: bool,
        memo: Option<&WordMemo>,
        out: &mut Vec<(&'t str, &'static str)>,
    ) {
        let Some(memo) = memo.filter(|m| m.in_use(text.len())) else {
            self.jieba_classed(text, tagged, out);
            return;
        };
        let bytes = text.as_bytes();
        let mut ends = Vec::new();
        let mut after_cut = false;
        for i in 0..bytes.len() {
            if CUT_BYTE[bytes[i] as usize] == 4 {
                continue;
            }
            if cut_at(bytes, i) {
                after_cut = true;
            } else if after_cut {
                ends.push(i);
                after_cut = false;
            }
        }
        ends.push(text.len());
        // Pieces not found since `run_start`: each one's end and key (`None`: too long
        // to keep).
        let mut run: Vec<(usize, Option<u128>)> = Vec::new();
        let (mut start, mut run_start) = (0, 0);
        let (mut looked, mut found) = (0, 0);
        for end in ends {
            let piece = &text[start..end];
            let key = (piece.len() <= MEMO_PIECE_BYTES).then(|| xxh3_128(piece.as_bytes()));
            if key.is_some() {
                looked += piece.len();
            }
            let hit = match key.and_then(|h| memo.memo.get(h, Words::clone)) {
                Some(words) => {
                    // The words of the run go before this piece's.
                    self.segment_run(text, run_start, &run, tagged, memo, out);
                    run.clear();
                    run_start = start;
                    push_words(piece, &words, out)
                }
                None => false,
            };
            if hit {
                found += piece.len();
                run_start = end;
            } else {
                run.push((end, key));
            }
            start = end;
        }
        self.segment_run(text, run_start, &run, tagged, memo, out);
        memo.account(looked, found);
    }

    /// Segment the pieces of `run` (from byte `start` of `text`) in one jieba call and
    /// keep each piece's words.
    fn segment_run<'t>(
        &self,
        text: &'t str,
        start: usize,
        run: &[(usize, Option<u128>)],
        tagged: bool,
        memo: &WordMemo,
        out: &mut Vec<(&'t str, &'static str)>,
    ) {
        let Some(&(end, _)) = run.last() else {
            return;
        };
        let at = out.len();
        self.jieba_classed(&text[start..end], tagged, out);
        // jieba emits every cut point as a word of its own, so its words end where
        // the pieces end.
        let (mut w, mut off) = (at, start);
        for &(end, key) in run {
            let first = w;
            while w < out.len() && off < end {
                off += out[w].0.len();
                w += 1;
            }
            if off != end {
                debug_assert!(false, "a word across a piece end");
                return;
            }
            if let Some(h) = key {
                let words = Words::new(
                    out[first..w]
                        .iter()
                        .map(|&(w, class)| (w.len() as u32) << 8 | u32::from(tag_class(class))),
                );
                let size = words.size();
                memo.memo.put(h, words, size);
            }
        }
    }

    /// jieba's words of `text` in one call, reduced to tag classes.
    fn jieba_classed<'t>(
        &self,
        text: &'t str,
        tagged: bool,
        out: &mut Vec<(&'t str, &'static str)>,
    ) {
        if tagged {
            for t in self.jieba.tag(text, false) {
                // `tag` ties its words to the dictionary's lifetime; they are the text's.
                let word = &text[t.byte_start..t.byte_end];
                debug_assert_eq!(word, t.word);
                out.push((word, TAG_CLASSES[tag_class(t.tag) as usize]));
            }
        } else {
            out.extend(
                self.jieba
                    .cut(text, false)
                    .into_iter()
                    .map(|t| (t.word, "")),
            );
        }
    }
}

/// Push the words `words` of `piece` to `out`; false, with `out` as it was, if they
/// do not cut `piece` (only a 128-bit collision of keys could do that).
fn push_words<'t>(piece: &'t str, words: &Words, out: &mut Vec<(&'t str, &'static str)>) -> bool {
    let at = out.len();
    let mut off = 0;
    for &w in words.as_slice() {
        let end = off + (w >> 8) as usize;
        let Some(word) = piece.get(off..end) else {
            out.truncate(at);
            return false;
        };
        out.push((word, TAG_CLASSES[(w & 0xff) as usize]));
        off = end;
    }
    if off != piece.len() {
        out.truncate(at);
        return false;
    }
    true
}

/// Characters that end a sentence.
pub fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '；' | '!' | '?' | ';' | '…')
}

/// Closing punctuation that a typesetter keeps off the start of a line (kinsoku),
/// pulling it up to the end of the line before, past the width.
pub fn no_line_start(c: char) -> bool {
    "，。、；：！？）》”’」』…,.;:!?)".contains(c)
}

/// Closing quotes and brackets that stay with the sentence they close.
pub fn is_closer(c: char) -> bool {
    matches!(
        c,
        '”' | '’' | '」' | '』' | '）' | ')' | '》' | '"' | '\'' | '】'
    )
}

/// Split a paragraph into sentences at 。！？；… (runs of them count once); closing
/// quotes and brackets right after the end stay with their sentence. Pieces are never
/// empty and concatenate back to the trimmed input.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut it = text.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if !is_sentence_end(c) {
            continue;
        }
        let mut end = i + c.len_utf8();
        while let Some(&(k, d)) = it.peek() {
            if is_sentence_end(d) || is_closer(d) {
                end = k + d.len_utf8();
                it.next();
            } else {
                break;
            }
        }
        let s = text[start..end].trim();
        if !s.is_empty() {
            out.push(s);
        }
        start = end;
    }
    let s = text[start..].trim();
    if !s.is_empty() {
        out.push(s);
    }
    out
}

/// Does the text end a sentence (last char is a sentence end or a closer after one)?
pub fn ends_sentence(text: &str) -> bool {
    let mut it = text.trim_end().chars().rev().skip_while(|&c| is_closer(c));
    it.next()
        .is_some_and(|c| is_sentence_end(c) || matches!(c, '.' | '!' | '?'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_keep_closing_quotes() {
        let s = sentences("他说：“要抓实抓细。”我们照办！真的吗？？好；最后一句");
        assert_eq!(
            s,
            [
                "他说：“要抓实抓细。”",
                "我们照办！",
                "真的吗？？",
                "好；",
                "最后一句"
            ]
        );
        assert_eq!(sentences("……"), ["……"]);
        assert!(sentences("  ").is_empty());
        assert!(ends_sentence("谢谢大家！"));
        assert!(ends_sentence("“众力并则万钧举。”"));
        assert!(!ends_sentence("组织"));
    }

    /// jieba's words and tag classes of `text` in one call, without the memo.
    fn jieba_classed<'t>(
        seg: &Segmenter,
        text: &'t str,
        tagged: bool,
    ) -> Vec<(&'t str, &'static str)> {
        let mut out = Vec::new();
        seg.jieba_classed(text, tagged, &mut out);
        out
    }

    /// Segment `text` through `memo` twice (the second time every piece is found),
    /// and check both against jieba on the whole text.
    fn check_memo(seg: &Segmenter, memo: &WordMemo, text: &str, tagged: bool) {
        let whole = jieba_classed(seg, text, tagged);
        for pass in 0..2 {
            let mut out = Vec::new();
            seg.classed(text, tagged, Some(memo), &mut out);
            assert_eq!(out, whole, "pass {pass} of {text:?}");
        }
    }

    #[test]
    fn cut_points_are_where_jieba_cuts() {
        let seg = Segmenter::new();
        let mut buf = [0u8; 4];
        let mut cut_points = 0;
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            // The byte classifier is the character predicate.
            let enc = c.encode_utf8(&mut buf).as_bytes();
            let mut text = enc.to_vec();
            text.push(b'a');
            assert_eq!(cut_at(&text, 0), is_cut_point(c), "{c:?}");
            if !is_cut_point(c) {
                continue;
            }
            cut_points += 1;
            // jieba cuts the text on either side of it alone, and makes it a word.
            // The contexts include dictionary words made with ASCII joiners (AT&T, C++,
            // C#) and \r\n, which jieba keeps as one word.
            for (left, right) in [
                ("中国", "人民"),
                ("建设ab", "12发展"),
                ("\u{E000}", "年"),
                ("AT", "T"),
                ("C", "+"),
                ("C", ""),
                ("中国", "\n人民"),
            ] {
                let text = format!("{left}{c}{right}");
                let words = seg.words(&text, false);
                let mut apart = seg.words(left, false);
                apart.push(&text[left.len()..left.len() + c.len_utf8()]);
                apart.extend(seg.words(right, false));
                assert_eq!(words, apart, "{c:?}");
            }
        }
        assert!(cut_points > 20_000, "{cut_points}");
    }

    #[test]
    fn memo_gives_what_jieba_gives_on_the_seeds() {
        let seg = Segmenter::new();
        let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/seeds");
        for tagged in [true, false] {
            let memo = WordMemo::new(4, 1 << 20);
            for entry in std::fs::read_dir(&seeds).unwrap() {
                let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
                for line in text.lines() {
                    check_memo(&seg, &memo, line, tagged);
                }
            }
            assert!(memo.len() > 1000, "{}", memo.len());
        }
        // Untagged, the classes are all 0; tagged, they follow jieba's tags.
        let tags = seg.tagged("北京市人民政府召开会议，张三出席。", false);
        let mut out = Vec::new();
        seg.classed("北京市人民政府召开会议，张三出席。", true, None, &mut out);
        assert_eq!(out.len(), tags.len());
        for ((w, class), (tw, tag)) in out.iter().zip(&tags) {
            assert_eq!((w, *class), (tw, TAG_CLASSES[tag_class(tag) as usize]));
        }
        assert!(out.iter().any(|&(_, c)| c == "ns" || c == "nt"), "{out:?}");
    }

    #[test]
    fn memo_stands_aside_when_it_does_not_pay_and_words_stay_the_same() {
        let seg = segmenter();
        let memo = WordMemo::new(4, 1 << 20);
        // Text whose clauses do not recur: pseudo-random ideographs, a comma every 9.
        let mut x = 12345u32;
        let mut text = String::new();
        let mut texts = Vec::new();
        while texts.len() * 4000 < PROBE_BYTES as usize + 8000 {
            text.clear();
            for i in 0..1300 {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                text.push(char::from_u32(0x4E00 + (x >> 16) % 3000).unwrap());
                if i % 9 == 8 {
                    text.push('，');
                }
            }
            texts.push(text.clone());
        }
        let once = |memo: &WordMemo, t: &str| {
            let mut out = Vec::new();
            seg.classed(t, true, Some(memo), &mut out);
            assert_eq!(out, jieba_classed(seg, t, true));
        };
        for t in &texts {
            once(&memo, t);
        }
        // Nothing was found: the memo stands aside, keeping nothing new.
        assert!(memo.rest.load(Ordering::Relaxed) > 0);
        let held = memo.len();
        check_memo(seg, &memo, &texts[0], true);
        assert_eq!(memo.len(), held);
        // A memo that finds what it looks up stays.
        let memo = WordMemo::new(4, 1 << 20);
        for _ in 0..(PROBE_BYTES as usize / texts[0].len() + 2) {
            check_memo(seg, &memo, &texts[0], true);
        }
        assert_eq!(memo.rest.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn rest_doubles_while_probes_fail_and_a_passing_probe_resets_it() {
        let memo = WordMemo::new(1, 1 << 10);
        let probe = PROBE_BYTES as usize;
        let failing = probe * 3 / 10 - 1;
        // Stand aside for the whole rest, one text at a time, then come back.
        let sit_out = |rest: u64| {
            assert_eq!(memo.rest.load(Ordering::Relaxed), rest);
            for _ in 0..rest / (1 << 20) {
                assert!(!memo.in_use(1 << 20));
            }
            assert!(memo.in_use(1));
        };
        memo.account(probe, failing);
        sit_out(REST_BYTES);
        memo.account(probe, failing);
        sit_out(REST_BYTES * 2);
        for shift in 2..=MAX_REST_SHIFT + 2 {
            memo.account(probe, failing);
            sit_out(REST_BYTES << shift.min(MAX_REST_SHIFT));
        }
        // A probe that finds its share keeps the memo and resets the doubling.
        memo.account(probe, failing + 2);
        assert!(memo.in_use(1));
        memo.account(probe / 2, 0);
        assert!(memo.in_use(1), "half a probe decides nothing");
        memo.account(probe / 2, 0);
        sit_out(REST_BYTES);
    }

    /// Characters of every kind the piece cutting and jieba treat differently: ideographs
    /// (main block and extensions), ASCII letters, digits and the joiners `+#&._%-`,
    /// ASCII and CJK punctuation, `\r` and `\n`, slots, full-width forms, kana, Hangul.
    const MIXED: &[char] = &[
        '中',
        '国',
        '人',
        '民',
        '建',
        '设',
        '发',
        '展',
        '的',
        '了',
        '是',
        '㐀',
        '\u{20000}',
        '\u{F900}',
        'a',
        'Z',
        '1',
        '9',
        '+',
        '#',
        '&',
        '.',
        '_',
        '%',
        '-',
        ' ',
        '\r',
        '\n',
        ',',
        '，',
        '。',
        '、',
        '“',
        '”',
        '（',
        '）',
        '\u{E000}',
        '\u{E001}',
        'Ａ',
        '１',
        'か',
        '한',
        '\u{3000}',
        '〇',
        '\u{33FF}',
        '\u{3400}',
        '\u{FAFF}',
        '\u{FB00}',
        '…',
        '—',
        '·',
    ];

    proptest::proptest! {
        #[test]
        fn memo_gives_what_jieba_gives(
            texts in proptest::collection::vec(
                proptest::collection::vec(0..MIXED.len(), 0..30), 1..6)
        ) {
            let seg = segmenter();
            for tagged in [true, false] {
                let memo = WordMemo::new(2, 1 << 16);
                for idx in &texts {
                    let text: String = idx.iter().map(|&i| MIXED[i]).collect();
                    check_memo(seg, &memo, &text, tagged);
                }
            }
        }
    }

    /// One dictionary for all proptest cases.
    fn segmenter() -> &'static Segmenter {
        static SEG: std::sync::OnceLock<Segmenter> = std::sync::OnceLock::new();
        SEG.get_or_init(Segmenter::new)
    }

    #[test]
    fn words_cover_the_text() {
        let seg = Segmenter::new();
        let t = "创建全国文明单位，是大家共同的愿望。";
        let w = seg.words(t, false);
        assert_eq!(w.concat(), t);
        assert!(w.contains(&"文明单位") || w.contains(&"文明"), "{w:?}");
        let tags = seg.tagged("习近平总书记在北京讲话", true);
        assert!(
            tags.iter().any(|(w, t)| *w == "北京" && *t == "ns"),
            "{tags:?}"
        );
    }
}
