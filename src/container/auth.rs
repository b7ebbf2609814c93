//! Who may send events to `/event`: a bearer token from `eventTokens` / `EVENT_TOKENS`, or a
//! webhook-style signature with `eventSigningSecret` / `EVENT_SIGNING_SECRET`
//! (`X-Omni-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, within
//! `SIGNATURE_WINDOW_S` of now, each signature accepted once). With neither configured `/event`
//! is closed, unless the config says `eventAuth: "none"` (then anyone may send, and the start-up
//! report and `/readyz` warn). Every comparison takes the same time wherever the inputs differ.
use std::cell::RefCell;

use crate::hash::hmac_sha256_hex;

/// How far a signature's `t` may be from now, either way (seconds): the replay window.
pub const SIGNATURE_WINDOW_S: u64 = 300;
/// Signatures remembered for replay detection at most (older ones expire after the window).
const MAX_REMEMBERED: usize = 100_000;

#[derive(Clone, Debug, Default)]
pub struct EventAuth {
    pub tokens: Vec<String>,
    pub signing_secret: Option<String>,
    /// `eventAuth: "none"`: `/event` is open to anyone.
    pub open: bool,
    /// Signatures seen within the window, with their `t` (replays are refused).
    seen: RefCell<Vec<(u64, String)>>,
}

/// Who sent an accepted request (for rate limits and for what the caller may set).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// The bearer token at this position of the list.
    Token(usize),
    /// A valid signature with the signing secret.
    Signed,
    /// `eventAuth: "none"`: not authenticated.
    Anonymous,
}

impl Caller {
    /// Authenticated callers may set `ip_override` and `user_agent` (a backend relays its
    /// visitor's); anonymous ones may not.
    pub fn is_trusted(&self) -> bool {
        !matches!(self, Caller::Anonymous)
    }

    /// The rate-limit key (a token's position, never the token itself).
    pub fn key(&self) -> String {
        match self {
            Caller::Token(i) => format!("token#{i}"),
            Caller::Signed => "signed".into(),
            Caller::Anonymous => "anonymous".into(),
        }
    }
}

impl EventAuth {
    pub fn new(tokens: Vec<String>, signing_secret: Option<String>, open: bool) -> EventAuth {
        EventAuth {
            tokens,
            signing_secret,
            open,
            seen: RefCell::default(),
        }
    }

    /// Whether any credential is configured (else `/event` is closed unless `open`).
    pub fn configured(&self) -> bool {
        !self.tokens.is_empty() || self.signing_secret.is_some()
    }

    /// Check a request's credentials: `authorization` and `x-omni-signature` header values.
    /// `Err` is the message of the 401.
    pub fn check(
        &self,
        authorization: Option<&str>,
        signature: Option<&str>,
        body: &str,
        now_ms: u64,
    ) -> Result<Caller, String> {
        if !self.configured() {
            if self.open {
                return Ok(Caller::Anonymous);
            }
            return Err(
                "/event needs credentials: set eventTokens (or EVENT_TOKENS) and send \
                        Authorization: Bearer <token>, or set eventSigningSecret (or \
                        EVENT_SIGNING_SECRET) and sign; eventAuth: \"none\" opens it to anyone"
                    .into(),
            );
        }
        if let Some(i) = authorization
            .and_then(bearer)
            .and_then(|t| self.token_index(t))
        {
            return Ok(Caller::Token(i));
        }
        if let (Some(secret), Some(header)) = (&self.signing_secret, signature) {
            return self.verify_signature(secret, header, body, now_ms);
        }
        Err("a valid Authorization: Bearer <token> (or X-Omni-Signature) is required".into())
    }

    /// The position of a matching token, comparing with every token in constant time.
    fn token_index(&self, given: &str) -> Option<usize> {
        let mut found = None;
        for (i, token) in self.tokens.iter().enumerate() {
            if secret_matches(given, token) && found.is_none() {
                found = Some(i);
            }
        }
        found
    }

    fn verify_signature(
        &self,
        secret: &str,
        header: &str,
        body: &str,
        now_ms: u64,
    ) -> Result<Caller, String> {
        let bad = |why: &str| Err(format!("X-Omni-Signature {why}"));
        let Some((t, v1)) = signature_parts(header) else {
            return bad("must be t=<unix seconds>,v1=<hex HMAC-SHA256>");
        };
        let now_s = now_ms / 1000;
        if t.abs_diff(now_s) > SIGNATURE_WINDOW_S {
            return bad("is outside the 5-minute window (expired, or the clocks differ)");
        }
        let mut message = t.to_string();
        message.push('.');
        message.push_str(body);
        let expected = hmac_sha256_hex(secret.as_bytes(), message.as_bytes());
        if !secret_matches(&v1.to_ascii_lowercase(), &expected) {
            return bad("does not match the body");
        }
        if !self.remember(t, expected, now_s) {
            return bad("was already used (a replay)");
        }
        Ok(Caller::Signed)
    }

    /// Record a signature; false when it was seen before within the window.
    fn remember(&self, t: u64, signature: String, now_s: u64) -> bool {
        let Ok(mut seen) = self.seen.try_borrow_mut() else {
            return false;
        };
        seen.retain(|(at, _)| at.abs_diff(now_s) <= SIGNATURE_WINDOW_S);
        if seen.iter().any(|(_, s)| *s == signature) {
            return false;
        }
        if seen.len() >= MAX_REMEMBERED {
            seen.remove(0);
        }
        seen.push((t, signature));
        true
    }
}

/// The token of `Bearer <token>` (the scheme in any case).
fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// `t=<digits>,v1=<hex>` in any order, spaces allowed around the parts.
fn signature_parts(header: &str) -> Option<(u64, &str)> {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k.trim() {
            "t" => t = v.trim().parse::<u64>().ok(),
            "v1" => v1 = Some(v.trim()),
            _ => {}
        }
    }
    Some((t?, v1?))
}

/// Equal, in time that does not depend on where they differ (a token compared byte by byte
/// would leak its prefix through timing). Only the length leaks.
pub fn secret_matches(given: &str, expected: &str) -> bool {
    let (a, b) = (given.as_bytes(), expected.as_bytes());
    let diff = a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y));
    a.len() == b.len() && diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW_MS: u64 = 1_795_875_760_000;

    fn auth() -> EventAuth {
        let tokens = vec!["tok-one-1234".into(), "tok-two-5678".into()];
        EventAuth::new(tokens, Some("whsec-abc".into()), false)
    }

    fn signed(t: u64, body: &str) -> String {
        let v1 = hmac_sha256_hex(b"whsec-abc", format!("{t}.{body}").as_bytes());
        format!("t={t},v1={v1}")
    }

    #[test]
    fn bearer_tokens_any_scheme_case() {
        let a = auth();
        let check = |h: &str| a.check(Some(h), None, "{}", NOW_MS);
        assert_eq!(check("Bearer tok-two-5678"), Ok(Caller::Token(1)));
        assert_eq!(check("bearer   tok-one-1234 "), Ok(Caller::Token(0)));
        assert_eq!(check("BEARER tok-one-1234"), Ok(Caller::Token(0)));
        assert!(check("Bearer tok-one-123").is_err());
        assert!(check("Basic tok-one-1234").is_err());
        assert!(check("tok-one-1234").is_err());
        assert!(a.check(None, None, "{}", NOW_MS).is_err());
    }

    #[test]
    fn signatures_within_the_window_once() {
        let a = auth();
        let t = NOW_MS / 1000 - 10;
        let body = r#"{"event_name":"purchase"}"#;
        let header = signed(t, body);
        assert_eq!(
            a.check(None, Some(&header), body, NOW_MS),
            Ok(Caller::Signed)
        );
        let replay = a.check(None, Some(&header), body, NOW_MS);
        assert!(replay.is_err_and(|e| e.contains("replay")));
        let other_body = a.check(None, Some(&signed(t, body)), "{}", NOW_MS);
        assert!(other_body.is_err_and(|e| e.contains("does not match")));
        let old = signed(NOW_MS / 1000 - 301, body);
        let expired = a.check(None, Some(&old), body, NOW_MS);
        assert!(expired.is_err_and(|e| e.contains("window")));
        let fresh = signed(NOW_MS / 1000 + 60, body);
        assert_eq!(
            a.check(None, Some(&fresh), body, NOW_MS),
            Ok(Caller::Signed)
        );
        for garbage in ["", "t=,v1=", "v1=abc", "t=1", "t=x,v1=y", "=,="] {
            assert!(
                a.check(None, Some(garbage), body, NOW_MS).is_err(),
                "{garbage}"
            );
        }
    }

    #[test]
    fn closed_unless_configured_or_explicitly_open() {
        let none = EventAuth::default();
        let closed = none.check(Some("Bearer x"), None, "{}", NOW_MS);
        assert!(closed.is_err_and(|e| e.contains("eventTokens")));
        let open = EventAuth::new(Vec::new(), None, true);
        assert_eq!(open.check(None, None, "{}", NOW_MS), Ok(Caller::Anonymous));
        assert!(!Caller::Anonymous.is_trusted());
        assert!(Caller::Signed.is_trusted());
    }
}
