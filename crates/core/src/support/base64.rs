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

/// Standard base64 with padding (what `btoa` and sGTM's `toBase64` give).
pub fn encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{decode, encode};

    #[test]
    fn encodes_with_padding_and_round_trips() {
        assert_eq!(encode(b""), "");
        assert_eq!(encode(b"f"), "Zg==");
        assert_eq!(encode(b"fo"), "Zm8=");
        assert_eq!(encode(b"foo"), "Zm9v");
        assert_eq!(encode(b"{\"em\":1}"), "eyJlbSI6MX0=");
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(&encode(&all), false), Some(all));
    }

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
