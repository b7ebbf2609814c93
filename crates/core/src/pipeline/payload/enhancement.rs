//! Event Enhancement (`eventEnhancement`): the visitor's *hashed* user data kept in a
//! first-party cookie, and used on later events of that browser that lack those keys.
//!
//! The cookie is the one Stape's and Meta's sGTM tags write (`_gtmeec` by default): standard
//! base64 of a JSON object `{em, ph, ln, fn, ct, st, zp, ge, db, country, external_id}` whose
//! values are SHA-256 hex hashes (a string, or a list of them), so a site moving from either tag
//! keeps its visitors' cookies. Unlike the peers it never stores or reads anything that is not a
//! hash (their cookies may also hold a plaintext `fb_login_id`: ignored here), the event's own
//! values always win, nothing is read or written when the event says ad_storage is denied or
//! `sendPii` is off, and a cookie that cannot be read is ignored with a warning.
use super::click_ids::{cookie_domain, SetCookie};
use super::user_fields::Record;
use crate::event_data::{EventData, RequestContext};
use crate::json::{self, Json, Value};
use crate::model::config::{EventEnhancement, TagConfig};
use crate::report::Report;

/// The keys kept, in the order the peers write them.
pub const KEYS: [&str; 11] = [
    "em",
    "ph",
    "ln",
    "fn",
    "ct",
    "st",
    "zp",
    "ge",
    "db",
    "country",
    "external_id",
];

/// The longest cookie value read or written: browsers keep about 4 KB per cookie (name and
/// attributes included), and a value past this is not one of ours.
pub const MAX_COOKIE_BYTES: usize = 3072;
/// Hashes kept per key: a shared device must not collect a household's addresses.
const MAX_VALUES_PER_KEY: usize = 3;

/// The settings when Event Enhancement applies to this event (enabled, PII on, ad_storage not
/// denied by the event).
pub fn active<'a>(config: &'a TagConfig, ev: &EventData) -> Option<&'a EventEnhancement> {
    let ee = config.event_enhancement.as_ref()?;
    (config.send_pii && !crate::privacy::ad_storage_denied(ev)).then_some(ee)
}

fn is_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The stored cookie's text: the request's cookie, else `common_cookie.<name>` in the event
/// (Stape's Data Client forwards cookies there).
fn stored_text(ee: &EventEnhancement, ev: &EventData, req: &RequestContext) -> Option<String> {
    req.cookie(&ee.cookie_name)
        .map(str::to_string)
        .or_else(|| {
            let common = ev.get("common_cookie")?;
            common.get(&ee.cookie_name)?.as_str().map(str::to_string)
        })
        .filter(|t| !t.trim().is_empty())
}

/// The hashes the stored cookie holds, per key (lowercased). Anything unreadable is reported
/// and ignored; never an error.
pub fn read(
    ee: &EventEnhancement,
    ev: &EventData,
    req: &RequestContext,
    report: &mut Report,
) -> Vec<(&'static str, Vec<String>)> {
    let Some(text) = stored_text(ee, ev, req) else {
        return Vec::new();
    };
    let field = ee.cookie_name.clone();
    let mut warn = |why: &str| {
        let message = format!("the {field} cookie {why}: ignored");
        report.warn(
            "event_enhancement.cookie_unreadable",
            field.clone(),
            message,
        );
    };
    if text.len() > MAX_COOKIE_BYTES {
        warn(&format!("is longer than {MAX_COOKIE_BYTES} bytes"));
        return Vec::new();
    }
    // Some servers percent-encode the padding.
    let text = text.trim().replace("%3D", "=").replace("%3d", "=");
    let bytes = crate::base64::decode(&text, false).or_else(|| crate::base64::decode(&text, true));
    let Some(object) = bytes
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|t| json::parse(&t).ok())
        .filter(|v| v.as_object().is_some())
    else {
        warn("is not base64 of a JSON object");
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut not_hashed = false;
    for key in KEYS {
        let values: Vec<&Json> = match object.get(key) {
            None | Some(Value::Null) => continue,
            Some(Value::Array(items)) => items.iter().collect(),
            Some(other) => vec![other],
        };
        let mut hashes = Vec::new();
        for v in values {
            match v.as_str().filter(|s| is_hash(s)) {
                Some(h) if hashes.len() < MAX_VALUES_PER_KEY => hashes.push(h.to_ascii_lowercase()),
                Some(_) => {}
                None => not_hashed = true,
            }
        }
        if !hashes.is_empty() {
            out.push((key, hashes));
        }
    }
    if not_hashed {
        warn("holds values that are not SHA-256 hashes (only hashes are used)");
    }
    out
}

/// Fill the keys the event lacks from the stored hashes (the event's own values win).
pub fn fill(record: &mut Record<'_>, stored: Vec<(&'static str, Vec<String>)>) {
    for (key, hashes) in stored {
        let has_own = record.iter().any(|(k, v)| k == key && !is_empty(v));
        if !has_own {
            record.retain(|(k, _)| k != key);
            let list = hashes.into_iter().map(Json::from).collect();
            record.push((key.into(), Value::Array(list)));
        }
    }
}

fn is_empty(v: &Value<'_>) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(items) => items.iter().all(is_empty),
        _ => false,
    }
}

/// The cookie value for a hashed `user_data`: `None` when it holds no kept key.
pub fn cookie_value(user_data: &Value<'_>) -> Option<String> {
    let encode = |per_key: usize| {
        let mut object = Value::Object(Vec::new());
        for key in KEYS {
            let hashes: Vec<&str> = match user_data.get(key) {
                Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
                Some(Value::String(s)) => vec![&**s],
                _ => continue,
            };
            let hashes: Vec<&str> = hashes
                .into_iter()
                .filter(|h| is_hash(h))
                .take(per_key)
                .collect();
            // One value as a string, as the peers write it (and read it back).
            match hashes.as_slice() {
                [] => {}
                [one] => object.set(key, Json::from(*one)),
                many => object.set(key, Json::from(many.to_vec())),
            }
        }
        let empty = object.as_object().is_none_or(|o| o.is_empty());
        (!empty).then(|| crate::base64::encode(object.to_json().as_bytes()))
    };
    let value = encode(MAX_VALUES_PER_KEY)?;
    if value.len() <= MAX_COOKIE_BYTES {
        Some(value)
    } else {
        encode(1)
    }
}

/// The enhancement cookie to set for this event's hashed `user_data` (HttpOnly, SameSite=Strict
/// as the peers set it; not set again unchanged when `cookies.extend` is off).
pub fn cookie(
    config: &TagConfig,
    ee: &EventEnhancement,
    user_data: &Value<'_>,
    page_host: Option<&str>,
    req: &RequestContext,
) -> Option<SetCookie> {
    let value = cookie_value(user_data)?;
    if !config.cookies.extend && req.cookie(&ee.cookie_name) == Some(value.as_str()) {
        return None;
    }
    let setting = ee.domain.as_ref().unwrap_or(&config.cookie_domain);
    Some(SetCookie {
        name: ee.cookie_name.clone(),
        value,
        max_age_seconds: u64::from(config.cookie_max_age_days) * 86_400,
        domain: cookie_domain(setting, page_host),
        http_only: true,
        same_site: "Strict",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn ee() -> EventEnhancement {
        EventEnhancement {
            cookie_name: "_gtmeec".into(),
            domain: None,
        }
    }

    fn read_cookie(value: &str) -> (Vec<(&'static str, Vec<String>)>, Report) {
        let req = RequestContext {
            cookies: vec![("_gtmeec".into(), value.into())],
            ..RequestContext::default()
        };
        let event = Value::Object(Vec::new());
        let mut report = Report::default();
        let out = read(&ee(), &EventData::new(&event), &req, &mut report);
        (out, report)
    }

    // Meta's template test: the cookie it writes for foo@bar.com / 1234567890.
    const META_COOKIE: &str = "eyJlbSI6IjBjN2U2YTQwNTg2MmU0MDJlYjc2YTcwZjhhMjZmYzczMmQwN2MzMjkzMWU5ZmFlOWFiMTU4MjkxMWQyZThhM2IiLCJwaCI6ImM3NzVlN2I3NTdlZGU2MzBjZDBhYTExMTNiZDEwMjY2MWFiMzg4MjljYTUyYTY0MjJhYjc4Mjg2MmYyNjg2NDYifQ==";
    const EM: &str = "0c7e6a405862e402eb76a70f8a26fc732d07c32931e9fae9ab1582911d2e8a3b";
    const PH: &str = "c775e7b757ede630cd0aa1113bd102661ab38829ca52a6422ab782862f268646";

    #[test]
    fn writes_the_peers_format_byte_for_byte() {
        let ud = parse(&format!(
            r#"{{"client_user_agent": "UA", "ph": ["{PH}"], "em": ["{EM}"], "fbp": "fb.1.1.1"}}"#
        ))
        .expect("json");
        assert_eq!(cookie_value(&ud).as_deref(), Some(META_COOKIE));
        assert_eq!(
            cookie_value(&parse(r#"{"fbp": "fb.1.1.1"}"#).expect("json")),
            None
        );
    }

    #[test]
    fn reads_the_peers_cookie_and_only_hashes() {
        let (out, r) = read_cookie(META_COOKIE);
        assert_eq!(
            out,
            vec![("em", vec![EM.to_string()]), ("ph", vec![PH.to_string()])]
        );
        assert!(r.warnings.is_empty());
        let mixed = crate::base64::encode(
            format!(
                r#"{{"em": "me@example.com", "fn": ["{}"], "fb_login_id": 1}}"#,
                EM.to_uppercase()
            )
            .as_bytes(),
        );
        let (out, r) = read_cookie(&mixed);
        assert_eq!(out, vec![("fn", vec![EM.to_string()])]);
        assert!(r.has("event_enhancement.cookie_unreadable"));
    }

    #[test]
    fn malformed_or_oversized_cookies_are_ignored_with_a_warning() {
        for bad in ["%%%", "bm90IGpzb24=", "WzFd", "", "e30"] {
            let (out, _) = read_cookie(bad);
            assert!(out.is_empty(), "{bad}");
        }
        let (_, r) = read_cookie("bm90IGpzb24=");
        assert!(r.has("event_enhancement.cookie_unreadable"));
        let (out, r) = read_cookie(&"A".repeat(MAX_COOKIE_BYTES + 4));
        assert!(out.is_empty() && r.has("event_enhancement.cookie_unreadable"));
    }

    #[test]
    fn the_events_own_values_win() {
        let mut record = vec![
            ("em".into(), Json::from("own@example.com")),
            ("ph".into(), Json::from("  ")),
        ];
        fill(
            &mut record,
            vec![("em", vec![EM.into()]), ("ph", vec![PH.into()])],
        );
        assert_eq!(
            Value::Object(record).to_json(),
            format!(r#"{{"em":"own@example.com","ph":["{PH}"]}}"#)
        );
    }
}
