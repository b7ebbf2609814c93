// Offline conversions in bulk through the installed CLI (`send --events`) against the local Meta
// sandbox over loopback: CSV and JSONL, bad rows reported by line with the rest sent, batches
// of 1,000, dry run, the progress line, and --resume after a kill -9 in the middle of a batch.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startMetaSandbox } from "../../sandbox/meta-sandbox.mjs";

const bin = fileURLToPath(new URL("./node_modules/.bin/omni-meta-capi", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "omni-bulk-"));
const HEX64 = /^[0-9a-f]{64}$/;
let sandbox;

before(async () => {
  sandbox = await startMetaSandbox({ tokens: { "1234567890": "EAAB-example-token" } });
});
after(() => sandbox?.close());

function config(extra = {}) {
  const path = join(dir, `tag-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify({ pixelId: "1234567890", accessToken: "EAAB-example-token", graphBaseUrl: sandbox.url, actionSource: "physical_store", ...extra }));
  return path;
}

function run(args) {
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  const done = new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

const hoursAgo = (h) => Math.floor(Date.now() / 1000) - h * 3600;

/** n good CSV rows (line numbers 2..n+1) as [header, ...lines]. */
function csvRows(n, start = 0) {
  const rows = ["event_name,event_time,order_id,value,currency,email,phone,first_name,city,country"];
  for (let i = start; i < start + n; i++) {
    rows.push(`Purchase,${hoursAgo(2)},ORD-${i},${(i % 97) + 0.5},EUR,Customer.${i}@Example.com,+49 30 ${1000000 + i},Anna,Berlin,DE`);
  }
  return rows;
}

const sentEvents = () => sandbox.received.flatMap((r) => r.events);

test("CSV: every good row sent hashed in batches of 1,000; bad rows reported by line; exit 2", async () => {
  sandbox.reset();
  const rows = csvRows(2500);
  rows[10] = "Purchase,1,2,3"; // line 11: wrong field count
  rows[20] = `Purchase,${hoursAgo(1)},ORD-X,12.5,,only.value@example.com,,,,`; // line 21: no currency
  rows[30] = `Purchase,${hoursAgo(1)},ORD-Y,12.5,EUR,,,,,`; // line 31: no customer information
  rows[40] = `"Purchase, quoted",${hoursAgo(1)},"ORD-""Q""",5,EUR,"multi@example.com",,"Line
Break",Berlin,DE`; // lines 41-42: quoted comma, quote and newline: one good row
  const file = join(dir, "orders.csv");
  writeFileSync(file, rows.join("\n") + "\n");
  const { code, stdout, stderr } = await run(["send", "--config", config(), "--events", file, "--json"]).done;
  assert.equal(code, 2, stderr);
  const summary = JSON.parse(stdout);
  assert.equal(summary.rows, 2500);
  assert.equal(summary.invalid, 3);
  assert.equal(summary.sent, 2497);
  assert.match(stderr, /^line 11: 4 fields where the header has 10$/m);
  assert.match(stderr, /^line 21: .*currency/m);
  assert.match(stderr, /^line 31: .*user_data/m);
  assert.doesNotMatch(stderr, /line 4[12]:/);
  assert.ok(!stderr.includes("Customer.") && !stderr.includes("EAAB-example-token"), "no PII or token in the report");
  // Batches of 1,000 readable rows; the wasm leaves the two invalid ones of the first out (two
  // batches are in flight at a time: they may arrive in either order).
  assert.deepEqual(sandbox.received.map((r) => r.events.length).sort((a, b) => a - b), [499, 998, 1000]);
  const events = sentEvents();
  assert.equal(new Set(events.map((e) => e.event_id)).size, 2497, "every row has its own event_id");
  for (const e of events) {
    assert.equal(e.action_source, "physical_store");
    assert.match(e.user_data.em[0] ?? e.user_data.em, HEX64);
    assert.match(e.event_id, /^row-[0-9a-f]{32}$/);
  }
  const quoted = events.find((e) => e.custom_data.order_id === 'ORD-"Q"');
  assert.equal(quoted.event_name, "Purchase, quoted");
});

test("JSONL: malformed lines reported by number, the rest sent; event_id kept when given", async () => {
  sandbox.reset();
  const at = hoursAgo(30);
  const lines = [
    JSON.stringify({ event_name: "Lead", event_id: "lead-1", email: "a@example.com", action_source: "system_generated" }),
    "{not json",
    "",
    JSON.stringify([1, 2]),
    JSON.stringify({ event_name: "Purchase", value: "19.90", currency: "usd", order_id: "O-2", phone: "+1 415 555 0134", event_time: at * 1000 }),
  ];
  const file = join(dir, "events.jsonl");
  writeFileSync(file, lines.join("\n"));
  const { code, stdout, stderr } = await run(["send", "--config", config(), "--events", file]).done;
  assert.equal(code, 2, stderr);
  assert.match(stderr, /^line 2: not valid JSON/m);
  assert.match(stderr, /^line 4: not a JSON object/m);
  assert.match(stdout, /^4 rows: 2 sent, 2 invalid/);
  const events = sentEvents();
  assert.equal(events.length, 2);
  assert.equal(events[0].event_id, "lead-1");
  assert.equal(events[0].action_source, "system_generated");
  assert.equal(events[1].custom_data.currency, "USD");
  assert.equal(events[1].event_time, at, "milliseconds read as such");
});

test("--dry-run validates every row and sends nothing; --progress draws rows/s, sent, rejected and ETA", async () => {
  sandbox.reset();
  const rows = csvRows(1200);
  rows[5] = "Purchase,,,,,,,,,";
  const file = join(dir, "dry.csv");
  writeFileSync(file, rows.join("\n"));
  const { code, stdout, stderr } = await run(["send", "--config", config(), "--events", file, "--dry-run", "--progress"]).done;
  assert.equal(code, 2);
  assert.match(stdout, /^1200 rows: 1199 valid, 1 invalid/);
  assert.match(stderr, /^line 6: /m);
  assert.match(stderr, /\r\[#+-*\]\s+\d+% \d+ rows\/s {2}sent \d+ {2}rejected \d+ {2}ETA \d+m\d\ds/);
  assert.match(stderr, /100% \d+ rows\/s {2}sent 1199 {2}rejected 1 {2}ETA 0m00s/);
  assert.equal(sandbox.attempts.length, 0, "nothing sent");
});

test("rejected by Meta: the batch's lines are named, the rest goes on, exit 4", async () => {
  sandbox.reset();
  const file = join(dir, "rejected.csv");
  writeFileSync(file, csvRows(30).join("\n"));
  sandbox.injectFaults([{ status: 400, error: { message: "Invalid parameter", type: "OAuthException", code: 100 } }]);
  const { code, stdout, stderr } = await run(["send", "--config", config(), "--events", file, "--batch-size", "10"]).done;
  assert.equal(code, 4, stderr);
  assert.match(stderr, /^line 2-11: rejected by Meta/m);
  assert.match(stdout, /^30 rows: 20 sent, 0 invalid, 10 rejected by Meta/);
});

test("--resume after kill -9 mid-batch: the rest is sent, nothing before the checkpoint twice, same event_ids", async () => {
  sandbox.reset();
  const file = join(dir, "big.csv");
  writeFileSync(file, csvRows(5000).join("\n") + "\n");
  const tag = config({ timeoutMs: 60000 });
  // Three requests go through; every later one hangs at "Meta" until the uploader is killed.
  sandbox.injectFaults([{ times: 3, delayMs: 0 }, { times: 1000, delayMs: 600000 }]);
  const first = run(["send", "--config", tag, "--events", file, "--batch-size", "500"]);
  const checkpoint = () => {
    try {
      return JSON.parse(readFileSync(`${file}.progress`, "utf8")).line;
    } catch {
      return 0;
    }
  };
  // Two batches are in flight at a time, so which three got through depends on arrival order:
  // the checkpoint must reach the end of the batches accepted without a gap, and stay there.
  const acceptedPrefix = () => {
    const done = new Set(sentEvents().map((e) => Math.floor(Number(e.custom_data.order_id.slice(4)) / 500)));
    let k = 0;
    while (done.has(k)) k++;
    return k * 500 + 1;
  };
  while (sandbox.attempts.length < 4 || checkpoint() !== acceptedPrefix()) {
    if (first.child.exitCode !== null) assert.fail(`exited early: ${(await first.done).stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  first.child.kill("SIGKILL");
  await first.done;
  sandbox.clearFaults();
  const cut = checkpoint();
  assert.ok(cut >= 1001, `checkpoint after at least two batches (line 1 is the header): ${cut}`);
  const before = sentEvents();
  const committed = new Set(before.filter((e) => Number(e.custom_data.order_id.slice(4)) + 2 <= cut).map((e) => e.event_id));
  assert.equal(committed.size, cut - 1);

  const { code, stdout, stderr } = await run(["send", "--config", tag, "--events", file, "--batch-size", "500", "--resume", "--json"]).done;
  assert.equal(code, 0, stderr);
  const summary = JSON.parse(stdout);
  assert.equal(summary.resumedAfterLine, cut);
  assert.equal(summary.rows, 5000);
  assert.equal(summary.sent, 5000);
  const after = sentEvents().map((e) => e.event_id);
  assert.equal(new Set(after).size, 5000, "every row arrived");
  const seen = new Map();
  for (const id of after) seen.set(id, (seen.get(id) ?? 0) + 1);
  const twice = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  assert.ok(twice.every((id) => !committed.has(id)), "no row before the checkpoint was sent again");
  // Only the batches in flight at the kill can come twice, with the same event_ids.
  assert.ok(twice.length <= 1000, `${twice.length} rows sent twice`);

  // The same file run again from scratch derives the same ids (Meta deduplicates them).
  sandbox.reset();
  const again = await run(["send", "--config", tag, "--events", file, "--json"]).done;
  assert.equal(again.code, 0);
  assert.deepEqual(new Set(sentEvents().map((e) => e.event_id)), new Set(after));
});

test("--resume refuses a file that changed since the upload began", async () => {
  const file = join(dir, "changed.csv");
  writeFileSync(file, csvRows(5).join("\n"));
  assert.equal((await run(["send", "--config", config(), "--events", file]).done).code, 0);
  writeFileSync(file, csvRows(6).join("\n"));
  const { code, stderr } = await run(["send", "--config", config(), "--events", file, "--resume"]).done;
  assert.equal(code, 1);
  assert.match(stderr, /changed since the upload began/);
});
