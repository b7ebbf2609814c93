/**
 * omni-meta-capi: a Meta Conversions API tag in Rust/WebAssembly.
 *
 * One package for Node (ESM and CommonJS), Cloudflare Workers (the `workerd` condition) and
 * browsers. Normalization and hashing happen in wasm and are byte-identical to Meta's own
 * normalizer (capi-param-builder 1.3.2), minus its appendix: hashes are plain lowercase hex.
 */

/** Meta's hashed `user_data` keys. */
export type HashedField =
  | "em" | "ph" | "fn" | "ln" | "ge" | "db" | "ct" | "st" | "zp" | "country" | "external_id";

/** Why a value was dropped instead of hashed. */
export type DropReason =
  | "empty" | "invalid_email" | "no_digits" | "invalid_date" | "unknown_gender"
  | "must_start_with_letter" | "too_short" | "unknown_field" | "not_text";

/** A structured error for input that could not be read at all. Never thrown. */
export interface ApiError {
  error: { code: string; message: string };
}

/** The result of normalizing one value. */
export interface Normalized {
  field: string;
  /** The normalized text that was hashed (for pre-hashed input: the digest, lowercased). */
  normalized: string | null;
  /** Lowercase hex SHA-256 of `normalized`, or null when the value was dropped. */
  hash: string | null;
  /** Present when dropped. */
  reason?: DropReason;
  /** A human-readable explanation of `reason`. */
  message?: string;
}

/** A value left out of a hashed record. */
export interface DroppedValue {
  field: string;
  /** Position in the field's list (0 for a single value). */
  index: number;
  /** A {@link DropReason}, `not_text` (not a string or number) or `unknown_key`. */
  reason: string;
}

/** A `user_data` record ready for Meta. */
export interface HashedUserData {
  /** Hashed keys as lists of lowercase hex hashes (deduplicated, input order); plain keys as given. */
  userData: Record<string, string[] | unknown>;
  dropped: DroppedValue[];
  error?: string;
}

/** A `user_data` record as the caller has it: values as strings, numbers, or lists of them. */
export type UserDataInput = Partial<Record<HashedField, string | number | Array<string | number>>> &
  Record<string, unknown>;

/**
 * Normalize and hash one value of a hashed field.
 * @example normalize("em", " John@Example.com ").hash // "855f96e983f1f8e8…" (sha256 of "john@example.com")
 */
export function normalize(field: HashedField | string, value: string | number): Normalized | ApiError;

/**
 * Hash a `user_data` record: every hashed key normalized, hashed and deduplicated; plain keys
 * (`client_ip_address`, `client_user_agent`, `fbc`, `fbp`, …) passed through; the rest reported.
 */
export function hashUserData(record: UserDataInput): HashedUserData | ApiError;

/** {@link hashUserData} for many records at once: the wasm boundary is crossed once per batch. */
export function hashUserDataBatch(records: UserDataInput[]): HashedUserData[] | ApiError;

/** Node only (`send --events`): offline-conversion rows (column -> value) as event data, each with
 * its event_id (derived from the row's content when it has none), in order. */
export function offlineEvents(rows: Array<Record<string, unknown>>): Array<Record<string, unknown>>;

/** One chunk of the CLI's JSON-lines protocol (whole lines only). */
export interface LinesResult {
  /** One JSON line per non-blank input line. */
  output: string;
  /** Input lines consumed. */
  lines: number;
  /** Lines that were malformed or named an unknown field. */
  errors: number;
  /** Lines whose value (or at least one list item) was hashed. */
  hashed: number;
  /** Lines whose value was dropped (invalid or empty after normalization). */
  dropped: number;
}

/**
 * Process whole lines of `{"field", "value"}` JSON, as `omni-meta-capi normalize` does.
 * @param firstLine the number of the first line, for error reports (default 1)
 */
export function normalizeLines(text: string, firstLine?: number): LinesResult;

export type {
  TagConfig, PixelEntry, ProductSchemaConfig, LduConfig, ConsentConfig, ActionSource, LogLevel,
  IpAnonymization, RetryConfig, ErrorMonitorConfig,
} from "./config.js";
import type { TagConfig } from "./config.js";

/** One problem found in a config or an event. `code` is stable (e.g. `purchase.currency_missing`). */
export interface ReportIssue {
  code: string;
  /** The config key or payload field concerned, e.g. `user_data.client_user_agent`. */
  field: string;
  message: string;
}

/** Errors stop the request; warnings do not. */
export interface Report {
  valid: boolean;
  errors: ReportIssue[];
  warnings: ReportIssue[];
}

/** The incoming HTTP request, as the host sees it (all optional). */
export interface RequestContext {
  url?: string;
  /** Header names in any case; values as strings or lists of strings. */
  headers?: Record<string, string | string[]>;
  /** Cookies as an object, or a `Cookie` header string. A `cookie` header is read too. */
  cookies?: Record<string, string> | string;
  remoteAddress?: string;
}

/** The exact HTTP request to send to Meta (or to a CAPI gateway): one per pixel. */
export interface MetaRequest {
  pixelId: string;
  /** `{graphBaseUrl}/{version}/{pixelId}/events`; never contains the token. */
  url: string;
  method: "POST";
  headers: Record<string, string>;
  /** The exact JSON text to POST: `{data, test_event_code?, partner_agent, access_token, appsecret_proof?}`. */
  body: string;
}

/** A first-party cookie the host should set (`header` is the ready `Set-Cookie` value). */
export interface CookieToSet {
  /** `_fbc`, `_fbp`, or the Event Enhancement cookie (`eventEnhancement.cookieName`, default `_gtmeec`). */
  name: "_fbc" | "_fbp" | (string & {});
  value: string;
  /** Seconds. */
  maxAge: number;
  /** Null for a host-only cookie. */
  domain: string | null;
  path: "/";
  secure: true;
  /** `cookies.httpOnly` for `_fbc` / `_fbp`; always true for the Event Enhancement cookie. */
  httpOnly: boolean;
  /** `Strict` for the Event Enhancement cookie (as the peers set it). */
  sameSite: "Lax" | "Strict";
  header: string;
}

export interface BuildResult {
  /** `ready`: send `requests`; `invalid`: the report says why; `skipped`: deliberately not sent (consent). */
  status: "ready" | "invalid" | "skipped";
  requests: MetaRequest[];
  report: Report;
  cookies: CookieToSet[];
  /** Why the event was skipped (e.g. `consent.denied`). */
  skipped?: ReportIssue;
  /** What identity resolution did (when the config enables it and the event got that far). */
  identity?: IdentityOutcome;
}

/** Identity resolution for one event. */
export interface IdentityOutcome {
  /** `resolved` (asked now), `cached`, `failed` (every call failed: sent without it), `no_identifier`
   * (no anonymous id or email to ask with), `not_requested` (a plain `build`, nothing cached). */
  status: "resolved" | "cached" | "failed" | "no_identifier" | "not_requested";
  /** The `user_data` keys identity added: `external_id` (the uuid), `em`, `ph`, `fbc` (from the journal). */
  filled: Array<"external_id" | "em" | "ph" | "fbc">;
  /** The person id the identity service resolved. */
  uuid?: string;
  previousVisits?: number;
  /** Why calls failed (HTTP status and the API's error code; never the token). */
  failures: string[];
}

export interface BuildOptions {
  /** The clock (ms since the epoch, or a Date): event_time and fbc/fbp creation times derive from it. Default: now. */
  now?: number | Date;
}

/** A configured tag; create one per config and reuse it for every event. */
export interface Tag {
  /** What was wrong with the config (a tag with config errors builds nothing). */
  readonly configReport: Report;
  /**
   * Build Meta's request(s) for one sGTM event (GA4 client keys: `event_name`, `client_id`,
   * `user_id`, `ip_override`, `user_agent`, `page_location`, `user_data.*`, `items`, `value`,
   * `currency`, `transaction_id`, `x-fb-ud-*`, `x-fb-cd-*`, `x-fb-sed-*` ...). Never throws.
   */
  build(eventData: Record<string, unknown>, request?: RequestContext, options?: BuildOptions): BuildResult;
}

/** Read a tag config (GTM-template-like, camelCase keys). Never throws: see `configReport`. */
export function createTag(config: TagConfig): Tag;

/** How one pixel's request ended after its tries. */
export interface PixelResult {
  pixelId: string;
  /** `failed`: transient failures until out of tries, Meta cannot have the events — the host
   * should queue `request`; `unconfirmed`: the same after a try that timed out or lost its
   * connection, so Meta may have them (a resend with the same event_id is deduplicated). */
  status: "accepted" | "rejected" | "failed" | "unconfirmed";
  attempts: number;
  /** Meta's answer to the last try: `{status: "accepted", events_received, fbtrace_id, messages}`,
   * `{status: "rejected", httpStatus, error: {message, type, code, error_subcode, ...}}` or
   * `{status: "transient", reason, retryAfterMs, maybeDelivered, error?}`. */
  outcome: Record<string, unknown>;
  /** For rejected and failed requests: the request with `access_token`/`appsecret_proof` redacted. */
  request?: MetaRequest;
}

export interface RunResult extends Omit<BuildResult, "status" | "requests"> {
  /** `accepted` (every pixel), `rejected`, `failed` (some request ran out of tries), `unconfirmed`
   * (one may have reached Meta), or the build's `invalid`/`skipped`. */
  status: "accepted" | "rejected" | "failed" | "unconfirmed" | "invalid" | "skipped";
  results: PixelResult[];
  traceId: string;
  /** Measured by the host: build, identity calls (when made), dispatch (all tries and waits) and the whole run. */
  timings: RunTimings;
  /** Every log record of the run (also passed to `options.log` one by one). */
  logs: Record<string, unknown>[];
}

export interface RunTimings {
  buildMs: number;
  identityMs?: number;
  dispatchMs: number;
  totalMs: number;
}

export interface RunOptions extends BuildOptions {
  /** Receives each log record (default: only ERROR records, as JSON on stderr). A throwing logger is ignored. */
  log?: (record: Record<string, unknown>) => void;
  /** The host's trace id for this run (default: a fresh one). */
  traceId?: string;
  /** Workers' `ctx.waitUntil`: error-monitor POSTs are handed to it (fire-and-forget otherwise). */
  waitUntil?: (promise: Promise<unknown>) => void;
  /** The host's fetch, for Meta and the identity service (default: globalThis.fetch). */
  fetch?: typeof fetch;
  /** How to wait between tries (default: setTimeout). */
  sleep?: (ms: number) => Promise<void>;
}

export interface Tag {
  /**
   * Resolve identity (with `identity` configured: its calls in parallel, each within
   * `identity.timeoutMs`; a failure only leaves the event unenriched), then build and send: one
   * request per pixel in parallel, each with the config's `timeoutMs` per try and retried
   * (transient failures only) as the wasm decides. Never throws.
   */
  run(eventData: Record<string, unknown>, request?: RequestContext, options?: RunOptions): Promise<RunResult>;
}

/** One event's build in a batch. */
export interface BatchEventResult {
  index: number;
  status: "ready" | "invalid" | "skipped";
  report: Report;
  skipped?: ReportIssue;
  identity?: IdentityOutcome;
}

export interface BatchResult {
  status: "accepted" | "rejected" | "failed" | "unconfirmed" | "invalid" | "skipped";
  traceId: string;
  /** Per input event: built, invalid (left out, report says why) or skipped. */
  events: BatchEventResult[];
  /** Per Meta request (at most 1,000 events, one per pixel and chunk). */
  results: Array<PixelResult & { eventIndexes: number[] }>;
  /** `identityMs`: the slowest event's identity calls (all run in parallel). */
  timings: RunTimings;
  logs: Record<string, unknown>[];
}

export interface Tag {
  /** Many events of one incoming request, batched up to 1,000 per Meta request and sent. Never throws. */
  runBatch(events: Array<Record<string, unknown>>, request?: RequestContext, options?: RunOptions): Promise<BatchResult>;
}

/** Counters of one tag instance (in memory; never reset by reading). */
export interface TagMetrics {
  eventsReceived: number;
  eventsBuilt: number;
  eventsInvalid: number;
  eventsSkipped: number;
  eventsAccepted: number;
  eventsRejected: number;
  eventsFailed: number;
  /** Events whose request timed out or lost its connection after sending: Meta may have them. */
  eventsUnconfirmed: number;
  requests: number;
  tries: number;
  retries: number;
  identityCalls: number;
  /** Identity calls that failed (down, slow, refused, malformed). */
  identityCallFailures: number;
  /** Events identity added at least one `user_data` key to. */
  identityEnriched: number;
  /** Built events (the denominator of `matchKeys`). */
  matchEvents: number;
  /** Events by identity status (see `IdentityOutcome.status`). */
  identityByStatus: Record<string, number>;
  /** Skipped or invalid events by the reason's code (`consent.denied`, `event.event_name_missing`). */
  skippedByReason: Record<string, number>;
  /** Failed tries by Meta `code/subcode` (e.g. "100/2804003") or transport reason ("timeout"). */
  errorsByCode: Record<string, number>;
  /** Per pixel of the tag: events accepted, rejected and failed. */
  eventsByPixel: Record<string, { accepted: number; rejected: number; failed: number; unconfirmed: number }>;
  /** Meta's last message per error code (secrets redacted). */
  errorMessages: Record<string, string>;
  /** `events`: built events; per key: how many of them carried it. */
  matchKeys: Record<"events" | "em" | "ph" | "fn" | "ln" | "external_id" | "fbc" | "fbp" | "client_ip_address" | "client_user_agent", number>;
  /** Percentiles (upper bounds of histogram buckets; null before the first run). */
  latencyMs: Record<"build" | "identity" | "dispatch", { count: number; p50: number | null; p90: number | null; p99: number | null }>;
  /** The cumulative histograms behind `latencyMs`. */
  histogramsMs: Record<"build" | "identity" | "dispatch", { buckets: Array<{ le: number | "+Inf"; count: number }>; sumMs: number; count: number }>;
  /** The last 30 minutes, oldest first. */
  perMinute: Array<{ minute: string; received: number; accepted: number; rejected: number; failed: number; unconfirmed: number }>;
}

export interface Tag {
  metrics(): TagMetrics;
  /** The counters in Prometheus text format (serve it at /metrics). */
  metricsText(): string;
  /** `{pixels, testMode, identity}` for the dashboard. */
  info(): { pixels: string[]; testMode: boolean; identity: boolean };
  /** What happened since the last call (a history store's delta, see js/history.mjs). */
  drainActivity(name: string, now?: number): unknown;
  /**
   * One try of queued events (durable delivery; the server container's queues use it): identity,
   * one batch build, each Meta request sent once, then what the wasm decided per event, in order.
   * `event` and `request` are JSON text; `attempts` the tries made before; `receivedAt` Unix ms.
   */
  deliver(
    items: Array<{ event: string; request: string; attempts: number; receivedAt: number; eventId?: string; eventName?: string }>,
    options?: RunOptions & { policy?: { baseDelayMs?: number; maxDelayMs?: number; maxAgeMs?: number } },
  ): Promise<DeliveryResult[]>;
}

/** A tag of the server container: a name (its counters' `tag` label) and its config. */
export interface ContainerTagConfig extends TagConfig {
  name?: string;
}

/** The server container's config (or a single TagConfig, for a container of that one tag). */
export interface ContainerConfig {
  tags: ContainerTagConfig[];
  /** Origins allowed to send hits from browsers (CORS, credentials included), or "*". */
  allowedOrigins?: string[] | string;
  /** Bodies over this many bytes are refused with 413 (default 262144, at most 4194304). */
  maxBodyBytes?: number;
  /** A bearer token /metrics requires (or the METRICS_TOKEN environment variable). */
  metricsToken?: string;
  /** HTTP Basic auth password of /dashboard (or DASHBOARD_TOKEN); the dashboard is off without one. */
  dashboardToken?: string;
  /** How long /readyz answers are reused (ms, default 30000). */
  readyCacheMs?: number;
  /** Hold events up to this long (ms, at most 10000) to send many hits' events in one Meta request (default 0: send each at once). */
  batchWindowMs?: number;
  /** Bearer tokens /event accepts (or EVENT_TOKENS, comma-separated; both add up). */
  eventTokens?: string[] | string;
  /** Secret for `X-Omni-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` (or EVENT_SIGNING_SECRET). */
  eventSigningSecret?: string;
  /** "none" opens /event to anyone (warned); default "required". */
  eventAuth?: "required" | "none";
  /** Trust X-Forwarded-For from this many proxies (true = 1); default false: the socket's address. */
  trustProxy?: boolean | number;
  /** Per-client token buckets in events: browsers per IP, backends (`backend`) per token; false turns them off. */
  rateLimit?: false | { perMinute?: number; burst?: number; backend?: { perMinute?: number; burst?: number } };
  /** The durable outbox (Node): `path` of the SQLite file (or `serve --queue FILE`), its bound and retry policy. */
  queue?: {
    path?: string;
    /** Events waiting before new ones get 503 (default 1000000). */
    maxEvents?: number;
    /** First backoff (default 1000 ms), doubling to `maxDelayMs` (default 300000); Retry-After is always honoured. */
    baseDelayMs?: number;
    maxDelayMs?: number;
    /** Dead-letter what was not delivered within this many hours (default 167, at most 168). */
    maxAgeHours?: number;
    /** SQLite synchronous: "normal" (survives a process crash, default) or "full" (a power loss too). */
    synchronous?: "normal" | "full";
  };
  /** Events held in memory (no queue) before new ones get 503 (default 10000). */
  maxInFlight?: number;
  /** Unknown keys (the container's and its tags') are errors instead of warnings. Default: false. */
  strict?: boolean;
  /** Node: the SQLite file of the dashboard's history when it is not the queue's. */
  history?: { path: string };
  /** Webhook alerts decided on the shared history; each posts at most once per its window. */
  alerts?: Array<{
    when:
      | { errorRate: number; minutes?: number; hours?: number; minEvents?: number; tag?: string }
      | { silent: string; minutes?: number; hours?: number; tag?: string };
    webhook: string;
  }>;
}

/** Where the dashboard's history lives (js/history.mjs). */
export interface HistoryStore {
  kind: "sqlite" | "durable-object" | "memory";
  durable: boolean;
  add(delta: unknown): unknown;
  read(queries: Array<{ res: "m" | "h"; from: number }>): unknown;
  claim(id: string, now: number, windowMs: number): boolean | Promise<boolean>;
  /** Give back the claim taken at `at` (its webhook post failed); without it a failed post
   * spends the alert's window. */
  unclaim?(id: string, at: number): unknown;
}

/** What `tag.deliver` decided for one queued event after a try. */
export interface DeliveryResult {
  action: "delivered" | "retry" | "dead" | "skipped";
  /** `retry`: when (Unix ms). */
  retryAt?: number;
  /** `dead` and `skipped`: why (Meta's error, redacted; a validation code; too old). */
  reason?: string;
}

export interface ContainerOptions {
  /** Receives every log record of the tags' runs (default: only ERROR records, as JSON on stderr). */
  log?: (record: Record<string, unknown>) => void;
  /** Called after each tag's background run. */
  onResult?: (result: RunResult | BatchResult, meta: { tag: string; events: Array<Record<string, unknown>>; request: RequestContext }) => void;
  /** The fetch the tags use (default: globalThis.fetch). */
  fetch?: typeof fetch;
  /** Workers: a Cloudflare Queues producer binding; accepted events are sent to it before the answer (durable delivery by `consume`). */
  eventsQueue?: { sendBatch(messages: Array<{ body: unknown; contentType?: string }>): Promise<unknown> };
  /** The dashboard's history (Workers: `durableObjectHistory(env.MONITOR)`); default: `history.path` or the queue's file via `openHistory` (Node), else this instance's memory. */
  history?: HistoryStore;
  /** Node: opens a SQLite history file (serve passes it). */
  openHistory?: (path: string) => HistoryStore;
  /** Check alerts this often (ms; serve: 60000). Workers check from scheduled(). */
  alertIntervalMs?: number;
  /** Workers: a Queues producer for events that cannot be delivered (with their reason); without it they are retried until the queue's max_retries moves them to its dead_letter_queue. */
  deadLetters?: { send(body: unknown, options?: { contentType?: string }): Promise<unknown> };
  /** Node: opens the outbox at the config's `queue.path` (serve passes the SQLite one). */
  openOutbox?: (path: string, options: { synchronous: "normal" | "full" }) => unknown;
  /** Called after each delivery of queued events, with what was decided for each. */
  onDelivered?: (delivery: { items: Array<{ eventId?: string; eventName?: string; attempts: number }>; results: DeliveryResult[]; events: BatchEventResult[]; ms: number }) => void;
}

/** The server container: GA4 hits (`/g/collect`) and JSON (`/event`) in, the tags run after the answer. */
export interface Container {
  /** Answer one request (a web Request); never throws. `ctx.waitUntil`: Workers' ctx.waitUntil. */
  fetch(request: Request, ctx?: { waitUntil?: (promise: Promise<unknown>) => void; remoteAddress?: string }): Promise<Response>;
  readonly report: Report;
  readonly tags: Array<{ name: string; tag: Tag }>;
  /** Resolves when every background run started so far has finished. */
  idle(): Promise<void>;
  /** Events held now: waiting in the outbox, or running in memory. */
  backlog(): number;
  /** Stop the outbox sender after the batch in hand, then wait for in-memory runs. */
  close(): Promise<void>;
  /** The dashboard's history store. */
  history: HistoryStore;
  /** Write what the tags and the container recorded so far into the history. */
  flush(): Promise<void>;
  /** Post the alerts due now (Workers: from scheduled()); resolves to the ids posted ("alerts[i]"). */
  checkAlerts(now?: number): Promise<string[]>;
  /** Workers: deliver one batch of `eventsQueue` messages (the Worker's queue() handler). */
  consume(batch: { queue: string; messages: ReadonlyArray<unknown> }, ctx?: { waitUntil?: (promise: Promise<unknown>) => void }): Promise<void>;
}

/**
 * A server container (see the README's "Server container"). `env`: secrets and overrides,
 * `META_ACCESS_TOKEN`, `EVENT_TOKENS`, `EVENT_SIGNING_SECRET`, `IDENTITY_TOKEN`, `IDENTITY_ENDPOINT`, `ALLOWED_ORIGINS`, `METRICS_TOKEN`,
 * `DASHBOARD_TOKEN`, and `META_PIXEL_ID` (a one-tag container when `config` is empty); other
 * values are ignored.
 */
export function createContainer(config: ContainerConfig | TagConfig | string, env?: Record<string, unknown>, options?: ContainerOptions): Container;

/** One health check's verdict (see the README's "Health checks"). */
export interface DoctorCheck {
  /** `config`, `token (pixel N)`, `test_event`, `identity`, `error_monitor`, `clock`. */
  check: string;
  status: "pass" | "warn" | "fail" | "skip";
  message: string;
  /** What to do about a warning or failure. */
  hint: string | null;
}

/**
 * Check a tag config against the real world (Graph read of each pixel, a test event, the identity
 * and error-monitor endpoints, clock skew). `ok` unless a check failed; `text` is one line per
 * check. Never rejects. `config` may be the JSON text (unreadable text fails the config check).
 */
export function doctor(
  config: TagConfig | string,
  options?: { fetch?: typeof fetch; timeoutMs?: number },
): Promise<{ ok: boolean; checks: DoctorCheck[]; text: string }>;

/** Workers (ES module entries): the Durable Object class of the container's dashboard history (wrangler.toml: MONITOR). */
export declare class MonitorHistory {
  constructor(ctx: unknown, env?: unknown);
  fetch(request: Request): Promise<Response>;
}
/** Workers (ES module entries): the container's history in the MonitorHistory Durable Object behind `namespace`. */
export function durableObjectHistory(namespace: unknown): HistoryStore;
