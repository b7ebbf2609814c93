//! The error monitor's gate: at most `errorMonitor.maxPerMinute` posts a minute per kind of
//! error, so an outage of Meta (thousands of identical ERROR records) becomes a few posts, the
//! next one saying how many were held back (`suppressed`). A kind is the record's stage and its
//! Meta error code, dead-letter reason or message (digits removed, so "pixel 1: failed after 3
//! try(s)" and "pixel 2: failed after 2 try(s)" are one kind).
use crate::json::Json;
use crate::logging::error_monitor_body;

/// Kinds remembered at most (older minutes are dropped first).
const MAX_KINDS: usize = 1_000;

#[derive(Debug, Default)]
pub struct Gate {
    /// (kind, minute, posts this minute, held back since the last post).
    kinds: Vec<(String, u64, u64, u64)>,
}

impl Gate {
    /// The body to POST for an ERROR record, or `None` to hold it back. A post after held-back
    /// ones carries `"suppressed": n`.
    pub fn admit(&mut self, record: &Json, now_ms: u64, per_minute: u64) -> Option<String> {
        let kind = kind(record);
        let minute = now_ms / 60_000;
        self.kinds
            .retain(|(_, m, _, held)| *m + 1 >= minute || *held > 0);
        if self.kinds.len() >= MAX_KINDS {
            self.kinds.remove(0);
        }
        let slot = match self.kinds.iter().position(|(k, ..)| *k == kind) {
            Some(i) => i,
            None => {
                self.kinds.push((kind, minute, 0, 0));
                self.kinds.len() - 1
            }
        };
        let (_, at, posts, held) = self.kinds.get_mut(slot)?;
        if *at != minute {
            (*at, *posts) = (minute, 0);
        }
        if *posts >= per_minute {
            *held += 1;
            return None;
        }
        *posts += 1;
        let mut record = record.clone();
        if *held > 0 {
            record.set("suppressed", Json::from(*held));
            *held = 0;
        }
        Some(error_monitor_body(&record))
    }
}

fn kind(record: &Json) -> String {
    let text = |v: Option<&Json>| v.and_then(Json::as_str).unwrap_or_default().to_string();
    let data = record.get("data");
    let error = data
        .and_then(|d| d.get("outcome"))
        .and_then(|o| o.get("error"));
    let code = error.and_then(|e| e.get("code")).map(Json::to_json);
    let detail = match (code, data.and_then(|d| d.get("reason"))) {
        (Some(code), _) if code != "null" => code,
        (_, Some(reason)) => text(Some(reason)),
        _ => text(record.get("message")),
    };
    let detail: String = detail.chars().filter(|c| !c.is_ascii_digit()).collect();
    format!("{}:{detail}", text(record.get("process")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn record(message: &str) -> Json {
        let text = format!(r#"{{"level":"ERROR","process":"Dispatch","message":"{message}"}}"#);
        parse(&text).unwrap_or(Json::Null)
    }

    #[test]
    fn a_flood_becomes_a_few_posts_and_a_count() {
        let mut gate = Gate::default();
        let posted = (0..1000)
            .filter(|i| {
                gate.admit(&record(&format!("pixel {i}: failed after 3 try(s)")), 0, 10)
                    .is_some()
            })
            .count();
        assert_eq!(posted, 10);
        // Another kind is not held back by the first.
        assert!(gate
            .admit(&record("identity resolution failed (HTTP 401)"), 0, 10)
            .is_some());
        // The next minute's first post says how many were held back.
        let next = gate.admit(&record("pixel 1: failed after 3 try(s)"), 60_000, 10);
        assert!(next.is_some_and(|b| b.contains(r#""suppressed":990"#)));
        let after = gate.admit(&record("pixel 1: failed after 3 try(s)"), 60_001, 10);
        assert!(after.is_some_and(|b| !b.contains("suppressed")));
    }

    #[test]
    fn kinds_are_bounded() {
        let mut gate = Gate::default();
        for i in 0..5_000u64 {
            let r = record(&format!("kind {}", "x".repeat((i % 3000) as usize)));
            let _ = gate.admit(&r, i * 1000, 1);
        }
        assert!(gate.kinds.len() <= MAX_KINDS);
    }
}
