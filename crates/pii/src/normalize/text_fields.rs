//! Free-text fields: first/last name, city, external id, zip code.
use super::js_text::{is_js_whitespace, js_length, js_lowercase, js_trim};
use super::DropReason;

/// Names: drop whitespace and ASCII punctuation, then lowercase. Letters of any script stay
/// (`Valéry` -> `valéry`, `정` -> `정`), as Meta's documentation asks.
pub fn name(raw: &str) -> Result<String, DropReason> {
    let kept: String = raw
        .chars()
        .filter(|c| !(c.is_ascii_punctuation() || is_js_whitespace(*c)))
        .collect();
    non_empty(js_lowercase(&kept))
}

/// City: keep only ASCII letters and digits, lowercase, and require a leading letter. Meta's
/// builder drops accented letters here (`São Paulo` -> `sopaulo`); we match it byte for byte.
pub fn city(raw: &str) -> Result<String, DropReason> {
    let kept: String = raw
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if kept.starts_with(|c: char| c.is_ascii_lowercase()) {
        Ok(kept)
    } else if kept.is_empty() {
        Err(DropReason::Empty)
    } else {
        Err(DropReason::NotStartingWithLetter)
    }
}

/// External id: remove every whitespace character, lowercase.
pub fn external_id(raw: &str) -> Result<String, DropReason> {
    let kept: String = raw.chars().filter(|c| !is_js_whitespace(*c)).collect();
    non_empty(js_lowercase(&kept))
}

/// Zip: lowercase, cut at the first `-` (ZIP+4 `94025-1234` -> `94025`), trim; at least two
/// UTF-16 units. Internal spaces are kept (`SW1A 1AA` -> `sw1a 1aa`), as Meta's builder does.
pub fn zip(raw: &str) -> Result<String, DropReason> {
    let lowered = js_lowercase(raw);
    let before_dash = lowered.split('-').next().unwrap_or_default();
    let zip = js_trim(before_dash);
    if js_length(zip) >= 2 {
        Ok(zip.to_string())
    } else {
        Err(DropReason::TooShort)
    }
}

fn non_empty(s: String) -> Result<String, DropReason> {
    if s.is_empty() {
        Err(DropReason::Empty)
    } else {
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
