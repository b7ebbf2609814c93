//! Email: lowercase, trim, then the param-builder's "approximation of RFC 2822" check, written
//! out by hand (no regex engine in the wasm): `local@label(.label)+`, where the local part is
//! runs of atext joined by `.` (the builder's pattern also allows a `:` right before each `.`,
//! a typo upstream that we keep for identical results).
use super::js_text::{push_lowercase, trim_in_place};
use super::DropReason;

/// The normalized address into `out` (cleared first).
pub fn normalize_into(raw: &str, out: &mut String) -> Result<(), DropReason> {
    out.clear();
    push_lowercase(raw, out);
    trim_in_place(out);
    if is_email(out) {
        Ok(())
    } else {
        Err(DropReason::InvalidEmail)
    }
}

#[cfg(test)]
fn normalize(raw: &str) -> Result<String, DropReason> {
    let mut out = String::new();
    normalize_into(raw, &mut out).map(|()| out)
}

fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_!#$%&'*+/=?^`{|}~-".contains(&b)
}

fn is_email(s: &str) -> bool {
    let mut parts = s.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    is_local_part(local.as_bytes()) && is_domain(domain)
}

/// `atext+ (':'? '.' atext+)*`
fn is_local_part(s: &[u8]) -> bool {
    let mut i = 0;
    loop {
        let start = i;
        while i < s.len() && is_atext(s[i]) {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i == s.len() {
            return true;
        }
        if s[i] == b':' {
            i += 1;
        }
        if i >= s.len() || s[i] != b'.' {
            return false;
        }
        i += 1;
    }
}

/// At least two labels; each `[a-z0-9]([a-z0-9-]*[a-z0-9])?` (ASCII letters of either case).
fn is_domain(s: &str) -> bool {
    let mut labels = 0;
    for label in s.split('.') {
        let b = label.as_bytes();
        let (Some(first), Some(last)) = (b.first(), b.last()) else {
            return false;
        };
        if !first.is_ascii_alphanumeric()
            || !last.is_ascii_alphanumeric()
            || !b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        {
            return false;
        }
        labels += 1;
    }
    labels >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_rejects_like_the_param_builder() {
        assert_eq!(
            normalize("  John_Smith@Gmail.com ").unwrap(),
            "john_smith@gmail.com"
        );
        assert_eq!(normalize("a:.b@x.io").unwrap(), "a:.b@x.io");
        for bad in [
            "",
            "a@b",
            "a@@b.com",
            "a..b@x.com",
            ".a@x.com",
            "a.@x.com",
            "a:b@x.com",
            "a@-x.com",
            "a@x-.com",
            "a@x.com.",
            "a@x..com",
            "jos\u{e9}@x.com",
            "a b@x.com",
        ] {
            assert!(normalize(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn kelvin_sign_lowercases_into_ascii_before_the_check() {
        assert_eq!(normalize("a@\u{212A}.com").unwrap(), "a@k.com");
    }
}
