//! "did you mean" suggestions by edit distance.

/// Edit distance in characters (optimal string alignment: insertions, deletions,
/// substitutions and transpositions of neighbours each count 1).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

fn normalize(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The candidate closest to `word`, if it is close enough to be a likely typo:
/// the same word in another case or spelling style (`apiKeyRequired` for `api_key_required`),
/// or within an edit distance of a third of its length (at least 1, at most 3).
pub fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let norm = normalize(word);
    let max = (word.chars().count() / 3).clamp(1, 3);
    let mut best: Option<(usize, &'a str)> = None;
    for cand in candidates {
        if cand == word {
            continue;
        }
        let d = if normalize(cand) == norm {
            0
        } else {
            edit_distance(&word.to_lowercase(), &cand.to_lowercase())
        };
        if d <= max && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, cand));
        }
    }
    best.map(|(_, c)| c)
}

/// A `hint` text: `did you mean `x`?`, or `None`.
pub fn hint<'a, I>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    did_you_mean(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// `a`, `b` or `c` (values in backticks) for messages listing the accepted values.
pub fn one_of(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        n => format!("{} or {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("fucntion", "function"), 1);
        assert_eq!(edit_distance("GTE", "GET"), 1);
    }

    #[test]
    fn suggests_close_keys_only() {
        let keys = [
            "path",
            "method",
            "function",
            "integration",
            "api_key_required",
        ];
        assert_eq!(did_you_mean("fucntion", keys), Some("function"));
        assert_eq!(did_you_mean("methd", keys), Some("method"));
        assert_eq!(
            did_you_mean("apiKeyRequired", keys),
            Some("api_key_required")
        );
        assert_eq!(did_you_mean("PATH", keys), Some("path"));
        assert_eq!(did_you_mean("colour", keys), None);
        assert_eq!(did_you_mean("x", keys), None);
    }

    #[test]
    fn lists_values() {
        assert_eq!(one_of(&["A"]), "`A`");
        assert_eq!(one_of(&["A", "B", "C"]), "`A`, `B` or `C`");
        assert_eq!(
            hint("GTE", ["GET", "PUT"]),
            Some("did you mean `GET`?".into())
        );
    }
}
