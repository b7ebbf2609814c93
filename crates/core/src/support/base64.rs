//! Base64 decoding, strict: the standard or the URL-safe alphabet, padding optional, no
//! whitespace, and the unused bits of the last character must be zero (one value, one text).

/// The bytes of `text`, or `None` when it is not base64 in that alphabet.
pub fn decode(text: &str, url_safe: bool) -> Option<Vec<u8>> {
    let (c62, c63) = if url_safe { (b'-', b'_') } else { (b'+', b'/') };
    let digits = text
        .strip_suffix("==")
        .or_else(|| text.strip_suffix('='))
        .unwrap_or(text);
    if digits.len() % 4 == 1 {
        return None;
    }
    let mut bytes = Vec::with_capacity(digits.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for b in digits.bytes() {
        let sextet = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            _ if b == c62 => 62,
            _ if b == c63 => 63,
            _ => return None,
        };
        acc = (acc << 6 | u32::from(sextet)) & 0xFFF;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push(((acc >> bits) & 0xFF) as u8);
        }
    }
    (acc & ((1 << bits) - 1) == 0).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn both_alphabets_padding_and_strictness() {
        assert_eq!(
            decode("YWRtaW46ZGFzaC1zZWNyZXQ=", false).as_deref(),
            Some(&b"admin:dash-secret"[..])
        );
        assert_eq!(decode("YQ", false).as_deref(), Some(&b"a"[..]));
        assert_eq!(decode("YQ==", false).as_deref(), Some(&b"a"[..]));
        assert_eq!(decode("YWI", false).as_deref(), Some(&b"ab"[..]));
        assert_eq!(decode("", false), Some(Vec::new()));
        assert_eq!(decode("-_8", true), Some(vec![0xfb, 0xff]));
        assert_eq!(decode("+/8", false), Some(vec![0xfb, 0xff]));
        for (bad, url_safe) in [
            ("Y", false),
            ("YW*i", false),
            ("Y===Y", false),
            ("-_8", false),
            ("+/8", true),
            ("YR", false),
        ] {
            assert_eq!(decode(bad, url_safe), None, "{bad}");
        }
    }
}
