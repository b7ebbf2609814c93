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
    fn hex_digest_lengths() {
        assert!(is_hex_digest(&"A".repeat(64)));
        assert!(is_hex_digest(&"0".repeat(32)));
        assert!(!is_hex_digest(&"0".repeat(40)));
        assert!(!is_hex_digest(&"g".repeat(64)));
    }
}
