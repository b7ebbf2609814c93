//! Counters a host can read or export (JSON, or Prometheus text), kept per tag instance in
//! memory and updated by the wasm as it decides; reading them never resets them:
//! - events received and how they ended: built, invalid, skipped (by reason), accepted,
//!   rejected (by Meta error code, with Meta's last message), failed; requests, tries, retries;
//! - identity: calls, call failures, events by identity status, events enriched;
//! - matching keys: how many built events carried each of em, ph, fn, ln, external_id, fbc,
//!   fbp, client_ip_address, client_user_agent (the average is a proxy for Event Match Quality);
//! - latency histograms of build, identity and dispatch, with p50/p90/p99 read from them;
//! - per-minute volume (received, accepted, rejected, failed) of the last 30 minutes.
use crate::delivery;
use crate::dispatch::{Decision, MetaError, Outcome};
use crate::json::{decimal, Json, Key, Value};
use crate::logging::{foreign_message, iso_timestamp};
use crate::tag::{BuildOutput, IdentityOutcome, Status};

/// How long each stage of a run took (measured by the host, which has the clock).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timings {
    pub build_ms: u64,
    /// The identity calls; `None` when none were made.
    pub identity_ms: Option<u64>,
    pub dispatch_ms: u64,
    pub total_ms: u64,
}

/// The matching keys counted per built event.
pub const MATCH_KEYS: [&str; 9] = [
    "em",
    "ph",
    "fn",
    "ln",
    "external_id",
    "fbc",
    "fbp",
    "client_ip_address",
    "client_user_agent",
];
/// Histogram bucket upper bounds (ms); each histogram also has a +Inf bucket.
const BUILD_BUCKETS_MS: &[u64] = &[1, 2, 5, 10, 25, 50, 100, 250, 1000];
const CALL_BUCKETS_MS: &[u64] = &[5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000];
/// Minutes of per-minute volume kept (the dashboard's window).
pub const MINUTES_KEPT: u64 = 30;
/// Meta's messages are kept this short (a dashboard line, not a log).
const MAX_MESSAGE_CHARS: usize = 200;

/// A latency histogram (Prometheus style: cumulative when exported).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Histogram {
    bounds: &'static [u64],
    /// One count per bound, then the +Inf bucket.
    counts: Vec<u64>,
    sum_ms: u64,
    count: u64,
}

impl Histogram {
    fn new(bounds: &'static [u64]) -> Histogram {
        Histogram {
            bounds,
            counts: vec![0; bounds.len() + 1],
            sum_ms: 0,
            count: 0,
        }
    }

    pub fn observe(&mut self, ms: u64) {
        let bucket = self
            .bounds
            .iter()
            .position(|b| ms <= *b)
            .unwrap_or(self.bounds.len());
        if let Some(n) = self.counts.get_mut(bucket) {
            *n += 1;
        }
        self.sum_ms = self.sum_ms.saturating_add(ms);
        self.count += 1;
    }

    /// The `permille`th quantile as the upper bound of its bucket (an upper estimate, as
    /// Prometheus' histogram_quantile would bound it); the +Inf bucket reports the largest
    /// bound. `None` when nothing was observed.
    pub fn quantile(&self, permille: u64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        // Counts may come back from the host's JSON (`from_json`): no overflow whatever they are.
        let rank = self.count.saturating_mul(permille).div_ceil(1000).max(1);
        let mut seen = 0u64;
        for (i, n) in self.counts.iter().enumerate() {
            seen = seen.saturating_add(*n);
            if seen >= rank {
                let last = self.bounds.last().copied().unwrap_or(0);
                return Some(self.bounds.get(i).copied().unwrap_or(last));
            }
        }
        None
    }

    /// Cumulative buckets, as exported.
    fn cumulative(&self) -> impl Iterator<Item = (String, u64)> + '_ {
        let mut total = 0;
        self.counts.iter().enumerate().map(move |(i, n)| {
            total += n;
            let le = self
                .bounds
                .get(i)
                .map_or_else(|| "+Inf".to_string(), |b| decimal(*b));
            (le, total)
        })
    }

    fn to_json(&self) -> Json {
        let buckets = self
            .cumulative()
            .map(|(le, count)| {
                let le = if le == "+Inf" {
                    Json::from(le)
                } else {
                    Json::Number(le.into())
                };
                Json::object([("le", le), ("count", Json::from(count))])
            })
            .collect();
        Json::object([
            ("buckets", Json::Array(buckets)),
            ("sumMs", Json::from(self.sum_ms)),
            ("count", Json::from(self.count)),
        ])
    }

    fn from_json(bounds: &'static [u64], v: Option<&Json>) -> Histogram {
        let mut h = Histogram::new(bounds);
        let Some(v) = v else {
            return h;
        };
        h.sum_ms = count(v.get("sumMs"));
        h.count = count(v.get("count"));
        let buckets = v
            .get("buckets")
            .and_then(Json::as_array)
            .unwrap_or_default();
        let mut previous = 0;
        for (slot, bucket) in h.counts.iter_mut().zip(buckets) {
            let cumulative = count(bucket.get("count"));
            *slot = cumulative.saturating_sub(previous);
            previous = cumulative;
        }
        h
    }

    fn percentiles_json(&self) -> Json {
        let q = |permille| Json::from(self.quantile(permille));
        Json::object([
            ("count", Json::from(self.count)),
            ("p50", q(500)),
            ("p90", q(900)),
            ("p99", q(990)),
        ])
    }
}

/// Volume of one minute (`minute` = Unix ms / 60,000).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Minute {
    pub minute: u64,
    pub received: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub failed: u64,
    pub unconfirmed: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metrics {
    pub events_built: u64,
    pub events_invalid: u64,
    pub events_skipped: u64,
    pub events_accepted: u64,
    pub events_rejected: u64,
    pub events_failed: u64,
    /// Events whose request timed out or lost its connection after sending: Meta may have them.
    pub events_unconfirmed: u64,
    pub requests: u64,
    pub tries: u64,
    pub retries: u64,
    /// Calls made to the identity service.
    pub identity_calls: u64,
    /// Identity calls that failed (down, slow, refused, malformed).
    pub identity_call_failures: u64,
    /// Events identity added at least one `user_data` key to.
    pub identity_enriched: u64,
    /// Identity resolution by status (`resolved`, `cached`, `failed`, ...), first seen first.
    pub identity_by_status: Vec<(String, u64)>,
    /// Events not built, by the reason's code (`consent.denied`, `event.event_name_missing`).
    pub skipped_by_reason: Vec<(String, u64)>,
    /// Per pixel (a tag may send to several): events accepted, rejected, failed, unconfirmed.
    pub events_by_pixel: Vec<(String, [u64; 4])>,
    /// `"100/2804003"`, `"190"`, `"timeout"`, `"HTTP 503"`, ... with their counts, first seen first.
    pub errors_by_code: Vec<(String, u64)>,
    /// Meta's last message per error code (secrets redacted, cut short).
    pub error_messages: Vec<(String, String)>,
    /// Built events, and how many of them carried each of `MATCH_KEYS`.
    pub match_events: u64,
    pub match_keys: [u64; MATCH_KEYS.len()],
    pub build_ms: Histogram,
    pub identity_ms: Histogram,
    pub dispatch_ms: Histogram,
    /// The last `MINUTES_KEPT` minutes with traffic, oldest first.
    pub minutes: Vec<Minute>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            events_built: 0,
            events_invalid: 0,
            events_skipped: 0,
            events_accepted: 0,
            events_rejected: 0,
            events_failed: 0,
            events_unconfirmed: 0,
            requests: 0,
            tries: 0,
            retries: 0,
            identity_calls: 0,
            identity_call_failures: 0,
            identity_enriched: 0,
            identity_by_status: Vec::new(),
            skipped_by_reason: Vec::new(),
            events_by_pixel: Vec::new(),
            errors_by_code: Vec::new(),
            error_messages: Vec::new(),
            match_events: 0,
            match_keys: [0; MATCH_KEYS.len()],
            build_ms: Histogram::new(BUILD_BUCKETS_MS),
            identity_ms: Histogram::new(CALL_BUCKETS_MS),
            dispatch_ms: Histogram::new(CALL_BUCKETS_MS),
            minutes: Vec::new(),
        }
    }
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

/// A Prometheus label value, escaped as the text format requires: backslash, double quote and
/// line feed (a raw newline would end the sample line).
pub fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `{key: count}` in first-seen order.
fn counts_json(counts: &[(String, u64)]) -> Json {
    Json::Object(
        counts
            .iter()
            .map(|(k, v)| (Key::from(k.clone()), Json::from(*v)))
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

/// A non-negative whole JSON number, else 0.
fn count(v: Option<&Json>) -> u64 {
    match v {
        Some(Json::Number(t)) => crate::number::whole(t)
            .filter(|w| !w.negative && !w.has_fraction)
            .map_or(0, |w| w.value),
        _ => 0,
    }
}

impl Metrics {
    /// One event through the build: its outcome, why it was not built, its matching keys and
    /// what identity did.
    pub fn on_build(&mut self, out: &BuildOutput, now_ms: u64) {
        match out.status {
            Status::Ready => self.events_built += 1,
            Status::Invalid => self.events_invalid += 1,
            Status::Skipped => self.events_skipped += 1,
        }
        let reason = match out.status {
            Status::Ready => None,
            Status::Skipped => out.skipped.as_ref().map(|s| s.code),
            Status::Invalid => out.report.errors.first().map(|e| e.code),
        };
        if let Some(reason) = reason {
            bump(&mut self.skipped_by_reason, reason);
        }
        if out.status == Status::Ready {
            let user_data = out.event.as_ref().and_then(|e| e.get("user_data"));
            self.match_events += 1;
            // One pass over the event's user_data keys (each key is there once).
            for (key, _) in user_data.and_then(Value::as_object).unwrap_or_default() {
                let i = MATCH_KEYS.iter().position(|m| *m == key);
                if let Some(n) = i.and_then(|i| self.match_keys.get_mut(i)) {
                    *n += 1;
                }
            }
        }
        if let Some(identity) = &out.identity {
            self.on_identity(identity);
        }
        self.minute(now_ms).received += 1;
    }

    fn on_identity(&mut self, identity: &IdentityOutcome) {
        let r = &identity.resolution;
        bump(&mut self.identity_by_status, r.status);
        self.identity_calls += r.calls as u64;
        self.identity_call_failures += r.failures.len() as u64;
        if !identity.filled.is_empty() {
            self.identity_enriched += 1;
        }
    }

    /// One try's decision for `pixel`'s request carrying `events` events. `secrets` are redacted
    /// from the Meta message kept for the dashboard.
    pub fn on_decision(
        &mut self,
        d: &Decision,
        pixel: &str,
        events: u64,
        now_ms: u64,
        secrets: &[String],
    ) {
        self.on_try(&d.outcome, secrets);
        let Some(state) = d.final_state() else {
            self.retries += 1;
            return;
        };
        self.requests += 1;
        self.on_final(state, pixel, events, now_ms);
    }

    /// One try of a request to Meta: counted, and its error (if any) by code with Meta's message.
    pub fn on_try(&mut self, outcome: &Outcome, secrets: &[String]) {
        self.tries += 1;
        let (key, message) = match outcome {
            Outcome::Accepted { .. } => (None, None),
            Outcome::Rejected { error, .. } => (
                Some(error_key(error).unwrap_or_else(|| "rejected".into())),
                error.message.as_deref(),
            ),
            Outcome::Transient { reason, error, .. } => (
                Some(
                    error
                        .as_ref()
                        .and_then(error_key)
                        .unwrap_or_else(|| reason.clone()),
                ),
                error.as_ref().and_then(|e| e.message.as_deref()),
            ),
        };
        if let Some(key) = key {
            bump(&mut self.errors_by_code, &key);
            if let Some(message) = message {
                let line = foreign_message(message, MAX_MESSAGE_CHARS, secrets);
                match self.error_messages.iter_mut().find(|(k, _)| *k == key) {
                    Some(slot) => slot.1 = line,
                    None => self.error_messages.push((key, line)),
                }
            }
        }
    }

    /// `events` of `pixel` reached a final state: `accepted`, `rejected`, `unconfirmed` or
    /// anything else as `failed`.
    pub fn on_final(&mut self, state: &str, pixel: &str, events: u64, now_ms: u64) {
        let slot = match state {
            "accepted" => 0,
            "rejected" => 1,
            "unconfirmed" => 3,
            _ => 2,
        };
        match self.events_by_pixel.iter_mut().find(|(p, _)| p == pixel) {
            Some((_, counts)) => counts[slot] += events,
            None => {
                let mut counts = [0; 4];
                counts[slot] = events;
                self.events_by_pixel.push((pixel.to_string(), counts));
            }
        }
        let totals = [
            &mut self.events_accepted,
            &mut self.events_rejected,
            &mut self.events_failed,
            &mut self.events_unconfirmed,
        ];
        *totals[slot] += events;
        let m = self.minute(now_ms);
        *[
            &mut m.accepted,
            &mut m.rejected,
            &mut m.failed,
            &mut m.unconfirmed,
        ][slot] += events;
    }

    /// One run's stage times, measured by the host. `sent`: whether the run sent anything (a
    /// skipped or invalid run has no dispatch time to count).
    pub fn on_timings(&mut self, t: &Timings, sent: bool) {
        self.build_ms.observe(t.build_ms);
        if let Some(ms) = t.identity_ms {
            self.identity_ms.observe(ms);
        }
        if sent {
            self.dispatch_ms.observe(t.dispatch_ms);
        }
    }

    /// The counts of the minute of `now_ms`; minutes older than the window are dropped.
    fn minute(&mut self, now_ms: u64) -> &mut Minute {
        let minute = now_ms / 60_000;
        // The usual call: the newest minute is this one and the oldest still in the window
        // (the list is sorted), so there is nothing to drop or insert.
        let oldest_kept = self
            .minutes
            .first()
            .map(|m| m.minute + MINUTES_KEPT > minute);
        if oldest_kept == Some(true) && self.minutes.last().map(|m| m.minute) == Some(minute) {
            let last = self.minutes.len() - 1;
            return &mut self.minutes[last];
        }
        self.minutes
            .retain(|m| m.minute + MINUTES_KEPT > minute && m.minute <= minute);
        let at = match self.minutes.iter().position(|m| m.minute >= minute) {
            Some(i) if self.minutes[i].minute == minute => i,
            Some(i) => {
                self.minutes.insert(
                    i,
                    Minute {
                        minute,
                        ..Minute::default()
                    },
                );
                i
            }
            None => {
                self.minutes.push(Minute {
                    minute,
                    ..Minute::default()
                });
                self.minutes.len() - 1
            }
        };
        &mut self.minutes[at]
    }

    fn counters(&self) -> [(&'static str, u64); 15] {
        [
            (
                "eventsReceived",
                self.events_built + self.events_invalid + self.events_skipped,
            ),
            ("eventsBuilt", self.events_built),
            ("eventsInvalid", self.events_invalid),
            ("eventsSkipped", self.events_skipped),
            ("eventsAccepted", self.events_accepted),
            ("eventsRejected", self.events_rejected),
            ("eventsFailed", self.events_failed),
            ("eventsUnconfirmed", self.events_unconfirmed),
            ("requests", self.requests),
            ("tries", self.tries),
            ("retries", self.retries),
            ("identityCalls", self.identity_calls),
            ("identityCallFailures", self.identity_call_failures),
            ("identityEnriched", self.identity_enriched),
            ("matchEvents", self.match_events),
        ]
    }

    /// The counters as JSON; `perMinute` covers the `MINUTES_KEPT` minutes up to `now_ms`,
    /// oldest first, quiet minutes with zeros.
    pub fn to_json(&self, now_ms: u64) -> Json {
        let mut out = Json::Object(
            self.counters()
                .iter()
                .map(|(k, v)| (Key::from(*k), Json::from(*v)))
                .collect(),
        );
        out.set("identityByStatus", counts_json(&self.identity_by_status));
        out.set("skippedByReason", counts_json(&self.skipped_by_reason));
        let pixels = self.events_by_pixel.iter().map(|(p, [a, r, f, u])| {
            let counts = Json::object([
                ("accepted", Json::from(*a)),
                ("rejected", Json::from(*r)),
                ("failed", Json::from(*f)),
                ("unconfirmed", Json::from(*u)),
            ]);
            (Key::from(p.clone()), counts)
        });
        out.set("eventsByPixel", Json::Object(pixels.collect()));
        out.set("errorsByCode", counts_json(&self.errors_by_code));
        let messages = self
            .error_messages
            .iter()
            .map(|(k, m)| (Key::from(k.clone()), Json::from(m.as_str())))
            .collect();
        out.set("errorMessages", Json::Object(messages));
        let mut keys = vec![(Key::from("events"), Json::from(self.match_events))];
        for (key, n) in MATCH_KEYS.iter().zip(self.match_keys) {
            keys.push((Key::from(*key), Json::from(n)));
        }
        out.set("matchKeys", Json::Object(keys));
        let stages = [
            ("build", &self.build_ms),
            ("identity", &self.identity_ms),
            ("dispatch", &self.dispatch_ms),
        ];
        let percentiles = stages
            .iter()
            .map(|(k, h)| (Key::from(*k), h.percentiles_json()));
        out.set("latencyMs", Json::Object(percentiles.collect()));
        let histograms = stages.iter().map(|(k, h)| (Key::from(*k), h.to_json()));
        out.set("histogramsMs", Json::Object(histograms.collect()));
        out.set("perMinute", self.per_minute_json(now_ms));
        out
    }

    fn per_minute_json(&self, now_ms: u64) -> Json {
        let last = now_ms / 60_000;
        let first = last.saturating_sub(MINUTES_KEPT - 1);
        let minutes = (first..=last).map(|minute| {
            let m = self
                .minutes
                .iter()
                .find(|m| m.minute == minute)
                .copied()
                .unwrap_or_default();
            Json::object([
                ("minute", Json::from(iso_timestamp(minute * 60_000))),
                ("received", Json::from(m.received)),
                ("accepted", Json::from(m.accepted)),
                ("rejected", Json::from(m.rejected)),
                ("failed", Json::from(m.failed)),
                ("unconfirmed", Json::from(m.unconfirmed)),
            ])
        });
        Json::Array(minutes.collect())
    }

    /// Read back `to_json`'s output (a host hands the counters of several tags over as JSON).
    /// `perMinute` is not read back: Prometheus computes rates from the totals.
    pub fn from_json(v: &Json) -> Metrics {
        let n = |key: &str| count(v.get(key));
        let counts = |key: &str| -> Vec<(String, u64)> {
            let pairs = v.get(key).and_then(Json::as_object).unwrap_or_default();
            pairs
                .iter()
                .map(|(k, x)| (k.to_string(), count(Some(x))))
                .collect()
        };
        let histogram = |stage: &str, bounds| {
            Histogram::from_json(bounds, v.get("histogramsMs").and_then(|h| h.get(stage)))
        };
        let keys = v.get("matchKeys");
        let mut match_keys = [0; MATCH_KEYS.len()];
        for (slot, key) in match_keys.iter_mut().zip(MATCH_KEYS) {
            *slot = count(keys.and_then(|k| k.get(key)));
        }
        let messages = v
            .get("errorMessages")
            .and_then(Json::as_object)
            .unwrap_or_default();
        Metrics {
            events_built: n("eventsBuilt"),
            events_invalid: n("eventsInvalid"),
            events_skipped: n("eventsSkipped"),
            events_accepted: n("eventsAccepted"),
            events_rejected: n("eventsRejected"),
            events_failed: n("eventsFailed"),
            events_unconfirmed: n("eventsUnconfirmed"),
            requests: n("requests"),
            tries: n("tries"),
            retries: n("retries"),
            identity_calls: n("identityCalls"),
            identity_call_failures: n("identityCallFailures"),
            identity_enriched: n("identityEnriched"),
            identity_by_status: counts("identityByStatus"),
            skipped_by_reason: counts("skippedByReason"),
            events_by_pixel: v
                .get("eventsByPixel")
                .and_then(Json::as_object)
                .unwrap_or_default()
                .iter()
                .map(|(p, c)| {
                    let n = |k: &str| count(c.get(k));
                    let counts = [n("accepted"), n("rejected"), n("failed"), n("unconfirmed")];
                    (p.to_string(), counts)
                })
                .collect(),
            errors_by_code: counts("errorsByCode"),
            error_messages: messages
                .iter()
                .filter_map(|(k, m)| Some((k.to_string(), m.as_str()?.to_string())))
                .collect(),
            match_events: count(keys.and_then(|k| k.get("events"))),
            match_keys,
            build_ms: histogram("build", BUILD_BUCKETS_MS),
            identity_ms: histogram("identity", CALL_BUCKETS_MS),
            dispatch_ms: histogram("dispatch", CALL_BUCKETS_MS),
            minutes: Vec::new(),
        }
    }

    /// Prometheus text exposition format (version 0.0.4).
    pub fn to_prometheus(&self) -> String {
        exposition(&[(None, self)])
    }

    /// Every metric family with this instance's samples (`tag` labels them, when given).
    fn families(&self, tag: Option<&str>) -> Vec<Family> {
        let sample = |name: &str, extra: &[(&str, &str)], n: u64| {
            format!("{name}{} {}", labels(tag, extra), decimal(n))
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
        let histogram = |name: &'static str, help: &'static str, h: &Histogram| {
            let mut samples: Vec<String> = h
                .cumulative()
                .map(|(le, n)| sample(&format!("{name}_bucket"), &[("le", &le)], n))
                .collect();
            samples.push(sample(&format!("{name}_sum"), &[], h.sum_ms));
            samples.push(sample(&format!("{name}_count"), &[], h.count));
            Family {
                name,
                help,
                kind: "histogram",
                samples,
            }
        };
        let events = [
            ("built", self.events_built),
            ("invalid", self.events_invalid),
            ("skipped", self.events_skipped),
            ("accepted", self.events_accepted),
            ("rejected", self.events_rejected),
            ("failed", self.events_failed),
            ("unconfirmed", self.events_unconfirmed),
        ];
        let keys: Vec<(String, u64)> = MATCH_KEYS
            .iter()
            .zip(self.match_keys)
            .map(|(k, n)| (k.to_string(), n))
            .collect();
        vec![
            Family {
                name: "omni_meta_capi_events_total",
                help: "Events by outcome of building (built, invalid, skipped) and of sending (accepted, rejected, failed, unconfirmed: Meta may have them).",
                kind: "counter",
                samples: events
                    .iter()
                    .map(|(o, n)| sample("omni_meta_capi_events_total", &[("outcome", o)], *n))
                    .collect(),
            },
            by(
                "omni_meta_capi_events_not_built_total",
                "Events skipped or invalid, by the reason's code.",
                "reason",
                &self.skipped_by_reason,
            ),
            Family {
                name: "omni_meta_capi_pixel_events_total",
                help: "Events sent, per pixel, by outcome (accepted, rejected, failed, unconfirmed).",
                kind: "counter",
                samples: self
                    .events_by_pixel
                    .iter()
                    .flat_map(|(p, counts)| {
                        ["accepted", "rejected", "failed", "unconfirmed"].iter().zip(counts).map(move |(o, n)| {
                            sample("omni_meta_capi_pixel_events_total", &[("pixel", p), ("outcome", o)], *n)
                        })
                    })
                    .collect(),
            },
            counter("omni_meta_capi_requests_total", "Requests to Meta that reached a final state.", self.requests),
            counter("omni_meta_capi_tries_total", "Tries (fetches) of requests to Meta.", self.tries),
            counter("omni_meta_capi_retries_total", "Retries after transient failures.", self.retries),
            by(
                "omni_meta_capi_errors_total",
                "Failed tries by Meta error code/subcode or transport reason.",
                "code",
                &self.errors_by_code,
            ),
            counter("omni_meta_capi_identity_calls_total", "Calls made to the identity service.", self.identity_calls),
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
                "omni_meta_capi_identity_events_total",
                "Events by how identity resolution went (resolved, cached, failed, no_identifier, not_requested).",
                "status",
                &self.identity_by_status,
            ),
            counter("omni_meta_capi_match_events_total", "Built events (the denominator of the matching-key counts).", self.match_events),
            by(
                "omni_meta_capi_match_keys_total",
                "Built events that carried this matching key.",
                "key",
                &keys,
            ),
            histogram("omni_meta_capi_build_duration_ms", "Time to build one run's request(s).", &self.build_ms),
            histogram("omni_meta_capi_identity_duration_ms", "Time of one run's identity calls (in parallel).", &self.identity_ms),
            histogram(
                "omni_meta_capi_dispatch_duration_ms",
                "Time to send one event run, all tries and waits included.",
                &self.dispatch_ms,
            ),
        ]
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
    // Prometheus' convention: each instance exposes its own counters, the server sums them.
    let mut out = String::from(
        "# omni-meta-capi: the counters of this instance (one process, or one Workers isolate) \
         since it started; /dashboard shows the shared history.\n",
    );
    let Some(first) = per_tag.first() else {
        return out;
    };
    for (i, family) in first.iter().enumerate() {
        out.push_str(&format!(
            "# HELP {} {}\n# TYPE {} {}\n",
            family.name, family.help, family.name, family.kind
        ));
        for families in &per_tag {
            let samples = families.get(i).map(|f| f.samples.as_slice());
            for sample in samples.unwrap_or_default() {
                out.push_str(sample);
                out.push('\n');
            }
        }
    }
    out
}

/// The counters after a settled try: each request's try (and error), then each row's final
/// state per pixel that carried it — delivered as accepted, a Meta rejection as rejected, any
/// other dead letter as failed; a retry counts once per request that will be retried.
pub fn count_settled(
    m: &mut Metrics,
    batch: &delivery::Batch,
    outcomes: &[Outcome],
    next: &[delivery::Next],
    now_ms: u64,
    secrets: &[String],
) {
    for (sent, outcome) in batch.sent.iter().zip(outcomes) {
        m.on_try(outcome, secrets);
        let retried = sent.event_indexes.iter().any(|i| {
            matches!(
                next.get(*i),
                Some(delivery::Next::Retry { .. } | delivery::Next::Split)
            )
        });
        if retried {
            m.retries += 1;
        } else {
            m.requests += 1;
        }
    }
    for (i, n) in next.iter().enumerate() {
        let state = match n {
            delivery::Next::Delivered => "accepted",
            delivery::Next::Dead { reason } if reason.starts_with("rejected") => "rejected",
            delivery::Next::Dead { reason } if !reason.starts_with("invalid") => "failed",
            _ => continue,
        };
        let pixels = batch.sent.iter().filter(|s| s.event_indexes.contains(&i));
        let mut counted = false;
        for sent in pixels {
            m.on_final(state, &sent.pixel_id, 1, now_ms);
            counted = true;
        }
        if !counted {
            m.on_final(state, "", 1, now_ms);
        }
    }
}

#[cfg(test)]
mod tests;
