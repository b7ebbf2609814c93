//! Phone: keep the ASCII digits, drop leading zeros (an international `00` prefix goes with them).
//! Like Meta's param-builder there is no length check: the country code cannot be verified.
use super::DropReason;

pub fn normalize(raw: &str) -> Result<String, DropReason> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let trimmed = digits.trim_start_matches('0');
    if trimmed.is_empty() {
        Err(DropReason::NoDigits)
    } else {
        Ok(trimmed.to_string())
    }
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
