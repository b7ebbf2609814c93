// Load through the durable queue, as installed: 50,000 gtag hits over HTTP into `serve --queue`,
// Meta (the sandbox, in a worker thread) faulting about 7% of its tries — 500s, 429s, transient
// errors, dropped connections and answers past the timeout. Every accepted event_id must reach
// Meta (duplicates only of the same event_id, from tries whose answer was lost), and nothing
// else. Throughput is printed, never asserted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { runHitLoad } from "./queue-load.mjs";

const cli = fileURLToPath(new URL("./node_modules/omni-meta-capi/js/cli.mjs", import.meta.url));
const EVENTS = 50_000;

test(`load: ${EVENTS} hits through serve --queue with ~7% of Meta's tries faulted: accepted == delivered, 0 lost`, { timeout: 300_000 }, async () => {
  const r = await runHitLoad({ cli, events: EVENTS, queue: true });
  assert.deepEqual(r.statuses, { 204: EVENTS }, "every hit accepted");
  const received = new Set(r.received);
  const lost = r.accepted.filter((id) => !received.has(id));
  assert.deepEqual(lost.slice(0, 10), [], `${lost.length} accepted events never reached Meta`);
  const accepted = new Set(r.accepted);
  assert.deepEqual(r.received.filter((id) => !accepted.has(id)).slice(0, 10), [], "Meta got only accepted events");
  assert.equal(received.size, EVENTS);
  assert.ok(r.faultedTries > 0, "the fault plan hit some tries");
  const s = r.elapsedMs / 1000;
  console.log(
    `queue load: ${EVENTS} hits in ${s.toFixed(1)} s = ${Math.round(EVENTS / s)} hits/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms; ` +
      `drained ${r.drainedMs.toFixed(0)} ms after the last answer; ${r.metaRequests} Meta requests accepted of ${r.tries} tries ` +
      `(${r.faultedTries} faulted, ${((100 * r.faultedTries) / r.tries).toFixed(1)}%); ${r.received.length - received.size} duplicate deliveries (same event_id); ` +
      `serve peak RSS ${r.rssMb?.toFixed(0)} MB`,
  );
});
