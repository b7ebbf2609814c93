// The server container with and without the durable queue, under the same load: 50,000 gtag
// hits over loopback (32 in flight) into `omni-meta-capi serve` in its own process, the Meta
// sandbox in a worker thread faulting ~7% of its tries. Three runs: in memory (one Meta request
// per hit, today's default), in memory with batchWindowMs 250, and `--queue` (SQLite outbox,
// batches of up to 1,000). Prints hits/s, answer latency p50/p99, how long delivery took after
// the last answer, Meta requests, lost events and the server's peak RSS. Asserts nothing.
//   node tests/bench/queue.bench.mjs [EVENTS]
import { fileURLToPath } from "node:url";
import { runHitLoad } from "../packaging/queue-load.mjs";

const cli = fileURLToPath(new URL("../../js/cli.mjs", import.meta.url));
const events = Number(process.argv[2] ?? 50_000);
const runs = [
  ["in memory", { queue: false }],
  ["in memory, batchWindowMs 250", { queue: false, batchWindowMs: 250 }],
  ["--queue (SQLite)", { queue: true }],
];
for (const [name, options] of runs) {
  const r = await runHitLoad({ cli, events, ...options });
  const received = new Set(r.received);
  const lost = r.accepted.filter((id) => !received.has(id)).length;
  const s = r.elapsedMs / 1000;
  console.log(
    `${name.padEnd(30)} ${Math.round(events / s)} hits/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ` +
      `delivered ${received.size}/${r.accepted.length} (${lost} lost) ${(r.drainedMs / 1000).toFixed(1)} s after the last answer, ` +
      `${r.metaRequests} Meta requests (${r.faultedTries} of ${r.tries} tries faulted), peak RSS ${r.rssMb?.toFixed(0)} MB`,
  );
}
