//! Words around numbers, so that no sentence says "1 pages" or "all 1
//! slots": every count a learner reads goes through `count`.

/// `n` and the noun in the form `n` takes: `count(1, "page", "pages")` is
/// "1 page", `count(3, "entry", "entries")` is "3 entries". Both forms are
/// given because English plurals are not all a trailing "s".
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The form of a noun (or verb phrase) that agrees with `n`, without the
/// number: `agree(1, "slot is", "slots are")`.
pub fn agree<'a>(n: impl Into<u64>, one: &'a str, many: &'a str) -> &'a str {
    if n.into() == 1 {
        one
    } else {
        many
    }
}

/// `count` for bytes, the commonest noun: "1 byte", "4096 bytes".
pub fn bytes(n: impl Into<u64>) -> String {
    count(n, "byte", "bytes")
}

/// Names as a list a person writes: "a", "a and b", "a, b and c". Anything
/// that displays can be named: strings, signals.
pub fn list(names: impl IntoIterator<Item = impl std::fmt::Display>) -> String {
    joined(names, "and")
}

/// A list longer than this is cut in a sentence (`short_list`).
pub const NAMED: usize = 5;

/// Names as a sentence can hold them, however many there are: all of them
/// when there are at most `NAMED` ("a, b and c"), else the first
/// `NAMED - 2` and a count ("p, c1, c2 and 1997 others"). `names` gives
/// them in order (only as many as are shown are taken); `total` is how
/// many there are.
pub fn short_list(names: impl IntoIterator<Item = impl std::fmt::Display>, total: usize) -> String {
    let shown = if total <= NAMED { total } else { NAMED - 2 };
    let names: Vec<String> = names
        .into_iter()
        .take(shown)
        .map(|n| n.to_string())
        .collect();
    if total <= NAMED {
        list(names)
    } else {
        format!("{} and {} others", names.join(", "), total - names.len())
    }
}

/// Choices as a person offers them: "a", "a or b", "a, b or c" (what a
/// parse error says was expected).
pub fn alternatives(names: impl IntoIterator<Item = impl std::fmt::Display>) -> String {
    joined(names, "or")
}

fn joined(names: impl IntoIterator<Item = impl std::fmt::Display>, last_with: &str) -> String {
    let names: Vec<String> = names.into_iter().map(|n| n.to_string()).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {last_with} {last}", init.join(", ")),
    }
}

/// A noun phrase with its indefinite article, unless it already has an
/// article: `a("pipe")` is "a pipe", `a("the machine's init")` stays as it is.
pub fn a(phrase: &str) -> String {
    let has_article = ["a ", "an ", "the "]
        .iter()
        .any(|article| phrase.starts_with(article));
    if has_article {
        phrase.to_string()
    } else if phrase.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {phrase}")
    } else {
        format!("a {phrase}")
    }
}

/// `text` with its first letter in upper case, to start a sentence. The
/// narration is English: only ASCII letters change (Unicode's case tables
/// would be 20 KB of the web app's wasm).
pub fn capitalized(text: &str) -> String {
    let mut text = text.to_string();
    if let Some(first) = text.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_sentence_starts_with_a_capital() {
        assert_eq!(super::capitalized("the pipe is full"), "The pipe is full");
        assert_eq!(super::capitalized(""), "");
        assert_eq!(super::capitalized("é"), "é");
    }

    #[test]
    fn a_short_list_names_up_to_five_and_counts_past_that() {
        assert_eq!(
            super::short_list(["a", "b", "c", "d", "e"], 5),
            "a, b, c, d and e"
        );
        assert_eq!(super::short_list(["a"], 1), "a");
        assert_eq!(
            super::short_list(["p", "c1", "c2", "c3", "c4", "c5"], 6),
            "p, c1, c2 and 3 others"
        );
        assert_eq!(
            super::short_list(["p", "c1", "c2"], 2000),
            "p, c1, c2 and 1997 others"
        );
    }

    use super::*;

    #[test]
    fn one_takes_the_singular_and_every_other_count_the_plural() {
        assert_eq!(count(0u32, "page", "pages"), "0 pages");
        assert_eq!(count(1u32, "page", "pages"), "1 page");
        assert_eq!(count(2u64, "entry", "entries"), "2 entries");
        assert_eq!(agree(1u32, "slot is", "slots are"), "slot is");
        assert_eq!(agree(7u32, "slot is", "slots are"), "slots are");
        assert_eq!(bytes(1u64), "1 byte");
        assert_eq!(list(["a", "b", "c"]), "a, b and c");
        assert_eq!(list(["a"]), "a");
    }

    #[test]
    fn a_noun_gets_an_article_unless_it_has_one() {
        assert_eq!(a("pipe"), "a pipe");
        assert_eq!(a("open end"), "an open end");
        assert_eq!(a("the machine's init"), "the machine's init");
    }
}
