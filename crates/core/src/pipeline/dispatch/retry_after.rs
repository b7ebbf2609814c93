//! `Retry-After` (RFC 9110 section 10.2.3): delay-seconds or an HTTP date, read by hand (no
//! date library, no float parsing).

/// The wait a `Retry-After` header asks for, in milliseconds from `now_ms` (Unix ms): whole
/// seconds (`"120"`) or an HTTP date (a date already past gives `Some(0)`). `None` when the
/// header is neither (a negative or fractional number, garbage): it is then ignored.
pub fn retry_after_ms(header: &str, now_ms: u64) -> Option<u64> {
    let value = header.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let seconds = value.bytes().fold(0u64, |n, d| {
            n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
        });
        return Some(seconds.saturating_mul(1000));
    }
    http_date_ms(value).map(|at| at.saturating_sub(now_ms))
}

/// An HTTP date as Unix milliseconds. Accepts the three forms RFC 9110 requires recipients to
/// read — IMF-fixdate `Wed, 21 Oct 2015 07:28:00 GMT`, RFC 850 `Wednesday, 21-Oct-15 07:28:00
/// GMT` and asctime `Wed Oct 21 07:28:00 2015` — leniently: names in any case, the weekday
/// optional and unchecked. Two-digit years are 1970..=2069. Dates before 1970 are `None`.
pub fn http_date_ms(text: &str) -> Option<u64> {
    let mut day = None;
    let mut month = None;
    let mut year = None;
    let mut time = None;
    let tokens = text.split([' ', '\t', ',', '-']).filter(|t| !t.is_empty());
    for token in tokens {
        if token.contains(':') {
            if time.replace(clock(token)?).is_some() {
                return None;
            }
        } else if token.bytes().all(|b| b.is_ascii_digit()) {
            if day.is_none() {
                day = Some(small_number(token, 1, 2)?);
            } else if year.is_none() {
                year = Some(full_year(token)?);
            } else {
                return None;
            }
        } else if let Some(m) = month_number(token) {
            if month.replace(m).is_some() {
                return None;
            }
        } else if !is_weekday(token) && !token.eq_ignore_ascii_case("GMT") {
            return None;
        }
    }
    let (day, month, year, (hour, minute, second)) = (day?, month?, year?, time?);
    if day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day)?;
    let seconds = days
        .checked_mul(86_400)?
        .checked_add(u64::from(hour) * 3600 + u64::from(minute) * 60 + u64::from(second))?;
    seconds.checked_mul(1000)
}

/// `HH:MM:SS` (a leap second `:60` is accepted).
fn clock(token: &str) -> Option<(u32, u32, u32)> {
    let mut parts = token.split(':');
    let hour = small_number(parts.next()?, 2, 2)?;
    let minute = small_number(parts.next()?, 2, 2)?;
    let second = small_number(parts.next()?, 2, 2)?;
    if parts.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some((hour, minute, second))
}

/// A number of `min_len..=max_len` ASCII digits.
fn small_number(token: &str, min_len: usize, max_len: usize) -> Option<u32> {
    if token.len() < min_len || token.len() > max_len || !token.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some(
        token
            .bytes()
            .fold(0u32, |n, d| n * 10 + u32::from(d - b'0')),
    )
}

fn full_year(token: &str) -> Option<u32> {
    match token.len() {
        2 => small_number(token, 2, 2).map(|y| if y < 70 { 2000 + y } else { 1900 + y }),
        4 => small_number(token, 4, 4).filter(|y| *y >= 1970),
        _ => None,
    }
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn month_number(token: &str) -> Option<u32> {
    let index = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(token))?;
    u32::try_from(index + 1).ok()
}

const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// `Mon` or `Monday` (any case).
fn is_weekday(token: &str) -> bool {
    WEEKDAYS.iter().any(|w| {
        w.eq_ignore_ascii_case(token)
            || (token.len() == 3 && w.get(..3).is_some_and(|p| p.eq_ignore_ascii_case(token)))
    })
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a valid date in or after 1970 (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: u32, month: u32, day: u32) -> Option<u64> {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    u64::try_from(era * 146_097 + doe - 719_468).ok()
}
