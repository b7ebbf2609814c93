//! Phone: keep the ASCII digits, drop leading zeros (an international `00` prefix goes with them).
//! Like Meta's param-builder there is no length check: the country code cannot be verified.
use super::DropReason;

/// The digits into `out` (cleared first). Leading zeros are skipped as they come.
pub fn normalize_into(raw: &str, out: &mut String) -> Result<(), DropReason> {
    out.clear();
    for b in raw.bytes() {
        // Bytes of multi-byte UTF-8 characters are never ASCII digits.
        if b.is_ascii_digit() && !(b == b'0' && out.is_empty()) {
            out.push(char::from(b));
        }
    }
    if out.is_empty() {
        Err(DropReason::NoDigits)
    } else {
        Ok(())
    }
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
    fn digits_only_without_leading_zeros() {
        assert_eq!(normalize("+1 (650) 555-1212").unwrap(), "16505551212");
        assert_eq!(normalize("0044 844 412 4653").unwrap(), "448444124653");
        assert_eq!(normalize("123").unwrap(), "123");
        assert_eq!(normalize("٣٤٥6").unwrap(), "6");
        assert_eq!(normalize("000"), Err(DropReason::NoDigits));
        assert_eq!(normalize("call me"), Err(DropReason::NoDigits));
    }
}
