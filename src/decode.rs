//! The decode stage: bytes to text.
//!
//! Order of evidence: a byte-order mark wins; then strict UTF-8; then text that is
//! UTF-8 but for a few bad bytes stays UTF-8 (with the bad bytes replaced and counted);
//! then text that decodes without error as GBK, or else as Big5, and reads as Chinese
//! (see [`chinese`]) takes that encoding; anything else goes to chardetng, which guesses
//! among all the legacy encodings, and encoding_rs decodes. A file that decodes only with errors is still processed: the
//! number of bad bytes and the line of the first one are reported.

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{DecoderResult, Encoding, UTF_8};
use std::borrow::Cow;
use std::sync::LazyLock;

/// Text decoded from one file.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    /// encoding_rs name of the encoding used (`UTF-8`, `GBK`, `Big5`, …).
    pub encoding: &'static str,
    /// The file started with a byte-order mark (removed from `text`).
    pub bom: bool,
    /// Bytes that were not valid in `encoding` (each run replaced by U+FFFD).
    pub bad_bytes: usize,
    /// 1-based line of the first bad byte.
    pub first_bad_line: Option<usize>,
}

/// Why a file is not text at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotText {
    /// A NUL byte near the start and no UTF-16 BOM: a binary file.
    Binary,
}

/// Least share of plausible characters in text read as BOM-less UTF-16.
const UTF16_PLAUSIBLE: f64 = 0.95;

/// Largest share of invalid bytes for which a mostly-UTF-8 file is still read as UTF-8.
const UTF8_BAD_SHARE: f64 = 0.01;

/// Is this a binary file (NUL in the first 8 KiB, no UTF-16 BOM)?
pub fn is_binary(bytes: &[u8]) -> bool {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return false;
    }
    bytes[..bytes.len().min(8192)].contains(&0)
}

/// UTF-16 without a byte-order mark, when the bytes say so: an even length, NUL bytes
/// (the high bytes of ASCII characters such as line ends) more often in one half of
/// the code units than in the other, valid code units throughout (no lone surrogate),
/// and text that reads as text: no control characters but white space, and at least
/// [`UTF16_PLAUSIBLE`] of it ASCII, ideographs or CJK and general punctuation. Chinese
/// in UTF-16 has few NULs, but its line ends and ASCII have them, in one half of a unit.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    if bytes.len() < 4 || !bytes.len().is_multiple_of(2) {
        return None;
    }
    let head = &bytes[..bytes.len().min(8192) & !1];
    let (mut even, mut odd) = (0usize, 0usize);
    for (i, &b) in head.iter().enumerate() {
        if b == 0 {
            if i % 2 == 0 {
                even += 1;
            } else {
                odd += 1;
            }
        }
    }
    // Ideographs U+xx00 put a NUL in the other half now and then (开 is U+5F00); the
    // half with more NULs is the high byte of ASCII.
    let enc = match odd.cmp(&even) {
        std::cmp::Ordering::Greater => encoding_rs::UTF_16LE,
        std::cmp::Ordering::Less => encoding_rs::UTF_16BE,
        std::cmp::Ordering::Equal => return None,
    };
    let text = enc.decode_without_bom_handling_and_without_replacement(bytes)?;
    let plausible = |c: char| {
        matches!(c, '\n' | '\r' | '\t' | '\u{000C}')
            || (' '..='~').contains(&c)
            || ('\u{4E00}'..='\u{9FFF}').contains(&c)
            || ('\u{3000}'..='\u{303F}').contains(&c)
            || ('\u{FF00}'..='\u{FFEF}').contains(&c)
            || ('\u{2010}'..='\u{206F}').contains(&c)
    };
    let (mut n, mut ok) = (0usize, 0usize);
    for c in text.chars() {
        if c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{000C}') {
            return None;
        }
        n += 1;
        ok += usize::from(plausible(c));
    }
    (ok as f64 >= UTF16_PLAUSIBLE * n as f64).then_some(enc)
}

/// [`decode`] taking the bytes, so valid UTF-8 becomes the text without a copy.
pub fn decode_owned(bytes: Vec<u8>, forced: Option<&'static Encoding>) -> Result<Decoded, NotText> {
    decode_cow(Cow::Owned(bytes), forced)
}

/// Decode `bytes`; `forced` overrides detection (a BOM still wins, as in encoding_rs).
pub fn decode(bytes: &[u8], forced: Option<&'static Encoding>) -> Result<Decoded, NotText> {
    decode_cow(Cow::Borrowed(bytes), forced)
}

fn decode_cow(bytes: Cow<'_, [u8]>, forced: Option<&'static Encoding>) -> Result<Decoded, NotText> {
    if let Some((enc, bom_len)) = Encoding::for_bom(&bytes) {
        return Ok(decode_with(enc, &bytes[bom_len..], true));
    }
    if let Some(enc) = utf16_without_bom(&bytes) {
        return Ok(decode_with(enc, &bytes, false));
    }
    if is_binary(&bytes) {
        return Err(NotText::Binary);
    }
    if let Some(enc) = forced {
        return Ok(decode_with(enc, &bytes, false));
    }
    if simdutf8::basic::from_utf8(&bytes).is_ok() {
        let text = match bytes {
            // SAFETY: simdutf8 has just checked that the bytes are valid UTF-8.
            Cow::Owned(v) => unsafe { String::from_utf8_unchecked(v) },
            // SAFETY: as above.
            Cow::Borrowed(b) => unsafe { std::str::from_utf8_unchecked(b) }.to_owned(),
        };
        return Ok(Decoded {
            text,
            encoding: UTF_8.name(),
            bom: false,
            bad_bytes: 0,
            first_bad_line: None,
        });
    }
    if mostly_utf8(&bytes) {
        return Ok(decode_with(UTF_8, &bytes, false));
    }
    if let Some(d) = chinese(&bytes) {
        return Ok(d);
    }
    Ok(decode_with(detect(&bytes), &bytes, false))
}

/// chardetng's guess for text that is not UTF-8.
fn detect(bytes: &[u8]) -> &'static Encoding {
    let mut det = EncodingDetector::new(Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    det.guess(None, Utf8Detection::Allow)
}

/// The ninety most frequent characters of Chinese text, simplified. In the GBK files of
/// the 30 MB benchmark corpus they are 9 % (lowest file) to 29 % (median) of the
/// non-ASCII characters; in other encodings' bytes read as GBK or Big5, 0 to 2.7 %
/// (EUC-KR and Shift_JIS text read as GBK, EUC-JP as GBK or Big5, GBK as Big5).
const COMMON_SIMPLIFIED: &str = "的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之年过发后作里用道行所然家种事成方多经么去法学如都同现当没动面起看定天分还进好小部其些主样理心";
/// The same characters in traditional forms, for Big5.
const COMMON_TRADITIONAL: &str = "的一是不了在人有我他這個們中來上大為和國地到以說時要就出會可也你對生能而子那得於著下自之年過發後作裡用道行所然家種事成方多經麼去法學如都同現當沒動面起看定天分還進好小部其些主樣理心";

/// Fewest non-ASCII characters for the Chinese fast path to decide.
const CHINESE_MIN_CHARS: usize = 64;
/// Least share of [`COMMON_SIMPLIFIED`] / [`COMMON_TRADITIONAL`] among the non-ASCII
/// characters for the fast path to decide.
const CHINESE_MIN_SHARE: f64 = 0.08;
/// Largest share of kana among the non-ASCII characters for the fast path to decide:
/// Japanese EUC-JP is valid GBK, its kana read as kana and its kanji as other
/// characters (2.7 % of them common in a test text).
const CHINESE_MAX_KANA: f64 = 0.01;

/// Membership bitmap over the CJK Unified Ideographs block (U+4E00..U+9FFF).
struct HanSet([u64; HAN_WORDS]);

const HAN_FIRST: u32 = 0x4E00;
const HAN_WORDS: usize = (0xA000 - 0x4E00) / 64;

impl HanSet {
    fn new(chars: &str) -> HanSet {
        let mut bits = [0u64; HAN_WORDS];
        for c in chars.chars() {
            let i = (c as u32 - HAN_FIRST) as usize;
            bits[i / 64] |= 1 << (i % 64);
        }
        HanSet(bits)
    }

    #[inline]
    fn contains(&self, c: char) -> bool {
        let i = (c as u32).wrapping_sub(HAN_FIRST) as usize;
        i < HAN_WORDS * 64 && self.0[i / 64] & (1 << (i % 64)) != 0
    }

    /// Does `text` read as Chinese: enough non-ASCII characters, enough of them common,
    /// next to no kana?
    fn reads_as_chinese(&self, text: &str) -> bool {
        let (mut wide, mut common, mut kana) = (0usize, 0usize, 0usize);
        for c in text.chars().filter(|c| !c.is_ascii()) {
            wide += 1;
            common += usize::from(self.contains(c));
            kana += usize::from(('\u{3040}'..='\u{30FF}').contains(&c));
        }
        let wide_f = wide as f64;
        wide >= CHINESE_MIN_CHARS
            && common as f64 >= CHINESE_MIN_SHARE * wide_f
            && kana as f64 <= CHINESE_MAX_KANA * wide_f
    }
}

static SIMPLIFIED: LazyLock<HanSet> = LazyLock::new(|| HanSet::new(COMMON_SIMPLIFIED));
static TRADITIONAL: LazyLock<HanSet> = LazyLock::new(|| HanSet::new(COMMON_TRADITIONAL));

/// Chinese text in GBK or Big5, decided without chardetng (which reads about 10 MB/s,
/// as much as the rest of the analysis): the bytes decode without a single error in
/// the encoding, and the result reads as Chinese. Anything else, including Japanese and
/// Korean legacy encodings whose bytes are also valid GBK, is left to chardetng.
fn chinese(bytes: &[u8]) -> Option<Decoded> {
    [
        (encoding_rs::GBK, &*SIMPLIFIED),
        (encoding_rs::BIG5, &*TRADITIONAL),
    ]
    .into_iter()
    .find_map(|(enc, common)| {
        let text = enc.decode_without_bom_handling_and_without_replacement(bytes)?;
        common.reads_as_chinese(&text).then(|| Decoded {
            text: text.into_owned(),
            encoding: enc.name(),
            bom: false,
            bad_bytes: 0,
            first_bad_line: None,
        })
    })
}

/// UTF-8 with multibyte text and at most 1 % invalid bytes.
fn mostly_utf8(bytes: &[u8]) -> bool {
    let mut bad = 0usize;
    let mut multibyte = false;
    for chunk in bytes.utf8_chunks() {
        multibyte |= chunk.valid().bytes().any(|b| b >= 0x80);
        bad += chunk.invalid().len();
    }
    multibyte && (bad as f64) <= UTF8_BAD_SHARE * bytes.len() as f64
}

/// Decode with one encoding, counting malformed bytes and finding the first one's line.
fn decode_with(enc: &'static Encoding, bytes: &[u8], bom: bool) -> Decoded {
    let mut dec = enc.new_decoder_without_bom_handling();
    let cap = dec
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len() * 3 + 16);
    let mut text = String::with_capacity(cap);
    let mut bad_bytes = 0usize;
    let mut first_bad_line = None;
    let mut rest = bytes;
    loop {
        let (res, read) = dec.decode_to_string_without_replacement(rest, &mut text, true);
        rest = &rest[read..];
        match res {
            DecoderResult::InputEmpty => break,
            DecoderResult::OutputFull => {
                text.reserve(rest.len() * 3 + 16);
            }
            DecoderResult::Malformed(len, _) => {
                bad_bytes += len as usize;
                if first_bad_line.is_none() {
                    first_bad_line = Some(1 + line_breaks(&text));
                }
                text.push('\u{FFFD}');
            }
        }
    }
    Decoded {
        text,
        encoding: enc.name(),
        bom,
        bad_bytes,
        first_bad_line,
    }
}

/// Line breaks in decoded text, counting `\r\n` once.
fn line_breaks(text: &str) -> usize {
    let b = text.as_bytes();
    let mut n = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n')) {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_without_a_bom_is_read_when_its_bytes_say_so() {
        let text = "同志们：\n今天我们召开会议，2024年全面完成任务。\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        for (bytes, name) in [(&le, "UTF-16LE"), (&be, "UTF-16BE")] {
            let d = decode(bytes, None).unwrap();
            assert_eq!((d.text.as_str(), d.encoding), (text, name));
        }
        // Binary data with NULs on both sides, or a lone surrogate, stays binary.
        let bin = [0u8, 1, 2, 0, 0, 7, 8, 0, 0, 0];
        assert_eq!(decode(&bin, None).unwrap_err(), NotText::Binary);
        let lone = [0x00u8, 0xD8, 0x41, 0x00, 0x0A, 0x00];
        assert_eq!(decode(&lone, None).unwrap_err(), NotText::Binary);
        // Control characters other than white space: not text.
        let ctl: Vec<u8> = "a\u{1}b\u{2}"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert_eq!(decode(&ctl, None).unwrap_err(), NotText::Binary);
    }

    const TEXT: &str =
        "同志们：今天我们召开创建全国文明单位动员会议，目的是号召全体干部职工统一思想、明确任务。";

    #[test]
    fn utf8_plain_and_bom() {
        let d = decode(TEXT.as_bytes(), None).unwrap();
        assert_eq!((d.text.as_str(), d.encoding, d.bom), (TEXT, "UTF-8", false));
        let mut b = vec![0xEF, 0xBB, 0xBF];
        b.extend_from_slice(TEXT.as_bytes());
        let d = decode(&b, None).unwrap();
        assert_eq!((d.text.as_str(), d.bom), (TEXT, true));
    }

    #[test]
    fn gb18030_and_big5_are_detected() {
        let (gbk, _, _) = encoding_rs::GB18030.encode(TEXT);
        let d = decode(&gbk, None).unwrap();
        assert_eq!(d.text, TEXT);
        assert_eq!(d.encoding, "GBK");
        let trad = "同志們：今天我們召開創建全國文明單位動員會議，目的是號召全體幹部職工統一思想、明確任務。";
        let (big5, _, _) = encoding_rs::BIG5.encode(trad);
        let d = decode(&big5, None).unwrap();
        assert_eq!(
            (d.text.as_str(), d.encoding, d.bad_bytes),
            (trad, "Big5", 0)
        );
    }

    /// Long enough for the fast path (it needs 64 non-ASCII characters).
    fn long(text: &str) -> String {
        [text; 3].join("\n")
    }

    #[test]
    fn fast_path_agrees_with_chardetng_on_chinese() {
        let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/seeds");
        let mut checked = 0;
        for entry in std::fs::read_dir(seeds).unwrap() {
            let utf8 = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let (gbk, _, lossy) = encoding_rs::GBK.encode(&utf8);
            assert!(!lossy);
            let fast = chinese(&gbk).expect("a seed in GBK reads as Chinese");
            assert_eq!(fast.encoding, detect(&gbk).name());
            assert_eq!(fast.text, utf8);
            checked += 1;
        }
        assert_eq!(checked, 5);
        let trad = long("同志們：今天我們召開創建全國文明單位動員會議，目的是號召全體幹部職工統一思想、明確任務，把這項工作做好。");
        let (big5, _, lossy) = encoding_rs::BIG5.encode(&trad);
        assert!(!lossy);
        let fast = chinese(&big5).expect("Big5 Chinese reads as Chinese");
        assert_eq!((fast.encoding, detect(&big5).name()), ("Big5", "Big5"));
        assert_eq!(fast.text, trad);
        for name in ["gb18030.txt", "big5.txt"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/encodings")
                .join(name);
            let bytes = std::fs::read(path).unwrap();
            let via = chinese(&bytes).map(|d| d.encoding);
            assert!(
                via.is_none() || via == Some(detect(&bytes).name()),
                "{name}"
            );
        }
    }

    #[test]
    fn fast_path_leaves_other_languages_and_short_text_to_chardetng() {
        let ko = "대한민국은 민주공화국이다. 대한민국의 주권은 국민에게 있고, 모든 권력은 국민으로부터 나온다. 대한민국의 영토는 한반도와 그 부속도서로 한다. 모든 국민은 인간으로서의 존엄과 가치를 가지며, 행복을 추구할 권리를 가진다.";
        let ja = "日本国民は、正当に選挙された国会における代表者を通じて行動し、われらとわれらの子孫のために、諸国民との協和による成果と、わが国全土にわたつて自由のもたらす恵沢を確保し、政府の行為によつて再び戦争の惨禍が起ることのないやうにすることを決意し、ここに主権が国民に存することを宣言し、この憲法を確定する。";
        let fr = "Les représentants du peuple français, constitués en Assemblée nationale, considérant que l'ignorance, l'oubli ou le mépris des droits de l'homme sont les seules causes des malheurs publics, ont résolu d'exposer les droits naturels, inaliénables et sacrés de l'homme. Général, élève, déjà, façade, naïve, cœur, où, là, très, après.";
        for (text, enc) in [
            (ko, encoding_rs::EUC_KR),
            (ja, encoding_rs::EUC_JP),
            (ja, encoding_rs::SHIFT_JIS),
            (fr, encoding_rs::WINDOWS_1252),
        ] {
            let (bytes, _, lossy) = enc.encode(text);
            assert!(!lossy);
            assert!(chinese(&bytes).is_none(), "{}", enc.name());
            let d = decode(&bytes, None).unwrap();
            assert_eq!((d.encoding, d.text.as_str()), (enc.name(), text));
        }
        // Valid GBK, but too short to decide: chardetng decides (and agrees).
        let (gbk, _, _) = encoding_rs::GBK.encode(TEXT);
        assert!(chinese(&gbk).is_none());
        assert_eq!(decode(&gbk, None).unwrap().encoding, "GBK");
    }

    #[test]
    fn decode_owned_equals_decode() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut checked = 0;
        for e in walkdir::WalkDir::new(root) {
            let e = e.unwrap();
            if !e.file_type().is_file() {
                continue;
            }
            let bytes = std::fs::read(e.path()).unwrap();
            for forced in [None, Some(encoding_rs::GBK), Some(UTF_8)] {
                let a = decode(&bytes, forced)
                    .map(|d| (d.text, d.encoding, d.bom, d.bad_bytes, d.first_bad_line));
                let b = decode_owned(bytes.clone(), forced)
                    .map(|d| (d.text, d.encoding, d.bom, d.bad_bytes, d.first_bad_line));
                assert_eq!(a, b, "{}", e.path().display());
            }
            checked += 1;
        }
        assert!(checked > 20, "{checked}");
    }

    #[test]
    fn mostly_utf8_keeps_utf8_and_counts_bad_bytes() {
        let mut b = Vec::new();
        for i in 0..20 {
            b.extend_from_slice(TEXT.as_bytes());
            b.push(b'\n');
            if i == 3 {
                b.push(0xFF);
            }
        }
        let d = decode(&b, None).unwrap();
        assert_eq!(d.encoding, "UTF-8");
        assert_eq!(d.bad_bytes, 1);
        assert_eq!(d.first_bad_line, Some(5));
        assert_eq!(d.text.matches('\u{FFFD}').count(), 1);
    }

    #[test]
    fn forced_encoding_and_binary() {
        let (gbk, _, _) = encoding_rs::GBK.encode(TEXT);
        let d = decode(&gbk, Some(encoding_rs::GBK)).unwrap();
        assert_eq!(d.text, TEXT);
        assert_eq!(
            decode(b"\x7fELF\x00\x00\x01", None).unwrap_err(),
            NotText::Binary
        );
        let (u16le, _) = {
            let mut v = vec![0xFF, 0xFE];
            for u in TEXT.encode_utf16() {
                v.extend_from_slice(&u.to_le_bytes());
            }
            (v, ())
        };
        let d = decode(&u16le, None).unwrap();
        assert_eq!((d.text.as_str(), d.encoding), (TEXT, "UTF-16LE"));
    }
}
