//! The segment stage: sentences and words. The only module that imports jieba-rs.
//!
//! One [`Segmenter`] (one jieba dictionary) is built per run and shared by all threads.

use jieba_rs::Jieba;

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
}

/// Characters that end a sentence.
fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '；' | '!' | '?' | ';' | '…')
}

/// Closing quotes and brackets that stay with the sentence they close.
fn is_closer(c: char) -> bool {
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
