import { DASHBOARD_HTML } from "./dashboard-page.mjs";
import { consumeBatch, createSender, queuedRows } from "./delivery.mjs";
import { entropy } from "./entropy.mjs";
import { memoryHistory } from "./history.mjs";

// The server container's host side, the same for Workers and Node: read the body (bounded),
// hand the request to the wasm (which routes, authenticates, rate-limits, parses GA4 hits,
// checks CORS and decides the cookies), keep the accepted events, answer, and run every tag over
// them. Where accepted events live until Meta has them:
// - `options.outbox` (Node, `serve --queue FILE`): committed to SQLite before the 2xx, sent by a
//   sender loop (delivery.mjs);
// - `options.eventsQueue` (a Cloudflare Queues producer binding): sent to the queue before the
//   2xx, delivered by the Worker's queue() consumer (`consume`);
// - neither: in memory, run in the background (`waitUntil` on Workers), best effort.
// No event logic here: see src/container/mod.rs.

/** Only the string values of an environment (Worker env also holds bindings objects). */
function stringEnv(env) {
  const out = {};
  for (const [k, v] of Object.entries(env ?? {})) if (typeof v === "string") out[k] = v;
  return out;
}

/** The body as text, reading at most `max` bytes (then `tooLarge`, the rest left unread). */
async function readBody(request, max) {
  const declared = Number(request.headers.get("content-length"));
  if (declared > max) return { body: "", tooLarge: true };
  if (!request.body) return { body: "", tooLarge: false };
  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return { body: "", tooLarge: true };
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return { body: new TextDecoder().decode(bytes), tooLarge: false };
}

/** The answer when the durable store refused accepted events: nothing was promised. */
const UNAVAILABLE = {
  status: 503,
  headers: [["content-type", "application/json"], ["retry-after", "5"]],
  body: JSON.stringify({ error: { code: "queue_unavailable", message: "the event queue could not take the events: try again" } }),
};

/**
 * Queued rows as sendBatch calls within Cloudflare's limits: at most 100 messages and 256 KB a
 * call, counting ~100 bytes of metadata per message. JSON content: the size counted here is the
 * size sent (v8 serialization doubles strings with any non-Latin-1 character), and an operator can
 * read the messages (HTTP pull consumers and the dashboard do not decode v8).
 */
/** Cloudflare Queues' largest message (128 KB). */
const QUEUE_MESSAGE_BYTES = 128_000;
/** How long an alert's webhook may take to answer before the post counts as failed. */
const ALERT_POST_TIMEOUT_MS = 10_000;

function queueBatches(rows) {
  const utf8 = new TextEncoder();
  const batches = [];
  let batch = [];
  let bytes = 0;
  for (const body of rows) {
    const size = utf8.encode(JSON.stringify(body)).byteLength + 100;
    if (batch.length && (batch.length === 100 || bytes + size > 256_000)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push({ body, contentType: "json" });
    bytes += size;
  }
  if (batch.length) batches.push(batch);
  return batches;
}

/**
 * @param wasm the wasm-bindgen module; @param createTag the package's createTag;
 * @param attempt one fetch reported as the wasm's Attempt (api.mjs's attemptOnce).
 * @returns createContainer(config, env, options): { fetch(request, ctx), report, tags, idle() }
 */
export function makeContainer(wasm, createTag, attempt) {
  return function createContainer(config, env = {}, options = {}) {
    let configText;
    try {
      configText = typeof config === "string" ? config : JSON.stringify(config ?? null);
    } catch {
      configText = "";
    }
    const container = new wasm.WasmContainer(configText, JSON.stringify(stringEnv(env)));
    const report = JSON.parse(container.report());
    const tags = JSON.parse(container.tags()).map(({ name, config: tagConfig }) => ({ name, tag: createTag(tagConfig) }));
    const maxBody = container.maxBodyBytes();
    const pending = new Set();
    const queueConfig = JSON.parse(container.queueSettings());
    // The host opens the outbox (Node only: this file also runs on Workers and in browsers).
    const path = queueConfig.path;
    const outbox = options.outbox ?? (path && options.openOutbox ? options.openOutbox(path, { synchronous: queueConfig.synchronous }) : null);
    const eventsQueue = options.eventsQueue ?? null;
    // Cloudflare Queues take messages of at most 128 KB: the wasm refuses larger events (413).
    if (eventsQueue) container.setQueueMessageBytes(QUEUE_MESSAGE_BYTES);
    // Every queued batch's results go into the history (flushHistory is hoisted).
    const onDelivered = (report) => {
      flushHistory();
      options.onDelivered?.(report);
    };
    const runOptions = { log: options.log, fetch: options.fetch, onDelivered };
    const sender = outbox
      ? createSender({ outbox, tags, policy: queueConfig.policy, runOptions, onError: options.onStorageError })
      : null;
    let inFlight = 0; // events held in memory (running, or waiting for a batch window)
    // The monitoring history (src/ops/history.rs): shared and durable when the host gives a store
    // (a Durable Object on Workers) or a file (Node: `history.path`, else the queue's).
    const historyConfig = JSON.parse(container.historySettings());
    const history =
      options.history ?? (historyConfig.path && options.openHistory ? options.openHistory(historyConfig.path) : memoryHistory());

    /**
     * Drain what the wasm recorded since the last flush into the history. The drain is
     * synchronous, so concurrent flushes add disjoint counts (no chain: on Workers a promise must
     * not carry one request's I/O into another's).
     */
    async function flushHistory() {
      try {
        const now = Date.now();
        const parts = [JSON.parse(container.drainActivity(now)), ...tags.map(({ name, tag }) => tag.drainActivity(name, now))];
        const delta = { rows: [], recent: [], last: [], prune: parts[0].prune };
        for (const p of parts) for (const k of ["rows", "recent", "last"]) delta[k].push(...(p[k] ?? []));
        if (delta.rows.length || delta.recent.length || delta.last.length) await history.add(delta);
      } catch (e) {
        options.onStorageError?.(e);
      }
    }

    /**
     * Post the alerts the wasm finds due: each claimed in the history first (once per window,
     * across instances), and given back when its webhook did not take it (an error, a non-2xx or
     * no answer in 10 s), so the next check posts it again instead of losing the window.
     */
    async function checkAlerts(now = Date.now()) {
      const queries = JSON.parse(container.alertQueries(now));
      if (!queries.length) return [];
      await flushHistory();
      const read = await history.read(queries);
      const doFetch = options.fetch ?? globalThis.fetch;
      const posted = [];
      for (const a of JSON.parse(container.alertsDue(JSON.stringify(read), now))) {
        if (!(await history.claim(a.id, now, a.windowMs))) continue;
        const taken = await Promise.resolve()
          .then(() => doFetch(a.webhook, { method: "POST", headers: { "content-type": "application/json" }, body: a.body, signal: AbortSignal.timeout(ALERT_POST_TIMEOUT_MS) }))
          .then(async (res) => {
            await res.body?.cancel?.();
            return res.ok;
          })
          .catch(() => false);
        if (taken) posted.push(a.id);
        // A store of the host's own without `unclaim` keeps the claim (the window is spent).
        else await history.unclaim?.(a.id, now);
      }
      return posted;
    }
    // Node: a timer (serve passes alertIntervalMs); Workers: the scheduled() handler.
    const alertTimer = historyConfig.alerts && options.alertIntervalMs ? setInterval(() => checkAlerts().catch(() => {}), options.alertIntervalMs) : null;
    alertTimer?.unref?.();

    /** Events held now, for the wasm's backpressure. */
    function backlog() {
      if (outbox) return outbox.pending();
      return eventsQueue ? 0 : inFlight;
    }

    /**
     * Keep accepted events before the answer: in the outbox (committed), in the queue (sent), or
     * in memory. False when the durable store refused them (the answer is then 503).
     */
    async function keep(out, ctx) {
      if (outbox) {
        try {
          outbox.add(queuedRows(tags, out, Date.now()));
        } catch {
          return false;
        }
        sender.wake();
        track(flushHistory(), ctx); // the received counts
        return true;
      }
      if (eventsQueue) {
        try {
          for (const chunk of queueBatches(queuedRows(tags, out, Date.now()))) await eventsQueue.sendBatch(chunk);
        } catch {
          return false;
        }
        track(flushHistory(), ctx);
        return true;
      }
      inFlight += out.events.length;
      const done = runTags(out.events, out.request, ctx);
      track(Promise.resolve(done).finally(() => (inFlight -= out.events.length)).then(flushHistory), ctx);
      return true;
    }

    /** Track a background run until it settles (Node's idle(), Workers' waitUntil). */
    function track(promise, ctx) {
      const done = promise.catch(() => {}).finally(() => pending.delete(done));
      pending.add(done);
      ctx.waitUntil?.(done);
      return done;
    }

    /** One tag's run over events (one shared request context, or one per event). */
    function runOne({ name, tag }, events, requests, runOptions) {
      const run = events.length === 1 ? tag.run(events[0], Array.isArray(requests) ? requests[0] : requests, runOptions) : tag.runBatch(events, requests, runOptions);
      // run never throws; a throwing onResult must not become an unhandled rejection
      return run.then((result) => options.onResult?.(result, { tag: name, events, request: requests }));
    }

    // batchWindowMs > 0: events of many requests wait up to that long and go to Meta together
    // (one request per tag and pixel, at most 1,000 events), each with its own request context.
    const windowMs = container.batchWindowMs();
    let queue = null;

    function flush() {
      const q = queue;
      queue = null;
      clearTimeout(q.timer);
      const runOptions = { log: options.log, fetch: options.fetch, waitUntil: q.waitUntil };
      Promise.all(tags.map((t) => runOne(t, q.events, q.requests, runOptions))).then(q.resolve, q.resolve);
    }

    function enqueue(events, request, ctx) {
      if (!queue) {
        let resolve;
        const settled = new Promise((r) => (resolve = r));
        queue = { events: [], requests: [], resolve, settled, waitUntil: ctx.waitUntil, timer: setTimeout(flush, windowMs) };
      }
      const q = queue;
      for (const e of events) {
        q.events.push(e);
        q.requests.push(request);
      }
      track(q.settled, ctx); // every request that added events keeps the isolate alive for them
      if (q.events.length >= 1000) flush();
      return q.settled;
    }

    /** Every tag over the events, after the response; results go to `options.onResult(result,
     * {tag, events, request})` (`request`: a list of contexts when batched across requests). */
    function runTags(events, request, ctx) {
      if (windowMs > 0) return enqueue(events, request, ctx);
      const opts = { ...runOptions, waitUntil: ctx.waitUntil };
      return Promise.all(tags.map((t) => track(runOne(t, events, request, opts), ctx)));
    }

    const tagMetrics = () => tags.map(({ name, tag }) => ({ name, metrics: tag.metrics() }));

    /** /readyz: a cached answer, or the wasm's probes sent in parallel and judged by it. */
    async function ready() {
      const plan = JSON.parse(container.readyProbes(Date.now()));
      if (plan.response) return plan.response;
      const doFetch = options.fetch ?? globalThis.fetch;
      const answers = await Promise.all(plan.probes.map((p) => (p ? attempt(doFetch, p, plan.timeoutMs) : null)));
      return JSON.parse(container.readyResponse(JSON.stringify(answers), Date.now(), Boolean(outbox || eventsQueue)));
    }

    /** The dashboard's data: this instance's counters, the shared history, joined in the wasm. */
    async function dashboardData(url) {
      await flushHistory();
      const now = Date.now();
      const plan = JSON.parse(container.dashboardQuery(url, now));
      const read = await history.read(plan.queries);
      const tagInfo = tags.map(({ name, tag }) => ({ name, ...tag.info(), metrics: tag.metrics() }));
      const store = { kind: history.kind, durable: history.durable };
      return container.dashboardData(JSON.stringify({ now, range: plan.range, store, tags: tagInfo, ...read }));
    }

    /** The body a route's work asks for (the response itself for /readyz). */
    async function fill(out, url) {
      const work = out.work;
      if (work === "metrics") out.response.body = wasm.metricsExposition(JSON.stringify(tagMetrics()));
      if (work === "metrics-json") out.response.body = JSON.stringify({ tags: tagMetrics() });
      if (work === "dashboard") out.response.body = DASHBOARD_HTML;
      if (work === "dashboard-data") out.response.body = await dashboardData(url);
      if (work === "ready") out.response = await ready();
    }

    /**
     * Answer one request already read: `{method, url, headers: [[name, value]], body, tooLarge}`
     * -> `{status, headers: [[name, value]], body}`. `ctx`: `{ waitUntil?, remoteAddress? }`.
     * Never throws.
     */
    async function answer(incoming, ctx = {}) {
      try {
        const { method, url, headers, body, tooLarge } = incoming;
        const out = JSON.parse(container.handle(method, url, JSON.stringify(headers), body, tooLarge, ctx.remoteAddress ?? undefined, Date.now(), entropy(), backlog()));
        if (out.work === "run" && !(await keep(out, ctx))) return UNAVAILABLE;
        if (out.work !== "run") await fill(out, url);
        return out.response;
      } catch (e) {
        // No exception text to an unauthenticated caller, nor to the log: it may name files,
        // storage or quote the body. The kind of error is enough to look for it.
        console.error(`omni-meta-capi container: internal error (${(e && e.name) || typeof e})`);
        return { status: 500, headers: [["content-type", "application/json"]], body: JSON.stringify({ error: { code: "internal", message: "internal error" } }) };
      }
    }

    /** A web Request -> a web Response (Workers, and any fetch-style host). Never throws. */
    async function handle(request, ctx = {}) {
      let incoming;
      try {
        incoming = { method: request.method, url: request.url, headers: [...request.headers] };
      } catch {
        return Response.json({ error: { code: "bad_request", message: "not a readable Request" } }, { status: 400 });
      }
      let read;
      try {
        read = await readBody(request, maxBody);
      } catch {
        read = { body: "", tooLarge: true }; // an unreadable body is refused like an oversize one
      }
      const out = await answer({ ...incoming, ...read }, ctx);
      const noBody = out.status === 204 || incoming.method.toUpperCase() === "HEAD";
      return new Response(noBody ? null : out.body, { status: out.status, headers: new Headers(out.headers) });
    }

    return {
      fetch: handle,
      /** The same for hosts that read requests themselves (Node's http server: see serve.mjs). */
      answer,
      /** How many body bytes a host reads at most (more: `tooLarge: true`). */
      maxBodyBytes: maxBody,
      /** The container config's problems: `{valid, errors, warnings}`. */
      report,
      /** The tags, by name (their counters: `tags[i].tag.metrics()`). */
      tags,
      /** Resolves when every background run started so far has finished. */
      async idle() {
        while (pending.size) await Promise.all([...pending]);
      },
      /** `{path, maxEvents, synchronous, policy}` of the config's `queue`. */
      queue: queueConfig,
      /** Events held now: queued in the outbox, or running in memory. */
      backlog,
      /** Workers: the queue() consumer's work on one batch of EVENTS_QUEUE messages (`ctx.waitUntil`
       * keeps the error monitor's posts alive past the handler). Resolves once the batch's results
       * are in the history: the handler awaits it, so the isolate cannot end before they are. */
      async consume(batch, ctx = {}) {
        await consumeBatch(batch, tags, { deadLetters: options.deadLetters, policy: queueConfig.policy, runOptions: { ...runOptions, waitUntil: ctx.waitUntil } });
        await flushHistory();
      },
      /** The monitoring history (`kind`: "sqlite", "durable-object" or "memory"). */
      history,
      /** Write what was recorded so far into the history. */
      flush: flushHistory,
      /** Post the alerts due now (Workers: from scheduled()); resolves to the ids posted. */
      checkAlerts,
      /** Stop the outbox sender after the batch in hand (what is left stays queued). */
      async close() {
        if (alertTimer) clearInterval(alertTimer);
        await sender?.stop();
        while (pending.size) await Promise.all([...pending]);
        await flushHistory();
        history.close?.();
      },
    };
  };
}
