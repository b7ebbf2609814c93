//! Privacy rules applied to a built event: the consent gate (Consent Mode signals in sGTM event
//! data), the PII-off switch, and Limited Data Use (`data_processing_options`).
use crate::event_data::EventData;
use crate::json::{Json, Value};
use crate::model::config::{Consent, TagConfig, WhenConsentMissing};
use crate::normalize::Field;
use crate::report::Issue;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Signal {
    Granted,
    Denied,
    Missing,
}

/// `consent_state.<key>` ("granted"/"denied" or a boolean), else for ad_storage the GA4 `gcs`
/// parameter (`x-ga-gcs`, "G1" + ad_storage + analytics_storage).
fn signal(ev: &EventData, key: &str) -> Signal {
    let state = ev.get_child("consent_state", key);
    match state {
        Some(Value::Bool(true)) => return Signal::Granted,
        Some(Value::Bool(false)) => return Signal::Denied,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("granted") => return Signal::Granted,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("denied") => return Signal::Denied,
        _ => {}
    }
    if key == "ad_storage" {
        if let Some(gcs) = ev.str_at("x-ga-gcs") {
            match gcs.as_bytes() {
                [b'G', _, b'1', ..] => return Signal::Granted,
                [b'G', _, b'0', ..] => return Signal::Denied,
                _ => {}
            }
        }
    }
    Signal::Missing
}

/// The event says ad_storage is denied (whatever the config requires): nothing may be stored
/// in the visitor's browser beyond what the config's consent rules already allow, and nothing
/// stored is read (Event Enhancement).
pub fn ad_storage_denied(ev: &EventData) -> bool {
    signal(ev, "ad_storage") == Signal::Denied
}

/// Why the event must not be sent, if consent forbids it.
pub fn consent_block(consent: &Consent, ev: &EventData) -> Option<Issue> {
    let required = [
        ("ad_storage", consent.require_ad_storage),
        ("ad_user_data", consent.require_ad_user_data),
    ];
    for (key, needed) in required {
        if !needed {
            continue;
        }
        match signal(ev, key) {
            Signal::Granted => {}
            Signal::Denied => {
                return Some(Issue {
                    code: "consent.denied",
                    field: format!("consent_state.{key}"),
                    message: format!("{key} consent is denied: the event is not sent"),
                })
            }
            Signal::Missing if consent.when_missing == WhenConsentMissing::Skip => {
                return Some(Issue {
                    code: "consent.missing",
                    field: format!("consent_state.{key}"),
                    message: format!("no {key} consent signal and the config fails closed: the event is not sent"),
                })
            }
            Signal::Missing => {}
        }
    }
    None
}

/// PII off: no hashed identifier leaves (the plain technical keys stay).
pub fn strip_hashed_identifiers(user_data: &mut Value<'_>) {
    if let Value::Object(pairs) = user_data {
        pairs.retain(|(k, _)| Field::from_key(k).is_none());
    }
}

/// Data processing options from the config, overridden per event by `x-fb-sed-*` keys.
pub fn apply_data_processing<'a>(config: &TagConfig, ev: &EventData<'a>, event: &mut Value<'a>) {
    let dp = &config.data_processing;
    // `x-fb-sed-<key>`, else the plain key Meta's tag reads, else the config.
    let event_value = |key: &str| {
        ev.prefixed("x-fb-sed-", key)
            .or_else(|| ev.root().get(key).filter(|v| !v.is_null()))
            .cloned()
    };
    let options = event_value("data_processing_options").map(|v| match v {
        Value::String(s) => Value::Array(
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(Json::from)
                .collect(),
        ),
        other => other,
    });
    let options = options.or_else(|| {
        dp.options
            .clone()
            .map(|o| Value::Array(o.into_iter().map(Json::from).collect()))
    });
    let Some(options) = options else { return };
    event.set("data_processing_options", options);
    let country = event_value("data_processing_options_country")
        .or(dp.country.map(|c| Value::Number(c.to_string().into())));
    let state = event_value("data_processing_options_state")
        .or(dp.state.map(|s| Value::Number(s.to_string().into())));
    if let Some(c) = country {
        event.set("data_processing_options_country", c);
    }
    if let Some(s) = state {
        event.set("data_processing_options_state", s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn consent(ad_storage: bool, ad_user_data: bool, when_missing: WhenConsentMissing) -> Consent {
        Consent {
            require_ad_storage: ad_storage,
            require_ad_user_data: ad_user_data,
            when_missing,
        }
    }

    fn block(c: &Consent, event: &str) -> Option<&'static str> {
        let v = parse(event).expect("event");
        consent_block(c, &EventData::new(&v)).map(|i| i.code)
    }

    #[test]
    fn consent_signals_from_consent_state_and_gcs() {
        let closed = consent(true, false, WhenConsentMissing::Skip);
        assert_eq!(
            block(&closed, r#"{"consent_state": {"ad_storage": "granted"}}"#),
            None
        );
        assert_eq!(
            block(&closed, r#"{"consent_state": {"ad_storage": false}}"#),
            Some("consent.denied")
        );
        assert_eq!(block(&closed, r#"{"x-ga-gcs": "G111"}"#), None);
        assert_eq!(
            block(&closed, r#"{"x-ga-gcs": "G101"}"#),
            Some("consent.denied")
        );
        assert_eq!(block(&closed, "{}"), Some("consent.missing"));
        let open = consent(true, true, WhenConsentMissing::Send);
        assert_eq!(block(&open, "{}"), None);
        assert_eq!(
            block(&open, r#"{"consent_state": {"ad_user_data": "denied"}}"#),
            Some("consent.denied")
        );
        let none = consent(false, false, WhenConsentMissing::Skip);
        assert_eq!(
            block(&none, r#"{"consent_state": {"ad_storage": "denied"}}"#),
            None
        );
    }

    #[test]
    fn pii_off_keeps_only_plain_keys() {
        let mut ud = parse(
            r#"{"em": ["h"], "external_id": ["h"], "client_user_agent": "UA", "fbp": "fb.1.1.1"}"#,
        )
        .expect("json");
        strip_hashed_identifiers(&mut ud);
        assert_eq!(
            ud.to_json(),
            r#"{"client_user_agent":"UA","fbp":"fb.1.1.1"}"#
        );
    }
}
