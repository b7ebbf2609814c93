//! The server container: what a host (a Cloudflare Worker, or `omni-meta-capi serve` on Node)
//! does with an incoming HTTP request, decided here. The host reads the body (within
//! `max_body_bytes`), answers with `Handled::response` at once, and then runs every tag over
//! `Handled::events` in the background (`waitUntil` on Workers).
//!
//! | route | methods | what |
//! |---|---|---|
//! | `[/<prefix>]/g/collect` | GET, POST | GA4 hits as gtag.js sends them (`crate::collect`) -> 204 |
//! | `/event` | POST | JSON event data: an object, an array, or `{"events": [...]}` -> 202; credentials required (`auth`) |
//! | `/healthz` | GET | `ok` |
//! | `/metrics` | GET | the tags' counters, Prometheus text (`?format=json`: JSON); the host renders them |
//! | `/readyz` | GET | upstream health: each tag's token reads its pixels, identity accepts its token; cached `readyCacheMs` |
//! | `/dashboard`, `/dashboard/data` | GET | the live dashboard page and its data (HTTP Basic auth, `dashboardToken`) |
//! | `/g/collect`, `/event` | OPTIONS | CORS preflight -> 204 (admin routes never get CORS headers) |
//!
//! HEAD works wherever GET does.
//!
//! Anything else is 404, a wrong method 405 (with `Allow`), a body over the limit 413, a hit
//! without a single usable event 400, and a browser request from an origin not in
//! `allowedOrigins` 403; errors are `{"error": {"code", "message"}}`. A bad event in a batch is
//! reported (`problems`) and the good ones go on.
//!
//! Trust: `/event` needs a token or a signature (`auth`); each client is rate-limited in events
//! (`limits`: per IP on `/g/collect`, per token on `/event`); the client IP is the socket's (on
//! Workers `CF-Connecting-IP`, which the host passes as the remote address), `X-Forwarded-For`
//! only with `trustProxy`; browser hits and unauthenticated events never set the IP or user
//! agent. Every accepted event gets its final `event_id` and `event_time` here, so a queued event
//! is the same event however often and however late it is sent. Past the backlog the host
//! reports (queued or in-flight events) the container answers 503 with Retry-After.
//!
//! First-party cookies: the first tag decides `_fbp`/`_fbc` for the first event right here (a
//! build without identity or dispatch), so the response carries `Set-Cookie`; the values are
//! put into the request context the background runs get, so Meta receives the very same ones.
use std::cell::RefCell;

use crate::config::Reader;
use crate::delivery::QueuePolicy;
use crate::doctor::{self, Answer, Check, State};
use crate::event_data::{EventData, RequestContext};
use crate::json::{self, Json, Key};
use crate::payload::Clock;
use crate::report::Report;
use crate::tag::Tag;
use crate::url;

pub mod auth;
pub mod collect;
mod limits;
mod settings;
#[cfg(test)]
mod tests;

pub use auth::{secret_matches, Caller, EventAuth};
pub use limits::{Buckets, Rate};

pub const DEFAULT_MAX_BODY_BYTES: u64 = 256 * 1024;
pub const MAX_BODY_BYTES_LIMIT: u64 = 4 * 1024 * 1024;
/// `/event` takes at most this many events per request (Meta's per-request limit).
pub const MAX_EVENTS_PER_POST: usize = 1000;
/// `/readyz` answers are reused this long (ms) unless `readyCacheMs` says otherwise.
pub const DEFAULT_READY_CACHE_MS: u64 = 30_000;
const KNOWN_KEYS: &[&str] = &[
    "tags",
    "allowedOrigins",
    "maxBodyBytes",
    "metricsToken",
    "readyCacheMs",
    "dashboardToken",
    "batchWindowMs",
    "eventTokens",
    "eventSigningSecret",
    "eventAuth",
    "trustProxy",
    "rateLimit",
    "queue",
    "maxInFlight",
    "strict",
    "alerts",
    "history",
];
/// Events the host may hold in memory (running or waiting for a batch) without a queue; past it
/// new events are refused with 503 (backpressure) instead of growing without bound.
pub const DEFAULT_MAX_IN_FLIGHT: u64 = 10_000;
/// Events a durable queue may hold before new ones are refused with 503.
pub const DEFAULT_QUEUE_MAX_EVENTS: u64 = 1_000_000;
/// Event keys only an authenticated caller may set: they say who the visitor is to Meta, and a
/// browser (or anyone, on an open `/event`) could claim any address or agent with them.
const TRUSTED_EVENT_KEYS: [&str; 4] = [
    "ip_override",
    "user_agent",
    "x-fb-ud-client_ip_address",
    "x-fb-ud-client_user_agent",
];
/// Request headers that carry a client address: read only as `trustProxy` allows, never passed on.
const ADDRESS_HEADERS: [&str; 4] = [
    "x-forwarded-for",
    "cf-connecting-ip",
    "x-real-ip",
    "forwarded",
];
/// Request headers with the caller's credentials: checked here, never passed on (the request
/// context is kept with every queued event, in the outbox, in Cloudflare Queues and in dead letters).
const CREDENTIAL_HEADERS: [&str; 3] = ["authorization", "proxy-authorization", "x-omni-signature"];
/// `batchWindowMs` upper bound: events wait at most this long for company.
pub const MAX_BATCH_WINDOW_MS: u64 = 10_000;

/// Environment / Worker bindings the container reads (secrets stay out of the config file).
const ENV_ACCESS_TOKEN: &str = "META_ACCESS_TOKEN";
const ENV_IDENTITY_TOKEN: &str = "IDENTITY_TOKEN";
const ENV_ALLOWED_ORIGINS: &str = "ALLOWED_ORIGINS";
const ENV_METRICS_TOKEN: &str = "METRICS_TOKEN";
const ENV_DASHBOARD_TOKEN: &str = "DASHBOARD_TOKEN";
const ENV_PIXEL_ID: &str = "META_PIXEL_ID";
const ENV_IDENTITY_ENDPOINT: &str = "IDENTITY_ENDPOINT";
const ENV_EVENT_TOKENS: &str = "EVENT_TOKENS";
const ENV_EVENT_SIGNING_SECRET: &str = "EVENT_SIGNING_SECRET";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origins {
    Any,
    /// Lowercase `scheme://host[:port]`.
    List(Vec<String>),
}

/// `queue`: the durable outbox of a Node host (`serve --queue FILE`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueSettings {
    /// The SQLite file (the host opens it).
    pub path: Option<String>,
    pub max_events: u64,
    pub policy: QueuePolicy,
    /// SQLite `synchronous`: `normal` survives a crash of the process, `full` a power loss too.
    pub synchronous: &'static str,
}

/// One tag of the container: a name for its counters, and its config (secrets filled in).
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerTag {
    pub name: String,
    pub config: Json,
}

pub struct Container {
    pub tags: Vec<ContainerTag>,
    pub allowed_origins: Origins,
    pub max_body_bytes: u64,
    pub ready_cache_ms: u64,
    /// How long (ms) the host may hold events to send those of many requests in one Meta
    /// request (0: every request's events are sent on their own, at once).
    pub batch_window_ms: u64,
    metrics_token: Option<String>,
    dashboard_token: Option<String>,
    pub auth: EventAuth,
    /// Proxies in front of the container whose `X-Forwarded-For` is trusted (0: none).
    pub trust_proxy: u32,
    /// Per client IP on `/g/collect`, per caller on `/event`; `None`: off.
    pub browser_rate: Option<Rate>,
    pub backend_rate: Option<Rate>,
    buckets: Buckets,
    pub queue: QueueSettings,
    pub max_in_flight: u64,
    /// `alerts`: thresholds on the shared history that post to a webhook (`crate::alerts`).
    pub alerts: Vec<crate::alerts::Alert>,
    /// `history.path`: the SQLite file of the monitoring history on Node (else the queue's).
    pub history_path: Option<String>,
    /// The largest message the host's queue takes (Cloudflare Queues: 128 KB), when accepted
    /// events go to one: an event whose queued message would be larger is refused with 413 at
    /// ingestion, not failed with 503 when the host sends it (a 503 asks the sender to retry an
    /// event that can never fit).
    pub queue_message_bytes: Option<usize>,
    /// The tags, parsed: the first decides the cookies of the response; all are checked by
    /// `/readyz`.
    parsed: Vec<Tag>,
    /// The last `/readyz` answer and until when it may be reused.
    ready: RefCell<Option<(u64, Response)>>,
    report: Report,
}

/// An incoming HTTP request as the host read it.
#[derive(Clone, Debug, Default)]
pub struct Incoming {
    pub method: String,
    /// The full URL (`https://host/path?query`).
    pub url: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The body was longer than `max_body_bytes` (the host stopped reading).
    pub body_too_large: bool,
    /// The socket's peer address.
    pub remote_address: Option<String>,
}

impl Incoming {
    fn header(&self, name: &str) -> Option<&str> {
        let found = self.headers.iter().find(|(n, _)| n == name);
        found.map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// What the host must do besides answering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Work {
    None,
    /// Run every tag over the events (one `run`, or `runBatch` for several) with this context.
    Run,
    /// Fill the response body with the tags' counters (`json`: as JSON, else Prometheus text).
    Metrics {
        json: bool,
    },
    /// Answer `/readyz`: `Container::ready_probes`, then `ready_response`.
    Ready,
    /// Fill the body with the dashboard page, or (`data`) its JSON.
    Dashboard {
        data: bool,
    },
}

pub struct Handled {
    pub response: Response,
    pub work: Work,
    pub events: Vec<Json>,
    /// The request context for the tags (cookies decided here included).
    pub request: Json,
    /// Events or lines left out, and why.
    pub problems: Vec<String>,
    /// Each event's final `event_id` and its `event_name`, as ingestion fixed them.
    pub ids: Vec<(String, String)>,
    /// Per event: whether its `event_id` was made up here (it came without one, so no browser
    /// pixel event can share it for deduplication).
    pub generated: Vec<bool>,
}

impl Container {
    /// From the container config and the environment (an object of string values). Never fails:
    /// problems are in `report()`, and a container with errors answers 503 to events.
    pub fn new(config: &Json, env: &Json) -> Container {
        let mut report = Report::default();
        let mut container = Container {
            tags: Vec::new(),
            allowed_origins: Origins::List(Vec::new()),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            ready_cache_ms: DEFAULT_READY_CACHE_MS,
            batch_window_ms: 0,
            metrics_token: env_text(env, ENV_METRICS_TOKEN),
            dashboard_token: env_text(env, ENV_DASHBOARD_TOKEN),
            auth: EventAuth::default(),
            trust_proxy: 0,
            browser_rate: Some(limits::BROWSER_DEFAULT),
            backend_rate: Some(limits::BACKEND_DEFAULT),
            buckets: Buckets::default(),
            queue: QueueSettings {
                path: None,
                max_events: DEFAULT_QUEUE_MAX_EVENTS,
                policy: QueuePolicy::default(),
                synchronous: "normal",
            },
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            alerts: Vec::new(),
            history_path: None,
            queue_message_bytes: None,
            parsed: Vec::new(),
            ready: RefCell::new(None),
            report: Report::default(),
        };
        // No config at all but a pixel in the environment: a container of that one tag, set up
        // entirely from environment variables / Worker bindings.
        let from_env = match (config, env_text(env, ENV_PIXEL_ID)) {
            (Json::Null, Some(pixel)) => Some(Json::object([("pixelId", Json::from(pixel))])),
            _ => None,
        };
        let config = from_env.as_ref().unwrap_or(config);
        let Some(obj) = config.as_object() else {
            let message = "the container config must be an object (or set META_PIXEL_ID for a one-tag container)";
            report.error("config.invalid_type", "config", message);
            container.report = report;
            return container;
        };
        // A plain tag config (it has a pixel) is a container of that one tag; container keys
        // beside its tag keys still count.
        let strict;
        let single = obj.iter().any(|(k, _)| k == "pixelId");
        let container_keys: Vec<(Key, Json)>;
        let obj = if single {
            let (mine, tag): (Vec<_>, Vec<_>) = obj
                .iter()
                .cloned()
                .partition(|(k, _)| k != "tags" && KNOWN_KEYS.contains(&&**k));
            container.tags = vec![ContainerTag {
                name: String::new(),
                config: Json::Object(tag),
            }];
            container_keys = mine;
            &container_keys[..]
        } else {
            obj
        };
        {
            let mut r = Reader::new(obj, "", &mut report);
            if !single {
                r.unknown_keys(KNOWN_KEYS);
            }
            container.max_body_bytes = r
                .ranged("maxBodyBytes", 1024, MAX_BODY_BYTES_LIMIT)
                .unwrap_or(DEFAULT_MAX_BODY_BYTES);
            if let Some(token) = r.string("metricsToken") {
                container.metrics_token.get_or_insert(token);
            }
            if let Some(token) = r.string("dashboardToken") {
                container.dashboard_token.get_or_insert(token);
            }
            container.ready_cache_ms = r
                .ranged("readyCacheMs", 0, 600_000)
                .unwrap_or(DEFAULT_READY_CACHE_MS);
            container.batch_window_ms = r
                .ranged("batchWindowMs", 0, MAX_BATCH_WINDOW_MS)
                .unwrap_or(0);
            container.max_in_flight = r
                .ranged("maxInFlight", 1, 10_000_000)
                .unwrap_or(DEFAULT_MAX_IN_FLIGHT);
            container.trust_proxy = settings::trust_proxy(&mut r);
            container.auth = settings::event_auth(&mut r, env);
            (container.browser_rate, container.backend_rate) = settings::rate_limits(&mut r);
            container.queue = settings::queue_settings(&mut r);
            strict = r.boolean("strict", false);
            if !single {
                container.tags = tag_list(config.get("tags"), r.report());
            }
            container.allowed_origins = origins(config.get("allowedOrigins"), r.report());
            container.alerts = crate::alerts::parse(config.get("alerts"), r.report());
            container.history_path = history_path(config.get("history"), r.report());
        }
        if container.auth.open {
            let message =
                "eventAuth is \"none\": anyone can send events to /event in this site's name";
            report.warn("config.event_auth_none", "eventAuth", message);
        }
        if let Some(list) = env_text(env, ENV_ALLOWED_ORIGINS) {
            container.allowed_origins = origins(Some(&Json::from(list)), &mut report);
        }
        for (i, tag) in container.tags.iter_mut().enumerate() {
            fill_secrets(&mut tag.config, env);
            let parsed = Tag::new(&tag.config);
            if tag.name.is_empty() {
                tag.name = default_name(&tag.config, i);
            }
            prefix_issues(&mut report, parsed.config_report(), i, single);
            container.parsed.push(parsed);
        }
        if strict {
            crate::hints::strict(&mut report);
        }
        container.report = report;
        container
    }

    /// The config text was not JSON: that is the one error to report.
    pub fn config_unreadable(&mut self, why: String) {
        self.report = Report::default();
        let message = format!("the container config is not valid JSON: {why}");
        self.report.error("config.invalid_json", "config", message);
    }

    /// The Meta event name the first tag gives an incoming `event_name` (for the history's
    /// received counts, so they line up with what the tags send).
    pub fn meta_name(&self, name: &str) -> String {
        self.parsed
            .first()
            .and_then(|t| crate::payload::meta_event_name(t.config(), Some(name)))
            .unwrap_or(name)
            .to_string()
    }

    /// What was wrong with the config (every tag's problems, named `tags[i].<key>`).
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// `handle_at` with nothing held by the host.
    pub fn handle(&self, incoming: &Incoming, clock: Clock) -> Handled {
        self.handle_at(incoming, clock, 0)
    }

    /// Answer one request. `backlog`: the events the host holds now (queued, or running in
    /// memory), for backpressure.
    pub fn handle_at(&self, incoming: &Incoming, clock: Clock, backlog: u64) -> Handled {
        let (path, query) = path_and_query(&incoming.url);
        let Some(route) = Route::of(path) else {
            return Handled::answer(error(404, "not_found", format!("no route for {path}")));
        };
        if route.is_admin() {
            // Never readable cross-origin: no CORS headers at all.
            return self.route(route, incoming, query, clock, backlog);
        }
        let cors = match self.cors(incoming) {
            Ok(headers) => headers,
            Err(origin) => {
                let message = format!("origin {origin} is not in allowedOrigins");
                return Handled::answer(error(403, "origin_not_allowed", message));
            }
        };
        let mut handled = self.route(route, incoming, query, clock, backlog);
        handled.response.headers.extend(cors);
        handled
    }

    fn route(
        &self,
        route: Route,
        incoming: &Incoming,
        query: &str,
        clock: Clock,
        backlog: u64,
    ) -> Handled {
        let mut method = incoming.method.to_ascii_uppercase();
        if method == "OPTIONS" && !route.is_admin() {
            return Handled::answer(preflight(route));
        }
        if method == "HEAD" && route.methods().contains(&"GET") {
            method = "GET".into(); // the host sends no body for HEAD
        }
        if !route.methods().contains(&method.as_str()) {
            let mut response = error(
                405,
                "method_not_allowed",
                format!("{method} is not allowed here"),
            );
            response.headers.push(("allow".into(), route.allow()));
            return Handled::answer(response);
        }
        match route {
            Route::Healthz => Handled::answer(text(200, "ok")),
            Route::Metrics => self.metrics(incoming, query),
            Route::Readyz => Handled::work(Work::Ready, json_response(200, String::new())),
            Route::Dashboard | Route::DashboardData => self.dashboard(incoming, route),
            Route::Collect | Route::Event if incoming.body_too_large => {
                let message = format!("the body is over {} bytes", self.max_body_bytes);
                Handled::answer(error(413, "body_too_large", message))
            }
            Route::Collect | Route::Event if !self.report.is_valid() => Handled::answer(error(
                503,
                "config_invalid",
                "the container config has errors (see the startup log): no event is accepted"
                    .into(),
            )),
            Route::Collect => {
                let parsed = collect::parse_hit(query, &incoming.body);
                // Each message names its line already ("line 2: no event name (en)").
                let problems = parsed.problems.into_iter().map(|p| p.message).collect();
                let client = self.client_address(incoming).unwrap_or_default();
                let limit = self.browser_rate.map(|rate| (rate, format!("ip:{client}")));
                let mut events = parsed.events;
                events.iter_mut().for_each(strip_trusted_keys);
                let arrival = Arrival {
                    events,
                    problems,
                    limit,
                    route: Route::Collect,
                    trusted: false,
                };
                self.admit(incoming, arrival, clock, backlog)
            }
            Route::Event => {
                let caller = self.auth.check(
                    incoming.header("authorization"),
                    incoming.header("x-omni-signature"),
                    &incoming.body,
                    clock.now_ms,
                );
                let caller = match caller {
                    Ok(caller) => caller,
                    Err(message) => return Handled::answer(unauthorized(message)),
                };
                let (mut events, problems) = match event_list(&incoming.body) {
                    Ok(list) => list,
                    Err(message) => return Handled::answer(error(400, "invalid_body", message)),
                };
                if !caller.is_trusted() {
                    events.iter_mut().for_each(strip_trusted_keys);
                }
                let key = match &caller {
                    Caller::Anonymous => {
                        format!("ip:{}", self.client_address(incoming).unwrap_or_default())
                    }
                    known => known.key(),
                };
                let arrival = Arrival {
                    events,
                    problems,
                    limit: self.backend_rate.map(|rate| (rate, key)),
                    route: Route::Event,
                    trusted: caller.is_trusted(),
                };
                self.admit(incoming, arrival, clock, backlog)
            }
        }
    }

    /// Rate limit and backpressure, then `accept`.
    fn admit(&self, incoming: &Incoming, arrival: Arrival, clock: Clock, backlog: u64) -> Handled {
        let cost = arrival.events.len() as u64;
        if cost == 0 {
            return self.accept(incoming, arrival, clock);
        }
        if let Some((rate, key)) = &arrival.limit {
            let rate = *rate;
            if let Err(seconds) = self.buckets.take(rate, key, cost, clock.now_ms) {
                let message = format!(
                    "rate limit: at most {} events a minute (bursts of {}) per client",
                    rate.per_minute, rate.burst
                );
                return Handled::answer(retry_later(429, "rate_limited", message, seconds));
            }
        }
        let capacity = if self.queue.path.is_some() {
            self.queue.max_events
        } else {
            self.max_in_flight
        };
        if backlog.saturating_add(cost) > capacity {
            let message = format!(
                "{backlog} events are waiting to be sent (the limit is {capacity}): try again later"
            );
            return Handled::answer(retry_later(503, "overloaded", message, 5));
        }
        self.accept(incoming, arrival, clock)
    }

    /// The client's address: the socket's (on Workers, `CF-Connecting-IP`, which the host hands
    /// over as the remote address), or with `trustProxy: n` the address the outermost of those
    /// `n` proxies saw (`X-Forwarded-For`, counted from the right: the left is what the client
    /// claims).
    fn client_address(&self, incoming: &Incoming) -> Option<String> {
        if self.trust_proxy > 0 {
            if let Some(list) = incoming.header("x-forwarded-for") {
                let hops: Vec<&str> = list.split(',').map(str::trim).collect();
                let at = hops.len().saturating_sub(self.trust_proxy as usize);
                if let Some(ip) = hops.get(at).filter(|ip| !ip.is_empty()) {
                    return Some((*ip).to_string());
                }
            }
        }
        incoming.remote_address.clone()
    }

    fn metrics(&self, incoming: &Incoming, query: &str) -> Handled {
        if let Some(token) = &self.metrics_token {
            let given = incoming
                .header("authorization")
                .and_then(|a| a.trim().split_once(' '))
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, t)| t.trim());
            if !given.is_some_and(|g| secret_matches(g, token)) {
                return Handled::answer(error(
                    401,
                    "unauthorized",
                    "a bearer token is required".into(),
                ));
            }
        }
        let json = url::query_param(&format!("?{query}"), "format") == Some("json");
        let content_type = if json {
            "application/json"
        } else {
            "text/plain; version=0.0.4; charset=utf-8"
        };
        let response = Response {
            status: 200,
            headers: vec![("content-type".into(), content_type.into())],
            body: String::new(),
        };
        Handled::work(Work::Metrics { json }, response)
    }

    /// The dashboard's page or data, behind HTTP Basic auth with `dashboardToken` as password.
    fn dashboard(&self, incoming: &Incoming, route: Route) -> Handled {
        let Some(token) = &self.dashboard_token else {
            let message =
                "the dashboard is off: set dashboardToken (or DASHBOARD_TOKEN)".to_string();
            return Handled::answer(error(404, "dashboard_disabled", message));
        };
        let given = incoming.header("authorization").and_then(basic_password);
        if !given.is_some_and(|g| secret_matches(&g, token)) {
            let mut response = error(
                401,
                "unauthorized",
                "sign in with the dashboard token as password".into(),
            );
            let realm = "Basic realm=\"omni-meta-capi dashboard\", charset=\"UTF-8\"";
            response
                .headers
                .push(("www-authenticate".into(), realm.into()));
            return Handled::answer(response);
        }
        let (work, content_type) = match route {
            Route::DashboardData => (Work::Dashboard { data: true }, "application/json"),
            _ => (Work::Dashboard { data: false }, "text/html; charset=utf-8"),
        };
        let response = Response {
            status: 200,
            headers: vec![
                ("content-type".into(), content_type.into()),
                ("cache-control".into(), "no-store".into()),
                ("x-frame-options".into(), "DENY".into()),
                ("x-content-type-options".into(), "nosniff".into()),
            ],
            body: String::new(),
        };
        Handled::work(work, response)
    }

    /// A `/readyz` answer that needs no probe: the cached one while fresh, or 503 for a
    /// container config with errors.
    pub fn ready_cached(&self, now_ms: u64) -> Option<Response> {
        if !self.report.is_valid() {
            // Name each error (they never hold a secret): the Worker has no startup log.
            let errors: Vec<String> = self
                .report
                .errors
                .iter()
                .map(|i| format!("{}: {}", i.field, i.message))
                .collect();
            let message = format!("the container config has errors: {}", errors.join("; "));
            return Some(error(503, "config_invalid", message));
        }
        let cache = self.ready.try_borrow().ok()?;
        let (_, response) = cache.as_ref().filter(|(until, _)| *until > now_ms)?;
        Some(response.clone())
    }

    /// The probes `/readyz` sends, in order, with the index of their tag: each pixel's token
    /// read and the identity check (a pure function of the config, so both steps agree).
    pub fn ready_checks(&self) -> Vec<(usize, Check)> {
        let mut checks = Vec::new();
        for (i, tag) in self.parsed.iter().enumerate() {
            let config = tag.config();
            let identity = doctor::identity_check(config);
            for check in doctor::token_checks(config).into_iter().chain(identity) {
                checks.push((i, check));
            }
        }
        checks
    }

    /// The `/readyz` answer from the answers to `ready_checks`' probes (in order); kept for
    /// `readyCacheMs`. 200 when every check passed, else 503; the checks say what failed.
    /// `durable`: whether the host keeps accepted events in a durable queue; `warnings` say
    /// what is ready but unsafe (no durable delivery, an open `/event`).
    pub fn ready_response(
        &self,
        answers: &[Option<Answer>],
        now_ms: u64,
        durable: bool,
    ) -> Response {
        let checks = self.ready_checks();
        let mut all_ready = true;
        let mut tags = Vec::new();
        for (i, (tag, ct)) in self.parsed.iter().zip(&self.tags).enumerate() {
            let (mine, mine_answers): (Vec<Check>, Vec<Option<Answer>>) = checks
                .iter()
                .zip(answers.iter().chain(std::iter::repeat(&None)))
                .filter(|((t, _), _)| *t == i)
                .map(|((_, c), a)| (c.clone(), a.clone()))
                .unzip();
            let verdicts: Vec<_> = doctor::judge(tag, &mine, &mine_answers, now_ms)
                .into_iter()
                .filter(|v| v.name != "clock")
                .collect();
            let ready = verdicts.iter().all(|v| v.state != State::Fail);
            all_ready &= ready;
            tags.push(Json::object([
                ("name", Json::from(ct.name.as_str())),
                ("ready", Json::Bool(ready)),
                (
                    "checks",
                    Json::Array(verdicts.iter().map(|v| v.to_json()).collect()),
                ),
            ]));
        }
        let body = Json::object([
            ("ready", Json::Bool(all_ready)),
            (
                "checkedAt",
                Json::from(crate::logging::iso_timestamp(now_ms)),
            ),
            ("tags", Json::Array(tags)),
            ("warnings", Json::from(self.ready_warnings(durable))),
        ]);
        let mut response = json_response(if all_ready { 200 } else { 503 }, body.to_json());
        response
            .headers
            .push(("cache-control".into(), "no-store".into()));
        if let Ok(mut cache) = self.ready.try_borrow_mut() {
            *cache = Some((now_ms.saturating_add(self.ready_cache_ms), response.clone()));
        }
        response
    }

    fn ready_warnings(&self, durable: bool) -> Vec<String> {
        let mut warnings = Vec::new();
        if !durable {
            warnings.push(
                "delivery is not durable: accepted events are held in memory until sent (use \
                 serve --queue FILE on Node, an EVENTS_QUEUE binding on Workers)"
                    .to_string(),
            );
        }
        if self.auth.open {
            warnings.push("eventAuth is \"none\": anyone can send events to /event".to_string());
        }
        warnings
    }

    /// Events in: decide the cookies, answer, and hand the events to the tags.
    fn accept(&self, incoming: &Incoming, arrival: Arrival, clock: Clock) -> Handled {
        let Arrival {
            events,
            problems,
            route,
            trusted,
            ..
        } = arrival;
        if events.is_empty() {
            let message = match problems.first() {
                Some(p) => format!("no usable event: {p}"),
                None => "no event in the request".to_string(),
            };
            let mut response = error(400, "no_event", message);
            if let Some(body) = problems_body(&response.body, &problems) {
                response.body = body;
            }
            return Handled::answer(response);
        }
        let mut request = request_context(incoming, self.client_address(incoming));
        // Who vouches for the events: the identity service weighs links by it.
        request.set(
            "trust",
            Json::from(if trusted { "server" } else { "browser" }),
        );
        let (mut events, problems) = self.fitting_the_queue(events, problems, &request);
        if events.is_empty() {
            let mut response = error(413, "event_too_large", problems.join("; "));
            if let Some(body) = problems_body(&response.body, &problems) {
                response.body = body;
            }
            return Handled::answer(response);
        }
        let (ids, generated): (Vec<(String, String)>, Vec<bool>) = events
            .iter_mut()
            .enumerate()
            .map(|(i, e)| {
                let (id, name, generated) = fix_identity(e, crate::batch::event_clock(clock, i));
                ((id, name), generated)
            })
            .unzip();
        let mut response = match route {
            Route::Collect => Response {
                status: 204,
                headers: Vec::new(),
                body: String::new(),
            },
            _ => {
                let event_ids = ids.iter().map(|(id, _)| Json::from(id.as_str())).collect();
                let body = Json::object([
                    ("received", Json::from(events.len())),
                    ("eventIds", Json::Array(event_ids)),
                    ("problems", Json::from(problems.clone())),
                ]);
                json_response(202, body.to_json())
            }
        };
        response
            .headers
            .push(("cache-control".into(), "no-store".into()));
        if let (Some(tag), Some(first)) = (self.parsed.first(), events.first()) {
            let mut cookies = tag.cookies(first, &request, clock);
            let host = incoming
                .header("host")
                .and_then(|h| url::host(&format!("http://{h}")));
            for cookie in &mut cookies {
                // A browser refuses a cookie for a domain the answering host is not in (the
                // container on workers.dev for a page on example.com): set it host-only then.
                if !cookie
                    .domain
                    .as_deref()
                    .is_some_and(|d| host.as_deref().is_some_and(|h| in_domain(h, d)))
                {
                    cookie.domain = None;
                }
                response
                    .headers
                    .push(("set-cookie".into(), cookie.header()));
                set_cookie(&mut request, &cookie.name, &cookie.value);
            }
        }
        Handled {
            response,
            work: Work::Run,
            events,
            request,
            problems,
            ids,
            generated,
        }
    }

    /// The events whose queued message fits `queue_message_bytes` (all without a limit); each
    /// one that does not becomes a problem naming its size. A message carries the event, the
    /// request context and a few fields (tag name, ids, time: `QUEUED_ROW_OVERHEAD`).
    fn fitting_the_queue(
        &self,
        events: Vec<Json>,
        mut problems: Vec<String>,
        request: &Json,
    ) -> (Vec<Json>, Vec<String>) {
        let Some(limit) = self.queue_message_bytes else {
            return (events, problems);
        };
        let tag_name = self.tags.iter().map(|t| t.name.len()).max().unwrap_or(0);
        let fixed = as_string_len(&request.to_json()) + tag_name + QUEUED_ROW_OVERHEAD;
        let mut kept = Vec::with_capacity(events.len());
        for event in events {
            let size = fixed + as_string_len(&event.to_json());
            if size > limit {
                problems.push(format!(
                    "event {} would be a queued message of {size} bytes: the queue takes at most {limit}",
                    event_label(&event)
                ));
            } else {
                kept.push(event);
            }
        }
        (kept, problems)
    }

    /// CORS headers for the request's `Origin` (none without one); `Err(origin)` when it is not
    /// allowed. Server-to-server calls carry no Origin and are not subject to CORS.
    fn cors(&self, incoming: &Incoming) -> Result<Vec<(String, String)>, String> {
        let Some(origin) = incoming.header("origin").map(str::trim) else {
            return Ok(Vec::new());
        };
        let allowed = match &self.allowed_origins {
            Origins::Any => true,
            Origins::List(list) => list.iter().any(|o| o.eq_ignore_ascii_case(origin)),
        };
        if !allowed {
            return Err(origin.to_string());
        }
        Ok(vec![
            ("access-control-allow-origin".into(), origin.to_string()),
            ("access-control-allow-credentials".into(), "true".into()),
            ("vary".into(), "Origin".into()),
        ])
    }
}

impl Response {
    /// `{status, headers: [[name, value]], body}`.
    pub fn to_json(&self) -> Json {
        let headers = self
            .headers
            .iter()
            .map(|(k, v)| Json::Array(vec![Json::from(k.as_str()), Json::from(v.as_str())]))
            .collect();
        Json::object([
            ("status", Json::from(u64::from(self.status))),
            ("headers", Json::Array(headers)),
            ("body", Json::from(self.body.as_str())),
        ])
    }
}

impl Handled {
    fn answer(response: Response) -> Handled {
        Handled::work(Work::None, response)
    }

    fn work(work: Work, response: Response) -> Handled {
        Handled {
            response,
            work,
            events: Vec::new(),
            request: Json::Null,
            problems: Vec::new(),
            ids: Vec::new(),
            generated: Vec::new(),
        }
    }

    /// `{response: {status, headers: [[name, value]], body}, work, events, request, problems}`.
    pub fn to_json(&self) -> Json {
        let response = self.response.to_json();
        let work = match self.work {
            Work::None => "none",
            Work::Run => "run",
            Work::Metrics { json: true } => "metrics-json",
            Work::Metrics { json: false } => "metrics",
            Work::Ready => "ready",
            Work::Dashboard { data: true } => "dashboard-data",
            Work::Dashboard { data: false } => "dashboard",
        };
        Json::object([
            ("response", response),
            ("work", Json::from(work)),
            ("events", Json::Array(self.events.clone())),
            ("request", self.request.clone()),
            ("problems", Json::from(self.problems.clone())),
            (
                "ids",
                Json::Array(
                    self.ids
                        .iter()
                        .zip(self.generated.iter().chain(std::iter::repeat(&false)))
                        .map(|((id, name), generated)| {
                            Json::Array(vec![
                                Json::from(id.as_str()),
                                Json::from(name.as_str()),
                                Json::Bool(*generated),
                            ])
                        })
                        .collect(),
                ),
            ),
        ])
    }
}

/// Events that came in on `route`: the caller's rate limit (its rate and bucket key), and
/// whether an authenticated backend vouches for them.
struct Arrival {
    events: Vec<Json>,
    problems: Vec<String>,
    limit: Option<(Rate, String)>,
    route: Route,
    trusted: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    Collect,
    Event,
    Healthz,
    Metrics,
    Readyz,
    Dashboard,
    DashboardData,
}

impl Route {
    fn of(path: &str) -> Option<Route> {
        match path.trim_end_matches('/') {
            p if p == "/g/collect" || p.ends_with("/g/collect") => Some(Route::Collect),
            "/event" => Some(Route::Event),
            "/healthz" => Some(Route::Healthz),
            "/metrics" => Some(Route::Metrics),
            "/readyz" => Some(Route::Readyz),
            "/dashboard" => Some(Route::Dashboard),
            "/dashboard/data" => Some(Route::DashboardData),
            _ => None,
        }
    }

    /// Routes for operators: never given CORS headers, no preflight.
    fn is_admin(self) -> bool {
        !matches!(self, Route::Collect | Route::Event)
    }

    /// The `Allow` header: the methods, HEAD beside GET, OPTIONS where browsers may preflight.
    fn allow(self) -> String {
        let mut allow: Vec<&str> = self.methods().to_vec();
        if allow.contains(&"GET") {
            allow.push("HEAD");
        }
        if !self.is_admin() {
            allow.push("OPTIONS");
        }
        allow.join(", ")
    }

    fn methods(self) -> &'static [&'static str] {
        match self {
            Route::Collect => &["GET", "POST"],
            Route::Event => &["POST"],
            Route::Healthz
            | Route::Metrics
            | Route::Readyz
            | Route::Dashboard
            | Route::DashboardData => &["GET"],
        }
    }
}

fn preflight(route: Route) -> Response {
    Response {
        status: 204,
        headers: vec![
            ("access-control-allow-methods".into(), route.allow()),
            (
                "access-control-allow-headers".into(),
                "content-type, authorization, x-omni-signature".into(),
            ),
            ("access-control-max-age".into(), "86400".into()),
        ],
        body: String::new(),
    }
}

fn path_and_query(full: &str) -> (&str, &str) {
    let after_scheme = full.split_once("://").map_or(full, |(_, rest)| rest);
    let path_start = after_scheme.find('/').unwrap_or(after_scheme.len());
    let path_and_query = after_scheme.get(path_start..).unwrap_or_default();
    let without_fragment = path_and_query.split('#').next().unwrap_or_default();
    let (path, query) = without_fragment
        .split_once('?')
        .unwrap_or((without_fragment, ""));
    (if path.is_empty() { "/" } else { path }, query)
}

fn text(status: u16, body: &str) -> Response {
    Response {
        status,
        headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
        body: body.into(),
    }
}

fn json_response(status: u16, body: String) -> Response {
    Response {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body,
    }
}

fn error(status: u16, code: &str, message: String) -> Response {
    let detail = Json::object([("code", Json::from(code)), ("message", Json::from(message))]);
    json_response(status, Json::object([("error", detail)]).to_json())
}

fn unauthorized(message: String) -> Response {
    let mut response = error(401, "unauthorized", message);
    response
        .headers
        .push(("www-authenticate".into(), "Bearer".into()));
    response
}

/// 429 or 503 with `Retry-After` (seconds).
fn retry_later(status: u16, code: &str, message: String, seconds: u64) -> Response {
    let mut response = error(status, code, message);
    response
        .headers
        .push(("retry-after".into(), seconds.to_string()));
    response
}

/// Remove what only an authenticated caller may say about the visitor (`TRUSTED_EVENT_KEYS`).
fn strip_trusted_keys(event: &mut Json) {
    if let Json::Object(pairs) = event {
        pairs.retain(|(k, _)| !TRUSTED_EVENT_KEYS.contains(&&**k));
    }
}

/// Give the event its final `event_id` (a random UUID when it brings none) and `event_time`
/// (now when it has none), so that every later build — a retry, a queued send after an outage —
/// sends the same event. Returns its `event_id`, `event_name` and whether the id was made here.
fn fix_identity(event: &mut Json, clock: Clock) -> (String, String, bool) {
    let ev = EventData::new(event);
    let id = ev.first_text(&crate::event_data::EVENT_ID_KEYS);
    let has_time = ev
        .first_text(&["x-fb-sed-event_time", "event_time"])
        .is_some();
    let name = ev.text("event_name").unwrap_or_default();
    let generated = id.is_none();
    let id = match id {
        Some(id) => id,
        None => {
            let id = clock.uuid();
            event.set("event_id", Json::from(id.as_str()));
            id
        }
    };
    if !has_time {
        event.set("event_time", Json::from(clock.now_ms / 1000));
    }
    (id, name, generated)
}

/// The error body with the full problem list added.
fn problems_body(body: &str, problems: &[String]) -> Option<String> {
    let mut v = json::parse(body).ok()?;
    v.set("problems", Json::from(problems.to_vec()));
    Some(v.to_json())
}

/// `/event` bodies: an object (one event), an array of them, or `{"events": [...]}`.
fn event_list(body: &str) -> Result<(Vec<Json>, Vec<String>), String> {
    let v = json::parse(body).map_err(|e| format!("the body is not JSON: {}", e.describe()))?;
    let items = match v {
        Json::Array(items) => items,
        Json::Object(ref pairs) if pairs.len() == 1 && pairs[0].0 == "events" => {
            match &pairs[0].1 {
                Json::Array(items) => items.clone(),
                _ => return Err("\"events\" must be an array of event objects".into()),
            }
        }
        Json::Object(_) => vec![v],
        _ => {
            return Err(
                "the body must be an event object, an array of them, or {\"events\": [...]}".into(),
            )
        }
    };
    let mut events = Vec::new();
    let mut problems = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        if events.len() == MAX_EVENTS_PER_POST {
            problems.push(format!(
                "events after the first {MAX_EVENTS_PER_POST} are refused"
            ));
            break;
        }
        match item {
            Json::Object(_) => events.push(item),
            _ => problems.push(format!("event #{i} is not an object")),
        }
    }
    Ok((events, problems))
}

/// The request context the tags get: URL, headers (without the address headers: the client's
/// address is decided by `Container::client_address`; without the credentials), cookies
/// (parsed out of the Cookie header), and the client's address.
/// A queued message's bytes besides the event and the request context: its keys, the event id
/// and name the container adds (a few hundred bytes together), the time.
const QUEUED_ROW_OVERHEAD: usize = 1024;

/// How a problem names an event the caller sent: its own event_id, else its name (both cut to
/// 64 characters), else "without a name".
fn event_label(event: &Json) -> String {
    let ev = crate::event_data::EventData::new(event);
    let (kind, text) = match ev.first_text(&crate::event_data::EVENT_ID_KEYS) {
        Some(id) => ("event_id", id),
        None => match ev.text("event_name") {
            Some(name) => ("event_name", name),
            None => return "without a name".to_string(),
        },
    };
    let text: String = text.chars().take(64).collect();
    format!("with {kind} {text:?}")
}

/// The bytes of `text` as a JSON string (a queued message carries the event's JSON text as a
/// string: every quote and backslash in it is escaped once more).
fn as_string_len(text: &str) -> usize {
    let mut out = String::with_capacity(text.len() + text.len() / 4 + 2);
    crate::json::write_string(text, &mut out);
    out.len()
}

fn request_context(incoming: &Incoming, client: Option<String>) -> Json {
    let mut headers: Vec<(Key, Json)> = Vec::new();
    for (name, value) in &incoming.headers {
        let n = name.as_str();
        if name == "cookie" || ADDRESS_HEADERS.contains(&n) || CREDENTIAL_HEADERS.contains(&n) {
            continue;
        }
        headers.push((name.clone().into(), Json::from(value.as_str())));
    }
    let cookie_header: Vec<(Key, Json)> = incoming
        .headers
        .iter()
        .filter(|(n, _)| n == "cookie")
        .map(|(n, v)| (Key::from(n.clone()), Json::from(v.as_str())))
        .collect();
    let cookie_headers = Json::object([("headers", Json::Object(cookie_header))]);
    let cookies: Vec<(Key, Json)> = RequestContext::from_json(&cookie_headers)
        .cookies
        .into_iter()
        .map(|(k, v)| (Key::from(k.into_owned()), Json::from(v.into_owned())))
        .collect();
    let mut ctx = Json::object([
        ("url", Json::from(incoming.url.as_str())),
        ("headers", Json::Object(headers)),
        ("cookies", Json::Object(cookies)),
    ]);
    if let Some(addr) = client {
        ctx.set("remoteAddress", Json::from(addr));
    }
    ctx
}

/// Record a cookie the response sets, so the tags' builds see it as the visitor's.
fn set_cookie(request: &mut Json, name: &str, value: &str) {
    let mut cookies = match request.get("cookies") {
        Some(c @ Json::Object(_)) => c.clone(),
        _ => Json::Object(Vec::new()),
    };
    if let Json::Object(pairs) = &mut cookies {
        pairs.retain(|(k, _)| k != name);
        pairs.push((name.to_string().into(), Json::from(value)));
    }
    request.set("cookies", cookies);
}

/// Whether `host` is `domain` or one of its subdomains (cookie domain matching).
fn in_domain(host: &str, domain: &str) -> bool {
    let domain = domain.trim_start_matches('.');
    host.eq_ignore_ascii_case(domain)
        || host
            .len()
            .checked_sub(domain.len() + 1)
            .and_then(|cut| host.get(cut..))
            .is_some_and(|tail| tail.eq_ignore_ascii_case(&format!(".{domain}")))
}

/// The password of an `Authorization: Basic <base64(user:password)>` header.
fn basic_password(header: &str) -> Option<String> {
    let encoded = header.trim().strip_prefix("Basic ")?.trim();
    let decoded = String::from_utf8(crate::base64::decode(encoded, false)?).ok()?;
    decoded
        .split_once(':')
        .map(|(_, password)| password.to_string())
}

fn env_text(env: &Json, key: &str) -> Option<String> {
    let value = env.get(key)?.as_str()?.trim();
    (!value.is_empty()).then(|| value.to_string())
}

/// `tags`: a non-empty list of tag configs, each with an optional `name`.
fn tag_list(tags: Option<&Json>, report: &mut Report) -> Vec<ContainerTag> {
    let items = match tags {
        Some(Json::Array(items)) if !items.is_empty() => items,
        Some(Json::Array(_)) | None => {
            report.error(
                "config.missing",
                "tags",
                "the container needs at least one tag in \"tags\"",
            );
            return Vec::new();
        }
        Some(_) => {
            report.error(
                "config.invalid_type",
                "tags",
                "tags must be a list of tag configs",
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Json::Object(pairs) = item else {
            let message = format!("tags[{i}] must be a tag config object");
            report.error("config.invalid_type", format!("tags[{i}]"), message);
            continue;
        };
        let name = pairs
            .iter()
            .find(|(k, _)| k == "name")
            .and_then(|(_, v)| v.as_str())
            .map(|n| n.trim().to_string())
            .unwrap_or_default();
        let config = Json::Object(pairs.iter().filter(|(k, _)| k != "name").cloned().collect());
        if !name.is_empty() && out.iter().any(|t: &ContainerTag| t.name == name) {
            let message =
                format!("tags[{i}].name \"{name}\" is used twice (counters are kept per name)");
            report.error("config.invalid_value", format!("tags[{i}].name"), message);
        }
        out.push(ContainerTag { name, config });
    }
    out
}

/// A tag's default name: its pixel id(s).
fn default_name(config: &Json, index: usize) -> String {
    let ids: Vec<String> = match config.get("pixelId") {
        Some(Json::Array(items)) => items
            .iter()
            .filter_map(|p| p.get("pixelId").or(Some(p)))
            .filter_map(|p| crate::user_data::scalar_text(p).map(str::to_string))
            .collect(),
        Some(v) => crate::user_data::scalar_text(v)
            .map(str::to_string)
            .into_iter()
            .collect(),
        None => Vec::new(),
    };
    if ids.is_empty() {
        format!("tag{index}")
    } else {
        ids.join("+")
    }
}

/// The environment fills what the config leaves out: secrets, and the identity endpoint.
fn fill_secrets(config: &mut Json, env: &Json) {
    let missing = |v: Option<&Json>| v.is_none_or(|v| v.is_null() || v.as_str() == Some(""));
    // IDENTITY_ENDPOINT alone turns identity on for a tag that does not mention it.
    if let Some(endpoint) = env_text(env, ENV_IDENTITY_ENDPOINT) {
        let mut identity = match config.get("identity") {
            Some(i @ Json::Object(_)) => i.clone(),
            None | Some(Json::Null) => Json::object([("enabled", Json::Bool(true))]),
            Some(_) => Json::Null,
        };
        if identity.as_object().is_some() && missing(identity.get("endpoint")) {
            identity.set("endpoint", Json::from(endpoint));
            config.set("identity", identity);
        }
    }
    if let Some(token) = env_text(env, ENV_ACCESS_TOKEN) {
        if missing(config.get("accessToken"))
            && !matches!(config.get("pixelId"), Some(Json::Array(_)))
        {
            config.set("accessToken", Json::from(token));
        }
    }
    if let Some(token) = env_text(env, ENV_IDENTITY_TOKEN) {
        if let Some(mut identity) = config
            .get("identity")
            .cloned()
            .filter(|i| i.as_object().is_some())
        {
            if missing(identity.get("token")) {
                identity.set("token", Json::from(token));
                config.set("identity", identity);
            }
        }
    }
}

/// `history: {"path": "monitor.sqlite"}` (Node): where the monitoring history is kept when it is
/// not the queue's file.
fn history_path(value: Option<&Json>, report: &mut Report) -> Option<String> {
    let path = match value {
        None | Some(Json::Null) => return None,
        Some(v) => v.get("path").and_then(Json::as_str).map(str::trim),
    };
    match path.filter(|p| !p.is_empty()) {
        Some(p) => Some(p.to_string()),
        None => {
            let message = "history must be {\"path\": \"<SQLite file>\"}";
            report.error("config.invalid_value", "history", message);
            None
        }
    }
}

/// `allowedOrigins`: `"*"`, a list of origins, or one comma-separated string.
fn origins(value: Option<&Json>, report: &mut Report) -> Origins {
    let items: Vec<String> = match value {
        None | Some(Json::Null) => return Origins::List(Vec::new()),
        Some(Json::String(s)) => s.split(',').map(str::to_string).collect(),
        Some(Json::Array(items)) if items.iter().all(|i| i.as_str().is_some()) => items
            .iter()
            .filter_map(Json::as_str)
            .map(str::to_string)
            .collect(),
        Some(_) => {
            let message =
                "allowedOrigins must be \"*\" or a list of origins (https://www.example.com)";
            report.error("config.invalid_type", "allowedOrigins", message);
            return Origins::List(Vec::new());
        }
    };
    let mut list = Vec::new();
    for item in items.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
        if item == "*" {
            return Origins::Any;
        }
        let origin = item.trim_end_matches('/').to_ascii_lowercase();
        let well_formed = (origin.starts_with("https://") || origin.starts_with("http://"))
            && url::host(&origin).is_some()
            && !origin
                .split_once("://")
                .is_some_and(|(_, rest)| rest.contains('/'));
        if well_formed {
            list.push(origin);
        } else {
            let message = format!(
                "allowedOrigins entry \"{item}\" is not an origin like https://www.example.com"
            );
            report.error("config.invalid_value", "allowedOrigins", message);
        }
    }
    Origins::List(list)
}

/// A tag's config issues under `tags[i].` (unprefixed for a single-tag container).
fn prefix_issues(report: &mut Report, tag_report: &Report, index: usize, single: bool) {
    let prefix = if single {
        String::new()
    } else {
        format!("tags[{index}].")
    };
    let mut add = |issue: &crate::report::Issue, error: bool| {
        let field = format!("{prefix}{}", issue.field);
        let message = if single {
            issue.message.clone()
        } else {
            format!("tags[{index}]: {}", issue.message)
        };
        if error {
            report.error(issue.code, field, message);
        } else {
            report.warn(issue.code, field, message);
        }
    };
    tag_report.errors.iter().for_each(|i| add(i, true));
    tag_report.warnings.iter().for_each(|i| add(i, false));
}
