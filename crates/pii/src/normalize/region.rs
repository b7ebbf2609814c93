//! State and country: written-out names become two-letter codes through Meta's builder's tables
//! (exact name first, then the first table name the input contains), anything else is cut to
//! its first two letters (`Bavaria` -> `ba`, a builder quirk kept for identical hashes).

use super::region_tables::{COUNTRIES, STATES};
use super::DropReason;

/// A name table and, per letter a-z, the set of its names that use the letter (one bit per
/// name, in table order; computed at compile time): the names that can equal or be inside an
/// input are those using none of the letters the input lacks, found with a few word operations
/// per absent letter instead of a test per name (~270 countries).
struct Table {
    names: &'static [(&'static str, &'static str)],
    uses: [[u64; WORDS]; 26],
    /// One bit per name.
    all: [u64; WORDS],
}

/// Words of a name set: room for 320 names (a larger table fails to compile).
const WORDS: usize = 5;

const STATE_TABLE: Table = table(STATES);
const COUNTRY_TABLE: Table = table(COUNTRIES);

const fn table(names: &'static [(&'static str, &'static str)]) -> Table {
    assert!(names.len() <= WORDS * 64);
    let mut uses = [[0u64; WORDS]; 26];
    let mut all = [0u64; WORDS];
    let mut i = 0;
    while i < names.len() {
        let (word, bit) = (i / 64, 1u64 << (i % 64));
        all[word] |= bit;
        let mask = letter_mask(names[i].0.as_bytes());
        let mut letter = 0;
        while letter < 26 {
            if mask & (1 << letter) != 0 {
                uses[letter][word] |= bit;
            }
            letter += 1;
        }
        i += 1;
    }
    Table { names, uses, all }
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
    // The candidates: names that use no letter the input lacks (the others can neither equal
    // nor be inside it).
    let present = letter_mask(letters.as_bytes());
    let mut candidates = table.all;
    let mut absent = !present & ((1 << 26) - 1);
    while absent != 0 {
        let letter = absent.trailing_zeros() as usize;
        absent &= absent - 1;
        for (word, used) in candidates.iter_mut().zip(&table.uses[letter]) {
            *word &= !used;
        }
    }
    // One pass, in table order, for both rules: an exact name wins wherever it is, else the
    // first name the input contains.
    let mut first_contained = None;
    for (w, mut bits) in candidates.into_iter().enumerate() {
        while bits != 0 {
            let i = w * 64 + bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let Some((name, code)) = table.names.get(i) else {
                continue;
            };
            if *name == letters {
                return Some(code);
            }
            if first_contained.is_none() && contains(letters.as_bytes(), name.as_bytes()) {
                first_contained = Some(*code);
            }
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

    /// The rules written plainly: an exact name, else the first name contained.
    fn lookup_by_scan(letters: &str, table: &Table) -> Option<&'static str> {
        if letters.len() == 2 {
            return None;
        }
        if letters == "constructor" {
            return Some("fu");
        }
        let exact = table.names.iter().find(|(name, _)| *name == letters);
        let contained = || table.names.iter().find(|(name, _)| letters.contains(name));
        exact.or_else(contained).map(|(_, code)| *code)
    }

    #[test]
    fn letter_sets_find_what_a_scan_finds() {
        for table in [&STATE_TABLE, &COUNTRY_TABLE] {
            let mut inputs: Vec<String> = Vec::new();
            for (i, (name, _)) in table.names.iter().enumerate() {
                inputs.push(name.to_string());
                inputs.push(name[1..].to_string());
                inputs.push(format!("x{name}"));
                let (next, _) = table.names[(i * 7 + 3) % table.names.len()];
                inputs.push(format!("{next}{name}"));
                inputs.push(format!("{name}{next}q"));
            }
            // Pseudo-random letter strings.
            let mut seed = 42u32;
            for len in (0..2000).map(|i| 1 + i % 24) {
                let text: String = (0..len)
                    .map(|_| {
                        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                        char::from(b'a' + ((seed >> 16) % 26) as u8)
                    })
                    .collect();
                inputs.push(text);
            }
            for input in &inputs {
                assert_eq!(
                    lookup(input, table),
                    lookup_by_scan(input, table),
                    "{input}"
                );
            }
        }
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
