//! `fbc` and `fbp`: read from the request's cookies (or the event), validated, built from
//! `fbclid` when the page carries one, generated when missing; and the first-party cookies the
//! host should set, with the very values the payload uses.
use crate::event_data::{trimmed_text, EventData, RequestContext};
use crate::json::{push_decimal, Record, RecordWriter, Value};
use crate::model::config::{CookieDomain, TagConfig};
use crate::report::Report;
use crate::url;

/// Language tokens of Meta's param-builder appendix (`fb.1.<ms>.<payload>.<appendix>`).
const APPENDIX_TOKENS: [&str; 6] = ["AQ", "Ag", "Aw", "BA", "BQ", "Bg"];
/// Meta's client JS ignores longer click ids.
const MAX_FBCLID_LEN: usize = 500;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetCookie {
    pub name: String,
    pub value: String,
    pub max_age_seconds: u64,
    pub domain: Option<String>,
    pub http_only: bool,
    /// `Lax` for `_fbp`/`_fbc` (Meta's Pixel reads them after cross-site arrivals), `Strict`
    /// for the enhancement cookie (as the peers set it).
    pub same_site: &'static str,
}

impl SetCookie {
    /// The `Set-Cookie` header value: Path=/, Secure, SameSite, HttpOnly when asked.
    pub fn header(&self) -> String {
        let mut h = String::with_capacity(self.name.len() + self.value.len() + 96);
        h.push_str(&self.name);
        h.push('=');
        h.push_str(&self.value);
        h.push_str("; Max-Age=");
        push_decimal(self.max_age_seconds, &mut h);
        h.push_str("; Path=/");
        if let Some(d) = &self.domain {
            h.push_str("; Domain=");
            h.push_str(d);
        }
        h.push_str("; Secure; SameSite=");
        h.push_str(self.same_site);
        if self.http_only {
            h.push_str("; HttpOnly");
        }
        h
    }
}

/// `{name, value, maxAge, domain (null: host-only), path, secure, httpOnly, sameSite, header}`
/// (`write_json`), or those by position (`write_row`: the wire result's form; see
/// `BuildOutput::write_wire`).
impl Record for SetCookie {
    fn write_fields(&self, w: &mut impl RecordWriter) {
        w.str("name", &self.name)
            .str("value", &self.value)
            .num("maxAge", self.max_age_seconds);
        match &self.domain {
            Some(domain) => w.str("domain", domain),
            None => w.null("domain"),
        };
        w.str("path", "/")
            .bool("secure", true)
            .bool("httpOnly", self.http_only)
            .str("sameSite", self.same_site)
            .str("header", &self.header());
    }
}

/// The cookie domain a setting gives for a page host: the registrable domain for `Auto` (none
/// for IP hosts and single labels), none for `Host`.
pub fn cookie_domain(setting: &CookieDomain, page_host: Option<&str>) -> Option<String> {
    match setting {
        CookieDomain::Host => None,
        CookieDomain::Explicit(d) => Some(d.clone()),
        // Host-only where the Public Suffix List gives no registrable domain (an IP,
        // `localhost`, a host that is itself a public suffix, an unknown TLD).
        CookieDomain::Auto => page_host.and_then(url::registrable_domain),
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClickIds {
    pub fbc: Option<String>,
    pub fbp: Option<String>,
    pub cookies: Vec<SetCookie>,
}

/// RFC 6265 cookie-octet: visible ASCII except `"`, `,`, `;` and `\\`. Anything else in a click
/// id could not be set as a cookie (and CR/LF would be a header injection).
fn is_cookie_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
}

/// `fb.<digits>.<digits>.<payload>[.<appendix>]`; for fbp the payload is digits too.
pub fn is_valid(value: &str, numeric_payload: bool) -> bool {
    if !value.bytes().all(is_cookie_octet) {
        return false;
    }
    // Split on the bytes (all ASCII by now) without collecting: this runs for both cookies of
    // every event.
    let mut parts = value.as_bytes().split(|&b| b == b'.');
    let (Some(fb), Some(subdomain), Some(time), Some(payload)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let appendix = parts.next();
    if parts.next().is_some() {
        return false;
    }
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    let appendix_ok = match appendix {
        None => true,
        // Cookie octets are ASCII: the byte length is the character count.
        Some(a) => APPENDIX_TOKENS.iter().any(|t| t.as_bytes() == a) || a.len() == 8,
    };
    fb == b"fb"
        && digits(subdomain)
        && digits(time)
        && if numeric_payload {
            digits(payload)
        } else {
            !payload.is_empty()
        }
        && appendix_ok
}

/// `fb.<subdomain index>.<ms>.` with room for the payload the caller appends (written digit by
/// digit: `format!` was most of building a click id).
fn fb_prefix(index: u32, ms: u64, payload_len: usize) -> String {
    let mut out = String::with_capacity(36 + payload_len);
    out.push_str("fb.");
    push_decimal(u64::from(index), &mut out);
    out.push('.');
    push_decimal(ms, &mut out);
    out.push('.');
    out
}

/// What the run knows that click ids derive from.
pub struct Inputs<'a> {
    pub event: &'a EventData<'a>,
    pub request: &'a RequestContext<'a>,
    pub page: &'a url::Page<'a>,
    pub now_ms: u64,
    pub random: u32,
}

pub fn resolve(config: &TagConfig, inp: &Inputs, report: &mut Report) -> ClickIds {
    let index = inp.page.subdomain_index;
    let existing_fbc = existing(inp, "_fbc", "fbc", false, report);
    let existing_fbp = existing(inp, "_fbp", "fbp", true, report);
    let fbc = match fbclid(inp, report) {
        // Same click as the stored cookie: keep its original creation time.
        Some(id) if existing_fbc.and_then(|c| c.split('.').nth(3)) == Some(id) => {
            existing_fbc.map(str::to_string)
        }
        Some(id) => fbc_with_index(index, id, inp.now_ms),
        None => existing_fbc.map(str::to_string),
    };
    let fbp = existing_fbp.map(str::to_string).or_else(|| {
        config.generate_fbp.then(|| {
            let mut fbp = fb_prefix(index, inp.now_ms, 10);
            push_decimal(u64::from(inp.random % 2_147_483_647), &mut fbp);
            fbp
        })
    });
    let domain = cookie_domain(&config.cookie_domain, inp.page.host());
    let max_age = u64::from(config.cookie_max_age_days) * 86_400;
    let cookie = |name: &str, value: &Option<String>| {
        // `cookies.extend: false`: what the visitor already has is not set again.
        let unchanged = inp.request.cookie(name) == value.as_deref();
        if unchanged && !config.cookies.extend {
            return None;
        }
        value.clone().map(|value| SetCookie {
            name: name.to_string(),
            value,
            max_age_seconds: max_age,
            domain: domain.clone(),
            http_only: config.cookies.http_only,
            same_site: "Lax",
        })
    };
    let cookies = [cookie("_fbc", &fbc), cookie("_fbp", &fbp)]
        .into_iter()
        .flatten()
        .collect();
    ClickIds { fbc, fbp, cookies }
}

/// The stored value: the request cookie first, then the event (`x-fb-ck-<key>`, `_<key>`, `<key>`).
fn existing<'a>(
    inp: &Inputs<'a>,
    cookie: &str,
    key: &str,
    numeric: bool,
    report: &mut Report,
) -> Option<&'a str> {
    let value = inp.request.cookie(cookie).or_else(|| {
        let event = inp.event;
        event
            .prefixed("x-fb-ck-", key)
            .and_then(trimmed_text)
            .or_else(|| event.first_str(&[cookie, key]))
    })?;
    if is_valid(value, numeric) {
        Some(value)
    } else {
        let message = format!(
            "{key} value is not fb.<subdomain>.<time>.<{}>: dropped",
            if numeric { "random" } else { "fbclid" }
        );
        report.warn(
            if numeric {
                "user_data.fbp_malformed"
            } else {
                "user_data.fbc_malformed"
            },
            format!("user_data.{key}"),
            message,
        );
        None
    }
}

/// A click id an fbc can carry: not too long, no '.', nothing a cookie cannot hold.
fn usable_fbclid(id: &str) -> bool {
    id.len() <= MAX_FBCLID_LEN && !id.contains('.') && id.bytes().all(is_cookie_octet)
}

/// `fb.<subdomain index of the page>.<click time>.<fbclid>`, verbatim; `None` for a click id
/// that cannot be one.
pub fn fbc_from_click(page_url: Option<&str>, fbclid: &str, click_ms: u64) -> Option<String> {
    let index = url::subdomain_index(page_url.and_then(url::host_of).as_deref());
    fbc_with_index(index, fbclid, click_ms)
}

/// [`fbc_from_click`] for a page whose subdomain index is known.
fn fbc_with_index(index: u32, fbclid: &str, click_ms: u64) -> Option<String> {
    usable_fbclid(fbclid).then(|| {
        let mut fbc = fb_prefix(index, click_ms, fbclid.len());
        fbc.push_str(fbclid);
        fbc
    })
}

/// `fbclid` from the page URL, the request URL, the Referer, then the event; verbatim.
fn fbclid<'a>(inp: &Inputs<'a>, report: &mut Report) -> Option<&'a str> {
    let from_urls = [
        inp.page.url,
        inp.request.url.as_deref(),
        inp.request.header("referer"),
    ]
    .into_iter()
    .flatten()
    .find_map(|u| url::query_param(u, "fbclid"));
    let id = from_urls.or_else(|| inp.event.get("fbclid").and_then(Value::as_str))?;
    let usable = usable_fbclid(id);
    if !usable {
        report.warn(
            "user_data.fbclid_unusable",
            "fbclid",
            "fbclid is too long or holds '.' or characters a cookie cannot carry: no fbc built from it",
        );
    }
    usable.then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn run(
        config: &TagConfig,
        event: &str,
        request: &str,
        page: Option<&str>,
    ) -> (ClickIds, Report) {
        let ev_json = parse(event).expect("event");
        let ev = EventData::new(&ev_json);
        let req_json = parse(request).expect("request");
        let req = RequestContext::from_json(&req_json);
        let page = url::Page::new(page);
        let inp = Inputs {
            event: &ev,
            request: &req,
            page: &page,
            now_ms: 1_700_000_000_123,
            random: 42,
        };
        let mut report = Report::default();
        (resolve(config, &inp, &mut report), report)
    }

    #[test]
    fn validates_cookie_format() {
        assert!(is_valid("fb.1.1554763741205.AbCdEf", false));
        assert!(is_valid("fb.1.1554763741205.AbCdEf.BA", false));
        assert!(is_valid("fb.0.1.x.ABCDEFGH", false));
        assert!(!is_valid("fb.0.1.x.ABCDEFGH", true));
        assert!(is_valid("fb.2.1596403881668.1116446470.AQQCAQIB", true));
        for bad in [
            "fb.1.155.",
            "fb.x.1.a",
            "gb.1.1.a",
            "fb.1.1",
            "fb.1.1.a.b.c",
            "fb.1.1.a.zz",
            "fb.1.1.abc",
            "fb.1.1.a\r\nSet-Cookie: x",
            "fb.1.1.a.",
            "fb.1.1.a.ABCDEFGHI",
            "fb..1.a",
            "fb.1.1..BA",
            "fb.1.1",
            "fbx.1.1.a",
            "fb.1.1.a;b",
            "fb.1.1.\"q\"",
        ] {
            assert!(!is_valid(bad, bad.ends_with("abc")), "{bad}");
        }
    }

    #[test]
    fn builds_fbc_from_fbclid_verbatim_and_generates_fbp() {
        let c = TagConfig::default();
        let (ids, r) = run(
            &c,
            "{}",
            "{}",
            Some("https://www.shop.example.com/p?fbclid=IwAR_Case-Kept"),
        );
        assert_eq!(
            ids.fbc.as_deref(),
            Some("fb.1.1700000000123.IwAR_Case-Kept")
        );
        assert_eq!(ids.fbp.as_deref(), Some("fb.1.1700000000123.42"));
        assert!(r.warnings.is_empty());
        let headers: Vec<String> = ids.cookies.iter().map(SetCookie::header).collect();
        assert_eq!(headers[0], "_fbc=fb.1.1700000000123.IwAR_Case-Kept; Max-Age=7776000; Path=/; Domain=example.com; Secure; SameSite=Lax");
        assert!(headers[1].starts_with("_fbp=fb.1.1700000000123.42;"));
    }

    #[test]
    fn keeps_the_cookie_for_the_same_click_and_replaces_it_for_a_new_one() {
        let c = TagConfig::default();
        let req =
            r#"{"cookies": {"_fbc": "fb.1.1600000000000.SAME", "_fbp": "fb.1.1600000000000.77"}}"#;
        let (ids, _) = run(&c, "{}", req, Some("https://example.com/?fbclid=SAME"));
        assert_eq!(ids.fbc.as_deref(), Some("fb.1.1600000000000.SAME"));
        assert_eq!(ids.fbp.as_deref(), Some("fb.1.1600000000000.77"));
        let (ids, _) = run(&c, "{}", req, Some("https://example.com/?fbclid=NEW"));
        assert_eq!(ids.fbc.as_deref(), Some("fb.1.1700000000123.NEW"));
    }

    #[test]
    fn malformed_cookies_are_dropped_with_a_warning() {
        let c = TagConfig {
            generate_fbp: false,
            ..TagConfig::default()
        };
        let (ids, r) = run(
            &c,
            r#"{"x-fb-ck-fbc": "fb.1.notatime.x"}"#,
            r#"{"cookies": {"_fbp": "garbage"}}"#,
            None,
        );
        assert_eq!((ids.fbc, ids.fbp), (None, None));
        assert!(r.has("user_data.fbc_malformed") && r.has("user_data.fbp_malformed"));
        assert!(ids.cookies.is_empty());
    }

    #[test]
    fn fbclid_from_referer_or_event_and_cookie_domain_settings() {
        let c = TagConfig {
            cookie_domain: CookieDomain::Host,
            ..TagConfig::default()
        };
        let (ids, _) = run(
            &c,
            "{}",
            r#"{"headers": {"referer": "https://a.com/?fbclid=REF"}}"#,
            None,
        );
        assert_eq!(ids.fbc.as_deref(), Some("fb.1.1700000000123.REF"));
        assert_eq!(ids.cookies[0].domain, None);
        let (ids, _) = run(
            &TagConfig::default(),
            r#"{"fbclid": "EV"}"#,
            "{}",
            Some("http://127.0.0.1:8080/"),
        );
        assert_eq!(ids.fbc.as_deref(), Some("fb.0.1700000000123.EV"));
        assert_eq!(ids.cookies[0].domain, None);
        let (_, r) = run(&TagConfig::default(), r#"{"fbclid": "a.b"}"#, "{}", None);
        assert!(r.has("user_data.fbclid_unusable"));
        let (ids, r) = run(
            &TagConfig::default(),
            r#"{"fbclid": "a\r\nSet-Cookie: evil=1"}"#,
            "{}",
            None,
        );
        assert!(r.has("user_data.fbclid_unusable") && ids.fbc.is_none());
    }
}

/// The byte-wise `is_valid` against the former one (a `Vec` of `str::split` parts), on strings
/// made of the characters that matter.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod props {
    use super::*;
    use proptest::prelude::*;

    fn reference(value: &str, numeric_payload: bool) -> bool {
        if !value.bytes().all(is_cookie_octet) {
            return false;
        }
        let parts: Vec<&str> = value.split('.').collect();
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let appendix_ok = match parts.get(4) {
            None => true,
            Some(a) => APPENDIX_TOKENS.contains(a) || a.chars().count() == 8,
        };
        (parts.len() == 4 || parts.len() == 5)
            && parts[0] == "fb"
            && digits(parts[1])
            && digits(parts[2])
            && if numeric_payload {
                digits(parts[3])
            } else {
                !parts[3].is_empty()
            }
            && appendix_ok
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]

        #[test]
        fn is_valid_agrees_with_the_former_split(
            value in "(fb|f|fbx)?(\\.[0-9]{0,3}|\\.[ABQgw]{0,9}|\\.é|\\.;| )*",
            numeric in any::<bool>(),
        ) {
            prop_assert_eq!(is_valid(&value, numeric), reference(&value, numeric), "{}", value);
        }
    }
}
