// Benchmark: the server container under a bounded load of GA4 hits on loopback, with the local
// Meta CAPI sandbox as the upstream. Run after a build: `node tests/bench/container.bench.mjs`.
// It imports the repo's js/ and container/ directly. Prints; asserts nothing.
//
// Contenders, one after the other, each under the same load (warm-up first, then a timed run):
//   floor    a plain node:http server whose handler only parses the hit's query string with
//            URLSearchParams and answers 204 (keep-alive, same process arrangement as below);
//   node     serve({config, env, port: 0, options}) from js/serve.mjs: one tag -> the sandbox;
//   workerd  startContainerWorker({config, env, port: 0}) from container/start-local.mjs: the same
//            container Worker in real workerd through Miniflare, the same config.
// Per contender: requests/s, p50/p99 latency as the client saw each request, requests, errors
// (anything but a 204, network errors included), and the ratios to the floor. After a container
// run, its background work is waited for (Node: container.idle(); workerd: the sandbox is polled
// until it holds as many events as hits were answered 204, or stops making progress), and the
// events Meta (the sandbox) received are set against the hits sent. Then a memory run: the Node
// container takes BENCH_MEMORY_REQUESTS (100,000) hits the same bounded way; RSS and heapUsed of
// the server process before (after a 5,000-hit warm-up, idle and gc) and after (idle and gc).
//
// Process arrangement (2 cores are shared by everything, so nothing CPU-bound shares a loop):
//   - this process: the server under test only (the floor, serve(), or Miniflare's host side;
//     workerd itself is a separate OS process that Miniflare spawns and that listens on the port).
//     It re-execs itself with --expose-gc when global.gc is missing, for the memory run.
//   - a child process (this file, --role=loadgen): the load generator. BENCH_CONCURRENCY (32)
//     requests in flight over as many keep-alive connections (undici's Pool from node_modules,
//     or a node:http Agent with keepAlive when BENCH_CLIENT=http or undici is missing), a fresh
//     pool per run. It times every request itself and sends back only the statistics.
//   - a child process (this file, --role=sandbox): startMetaSandbox, the upstream of the tags.
//     It folds what it received into counters every 250 ms, so 100,000 stored requests neither
//     grow its memory nor, being another process, count in the container's RSS.
//   Child processes rather than worker threads: a worker thread shares the process's RSS (the
//   memory figure would include the load generator and the sandbox) and its GC pauses.
// The numbers are the whole loopback system's on this machine (load generator, server, sandbox
// and workerd competing for the cores); the ratios against the floor in the same run are the
// figure to read. Background sends overlap the timed run, as they would in production.
//
// The tag config is tests/packaging/fixtures/tag.json with graphBaseUrl = the sandbox and
// logLevel = BENCH_LOG_LEVEL (ERROR by default, for both containers: at INFO, Node's records go
// to a no-op logger while workerd's go to stdout through Miniflare's pipe into this process,
// which is a different cost; in the workerd phase that output is counted and swallowed here).
//
// Knobs (env): BENCH_SECONDS (5), BENCH_WARMUP_SECONDS (2), BENCH_CONCURRENCY (32),
// BENCH_MEMORY_REQUESTS (100000), BENCH_MEMORY_WARMUP (5000), BENCH_LOG_LEVEL (ERROR),
// BENCH_CLIENT (undici | http), BENCH_SKIP (comma list of floor,node,workerd,memory),
// BENCH_BATCH_WINDOW_MS (0: each hit's events are sent on their own).
import { fork, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const SELF = fileURLToPath(import.meta.url);
const ROLE = process.argv.find((a) => a.startsWith("--role="))?.slice("--role=".length) ?? "main";
const num = (name, dflt) => {
  const v = Number(process.env[name] ?? dflt);
  return Number.isFinite(v) && v > 0 ? v : dflt;
};
const SECONDS = num("BENCH_SECONDS", 5);
const WARMUP_SECONDS = num("BENCH_WARMUP_SECONDS", 2);
const CONCURRENCY = Math.floor(num("BENCH_CONCURRENCY", 32));
const MEMORY_REQUESTS = Math.floor(num("BENCH_MEMORY_REQUESTS", 100_000));
const MEMORY_WARMUP = Math.floor(num("BENCH_MEMORY_WARMUP", 5_000));
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? "ERROR";
const BATCH_WINDOW_MS = num("BENCH_BATCH_WINDOW_MS", 0);
const SKIP = new Set((process.env.BENCH_SKIP ?? "").split(",").map((s) => s.trim()).filter(Boolean));
const REQUEST_TIMEOUT_MS = 15_000;
const MAX_NETWORK_ERRORS = 200; // a dead or hung server ends the run instead of stalling it

const fixture = JSON.parse(readFileSync(new URL("../packaging/fixtures/tag.json", import.meta.url), "utf8"));
const UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
const HIT_HEADERS = { "user-agent": UA, accept: "*/*" };
/** A gtag.js page_view hit; the client id and page vary per request (nothing to cache). */
const hitPath = (i) =>
  `/g/collect?v=2&tid=G-1&cid=${1000 + i}.456&en=page_view&dl=https%3A%2F%2Fshop.example.com%2Fp${i % 100}&dr=&ul=en-us&sid=1&sct=1`;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const say = (line = "") => process.stdout.write(`${line}\n`); // not console.log: see the workerd phase

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------
// Role: load generator (child process)

async function makeClient(origin, connections) {
  if (process.env.BENCH_CLIENT !== "http") {
    try {
      const { Pool } = await import("undici");
      const pool = new Pool(origin, { connections, pipelining: 1, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS });
      return {
        kind: "undici Pool",
        async get(path) {
          const { statusCode, body } = await pool.request({ path, method: "GET", headers: HIT_HEADERS });
          await body.dump();
          return statusCode;
        },
        close: () => pool.close(),
      };
    } catch (e) {
      if (e?.code !== "ERR_MODULE_NOT_FOUND") throw e;
    }
  }
  const http = await import("node:http");
  const { hostname, port } = new URL(origin);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  return {
    kind: "node:http Agent(keepAlive)",
    get: (path) =>
      new Promise((resolve, reject) => {
        const req = http.request({ host: hostname, port, path, method: "GET", headers: HIT_HEADERS, agent }, (res) => {
          res.on("error", reject);
          res.on("end", () => resolve(res.statusCode));
          res.resume();
        });
        req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error("request timeout")));
        req.on("error", reject);
        req.end();
      }),
    close: async () => agent.destroy(),
  };
}

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/** `count` requests, or as many as start within `durationMs`; `concurrency` lanes, each one request at a time. */
async function runLoad({ origin, concurrency, durationMs, count, seq0 = 0 }) {
  const client = await makeClient(origin, concurrency);
  const latencies = [];
  const statuses = {};
  const network = {};
  let next = 0;
  let ok = 0;
  let networkErrors = 0;
  let aborted = null;
  const t0 = performance.now();
  const deadline = durationMs ? t0 + durationMs : Infinity;
  let tLast = t0;
  const cpu0 = process.cpuUsage();
  async function lane() {
    for (;;) {
      if (aborted || (count != null ? next >= count : performance.now() >= deadline)) return;
      const i = seq0 + next++;
      const start = performance.now();
      let status;
      try {
        status = await client.get(hitPath(i));
      } catch (e) {
        const kind = e?.code ?? e?.name ?? "error";
        network[kind] = (network[kind] ?? 0) + 1;
        if (++networkErrors >= MAX_NETWORK_ERRORS) aborted = `stopped after ${networkErrors} network errors`;
      }
      const end = performance.now();
      latencies.push(end - start);
      tLast = end;
      if (status !== undefined) statuses[status] = (statuses[status] ?? 0) + 1;
      if (status === 204) ok++;
    }
  }
  try {
    await Promise.all(Array.from({ length: concurrency }, lane));
  } finally {
    await client.close().catch(() => {});
  }
  const cpu = process.cpuUsage(cpu0);
  const seconds = (tLast - t0) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  const mean = latencies.reduce((a, b) => a + b, 0) / (latencies.length || 1);
  return {
    client: client.kind,
    requests: latencies.length,
    ok,
    errors: latencies.length - ok,
    statuses,
    network,
    seconds,
    rps: latencies.length / seconds,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? NaN,
    mean,
    loadgenCpuMs: (cpu.user + cpu.system) / 1000,
    aborted,
  };
}

async function loadgenRole() {
  process.on("disconnect", () => process.exit(0));
  process.on("message", async ({ id, op, args = [] }) => {
    try {
      if (op === "run") process.send({ id, value: await runLoad(...args) });
      else if (op === "exit") {
        process.send({ id, value: true });
        process.exit(0);
      } else throw new Error(`unknown op ${op}`);
    } catch (e) {
      process.send({ id, error: String(e?.stack ?? e) });
    }
  });
  process.send({ ready: true });
}

// ---------------------------------------------------------------------------------------------
// Role: Meta CAPI sandbox (child process)

async function sandboxRole() {
  const { startMetaSandbox } = await import(new URL("../../sandbox/meta-sandbox.mjs", import.meta.url).href);
  const sb = await startMetaSandbox({ tokens: { [fixture.pixelId]: fixture.accessToken } });
  let totals;
  const zero = () => (totals = { events: 0, requests: 0, attempts: 0, byStatus: {}, firstError: null });
  zero();
  /** Fold what the sandbox stored into counters (its arrays would otherwise hold every request). */
  function fold() {
    for (const r of sb.received.splice(0)) {
      totals.requests++;
      totals.events += r.events.length;
    }
    const inFlight = [];
    for (const a of sb.attempts) {
      if (a.status === undefined) {
        inFlight.push(a);
        continue;
      }
      totals.attempts++;
      const k = String(a.status);
      totals.byStatus[k] = (totals.byStatus[k] ?? 0) + 1;
      if (a.status !== 200 && !totals.firstError) totals.firstError = { status: a.status, code: a.errorCode, subcode: a.errorSubcode };
    }
    sb.attempts.length = 0;
    sb.attempts.push(...inFlight);
  }
  setInterval(fold, 250).unref();
  const ops = {
    count: () => (fold(), totals),
    reset: () => (fold(), zero(), true),
    close: () => sb.close().then(() => true),
    memory: () => process.memoryUsage(),
    cpu: () => process.cpuUsage(),
  };
  process.on("disconnect", () => sb.close().finally(() => process.exit(0)));
  process.on("message", async ({ id, op, args = [] }) => {
    try {
      process.send({ id, value: await ops[op](...args) });
    } catch (e) {
      process.send({ id, error: String(e?.stack ?? e) });
    }
  });
  process.send({ ready: true, url: sb.url });
}

// ---------------------------------------------------------------------------------------------
// Role: main (the servers under test, the orchestration, the report)

/** A forked copy of this file in another role, driven by {id, op, args} messages. */
async function startChild(role) {
  const child = fork(SELF, [`--role=${role}`], { execArgv: [], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const pending = new Map();
  let calls = 0;
  let exited = null;
  child.on("exit", (code, signal) => {
    exited = `${role} exited (${signal ?? code})`;
    for (const p of pending.values()) p.reject(new Error(exited));
    pending.clear();
  });
  const ready = await withTimeout(
    new Promise((resolve, reject) => {
      child.once("message", resolve);
      child.once("exit", () => reject(new Error(exited)));
    }),
    30_000,
    `${role} start`,
  );
  child.on("message", (m) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error) p.reject(new Error(`${role}: ${m.error}`));
    else p.resolve(m.value);
  });
  return {
    ready,
    call(op, args, timeoutMs = 60_000) {
      if (exited) return Promise.reject(new Error(exited));
      const id = ++calls;
      const answer = new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
      child.send({ id, op, args });
      return withTimeout(answer, timeoutMs, `${role} ${op}`);
    },
    async stop() {
      if (exited) return;
      child.disconnect?.();
      await withTimeout(new Promise((r) => child.once("exit", r)), 5_000, `${role} exit`).catch(() => child.kill("SIGKILL"));
    },
  };
}

/** The floor: parse the hit's query string, answer 204. Same node:http settings as serve(). */
async function startFloor() {
  let parsed = 0;
  const server = createServer((req, res) => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const params = new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
    if (params.get("en")) parsed++;
    res.writeHead(204);
    res.end();
  });
  server.keepAliveTimeout = 5000;
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    parsed: () => parsed,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

const METRIC_KEYS = ["eventsBuilt", "eventsAccepted", "eventsRejected", "eventsFailed", "eventsInvalid", "eventsSkipped", "requests", "tries", "retries"];
async function tagMetrics(origin) {
  try {
    const res = await fetch(`${origin}/metrics?format=json`);
    if (!res.ok) return { error: `HTTP ${res.status}` };
    const m = (await res.json()).tags?.[0]?.metrics ?? {};
    return Object.fromEntries(METRIC_KEYS.map((k) => [k, m[k] ?? 0]));
  } catch (e) {
    return { error: String(e?.message ?? e) };
  }
}
const metricsDiff = (a, b) => (a.error || b.error ? { error: a.error ?? b.error } : Object.fromEntries(METRIC_KEYS.map((k) => [k, b[k] - a[k]])));

/** Poll the sandbox until it has `target` events, or made no progress for `stallMs`, or `maxMs` passed. */
async function waitForSandbox(sandbox, target, { stallMs = 15_000, maxMs = 90_000 } = {}) {
  const t0 = performance.now();
  let last = -1;
  let lastChange = t0;
  for (;;) {
    const c = await sandbox.call("count");
    const now = performance.now();
    if (c.events >= target) return { ...c, drainMs: now - t0, complete: true };
    if (c.events !== last) {
      last = c.events;
      lastChange = now;
    }
    if (now - lastChange > stallMs || now - t0 > maxMs) return { ...c, drainMs: now - t0, complete: false };
    await sleep(100);
  }
}

/** CPU time (ms) of the workerd processes Miniflare spawned (children of this process; Linux /proc). */
function workerdCpuMs() {
  try {
    let ticks = 0;
    let found = false;
    for (const pid of readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      let stat;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      } catch {
        continue;
      }
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const fields = stat.slice(close + 2).split(" "); // fields[0] = state (field 3)
      if (Number(fields[1]) !== process.pid || !comm.includes("workerd")) continue;
      found = true;
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
    }
    return found ? ticks * 10 : null; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** CPU of every process of the system under test, to diff around a phase. */
async function cpuSnapshot(sandbox, withWorkerd = false) {
  const main = process.cpuUsage();
  const sb = await sandbox.call("cpu");
  return { at: performance.now(), main: (main.user + main.system) / 1000, sandbox: (sb.user + sb.system) / 1000, workerd: withWorkerd ? workerdCpuMs() : null };
}
/** Per-process CPU over a span, in cores (CPU ms / wall ms); loadgen's comes from its own stats. */
function cpuShare(a, b, loadgenCpuMs) {
  const wall = b.at - a.at;
  const cores = (ms) => (ms == null ? null : Number((ms / wall).toFixed(2)));
  return {
    wallMs: Math.round(wall),
    server: cores(b.main - a.main),
    workerd: a.workerd == null || b.workerd == null ? null : cores(b.workerd - a.workerd),
    sandbox: cores(b.sandbox - a.sandbox),
    loadgen: cores(loadgenCpuMs),
  };
}

/** The tag counters once no run is finishing any more (two equal reads 250 ms apart). */
async function settledMetrics(origin, maxMs = 10_000) {
  const t0 = performance.now();
  let prev = await tagMetrics(origin);
  for (;;) {
    await sleep(250);
    const cur = await tagMetrics(origin);
    if (cur.error || JSON.stringify(cur) === JSON.stringify(prev) || performance.now() - t0 > maxMs) return cur;
    prev = cur;
  }
}

const mb = (bytes) => bytes / (1024 * 1024);
const fmt = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");
const int = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "n/a");

async function gcFully() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((r) => setImmediate(r));
  }
}

async function main() {
  if (typeof globalThis.gc !== "function") {
    // Re-exec with --expose-gc (the memory run needs global.gc); the child does the whole job.
    const child = spawn(process.execPath, ["--expose-gc", ...process.execArgv, SELF, ...process.argv.slice(2)], { stdio: "inherit" });
    const forward = (sig) => child.kill(sig);
    process.on("SIGINT", forward).on("SIGTERM", forward);
    child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
    return;
  }

  const started = performance.now();
  say(`container bench: Node ${process.version}, ${(await import("node:os")).availableParallelism?.() ?? "?"} cores, ${CONCURRENCY} in flight, ${SECONDS} s per run after ${WARMUP_SECONDS} s warm-up, logLevel ${LOG_LEVEL}`);

  const results = {};
  const cleanups = []; // run in reverse in finally
  let failed = null;
  try {
    const [sandbox, loadgen] = await Promise.all([startChild("sandbox"), startChild("loadgen")]);
    cleanups.push(() => loadgen.stop(), () => sandbox.call("close", [], 5_000).catch(() => {}).then(() => sandbox.stop()));
    const sandboxUrl = sandbox.ready.url;
    const tagConfig = { ...fixture, graphBaseUrl: sandboxUrl, logLevel: LOG_LEVEL };
    // BENCH_BATCH_WINDOW_MS: send the events of many hits together (the container's batchWindowMs).
    const config = BATCH_WINDOW_MS > 0 ? { tags: [tagConfig], batchWindowMs: BATCH_WINDOW_MS } : tagConfig;
    say(`sandbox ${sandboxUrl} (child process), load generator (child process)`);

    let seq = 0; // hit numbers go on across runs: every hit has its own client id
    const load = async (origin, { durationMs, count }) => {
      const args = { origin, concurrency: CONCURRENCY, durationMs, count, seq0: seq };
      const budget = (durationMs ?? count * 5) + 120_000; // generous: the load generator stops itself on network errors
      const stats = await loadgen.call("run", [args], budget);
      seq += stats.requests;
      return stats;
    };
    const warmup = (origin) => load(origin, { durationMs: WARMUP_SECONDS * 1000 });
    const timed = (origin) => load(origin, { durationMs: SECONDS * 1000 });

    // 1. The floor.
    if (!SKIP.has("floor")) {
      const floor = await startFloor();
      try {
        await warmup(floor.url);
        const c0 = await cpuSnapshot(sandbox);
        const stats = await timed(floor.url);
        const c1 = await cpuSnapshot(sandbox);
        results.floor = { ...stats, serverCpuUsPerHit: (1000 * (c1.main - c0.main)) / stats.requests, cpu: cpuShare(c0, c1, stats.loadgenCpuMs) };
      } finally {
        await floor.close();
      }
      say(`floor: ${int(results.floor.rps)} req/s, p50 ${fmt(results.floor.p50)} ms, p99 ${fmt(results.floor.p99)} ms (client: ${results.floor.client})`);
    }

    // 2. The container on Node: serve().
    if (!SKIP.has("node")) {
      const { serve } = await import(new URL("../../js/serve.mjs", import.meta.url).href);
      const tally = { results: {}, logRecords: 0, logByLevel: {}, firstProblem: null };
      const options = {
        log: (record) => {
          tally.logRecords++;
          tally.logByLevel[record.level] = (tally.logByLevel[record.level] ?? 0) + 1;
          if (record.level === "ERROR" && !tally.firstProblem) tally.firstProblem = record.message;
        },
        onResult: (result) => {
          tally.results[result.status] = (tally.results[result.status] ?? 0) + 1;
          if (result.status !== "accepted" && !tally.firstProblem) tally.firstProblem = JSON.stringify(result.results ?? result.report).slice(0, 300);
        },
      };
      const server = await serve({ config, env: {}, port: 0, host: "127.0.0.1", options });
      cleanups.push(() => server.close());
      if (!server.container.report.valid) throw new Error(`container config invalid: ${JSON.stringify(server.container.report)}`);
      try {
        await warmup(server.url);
        await withTimeout(server.container.idle(), 120_000, "node warm-up idle");
        await sandbox.call("reset");
        tally.results = {};
        const m0 = await tagMetrics(server.url);
        const c0 = await cpuSnapshot(sandbox);
        const stats = await timed(server.url);
        const t0 = performance.now();
        await withTimeout(server.container.idle(), 120_000, "node container idle");
        const idleMs = performance.now() - t0;
        const c1 = await cpuSnapshot(sandbox);
        const got = await sandbox.call("count");
        const m1 = await tagMetrics(server.url);
        results.node = {
          ...stats,
          drainMs: idleMs,
          serverCpuUsPerHit: (1000 * (c1.main - c0.main)) / stats.requests,
          cpu: cpuShare(c0, c1, stats.loadgenCpuMs),
          sandbox: got,
          onResult: tally.results,
          tagMetrics: metricsDiff(m0, m1),
          logRecords: tally.logRecords,
          firstProblem: tally.firstProblem,
        };
      } finally {
        cleanups.pop();
        await server.close();
      }
      const n = results.node;
      say(`node: ${int(n.rps)} req/s, p50 ${fmt(n.p50)} ms, p99 ${fmt(n.p99)} ms; idle ${int(n.drainMs)} ms after the last answer; Meta got ${n.sandbox.events}/${n.ok} events`);
    }

    // 3. The container in workerd (Miniflare).
    if (!SKIP.has("workerd")) {
      const { startContainerWorker } = await import(new URL("../../container/start-local.mjs", import.meta.url).href);
      // Miniflare pipes workerd's stdout/stderr into console.log/console.error of this process:
      // count it and keep the first lines instead of printing (progress goes through `say`).
      const captured = { lines: 0, first: [] };
      const saved = { log: console.log, error: console.error, warn: console.warn, info: console.info };
      const capture = (...args) => {
        captured.lines++;
        if (captured.first.length < 5) captured.first.push(args.map(String).join(" ").slice(0, 400));
      };
      Object.assign(console, { log: capture, error: capture, warn: capture, info: capture });
      let worker;
      try {
        const t0 = performance.now();
        worker = await startContainerWorker({ config, env: {}, port: 0, host: "127.0.0.1" });
        const startMs = performance.now() - t0;
        const origin = worker.url.replace(/\/$/, "");
        const warm = await warmup(origin);
        const warmDrain = await waitForSandbox(sandbox, warm.ok, { stallMs: 10_000, maxMs: 60_000 });
        const m0 = await settledMetrics(origin); // the sandbox counts an event before the tag counts its answer
        await sandbox.call("reset");
        const c0 = await cpuSnapshot(sandbox, true);
        const stats = await timed(origin);
        const got = await waitForSandbox(sandbox, stats.ok);
        const c1 = await cpuSnapshot(sandbox, true);
        const m1 = await settledMetrics(origin);
        results.workerd = {
          ...stats,
          startMs,
          serverCpuUsPerHit: c0.workerd == null || c1.workerd == null ? null : (1000 * (c1.workerd - c0.workerd)) / stats.requests,
          cpu: cpuShare(c0, c1, stats.loadgenCpuMs),
          drainMs: got.drainMs,
          drainComplete: got.complete,
          warmupDrainComplete: warmDrain.complete,
          sandbox: { events: got.events, requests: got.requests, attempts: got.attempts, byStatus: got.byStatus, firstError: got.firstError },
          tagMetrics: metricsDiff(m0, m1),
        };
      } finally {
        Object.assign(console, saved);
        if (worker) await worker.close().catch((e) => say(`workerd close failed: ${e?.message ?? e}`));
      }
      results.workerd.workerdOutput = captured;
      const w = results.workerd;
      say(`workerd: ${int(w.rps)} req/s, p50 ${fmt(w.p50)} ms, p99 ${fmt(w.p99)} ms; Meta got ${w.sandbox.events}/${w.ok} events ${w.drainComplete ? "" : "(gave up waiting) "}${int(w.drainMs)} ms after the last answer; workerd printed ${captured.lines} line(s)`);
    }

    // 4. Memory: the Node container over MEMORY_REQUESTS hits.
    if (!SKIP.has("memory")) {
      const { serve } = await import(new URL("../../js/serve.mjs", import.meta.url).href);
      const tally = { results: {} };
      const options = {
        log: () => {},
        onResult: (result) => (tally.results[result.status] = (tally.results[result.status] ?? 0) + 1),
      };
      const server = await serve({ config, env: {}, port: 0, host: "127.0.0.1", options });
      cleanups.push(() => server.close());
      try {
        await load(server.url, { count: MEMORY_WARMUP });
        await withTimeout(server.container.idle(), 120_000, "memory warm-up idle");
        await sandbox.call("reset");
        tally.results = {};
        await gcFully();
        const before = process.memoryUsage();
        let peakRss = before.rss;
        let peakHeap = before.heapUsed;
        const sampler = setInterval(() => {
          const m = process.memoryUsage();
          peakRss = Math.max(peakRss, m.rss);
          peakHeap = Math.max(peakHeap, m.heapUsed);
        }, 250);
        let stats, idleMs, c0, c1;
        try {
          c0 = await cpuSnapshot(sandbox);
          stats = await load(server.url, { count: MEMORY_REQUESTS });
          const t0 = performance.now();
          await withTimeout(server.container.idle(), 180_000, "memory run idle");
          idleMs = performance.now() - t0;
          c1 = await cpuSnapshot(sandbox);
        } finally {
          clearInterval(sampler);
        }
        const beforeGc = process.memoryUsage();
        await gcFully();
        await sleep(200);
        await gcFully();
        const after = process.memoryUsage();
        const got = await sandbox.call("count");
        const heapGrowth = after.heapUsed - before.heapUsed;
        results.memory = {
          requests: stats.requests,
          ok: stats.ok,
          errors: stats.errors,
          statuses: stats.statuses,
          network: stats.network,
          aborted: stats.aborted,
          rps: stats.rps,
          p50: stats.p50,
          p99: stats.p99,
          drainMs: idleMs,
          serverCpuUsPerHit: (1000 * (c1.main - c0.main)) / stats.requests,
          cpu: cpuShare(c0, c1, stats.loadgenCpuMs),
          sandbox: got,
          onResult: tally.results,
          before: { rss: before.rss, heapUsed: before.heapUsed, external: before.external, arrayBuffers: before.arrayBuffers },
          after: { rss: after.rss, heapUsed: after.heapUsed, external: after.external, arrayBuffers: after.arrayBuffers },
          afterIdleBeforeGc: { rss: beforeGc.rss, heapUsed: beforeGc.heapUsed },
          peak: { rss: peakRss, heapUsed: peakHeap },
          rssGrowth: after.rss - before.rss,
          heapGrowth,
          heapGrowthPct: (100 * heapGrowth) / before.heapUsed,
          grewOver20PctOfHeap: heapGrowth > 0.2 * before.heapUsed,
        };
      } finally {
        cleanups.pop();
        await server.close();
      }
      const m = results.memory;
      say(`memory: ${int(m.requests)} hits, ${int(m.rps)} req/s, heapUsed ${fmt(mb(m.before.heapUsed), 1)} -> ${fmt(mb(m.after.heapUsed), 1)} MB, rss ${fmt(mb(m.before.rss), 1)} -> ${fmt(mb(m.after.rss), 1)} MB`);
    }
  } catch (e) {
    failed = e;
  } finally {
    for (const c of cleanups.reverse()) await Promise.resolve().then(c).catch((e) => say(`cleanup: ${e?.message ?? e}`));
  }

  report(results, (performance.now() - started) / 1000, failed);
  if (failed) process.exitCode = 1;
}

function report(results, wallSeconds, failed) {
  const floor = results.floor;
  const rows = [];
  const line = (name, r) => {
    if (!r) return;
    const ratio = (x, f) => (floor && name !== "floor" ? `${fmt(x / f)}x` : "");
    rows.push([
      name,
      int(r.rps),
      fmt(r.p50),
      fmt(r.p99),
      int(r.requests),
      int(r.errors),
      ratio(r.rps, floor?.rps),
      ratio(r.p50, floor?.p50),
      ratio(r.p99, floor?.p99),
      r.sandbox ? `${r.sandbox.events}/${r.ok}` : "",
      r.drainMs != null ? int(r.drainMs) : "",
    ]);
  };
  line("floor (node:http + URLSearchParams)", floor);
  line("node container (serve)", results.node);
  line("workerd container (Miniflare)", results.workerd);
  line("node container, memory run", results.memory);
  const head = ["contender", "req/s", "p50 ms", "p99 ms", "requests", "errors", "rps/floor", "p50/floor", "p99/floor", "Meta got/hits", "drain ms"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const fmtRow = (r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join("  ");
  say();
  say(`Server container on loopback: ${CONCURRENCY} requests in flight, ${SECONDS} s timed runs, Node ${process.version}; latency per request, client side`);
  say(fmtRow(head));
  say(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) say(fmtRow(r));
  say("(Meta got/hits: events the sandbox accepted vs hits answered 204; drain ms: from the last answer until the background sends were done)");

  for (const [name, r] of Object.entries(results)) {
    if (!r) continue;
    const notes = [];
    if (r.aborted) notes.push(`LOAD ABORTED: ${r.aborted}`);
    if (r.errors) notes.push(`errors ${r.errors}: statuses ${JSON.stringify(r.statuses)} network ${JSON.stringify(r.network)}`);
    if (r.serverCpuUsPerHit != null) notes.push(`${name === "workerd" ? "workerd-process" : "server-process"} CPU ${fmt(r.serverCpuUsPerHit, 0)} us/hit${name === "floor" ? "" : " (incl. background sends)"}`);
    if (r.cpu) notes.push(`cores used over ${int(r.cpu.wallMs)} ms: ${Object.entries(r.cpu).filter(([k, v]) => k !== "wallMs" && v != null).map(([k, v]) => `${k === "server" && name === "workerd" ? "this process (Miniflare host)" : k} ${v}`).join(", ")}`);
    if (r.onResult) notes.push(`onResult ${JSON.stringify(r.onResult)}`);
    if (r.tagMetrics) notes.push(`tag counters ${JSON.stringify(r.tagMetrics)}`);
    if (r.sandbox && name !== "floor") notes.push(`sandbox ${JSON.stringify({ requests: r.sandbox.requests, attempts: r.sandbox.attempts, byStatus: r.sandbox.byStatus, ...(r.sandbox.firstError ? { firstError: r.sandbox.firstError } : {}) })}`);
    if (r.logRecords) notes.push(`log records ${r.logRecords}`);
    if (r.firstProblem) notes.push(`first problem: ${r.firstProblem}`);
    if (r.startMs != null) notes.push(`start ${int(r.startMs)} ms (bundle + workerd)`);
    if (r.drainComplete === false) notes.push(`gave up waiting for the sandbox after ${int(r.drainMs)} ms`);
    if (r.workerdOutput?.lines) notes.push(`workerd printed ${r.workerdOutput.lines} line(s), first: ${JSON.stringify(r.workerdOutput.first)}`);
    if (notes.length) say(`  ${name}: ${notes.join("; ")}`);
  }

  const m = results.memory;
  if (m) {
    say();
    say(`Memory, node container, ${int(m.requests)} hits (${int(MEMORY_WARMUP)}-hit warm-up, idle + gc before; idle + gc after):`);
    const mrow = (label, a, b) => say(`  ${label.padEnd(10)} ${fmt(mb(a), 1).padStart(8)} MB -> ${fmt(mb(b), 1).padStart(8)} MB  (${b - a >= 0 ? "+" : ""}${fmt(mb(b - a), 1)} MB)`);
    mrow("rss", m.before.rss, m.after.rss);
    mrow("heapUsed", m.before.heapUsed, m.after.heapUsed);
    mrow("external", m.before.external, m.after.external);
    say(`  peak during the run: rss ${fmt(mb(m.peak.rss), 1)} MB, heapUsed ${fmt(mb(m.peak.heapUsed), 1)} MB; after idle, before gc: heapUsed ${fmt(mb(m.afterIdleBeforeGc.heapUsed), 1)} MB`);
    say(`  heap grew by ${fmt(m.heapGrowthPct, 1)}% -> ${m.grewOver20PctOfHeap ? "MORE than 20% of the heap (look for a leak)" : "not more than 20% of the heap"}`);
  }
  say(`wall time ${fmt(wallSeconds, 1)} s`);
  if (failed) say(`FAILED: ${failed?.stack ?? failed}`);

  const round = (x, d = 2) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null);
  const summary = { concurrency: CONCURRENCY, seconds: SECONDS, nodeVersion: process.version, wallSeconds: round(wallSeconds, 1), ok: !failed };
  for (const [name, r] of Object.entries(results)) {
    if (!r) continue;
    summary[name] = {
      rps: round(r.rps, 0),
      p50Ms: round(r.p50, 3),
      p99Ms: round(r.p99, 3),
      requests: r.requests,
      errors: r.errors,
      ...(floor && name !== "floor" && name !== "memory"
        ? { rpsRatio: round(r.rps / floor.rps, 3), p50Ratio: round(r.p50 / floor.p50, 3), p99Ratio: round(r.p99 / floor.p99, 3) }
        : {}),
      ...(r.sandbox ? { hits: r.ok, metaEvents: r.sandbox.events, drainMs: round(r.drainMs, 0) } : {}),
      ...(r.serverCpuUsPerHit != null ? { serverCpuUsPerHit: round(r.serverCpuUsPerHit, 0) } : {}),
      ...(r.cpu ? { cores: r.cpu } : {}),
    };
  }
  if (m) {
    Object.assign(summary.memory, {
      rssBefore: m.before.rss,
      rssAfter: m.after.rss,
      heapUsedBefore: m.before.heapUsed,
      heapUsedAfter: m.after.heapUsed,
      heapGrowthPct: round(m.heapGrowthPct, 1),
      grewOver20PctOfHeap: m.grewOver20PctOfHeap,
    });
  }
  if (failed) summary.error = String(failed?.message ?? failed).split("\n")[0];
  say(`RESULT ${JSON.stringify(summary)}`);
}

if (ROLE === "loadgen") await loadgenRole();
else if (ROLE === "sandbox") await sandboxRole();
else await main();
