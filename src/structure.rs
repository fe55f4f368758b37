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
}

impl Paragraph {
    /// A paragraph of one line.
    pub fn single(idx: usize, line: &Line) -> Self {
        Paragraph {
            first: idx,
            last: idx,
            text: line.text.clone(),
            pieces: vec![(idx, 0)],
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
        (line, pos - off, piece_end)
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
    Regex::new(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|第[一二三四五六七八九十]+[，、,]|\d{1,2}[、．.]\D|[一二三四五六七八九十]+是|[一二三四五六七八九十]+要|[一二三四五六七八九十]+[，,]|[一二三四五六七八九十]+、)")
        .expect("heading regex")
});
static SALUTATION_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:同志们|各位领导|各位同志|各位来宾|各位代表|各位委员|各位嘉宾|同学们|老师们|朋友们|女士们、先生们|尊敬的[^，。,.]{0,30})[：:，,！!]?$")
        .expect("salutation regex")
});
/// `…讲话一`, `范文二`, `篇三：…`, `材料四`: a numbered header of one piece in a compilation.
static HEADER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:(?P<pre1>.{0,40}?(?:讲话|发言|致辞|讲稿|演讲稿|范文|心得体会|心得|材料|例文|汇报|总结|报告|篇))(?P<num1>[一二三四五六七八九十]{1,3})|(?P<pre2>范文|篇|例文|材料)(?P<num2>[一二三四五六七八九十\d]{1,3})[：:].*)$")
        .expect("header regex")
});

/// A line [`HEADER_RE`] can match: one ending in a Chinese numeral (`…讲话一`), or one
/// opening with 范文, 篇, 例文 or 材料 (`范文2：…`). Most lines are neither, and this
/// check spares them the regex.
fn may_be_header(text: &str) -> bool {
    text.ends_with(|c| "一二三四五六七八九十".contains(c))
        || text.starts_with(|c| "范篇例材".contains(c))
}

/// Is this line a numbered heading inside a document (`一、`, `（二）`, `第三，`, `一要`)?
pub fn is_heading(text: &str) -> bool {
    HEADING_RE.is_match(text)
}

/// Is this line a salutation that opens a speech (`同志们：`, `各位领导：`)?
pub fn is_salutation(text: &str) -> bool {
    SALUTATION_RE.is_match(text)
}

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
        if let Some(c) = HEADER_RE.captures(t) {
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

/// Build documents and paragraphs from lines; `furniture[i]` is the rule that marked
/// line `i` as site furniture. With `keep_furniture` those lines are paragraphs too.
///
/// Paragraphs: a content line, joined with the next line when the page broke it — a
/// long line that stops mid-sentence, or a title broken in two — but never across a
/// blank line, a heading, a salutation, a compilation header or furniture.
///
/// Documents: a new one starts at each compilation header, and at a salutation once the
/// current document already has paragraphs (a title line just before the salutation
/// moves with it). A document's title is its header or leading title line.
pub fn build(
    lines: &[Line],
    furniture: &[Option<RuleId>],
    keep_furniture: bool,
) -> (Vec<Document>, Vec<Paragraph>) {
    let content: Vec<usize> = (0..lines.len())
        .filter(|&i| !lines[i].is_blank() && (furniture[i].is_none() || keep_furniture))
        .collect();
    let header = compilation_headers(lines, &content);
    let stop_line = |i: usize| header[i] || furniture[i].is_some();

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
            let (a, b) = (&lines[content[k]], &lines[content[k + 1]]);
            if stop_line(content[k])
                || stop_line(content[k + 1])
                || is_heading(&p.text) && p.pieces.len() == 1
            {
                break;
            }
            if ends_sentence(&a.text)
                || a.text.ends_with(['：', ':'])
                || is_heading(&b.text)
                || is_salutation(&b.text)
            {
                break;
            }
            let b_chars = b.text.chars().count();
            let broken_sentence = chars >= BROKEN_MIN_CHARS && p.pieces.len() == 1
                || p.pieces.len() > 1 && !is_title_like(&p.text);
            let broken_title = doc_start
                && is_title_like(&p.text)
                && chars <= TITLE_MAX_CHARS
                && b_chars <= TITLE_PIECE_MAX_CHARS
                && is_title_like(&b.text)
                && content
                    .get(k + 2)
                    .is_some_and(|&n| n == content[k + 1] + 1 && is_salutation(&lines[n].text));
            if !(broken_sentence || broken_title) {
                break;
            }
            p.pieces.push((content[k + 1], chars));
            p.text.push_str(&b.text);
            p.last = content[k + 1];
            chars += b_chars;
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
    (docs, paras)
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
        };
        assert_eq!(p.locate(0, 4), (3, 0, 2));
        assert_eq!(p.locate(1, 4), (3, 1, 2));
        assert_eq!(p.locate(2, 4), (4, 0, 4));
        assert_eq!(p.locate(3, 4), (4, 1, 4));
    }
}
