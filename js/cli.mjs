#!/usr/bin/env node
// omni-meta-capi command line. I/O only: arguments, files and sockets here; the work is the wasm's.
import { createReadStream, existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const EXIT_CODES = `exit status (every command): 0 done; 1 usage, file or config errors (a bad option,
an unreadable file, a config with errors, a port in use); the codes listed per command.`;

const COMMANDS = {
  normalize: {
    usage: "normalize [--summary] [FILE]",
    about: `read JSON lines {"field": "em", "value": "..."} from FILE or stdin and write one JSON
line per input line: {"field", "value", "normalized", "hash"}, or "normalized": null with a
"reason" when the value is dropped. --summary prints the counts to stderr at the end.
Exit status 1 when a line was malformed or named an unknown field.`,
    options: { summary: { type: "boolean" } },
    positionals: 1,
  },
  build: {
    usage: "build --config FILE --event FILE [--request FILE] [--now TIME]",
    about: `build the Meta request(s) for one sGTM event and print {"status", "requests": [{"url",
"method", "headers", "body"}], "report": {"valid", "errors", "warnings"}, "cookies"}. --now fixes
the clock: ISO 8601 (2026-05-01T12:00:00Z) or epoch seconds or milliseconds.
Exit status 0 built, 2 invalid input (the report says why), 3 skipped (consent).`,
    options: { config: { type: "string" }, event: { type: "string" }, request: { type: "string" }, now: { type: "string" } },
  },
  send: {
    usage: `send --config FILE --event FILE [--request FILE]
       send --config FILE --events FILE.csv|FILE.jsonl [--dry-run] [--resume] [--state FILE]
            [--batch-size 1000] [--progress] [--json]`,
    about: `--event: build and send one event (to the config's graphBaseUrl, e.g. the sandbox),
retrying transient failures; print the outcome as JSON; log records go to stderr as JSON lines.
Exit status 0 accepted by Meta, 2 invalid, 3 skipped, 4 rejected, 5 failed after retries,
6 unconfirmed (timed out: Meta may have it).

--events: offline conversions in bulk from a CSV (header row) or JSONL file (by extension; .csv
or anything else). Columns are event keys: email, phone, first_name, last_name, city, state,
zip, country, gender, date_of_birth, external_id, event_name, event_time, event_id, value,
currency, order_id, action_source (physical_store, system_generated, ...), client_ip_address,
client_user_agent, fbc, fbp, or any sGTM event key. Each row is normalized, hashed and validated
by the tag; bad rows are reported on stderr with their line number and the rest is sent, 1,000
events per request (--batch-size), each request retried as for --event. A row without event_id
gets one derived from its content, so a row sent twice is deduplicated by Meta. No _fbp is
generated for rows (generateFbp defaults to false here). Progress bar on a
terminal (--progress forces it); summary on stdout (--json: as JSON). --dry-run validates only.
--resume continues after the last batch Meta answered (recorded in --state, default
FILE.progress). Exit status 0 every row accepted, 2 some rows invalid, 4 some rows rejected by
Meta, 5 stopped: a batch failed after retries or its outcome is unknown (--resume continues).`,
    options: {
      config: { type: "string" }, event: { type: "string" }, request: { type: "string" },
      events: { type: "string" }, "dry-run": { type: "boolean" }, resume: { type: "boolean" },
      state: { type: "string" }, "batch-size": { type: "string" }, progress: { type: "boolean" }, json: { type: "boolean" },
    },
  },
  doctor: {
    usage: "doctor --config FILE [--json] [--strict]",
    about: `check a tag config against the real world: the config reads without errors or warnings;
the access token can read each pixel (a Graph API read through graphBaseUrl, token in a header);
Meta accepts a test event when testEventCode is set; the identity service answers and accepts its
token; the error monitor is reachable; the clock agrees with Meta's. One PASS/WARN/FAIL/SKIP line
per check with a fix hint; --json prints {"ok", "checks"}. --strict: unknown config keys fail.
Exit status 0 when no check failed, 2 when one did.`,
    options: { config: { type: "string" }, json: { type: "boolean" }, strict: { type: "boolean" } },
  },
  serve: {
    usage: "serve --config FILE [--port 8080] [--host 127.0.0.1] [--queue QUEUE_FILE]",
    about: `run the server container: /g/collect (GA4 hits from gtag.js), /event (JSON, with
Authorization: Bearer <one of eventTokens>), /healthz, /readyz, /metrics, /dashboard. FILE is the
container config ({"tags": [...], "allowedOrigins", "eventTokens", "queue", ...}) or one tag
config; secrets may come from the environment (META_ACCESS_TOKEN, EVENT_TOKENS,
EVENT_SIGNING_SECRET, IDENTITY_TOKEN, IDENTITY_ENDPOINT, ALLOWED_ORIGINS, METRICS_TOKEN,
DASHBOARD_TOKEN). --queue keeps every accepted event in a SQLite outbox until Meta accepted it
(durable, at-least-once; the config's queue.path does the same). Log records go to stdout as JSON
lines. Runs until SIGINT or SIGTERM, then says so on stderr and, with a queue, finishes the batch
in hand and leaves the rest queued; without one, drains the events already accepted.
Exit status 0 after a signal, 1 when the config has errors or the port cannot be used.`,
    options: { config: { type: "string" }, port: { type: "string" }, host: { type: "string" }, queue: { type: "string" } },
  },
  queue: {
    usage: "queue stats|list|retry|purge --queue QUEUE_FILE [--reason TEXT] [--limit N] [--json]",
    about: `the outbox of serve --queue: stats (events waiting, due, dead letters by reason), list
(dead letters: event_id, event name, tag, attempts, reason; never event data), retry (move dead
letters back to be sent, all or those whose reason contains --reason TEXT), purge (delete those
dead letters). Safe while serve runs.`,
    options: { queue: { type: "string" }, reason: { type: "string" }, limit: { type: "string" }, json: { type: "boolean" } },
    positionals: 1,
  },
  identity: {
    usage: "identity erase --endpoint URL [--email E] [--phone P] [--anonymous-id A] [--user-id U] [--uuid U]",
    about: `erase people from an identity service (a GDPR/CCPA deletion request): every person
owning one of the identifiers, with their identifiers, aliases and journal. URL is the API base
(https://identity.example.com/api/v1); the token (scope "erase") comes from IDENTITY_TOKEN.
Prints what was deleted (counts). Exit status 2 refused by the service or unreachable.`,
    options: {
      endpoint: { type: "string" }, email: { type: "string" }, phone: { type: "string" },
      "anonymous-id": { type: "string" }, "user-id": { type: "string" }, uuid: { type: "string" },
    },
    positionals: 1,
  },
  sandbox: {
    usage: "sandbox [--port 4100] [--host 127.0.0.1] [--token PIXEL=TOKEN ...] [--app-secret S] [--no-matching-rule]",
    about: `run the local Meta Conversions API sandbox (loopback only): it accepts events as Meta's
Graph API would and answers the pixel reads of doctor. Point a tag's graphBaseUrl at it
(examples/sandbox-tag.json). Prints the URL, then one line per request (never a token).`,
    options: {
      port: { type: "string" }, host: { type: "string" }, token: { type: "string", multiple: true },
      "app-secret": { type: "string" }, "no-matching-rule": { type: "boolean" },
    },
  },
};

class UsageError extends Error {}

function version() {
  return JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version;
}

function generalHelp() {
  const lines = Object.values(COMMANDS)
    .flatMap((c) => c.usage.split("\n").map((u) => u.trim()))
    .map((u) => (COMMANDS[u.split(" ")[0]] ? `  omni-meta-capi ${u}` : `        ${u}`));
  return `usage: omni-meta-capi <command> [options]   (omni-meta-capi <command> --help for each)

${lines.join("\n")}
  omni-meta-capi help [command] | --help | --version

${EXIT_CODES}
`;
}

function commandHelp(name) {
  const c = COMMANDS[name];
  return `usage: omni-meta-capi ${c.usage}\n\n${c.about}\n\n${EXIT_CODES}\n`;
}

/** parseArgs (strict) with one-line messages; `--help`/`-h` on every command. */
function parse(name, args) {
  const spec = COMMANDS[name];
  try {
    const { values, positionals } = parseArgs({
      args,
      strict: true,
      allowPositionals: Boolean(spec.positionals),
      options: { ...spec.options, help: { type: "boolean", short: "h" } },
    });
    if (positionals.length > (spec.positionals ?? 0)) throw new UsageError(`unexpected argument ${positionals[spec.positionals ?? 0]}`);
    return { values, positionals };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const option = /'(-[^' ]*)/.exec(e.message)?.[1];
    if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw new UsageError(`unknown option ${option ?? ""}`.trim());
    if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      throw new UsageError(/argument missing/.test(e.message) ? `${option} needs a value` : `${option} takes no value`);
    }
    if (e.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") throw new UsageError(`unexpected argument ${/'([^']*)'/.exec(e.message)?.[1] ?? ""}`.trim());
    throw new UsageError(e.message);
  }
}

function need(opts, ...names) {
  const missing = names.filter((n) => opts[n] === undefined);
  if (missing.length) throw new UsageError(`needs ${missing.map((n) => `--${n}`).join(" and ")}`);
}

/** A JSON file's content (the file's own errors are usage errors: exit 1, one line). */
function readJson(path, what) {
  let text;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${e.code ?? e.message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} ${path} is not valid JSON: ${e.message}`);
  }
}

/** --now: ISO 8601, or epoch seconds (below 1e11) or milliseconds, as epoch milliseconds. */
function parseNow(text) {
  if (/^\d{1,16}$/.test(text)) {
    const n = Number(text);
    return n < 1e11 ? n * 1000 : n;
  }
  const iso = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;
  const ms = iso.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(ms)) throw new UsageError(`bad --now ${text}: use ISO 8601 (2026-05-01T12:00:00Z) or epoch seconds or milliseconds`);
  return ms;
}

function integer(text, name, min, max) {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) throw new UsageError(`bad --${name} ${text}: a whole number from ${min} to ${max}`);
  return n;
}

function write(text) {
  return new Promise((resolve) => (process.stdout.write(text) ? resolve() : process.stdout.once("drain", resolve)));
}

/** The package's API, loaded only by commands that need the wasm (help stays instant). */
const api = () => import("./node.mjs");

async function buildCommand(opts) {
  need(opts, "config", "event");
  const now = opts.now !== undefined ? parseNow(opts.now) : Date.now();
  const config = readJson(opts.config, "config");
  const event = readJson(opts.event, "event");
  const request = opts.request ? readJson(opts.request, "request") : {};
  const { createTag } = await api();
  const result = createTag(config).build(event, request, { now });
  await write(JSON.stringify(result, null, 2) + "\n");
  return { ready: 0, invalid: 2, skipped: 3 }[result.status] ?? 2;
}

async function normalizeCommand(opts, [file]) {
  const { normalizeLines } = await api();
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
  try {
    for await (const chunk of input) {
      pending += chunk;
      const cut = pending.lastIndexOf("\n");
      if (cut < 0) continue;
      const whole = pending.slice(0, cut + 1);
      pending = pending.slice(cut + 1);
      await flush(whole);
    }
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${e.code ?? e.message}`);
  }
  if (pending) await flush(pending);
  if (opts.summary) {
    process.stderr.write(`${line - 1} lines: ${counts.hashed} hashed, ${counts.dropped} dropped, ${counts.errors} malformed\n`);
  }
  return counts.errors > 0 ? 1 : 0;
}

async function sendCommand(opts) {
  need(opts, "config");
  if ((opts.event === undefined) === (opts.events === undefined)) throw new UsageError("needs --event FILE (one event) or --events FILE (bulk), not both");
  if (opts.event !== undefined) {
    for (const bulkOnly of ["dry-run", "resume", "state", "batch-size", "progress", "json"]) {
      if (opts[bulkOnly] !== undefined) throw new UsageError(`--${bulkOnly} goes with --events`);
    }
  }
  const config = readJson(opts.config, "config");
  const request = opts.request ? readJson(opts.request, "request") : {};
  const { createTag } = await api();
  // Offline rows come from no browser: a generated _fbp would be a made-up matching key.
  const tag = createTag(opts.events !== undefined && config && typeof config === "object" ? { generateFbp: false, ...config } : config);
  if (opts.events !== undefined) {
    const batchSize = opts["batch-size"] === undefined ? 1000 : integer(opts["batch-size"], "batch-size", 1, 1000);
    if (!existsSync(opts.events)) throw new UsageError(`cannot read events ${opts.events}: ENOENT`);
    if (opts.resume && opts["dry-run"]) throw new UsageError("--resume goes with a real upload, not --dry-run");
    const { bulkSend } = await import("./bulk.mjs");
    return bulkSend({ tag, file: opts.events, request, batchSize, dryRun: Boolean(opts["dry-run"]), resume: Boolean(opts.resume),
      state: opts.state ?? `${opts.events}.progress`, progress: opts.progress || process.stderr.isTTY, json: Boolean(opts.json), write, UsageError });
  }
  const event = readJson(opts.event, "event");
  const log = (record) => process.stderr.write(JSON.stringify(record) + "\n");
  const { logs, ...outcome } = await tag.run(event, request, { log });
  await write(JSON.stringify(outcome, null, 2) + "\n");
  return { accepted: 0, invalid: 2, skipped: 3, rejected: 4, failed: 5, unconfirmed: 6 }[outcome.status] ?? 5;
}

async function doctorCommand(opts) {
  need(opts, "config");
  let text;
  try {
    text = readFileSync(opts.config, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read config ${opts.config}: ${e.code ?? e.message}`);
  }
  if (opts.strict) {
    // The wasm decides what strict means; unreadable text still goes as it is.
    try {
      const parsed = JSON.parse(text);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) text = JSON.stringify({ ...parsed, strict: true });
    } catch {}
  }
  const { doctor } = await api();
  const result = await doctor(text);
  await write(opts.json ? JSON.stringify({ ok: result.ok, checks: result.checks }, null, 2) + "\n" : result.text);
  return result.ok ? 0 : 2;
}

/** Resolves with the name of the first SIGINT or SIGTERM. */
function signalled() {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
}

async function serveCommand(opts) {
  need(opts, "config");
  const config = readJson(opts.config, "config");
  const port = opts.port === undefined ? 8080 : integer(opts.port, "port", 0, 65535);
  const host = opts.host ?? "127.0.0.1";
  const { serve } = await import("./serve.mjs");
  const log = (record) => process.stdout.write(JSON.stringify(record) + "\n");
  let server;
  try {
    server = await serve({ config, port, host, queue: opts.queue, options: { log } });
  } catch (e) {
    if (e.code === "EADDRINUSE" || e.code === "EACCES" || e.code === "EADDRNOTAVAIL") throw new UsageError(`cannot listen on ${host}:${port}: ${e.code}`);
    throw e;
  }
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
  // Handlers first: a supervisor may signal as soon as it reads the line (stderr is synchronous).
  const stop = signalled();
  process.stderr.write(`omni-meta-capi serve: listening on ${server.url} (${server.container.tags.map((t) => t.name).join(", ")}; delivery ${delivery})\n`);
  const signal = await stop;
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

async function queueCommand(opts, [action]) {
  if (!["stats", "list", "retry", "purge"].includes(action)) throw new UsageError("needs stats, list, retry or purge");
  need(opts, "queue");
  if (!existsSync(opts.queue)) throw new UsageError(`no queue file ${opts.queue}`);
  const limit = opts.limit === undefined ? 100 : integer(opts.limit, "limit", 1, 1_000_000);
  const { openOutbox } = await import("./outbox.mjs");
  const outbox = openOutbox(opts.queue);
  try {
    if (action === "stats") {
      const stats = outbox.stats();
      if (opts.json) await write(JSON.stringify(stats, null, 2) + "\n");
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
      if (opts.json) await write(JSON.stringify(dead, null, 2) + "\n");
      else for (const d of dead) await write(`${new Date(d.deadAt).toISOString()}  ${d.eventId}  ${d.eventName}  tag=${d.tag}  attempts=${d.attempts}  ${d.reason}\n`);
      return 0;
    }
    const ids = outbox.deadIds({ reason: opts.reason });
    const step = action === "retry" ? (chunk) => outbox.retryDead(chunk) : (chunk) => outbox.purgeDead(chunk);
    const show = progress(ids.length, action === "retry" ? "retrying" : "purging");
    let done = 0;
    for (let i = 0; i < ids.length; i += 500) {
      done += step(ids.slice(i, i + 500));
      show(Math.min(i + 500, ids.length));
    }
    const summary = { [action === "retry" ? "retried" : "purged"]: done };
    await write(opts.json ? JSON.stringify(summary) + "\n" : `${action === "retry" ? "moved back to be sent" : "purged"}: ${done}\n`);
    return 0;
  } finally {
    outbox.close();
  }
}

const ERASE_FIELDS = { email: "email", phone: "phone", "anonymous-id": "anonymous_id", "user-id": "user_id", uuid: "uuid" };

/** `identity erase`: POST {endpoint}/erase with the token in a header, never in the URL. */
async function identityCommand(opts, [sub]) {
  if (sub !== "erase") throw new UsageError(`unknown subcommand ${sub ?? "(none)"}; use identity erase`);
  const body = {};
  for (const [option, field] of Object.entries(ERASE_FIELDS)) if (opts[option] !== undefined) body[field] = opts[option];
  if (!opts.endpoint || Object.keys(body).length === 0) throw new UsageError("erase needs --endpoint URL and at least one of --email, --phone, --anonymous-id, --user-id, --uuid");
  const token = process.env.IDENTITY_TOKEN;
  if (!token) throw new UsageError("erase: set IDENTITY_TOKEN (a token with the erase scope)");
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
}

async function sandboxCommand(opts) {
  const port = opts.port === undefined ? 4100 : integer(opts.port, "port", 0, 65535);
  let tokens = null;
  for (const pair of opts.token ?? []) {
    const eq = pair.indexOf("=");
    if (eq < 1) throw new UsageError("bad --token: use PIXEL_ID=TOKEN (the value is not shown: it holds a token)");
    (tokens ??= {})[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const { startMetaSandbox } = await import("../sandbox/meta-sandbox.mjs");
  let sandbox;
  try {
    sandbox = await startMetaSandbox({
      port, host: opts.host ?? "127.0.0.1", tokens, appSecret: opts["app-secret"] ?? null,
      matchingRule: !opts["no-matching-rule"], log: (line) => process.stdout.write(`${line}\n`),
    });
  } catch (e) {
    throw new UsageError(`cannot listen on ${opts.host ?? "127.0.0.1"}:${port}: ${e.code ?? e.message}`);
  }
  const stop = signalled();
  process.stdout.write(`${sandbox.url}\n`);
  process.stderr.write(`omni-meta-capi sandbox: Meta CAPI sandbox on ${sandbox.url} (graphBaseUrl); Ctrl-C stops it\n`);
  const signal = await stop;
  process.stderr.write(`omni-meta-capi sandbox: ${signal}: stopping\n`);
  await sandbox.close();
  return 0;
}

const RUN = {
  normalize: normalizeCommand, build: buildCommand, send: sendCommand, doctor: doctorCommand,
  serve: serveCommand, queue: queueCommand, identity: identityCommand, sandbox: sandboxCommand,
};

async function main(argv) {
  const [command, ...rest] = argv;
  if (command === "--version" || command === "-v" || command === "version") {
    await write(`${version()}\n`);
    return 0;
  }
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    const topic = command === "help" ? rest[0] : undefined;
    if (topic !== undefined && !COMMANDS[topic]) {
      process.stderr.write(`omni-meta-capi: no command ${topic} (see omni-meta-capi --help)\n`);
      return 1;
    }
    // No command at all is a usage error: help on stderr, exit 1.
    if (command === undefined) {
      process.stderr.write(generalHelp());
      return 1;
    }
    await write(topic ? commandHelp(topic) : generalHelp());
    return 0;
  }
  if (!COMMANDS[command]) {
    process.stderr.write(`omni-meta-capi: unknown command ${command} (see omni-meta-capi --help)\n`);
    return 1;
  }
  try {
    const { values, positionals } = parse(command, rest);
    if (values.help) {
      await write(commandHelp(command));
      return 0;
    }
    return await RUN[command](values, positionals);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`omni-meta-capi ${command}: ${e.message} (see omni-meta-capi ${command} --help)\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    // Not expected: one line (no stack, no input echoed) and the usage/file status.
    process.stderr.write(`omni-meta-capi: ${err && err.message ? err.message : err}\n`);
    process.exitCode = 1;
  },
);
