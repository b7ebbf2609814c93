//! Date of birth to `YYYYMMDD`. Digit groups are read in order; the first three decide: a group
//! over 31 is the year (first or second position), otherwise the third is; the order of month
//! and day is US (M/D) unless one of them is over 12. Valid: year 1800..=current year + 1, month
//! 1..=12, day 1..=31 (no per-month check, as Meta's builder). A lone 8-digit group is taken as
//! already formatted, unchecked (also as Meta's builder: `19901399` passes).
use super::DropReason;
use crate::json::push_padded;

/// `YYYYMMDD` into `out` (cleared first). Only the first three digit groups and whether there
/// is more than one matter, so they are read without collecting the rest.
pub fn normalize_into(raw: &str, current_year: i32, out: &mut String) -> Result<(), DropReason> {
    out.clear();
    let mut groups = raw
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty());
    let first = groups.next();
    let (second, third) = (groups.next(), groups.next());
    if let (Some(a), Some(b), Some(c)) = (first, second, third) {
        if let Some((y, m, d)) = from_numbers(value(a), value(b), value(c), current_year) {
            push_padded(y, 4, out);
            push_padded(m, 2, out);
            push_padded(d, 2, out);
            return Ok(());
        }
    }
    match (first, second) {
        (Some(single), None) if single.len() == 8 => {
            out.push_str(single);
            Ok(())
        }
        _ => Err(DropReason::InvalidDate),
    }
}

#[cfg(test)]
fn normalize(raw: &str, current_year: i32) -> Result<String, DropReason> {
    let mut out = String::new();
    normalize_into(raw, current_year, &mut out).map(|()| out)
}

/// The number a digit group stands for; anything too big for u64 is out of every range anyway.
fn value(group: &str) -> u64 {
    group.bytes().fold(0u64, |n, d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    })
}

/// (year, month, day) when the three numbers make a valid date in some order.
fn from_numbers(n1: u64, n2: u64, n3: u64, current_year: i32) -> Option<(u64, u64, u64)> {
    let (year, month, day) = if n1 > 31 {
        if n2 > 12 {
            (n1, n3, n2)
        } else {
            (n1, n2, n3)
        }
    } else if n2 > 31 {
        if n3 > 12 {
            (n2, n1, n3)
        } else {
            (n2, n3, n1)
        }
    } else if n1 > 12 {
        (n3, n2, n1)
    } else {
        (n3, n1, n2)
    };
    let max_year = u64::try_from(current_year).unwrap_or(0) + 1;
    let valid =
        (1800..=max_year).contains(&year) && (1..=12).contains(&month) && (1..=31).contains(&day);
    valid.then_some((year, month, day))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_meta_documents() {
        for input in [
            "2/16/1997",
            "1997-02-16",
            "16.02.1997",
            "02/16/1997",
            "1997 16 02",
        ] {
            assert_eq!(normalize(input, 2026).unwrap(), "19970216", "{input}");
        }
    }

    #[test]
    fn year_in_second_position() {
        // n2 > 31: year = n2; n3 <= 12 -> month = n3, day = n1.
        assert_eq!(normalize("16 1997 02", 2026).unwrap(), "19970216");
        assert_eq!(normalize("02 1997 16", 2026).unwrap(), "19970216");
    }

    #[test]
    fn ranges_and_the_unchecked_eight_digit_form() {
        assert_eq!(normalize("1997/13/40", 2026), Err(DropReason::InvalidDate));
        assert_eq!(normalize("1/1/2028", 2026), Err(DropReason::InvalidDate));
        assert_eq!(normalize("1/1/2027", 2026).unwrap(), "20270101");
        assert_eq!(normalize("1/1/1799", 2026), Err(DropReason::InvalidDate));
        assert_eq!(normalize("19901399", 2026).unwrap(), "19901399");
        assert_eq!(normalize("1990139", 2026), Err(DropReason::InvalidDate));
        assert_eq!(
            normalize("99999999999999999999999/1/1", 2026),
            Err(DropReason::InvalidDate)
        );
        assert_eq!(normalize("", 2026), Err(DropReason::InvalidDate));
    }
}
