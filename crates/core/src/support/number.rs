//! Whole numbers out of JSON number text, without float parsing (core's float parser brings
//! ~15 KB of tables into the wasm, and a tag only ever needs integer parts).

/// The integer part of a JSON-syntax number (`-`, digits, optional fraction and exponent),
/// saturating at u64::MAX, with its sign and whether a non-zero fraction was cut off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Whole {
    pub negative: bool,
    pub value: u64,
    pub has_fraction: bool,
}

pub fn whole(text: &str) -> Option<Whole> {
    let t = text.trim();
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], exponent(&t[i + 1..])?),
        None => (t, 0),
    };
    let (int_digits, frac_digits) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int_digits.is_empty()
        || !all_digits(int_digits)
        || !all_digits(frac_digits)
        || (mantissa.contains('.') && frac_digits.is_empty())
    {
        return None;
    }
    // Shift the decimal point by the exponent over the digit string (read in place: this runs
    // for every quantity of every item).
    let digits = || int_digits.bytes().chain(frac_digits.bytes());
    let len = i64::try_from(int_digits.len() + frac_digits.len()).ok()?;
    let point = i64::try_from(int_digits.len())
        .ok()?
        .saturating_add(exponent);
    let split = usize::try_from(point.clamp(0, len)).ok()?;
    let extra_zeros = u32::try_from(point.saturating_sub(len).clamp(0, 40)).ok()?;
    let mut value: u64 = 0;
    for d in digits().take(split) {
        value = value.saturating_mul(10).saturating_add(u64::from(d - b'0'));
    }
    for _ in 0..extra_zeros {
        value = value.saturating_mul(10);
    }
    let has_fraction = digits().skip(split).any(|d| d != b'0');
    Some(Whole {
        negative,
        value,
        has_fraction,
    })
}

fn exponent(text: &str) -> Option<i64> {
    let (neg, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let e = digits
        .bytes()
        .fold(0i64, |n, d| {
            n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
        })
        .min(10_000);
    Some(if neg { -e } else { e })
}

/// A non-negative whole number (no fraction), e.g. a quantity: "2", 2, "2.0", "2e0".
pub fn count(text: &str) -> Option<u64> {
    whole(text)
        .filter(|w| !w.has_fraction && (!w.negative || w.value == 0))
        .map(|w| w.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_parts() {
        let w = |t: &str| whole(t).map(|w| (w.negative, w.value, w.has_fraction));
        assert_eq!(w("1764331200"), Some((false, 1_764_331_200, false)));
        assert_eq!(w("1764331200123.9"), Some((false, 1_764_331_200_123, true)));
        assert_eq!(w("1.7643312e9"), Some((false, 1_764_331_200, false)));
        assert_eq!(w("12e-1"), Some((false, 1, true)));
        assert_eq!(w("-3.0"), Some((true, 3, false)));
        assert_eq!(w("0.5"), Some((false, 0, true)));
        assert_eq!(w("1e400"), Some((false, u64::MAX, false)));
        assert_eq!(w("99999999999999999999999"), Some((false, u64::MAX, false)));
        for bad in [
            "", "-", "1.", ".5", "1e", "abc", "1,5", "0x10", "1e+", "--1",
        ] {
            assert_eq!(whole(bad), None, "{bad}");
        }
    }

    #[test]
    fn counts() {
        assert_eq!(count("2"), Some(2));
        assert_eq!(count(" 2.00 "), Some(2));
        assert_eq!(count("2.5"), None);
        assert_eq!(count("-1"), None);
        assert_eq!(count("-0"), Some(0));
    }
}
