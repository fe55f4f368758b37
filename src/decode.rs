//! The decode stage: bytes to text.
//!
//! Order of evidence: a byte-order mark wins; then strict UTF-8; then text that is
//! UTF-8 but for a few bad bytes stays UTF-8 (with the bad bytes replaced and counted);
//! then chardetng guesses among the legacy encodings (GB18030/GBK, Big5, …) and
//! encoding_rs decodes. A file that decodes only with errors is still processed: the
//! number of bad bytes and the line of the first one are reported.

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{DecoderResult, Encoding, UTF_8};

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

/// Largest share of invalid bytes for which a mostly-UTF-8 file is still read as UTF-8.
const UTF8_BAD_SHARE: f64 = 0.01;

/// Is this a binary file (NUL in the first 8 KiB, no UTF-16 BOM)?
pub fn is_binary(bytes: &[u8]) -> bool {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return false;
    }
    bytes[..bytes.len().min(8192)].contains(&0)
}

/// Decode `bytes`; `forced` overrides detection (a BOM still wins, as in encoding_rs).
pub fn decode(bytes: &[u8], forced: Option<&'static Encoding>) -> Result<Decoded, NotText> {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        return Ok(decode_with(enc, &bytes[bom_len..], true));
    }
    if is_binary(bytes) {
        return Err(NotText::Binary);
    }
    if let Some(enc) = forced {
        return Ok(decode_with(enc, bytes, false));
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(Decoded {
            text: s.to_owned(),
            encoding: UTF_8.name(),
            bom: false,
            bad_bytes: 0,
            first_bad_line: None,
        });
    }
    if mostly_utf8(bytes) {
        return Ok(decode_with(UTF_8, bytes, false));
    }
    let mut det = EncodingDetector::new(Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    let enc = det.guess(None, Utf8Detection::Allow);
    Ok(decode_with(enc, bytes, false))
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
