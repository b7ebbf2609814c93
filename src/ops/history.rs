//! Monitoring history that survives restarts and adds up across instances (Workers isolates,
//! restarts of `serve`). Each instance keeps what happened since its last flush (`Activity`);
//! the host drains it (`Activity::drain`) into a shared store (SQLite on Node, a Durable Object
//! on Workers) that only adds counts up. Reading: the host selects rows as `query` says and
//! `dashboard` makes the page's figures from them. Every decision is here; the store runs SQL.
//!
//! A count row: `[res, at, tag, pixel, event, metric, n]`: `res` "m" (minute) or "h" (hour),
//! `at` the bucket's start (Unix ms), `metric` one of `OUTCOMES`, `received`, `id_page`,
//! `id_generated`, `matched` (accepted events scored for EMQ) or `key:<user_data key>`.
//! Minute rows are kept `MINUTE_ROWS_MS` (24 h), hour rows `HOUR_ROWS_MS` (8 days).
//!
//! Nothing here holds PII: counts, event names, pixel ids, key *names*, Meta's trace id and
//! Meta's (redacted) error texts.
use crate::dispatch::{MetaError, Outcome};
use crate::emq;
use crate::json::{decimal, Json, Key as JsonKey};
use crate::logging::{foreign_message, iso_timestamp};

pub const MINUTE_MS: u64 = 60_000;
pub const HOUR_MS: u64 = 3_600_000;
pub const MINUTE_ROWS_MS: u64 = 24 * HOUR_MS;
pub const HOUR_ROWS_MS: u64 = 8 * 24 * HOUR_MS;
/// Recent events kept (the store keeps the newest this many).
pub const RECENT_KEPT: usize = 50;
/// Final states of a sent event.
pub const OUTCOMES: [&str; 4] = ["accepted", "rejected", "failed", "unconfirmed"];
/// Meta's texts are kept this short on the dashboard.
const MAX_TEXT_CHARS: usize = 300;

type Key = (char, u64, String, String, String);

/// What one instance saw since its last drain.
#[derive(Debug, Default)]
pub struct Activity {
    /// ((res, at, pixel, event, metric), n), merged.
    counts: Vec<(Key, u64)>,
    recent: Vec<Json>,
    last_event_ms: Option<u64>,
    last_error_ms: Option<u64>,
}

impl Activity {
    fn add(&mut self, now_ms: u64, pixel: &str, event: &str, metric: &str, n: u64) {
        if n == 0 {
            return;
        }
        for (res, size) in [('m', MINUTE_MS), ('h', HOUR_MS)] {
            let key = (
                res,
                now_ms - now_ms % size,
                pixel.to_string(),
                event.to_string(),
                metric.to_string(),
            );
            match self.counts.iter_mut().find(|(k, _)| *k == key) {
                Some((_, c)) => *c += n,
                None => self.counts.push((key, n)),
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty() && self.recent.is_empty() && self.last_event_ms.is_none()
    }

    /// An event the container accepted: `generated` when it came without an `event_id` (the
    /// container made one up, so no browser pixel event can share it).
    pub fn on_received(&mut self, event: &str, generated: bool, now_ms: u64) {
        self.add(now_ms, "", event, "received", 1);
        let source = if generated { "id_generated" } else { "id_page" };
        self.add(now_ms, "", event, source, 1);
    }

    /// An event not sent: `invalid` or `skipped` (consent).
    pub fn on_not_built(&mut self, event: &str, status: &str, now_ms: u64) {
        self.add(now_ms, "", event, status, 1);
    }

    /// The events of one request to `pixel` reached `state` (`accepted`, `rejected`,
    /// `unconfirmed`, else `failed`). `body` is the request body sent (its `data` names the
    /// events and their `user_data` keys); `outcome` the last try's, for Meta's trace id and
    /// error texts; `secrets` are redacted from those once more.
    pub fn on_final(
        &mut self,
        pixel: &str,
        state: &str,
        events: &[SentEvent],
        outcome: Option<&Outcome>,
        now_ms: u64,
        secrets: &[String],
    ) {
        let state = OUTCOMES
            .iter()
            .find(|o| **o == state)
            .copied()
            .unwrap_or("failed");
        let (trace, error) = match outcome {
            Some(Outcome::Accepted { fbtrace_id, .. }) => (fbtrace_id.clone(), None),
            Some(Outcome::Rejected { http_status, error }) => (
                error.fbtrace_id.clone(),
                Some(error_json(
                    Some(error),
                    &format!("HTTP {http_status}"),
                    secrets,
                )),
            ),
            Some(Outcome::Transient { reason, error, .. }) => (
                error.as_ref().and_then(|e| e.fbtrace_id.clone()),
                Some(error_json(error.as_ref(), reason, secrets)),
            ),
            None => (None, None),
        };
        self.last_event_ms = self.last_event_ms.max(Some(now_ms));
        if state != "accepted" {
            self.last_error_ms = self.last_error_ms.max(Some(now_ms));
        }
        for e in events {
            self.add(now_ms, pixel, &e.name, state, 1);
            if state == "accepted" {
                self.add(now_ms, pixel, &e.name, "matched", 1);
                for k in &e.keys {
                    self.add(now_ms, pixel, &e.name, &format!("key:{k}"), 1);
                }
            }
            let mut entry = Json::object([
                ("at", Json::from(iso_timestamp(now_ms))),
                ("atMs", Json::from(now_ms)),
                ("event", Json::from(e.name.as_str())),
                ("pixel", Json::from(pixel)),
                ("status", Json::from(state)),
                ("keys", Json::from(e.keys.clone())),
                ("fbtraceId", Json::from(trace.clone())),
            ]);
            if let Some(error) = &error {
                entry.set("error", error.clone());
            }
            self.recent.push(entry);
        }
        let over = self.recent.len().saturating_sub(RECENT_KEPT);
        self.recent.drain(..over);
    }

    /// Everything since the last drain, for the store, and forget it: `{rows, recent, last,
    /// prune: {m, h}}` (`prune`: rows older than these bucket starts may go).
    pub fn drain(&mut self, tag: &str, now_ms: u64) -> Json {
        let rows = self
            .counts
            .drain(..)
            .map(|((res, at, pixel, event, metric), n)| {
                Json::Array(vec![
                    Json::from(res.to_string()),
                    Json::from(at),
                    Json::from(tag),
                    Json::from(pixel),
                    Json::from(event),
                    Json::from(metric),
                    Json::from(n),
                ])
            });
        let recent = self.recent.drain(..).map(|mut e| {
            e.set("tag", Json::from(tag));
            e
        });
        let last = [
            ("event", self.last_event_ms.take()),
            ("error", self.last_error_ms.take()),
        ]
        .into_iter()
        .filter_map(|(kind, at)| {
            Some(Json::Array(vec![
                Json::from(tag),
                Json::from(kind),
                Json::from(at?),
            ]))
        });
        Json::object([
            ("rows", Json::Array(rows.collect())),
            ("recent", Json::Array(recent.collect())),
            ("last", Json::Array(last.collect())),
            ("prune", prune(now_ms)),
        ])
    }
}

/// Bucket starts before which rows are no longer kept.
pub fn prune(now_ms: u64) -> Json {
    Json::object([
        ("m", Json::from(now_ms.saturating_sub(MINUTE_ROWS_MS))),
        ("h", Json::from(now_ms.saturating_sub(HOUR_ROWS_MS))),
    ])
}

/// `{code, title, message}` of a failed try: Meta's code and `error_user_title` /
/// `error_user_msg` (or its `message`), redacted and cut short.
fn error_json(error: Option<&MetaError>, fallback: &str, secrets: &[String]) -> Json {
    let text = |t: Option<&String>| t.map(|t| foreign_message(t, MAX_TEXT_CHARS, secrets));
    let code = error
        .and_then(|e| {
            let code = e.code?;
            Some(match e.error_subcode {
                Some(sub) => format!("{code}/{sub}"),
                None => code.to_string(),
            })
        })
        .unwrap_or_else(|| fallback.to_string());
    let title = error.and_then(|e| text(e.error_user_title.as_ref()));
    let message = error.and_then(|e| text(e.error_user_msg.as_ref().or(e.message.as_ref())));
    Json::object([
        ("code", Json::from(code)),
        ("title", Json::from(title)),
        ("message", Json::from(message)),
    ])
}

/// One event of a request body: its name and the `user_data` keys it carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentEvent {
    pub name: String,
    pub keys: Vec<String>,
}

/// The events of a Meta request body (`{"data": [...]}`), in order; none if it does not parse.
pub fn sent_events(body: &str) -> Vec<SentEvent> {
    crate::observe::body_data(body)
        .iter()
        .map(|e| SentEvent {
            name: e
                .get("event_name")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string(),
            keys: e
                .get("user_data")
                .and_then(Json::as_object)
                .unwrap_or_default()
                .iter()
                .filter(|(k, v)| emq::user_data_keys().any(|u| u == k) && carries(v))
                .map(|(k, _)| k.to_string())
                .collect(),
        })
        .collect()
}

fn carries(v: &Json) -> bool {
    match v {
        Json::Null => false,
        Json::String(s) => !s.is_empty(),
        Json::Array(items) => items.iter().any(carries),
        _ => true,
    }
}

/// A count row read back from the store (anything malformed reads as nothing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub res: char,
    pub at: u64,
    pub tag: String,
    pub pixel: String,
    pub event: String,
    pub metric: String,
    pub n: u64,
}

pub fn rows_from_json(v: Option<&Json>) -> Vec<Row> {
    let items = v.and_then(Json::as_array).unwrap_or_default();
    items
        .iter()
        .filter_map(|r| {
            let r = r.as_array()?;
            let text = |i: usize| r.get(i)?.as_str().map(str::to_string);
            Some(Row {
                res: text(0)?.chars().next()?,
                at: uint(r.get(1))?,
                tag: text(2)?,
                pixel: text(3)?,
                event: text(4)?,
                metric: text(5)?,
                n: uint(r.get(6))?,
            })
        })
        .collect()
}

pub fn uint(v: Option<&Json>) -> Option<u64> {
    match v? {
        Json::Number(t) => crate::number::whole(t)
            .filter(|w| !w.negative && !w.has_fraction)
            .map(|w| w.value),
        _ => None,
    }
}

/// A dashboard time range: the rows it reads, and its chart's bins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub name: &'static str,
    pub res: char,
    pub span_ms: u64,
    pub bin_ms: u64,
}

pub const RANGES: [Range; 3] = [
    Range {
        name: "1h",
        res: 'm',
        span_ms: HOUR_MS,
        bin_ms: MINUTE_MS,
    },
    Range {
        name: "24h",
        res: 'm',
        span_ms: 24 * HOUR_MS,
        bin_ms: HOUR_MS,
    },
    Range {
        name: "7d",
        res: 'h',
        span_ms: 7 * 24 * HOUR_MS,
        bin_ms: 6 * HOUR_MS,
    },
];

/// The range named (default 24 hours).
pub fn range(name: Option<&str>) -> Range {
    RANGES
        .iter()
        .find(|r| Some(r.name) == name)
        .copied()
        .unwrap_or(RANGES[1])
}

impl Range {
    /// The first bin's start: bins end with the one holding `now_ms`.
    fn first_bin(&self, now_ms: u64) -> u64 {
        let last = now_ms - now_ms % self.bin_ms;
        last.saturating_sub(self.span_ms - self.bin_ms)
    }

    /// `{res, from}`: the rows the store returns for this range.
    pub fn query(&self, now_ms: u64) -> Json {
        Json::object([
            ("res", Json::from(self.res.to_string())),
            ("from", Json::from(self.first_bin(now_ms))),
        ])
    }
}

/// Sums of `metric` per key.
fn sums<'a>(
    rows: impl Iterator<Item = &'a Row>,
    key: impl Fn(&Row) -> String,
) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = Vec::new();
    for r in rows {
        let k = key(r);
        match out.iter_mut().find(|(x, _)| *x == k) {
            Some((_, n)) => *n = n.saturating_add(r.n),
            None => out.push((k, r.n)),
        }
    }
    out
}

fn get(sums: &[(String, u64)], key: &str) -> u64 {
    sums.iter().find(|(k, _)| k == key).map_or(0, |s| s.1)
}

/// The page's figures for `tag` (`None`: every tag) over `range`, from the store's rows.
pub fn view(rows: &[Row], tag: Option<&str>, range: Range, now_ms: u64) -> Json {
    let from = range.first_bin(now_ms);
    let rows: Vec<&Row> = rows
        .iter()
        .filter(|r| r.res == range.res && r.at >= from && r.at <= now_ms)
        // Container rows (received, event ids) have no tag: they count for every tag's view.
        .filter(|r| tag.is_none_or(|t| r.tag == t || r.tag.is_empty()))
        .collect();
    let totals = sums(rows.iter().copied(), |r| r.metric.clone());
    let total = |m: &str| get(&totals, m);
    let totals_json = counts_json(&totals);
    let sent = OUTCOMES
        .iter()
        .fold(0u64, |a, o| a.saturating_add(total(o)));

    // Per event name: outcomes, and its chart series (events sent per bin).
    let bins = (range.span_ms / range.bin_ms) as usize;
    let bin_of = |r: &Row| ((r.at.saturating_sub(from)) / range.bin_ms) as usize;
    let mut names: Vec<String> = Vec::new();
    for r in &rows {
        if !r.event.is_empty() && !names.contains(&r.event) && is_count(&r.metric) {
            names.push(r.event.clone());
        }
    }
    names.sort();
    let by_event: Vec<Json> = names
        .iter()
        .map(|name| {
            let mine: Vec<&&Row> = rows.iter().filter(|r| &r.event == name).collect();
            let s = sums(mine.iter().map(|r| **r), |r| r.metric.clone());
            let mut series = vec![0u64; bins];
            for r in mine
                .iter()
                .filter(|r| OUTCOMES.contains(&r.metric.as_str()))
            {
                if let Some(slot) = series.get_mut(bin_of(r)) {
                    *slot = slot.saturating_add(r.n);
                }
            }
            let mut out = counts_json(&s);
            out.set("event", Json::from(name.as_str()));
            out.set("series", Json::from(series));
            out
        })
        .collect();

    // Per pixel: outcomes.
    let mut pixels: Vec<String> = Vec::new();
    for r in &rows {
        if !r.pixel.is_empty() && !pixels.contains(&r.pixel) {
            pixels.push(r.pixel.clone());
        }
    }
    pixels.sort();
    let by_pixel: Vec<Json> = pixels
        .iter()
        .map(|p| {
            let s = sums(rows.iter().copied().filter(|r| &r.pixel == p), |r| {
                r.metric.clone()
            });
            let mut out = counts_json(&s);
            out.set("pixel", Json::from(p.as_str()));
            out
        })
        .collect();

    // EMQ estimate per pixel and event name, over the accepted events.
    let mut emq_rows = Vec::new();
    for p in &pixels {
        for name in &names {
            let s = sums(
                rows.iter()
                    .copied()
                    .filter(|r| &r.pixel == p && &r.event == name),
                |r| r.metric.clone(),
            );
            let matched = get(&s, "matched");
            if matched == 0 {
                continue;
            }
            let e = emq::estimate(matched, |k| get(&s, &format!("key:{k}")));
            let mut out = e.to_json();
            out.set("pixel", Json::from(p.as_str()));
            out.set("event", Json::from(name.as_str()));
            emq_rows.push(out);
        }
    }

    // The chart: outcomes per bin.
    let mut chart: Vec<[u64; 5]> = vec![[0; 5]; bins];
    for r in &rows {
        let slot = match r.metric.as_str() {
            "received" => 0,
            "accepted" => 1,
            "rejected" => 2,
            "failed" => 3,
            "unconfirmed" => 4,
            _ => continue,
        };
        if let Some(bin) = chart.get_mut(bin_of(r)) {
            bin[slot] = bin[slot].saturating_add(r.n);
        }
    }
    let chart = chart.iter().enumerate().map(|(i, b)| {
        Json::object([
            (
                "at",
                Json::from(iso_timestamp(from + i as u64 * range.bin_ms)),
            ),
            ("received", Json::from(b[0])),
            ("accepted", Json::from(b[1])),
            ("rejected", Json::from(b[2])),
            ("failed", Json::from(b[3])),
            ("unconfirmed", Json::from(b[4])),
        ])
    });

    Json::object([
        ("range", Json::from(range.name)),
        ("from", Json::from(iso_timestamp(from))),
        ("binMinutes", Json::from(range.bin_ms / MINUTE_MS)),
        ("totals", totals_json),
        ("sent", Json::from(sent)),
        (
            "errorRate",
            ratio(total("rejected") + total("failed"), sent),
        ),
        (
            "dedup",
            Json::object([
                ("fromPage", Json::from(total("id_page"))),
                ("generated", Json::from(total("id_generated"))),
            ]),
        ),
        ("byEvent", Json::Array(by_event)),
        ("byPixel", Json::Array(by_pixel)),
        ("emq", Json::Array(emq_rows)),
        ("chart", Json::Array(chart.collect())),
    ])
}

/// Metrics that count events (not EMQ's key counts).
fn is_count(metric: &str) -> bool {
    !metric.starts_with("key:") && metric != "matched"
}

fn counts_json(s: &[(String, u64)]) -> Json {
    Json::Object(
        [
            "received",
            "accepted",
            "rejected",
            "failed",
            "unconfirmed",
            "invalid",
            "skipped",
            "id_page",
            "id_generated",
        ]
        .iter()
        .map(|m| {
            let key = match *m {
                "id_page" => "idFromPage",
                "id_generated" => "idGenerated",
                m => m,
            };
            (JsonKey::from(key.to_string()), Json::from(get(s, m)))
        })
        .collect(),
    )
}

/// `n / d` as a decimal with 4 digits (null when `d` is 0).
pub fn ratio(n: u64, d: u64) -> Json {
    if d == 0 {
        return Json::Null;
    }
    // u128: counts read back from a store may be anything.
    let scaled = ((u128::from(n.min(d)) * 10_000 + u128::from(d / 2)) / u128::from(d)) as u64;
    Json::Number(
        format!(
            "{}.{:0>4}",
            decimal(scaled / 10_000),
            decimal(scaled % 10_000)
        )
        .into(),
    )
}

#[cfg(test)]
mod tests;

/// The dashboard's data: `input` is `{now, range, tags: [{name, testMode, identity, pixels,
/// metrics}], store, rows, recent, last}` as the host gathered it (`rows` per `query`,
/// `recent` and `last` as the store keeps them). Per tag: its last event and error, test mode;
/// per view (every tag, and each): `view`; recent events newest first.
pub fn dashboard(input: &Json, alerts: &[crate::alerts::Alert]) -> Json {
    let now = uint(input.get("now")).unwrap_or(0);
    let range = range(input.get("range").and_then(Json::as_str));
    let rows = rows_from_json(input.get("rows"));
    let last: Vec<(String, String, u64)> = input
        .get("last")
        .and_then(Json::as_array)
        .unwrap_or_default()
        .iter()
        .filter_map(|l| {
            let l = l.as_array()?;
            let text = |i: usize| l.get(i)?.as_str().map(str::to_string);
            Some((text(0)?, text(1)?, uint(l.get(2))?))
        })
        .collect();
    let last_at = |tag: &str, kind: &str| {
        let at = last
            .iter()
            .find(|(t, k, _)| t == tag && k == kind)
            .map(|l| l.2);
        Json::from(at.map(iso_timestamp))
    };
    let tags_in = input
        .get("tags")
        .and_then(Json::as_array)
        .unwrap_or_default();
    let mut identity_in_use = false;
    let mut views: Vec<(JsonKey, Json)> = vec![(JsonKey::from(""), view(&rows, None, range, now))];
    let tags: Vec<Json> = tags_in
        .iter()
        .filter_map(|t| {
            let name = t.get("name")?.as_str()?;
            identity_in_use |= matches!(t.get("identity"), Some(Json::Bool(true)));
            views.push((
                JsonKey::from(name.to_string()),
                view(&rows, Some(name), range, now),
            ));
            let mut out = t.clone();
            out.set("lastEventAt", last_at(name, "event"));
            out.set("lastErrorAt", last_at(name, "error"));
            Some(out)
        })
        .collect();
    let mut recent: Vec<Json> = input
        .get("recent")
        .and_then(Json::as_array)
        .unwrap_or_default()
        .to_vec();
    recent.sort_by_key(|e| std::cmp::Reverse(uint(e.get("atMs")).unwrap_or(0)));
    recent.truncate(RECENT_KEPT);
    Json::object([
        ("generatedAt", Json::from(iso_timestamp(now))),
        ("range", Json::from(range.name)),
        (
            "ranges",
            Json::from(
                RANGES
                    .iter()
                    .map(|r| r.name.to_string())
                    .collect::<Vec<_>>(),
            ),
        ),
        ("store", input.get("store").cloned().unwrap_or(Json::Null)),
        ("identityInUse", Json::Bool(identity_in_use)),
        ("tags", Json::Array(tags)),
        ("views", Json::Object(views)),
        ("recent", Json::Array(recent)),
        (
            "alerts",
            Json::Array(alerts.iter().map(|a| Json::from(a.describe())).collect()),
        ),
    ])
}

/// After a queued batch's one try (`crate::delivery`): each event that reached a final state
/// goes into `a` under its pixel(s), read from the request bodies the host passed along
/// (`input.requests[i].body`). Events not built were counted by the batch build.
pub fn on_settled(
    a: &mut Activity,
    input: &Json,
    batch: &crate::delivery::Batch,
    outcomes: &[Outcome],
    next: &[crate::delivery::Next],
    now_ms: u64,
    secrets: &[String],
) {
    use crate::delivery::Next;
    let requests = input
        .get("requests")
        .and_then(Json::as_array)
        .unwrap_or_default();
    for (r, (sent, outcome)) in batch.sent.iter().zip(outcomes).enumerate() {
        let body = requests
            .get(r)
            .and_then(|q| q.get("body"))
            .and_then(Json::as_str)
            .unwrap_or_default();
        let events = sent_events(body);
        for (j, i) in sent.event_indexes.iter().enumerate() {
            let state = match next.get(*i) {
                Some(Next::Delivered) => "accepted",
                Some(Next::Dead { reason }) if reason.starts_with("rejected") => "rejected",
                Some(Next::Dead { reason }) if !reason.starts_with("invalid") => "failed",
                _ => continue,
            };
            // The event as sent, or (no body) its name as ingestion recorded it.
            let event = events.get(j).cloned().unwrap_or_else(|| SentEvent {
                name: batch
                    .names
                    .get(*i)
                    .and_then(|n| n.1.clone())
                    .unwrap_or_default(),
                keys: Vec::new(),
            });
            a.on_final(
                &sent.pixel_id,
                state,
                &[event],
                Some(outcome),
                now_ms,
                secrets,
            );
        }
    }
}
