import { makeContainer } from "./container.mjs";
import { entropy } from "./entropy.mjs";

// The public API over the wasm exports. Deliberately thin: values cross as JSON text and every
// decision (normalization, hashing, validation, error reports) is made in Rust.

/** Serialize for wasm without throwing (cycles and BigInts become a structured error). */
function toJson(value) {
  try {
    return { text: JSON.stringify(value) ?? "null" };
  } catch (e) {
    return { error: { code: "unserializable_input", message: String(e && e.message) } };
  }
}

/**
 * The host's local calendar year (Meta's normalizer checks birth years against it), read from
 * a Date only when the clock leaves the year last read (a Date's local fields cost more than
 * the hashing of a small record).
 */
let yearSpan = { year: 0, from: 0, until: 0 };
function year() {
  const now = Date.now();
  if (now < yearSpan.from || now >= yearSpan.until) {
    const y = new Date(now).getFullYear();
    yearSpan = { year: y, from: new Date(y, 0, 1).getTime(), until: new Date(y + 1, 0, 1).getTime() };
  }
  return yearSpan.year;
}

function call(fn, input) {
  const json = toJson(input);
  return json.error ? { error: json.error } : JSON.parse(fn(json.text, year()));
}

/**
 * The wasm's reused input and output buffers (see `ioInput` in src/bindings.rs): JSON text is
 * encoded straight into wasm memory and the result decoded from it, which spares the glue's
 * allocation, copy and free of each argument and result per call (`build`, `hashUserData`).
 */
function wasmIo(wasm) {
  // A view of wasm memory, taken again when memory has grown (growth detaches the old one).
  let view = new Uint8Array(0);
  const memory = () => (view.byteLength === 0 ? (view = new Uint8Array(wasm.wasmMemory().buffer)) : view);
  return {
    /** `texts` as UTF-8, one after the other, into the input buffer; their lengths in bytes. */
    write(...texts) {
      const room = texts.reduce((n, t) => n + t.length * 3, 0);
      if (room > 3 << 20) {
        // Large: encode first and reserve what it takes, not 3 bytes per UTF-16 unit.
        const bytes = texts.map(utf8);
        let at = wasm.ioInput(bytes.reduce((n, b) => n + b.length, 0));
        for (const b of bytes) {
          memory().set(b, at);
          at += b.length;
        }
        return bytes.map((b) => b.length);
      }
      let at = wasm.ioInput(room);
      const end = at + room;
      return texts.map((text) => {
        const written = encoder.encodeInto(text, memory().subarray(at, end)).written;
        at += written;
        return written;
      });
    },
    /** The output buffer's first `len` bytes, as text. */
    read(len) {
      const at = wasm.ioOutput();
      return decodeUtf8(memory().subarray(at, at + len));
    },
  };
}

/** `hashUserData`'s call: `one`: `input` is a single record and the result its object. */
function userDataHasher(wasm, io) {
  return (input, one) => {
    const json = toJson(input);
    if (json.error) return { error: json.error };
    const [written] = io.write(json.text);
    return JSON.parse(io.read(wasm.hashUserDataRun(written, year(), one)));
  };
}

// UTF-8 out of wasm memory. A fresh decoder every ~2 GB decoded, as wasm-bindgen's glue does:
// Safari's TextDecoder fails past that.
let decoder = new TextDecoder("utf-8", { ignoreBOM: true });
let decoded = 0;
function decodeUtf8(bytes) {
  decoded += bytes.length;
  if (decoded >= 2146435072) {
    decoder = new TextDecoder("utf-8", { ignoreBOM: true });
    decoded = bytes.length;
  }
  return decoder.decode(bytes);
}

// JSON text goes into wasm as UTF-8 (`wasmIo`): TextEncoder is native, where a string argument
// is copied by the glue one character at a time.
const encoder = new TextEncoder();
const utf8 = (text) => encoder.encode(text);

/** A random u32 for backoff jitter. */
function random32() {
  return globalThis.crypto.getRandomValues(new Uint32Array(1))[0];
}

/** One fetch, reported as Rust's `dispatch::Attempt` (JS only does the I/O). */
async function attemptOnce(doFetch, req, timeoutMs) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await doFetch(req.url, { method: req.method, headers: req.headers, body: req.body, signal: controller.signal });
    const body = await res.text();
    const date = res.headers.get("date") ?? undefined;
    return { kind: "response", status: res.status, body, retryAfter: res.headers.get("retry-after") ?? undefined, date };
  } catch (e) {
    if (controller.signal.aborted) return { kind: "timeout" };
    // Node's fetch says "fetch failed" and puts the reason (ECONNREFUSED, UND_ERR_SOCKET) in
    // `cause`: the wasm tells a refused connection (not sent) from a lost one (maybe sent).
    const cause = e && e.cause ? ` (${e.cause.code ?? ""} ${e.cause.message ?? ""})` : "";
    return { kind: "network", message: `${String((e && e.message) || e)}${cause}` };
  } finally {
    clearTimeout(timer);
  }
}

/** Send one request, retrying as Rust decides; the final result for that pixel. */
async function sendWithRetries(wasm, tag, req, io) {
  let unconfirmed = false;
  for (let attempt = 1; ; attempt++) {
    const tried = await attemptOnce(io.fetch, req, tag.timeoutMs());
    const events = req.eventIndexes ? req.eventIndexes.length : 1;
    const d = JSON.parse(tag.decide(JSON.stringify(tried), attempt, Date.now(), random32(), req.pixelId, io.traceId, events, unconfirmed, req.body));
    unconfirmed = d.unconfirmed;
    io.emit(d.logs);
    if (d.final) {
      const result = { pixelId: req.pixelId, status: d.final, attempts: attempt, outcome: d.outcome };
      // Nothing is lost silently: what did not get through goes back to the host (token redacted).
      if (d.final !== "accepted") result.request = { ...req, body: wasm.redactBody(req.body) };
      return result;
    }
    await io.sleep(d.retryInMs);
  }
}

const IDENTITY_EVENTS_IN_FLIGHT = 16;

/** `fn` over `items` with at most `limit` running at once; results in input order. */
async function mapLimited(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Every identity call of one event at once, each within the identity timeout: what each came to. */
function fetchIdentity(doFetch, calls, timeoutMs) {
  return Promise.all(calls.map((c) => attemptOnce(doFetch, c, timeoutMs)));
}

/**
 * Hands each log record to the host's logger and collects it; ERROR records also go to the
 * config's error monitor as the wasm lets through (a few a minute per kind of error),
 * fire-and-forget (through `waitUntil` where the host has it). Neither a throwing logger nor a
 * failing monitor ever breaks the event.
 */
function emitter(tag, monitor, options) {
  // A library stays quiet: by default only ERROR records, on stderr (console.error).
  const log = options.log ?? ((record) => record.level === "ERROR" && console.error(JSON.stringify(record)));
  const doFetch = options.fetch ?? globalThis.fetch;
  const all = [];
  const toMonitor = (record) => {
    const body = tag.monitorBody(JSON.stringify(record), Date.now());
    if (body === undefined) return;
    const headers = { "content-type": "application/json" };
    if (monitor.token) headers.authorization = `Bearer ${monitor.token}`;
    const sent = Promise.resolve()
      .then(() => doFetch(monitor.endpoint, { method: "POST", headers, body }))
      .then((res) => res.body?.cancel?.())
      .catch(() => {});
    if (options.waitUntil) options.waitUntil(sent);
  };
  const emit = (records) => {
    for (const r of records) {
      all.push(r);
      try {
        log(r);
      } catch {
        // ignored: see above
      }
      if (monitor && r.level === "ERROR") toMonitor(r);
    }
  };
  return { all, emit };
}

/** Milliseconds of the event clock from `options.now` (a number or a Date; default now). */
function clock(options) {
  return options.now instanceof Date ? options.now.getTime() : Number(options.now ?? Date.now());
}

/**
 * A wasm result text: the result on the first line (an object, or a single build's head by
 * position: see `resultOf`), then one request body per line. `heads`: the tag's request heads
 * (`requestHeads`), which a single build's head names by index.
 */
function withBodies(text, heads) {
  let at = text.indexOf("\n");
  const head = JSON.parse(at < 0 ? text : text.slice(0, at));
  const result = Array.isArray(head) ? resultOf(head, heads) : head;
  for (const r of result.requests) {
    if (at < 0) break;
    const next = text.indexOf("\n", at + 1);
    r.body = text.slice(at + 1, next < 0 ? undefined : next);
    at = next;
  }
  return result;
}

/**
 * A single build's result from its head by position, as `BuildOutput::write_wire`
 * (crates/core/src/pipeline/tag.rs) writes it: V8 parses arrays of values in well under half
 * the time of the same objects, and naming the positions here costs less than the difference.
 */
function resultOf([status, requests, [valid, errors, warnings], cookies, skipped, identity, traceId, logs], heads) {
  const result = {
    status,
    // Each request by its pixel's index: the rest but the body is the tag's, read once. A
    // result's objects are the caller's own to change, so every request gets fresh ones.
    requests: requests.map((pixel) => {
      const [pixelId, url, method, headers] = heads[pixel];
      return { pixelId, url, method, headers: { ...headers } };
    }),
    report: { valid, errors, warnings },
    cookies: cookies.map(([name, value, maxAge, domain, path, secure, httpOnly, sameSite, header]) => ({ name, value, maxAge, domain, path, secure, httpOnly, sameSite, header })),
  };
  if (skipped !== null) result.skipped = skipped;
  if (identity !== null) result.identity = identity;
  result.traceId = traceId;
  result.logs = logs;
  return result;
}

/** Event and request context as JSON text for the wasm (unserializable ones become unreadable). */
function inputs(eventData, request) {
  const event = toJson(eventData);
  const req = toJson(request);
  return { event: event.error ? "" : event.text, req: req.error ? "null" : req.text };
}

function makeTag(wasm, buffers, config) {
  const json = toJson(config);
  // Unserializable config: let Rust report it as unreadable JSON, like any other bad config.
  const tag = new wasm.WasmTag(json.error ? "" : json.text, entropy());
  const monitor = JSON.parse(tag.errorMonitor());
  const heads = JSON.parse(tag.requestHeads());

  /** One event's build from its JSON text and the request's: the result with its bodies. */
  function buildOne(event, req, now, traceId, answers) {
    const [eventBytes, reqBytes] = buffers.write(event, req);
    return withBodies(buffers.read(tag.buildFromInput(eventBytes, reqBytes, now, traceId ?? undefined, answers)), heads);
  }

  /** A batch's build from the JSON text of its events and of their context(s). */
  function buildMany(events, ctx, now, traceId, answers) {
    const [eventsBytes, ctxBytes] = buffers.write(events, ctx);
    return withBodies(buffers.read(tag.buildBatchFromInput(eventsBytes, ctxBytes, now, traceId ?? undefined, answers)), heads);
  }

  /**
   * Identity resolution's I/O: ask what the wasm says to ask (`identityCalls`), fetch it all in
   * parallel, and return the answers for `build` (undefined when nothing was fetched).
   */
  async function resolveIdentity(plan, options) {
    if (!plan.calls.length) return { answers: undefined, identityMs: -1 };
    const t0 = Date.now();
    const answers = await fetchIdentity(options.fetch ?? globalThis.fetch, plan.calls, plan.timeoutMs);
    return { answers: JSON.stringify(answers), identityMs: Date.now() - t0 };
  }

  /** Send every built request (in parallel, each retried as the wasm decides), then log timings. */
  async function dispatch(built, started, identityMs, options) {
    const { all, emit } = emitter(tag, monitor, options);
    emit(built.logs);
    const builtAt = Date.now();
    const io = {
      fetch: options.fetch ?? globalThis.fetch,
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      traceId: built.traceId,
      emit,
    };
    const send = async (r) => ({ ...(r.eventIndexes ? { eventIndexes: r.eventIndexes } : {}), ...(await sendWithRetries(wasm, tag, r, io)) });
    const results = built.status === "ready" ? await Promise.all(built.requests.map(send)) : [];
    const status = built.status === "ready" ? wasm.overallStatus(JSON.stringify(results.map((r) => r.status))) : built.status;
    const timings = { buildMs: builtAt - started - Math.max(identityMs, 0), dispatchMs: Date.now() - builtAt, totalMs: Date.now() - started };
    if (identityMs >= 0) timings.identityMs = identityMs;
    emit(JSON.parse(tag.timingLogs(built.traceId, status, timings.buildMs, identityMs, timings.dispatchMs, timings.totalMs, Date.now())));
    return { status, results, timings, logs: all };
  }

  /** Identity answers for each of `events` (JSON text of an array) with its own context. */
  async function resolveBatch(evsText, ctxText, now, options) {
    const plans = JSON.parse(tag.identityCallsBatch(evsText, ctxText, now));
    // At most IDENTITY_EVENTS_IN_FLIGHT events' identity calls at once: a batch of 1,000 must
    // not open 2,000 connections to the identity service.
    const resolved = await mapLimited(plans.events, IDENTITY_EVENTS_IN_FLIGHT, (plan) => resolveIdentity({ ...plan, timeoutMs: plans.timeoutMs }, options));
    const fetched = resolved.some((r) => r.answers !== undefined);
    return {
      answers: fetched ? `[${resolved.map((r) => r.answers ?? "null").join(",")}]` : undefined,
      identityMs: fetched ? Math.max(...resolved.map((r) => r.identityMs)) : -1,
    };
  }

  /**
   * One try of queued events (durable delivery): identity, one batch build (each event with its
   * own context), each Meta request sent once, then the wasm settles every item: `{action:
   * "delivered" | "retry" | "dead" | "skipped", retryAt?, reason?}` in order. Items Meta refused
   * as a batch for one bad event ("split") are tried again each on its own before this returns.
   */
  async function deliver(items, options = {}) {
    if (!items.length) return [];
    const started = Date.now();
    const { emit } = emitter(tag, monitor, options);
    const doFetch = options.fetch ?? globalThis.fetch;
    const now = Date.now();
    const evsText = `[${items.map((i) => i.event).join(",")}]`;
    // Each event's context carries its row's earlier tries (what they mean, the wasm decides:
    // identity does not count a visit again). None: the stored context as it is.
    const context = (i) => (i.attempts ? JSON.stringify({ ...JSON.parse(i.request), attempts: i.attempts }) : i.request);
    const ctxText = `[${items.map(context).join(",")}]`;
    const { answers } = await resolveBatch(evsText, ctxText, now, options);
    const built = buildMany(evsText, ctxText, now, options.traceId, answers);
    emit(built.logs);
    const tries = await Promise.all(built.requests.map((r) => attemptOnce(doFetch, r, tag.timeoutMs())));
    const input = {
      rows: items.map(({ attempts, receivedAt, eventId, eventName }) => ({ attempts, receivedAt, eventId, eventName })),
      events: built.events,
      requests: built.requests.map(({ pixelId, eventIndexes, body }) => ({ pixelId, eventIndexes, body })),
      tries,
      policy: options.policy,
    };
    const settled = JSON.parse(tag.settle(JSON.stringify(input), Date.now(), random32(), built.traceId));
    emit(settled.logs);
    const results = settled.rows;
    const split = results.flatMap((r, i) => (r.action === "split" ? [i] : []));
    const alone = await mapLimited(split, IDENTITY_EVENTS_IN_FLIGHT, (i) => deliver([items[i]], options));
    split.forEach((i, k) => (results[i] = alone[k][0]));
    // A host that reports on deliveries (the demo, a dashboard) gets each batch's builds too.
    options.onDelivered?.({ items, results, events: built.events, ms: Date.now() - started });
    return results;
  }

  return {
    configReport: JSON.parse(tag.configReport()),
    deliver,
    /** Counters of this tag instance (see the README's "Counters" section). */
    metrics: () => JSON.parse(tag.metrics(Date.now())),
    /** The same counters in Prometheus text format. */
    metricsText: () => tag.metricsPrometheus(),
    /** `{pixels, testMode, identity}` (for the dashboard). */
    info: () => JSON.parse(tag.info()),
    /** What happened since the last call, for a history store (see js/history.mjs). */
    drainActivity: (name, now = Date.now()) => JSON.parse(tag.drainActivity(name, now)),
    /** Build without calling anyone (identity answers only from the cache). */
    build(eventData, request = {}, options = {}) {
      const { event, req } = inputs(eventData, request);
      return buildOne(event, req, clock(options), options.traceId, undefined);
    },
    /**
     * Resolve identity (when configured), build and send: one request per pixel, in parallel,
     * each retried as the wasm decides. Options: `fetch` (default: the host's), `sleep(ms)`,
     * `now` (the event clock, as for build), `log`, `traceId`, `waitUntil`.
     */
    async run(eventData, request = {}, options = {}) {
      const started = Date.now();
      const now = clock(options);
      const { event, req } = inputs(eventData, request);
      const { answers, identityMs } = await resolveIdentity(JSON.parse(tag.identityCalls(event, req, now)), options);
      const built = buildOne(event, req, now, options.traceId, answers);
      const { requests, logs, status, ...rest } = built;
      return { ...rest, ...(await dispatch(built, started, identityMs, options)) };
    },
    /**
     * Many events of one incoming request: at most 1,000 per Meta request, one request per pixel
     * and chunk, all sent in parallel and retried as the wasm decides. Invalid or skipped events
     * are reported in `events` and left out.
     */
    async runBatch(events, request = {}, options = {}) {
      const started = Date.now();
      const now = clock(options);
      const evs = toJson(events);
      const evsText = evs.error ? "" : evs.text;
      const { req } = inputs(null, request);
      const { answers, identityMs } = await resolveBatch(evsText, req, now, options);
      const built = buildMany(evsText, req, now, options.traceId, answers);
      return { traceId: built.traceId, events: built.events, ...(await dispatch(built, started, identityMs, options)) };
    },
  };
}

/**
 * Health checks of a tag config: the wasm plans the probes and judges the answers; JS sends
 * them (in parallel, each within `timeoutMs`). Resolves to `{ok, checks, text}`; never rejects.
 */
async function doctor(wasm, config, options = {}) {
  const text = typeof config === "string" ? config : toJson(config).text ?? "";
  const d = new wasm.WasmDoctor(text, Date.now(), entropy());
  try {
    const probes = JSON.parse(d.probes());
    const doFetch = options.fetch ?? globalThis.fetch;
    const answers = await Promise.all(probes.map((p) => (p ? attemptOnce(doFetch, p, options.timeoutMs ?? 10000) : null)));
    return JSON.parse(d.judge(JSON.stringify(answers), Date.now()));
  } finally {
    d.free();
  }
}

export function makeApi(wasm) {
  const buffers = wasmIo(wasm);
  const createTag = (config) => makeTag(wasm, buffers, config);
  const hashUser = userDataHasher(wasm, buffers);
  return {
    createTag,
    createContainer: makeContainer(wasm, createTag, attemptOnce),
    doctor: (config, options) => doctor(wasm, config, options),
    normalize: (field, value) => call(wasm.normalizeJson, { field, value }),
    hashUserData: (record) => hashUser(record, true),
    hashUserDataBatch: (records) => hashUser(records, false),
    /** Offline-conversion rows (column -> value) as event data with their event_ids (`send --events`). */
    offlineEvents: (rows) => {
      const json = toJson(rows);
      return json.error ? rows.map(() => ({})) : JSON.parse(wasm.offlineEvents(json.text));
    },
    normalizeLines: (text, firstLine = 1) => {
      const r = wasm.normalizeLines(String(text), firstLine >>> 0, year());
      const out = { output: r.output, lines: r.lines, errors: r.errors, hashed: r.hashed, dropped: r.dropped };
      r.free();
      return out;
    },
  };
}
