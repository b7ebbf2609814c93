//! Validation of a built Meta server event against Meta's documented rules, and of a request's
//! event count. Works on the final JSON, so it checks what would actually be sent.
use crate::json::Value;
use crate::model::config::ACTION_SOURCES;
use crate::report::Report;

pub const MAX_EVENTS_PER_REQUEST: usize = 1000;
const DAY: i64 = 86_400;
/// How far in the future an event_time may be (clock skew between hosts).
pub const MAX_FUTURE_SKEW_SECONDS: i64 = 300;

/// Customer-information keys (what Meta matches on): the hashed keys, and these plain ones.
fn is_match_key(key: &str) -> bool {
    use crate::normalize::{Field, PLAIN_MATCH_KEYS};
    Field::from_key(key).is_some() || PLAIN_MATCH_KEYS.contains(&key)
}

/// Meta (since Graph v13.0): an event whose customer information is only one of these sets, or
/// a subset of one, is rejected.
const INSUFFICIENT_SETS: [&[&str]; 4] = [
    &["ct", "country", "st", "zp", "ge", "client_user_agent"],
    &["db", "client_user_agent"],
    &["fn", "ge"],
    &["ln", "ge"],
];

/// An integer-valued JSON number (no fraction).
fn integer(v: Option<&Value<'_>>) -> Option<i64> {
    match v? {
        Value::Number(n) => {
            let w = crate::number::whole(n).filter(|w| !w.has_fraction)?;
            let value = i64::try_from(w.value).ok()?;
            Some(if w.negative { -value } else { value })
        }
        _ => None,
    }
}

/// Check `event` as it will be sent: `added_keys` are the `user_data` keys enrichment will add
/// (they count as matching keys).
pub fn validate_event(event: &Value<'_>, added_keys: &[&str], now_s: i64, report: &mut Report) {
    let text = |k: &str| {
        event
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    if text("event_name").is_none() {
        report.error(
            "event.event_name_missing",
            "event_name",
            "no event name: set event_name in the event or eventName in the config",
        );
    }
    let action_source = text("action_source").unwrap_or_default();
    if !ACTION_SOURCES.contains(&action_source) {
        let message = format!(
            "action_source \"{action_source}\" is not one of {}",
            ACTION_SOURCES.join(", ")
        );
        report.error("event.action_source_invalid", "action_source", message);
    }
    event_time(event, action_source, now_s, report);
    let user_data = event.get("user_data");
    if action_source == "website" {
        if text("event_source_url").is_none() {
            report.error(
                "website.event_source_url_missing",
                "event_source_url",
                "website events need event_source_url (page_location)",
            );
        }
        if user_data.and_then(|u| u.get("client_user_agent")).is_none() {
            report.error(
                "website.client_user_agent_missing",
                "user_data.client_user_agent",
                "website events need client_user_agent (user_agent)",
            );
        }
    }
    if action_source == "app" {
        app_data(event.get("app_data"), report);
    }
    if let Some(url) = text("event_source_url") {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            report.warn(
                "event.event_source_url_not_absolute",
                "event_source_url",
                "event_source_url should be an absolute http(s) URL",
            );
        }
    }
    matching_keys(user_data, added_keys, report);
    let custom = event.get("custom_data");
    if text("event_name") == Some("Purchase") {
        if custom.and_then(|c| c.get("value")).is_none() {
            report.error(
                "purchase.value_missing",
                "custom_data.value",
                "Purchase events need a value",
            );
        }
        if custom.and_then(|c| c.get("currency")).is_none() {
            report.error(
                "purchase.currency_missing",
                "custom_data.currency",
                "Purchase events need a currency (ISO 4217)",
            );
        }
    }
    if let Some(opt_out) = event.get("opt_out") {
        if !matches!(opt_out, Value::Bool(_)) {
            report.error(
                "event.opt_out_invalid",
                "opt_out",
                "opt_out must be true or false",
            );
        }
    }
    data_processing(event, report);
}

/// App events (Meta's app-data parameters): `app_data` with `advertiser_tracking_enabled` (0 or
/// 1), `application_tracking_enabled` 0 or 1 when given, and `extinfo`: 16 strings, the first
/// `a2` (Android) or `i2` (iOS), the fifth (OS version) not empty. No website requirement.
fn app_data(app: Option<&Value<'_>>, report: &mut Report) {
    let Some(app) = app.filter(|a| a.as_object().is_some()) else {
        report.error(
            "app.app_data_missing",
            "app_data",
            "app events need app_data (advertiser_tracking_enabled, extinfo)",
        );
        return;
    };
    let flag_ok = |v: &Value<'_>| matches!(v, Value::Number(n) if n == "0" || n == "1");
    match app.get("advertiser_tracking_enabled") {
        Some(v) if flag_ok(v) => {}
        _ => report.error(
            "app.advertiser_tracking_enabled_invalid",
            "app_data.advertiser_tracking_enabled",
            "app events need app_data.advertiser_tracking_enabled: 0 or 1",
        ),
    }
    if app
        .get("application_tracking_enabled")
        .is_some_and(|v| !flag_ok(v))
    {
        report.error(
            "app.application_tracking_enabled_invalid",
            "app_data.application_tracking_enabled",
            "app_data.application_tracking_enabled must be 0 or 1",
        );
    }
    let extinfo = app.get("extinfo").and_then(Value::as_array);
    let Some(info) = extinfo.filter(|i| {
        i.len() == crate::payload::EXTINFO_LEN && i.iter().all(|v| v.as_str().is_some())
    }) else {
        report.error(
            "app.extinfo_invalid",
            "app_data.extinfo",
            "app_data.extinfo must be an array of 16 strings",
        );
        return;
    };
    if !matches!(info[0].as_str(), Some("a2" | "i2")) {
        report.error(
            "app.extinfo_version_invalid",
            "app_data.extinfo[0]",
            "app_data.extinfo[0] must be \"a2\" (Android) or \"i2\" (iOS): set x-ga-platform or extinfo",
        );
    }
    if info[4].as_str().is_none_or(|v| v.trim().is_empty()) {
        report.error(
            "app.extinfo_os_version_missing",
            "app_data.extinfo[4]",
            "app_data.extinfo[4] (the OS version) is required: set x-ga-os_version or extinfo",
        );
    }
}

fn event_time(event: &Value<'_>, action_source: &str, now_s: i64, report: &mut Report) {
    let Some(t) = integer(event.get("event_time")) else {
        report.error(
            "event.event_time_invalid",
            "event_time",
            "event_time must be an integer (unix seconds)",
        );
        return;
    };
    // Meta accepts 7 days; physical-store uploads may be 62 days old.
    let max_age_days = if action_source == "physical_store" {
        62
    } else {
        7
    };
    if now_s.saturating_sub(t) > max_age_days * DAY {
        let message = format!("event_time is more than {max_age_days} days in the past: Meta rejects the whole request");
        report.error("event.event_time_too_old", "event_time", message);
    }
    if t.saturating_sub(now_s) > MAX_FUTURE_SKEW_SECONDS {
        report.error(
            "event.event_time_in_future",
            "event_time",
            "event_time is in the future (beyond 5 minutes of clock skew)",
        );
    }
}

fn matching_keys(user_data: Option<&Value<'_>>, added_keys: &[&str], report: &mut Report) {
    let present = || {
        user_data
            .and_then(Value::as_object)
            .unwrap_or_default()
            .iter()
            .map(|(k, _)| &**k)
            .chain(added_keys.iter().copied())
            .filter(|k| is_match_key(k))
    };
    let insufficient = INSUFFICIENT_SETS
        .iter()
        .any(|set| present().all(|k| set.contains(&k)));
    if insufficient {
        let present: Vec<&str> = present().collect();
        let message = if present.is_empty() {
            "no customer information: Meta needs at least one matching key (em, ph, external_id, fbc, fbp, client_ip_address with client_user_agent, ...)".to_string()
        } else {
            format!(
                "customer information {} is too thin for Meta to match (see Meta's baseline rule)",
                present.join("+")
            )
        };
        report.error("user_data.insufficient_matching_keys", "user_data", message);
    }
}

fn data_processing(event: &Value<'_>, report: &mut Report) {
    let Some(options) = event.get("data_processing_options") else {
        return;
    };
    let items: Option<Vec<&str>> = options
        .as_array()
        .map(|a| a.iter().map(|i| i.as_str().unwrap_or("?")).collect());
    let ldu = match items.as_deref() {
        Some([]) => false,
        Some(["LDU"]) => true,
        _ => {
            report.error(
                "ldu.options_invalid",
                "data_processing_options",
                "data_processing_options must be [] or [\"LDU\"]",
            );
            return;
        }
    };
    let country = integer(event.get("data_processing_options_country"));
    let state = integer(event.get("data_processing_options_state"));
    if ldu && country.is_none() {
        report.error(
            "ldu.country_missing",
            "data_processing_options_country",
            "LDU needs data_processing_options_country (1 = USA, 0 = geolocate)",
        );
    }
    if country.is_some() && state.is_none() {
        report.error(
            "ldu.state_missing",
            "data_processing_options_state",
            "a data processing country needs a state too (1000 = California, 0 = geolocate)",
        );
    }
    if country.is_some_and(|c| c != 0 && c != 1) {
        report.error(
            "ldu.country_invalid",
            "data_processing_options_country",
            "data_processing_options_country must be 0 or 1",
        );
    }
    if state.is_some_and(|s| s != 0 && s != 1000) {
        report.error(
            "ldu.state_invalid",
            "data_processing_options_state",
            "data_processing_options_state must be 0 or 1000",
        );
    }
}

/// A request must carry 1 to 1,000 events.
pub fn validate_event_count(count: usize, report: &mut Report) {
    if count == 0 {
        report.error(
            "request.no_events",
            "data",
            "a request needs at least one event",
        );
    } else if count > MAX_EVENTS_PER_REQUEST {
        let message =
            format!("{count} events: Meta takes at most {MAX_EVENTS_PER_REQUEST} per request");
        report.error("request.too_many_events", "data", message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    const NOW: i64 = 1_700_000_000;

    fn codes(event: &str) -> Vec<&'static str> {
        let mut r = Report::default();
        validate_event(&parse(event).expect("event"), &[], NOW, &mut r);
        r.errors.iter().chain(&r.warnings).map(|i| i.code).collect()
    }

    const UD: &str = r#""user_data": {"em": ["h"], "client_user_agent": "UA"}"#;

    #[test]
    fn keys_enrichment_adds_count_as_matching_keys() {
        let e = parse(&format!(
            r#"{{"event_name": "Lead", "event_time": {NOW}, "action_source": "system_generated"}}"#
        ))
        .expect("event");
        let run = |added: &[&str]| {
            let mut r = Report::default();
            validate_event(&e, added, NOW, &mut r);
            r.has("user_data.insufficient_matching_keys")
        };
        assert!(run(&[]));
        assert!(!run(&["external_id"]));
        assert!(run(&["ge"]), "an added key is judged like any other");
    }

    #[test]
    fn a_good_website_event_passes() {
        let e = format!(
            r#"{{"event_name": "PageView", "event_time": {NOW}, "action_source": "website", "event_source_url": "https://x.com/", {UD}}}"#
        );
        assert_eq!(codes(&e), Vec::<&str>::new());
    }

    #[test]
    fn each_rule_has_its_code() {
        let rows: &[(&str, &str)] = &[
            (
                r#"{"event_time": 1700000000, "action_source": "email", "user_data": {"em": ["h"]}}"#,
                "event.event_name_missing",
            ),
            (
                r#"{"event_name": "X", "event_time": 1700000000, "action_source": "web", "user_data": {"em": ["h"]}}"#,
                "event.action_source_invalid",
            ),
            (
                r#"{"event_name": "X", "event_time": "soon", "action_source": "email", "user_data": {"em": ["h"]}}"#,
                "event.event_time_invalid",
            ),
            (
                r#"{"event_name": "X", "event_time": 1699395199, "action_source": "email", "user_data": {"em": ["h"]}}"#,
                "event.event_time_too_old",
            ),
            (
                r#"{"event_name": "X", "event_time": 1700000301, "action_source": "email", "user_data": {"em": ["h"]}}"#,
                "event.event_time_in_future",
            ),
            (
                r#"{"event_name": "X", "event_time": 1700000000, "action_source": "website", "user_data": {"em": ["h"], "client_user_agent": "UA"}}"#,
                "website.event_source_url_missing",
            ),
            (
                r#"{"event_name": "X", "event_time": 1700000000, "action_source": "website", "event_source_url": "https://x", "user_data": {"em": ["h"]}}"#,
                "website.client_user_agent_missing",
            ),
            (
                r#"{"event_name": "Purchase", "event_time": 1700000000, "action_source": "email", "user_data": {"em": ["h"]}, "custom_data": {"currency": "USD"}}"#,
                "purchase.value_missing",
            ),
            (
                r#"{"event_name": "Purchase", "event_time": 1700000000, "action_source": "email", "user_data": {"em": ["h"]}, "custom_data": {"value": 1}}"#,
                "purchase.currency_missing",
            ),
            (
                r#"{"event_name": "X", "event_time": 1700000000, "action_source": "email", "user_data": {"fn": ["h"], "ge": ["h"]}}"#,
                "user_data.insufficient_matching_keys",
            ),
            (
                r#"{"event_name": "X", "event_time": 1700000000, "action_source": "email", "user_data": {}}"#,
                "user_data.insufficient_matching_keys",
            ),
            (
                r#"{"event_name": "X", "event_time": 1700000000, "action_source": "email", "opt_out": "yes", "user_data": {"em": ["h"]}}"#,
                "event.opt_out_invalid",
            ),
            (
                r#"{"event_name": "X", "event_time": 1700000000, "action_source": "email", "user_data": {"em": ["h"]}, "data_processing_options": "LDU"}"#,
                "ldu.options_invalid",
            ),
            (
                r#"{"event_name": "X", "event_time": 1700000000, "action_source": "email", "user_data": {"em": ["h"]}, "data_processing_options": ["LDU"]}"#,
                "ldu.country_missing",
            ),
            (
                r#"{"event_name": "X", "event_time": 1700000000, "action_source": "email", "user_data": {"em": ["h"]}, "data_processing_options": ["LDU"], "data_processing_options_country": 1}"#,
                "ldu.state_missing",
            ),
            (
                r#"{"event_name": "X", "event_time": 1700000000, "action_source": "email", "user_data": {"em": ["h"]}, "data_processing_options": ["LDU"], "data_processing_options_country": 2, "data_processing_options_state": 0}"#,
                "ldu.country_invalid",
            ),
            (
                r#"{"event_name": "X", "event_time": 1700000000, "action_source": "email", "user_data": {"em": ["h"]}, "data_processing_options": ["LDU"], "data_processing_options_country": 1, "data_processing_options_state": 6}"#,
                "ldu.state_invalid",
            ),
            (
                r#"{"event_name": "X", "event_time": 1700000000, "action_source": "email", "event_source_url": "/p", "user_data": {"em": ["h"]}}"#,
                "event.event_source_url_not_absolute",
            ),
        ];
        for (event, code) in rows {
            assert_eq!(codes(event), vec![*code], "{event}");
        }
    }

    #[test]
    fn physical_store_events_may_be_62_days_old() {
        let old = NOW - 30 * DAY;
        let e = format!(
            r#"{{"event_name": "Purchase", "event_time": {old}, "action_source": "physical_store", "user_data": {{"ph": ["h"]}}, "custom_data": {{"value": 1, "currency": "USD"}}}}"#
        );
        assert_eq!(codes(&e), Vec::<&str>::new());
    }

    #[test]
    fn event_counts() {
        let mut r = Report::default();
        validate_event_count(1000, &mut r);
        assert!(r.is_valid());
        validate_event_count(1001, &mut r);
        validate_event_count(0, &mut r);
        assert_eq!(
            r.errors.iter().map(|e| e.code).collect::<Vec<_>>(),
            vec!["request.too_many_events", "request.no_events"]
        );
    }
}
