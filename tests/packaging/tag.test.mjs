// The tag engine through the installed package: createTag(config).build(eventData, request).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { createTag, normalize } from "omni-meta-capi";

const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
const config = fixture("tag.json");
const purchase = fixture("purchase-event.json");
const request = fixture("request.json");
const NOW = 1764331200000;

test("a GA4 purchase becomes Meta's request: URL, token in body, hashed PII, cookies", () => {
  const tag = createTag(config);
  assert.equal(tag.configReport.valid, true);
  const out = tag.build(purchase, request, { now: NOW });
  assert.equal(out.status, "ready", JSON.stringify(out.report));
  assert.equal(out.requests.length, 1);
  const [req] = out.requests;
  assert.equal(req.url, "https://graph.facebook.com/v24.0/1234567890/events");
  assert.equal(req.method, "POST");
  assert.ok(!req.url.includes("EAAB"));
  const body = JSON.parse(req.body);
  assert.equal(body.access_token, config.accessToken);
  assert.equal(body.test_event_code, "TEST12345");
  const [event] = body.data;
  assert.equal(event.event_name, "Purchase");
  assert.equal(event.event_time, 1764331200);
  assert.equal(event.user_data.em[0], normalize("em", "jane.doe@example.com").hash);
  assert.equal(event.user_data.zp[0], normalize("zp", "94105").hash);
  assert.equal(event.custom_data.value, 129.9);
  assert.equal(event.custom_data.num_items, 3);
  assert.deepEqual(event.custom_data.content_ids, ["SKU-RUN-42", "SKU-SOCK-3"]);
  // Digits are matched whole: a random id or a hash may contain "415" by chance.
  for (const plain of ["Jane", "Doe", "555-0134", /(^|\D)4155550134(\D|$)/, "San Francisco", /(^|\D)94105(\D|$)/, "CUST-1042"]) {
    assert.ok(typeof plain === "string" ? !req.body.includes(plain) : !plain.test(req.body), `${plain} leaked into the body`);
  }
  assert.deepEqual(out.cookies.map((c) => c.name), ["_fbc", "_fbp"]);
  assert.equal(out.cookies[0].value, event.user_data.fbc);
  assert.match(out.cookies[0].header, /^_fbc=fb\.1\.1764331200000\.IwAR2F4-.*; Max-Age=7776000; Path=\/; Domain=example\.com; Secure; SameSite=Lax$/);
});

test("bad config and bad events give structured reports, never exceptions", () => {
  const bad = createTag({ pixelId: "abc", actionSource: "web", sendPii: "maybe", colour: "red" });
  assert.equal(bad.configReport.valid, false);
  assert.deepEqual(bad.configReport.errors.map((e) => e.field), ["pixelId", "accessToken", "actionSource", "sendPii"]);
  assert.deepEqual(bad.configReport.warnings.map((w) => w.code), ["config.unknown_key"]);
  assert.equal(bad.build(purchase).status, "invalid");

  const tag = createTag(config);
  const cyclic = {};
  cyclic.self = cyclic;
  for (const event of [cyclic, undefined, null, 42, "x", [], { event_name: 5n }]) {
    const out = tag.build(event);
    assert.equal(out.status, "invalid");
    assert.ok(out.report.errors.length > 0);
  }
  assert.equal(createTag(undefined).configReport.valid, false);
  assert.equal(createTag(cyclic).configReport.errors[0].code, "config.invalid_json");
});

test("consent denied: skipped with the reason, no request, no cookie", () => {
  const tag = createTag(config);
  const out = tag.build({ ...purchase, consent_state: { ad_storage: "denied" } }, request, { now: NOW });
  assert.equal(out.status, "skipped");
  assert.equal(out.skipped.code, "consent.denied");
  assert.deepEqual([out.requests, out.cookies], [[], []]);
});

test("CLI build: the same result, exit codes 0 / 2 / 3 / 1", () => {
  const bin = fileURLToPath(new URL("./node_modules/.bin/omni-meta-capi", import.meta.url));
  const dir = fileURLToPath(new URL("./fixtures/", import.meta.url));
  const run = (...args) => spawnSync(bin, args, { encoding: "utf8", cwd: dir });
  const ok = run("build", "--config", "tag.json", "--event", "purchase-event.json", "--request", "request.json", "--now", "1764331200");
  assert.equal(ok.status, 0, ok.stderr);
  const printed = JSON.parse(ok.stdout);
  const api = createTag(config).build(purchase, request, { now: NOW });
  assert.equal(printed.requests[0].body, api.requests[0].body);

  const invalid = run("build", "--config", "tag.json", "--event", "request.json", "--now", "1764331200");
  assert.equal(invalid.status, 2);
  assert.equal(JSON.parse(invalid.stdout).report.valid, false);

  const deniedFile = join(mkdtempSync(join(tmpdir(), "omni-cli-")), "denied.json");
  writeFileSync(deniedFile, JSON.stringify({ ...purchase, consent_state: { ad_storage: "denied" } }));
  const denied = run("build", "--config", "tag.json", "--event", deniedFile);
  assert.equal(denied.status, 3, denied.stderr);
  assert.equal(JSON.parse(denied.stdout).skipped.code, "consent.denied");

  const usage = run("build", "--config", "tag.json");
  assert.equal(usage.status, 1);
  assert.equal(usage.stderr, "omni-meta-capi build: needs --event (see omni-meta-capi build --help)\n");
  const missing = run("build", "--config", "nope.json", "--event", "x.json");
  assert.equal(missing.status, 1);
});

test("require() users get createTag too", () => {
  const require = createRequire(import.meta.url);
  const out = require("omni-meta-capi").createTag(config).build(purchase, request, { now: NOW });
  assert.equal(out.status, "ready");
});
