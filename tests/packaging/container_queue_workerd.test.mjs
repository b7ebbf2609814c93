// Durable delivery on Cloudflare Workers, as installed: the container Worker (container/worker.mjs
// bundled against the package) in real workerd via Miniflare, with Cloudflare Queues as
// wrangler.toml declares them (EVENTS_QUEUE, DEAD_LETTERS, the consumer with its dead-letter
// queue), over real sockets against the local Meta sandbox. Each test names the exact events
// accepted (the event_ids of /event's 202 answers, the page of each /g/collect hit) and checks
// that exactly those reached Meta or the dead-letter queue. The queue delays are compressed:
// Queues counts whole seconds, so a retry here waits 1 s.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { startMetaSandbox } from "../../sandbox/meta-sandbox.mjs";
import { startContainerWorker } from "../../container/start-local.mjs";

const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
const { accessToken: META_TOKEN, ...TAG } = fixture("tag.json");
const WRONG_TOKEN = "EAAB-wrong-token-for-the-dead-letter-test";
const EVENT_TOKEN = "queue-workerd-event-token-0123456789";
const ORIGIN = "https://www.shop.example.com";
const UA = "Mozilla/5.0 (Test) workerd queue";
// The copy of container/worker.mjs that the wrapper (container-queue-worker.mjs) imports.
const CONTAINER_ENTRY = fileURLToPath(new URL("./container-worker.mjs", import.meta.url));
const WRAPPED_ENTRY = fileURLToPath(new URL("./container-queue-worker.mjs", import.meta.url));
let sandbox;

before(async () => {
  sandbox = await startMetaSandbox({ tokens: { [TAG.pixelId]: META_TOKEN } });
  copyFileSync(new URL("../../container/worker.mjs", import.meta.url), CONTAINER_ENTRY);
});
after(() => sandbox?.close());
beforeEach(() => sandbox.reset());

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const receivedIds = () => sandbox.received.flatMap((r) => r.events.map((e) => e.event_id));
const receivedPages = () => sandbox.received.flatMap((r) => r.events.map((e) => e.event_source_url));

async function until(check, what, ms = 60_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/**
 * A container config: tags to the sandbox; the tags' in-memory policy (2 tries) for contrast; the
 * wasm's queue backoff at 1 s, Queues' smallest delay.
 */
function config(tags = [{ name: "main", accessToken: META_TOKEN }]) {
  return {
    tags: tags.map((t) => ({ ...TAG, graphBaseUrl: sandbox.url, logLevel: "ERROR", retry: { attempts: 2, baseDelayMs: 10 }, ...t })),
    allowedOrigins: [ORIGIN],
    eventTokens: [EVENT_TOKEN],
    rateLimit: false,
    queue: { baseDelayMs: 1000, maxDelayMs: 1000 },
  };
}

/** The container Worker with queues (wrapped: the test sees the dead letters); its log lines. */
async function startQueued(cfg, queues = {}) {
  const lines = [];
  const worker = await startContainerWorker({
    entry: WRAPPED_ENTRY,
    config: cfg,
    queues: { maxBatchTimeout: 1, retryDelay: 1, consumeDeadLetters: true, ...queues },
    miniflare: {
      handleRuntimeStdio(stdout, stderr) {
        for (const stream of [stdout, stderr]) createInterface({ input: stream }).on("line", (l) => lines.push(l));
      },
    },
  });
  const observed = async () => (await fetch(`${worker.url}/__test/queues`)).json();
  return { ...worker, lines, observed };
}

/** A lead a backend sends: valid for Meta, unique by its email. */
const lead = (i) => ({
  event_name: "generate_lead",
  page_location: `${ORIGIN}/contact`,
  user_agent: UA,
  ip_override: "81.2.69.9",
  user_data: { email_address: `lead.${i}@example.com` },
});

/** POST events to /event, authenticated: the event_ids of the 202 answer. */
async function postEvents(url, events) {
  const res = await fetch(`${url}/event`, { method: "POST", body: JSON.stringify(events), headers: { authorization: `Bearer ${EVENT_TOKEN}` } });
  const body = await res.json();
  assert.equal(res.status, 202, JSON.stringify(body));
  assert.equal(body.eventIds.length, events.length);
  return body.eventIds;
}

/** A gtag hit for page `page`: 204. */
async function hit(url, page) {
  const res = await fetch(`${url}/g/collect?v=2&tid=G-1&cid=4.${page.length}&en=page_view&dl=${encodeURIComponent(page)}&gcs=G111`, {
    method: "POST",
    headers: { origin: ORIGIN, "user-agent": UA, "cf-connecting-ip": "81.2.69.77" },
  });
  assert.equal(res.status, 204);
}

test("Meta down for longer than every in-memory retry: the queue keeps every accepted event and delivers it, in batches, once Meta is back", { timeout: 120_000 }, async () => {
  const worker = await startQueued(config());
  try {
    sandbox.injectFaults([{ times: 1_000_000, status: 503 }]);
    const ids = [];
    for (let k = 0; k < 3; k++) ids.push(...(await postEvents(worker.url, Array.from({ length: 50 }, (_, i) => lead(k * 50 + i)))));
    const pages = Array.from({ length: 50 }, (_, i) => `${ORIGIN}/p/${i}`);
    for (const page of pages) await hit(worker.url, page);
    assert.equal(new Set(ids).size, 150);

    // Every event refused at least 3 times: the tags' in-memory policy (2 tries) would have
    // dropped all of them by now.
    const refusals = () => {
      const n = new Map();
      for (const a of sandbox.attempts) for (const id of a.eventIds ?? []) n.set(id, (n.get(id) ?? 0) + 1);
      return n;
    };
    await until(() => {
      const n = refusals();
      return n.size === 200 && [...n.values()].every((c) => c >= 3);
    }, "every event refused 3 times");
    assert.equal(sandbox.received.length, 0);
    const refused = sandbox.attempts.length;

    const back = Date.now();
    sandbox.clearFaults();
    await until(() => new Set(receivedIds()).size >= 200, "all 200 at Meta");
    const drainMs = Date.now() - back;

    // Exactly the accepted events: the 150 event_ids answered, and one event per hit's page.
    const fromEvent = new Set(sandbox.received.flatMap((r) => r.events.filter((e) => e.event_source_url === `${ORIGIN}/contact`).map((e) => e.event_id)));
    assert.deepEqual([...fromEvent].sort(), [...ids].sort());
    const hitPages = receivedPages().filter((p) => p.startsWith(`${ORIGIN}/p/`));
    assert.deepEqual([...new Set(hitPages)].sort(), [...pages].sort());
    assert.equal(new Set(receivedIds()).size, 200, "nothing else reached Meta");
    // Batched: Meta requests of several events each (never more than Queues' batch of 100).
    const sizes = sandbox.received.map((r) => r.events.length);
    assert.ok(Math.max(...sizes) > 1 && Math.max(...sizes) <= 100, `request sizes ${sizes}`);
    const { batches, deadLetters } = await worker.observed();
    assert.deepEqual(deadLetters, []);
    assert.ok(batches.every((n) => n <= 100), `batch sizes ${batches}`);
    console.log(
      `workerd queue outage: 200 events accepted during a 503 outage (${refused} refused tries, each event at least 3); ` +
        `delivered in ${sandbox.received.length} Meta requests (sizes ${sizes.join(",")}), ${drainMs} ms after Meta came back; ` +
        `${batches.length} consumer batches`,
    );
    const log = worker.lines.join("\n");
    assert.ok(!log.includes(META_TOKEN) && !log.includes(EVENT_TOKEN), "no token in the Worker's log");
  } finally {
    await worker.close();
  }
});

test("a permanent rejection (wrong token, Meta code 190) goes to the dead-letter queue with the redacted reason, never a token; the other tag delivers", { timeout: 60_000 }, async () => {
  const worker = await startQueued(config([{ name: "main", accessToken: META_TOKEN }, { name: "wrong", accessToken: WRONG_TOKEN }]));
  try {
    const ids = await postEvents(worker.url, [lead(7), lead(8), lead(9)]);
    await until(async () => (await worker.observed()).deadLetters.length >= 3 && new Set(receivedIds()).size >= 3, "3 delivered and 3 dead letters");
    assert.deepEqual(receivedIds().sort(), [...ids].sort(), "the good tag delivered the three");

    const { deadLetters } = await worker.observed();
    assert.deepEqual(deadLetters.map((d) => `${d.body.tag}:${d.body.eventId}`).sort(), ids.map((id) => `wrong:${id}`).sort());
    for (const { body, attempts } of deadLetters) {
      assert.match(body.reason, /^rejected by Meta \(pixel 1234567890\): 190\b/);
      assert.equal(body.attempts, 1, "a permanent rejection is not retried");
      assert.equal(attempts, 1, "sent to the dead-letter queue once");
      assert.equal(body.eventName, "generate_lead");
      assert.equal(typeof body.deadAt, "number");
      // The event as queued (what a retry needs) and, around it, a record without PII.
      assert.equal(JSON.parse(body.event).event_id, body.eventId);
      const { event, request, ...record } = body;
      assert.ok(!JSON.stringify(record).includes("@example.com"), JSON.stringify(record));
    }
    const everything = JSON.stringify(deadLetters) + worker.lines.join("\n");
    for (const secret of [WRONG_TOKEN, META_TOKEN, EVENT_TOKEN]) assert.ok(!everything.includes(secret), "no token in dead letters or logs");
    assert.ok(!worker.lines.join("\n").includes("lead.7@example.com"), "no plaintext PII in the Worker's log");
    assert.ok(worker.lines.some((l) => /dead-lettered/.test(l) && l.includes(ids[0])), "an ERROR record naming the event_id");
    // Refused once each, in one request: nothing tried again.
    assert.equal(sandbox.attempts.filter((a) => a.errorCode === 190).length, 1);
  } finally {
    await worker.close();
  }
});

test("without a DEAD_LETTERS binding, a dead event reaches the dead-letter queue through max_retries, as queued", { timeout: 60_000 }, async () => {
  const worker = await startQueued(config([{ name: "wrong", accessToken: WRONG_TOKEN }]), { deadLetters: false, maxRetries: 2 });
  try {
    const ids = await postEvents(worker.url, [lead(1), lead(2)]);
    await until(async () => (await worker.observed()).deadLetters.length >= 2, "2 dead letters");
    const { deadLetters } = await worker.observed();
    assert.deepEqual(deadLetters.map((d) => d.body.eventId).sort(), [...ids].sort());
    for (const { body } of deadLetters) {
      assert.equal(body.tag, "wrong");
      assert.equal(body.reason, undefined, "the queue gave up, not the wasm: no reason");
    }
    assert.equal(sandbox.received.length, 0);
  } finally {
    await worker.close();
  }
});

test("events too large for one sendBatch (Queues: at most 256 KB a call) are queued in several, all accepted and delivered", { timeout: 60_000 }, async () => {
  const worker = await startQueued({ ...config(), maxBodyBytes: 1_048_576 });
  try {
    // 120 events of ~3 KB: 100 of them alone are over Queues' batch limit.
    const big = (i) => ({ ...lead(i), items: [{ item_id: `sku-${i}`, item_name: "x".repeat(3000), price: 1, quantity: 1 }] });
    const ids = await postEvents(worker.url, Array.from({ length: 120 }, (_, i) => big(i)));
    await until(() => new Set(receivedIds()).size >= 120, "all 120 at Meta");
    assert.deepEqual([...new Set(receivedIds())].sort(), [...ids].sort());
  } finally {
    await worker.close();
  }
});

test("an event larger than a Queues message (128 KB) is refused with 413 at the door, not 503; in a batch the others are accepted and delivered", { timeout: 60_000 }, async () => {
  const worker = await startQueued({ ...config(), maxBodyBytes: 1_048_576 });
  try {
    const huge = { ...lead(900), event_id: "too-big-for-the-queue", items: [{ item_id: "sku", item_name: "x".repeat(140_000), price: 1, quantity: 1 }] };
    const alone = await fetch(`${worker.url}/event`, { method: "POST", body: JSON.stringify(huge), headers: { authorization: `Bearer ${EVENT_TOKEN}` } });
    const refused = await alone.json();
    assert.equal(alone.status, 413, JSON.stringify(refused).slice(0, 300));
    assert.equal(refused.error.code, "event_too_large");
    assert.match(refused.problems[0], /event_id "too-big-for-the-queue" would be a queued message of \d+ bytes: the queue takes at most 128000/);

    const res = await fetch(`${worker.url}/event`, { method: "POST", body: JSON.stringify([lead(901), huge]), headers: { authorization: `Bearer ${EVENT_TOKEN}` } });
    const body = await res.json();
    assert.equal(res.status, 202, JSON.stringify(body).slice(0, 300));
    assert.equal(body.eventIds.length, 1);
    assert.equal(body.problems.length, 1);
    await until(() => receivedIds().includes(body.eventIds[0]), "the event that fits at Meta");
    assert.ok(!receivedIds().includes("too-big-for-the-queue"));
  } finally {
    await worker.close();
  }
});

test("/readyz in workerd: 'delivery is not durable' without the EVENTS_QUEUE binding, no such warning with it", async () => {
  const bare = await startContainerWorker({ entry: CONTAINER_ENTRY, config: config() });
  const queued = await startQueued(config());
  try {
    const warnings = async (w) => (await (await fetch(`${w.url}/readyz`)).json()).warnings;
    const without = await warnings(bare);
    assert.equal(without.length, 1, JSON.stringify(without));
    assert.match(without[0], /^delivery is not durable/);
    assert.deepEqual(await warnings(queued), []);
  } finally {
    await Promise.all([bare.close(), queued.close()]);
  }
});

test("the Worker never delivers a batch of its own dead-letter queue: it puts it back for an operator", async () => {
  const { default: worker } = await import(CONTAINER_ENTRY);
  const env = { CONTAINER_CONFIG: JSON.stringify(config()), DEAD_LETTER_QUEUE_NAME: "omni-events-dead" };
  const event = JSON.stringify({ ...lead(1), event_id: "dead-1", event_time: Math.floor(Date.now() / 1000) });
  const calls = [];
  const message = {
    body: { tag: "main", eventId: "dead-1", eventName: "Lead", event, request: "{}", receivedAt: Date.now(), reason: "rejected by Meta" },
    attempts: 1,
    ack: () => calls.push("ack"),
    retry: (o) => calls.push(["retry", o]),
  };
  const batch = { queue: "omni-events-dead", messages: [message], retryAll: (o) => calls.push(["retryAll", o]), ackAll: () => calls.push("ackAll") };
  const errors = [];
  const consoleError = console.error;
  console.error = (...args) => errors.push(args.join(" "));
  try {
    await worker.queue(batch, env, { waitUntil: () => {} });
  } finally {
    console.error = consoleError;
  }
  assert.deepEqual(calls, [["retryAll", { delaySeconds: 43200 }]]);
  assert.equal(sandbox.attempts.length, 0, "nothing sent to Meta");
  assert.match(errors.join("\n"), /consumes its dead-letter queue "omni-events-dead"/);

  // The same message from the events queue is delivered: the check above is what held it back.
  await worker.queue({ ...batch, queue: "omni-events" }, env, { waitUntil: () => {} });
  assert.deepEqual(calls.slice(1), ["ack"]);
  assert.deepEqual(receivedIds(), ["dead-1"]);
});
