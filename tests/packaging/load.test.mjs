// Load: 10,000 distinct events through tag.run against the local Meta CAPI sandbox over real
// loopback sockets, 64 in flight, with a long fault queue spread through the run (500s, 429s
// with Retry-After 0, transient Meta errors, dropped connections, answers slower than the
// per-try timeout, and a few permanent rejections). Every event must be accounted for: exactly
// one final status, accepted ones received by the sandbox, rejected ones never retried after the
// rejection, failed ones handed back redacted, and no event received more often than tried.
// Throughput is printed, never asserted.
//
// The sandbox runs in a worker thread (its own event loop, like Meta on another machine): with
// the tag and the sandbox sharing one event loop, both CPU-bound, a 64-deep queue makes healthy
// answers miss the 500 ms per-try timeout, and the run measures its own congestion.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createTag } from "omni-meta-capi";
import { rng } from "./corpus.mjs";
import { startSandboxWorker } from "./sandbox-worker.mjs";

const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
const baseEvent = fixture("purchase-event.json");
const request = fixture("request.json");
const PIXEL = fixture("tag.json").pixelId;
const TOKEN = fixture("tag.json").accessToken;

const EVENTS = 10_000;
const IN_FLIGHT = 64;
const RETRY = { attempts: 4, baseDelayMs: 5, maxDelayMs: 50 };
const TIMEOUT_MS = 500;
const SLOW_MS = 800; // > TIMEOUT_MS: the client gives up, the sandbox still serves the request later

let sandboxWorker;
let sandboxUrl;
const sandbox = (op, ...args) => sandboxWorker.call(op, ...args);

before(async () => {
  sandboxWorker = await startSandboxWorker({ tokens: { [PIXEL]: TOKEN } });
  sandboxUrl = sandboxWorker.url;
});
after(() => sandboxWorker?.close());

// `{delayMs: 0}` is a pass-through entry (a delay alone is served normally, and 0 means no wait):
// it lets the queue leave unfaulted requests between the faults, so the faults are spread over
// the whole run instead of hitting its first few hundred requests.
const isPass = (f) => f != null && f.delayMs === 0 && Object.keys(f).every((k) => k === "delayMs" || k === "times");
const isFaulted = (a) => a.faultApplied != null && !isPass(a.faultApplied);
const isPermanent = (f) => f?.error?.code === 100;

function faultPlan() {
  const rand = rng(20260425);
  const between = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  const transient = [
    (n) => ({ times: n, status: 500 }),
    (n) => ({ times: n, status: 429, retryAfter: 0 }),
    (n) => ({ times: n, error: { code: 2, is_transient: true } }),
    (n) => ({ times: n, drop: true }),
    (n) => ({ times: n, delayMs: SLOW_MS }),
  ];
  const plan = [];
  for (let segment = 0; segment < 100; segment++) {
    plan.push({ times: between(70, 100), delayMs: 0 });
    for (let k = 0; k < 3; k++) plan.push(transient[(segment * 3 + k) % transient.length](between(1, 4)));
    if (segment % 8 === 4) {
      plan.push({ times: between(5, 20), delayMs: 0 });
      plan.push({ times: 1, error: { code: 100, subcode: 2804019 } });
    }
  }
  return plan;
}

const eventFor = (i) => ({
  ...baseEvent,
  event_id: `load-${i}`,
  transaction_id: `T-${i}`,
  user_data: { ...baseEvent.user_data, email_address: `buyer.${i}@example.com` },
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test(`load: ${EVENTS} events, ${IN_FLIGHT} in flight, faults spread through the run, every event accounted for`, { timeout: 180_000 }, async () => {
  const tag = createTag({ ...fixture("tag.json"), graphBaseUrl: sandboxUrl, retry: RETRY, timeoutMs: TIMEOUT_MS });
  assert.ok(tag.configReport.valid, JSON.stringify(tag.configReport));

  const plan = faultPlan();
  const queued = plan.reduce((n, f) => n + f.times, 0);
  const faultedQueued = plan.filter((f) => !isPass(f)).reduce((n, f) => n + f.times, 0);
  const permanentInjected = plan.filter(isPermanent).reduce((n, f) => n + f.times, 0);
  await sandbox("reset");
  await sandbox("injectFaults", plan);

  // The host's fetch, over real sockets, watched: what the client saw on each try, per event
  // (an HTTP status, "timeout" when the per-try deadline aborted it, or "network").
  const seenByClient = new Map();
  const watchedFetch = async (url, init) => {
    const id = /"event_id":"(load-\d+)"/.exec(init.body)?.[1];
    const tries = seenByClient.get(id) ?? [];
    seenByClient.set(id, tries);
    try {
      const res = await fetch(url, init);
      tries.push(res.status);
      return res;
    } catch (e) {
      tries.push(init.signal?.aborted ? "timeout" : "network");
      throw e;
    }
  };

  // A pool of IN_FLIGHT workers, each taking the next event.
  const outs = new Array(EVENTS);
  let next = 0;
  const started = performance.now();
  const runner = async () => {
    while (next < EVENTS) {
      const i = next++;
      outs[i] = await tag.run(eventFor(i), request, { log: () => {}, fetch: watchedFetch });
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, runner));
  const elapsedMs = performance.now() - started;

  // Tries the client gave up on may still be in the sandbox (a delayed answer): wait until every
  // try it saw has been answered (or dropped), so `received` is final.
  let attempts = await sandbox("attempts");
  for (let waited = 0; attempts.some((a) => a.status === undefined) && waited < 10_000; waited += 50) {
    await sleep(50);
    attempts = await sandbox("attempts");
  }
  assert.ok(!attempts.some((a) => a.status === undefined), "the sandbox still has tries in progress");
  const receivedIds = await sandbox("receivedIds");

  // The whole queue was used, so every injected fault hit some try.
  assert.deepEqual(await sandbox("pendingFaults"), [], `fault queue not used up: ${attempts.length} tries for ${queued} queued`);

  const receivedById = new Map();
  for (const id of receivedIds) receivedById.set(id, (receivedById.get(id) ?? 0) + 1);
  const attemptsById = new Map();
  for (const a of attempts) {
    assert.equal(a.eventIds.length, 1, "one event per request");
    const id = a.eventIds[0];
    if (!attemptsById.has(id)) attemptsById.set(id, []);
    attemptsById.get(id).push(a);
  }

  const TRANSIENT_SEEN = new Set([500, 429, "timeout", "network"]);
  const counts = { accepted: 0, rejected: 0, failed: 0, unconfirmed: 0 };
  let retries = 0;
  let triesByClient = 0;
  let receivedTwiceOrMore = 0;
  let rejectedAfterRetry = 0;
  let clientTimeouts = 0;
  let spuriousTimeouts = 0; // the client timed out on a try the sandbox did not delay
  for (let i = 0; i < EVENTS; i++) {
    const id = `load-${i}`;
    const out = outs[i];
    assert.ok(out, `${id}: no run result`);
    assert.ok(["accepted", "rejected", "failed", "unconfirmed"].includes(out.status), `${id}: status ${out.status}`);
    assert.equal(out.results.length, 1, `${id}: one pixel, one result`);
    const [r] = out.results;
    assert.equal(r.status, out.status, `${id}: run status = result status`);
    assert.ok(Number.isInteger(r.attempts) && r.attempts >= 1 && r.attempts <= RETRY.attempts, `${id}: attempts ${r.attempts}`);
    counts[r.status] += 1;
    retries += r.attempts - 1;
    triesByClient += r.attempts;

    const client = seenByClient.get(id) ?? [];
    const seen = attemptsById.get(id) ?? [];
    const times = receivedById.get(id) ?? 0;
    const what = () => `${id}: ${r.status} after ${r.attempts}; client saw ${JSON.stringify(client)}; sandbox saw ${JSON.stringify(seen)}`;
    if (times > 1) receivedTwiceOrMore += 1;
    clientTimeouts += client.filter((c) => c === "timeout").length;
    assert.equal(client.length, r.attempts, what());
    // Every try the client made reached the sandbox, or so it must when each got an answer (a
    // try aborted or broken before it was sent might not).
    assert.ok(seen.length <= r.attempts, what());
    if (client.every((c) => typeof c === "number")) assert.equal(seen.length, r.attempts, what());
    else spuriousTimeouts += Math.max(0, client.filter((c) => c === "timeout").length - seen.filter((a) => a.faultApplied?.delayMs === SLOW_MS).length);
    // Received at most once per try (a try the client abandoned may still have been received).
    assert.ok(times <= r.attempts, `${id}: received ${times} times in ${r.attempts} tries`);
    // Every try but the last failed transiently, as the client saw it (else the run would stop).
    assert.ok(client.slice(0, -1).every((c) => TRANSIENT_SEEN.has(c)), what());
    const last = client.at(-1);

    if (r.status === "accepted") {
      assert.equal(last, 200, what());
      assert.ok(times >= 1, `${id}: accepted but never received`);
      assert.equal(r.outcome.events_received, 1, what());
      assert.equal(r.request, undefined, `${id}: an accepted request is not handed back`);
    } else {
      // Handed back for the host to queue, with the token redacted.
      const body = r.request?.body;
      assert.equal(typeof body, "string", `${id}: ${r.status} without the request handed back`);
      assert.ok(!body.includes(TOKEN), `${id}: the handed-back body contains the access token`);
      const parsed = JSON.parse(body);
      assert.equal(parsed.access_token, "[redacted]");
      assert.deepEqual(parsed.data.map((e) => e.event_id), [id]);
      assert.ok(!JSON.stringify(out).includes(TOKEN), `${id}: the run result contains the access token`);
    }
    if (r.status === "rejected") {
      // Meta's code 100, from a permanent fault, and no try after it.
      assert.equal(last, 400, what());
      assert.equal(r.outcome.error.code, 100, what());
      assert.equal(r.outcome.error.error_subcode ?? r.outcome.error.subcode, 2804019, what());
      assert.ok(seen.some((a) => isPermanent(a.faultApplied)), what());
      if (r.attempts > 1) rejectedAfterRetry += 1;
    }
    if (r.status === "failed" || r.status === "unconfirmed") {
      assert.equal(r.attempts, RETRY.attempts, what());
      assert.ok(TRANSIENT_SEEN.has(last), what());
    }
    // Unconfirmed exactly when a try may have reached Meta: one timed out or lost its connection.
    const mayHaveReached = client.some((c) => c === "timeout" || c === "network");
    if (r.status === "unconfirmed") assert.ok(mayHaveReached, what());
    if (r.status === "failed") assert.ok(!mayHaveReached, what());
  }

  // Nothing outside the 10,000 reached the sandbox.
  assert.equal(attemptsById.size, EVENTS);
  assert.ok(attempts.length <= triesByClient);
  assert.equal(counts.accepted + counts.rejected + counts.failed + counts.unconfirmed, EVENTS);
  // Each permanent fault hit exactly one try; the event behind it was rejected, unless the client
  // had already given up on that try (then it was retried like any timeout).
  const permanentTries = attempts.filter((a) => isPermanent(a.faultApplied));
  assert.equal(permanentTries.length, permanentInjected);
  const permanentAbandoned = permanentTries.filter((a) => outs[Number(a.eventIds[0].slice(5))].status !== "rejected").length;
  for (const a of permanentTries) {
    const id = a.eventIds[0];
    if (outs[Number(id.slice(5))].status !== "rejected") assert.ok(seenByClient.get(id).includes("timeout"), `${id}: permanent fault not reported`);
  }
  assert.equal(counts.rejected, permanentInjected - permanentAbandoned);

  const faultedTries = attempts.filter(isFaulted).length;
  assert.equal(faultedTries, faultedQueued);
  const seconds = elapsedMs / 1000;
  console.log(
    `load: ${EVENTS} events in ${seconds.toFixed(2)} s = ${Math.round(EVENTS / seconds)} events/s (${IN_FLIGHT} in flight)\n` +
      `  accepted ${counts.accepted}, rejected ${counts.rejected} (of ${permanentInjected} permanent faults; ` +
      `${rejectedAfterRetry} after a transient try first), failed ${counts.failed}, unconfirmed ${counts.unconfirmed}\n` +
      `  retries ${retries} (client timeouts ${clientTimeouts}, of them on undelayed tries ${spuriousTimeouts}); ` +
      `client tries ${triesByClient}, sandbox tries ${attempts.length}, faulted ${faultedTries} ` +
      `(${((100 * faultedTries) / attempts.length).toFixed(1)}%); received ${receivedIds.length} ` +
      `(${receivedTwiceOrMore} events received twice or more)`,
  );
});
