//! State and country: written-out names become two-letter codes through Meta's builder's tables
//! (exact name first, then the first table name the input contains), anything else is cut to
//! its first two letters (`Bavaria` -> `ba`, a builder quirk kept for identical hashes).

use super::region_tables::{COUNTRIES, STATES};
use super::DropReason;

/// A name table with, per name, the set of letters it uses (computed at compile time).
struct Table {
    names: &'static [(&'static str, &'static str)],
    masks: &'static [u32],
}

const STATE_TABLE: Table = Table {
    names: STATES,
    masks: &masks::<{ STATES.len() }>(STATES),
};
const COUNTRY_TABLE: Table = Table {
    names: COUNTRIES,
    masks: &masks::<{ COUNTRIES.len() }>(COUNTRIES),
};

const fn masks<const N: usize>(names: &[(&str, &str)]) -> [u32; N] {
    let mut out = [0u32; N];
    let mut i = 0;
    while i < N {
        out[i] = letter_mask(names[i].0.as_bytes());
        i += 1;
    }
    out
}

/// One bit per letter a-z that occurs in `s` (other bytes are ignored).
const fn letter_mask(s: &[u8]) -> u32 {
    let mut mask = 0;
    let mut i = 0;
    while i < s.len() {
        if s[i].is_ascii_lowercase() {
            mask |= 1 << (s[i] - b'a');
        }
        i += 1;
    }
    mask
}

pub fn state_into(raw: &str, out: &mut String) -> Result<(), DropReason> {
    two_letter_code(raw, &STATE_TABLE, out)
}

pub fn country_into(raw: &str, out: &mut String) -> Result<(), DropReason> {
    two_letter_code(raw, &COUNTRY_TABLE, out)
}

/// The code into `out` (cleared first). The builder lowercases, trims and keeps the ASCII
/// lowercase letters: trimming only removes whitespace, which that filter drops anyway, and the
/// only context-dependent lowercasing (final sigma) never yields an ASCII letter, so mapping
/// char by char gives the same letters (`\u{212A}` Kelvin sign -> `k` included).
fn two_letter_code(raw: &str, table: &Table, out: &mut String) -> Result<(), DropReason> {
    out.clear();
    for c in raw.chars() {
        // ASCII inline (most text); other characters through the Unicode tables.
        if c.is_ascii() {
            let lower = c.to_ascii_lowercase();
            if lower.is_ascii_lowercase() {
                out.push(lower);
            }
        } else {
            out.extend(c.to_lowercase().filter(char::is_ascii_lowercase));
        }
    }
    if let Some(code) = lookup(out, table) {
        out.clear();
        out.push_str(code);
    }
    // Letters are ASCII: two bytes are the first two characters.
    out.truncate(2);
    if out.is_empty() {
        Err(DropReason::Empty)
    } else {
        Ok(())
    }
}

/// The table's code for `letters`, or None to keep the letters themselves.
fn lookup(letters: &str, table: &Table) -> Option<&'static str> {
    if letters.len() == 2 {
        return None;
    }
    // The builder looks names up in a plain JS object, so "constructor" finds Object's own
    // constructor function, whose source text "function Object() { [native code] }" then
    // normalizes to "fu". Reproduced so that hashes stay identical; harmless otherwise.
    if letters == "constructor" {
        return Some("fu");
    }
    // One pass for both rules: an exact name wins wherever it is, else the first name the
    // input contains, in table order. Cheap reject first: a name that uses a letter the input
    // lacks can neither equal nor be inside it.
    let present = letter_mask(letters.as_bytes());
    let mut first_contained = None;
    for ((name, code), mask) in table.names.iter().zip(table.masks) {
        if *mask & !present != 0 {
            continue;
        }
        if *name == letters {
            return Some(code);
        }
        if first_contained.is_none() && contains(letters.as_bytes(), name.as_bytes()) {
            first_contained = Some(*code);
        }
    }
    first_contained
}

/// Substring search for short ASCII strings: a plain scan beats setting up a two-way searcher.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    match needle.split_first() {
        None => true,
        Some((first, rest)) => hay
            .windows(needle.len())
            .any(|w| w[0] == *first && w[1..] == *rest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(raw: &str) -> Result<String, DropReason> {
        let mut out = String::new();
        state_into(raw, &mut out).map(|()| out)
    }
    fn country(raw: &str) -> Result<String, DropReason> {
        let mut out = String::new();
        country_into(raw, &mut out).map(|()| out)
    }

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
