//! State and country: written-out names become two-letter codes through Meta's builder's tables
//! (exact name first, then the first table name the input contains), anything else is cut to
//! its first two letters (`Bavaria` -> `ba`, a builder quirk kept for identical hashes).
use super::js_text::{js_lowercase, js_trim};
use super::region_tables::{COUNTRIES, STATES};
use super::DropReason;

pub fn state(raw: &str) -> Result<String, DropReason> {
    two_letter_code(raw, STATES)
}

pub fn country(raw: &str) -> Result<String, DropReason> {
    two_letter_code(raw, COUNTRIES)
}

fn two_letter_code(raw: &str, table: &[(&str, &str)]) -> Result<String, DropReason> {
    let lowered = js_lowercase(raw);
    let letters: String = js_trim(&lowered)
        .chars()
        .filter(char::is_ascii_lowercase)
        .collect();
    let code = lookup(&letters, table);
    match code.len() {
        0 => Err(DropReason::Empty),
        _ => Ok(code.chars().take(2).collect()),
    }
}

fn lookup(letters: &str, table: &[(&str, &str)]) -> String {
    if letters.len() == 2 {
        return letters.to_string();
    }
    // The builder looks names up in a plain JS object, so "constructor" finds Object's own
    // constructor function, whose source text "function Object() { [native code] }" then
    // normalizes to "fu". Reproduced so that hashes stay identical; harmless otherwise.
    if letters == "constructor" {
        return "fu".to_string();
    }
    if let Some((_, code)) = table.iter().find(|(name, _)| *name == letters) {
        return (*code).to_string();
    }
    if let Some((_, code)) = table.iter().find(|(name, _)| letters.contains(name)) {
        return (*code).to_string();
    }
    letters.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_provinces() {
        assert_eq!(state("California").unwrap(), "ca");
        assert_eq!(state("N.Y.").unwrap(), "ny");
        assert_eq!(state("Ontario").unwrap(), "on");
        assert_eq!(state("New York State").unwrap(), "ny");
        assert_eq!(state("Bavaria").unwrap(), "ba");
        assert_eq!(state("West Virginia").unwrap(), "wv");
        // Containment is tried in table order: "virginia" comes before "westvirginia".
        assert_eq!(state("West Virginia USA").unwrap(), "va");
        assert_eq!(state("x").unwrap(), "x");
        assert_eq!(state("東京"), Err(DropReason::Empty));
        assert_eq!(state("Constructor").unwrap(), "fu");
    }

    #[test]
    fn countries() {
        assert_eq!(country("United States").unwrap(), "us");
        assert_eq!(country("U.S.A.").unwrap(), "us");
        assert_eq!(country("Germany").unwrap(), "de");
        assert_eq!(country("United Kingdom").unwrap(), "gb");
        assert_eq!(country("xx").unwrap(), "xx");
        assert_eq!(country("India").unwrap(), "in");
    }
}
