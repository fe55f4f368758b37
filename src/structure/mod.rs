//! The structure stage: content lines to documents of paragraphs.
//!
//! Scraped files are not documents: several speeches share one compilation file, and
//! lines break where the page broke. This stage joins broken lines into paragraphs and
//! splits a file into documents (see [`build`]). Every paragraph keeps the range of
//! original lines it came from and where each of those lines starts in its text, so a
//! span found in the paragraph maps back to a line and column.

use std::sync::LazyLock;

use regex::Regex;

use crate::boilerplate::RuleId;
use crate::lines::Line;
use crate::segment::ends_sentence;

mod layout;
use self::layout::*;
pub use self::layout::{layout, Layout, Measure};

/// A paragraph: text and the original lines it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paragraph {
    /// Index (into the file's lines) of the first line.
    pub first: usize,
    /// Index of the last line (inclusive).
    pub last: usize,
    /// Text of the joined lines.
    pub text: String,
    /// `(line index, char offset in text)` of each line that makes up the paragraph.
    pub pieces: Vec<(usize, usize)>,
    /// Cleaned column of the first line where the text starts: 0 but for the parts of a
    /// page-long paragraph after the first (see [`crate::parts`]).
    pub col: usize,
    /// The next paragraph continues this one's text: both are parts of one paragraph
    /// cut for the search, written on one line again.
    pub glued: bool,
}

impl Paragraph {
    /// A paragraph of one line.
    pub fn single(idx: usize, line: &Line) -> Self {
        Paragraph {
            first: idx,
            last: idx,
            text: line.text.clone(),
            pieces: vec![(idx, 0)],
            col: 0,
            glued: false,
        }
    }

    /// The line index and cleaned column of char `pos` of the text, and the char
    /// offset at which that line's piece ends.
    pub fn locate(&self, pos: usize, total_chars: usize) -> (usize, usize, usize) {
        let k = self
            .pieces
            .partition_point(|&(_, off)| off <= pos)
            .saturating_sub(1);
        let (line, off) = self.pieces[k];
        let piece_end = self.pieces.get(k + 1).map_or(total_chars, |&(_, o)| o);
        let col = pos - off + if k == 0 { self.col } else { 0 };
        (line, col, piece_end)
    }
}

/// A document: a range of lines and the paragraphs in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// Index of the first line (inclusive).
    pub first: usize,
    /// Index of the last line (inclusive).
    pub last: usize,
    /// Title line, if the document has one.
    pub title: Option<String>,
    /// Range of paragraph indices.
    pub paras: std::ops::Range<usize>,
}

/// Longest line that can be a title or a compilation header.
const TITLE_MAX_CHARS: usize = 60;
/// A line at least this long that stops without sentence-final punctuation is a
/// sentence broken by the page, joined with the next line.
const BROKEN_MIN_CHARS: usize = 30;
/// A short line joins the next one only as a title broken in two (each piece this short).
const TITLE_PIECE_MAX_CHARS: usize = 30;

static HEADING_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|第[一二三四五六七八九十]+[，、,]|\d{1,2}[、．.]\D|[一二三四五六七八九十]+是|[一二三四五六七八九十]+要|[一二三四五六七八九十]+[，,]|[一二三四五六七八九十]+、|\d{1,2}(?:\.\d{1,2}){1,4}\.\s|\d{1,2}(?:\.\d{1,2}){2,4}\s)")
        .expect("heading regex")
});
/// One addressee of a salutation, and a salutation: addressees joined by `、` or `，`
/// (`同志们、朋友们：`).
const ADDRESSEE: &str = r"(?:同志们|各位领导|各位同志|各位来宾|各位代表|各位委员|各位嘉宾|同学们|老师们|朋友们|女士们、先生们|尊敬的[^，。,.、]{0,30})";
static SALUTATION_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!("^{ADDRESSEE}(?:[、，,]{ADDRESSEE})*[：:，,！!]?$"))
        .expect("salutation regex")
});
/// `…讲话一`, `范文二`, `篇三：…`, `材料四`: a numbered header of one piece in a compilation.
static HEADER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:(?P<pre1>.{0,40}?(?:讲话|发言|致辞|讲稿|演讲稿|范文|心得体会|心得|材料|例文|汇报|总结|报告|篇))(?P<num1>[一二三四五六七八九十]{1,3})|(?P<pre2>范文|篇|例文|材料)(?P<num2>[一二三四五六七八九十\d]{1,3})[：:].*)$")
        .expect("header regex")
});

/// A line [`HEADER_RE`] can match: one ending in a Chinese numeral (`…讲话一`), or one
/// opening with 范文 (範文), 篇, 例文 or 材料 (`范文2：…`). Most lines are neither, and this
/// check spares them the regex.
fn may_be_header(text: &str) -> bool {
    text.ends_with(|c| "一二三四五六七八九十".contains(c))
        || text.starts_with(|c| "范範篇例材".contains(c))
}

/// Is this line a numbered heading inside a document (`一、`, `（二）`, `第三，`, `一要`)?
pub fn is_heading(text: &str) -> bool {
    HEADING_RE.is_match(text)
}

/// Does a line that opens like a heading hold more than one: a sentence ended inside it
/// and more text after (`四、要把学雷锋贯穿到…活动中去。要教育…`)? Such a line is a
/// paragraph of points, which a page may break like any other.
fn heading_goes_on(text: &str) -> bool {
    let rest = HEADING_RE.find(text).map_or(text, |m| &text[m.end()..]);
    let is_han = crate::placeholders::is_han;
    let cs: Vec<char> = rest.chars().collect();
    cs.windows(3).any(|w| {
        let end = crate::segment::is_sentence_end(w[1]) || w[1] == '.' && is_han(w[0]);
        end && is_han(w[2])
    })
}

/// Is this line a salutation that opens a speech (`同志们：`, `各位领导：`)?
pub fn is_salutation(text: &str) -> bool {
    // Every addressee opens with one of these, in either script: most lines are
    // spared the fold and the regex.
    text.starts_with(['同', '各', '尊', '老', '朋', '女'])
        && text.chars().count() <= SALUTATION_MAX_CHARS
        && SALUTATION_RE.is_match(&crate::script::folded(text))
}

/// Longest line that can be a salutation.
const SALUTATION_MAX_CHARS: usize = 80;

fn has_punct(text: &str) -> bool {
    text.chars().any(|c| "。！？；，、：:;,!?…".contains(c))
}

/// A short line with no punctuation that is not a heading or salutation.
fn is_title_like(text: &str) -> bool {
    let n = text.chars().count();
    (2..=TITLE_MAX_CHARS).contains(&n)
        && !has_punct(text)
        && !is_heading(text)
        && !is_salutation(text)
}

/// What names a byline or photo credit (`本报记者 XX`, `张某某摄`).
const BYLINE_MARKS: [&str; 5] = ["记者", "通讯员", "摄", "供稿", "编辑"];

/// The line ends in a closed bracket group that is a byline or photo credit
/// (`…的争端。（新华社记者 刘某 摄）`), or in a short group after a sentence's end
/// (`…初步胜利。（完）`): a unit ends there.
fn ends_closing_note(text: &str) -> bool {
    let Some(open) = text
        .ends_with(['）', ')'])
        .then(|| text.rfind(['（', '(']))
        .flatten()
    else {
        return false;
    };
    let group = crate::script::folded(&text[open..]);
    group.chars().count() <= CLOSING_GROUP_MAX_CHARS
        && (BYLINE_MARKS.iter().any(|m| group.contains(m))
            || crate::segment::ends_sentence(&text[..open]))
}

/// The line stops on a half-width point inside a number or name that the next line
/// goes on with (`…第x节“X.` / `509认证”…`, `…版本2.` / `6.32`): no full stop.
fn point_goes_on(a: &str, b: &str) -> bool {
    let mut tail = a.chars().rev();
    tail.next() == Some('.')
        && tail.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && b.chars().next().is_some_and(|c| c.is_ascii_digit())
}

/// Two title-like lines before a salutation can be one title the page broke in two
/// (`在创建XX机关文明标兵单位` / `再动员大会上的讲话`), unless the first already ends as a
/// title does (`…的讲话`) or the second is a subtitle, byline or note of its own
/// (`——在…上的发言`, `（本报记者 XX）`, `本报记者 张三`).
fn title_continues(a: &str, b: &str) -> bool {
    let (a, b) = (crate::script::folded(a), crate::script::folded(b));
    !ends_as_title(&a)
        && !b.starts_with(['—', '-', '（', '(', '【', '［', '['])
        && !BYLINE_MARKS.iter().any(|m| b.contains(m))
}

fn cn_numeral_value(s: &str) -> Option<u32> {
    let d = |c| "一二三四五六七八九".find(c).map(|i| i as u32 / 3 + 1);
    let cs: Vec<char> = s.chars().collect();
    match cs.as_slice() {
        [a] if *a == '十' => Some(10),
        [a] => d(*a).or_else(|| a.to_digit(10)),
        ['十', b] => d(*b).map(|v| 10 + v),
        [a, '十'] => d(*a).map(|v| v * 10),
        [a, '十', b] => Some(d(*a)? * 10 + d(*b)?),
        _ => s.parse().ok(),
    }
}

/// Lines that are numbered headers of a compilation: at least two of them share a
/// prefix, and their numbers start at one and rise.
fn compilation_headers(lines: &[Line], content: &[usize]) -> Vec<bool> {
    let mut found: Vec<(usize, String, u32)> = Vec::new();
    for &i in content {
        let t = &lines[i].text;
        if !may_be_header(t) || t.chars().count() > TITLE_MAX_CHARS + 20 {
            continue;
        }
        let t = crate::script::folded(t);
        if let Some(c) = HEADER_RE.captures(&t) {
            let (pre, num) = match (c.name("pre1"), c.name("num1")) {
                (Some(p), Some(n)) => (p.as_str(), n.as_str()),
                _ => (
                    c.name("pre2").map_or("", |m| m.as_str()),
                    c.name("num2").map_or("", |m| m.as_str()),
                ),
            };
            if let Some(v) = cn_numeral_value(num) {
                found.push((i, pre.to_string(), v));
            }
        }
    }
    let mut out = vec![false; lines.len()];
    let mut prefixes: Vec<&str> = found.iter().map(|f| f.1.as_str()).collect();
    prefixes.sort_unstable();
    prefixes.dedup();
    for pre in prefixes {
        let nums: Vec<&(usize, String, u32)> = found.iter().filter(|f| f.1 == pre).collect();
        let rising = nums.windows(2).all(|w| w[1].2 == w[0].2 + 1);
        if nums.len() >= 2 && nums[0].2 == 1 && rising {
            for f in nums {
                out[f.0] = true;
            }
        }
    }
    out
}

/// Longest closed bracket group at the end of a line that makes the line complete
/// (a byline, photo credit or note: `（本报记者 XX）`, `（完）`).
const CLOSING_GROUP_MAX_CHARS: usize = 40;

/// Brackets and quotes, opening and closing.
const BRACKET_PAIRS: [(char, char); 8] = [
    ('（', '）'),
    ('(', ')'),
    ('『', '』'),
    ('「', '」'),
    ('《', '》'),
    ('【', '】'),
    ('“', '”'),
    ('［', '］'),
];

/// The line is complete as it stands: it ends a sentence (closing quotes and brackets
/// after the end included), ends in a colon, or ends in a short closed bracket group
/// (a byline, photo credit or note such as `（张某某摄）`, `（完）`, or a quotation).
pub fn ends_complete(text: &str) -> bool {
    if ends_sentence(text) || text.ends_with(['：', ':']) {
        return true;
    }
    let Some(&(open, close)) = text
        .chars()
        .next_back()
        .and_then(|c| BRACKET_PAIRS.iter().find(|p| p.1 == c))
    else {
        return false;
    };
    let mut depth = 0;
    for (n, c) in text.chars().rev().enumerate() {
        if c == close {
            depth += 1;
        } else if c == open {
            depth -= 1;
            if depth == 0 {
                return n < CLOSING_GROUP_MAX_CHARS;
            }
        }
    }
    false
}

/// The line cannot end a unit: it stops on a comma, an enumeration comma or an
/// opening bracket or quote.
fn ends_open(text: &str) -> bool {
    // Not curly quotes: sites write “ and ‘ as closing quotes too.
    text.ends_with(['，', '、', ',', '（', '(', '《', '「', '『'])
}

/// The line cannot start a unit: it opens with punctuation that closes something.
fn starts_closing(text: &str) -> bool {
    // Not quotes: sites write ” and ’ as opening quotes too.
    text.starts_with([
        '，', '。', '、', '；', '：', '！', '？', '）', '》', '」', '』', ',', ';', '!', '?', ')',
    ])
}

/// The line opens with a half-width mark set off by a space (`? 显示帮助`): after a
/// short line that a page did not break at its width, that is a table's key or a
/// label, not punctuation that closes the line before.
fn opens_lone_mark(text: &str) -> bool {
    let mut it = text.chars();
    it.next().is_some_and(|c| c.is_ascii_punctuation())
        && it.next().is_some_and(char::is_whitespace)
}

/// The line opens with a particle that attaches to what comes before it and never
/// opens a sentence (`的发行量…`, `了一个…`).
fn starts_particle(text: &str) -> bool {
    // Not 了 着 过 地 得 之, which open words too (了解, 着力, 过去, 地方, 得到, 之前).
    text.starts_with('们') || text.starts_with('的') && !text.starts_with("的确")
}

/// The line opens with a list bullet and a space (`* `, `• `, `- `).
fn starts_bullet(text: &str) -> bool {
    let mut it = text.chars();
    matches!(
        it.next(),
        Some('*' | '•' | '·' | '-' | '▪' | '●' | '◆' | '■')
    ) && it.next().is_some_and(char::is_whitespace)
}

/// The line `content[k]` follows a line of the same run that ends in a Latin word with
/// no space left after it: a wrapper that broke at the space there dropped it, so this
/// line holds one column less than the width allows.
fn dropped_space(lines: &[Line], content: &[usize], k: usize) -> bool {
    let i = content[k];
    k > 0
        && content[k - 1] + 1 == i
        && lines[i].edge_cols[0] == 0
        && lines[i - 1].edge_cols[1] == 0
        && lines[i - 1].text.ends_with(|c: char| c.is_ascii_graphic())
}

/// The line is written the way informal posts are: a run of end marks (`。。。`, `！！`,
/// `？！`, `好...`), a tilde after an ideograph (`好~`; `~/.bashrc` is a path), or
/// written laughter (`哈哈`, `呵呵`).
fn informal(text: &str) -> bool {
    static INFORMAL_RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"。{2,}|[！!？?]{2,}|\p{Han}\.{3,}|\p{Han}~|～|哈哈|呵呵|嘻嘻|嘿嘿")
            .expect("informal regex")
    });
    INFORMAL_RE.is_match(text)
}

/// The line stops on a preposition or conjunction, which a unit does not end on
/// (`…紧紧握住机长` does not, `…在` / `…和` do).
fn ends_function_word(text: &str) -> bool {
    text.ends_with([
        '和', '与', '及', '或', '在', '对', '把', '被', '将', '从', '向', '于', '并', '而', '但',
    ])
}

/// Prose: the line holds a sentence or clause mark, as body text does and titles,
/// list items and names rarely do.
fn has_prose_marks(text: &str) -> bool {
    text.chars().any(|c| "。！？；，,;!?".contains(c))
}

/// The line ends as a title does (`…的讲话`, `…实施意见`).
fn ends_as_title(text: &str) -> bool {
    const TITLE_ENDS: [&str; 16] = [
        "讲话", "发言", "致辞", "报告", "体会", "总结", "意见", "通知", "方案", "决定", "讲稿",
        "演讲", "贺信", "公告", "纪实", "综述",
    ];
    // The last two characters, folded: every ending is two.
    let start = text.char_indices().rev().nth(1).map_or(0, |(i, _)| i);
    let tail = crate::script::folded(&text[start..]);
    TITLE_ENDS.iter().any(|e| tail.ends_with(e))
}

/// A long line that stops mid-sentence where the next line carries the sentence on:
/// the line is prose (a clause mark in it); or the next line is prose that ends a
/// sentence and the line holds other punctuation (`、`, `：`) or is longer than titles
/// are.
fn broken_prose(a: &str, b: &str) -> bool {
    let n = a.chars().count();
    // A Chinese line broken by the page stops on an ideograph; one that stops on a
    // Latin word, a digit or a symbol is more often code, a name or a list.
    let last_han = a
        .chars()
        .next_back()
        .is_some_and(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c));
    if n < BROKEN_MIN_CHARS || ends_as_title(a) || !last_han {
        return false;
    }
    // The next line ends the sentence: prose, or a short tail (`ll 重定向”）。`).
    let nb = b.chars().count();
    let b_goes_on = ends_sentence(b) && (nb < BROKEN_MIN_CHARS / 2 || has_prose_marks(b));
    has_prose_marks(a) || b_goes_on && (a.contains(['、', '：', ':']) || n >= LONG_TITLE_CHARS)
}

/// The line stops where no unit ends, whatever the page's habit: inside a bracket or
/// quote it opened and the next line closes (`…还有《西藏历代法规` / `选编》…`), inside a
/// number the next line goes on with (`…自１０` / `月２３日起…`, `…在２` / `０余万…`), or
/// on a word that needs what follows it, by jieba's tags of the line's last words (the
/// tail folded to simplified characters first): a preposition, a conjunction, an
/// adverb (`…曲目都`), a demonstrative (`…这些`), or 的 after a noun (`…新加坡的`). The
/// words count only when `confirm()` says so too (on a page written informally, where
/// jieba's dictionary also cuts a word across the break).
fn stops_unfinished(a: &str, b: &str, confirm: impl FnOnce() -> bool) -> bool {
    for (open, close) in BRACKET_PAIRS {
        let left_open = a
            .rfind(open)
            .is_some_and(|o| a.rfind(close).is_none_or(|c| c < o));
        let closed_next = b
            .find(close)
            .is_some_and(|c| b.find(open).is_none_or(|o| c < o));
        if left_open && closed_next {
            return true;
        }
    }
    let digit = |c: char| c.is_ascii_digit() || ('０'..='９').contains(&c);
    let (Some(last), Some(next)) = (a.chars().next_back(), b.chars().next()) else {
        return false;
    };
    if digit(last) && (digit(next) || "年月日号％%万亿元个多余".contains(next)) {
        return true;
    }
    let is_han = crate::placeholders::is_han;
    if !is_han(last) || !is_han(next) {
        return false;
    }
    const TAIL_CHARS: usize = 8;
    let start = a
        .char_indices()
        .rev()
        .nth(TAIL_CHARS - 1)
        .map_or(0, |(i, _)| i);
    let tail = crate::script::fold_str(&a[start..]);
    let tagged = crate::segment::shared().tagged(&tail, false);
    const DEMONSTRATIVES: [&str; 10] = [
        "这", "那", "这些", "那些", "该", "其", "此", "这个", "那个", "这种",
    ];
    let ends = match tagged.as_slice() {
        [.., (before, t), ("的", _)] => {
            t.starts_with('n')
                || *t == "r" && !DEMONSTRATIVES.contains(before)
                || matches!(*before, "自己" | "等" | "”" | "》" | "’")
        }
        [.., (word, tag)] => {
            matches!(*tag, "p" | "c" | "d")
                || *tag == "r" && DEMONSTRATIVES.contains(word)
                || *word == "是否"
        }
        [] => false,
    };
    // The next line opens with a word that joins it to what came before: a
    // conjunction (`和`, `以及`) or a particle (`等`, `之`).
    let head: String = crate::script::fold_str(&b.chars().take(TAIL_CHARS).collect::<String>());
    let opens = crate::segment::shared()
        .tagged(&head, false)
        .first()
        .is_some_and(|&(word, tag)| {
            matches!(word, "和" | "与" | "及" | "以及" | "或") || tag.starts_with('u')
        });
    (ends || opens) && confirm()
}

/// On a wrapped page, does a full line that ends a sentence more often go on in its
/// paragraph than end it? A unit's last line lands on the width about once in `width`
/// units; a line inside a unit ends at a sentence end about as often as the page's
/// characters are sentence ends (`rate`), and a unit has about `lines / short lines - 1`
/// such lines. Joining is the better bet when `(per_unit - 1) * rate * width > 1`:
/// pages of long paragraphs, not pages of short items and headings.
fn full_sentences_go_on(lines: &[Line], body: &[usize], width: u32, m: Measure) -> bool {
    let (mut short, mut chars, mut ends) = (0usize, 0usize, 0usize);
    for &i in body {
        short += usize::from(measure(&lines[i], m) + wrap_slack(m) < width);
        for c in lines[i].text.chars() {
            chars += 1;
            ends += usize::from(crate::segment::is_sentence_end(c));
        }
    }
    if short == 0 || chars == 0 {
        return false;
    }
    let per_unit = body.len() as f64 / short as f64;
    let rate = ends as f64 / chars as f64;
    (per_unit - 1.0) * rate * f64::from(width) > 1.0
}

/// Length of the Latin word `text` opens with (letters, digits and the marks inside
/// words such as `-`, `.`, `_`, `/`), 0 when it opens with anything else: what a word
/// wrapper would have had to fit on the line before.
fn latin_word(text: &str) -> u32 {
    let word = |c: char| c.is_ascii_alphanumeric() || "-._/'()".contains(c);
    if !text.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return 0;
    }
    text.chars().take_while(|&c| word(c)).count() as u32
}

/// Longest line that can be a speech's closing words (`谢谢大家！`, `谢谢！`).
const CLOSING_MAX_CHARS: usize = 12;

/// The line is a unit of its own wherever it stands: a title-like line (short, no
/// punctuation), or a speech's closing thanks.
fn opens_alone(text: &str) -> bool {
    is_title_like(text)
        || text.chars().count() <= CLOSING_MAX_CHARS
            && crate::script::folded(text).starts_with("谢谢")
}

/// Share of a page's long lines that may stop without end punctuation before that is
/// taken as the page's way of writing (see [`build_explained`]).
const OPEN_HABIT: f64 = 0.1;

/// Few titles run this long: a line this long with no end punctuation, followed by
/// prose, was broken by the page.
const LONG_TITLE_CHARS: usize = 40;

/// Why two adjacent content lines were joined or kept apart (`segment --explain`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// Joined: the line reaches the wrap width of a wrapped page.
    AtWidth(u32),
    /// Joined, and searched as two parts: a line of a wrapped page that reaches the
    /// wrap width and ends a sentence, which a paragraph then more often goes on after
    /// than ends.
    FullSentence(u32),
    /// Joined: the line ends on a comma or an opening bracket or quote.
    OpenEnd,
    /// Joined: the next line opens with closing punctuation.
    ClosingStart,
    /// Joined: a long line of prose that stops mid-sentence.
    BrokenProse,
    /// Joined: a long line that stops where no unit ends (a bracket or number left
    /// open, a preposition, conjunction, adverb or demonstrative).
    Unfinished,
    /// Joined: a long line that a word of jieba's dictionary runs across into the next.
    WordAcross,
    /// Joined: a title broken in two before a salutation.
    BrokenTitle,
    /// Apart: a compilation header or furniture.
    Stop,
    /// Apart: the line is a heading.
    Heading,
    /// Apart: the next line is a heading or a salutation.
    NextOpens,
    /// Apart: the line ends a sentence, ends in a colon or in a closed bracket group.
    Complete,
    /// Apart: the page indents its paragraphs' first lines, and the next line is one.
    Indented,
    /// Apart: a line of a wrapped page that stops short of the width.
    Short(u32),
    /// Apart: nothing says the page broke the line (a title, list item or short line).
    NoEvidence,
}

impl Why {
    pub fn joins(self) -> bool {
        matches!(
            self,
            Why::AtWidth(_)
                | Why::FullSentence(_)
                | Why::OpenEnd
                | Why::ClosingStart
                | Why::BrokenProse
                | Why::Unfinished
                | Why::WordAcross
                | Why::BrokenTitle
        )
    }
}

impl std::fmt::Display for Why {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Why::AtWidth(w) => write!(f, "the line reaches the wrap width ({w})"),
            Why::FullSentence(w) => write!(
                f,
                "the line reaches the wrap width ({w}) and ends a sentence (searched as two \
                 parts)"
            ),
            Why::OpenEnd => write!(f, "the line ends on a comma or an opening bracket"),
            Why::ClosingStart => write!(f, "the next line opens with closing punctuation"),
            Why::BrokenProse => write!(f, "a long line of prose that stops mid-sentence"),
            Why::Unfinished => write!(
                f,
                "a long line that stops where no unit ends (an open bracket or number, a \
                 preposition, conjunction, adverb or demonstrative)"
            ),
            Why::WordAcross => write!(f, "a long line broken inside a word"),
            Why::BrokenTitle => write!(f, "a title broken in two before a salutation"),
            Why::Stop => write!(f, "a compilation header or furniture"),
            Why::Heading => write!(f, "the line is a heading"),
            Why::NextOpens => write!(f, "the next line is a heading or a salutation"),
            Why::Complete => write!(
                f,
                "the line ends a sentence, in a colon or a closed bracket"
            ),
            Why::Indented => write!(
                f,
                "the next line is indented, as the page's paragraphs open"
            ),
            Why::Short(w) => write!(f, "the line stops short of the wrap width ({w})"),
            Why::NoEvidence => write!(f, "nothing says the page broke the line"),
        }
    }
}

/// One decision between two adjacent content lines: `line` (index) and the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub line: usize,
    pub why: Why,
}

/// Build documents and paragraphs from lines; `furniture[i]` is the rule that marked
/// line `i` as site furniture. With `keep_furniture` those lines are paragraphs too.
///
/// Paragraphs: the file's [`layout`] is decided first. Two adjacent content lines are
/// joined only on evidence that the page broke a unit: on a wrapped page, the first
/// reaches the wrap width (when it also ends a sentence, only on a page of long
/// paragraphs, see [`full_sentences_go_on`], and then searched as two parts); on any
/// page, it ends on a comma or an opening bracket, the next opens with closing
/// punctuation, it is a long line that stops where no unit ends
/// ([`stops_unfinished`]), it is a long line of prose that stops mid-sentence, or it is
/// a title broken in two before a salutation. They are never
/// joined across a blank line, a heading, a salutation, a compilation header,
/// furniture, or after a complete line ([`ends_complete`]).
///
/// Documents: a new one starts at each compilation header, and at a salutation once the
/// current document already has paragraphs (a title line just before the salutation
/// moves with it). A document's title is its header or leading title line.
pub fn build(
    lines: &[Line],
    furniture: &[Option<RuleId>],
    keep_furniture: bool,
) -> (Vec<Document>, Vec<Paragraph>) {
    let (docs, paras, _) = build_explained(lines, furniture, keep_furniture, false);
    (docs, paras)
}

/// [`build`], with the layout and, when `explain`, every join decision.
pub fn build_explained(
    lines: &[Line],
    furniture: &[Option<RuleId>],
    keep_furniture: bool,
    explain: bool,
) -> (Vec<Document>, Vec<Paragraph>, Explained) {
    let content: Vec<usize> = (0..lines.len())
        .filter(|&i| !lines[i].is_blank() && (furniture[i].is_none() || keep_furniture))
        .collect();
    let header = compilation_headers(lines, &content);
    let stop_line = |i: usize| header[i] || furniture[i].is_some();
    let body: Vec<usize> = content.iter().copied().filter(|&i| !stop_line(i)).collect();
    let layout = layout(lines, &body);
    // The page marks a paragraph's first line by indenting it: some lines are
    // indented and others are not.
    let n_indented = body.iter().filter(|&&i| indented(&lines[i])).count();
    let indents = n_indented >= 2 && n_indented < body.len();
    // A page whose long lines often stop without end punctuation (reviews, posts,
    // lists of titles) writes its units that way: there a long open line is no sign
    // that the page broke it. So does a page written informally, even where only
    // one long line stops open. The habit is the page's writing, not its breaking: a
    // line that stops inside a word, a number or a bracket the next line goes on
    // with, or on a word that needs what follows it, was broken by the page, and
    // does not count as written open.
    // jieba's word across the break after line `i`, asked at most once per break (by
    // the habit and by the joins).
    let across: Vec<std::cell::OnceCell<bool>> = vec![std::cell::OnceCell::new(); lines.len()];
    let word_across_at = |i: usize| {
        *across[i].get_or_init(|| crate::segment::word_across(&lines[i].text, &lines[i + 1].text))
    };
    let long: Vec<usize> = (0..body.len())
        .filter(|&j| lines[body[j]].text.chars().count() >= BROKEN_MIN_CHARS)
        .collect();
    let open_long = long
        .iter()
        .filter(|&&j| {
            let a = lines[body[j]].text.as_str();
            !ends_complete(a)
                && !ends_as_title(a)
                && !body.get(j + 1).is_some_and(|&n| {
                    n == body[j] + 1
                        && (word_across_at(body[j]) || stops_unfinished(a, &lines[n].text, || true))
                })
        })
        .count();
    let habit = open_long >= 2 && open_long as f64 > OPEN_HABIT * long.len() as f64;
    // (Read only when a line stops open.)
    let informal_page = std::cell::OnceCell::new();
    let informal_now =
        || *informal_page.get_or_init(|| body.iter().any(|&i| informal(&lines[i].text)));
    let open_habit = || habit || informal_now();
    let (joins_full_sentences, over) = match layout {
        Layout::Wrapped { width, measure: m } => (
            full_sentences_go_on(lines, &body, width, m),
            over_allowance(lines, &body, width, m),
        ),
        Layout::Lines => (false, WRAP_OVER),
    };
    let mut decisions = Vec::new();

    // Paragraphs, with broken lines joined.
    let mut paras: Vec<Paragraph> = Vec::new();
    let mut k = 0;
    while k < content.len() {
        let i = content[k];
        let mut p = Paragraph::single(i, &lines[i]);
        let doc_start = paras
            .last()
            .is_none_or(|q: &Paragraph| header[q.first] || is_salutation(&q.text));
        let mut chars = lines[i].text.chars().count();
        while k + 1 < content.len() && content[k + 1] == content[k] + 1 {
            let (ia, ib) = (content[k], content[k + 1]);
            let (a, b) = (&lines[ia], &lines[ib]);
            let a_long = a.text.chars().count() >= BROKEN_MIN_CHARS;
            let word_across = || word_across_at(ia);
            // On a page that leaves units open, an open line joins only on a word
            // across the break.
            let open_ok = || !open_habit() || word_across();
            // On a wrapped page, a line that reaches the width goes on in the next line,
            // unless it ends complete: a full line that ends a sentence may end its
            // paragraph too, and cutting a paragraph in two costs dedup less than
            // gluing two (each half is contained in the other copy). A page that
            // indents its paragraphs says which it is.
            let full = match layout {
                Layout::Wrapped { width, measure: m } => {
                    let own = measure(a, m);
                    let n = own + u32::from(dropped_space(lines, &content, k));
                    // A word wrapper breaks before a Latin word that does not fit; no
                    // wrapper leaves a line longer than the width.
                    // (With HTML markup in it, a line reaches the width as written and
                    // fits it as shown, see `within_width`.)
                    ((n + wrap_slack(m) >= width
                        || n + 1 + latin_word(&b.text) > width && !ends_complete(&a.text))
                        && within_width(a, own, width, m, over))
                    .then_some(width)
                }
                Layout::Lines => None,
            };
            let why = if stop_line(ia) || stop_line(ib) {
                Why::Stop
            } else if is_heading(&p.text)
                && p.pieces.len() == 1
                && full.is_none()
                && chars <= TITLE_MAX_CHARS
                && !heading_goes_on(&p.text)
            {
                // (A longer line that opens `第一，…` is a paragraph of points, which a
                // page may break like any other.)
                Why::Heading
            } else if is_salutation(&b.text)
                || starts_bullet(&b.text)
                || is_heading(&b.text) && (full.is_none() || ends_complete(&a.text))
            {
                Why::NextOpens
            } else if indents && indented(b) {
                Why::Indented
            } else if starts_closing(&b.text)
                && (a_long || full.is_some() || !opens_lone_mark(&b.text))
                || starts_particle(&b.text) && a_long
            {
                Why::ClosingStart
            } else if let Some(width) = full {
                let sentence = ends_sentence(&a.text) && !point_goes_on(&a.text, &b.text);
                let note = ends_closing_note(&a.text);
                if (sentence || note) && opens_alone(&b.text) || note && !indents {
                    Why::Complete
                } else if !sentence || indents {
                    Why::AtWidth(width)
                } else if joins_full_sentences {
                    Why::FullSentence(width)
                } else {
                    Why::Complete
                }
            } else if ends_complete(&a.text) {
                Why::Complete
            } else if (ends_open(&a.text) || ends_function_word(&a.text) && a_long) && open_ok() {
                Why::OpenEnd
            } else if let Layout::Wrapped { width, .. } = layout {
                Why::Short(width)
            } else if a_long
                && !ends_as_title(&a.text)
                // Informal writers end units on adverbs and on 是…的 as often as
                // pages break lines there.
                && stops_unfinished(&a.text, &b.text, || !informal_now() || word_across())
            {
                Why::Unfinished
            } else if broken_prose(&a.text, &b.text) && open_ok() {
                Why::BrokenProse
            } else if a_long && !ends_as_title(&a.text) && word_across() {
                // A long line that jieba's dictionary reads as running on into the next
                // one inside a word (`…会见了美国联` / `邦快递公司…`), whatever else it shows.
                Why::WordAcross
            } else if doc_start
                && p.pieces.len() == 1
                && is_title_like(&p.text)
                && chars <= TITLE_MAX_CHARS
                && b.text.chars().count() <= TITLE_PIECE_MAX_CHARS
                && is_title_like(&b.text)
                && title_continues(&p.text, &b.text)
                && content
                    .get(k + 2)
                    .is_some_and(|&n| n == ib + 1 && is_salutation(&lines[n].text))
            {
                Why::BrokenTitle
            } else {
                Why::NoEvidence
            };
            if explain {
                decisions.push(Decision { line: ia, why });
            }
            if !why.joins() {
                break;
            }
            if let Why::FullSentence(_) = why {
                // Written as one paragraph, searched as two parts: a copy that ends its
                // paragraph there still has a unit to match each part.
                p.glued = true;
                paras.push(std::mem::replace(&mut p, Paragraph::single(ib, b)));
                chars = b.text.chars().count();
                k += 1;
                continue;
            }
            p.pieces.push((ib, chars));
            p.text.push_str(&b.text);
            p.last = ib;
            chars += b.text.chars().count();
            k += 1;
        }
        paras.push(p);
        k += 1;
    }

    // Documents.
    let mut starts: Vec<usize> = Vec::new();
    for (j, p) in paras.iter().enumerate() {
        if j == 0 {
            starts.push(0);
            continue;
        }
        let cur = *starts.last().expect("a document is open");
        if header[p.first] {
            starts.push(j);
        } else if is_salutation(&p.text) && j - cur >= 2 {
            let title_before =
                j - 1 > cur && is_title_like(&paras[j - 1].text) && !header[paras[j - 1].first];
            starts.push(if title_before { j - 1 } else { j });
        }
    }
    let mut docs = Vec::with_capacity(starts.len());
    for (s, &a) in starts.iter().enumerate() {
        let b = starts.get(s + 1).copied().unwrap_or(paras.len());
        let first = &paras[a];
        let title = (header[first.first] || (is_title_like(&first.text) && b - a > 1))
            .then(|| first.text.clone());
        docs.push(Document {
            first: first.first,
            last: paras[b - 1].last,
            title,
            paras: a..b,
        });
    }
    (docs, paras, Explained { layout, decisions })
}

/// What [`build_explained`] says of a file besides its paragraphs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explained {
    pub layout: Layout,
    /// Every decision between two adjacent content lines (empty unless asked for).
    pub decisions: Vec<Decision>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lines::split_lines;

    type Shape = (Vec<(usize, usize, Option<String>)>, Vec<String>);

    fn shape(text: &str) -> Shape {
        let lines = split_lines(text);
        let fur = vec![None; lines.len()];
        let (docs, paras) = build(&lines, &fur, false);
        (
            docs.iter()
                .map(|d| (d.first, d.last, d.title.clone()))
                .collect(),
            paras.into_iter().map(|p| p.text).collect(),
        )
    }

    #[test]
    fn compilations_split_at_headers_and_salutations() {
        let body = "今天我们召开会议，目的是统一思想、明确任务。";
        let (docs, _) = shape(&format!(
            "讲话一\n同志们：\n{body}\n讲话二\n同志们：\n{body}\n"
        ));
        let got: Vec<_> = docs.iter().map(|d| (d.0, d.2.clone())).collect();
        assert_eq!(
            got,
            [(0, Some("讲话一".into())), (3, Some("讲话二".into()))]
        );
        let (docs, _) = shape(&format!(
            "同志们：\n{body}\n{body}\n谢谢大家！\n第二篇讲话的标题\n各位领导：\n{body}\n"
        ));
        assert_eq!(
            docs.iter().map(|d| (d.0, d.1)).collect::<Vec<_>>(),
            [(0, 3), (4, 6)]
        );
        assert_eq!(docs[1].2.as_deref(), Some("第二篇讲话的标题"));
        // （三） headings and a lone 讲话一 without a 讲话二 are not document headers.
        let (docs, _) = shape(&format!(
            "同志们：\n（一）加强领导\n{body}\n（二）压实责任\n{body}\n"
        ));
        assert_eq!(docs.len(), 1);
        let (docs, _) = shape(&format!("重要讲话一\n{body}\n"));
        assert_eq!(docs.len(), 1);
    }

    #[test]
    fn broken_lines_join_but_headings_and_titles_stay() {
        let (_, paras) = shape("同志们：\n深入开展学雷锋志愿服务活动，借助行动平台，推进志愿服务经常化、常态化。组织\n开展“中国好人”先进事迹宣传工作。\n");
        assert_eq!(paras.len(), 2);
        assert!(paras[1].ends_with("组织开展“中国好人”先进事迹宣传工作。"));
        // A broken title before a salutation is joined.
        let (docs, paras) = shape("在创建文明单位\n再动员大会上的讲话\n同志们：\n正文。\n");
        assert_eq!(paras[0], "在创建文明单位再动员大会上的讲话");
        assert_eq!(
            docs[0].2.as_deref(),
            Some("在创建文明单位再动员大会上的讲话")
        );
        // A heading never joins the line after it, nor does a short line join a body.
        let (_, paras) = shape("一、统一思想，凝聚共识\n全国文明单位是精神文明建设的最高标准。\n指导思想\n坚持以人为本，抢抓机遇。\n");
        assert_eq!(paras.len(), 4);
        // A complete sentence does not join the next line.
        let (_, paras) = shape("这是一个完整的句子，它以句号结尾，长度也超过三十个字符，不应与下一行相连。\n下一行。\n");
        assert_eq!(paras.len(), 2);
    }

    #[test]
    fn units_that_end_in_brackets_titles_and_lists_stay_apart() {
        // A paragraph ending in a photo credit, a note or a quotation is complete.
        let (_, paras) = shape("今年全市农民人均纯收入比上年增长百分之八，去年入库近２００万元。（张某某摄）\n本报讯 全市上下迅速行动起来，认真贯彻落实会议精神。\n");
        assert_eq!(paras.len(), 2);
        // A title without end punctuation is not glued to the body under it.
        let (_, paras) = shape("历史命运和当代创新——评《某某史》八卷本（附图片×张）\n这部书的出版是学术界的一件大事，它系统地梳理了这段历史的来龙去脉。\n");
        assert_eq!(paras.len(), 2);
        // A list, one item a line.
        let (_, paras) =
            shape("获奖单位名单如下：\n中国农业科学院\n中国电影公司\n北京市朝阳区卫生局\n");
        assert_eq!(paras.len(), 4);
        // A title, its subtitle and a byline before the salutation stay three units.
        let (_, paras) = shape("在全市工作会议上的讲话\n——在年度总结表彰大会上的发言\n（本报记者 XXX）\n同志们：\n正文。\n");
        assert_eq!(paras.len(), 5);
        // A bullet opens an item even after a line that stops mid-sentence.
        let (_, paras) = shape("* 当不是必须要使用 root 的时候，就不要使用 root 的权限来做任何操作的\n* 不要胡乱折腾软件包管理系统\n");
        assert_eq!(paras.len(), 2);
    }

    /// `text` hard-wrapped at `width` characters, paragraphs one after another.
    fn wrapped(paras: &[&str], width: usize) -> String {
        let mut out = String::new();
        for p in paras {
            let cs: Vec<char> = p.chars().collect();
            for line in cs.chunks(width) {
                out.extend(line);
                out.push('\n');
            }
        }
        out
    }

    /// `paras` wrapped at `width` display columns, ambiguous characters two wide (as a
    /// CJK terminal counts them); a wide character that does not fit goes on.
    fn wrapped_cjk_columns(paras: &[&str], width: usize) -> String {
        use unicode_width::UnicodeWidthChar;
        let mut text = String::new();
        for p in paras {
            let (mut line, mut cols) = (String::new(), 0);
            for c in p.chars() {
                let w = c.width_cjk().unwrap_or(0);
                if cols + w > width {
                    text.push_str(&line);
                    text.push('\n');
                    (line, cols) = (String::new(), 0);
                }
                line.push(c);
                cols += w;
            }
            text.push_str(&line);
            text.push('\n');
        }
        text
    }

    /// Three paragraphs of one to four lines of 30 characters.
    const THREE_PARAS: [&str; 3] = [
        "我们要坚持以人民为中心的发展思想，推动经济社会高质量发展，让改革发展成果更多更公平惠及全体人民。这是一个很长的段落，需要被切成好几行。",
        "第二段同样很长，它讲的是另一件事情：要加强基层组织建设，把党的政治优势和组织优势转化为发展优势，为全面建设现代化提供坚强保证。",
        "第三段短一些，但也超过一行的宽度，用来检查最后一行较短的段落能否正确地结束，不会和下一段连在一起而成为一段。",
    ];

    #[test]
    fn a_wrapped_page_gives_the_paragraphs_of_the_unwrapped_one() {
        let paras = THREE_PARAS;
        let text = wrapped(&paras, 30);
        let (got, ex) = explained(&text);
        assert_eq!(ex.layout, WRAPPED_30);
        let got: Vec<String> = got.into_iter().map(|p| p.text).collect();
        assert_eq!(got, paras);
        assert_eq!(shape(&format!("{}\n", paras.join("\n"))).1, paras);
        assert!(ex.decisions.iter().any(|d| d.why == Why::AtWidth(30)));
        assert!(ex
            .decisions
            .iter()
            .any(|d| matches!(d.why, Why::Short(30) | Why::Complete)));
    }

    #[test]
    fn a_wrapped_page_counts_html_references_as_written() {
        // The wrapper counted `&ldquo;` as seven characters: the line holding it is full
        // as written, though its text is six shorter.
        let mut paras = THREE_PARAS.map(String::from);
        paras[0] = paras[0].replace("高质量发展", "&ldquo;高质量发展&rdquo;");
        let paras: Vec<&str> = paras.iter().map(String::as_str).collect();
        let text = wrapped(&paras, 30);
        let (got, ex) = explained(&text);
        assert_eq!(ex.layout, WRAPPED_30);
        let got: Vec<String> = got.into_iter().map(|p| p.text).collect();
        let want: Vec<String> = paras
            .iter()
            .map(|p| p.replace("&ldquo;", "“").replace("&rdquo;", "”"))
            .collect();
        assert_eq!(got, want);
        // A wrapper that counted what the page shows: the line with the references and
        // a tag is full as shown, though longer than the width as written.
        let mut want = THREE_PARAS.map(String::from);
        want[0] = want[0].replace("高质量发展", "“更高质量”发展");
        let shown = wrapped(&want.each_ref().map(String::as_str), 30)
            .replace("“", "&ldquo;")
            .replace("”", "<b>&rdquo;</b>");
        let first = shown.lines().next().unwrap_or_default();
        assert!(first.chars().count() > 40 && !first.ends_with("</b>"));
        let (got, ex) = explained(&shown);
        assert_eq!(ex.layout, WRAPPED_30);
        let got: Vec<String> = got.into_iter().map(|p| p.text).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_page_of_open_lines_needs_a_word_cut_to_join() {
        // Reviews: long lines that stop without end punctuation are the page's units.
        let page = "这本书的内容非常丰富，讲解也很清楚，适合初学者阅读，我买了好几本送给朋友们\n\
                    物流速度很快，包装也很严实，书的纸张质量不错，印刷清晰，总的来说很满意\n\
                    孩子很喜欢这套绘本，每天晚上都要我给她讲一个故事才肯睡觉，非常推荐给大家\n";
        assert_eq!(shape(page).1.len(), 3);
        // The same page with one line broken inside a word (满意 cut in two): joined.
        let broken = page.replace("总的来说很满意\n", "总的来说很满\n意。\n");
        let got = shape(&broken).1;
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[1].ends_with("很满意。"));
    }

    /// The paragraphs of `text` and what [`build_explained`] says of it.
    fn explained(text: &str) -> (Vec<Paragraph>, Explained) {
        let lines = split_lines(text);
        let fur = vec![None; lines.len()];
        let (_, paras, ex) = build_explained(&lines, &fur, false, true);
        (paras, ex)
    }

    const WRAPPED_30: Layout = Layout::Wrapped {
        width: 30,
        measure: Measure::Chars,
    };

    /// The decision between line `line` (0-based) and the next.
    fn why_at(text: &str, line: usize) -> Why {
        explained(text)
            .1
            .decisions
            .iter()
            .find(|d| d.line == line)
            .map(|d| d.why)
            .expect("a decision at that line")
    }

    #[test]
    fn a_lone_half_width_mark_after_a_short_line_is_a_key_not_closing_punctuation() {
        // A table of keys, one row a line: `?` is the key that shows the help.
        let table = "F10 或 Ctrl-t 菜单\n? 显示按键帮助（更加完整的清单）\n";
        assert_ne!(why_at(table, 0), Why::ClosingStart);
        assert_eq!(explained(table).0.len(), 2);
        // Closing punctuation still joins: written without the space, full-width, or
        // after a long line the page broke.
        for page in [
            "F10 或 Ctrl-t 菜单\n?显示按键帮助\n",
            "F10 或 Ctrl-t 菜单\n？ 显示按键帮助\n",
            "我们是不是应该认真想一想，这样做到底对不对，究竟能不能解决问题呢\n? 大家都在等一个答案。\n",
        ] {
            assert_eq!(why_at(page, 0), Why::ClosingStart, "{page}");
        }
    }

    #[test]
    fn a_page_of_open_lines_joins_where_no_unit_ends() {
        let page = "这本书的内容非常丰富，讲解也很清楚，适合初学者阅读，我买了好几本送给朋友们\n\
                    孩子很喜欢这套绘本，每天晚上都要我给她讲一个故事才肯睡觉，非常推荐给大家\n";
        // Each line the page broke stops where no unit ends: on an adverb, inside a
        // title it opened, inside a number, on 的 after a noun; or the next line opens
        // with a conjunction.
        for (a, b) in [
            (
                "物流速度很快，包装也很严实，快递员的态度也非常好，这本书的纸张质量都",
                "不错，印刷清晰，总的来说很满意。",
            ),
            (
                "我最喜欢其中的一个故事，讲的是一个小孩子和他的朋友，名字叫做《小王子",
                "和狐狸》，很感人。",
            ),
            (
                "快递两天就到了，包装完好无损，价格也比书店便宜，我们一共买了１",
                "２本，以后还会再来买的。",
            ),
            (
                "快递两天就到了，包装完好无损，价格也比书店便宜，这是我第一次买这家出版社的",
                "书，以后还会再来买的。",
            ),
            (
                "快递两天就到了，包装完好无损，价格也比书店便宜，书里有很多漂亮的插图",
                "和详细的说明，以后还会再来买的。",
            ),
        ] {
            let text = format!("{page}{a}\n{b}\n");
            assert_eq!(why_at(&text, 2), Why::Unfinished, "{a}|{b}");
            let got = shape(&text).1;
            assert_eq!(got.len(), 3, "{got:?}");
            assert_eq!(got[2], format!("{a}{b}"));
        }
        // A traditional page's words are found too (經|濟 is one word).
        assert!(crate::segment::word_across("對今年經", "濟前景"));
        // A unit that ends on a verb or a noun is left alone on such a page.
        let text = format!("{page}快递两天就到了，包装完好无损，价格也比书店便宜，总的来说我很满意\n以后还会再来买的。\n");
        assert_eq!(shape(&text).1.len(), 4);
    }

    #[test]
    fn a_full_line_that_ends_a_sentence_is_joined_and_searched_in_parts() {
        let paras = [
            "我们要坚持以人民为中心的发展思想，推动经济高质量发展。要让改革发展成果更多更公平惠及全体人民，这是一个很长的段落。",
            "第二段同样很长，它讲的是另一件事情：要加强基层组织建设，把党的政治优势和组织优势转化为发展优势，为全面建设现代化提供坚强保证。",
        ];
        // Wrapped at 27, the first paragraph's first line ends a sentence.
        let text = wrapped(&paras, 27);
        assert!(text.lines().next().is_some_and(|l| l.ends_with('。')));
        let (got, ex) = explained(&text);
        assert_eq!(ex.decisions[0].why, Why::FullSentence(27));
        // Two parts, glued: one paragraph where it is written or scored.
        assert!(got[0].glued && !got[1].glued);
        let wholes: Vec<String> = crate::parts::wholes(&got)
            .into_iter()
            .map(|w| got[w].iter().map(|p| p.text.as_str()).collect())
            .collect();
        assert_eq!(wholes, paras);
        // A full line that ends in a byline, or before the closing thanks, ends a unit.
        let credit = "（记者张三摄）";
        let prose: String = "全市上下迅速行动起来，认真贯彻落实会议精神，"
            .chars()
            .cycle()
            .take(53)
            .collect();
        let first = format!("{prose}{credit}");
        assert_eq!(first.chars().count(), 60);
        let end: String = "要把各项工作做实做细，".chars().cycle().take(59).collect();
        let end = format!("{end}。");
        let text = format!("{}谢谢大家！\n", wrapped(&[&first, paras[1], &end], 30));
        let (got, ex) = explained(&text);
        assert_eq!(ex.layout, WRAPPED_30);
        assert_eq!(ex.decisions[1].why, Why::Complete);
        assert_eq!(got[0].text, first);
        let last = ex.decisions.last().expect("decisions");
        assert_eq!(last.why, Why::Complete, "{got:?}");
        assert_eq!(got.last().map(|p| p.text.as_str()), Some("谢谢大家！"));
        // So does one that ends in a short group after a sentence's end (`。（完）`).
        let done: String = "全市上下迅速行动起来，认真贯彻落实会议精神，"
            .chars()
            .cycle()
            .take(56)
            .chain("。（完）".chars())
            .collect();
        let text = wrapped(&[&done, paras[1], &end], 30);
        let (got, ex) = explained(&text);
        assert_eq!(ex.layout, WRAPPED_30);
        assert_eq!(ex.decisions[1].why, Why::Complete);
        assert_eq!(got[0].text, done);
    }

    #[test]
    fn the_wrappers_own_measure_wins_a_tie() {
        // Wrapped at 40 columns with curly quotes counted two columns wide, as a CJK
        // terminal counts them: most lines have no quote, so every measure counts them
        // alike, and only the lines with quotes tell the measures apart.
        let para = "他说：“我们要坚持以人民为中心的发展思想。”推动经济社会高质量发展，在2035年让改革发展成果更多更公平惠及全体人民，这是一个很长的段落，需要被切成好几行，写满100多个字符才算结束。";
        let text = wrapped_cjk_columns(&[para; 3], 40);
        let (got, ex) = explained(&text);
        assert_eq!(
            ex.layout,
            Layout::Wrapped {
                width: 40,
                measure: Measure::CjkColumns
            }
        );
        assert_eq!(got.len(), 3, "{got:?}");
        // A long line that opens with an enumerator is not a heading: broken on a
        // preposition, it joins the next line.
        let points = "第一，及早举行两岸政治谈判，这是两岸同胞的共同心愿，也是形势发展的需要，可先由海协与海基会授权进行两岸政治谈判的程序性安排。在此\n基础上，重新开始两会经济性、事务性议题的商谈。\n";
        assert_eq!(shape(points).1.len(), 1);
    }

    #[test]
    fn a_page_of_wide_characters_wrapped_in_columns_is_read_in_columns() {
        // Half-width commas and stops among ideographs, wrapped at 66 columns: a full
        // line is 65 or 66 columns (a wide character that does not fit goes on), which
        // is anything from 33 to 35 characters. Counted in characters the page looks
        // wrapped at 34, and its lines of 33 look short.
        let paras = [
            "\u{3000}\u{3000}在我日積月累收藏的名片冊中,給我印象最深的是一張朋友送的名片.其實,從質地到圖案設計,這張名片並沒有什麼獨特之處,無非是在上面印有該市的市徽和電話號碼,卻讓我記憶猶新.",
            "\u{3000}\u{3000}那是那一年的中旬,我有幸參加了考察團到外地參觀學習.這個時節,恰逢當地的雨季.剛從機場出來,外面的大雨瓢潑,我們一行人都沒有帶傘,正在為難的時候,接待我們的人已經把傘送到了手裡.",
            "\u{3000}\u{3000}這天在市長和醫院院長的陪同下,我們參觀了這家醫院的先進設施和嚴密的管理.全院有三百多醫務人員,三百張床位,是當地規模最大的醫院之一,每天接待的病人數以千計,井井有條.",
            "\u{3000}\u{3000}參觀過後,感觸頗多,直至次日仍很激動.一次參觀,能將參觀者的情緒調動到這種程度,應當說是少見的,這也說明他們的工作做得細緻周到,處處為來訪的客人著想,值得我們學習.",
        ];
        let text = wrapped_cjk_columns(&paras, 66);
        let (got, ex) = explained(&text);
        assert!(
            matches!(ex.layout, Layout::Wrapped { width: 66, measure } if measure != Measure::Chars),
            "{}",
            ex.layout
        );
        let got: Vec<String> = got.into_iter().map(|p| p.text).collect();
        let want: Vec<String> = paras
            .iter()
            .map(|p| p.trim_start_matches('\u{3000}').to_string())
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn lines_a_source_cut_at_one_length_past_any_wrap_width_are_not_wrapped() {
        // Reviews the source cut at 100 characters: as many lines of one length as a
        // wrapped page has, but no wrapper breaks Chinese text that far out.
        let review = "这本书写得相当真实，也相当感人，用看似平淡的语言和简简单单的话语，就把有关母亲的事情都写出来了，我和女儿一起读了好几遍，每次读都有新的感受，推荐给大家";
        let cut: String = review.chars().cycle().take(100).collect();
        let text = format!(
            "{cut}\n价格要是能再低点就更好了！\n{cut}\n快递很快，包装也好。\n{cut}\n{cut}\n"
        );
        assert_eq!(explained(&text).1.layout, Layout::Lines);
        // The same lines at 40 characters are a wrapped page.
        let cut: String = review.chars().take(40).collect();
        let text = format!(
            "{cut}\n价格要是能再低点就更好了！\n{cut}\n快递很快，包装也好。\n{cut}\n{cut}\n"
        );
        assert!(matches!(
            explained(&text).1.layout,
            Layout::Wrapped { width: 40, .. }
        ));
    }

    #[test]
    fn the_measure_that_puts_more_lines_on_the_width_is_the_wrappers() {
        // Reviews wrapped at 70 columns, with half-width punctuation: full lines are 69
        // or 70 columns but 36 to 40 characters, and the last review (37 characters, not
        // wrapped) falls among them when counted in characters.
        let page = "房间很破,墙纸拿胶带粘着,插座十个都有八个不能用.\n\
                    多的枕头被子找个柜子就塞,估计都很脏,用了都有心理障碍.\n\
                    衣柜想挂衣服都很难打开.\n\
                    门锁开了关门困难,每次都要很大声的关门.\n\
                    宽带根本就是摆设,找人维修竟说IT人休息,昏倒~~\n\
                    房内卫生做得极其马虎,我们俩个房间一个几天都是药味,开窗也散不去;一个有\n\
                    烟味,却根本不能开窗.床头底下竟然还有个鸡蛋,抽屉里还有上一个客人的遗留\n\
                    物品.\n\
                    最最夸张的是那个卫生间,竟然淋浴没有隔层,洗个澡整个卫生间全是水.每天洗\n\
                    完澡不得不在地上铺块大浴巾,以便能进去.\n\
                    那个早餐我根本也不想说了,7-9点的供应时间,东西简直是垃圾.后来我连早餐券\n\
                    都不要他们的了.\n\
                    前台的接待员算有礼貌,但check out奇慢.后来才了解到一定要屋内人走了查完\n\
                    房才给我们结.只想说那屋里的东西送我都不会要,还怕人拿,太夸张了......\n\
                    以后是万万也不会再去那里住了,太失望了!!!!!!\n\
                    房间环境尚可,卫生让人担忧,床单圬迹斑斑!有骚扰电话\n\
                    补充点评 2008年4月6日 ： 停车场没有灯,还污水满地留,建议取消该店\n";
        let (got, ex) = explained(page);
        assert!(
            matches!(ex.layout, Layout::Wrapped { width: 70, measure } if measure != Measure::Chars),
            "{}",
            ex.layout
        );
        // 1-based line ranges, as the labels give them.
        let ranges: Vec<(usize, usize)> = got.iter().map(|p| (p.first + 1, p.last + 1)).collect();
        assert_eq!(&ranges[5..9], &[(6, 8), (9, 10), (11, 12), (13, 14)]);
        assert_eq!(ranges.len(), 12);
    }

    #[test]
    fn a_line_past_the_width_is_no_wrappers_line() {
        // A command from a `<pre>` block, longer than the width, between wrapped
        // paragraphs: no wrapper left it, so it does not go on into the next line.
        let p1 = "软件源列表的每一行写明一个软件仓库的地址、它的发布版本以及所选用的软件包类别，系统据此下载软件包的索引，再按照索引安装和升级软件包，例如：";
        let p2 = "第三个字段（上面例子中的“unstable”）指出了这个系统正在跟踪哪一个发布版本，其后的字段是所选用的软件包类别，可以写一个或者写好几个。";
        let command = "deb http://ftp.us.debian.org/debian/ unstable main contrib";
        let text = format!("{}{command}\n{}", wrapped(&[p1], 30), wrapped(&[p2], 30));
        let (got, ex) = explained(&text);
        assert_eq!(ex.layout, WRAPPED_30);
        let got: Vec<String> = got.into_iter().map(|p| p.text).collect();
        assert_eq!(got, [p1, command, p2]);
        // Closing punctuation pulled up past the width still leaves a full line.
        let quoted = "他说：“我们要坚持以人民为中心的发展思想，推动经济社会高质量发展。”然后继续讲下去，这一段也很长很长。";
        let mut lines: Vec<String> = wrapped(&[quoted], 30).lines().map(String::from).collect();
        lines[0].push_str("。”）");
        let text = format!("{}\n{}", lines.join("\n"), wrapped(&[p1, p2], 30));
        let why = why_at(&text, 0);
        assert!(
            matches!(why, Why::AtWidth(30) | Why::FullSentence(30)),
            "{why:?}"
        );
    }

    #[test]
    fn on_a_page_whose_wrapper_pulls_punctuation_up_the_width_is_exact() {
        // Wrapped at 30 with closing punctuation kept off a line's start: the lines past
        // 30 are so by the `，` pulled up to them. A field list from a `<pre>` block two
        // past the width is then no wrapper's line.
        let han: Vec<char> = "软件包之间的关系写在控制文件的几个字段里面每个字段列出一个或者多个软件包的名字并且还可以加上版本的限制条件"
            .chars()
            .cycle()
            .take(202)
            .collect();
        let piece = |a: usize, b: usize| han[a..b].iter().collect::<String>();
        let full = |a: usize| {
            [
                piece(a, a + 30) + "，",
                piece(a + 30, a + 60),
                piece(a + 60, a + 90),
            ]
        };
        let (p1, p2) = (
            [full(0).as_slice(), &[piece(90, 102) + "。"]].concat(),
            [full(102).as_slice(), &[piece(192, 202) + "。"]].concat(),
        );
        let fields = "Depends: foo (>= 1.2), bar (= 1)";
        let text = format!(
            "{}\n{}\n{fields}\nConflicts: baz\n",
            p1.join("\n"),
            p2.join("\n")
        );
        let (got, ex) = explained(&text);
        assert_eq!(ex.layout, WRAPPED_30);
        let got: Vec<String> = got.into_iter().map(|p| p.text).collect();
        assert_eq!(
            got,
            [
                p1.concat(),
                p2.concat(),
                fields.into(),
                "Conflicts: baz".into()
            ]
        );
        // Where lines pass the width by other characters too, the width is the page's
        // commonest full length and a line may run two past it.
        let text = format!(
            "{}\n{}\n{fields}\nConflicts: baz\n",
            p1.join("\n").replacen('，', "件", 1),
            p2.join("\n").replacen('，', "件", 1)
        );
        assert_eq!(shape(&text).1.len(), 3);
    }

    #[test]
    fn a_line_a_word_wrapper_broke_before_a_latin_word_is_full() {
        // Wrapped at 30 characters by words: the second line stops six short of the
        // width because `configure` did not fit.
        let p2 = "第二段同样很长，它讲的是另一件事情，要加强基层组织建设，把党的政治优势和组织优势转化为发展优势，为全面建设现代化提供坚强保证，这一段也很长。";
        let text = format!(
            "要从源代码编译并安装程序，先阅读软件包附带的说明文件和指南，\n然后在源代码所在的目录下面打开一个终端窗口并运行\nconfigure 脚本生成编译所需的文件。\n{}",
            wrapped(&[p2, p2], 30)
        );
        let text = text.as_str();
        let (got, ex) = explained(text);
        assert!(
            matches!(ex.layout, Layout::Wrapped { .. }),
            "{:?}",
            ex.layout
        );
        assert!(
            matches!(ex.decisions[1].why, Why::AtWidth(_)),
            "{:?}",
            ex.decisions
        );
        assert_eq!(got.len(), 3, "{got:?}");
        // Numbered section headings of a manual are headings.
        assert!(is_heading("12.6.2.1. 编译并安装程序"));
        assert!(is_heading("2.7.3 调整候选版本"));
        assert!(!is_heading("3.5万人参加了这次活动。"));
    }

    #[test]
    fn a_wrapper_that_drops_the_space_it_broke_at_leaves_a_full_line() {
        // Wrapped at 30 characters by a wrapper that counts the space after
        // `build-essential` into the next line and then drops it: that line holds 29.
        let p2 = "第二段同样很长，它讲的是另一件事情，要加强基层组织建设，把党的政治优势和组织优势转化为发展优势，为全面建设现代化提供坚强保证，这一段也很长。";
        let lines = [
            "请先安装编译所需的工具，例如 build-essential",
            "和 debhelper 这两个软件包，然后再把源代码全部解",
            "压到一个新的目录里面进行构建。",
        ];
        assert_eq!(lines.map(|l| l.chars().count())[..2], [30, 29]);
        let text = format!("{}\n{}", lines.join("\n"), wrapped(&[p2, p2], 30));
        let (got, ex) = explained(&text);
        assert!(
            matches!(ex.layout, Layout::Wrapped { width: 30, .. }),
            "{:?}",
            ex.layout
        );
        assert!(
            matches!(ex.decisions[1].why, Why::AtWidth(30)),
            "{:?}",
            ex.decisions
        );
        assert_eq!(got[0].text, lines.concat());
        // After a line that ends in an ideograph, one short of the width is short.
        let short = text.replacen("build-essential", "构建工具包中的全部文件和文档", 1);
        let (_, ex) = explained(&short);
        assert!(
            matches!(ex.decisions[1].why, Why::Short(30)),
            "{:?}",
            ex.decisions
        );
    }

    #[test]
    fn a_full_line_that_stops_mid_sentence_goes_on_into_what_looks_like_a_heading() {
        let p2 = "第二段同样很长，它讲的是另一件事情，要加强基层组织建设，把党的政治优势和组织优势转化为发展优势，为全面建设现代化提供坚强保证，这一段也很长。";
        let page = |a: &str, b: &str| format!("{a}\n{b}\n{}", wrapped(&[p2, p2], 30));
        // A manual page reference broken before its section, and `之一` broken in two.
        for (a, b) in [
            (
                "请在终端运行命令，使用的程序是 gnome-terminal",
                "(1)、rxvt(1) 或 xterm(1) 都可以。",
            ),
            (
                "我们住的这家酒店离寺庙和车站都很近，酒店温泉是峨眉四大温泉之",
                "一，住店客人只需五十元。",
            ),
        ] {
            assert_eq!(a.chars().count(), 30, "{a}");
            let (got, ex) = explained(&page(a, b));
            assert!(
                matches!(ex.decisions[0].why, Why::AtWidth(30)),
                "{a} {:?}",
                ex.decisions
            );
            assert_eq!(got[0].text, format!("{a}{b}"));
        }
        // A full line that ends a sentence, and a bullet after any full line, open a unit.
        for (a, b) in [
            (
                "我们住的这家酒店离寺庙和车站都很近，温泉是峨眉四大温泉之一。",
                "一、住店客人只需五十元。",
            ),
            (
                "我们住的这家酒店离寺庙和车站都很近，酒店温泉是峨眉四大温泉之",
                "* 住店客人只需五十元。",
            ),
        ] {
            let (_, ex) = explained(&page(a, b));
            assert_eq!(
                ex.decisions[0].why,
                Why::NextOpens,
                "{a} {:?}",
                ex.decisions
            );
        }
    }

    #[test]
    fn a_long_line_broken_inside_a_word_joins_on_any_page() {
        // No comma before the break and a next line with no prose marks: only the word
        // 联邦 across the break says the page broke the line. The page leaves another
        // long line open, so its long open lines are a habit too.
        let text = "新华社北京１月１６日电（记者谭国器）国家主席江泽民今天在中南海会见了美国联\n\
                    邦快递公司董事长弗雷德里克·史密斯及由他率领的该公司董事会代表团。\n\
                    会见时双方就进一步扩大两国经贸合作交换了意见并取得广泛共识\n\
                    参加会见的还有有关部门负责人。\n";
        assert_eq!(why_at(text, 0), Why::WordAcross);
        assert_eq!(shape(text).1.len(), 3);
        // Two words that meet at the break are no such evidence (`共识` / `参加`).
        assert_eq!(why_at(text, 2), Why::NoEvidence);
    }

    #[test]
    fn a_break_inside_a_latin_word_or_after_a_point_inside_a_number_goes_on() {
        // One paragraph a line: a Latin word that goes on in lower case was cut by the
        // page; a capital may open a word of its own.
        let text = "由于我们处理的是隔离而不是普通虚拟化，因此设置容器比在虚拟机上运行d\n\
                    ebian安装程序更为复杂。我们将介绍几个先决条件，然后继续进行网络配置\n\
                    华硕品牌大，送人体面，配置不错，性价比高，显存会变成1G显存，很牛X\n\
                    ST的硬盘，三星的刻录机，友达面板，键盘手感不错，触摸板很好，比较轻薄！\n";
        assert_eq!(why_at(text, 0), Why::WordAcross);
        assert_eq!(why_at(text, 2), Why::NoEvidence);
        assert_eq!(shape(text).1.len(), 3);
        // Lines of code are not Chinese prose, whatever their letters.
        assert!(!crate::segment::word_across(
            "$ sudo apt-get install --reinstall package",
            "ls -la /usr/share/doc/package/examples"
        ));
        // A wrapped page: `X.` at the width is the point of `X.509`, not a full stop.
        let paras = [
            "这些服务在认证和保密上都依赖证书，更多信息请参见第十节“X.509认证”中所描述的加密技术，这里不再重复说明了。",
            "第二段同样很长，它讲的是另一件事情：要加强基层组织建设，把党的政治优势和组织优势转化为发展优势，为全面建设现代化提供坚强保证。",
            "第三段短一些，但也超过一行的宽度，用来检查最后一行较短的段落能否正确地结束，不会和下一段连在一起而成为一段。",
        ];
        let text = wrapped(&paras, 30);
        assert!(text.lines().next().unwrap().ends_with("X."), "{text}");
        let (got, ex) = explained(&text);
        assert_eq!(ex.layout, WRAPPED_30);
        let got: Vec<String> = got.into_iter().map(|p| p.text).collect();
        assert_eq!(got, paras);
        assert_eq!(why_at(&text, 0), Why::AtWidth(30));
    }

    #[test]
    fn a_line_that_stops_on_a_pronoun_or_a_quoted_term_and_de_goes_on() {
        // `他们的` and `“开源”的` need the noun the next line opens with, as `制度的` does.
        for (a, b) in [
            (
                "但我还是要强调我个人对出版社的好伙计们的感激，和他们的",
                "合作总是那么地愉快而顺畅。",
            ),
            (
                "同时，它也作为“开源”的",
                "基础定义。因此它成为了最早的正式定义之一。",
            ),
        ] {
            assert!(stops_unfinished(a, b, || true), "{a}");
        }
        // 的 after an adjective ends a sentence as often as it needs a noun.
        assert!(!stops_unfinished(
            "房间很大，早餐的品种也很丰富，总体来说还是挺好的",
            "下次还会再来。",
            || true
        ));
    }

    #[test]
    fn the_lines_a_page_broke_are_not_its_habit_of_leaving_lines_open() {
        // A formal page, one paragraph a line, that broke two long lines: the first
        // inside the word 联邦, or after the demonstrative 这些; the second between words
        // (`…召开全国` / `教育法制工作会议…`). Counted as written open, the two would
        // make a habit of open lines, and the second would stay apart for want of a
        // word across its break.
        for (first, why) in [
            (
                "国家主席江泽民今天在中南海会见了美国联\n邦快递公司董事长弗雷德里克·史密斯及由他率领的该公司董事会代表团。",
                Why::WordAcross,
            ),
            (
                "国家主席江泽民今天在中南海会见美国联邦快递公司董事长史密斯，双方就这些\n问题和两国经贸合作交换了意见。",
                Why::Unfinished,
            ),
        ] {
            let text = format!(
                "新华社北京１月１６日电（记者谭国器）{first}\n\
                 全面推进依法治教，是今年教育工作的另一个重点。今年国家教委还将会同有关部门联合召开全国\n\
                 教育法制工作会议，大力推动地方教育立法工作，依法保障教育投入。\n\
                 会见时双方就进一步扩大两国经贸合作交换了意见，并取得广泛共识。\n\
                 参加会见的还有有关部门负责人和代表团的其他成员，会见气氛友好。\n"
            );
            assert_eq!(why_at(&text, 0), why, "{first}");
            assert_eq!(why_at(&text, 2), Why::BrokenProse, "{first}");
            assert_eq!(shape(&text).1.len(), 4);
        }
        assert!(!crate::segment::word_across(
            "今年国家教委还将会同有关部门联合召开全国",
            "教育法制工作会议"
        ));
        // A page of reviews that leaves two long lines open keeps its habit.
        let reviews = "酒店的位置很好，离地铁站和商场都很近，房间也打扫得很干净，服务员态度不错\n\
                       第二次入住了，早餐的品种比上次丰富多了，价格也算合理，下次出差还会再来\n\
                       总体来说性价比很高，推荐给需要在这一带出差或者旅游的朋友们。\n";
        assert_eq!(shape(reviews).1.len(), 3);
    }

    #[test]
    fn a_numbered_line_that_goes_on_past_its_first_sentence_is_a_paragraph_of_points() {
        // `四、` opens it like a heading, but a sentence ends inside it and more text
        // follows: the page broke a paragraph of points, and the next line goes on.
        let text = "四、要把学雷锋贯穿到落实《军队基层建设纲要》、开展“双争”活动中去。要教育广大官兵牢记江\n\
                    主席“五句话”的总要求，以雷锋为榜样，积极争创先进连队、争当优秀士兵。\n";
        assert_eq!(shape(text).1.len(), 1);
        assert_ne!(why_at(text, 0), Why::Heading);
        // A heading is still a heading, with its commas (`一、提高认识，统一思想`), and so
        // is the marker's own dot (`一.`).
        for heading in ["一、提高认识，统一思想", "一.加强组织领导"] {
            let text = format!(
                "{heading}\n要从全局的高度认识这项工作的重要意义，切实把思想统一到会议精神上来。\n"
            );
            assert_eq!(why_at(&text, 0), Why::Heading, "{heading}");
        }
    }

    #[test]
    fn an_informal_page_leaves_its_units_open() {
        // Reviews, one a line: the first stops without end punctuation where the unit
        // ends, and no word runs across the break.
        let page = |third: &str| {
            format!(
                "酒店的位置很好，离地铁站和商场都很近，房间也打扫得很干净，服务员态度不错\n\
                 第二次入住了，早餐的品种比上次丰富多了，价格也算合理，下次出差还会再来。\n\
                 {third}\n"
            )
        };
        let formal = page("房间的隔音效果一般，晚上能听到走廊里的说话声，希望酒店能够改进。");
        assert_eq!(why_at(&formal, 0), Why::BrokenProse);
        for marks in [
            "隔音一般。。。晚上能听到走廊里的说话声",
            "隔音一般！！",
            "隔音一般~",
            "隔音一般，呵呵",
        ] {
            let informal_page = page(marks);
            assert_eq!(why_at(&informal_page, 0), Why::NoEvidence, "{marks}");
        }
        // A word that runs across the break still joins.
        let across = page("隔音一般。。。").replacen("态度不错\n第二次", "态度不错，第二\n次", 1);
        assert_eq!(why_at(&across, 0), Why::BrokenProse);
        // A path's tilde is no mark of informal writing.
        let path = page("配置文件在 ~/.bashrc 里面，改完以后重新登录一次就可以了。");
        assert_eq!(why_at(&path, 0), Why::BrokenProse);
        // A line that stops on 的 after a noun, as a review ends (`…收到的是黑色的`):
        // unfinished on a formal page, not on an informal one.
        let de = |third: &str| page(third).replacen("服务员态度不错", "结果收到的是黑色的", 1);
        assert_eq!(why_at(&de("房间还算干净。"), 0), Why::Unfinished);
        assert_eq!(why_at(&de("房间还算干净！！"), 0), Why::NoEvidence);
    }

    #[test]
    fn traditional_salutations_and_headers_are_found() {
        assert!(is_salutation("同志們、朋友們："));
        assert!(is_salutation("各位领导、同志们："));
        let body = "今天我們召開會議，目的是統一思想、明確任務。";
        let (docs, _) = shape(&format!(
            "講話稿範文一\n同志們、朋友們：\n{body}\n講話稿範文二\n同志們：\n{body}\n"
        ));
        assert_eq!(docs.len(), 2, "{docs:?}");
        assert_eq!(docs[0].2.as_deref(), Some("講話稿範文一"));
    }

    #[test]
    fn one_document_of_content_lines() {
        let lines = split_lines("2022-07-14\n\n同志们：\n正文一。\n\n正文二。\n");
        let fur = vec![Some(0), None, None, None, None, None];
        let (docs, paras) = build(&lines, &fur, false);
        assert_eq!(paras.iter().map(|p| p.first).collect::<Vec<_>>(), [2, 3, 5]);
        assert_eq!(docs.len(), 1);
        assert_eq!(
            (docs[0].first, docs[0].last, docs[0].paras.clone()),
            (2, 5, 0..3)
        );
        let (_, paras) = build(&lines, &fur, true);
        assert_eq!(paras.len(), 4);
    }

    proptest::proptest! {
        /// Every line the header regex matches passes the check that spares the regex.
        #[test]
        fn header_check_keeps_every_header(
            head in proptest::sample::select(vec!["", "范文", "篇", "例文", "材料", "范", "在"]),
            num in proptest::sample::select(vec!["", "一", "十二", "3", "12", "123"]),
            sep in proptest::sample::select(vec!["", "：", ":", "。"]),
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "讲话", "篇", "范文", "例文", "材料", "心得体会", "报告", "一", "二", "十",
                    "3", "：", "在", "会议上的", " ", "。",
                ]),
                0..6,
            ),
        ) {
            let t = format!("{head}{num}{sep}{}", parts.concat());
            proptest::prop_assert!(may_be_header(&t) || !HEADER_RE.is_match(&t), "{}", t);
        }
    }

    #[test]
    fn header_check_passes_the_headers_of_the_tests() {
        for t in [
            "讲话一",
            "讲话二",
            "重要讲话一",
            "范文2：标题",
            "篇十：",
            "材料三：x",
        ] {
            assert!(HEADER_RE.is_match(t) && may_be_header(t), "{t}");
        }
        for t in [
            "同志们：",
            "（一）加强领导",
            "今天我们召开会议，目的是统一思想。",
        ] {
            assert!(!may_be_header(t), "{t}");
        }
    }

    #[test]
    fn locate_maps_joined_text_to_lines() {
        let p = Paragraph {
            first: 3,
            last: 4,
            text: "组织开展".into(),
            pieces: vec![(3, 0), (4, 2)],
            col: 0,
            glued: false,
        };
        assert_eq!(p.locate(0, 4), (3, 0, 2));
        assert_eq!(p.locate(1, 4), (3, 1, 2));
        assert_eq!(p.locate(2, 4), (4, 0, 4));
        assert_eq!(p.locate(3, 4), (4, 1, 4));
    }
}
