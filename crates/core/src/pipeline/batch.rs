//! Batches: many sGTM events from one host call into as few Meta requests as possible — at most
//! 1,000 events per request (Meta's limit), one request per pixel and chunk. Each event is built
//! and validated on its own; an invalid or skipped event is reported and left out, and never
//! takes the valid ones down with it (Meta rejects a whole request if one event is invalid).
use crate::event_data::RequestContext;
use crate::hash::sha256;
use crate::identity::{Cache, IdentityAnswer};
use crate::json::{push_decimal, Json, ObjectWriter, Value};
use crate::payload::Clock;
use crate::request::{build_requests, HttpRequest};
use crate::tag::{BuildOutput, Status, Tag};
use crate::validate::MAX_EVENTS_PER_REQUEST;

pub struct BatchRequest {
    pub request: HttpRequest,
    /// Positions (in the input) of the events this request carries.
    pub event_indexes: Vec<usize>,
}

pub struct BatchOutput<'a> {
    /// One build per input event (its status, report and skip reason).
    pub events: Vec<BuildOutput<'a>>,
    pub requests: Vec<BatchRequest>,
}

/// Each event gets its own randomness (its own generated event_id), derived from the run's.
pub fn event_clock(clock: Clock, index: usize) -> Clock {
    let mut seed = clock.entropy.to_vec();
    seed.extend_from_slice(&(index as u64).to_le_bytes());
    let digest = sha256(&seed);
    let mut entropy = [0u8; 16];
    entropy.copy_from_slice(&digest[..16]);
    Clock {
        now_ms: clock.now_ms,
        entropy,
    }
}

/// Events of one incoming HTTP request share its context — and a generated `_fbp`: the first
/// event's is handed to the others, so one new visitor never gets two browser ids.
fn with_fbp(request: &Json, fbp: &str) -> Json {
    let mut ctx = match request {
        Value::Object(_) => request.clone(),
        _ => Value::Object(Vec::new()),
    };
    let cookie = format!("_fbp={fbp}");
    let existing = ctx
        .get("headers")
        .and_then(|h| h.get("cookie"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let header = match existing {
        Some(c) if !c.is_empty() => format!("{c}; {cookie}"),
        _ => cookie,
    };
    let mut headers = ctx
        .get("headers")
        .cloned()
        .filter(|h| h.as_object().is_some())
        .unwrap_or(Value::Object(Vec::new()));
    headers.set("cookie", Json::from(header));
    ctx.set("headers", headers);
    ctx
}

/// The request context(s) of a batch.
#[derive(Clone, Copy, Debug)]
pub enum Contexts<'a> {
    /// One incoming request's: its events share one generated `_fbp`.
    Shared(&'a Json),
    /// One per event: events coalesced from several incoming requests (the server container),
    /// each context complete with the cookies decided for it.
    PerEvent(&'a [Json]),
}

impl<'a> Contexts<'a> {
    /// A JSON array with one context per event is per-event; anything else is shared.
    pub fn of(v: &'a Json, events: usize) -> Contexts<'a> {
        match v.as_array() {
            Some(list) if list.len() == events && events > 0 => Contexts::PerEvent(list),
            _ => Contexts::Shared(v),
        }
    }

    pub fn get(&self, i: usize) -> &'a Json {
        match self {
            Contexts::Shared(v) => v,
            Contexts::PerEvent(list) => list.get(i).unwrap_or(&Value::Null),
        }
    }
}

/// `answers[i]`: the identity answers of event `i` (see `Tag::build_with`), when fetched.
pub fn build_batch<'a>(
    tag: &'a Tag,
    events: &'a [Value<'a>],
    contexts: Contexts,
    clock: Clock,
    answers: &[Option<Vec<IdentityAnswer>>],
    mut cache: Option<&mut Cache>,
) -> BatchOutput<'a> {
    let shared = match contexts {
        Contexts::Shared(request) => Some(request),
        Contexts::PerEvent(_) => None,
    };
    let has_fbp = shared.is_none_or(|r| RequestContext::from_json(r).cookie("_fbp").is_some());
    let mut shared_request: Option<Json> = None;
    let mut built = Vec::with_capacity(events.len());
    for (i, event) in events.iter().enumerate() {
        let ctx = shared_request.as_ref().unwrap_or(contexts.get(i));
        let fetched = answers.get(i).and_then(Option::as_deref);
        // Each event's own request is not written: the batch writes its bodies below.
        let out = tag.build_unsent(
            event,
            ctx,
            event_clock(clock, i),
            fetched,
            cache.as_deref_mut(),
        );
        if let (None, false, Some(request)) = (&shared_request, has_fbp, shared) {
            if let Some(c) = out.cookies.iter().find(|c| c.name == "_fbp") {
                shared_request = Some(with_fbp(request, &c.value));
            }
        }
        built.push(out);
    }
    let ready: Vec<(usize, &Value<'a>)> = built
        .iter()
        .enumerate()
        .filter(|(_, b)| b.status == Status::Ready)
        .filter_map(|(i, b)| b.event.as_ref().map(|e| (i, e)))
        .collect();
    let mut requests = Vec::new();
    for chunk in ready.chunks(MAX_EVENTS_PER_REQUEST) {
        let payloads: Vec<&Value<'a>> = chunk.iter().map(|(_, e)| *e).collect();
        let test_code = tag.config().test_event_code.as_deref();
        for request in build_requests(tag.config(), &payloads, test_code) {
            requests.push(BatchRequest {
                request,
                event_indexes: chunk.iter().map(|(i, _)| *i).collect(),
            });
        }
    }
    BatchOutput {
        events: built,
        requests,
    }
}

impl BatchOutput<'_> {
    /// Like `BuildOutput::to_wire`: the result object on the first line (requests without
    /// bodies), then one body per line.
    pub fn to_wire(&self) -> String {
        self.to_wire_with(|_| {})
    }

    /// `to_wire` with extra fields at the end of the result object (trace id, log records).
    pub fn to_wire_with(&self, extra: impl FnOnce(&mut ObjectWriter)) -> String {
        let status = if !self.requests.is_empty() {
            "ready"
        } else if self.events.iter().any(|e| e.status == Status::Invalid) {
            "invalid"
        } else {
            "skipped"
        };
        let mut out = String::new();
        let mut o = ObjectWriter::new(&mut out);
        o.str("status", status);
        o.array("requests", &self.requests, |r, out| {
            let mut ro = ObjectWriter::new(out);
            r.request.write_head(&mut ro);
            ro.array("eventIndexes", &r.event_indexes, |i, out| {
                push_decimal(*i as u64, out)
            });
            ro.end();
        });
        let events: Vec<(usize, &BuildOutput)> = self.events.iter().enumerate().collect();
        o.array("events", &events, |(i, b), out| {
            let mut eo = ObjectWriter::new(out);
            b.write_fields(&mut eo, None);
            eo.num("index", *i as u64);
            eo.end();
        });
        extra(&mut o);
        o.end();
        for r in &self.requests {
            out.push('\n');
            out.push_str(&r.request.body);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn tag(config: &str) -> Tag {
        Tag::new(&parse(config).expect("config"))
    }

    fn event(i: usize) -> Json {
        parse(&format!(
            r#"{{"event_name": "page_view", "page_location": "https://shop.example.com/p/{i}", "user_agent": "UA",
                 "ip_override": "81.2.69.9", "user_data": {{"email_address": "u{i}@example.com"}}}}"#
        ))
        .expect("event")
    }

    const CLOCK: Clock = Clock {
        now_ms: 1_764_331_200_000,
        entropy: [9; 16],
    };

    #[test]
    fn splits_at_1000_events_per_request_and_pixel() {
        let t = tag(
            r#"{"pixelId": [{"pixelId": "1", "accessToken": "a"}, {"pixelId": "2", "accessToken": "b"}]}"#,
        );
        let events: Vec<Json> = (0..2500).map(event).collect();
        let out = build_batch(
            &t,
            &events,
            Contexts::Shared(&Value::Null),
            CLOCK,
            &[],
            None,
        );
        let sizes: Vec<(String, usize)> = out
            .requests
            .iter()
            .map(|r| (r.request.pixel_id.clone(), r.event_indexes.len()))
            .collect();
        assert_eq!(
            sizes,
            vec![
                ("1".into(), 1000),
                ("2".into(), 1000),
                ("1".into(), 1000),
                ("2".into(), 1000),
                ("1".into(), 500),
                ("2".into(), 500)
            ]
        );
        assert_eq!(out.requests[4].event_indexes[0], 2000);
        // Distinct generated event ids, one shared generated fbp.
        let ids: std::collections::HashSet<String> = out
            .events
            .iter()
            .filter_map(|b| {
                b.event
                    .as_ref()?
                    .get("event_id")?
                    .as_str()
                    .map(str::to_string)
            })
            .collect();
        assert_eq!(ids.len(), 2500);
        let fbps: std::collections::HashSet<String> = out
            .events
            .iter()
            .filter_map(|b| {
                b.event
                    .as_ref()?
                    .get("user_data")?
                    .get("fbp")?
                    .as_str()
                    .map(str::to_string)
            })
            .collect();
        assert_eq!(fbps.len(), 1);
    }

    #[test]
    fn invalid_and_skipped_events_are_reported_and_left_out() {
        let t = tag(
            r#"{"pixelId": "1", "accessToken": "a", "consent": {"requireAdStorage": true, "whenMissing": "send"}}"#,
        );
        let mut events: Vec<Json> = (0..3).map(event).collect();
        events.insert(1, parse(r#"{"event_name": "purchase"}"#).expect("event"));
        events.push(
            parse(r#"{"event_name": "page_view", "consent_state": {"ad_storage": "denied"}}"#)
                .expect("event"),
        );
        let out = build_batch(
            &t,
            &events,
            Contexts::Shared(&Value::Null),
            CLOCK,
            &[],
            None,
        );
        assert_eq!(out.requests.len(), 1);
        assert_eq!(out.requests[0].event_indexes, vec![0, 2, 3]);
        let statuses: Vec<Status> = out.events.iter().map(|e| e.status).collect();
        assert_eq!(
            statuses,
            vec![
                Status::Ready,
                Status::Invalid,
                Status::Ready,
                Status::Ready,
                Status::Skipped
            ]
        );
        let wire = out.to_wire();
        let lines: Vec<&str> = wire.split('\n').collect();
        assert_eq!(lines.len(), 2);
        assert!(
            lines[0].starts_with(r#"{"status":"ready","requests":[{"pixelId":"1""#),
            "{}",
            lines[0]
        );
        assert_eq!(
            parse(lines[1])
                .ok()
                .and_then(|b| b.get("data").and_then(Value::as_array).map(<[Json]>::len)),
            Some(3)
        );
    }

    #[test]
    fn per_event_contexts_keep_each_visitors_own_values() {
        let t = tag(r#"{"pixelId": "1", "accessToken": "a"}"#);
        let events: Vec<Json> = (0..3)
            .map(|i| {
                let text = format!(r#"{{"event_name": "page_view", "page_location": "https://s.com/{i}", "ip_override": "81.2.69.9"}}"#);
                parse(&text).expect("event")
            })
            .collect();
        let contexts = parse(
            r#"[{"headers": {"user-agent": "UA-0"}, "cookies": {"_fbp": "fb.1.1.100"}},
                {"headers": {"user-agent": "UA-1"}, "cookies": {"_fbp": "fb.1.1.101"}},
                {"headers": {"user-agent": "UA-2"}}]"#,
        )
        .expect("contexts");
        let list = contexts.as_array().unwrap_or_default();
        let out = build_batch(&t, &events, Contexts::of(&contexts, 3), CLOCK, &[], None);
        assert_eq!(
            out.requests.len(),
            1,
            "one Meta request for the coalesced events"
        );
        let fbps: Vec<Option<String>> = out
            .events
            .iter()
            .map(|e| {
                e.event
                    .as_ref()
                    .and_then(|ev| ev.get("user_data"))
                    .and_then(|u| u.get("fbp"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .collect();
        assert_eq!(fbps[0].as_deref(), Some("fb.1.1.100"));
        assert_eq!(fbps[1].as_deref(), Some("fb.1.1.101"));
        assert!(
            fbps[2].as_deref().is_some_and(|f| !f.ends_with(".100")),
            "no fbp shared across visitors"
        );
        let body = &out.requests[0].request.body;
        for ua in ["UA-0", "UA-1", "UA-2"] {
            assert!(
                body.contains(&format!(r#""client_user_agent":"{ua}""#)),
                "{body}"
            );
        }
        // A list of the wrong length is one shared context.
        assert!(matches!(Contexts::of(&contexts, 2), Contexts::Shared(_)));
        assert_eq!(list.len(), 3);
    }
}
