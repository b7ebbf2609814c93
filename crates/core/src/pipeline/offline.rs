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

/// What became of the rows of one batch, and whether the upload must stop there.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settled {
    /// Per row, in order: `accepted`, `rejected`, `unconfirmed`, `failed`, `invalid` or `skipped`.
    pub outcomes: Vec<&'static str>,
    /// What to tell about rows (by position in the batch, first to last): Meta's rejection of
    /// a request, or why a row was invalid.
    pub problems: Vec<Problem>,
    /// `unconfirmed` or `failed` when a request of the batch got no final answer: the upload
    /// stops after the last batch fully answered (`--resume` sends the rest again).
    pub stop: Option<&'static str>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub first: usize,
    pub last: usize,
    pub message: String,
}

/// Send outcomes, least to most serious: a row sent to several pixels is what its worst
/// request became.
const SEND_OUTCOMES: [&str; 4] = ["accepted", "rejected", "unconfirmed", "failed"];

/// The rows of a batch as `run`/`runBatch` settled them (`{results: [{status, eventIndexes,
/// outcome}], events: [{index, status, report}]}`; a dry run gives only `events`, one per row).
/// An invalid or skipped event is that, whatever its requests did.
pub fn settle(result: &Value<'_>, rows: usize) -> Settled {
    let mut out = Settled {
        outcomes: vec![SEND_OUTCOMES[0]; rows],
        ..Settled::default()
    };
    let rank = |s: &str| SEND_OUTCOMES.iter().position(|o| *o == s);
    for res in result
        .get("results")
        .and_then(Value::as_array)
        .unwrap_or_default()
    {
        let Some(status) = res
            .get("status")
            .and_then(Value::as_str)
            .and_then(|s| rank(s).map(|r| (r, SEND_OUTCOMES[r])))
        else {
            continue;
        };
        let indexes: Vec<usize> = res
            .get("eventIndexes")
            .and_then(Value::as_array)
            .unwrap_or_default()
            .iter()
            .filter_map(|i| crate::number::count(crate::user_data::scalar_text(i)?))
            .filter_map(|i| usize::try_from(i).ok())
            .filter(|&i| i < rows)
            .collect();
        for &i in &indexes {
            if rank(out.outcomes[i]).is_some_and(|r| status.0 > r) {
                out.outcomes[i] = status.1;
            }
        }
        if let (Some(first), Some(last), "rejected") = (indexes.first(), indexes.last(), status.1) {
            let outcome = res.get("outcome");
            let why = outcome
                .and_then(|o| o.get("message").or_else(|| o.get("code")))
                .map_or_else(
                    || "rejected".to_string(),
                    |w| w.as_str().map_or_else(|| w.to_json(), str::to_string),
                );
            out.problems.push(Problem {
                first: *first,
                last: *last,
                message: format!("rejected by Meta: {why}"),
            });
        }
    }
    for ev in result
        .get("events")
        .and_then(Value::as_array)
        .unwrap_or_default()
    {
        let index = ev
            .get("index")
            .and_then(|i| crate::number::count(crate::user_data::scalar_text(i)?));
        let Some(i) = index
            .and_then(|i| usize::try_from(i).ok())
            .filter(|&i| i < rows)
        else {
            continue;
        };
        match ev.get("status").and_then(Value::as_str) {
            Some("invalid") => {
                out.outcomes[i] = "invalid";
                out.problems.push(Problem {
                    first: i,
                    last: i,
                    message: errors_text(ev.get("report")),
                });
            }
            Some("skipped") => out.outcomes[i] = "skipped",
            _ => {}
        }
    }
    out.stop = if out.outcomes.contains(&"unconfirmed") {
        Some("unconfirmed")
    } else if out.outcomes.contains(&"failed") {
        Some("failed")
    } else {
        None
    };
    out
}

/// A report's errors as `field: message; field: message`.
fn errors_text(report: Option<&Value<'_>>) -> String {
    let errors = report
        .and_then(|r| r.get("errors"))
        .and_then(Value::as_array)
        .unwrap_or_default();
    let text = |e: &Value<'_>, k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    errors
        .iter()
        .map(|e| [text(e, "field"), text(e, "message")].join(": "))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Settled {
    /// `{outcomes, problems: [{first, last, message}], stop}` for the host.
    pub fn to_json(&self) -> Json {
        let problems = self
            .problems
            .iter()
            .map(|p| {
                Json::object([
                    ("first", Json::from(p.first)),
                    ("last", Json::from(p.last)),
                    ("message", Json::from(p.message.as_str())),
                ])
            })
            .collect();
        Json::object([
            (
                "outcomes",
                Value::Array(self.outcomes.iter().map(|o| Json::from(*o)).collect()),
            ),
            ("problems", Value::Array(problems)),
            ("stop", Json::from(self.stop)),
        ])
    }
}

/// The upload's exit status (the CLI's table): 5 stopped on a batch without a final answer,
/// else 4 when Meta rejected rows, else 2 when rows were invalid, else 0.
pub fn exit_code(stopped: bool, rejected: u64, invalid: u64) -> u8 {
    if stopped {
        5
    } else if rejected > 0 {
        4
    } else if invalid > 0 {
        2
    } else {
        0
    }
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

    fn settled(result: &str, rows: usize) -> Settled {
        settle(&parse(result).unwrap_or(Value::Null), rows)
    }

    #[test]
    fn a_row_is_its_worst_request_unless_it_was_invalid_or_skipped() {
        let s = settled(
            r#"{"results": [
                {"pixelId": "1", "status": "accepted", "eventIndexes": [0, 1, 2, 3]},
                {"pixelId": "2", "status": "rejected", "eventIndexes": [0, 1, 2, 3],
                 "outcome": {"code": 100, "message": "Invalid parameter"}}],
              "events": [{"index": 2, "status": "invalid",
                          "report": {"errors": [{"field": "event_name", "message": "missing"}]}},
                         {"index": 3, "status": "skipped"}, {"index": 9, "status": "invalid"}]}"#,
            4,
        );
        assert_eq!(s.outcomes, ["rejected", "rejected", "invalid", "skipped"]);
        assert_eq!(
            s.problems,
            [
                Problem {
                    first: 0,
                    last: 3,
                    message: "rejected by Meta: Invalid parameter".into()
                },
                Problem {
                    first: 2,
                    last: 2,
                    message: "event_name: missing".into()
                },
            ]
        );
        assert_eq!(s.stop, None);
    }

    #[test]
    fn a_request_without_a_final_answer_stops_the_upload() {
        let s = settled(
            r#"{"results": [{"status": "failed", "eventIndexes": [0]},
                            {"status": "unconfirmed", "eventIndexes": [1]},
                            {"status": "accepted", "eventIndexes": [0, 1]},
                            {"status": "rejected", "eventIndexes": [1], "outcome": {"code": 190}}]}"#,
            2,
        );
        assert_eq!(s.outcomes, ["failed", "unconfirmed"]);
        assert_eq!(s.stop, Some("unconfirmed"));
        assert_eq!(s.problems[0].message, "rejected by Meta: 190");
        assert_eq!(
            settled(
                r#"{"results": [{"status": "failed", "eventIndexes": [0]}]}"#,
                1
            )
            .stop,
            Some("failed")
        );
        // A dry run: builds only; anything unreadable counts for nothing.
        let dry = settled(
            r#"{"events": [{"index": 0, "status": "ready"}, {"index": 1, "status": "invalid"}]}"#,
            2,
        );
        assert_eq!(dry.outcomes, ["accepted", "invalid"]);
        assert_eq!(settled("[1, 2]", 1).outcomes, ["accepted"]);
    }

    #[test]
    fn exit_codes() {
        assert_eq!(exit_code(true, 3, 3), 5);
        assert_eq!(exit_code(false, 1, 3), 4);
        assert_eq!(exit_code(false, 0, 1), 2);
        assert_eq!(exit_code(false, 0, 0), 0);
    }
}
