//! Durable delivery: what becomes of queued events after one try of the Meta requests they were
//! built into. The host keeps the events (an outbox in SQLite on Node, Cloudflare Queues on
//! Workers) and asks here, after every try, what to do with each one:
//!
//! - `Delivered`: Meta accepted every request that carried it: it leaves the queue;
//! - `Retry { at_ms }`: a transient failure (Meta down, throttled, a timeout, fewer events
//!   received than sent): it waits in the queue, however long Retry-After says, with backoff that
//!   survives restarts because the time is stored with the event;
//! - `Split`: Meta refused a request of several events for a payload error (code 100) that one
//!   of them may have caused (Meta refuses the whole request for one bad event): each is tried
//!   again on its own, so the bad one cannot take the others down;
//! - `Dead { reason }`: it cannot get through — Meta rejected it for good (the reason is Meta's
//!   redacted error), it is invalid, or it is too old to send (Meta refuses `event_time` older
//!   than 7 days) — and goes to the dead letters with the reason, for an operator to retry;
//! - `Skipped { reason }`: not to be sent at all (consent): it leaves the queue.
//!
//! The in-memory path (`dispatch::decide`) gives up after a few tries; here nothing is given up
//! on but for the reasons above.
use crate::dispatch::{classify_sent, Attempt, MetaError, Outcome};
use crate::json::{decimal, Json, Value};

/// How patiently queued events are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueuePolicy {
    /// The wait after the first failed try; doubles with each try after it.
    pub base_delay_ms: u64,
    /// The longest wait backoff gives (a Retry-After may ask for longer, and is honoured).
    pub max_delay_ms: u64,
    /// Events received longer ago than this are dead-lettered instead of tried: Meta refuses
    /// events older than 7 days, and a try takes time (the default leaves an hour).
    pub max_age_ms: u64,
}

pub const DAY_MS: u64 = 86_400_000;

impl Default for QueuePolicy {
    fn default() -> Self {
        QueuePolicy {
            base_delay_ms: 1_000,
            max_delay_ms: 300_000,
            max_age_ms: 7 * DAY_MS - 3_600_000,
        }
    }
}

/// One queued event as the host knows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    /// Tries made before this one.
    pub attempts: u32,
    /// When it was accepted (Unix ms).
    pub received_at_ms: u64,
}

/// What to do with one queued event after a try.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    Delivered,
    Retry { at_ms: u64 },
    Split,
    Dead { reason: String },
    Skipped { reason: String },
}

impl Next {
    pub fn to_json(&self) -> Json {
        match self {
            Next::Delivered => Json::object([("action", Json::from("delivered"))]),
            Next::Retry { at_ms } => Json::object([
                ("action", Json::from("retry")),
                ("retryAt", Json::from(*at_ms)),
            ]),
            Next::Split => Json::object([("action", Json::from("split"))]),
            Next::Dead { reason } => Json::object([
                ("action", Json::from("dead")),
                ("reason", Json::from(reason.as_str())),
            ]),
            Next::Skipped { reason } => Json::object([
                ("action", Json::from("skipped")),
                ("reason", Json::from(reason.as_str())),
            ]),
        }
    }
}

/// How the build of one event went (the batch build's `events[i]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Built {
    Ready,
    /// Invalid, with the validation codes.
    Invalid(Vec<String>),
    /// Skipped (consent), with the reason's code.
    Skipped(String),
}

/// One Meta request of the batch: its pixel, the events it carried (indexes into the rows) and
/// what its one try came to.
pub struct Sent {
    pub pixel_id: String,
    pub event_indexes: Vec<usize>,
    pub attempt: Attempt,
}

/// The wait before try number `tries + 1` (`tries` made so far, at least 1): exponential backoff
/// with equal jitter (half fixed, so a queue never spins), never less than Retry-After.
pub fn backoff_ms(
    policy: &QueuePolicy,
    tries: u32,
    retry_after_ms: Option<u64>,
    random: u32,
) -> u64 {
    let factor = 1u64
        .checked_shl(tries.max(1).saturating_sub(1))
        .unwrap_or(u64::MAX);
    let full = policy
        .base_delay_ms
        .saturating_mul(factor)
        .min(policy.max_delay_ms);
    let half = full / 2;
    let jitter = u128::from(full - half) * u128::from(random) / u128::from(u32::MAX);
    let wait = half.saturating_add(u64::try_from(jitter).unwrap_or(0));
    wait.max(retry_after_ms.unwrap_or(0))
}

/// Each request's outcome, classified as `dispatch` does (with Meta's count checked).
pub fn outcomes(sent: &[Sent], now_ms: u64) -> Vec<Outcome> {
    sent.iter()
        .map(|s| classify_sent(&s.attempt, now_ms, s.event_indexes.len() as u64))
        .collect()
}

impl Batch {
    /// Classify each request's try, then settle every row: `(outcomes, next)`, one outcome per
    /// request and one decision per row.
    pub fn settle(&self, now_ms: u64, random: u32) -> (Vec<Outcome>, Vec<Next>) {
        let outcomes = outcomes(&self.sent, now_ms);
        let next = settle(
            &self.policy,
            &self.rows,
            &self.built,
            &self.sent,
            &outcomes,
            now_ms,
            random,
        );
        (outcomes, next)
    }
}

/// What becomes of each row after one try of the batch's requests (`outcomes` of `sent`).
pub fn settle(
    policy: &QueuePolicy,
    rows: &[Row],
    built: &[Built],
    sent: &[Sent],
    outcomes: &[Outcome],
    now_ms: u64,
    random: u32,
) -> Vec<Next> {
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            let mine = sent
                .iter()
                .zip(outcomes)
                .filter(|(s, _)| s.event_indexes.contains(&i));
            match built.get(i) {
                Some(Built::Ready) => after_requests(policy, row, mine, now_ms, random),
                Some(Built::Invalid(codes)) => Next::Dead {
                    reason: format!("invalid: {}", codes.join(", ")),
                },
                Some(Built::Skipped(code)) => Next::Skipped {
                    reason: code.clone(),
                },
                None => Next::Dead {
                    reason: "not built".into(),
                },
            }
        })
        .collect()
}

/// One built event over every request that carried it (one per pixel): rejected anywhere ->
/// dead (or split), transient anywhere -> retry, else delivered.
fn after_requests<'a>(
    policy: &QueuePolicy,
    row: &Row,
    mine: impl Iterator<Item = (&'a Sent, &'a Outcome)>,
    now_ms: u64,
    random: u32,
) -> Next {
    let mut retry_after: Option<Option<u64>> = None;
    let mut carried = false;
    for (sent, outcome) in mine {
        carried = true;
        match outcome {
            Outcome::Accepted { .. } => {}
            Outcome::Rejected { error, .. } => {
                if sent.event_indexes.len() > 1 && is_payload_error(error) {
                    return Next::Split;
                }
                return Next::Dead {
                    reason: rejection_reason(&sent.pixel_id, error),
                };
            }
            Outcome::Transient { retry_after_ms, .. } => {
                let longest = retry_after.flatten().max(*retry_after_ms);
                retry_after = Some(longest);
            }
        }
    }
    if !carried {
        return Next::Dead {
            reason: "built, but in no request".into(),
        };
    }
    let Some(retry_after) = retry_after else {
        return Next::Delivered;
    };
    let at_ms = now_ms.saturating_add(backoff_ms(policy, row.attempts + 1, retry_after, random));
    if at_ms > row.received_at_ms.saturating_add(policy.max_age_ms) {
        return Next::Dead {
            reason: too_old_reason(policy),
        };
    }
    Next::Retry { at_ms }
}

pub fn too_old_reason(policy: &QueuePolicy) -> String {
    let hours = policy.max_age_ms / 3_600_000;
    format!(
        "too_old: not delivered within {} hours of being received (Meta refuses events older than 7 days)",
        decimal(hours)
    )
}

/// Meta's "invalid parameter" family (code 100, e.g. 2804xxx payload errors): one event's fault,
/// unlike a token (190) or permission error, which is the same for every event.
fn is_payload_error(error: &MetaError) -> bool {
    error.code == Some(100)
}

/// `rejected by Meta (pixel 1): 100/2804003 Event Timestamp Too Old: The timestamp ...` — Meta's
/// texts are already redacted (`dispatch::meta_error`).
fn rejection_reason(pixel_id: &str, error: &MetaError) -> String {
    let mut reason = format!("rejected by Meta (pixel {pixel_id})");
    if let Some(code) = error.code {
        reason.push_str(": ");
        reason.push_str(&code.to_string());
        if let Some(sub) = error.error_subcode {
            reason.push('/');
            reason.push_str(&sub.to_string());
        }
    }
    let user: Vec<&str> = [&error.error_user_title, &error.error_user_msg]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .filter(|t| !t.is_empty())
        .collect();
    let text = if user.is_empty() {
        error.message.clone().unwrap_or_default()
    } else {
        user.join(": ")
    };
    if !text.is_empty() {
        reason.push_str(": ");
        reason.push_str(&text);
    }
    reason
}

/// A settle call as the host sends it: `{rows: [{attempts, receivedAt, eventId, eventName}],
/// events: <the batch build's events>, requests: [{pixelId, eventIndexes}], tries: [<Attempt>],
/// policy?: {baseDelayMs, maxDelayMs, maxAgeMs}}`. Missing or malformed parts read as empty
/// (a row without a build is dead-lettered as "not built", never dropped).
pub struct Batch {
    pub policy: QueuePolicy,
    pub rows: Vec<Row>,
    /// Each row's `event_id` and `event_name` as ingestion recorded them, for the records.
    pub names: Vec<(Option<String>, Option<String>)>,
    pub built: Vec<Built>,
    pub sent: Vec<Sent>,
}

impl QueuePolicy {
    /// `{baseDelayMs, maxDelayMs, maxAgeMs}`, each within sane bounds; missing keys default.
    pub fn from_json(v: Option<&Json>) -> QueuePolicy {
        let d = QueuePolicy::default();
        let n = |k: &str, default: u64, lo: u64, hi: u64| {
            v.and_then(|v| v.get(k))
                .and_then(uint)
                .map_or(default, |x| x.clamp(lo, hi))
        };
        QueuePolicy {
            base_delay_ms: n("baseDelayMs", d.base_delay_ms, 1, 3_600_000),
            max_delay_ms: n("maxDelayMs", d.max_delay_ms, 1, 86_400_000),
            max_age_ms: n("maxAgeMs", d.max_age_ms, 1, 7 * DAY_MS),
        }
    }
}

impl Batch {
    pub fn from_json(v: &Json) -> Batch {
        let list = |k: &str| v.get(k).and_then(Value::as_array).unwrap_or_default();
        let text = |v: &Json, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let rows = list("rows");
        Batch {
            policy: QueuePolicy::from_json(v.get("policy")),
            rows: rows
                .iter()
                .map(|r| Row {
                    attempts: r
                        .get("attempts")
                        .and_then(uint)
                        .map_or(0, |a| u32::try_from(a).unwrap_or(u32::MAX)),
                    received_at_ms: r.get("receivedAt").and_then(uint).unwrap_or(0),
                })
                .collect(),
            names: rows
                .iter()
                .map(|r| (text(r, "eventId"), text(r, "eventName")))
                .collect(),
            built: list("events").iter().map(built_from_json).collect(),
            sent: list("requests")
                .iter()
                .zip(
                    list("tries")
                        .iter()
                        .map(Some)
                        .chain(std::iter::repeat(None)),
                )
                .map(|(r, attempt)| Sent {
                    pixel_id: text(r, "pixelId").unwrap_or_default(),
                    event_indexes: r
                        .get("eventIndexes")
                        .and_then(Value::as_array)
                        .unwrap_or_default()
                        .iter()
                        .filter_map(uint)
                        .filter_map(|i| usize::try_from(i).ok())
                        .collect(),
                    attempt: attempt.map_or(
                        Attempt::NetworkError {
                            message: "no try reported".into(),
                        },
                        Attempt::from_json,
                    ),
                })
                .collect(),
        }
    }
}

/// A whole non-negative JSON number (`1795875760000`, `3`).
fn uint(v: &Json) -> Option<u64> {
    let Value::Number(text) = v else { return None };
    crate::number::whole(text)
        .filter(|w| !w.negative && !w.has_fraction)
        .map(|w| w.value)
}

/// A batch build's `events[i]`: `{status, report: {errors: [{code}]}, skipped: {code}}`.
fn built_from_json(e: &Json) -> Built {
    let code = |v: Option<&Json>| {
        v.and_then(|c| c.get("code"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    match e.get("status").and_then(Value::as_str) {
        Some("ready") => Built::Ready,
        Some("skipped") => {
            Built::Skipped(code(e.get("skipped")).unwrap_or_else(|| "skipped".into()))
        }
        _ => Built::Invalid(
            e.get("report")
                .and_then(|r| r.get("errors"))
                .and_then(Value::as_array)
                .unwrap_or_default()
                .iter()
                .filter_map(|x| code(Some(x)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests;
