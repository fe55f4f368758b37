//! HTML left in scraped text: character references (`&nbsp;`, `&ldquo;`, `&#183;`,
//! `&times;&times;` where a site wrote a mask) and tags of HTML's own vocabulary
//! (`<br/>`, `<p>`, `<span style="…">`, Word's `<o:p></o:p>`), which scrapers that
//! strip markup by pattern, or not at all, leave in the text.
//!
//! [`at`] reads one piece of markup where the text is at a `&` or `<`; the line
//! cleaner ([`crate::lines`]) decodes a reference to its character and drops a tag (a
//! block tag reads as a space), keeping a map to the original columns. Only what is
//! certainly markup is touched: a reference needs its closing `;` (but for the five a
//! browser reads without it, `&nbsp`, `&amp`, `&lt`, `&gt`, `&quot`) and must be one that
//! HTML defines (decoding is `html-escape`'s, HTML's whole table), and a tag must be
//! well formed on one line with a name from [`TAGS`], so `AT&T`, `a && b`, `<stdio.h>`,
//! `<F>` and `《…》` stay text.

/// One piece of markup at the start of a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Markup {
    /// A character reference and what it stands for; `len` bytes (ASCII: as many chars).
    Char { c: char, len: usize },
    /// A tag or comment, dropped; a block tag (`<p>`, `<br>`, `<td>`) reads as a space.
    Tag { len: usize, block: bool },
}

impl Markup {
    /// Bytes of the text it takes (all ASCII but a tag's attribute values).
    pub fn bytes(self) -> usize {
        match self {
            Markup::Char { len, .. } | Markup::Tag { len, .. } => len,
        }
    }

    /// What cleaning keeps in its place: the character, a space for a block tag.
    pub fn kept(self) -> Option<char> {
        match self {
            Markup::Char { c, .. } => Some(c),
            Markup::Tag { block: true, .. } => Some(' '),
            Markup::Tag { block: false, .. } => None,
        }
    }
}

/// Tag names that are HTML's own, with whether the tag breaks the text (a block).
/// `o:p` is what Word's HTML export puts after every paragraph of a 公文; `st1:*` its
/// smart tags around dates and places.
const TAGS: &[(&str, bool)] = &[
    ("a", false),
    ("abbr", false),
    ("article", true),
    ("b", false),
    ("big", false),
    ("blockquote", true),
    ("body", true),
    ("br", true),
    ("center", true),
    ("code", false),
    ("dd", true),
    ("div", true),
    ("dl", true),
    ("dt", true),
    ("em", false),
    ("font", false),
    ("h1", true),
    ("h2", true),
    ("h3", true),
    ("h4", true),
    ("h5", true),
    ("h6", true),
    ("head", true),
    ("hr", true),
    ("html", true),
    ("i", false),
    ("img", false),
    ("li", true),
    ("o:p", false),
    ("ol", true),
    ("p", true),
    ("pre", true),
    ("s", false),
    ("section", true),
    ("small", false),
    ("span", false),
    ("strike", false),
    ("strong", false),
    ("sub", false),
    ("sup", false),
    ("table", true),
    ("tbody", true),
    ("td", true),
    ("tfoot", true),
    ("th", true),
    ("thead", true),
    ("tr", true),
    ("tt", false),
    ("u", false),
    ("ul", true),
];

/// Longest character reference read (`&CounterClockwiseContourIntegral;` is 33).
const REF_MAX: usize = 40;
/// Longest tag read, attributes included.
const TAG_MAX: usize = 400;

/// The markup `text` opens with, if any.
pub fn at(text: &str) -> Option<Markup> {
    match text.as_bytes().first()? {
        b'&' => reference(text),
        b'<' => tag(text),
        _ => None,
    }
}

/// The line may hold markup (a cheap test before [`at`] is asked at each `&` and `<`).
pub fn may_hold(text: &str) -> bool {
    memchr::memchr2(b'&', b'<', text.as_bytes()).is_some()
}

/// `&name;`, `&#NNN;` or `&#xHHH;` that HTML decodes to one character; `&amp;` before
/// another reference (`&amp;nbsp;`, text escaped twice) is read with it.
fn reference(text: &str) -> Option<Markup> {
    let (c, len) = named_after_amp(&text[1..])?;
    if c == '&' {
        if let Some((c2, len2)) = named_after_amp(&text[1 + len..]) {
            return Some(Markup::Char {
                c: c2,
                len: 1 + len + len2,
            });
        }
    }
    Some(Markup::Char { c, len: 1 + len })
}

/// The one character of the reference whose name (or `#` number) and `;` open `after`
/// (the text after a `&`), and the bytes they take.
fn named_after_amp(after: &str) -> Option<(char, usize)> {
    terminated_after_amp(after).or_else(|| legacy_after_amp(after))
}

/// References browsers also read without their `;` (`&nbsp&nbsp今天`: sloppy pages a
/// scraper copied as the browser showed them, but for these), when no letter, digit or
/// `;` follows.
const LEGACY: [(&str, char); 5] = [
    ("nbsp", '\u{00A0}'),
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
];

fn legacy_after_amp(after: &str) -> Option<(char, usize)> {
    LEGACY.iter().find_map(|&(name, c)| {
        let rest = after.strip_prefix(name)?;
        (!rest.starts_with(|n: char| n.is_ascii_alphanumeric() || n == ';'))
            .then_some((c, name.len()))
    })
}

/// A reference with its `;`.
fn terminated_after_amp(after: &str) -> Option<(char, usize)> {
    let end = after
        .as_bytes()
        .iter()
        .take(REF_MAX)
        .position(|&b| b == b';')?;
    let body = &after[..end];
    let name = !body.is_empty() && body.bytes().all(|b| b.is_ascii_alphanumeric());
    let number = body.len() > 1 && body.starts_with('#');
    if !(name || number) {
        return None;
    }
    let written = format!("&{body};");
    let decoded = html_escape::decode_html_entities(&written);
    let mut cs = decoded.chars();
    match (cs.next(), cs.next()) {
        (Some(c), None) if decoded.len() < written.len() => Some((c, end + 1)),
        _ => None,
    }
}

/// `<name …>`, `</name>`, `<name/>` with a name from [`TAGS`] (or Word's `st1:…`), or
/// a comment `<!-- … -->`, all on one line.
fn tag(text: &str) -> Option<Markup> {
    if let Some(rest) = text.strip_prefix("<!--") {
        let end = rest.find("-->")?;
        return Some(Markup::Tag {
            len: 4 + end + 3,
            block: false,
        });
    }
    let bytes = text.as_bytes();
    let mut i = 1 + usize::from(bytes.get(1) == Some(&b'/'));
    let name_start = i;
    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b':') {
        i += 1;
    }
    let name = text[name_start..i].to_ascii_lowercase();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let block = match TAGS.binary_search_by(|(n, _)| n.cmp(&name.as_str())) {
        Ok(k) => TAGS[k].1,
        Err(_) if name.starts_with("st1:") => false,
        Err(_) => return None,
    };
    // What may follow the name: `>`, `/>`, or white space, attributes and `>`.
    let close = |j: usize| Some(Markup::Tag { len: j + 1, block });
    match bytes.get(i)? {
        b'>' => close(i),
        b'/' if bytes.get(i + 1) == Some(&b'>') => close(i + 1),
        b' ' | b'\t' => {
            let rest = &text[i..];
            let end = rest.find(['<', '>'])?;
            if rest.as_bytes()[end] != b'>' || i + end >= TAG_MAX {
                return None;
            }
            close(i + end)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(text: &str) -> Option<(char, usize)> {
        match at(text)? {
            Markup::Char { c, len } => Some((c, len)),
            Markup::Tag { .. } => None,
        }
    }

    #[test]
    fn references_decode_only_when_html_defines_them() {
        assert_eq!(ch("&nbsp;今天"), Some(('\u{00A0}', 6)));
        assert_eq!(ch("&ldquo;统一"), Some(('“', 7)));
        assert_eq!(ch("&#183;吐温"), Some(('·', 6)));
        assert_eq!(ch("&#x00D7;"), Some(('×', 8)));
        assert_eq!(ch("&times;&times;市"), Some(('×', 7)));
        // Escaped twice.
        assert_eq!(ch("&amp;nbsp;"), Some(('\u{00A0}', 10)));
        assert_eq!(ch("&amp; 其他"), Some(('&', 5)));
        // Without `;`, the five a browser reads so too, before anything but a letter,
        // a digit or `;`.
        assert_eq!(ch("&nbsp&nbsp今天"), Some(('\u{00A0}', 5)));
        assert_eq!(ch("&nbsp 今天"), Some(('\u{00A0}', 5)));
        assert_eq!(ch("&lt;"), Some(('<', 4)));
        // Not references: not a name HTML has, a legacy name running on, one that HTML
        // reads only with its `;`, a bare ampersand.
        for t in [
            "&nbspx",
            "&ampere",
            "&copy 2020",
            "&T;",
            "&foo;",
            "& ;",
            "&;",
            "&#;",
            "AT&T",
            "&& b",
        ] {
            assert_eq!(at(t), None, "{t}");
        }
    }

    #[test]
    fn tags_of_html_names_only() {
        let tag = |t: &str| match at(t) {
            Some(Markup::Tag { len, block }) => Some((len, block)),
            _ => None,
        };
        assert_eq!(tag("<br/>下一段"), Some((5, true)));
        assert_eq!(tag("<br />"), Some((6, true)));
        assert_eq!(tag("<P>正文"), Some((3, true)));
        assert_eq!(tag("</p>"), Some((4, true)));
        assert_eq!(
            tag("<span style=\"font-size:16px\">正文"),
            Some((29, false))
        );
        assert_eq!(tag("<o:p></o:p>"), Some((5, false)));
        assert_eq!(tag("<st1:chsdate year=\"2008\">"), Some((25, false)));
        assert_eq!(tag("<!-- 广告 -->正文"), Some((15, false)));
        // Text that looks like a tag but is not HTML's.
        for t in [
            "<stdio.h>",
            "<F>",
            "<TAB>",
            "<debian-admin@lists.debian.org>",
            "<5%",
            "< p>",
            "<p",
            "<p class=\"a\" <b>",
        ] {
            assert_eq!(tag(t), None, "{t}");
        }
    }

    #[test]
    fn the_tag_table_is_sorted_for_its_search() {
        assert!(TAGS.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
