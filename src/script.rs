//! Script folding: traditional and simplified characters as one.
//!
//! Template sites mirror speeches in traditional characters (often as Big5). For the
//! fingerprints such a copy must read like its simplified original, so the key text
//! folds every ideograph to its simplified form, one character for one character
//! (offsets and lengths stay as they are). The table is OpenCC's, through the
//! `ferrous-opencc` crate: each ideograph of the CJK blocks (U+3400..U+9FFF and the
//! compatibility ideographs U+F900..U+FAFF) is converted on its own with OpenCC's `t2s`
//! chain once per process, and every character it maps to one other character is a
//! folding. Characters OpenCC would leave alone on their own (such as 著, valid in both
//! scripts) are left alone, so a simplified text keeps nearly all of its characters.
//!
//! What is written to `clean/` keeps each file's script unless `--script` asks for one;
//! that conversion is OpenCC's whole phrase-level chain ([`convert`]).

use std::sync::LazyLock;

use ferrous_opencc::config::BuiltinConfig;
use ferrous_opencc::OpenCC;

/// The blocks the table covers: `(first, last)` inclusive.
const BLOCKS: [(u32, u32); 2] = [(0x3400, 0x9FFF), (0xF900, 0xFAFF)];

/// Which script a text is written in, as far as its characters tell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Script {
    /// Simplified characters, or nothing that tells the scripts apart.
    #[default]
    Simplified,
    /// More characters that exist only in traditional script than only in simplified.
    Traditional,
}

impl Script {
    /// The name used in reports and flags.
    pub fn name(self) -> &'static str {
        match self {
            Script::Simplified => "simplified",
            Script::Traditional => "traditional",
        }
    }

    /// The script that these counts of script-only characters point to.
    pub fn of_counts(traditional: u32, simplified: u32) -> Script {
        if traditional > simplified {
            Script::Traditional
        } else {
            Script::Simplified
        }
    }
}

/// The character table: for each character of [`BLOCKS`], its simplified form and
/// whether it is simplified-only (OpenCC's `s2t` changes it).
struct Table {
    /// Per block, indexed by `c - first`: the folded character.
    fold: [Vec<char>; 2],
    /// Per block: the character is changed by `s2t` (it exists only in simplified).
    simplified_only: [Vec<bool>; 2],
}

fn converter(cfg: BuiltinConfig) -> OpenCC {
    OpenCC::from_config(cfg).expect("OpenCC's built-in configurations load")
}

/// Each character of the blocks converted on its own: the characters joined by
/// newlines (so no phrase spans two), converted once, and split again.
fn per_char(cc: &OpenCC, block: (u32, u32)) -> Vec<char> {
    let chars: Vec<char> = (block.0..=block.1)
        .map(|u| char::from_u32(u).expect("CJK blocks hold no surrogates"))
        .collect();
    let mut joined = String::with_capacity(chars.len() * 4);
    for &c in &chars {
        joined.push(c);
        joined.push('\n');
    }
    let converted = cc.convert(&joined);
    let pieces: Vec<&str> = converted.split('\n').collect();
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let mut it = pieces.get(i).map(|p| p.chars()).into_iter().flatten();
            match (it.next(), it.next()) {
                (Some(d), None) => d,
                _ => c, // converted to nothing or to several characters: left alone
            }
        })
        .collect()
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let (t2s, s2t) = (converter(BuiltinConfig::T2s), converter(BuiltinConfig::S2t));
    let fold = BLOCKS.map(|b| per_char(&t2s, b));
    let simplified_only = BLOCKS.map(|b| {
        per_char(&s2t, b)
            .into_iter()
            .zip(b.0..=b.1)
            .map(|(d, u)| d as u32 != u)
            .collect()
    });
    Table {
        fold,
        simplified_only,
    }
});

#[inline]
fn slot(c: char) -> Option<(usize, usize)> {
    let u = c as u32;
    BLOCKS
        .iter()
        .position(|&(a, b)| (a..=b).contains(&u))
        .map(|k| (k, (u - BLOCKS[k].0) as usize))
}

/// Load the table now (it takes a few milliseconds), rather than on first use.
pub fn warm() {
    LazyLock::force(&TABLE);
}

/// Counts of script-only characters seen by a [`Folder`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub traditional: u32,
    pub simplified: u32,
}

impl Counts {
    pub fn script(self) -> Script {
        Script::of_counts(self.traditional, self.simplified)
    }
}

/// Folds characters one at a time and counts what it saw.
pub struct Folder {
    table: &'static Table,
    pub counts: Counts,
}

impl Default for Folder {
    fn default() -> Self {
        Folder::new()
    }
}

impl Folder {
    pub fn new() -> Folder {
        Folder {
            table: &TABLE,
            counts: Counts::default(),
        }
    }

    /// The simplified form of `c` (itself if it has none or is not an ideograph).
    #[inline]
    pub fn fold(&mut self, c: char) -> char {
        let Some((k, i)) = slot(c) else {
            return c;
        };
        let d = self.table.fold[k][i];
        if d != c {
            self.counts.traditional += 1;
        } else if self.table.simplified_only[k][i] {
            self.counts.simplified += 1;
        }
        d
    }
}

/// `text` with every ideograph folded to its simplified form (same length in chars).
pub fn fold_str(text: &str) -> String {
    let mut f = Folder::new();
    text.chars().map(|c| f.fold(c)).collect()
}

/// `text` with its ideographs folded, borrowed when none changes.
pub fn folded(text: &str) -> std::borrow::Cow<'_, str> {
    let table: &Table = &TABLE;
    let changes = |c: char| slot(c).is_some_and(|(k, i)| table.fold[k][i] != c);
    match text.char_indices().find(|&(_, c)| changes(c)) {
        None => std::borrow::Cow::Borrowed(text),
        Some(_) => std::borrow::Cow::Owned(fold_str(text)),
    }
}

/// The script-only characters of `text`, counted.
pub fn counts_of(text: &str) -> Counts {
    let mut f = Folder::new();
    text.chars().for_each(|c| {
        f.fold(c);
    });
    f.counts
}

/// The script of `text` by its script-only characters.
pub fn script_of(text: &str) -> Script {
    counts_of(text).script()
}

static TO_SIMPLIFIED: LazyLock<OpenCC> = LazyLock::new(|| converter(BuiltinConfig::T2s));
static TO_TRADITIONAL: LazyLock<OpenCC> = LazyLock::new(|| converter(BuiltinConfig::S2t));

/// A paragraph as `--script` wants it written: unchanged with `None`, or converted
/// when it holds characters of the other script only (so a paragraph already in the
/// wanted script is never run through the tables).
pub fn to_script(text: &str, want: Option<Script>) -> std::borrow::Cow<'_, str> {
    let Some(want) = want else {
        return std::borrow::Cow::Borrowed(text);
    };
    let counts = counts_of(text);
    let other = match want {
        Script::Simplified => counts.traditional,
        Script::Traditional => counts.simplified,
    };
    if other == 0 {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(convert(text, want))
    }
}

/// `text` in `script` through OpenCC's whole chain (phrases first, then characters).
pub fn convert(text: &str, script: Script) -> String {
    match script {
        Script::Simplified => TO_SIMPLIFIED.convert(text),
        Script::Traditional => TO_TRADITIONAL.convert(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_traditional_to_simplified_char_for_char() {
        let t = "各位同志們：今天我們召開會議，對創建全國文明城市進行部署。";
        let s = "各位同志们：今天我们召开会议，对创建全国文明城市进行部署。";
        assert_eq!(fold_str(t), s);
        assert_eq!(fold_str(s), s);
        assert_eq!(script_of(t), Script::Traditional);
        assert_eq!(script_of(s), Script::Simplified);
        // Slots, letters, digits and punctuation are left alone.
        let other = "\u{E000}XX 2024年，PM2.5。";
        assert_eq!(fold_str(other), other);
    }

    #[test]
    fn characters_of_both_scripts_stay() {
        // 著 is written in simplified text too (显著); OpenCC keeps it. (乾 folds to
        // 干, OpenCC's default: both copies of a text fold alike, which is what counts.)
        for s in ["显著成效", "干部", "后来", "发展", "里面", "于是"] {
            assert_eq!(fold_str(s), s, "{s}");
        }
    }

    #[test]
    fn conversion_round_trips_common_text() {
        let s = "我们要坚持以人民为中心的发展思想，推动经济社会高质量发展。";
        let t = convert(s, Script::Traditional);
        assert_ne!(t, s);
        assert_eq!(script_of(&t), Script::Traditional);
        assert_eq!(convert(&t, Script::Simplified), s);
        assert_eq!(fold_str(&t), s);
    }
}
