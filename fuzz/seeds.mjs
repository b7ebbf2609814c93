#!/usr/bin/env node
// Seeds each fuzz target's corpus (fuzz/corpus/<target>/) from the tests: the golden corpus'
// inputs, the examples, the Rust tests' literals (GA4 hits, identity answers, Meta answers,
// queued batches, container configs) and fuzz/seeds/. Run by scripts/fuzz.sh; idempotent
// (a seed's file name is its hash).
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const read = (p) => readFileSync(join(root, p), "utf8");
const corpus = new Map();
const seed = (target, data) => {
  if (!corpus.has(target)) corpus.set(target, new Set());
  corpus.get(target).add(typeof data === "string" ? data : Buffer.from(data).toString("latin1"));
};
const byte = (n) => String.fromCharCode(n);

function rustLiterals(dir) {
  const out = [];
  for (const f of readdirSync(join(root, dir))) {
    const p = join(dir, f);
    if (statSync(join(root, p)).isDirectory()) out.push(...rustLiterals(p));
    else if (p.endsWith(".rs")) {
      const text = read(p);
      for (const m of text.matchAll(/r#"([\s\S]*?)"#/g)) out.push(m[1]);
      for (const m of text.matchAll(/"((?:[^"\\\n]|\\.)*)"/g)) out.push(m[1].replace(/\\n/g, "\n").replace(/\\r/g, "\r").replace(/\\"/g, '"'));
    }
  }
  return out;
}
const literals = [...rustLiterals("src"), ...rustLiterals("crates")];
const jsonLiterals = literals.filter((l) => { try { JSON.parse(l); return /^[\[{]/.test(l.trim()); } catch { return false; } });

const golden = read("tests/golden/inputs.jsonl").split("\n").filter(Boolean);
for (const line of golden) {
  const c = JSON.parse(line);
  seed("golden_differential", line);
  if (c.kind === "batch") seed("build_batch", `${c.event}\0${c.request}`);
  else seed("build_event", c.event);
}
for (const f of readdirSync(join(root, "fuzz/seeds"))) {
  const text = read(`fuzz/seeds/${f}`);
  for (const t of ["build_event", "container_config", "delivery_settle", "monitor_gate", "log_scrub"]) seed(t, text);
}
seed("build_event", read("examples/purchase-event.json"));
seed("build_batch", `${JSON.stringify(JSON.parse(read("examples/demo-events.json")).map((d) => d.event))}\0${read("examples/request.json")}`);

// GA4 hits and container requests.
const hits = literals.filter((l) => /(^|&|\n)en=/.test(l) || /^v=2&/.test(l));
hits.push("v=2&tid=G-1&cid=555.111&en=purchase&ep.transaction_id=T1&epn.value=12.5&cu=USD&pr1=idSKU-1~nmShoe~pr50~qt2&dl=https%3A%2F%2Fs.com%2F%3Ffbclid%3DA");
for (const h of hits) {
  seed("ga4_hit", `${h}\0${h}`);
  for (let r = 0; r < 12; r++) seed("container_request", `${byte(r)}${h}\0${h}`);
}
for (const e of jsonLiterals.filter((l) => /event_name/.test(l)).slice(0, 40)) {
  seed("container_request", `${byte(2)}\0${e}`);
  seed("container_request", `${byte(2)}\0[${e}]`);
}
seed("container_request", `${byte(7)}Basic dTpw\0`);
seed("container_request", `${byte(4)}Bearer m\0`);
seed("container_request", `${byte(2)}Bearer fuzz-token-0123456789\0{"event_name":"page_view","page_location":"https://s.com/"}`);
for (const c of jsonLiterals.filter((l) => /"tags"/.test(l))) seed("container_config", `${c}\0{"EVENT_TOKENS":"a,b","META_ACCESS_TOKEN":"t"}`);
seed("container_auth", "Bearer fuzz-token-0123456789\0t=1764331200,v1=00\0{}");
seed("container_auth", "Basic dTpw\0t=1764331200000,v1=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\0{\"event_name\":\"x\"}");

// Identity answers, Meta answers, doctor answers.
for (const a of jsonLiterals.filter((l) => /uuid|journal|previousVisits|visits/.test(l))) for (const s of [0, 3, 6]) seed("identity_answer", `${byte(s)}${a}`);
const metaBodies = jsonLiterals.filter((l) => /"error"|events_received|fbtrace_id/.test(l));
metaBodies.push('{"events_received":1,"messages":[],"fbtrace_id":"A"}', '{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"B"}}', '{"error":{"message":"(#4) Application request limit reached","code":4,"is_transient":true}}');
for (const [i, b] of metaBodies.entries()) {
  for (const ra of ["", "120", "Wed, 21 Oct 2015 07:28:00 GMT", "-1", "99999999999"]) seed("meta_answer", `${byte(i * 7)}${b}\0${ra}`);
  seed("log_scrub", b);
  seed("doctor_verdicts", `[{"kind":"response","status":200,"body":${JSON.stringify(b)},"date":"Fri, 28 Nov 2025 12:00:00 GMT"},null,{"kind":"timeout"}]\0${read("examples/tag.json")}`);
}
for (const a of jsonLiterals.filter((l) => /"kind"\s*:\s*"(response|network|timeout)"/.test(l))) {
  seed("meta_answer", `${byte(0)}${a}`);
  seed("doctor_verdicts", `[${a},${a}]\0{}`);
}

// Queued batches and monitor records.
for (const b of jsonLiterals.filter((l) => /"rows"|"tries"|"policy"/.test(l))) seed("delivery_settle", b);
seed("delivery_settle", JSON.stringify({
  rows: [{ attempts: 0, receivedAt: 1764331100000, eventId: "e1", eventName: "Purchase" }, { attempts: 3, receivedAt: 1, eventId: "e2", eventName: "Lead" }],
  events: [{ index: 0, status: "ready", report: { valid: true, errors: [], warnings: [] } }, { index: 1, status: "invalid", report: { valid: false, errors: [{ code: "x", field: "y", message: "z" }], warnings: [] } }],
  requests: [{ pixelId: "1", eventIndexes: [0] }],
  tries: [{ kind: "response", status: 400, body: '{"error":{"code":100,"error_subcode":2804003,"message":"bad","error_user_msg":"event #0"}}' }],
  policy: { baseDelayMs: 1000, maxDelayMs: 60000, maxAgeMs: 86400000 },
}));
for (const r of jsonLiterals.filter((l) => /"level"|"process"/.test(l))) seed("monitor_gate", r);
seed("monitor_gate", '{"level":"ERROR","type":"Error","process":"Dispatch","message":"pixel 1: failed after 3 try(s)","data":{"code":190}}');

// Normalization lines and values.
for (const line of read("examples/sample-pii.jsonl").split("\n").filter(Boolean)) {
  seed("normalize", line);
  try { seed("normalize", String(JSON.parse(line).value ?? "")); } catch { /* not JSON */ }
}
const vectors = JSON.parse(read("tests/fixtures/capi_test_vectors.json"));
JSON.stringify(vectors, (k, v) => { if (typeof v === "string" && v.length < 200) seed("normalize", v); return v; });
for (const l of literals.filter((l) => l.length < 120)) seed("log_scrub", l);

let total = 0;
for (const [target, items] of corpus) {
  const dir = join(root, "fuzz/corpus", target);
  mkdirSync(dir, { recursive: true });
  for (const s of items) {
    const bytes = Buffer.from(s, "latin1").toString("latin1") === s && /[^\x00-\x7f]/.test(s) ? Buffer.from(s, "utf8") : Buffer.from(s, "utf8");
    writeFileSync(join(dir, createHash("sha1").update(bytes).digest("hex")), bytes);
  }
  total += items.size;
  console.error(`seeds: ${target}: ${items.size}`);
}
console.error(`seeds: ${total} in all`);
