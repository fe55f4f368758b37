//! The boilerplate stage: site furniture, found line by line by named rules.
//!
//! Every rule is conservative: it fires only on a line that is furniture as a whole
//! (a bare date, a metadata bar, a download prompt, a short site introduction at the top,
//! a teaser that repeats the opening), never on a real paragraph that merely mentions a
//! date or the word 下载. Users add their own rules from a file (see
//! [`Boilerplate::with_user_rules`]), one per line:
//!
//! ```text
//! # comment
//! literal:NAME:whole line text
//! prefix:NAME:text the line starts with
//! regex:NAME:pattern matched against the whole cleaned line
//! ```

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use crate::error::{Error, Result};
use crate::lines::Line;

/// Index of a rule in [`Boilerplate::names`].
pub type RuleId = u16;

/// Names of the built-in rules, in id order.
pub const BUILTIN: [&str; 5] = [
    "date-line",
    "page-metadata",
    "download-prompt",
    "site-intro",
    "teaser",
];
const DATE_LINE: RuleId = 0;
const PAGE_METADATA: RuleId = 1;
const DOWNLOAD_PROMPT: RuleId = 2;
const SITE_INTRO: RuleId = 3;
const TEASER: RuleId = 4;

static DATE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:\d{4}\s*[-/.年－／．]\s*\d{1,2}\s*[-/.月－／．]\s*\d{1,2}\s*日?|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})(?:\s*(?:星期|周)[一二三四五六日天])?(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?$",
    )
    .expect("date regex")
});

/// Keys of a page metadata bar, each followed by a colon.
static META_KEY_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(更新时间|发布时间|发表时间|上传时间|作者|来源|责任编辑|编辑|浏览次数|阅读次数|点击数|浏览|阅读|字数|栏目)\s*[:：]").expect("meta regex")
});
static META_TAIL_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(下载\s*(docx?|pdf|word|txt)|会员上传|阅读\s*[:：]?\s*\d+\s*次|浏览\s*[:：]?\s*\d+\s*次)\s*$").expect("meta tail regex")
});
static PROMPT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)^(?:
            将本文的?\s*(?:Word|word|WORD)?\s*文档下载到(?:电脑|本地)
          | 点击(?:此处)?下载
          | 推荐度\s*[:：]?\s*[-—★☆\d.分星]*\s*$
          | 【?相关推荐】?\s*[:：]?\s*$
          | (?:本文|文章|内容)?(?:来源|来自|转载)于?(?:网络|互联网).{0,20}(?:侵权|版权).{0,16}删除
          | (?:免费)?下载(?:本文|全文|文档|完整版|word版|Word版)
          | (?:上一篇|下一篇)\s*[:：]
          | (?:相关|热门|推荐|精选)(?:文章|阅读|范文|文档)\s*[:：]?\s*$
          | 返回(?:首页|列表|目录)
          | 本文(?:档)?由.{0,12}(?:提供|上传).{0,12}$
        )",
    )
    .expect("prompt regex")
});
static INTRO_SITE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"本站|小编|本网|范文网|(?:为|给)(?:大家|您|你)(?:精心)?(?:整理|收集|搜集|准备|带来|分享|推荐)")
        .expect("intro regex")
});
static INTRO_READER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"希望(?:能)?(?:对|给|帮)(?:你|您|大家)|欢迎(?:阅读|借鉴|参考|大家)|仅供(?:大家)?参考|供(?:大家|您|你)参考|参考借鉴|阅读与借鉴")
        .expect("intro reader regex")
});

/// Longest line a metadata rule looks at (a real paragraph is longer).
const META_MAX_CHARS: usize = 160;
/// Longest line a download/rating prompt rule looks at.
const PROMPT_MAX_CHARS: usize = 60;
/// Longest site introduction.
const INTRO_MAX_CHARS: usize = 400;
/// Content lines from the top of a file within which a site introduction may stand.
const INTRO_WINDOW: usize = 3;
/// Key characters of a teaser that must match the opening that follows it.
const TEASER_MIN_KEY: usize = 12;

/// How a user rule matches a line.
#[derive(Debug, Clone)]
enum Matcher {
    Literal(String),
    Prefix(String),
    Regex(Regex),
}

/// The rule set of a run: the built-in rules and the user's.
#[derive(Debug, Clone)]
pub struct Boilerplate {
    names: Vec<String>,
    user: Vec<(RuleId, Matcher)>,
}

impl Default for Boilerplate {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Boilerplate {
    /// Only the built-in rules.
    pub fn builtin() -> Self {
        Boilerplate {
            names: BUILTIN.iter().map(|s| s.to_string()).collect(),
            user: Vec::new(),
        }
    }

    /// Built-in rules plus those of a rules file (format in the module docs).
    pub fn with_user_rules(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut bp = Self::builtin();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |msg: &str| Error::Rules {
                path: path.to_path_buf(),
                line: i + 1,
                msg: msg.to_string(),
            };
            let mut parts = line.splitn(3, ':');
            let (kind, name, pat) = match (parts.next(), parts.next(), parts.next()) {
                (Some(k), Some(n), Some(p)) if !n.trim().is_empty() && !p.is_empty() => {
                    (k.trim(), n.trim(), p)
                }
                _ => {
                    return Err(bad(
                        "expected KIND:NAME:PATTERN (KIND is literal, prefix or regex)",
                    ))
                }
            };
            let m = match kind {
                "literal" => Matcher::Literal(pat.trim().to_string()),
                "prefix" => Matcher::Prefix(pat.trim().to_string()),
                "regex" => {
                    Matcher::Regex(Regex::new(pat).map_err(|e| bad(&format!("bad regex: {e}")))?)
                }
                _ => {
                    return Err(bad(&format!(
                        "unknown rule kind '{kind}' (literal, prefix or regex)"
                    )))
                }
            };
            let id = match bp.names.iter().position(|n| n == name) {
                Some(id) => id as RuleId,
                None => {
                    bp.names.push(name.to_string());
                    (bp.names.len() - 1) as RuleId
                }
            };
            bp.user.push((id, m));
        }
        Ok(bp)
    }

    /// Rule names by id.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The rule that marks each line as furniture, if any. Blank lines get `None`.
    pub fn classify(&self, lines: &[Line]) -> Vec<Option<RuleId>> {
        // A traditional-character mirror's furniture is matched in simplified form (the
        // built-in rules are written in it); only lines short enough for some rule are
        // folded.
        let mut out: Vec<Option<RuleId>> = lines
            .iter()
            .map(|l| self.line_rule(&l.text, &fold(&l.text)))
            .collect();
        // Context rules: a site introduction near the top, teasers anywhere.
        let mut content_seen = 0;
        for i in 0..lines.len() {
            if lines[i].is_blank() || out[i].is_some() {
                continue;
            }
            if content_seen < INTRO_WINDOW && is_site_intro(&fold(&lines[i].text)) {
                out[i] = Some(SITE_INTRO);
                continue;
            }
            content_seen += 1;
            if is_teaser(lines, &out, i) {
                out[i] = Some(TEASER);
            }
        }
        out
    }
}

/// A line in simplified characters for the built-in rules, when it is short enough for
/// one of them (a traditional-character mirror's furniture is matched this way).
fn fold(t: &str) -> std::borrow::Cow<'_, str> {
    if t.len() <= 3 * INTRO_MAX_CHARS {
        crate::script::folded(t)
    } else {
        std::borrow::Cow::Borrowed(t)
    }
}

impl Boilerplate {
    /// Rules that look at one line alone: the user's on the line as written, the
    /// built-in ones on it in simplified characters (`folded`).
    fn line_rule(&self, text: &str, folded: &str) -> Option<RuleId> {
        if text.is_empty() {
            return None;
        }
        for (id, m) in &self.user {
            let hit = match m {
                Matcher::Literal(s) => text == s,
                Matcher::Prefix(s) => text.starts_with(s.as_str()),
                Matcher::Regex(r) => r.is_match(text),
            };
            if hit {
                return Some(*id);
            }
        }
        let text = folded;
        let n = text.chars().count();
        if n <= 40 && DATE_RE.is_match(text) {
            return Some(DATE_LINE);
        }
        if n <= META_MAX_CHARS {
            let mut found = META_KEY_RE.find_iter(text);
            let first = found.next();
            let starts = first.is_some_and(|m| m.start() == 0);
            let keys = usize::from(first.is_some()) + found.count();
            if keys >= 2 || (starts && n <= 40) || META_TAIL_RE.is_match(text) {
                return Some(PAGE_METADATA);
            }
        }
        if n <= PROMPT_MAX_CHARS && PROMPT_RE.is_match(text) {
            return Some(DOWNLOAD_PROMPT);
        }
        None
    }
}

fn is_site_intro(text: &str) -> bool {
    text.chars().count() <= INTRO_MAX_CHARS
        && INTRO_SITE_RE.is_match(text)
        && INTRO_READER_RE.is_match(text)
}

/// Letters, digits and Han characters only, for comparing a teaser with the text after it.
fn key_chars(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars()
        .filter(|&c| crate::fingerprint::is_word_char(c))
}

/// A line ending in `...`/`…` whose text is the opening of what follows it.
fn is_teaser(lines: &[Line], rules: &[Option<RuleId>], i: usize) -> bool {
    let t = lines[i].text.trim_end();
    let body = t.trim_end_matches(['.', '…', '。', '．']).trim_end();
    let dots = &t[body.len()..];
    if !(dots.contains("...") || dots.contains('…') || dots.contains("。。。")) {
        return false;
    }
    let teaser: Vec<char> = key_chars(body).collect();
    if teaser.len() < TEASER_MIN_KEY {
        return false;
    }
    let mut follow = Vec::with_capacity(teaser.len());
    for (l, r) in lines.iter().zip(rules).skip(i + 1) {
        if follow.len() >= teaser.len() {
            break;
        }
        if r.is_none() {
            follow.extend(key_chars(&l.text));
        }
    }
    follow.len() >= teaser.len() && follow[..teaser.len()] == teaser[..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lines::split_lines;

    fn rules_of(text: &str) -> Vec<Option<String>> {
        let bp = Boilerplate::builtin();
        let lines = split_lines(text);
        bp.classify(&lines)
            .into_iter()
            .map(|r| r.map(|id| bp.names()[id as usize].clone()))
            .collect()
    }

    fn one(text: &str) -> Option<String> {
        rules_of(&format!("同志们：\n{text}"))[1].clone()
    }

    #[test]
    fn date_lines() {
        for d in [
            "2022-07-14",
            "2022年7月14日",
            "2022/07/14 15:55",
            "2022年07月14日 星期四",
            "２０２２－０７－１４",
        ] {
            assert_eq!(one(d).as_deref(), Some("date-line"), "{d}");
        }
        for keep in [
            "2022年7月14日，我们召开了动员大会。",
            "2022-2025年规划",
            "会议于2022-07-14召开",
        ] {
            assert_eq!(one(keep), None, "{keep}");
        }
    }

    #[test]
    fn metadata_and_prompts() {
        assert_eq!(
            one("更新时间:2023-06-15 15:55:00 发布时间:24小时内 作者:文/会员上传 下载docx")
                .as_deref(),
            Some("page-metadata")
        );
        assert_eq!(one("作者：张三").as_deref(), Some("page-metadata"));
        assert_eq!(
            one("来源：人民网 阅读：1234次").as_deref(),
            Some("page-metadata")
        );
        assert_eq!(
            one("将本文的Word文档下载到电脑").as_deref(),
            Some("download-prompt")
        );
        assert_eq!(one("推荐度:---").as_deref(), Some("download-prompt"));
        assert_eq!(one("点击下载文档").as_deref(), Some("download-prompt"));
        assert_eq!(one("【相关推荐】").as_deref(), Some("download-prompt"));
        assert_eq!(
            one("本文来源于网络，如有侵权请联系删除").as_deref(),
            Some("download-prompt")
        );
        // Near misses: real sentences that mention the same words.
        for keep in [
            "要引导群众下载“学习强国”APP，用好学习平台。",
            "作者在文中指出，文明创建是一项系统工程，需要全社会共同参与，久久为功。",
            "来源于群众、服务于群众，是我们工作的出发点。",
            "推荐度高的志愿服务项目要优先支持，形成品牌。",
        ] {
            assert_eq!(one(keep), None, "{keep}");
        }
    }

    #[test]
    fn site_intro_only_near_the_top() {
        let intro = "全国文明单位,是指积极践行社会主义核心价值体系的单位。本站精心为大家整理了在创建全国文明单位动员会上的讲话,希望对你有帮助。";
        let r = rules_of(&format!("2022-07-14\n{intro}\n同志们:\n正文。"));
        assert_eq!(r[1].as_deref(), Some("site-intro"));
        let late = rules_of(&format!("甲。\n乙。\n丙。\n丁。\n{intro}"));
        assert_eq!(late[4], None);
        // A paragraph that thanks the reader but names no site stays.
        assert_eq!(one("希望对你有帮助的不是口号，而是实实在在的行动。"), None);
    }

    #[test]
    fn teaser_repeats_the_opening() {
        let text = " 在创建XX机关文明标兵单位再动员大会上的讲话同志们：今天的会议是经XX党政联度会议研究决定的一次十分重要的会议...\n在创建XX机关文明标兵单位\n再动员大会上的讲话\n同志们：\n今天的会议是经XX党政联度会议研究决定的一次十分重要的会议，这次会议很重要。";
        let r = rules_of(text);
        assert_eq!(r[0].as_deref(), Some("teaser"));
        assert!(r[1..].iter().all(|x| x.is_none()));
        // Ends in an ellipsis but does not repeat what follows: stays.
        let r = rules_of("我们要看到成绩，也要看到差距……\n下面我讲三点意见。同志们要认真落实。");
        assert_eq!(r[0], None);
    }

    #[test]
    fn user_rules_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("rules.txt");
        std::fs::write(&p, "# site A\nprefix:site-a-ad:关注公众号\nliteral:site-a-end:（完）\nregex:site-a-id:^编号[A-Z]\\d+$\n").unwrap();
        let bp = Boilerplate::with_user_rules(&p).unwrap();
        let lines = split_lines("关注公众号领取资料\n（完）\n编号A123\n正文，关注公众号的人很多。");
        let got: Vec<_> = bp
            .classify(&lines)
            .into_iter()
            .map(|r| r.map(|id| bp.names()[id as usize].as_str()))
            .collect();
        assert_eq!(
            got,
            [
                Some("site-a-ad"),
                Some("site-a-end"),
                Some("site-a-id"),
                None
            ]
        );
        std::fs::write(&p, "regex:x:(\n").unwrap();
        let e = Boilerplate::with_user_rules(&p).unwrap_err().to_string();
        assert!(e.contains("rules.txt:1: bad regex"), "{e}");
        std::fs::write(&p, "\nwhat\n").unwrap();
        let e = Boilerplate::with_user_rules(&p).unwrap_err().to_string();
        assert!(e.contains("rules.txt:2: expected KIND:NAME:PATTERN"), "{e}");
    }
}
