//! The placeholders stage: masked spans (a name, place, year, date, number or removed
//! word that a site hid), typed and replaced by one canonical style.
//!
//! Our own rules, no model. A scan over the characters tries, at each position, the
//! mask families in turn (a year prefix such as `20_`/`201x`, a run of `X`/`×`/`*`/`○`/
//! `□`/`△`, `某`, a lone dash) and keeps a run only when its neighbours do not make it a
//! look-alike (`X光`, `XXL`, `3×4`, `二○○八`, `20-30岁`, `灯塔-党建在线`, `某些`, a
//! footnote `*`). The kind comes from what follows the mask: `年` → year, `月`/`日` →
//! date, a measure word, `%` or a preceding `第` → number, otherwise entity.

use std::borrow::Cow;

use serde::Serialize;

use crate::config::MaskStyle;

/// What a masked span stands for.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Entity,
    Year,
    Date,
    Number,
    Redacted,
}

impl Kind {
    /// All kinds, in report order.
    pub const ALL: [Kind; 5] = [
        Kind::Entity,
        Kind::Year,
        Kind::Date,
        Kind::Number,
        Kind::Redacted,
    ];

    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Entity => "entity",
            Kind::Year => "year",
            Kind::Date => "date",
            Kind::Number => "number",
            Kind::Redacted => "redacted",
        }
    }

    /// The private-use character that stands for this kind in fingerprint key text, so
    /// every mask of one kind hashes alike whatever its style.
    pub fn slot(self) -> char {
        match self {
            Kind::Entity => '\u{E000}',
            Kind::Year => '\u{E001}',
            Kind::Date => '\u{E002}',
            Kind::Number => '\u{E003}',
            Kind::Redacted => '\u{E004}',
        }
    }
}

/// Is `c` one of the slot characters of [`Kind::slot`]?
pub fn is_slot(c: char) -> bool {
    ('\u{E000}'..='\u{E004}').contains(&c)
}

/// A masked span: char offsets `[start, end)` in the text it was found in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
}

/// The canonical replacement of a span's text in `style` (`None` for [`MaskStyle::Keep`]).
pub fn replacement(kind: Kind, original: &str, style: MaskStyle) -> Option<Cow<'static, str>> {
    match style {
        MaskStyle::Keep => None,
        MaskStyle::Token => Some(Cow::Borrowed(match kind {
            Kind::Entity => "[ENTITY]",
            Kind::Year => "[YEAR]",
            Kind::Date => "[DATE]",
            Kind::Number => "[NUMBER]",
            Kind::Redacted => "[REDACTED]",
        })),
        MaskStyle::Conventional => Some(Cow::Borrowed(match kind {
            Kind::Entity | Kind::Redacted => "××",
            Kind::Year if original.starts_with("19") || original.starts_with("１９") => "19××",
            Kind::Year => "20××",
            Kind::Date | Kind::Number => "×",
        })),
    }
}

/// `text` with every span replaced in `style` (spans in char offsets, sorted, disjoint).
pub fn apply(text: &str, spans: &[Span], style: MaskStyle) -> String {
    if spans.is_empty() || style == MaskStyle::Keep {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8 * spans.len());
    let mut it = spans.iter().peekable();
    let mut span_text = String::new();
    for (i, c) in text.chars().enumerate() {
        match it.peek() {
            Some(s) if i >= s.start && i < s.end => {
                span_text.push(c);
                if i + 1 == s.end {
                    if let Some(r) = replacement(s.kind, &span_text, style) {
                        out.push_str(&r);
                    }
                    span_text.clear();
                    it.next();
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// `text` with every span replaced by its kind's slot character, for fingerprinting.
pub fn slotted(text: &str, spans: &[Span]) -> String {
    if spans.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut it = spans.iter().peekable();
    for (i, c) in text.chars().enumerate() {
        match it.peek() {
            Some(s) if i >= s.start && i < s.end => {
                if i == s.start {
                    out.push(s.kind.slot());
                }
                if i + 1 == s.end {
                    it.next();
                }
            }
            _ => out.push(c),
        }
    }
    out
}

fn is_x(c: char) -> bool {
    matches!(c, 'X' | 'x' | 'Ｘ' | 'ｘ')
}
fn is_star(c: char) -> bool {
    matches!(c, '*' | '＊')
}
fn is_circle(c: char) -> bool {
    matches!(c, '○' | '〇' | '◯')
}
fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}
pub fn is_han(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3400}'..='\u{4DBF}').contains(&c)
}
fn is_ascii_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || ('Ａ'..='Ｚ').contains(&c) || ('ａ'..='ｚ').contains(&c)
}
fn is_cn_numeral(c: char) -> bool {
    "零一二三四五六七八九十百千万两".contains(c) || is_circle(c)
}
fn is_dash(c: char) -> bool {
    matches!(c, '-' | '－')
}

/// Which family a mask character belongs to (runs are of one family).
fn family(c: char) -> Option<u8> {
    Some(match c {
        _ if is_x(c) => 0,
        '×' => 1,
        _ if is_star(c) => 2,
        _ if is_circle(c) => 3,
        '□' => 4,
        '△' => 5,
        _ => return None,
    })
}

/// Characters after a lone `X` that make it a word (X光, X射线, x轴, X型…), not a mask.
const X_WORDS: &str = "光射轴线型形染档战因";
/// Measure words and units after which a mask is a number.
const NUMERIC_AFTER: &str = "%％个名万千百亿余多次项家条件元岁天周时分里米亩户所座场批期届倍位篇种类支台辆本份处起株棵吨块套栋轮例册级间张";
/// Two-character units after which a mask is a number (公 and 平 alone start names).
const NUMERIC_AFTER2: [&str; 4] = ["公里", "公顷", "公斤", "平方"];
/// After `X大`, these make it a name (XX大学, XX大会), otherwise a count (x大工程).
const DA_NAMES: &str = "学会道厦桥街院楼赛剧典队使";
/// After `X人`, these make it a name (XX人民, XX人大, X人“…”), otherwise a count (x人).
const REN_NAMES: &str = "民大才事物员力“";
/// Before `X人`, these make it a group's name (全体X人, 我们X人), not a count.
const REN_GROUP: &str = "体们是为做当";

/// Does the text at `c[k..]` count what stands before it (a measure word or unit),
/// making a mask at `c[..k]` a number? `prev` is the character before the mask.
fn counted_by(c: &[char], k: usize, prev: char) -> bool {
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    let next = at(k);
    match next {
        '\0' => false,
        '大' => !DA_NAMES.contains(at(k + 1)),
        '人' => !REN_NAMES.contains(at(k + 1)) && !REN_GROUP.contains(prev),
        _ if NUMERIC_AFTER.contains(next) => true,
        _ => NUMERIC_AFTER2
            .iter()
            .any(|u| u.chars().zip(k..).all(|(uc, i)| at(i) == uc)),
    }
}
/// Surnames before a lone 某 that make it a masked name (张某).
pub(crate) const SURNAMES: &str = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤施牛樊葛邢齐乔伍庞颜倪聂鲁岳翟殷詹申耿焦俞左柳甘包符舒阮柯梅童凌毕裴霍涂苗翁冉骆蓝辛靳柴鲍喻祁蒲滕屈饶牟艾尤穆卓缪芦褚娄窦戚岑晏柏宗瞿桂佟臧闵苟邬卞姬迟傅厉";
/// Where a name ends: a list comma, clause or sentence end, a closing bracket, 和/与/及/等,
/// a space (lists of names set off by ideographic spaces), or the end of the text.
const NAME_BREAKS: &str = "、，,。；;：:）)和与及等 \u{3000}";

/// A lone 某 at `c[i]` after one ideograph of a name and before a break
/// ([`NAME_BREAKS`]): `藤某、`, `安某，`, a name the surname table does not list. 某 as a
/// word (某部, 某公司, 某种) is followed by what it qualifies, and after a function
/// word (`对某，`) it is not a name.
fn name_before_break(c: &[char], i: usize) -> bool {
    let (Some(&prev), next) = (i.checked_sub(1).and_then(|k| c.get(k)), c.get(i + 1)) else {
        return false;
    };
    is_han(prev)
        && prev != '某'
        && !DASH_BEFORE.contains(prev)
        && next.is_none_or(|&n| NAME_BREAKS.contains(n))
}

/// Titles written right before a person's name (`会长樱某为团长`, `总统穆某和`).
/// ([`TITLES`], the dash rule's titles, and these.)
const NAME_TITLES: [&str; 7] = ["会长", "总统", "总理", "首相", "大使", "记者", "团长"];

/// A lone 某 at `c[i]` after one ideograph that follows a title: `会长樱某为团长`, a
/// masked name of a surname the table does not list, wherever the name ends. Not after
/// a function word (`主任在某单位`, `局长对某企业`), nor before what makes 某 a word
/// (`局长到某地`).
fn name_after_title(c: &[char], i: usize) -> bool {
    let (Some(&prev), next) = (i.checked_sub(1).and_then(|k| c.get(k)), c.get(i + 1)) else {
        return false;
    };
    let titled = TITLES.iter().chain(&NAME_TITLES).any(|t| {
        let n = t.chars().count();
        i > n && c[i - 1 - n..i - 1].iter().copied().eq(t.chars())
    });
    titled
        && is_han(prev)
        && prev != '某'
        && !DASH_BEFORE.contains(prev)
        && next.is_none_or(|&n| !MOU_WORDS.contains(n) && n != '某')
}

/// Characters after 某 that make it an ordinary word (某些, 某种, 某个, 某一…).
const MOU_WORDS: &str = "些种个一位项方地处时天次类样日年月";
/// Function words after which a lone dash stands for a removed word.
const DASH_BEFORE: &str = "的等和与及是在对把向以为了被给从由将让或同跟比经按据自至请";
/// Two-character verbs after which a lone dash stands for a removed object.
const DASH_BEFORE2: [&str; 12] = [
    "借鉴", "学习", "落实", "贯彻", "按照", "根据", "通过", "围绕", "参照", "对照", "传达", "践行",
];
/// Titles after which a dash (including `——`) stands for a removed name.
const TITLES: [&str; 10] = [
    "同志",
    "总书记",
    "书记",
    "主席",
    "主任",
    "局长",
    "市长",
    "县长",
    "部长",
    "省长",
];
/// Words a byline puts before a reporter's or photographer's name.
const BYLINE_TITLES: [&str; 3] = ["记者", "通讯员", "摄影"];

/// A space that sets off a byline's name or an item of a list of names.
fn is_space(c: char) -> bool {
    c == ' ' || c == '\u{3000}'
}

/// A dash run (`c[i..j]`) set off where a name stands: after a byline's title, with or
/// without a space (`（记者 --- 摄）`, `记者---）`, `（记者 --- 通讯员 ---）`), or as an
/// item of a list of names set off by ideographic spaces (`---　---　王学军　李明`) whose
/// neighbouring items are people's names ([`is_person_name`]) or dash runs too. A dash
/// between spaced words of other kinds (`第一章 --- 总则`) is punctuation.
fn set_off_name(c: &[char], i: usize, j: usize) -> bool {
    let n = c.len();
    let mut a = i;
    while a > 0 && is_space(c[a - 1]) {
        a -= 1;
    }
    let mut b = j;
    while b < n && is_space(c[b]) {
        b += 1;
    }
    let before: String = c[a.saturating_sub(3)..a].iter().collect();
    // The name ends where the byline ends, or where its next title or name begins
    // (`（记者 --- 通讯员 ---）`, `本报记者　---　---`).
    let rest: String = c[b..n.min(b + 3)].iter().collect();
    let ends_byline = b == n
        || matches!(c[b], '）' | ')' | '摄' | '、' | '，' | ',')
        || b > j && (is_dash(c[b]) || BYLINE_TITLES.iter().any(|t| rest.starts_with(t)));
    if BYLINE_TITLES.iter().any(|t| before.ends_with(t)) && ends_byline {
        return true;
    }
    let ideographic = |k: usize| c[k] == '\u{3000}';
    let spaced_before = a < i && (a..i).all(ideographic);
    let spaced_after = j < b && (j..b).all(ideographic);
    if !(spaced_before || a == 0) || !(spaced_after || b == n) || a == 0 && b == n {
        return false;
    }
    // The neighbouring items, up to the next space either way.
    let item_before = (0..a).rev().take_while(|&k| !is_space(c[k])).count();
    let item_after = (b..n).take_while(|&k| !is_space(c[k])).count();
    let name_like = |item: &[char]| {
        item.iter().all(|&x| is_dash(x)) && item.len() >= 2
            || (2..=4).contains(&item.len())
                && item.iter().all(|&x| is_han(x))
                && is_person_name(&item.iter().collect::<String>())
    };
    (a == 0 || name_like(&c[a - item_before..a])) && (b == n || name_like(&c[b..b + item_after]))
}

/// Is `item` (two to four ideographs) a person's name: jieba tags it a name (`nr`), or it
/// opens with a common surname and jieba reads no other word in it?
fn is_person_name(item: &str) -> bool {
    let tagged = crate::segment::shared().tagged(item, true);
    tagged.iter().all(|&(_, t)| t.starts_with("nr"))
        || item.starts_with(|c| SURNAMES.contains(c))
            && item.chars().count() <= 3
            && tagged
                .iter()
                .all(|&(w, t)| w.chars().count() == 1 || t.starts_with("nr"))
}

/// Longest run of `X` that is a mask before an ideograph.
const X_RUN_MAX: usize = 8;
/// Signs around an `x` that make it a variable in a formula (x+y=1).
const MATH_SIGNS: &str = "+-=<>/^²³＋＝";
/// Dimensions around `×` that make it a product (长×宽×高).
const DIMENSIONS: &str = "长宽高深厚";
/// Punctuation that opens a clause, after which a masked word may start.
const CLAUSE_MARKS: &str = "。，；：:、“《（(";
/// Suffixes after which a `□` run is an entity rather than removed text.
pub(crate) const ENTITY_SUFFIX: &str =
    "市县区镇乡村街省局厅部委办处科室司公校院社路队组会站所店州盟旗";

/// Find every masked span in `text` (char offsets, sorted, disjoint). The rules that
/// read the words around a mask read them folded to simplified characters (one for
/// one, so offsets stay), so a traditional-character mirror's `張某`, `×個` or `書記——`
/// is read like its original's. Only a text with such a mask is folded (most have
/// none), since the year rule reads no word but 年.
pub fn detect(text: &str) -> Vec<Span> {
    let mut chars: Vec<char> = text.chars().collect();
    if chars
        .iter()
        .any(|&c| c == '某' || c == '—' || is_dash(c) || family(c).is_some())
    {
        let mut folder = crate::script::Folder::new();
        chars.iter_mut().for_each(|c| *c = folder.fold(*c));
    }
    let mut out = Vec::new();
    detect_chars(&chars, &mut out);
    out
}

/// Can a placeholder start at `c`? Each rule of [`detect_chars`] opens on a digit, a
/// mask symbol, 某 or a dash, never on another ideograph; most characters of a text are
/// ideographs, and this spares them the rules.
fn may_open(c: char) -> bool {
    c == '某' || !is_han(c)
}

/// [`detect`] on a char slice, appending to `out`.
pub fn detect_chars(c: &[char], out: &mut Vec<Span>) {
    let n = c.len();
    let at = |i: usize| -> char {
        if i < n {
            c[i]
        } else {
            '\0'
        }
    };
    let before = |i: usize| -> char {
        if i > 0 {
            c[i - 1]
        } else {
            '\0'
        }
    };
    let mut i = 0;
    while i < n {
        if !may_open(c[i]) {
            i += 1;
            continue;
        }
        if let Some(end) = year_with_digits(c, i) {
            out.push(Span {
                start: i,
                end,
                kind: Kind::Year,
            });
            i = end;
            continue;
        }
        let ch = c[i];
        if let Some(fam) = family(ch) {
            let mut j = i + 1;
            while j < n && family(c[j]) == Some(fam) {
                j += 1;
            }
            if let Some((end, kind)) = mask_run(c, i, j, fam) {
                out.push(Span {
                    start: i,
                    end,
                    kind,
                });
                i = end;
            } else {
                i = j;
            }
            continue;
        }
        if ch == '某' {
            let mut j = i + 1;
            while j < n && c[j] == '某' {
                j += 1;
            }
            let single_name = j == i + 1
                && (SURNAMES.contains(before(i)) && !MOU_WORDS.contains(at(j))
                    || name_before_break(c, i)
                    || name_after_title(c, i));
            if j - i >= 2 || single_name {
                out.push(Span {
                    start: i,
                    end: j,
                    kind: Kind::Entity,
                });
            }
            i = j;
            continue;
        }
        if is_dash(ch) || ch == '—' {
            let mut j = i + 1;
            while j < n && c[j] == ch {
                j += 1;
            }
            if is_redacted_dash(c, i, j) {
                out.push(Span {
                    start: i,
                    end: j,
                    kind: Kind::Redacted,
                });
            }
            i = j;
            continue;
        }
        i += 1;
    }
}

/// `20_年`, `20__年`, `20-年`, `201x年`, `20XX年`, `19××年`, `20**年`, and `20-`/`20_`
/// alone.
fn year_with_digits(c: &[char], i: usize) -> Option<usize> {
    let n = c.len();
    if !matches!(c[i], '1' | '2' | '１' | '２')
        || (i > 0 && (is_digit(c[i - 1]) || is_ascii_letter(c[i - 1])))
    {
        return None;
    }
    let mut d = i;
    while d < n && is_digit(c[d]) && d - i < 3 {
        d += 1;
    }
    if d - i < 2 || d >= n {
        return None;
    }
    let m = c[d];
    let underscore = matches!(m, '_' | '＿');
    let dash = is_dash(m);
    let xlike = is_x(m) || m == '×';
    let star = is_star(m);
    if !(underscore || dash || xlike || star) {
        return None;
    }
    let mut e = d;
    while e < n && e - i < 4 && (c[e] == m || (xlike && (is_x(c[e]) || c[e] == '×'))) {
        e += 1;
    }
    let next = if e < n { c[e] } else { '\0' };
    if is_digit(next) || is_ascii_letter(next) {
        return None;
    }
    let first_two: String = c[i..i + 2].iter().collect();
    let century = matches!(first_two.as_str(), "19" | "20" | "１９" | "２０");
    if next == '年' {
        // Digits and mask together stand for a four-digit year.
        let width = e - i;
        if (underscore || dash) && century && d - i == 2 {
            return Some(e);
        }
        if xlike && width == 4 {
            return Some(e);
        }
        // Stars only as the last two digits of a century: `20**年`, `19**年`.
        if star && century && d - i == 2 && width == 4 {
            return Some(e);
        }
        return None;
    }
    // `20_`/`20-` with no 年: only a bare century with an underscore or dash.
    if (underscore || dash) && century && d - i == 2 && e - d <= 2 {
        return Some(e);
    }
    None
}

/// Decide whether the run `c[i..j]` of one mask family is a mask; its end and kind.
fn mask_run(c: &[char], i: usize, j: usize, fam: u8) -> Option<(usize, Kind)> {
    let n = c.len();
    let at = |k: usize| -> char {
        if k < n {
            c[k]
        } else {
            '\0'
        }
    };
    let prev = if i > 0 { c[i - 1] } else { '\0' };
    let next = at(j);
    let len = j - i;
    match fam {
        0 => {
            // X x Ｘ ｘ: not part of a Latin word or a product name.
            if is_ascii_letter(prev) || is_ascii_letter(next) || is_digit(prev) {
                return None;
            }
            if prev == ' ' && i >= 2 && c[i - 2].is_ascii_alphanumeric() {
                return None;
            }
            if next == ' ' && at(j + 1).is_ascii_alphanumeric() {
                return None;
            }
            if is_digit(next) && !is_han(prev) {
                return None;
            }
            if len == 1 && X_WORDS.contains(next) {
                return None;
            }
            // A name or version written in Latin: `X.509`, `X.Org`, `7.x系列`, `X11协议`.
            // (A masked decimal keeps its `%`: `x.x%`, `3.x%`; a masked day or month its
            // unit: `X15日`.)
            if latin_token(c, i, j) {
                return None;
            }
            // A long run is a mask only right before digits (`XXXXXX１５日`: the year
            // and month hidden before the day) or, up to [`X_RUN_MAX`], an ideograph
            // (`XXXXX月`, `XXXXX公司`); a longer one is a rule or a serial.
            if len > 4 && !(is_digit(next) || len <= X_RUN_MAX && is_han(next)) {
                return None;
            }
            // A sign between operands makes a formula; a run of dashes before the
            // mask is a removed name, not a minus (`外交大臣---X日`).
            let minus_after_dashes = prev == '-' && i >= 2 && is_dash(c[i - 2]);
            if MATH_SIGNS.contains(prev) && !minus_after_dashes || MATH_SIGNS.contains(next) {
                return None;
            }
        }
        1 => {
            // ×: a multiplication sign between numbers is not a mask; a run of two or
            // more before digits is (`××４０周年`).
            if is_digit(prev)
                || is_digit(next) && len == 1
                || prev.is_ascii_alphanumeric()
                || matches!(prev, ')' | '）' | ']')
                || (DIMENSIONS.contains(prev) && DIMENSIONS.contains(next))
            {
                return None;
            }
        }
        2 => {
            // *: a lone star is a mask only before a Han character (not a footnote
            // `注`), after a Han character, a clause mark or the start of the text.
            let lone_ok = (is_han(next) && next != '注' || is_x(next))
                && (is_han(prev) || prev == '\0' || CLAUSE_MARKS.contains(prev));
            if len == 1 && !lone_ok {
                return None;
            }
            if len >= 5 && (prev == '\0' || next == '\0') {
                return None;
            }
            if prev.is_ascii_alphanumeric() || next.is_ascii_alphanumeric() || is_digit(prev) {
                return None;
            }
            // Before digits, a mask (`**４０周年`), unless stars close the digits again:
            // emphasis (`**４０**`).
            if is_digit(next) {
                let mut k = j;
                while k < n && is_digit(c[k]) {
                    k += 1;
                }
                if is_star(at(k)) || !(is_han(prev) || prev == '\0' || CLAUSE_MARKS.contains(prev))
                {
                    return None;
                }
            }
        }
        3 => {
            // ○ 〇: zero in a Chinese numeral (二○○八年), or a bullet.
            if is_cn_numeral(prev) || is_cn_numeral(next) || is_digit(prev) || is_digit(next) {
                return None;
            }
            // A bullet opens a line before its text; a line of two or three circles
            // and nothing else is an item of a list of masked names.
            if prev == '\0' && (next == ' ' || next == '\0' && !(2..=3).contains(&len)) {
                return None;
            }
        }
        _ => {
            // □ △: a bullet or checkbox at the start of a line, or a lone sign; a run
            // of two or more before a Han character masks a name even there.
            if (prev == '\0' && (len == 1 || !is_han(next)))
                || prev == ' '
                || next == ' '
                || (next == '\0' && len == 1)
                || next.is_ascii_alphanumeric()
            {
                return None;
            }
        }
    }
    // A decimal number mask: x.x%.
    let mut end = j;
    if next == '.' && family(at(j + 1)) == Some(fam) {
        let mut k = j + 1;
        while k < n && family(c[k]) == Some(fam) {
            k += 1;
        }
        if matches!(at(k), '%' | '％') {
            end = k;
        }
    }
    let mut next = at(end);
    if is_digit(next) {
        // A mask before digits: its kind is what the digits lead to (`XXXXXX１５日`).
        let mut k = end;
        while k < n && is_digit(c[k]) {
            k += 1;
        }
        if matches!(at(k), '日' | '号' | '月') {
            return Some((end, Kind::Date));
        }
        next = '\0';
    }
    let kind = if next == '年' {
        if matches!(at(end + 1), '来' | '间' | '多' | '内' | '前' | '后') || (len == 1 && fam != 1)
        {
            Kind::Number
        } else {
            Kind::Year
        }
    } else if next == '月' {
        if matches!(at(end + 1), '底' | '初' | '中' | '末' | '份') {
            Kind::Number
        } else {
            Kind::Date
        }
    } else if matches!(next, '日' | '号') && len <= 2 {
        Kind::Date
    } else if prev == '第' || counted_by(c, end, prev) {
        Kind::Number
    } else if fam == 4 && !ENTITY_SUFFIX.contains(next) {
        Kind::Redacted
    } else {
        Kind::Entity
    };
    Some((end, kind))
}

/// Is the X run `c[i..j]` part of a name or version written in Latin, rather than a
/// mask: before a point that goes on in Latin letters or three digits (`X.Org`,
/// `X.509`), after a point that follows a digit or a Latin letter other than X (`7.x`,
/// `2.6.x`; not the masked decimal `XX.XX`) unless a `%` follows, or a lone X before
/// ASCII digits that lead to no date (`X11`, `X86`)?
fn latin_token(c: &[char], i: usize, j: usize) -> bool {
    let at = |k: usize| c.get(k).copied().unwrap_or('\0');
    let digits_from = |k: usize| {
        c[k.min(c.len())..]
            .iter()
            .take_while(|d| d.is_ascii_digit())
            .count()
    };
    if at(j) == '.' {
        let after = at(j + 1);
        if after.is_ascii_alphabetic() && !is_x(after) || digits_from(j + 1) >= 3 {
            return true;
        }
    }
    if i >= 2
        && c[i - 1] == '.'
        && c[i - 2].is_ascii_alphanumeric()
        && !is_x(c[i - 2])
        && !matches!(at(j), '%' | '％')
    {
        return true;
    }
    if j - i == 1 && at(j).is_ascii_digit() {
        let d = digits_from(j);
        return !matches!(at(j + d), '日' | '号' | '月' | '年' | '%' | '％');
    }
    false
}

/// A run of dashes `c[i..j]` that stands where a word was cut.
fn is_redacted_dash(c: &[char], i: usize, j: usize) -> bool {
    let n = c.len();
    let prev = if i > 0 { c[i - 1] } else { '\0' };
    let next = if j < n { c[j] } else { '\0' };
    let len = j - i;
    let rest: String = c[j..n.min(j + 3)].iter().collect();
    let titled = TITLES.iter().any(|t| rest.starts_with(t)) && (is_han(prev) || prev == '\0');
    if c[i] == '—' {
        // An em dash is punctuation, unless it stands before a title (——同志).
        return len <= 2 && titled && !(len == 2 && prev == '\0');
    }
    if len > 6 || prev.is_ascii_alphanumeric() || next.is_ascii_alphanumeric() {
        return false;
    }
    if is_digit(prev) || is_digit(next) || family(next).is_some() || matches!(prev, '_' | '＿') {
        return false;
    }
    if len >= 2 && set_off_name(c, i, j) {
        return true;
    }
    if !is_han(next) && !matches!(next, '、' | '，' | '。' | '；' | '”' | '’' | '》') {
        return false;
    }
    if titled || len >= 2 {
        return is_han(next) || is_han(prev);
    }
    if prev == '\0' || CLAUSE_MARKS.contains(prev) {
        return is_han(next);
    }
    if !is_han(prev) {
        return false;
    }
    if DASH_BEFORE.contains(prev) || counted_by(c, j, prev) {
        return true;
    }
    if i >= 2 {
        let two: String = c[i - 2..i].iter().collect();
        if DASH_BEFORE2.contains(&two.as_str()) {
            return true;
        }
    }
    // Han-dash-punctuation: a word cut before a list comma or a full stop.
    !is_han(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Vec<(String, Kind)> {
        let chars: Vec<char> = text.chars().collect();
        detect(text)
            .into_iter()
            .map(|s| (chars[s.start..s.end].iter().collect(), s.kind))
            .collect()
    }

    #[test]
    fn no_rule_opens_where_the_scan_skips() {
        let mut skipped = 0;
        for c in (0..=0x10FFFF)
            .filter_map(char::from_u32)
            .filter(|&c| !may_open(c))
        {
            skipped += 1;
            assert!(
                family(c).is_none() && c != '某' && !is_dash(c) && c != '—',
                "{c:?}"
            );
            for tail in [
                &['0', '_', '年'][..],
                &['0', '1', 'x', '年'],
                &['0', 'X', 'X'],
            ] {
                let mut cs = vec![c];
                cs.extend_from_slice(tail);
                assert_eq!(year_with_digits(&cs, 0), None, "{c:?}");
            }
        }
        assert!(skipped > 20_000);
        // And the rules still open where they should: the skip spares nothing else.
        for c in ['某', 'X', '×', '*', '○', '□', '△', '-', '—', '2', '２', '_'] {
            assert!(may_open(c), "{c:?}");
        }
    }

    #[test]
    fn seeds_styles() {
        use Kind::*;
        assert_eq!(spans("报请X书记同意"), [("X".into(), Entity)]);
        assert_eq!(spans("20_年全面启动"), [("20_".into(), Year)]);
        assert_eq!(
            spans("并在201x年、201x年"),
            [("201x".into(), Year), ("201x".into(), Year)]
        );
        assert_eq!(spans("于x月底前"), [("x".into(), Number)]);
        assert_eq!(spans("占年度x%，是"), [("x".into(), Number)]);
        assert_eq!(spans("等-个专门工作组"), [("-".into(), Redacted)]);
        assert_eq!(spans("认真贯彻落实---关于坚持"), [("---".into(), Redacted)]);
        assert_eq!(spans("实干”的-人大精神"), [("-".into(), Redacted)]);
        assert_eq!(spans("机关建设20-、提升"), [("20-".into(), Year)]);
        assert_eq!(
            spans("**是**的主城区"),
            [("**".into(), Entity), ("**".into(), Entity)]
        );
        assert_eq!(spans("作为*部门"), [("*".into(), Entity)]);
        assert_eq!(
            spans("在下一轮20_-20_年创建"),
            [("20_".into(), Year), ("20_".into(), Year)]
        );
        assert_eq!(spans("我XX2014年被评为"), [("XX".into(), Entity)]);
        assert_eq!(spans("张某同志"), [("某".into(), Entity)]);
        assert_eq!(spans("某某县"), [("某某".into(), Entity)]);
        assert_eq!(
            spans("20XX年X月X日"),
            [
                ("20XX".into(), Year),
                ("X".into(), Date),
                ("X".into(), Date)
            ]
        );
        assert_eq!(spans("“中国好人”-***先进事迹"), [("***".into(), Entity)]);
    }

    #[test]
    fn look_alikes_stay() {
        for t in [
            "X光检查",
            "X射线",
            "x轴",
            "“学习强国”APP",
            "iPhone X手机",
            "Windows XP系统",
            "XXL码",
            "PM2.5",
            "12315热线",
            "3×4",
            "30×40平方米",
            "20-30岁",
            "2021-2025年",
            "2022-07-14",
            "“灯塔-党建在线”等",
            "创建工作——这是",
            "……",
            "某些",
            "某种",
            "某一方面",
            "某个",
            "二○○八年",
            "一九九○年",
            "注释*。",
            "COVID-19",
            "依赖于X.509证书",
            "提供X.Org服务",
            "X.org7.x系列",
            "内核2.6.x版本",
            "和X11协议",
            "X86架构",
            "第一章 --- 总则",
            "第一章　---　总则说明",
            "2024 --- 2025",
            "---",
            "A --- B",
        ] {
            assert!(spans(t).is_empty(), "{t}: {:?}", spans(t));
        }
    }

    #[test]
    fn dashes_set_off_as_names() {
        use Kind::*;
        let dash = || ("---".to_string(), Redacted);
        assert_eq!(spans("（新华社记者 --- 摄）"), [dash()]);
        assert_eq!(spans("（本报记者---）"), [dash()]);
        assert_eq!(spans("（記者 --- 攝）"), [dash()]);
        assert_eq!(spans("---　---　王学军　李明"), [dash(), dash()]);
        assert_eq!(spans("江泽民　---　乔石"), [dash()]);
        assert_eq!(spans("（记者 --- 通讯员 ---）"), [dash(), dash()]);
        assert_eq!(spans("（記者 --- 通訊員 ---）"), [dash(), dash()]);
        assert_eq!(spans("本报记者　---　---"), [dash(), dash()]);
    }

    #[test]
    fn a_lone_mou_after_a_less_common_surname_is_a_name_but_not_after_a_place() {
        let mou = || ("某".to_string(), Kind::Entity);
        for t in ["署长鲍某宣布", "迟某上将今天", "俞某主持会议"] {
            assert_eq!(spans(t), [mou()], "{t}");
        }
        // Characters that end a place or a word before 某市, 某公司 are no surnames here.
        for t in [
            "辽宁某市公安局",
            "南宁某住宅区",
            "石家庄某物资供应站",
            "冬季某市上空",
            "硅谷某公司",
            "丹麦某公司",
            "西欧某国",
        ] {
            assert!(spans(t).is_empty(), "{t}: {:?}", spans(t));
        }
    }

    #[test]
    fn a_lone_mou_after_a_title_and_one_ideograph_is_a_name() {
        let mou = || ("某".to_string(), Kind::Entity);
        assert_eq!(spans("以会长樱某为团长的访华团"), [mou()]);
        assert_eq!(spans("美国总统克某今天说"), [mou()]);
        // After a function word, or before what makes 某 a word, it stays.
        for t in [
            "主任在某单位工作",
            "局长到某地视察",
            "局长对某企业",
            "书记说某些人",
        ] {
            assert!(spans(t).is_empty(), "{t}: {:?}", spans(t));
        }
    }

    #[test]
    fn a_lone_mou_after_a_name_before_a_break() {
        use Kind::*;
        let mou = || ("某".to_string(), Entity);
        // Names the surname table does not list, masked the same way.
        assert_eq!(spans("指挥如克某、博某和穆某等"), [mou(), mou(), mou()]);
        assert_eq!(spans("被告之一的安某，仅是"), [mou()]);
        assert_eq!(spans("舒某　夫某　王刚"), [mou(), mou()]);
        // 某 as a word, or after a function word, stays.
        for t in [
            "北京军区某部一连",
            "某公司因",
            "这在某种程度上",
            "对某，",
            "总参某工程兵",
        ] {
            assert!(spans(t).is_empty(), "{t}: {:?}", spans(t));
        }
    }

    #[test]
    fn traditional_reads_like_simplified() {
        use Kind::*;
        // A mirror's 張某 is a masked name like 张某; its 某種 stays a word like 某种.
        assert_eq!(spans("負責人張某、劉某主持"), spans("负责人张某、刘某主持"));
        assert_eq!(
            spans("負責人張某、劉某主持"),
            [("某".into(), Entity), ("某".into(), Entity)]
        );
        assert!(spans("在某種情況下，某個單位").is_empty());
        let (t, s) = ("召開XX屆X個會議", "召开XX届X个会议");
        assert_eq!(spans(t), spans(s));
        assert!(!spans(t).is_empty());
    }

    #[test]
    fn long_x_runs_before_an_ideograph_and_x_after_dashes() {
        // Five to eight X are a mask before an ideograph too: a long name, or a place
        // and a month hidden together.
        assert_eq!(
            spans("XXXXX公司成立"),
            [("XXXXX".to_string(), Kind::Entity)]
        );
        assert_eq!(
            spans("据XXXXX月X日电"),
            [
                ("XXXXX".to_string(), Kind::Date),
                ("X".to_string(), Kind::Date)
            ]
        );
        // A run of dashes before a mask is a removed name, not a minus sign.
        assert_eq!(spans("外交大臣---X日在"), [("X".to_string(), Kind::Date)]);
        // A rule of X, a serial, a formula stay text.
        for t in ["XXXXXXXXXXXX线", "XXXXX-XXXXX", "3-x=1", "a-x", "y=-x"] {
            assert!(spans(t).is_empty(), "{t}: {:?}", spans(t));
        }
    }

    #[test]
    fn a_line_of_two_or_three_circles_alone_is_a_masked_list_item() {
        assert_eq!(spans("○○"), [("○○".to_string(), Kind::Entity)]);
        assert_eq!(spans("〇〇〇"), [("〇〇〇".to_string(), Kind::Entity)]);
        // A bullet before its text, a lone circle, a rule of circles stay.
        for t in ["○ 第一项工作", "○", "○○○○○○"] {
            assert!(spans(t).is_empty(), "{t}: {:?}", spans(t));
        }
    }

    #[test]
    fn latin_names_and_versions_are_not_masks_but_masked_numbers_are() {
        // (The look-alikes themselves are in `look_alikes_stay`.)
        let kinds = |t: &str| spans(t).into_iter().map(|(_, k)| k).collect::<Vec<_>>();
        assert_eq!(kinds("增长3.x%"), [Kind::Number]);
        assert_eq!(kinds("增长x.x%"), [Kind::Number]);
        // (X before the point is a mask, so the X after it are one too.)
        assert_eq!(kinds("增长XX.XX个百分点").len(), 2);
        assert_eq!(kinds("于X15日召开"), [Kind::Date]);
        assert_eq!(kinds("第X.509节"), Vec::<Kind>::new());
    }

    #[test]
    fn styles() {
        let t = "XX市201x年x%";
        let s = detect(t);
        assert_eq!(apply(t, &s, MaskStyle::Conventional), "××市20××年×%");
        assert_eq!(
            apply(t, &s, MaskStyle::Token),
            "[ENTITY]市[YEAR]年[NUMBER]%"
        );
        assert_eq!(apply(t, &s, MaskStyle::Keep), t);
        assert_eq!(slotted(t, &s), "\u{E000}市\u{E001}年\u{E003}%");
    }
}
