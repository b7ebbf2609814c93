// Erasure, retention (the scheduled() Cron Trigger handler), bounds, scoped tokens and rate
// limits, against the service in real workerd with D1, over real sockets.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startIdentityService } from "../../identity/start-local.mjs";
import { client, unique } from "./helpers.mjs";

const TOKENS = {
  "tag-token": ["resolve", "journal:read"],
  "resolve-only": ["resolve"],
  "dpo-token": ["erase"],
  "ops-token": ["admin"],
};
const logs = [];
let svc;
let tag;
let dpo;
let ops;
before(async () => {
  svc = await startIdentityService({ tokens: TOKENS, onLog: (line) => logs.push(line) });
  [tag, dpo, ops] = ["tag-token", "dpo-token", "ops-token"].map((t) => client(svc, t));
});
after(async () => {
  await svc?.close();
});

let phones = 0;
/** A person with two devices (one merged in), an email, a phone, a user_id and three entries. */
async function person() {
  const p = { anon: unique("a"), anon2: unique("b"), email: `${unique("e")}@example.com`, phone: `+1 415 555 ${String(++phones).padStart(4, "0")}`, userId: unique("u") };
  const first = await tag.visit("server", { anonymous_id: p.anon2 });
  const merged = await tag.visit("server", { anonymous_id: p.anon, email: p.email, user_id: p.userId });
  await tag.visit("server", { anonymous_id: p.anon2, email: p.email, phone: p.phone });
  p.uuid = first.uuid;
  p.alias = merged.uuid === first.uuid ? null : merged.uuid;
  return p;
}

const rowsOf = async (p) =>
  (await svc.db.prepare("SELECT COUNT(*) AS n FROM identifiers WHERE value IN (?1, ?2, ?3, ?4)").bind(p.anon, p.anon2, p.email, p.userId).first()).n;

for (const kind of ["email", "phone", "anonymous_id", "user_id", "uuid"]) {
  test(`erase by ${kind}: the person, identifiers, aliases and journal go in one transaction; the email then starts afresh`, async () => {
    const p = await person();
    // someone else typed this person's email: that entry goes too
    const other = unique("typist");
    await tag.visit("browser", { anonymous_id: other, email: p.email });
    const value = { email: p.email.toUpperCase(), phone: p.phone.replace("+1 ", "+1 (").replace(" 555", ") 555-"), anonymous_id: p.anon, user_id: p.userId, uuid: p.uuid }[kind];
    const r = await dpo.erase({ [kind]: value });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const expected = { persons: 1, identifiers: 5, aliases: p.alias ? 1 : 0, journal_entries: 4 };
    assert.deepEqual(r.body.data.erased, expected);
    assert.equal(await rowsOf(p), 0);
    const typist = await tag.journal("browser", { anonymous_id: other });
    assert.deepEqual(typist.journal, [], "the entry that carried the erased email is gone");
    assert.equal((await tag.person(p.uuid)).status, 404);

    const again = await tag.journal("server", { email: p.email });
    assert.notEqual(again.uuid, p.uuid, "a new person");
    assert.deepEqual(again.journal, []);
    assert.deepEqual((await dpo.erase({ [kind]: value })).body.data.erased.persons, kind === "email" ? 1 : 0, "idempotent");
  });
}

test("erase: an alias uuid erases the live person; bad input is a 400 naming the field; nothing is logged but counts", async () => {
  const p = await person();
  if (p.alias) assert.equal((await dpo.erase({ uuid: p.alias })).body.data.erased.persons, 1);
  for (const [body, code, message] of [
    [{}, "MISSING_IDENTIFIER", /one of email, phone/],
    [{ email: "nope" }, "INVALID_PARAMETER", /^email is not a valid email/],
    [{ phone: "no digits" }, "INVALID_PARAMETER", /^phone is not a usable/],
    [{ uuid: "x'; DROP TABLE persons; --" }, "INVALID_PARAMETER", /^uuid is not a UUID/],
    [{ anonymous_id: 7 }, "INVALID_PARAMETER", /^anonymous_id must be a string/],
  ]) {
    const r = await dpo.erase(body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.body.error.code, code);
    assert.match(r.body.error.message, message);
  }
  const text = logs.join("\n");
  assert.match(text, /identity: erasure deleted 1 person\(s\)/);
  assert.ok(!text.includes(p.email) && !text.includes(p.anon), "no identifier in the logs");
});

test("scopes: 403 naming the missing scope; admin may do everything", async () => {
  const cases = [
    ["resolve-only", "POST", "/identifier", { anonymous_id: unique("s") }, "journal:read"],
    ["dpo-token", "POST", "/identifier", { anonymous_id: unique("s"), count_prev_visits: true }, "resolve"],
    ["dpo-token", "GET", "/person/00000000-0000-4000-8000-000000000000", undefined, "resolve"],
    ["tag-token", "POST", "/erase", { email: "x@example.com" }, "erase"],
    ["tag-token", "GET", "/stats", undefined, "admin"],
    ["dpo-token", "GET", "/stats", undefined, "admin"],
  ];
  for (const [token, method, path, body, scope] of cases) {
    const r = await client(svc, token).call(method, path, body);
    assert.equal(r.status, 403, `${token} ${method} ${path}`);
    assert.deepEqual(r.body, { success: false, error: { code: "FORBIDDEN", message: `this token lacks the scope ${scope}`, scope } });
  }
  assert.equal((await client(svc, "resolve-only").visit("server", { anonymous_id: unique("s") })).count_prev_visits, 0);
  assert.equal((await ops.call("POST", "/erase", { email: "nobody@example.com" })).status, 200);
  assert.equal((await ops.call("POST", "/identifier", { anonymous_id: unique("s") })).status, 200);
  assert.equal((await client(svc, "wrong").call("GET", "/stats")).status, 401);
});

test("bounds: a journal read answers the newest 50 entries", async () => {
  const anon = unique("busy");
  for (let i = 0; i < 55; i++) await tag.visit("server", { anonymous_id: anon, valuation_properties: { action: "page_view", properties: { i } } });
  const { journal } = await tag.journal("server", { anonymous_id: anon });
  assert.equal(journal.length, 50);
  assert.deepEqual([journal[0].valuation_properties.properties.i, journal[49].valuation_properties.properties.i], [54, 5]);
});

test("malformed paths and ids are a 400, never a 500 or a stack trace", async () => {
  for (const [path, code] of [
    ["/person/%E0%A4%A", "INVALID_PATH"],
    ["/person/%", "INVALID_PATH"],
    ["/person/not-a-uuid", "INVALID_PARAMETER"],
  ]) {
    const r = await tag.call("GET", path);
    assert.equal(r.status, 400, path);
    assert.equal(r.body.error.code, code);
  }
  assert.ok(!logs.some((l) => /internal error|at .*worker\.js/.test(l)), logs.join("\n"));
});

test("rate limits per anonymous id: one busy visitor is refused, the others still answered", async () => {
  const small = await startIdentityService({ token: "t", vars: { ANON_RATE_LIMIT: 3 } });
  try {
    const c = client(small, "t");
    const busy = unique("busy");
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await c.call("POST", "/identifier", { anonymous_id: busy, count_prev_visits: true })).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    const refused = await c.call("POST", "/identifier", { anonymous_id: busy, count_prev_visits: true });
    assert.equal(refused.body.error.message, "too many requests for this anonymous_id");
    assert.ok(Number(refused.headers.get("retry-after")) > 0);
    assert.equal((await c.call("POST", "/identifier", { anonymous_id: unique("calm"), count_prev_visits: true })).status, 200);
    const keys = await small.db.prepare("SELECT key FROM rate_limits").all();
    assert.ok(keys.results.every((r) => /^(token|anon):[0-9a-f]{64}$/.test(r.key)), "only digests are stored");
  } finally {
    await small.close();
  }
});

test("rate limits per anonymous id through the Workers Rate Limiting binding when bound", async () => {
  const bound = await startIdentityService({ token: "t", anonRateLimiter: { limit: 2, period: 60 } });
  try {
    const c = client(bound, "t");
    const busy = unique("busy");
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await c.call("POST", "/identifier", { anonymous_id: busy, count_prev_visits: true })).status);
    assert.deepEqual(statuses, [200, 200, 429]);
    const anonRows = await bound.db.prepare("SELECT COUNT(*) AS n FROM rate_limits WHERE key LIKE 'anon:%'").first();
    assert.equal(anonRows.n, 0, "the binding counts, not D1");
  } finally {
    await bound.close();
  }
});

test("retention: the scheduled() handler deletes journal entries and unlinked anonymous ids older than RETENTION_DAYS", async () => {
  const r = await startIdentityService({ token: "t", vars: { RETENTION_DAYS: 30 } });
  try {
    const c = client(r, "t");
    const visitor = unique("gone");
    const linked = unique("kept");
    const email = `${unique("kept")}@example.com`;
    const lone = await c.visit("server", { anonymous_id: visitor });
    const person = await c.visit("server", { anonymous_id: linked, email });
    const day = 86_400_000;

    await r.scheduled(Date.now() + 29 * day);
    assert.equal((await c.stats()).journal_entries, 2, "nothing is old enough yet");

    await r.scheduled(Date.now() + 31 * day);
    const s = await c.stats();
    assert.deepEqual([s.journal_entries, s.persons, s.identifiers], [0, 1, 2]);
    assert.deepEqual([s.counters.retention_journal_entries, s.counters.retention_anonymous_ids], [2, 1]);
    assert.equal((await c.person(lone.uuid)).status, 404, "the unlinked visitor is gone");
    assert.equal((await c.person(person.uuid)).status, 200, "a person with an email stays (erasure removes it)");
    assert.equal((await c.visit("server", { anonymous_id: linked })).count_prev_visits, 0, "its old journal is gone");
  } finally {
    await r.close();
  }
});

test("a misconfigured token table is a 500 MISCONFIGURED that names no token", async () => {
  const bad = await startIdentityService({ token: "t", vars: { IDENTITY_TOKENS: '{"secret-abc": ["everything"]}' } });
  try {
    const r = await client(bad, "t").call("GET", "/stats");
    assert.equal(r.status, 500);
    assert.equal(r.body.error.code, "MISCONFIGURED");
    assert.ok(!JSON.stringify(r.body).includes("secret-abc"));
  } finally {
    await bad.close();
  }
});
