// The Omni-Identity-compatible service (identity/) in real workerd via Miniflare with a SQLite D1,
// called over real sockets with fetch. Run: node --test tests/identity/
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startIdentityService } from "../../identity/start-local.mjs";
import { applyMigrations, splitSql } from "../../identity/migrate.mjs";

const TOKEN = "test-token-123";
let svc;
before(async () => {
  svc = await startIdentityService({ token: TOKEN });
});
after(async () => {
  await svc?.close();
});

let seq = 0;
const unique = (prefix) => `${prefix}-${process.pid}-${Date.now()}-${++seq}`;
const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };

async function post(body, { headers = auth, raw } = {}) {
  const res = await fetch(`${svc.url}/identifier`, { method: "POST", headers, body: raw ?? JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: await res.json() };
}
// Stitching and merging as a server event (trust "server") does it; what browser hits may do is
// tested in trust.test.mjs.
const visit = async (fields) => {
  const r = await post({ platform: "web", count_prev_visits: true, trust: "server", ...fields });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.success, true);
  return r.body.data;
};
const journal = async (fields) => {
  const r = await post({ platform: "web", trust: "server", ...fields });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.data;
};
const person = async (uuid) => {
  const res = await fetch(`${svc.url}/person/${uuid}`, { headers: auth });
  return { status: res.status, body: await res.json() };
};

test("the service listens on a host port and reports health", async () => {
  assert.match(svc.url, /^http:\/\/127\.0\.0\.1:\d+\/api\/v1$/);
  const res = await fetch(`${svc.origin}/healthz`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: "ok" });
});

test("stitching: same anonymous_id -> same uuid; email links later; counts", async () => {
  const anon = unique("anon");
  const email = `${unique("u")}@Example.com`;
  const first = await visit({ anonymous_id: anon });
  assert.match(first.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(first.count_prev_visits, 0);
  assert.equal(first.email, "");

  const second = await visit({ anonymous_id: anon });
  assert.equal(second.uuid, first.uuid);
  assert.equal(second.count_prev_visits, 1);

  const withEmail = await visit({ anonymous_id: anon, email: `  ${email.toUpperCase()} ` });
  assert.equal(withEmail.uuid, first.uuid);
  assert.equal(withEmail.count_prev_visits, 2);
  assert.equal(withEmail.email, email.toLowerCase(), "email is returned normalized");

  // the email alone (another device), written differently, now resolves to the same person
  const byEmail = await visit({ email: email.toLowerCase(), anonymous_id: unique("device2") });
  assert.equal(byEmail.uuid, first.uuid);
  assert.equal(byEmail.count_prev_visits, 3);
});

test("stitching: phone normalization '+1 (650) 555-1212' matches '16505551212'", async () => {
  const a = await visit({ anonymous_id: unique("p1"), phone: "+1 (650) 555-1212" });
  // a phone alone is not a key in the API, but it links: a new anonymous_id with the same phone
  const b = await visit({ anonymous_id: unique("p2"), phone: "16505551212" });
  assert.equal(b.uuid, a.uuid);
  assert.equal(b.count_prev_visits, 1);
});

test("merge: anonymous A and email E as two persons; A+E merges into the older uuid; the other still resolves", async () => {
  const anon = unique("A");
  const email = `${unique("e")}@example.com`;
  const pa = await visit({ anonymous_id: anon });
  await new Promise((r) => setTimeout(r, 5)); // distinct created_at
  const pe = await visit({ email });
  assert.notEqual(pa.uuid, pe.uuid);

  const merged = await visit({ anonymous_id: anon, email });
  assert.equal(merged.uuid, pa.uuid, "the oldest person is kept");
  assert.equal(merged.count_prev_visits, 2, "both persons' journals count");

  assert.equal((await visit({ email })).uuid, pa.uuid);
  const alias = await person(pe.uuid);
  assert.equal(alias.status, 200);
  assert.deepEqual(alias.body.data, { uuid: pa.uuid, requested: pe.uuid, merged: true, aliases: [pe.uuid] });
  const live = await person(pa.uuid);
  assert.equal(live.body.data.merged, false);
  assert.equal((await person("00000000-0000-4000-8000-000000000000")).status, 404);

  const rows = await svc.db.prepare("SELECT COUNT(*) AS n FROM persons WHERE uuid = ?1").bind(pe.uuid).first();
  assert.equal(rows.n, 0, "the merged person row is gone");
});

test("merge chains: an alias of a merged person follows it to the final person", async () => {
  const [a, b, c] = [unique("ca"), unique("cb"), unique("cc")];
  const p1 = await visit({ anonymous_id: a });
  await new Promise((r) => setTimeout(r, 3));
  const p2 = await visit({ anonymous_id: b });
  await new Promise((r) => setTimeout(r, 3));
  const p3 = await visit({ anonymous_id: c });
  assert.equal((await visit({ anonymous_id: c, email: `${b}@x.io` })).uuid, p3.uuid);
  assert.equal((await visit({ anonymous_id: b, email: `${b}@x.io` })).uuid, p2.uuid); // p3 -> p2
  assert.equal((await visit({ anonymous_id: a, email: `${b}@x.io` })).uuid, p1.uuid); // p2 -> p1
  assert.equal((await person(p3.uuid)).body.data.uuid, p1.uuid);
  assert.equal((await person(p2.uuid)).body.data.uuid, p1.uuid);
  assert.deepEqual((await person(p1.uuid)).body.data.aliases.sort(), [p2.uuid, p3.uuid].sort());
  assert.equal((await visit({ anonymous_id: c })).count_prev_visits, 6);
});

test("journal: newest first, original payloads kept, created_at ISO", async () => {
  const anon = unique("j");
  const p1 = { anonymous_id: anon, platform: "web", fbclid: "IwAR-click", valuation_properties: { action: "omni_meta_v1_page_view", properties: { page: "/" } } };
  const p2 = { anonymous_id: anon, platform: "web", email: "  Jane.Doe@Example.COM ", phone: "+1 (650) 555-0000", gaclid: "Cj0-gclid", count_prev_visits: true };
  await post(p1);
  await new Promise((r) => setTimeout(r, 3));
  await post(p2);
  await new Promise((r) => setTimeout(r, 3));
  const p3 = { anonymous_id: anon, platform: "app", count_prev_visits: true, valuation_properties: { action: "lookup", properties: {} } };
  await post(p3);
  await new Promise((r) => setTimeout(r, 3));
  const data = await journal({ anonymous_id: anon, platform: "web", email: "other@example.com" });
  assert.equal(data.journal.length, 2, "only count-mode requests are journaled, retrievals are not");
  const [newest, oldest] = data.journal;
  for (const e of data.journal) assert.match(e.created_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  assert.ok(newest.created_at > oldest.created_at, "newest first");
  const { created_at: _b, ...o } = oldest;
  const { count_prev_visits: _c, ...p2payload } = p2;
  assert.deepEqual(o, p2payload, "the exact original values, not normalized, without count_prev_visits");
  assert.equal(newest.platform, "app");
  assert.equal(data.uuid, (await visit({ anonymous_id: anon })).uuid);
  assert.equal((await visit({ email: "Other@Example.com" })).uuid, data.uuid, "the retrieval still stitched its email");
  assert.equal((await journal({ anonymous_id: anon })).journal.length, 4, "the two visits above, journaled");
});

test("auth: 401 with the documented error shape", async () => {
  const none = await post({ anonymous_id: "x" }, { headers: { "content-type": "application/json" } });
  assert.equal(none.status, 401);
  assert.equal(none.body.success, false);
  assert.equal(none.body.error.code, "UNAUTHORIZED");
  assert.equal(typeof none.body.error.message, "string");
  const wrong = await post({ anonymous_id: "x" }, { headers: { ...auth, authorization: "Bearer nope" } });
  assert.equal(wrong.status, 401);
  assert.deepEqual(Object.keys(wrong.body.error).sort(), ["code", "message"]);
  assert.equal((await fetch(`${svc.url}/person/x`)).status, 401);
});

test("400: missing identifiers, bad JSON, non-object bodies, wrong types", async () => {
  const cases = [
    [{ platform: "web", count_prev_visits: true }, "MISSING_IDENTIFIER"],
    [{ platform: "web", anonymous_id: "  ", email: "" }, "MISSING_IDENTIFIER"],
    [{ platform: "web", phone: "+16505551212" }, "MISSING_IDENTIFIER"],
    [{ anonymous_id: 42 }, "INVALID_PARAMETER"],
    [{ email: "not-an-email" }, "INVALID_PARAMETER"],
    [{ anonymous_id: "a", valuation_properties: [1] }, "INVALID_PARAMETER"],
    [{ anonymous_id: "a", count_prev_visits: "yes" }, "INVALID_PARAMETER"],
  ];
  for (const [body, code] of cases) {
    const r = await post(body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.deepEqual(r.body, { success: false, error: { message: r.body.error.message, code } });
  }
  for (const raw of ["{bad json", "", "[1,2]", "null", '"string"', "42"]) {
    const r = await post(null, { raw });
    assert.equal(r.status, 400, raw);
    assert.equal(r.body.success, false);
    assert.match(r.body.error.code, /^INVALID_(JSON|BODY)$/);
  }
});

test("413 for bodies over 16 KB (declared or streamed) and journal entries over 8 KB", async () => {
  const big = JSON.stringify({ anonymous_id: "big", valuation_properties: { action: "x", properties: { blob: "x".repeat(17 * 1024) } } });
  const r = await post(null, { raw: big });
  assert.equal(r.status, 413);
  assert.equal(r.body.error.code, "PAYLOAD_TOO_LARGE");
  const bytes = new TextEncoder().encode(big);
  const stream = new ReadableStream({
    start(c) {
      for (let i = 0; i < bytes.length; i += 8192) c.enqueue(bytes.slice(i, i + 8192));
      c.close();
    },
  });
  const res = await fetch(`${svc.url}/identifier`, { method: "POST", headers: auth, body: stream, duplex: "half" });
  assert.equal(res.status, 413);
  // a body within 16 KB whose journal entry would be over 8 KB: 413 naming valuation_properties
  const entry = await post({ anonymous_id: unique("entry"), count_prev_visits: true, valuation_properties: { action: "x", properties: { blob: "x".repeat(9 * 1024) } } });
  assert.equal(entry.status, 413);
  assert.match(entry.body.error.message, /journal entry .* over 8192: shorten valuation_properties/);
  // just under the limit is accepted
  const fits = JSON.stringify({ anonymous_id: unique("fits"), valuation_properties: { action: "x", properties: { blob: "x".repeat(7 * 1024) } } });
  assert.equal((await post(null, { raw: fits })).status, 200);
});

test("404 and 405", async () => {
  const get = await fetch(`${svc.url}/identifier`, { headers: auth });
  assert.equal(get.status, 405);
  assert.equal(get.headers.get("allow"), "POST");
  assert.equal((await get.json()).error.code, "METHOD_NOT_ALLOWED");
  const missing = await fetch(`${svc.url}/nope`, { method: "POST", headers: auth, body: "{}" });
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).success, false);
  assert.equal((await fetch(`${svc.origin}/healthz`, { method: "POST" })).status, 405);
});

test("rate-limit headers on responses; 429 past the limit of a fixed window", async () => {
  const r = await post({ anonymous_id: unique("rl"), platform: "web", count_prev_visits: true });
  const limit = Number(r.headers.get("x-ratelimit-limit"));
  const remaining = Number(r.headers.get("x-ratelimit-remaining"));
  const reset = Number(r.headers.get("x-ratelimit-reset"));
  assert.equal(limit, 6000);
  assert.ok(remaining >= 0 && remaining < limit);
  assert.ok(reset > Date.now() / 1000 - 1 && reset <= Date.now() / 1000 + 61, `reset ${reset} is unix seconds`);

  const small = await startIdentityService({ token: "other", rateLimit: 2, rateLimitWindow: 3600 });
  try {
    let n = 0; // a new anonymous id each time: only the token's limit applies
    const call = () => fetch(`${small.url}/identifier`, { method: "POST", headers: { authorization: "Bearer other" }, body: JSON.stringify({ anonymous_id: `z${++n}`, count_prev_visits: true }) });
    const statuses = [];
    let last;
    for (let i = 0; i < 3; i++) {
      last = await call();
      statuses.push([last.status, last.headers.get("x-ratelimit-remaining")]);
      await last.arrayBuffer();
    }
    assert.deepEqual(statuses, [[200, "1"], [200, "0"], [429, "0"]]);
    assert.ok(Number(last.headers.get("retry-after")) > 0);
  } finally {
    await small.close();
  }
});

test("concurrency: 20 simultaneous first requests with the same new identifiers -> one person", async () => {
  const anon = unique("conc");
  const email = `${unique("conc")}@example.com`;
  const results = await Promise.all(Array.from({ length: 20 }, () => visit({ anonymous_id: anon, email })));
  const uuids = new Set(results.map((r) => r.uuid));
  assert.equal(uuids.size, 1, [...uuids].join(","));
  const [uuid] = uuids;
  assert.deepEqual(results.map((r) => r.count_prev_visits).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i), "each saw the others serialized");
  const owners = await svc.db.prepare("SELECT COUNT(DISTINCT person_uuid) AS n FROM identifiers WHERE value IN (?1, ?2)").bind(anon, email).first();
  assert.equal(owners.n, 1);
  const personRows = await svc.db.prepare("SELECT COUNT(*) AS n FROM persons WHERE uuid = ?1").bind(uuid).first();
  assert.equal(personRows.n, 1);
  const orphans = await svc.db.prepare("SELECT COUNT(*) AS n FROM persons p WHERE NOT EXISTS (SELECT 1 FROM identifiers i WHERE i.person_uuid = p.uuid)").first();
  assert.equal(orphans.n, 0, "no person was created and left without identifiers");
  const scratch = await svc.db.prepare("SELECT (SELECT COUNT(*) FROM request_state) + (SELECT COUNT(*) FROM request_losers) AS n").first();
  assert.equal(scratch.n, 0);
});

test("concurrency with merges: simultaneous anon-only, email-only and both end in one person", async () => {
  const anon = unique("mix");
  const email = `${unique("mix")}@example.com`;
  const bodies = Array.from({ length: 21 }, (_, i) => (i % 3 === 0 ? { anonymous_id: anon } : i % 3 === 1 ? { email } : { anonymous_id: anon, email }));
  const results = await Promise.all(bodies.map((b) => visit(b)));
  const final = await visit({ anonymous_id: anon, email });
  assert.equal(final.count_prev_visits, 21);
  for (const r of results) assert.equal((await person(r.uuid)).body.data.uuid, final.uuid);
  const owners = await svc.db.prepare("SELECT COUNT(DISTINCT person_uuid) AS n FROM identifiers WHERE value IN (?1, ?2)").bind(anon, email).first();
  assert.equal(owners.n, 1);
});

test("migrations: recorded in d1_migrations, re-applying is a no-op", async () => {
  assert.deepEqual(await applyMigrations(svc.db), []);
  const rows = await svc.db.prepare("SELECT name FROM d1_migrations").all();
  assert.deepEqual(rows.results.map((r) => r.name), ["0001_init.sql", "0002_trust_erasure_retention.sql"]);
  assert.deepEqual(splitSql("-- c; x\nCREATE TABLE t (a TEXT DEFAULT 'x;y'); /* ; */ SELECT 1;"), ["CREATE TABLE t (a TEXT DEFAULT 'x;y')", "SELECT 1"]);
});
