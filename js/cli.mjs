#!/usr/bin/env node
// omni-meta-capi command line. I/O only: lines are handed to wasm in chunks, which does the work.
import { createReadStream, existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createTag, doctor, normalizeLines } from "./node.mjs";

const USAGE = `usage: omni-meta-capi <command>

commands:
  normalize [--summary] [FILE]
                     read JSON lines {"field": "em", "value": "..."} from FILE or stdin and write
                     one JSON line per input line: {"field", "value", "normalized", "hash"}, or
                     "normalized": null with a "reason" when the value is dropped. Exit status 1
                     when any line was malformed or named an unknown field. --summary
                     prints the counts to stderr at the end.

  identity erase --endpoint URL [--email E] [--phone P] [--anonymous-id A] [--user-id U] [--uuid U]
                     erase people from an identity service (a GDPR/CCPA deletion request): every
                     person owning one of the identifiers, with their identifiers, aliases and
                     journal. URL is the API base (https://identity.example.com/api/v1); the token
                     (scope "erase") comes from IDENTITY_TOKEN. Prints what was deleted (counts).
                     Exit status 0 done, 2 refused by the service or unreachable, 1 usage errors.

  build --config FILE --event FILE [--request FILE] [--now UNIX_SECONDS]
                     build the Meta request(s) for one sGTM event and print
                     {"status", "requests": [{"url", "method", "headers", "body"}],
                     "report": {"valid", "errors", "warnings"}, "cookies"}. --now fixes the clock.
                     Exit status: 0 built, 2 invalid input (the report says why), 3 skipped
                     (consent), 1 usage or file errors.

  send --config FILE --event FILE [--request FILE]
                     build and send (to the config's graphBaseUrl, e.g. the local sandbox),
                     retrying transient failures; print the outcome as JSON; log records go to
                     stderr as JSON lines. Exit status: 0 accepted by Meta, 2 invalid, 3 skipped,
                     4 rejected, 5 failed after retries, 6 unconfirmed (timed out: Meta may
                     have it), 1 usage or file errors.

  doctor --config FILE [--json]
                     check a tag config against the real world: the config reads without errors;
                     the access token can read each pixel (a Graph API read through graphBaseUrl,
                     token in a header); Meta accepts a test event when testEventCode is set; the
                     identity service answers and accepts its token; the error monitor is
                     reachable; the clock agrees with Meta's. One PASS/WARN/FAIL/SKIP line per
                     check with a fix hint; --json prints {"ok", "checks"}. Exit status 0 when no
                     check failed, 2 when one did, 1 usage or file errors.

  serve --config FILE [--port 8080] [--host 127.0.0.1] [--queue QUEUE_FILE]
                     run the server container: /g/collect (GA4 hits from gtag.js), /event
                     (JSON, with Authorization: Bearer <one of eventTokens>), /healthz, /readyz,
                     /metrics, /dashboard. FILE is the container config ({"tags": [...],
                     "allowedOrigins", "eventTokens", "batchWindowMs", ...}) or one tag config;
                     secrets may come from the environment (META_ACCESS_TOKEN, EVENT_TOKENS,
                     EVENT_SIGNING_SECRET, IDENTITY_TOKEN, IDENTITY_ENDPOINT, ALLOWED_ORIGINS,
                     METRICS_TOKEN, DASHBOARD_TOKEN). --queue keeps every accepted event in a
                     SQLite outbox until Meta accepted it (durable, at-least-once; the config's
                     queue.path does the same). Log records go to stdout as JSON lines. Runs
                     until SIGINT or SIGTERM; then, with a queue, finishes the batch in hand and
                     leaves the rest queued; without one, drains the events already accepted.
                     Exit status 1 when the config has errors.

  queue stats|list|retry|purge --queue QUEUE_FILE [--reason TEXT] [--limit N] [--json]
                     the outbox of serve --queue: stats (events waiting, due, dead letters by
                     reason), list (dead letters: event_id, event name, tag, attempts, reason;
                     never event data), retry (move dead letters back to be sent, all or those
                     whose reason contains --reason TEXT), purge (delete those dead letters).
                     Safe while serve runs. Exit status 0, 1 usage or file errors.
`;

/** --name value pairs. */
function options(args) {
  const out = {};
  for (let i = 0; i < args.length; i += 2) {
    if (!args[i].startsWith("--") || args[i + 1] === undefined) throw new UsageError(`bad argument: ${args[i]}`);
    out[args[i].slice(2)] = args[i + 1];
  }
  return out;
}

class UsageError extends Error {}

/** A JSON file's content; the text is handed to wasm as is, so wasm reports bad JSON. */
function readJson(path, what) {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${e.message}`);
  }
}

async function buildCommand(args) {
  const opts = options(args);
  if (!opts.config || !opts.event) throw new UsageError("build needs --config FILE and --event FILE");
  const tag = createTag(readJson(opts.config, "config"));
  const request = opts.request ? readJson(opts.request, "request") : {};
  const now = opts.now !== undefined ? Number(opts.now) * 1000 : Date.now();
  const result = tag.build(readJson(opts.event, "event"), request, { now });
  await write(JSON.stringify(result, null, 2) + "\n");
  return { ready: 0, invalid: 2, skipped: 3 }[result.status] ?? 2;
}

function write(text) {
  return new Promise((resolve) => (process.stdout.write(text) ? resolve() : process.stdout.once("drain", resolve)));
}

async function normalizeCommand(args) {
  const summary = args.includes("--summary");
  const file = args.find((a) => a !== "--summary");
  const input = file && file !== "-" ? createReadStream(file) : process.stdin;
  input.setEncoding("utf8");
  let pending = "";
  let line = 1;
  const counts = { hashed: 0, dropped: 0, errors: 0 };
  const flush = async (text) => {
    const r = normalizeLines(text, line);
    line += r.lines;
    for (const k of Object.keys(counts)) counts[k] += r[k];
    if (r.output) await write(r.output);
  };
  for await (const chunk of input) {
    pending += chunk;
    const cut = pending.lastIndexOf("\n");
    if (cut < 0) continue;
    const whole = pending.slice(0, cut + 1);
    pending = pending.slice(cut + 1);
    await flush(whole);
  }
  if (pending) await flush(pending);
  if (summary) {
    process.stderr.write(`${line - 1} lines: ${counts.hashed} hashed, ${counts.dropped} dropped, ${counts.errors} malformed\n`);
  }
  return counts.errors > 0 ? 1 : 0;
}

async function sendCommand(args) {
  const opts = options(args);
  if (!opts.config || !opts.event) throw new UsageError("send needs --config FILE and --event FILE");
  const tag = createTag(readJson(opts.config, "config"));
  const request = opts.request ? readJson(opts.request, "request") : {};
  const log = (record) => process.stderr.write(JSON.stringify(record) + "\n");
  const { logs, ...outcome } = await tag.run(readJson(opts.event, "event"), request, { log });
  await write(JSON.stringify(outcome, null, 2) + "\n");
  return { accepted: 0, invalid: 2, skipped: 3, rejected: 4, failed: 5, unconfirmed: 6 }[outcome.status] ?? 5;
}

async function doctorCommand(args) {
  const json = args.includes("--json");
  const opts = options(args.filter((a) => a !== "--json"));
  if (!opts.config) throw new UsageError("doctor needs --config FILE");
  let text;
  try {
    text = readFileSync(opts.config, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read config ${opts.config}: ${e.message}`);
  }
  // The text goes to wasm as it is: unreadable JSON is the config check's failure, not a crash.
  const result = await doctor(text);
  await write(json ? JSON.stringify({ ok: result.ok, checks: result.checks }, null, 2) + "\n" : result.text);
  return result.ok ? 0 : 2;
}

async function serveCommand(args) {
  const opts = options(args);
  if (!opts.config) throw new UsageError("serve needs --config FILE");
  const config = readJson(opts.config, "config");
  const port = opts.port === undefined ? 8080 : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`bad --port ${opts.port}`);
  const { serve } = await import("./serve.mjs");
  const server = await serve({ config, port, host: opts.host ?? "127.0.0.1", queue: opts.queue });
  const { report } = server.container;
  for (const issue of [...report.errors, ...report.warnings]) {
    process.stderr.write(`omni-meta-capi serve: ${report.errors.includes(issue) ? "error" : "warning"} ${issue.field}: ${issue.message}\n`);
  }
  if (!report.valid) {
    await server.close();
    return 1;
  }
  const { queue } = server.container;
  const delivery = queue.path ? `durable queue ${queue.path}` : "in memory (not durable: see --queue)";
  process.stderr.write(`omni-meta-capi serve: listening on ${server.url} (${server.container.tags.map((t) => t.name).join(", ")}; delivery ${delivery})\n`);
  const signal = await new Promise((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  process.stderr.write(`omni-meta-capi serve: ${signal}: ${queue.path ? "finishing the batch in hand; the rest stays queued" : "sending the events already accepted"}\n`);
  await server.close();
  process.stderr.write("omni-meta-capi serve: stopped\n");
  return 0;
}

/** A one-line progress bar on stderr when it is a terminal (nothing otherwise). */
function progress(total, label) {
  const tty = process.stderr.isTTY;
  return (done) => {
    if (!tty || !total) return;
    const width = 30;
    const full = Math.round((done / total) * width);
    process.stderr.write(`\r${label} [${"#".repeat(full)}${" ".repeat(width - full)}] ${done}/${total}${done === total ? "\n" : ""}`);
  };
}

async function queueCommand(args) {
  const [action, ...rest] = args;
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      strict: true,
      options: { queue: { type: "string" }, reason: { type: "string" }, limit: { type: "string" }, json: { type: "boolean" } },
    }).values;
  } catch (e) {
    throw new UsageError(e.message);
  }
  if (!["stats", "list", "retry", "purge"].includes(action)) throw new UsageError("queue needs stats, list, retry or purge");
  if (!parsed.queue) throw new UsageError("queue needs --queue QUEUE_FILE");
  if (!existsSync(parsed.queue)) throw new UsageError(`no queue file ${parsed.queue}`);
  const limit = parsed.limit === undefined ? 100 : Number(parsed.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`bad --limit ${parsed.limit}`);
  const { openOutbox } = await import("./outbox.mjs");
  const outbox = openOutbox(parsed.queue);
  try {
    if (action === "stats") {
      const stats = outbox.stats();
      if (parsed.json) await write(JSON.stringify(stats, null, 2) + "\n");
      else {
        const oldest = stats.oldestReceivedAt ? new Date(stats.oldestReceivedAt).toISOString() : "-";
        let text = `waiting: ${stats.pending} (due now: ${stats.due}, oldest received ${oldest})\ndead letters: ${stats.dead}\n`;
        for (const [reason, n] of Object.entries(stats.deadByReason)) text += `  ${n}  ${reason}\n`;
        await write(text);
      }
      return 0;
    }
    if (action === "list") {
      const dead = outbox.listDead({ limit });
      if (parsed.json) await write(JSON.stringify(dead, null, 2) + "\n");
      else for (const d of dead) await write(`${new Date(d.deadAt).toISOString()}  ${d.eventId}  ${d.eventName}  tag=${d.tag}  attempts=${d.attempts}  ${d.reason}\n`);
      return 0;
    }
    const ids = outbox.deadIds({ reason: parsed.reason });
    const step = action === "retry" ? (chunk) => outbox.retryDead(chunk) : (chunk) => outbox.purgeDead(chunk);
    const show = progress(ids.length, action === "retry" ? "retrying" : "purging");
    let done = 0;
    for (let i = 0; i < ids.length; i += 500) {
      done += step(ids.slice(i, i + 500));
      show(Math.min(i + 500, ids.length));
    }
    const summary = { [action === "retry" ? "retried" : "purged"]: done };
    await write(parsed.json ? JSON.stringify(summary) + "\n" : `${action === "retry" ? "moved back to be sent" : "purged"}: ${done}\n`);
    return 0;
  } finally {
    outbox.close();
  }
}

const ERASE_FIELDS = { email: "email", phone: "phone", "anonymous-id": "anonymous_id", "user-id": "user_id", uuid: "uuid" };

/** `identity erase`: POST {endpoint}/erase with the token in a header, never in the URL. */
async function identityCommand(args) {
  try {
    const [sub, ...rest] = args;
    if (sub !== "erase") throw new UsageError(`identity: unknown subcommand ${sub ?? "(none)"}; use identity erase`);
    const opts = options(rest);
    const body = {};
    for (const [name, value] of Object.entries(opts)) {
      if (name === "endpoint") continue;
      if (!ERASE_FIELDS[name]) throw new UsageError(`identity erase: unknown option --${name}`);
      body[ERASE_FIELDS[name]] = value;
    }
    if (!opts.endpoint || Object.keys(body).length === 0) throw new UsageError("identity erase needs --endpoint URL and at least one of --email, --phone, --anonymous-id, --user-id, --uuid");
    const token = process.env.IDENTITY_TOKEN;
    if (!token) throw new UsageError("identity erase: set IDENTITY_TOKEN (a token with the erase scope)");
    let res;
    try {
      res = await fetch(`${opts.endpoint.replace(/\/+$/, "")}/erase`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(15000),
      });
    } catch (e) {
      process.stderr.write(`omni-meta-capi identity erase: no answer from the identity service (${e.name === "TimeoutError" ? "timed out" : e.cause?.code ?? e.message})\n`);
      return 2;
    }
    const answer = await res.json().catch(() => null);
    if (res.ok && answer?.success) {
      await write(JSON.stringify(answer.data) + "\n");
      return 0;
    }
    const error = answer?.error ?? {};
    process.stderr.write(`omni-meta-capi identity erase: HTTP ${res.status} ${error.code ?? ""}: ${error.message ?? "unexpected answer"}\n`);
    return 2;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`omni-meta-capi: ${e.message}\n\n${USAGE}`);
    return 1;
  }
}

async function main(argv) {
  const [command, ...rest] = argv;
  if (command === "normalize") return normalizeCommand(rest);
  if (command === "identity") return identityCommand(rest);
  const commands = { build: buildCommand, send: sendCommand, serve: serveCommand, doctor: doctorCommand, queue: queueCommand };
  if (commands[command]) {
    try {
      return await commands[command](rest);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      process.stderr.write(`omni-meta-capi ${command}: ${e.message}\n\n${USAGE}`);
      return 1;
    }
  }
  process.stderr.write(command && command !== "--help" ? `unknown command: ${command}\n\n${USAGE}` : USAGE);
  return command === "--help" ? 0 : 2;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`omni-meta-capi: ${err && err.message ? err.message : err}\n`);
    process.exitCode = 2;
  },
);
