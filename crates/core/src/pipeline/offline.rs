//! Offline conversions in bulk (`omni-meta-capi send --events FILE`): a CSV or JSON-lines row of
//! a CRM or shop export as sGTM event data. Columns are event keys; four carry the names
//! exports use for keys the tag knows under another (`order_id` -> `transaction_id`,
//! `action_source` -> `x-fb-sed-action_source`, `client_ip_address` -> `ip_override`,
//! `client_user_agent` -> `user_agent`); empty cells are left out. A row without an event_id gets
//! one derived from its content, so a resumed or repeated upload sends the same row under the
//! same id (Meta deduplicates it).
use crate::event_data::{EventData, EVENT_ID_KEYS};
use crate::hash::sha256_hex;
use crate::json::{Json, Key, Value};

/// Export column names whose event key differs.
const RENAMES: [(&str, &str); 4] = [
    ("order_id", "transaction_id"),
    ("action_source", "x-fb-sed-action_source"),
    ("client_ip_address", "ip_override"),
    ("client_user_agent", "user_agent"),
];

/// One row (an object of column -> value) as event data, with its event_id. Anything but an
/// object is an empty event (the build then reports what is missing).
pub fn row_event(row: &Json) -> Json {
    let pairs = row.as_object().unwrap_or_default();
    let mut event = Value::Object(Vec::with_capacity(pairs.len() + 1));
    for (key, value) in pairs {
        let empty = value.is_null() || value.as_str() == Some("");
        if empty {
            continue;
        }
        let key = RENAMES
            .iter()
            .find(|(from, _)| from == key)
            .map_or_else(|| key.clone(), |(_, to)| Key::from(*to));
        event.set(key, value.clone());
    }
    if EventData::new(&event).first_text(&EVENT_ID_KEYS).is_none() {
        let digest = sha256_hex(event.to_json().as_bytes());
        let id = format!("row-{}", digest.get(..32).unwrap_or(&digest));
        event.set("event_id", Json::from(id));
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn event(row: &str) -> String {
        row_event(&parse(row).unwrap_or(Value::Null)).to_json()
    }

    #[test]
    fn columns_become_event_keys() {
        let out = event(
            r#"{"event_name": "Purchase", "order_id": "O-1", "email": "a@b.co", "phone": "",
                "client_ip_address": "81.2.69.9", "client_user_agent": "UA", "action_source": "physical_store",
                "event_id": "e-1", "value": null}"#,
        );
        assert_eq!(
            out,
            r#"{"event_name":"Purchase","transaction_id":"O-1","email":"a@b.co","ip_override":"81.2.69.9","user_agent":"UA","x-fb-sed-action_source":"physical_store","event_id":"e-1"}"#
        );
    }

    #[test]
    fn a_row_without_an_id_gets_the_same_one_every_time() {
        let a = event(r#"{"event_name": "Lead", "email": "a@b.co"}"#);
        let again = event(r#"{"event_name": "Lead", "email": "a@b.co"}"#);
        let other = event(r#"{"event_name": "Lead", "email": "c@d.co"}"#);
        assert_eq!(a, again);
        assert_ne!(a, other);
        let id = parse(&a).ok().and_then(|v| {
            v.get("event_id")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
        assert!(
            id.is_some_and(|id| id.len() == 36 && id.starts_with("row-")),
            "{a}"
        );
        // Any of the event_id keys counts as the row's own.
        assert!(!event(r#"{"event_name": "Lead", "x-fb-event_id": "x"}"#).contains("row-"));
        assert_eq!(
            event("[1]"),
            r#"{"event_id":"row-44136fa355b3678a1146ad16f7e8649e"}"#
        );
    }
}
