// A load run against `omni-meta-capi serve` in its own process: N gtag hits (one distinct event
// each) over loopback, `inFlight` at a time, the Meta sandbox in a worker thread with a fault
// plan spread through the run. Used by queue_load.test.mjs (correctness, with the queue) and
// tests/bench/queue.bench.mjs (throughput with and without it). Bounded: N hits, then it stops.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSandboxWorker } from "./sandbox-worker.mjs";

const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const SLOW_MS = 2000; // above the tag's 1,500 ms per-try timeout: the answer is lost, Meta has it

/**
 * Faults for about `share` of Meta's tries: a pass-through run ({delayMs: 0}) then one transient
 * fault, cycling through 500, 429, a transient Meta error, a dropped connection and an answer
 * slower than the timeout.
 */
export function faultPlan(share, rounds = 400) {
  const kinds = [{ status: 500 }, { status: 429, retryAfter: 0 }, { error: { code: 2, is_transient: true } }, { drop: true }, { delayMs: SLOW_MS }];
  const pass = Math.max(1, Math.round(1 / share) - 1);
  return Array.from({ length: rounds }, (_, i) => [{ times: pass, delayMs: 0 }, { times: 1, ...kinds[i % kinds.length] }]).flat();
}
const isPass = (f) => f != null && f.delayMs === 0 && !f.status && !f.error && !f.drop;

/**
 * `omni-meta-capi serve` in its own process on a free port (with `--queue` when `queueFile` is
 * given): `{url, child, stdout(), stderr()}` once it listens.
 */
export async function spawnServe(cli, configPath, queueFile) {
  const args = [cli, "serve", "--config", configPath, "--port", "0"];
  if (queueFile) args.push("--queue", queueFile);
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  const url = await new Promise((resolve, reject) => {
    child.stderr.on("data", (d) => {
      err += d;
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  return { url, child, stdout: () => out, stderr: () => err };
}

/** Percentile of sorted numbers. */
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** The peak resident memory of a process (MB), from /proc. */
function peakRssMb(pid) {
  try {
    const kb = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * @param {{cli: string, events: number, inFlight?: number, queue?: boolean, batchWindowMs?: number,
 *   faultShare?: number, drainMs?: number}} o
 * @returns {Promise<{accepted: string[], received: string[], elapsedMs: number, p50: number,
 *   p99: number, rssMb: number|null, metaRequests: number, tries: number, faultedTries: number,
 *   drainedMs: number, statuses: Record<string, number>}>}
 */
export async function runHitLoad({ cli, events, inFlight = 32, queue = true, batchWindowMs = 0, faultShare = 0.07, drainMs = 120_000 }) {
  const tag = fixture("tag.json");
  const sandbox = await startSandboxWorker({ tokens: { [tag.pixelId]: tag.accessToken } });
  const dir = mkdtempSync(join(tmpdir(), "omni-load-"));
  const config = {
    tags: [{ name: "main", ...tag, graphBaseUrl: sandbox.url, logLevel: "ERROR" }],
    allowedOrigins: ["https://www.shop.example.com"],
    rateLimit: false, // one load generator plays every visitor
    batchWindowMs,
    maxInFlight: 1_000_000,
    queue: { baseDelayMs: 200, maxDelayMs: 1000 },
  };
  writeFileSync(join(dir, "config.json"), JSON.stringify(config));
  const { url, child } = await spawnServe(cli, join(dir, "config.json"), queue ? join(dir, "queue.db") : undefined);
  try {
    const plan = faultPlan(faultShare);
    await sandbox.call("injectFaults", plan);
    const accepted = [];
    const statuses = {};
    const latencies = [];
    let next = 0;
    const started = performance.now();
    const dl = encodeURIComponent("https://www.shop.example.com/p/shoe");
    const worker = async () => {
      while (next < events) {
        const i = next++;
        const id = `hit-${i}`;
        const t0 = performance.now();
        const res = await fetch(`${url}/g/collect?v=2&tid=G-LOAD&cid=${i}.1&en=page_view&dl=${dl}&ep.event_id=${id}`, {
          method: "POST",
          headers: { "user-agent": `UA-load-${i}`, origin: "https://www.shop.example.com" },
        });
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status === 204) accepted.push(id);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    const elapsedMs = performance.now() - started;
    // Everything accepted must reach Meta; wait until it has, or nothing new arrived for 10 s
    // (an in-memory run gives events up), at most drainMs.
    const want = new Set(accepted);
    let received = [];
    let lastChange = performance.now();
    for (let waited = 0; waited < drainMs; waited += 200) {
      const now = await sandbox.call("receivedIds");
      if (now.length !== received.length) lastChange = performance.now();
      received = now;
      if (new Set(received).size >= want.size || performance.now() - lastChange > 10_000) break;
      await sleep(200);
    }
    const drainedMs = performance.now() - started - elapsedMs;
    const attempts = await sandbox.call("attempts");
    latencies.sort((a, b) => a - b);
    return {
      accepted,
      received,
      elapsedMs,
      drainedMs,
      p50: pct(latencies, 50),
      p99: pct(latencies, 99),
      rssMb: peakRssMb(child.pid),
      metaRequests: await sandbox.call("requests"),
      tries: attempts.length,
      faultedTries: attempts.filter((a) => a.faultApplied != null && !isPass(a.faultApplied)).length,
      statuses,
    };
  } finally {
    child.kill("SIGTERM");
    await once(child, "exit");
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
