// The request the tag builds, POSTed over a real socket to the local Meta CAPI sandbox
// (sandbox/meta-sandbox.mjs), which checks it the way Meta does: Meta would accept it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createTag } from "omni-meta-capi";
import { startMetaSandbox } from "../../sandbox/meta-sandbox.mjs";

const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
let sandbox;

before(async () => {
  sandbox = await startMetaSandbox({ tokens: { "1234567890": "EAAB-example-token" } });
});
after(() => sandbox?.close());

async function send(req) {
  const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body });
  return { status: res.status, body: await res.json() };
}

test("a built Purchase is accepted by the sandbox, token only in the body", async () => {
  const config = { ...fixture("tag.json"), graphBaseUrl: sandbox.url };
  const out = createTag(config).build(fixture("purchase-event.json"), fixture("request.json"));
  assert.equal(out.status, "ready", JSON.stringify(out.report));
  const res = await send(out.requests[0]);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.events_received, 1);
  const [got] = sandbox.received.slice(-1);
  assert.equal(got.pixelId, "1234567890");
  assert.equal(got.events[0].event_name, "Purchase");
  assert.equal(got.testEventCode, "TEST12345");
});

test("what the sandbox rejects, the tag refuses to build in the first place", async () => {
  const config = { ...fixture("tag.json"), graphBaseUrl: sandbox.url };
  const stale = { ...fixture("purchase-event.json"), event_time: Math.floor(Date.now() / 1000) - 8 * 86400 };
  const out = createTag(config).build(stale, fixture("request.json"));
  assert.equal(out.status, "invalid");
  assert.deepEqual(out.report.errors.map((e) => e.code), ["event.event_time_too_old"]);
  // Forced through anyway (as a buggy tag would), Meta's answer is the documented rejection.
  const good = createTag(config).build(fixture("purchase-event.json"), fixture("request.json"));
  const body = JSON.parse(good.requests[0].body);
  body.data[0].event_time = stale.event_time;
  const res = await send({ ...good.requests[0], body: JSON.stringify(body) });
  assert.equal(res.status, 400);
  assert.equal(res.body.error.code, 100);
  assert.equal(res.body.error.error_subcode, 2804003);
});
