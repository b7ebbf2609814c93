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
        exposition(&[(None, self)])
    }

    /// Every metric family with this instance's samples (`tag` labels them, when given).
    fn families(&self, tag: Option<&str>) -> Vec<Family> {
        let labels = |extra: &[(&str, &str)]| labels(tag, extra);
        let sample = |name: &str, extra: &[(&str, &str)], n: u64| {
            format!("{name}{} {}", labels(extra), decimal(n))
        };
        let counter = |name: &'static str, help: &'static str, n: u64| Family {
            name,
            help,
            kind: "counter",
            samples: vec![sample(name, &[], n)],
        };
        let by =
            |name: &'static str, help: &'static str, key: &str, counts: &[(String, u64)]| Family {
                name,
                help,
                kind: "counter",
                samples: counts
                    .iter()
                    .map(|(k, n)| sample(name, &[(key, k)], *n))
                    .collect(),
            };
        let events = [
            ("built", self.events_built),
            ("invalid", self.events_invalid),
            ("skipped", self.events_skipped),
            ("accepted", self.events_accepted),
            ("rejected", self.events_rejected),
            ("failed", self.events_failed),
        ];
        let mut latency = Vec::new();
        let mut cumulative = 0;
        for (i, n) in self.latency_buckets.iter().enumerate() {
            cumulative += n;
            let le = LATENCY_BUCKETS_MS
                .get(i)
                .map_or_else(|| "+Inf".to_string(), |b| decimal(*b));
            latency.push(sample(
                "omni_meta_capi_dispatch_duration_ms_bucket",
                &[("le", &le)],
                cumulative,
            ));
        }
        latency.push(sample(
            "omni_meta_capi_dispatch_duration_ms_sum",
            &[],
            self.latency_sum_ms,
        ));
        latency.push(sample(
            "omni_meta_capi_dispatch_duration_ms_count",
            &[],
            self.latency_count,
        ));
        vec![
            Family {
                name: "omni_meta_capi_events_total",
                help: "Events by outcome of building (built, invalid, skipped) and of sending (accepted, rejected, failed).",
                kind: "counter",
                samples: events
                    .iter()
                    .map(|(o, n)| sample("omni_meta_capi_events_total", &[("outcome", o)], *n))
                    .collect(),
            },
            counter("omni_meta_capi_requests_total", "Requests to Meta that reached a final state.", self.requests),
            counter("omni_meta_capi_tries_total", "Tries (fetches) of requests to Meta.", self.tries),
            counter("omni_meta_capi_retries_total", "Retries after transient failures.", self.retries),
            counter(
                "omni_meta_capi_identity_call_failures_total",
                "Identity calls that failed (down, slow, refused, malformed).",
                self.identity_call_failures,
            ),
            counter(
                "omni_meta_capi_identity_enriched_events_total",
                "Events identity added at least one user_data key to.",
                self.identity_enriched,
            ),
            by(
                "omni_meta_capi_errors_total",
                "Failed tries by Meta error code/subcode or transport reason.",
                "code",
                &self.errors_by_code,
            ),
            by(
                "omni_meta_capi_identity_events_total",
                "Events by how identity resolution went (resolved, cached, failed, no_identifier, not_requested).",
                "status",
                &self.identity_by_status,
            ),
            Family {
                name: "omni_meta_capi_dispatch_duration_ms",
                help: "Time to send one event run, all tries and waits included.",
                kind: "histogram",
                samples: latency,
            },
        ]
    }

    /// Read back `to_json`'s output (a host hands the counters of several tags over as JSON).
    pub fn from_json(v: &Json) -> Metrics {
        let n = |key: &str| count(v.get(key));
        let counts = |key: &str| -> Vec<(String, u64)> {
            let pairs = v.get(key).and_then(Json::as_object).unwrap_or_default();
            pairs
                .iter()
                .map(|(k, x)| (k.clone(), count(Some(x))))
                .collect()
        };
        let mut m = Metrics {
            events_built: n("eventsBuilt"),
            events_invalid: n("eventsInvalid"),
            events_skipped: n("eventsSkipped"),
            events_accepted: n("eventsAccepted"),
            events_rejected: n("eventsRejected"),
            events_failed: n("eventsFailed"),
            requests: n("requests"),
            tries: n("tries"),
            retries: n("retries"),
            identity_call_failures: n("identityCallFailures"),
            identity_enriched: n("identityEnriched"),
            errors_by_code: counts("errorsByCode"),
            identity_by_status: counts("identityByStatus"),
            ..Metrics::default()
        };
        if let Some(latency) = v.get("dispatchLatencyMs") {
            m.latency_sum_ms = count(latency.get("sumMs"));
            m.latency_count = count(latency.get("count"));
            let buckets = latency
                .get("buckets")
                .and_then(Json::as_array)
                .unwrap_or_default();
            let mut previous = 0;
            for (slot, bucket) in m.latency_buckets.iter_mut().zip(buckets) {
                let cumulative = count(bucket.get("count"));
                *slot = cumulative.saturating_sub(previous);
                previous = cumulative;
            }
        }
        m
    }
}

/// A non-negative whole JSON number, else 0.
fn count(v: Option<&Json>) -> u64 {
    match v {
        Some(Json::Number(t)) => crate::number::whole(t)
            .filter(|w| !w.negative && !w.has_fraction)
            .map_or(0, |w| w.value),
        _ => 0,
    }
}

/// One Prometheus metric family: its HELP, TYPE and sample lines.
struct Family {
    name: &'static str,
    help: &'static str,
    kind: &'static str,
    samples: Vec<String>,
}

/// `{tag="...",k="v"}`, or nothing without labels.
fn labels(tag: Option<&str>, extra: &[(&str, &str)]) -> String {
    let all: Vec<String> = tag
        .map(|t| ("tag", t))
        .into_iter()
        .chain(extra.iter().copied())
        .map(|(k, v)| format!("{k}=\"{}\"", label(v)))
        .collect();
    if all.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", all.join(","))
    }
}

/// The counters of several tags in one Prometheus text exposition: each family once, with a
/// sample per tag (labelled `tag="<name>"` when a name is given).
pub fn exposition(tags: &[(Option<&str>, &Metrics)]) -> String {
    let per_tag: Vec<Vec<Family>> = tags.iter().map(|(name, m)| m.families(*name)).collect();
    let mut out = String::new();
    let Some(first) = per_tag.first() else {
        return out;
    };
    for (i, family) in first.iter().enumerate() {
        out.push_str(&format!(
            "# HELP {} {}\n# TYPE {} {}\n",
            family.name, family.help, family.name, family.kind
        ));
        for families in &per_tag {
            for sample in families
                .get(i)
                .map(|f| f.samples.as_slice())
                .unwrap_or_default()
            {
                out.push_str(sample);
                out.push('\n');
            }
        }
    }
    out
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

    #[test]
    fn several_tags_in_one_exposition_and_json_round_trip() {
        let p = RetryPolicy::default();
        let mut a = Metrics::default();
        a.on_build(Status::Ready);
        a.on_decision(&decide(&p, &response(503, "down"), 1, 0, 0), 1);
        a.on_dispatch_ms(120);
        let mut b = Metrics::default();
        b.on_build(Status::Skipped);
        b.on_dispatch_ms(7);
        let back = Metrics::from_json(&a.to_json());
        assert_eq!(back, a, "to_json -> from_json keeps everything");
        assert_eq!(Metrics::from_json(&Json::Null), Metrics::default());

        let text = exposition(&[(Some("main"), &a), (Some("ads \"2\""), &b)]);
        assert_eq!(
            text.matches("# TYPE omni_meta_capi_events_total counter")
                .count(),
            1
        );
        assert!(text.contains("omni_meta_capi_events_total{tag=\"main\",outcome=\"built\"} 1\n"));
        assert!(text.contains(
            "omni_meta_capi_events_total{tag=\"ads \\\"2\\\"\",outcome=\"skipped\"} 1\n"
        ));
        assert!(text.contains("omni_meta_capi_errors_total{tag=\"main\",code=\"HTTP 503\"} 1\n"));
        assert!(text
            .contains("omni_meta_capi_dispatch_duration_ms_bucket{tag=\"main\",le=\"250\"} 1\n"));
        assert!(
            text.contains("omni_meta_capi_dispatch_duration_ms_count{tag=\"ads \\\"2\\\"\"} 1\n")
        );
        // Each family's samples stay together: no HELP line between a family's tags.
        let events: Vec<usize> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.starts_with("omni_meta_capi_events_total"))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(events.len(), 12);
        assert_eq!(events[11] - events[0], 11, "contiguous");
    }
}
