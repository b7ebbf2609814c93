// tag.run with identity resolution, over real sockets: the installed package -> the identity
// service (the Worker + D1 in real workerd via Miniflare) -> the local Meta CAPI sandbox. The uuid
// becomes an external_id, an email learned at sign-up reaches later anonymous events, and an
// identity service that is down, slow, refusing or broken never stops an event.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createTag } from "omni-meta-capi";
import { startMetaSandbox } from "../../sandbox/meta-sandbox.mjs";
import { startIdentityService } from "../../identity/start-local.mjs";

const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
const sha256 = (text) => createHash("sha256").update(text).digest("hex");
const ID_TOKEN = "id-secret-token-42";
// The tag's token has only the scopes a tag needs; erasure has its own.
const ERASE_TOKEN = "id-erase-token-7";
const RESOLVE_ONLY = "id-resolve-only-token";
let sandbox;
let identity;

before(async () => {
  [sandbox, identity] = await Promise.all([
    startMetaSandbox({ tokens: { "1234567890": "EAAB-example-token" } }),
    startIdentityService({ tokens: { [ID_TOKEN]: ["resolve", "journal:read"], [ERASE_TOKEN]: ["erase"], [RESOLVE_ONLY]: ["resolve"] } }),
  ]);
});
after(async () => {
  sandbox?.close();
  await identity?.close();
});
beforeEach(() => sandbox.reset());

const identityConfig = (extra = {}) => ({ enabled: true, endpoint: identity.url, token: ID_TOKEN, useJournal: true, ...extra });
const tagWith = (identityExtra = {}, extra = {}) =>
  createTag({ ...fixture("tag.json"), graphBaseUrl: sandbox.url, identity: identityConfig(identityExtra), ...extra });

let visitor = 0;
/** A page view of a fresh anonymous visitor (its own GA client id). */
function pageView(clientId, extra = {}) {
  return {
    event_name: "page_view",
    client_id: clientId,
    page_location: "https://shop.example.com/p/1",
    user_agent: "Mozilla/5.0 Test",
    ip_override: "81.2.69.9",
    ...extra,
  };
}
const newVisitor = () => `${++visitor}.${Date.now()}`;
const sentUserData = () => sandbox.received.at(-1).events[0].user_data;
const silent = { log: () => {} };

test("the uuid becomes an external_id; an email from sign-up reaches a later anonymous event", async () => {
  const tag = tagWith();
  const cid = newVisitor();
  const first = await tag.run(pageView(cid), {}, silent);
  assert.equal(first.status, "accepted");
  assert.equal(first.identity.status, "resolved");
  assert.deepEqual(first.identity.filled, ["external_id"]);
  const uuid = first.identity.uuid;
  assert.match(uuid, /^[0-9a-f-]{36}$/);
  assert.deepEqual(sentUserData().external_id, [sha256(uuid.toLowerCase())]);
  assert.equal(sentUserData().em, undefined);

  const signUp = await tag.run(
    pageView(cid, { event_name: "sign_up", user_id: "site-7", user_data: { email_address: " Jane.Doe@Example.com " } }),
    {},
    silent,
  );
  assert.equal(signUp.identity.uuid, uuid, "the same person");
  assert.deepEqual(signUp.identity.filled, ["external_id"], "the event's own email wins");
  assert.deepEqual(sentUserData().external_id, [sha256("site-7"), sha256(uuid.toLowerCase())], "beside the user_id");

  const later = await tag.run(pageView(cid, { page_location: "https://shop.example.com/p/2" }), {}, silent);
  assert.equal(later.status, "accepted");
  assert.deepEqual(later.identity.filled, ["external_id", "em"]);
  assert.ok(later.identity.previousVisits >= 2, JSON.stringify(later.identity));
  assert.deepEqual(sentUserData().em, [sha256("jane.doe@example.com")]);
  const sent = JSON.stringify(sandbox.received);
  assert.ok(!sent.includes("Jane.Doe") && !sent.includes("jane.doe@"), "no plaintext to Meta");
});

test("a journaled click becomes the fbc of a later event without one, with the click's time", async () => {
  const tag = tagWith();
  const cid = newVisitor();
  const clicked = await tag.run(pageView(cid, { page_location: "https://shop.example.com/?fbclid=IwAR-journaled" }), {}, silent);
  assert.match(sentUserData().fbc, /^fb\.1\.\d+\.IwAR-journaled$/);
  const clickTime = Number(sentUserData().fbc.split(".")[2]);
  assert.equal(clicked.identity.filled.includes("fbc"), false, "the event's own click");
  // Later enough that "now" and the journaled click time cannot be mistaken for each other.
  await new Promise((r) => setTimeout(r, 1500));
  const later = await tag.run(pageView(cid), {}, silent);
  assert.ok(later.identity.filled.includes("fbc"), JSON.stringify(later.identity));
  const [, , time, id] = sentUserData().fbc.split(".");
  assert.equal(id, "IwAR-journaled");
  assert.ok(Math.abs(Number(time) - clickTime) < 1000, "the journal's created_at, not now (1.5 s later)");
});

test("identity down, refusing or broken: the event is still sent, an ERROR says why, nothing leaks", async () => {
  const broken = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "application/json" }).end('{"success": true, "data": {}}');
  });
  await new Promise((r) => broken.listen(0, "127.0.0.1", r));
  const closed = createServer();
  await new Promise((r) => closed.listen(0, "127.0.0.1", r));
  const closedUrl = `http://127.0.0.1:${closed.address().port}/api/v1`;
  await new Promise((r) => closed.close(r));
  const cases = [
    ["down", { endpoint: closedUrl }, /no answer/],
    ["401", { token: "wrong-token" }, /HTTP 401 UNAUTHORIZED/],
    ["malformed", { endpoint: `http://127.0.0.1:${broken.address().port}/api/v1` }, /success without data\.uuid/],
  ];
  try {
    for (const [name, extra, reason] of cases) {
      const records = [];
      const out = await tagWith(extra).run(pageView(newVisitor(), { user_data: { email_address: "kim@example.com" } }), {}, { log: (r) => records.push(r) });
      assert.equal(out.status, "accepted", name);
      assert.equal(out.identity.status, "failed", name);
      assert.match(out.identity.failures[0], reason, name);
      const errors = records.filter((r) => r.level === "ERROR" && r.process === "Identity");
      assert.equal(errors.length, 2, `${name}: one per call (resolve + journal)`);
      assert.match(errors[0].message, reason);
      assert.match(errors[0].message, /sent without it/);
      const text = JSON.stringify(records) + JSON.stringify(out);
      for (const secret of ["wrong-token", ID_TOKEN, "kim@example.com"]) assert.ok(!text.includes(secret), `${name}: ${secret} leaked`);
      assert.deepEqual(sentUserData().em, [sha256("kim@example.com")], `${name}: sent as without identity`);
    }
  } finally {
    broken.close();
  }
});

test("a slow identity service is cut off at its timeout: the run does not wait for it", async () => {
  let answered = false;
  const slow = createServer((req, res) => {
    req.resume();
    setTimeout(() => {
      answered = true;
      res.writeHead(200, { "content-type": "application/json" }).end('{"success": true, "data": {"uuid": "late"}}');
    }, 3000).unref();
  });
  await new Promise((r) => slow.listen(0, "127.0.0.1", r));
  try {
    const tag = tagWith({ endpoint: `http://127.0.0.1:${slow.address().port}/api/v1`, timeoutMs: 150 });
    const out = await tag.run(pageView(newVisitor()), {}, silent);
    assert.equal(out.status, "accepted");
    assert.equal(out.identity.status, "failed");
    assert.match(out.identity.failures[0], /no answer \(timeout/);
    assert.equal(answered, false, "the event went out before the slow answer came");
    assert.equal(typeof out.timings.identityMs, "number");
  } finally {
    slow.closeAllConnections();
    slow.close();
  }
});

test("the cache answers a returning visitor with the same identifiers; a new identifier asks again", async () => {
  const tag = tagWith({ cacheTtlMs: 60000 });
  const calls = [];
  const countingFetch = (url, init) => {
    if (String(url).startsWith(identity.url)) calls.push(url);
    return fetch(url, init);
  };
  const cid = newVisitor();
  const options = { ...silent, fetch: countingFetch };
  const first = await tag.run(pageView(cid), {}, options);
  assert.deepEqual([first.identity.status, calls.length], ["resolved", 2]);
  const second = await tag.run(pageView(cid, { page_location: "https://shop.example.com/p/9" }), {}, options);
  assert.deepEqual([second.identity.status, second.identity.uuid, calls.length], ["cached", first.identity.uuid, 2]);
  assert.equal(second.timings.identityMs, undefined, "no call made");
  const withEmail = await tag.run(pageView(cid, { user_data: { email_address: "new@example.com" } }), {}, options);
  assert.deepEqual([withEmail.identity.status, calls.length], ["resolved", 4]);
  const m = tag.metrics();
  assert.deepEqual(m.identityByStatus, { resolved: 2, cached: 1 });
  assert.equal(m.identityEnriched, 3);
  assert.match(tag.metricsText(), /omni_meta_capi_identity_events_total\{status="cached"\} 1/);
});

test("runBatch resolves each event and logs the identity stage", async () => {
  const tag = tagWith({}, { logLevel: "DEBUG" });
  const a = newVisitor();
  const b = newVisitor();
  await tag.run(pageView(a, { user_data: { email_address: "ann@example.com" } }), {}, silent);
  const records = [];
  const out = await tag.runBatch([pageView(a), pageView(b), { event_name: "page_view" }], {}, { log: (r) => records.push(r) });
  assert.equal(out.status, "accepted");
  assert.deepEqual(
    out.events.map((e) => [e.identity?.status, e.identity?.filled]),
    [["resolved", ["external_id", "em"]], ["resolved", ["external_id"]], ["no_identifier", []]],
  );
  assert.deepEqual(sandbox.received.at(-1).events[0].user_data.em, [sha256("ann@example.com")]);
  const debug = records.filter((r) => r.process === "Identity" && r.level === "DEBUG").map((r) => r.message);
  assert.deepEqual(debug, ["event #0: identity resolved: filled external_id, em", "event #1: identity resolved: filled external_id", "event #2: identity no_identifier: filled nothing"]);
  assert.ok(records.some((r) => r.type === "Timing" && r.process === "Identity"));
  assert.ok(!JSON.stringify(records).includes("ann@example.com"));
});

test("consent-skipped events never reach the identity service", async () => {
  const tag = tagWith();
  const calls = [];
  const out = await tag.run(pageView(newVisitor(), { "x-ga-gcs": "G100" }), {}, { ...silent, fetch: (u, i) => (calls.push(u), fetch(u, i)) });
  assert.equal(out.status, "skipped");
  assert.equal(out.identity, undefined);
  assert.equal(calls.length, 0);
});

test("a big batch never floods the identity service: at most 16 events' calls in flight", async () => {
  let inFlight = 0;
  let most = 0;
  let calls = 0;
  const counting = createServer((req, res) => {
    req.resume();
    inFlight += 1;
    calls += 1;
    most = Math.max(most, inFlight);
    setTimeout(() => {
      inFlight -= 1;
      res.writeHead(200, { "content-type": "application/json" }).end('{"success": true, "data": {"uuid": "u-1", "count_prev_visits": 0}}');
    }, 15);
  });
  await new Promise((r) => counting.listen(0, "127.0.0.1", r));
  try {
    const tag = tagWith({ endpoint: `http://127.0.0.1:${counting.address().port}/api/v1`, useJournal: false });
    const events = Array.from({ length: 60 }, () => pageView(newVisitor()));
    const out = await tag.runBatch(events, {}, silent);
    assert.equal(out.status, "accepted");
    assert.equal(calls, 60, "one resolve call per event");
    assert.ok(most <= 16, `at most 16 in flight, saw ${most}`);
    assert.ok(out.events.every((e) => e.identity.status === "resolved"));
  } finally {
    counting.close();
  }
});

/** A browser hit as the container hands it to the tag: its request is the /g/collect one. */
const browserHit = { url: "https://tag.shop.example.com/g/collect?v=2" };

test("poisoning: a browser hit with the victim's email never puts the victim's phone or person id into the attacker's events", async () => {
  const tag = tagWith();
  const victim = newVisitor();
  // the victim signs up through the site's backend (a server event: no /g/collect request)
  const signUp = await tag.run(pageView(victim, { event_name: "sign_up", user_data: { email_address: "victim@example.com", phone_number: "+1 415 555 0134" } }), {}, silent);
  const victimUuid = signUp.identity.uuid;

  const attacker = newVisitor();
  await tag.run(pageView(attacker), browserHit, silent);
  const hit = await tag.run(pageView(attacker, { user_data: { email_address: "victim@example.com" } }), browserHit, silent);
  assert.notEqual(hit.identity.uuid, victimUuid, "not merged into the victim");
  const next = await tag.run(pageView(attacker), browserHit, silent);
  assert.equal(next.status, "accepted");
  assert.notEqual(next.identity.uuid, victimUuid);
  assert.ok(!next.identity.filled.includes("ph"), JSON.stringify(next.identity));
  const ud = sentUserData();
  assert.equal(ud.ph, undefined, "no phone reached Meta");
  assert.ok(!ud.external_id.includes(sha256(victimUuid)), "not the victim's person id");

  // the victim's own later anonymous browser hit still gets everything back
  const back = await tag.run(pageView(victim), browserHit, silent);
  assert.equal(back.identity.uuid, victimUuid);
  assert.deepEqual(back.identity.filled, ["external_id", "em", "ph"]);
});

test("a tag token without journal:read: 403 naming the scope in the ERROR, the event still sent", async () => {
  const records = [];
  const out = await tagWith({ token: RESOLVE_ONLY }).run(pageView(newVisitor()), {}, { log: (r) => records.push(r) });
  assert.equal(out.status, "accepted");
  assert.equal(out.identity.status, "resolved", "the resolve call has its scope");
  assert.match(out.identity.failures[0], /HTTP 403 FORBIDDEN: this token lacks the scope journal:read/);
  assert.ok(records.some((r) => r.level === "ERROR" && /journal:read/.test(r.message)));
  assert.ok(!JSON.stringify(records).includes(RESOLVE_ONLY));
});

const bin = fileURLToPath(new URL("./node_modules/.bin/omni-meta-capi", import.meta.url));
function cli(args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

test("omni-meta-capi identity erase: the person is gone; the tag's cache serves it at most cacheTtlMs longer", async () => {
  const ttl = 2000;
  const tag = tagWith({ cacheTtlMs: ttl });
  const cid = newVisitor();
  const email = "erase.me@example.com";
  const signUp = await tag.run(pageView(cid, { event_name: "sign_up", user_data: { email_address: email } }), {}, silent);
  const uuid = signUp.identity.uuid;
  const before = await tag.run(pageView(cid), {}, silent);
  const cachedAt = Date.now();
  assert.deepEqual(before.identity.filled, ["external_id", "em"]);

  const refused = await cli(["identity", "erase", "--endpoint", identity.url, "--email", email], { IDENTITY_TOKEN: ID_TOKEN });
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /HTTP 403 FORBIDDEN: this token lacks the scope erase/);
  const erased = await cli(["identity", "erase", "--endpoint", identity.url, "--email", email], { IDENTITY_TOKEN: ERASE_TOKEN });
  assert.equal(erased.code, 0, erased.stderr);
  assert.deepEqual(JSON.parse(erased.stdout), { erased: { journal_entries: 2, identifiers: 2, aliases: 0, persons: 1 } });
  assert.ok(!(refused.stderr + erased.stderr + erased.stdout).includes(ERASE_TOKEN));

  // Within the TTL the tag may still answer from its cache: the documented bound.
  const cached = await tag.run(pageView(cid), {}, silent);
  if (Date.now() - cachedAt < ttl) assert.equal(cached.identity.status, "cached");
  await new Promise((r) => setTimeout(r, Math.max(0, cachedAt + ttl + 50 - Date.now())));
  const after = await tag.run(pageView(cid), {}, silent);
  assert.equal(after.identity.status, "resolved");
  assert.notEqual(after.identity.uuid, uuid, "a new person");
  assert.deepEqual(after.identity.filled, ["external_id"], "nothing of the erased person");
  assert.equal(sentUserData().em, undefined);
});
