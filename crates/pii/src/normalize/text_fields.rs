//! Free-text fields: first/last name, city, external id, zip code.
use super::js_text::{
    has_capital_sigma, is_js_whitespace, js_length, js_lowercase, push_char_lowercase,
    push_lowercase, trim_in_place,
};
use super::DropReason;

// Each normalizer writes into `out` (cleared first), so that one buffer serves every value.

/// Names: drop whitespace and ASCII punctuation, then lowercase. Letters of any script stay
/// (`Valéry` -> `valéry`, `정` -> `정`), as Meta's documentation asks.
pub fn name_into(raw: &str, out: &mut String) -> Result<(), DropReason> {
    keep_lowercased(
        raw,
        |c| !(c.is_ascii_punctuation() || is_js_whitespace(c)),
        out,
    )
}

/// City: keep only ASCII letters and digits, lowercase, and require a leading letter. Meta's
/// builder drops accented letters here (`São Paulo` -> `sopaulo`); we match it byte for byte.
pub fn city_into(raw: &str, out: &mut String) -> Result<(), DropReason> {
    out.clear();
    // Bytes of multi-byte UTF-8 characters are never ASCII alphanumerics.
    out.extend(
        raw.bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| char::from(b.to_ascii_lowercase())),
    );
    match out.as_bytes().first() {
        Some(b) if b.is_ascii_lowercase() => Ok(()),
        None => Err(DropReason::Empty),
        Some(_) => Err(DropReason::NotStartingWithLetter),
    }
}

/// External id: remove every whitespace character, lowercase.
pub fn external_id_into(raw: &str, out: &mut String) -> Result<(), DropReason> {
    keep_lowercased(raw, |c| !is_js_whitespace(c), out)
}

/// Zip: lowercase, cut at the first `-` (ZIP+4 `94025-1234` -> `94025`), trim; at least two
/// UTF-16 units. Internal spaces are kept (`SW1A 1AA` -> `sw1a 1aa`), as Meta's builder does.
pub fn zip_into(raw: &str, out: &mut String) -> Result<(), DropReason> {
    out.clear();
    push_lowercase(raw, out);
    if let Some(dash) = out.find('-') {
        out.truncate(dash);
    }
    trim_in_place(out);
    if js_length(out) >= 2 {
        Ok(())
    } else {
        Err(DropReason::TooShort)
    }
}

/// The characters of `raw` that `keep` accepts, lowercased, into `out`: filtered and mapped in
/// one pass unless a capital sigma needs the whole-string lowercasing (see `push_lowercase`).
fn keep_lowercased(
    raw: &str,
    keep: impl Fn(char) -> bool,
    out: &mut String,
) -> Result<(), DropReason> {
    out.clear();
    if !has_capital_sigma(raw) {
        for c in raw.chars().filter(|&c| keep(c)) {
            push_char_lowercase(c, out);
        }
    } else {
        // Filter into `out`, then lowercase the whole (one temporary for the final-sigma rule).
        out.extend(raw.chars().filter(|&c| keep(c)));
        let lowered = js_lowercase(out);
        out.clear();
        out.push_str(&lowered);
    }
    if out.is_empty() {
        Err(DropReason::Empty)
    } else {
        Ok(())
    }
}

#[cfg(test)]
fn owned(
    f: fn(&str, &mut String) -> Result<(), DropReason>,
) -> impl Fn(&str) -> Result<String, DropReason> {
    move |raw| {
        let mut out = String::new();
        f(raw, &mut out).map(|()| out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(raw: &str) -> Result<String, DropReason> {
        owned(name_into)(raw)
    }
    fn city(raw: &str) -> Result<String, DropReason> {
        owned(city_into)(raw)
    }
    fn external_id(raw: &str) -> Result<String, DropReason> {
        owned(external_id_into)(raw)
    }
    fn zip(raw: &str) -> Result<String, DropReason> {
        owned(zip_into)(raw)
    }

    #[test]
    fn names_keep_letters_of_every_script() {
        assert_eq!(name(" Mary-Ann ").unwrap(), "maryann");
        assert_eq!(name("O'Brien Jr.").unwrap(), "obrienjr");
        assert_eq!(name("ΟΔΥΣΣΕΑΣ").unwrap(), "οδυσσεας");
        assert_eq!(name("Пётр").unwrap(), "пётр");
        assert_eq!(name("山田\u{3000}太郎").unwrap(), "山田太郎");
        assert_eq!(name("¿José?").unwrap(), "¿josé");
        assert_eq!(name(" .-' "), Err(DropReason::Empty));
    }

    #[test]
    fn cities_are_ascii_alphanumeric_and_start_with_a_letter() {
        assert_eq!(city("New York").unwrap(), "newyork");
        assert_eq!(city("São Paulo").unwrap(), "sopaulo");
        assert_eq!(city("Zürich").unwrap(), "zrich");
        assert_eq!(city("New York 10").unwrap(), "newyork10");
        assert_eq!(city("123 Main"), Err(DropReason::NotStartingWithLetter));
        assert_eq!(city("東京"), Err(DropReason::Empty));
    }

    #[test]
    fn external_ids_lose_whitespace_only() {
        assert_eq!(external_id(" User-42 ABC ").unwrap(), "user-42abc");
        assert_eq!(external_id("\u{FEFF}\t"), Err(DropReason::Empty));
    }

    #[test]
    fn zips_cut_at_dash_and_keep_inner_spaces() {
        assert_eq!(zip("94025-1234").unwrap(), "94025");
        assert_eq!(zip("SW1A 1AA").unwrap(), "sw1a 1aa");
        assert_eq!(zip("00-950").unwrap(), "00");
        assert_eq!(zip("1"), Err(DropReason::TooShort));
        assert_eq!(zip("😀").unwrap(), "😀");
        assert_eq!(zip(" -12"), Err(DropReason::TooShort));
    }
}
