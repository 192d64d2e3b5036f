//! Matching a wanted language against the languages there are.

/// The language ranges of an `Accept-Language` header, most wanted first (RFC 9110 section
/// 12.5.4: a range with `q=0` is "not acceptable" and left out; ranges of equal weight keep
/// their order). A malformed weight counts as `q=0`.
pub fn accept_language(header: &str) -> Vec<String> {
    let mut ranges: Vec<(u16, usize, String)> = header
        .split(',')
        .enumerate()
        .filter_map(|(position, item)| {
            let mut parts = item.split(';');
            let range = parts.next()?.trim();
            if range.is_empty() || range.len() > 35 {
                return None;
            }
            let mut weight = 1000;
            for parameter in parts {
                if let Some((name, value)) = parameter.split_once('=')
                    && name.trim().eq_ignore_ascii_case("q")
                {
                    weight = qvalue(value.trim()).unwrap_or(0);
                }
            }
            (weight > 0).then(|| (weight, position, range.to_owned()))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    ranges.into_iter().map(|(_, _, range)| range).collect()
}

/// A weight in thousandths (RFC 9110 section 12.4.2: `0[.ddd]` or `1[.000]`).
fn qvalue(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// The position among `available` of the language for the wanted `tag`, by RFC 4647 section
/// 3.4 lookup: the whole tag, then shorter and shorter prefixes (`de-CH-1996`, `de-CH`, `de`),
/// compared without regard to case.
pub fn lookup<'a>(available: impl Iterator<Item = &'a str> + Clone, tag: &str) -> Option<usize> {
    let mut wanted = tag.trim();
    loop {
        if wanted.is_empty() || wanted == "*" {
            return None;
        }
        if let Some(position) = available
            .clone()
            .position(|have| have.eq_ignore_ascii_case(wanted))
        {
            return Some(position);
        }
        let (shorter, _) = wanted.rsplit_once('-')?;
        // A single-letter subtag (such as `x`) is dropped with the one after it.
        wanted = match shorter.rsplit_once('-') {
            Some((rest, last)) if last.len() == 1 => rest,
            _ if shorter.len() == 1 => return None,
            _ => shorter,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_ordered_by_weight_and_refused_ones_left_out() {
        assert_eq!(
            accept_language("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5"),
            ["fr-CH", "fr", "en", "de", "*"]
        );
        assert_eq!(
            accept_language("en;q=0.1, de, es;q=0"),
            ["de", "en"],
            "q=0 is not acceptable"
        );
        assert_eq!(accept_language("de;q=2, fr;q=0.5x, es;q=0.3"), ["es"]);
        assert_eq!(accept_language("es;q=0.5,de;q=0.5"), ["es", "de"]);
        assert!(accept_language("").is_empty());
    }

    #[test]
    fn lookup_falls_back_to_shorter_tags() {
        let have = ["en", "de", "fr", "pt-BR"];
        let find = |tag| lookup(have.iter().copied(), tag);
        assert_eq!(find("de-CH"), Some(1));
        assert_eq!(find("DE"), Some(1));
        assert_eq!(find("pt-br"), Some(3));
        assert_eq!(find("pt"), None);
        assert_eq!(find("fr-x-private"), Some(2));
        assert_eq!(find("ja"), None);
        assert_eq!(find("*"), None);
    }
}
