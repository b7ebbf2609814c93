//! Gender: a trimmed, lowercased word from Meta's builder's word lists becomes `m` or `f`.
use super::js_text::{js_trim, push_lowercase};
use super::DropReason;

const MALE: &[&str] = &[
    "man",
    "male",
    "boy",
    "gentleman",
    "guy",
    "sir",
    "mister",
    "mr",
    "son",
    "father",
    "dad",
    "daddy",
    "papa",
    "uncle",
    "nephew",
    "brother",
    "husband",
    "boyfriend",
    "groom",
    "widower",
    "king",
    "prince",
    "duke",
    "count",
    "emperor",
    "god",
    "lord",
    "lad",
    "fellow",
    "chap",
    "bloke",
    "dude",
    "he",
    "him",
    "his",
    "himself",
    "m",
];

const FEMALE: &[&str] = &[
    "woman",
    "female",
    "girl",
    "lady",
    "miss",
    "ms",
    "mrs",
    "madam",
    "ma'am",
    "daughter",
    "mother",
    "mom",
    "mama",
    "mommy",
    "aunt",
    "niece",
    "sister",
    "wife",
    "girlfriend",
    "bride",
    "widow",
    "queen",
    "princess",
    "duchess",
    "countess",
    "empress",
    "goddess",
    "maiden",
    "lass",
    "gal",
    "chick",
    "dame",
    "belle",
    "she",
    "her",
    "hers",
    "herself",
    "f",
];

/// `m` or `f` into `out` (cleared first; `out` is also the lowercasing scratch).
pub fn normalize_into(raw: &str, out: &mut String) -> Result<(), DropReason> {
    out.clear();
    push_lowercase(raw, out);
    let word = js_trim(out);
    let initial = if MALE.contains(&word) {
        "m"
    } else if FEMALE.contains(&word) {
        "f"
    } else {
        return Err(DropReason::UnknownGender);
    };
    out.clear();
    out.push_str(initial);
    Ok(())
}

#[cfg(test)]
fn normalize(raw: &str) -> Result<String, DropReason> {
    let mut out = String::new();
    normalize_into(raw, &mut out).map(|()| out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_map_to_initials() {
        assert_eq!(normalize(" Female ").unwrap(), "f");
        assert_eq!(normalize("MA'AM").unwrap(), "f");
        assert_eq!(normalize("M").unwrap(), "m");
        assert_eq!(normalize("Mr").unwrap(), "m");
        assert_eq!(normalize("x"), Err(DropReason::UnknownGender));
        assert_eq!(normalize("m."), Err(DropReason::UnknownGender));
    }
}
