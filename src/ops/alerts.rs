//! Alerts (`alerts: [{when, webhook}]` in the container config), decided from the shared
//! history (`crate::history`), so every instance agrees and a restart forgets nothing:
//!
//! - `{"errorRate": 0.1, "minutes": 15, "minEvents": 10}`: of the events sent in the last 15
//!   minutes (at least `minEvents`, default 10), 10% or more were rejected or failed;
//! - `{"silent": "Purchase", "hours": 6}`: Meta accepted no Purchase in the last 6 hours.
//!
//! Either may name a `tag`. An alert posts at most once per its window (`minutes`/`hours`); the
//! host keeps when each last posted, in the same store. Bodies carry counts, names and times:
//! no PII, no token.
use crate::history::{self, Row, HOUR_MS, MINUTE_MS};
use crate::json::{decimal, Json};
use crate::report::Report;

const DEFAULT_MIN_EVENTS: u64 = 10;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum When {
    /// Rejected + failed over sent, in ten-thousandths.
    ErrorRate {
        rate: u64,
        min_events: u64,
    },
    Silent {
        event: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    pub when: When,
    pub window_ms: u64,
    pub tag: Option<String>,
    pub webhook: String,
}

/// `alerts` of the container config; problems go to `report`, bad entries are left out.
pub fn parse(v: Option<&Json>, report: &mut Report) -> Vec<Alert> {
    let items = match v {
        None | Some(Json::Null) => return Vec::new(),
        Some(Json::Array(items)) => items,
        Some(_) => {
            report.error(
                "config.invalid_type",
                "alerts",
                "alerts must be a list of {when, webhook}",
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let field = format!("alerts[{i}]");
        match alert(item) {
            Ok(a) => out.push(a),
            Err(message) => report.error(
                "config.invalid_value",
                field.clone(),
                format!("{field}: {message}"),
            ),
        }
    }
    out
}

fn alert(item: &Json) -> Result<Alert, String> {
    let webhook = item
        .get("webhook")
        .and_then(Json::as_str)
        .map(str::trim)
        .filter(|w| w.starts_with("https://") || w.starts_with("http://"))
        .ok_or("webhook must be an http(s) URL")?
        .to_string();
    let when = item.get("when").ok_or("when is missing")?;
    // Numbers in ten-thousandths (no float parsing in the wasm).
    let number = |k: &str| match when.get(k) {
        Some(Json::Number(t)) => {
            Some(ten_thousandths(t).ok_or(format!("{k} must be a plain decimal number")))
        }
        Some(_) => Some(Err(format!("{k} must be a number"))),
        None => None,
    };
    let window_ms = match (number("minutes").transpose()?, number("hours").transpose()?) {
        (Some(m), None) if (10_000..=1440 * 10_000).contains(&m) => m * MINUTE_MS / 10_000,
        (None, Some(h)) if h > 0 && h <= 168 * 10_000 => h * HOUR_MS / 10_000,
        _ => return Err("when needs minutes (1-1440) or hours (up to 168)".into()),
    };
    let tag = when.get("tag").and_then(Json::as_str).map(str::to_string);
    let when = if let Some(rate) = number("errorRate").transpose()? {
        if !(rate > 0 && rate <= 10_000) {
            return Err("errorRate is a share of the events sent, above 0 and at most 1".into());
        }
        let min_events = match number("minEvents").transpose()? {
            None => DEFAULT_MIN_EVENTS,
            Some(n) if n >= 10_000 && n % 10_000 == 0 => n / 10_000,
            Some(_) => return Err("minEvents must be a whole number, at least 1".into()),
        };
        When::ErrorRate { rate, min_events }
    } else if let Some(event) = when.get("silent").and_then(Json::as_str) {
        if event.trim().is_empty() {
            return Err("silent names an event (e.g. \"Purchase\")".into());
        }
        When::Silent {
            event: event.trim().to_string(),
        }
    } else {
        return Err("when needs errorRate or silent".into());
    };
    Ok(Alert {
        when,
        window_ms,
        tag,
        webhook,
    })
}

/// A non-negative plain decimal (`0.25`, `6`) times 10,000, truncated past 4 digits; `None` for
/// a sign, an exponent or a value too large.
fn ten_thousandths(text: &str) -> Option<u64> {
    let (int, frac) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) || int.len() > 9 {
        return None;
    }
    let frac: String = frac.chars().chain(std::iter::repeat('0')).take(4).collect();
    Some(int.parse::<u64>().ok()? * 10_000 + frac.parse::<u64>().ok()?)
}

fn window_text(ms: u64) -> String {
    if ms.is_multiple_of(HOUR_MS) {
        format!("{} hour(s)", decimal(ms / HOUR_MS))
    } else {
        format!("{} minute(s)", decimal(ms / MINUTE_MS))
    }
}

/// Ten-thousandths as a percentage without trailing zeros (`1250` -> `12.5`).
fn percent(rate: u64) -> String {
    let frac = format!("{:02}", rate % 100);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        decimal(rate / 100)
    } else {
        format!("{}.{frac}", decimal(rate / 100))
    }
}

impl Alert {
    pub fn describe(&self) -> String {
        let scope = self
            .tag
            .as_ref()
            .map_or(String::new(), |t| format!(" (tag {t})"));
        match &self.when {
            When::ErrorRate { rate, min_events } => format!(
                "error rate at or above {}% over {} (at least {} events){scope}",
                percent(*rate),
                window_text(self.window_ms),
                decimal(*min_events)
            ),
            When::Silent { event } => format!(
                "no {event} accepted by Meta for {}{scope}",
                window_text(self.window_ms)
            ),
        }
    }

    /// Minute rows cover windows up to a day; longer ones read hour rows.
    fn res(&self) -> char {
        if self.window_ms <= history::MINUTE_ROWS_MS {
            'm'
        } else {
            'h'
        }
    }

    fn from(&self, now_ms: u64) -> u64 {
        now_ms.saturating_sub(self.window_ms)
    }
}

/// `[{res, from}]`: the rows `due` needs (nothing without alerts).
pub fn queries(alerts: &[Alert], now_ms: u64) -> Json {
    let mut out: Vec<(char, u64)> = Vec::new();
    for a in alerts {
        let from = a.from(now_ms);
        match out.iter_mut().find(|(r, _)| *r == a.res()) {
            Some((_, f)) => *f = (*f).min(from),
            None => out.push((a.res(), from)),
        }
    }
    let queries = out.iter().map(|(res, from)| {
        // A bucket that started before `from` still holds events inside the window.
        let size = if *res == 'm' { MINUTE_MS } else { HOUR_MS };
        Json::object([
            ("res", Json::from(res.to_string())),
            ("from", Json::from(from - from % size)),
        ])
    });
    Json::Array(queries.collect())
}

/// The posts due now: `(id, webhook, body)`. `posted`: when each alert (by id, `alerts[i]`)
/// last posted.
pub fn due(
    alerts: &[Alert],
    rows: &[Row],
    posted: &[(String, u64)],
    now_ms: u64,
) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (i, a) in alerts.iter().enumerate() {
        let id = format!("alerts[{i}]");
        let last = posted.iter().find(|(p, _)| *p == id).map(|p| p.1);
        if last.is_some_and(|at| at.saturating_add(a.window_ms) > now_ms) {
            continue;
        }
        let size = if a.res() == 'm' { MINUTE_MS } else { HOUR_MS };
        let from = a.from(now_ms);
        let mine = rows.iter().filter(|r| {
            r.res == a.res()
                && r.at.saturating_add(size) > from
                && r.at <= now_ms
                && a.tag.as_ref().is_none_or(|t| &r.tag == t)
        });
        let count = |metric: &str, event: Option<&str>| -> u64 {
            mine.clone()
                .filter(|r| r.metric == metric && event.is_none_or(|e| r.event == e))
                .fold(0u64, |a, r| a.saturating_add(r.n))
        };
        let mut body = Json::object([
            ("alert", Json::from(a.describe())),
            ("id", Json::from(id.as_str())),
            ("window", Json::from(window_text(a.window_ms))),
            ("tag", Json::from(a.tag.clone())),
            ("at", Json::from(crate::logging::iso_timestamp(now_ms))),
        ]);
        let fire = match &a.when {
            When::ErrorRate { rate, min_events } => {
                let errors = count("rejected", None).saturating_add(count("failed", None));
                let sent = [count("accepted", None), count("unconfirmed", None)]
                    .iter()
                    .fold(errors, |a, n| a.saturating_add(*n));
                body.set("kind", Json::from("errorRate"));
                body.set("sent", Json::from(sent));
                body.set("errors", Json::from(errors));
                body.set("errorRate", history::ratio(errors, sent));
                body.set("threshold", history::ratio(*rate, 10_000));
                sent >= *min_events
                    && u128::from(errors) * 10_000 >= u128::from(*rate) * u128::from(sent)
            }
            When::Silent { event } => {
                let accepted = count("accepted", Some(event));
                body.set("kind", Json::from("silent"));
                body.set("event", Json::from(event.as_str()));
                body.set("accepted", Json::from(accepted));
                accepted == 0
            }
        };
        if fire {
            out.push((id, a.webhook.clone(), body.to_json()));
        }
    }
    out
}

#[cfg(test)]
mod tests;
