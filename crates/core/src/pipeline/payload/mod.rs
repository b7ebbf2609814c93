//! Payload construction: sGTM event data + request context -> one Meta server event (with the
//! first-party cookies to set). Privacy rules and validation come after, in `crate::tag`.
mod app_data;
mod click_ids;
mod currencies;
mod custom_data;
mod enhancement;
mod event_name;
mod user_fields;

pub use app_data::EXTINFO_LEN;
pub use click_ids::{fbc_from_click, is_valid as is_valid_click_id, SetCookie};
pub use custom_data::MAX_CONTENTS;
pub use enhancement::MAX_COOKIE_BYTES as MAX_ENHANCEMENT_COOKIE_BYTES;
pub use event_name::{meta_event_name, STANDARD_EVENTS};

use crate::event_data::{trimmed_text, EventData, RequestContext};
use crate::json::{Json, Value};
use crate::model::config::{EventEnhancement, TagConfig};
use crate::normalize::Context;
use crate::report::Report;
use crate::user_data::{hash_user_data, HashedUserData};
use crate::{ip, url};

/// The clock and randomness of one run (from the host; fixed in tests and `--now`).
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    pub now_ms: u64,
    pub entropy: [u8; 16],
}

impl Clock {
    pub fn now_s(&self) -> i64 {
        i64::try_from(self.now_ms / 1000).unwrap_or(i64::MAX)
    }

    /// The UTC calendar year (date-of-birth checks use it).
    pub fn year(&self) -> i32 {
        let (year, _, _) = crate::logging::civil_date(self.now_ms);
        i32::try_from(year).unwrap_or(i32::MAX)
    }

    fn random_u32(&self) -> u32 {
        u32::from_le_bytes([
            self.entropy[0],
            self.entropy[1],
            self.entropy[2],
            self.entropy[3],
        ])
    }

    /// A version-4 UUID from the entropy: a fresh event_id when the event has none.
    pub fn uuid(&self) -> String {
        let mut b = self.entropy;
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        const HEX: &[u8; 16] = b"0123456789abcdef";
        // Written straight into one string (8-4-4-4-12 hex digits): this runs for every event
        // without an id, and `format!` of five slices cost more than the rest of it.
        let mut out = String::with_capacity(36);
        for (i, x) in b.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                out.push('-');
            }
            out.push(char::from(HEX[usize::from(x >> 4)]));
            out.push(char::from(HEX[usize::from(x & 15)]));
        }
        out
    }
}

/// The Meta server event borrows the event's text (its ids, URLs, product fields) until it is
/// written as the request body: a Purchase's strings are not copied.
pub struct Built<'a> {
    pub event: Value<'a>,
    pub cookies: Vec<SetCookie>,
}

/// Build the Meta server event. Problems found on the way go into `report`.
pub fn build_event<'a>(
    config: &'a TagConfig,
    ev: &EventData<'a>,
    req: &RequestContext,
    clock: Clock,
    report: &mut Report,
) -> Built<'a> {
    let sed = |key: &str| sed_text(ev, key);
    // Each field is pushed once, in Meta's order (no search for an earlier one), into room
    // for all of them.
    let mut event = Value::Object(Vec::with_capacity(12));

    let incoming = ev.str_at("event_name");
    if let Some(fixed) = config
        .event_name
        .as_deref()
        .filter(|n| !event_name::is_standard(n))
    {
        if config.custom_event_name.is_none() {
            let message = format!("eventName \"{fixed}\" is not a Meta standard event: it is sent as a custom event (use customEventName to say so)");
            report.warn("config.event_name_not_standard", "eventName", message);
        }
    }
    if let Some(name) = event_name::meta_event_name(config, incoming) {
        event.push("event_name", Value::str(name));
    }
    event.push("event_time", Json::from(event_time(ev, clock, report)));
    let event_id = config
        .event_id
        .as_deref()
        .or_else(|| sed("event_id"))
        .or_else(|| ev.first_str(&["x-fb-event_id", "event_id"]))
        .map_or_else(|| Json::from(clock.uuid()), Value::str);
    event.push("event_id", event_id);
    // The page URL as given: click ids (fbclid) are read from it; Meta gets it without PII.
    let page_url = page_url(ev);
    if let Some(url) = page_url {
        event.push(
            "event_source_url",
            url_without_pii(url, "event_source_url", report),
        );
    }
    if let Some(referrer) = sed("referrer_url").or_else(|| ev.str_at("page_referrer")) {
        event.push(
            "referrer_url",
            url_without_pii(referrer, "referrer_url", report),
        );
    }
    // The event's own action_source (Meta's tag reads the plain key) beats the config's.
    let action_source = sed("action_source")
        .or_else(|| ev.str_at("action_source"))
        .unwrap_or(&config.action_source)
        .to_ascii_lowercase();
    event.push("action_source", Json::from(action_source.as_str()));
    if let Some(opt_out) = ev.get("x-fb-sed-opt_out") {
        let flag = match opt_out {
            Value::String(s) if s == "true" || s == "false" => Value::Bool(s == "true"),
            other => other.clone(),
        };
        event.push("opt_out", flag);
    }

    let page = url::Page::new(page_url);
    let ids = click_ids(config, ev, req, &page, clock, report);
    let enhancement = enhancement::active(config, ev);
    let mut hashed = hashed_user_data(config, ev, req, enhancement, clock, report);
    // Plain keys the build decides, last (replacing the event's own): set on the hashed record
    // (hashing passes plain keys through as they are), so their new text is not copied again.
    let ip = client_ip(config, ev, req, report);
    set_last(&mut hashed.data, "client_ip_address", ip);
    set_last(&mut hashed.data, "fbc", ids.fbc.map(Value::from));
    set_last(&mut hashed.data, "fbp", ids.fbp.map(Value::from));
    for d in &hashed.dropped {
        let message = format!("{} value #{} was not sent: {}", d.field, d.index, d.reason);
        report.warn(
            "user_data.value_dropped",
            format!("user_data.{}", d.field),
            message,
        );
    }
    let mut cookies = ids.cookies;
    if let Some(ee) = enhancement {
        cookies.extend(enhancement::cookie(
            config,
            ee,
            &hashed.data,
            page.host(),
            req,
        ));
    }
    event.push("user_data", hashed.data);

    let custom = custom_data::build(config, ev, report);
    if custom.as_object().is_some_and(|o| !o.is_empty()) {
        event.push("custom_data", custom);
    }
    if let Some(app) = app_data::build(config, ev, &action_source, report) {
        event.push("app_data", app);
    }
    let name = event.get("event_name").and_then(Value::as_str);
    if let Some(original) = original_event_data(config, ev, name) {
        event.push("original_event_data", original);
    }
    crate::privacy::apply_data_processing(config, ev, &mut event);
    // Any other server-event field (customer_segmentation, messaging_channel, ...) can be
    // given as x-fb-sed-<field>; the fields handled above keep their handling.
    for (key, value) in ev.with_prefix("x-fb-sed-") {
        let handled = key.starts_with("data_processing_options")
            || key == "app_data"
            || key == "original_event_data";
        if event.get(key).is_none() && !handled {
            event.push(key, value.clone());
        }
    }
    Built { event, cookies }
}

/// `original_event_data`: the config's `originalEventData` (for `AppendValue` events), then the
/// event's `original_event_data` / `x-fb-sed-original_event_data` object (any event), key by key.
fn original_event_data<'a>(
    config: &'a TagConfig,
    ev: &EventData<'a>,
    event_name: Option<&str>,
) -> Option<Value<'a>> {
    let mut out = Value::Object(Vec::new());
    if event_name == Some("AppendValue") {
        for (k, v) in &config.original_event_data {
            out.set(k.as_ref(), v.clone());
        }
    }
    let own = [
        ev.root().get("original_event_data"),
        ev.prefixed("x-fb-sed-", "original_event_data"),
    ];
    for pairs in own.into_iter().flatten().filter_map(Value::as_object) {
        for (k, v) in pairs.iter().filter(|(_, v)| !v.is_null()) {
            out.set(k.as_ref(), v.clone());
        }
    }
    out.as_object()
        .is_some_and(|o| !o.is_empty())
        .then_some(out)
}

/// An `x-fb-sed-<key>` override of a server-event field, as trimmed text.
fn sed_text<'a>(ev: &EventData<'a>, key: &str) -> Option<&'a str> {
    ev.prefixed("x-fb-sed-", key).and_then(trimmed_text)
}

/// A URL for Meta with its email / phone / name parameters removed (`url::without_pii`), and a
/// warning naming the field when there were some.
fn url_without_pii<'a>(url: &'a str, field: &str, report: &mut Report) -> Value<'a> {
    let clean = url::without_pii(url);
    if clean != url {
        report.warn(
            "event.url_pii_removed",
            field,
            format!("{field} carried an email, phone number or name in its query: those parameters were removed (Meta: no PII in URLs)"),
        );
    }
    Value::String(clean)
}

/// The page: `x-fb-sed-event_source_url`, else GA4's `page_location`.
fn page_url<'a>(ev: &EventData<'a>) -> Option<&'a str> {
    sed_text(ev, "event_source_url").or_else(|| ev.str_at("page_location"))
}

fn click_ids(
    config: &TagConfig,
    ev: &EventData,
    req: &RequestContext,
    page: &url::Page,
    clock: Clock,
    report: &mut Report,
) -> click_ids::ClickIds {
    let inputs = click_ids::Inputs {
        event: ev,
        request: req,
        page,
        now_ms: clock.now_ms,
        random: clock.random_u32(),
    };
    click_ids::resolve(config, &inputs, report)
}

/// Only the first-party cookies a build would set (the container answers with them before the
/// tags run): the same values as `build_event`'s, for a fraction of its work.
pub fn cookies(
    config: &TagConfig,
    ev: &EventData,
    req: &RequestContext,
    clock: Clock,
) -> Vec<SetCookie> {
    let page = url::Page::new(page_url(ev));
    let mut report = Report::default();
    let mut cookies = click_ids(config, ev, req, &page, clock, &mut report).cookies;
    // The enhancement cookie needs the hashed user data (only when the feature is on).
    if let Some(ee) = enhancement::active(config, ev) {
        let hashed = hashed_user_data(config, ev, req, Some(ee), clock, &mut report);
        cookies.extend(enhancement::cookie(
            config,
            ee,
            &hashed.data,
            page.host(),
            req,
        ));
    }
    cookies
}

/// The event's user_data record, hashed: its mapped fields, with what the enhancement cookie
/// stored filled in where the event lacks it (when that feature is on).
fn hashed_user_data<'a>(
    config: &'a TagConfig,
    ev: &EventData<'a>,
    req: &RequestContext,
    enhancement: Option<&EventEnhancement>,
    clock: Clock,
    report: &mut Report,
) -> HashedUserData<'a> {
    let mut raw = user_fields::collect(config, ev, req);
    if let Some(ee) = enhancement {
        enhancement::fill(&mut raw, enhancement::read(ee, ev, req, report));
    }
    let ctx = Context {
        current_year: clock.year(),
    };
    hash_user_data(&raw, ctx)
}

/// `key` moved to the end of an object with its new value, when there is one.
fn set_last<'a>(object: &mut Value<'a>, key: &'static str, value: Option<Value<'a>>) {
    if let (Value::Object(pairs), Some(v)) = (object, value) {
        pairs.retain(|(k, _)| k != key);
        pairs.push((key.into(), v));
    }
}

/// `event_time` from the event (seconds or milliseconds, number or text), else now.
fn event_time(ev: &EventData, clock: Clock, report: &mut Report) -> u64 {
    let Some(raw) = ev.first_str(&["x-fb-sed-event_time", "event_time"]) else {
        return clock.now_ms / 1000;
    };
    match crate::number::whole(raw) {
        Some(t) if !t.negative && t.value > 0 => {
            // Above 10^11 it can only be milliseconds (10^11 s is the year 5138).
            if t.value > 100_000_000_000 {
                t.value / 1000
            } else {
                t.value
            }
        }
        _ => {
            report.warn(
                "event.event_time_unreadable",
                "event_time",
                "event_time is not a number: the current time is used",
            );
            clock.now_ms / 1000
        }
    }
}

/// `client_ip_address`: `x-fb-ud-client_ip_address`, `ip_override`, the request's
/// `X-Forwarded-For`, then its remote address; the first public address of that list.
fn client_ip(
    config: &TagConfig,
    ev: &EventData,
    req: &RequestContext,
    report: &mut Report,
) -> Option<Json> {
    let list = ev
        .first_str(&["x-fb-ud-client_ip_address", "ip_override"])
        .or_else(|| req.header("x-forwarded-for"))
        .or(req.remote_address.as_deref())?;
    let Some(ip) = ip::pick(list) else {
        report.warn(
            "user_data.client_ip_not_public",
            "user_data.client_ip_address",
            "no public IP address in the client IP list: none sent",
        );
        return None;
    };
    ip::anonymize(ip, config.ip_handling).map(|ip| Json::from(ip.text()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_year_and_uuid() {
        let c = Clock {
            now_ms: 1_764_331_200_000,
            entropy: [0xab; 16],
        };
        assert_eq!(c.year(), 2025);
        assert_eq!(Clock { now_ms: 0, ..c }.year(), 1970);
        assert_eq!(
            Clock {
                now_ms: 951_782_400_000,
                ..c
            }
            .year(),
            2000
        );
        assert_eq!(c.uuid(), "abababab-abab-4bab-abab-abababababab");
        let mut entropy = [0u8; 16];
        for (i, b) in (0u8..).zip(entropy.iter_mut()) {
            *b = i * 17;
        }
        let c = Clock { entropy, ..c };
        assert_eq!(c.uuid(), "00112233-4455-4677-8899-aabbccddeeff");
    }
}
