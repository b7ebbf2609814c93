//! Health checks of a tag config (`omni-meta-capi doctor`, and the container's `/readyz`): what
//! to ask (probes the host sends) and what the answers mean (verdicts with a fix hint). No I/O.
//!
//! | check | probe | passes when |
//! |---|---|---|
//! | `config` | none | the config reads without errors |
//! | `token` (per pixel) | `GET {graphBaseUrl}/{version}/{pixelId}?fields=id,name`, token in the `Authorization` header | Graph answers with that pixel |
//! | `test_event` | a test PageView to `/events` with `testEventCode` | Meta accepts it (skipped without a test code) |
//! | `identity` | `POST {endpoint}/identifier` with `{"platform"}` only: refused as incomplete, nothing written | the service answers 400 `MISSING_IDENTIFIER` (the token is accepted) |
//! | `error_monitor` | `GET {endpoint}` | any HTTP answer (it is reachable) |
//! | `clock` | the `Date` of Graph's answer | local time within a minute of it (a warning up to 5) |
use crate::dispatch::{classify, http_date_ms, meta_error, Attempt, Outcome};
use crate::json::{self, decimal, Json};
use crate::logging::{foreign_message, redact_secrets};
use crate::model::config::{Pixel, TagConfig};
use crate::payload::Clock;
use crate::report::Report;
use crate::request::Outgoing;
use crate::tag::{Status, Tag};

#[cfg(test)]
mod tests;

/// Clock skew (ms) that passes quietly, and the most that passes with a warning.
const SKEW_OK_MS: u64 = 60_000;
const SKEW_MAX_MS: u64 = 300_000;

/// One HTTP request a check needs.
pub type Probe = Outgoing;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Config,
    /// The token check of `pixels[i]`.
    Token(usize),
    TestEvent,
    Identity,
    ErrorMonitor,
}

/// A check and the probe it needs (none for `config`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub kind: Kind,
    pub name: String,
    pub probe: Option<Probe>,
}

/// What the host's request came to: the attempt, and the answer's `Date` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub attempt: Attempt,
    pub date: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Pass,
    Warn,
    Fail,
    Skip,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Pass => "pass",
            State::Warn => "warn",
            State::Fail => "fail",
            State::Skip => "skip",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub name: String,
    pub state: State,
    pub message: String,
    /// What to do about it (for warnings and failures).
    pub hint: Option<String>,
}

impl Verdict {
    fn new(name: &str, state: State, message: impl Into<String>, hint: Option<&str>) -> Verdict {
        Verdict {
            name: name.to_string(),
            state,
            message: message.into(),
            hint: hint.map(str::to_string),
        }
    }

    pub fn to_json(&self) -> Json {
        Json::object([
            ("check", Json::from(self.name.as_str())),
            ("status", Json::from(self.state.name())),
            ("message", Json::from(self.message.as_str())),
            ("hint", Json::from(self.hint.clone())),
        ])
    }
}

/// The checks of a tag (its config already read), with their probes. `clock` builds the test
/// event. A config with errors gets only the `config` check: the others would test nonsense.
pub fn plan(tag: &Tag, clock: Clock) -> Vec<Check> {
    let config = tag.config();
    let mut checks = vec![Check {
        kind: Kind::Config,
        name: "config".into(),
        probe: None,
    }];
    if !tag.config_report().is_valid() {
        return checks;
    }
    checks.extend(token_checks(config));
    checks.push(Check {
        kind: Kind::TestEvent,
        name: "test_event".into(),
        probe: test_event_probe(tag, clock),
    });
    checks.extend(identity_check(config));
    if let Some(monitor) = &config.error_monitor {
        let mut headers = Vec::new();
        if let Some(token) = &monitor.token {
            headers.push(("authorization", format!("Bearer {token}")));
        }
        checks.push(Check {
            kind: Kind::ErrorMonitor,
            name: "error_monitor".into(),
            probe: Some(Probe {
                url: monitor.endpoint.clone(),
                method: "GET",
                headers,
                body: None,
            }),
        });
    }
    checks
}

/// A Graph read of each pixel with its token (in a header, never the URL).
pub fn token_checks(config: &TagConfig) -> Vec<Check> {
    config
        .pixels
        .iter()
        .enumerate()
        .map(|(i, pixel)| Check {
            kind: Kind::Token(i),
            name: format!("token (pixel {})", pixel.id),
            probe: Some(Probe {
                url: format!(
                    "{}/{}/{}?fields=id,name",
                    config.graph_base_url, config.graph_api_version, pixel.id
                ),
                method: "GET",
                headers: vec![("authorization", format!("Bearer {}", pixel.access_token))],
                body: None,
            }),
        })
        .collect()
}

/// A harmless identity request: no identifier, so the service refuses it (400) without writing
/// anything; a 401 means the token is not accepted.
pub fn identity_check(config: &TagConfig) -> Option<Check> {
    let identity = config.identity.as_ref()?;
    let body = Json::object([("platform", Json::from(identity.platform.as_str()))]);
    Some(Check {
        kind: Kind::Identity,
        name: "identity".into(),
        probe: Some(Probe {
            url: format!("{}/identifier", identity.endpoint),
            method: "POST",
            headers: vec![
                ("content-type", "application/json".into()),
                ("authorization", format!("Bearer {}", identity.token)),
            ],
            body: Some(body.to_json()),
        }),
    })
}

/// The test PageView, sent only when the config has a test event code (it then shows under
/// Test Events in Events Manager and is not counted as real traffic).
fn test_event_probe(tag: &Tag, clock: Clock) -> Option<Probe> {
    tag.config().test_event_code.as_ref()?;
    let event = Json::object([
        ("event_name", Json::from("page_view")),
        (
            "page_location",
            Json::from("https://omni-meta-capi.example/doctor"),
        ),
        ("user_agent", Json::from("omni-meta-capi doctor")),
        ("ip_override", Json::from("81.2.69.1")),
        (
            "consent_state",
            Json::object([
                ("ad_storage", Json::from("granted")),
                ("ad_user_data", Json::from("granted")),
            ]),
        ),
        ("x-fb-sed-action_source", Json::from("website")),
    ]);
    let out = tag.build(&event, &Json::Null, clock);
    if out.status != Status::Ready {
        return None;
    }
    let request = out.requests.into_iter().next()?;
    Some(Probe {
        url: request.url,
        method: request.method,
        headers: request
            .headers
            .iter()
            .map(|(k, v)| (*k, v.to_string()))
            .collect(),
        body: Some(request.body),
    })
}

/// The verdicts of `checks` given the answers to their probes (in check order; `None` for a
/// check without a probe). `now_ms` is the local clock for the skew check.
pub fn judge(tag: &Tag, checks: &[Check], answers: &[Option<Answer>], now_ms: u64) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    let mut graph_date = None;
    for (i, check) in checks.iter().enumerate() {
        let answer = answers.get(i).and_then(Option::as_ref);
        let verdict = match (check.kind, answer) {
            (Kind::Config, _) => config_verdict(tag.config_report()),
            (Kind::TestEvent, _) if check.probe.is_none() => Verdict::new(
                &check.name,
                State::Skip,
                "no testEventCode in the config: no test event sent",
                Some("set testEventCode (Events Manager > Test Events) to check that Meta accepts events"),
            ),
            (_, None) => Verdict::new(&check.name, State::Fail, "no answer recorded", None),
            (Kind::Token(p), Some(a)) => {
                graph_date = graph_date.or(a.date.clone());
                let pixel = tag.config().pixels.get(p);
                token_verdict(&check.name, pixel, a, &tag.config().graph_base_url)
            }
            (Kind::TestEvent, Some(a)) => test_event_verdict(&check.name, a, now_ms),
            (Kind::Identity, Some(a)) => identity_verdict(&check.name, a),
            (Kind::ErrorMonitor, Some(a)) => monitor_verdict(&check.name, a),
        };
        verdicts.push(verdict);
    }
    if checks.iter().any(|c| matches!(c.kind, Kind::Token(_))) {
        verdicts.push(clock_verdict(graph_date.as_deref(), now_ms));
    }
    // Last line of defence: no token in a verdict, whatever an answer echoed (/readyz is public).
    let secrets = crate::observe::secrets(tag.config());
    for v in &mut verdicts {
        v.message = redact_secrets(&v.message, &secrets);
    }
    verdicts
}

fn config_verdict(report: &Report) -> Verdict {
    if report.is_valid() {
        let message = match report.warnings.len() {
            0 => "valid".to_string(),
            n => format!(
                "valid, {} warning(s): {}",
                decimal(n as u64),
                issues(&report.warnings)
            ),
        };
        // Unknown keys are likely typos (a misspelt graphBaseUrl sends to the live API): WARN.
        let state = if report.warnings.is_empty() {
            State::Pass
        } else {
            State::Warn
        };
        let hint = (!report.warnings.is_empty())
            .then_some("fix or remove the keys named above (strict: true makes them errors)");
        return Verdict::new("config", state, message, hint);
    }
    Verdict::new(
        "config",
        State::Fail,
        format!(
            "{} error(s): {}",
            decimal(report.errors.len() as u64),
            issues(&report.errors)
        ),
        Some("fix the keys named above (schema/tag-config.schema.json lists every key)"),
    )
}

fn issues(list: &[crate::report::Issue]) -> String {
    let texts: Vec<String> = list.iter().map(|i| i.message.clone()).collect();
    texts.join("; ")
}

/// `HTTP 400, code 190/463: Error validating access token: Session has expired` (no token).
fn meta_failure(attempt: &Attempt) -> (Option<i64>, Option<i64>, String) {
    match attempt {
        Attempt::Timeout => (None, None, "no answer in time".into()),
        Attempt::NetworkError { message } => (None, None, format!("unreachable ({message})")),
        Attempt::Response { status, body, .. } => {
            let error = json::parse(body).ok().as_ref().and_then(meta_error);
            let code = error.as_ref().and_then(|e| e.code);
            let sub = error.as_ref().and_then(|e| e.error_subcode);
            let mut text = format!("HTTP {}", decimal(u64::from(*status)));
            if let Some(code) = code {
                text.push_str(&format!(", code {code}"));
                if let Some(sub) = sub {
                    text.push_str(&format!("/{sub}"));
                }
            }
            if let Some(message) = error.and_then(|e| e.message) {
                text.push_str(": ");
                text.push_str(&foreign_message(&message, 200, &[]));
            }
            (code, sub, text)
        }
    }
}

fn token_verdict(name: &str, pixel: Option<&Pixel>, answer: &Answer, base: &str) -> Verdict {
    let Some(pixel) = pixel else {
        return Verdict::new(name, State::Fail, "no such pixel in the config", None);
    };
    if let Attempt::Response {
        status: 200, body, ..
    } = &answer.attempt
    {
        let v = json::parse(body).unwrap_or(Json::Null);
        let id = v.get("id").and_then(|i| crate::user_data::scalar_text(i));
        if id == Some(pixel.id.as_str()) {
            let label = v.get("name").and_then(Json::as_str).unwrap_or("unnamed");
            let message = format!("the access token can read pixel {} ({label})", pixel.id);
            return Verdict::new(name, State::Pass, message, None);
        }
    }
    let (code, sub, text) = meta_failure(&answer.attempt);
    let (message, hint) = match (code, sub) {
        (Some(190), Some(463)) => ("the access token has expired", "create a new token in Events Manager > Settings > Conversions API and update accessToken"),
        (Some(190), Some(460)) => ("the access token was invalidated by a password change", "create a new token in Events Manager > Settings > Conversions API"),
        (Some(190), _) | (Some(102), _) => ("the access token is not valid", "check accessToken: copy it again from Events Manager > Settings > Conversions API"),
        (Some(104), _) => ("no access token reached Meta", "set accessToken (or META_ACCESS_TOKEN for the container)"),
        (Some(100), Some(33)) | (Some(803), _) => ("the pixel does not exist or this token cannot access it", "check pixelId, and that the token was created for this pixel (or its business)"),
        (Some(10), _) | (Some(200), _) => ("the token lacks permission for this pixel", "create the token from the pixel's own Events Manager settings"),
        (None, _) if !matches!(answer.attempt, Attempt::Response { .. }) => ("Graph API unreachable", "check graphBaseUrl and the network (egress to graph.facebook.com)"),
        _ => ("unexpected answer from the Graph API", "check graphBaseUrl and graphApiVersion"),
    };
    let message = format!("{message} ({text}; {base})");
    Verdict::new(name, State::Fail, message, Some(hint))
}

fn test_event_verdict(name: &str, answer: &Answer, now_ms: u64) -> Verdict {
    match classify(&answer.attempt, now_ms) {
        Outcome::Accepted {
            events_received, ..
        } => Verdict::new(
            name,
            State::Pass,
            format!(
                "Meta accepted the test event (events_received {})",
                decimal(events_received)
            ),
            None,
        ),
        _ => {
            let (_, _, text) = meta_failure(&answer.attempt);
            Verdict::new(
                name,
                State::Fail,
                format!("the test event was refused ({text})"),
                Some("see Meta's message; check the pixel, the token and testEventCode"),
            )
        }
    }
}

fn identity_verdict(name: &str, answer: &Answer) -> Verdict {
    let Attempt::Response { status, body, .. } = &answer.attempt else {
        let (_, _, text) = meta_failure(&answer.attempt);
        return Verdict::new(
            name,
            State::Fail,
            format!("the identity service is {text}"),
            Some("check identity.endpoint (the API base URL ending in /api/v1) and the network"),
        );
    };
    let code = json::parse(body)
        .ok()
        .and_then(|v| v.get("error")?.get("code")?.as_str().map(str::to_string));
    match (status, code.as_deref()) {
        (400, Some("MISSING_IDENTIFIER")) | (200, _) => Verdict::new(
            name,
            State::Pass,
            "the identity service answers and accepts the token",
            None,
        ),
        (401 | 403, _) => Verdict::new(
            name,
            State::Fail,
            format!(
                "the identity service refuses the token (HTTP {})",
                decimal(u64::from(*status))
            ),
            Some("check identity.token (or IDENTITY_TOKEN for the container)"),
        ),
        (404, _) => Verdict::new(
            name,
            State::Fail,
            "no identity API at this endpoint (HTTP 404)",
            Some("identity.endpoint is the API base URL, e.g. https://identity.example.com/api/v1"),
        ),
        _ => Verdict::new(
            name,
            State::Fail,
            format!(
                "unexpected answer from the identity service (HTTP {})",
                decimal(u64::from(*status))
            ),
            Some("check the identity service's health and logs"),
        ),
    }
}

fn monitor_verdict(name: &str, answer: &Answer) -> Verdict {
    match &answer.attempt {
        Attempt::Response { status, .. } => Verdict::new(
            name,
            State::Pass,
            format!(
                "the error monitor is reachable (HTTP {})",
                decimal(u64::from(*status))
            ),
            None,
        ),
        other => {
            let (_, _, text) = meta_failure(other);
            Verdict::new(
                name,
                State::Fail,
                format!("the error monitor is {text}"),
                Some("check errorMonitor.endpoint and the network"),
            )
        }
    }
}

fn clock_verdict(graph_date: Option<&str>, now_ms: u64) -> Verdict {
    let Some(server_ms) = graph_date.and_then(http_date_ms) else {
        return Verdict::new(
            "clock",
            State::Skip,
            "no Date from the Graph API to compare with",
            None,
        );
    };
    let skew = now_ms.abs_diff(server_ms);
    let ahead = if now_ms >= server_ms {
        "ahead of"
    } else {
        "behind"
    };
    let seconds = decimal(skew / 1000);
    let (state, hint) = match skew {
        s if s <= SKEW_OK_MS => (State::Pass, None),
        s if s <= SKEW_MAX_MS => (
            State::Warn,
            Some("sync the host clock (NTP): event_time and fbc/fbp times come from it"),
        ),
        _ => (
            State::Fail,
            Some("sync the host clock (NTP): Meta refuses event times more than minutes off"),
        ),
    };
    Verdict::new(
        "clock",
        state,
        format!("local clock {seconds} s {ahead} Meta's"),
        hint,
    )
}

/// The whole result: `{ok, checks: [...]}`; `ok` unless a check failed (warnings pass).
pub fn result_json(verdicts: &[Verdict]) -> Json {
    let ok = verdicts.iter().all(|v| v.state != State::Fail);
    Json::object([
        ("ok", Json::Bool(ok)),
        (
            "checks",
            Json::Array(verdicts.iter().map(Verdict::to_json).collect()),
        ),
    ])
}

/// One line per check (and its fix hint), for people.
pub fn result_text(verdicts: &[Verdict]) -> String {
    let mut out = String::new();
    for v in verdicts {
        let mark = match v.state {
            State::Pass => "PASS",
            State::Warn => "WARN",
            State::Fail => "FAIL",
            State::Skip => "SKIP",
        };
        out.push_str(&format!("{mark}  {}: {}\n", v.name, v.message));
        if let Some(hint) = &v.hint {
            out.push_str(&format!("      fix: {hint}\n"));
        }
    }
    let failed = verdicts.iter().filter(|v| v.state == State::Fail).count();
    out.push_str(&match failed {
        0 => "all checks passed\n".to_string(),
        n => format!("{} check(s) failed\n", decimal(n as u64)),
    });
    out
}
