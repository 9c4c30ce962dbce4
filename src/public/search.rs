//! Chinese text search without an extension (DESIGN.md §7): documents and queries are cut into
//! tokens — CJK character bigrams (and single characters), lower-case ASCII words — that a
//! `tsvector` indexes as they are. The SQL function `ggzy_search_tokens` (migration
//! `2026-11-23-000003_announcements`) is the same function; a test checks that they agree.

/// Whether a character is a CJK ideograph (the ranges the SQL pattern names).
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

/// A run of characters of one class.
enum Run {
    Word(String),
    Cjk(Vec<char>),
}

fn runs(text: &str) -> Vec<Run> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut cjk = Vec::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if !cjk.is_empty() {
                out.push(Run::Cjk(std::mem::take(&mut cjk)));
            }
            word.push(c.to_ascii_lowercase());
        } else if is_cjk(c) {
            if !word.is_empty() {
                out.push(Run::Word(std::mem::take(&mut word)));
            }
            cjk.push(c);
        } else {
            if !word.is_empty() {
                out.push(Run::Word(std::mem::take(&mut word)));
            }
            if !cjk.is_empty() {
                out.push(Run::Cjk(std::mem::take(&mut cjk)));
            }
        }
    }
    if !word.is_empty() {
        out.push(Run::Word(word));
    }
    if !cjk.is_empty() {
        out.push(Run::Cjk(cjk));
    }
    out
}

/// The tokens of a text, in order, duplicates kept (as `ggzy_search_tokens(text, for_query)`).
/// A document gives every ideograph and every adjacent pair; a query gives only the pairs of a
/// run of two or more ideographs (each pair implies its characters) and a lone ideograph itself.
pub fn tokens(text: &str, for_query: bool) -> Vec<String> {
    let mut out = Vec::new();
    for run in runs(text) {
        match run {
            Run::Word(w) => out.push(w),
            Run::Cjk(cs) => {
                if cs.len() == 1 || !for_query {
                    out.extend(cs.iter().map(|c| c.to_string()));
                }
                out.extend(cs.windows(2).map(|w| w.iter().collect::<String>()));
            }
        }
    }
    out
}

/// The tokens a query must all match, without duplicates.
pub fn query_tokens(q: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tokens(q, true) {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_index_characters_and_bigrams() {
        assert_eq!(
            tokens("市民中心 GC-2026", false),
            ["市", "民", "中", "心", "市民", "民中", "中心", "gc", "2026"]
        );
    }

    #[test]
    fn queries_use_bigrams_and_lone_characters() {
        assert_eq!(tokens("中心改造", true), ["中心", "心改", "改造"]);
        assert_eq!(tokens("标", true), ["标"]);
        assert_eq!(tokens("A标段x", true), ["a", "标段", "x"]);
        assert!(tokens("，。！ - ", true).is_empty());
    }

    #[test]
    fn query_tokens_drop_duplicates() {
        assert_eq!(query_tokens("中心中心"), ["中心", "心中"]);
    }
}
