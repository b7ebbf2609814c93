//! String primitives with JavaScript's semantics. Meta's normalizer is JavaScript, so "whitespace",
//! "trim" and "length" must mean what they mean there, not what they mean in Rust.

/// JavaScript's `\s` (and `String.prototype.trim`): WhiteSpace and LineTerminator code points.
/// Differs from `char::is_whitespace`: includes U+FEFF, excludes U+0085.
pub fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// `String.prototype.trim`.
pub fn js_trim(s: &str) -> &str {
    s.trim_matches(is_js_whitespace)
}

/// `String.prototype.length`: UTF-16 code units, so an astral character counts twice.
pub fn js_length(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// `String.prototype.toLowerCase` (full Unicode mapping, final sigma included, as Rust's).
pub fn js_lowercase(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.to_lowercase()
    }
}

/// `js_lowercase(s)` appended to `out` without a temporary: ASCII byte by byte, other text
/// char by char. Rust's `str::to_lowercase` differs from the per-char mapping only for capital
/// sigma (final form by context), so text with a `Σ` takes the whole-string path.
pub fn push_lowercase(s: &str, out: &mut String) {
    if s.is_ascii() {
        out.extend(s.bytes().map(|b| char::from(b.to_ascii_lowercase())));
    } else if !has_capital_sigma(s) {
        for c in s.chars() {
            push_char_lowercase(c, out);
        }
    } else {
        out.push_str(&s.to_lowercase());
    }
}

/// True when `s` holds a capital sigma (U+03A3, UTF-8 `CE A3`: a lead byte then a continuation
/// byte, so the pair is always that character). A byte scan: `str::contains` with a multi-byte
/// char sets up a substring searcher per call.
pub fn has_capital_sigma(s: &str) -> bool {
    s.as_bytes().windows(2).any(|w| w == [0xCE, 0xA3])
}

/// `c` lowercased (without the final-sigma context: see `push_lowercase`) onto `out`. ASCII
/// inline: `char::to_lowercase` takes a call into the Unicode tables for every character
/// (measured ~5% of `hashUserData`'s time in wasm on mixed-script records).
#[inline]
pub fn push_char_lowercase(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else if let Some(lower) = common_lowercase(c) {
        out.push(lower);
    } else {
        out.extend(c.to_lowercase());
    }
}

/// `c`'s lowercase for the common non-ASCII blocks, by arithmetic instead of the Unicode
/// table search: Latin-1, basic Greek and Cyrillic letters, and blocks without case (CJK
/// symbols and ideographs, kana, Yi, Vai; Hangul syllables). A test checks every character
/// these ranges cover against `char::to_lowercase`. `None`: not covered here.
fn common_lowercase(c: char) -> Option<char> {
    let shifted = |by: u32| char::from_u32(c as u32 + by);
    match c {
        // Latin-1 capitals (not U+00D7 MULTIPLICATION SIGN) and Greek and Cyrillic capitals.
        '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{DE}' => shifted(0x20),
        '\u{391}'..='\u{3A1}' | '\u{3A3}'..='\u{3AB}' | '\u{410}'..='\u{42F}' => shifted(0x20),
        '\u{400}'..='\u{40F}' => shifted(0x50),
        // Lowercase letters and symbols: themselves.
        '\u{80}'..='\u{BF}'
        | '\u{D7}'
        | '\u{DF}'..='\u{FF}'
        | '\u{3AC}'..='\u{3CE}'
        | '\u{430}'..='\u{45F}'
        | '\u{3000}'..='\u{A63F}'
        | '\u{AC00}'..='\u{D7FF}' => Some(c),
        _ => None,
    }
}

/// `js_trim` in place.
pub fn trim_in_place(s: &mut String) {
    let trimmed = js_trim(s);
    let start = trimmed.as_ptr() as usize - s.as_ptr() as usize;
    let end = start + trimmed.len();
    s.truncate(end);
    s.drain(..start);
}

/// True when `s` is exactly 64 or 32 hex digits of either case (a SHA-256 or MD5 digest).
pub fn is_hex_digest(s: &str) -> bool {
    (s.len() == 64 || s.len() == 32) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_matches_javascript_not_rust() {
        assert!(is_js_whitespace('\u{FEFF}'));
        assert!(!is_js_whitespace('\u{85}'));
        assert!(!is_js_whitespace('\u{180E}'));
        assert_eq!(js_trim("\u{3000}\u{FEFF} a b\u{2029}"), "a b");
    }

    #[test]
    fn length_counts_utf16_units() {
        assert_eq!(js_length("ab"), 2);
        assert_eq!(js_length("é"), 1);
        assert_eq!(js_length("😀"), 2);
    }

    #[test]
    fn lowercase_handles_final_sigma() {
        assert_eq!(js_lowercase("ΟΔΟΣ"), "οδος");
        assert_eq!(js_lowercase("ΣΑ"), "σα");
    }

    #[test]
    fn push_lowercase_matches_to_lowercase() {
        for s in ["ABC", "ÀÉ\u{212A}İ", "ΟΔΟΣ", "ΣΑ Σ", "", "x😀Y"] {
            let mut out = String::from(">");
            push_lowercase(s, &mut out);
            assert_eq!(out, format!(">{}", s.to_lowercase()), "{s}");
        }
        let mut t = String::from("\u{3000} a b\u{FEFF}");
        trim_in_place(&mut t);
        assert_eq!(t, "a b");
    }

    #[test]
    fn common_lowercase_matches_the_unicode_tables() {
        let mut covered = 0;
        for c in ('\u{80}'..=char::MAX).filter_map(|c| Some((c, common_lowercase(c)?))) {
            let (c, lower) = c;
            let mut expected = c.to_lowercase();
            assert_eq!(
                (expected.next(), expected.next()),
                (Some(lower), None),
                "U+{:04X}",
                c as u32
            );
            covered += 1;
        }
        // Latin-1 0x80-0xFF, Greek 0x391-0x3CE but U+03A2, Cyrillic 0x400-0x45F, the caseless blocks.
        assert_eq!(
            covered,
            0x80 + 0x3D + 0x60 + (0xA640 - 0x3000) + (0xD800 - 0xAC00)
        );
    }

    #[test]
    fn hex_digest_lengths() {
        assert!(is_hex_digest(&"A".repeat(64)));
        assert!(is_hex_digest(&"0".repeat(32)));
        assert!(!is_hex_digest(&"0".repeat(40)));
        assert!(!is_hex_digest(&"g".repeat(64)));
    }
}
