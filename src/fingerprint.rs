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

use crate::config::{Fold, ShingleKind};
use crate::placeholders::{is_slot, ENTITY_SUFFIX as UNIT_SUFFIX, SURNAMES};
use crate::script;

/// Key facts of one paragraph.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyFacts {
    /// Characters of key text.
    pub key_chars: u32,
    /// Hash of the whole key text (equal keys: exact duplicates).
    pub key_hash: u64,
}

impl KeyFacts {
    /// Does the paragraph take part in the search (`--min-chars`)? Shorter ones are
    /// never fingerprinted, compared or removed as copies.
    #[inline]
    pub fn searched(&self, min_chars: usize) -> bool {
        self.key_chars as usize >= min_chars
    }
}

/// Reused buffers, one per thread.
#[derive(Debug, Default)]
pub struct Scratch {
    key: String,
    /// Key tokens of the last paragraph fingerprinted.
    pub tokens: Vec<u32>,
}

/// Fold a paragraph (masks already slotted) for segmentation: its NFKC form (width
/// folding), every ideograph in its simplified form ([`crate::script`], so a
/// traditional-character mirror keys like its original). Returns the counts of
/// script-only characters seen, which tell the paragraph's script.
///
/// Most of a Chinese paragraph is characters that NFKC leaves alone and that cut the
/// text into independent pieces (see [`nfkc_inert`]); they are copied (ideographs
/// through the script table), and only the runs between them are normalised, ASCII and
/// full-width ASCII by a table.
pub fn normalize_into(slotted: &str, out: &mut String) -> script::Counts {
    let mut folder = script::Folder::new();
    out.clear();
    out.reserve(slotted.len());
    let mut run_start = 0;
    for (i, c) in slotted.char_indices() {
        if nfkc_inert(c) {
            normalize_run(&slotted[run_start..i], out, &mut folder);
            out.push(folder.fold(c));
            run_start = i + c.len_utf8();
        }
    }
    normalize_run(&slotted[run_start..], out, &mut folder);
    folder.counts
}

/// NFKC of a run that is followed by an inert character or the end of the text
/// (compatibility ideographs come out unified, and are script-folded).
fn normalize_run(run: &str, out: &mut String, folder: &mut script::Folder) {
    if run.chars().all(|c| c.is_ascii() || is_fullwidth_ascii(c)) {
        // Each character's compatibility decomposition is one ASCII character, and no
        // two ASCII characters compose.
        out.extend(run.chars().map(|c| {
            if c.is_ascii() {
                c
            } else {
                char::from_u32(c as u32 - FULLWIDTH_OFFSET).unwrap_or(c)
            }
        }));
    } else {
        out.extend(run.nfkc().map(|c| folder.fold(c)));
    }
}

/// Full-width forms U+FF01..U+FF5E are NFKC-equivalent to ASCII U+0021..U+007E.
const FULLWIDTH_OFFSET: u32 = 0xFF01 - 0x21;

fn is_fullwidth_ascii(c: char) -> bool {
    ('\u{FF01}'..='\u{FF5E}').contains(&c)
}

/// Characters that NFKC maps to themselves, that have combining class 0 and that
/// compose with nothing, before or after: NFKC of a text is the NFKC of the pieces
/// between them, joined by them. CJK Unified Ideographs (with extension A), private-use
/// slot characters, and the common Chinese punctuation that has no decomposition.
#[inline]
fn nfkc_inert(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{E000}'..='\u{F8FF}'
        | '\u{3001}' | '\u{3002}'
        | '\u{3008}'..='\u{3011}'
        | '\u{2014}' | '\u{2018}' | '\u{2019}' | '\u{201C}' | '\u{201D}')
}

/// `char::is_alphanumeric` with the Han block answered first: it is most of the text,
/// and the general lookup is a table search.
#[inline]
pub(crate) fn is_word_char(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || c.is_alphanumeric()
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

/// Token value of a folded name (an entity or redacted mask, or a tagged name).
pub const NAME_TOKEN: u32 = 1;
/// Token value of a folded number (a year, date or number mask, or digits).
pub const NUM_TOKEN: u32 = 2;

/// Token values below this are slots: [`NAME_TOKEN`], [`NUM_TOKEN`], and with
/// `Fold::Masks` one value per mask kind (`3 + kind`).
const FIRST_TEXT_TOKEN: u32 = 8;

/// Is `t` a slot token (it stands for whatever text a site masked)?
#[inline]
pub fn is_slot_token(t: u32) -> bool {
    t < FIRST_TEXT_TOKEN
}

/// Low bit of a text token: it may be part of a name (a noun, an abbreviation, a
/// Latin word, or untagged), so a name slot may stand for it in verification.
pub const NAMEABLE: u32 = 1;
/// Second bit of a text token: a numeral, measure word or time word, which a number
/// slot may stand for.
pub const NUMERIC: u32 = 2;

/// The [`NAMEABLE`]/[`NUMERIC`] bits of a word by its jieba tag (`""`: untagged).
fn tag_bits(tag: &str) -> u32 {
    match tag.as_bytes().first() {
        None => NAMEABLE | NUMERIC,
        Some(b'n' | b'j' | b'e') => NAMEABLE,
        Some(b'm' | b'q' | b't') => NUMERIC,
        _ => 0,
    }
}

/// Hash of one key token with its tag bits, never a slot value.
#[inline]
fn token_hash(bytes: &[u8], bits: u32) -> u32 {
    let h = (fold(xxh3_64(bytes)) & !(NAMEABLE | NUMERIC | IDENT)) | bits;
    if h < FIRST_TEXT_TOKEN {
        h + FIRST_TEXT_TOKEN
    } else {
        h
    }
}

/// The slot token of a slot character under `fold`.
fn slot_token(c: char, fold: Fold) -> u32 {
    match fold {
        Fold::Entities if matches!(c, '\u{E000}' | '\u{E004}') => NAME_TOKEN,
        Fold::Entities => NUM_TOKEN,
        _ => 3 + (c as u32 - 0xE000),
    }
}

/// Is this jieba tag a name that `--fold entities` folds (person, place, organisation)?
pub fn is_name_tag(tag: &str) -> bool {
    tag.starts_with("nr") || tag == "ns" || tag == "nt"
}

/// jieba's tags reduced to what this stage tells apart ([`tag_bits`], [`is_name_tag`],
/// a person's name): one representative tag per class, indexed by [`tag_class`]. The
/// word memo keeps a class, not a tag, for each word it has seen.
pub const TAG_CLASSES: [&str; 7] = ["", "x", "n", "m", "nr", "ns", "nt"];

/// The class of a jieba tag, an index into [`TAG_CLASSES`] whose tag this stage
/// treats exactly as it treats `tag`.
pub fn tag_class(tag: &str) -> u8 {
    if tag.starts_with("nr") {
        4
    } else if tag == "ns" {
        5
    } else if tag == "nt" {
        6
    } else {
        match tag_bits(tag) {
            b if b == NAMEABLE | NUMERIC => 0,
            NAMEABLE => 2,
            NUMERIC => 3,
            _ => 1,
        }
    }
}

/// Third bit of a text token: it is a name's or a number's own text (a tagged name,
/// a run of digits), which shingles fold to [`NAME_TOKEN`]/[`NUM_TOKEN`] while
/// verification still tells two different names apart.
pub const IDENT: u32 = 4;

/// The shingle view of a token: a name's or number's own text folds to its slot.
#[inline]
pub fn folded(t: u32) -> u32 {
    if t >= FIRST_TEXT_TOKEN && t & IDENT != 0 {
        if t & NAMEABLE != 0 {
            NAME_TOKEN
        } else {
            NUM_TOKEN
        }
    } else {
        t
    }
}

/// The one character of `s`, if it has exactly one.
fn single_char(s: &str) -> Option<char> {
    let mut it = s.chars();
    match (it.next(), it.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

/// Token and key builder for one paragraph.
struct Builder<'a> {
    sc: &'a mut Scratch,
    chars: bool,
    /// The last text token was this single character.
    last_single: Option<char>,
}

impl Builder<'_> {
    fn text(&mut self, piece: &mut String, bits: u32) {
        if piece.is_empty() {
            return;
        }
        self.sc.key.push_str(piece);
        self.last_single = single_char(piece);
        if self.chars {
            let mut buf = [0u8; 4];
            for c in piece.chars() {
                let t = token_hash(c.encode_utf8(&mut buf).as_bytes(), bits);
                self.sc.tokens.push(t);
            }
        } else {
            self.sc.tokens.push(token_hash(piece.as_bytes(), bits));
        }
        piece.clear();
    }

    fn ident(&mut self, text: &str, class: u32) {
        self.sc.key.push_str(text);
        self.sc
            .tokens
            .push(token_hash(text.as_bytes(), class | IDENT));
        self.last_single = single_char(text).filter(|_| class == NAMEABLE);
    }

    fn slot(&mut self, slot: u32) {
        if slot <= NUM_TOKEN && self.sc.tokens.last() == Some(&slot) {
            return; // one slot for a run of masks
        }
        if slot == NAME_TOKEN && self.last_single.is_some_and(|c| SURNAMES.contains(c)) {
            // A surname left in front of a masked name (张某) belongs to the name.
            self.sc.tokens.pop();
            self.sc.key.pop();
        }
        self.last_single = None;
        self.sc.tokens.push(slot);
        self.sc.key.push(match slot {
            NAME_TOKEN => '\u{E000}',
            NUM_TOKEN => '\u{E003}',
            k => char::from_u32(0xE000 + k - 3).unwrap_or('\u{E000}'),
        });
    }
}

/// Key tokens of one paragraph from its words and their tags (`""` when untagged), in
/// `sc.tokens`: words, or characters when `chars`.
///
/// `Fold::Entities`: a mask becomes one of two slot tokens ([`NAME_TOKEN`],
/// [`NUM_TOKEN`]); a tagged name (person, place, organisation) and a run of digits
/// become an [`IDENT`] token that keeps its own text for verification and folds to
/// the same slot in shingles ([`folded`]), so a copy that names a thing and a copy that
/// masks it shingle alike, while two copies naming different things still differ.
/// `Fold::Masks`: masks become a slot per kind, digit runs fold to `0`. `Fold::None`:
/// the caller passes unslotted text; digit runs fold to `0`. Punctuation and white
/// space are dropped, letters lower-cased. Words are cut again at slots, and a place
/// keeps its unit apart, so `XX市` and `北京市` both give `NAME 市`.
pub fn key_tokens(words: &[(&str, &str)], fold: Fold, chars: bool, sc: &mut Scratch) -> KeyFacts {
    sc.key.clear();
    sc.tokens.clear();
    let mut b = Builder {
        sc,
        chars,
        last_single: None,
    };
    let mut piece = String::new();
    let mut digits = String::new();
    for &(w, tag) in words {
        if fold == Fold::Entities
            && is_name_tag(tag)
            && !w.chars().any(|c| is_slot(c) || c.is_ascii_digit())
        {
            let n = w.chars().count();
            let unit = w
                .chars()
                .last()
                .filter(|&c| n >= 3 && !tag.starts_with("nr") && UNIT_SUFFIX.contains(c));
            let name: String = w
                .chars()
                .take(n - usize::from(unit.is_some()))
                .filter(|&c| is_word_char(c))
                .map(|c| c.to_ascii_lowercase())
                .collect();
            if !name.is_empty() {
                b.ident(&name, NAMEABLE);
            }
            if let Some(u) = unit {
                piece.push(u);
                b.text(&mut piece, NAMEABLE);
            }
            continue;
        }
        let bits = tag_bits(tag);
        let mut in_digits = false;
        for c in w.chars() {
            if c.is_ascii_digit() {
                if fold == Fold::Entities {
                    b.text(&mut piece, bits);
                    digits.push(c);
                } else if !(in_digits || piece.is_empty() && b.sc.key.ends_with('0')) {
                    // A digit run split across two words folds once.
                    piece.push('0');
                }
                in_digits = true;
                continue;
            }
            if !digits.is_empty() {
                b.ident(&digits, NUMERIC);
                digits.clear();
            }
            in_digits = false;
            if is_slot(c) {
                b.text(&mut piece, bits);
                b.slot(slot_token(c, fold));
                continue;
            }
            if is_word_char(c) {
                piece.push(c.to_ascii_lowercase());
            }
        }
        if !digits.is_empty() {
            b.ident(&digits, NUMERIC);
            digits.clear();
        }
        b.text(&mut piece, bits);
    }
    KeyFacts {
        key_chars: sc.key.chars().count() as u32,
        key_hash: xxh3_64(sc.key.as_bytes()),
    }
}

/// The shingles of a token sequence: hashes of every `n` consecutive tokens (the
/// whole sequence when shorter), sorted and deduplicated, into `out`.
pub fn shingles(tokens: &[u32], n: usize, out: &mut Vec<u32>) {
    shingle_hashes(tokens, n, out);
    out.sort_unstable();
    out.dedup();
}

/// Token values of a unit suffix written as its own noun (`县`, `公司` is not one: a
/// single character of [`UNIT_SUFFIX`]), sorted.
static UNIT_TOKENS: std::sync::LazyLock<Vec<u32>> = std::sync::LazyLock::new(|| {
    let mut buf = [0u8; 4];
    let mut v: Vec<u32> = UNIT_SUFFIX
        .chars()
        .flat_map(|c| {
            let b = c.encode_utf8(&mut buf).as_bytes().to_vec();
            [NAMEABLE, NAMEABLE | NUMERIC].map(|bits| token_hash(&b, bits))
        })
        .collect();
    v.sort_unstable();
    v
});

/// Is `t` one of the unit suffix tokens `units` (see [`UNIT_TOKENS`])?
#[inline]
fn is_unit(units: &[u32], t: u32) -> bool {
    units.binary_search(&t).is_ok()
}

/// [`shingles`] in window order, repeats kept: enough for a MinHash signature, which
/// is the same for a multiset as for its set, without the sort.
pub fn shingle_hashes(tokens: &[u32], n: usize, out: &mut Vec<u32>) {
    out.clear();
    // Shingles see names and numbers folded, a run of them as one slot, and a unit
    // suffix right after a name slot left out (a site's `XX` may cover `临洮县` whole or
    // leave its `县`; the alignment lets a slot stand for either). `out` first
    // holds that view, then each window's hash in place (window i is read before
    // position i is written, and later windows start after it).
    let units: &[u32] = &UNIT_TOKENS;
    for &t in tokens {
        let f = folded(t);
        match out.last() {
            Some(&l) if l <= NUM_TOKEN && (l == f || l == NAME_TOKEN && is_unit(units, f)) => {}
            _ => out.push(f),
        }
    }
    if out.is_empty() {
        return;
    }
    let w = n.min(out.len());
    let windows = out.len() - w + 1;
    for i in 0..windows {
        let h = out[i..i + w]
            .iter()
            .fold(w as u64, |a, &h| combine(a, h as u64 | (h as u64) << 32));
        out[i] = fold(h);
    }
    out.truncate(windows);
}

/// Key tokens and shingles of one paragraph: words and tags in, tokens and shingle
/// set out (in `sc.tokens` and `out`).
pub fn fingerprint(
    kind: ShingleKind,
    words: &[(&str, &str)],
    fold: Fold,
    sc: &mut Scratch,
    out: &mut Vec<u32>,
) -> KeyFacts {
    let f = key_tokens(words, fold, matches!(kind, ShingleKind::Char(_)), sc);
    shingles(&sc.tokens, kind.size(), out);
    f
}

/// The key text of a paragraph (for display and tests): masks show as U+E000 (names)
/// and U+E003 (numbers) with `Fold::Entities`, one slot character per kind otherwise.
pub fn key_text(words: &[(&str, &str)], fold: Fold) -> String {
    let mut sc = Scratch::default();
    key_tokens(words, fold, false, &mut sc);
    sc.key
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_tag_class_is_treated_as_its_tags() {
        // Every tag of jieba's dictionary and of its guesses for unknown words, and some
        // that are not (the class must hold for any tag).
        let tags = "a ad ag an b bg c d df dg e eng f g h i j k l m mg mq n ng nr nrfg nrt \
                    ns nt nz o p q r rg rr rz s t tg u ud ug uj ul uv uz v vd vg vi vn vq x \
                    y z zg  nrx nsx ntx jn ex mx qx tx zz";
        for tag in tags.split(' ').chain([""]) {
            let class = TAG_CLASSES[tag_class(tag) as usize];
            assert_eq!(tag_class(class), tag_class(tag), "{tag:?}");
            assert_eq!(tag_bits(class), tag_bits(tag), "{tag:?}");
            assert_eq!(is_name_tag(class), is_name_tag(tag), "{tag:?}");
            assert_eq!(class.starts_with("nr"), tag.starts_with("nr"), "{tag:?}");
        }
    }

    /// Characters from every class the fast NFKC path treats differently, and the
    /// neighbours that interact with them: combining marks (Latin, kana voicing),
    /// Hangul jamo, compatibility characters, full-width and half-width forms.
    const MIXED: &[char] = &[
        '中', '国', '㐀', '\u{E000}', '\u{E003}', '、', '。', '《', '》', '【', '“', '”', '—', 'a',
        'E', '1', ' ', '.', '，', '：', 'Ａ', '１', '！', '～', '\u{0301}', '\u{0327}', '\u{3099}',
        'か', 'ｶ', '\u{FF9E}', '\u{1100}', '\u{1161}', '\u{11A8}', '…', '①', '㈠', '\u{3000}',
        '\u{F900}', '\u{2329}', 'ﬁ', 'Å', 'é', '\u{00B7}', '㎡', '\u{FFFD}', '國', '們', '說',
        '乾',
    ];

    proptest! {
        /// The unsorted shingle hashes, repeats and all, give the signature of the set:
        /// the analyze phase hashes them, the group phase compares sets.
        #[test]
        fn shingle_hashes_sign_like_the_shingle_set(
            tokens in proptest::collection::vec(
                prop_oneof![0u32..6, Just(NAME_TOKEN), Just(NUM_TOKEN), 1000u32..1004],
                0..60,
            ),
            n in 1usize..6,
        ) {
            let mh = crate::minhash::MinHasher::new(64, 3);
            let (mut set, mut hashes) = (Vec::new(), Vec::new());
            shingles(&tokens, n, &mut set);
            shingle_hashes(&tokens, n, &mut hashes);
            let (mut a, mut b) = (vec![0; 64], vec![0; 64]);
            mh.signature_into(&set, &mut a);
            mh.signature_into(&hashes, &mut b);
            prop_assert_eq!(a, b);
            let mut sorted = hashes.clone();
            sorted.sort_unstable();
            sorted.dedup();
            prop_assert_eq!(&sorted, &set);
        }

        #[test]
        fn fast_nfkc_equals_nfkc(idx in proptest::collection::vec(0..MIXED.len(), 0..40)) {
            let s: String = idx.iter().map(|&i| MIXED[i]).collect();
            let mut fast = String::new();
            normalize_into(&s, &mut fast);
            prop_assert_eq!(fast, crate::script::fold_str(&s.nfkc().collect::<String>()));
        }
    }

    #[test]
    fn fast_nfkc_equals_nfkc_on_the_seeds() {
        let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/seeds");
        let mut fast = String::new();
        for entry in std::fs::read_dir(seeds).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            normalize_into(&text, &mut fast);
            assert_eq!(
                fast,
                crate::script::fold_str(&text.nfkc().collect::<String>())
            );
        }
    }

    #[test]
    fn word_char_is_alphanumeric() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(is_word_char(c), c.is_alphanumeric(), "{c:?}");
        }
    }

    fn untagged<'a>(ws: &[&'a str]) -> Vec<(&'a str, &'a str)> {
        ws.iter().map(|w| (*w, "")).collect()
    }

    #[test]
    fn key_folds_width_punctuation_and_digits() {
        let mut a = String::new();
        normalize_into("（一）创建全国文明单位，２０２０年，共12个！", &mut a);
        assert_eq!(
            key_text(&untagged(&[&a]), Fold::Masks),
            "一创建全国文明单位0年共0个"
        );
        let mut b = String::new();
        normalize_into("(一)创建全国文明单位,2019年,共3个!", &mut b);
        let mut sc = Scratch::default();
        let (mut sa, mut sb) = (Vec::new(), Vec::new());
        let fa = fingerprint(
            ShingleKind::Char(3),
            &untagged(&[&a]),
            Fold::Masks,
            &mut sc,
            &mut sa,
        );
        let fb = fingerprint(
            ShingleKind::Char(3),
            &untagged(&[&b]),
            Fold::Masks,
            &mut sc,
            &mut sb,
        );
        assert_eq!(fa, fb);
        assert_eq!(sa, sb);
        assert_eq!(fa.key_chars, 14);
        assert_eq!(sa.len(), 12);
    }

    #[test]
    fn word_shingles_are_ngrams_of_key_words() {
        let mut sc = Scratch::default();
        let mut out = Vec::new();
        let f = fingerprint(
            ShingleKind::Word(3),
            &untagged(&["创建", "，", "全国", "文明", "单位", "。"]),
            Fold::Masks,
            &mut sc,
            &mut out,
        );
        assert_eq!(f.key_chars, 8);
        assert_eq!(out.len(), 2);
        fingerprint(
            ShingleKind::Word(3),
            &untagged(&["创建", "，"]),
            Fold::Masks,
            &mut sc,
            &mut out,
        );
        assert_eq!(out.len(), 1, "short paragraphs give one shingle");
        fingerprint(
            ShingleKind::Word(3),
            &untagged(&["，", "。"]),
            Fold::Masks,
            &mut sc,
            &mut out,
        );
        assert!(out.is_empty());
    }

    #[test]
    fn entities_fold_names_masks_and_numbers_alike() {
        let mut sc = Scratch::default();
        // 北京市 (a tagged place) and XX市 (a mask), 1998年 and 20××年, 张某 and 张三.
        let named = [
            ("北京市", "ns"),
            ("于", "p"),
            ("1998", "m"),
            ("年", "m"),
            ("，", "x"),
            ("张三", "nr"),
            ("讲话", "v"),
        ];
        let masked = [
            ("\u{E000}", "x"),
            ("市", "n"),
            ("于", "p"),
            ("\u{E001}", "x"),
            ("年", "m"),
            ("，", "x"),
            ("张", "nr"),
            ("\u{E000}", "x"),
            ("讲话", "v"),
        ];
        let (mut a, mut b) = (Vec::new(), Vec::new());
        fingerprint(
            ShingleKind::Word(2),
            &named,
            Fold::Entities,
            &mut sc,
            &mut a,
        );
        let named_tokens = sc.tokens.clone();
        fingerprint(
            ShingleKind::Word(2),
            &masked,
            Fold::Entities,
            &mut sc,
            &mut b,
        );
        assert_eq!(a, b, "shingles alike");
        assert_eq!(sc.tokens[0], NAME_TOKEN);
        assert_eq!(folded(named_tokens[0]), NAME_TOKEN);
        assert_eq!(folded(named_tokens[3]), NUM_TOKEN);
        assert_eq!(named_tokens.len(), sc.tokens.len());
        // Two copies naming different places differ in tokens, not in shingles.
        let other = [
            ("上海市", "ns"),
            ("于", "p"),
            ("1998", "m"),
            ("年", "m"),
            ("，", "x"),
            ("张三", "nr"),
            ("讲话", "v"),
        ];
        let mut c = Vec::new();
        fingerprint(
            ShingleKind::Word(2),
            &other,
            Fold::Entities,
            &mut sc,
            &mut c,
        );
        assert_eq!(a, c);
        assert_ne!(named_tokens, sc.tokens);
        // With --fold masks the tagged name stays text.
        key_tokens(&named, Fold::Masks, false, &mut sc);
        assert!(!sc.tokens.iter().any(|&t| folded(t) == NAME_TOKEN));
    }

    #[test]
    fn a_mask_that_covers_the_unit_shingles_like_one_that_leaves_it() {
        let mut sc = Scratch::default();
        // 单位有：ITEM、ITEM、XX等, each item one or two tagged words.
        let list = |items: &[&[(&'static str, &'static str)]], sc: &mut Scratch| {
            let mut words = vec![("单位", "n"), ("有", "v"), ("：", "x")];
            for item in items {
                words.extend_from_slice(item);
                words.push(("、", "x"));
            }
            words.extend([("\u{E000}", "x"), ("等", "u")]);
            let mut out = Vec::new();
            fingerprint(ShingleKind::Word(3), &words, Fold::Entities, sc, &mut out);
            out
        };
        const MASK: &[(&str, &str)] = &[("\u{E000}", "x")];
        let named = list(&[&[("临洮县", "ns")], &[("景德镇", "ns")]], &mut sc);
        let unit_kept = list(&[MASK, &[("\u{E000}", "x"), ("县", "n")]], &mut sc);
        let unit_masked = list(&[MASK, MASK], &mut sc);
        assert_eq!(named, unit_masked);
        assert_eq!(unit_kept, unit_masked);
        // Verification still sees the unit: tokens keep it.
        key_tokens(
            &[("\u{E000}", "x"), ("县", "n"), ("等", "u")],
            Fold::Entities,
            false,
            &mut sc,
        );
        assert_eq!(sc.tokens.len(), 3);
        // A unit character that does not follow a name is a word like any other.
        let county_first = list(&[&[("县", "n"), ("里", "f")]], &mut sc);
        let without = list(&[&[("里", "f")]], &mut sc);
        assert_ne!(county_first, without);
    }
}
