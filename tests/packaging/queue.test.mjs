// Trust the pipe, on Node, as installed: authenticated ingestion and durable at-least-once
// delivery through `serve --queue FILE` (SQLite), over real sockets against the local Meta
// sandbox. Every test names the exact event_ids accepted (the 202 answers carry them) and checks
// that exactly those reached Meta: none lost, no stranger added.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "omni-meta-capi/serve";
import { startMetaSandbox } from "../../sandbox/meta-sandbox.mjs";
import { spawnServe } from "./queue-load.mjs";

const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
const cli = fileURLToPath(new URL("./node_modules/omni-meta-capi/js/cli.mjs", import.meta.url));
const META_TOKEN = fixture("tag.json").accessToken;
const EVENT_TOKEN = "queue-test-event-token-0123456789";
const SIGNING_SECRET = "queue-test-signing-secret";
const UA = "Mozilla/5.0 (Test) queue";
let sandbox;
let dir;

before(async () => {
  sandbox = await startMetaSandbox({ tokens: { [fixture("tag.json").pixelId]: META_TOKEN } });
  dir = mkdtempSync(join(tmpdir(), "omni-queue-"));
});
after(() => sandbox?.close());
beforeEach(() => sandbox.reset());

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const receivedIds = () => sandbox.received.flatMap((r) => r.events.map((e) => e.event_id));

/** A container config: one tag to the sandbox, the queue's backoff compressed for tests. */
function config({ accessToken = META_TOKEN, queue = {}, ...extra } = {}) {
  return {
    tags: [{ name: "main", ...fixture("tag.json"), accessToken, graphBaseUrl: sandbox.url, logLevel: "ERROR", retry: { attempts: 2, baseDelayMs: 10 } }],
    eventTokens: [EVENT_TOKEN],
    eventSigningSecret: SIGNING_SECRET,
    rateLimit: false,
    queue: { baseDelayMs: 50, maxDelayMs: 300, ...queue },
    ...extra,
  };
}

/** A lead a backend sends: valid for Meta, unique by its email. */
const lead = (i) => ({
  event_name: "generate_lead",
  page_location: "https://www.shop.example.com/contact",
  user_agent: UA,
  ip_override: "81.2.69.9",
  user_data: { email_address: `lead.${i}@example.com` },
});

/** POST events to /event, authenticated; the event_ids the container assigned. */
async function postEvents(url, events, headers = { authorization: `Bearer ${EVENT_TOKEN}` }) {
  const res = await fetch(`${url}/event`, { method: "POST", body: JSON.stringify(events), headers });
  const body = await res.json();
  assert.equal(res.status, 202, JSON.stringify(body));
  return body.eventIds;
}

/** `count` leads in POSTs of `per`, `parallel` at a time: every event_id accepted. */
async function acceptLeads(url, count, { per = 100, parallel = 4, from = 0 } = {}) {
  const ids = [];
  let next = from;
  const worker = async () => {
    while (next < from + count) {
      const start = next;
      next = Math.min(next + per, from + count);
      const batch = Array.from({ length: next - start }, (_, k) => lead(start + k));
      ids.push(...(await postEvents(url, batch)));
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return ids;
}

async function until(check, what, ms = 60_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** `omni-meta-capi serve --queue FILE` in its own process: `{url, child, stdout(), stderr()}`. */
function startServe(cfg, queueFile) {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(cfg));
  return spawnServe(cli, path, queueFile);
}

async function stop(server, signal = "SIGTERM") {
  if (server.child.exitCode !== null) return;
  server.child.kill(signal);
  await once(server.child, "exit");
}

const queueCli = (...args) => JSON.parse(execFileSync(process.execPath, [cli, "queue", ...args, "--json"], { encoding: "utf8" }));

test("/event: no credentials, a wrong token, an expired or replayed signature -> 401 and nothing sent; the right token -> 202 and delivered", async () => {
  const server = await serve({ config: config(), env: {}, port: 0, queue: join(dir, "auth.db"), options: { log: () => {} } });
  try {
    const body = JSON.stringify(lead(1));
    const sign = (t) => `t=${t},v1=${createHmac("sha256", SIGNING_SECRET).update(`${t}.${body}`).digest("hex")}`;
    const now = Math.floor(Date.now() / 1000);
    const fresh = sign(now);
    const refused = [
      {},
      { authorization: "Bearer queue-test-event-token-0123456788" },
      { authorization: `Basic ${EVENT_TOKEN}` },
      { "x-omni-signature": sign(now - 301) },
      { "x-omni-signature": fresh.replace(/.$/, (c) => (c === "0" ? "1" : "0")) },
    ];
    for (const headers of refused) {
      const res = await fetch(`${server.url}/event`, { method: "POST", body, headers });
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.equal((await res.json()).error.code, "unauthorized");
    }
    const signed = await fetch(`${server.url}/event`, { method: "POST", body, headers: { "x-omni-signature": fresh } });
    assert.equal(signed.status, 202);
    const replayed = await fetch(`${server.url}/event`, { method: "POST", body, headers: { "x-omni-signature": fresh } });
    assert.equal(replayed.status, 401, "a signature is good once");
    const [signedId] = (await signed.json()).eventIds;
    const [tokenId] = await postEvents(server.url, [lead(2)], { authorization: `bearer ${EVENT_TOKEN}` });
    await until(() => receivedIds().length === 2, "both events at Meta");
    assert.deepEqual(receivedIds().sort(), [signedId, tokenId].sort());
    // What an authenticated backend says about its visitor is kept; nothing else arrived.
    assert.equal(sandbox.received[0].events[0].user_data.client_ip_address, "81.2.69.9");
  } finally {
    await server.close();
  }
});

test("crash: 2,000 events accepted while Meta answers 503, kill -9, restart with Meta healthy: every event_id arrives", { timeout: 120_000 }, async () => {
  const file = join(dir, "crash.db");
  sandbox.injectFaults([{ times: 1_000_000, status: 503 }]);
  const first = await startServe(config(), file);
  const accepted = await acceptLeads(first.url, 2000);
  assert.equal(new Set(accepted).size, 2000, "2,000 distinct event_ids");
  await until(() => sandbox.attempts.length >= 3, "the sender to try (and fail) a few times");
  first.child.kill("SIGKILL");
  await once(first.child, "exit");
  assert.equal(sandbox.received.length, 0, "Meta took nothing during the outage");
  const triesDuringOutage = sandbox.attempts.length;

  sandbox.clearFaults();
  const second = await startServe(config(), file);
  try {
    await until(() => new Set(receivedIds()).size >= 2000, "all 2,000 events at Meta after the restart");
    const received = receivedIds();
    assert.deepEqual([...new Set(received)].sort(), [...accepted].sort(), "exactly the accepted events");
    assert.equal(received.length, 2000, "each once: none was delivered before the crash");
    assert.ok(sandbox.received.length <= 10, `batched: ${sandbox.received.length} requests for 2,000 events`);
    await until(() => queueCli("stats", "--queue", file).pending === 0, "an empty outbox");
    console.log(`crash: ${triesDuringOutage} refused tries during the outage; after the restart ${sandbox.received.length} requests delivered 2,000 events`);
  } finally {
    await stop(second);
  }
});

test("outage longer than every in-memory retry, then Meta is back: all delivered, in batches", { timeout: 60_000 }, async () => {
  const server = await serve({ config: config(), env: {}, port: 0, queue: join(dir, "outage.db"), options: { log: () => {} } });
  try {
    sandbox.injectFaults([{ times: 1_000_000, status: 503, retryAfter: 0 }]);
    const accepted = await acceptLeads(server.url, 500, { per: 50 });
    // The tag's in-memory policy (2 tries, 10 ms apart) would have given up long before this.
    await until(() => sandbox.attempts.length >= 8, "several refused tries");
    assert.equal(sandbox.received.length, 0);
    sandbox.clearFaults();
    await until(() => new Set(receivedIds()).size >= 500, "all 500 at Meta");
    assert.deepEqual([...new Set(receivedIds())].sort(), [...accepted].sort());
    assert.ok(sandbox.received.length < 50, `batched: ${sandbox.received.length} requests for 500 events`);
    // The sandbox has the last batch before the sender has read Meta's answer and counted it.
    const metrics = () => server.container.tags[0].tag.metrics();
    await until(() => metrics().eventsAccepted >= 500, "all 500 counted as accepted");
    const m = metrics();
    assert.equal(m.eventsAccepted, 500);
    assert.equal(m.eventsFailed, 0);
    assert.ok(m.retries >= 8, `retries counted: ${m.retries}`);
  } finally {
    await server.close();
  }
});

test("a payload error on a batch: split, each tried alone, the good ones delivered", async () => {
  const server = await serve({ config: config(), env: {}, port: 0, queue: join(dir, "split.db"), options: { log: () => {} } });
  try {
    sandbox.injectFaults([{ times: 1, error: { code: 100, subcode: 2804019 } }]);
    // Held until the batch is whole, then one Meta request: refused for "one bad event".
    const accepted = await postEvents(server.url, [lead(1), lead(2), lead(3)]);
    await until(() => new Set(receivedIds()).size === 3, "the three delivered one by one");
    assert.deepEqual(receivedIds().sort(), [...accepted].sort());
  } finally {
    await server.close();
  }
});

test("a permanent rejection is a dead letter with Meta's redacted reason; queue retry after the fix delivers it", { timeout: 60_000 }, async () => {
  const file = join(dir, "dead.db");
  const wrong = await startServe(config({ accessToken: "EAAB-wrong-token-123" }), file);
  let accepted;
  try {
    accepted = await postEvents(wrong.url, [lead(7), lead(8)]);
    await until(() => queueCli("stats", "--queue", file).dead === 2, "two dead letters");
  } finally {
    await stop(wrong);
  }
  const stats = queueCli("stats", "--queue", file);
  assert.equal(stats.pending, 0);
  const dead = queueCli("list", "--queue", file);
  assert.deepEqual(dead.map((d) => d.eventId).sort(), [...accepted].sort());
  for (const d of dead) {
    assert.match(d.reason, /^rejected by Meta \(pixel \d+\): 190/);
    assert.equal(d.eventName, "generate_lead");
    assert.equal(d.attempts, 1, "a permanent rejection is not retried");
  }
  const printed = wrong.stdout() + wrong.stderr() + JSON.stringify(dead);
  assert.ok(!printed.includes("EAAB-wrong-token-123"), "the token never printed");
  assert.ok(!printed.includes("lead.7@example.com"), "no plaintext PII");
  assert.match(wrong.stdout(), /dead-lettered/, "an ERROR record an operator can act on");

  const fixed = await startServe(config(), file);
  try {
    assert.deepEqual(queueCli("retry", "--queue", file), { retried: 2 });
    await until(() => receivedIds().length === 2, "the retried events at Meta");
    assert.deepEqual(receivedIds().sort(), [...accepted].sort());
    assert.equal(queueCli("stats", "--queue", file).dead, 0);
  } finally {
    await stop(fixed);
  }
});

test("events of a tag the config no longer has become dead letters, not eternal waiters", async () => {
  const file = join(dir, "orphans.db");
  sandbox.injectFaults([{ times: 1_000_000, status: 503 }]);
  const before = await serve({ config: config(), env: {}, port: 0, queue: file, options: { log: () => {} } });
  const accepted = await postEvents(before.url, [lead(300)]);
  await before.close();
  sandbox.clearFaults();
  const renamed = config();
  renamed.tags[0].name = "renamed";
  const after = await serve({ config: renamed, env: {}, port: 0, queue: file, options: { log: () => {} } });
  try {
    await until(() => queueCli("stats", "--queue", file).dead === 1, "the orphan dead-lettered");
    const [dead] = queueCli("list", "--queue", file);
    assert.deepEqual([dead.eventId, dead.tag, dead.reason], [accepted[0], "main", 'no tag named "main" in the container config']);
  } finally {
    await after.close();
  }
});

test("backpressure: past queue.maxEvents the container answers 503 with Retry-After, and takes events again once drained", async () => {
  const server = await serve({ config: config({ queue: { maxEvents: 20 } }), env: {}, port: 0, queue: join(dir, "full.db"), options: { log: () => {} } });
  try {
    sandbox.injectFaults([{ times: 1_000_000, status: 503 }]);
    const accepted = await postEvents(server.url, Array.from({ length: 20 }, (_, i) => lead(100 + i)));
    const full = await fetch(`${server.url}/event`, { method: "POST", body: JSON.stringify(lead(200)), headers: { authorization: `Bearer ${EVENT_TOKEN}` } });
    assert.equal(full.status, 503);
    assert.equal(full.headers.get("retry-after"), "5");
    assert.equal((await full.json()).error.code, "overloaded");
    sandbox.clearFaults();
    await until(() => receivedIds().length === 20, "the 20 delivered");
    assert.deepEqual(receivedIds().sort(), [...accepted].sort());
    const again = await postEvents(server.url, [lead(201)]);
    await until(() => receivedIds().includes(again[0]), "accepted again");
  } finally {
    await server.close();
  }
});

test("/readyz says when delivery is not durable or /event is open; admin routes carry no CORS headers", async () => {
  const memory = await serve({ config: { ...config(), queue: undefined, eventAuth: "none", eventTokens: [], eventSigningSecret: undefined }, env: {}, port: 0, options: { log: () => {} } });
  const durable = await serve({ config: config(), env: {}, port: 0, queue: join(dir, "ready.db"), options: { log: () => {} } });
  try {
    const warnings = async (s) => (await (await fetch(`${s.url}/readyz`, { headers: { origin: "https://evil.example" } })).json()).warnings;
    const w = await warnings(memory);
    assert.equal(w.length, 2, JSON.stringify(w));
    assert.match(w[0], /not durable/);
    assert.match(w[1], /eventAuth is "none"/);
    assert.deepEqual(await warnings(durable), []);
    const res = await fetch(`${durable.url}/metrics`, { headers: { origin: "https://evil.example" } });
    assert.equal(res.headers.get("access-control-allow-origin"), null);
    const head = await fetch(`${durable.url}/healthz`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
  } finally {
    await Promise.all([memory.close(), durable.close()]);
  }
});
