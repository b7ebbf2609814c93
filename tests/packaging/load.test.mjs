// Load: 10,000 distinct events through tag.run against the local Meta CAPI sandbox over real
// loopback sockets, 64 in flight, with a long fault queue spread through the run (500s, 429s
// with Retry-After 0, transient Meta errors, dropped connections, answers slower than the
// per-try timeout, and a few permanent rejections). Every event must be accounted for: exactly
// one final status, accepted ones received by the sandbox, rejected ones never retried after the
// rejection, failed ones handed back redacted, and no event received more often than tried.
// Throughput is printed, never asserted.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createTag } from "omni-meta-capi";
import { startMetaSandbox } from "../../sandbox/meta-sandbox.mjs";

const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
const baseEvent = fixture("purchase-event.json");
const request = fixture("request.json");
const TOKEN = fixture("tag.json").accessToken;

const EVENTS = 10_000;
const IN_FLIGHT = 64;
const RETRY = { attempts: 4, baseDelayMs: 5, maxDelayMs: 50 };
const TIMEOUT_MS = 500;
const SLOW_MS = 800; // > TIMEOUT_MS: the client gives up, the sandbox still serves the request later

let sandbox;
before(async () => {
  sandbox = await startMetaSandbox({ tokens: { [fixture("tag.json").pixelId]: TOKEN } });
});
after(() => sandbox?.close());

/** Deterministic PRNG (mulberry32) so the fault layout is the same on every run. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// `{delayMs: 0}` is a pass-through entry (a delay alone is served normally, and 0 means no wait):
// it lets the queue leave unfaulted requests between the faults, so the faults are spread over
// the whole run instead of hitting its first few hundred requests.
const isPass = (f) => f != null && Object.keys(f).length === 1 && f.delayMs === 0;
const isFaulted = (a) => a.faultApplied != null && !isPass(a.faultApplied);
const isPermanent = (f) => f?.error?.code === 100;

function faultPlan() {
  const rand = prng(20260425);
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
  const tag = createTag({ ...fixture("tag.json"), graphBaseUrl: sandbox.url, retry: RETRY, timeoutMs: TIMEOUT_MS });
  assert.ok(tag.configReport.valid, JSON.stringify(tag.configReport));

  const plan = faultPlan();
  const queued = plan.reduce((n, f) => n + f.times, 0);
  const faultedQueued = plan.filter((f) => !isPass(f)).reduce((n, f) => n + f.times, 0);
  const permanentInjected = plan.filter(isPermanent).reduce((n, f) => n + f.times, 0);
  sandbox.reset();
  sandbox.injectFaults(plan);

  // A pool of IN_FLIGHT workers, each taking the next event.
  const outs = new Array(EVENTS);
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < EVENTS) {
      const i = next++;
      outs[i] = await tag.run(eventFor(i), request, { log: () => {} });
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const elapsedMs = performance.now() - started;

  // Requests the client abandoned (timed out) are still being served by the sandbox: wait until
  // every try it saw has an answer (or was dropped), so `received` is final.
  for (let waited = 0; sandbox.attempts.some((a) => a.status === undefined) && waited < 10_000; waited += 20) await sleep(20);
  assert.ok(!sandbox.attempts.some((a) => a.status === undefined), "the sandbox still has tries in progress");

  // The whole queue was used, so every injected fault hit some try.
  assert.deepEqual(sandbox.pendingFaults, [], `fault queue not used up: ${sandbox.attempts.length} tries for ${queued} queued`);

  const receivedById = new Map();
  for (const r of sandbox.received) for (const e of r.events) receivedById.set(e.event_id, (receivedById.get(e.event_id) ?? 0) + 1);
  const attemptsById = new Map();
  for (const a of sandbox.attempts) {
    assert.equal(a.eventIds.length, 1, "one event per request");
    const id = a.eventIds[0];
    if (!attemptsById.has(id)) attemptsById.set(id, []);
    attemptsById.get(id).push(a);
  }

  const counts = { accepted: 0, rejected: 0, failed: 0 };
  let retries = 0;
  let triesByClient = 0;
  let receivedTwiceOrMore = 0;
  let rejectedAfterRetry = 0;
  for (let i = 0; i < EVENTS; i++) {
    const id = `load-${i}`;
    const out = outs[i];
    assert.ok(out, `${id}: no run result`);
    assert.ok(["accepted", "rejected", "failed"].includes(out.status), `${id}: status ${out.status}`);
    assert.equal(out.results.length, 1, `${id}: one pixel, one result`);
    const [r] = out.results;
    assert.equal(r.status, out.status, `${id}: run status = result status`);
    assert.ok(Number.isInteger(r.attempts) && r.attempts >= 1 && r.attempts <= RETRY.attempts, `${id}: attempts ${r.attempts}`);
    counts[r.status] += 1;
    retries += r.attempts - 1;
    triesByClient += r.attempts;

    const seen = attemptsById.get(id) ?? [];
    const times = receivedById.get(id) ?? 0;
    if (times > 1) receivedTwiceOrMore += 1;
    assert.equal(seen.length, r.attempts, `${id}: the sandbox saw ${seen.length} tries, the run reports ${r.attempts}`);
    assert.ok(times <= r.attempts, `${id}: received ${times} times in ${r.attempts} tries`);
    // Every try but the last was a transient fault (otherwise the run would have stopped there).
    for (const a of seen.slice(0, -1)) {
      assert.ok(isFaulted(a) && !isPermanent(a.faultApplied), `${id}: a try before the last was not a transient fault: ${JSON.stringify(a)}`);
    }
    const last = seen.at(-1);

    if (r.status === "accepted") {
      assert.ok(times >= 1, `${id}: accepted but never received`);
      assert.equal(r.outcome.events_received, 1, `${id}: ${JSON.stringify(r.outcome)}`);
      assert.ok(!isFaulted(last), `${id}: accepted on a faulted try: ${JSON.stringify(last)}`);
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
      assert.equal(r.outcome.error.code, 100, `${id}: ${JSON.stringify(r.outcome)}`);
      assert.equal(r.outcome.error.error_subcode ?? r.outcome.error.subcode, 2804019, `${id}: ${JSON.stringify(r.outcome)}`);
      assert.ok(isPermanent(last.faultApplied), `${id}: rejected, but its last try was ${JSON.stringify(last)}`);
      // No retry after the rejection: the rejecting try is the event's last (checked above via
      // seen.length === attempts); any earlier tries were transient faults.
      if (r.attempts > 1) rejectedAfterRetry += 1;
    }
    if (r.status === "failed") {
      assert.equal(r.attempts, RETRY.attempts, `${id}: failed before using its ${RETRY.attempts} tries`);
      assert.ok(isFaulted(last) && !isPermanent(last.faultApplied), `${id}: failed, but its last try was ${JSON.stringify(last)}`);
    }
  }

  // Nothing outside the 10,000 reached the sandbox, and every try the client made arrived.
  assert.equal(attemptsById.size, EVENTS);
  assert.equal(sandbox.attempts.length, triesByClient);
  assert.equal(counts.accepted + counts.rejected + counts.failed, EVENTS);
  // Each permanent fault hit exactly one try, and a rejected event is never tried again.
  const permanentHit = sandbox.attempts.filter((a) => isPermanent(a.faultApplied)).length;
  assert.equal(permanentHit, permanentInjected);
  assert.equal(counts.rejected, permanentInjected);

  const faultedTries = sandbox.attempts.filter(isFaulted).length;
  assert.equal(faultedTries, faultedQueued);
  const seconds = elapsedMs / 1000;
  console.log(
    `load: ${EVENTS} events in ${seconds.toFixed(2)} s = ${Math.round(EVENTS / seconds)} events/s (${IN_FLIGHT} in flight); ` +
      `accepted ${counts.accepted}, rejected ${counts.rejected} (after a retry: ${rejectedAfterRetry}), failed ${counts.failed}, ` +
      `retries ${retries}, sandbox tries ${sandbox.attempts.length} (faulted ${faultedTries} = ` +
      `${((100 * faultedTries) / sandbox.attempts.length).toFixed(1)}%), received ${sandbox.received.length} ` +
      `(events received more than once: ${receivedTwiceOrMore})`,
  );
});
