//! Where each `user_data` key comes from in sGTM event data (first source with a value wins;
//! `x-fb-ud-<key>` beats the automatic mapping, config `userData` beats both). The result is a
//! raw record, hashed afterwards by `crate::user_data`.
use crate::event_data::{EventData, RequestContext};
use crate::json::{Json, Value};
use crate::model::config::TagConfig;
use crate::user_data::scalar_text;
use std::borrow::Cow;

/// Hashed keys and their sources in the event data (GA4 user-provided data first, then common
/// flat names). Address fields are read from every entry of `user_data.address`.
const SOURCES: &[(&str, &[&str], &[&str])] = &[
    // (key, event paths, address fields)
    (
        "em",
        &[
            "user_data.sha256_email_address",
            "user_data.email_address",
            "user_data.email",
            "email",
        ],
        &[],
    ),
    (
        "ph",
        &[
            "user_data.sha256_phone_number",
            "user_data.phone_number",
            "user_data.phone",
            "phone",
        ],
        &[],
    ),
    (
        "fn",
        &[
            "first_name",
            "firstName",
            "FirstName",
            "nameFirst",
            "user_data.first_name",
        ],
        &["sha256_first_name", "first_name"],
    ),
    (
        "ln",
        &[
            "last_name",
            "lastName",
            "LastName",
            "nameLast",
            "user_data.last_name",
        ],
        &["sha256_last_name", "last_name"],
    ),
    ("ct", &["city"], &["city"]),
    ("st", &["region", "state", "user_data.region"], &["region"]),
    (
        "zp",
        &["postal_code", "zip", "user_data.postal_code"],
        &["postal_code"],
    ),
    (
        "country",
        &["country", "countryCode", "user_data.country"],
        &["country"],
    ),
    ("ge", &["user_data.gender", "gender"], &[]),
    (
        "db",
        &["user_data.date_of_birth", "date_of_birth", "db"],
        &[],
    ),
];

/// Plain (never hashed) keys and their sources: Meta's tag reads `user_data.fb_login_id`,
/// Stape's the flat names.
const PLAIN_SOURCES: &[(&str, &[&str])] = &[
    ("fb_login_id", &["user_data.fb_login_id", "fb_login_id"]),
    ("subscription_id", &["subscription_id", "subscriptionId"]),
    ("lead_id", &["lead_id", "leadId"]),
    ("anon_id", &["anon_id"]),
    ("madid", &["madid"]),
];

/// The values at a path: a scalar, or every scalar of an array (borrowed from the event).
fn values_at<'a>(ev: &EventData<'a>, path: &str) -> Vec<Value<'a>> {
    match ev.get(path) {
        Some(Value::Array(items)) => items
            .iter()
            .filter(|i| scalar_text(i).is_some())
            .cloned()
            .collect(),
        Some(v) if scalar_text(v).is_some_and(|t| !t.trim().is_empty()) => vec![v.clone()],
        _ => Vec::new(),
    }
}

fn addresses<'a>(ev: &EventData<'a>) -> Vec<&'a Value<'a>> {
    match ev.get("user_data.address") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(obj @ Value::Object(_)) => vec![obj],
        _ => Vec::new(),
    }
}

/// A raw user_data record: keys and values borrowed from the event where they come from it.
pub type Record<'a> = Vec<(Cow<'a, str>, Value<'a>)>;

/// The raw user_data record for one event (before hashing).
pub fn collect<'a>(
    config: &'a TagConfig,
    ev: &EventData<'a>,
    req: &'a RequestContext,
) -> Record<'a> {
    let mut record = Value::Object(Vec::new());
    let addresses = addresses(ev);
    for (key, paths, address_fields) in SOURCES {
        let mut found: Vec<Value<'a>> = Vec::new();
        for field in *address_fields {
            found.extend(
                addresses
                    .iter()
                    .filter_map(|a| a.get(field))
                    .filter(|v| scalar_text(v).is_some())
                    .cloned(),
            );
        }
        if found.is_empty() {
            found = paths
                .iter()
                .map(|p| values_at(ev, p))
                .find(|v| !v.is_empty())
                .unwrap_or_default();
        }
        if !found.is_empty() {
            record.set(*key, Value::Array(found));
        }
    }
    // external_id: the site's own user id beside any explicit external ids.
    let external: Vec<Value<'a>> = ["user_id", "user_data.external_id", "external_id", "userId"]
        .iter()
        .flat_map(|p| values_at(ev, p))
        .collect();
    if !external.is_empty() {
        record.set("external_id", Value::Array(external));
    }
    if let Some(ua) = ev
        .text("user_agent")
        .or_else(|| req.header("user-agent").map(str::to_string))
    {
        record.set("client_user_agent", Json::from(ua));
    }
    for (key, paths) in PLAIN_SOURCES {
        if let Some(v) = paths.iter().find_map(|p| {
            ev.get(p)
                .filter(|v| scalar_text(v).is_some_and(|t| !t.trim().is_empty()))
        }) {
            record.set(*key, v.clone());
        }
    }
    for (key, v) in ev.with_prefix("x-fb-ud-") {
        // Meta's tag names one key with hyphens (`x-fb-ud-fb-login-id`); Meta's keys have none.
        if key.contains('-') {
            record.set(key.replace('-', "_"), v.clone());
        } else {
            record.set(key, v.clone());
        }
    }
    for (key, v) in &config.user_data {
        if !v.is_null() {
            record.set(key.clone(), v.clone());
        }
    }
    match record {
        Value::Object(pairs) => pairs,
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn run(config: &TagConfig, event: &str) -> String {
        let v = parse(event).expect("event");
        Value::Object(collect(
            config,
            &EventData::new(&v),
            &RequestContext::default(),
        ))
        .to_json()
    }

    #[test]
    fn ga4_user_provided_data_and_addresses() {
        let out = run(
            &TagConfig::default(),
            r#"{"user_id": "u1", "user_agent": "UA",
            "user_data": {"email_address": "a@b.co", "sha256_phone_number": "AB", "address": [
              {"first_name": "Ann", "city": "Paris", "country": "FR"}, {"first_name": "Anna", "postal_code": 75001}]}}"#,
        );
        assert_eq!(
            out,
            r#"{"em":["a@b.co"],"ph":["AB"],"fn":["Ann","Anna"],"ct":["Paris"],"zp":[75001],"country":["FR"],"external_id":["u1"],"client_user_agent":"UA"}"#
        );
    }

    #[test]
    fn x_fb_ud_beats_mapping_and_config_beats_both() {
        let config = TagConfig {
            user_data: vec![("ph".into(), Json::from("+1 650 555 1212"))],
            ..TagConfig::default()
        };
        let out = run(
            &config,
            r#"{"email": "x@y.co", "x-fb-ud-em": "z@y.co", "x-fb-ud-ph": "1", "address": {"city": "ignored"}}"#,
        );
        assert_eq!(out, r#"{"em":"z@y.co","ph":"+1 650 555 1212"}"#);
    }
}
