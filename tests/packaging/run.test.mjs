// tag.run over real sockets against the local Meta CAPI sandbox: success, rejection without
// retry, transient errors retried with the same event_id, timeouts, Retry-After, multi-pixel,
// and failures handed back with the token redacted.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createTag } from "omni-meta-capi";
import { startMetaSandbox } from "../../sandbox/meta-sandbox.mjs";

const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
const event = fixture("purchase-event.json");
const request = fixture("request.json");
let sandbox;

before(async () => {
  sandbox = await startMetaSandbox({ tokens: { "1234567890": "EAAB-example-token", "222": "EAAB-second" } });
});
after(() => sandbox?.close());
beforeEach(() => sandbox.reset());

const tagFor = (extra = {}) => createTag({ ...fixture("tag.json"), graphBaseUrl: sandbox.url, ...extra });
const quickRetries = { retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 2000 } };

test("accepted on the first try", async () => {
  const out = await tagFor().run(event, request);
  assert.equal(out.status, "accepted");
  assert.equal(out.results.length, 1);
  assert.deepEqual([out.results[0].status, out.results[0].attempts], ["accepted", 1]);
  assert.equal(out.results[0].outcome.events_received, 1);
  assert.equal(sandbox.received.length, 1);
});

test("a rejection is final: no retry, Meta's error returned, request handed back redacted", async () => {
  const out = await tagFor({ accessToken: "WRONG-token" }).run(event, request);
  assert.equal(out.status, "rejected");
  const [r] = out.results;
  assert.deepEqual([r.status, r.attempts, r.outcome.error.code], ["rejected", 1, 190]);
  assert.equal(sandbox.attempts.length, 1);
  assert.ok(!JSON.stringify(out).includes("WRONG-token"));
  assert.equal(JSON.parse(r.request.body).access_token, "[redacted]");
});

test("transient errors are retried with the same event_id until accepted", async () => {
  sandbox.injectFaults([{ times: 1, status: 500 }, { times: 1, error: { code: 2, is_transient: true } }]);
  const out = await tagFor(quickRetries).run(event, request);
  assert.equal(out.status, "accepted", JSON.stringify(out.results));
  assert.equal(out.results[0].attempts, 3);
  const ids = sandbox.attempts.map((a) => a.eventIds?.[0] ?? null);
  assert.equal(sandbox.attempts.length, 3);
  assert.equal(sandbox.received.length, 1);
  assert.equal(sandbox.received[0].events[0].event_id, event.event_id);
  assert.ok(ids.filter(Boolean).every((id) => id === event.event_id), JSON.stringify(ids));
});

test("a slow answer times out and is retried", async () => {
  sandbox.injectFaults([{ times: 1, delayMs: 1500 }]);
  const out = await tagFor({ ...quickRetries, timeoutMs: 200 }).run(event, request);
  assert.equal(out.status, "accepted");
  assert.equal(out.results[0].attempts, 2);
});

test("Retry-After is honoured", async () => {
  sandbox.injectFaults([{ times: 1, status: 429, retryAfter: 1 }]);
  const slept = [];
  const out = await tagFor(quickRetries).run(event, request, { sleep: (ms) => (slept.push(ms), Promise.resolve()) });
  assert.equal(out.status, "accepted");
  assert.deepEqual(slept, [1000]);
});

test("out of tries: failed, with the request handed back for the host to queue", async () => {
  sandbox.injectFaults([{ times: 3, status: 503 }]);
  const out = await tagFor(quickRetries).run(event, request);
  assert.equal(out.status, "failed");
  const [r] = out.results;
  assert.deepEqual([r.status, r.attempts], ["failed", 3]);
  assert.equal(JSON.parse(r.request.body).data[0].event_id, event.event_id);
  assert.ok(!JSON.stringify(out).includes("EAAB-example-token"));
});

test("a dropped connection is a network error and is retried", async () => {
  sandbox.injectFaults([{ times: 1, drop: true }]);
  const out = await tagFor(quickRetries).run(event, request);
  assert.equal(out.status, "accepted");
  assert.equal(out.results[0].attempts, 2);
});

test("multi-pixel: one request per pixel, in parallel, each reported", async () => {
  const tag = tagFor({ pixelId: [{ pixelId: "1234567890" }, { pixelId: "222", accessToken: "EAAB-second" }] });
  const out = await tag.run(event, request);
  assert.equal(out.status, "accepted");
  assert.deepEqual(out.results.map((r) => [r.pixelId, r.status]), [["1234567890", "accepted"], ["222", "accepted"]]);
  assert.deepEqual(sandbox.received.map((r) => r.pixelId).sort(), ["1234567890", "222"]);
});

test("invalid or skipped events are not sent", async () => {
  const out = await tagFor().run({ event_name: "purchase" }, {});
  assert.equal(out.status, "invalid");
  const skipped = await tagFor().run({ ...event, consent_state: { ad_storage: "denied" } }, request);
  assert.equal(skipped.status, "skipped");
  assert.equal(sandbox.attempts.length, 0);
});

test("logs: structured records with one trace id; no level shows the token, the secret or plaintext PII", async () => {
  // Digits are matched whole (a random id, hash or timestamp may contain "415" by chance).
  const secrets = ["EAAB-example-token", "app-secret-xyz", "Jane.Doe", "jane.doe", "555-0134", /(^|\D)4155550134(\D|$)/, "San Francisco", /(^|\D)94105(\D|$)/, "CUST-1042"];
  for (const logLevel of ["DEBUG", "INFO", "ERROR"]) {
    const printed = [];
    sandbox.reset();
    sandbox.injectFaults([{ times: 1, status: 500 }]);
    const out = await tagFor({ ...quickRetries, logLevel, appSecret: "app-secret-xyz" }).run(event, request, { log: (r) => printed.push(r) });
    const bad = await tagFor({ logLevel, accessToken: "EAAB-example-token-bad" }).run(event, request, { log: (r) => printed.push(r) });
    assert.equal(bad.status, "rejected");
    assert.ok(out.timings.totalMs >= 0 && (out.logs.length > 0 || logLevel === "ERROR"));
    const text = JSON.stringify(printed);
    for (const s of secrets) assert.ok(typeof s === "string" ? !text.includes(s) : !s.test(text), `${logLevel}: ${s} appears in the logs`);
    for (const r of printed) {
      for (const k of ["level", "type", "process", "scope", "message", "timestamp", "traceId"]) assert.ok(k in r, `${k} missing`);
    }
    assert.ok(logLevel === "ERROR" || printed.some((r) => r.traceId === out.traceId));
    assert.equal(printed.some((r) => r.level === "DEBUG"), logLevel === "DEBUG");
    assert.ok(printed.some((r) => r.level === "ERROR" && r.process === "Dispatch"), `${logLevel}: the rejection is logged`);
    if (logLevel !== "ERROR") assert.ok(printed.some((r) => r.type === "Timing"));
  }
});

test("a host trace id is used; a throwing host logger does not break the run", async () => {
  const out = await tagFor().run(event, request, { traceId: "host-trace-1", log: () => { throw new Error("logger down"); } });
  assert.equal(out.status, "accepted");
  assert.equal(out.traceId, "host-trace-1");
  assert.ok(out.logs.every((r) => r.traceId === "host-trace-1"));
});

test("CLI send: outcome on stdout, JSON log lines on stderr, exit 0 only when accepted", async () => {
  const { spawn } = await import("node:child_process");
  const { mkdtempSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { fileURLToPath } = await import("node:url");
  const bin = fileURLToPath(new URL("./node_modules/.bin/omni-meta-capi", import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), "omni-send-"));
  const file = (name, value) => (writeFileSync(join(dir, name), JSON.stringify(value)), join(dir, name));
  const run = (config) => new Promise((resolve) => {
    const child = spawn(bin, ["send", "--config", file("c.json", config), "--event", file("e.json", event), "--request", file("r.json", request)]);
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
  const ok = await run({ ...fixture("tag.json"), graphBaseUrl: sandbox.url });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).status, "accepted");
  const lines = ok.stderr.trim().split("\n").map((l) => JSON.parse(l));
  assert.ok(lines.length > 0 && lines.every((r) => r.scope === "Omni Tag"));
  assert.ok(!ok.stderr.includes("EAAB-example-token") && !ok.stdout.includes("EAAB-example-token"));
  const rejected = await run({ ...fixture("tag.json"), graphBaseUrl: sandbox.url, accessToken: "nope-token" });
  assert.equal(rejected.code, 4);
});

test("runBatch: 2,500 events -> 1,000-event requests, invalid ones reported and left out, all accounted for", async () => {
  const events = Array.from({ length: 2500 }, (_, i) => ({
    ...event, event_id: `batch-${i}`, transaction_id: `T-${i}`,
    user_data: { email_address: `buyer${i}@example.com` },
  }));
  events[7] = { event_name: "purchase" }; // invalid: no URL, no user agent, no currency
  const out = await tagFor(quickRetries).runBatch(events, request, { log: () => {} });
  assert.equal(out.status, "accepted", JSON.stringify(out.results.map((r) => r.outcome)));
  assert.deepEqual(out.results.map((r) => r.eventIndexes.length), [1000, 1000, 499]);
  assert.equal(out.events[7].status, "invalid");
  assert.ok(out.events[7].report.errors.length > 0);
  // (A request that timed out in an earlier test may still land now: Meta, too, can process a
  // try the client gave up on — event_id deduplication is what makes retries safe.)
  const received = sandbox.received.flatMap((r) => r.events.map((e) => e.event_id)).filter((id) => id.startsWith("batch-"));
  assert.equal(received.length, 2499);
  assert.equal(new Set(received).size, 2499);
  assert.ok(!received.includes("batch-7"));
});

test("counters: events by outcome, tries, retries, errors by code, latency — as JSON and Prometheus text", async () => {
  const tag = tagFor(quickRetries);
  sandbox.injectFaults([{ times: 1, status: 503 }]);
  await tag.run(event, request, { log: () => {} });
  await tag.run({ event_name: "purchase" }, {}, { log: () => {} });
  await tag.run({ ...event, consent_state: { ad_storage: "denied" } }, request, { log: () => {} });
  await tag.runBatch([event, { ...event, event_id: "b2" }], request, { log: () => {} });
  const m = tag.metrics();
  assert.deepEqual(
    [m.eventsBuilt, m.eventsInvalid, m.eventsSkipped, m.eventsAccepted, m.eventsRejected, m.eventsFailed, m.requests, m.tries, m.retries],
    [3, 1, 1, 3, 0, 0, 2, 3, 1],
  );
  assert.deepEqual(m.errorsByCode, { 2: 1 }); // the sandbox answers a 503 with Meta code 2
  assert.equal(m.histogramsMs.dispatch.count, 2, "runs that sent something");
  assert.equal(m.histogramsMs.build.count, 4);
  assert.equal(m.eventsReceived, 5);
  assert.deepEqual(m.eventsByPixel, { 1234567890: { accepted: 3, rejected: 0, failed: 0, unconfirmed: 0 } });
  assert.deepEqual(m.skippedByReason, { "website.event_source_url_missing": 1, "consent.denied": 1 });
  assert.equal(m.matchKeys.events, 3);
  assert.equal(m.perMinute.length, 30);
  assert.equal(m.perMinute.at(-1).accepted, 3);
  const text = tag.metricsText();
  assert.match(text, /^omni_meta_capi_events_total\{outcome="accepted"\} 3$/m);
  assert.match(text, /^omni_meta_capi_retries_total 1$/m);
  assert.match(text, /^omni_meta_capi_dispatch_duration_ms_count 2$/m);
  assert.match(text, /^omni_meta_capi_build_duration_ms_count 4$/m);
});

test("error monitor: every ERROR record is POSTed (scrubbed, bearer token in a header); a dead monitor breaks nothing", async () => {
  const { createServer } = await import("node:http");
  const posts = [];
  const monitor = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      posts.push({ auth: req.headers.authorization, url: req.url, record: JSON.parse(body) });
      res.end("ok");
    });
  });
  await new Promise((r) => monitor.listen(0, "127.0.0.1", r));
  try {
    const endpoint = `http://127.0.0.1:${monitor.address().port}/errors`;
    const waits = [];
    const tag = tagFor({ accessToken: "EAAB-bad-token-xyz", errorMonitor: { endpoint, token: "mon-token" } });
    const out = await tag.run(event, request, { log: () => {}, waitUntil: (p) => waits.push(p) });
    assert.equal(out.status, "rejected");
    await Promise.all(waits);
    assert.ok(posts.length >= 1 && waits.length === posts.length);
    assert.ok(posts.every((p) => p.auth === "Bearer mon-token" && p.url === "/errors" && p.record.level === "ERROR"));
    assert.ok(!JSON.stringify(posts).includes("EAAB-bad-token-xyz"));
    const dead = tagFor({ errorMonitor: { endpoint: "http://127.0.0.1:9/unreachable" }, accessToken: "nope-1234" });
    const stillFine = await dead.run(event, request, { log: () => {} });
    assert.equal(stillFine.status, "rejected");
  } finally {
    monitor.close();
  }
});
