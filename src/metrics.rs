//! Counters a host can read or export (JSON, or Prometheus text), kept per tag instance in
//! memory: events built / invalid / skipped, events accepted / rejected / failed, requests, tries
//! and retries, errors by code, and a latency histogram of dispatch. Updated by the wasm as it
//! decides; reading them never resets them.
use crate::dispatch::{Decision, MetaError, Outcome};
use crate::json::{decimal, Json};
use crate::tag::{IdentityOutcome, Status};

/// Upper bounds (ms) of the latency histogram buckets; the last bucket is +Inf.
const LATENCY_BUCKETS_MS: [u64; 8] = [50, 100, 250, 500, 1000, 2500, 5000, 10_000];

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    pub events_built: u64,
    pub events_invalid: u64,
    pub events_skipped: u64,
    pub events_accepted: u64,
    pub events_rejected: u64,
    pub events_failed: u64,
    pub requests: u64,
    pub tries: u64,
    pub retries: u64,
    /// Identity resolution by status (`resolved`, `cached`, `failed`, ...), first seen first.
    pub identity_by_status: Vec<(String, u64)>,
    /// Identity calls that failed (down, slow, refused, malformed).
    pub identity_call_failures: u64,
    /// Events identity added at least one `user_data` key to.
    pub identity_enriched: u64,
    /// `"100/2804003"`, `"190"`, `"timeout"`, `"HTTP 503"`, ... with their counts, first seen first.
    pub errors_by_code: Vec<(String, u64)>,
    latency_buckets: [u64; LATENCY_BUCKETS_MS.len() + 1],
    latency_sum_ms: u64,
    latency_count: u64,
}

fn error_key(error: &MetaError) -> Option<String> {
    let code = error.code?;
    let signed = |n: i64| {
        if n < 0 {
            format!("-{}", decimal(n.unsigned_abs()))
        } else {
            decimal(n.unsigned_abs())
        }
    };
    Some(match error.error_subcode {
        Some(sub) => format!("{}/{}", signed(code), signed(sub)),
        None => signed(code),
    })
}

/// A Prometheus label value, escaped.
fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

/// `{key: count}` in first-seen order.
fn counts_json(counts: &[(String, u64)]) -> Json {
    Json::Object(
        counts
            .iter()
            .map(|(k, v)| (k.clone(), Json::from(*v)))
            .collect(),
    )
}

/// Count one more of `key`.
fn bump(counts: &mut Vec<(String, u64)>, key: &str) {
    match counts.iter_mut().find(|(k, _)| k == key) {
        Some((_, n)) => *n += 1,
        None => counts.push((key.to_string(), 1)),
    }
}

impl Metrics {
    pub fn on_build(&mut self, status: Status) {
        match status {
            Status::Ready => self.events_built += 1,
            Status::Invalid => self.events_invalid += 1,
            Status::Skipped => self.events_skipped += 1,
        }
    }

    /// What identity did for one event.
    pub fn on_identity(&mut self, identity: &IdentityOutcome) {
        bump(&mut self.identity_by_status, identity.resolution.status);
        self.identity_call_failures += identity.resolution.failures.len() as u64;
        if !identity.filled.is_empty() {
            self.identity_enriched += 1;
        }
    }

    /// One try's decision for a request carrying `events` events.
    pub fn on_decision(&mut self, d: &Decision, events: u64) {
        self.tries += 1;
        let key = match &d.outcome {
            Outcome::Accepted { .. } => None,
            Outcome::Rejected { error, .. } => {
                Some(error_key(error).unwrap_or_else(|| "rejected".into()))
            }
            Outcome::Transient { reason, error, .. } => Some(
                error
                    .as_ref()
                    .and_then(error_key)
                    .unwrap_or_else(|| reason.clone()),
            ),
        };
        if let Some(key) = key {
            bump(&mut self.errors_by_code, &key);
        }
        match d.final_state() {
            None => self.retries += 1,
            Some(state) => {
                self.requests += 1;
                let counter = match state {
                    "accepted" => &mut self.events_accepted,
                    "rejected" => &mut self.events_rejected,
                    _ => &mut self.events_failed,
                };
                *counter += events;
            }
        }
    }

    /// The dispatch time of one run (all tries and waits), measured by the host.
    pub fn on_dispatch_ms(&mut self, ms: u64) {
        let bucket = LATENCY_BUCKETS_MS
            .iter()
            .position(|b| ms <= *b)
            .unwrap_or(LATENCY_BUCKETS_MS.len());
        if let Some(b) = self.latency_buckets.get_mut(bucket) {
            *b += 1;
        }
        self.latency_sum_ms = self.latency_sum_ms.saturating_add(ms);
        self.latency_count += 1;
    }

    fn counters(&self) -> [(&'static str, u64); 11] {
        [
            ("eventsBuilt", self.events_built),
            ("eventsInvalid", self.events_invalid),
            ("eventsSkipped", self.events_skipped),
            ("eventsAccepted", self.events_accepted),
            ("eventsRejected", self.events_rejected),
            ("eventsFailed", self.events_failed),
            ("requests", self.requests),
            ("tries", self.tries),
            ("retries", self.retries),
            ("identityCallFailures", self.identity_call_failures),
            ("identityEnriched", self.identity_enriched),
        ]
    }

    pub fn to_json(&self) -> Json {
        let mut out = Json::Object(
            self.counters()
                .iter()
                .map(|(k, v)| (k.to_string(), Json::from(*v)))
                .collect(),
        );
        out.set("errorsByCode", counts_json(&self.errors_by_code));
        out.set("identityByStatus", counts_json(&self.identity_by_status));
        let mut cumulative = 0;
        let buckets: Vec<Json> = self
            .latency_buckets
            .iter()
            .enumerate()
            .map(|(i, n)| {
                cumulative += n;
                let le = LATENCY_BUCKETS_MS
                    .get(i)
                    .map_or(Json::from("+Inf"), |b| Json::from(*b));
                Json::object([("le", le), ("count", Json::from(cumulative))])
            })
            .collect();
        let latency = Json::object([
            ("buckets", Json::Array(buckets)),
            ("sumMs", Json::from(self.latency_sum_ms)),
            ("count", Json::from(self.latency_count)),
        ]);
        out.set("dispatchLatencyMs", latency);
        out
    }

    /// Prometheus text exposition format (version 0.0.4).
    pub fn to_prometheus(&self) -> String {
        let mut t = String::new();
        let mut line = |s: &str| {
            t.push_str(s);
            t.push('\n');
        };
        line("# HELP omni_meta_capi_events_total Events by outcome of building (built, invalid, skipped) and of sending (accepted, rejected, failed).");
        line("# TYPE omni_meta_capi_events_total counter");
        let events = [
            ("built", self.events_built),
            ("invalid", self.events_invalid),
            ("skipped", self.events_skipped),
            ("accepted", self.events_accepted),
            ("rejected", self.events_rejected),
            ("failed", self.events_failed),
        ];
        for (outcome, n) in events {
            line(&format!(
                "omni_meta_capi_events_total{{outcome=\"{outcome}\"}} {}",
                decimal(n)
            ));
        }
        for (name, help, n) in [
            (
                "requests",
                "Requests to Meta that reached a final state.",
                self.requests,
            ),
            ("tries", "Tries (fetches) of requests to Meta.", self.tries),
            ("retries", "Retries after transient failures.", self.retries),
            (
                "identity_call_failures",
                "Identity calls that failed (down, slow, refused, malformed).",
                self.identity_call_failures,
            ),
            (
                "identity_enriched_events",
                "Events identity added at least one user_data key to.",
                self.identity_enriched,
            ),
        ] {
            line(&format!("# HELP omni_meta_capi_{name}_total {help}"));
            line(&format!("# TYPE omni_meta_capi_{name}_total counter"));
            line(&format!("omni_meta_capi_{name}_total {}", decimal(n)));
        }
        line("# HELP omni_meta_capi_errors_total Failed tries by Meta error code/subcode or transport reason.");
        line("# TYPE omni_meta_capi_errors_total counter");
        for (code, n) in &self.errors_by_code {
            line(&format!(
                "omni_meta_capi_errors_total{{code=\"{}\"}} {}",
                label(code),
                decimal(*n)
            ));
        }
        line("# HELP omni_meta_capi_identity_events_total Events by how identity resolution went (resolved, cached, failed, no_identifier, not_requested).");
        line("# TYPE omni_meta_capi_identity_events_total counter");
        for (status, n) in &self.identity_by_status {
            line(&format!(
                "omni_meta_capi_identity_events_total{{status=\"{}\"}} {}",
                label(status),
                decimal(*n)
            ));
        }
        line("# HELP omni_meta_capi_dispatch_duration_ms Time to send one event run, all tries and waits included.");
        line("# TYPE omni_meta_capi_dispatch_duration_ms histogram");
        let mut cumulative = 0;
        for (i, n) in self.latency_buckets.iter().enumerate() {
            cumulative += n;
            let le = LATENCY_BUCKETS_MS
                .get(i)
                .map_or_else(|| "+Inf".to_string(), |b| decimal(*b));
            line(&format!(
                "omni_meta_capi_dispatch_duration_ms_bucket{{le=\"{le}\"}} {}",
                decimal(cumulative)
            ));
        }
        line(&format!(
            "omni_meta_capi_dispatch_duration_ms_sum {}",
            decimal(self.latency_sum_ms)
        ));
        line(&format!(
            "omni_meta_capi_dispatch_duration_ms_count {}",
            decimal(self.latency_count)
        ));
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::{decide, Attempt, RetryPolicy};

    fn response(status: u16, body: &str) -> Attempt {
        Attempt::Response {
            status,
            body: body.into(),
            retry_after: None,
        }
    }

    #[test]
    fn counts_outcomes_retries_errors_and_latency() {
        let mut m = Metrics::default();
        let p = RetryPolicy::default();
        m.on_build(Status::Ready);
        m.on_build(Status::Invalid);
        m.on_build(Status::Skipped);
        m.on_decision(&decide(&p, &response(503, "down"), 1, 0, 0), 5);
        m.on_decision(
            &decide(&p, &response(200, r#"{"events_received":5}"#), 2, 0, 0),
            5,
        );
        m.on_decision(
            &decide(
                &p,
                &response(400, r#"{"error":{"code":100,"error_subcode":2804003}}"#),
                1,
                0,
                0,
            ),
            2,
        );
        m.on_decision(&decide(&p, &Attempt::Timeout, 3, 0, 0), 1);
        m.on_dispatch_ms(42);
        m.on_dispatch_ms(700);
        m.on_dispatch_ms(99_999);
        assert_eq!(
            (
                m.events_accepted,
                m.events_rejected,
                m.events_failed,
                m.requests,
                m.tries,
                m.retries
            ),
            (5, 2, 1, 3, 4, 1)
        );
        let errors: Vec<(&str, u64)> = m
            .errors_by_code
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(
            errors,
            vec![("HTTP 503", 1), ("100/2804003", 1), ("timeout", 1)]
        );
        let text = m.to_prometheus();
        assert!(text.contains("omni_meta_capi_events_total{outcome=\"accepted\"} 5\n"));
        assert!(text.contains("omni_meta_capi_errors_total{code=\"100/2804003\"} 1\n"));
        assert!(text.contains("omni_meta_capi_dispatch_duration_ms_bucket{le=\"50\"} 1\n"));
        assert!(text.contains("omni_meta_capi_dispatch_duration_ms_bucket{le=\"1000\"} 2\n"));
        assert!(text.contains("omni_meta_capi_dispatch_duration_ms_bucket{le=\"+Inf\"} 3\n"));
        assert!(text.contains("omni_meta_capi_dispatch_duration_ms_sum 100741\n"));
        let json = m.to_json().to_json();
        assert!(json.contains(r#""identityByStatus":{}"#), "{json}");
        assert!(
            json.starts_with(
                r#"{"eventsBuilt":1,"eventsInvalid":1,"eventsSkipped":1,"eventsAccepted":5"#
            ),
            "{json}"
        );
    }

    #[test]
    fn counts_identity_outcomes() {
        use crate::identity::Resolution;
        let outcome = |status, failures: usize, filled: Vec<&'static str>| IdentityOutcome {
            resolution: Resolution {
                status,
                failures: vec!["HTTP 500".to_string(); failures],
                ..Resolution::default()
            },
            filled,
        };
        let mut m = Metrics::default();
        m.on_identity(&outcome("resolved", 0, vec!["external_id", "em"]));
        m.on_identity(&outcome("resolved", 1, vec!["external_id"]));
        m.on_identity(&outcome("failed", 2, vec![]));
        m.on_identity(&outcome("cached", 0, vec!["external_id"]));
        assert_eq!((m.identity_call_failures, m.identity_enriched), (3, 3));
        let json = m.to_json().to_json();
        assert!(
            json.contains(r#""identityCallFailures":3,"identityEnriched":3,"#)
                && json.contains(r#""identityByStatus":{"resolved":2,"failed":1,"cached":1}"#),
            "{json}"
        );
        let text = m.to_prometheus();
        assert!(text.contains("omni_meta_capi_identity_events_total{status=\"resolved\"} 2\n"));
        assert!(text.contains("omni_meta_capi_identity_call_failures_total 3\n"));
        assert!(text.contains("omni_meta_capi_identity_enriched_events_total 3\n"));
    }
}
