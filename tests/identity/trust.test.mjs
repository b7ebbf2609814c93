// Trust levels and the shared-identifier guard (identity/README.md, "Trust and the threat
// model"), against the service in real workerd with D1, over real sockets.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startIdentityService } from "../../identity/start-local.mjs";
import { client, unique } from "./helpers.mjs";

const TOKEN = "trust-test-token";
const logs = [];
let svc;
let id;
before(async () => {
  svc = await startIdentityService({ token: TOKEN, onLog: (line) => logs.push(line) });
  id = client(svc, TOKEN);
});
after(async () => {
  await svc?.close();
});

const phones = (journal) => journal.map((e) => e.phone).filter(Boolean);

/** A victim who signed up through the site's backend (a server event with email and phone). */
async function victim() {
  const anon = unique("victim");
  const email = `${unique("victim")}@example.com`;
  const phone = `+1 415 555 ${String(1000 + Math.floor(Math.random() * 8999)).slice(0, 4)}`;
  await id.visit("browser", { anonymous_id: anon, fbclid: "IwAR-victim-click" });
  const signUp = await id.visit("server", { anonymous_id: anon, email, phone });
  return { anon, email, phone, uuid: signUp.uuid };
}

test("poisoning: a browser hit with the attacker's id and the victim's email merges nothing and reads back none of the victim's data", async () => {
  const v = await victim();
  const attacker = unique("attacker");
  const own = await id.visit("browser", { anonymous_id: attacker });
  const hit = await id.visit("browser", { anonymous_id: attacker, email: v.email });
  assert.equal(hit.uuid, own.uuid, "the attacker stays their own person");
  assert.notEqual(hit.uuid, v.uuid);
  assert.equal(hit.email, "", "not the victim's person's email");

  const next = await id.journal("browser", { anonymous_id: attacker });
  assert.equal(next.uuid, own.uuid);
  assert.deepEqual(next.journal.map((e) => e.anonymous_id), [attacker, attacker], "only the attacker's own entries");
  assert.deepEqual(phones(next.journal), [], "never the victim's phone");
  assert.ok(!JSON.stringify(next).includes("IwAR-victim-click"));

  // a fresh attacker id (cookies cleared) is not joined to the victim either
  const fresh = await id.visit("browser", { anonymous_id: unique("attacker2"), email: v.email, phone: "+1 650 555 0000" });
  assert.notEqual(fresh.uuid, v.uuid);

  // the victim is untouched: same person, all of their own data
  const mine = await id.journal("browser", { anonymous_id: v.anon });
  assert.equal(mine.uuid, v.uuid);
  assert.deepEqual(phones(mine.journal), [v.phone]);
  assert.deepEqual((await id.person(v.uuid)).body.data.aliases, [], "nobody was merged into the victim");
  assert.ok((await id.stats()).counters.links_refused >= 2, "the refused links are counted");
});

test("legitimate stitching: the sign-up's email and phone reach later anonymous events of the same visitor and of a device that logs in", async () => {
  const v = await victim();
  // the same browser, later, anonymous (the demo's story): its own sign-up entry
  const later = await id.journal("browser", { anonymous_id: v.anon });
  assert.deepEqual(phones(later.journal), [v.phone]);
  assert.ok(later.journal.some((e) => e.fbclid === "IwAR-victim-click"), "the journaled click");
  assert.equal((await id.visit("browser", { anonymous_id: v.anon })).email, v.email.toLowerCase());

  // a second device, browsing first, then logging in (the backend's server event)
  const device = unique("device2");
  const before = await id.visit("browser", { anonymous_id: device });
  assert.notEqual(before.uuid, v.uuid);
  const login = await id.visit("server", { anonymous_id: device, email: v.email });
  assert.equal(login.uuid, v.uuid, "a server event merges the device's person into the victim's");
  const anonymous = await id.journal("browser", { anonymous_id: device });
  assert.equal(anonymous.uuid, v.uuid);
  assert.deepEqual(phones(anonymous.journal), [v.phone], "a vouched device reads the person's journal");
});

test("user_id trust: a browser presenting a server-vouched user_id joins that person; an unknown or own user_id does not pull in others", async () => {
  const v = await victim();
  const userId = unique("site-user");
  await id.visit("server", { anonymous_id: v.anon, user_id: userId });

  const phone = unique("phone-device");
  const joined = await id.visit("browser", { anonymous_id: phone, user_id: userId });
  assert.equal(joined.uuid, v.uuid, "the logged-in browser joins its user");
  assert.deepEqual(phones((await id.journal("browser", { anonymous_id: phone })).journal), [v.phone]);

  // a made-up user_id proves nothing
  const attacker = unique("attacker");
  const forged = await id.visit("browser", { anonymous_id: attacker, user_id: unique("guess"), email: v.email });
  assert.notEqual(forged.uuid, v.uuid);
  // the attacker's own vouched account does not reach the victim through a typed email
  const attackerUser = unique("attacker-user");
  const account = await id.visit("server", { anonymous_id: attacker, user_id: attackerUser });
  const typed = await id.visit("browser", { anonymous_id: unique("attacker3"), user_id: attackerUser, email: v.email });
  assert.equal(typed.uuid, account.uuid);
  assert.notEqual(typed.uuid, v.uuid);
  assert.deepEqual(phones((await id.journal("browser", { anonymous_id: attacker })).journal), []);
});

test("a browser claim on an email does not capture its owner: the owner's server event takes the email over", async () => {
  const attacker = unique("attacker");
  const email = `${unique("not-yet-seen")}@example.com`;
  const claim = await id.visit("browser", { anonymous_id: attacker, email });
  const owner = unique("owner");
  const signUp = await id.visit("server", { anonymous_id: owner, email, phone: "+1 415 555 0199" });
  assert.notEqual(signUp.uuid, claim.uuid, "the claim is not followed");
  assert.equal((await id.visit("server", { email })).uuid, signUp.uuid, "the email now belongs to its owner");
  assert.deepEqual(phones((await id.journal("browser", { anonymous_id: attacker })).journal), []);
});

test("no trust field (other Omni Identity clients): browser trust by default", async () => {
  const v = await victim();
  const other = unique("legacy");
  const r = await id.call("POST", "/identifier", { anonymous_id: other, email: v.email, count_prev_visits: true });
  assert.equal(r.status, 200);
  assert.notEqual(r.body.data.uuid, v.uuid);
  const bad = await id.call("POST", "/identifier", { anonymous_id: other, trust: "admin" });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /^trust must be/);
});

test("shared identifier: the shop's own checkout email across 100 anonymous ids does not merge them; flagged, counted and logged", async () => {
  const shopEmail = `${unique("orders")}@shop.example.com`;
  const anons = Array.from({ length: 100 }, () => unique("buyer"));
  const first = [];
  for (const anon of anons) first.push((await id.visit("browser", { anonymous_id: anon })).uuid);
  const before = (await id.stats()).counters.shared_flagged;
  const after = [];
  for (const anon of anons) after.push((await id.visit("server", { anonymous_id: anon, email: shopEmail })).uuid);

  const owner = after[0];
  const joined = after.filter((u) => u === owner).length;
  assert.ok(joined <= 10, `at most SHARED_MAX_ANONYMOUS_IDS (10) stitched before the flag, got ${joined}`);
  assert.equal(new Set(after).size, 100 - joined + 1, "every later buyer keeps their own person");
  for (let i = joined; i < anons.length; i++) assert.equal(after[i], first[i]);

  const stats = await id.stats();
  assert.equal(stats.counters.shared_flagged, before + 1);
  const shared = await svc.db.prepare("SELECT anonymous_ids FROM shared_identifiers WHERE kind = 'email' AND value = ?1").bind(shopEmail).first();
  assert.equal(shared.anonymous_ids, 11);
  const line = logs.find((l) => l.includes("flagged shared"));
  assert.match(line, /an email seen with 11 anonymous ids is now flagged shared/);
  assert.ok(!logs.join("\n").includes(shopEmail), "the log never names the email");
  const sightings = await svc.db.prepare("SELECT COUNT(*) AS n FROM sightings WHERE value = ?1").bind(shopEmail).first();
  assert.equal(sightings.n, 0, "a flagged identifier keeps no sightings");
});

test("the trust needed is configurable: server refuses a user_id-proven browser, browser is the old open behaviour, a bad value is MISCONFIGURED", async () => {
  const strict = await startIdentityService({ token: "s", vars: { MERGE_MIN_TRUST: "server", FILL_MIN_TRUST: "server" } });
  try {
    const c = client(strict, "s");
    const userId = unique("user");
    const home = unique("home");
    const person = await c.visit("server", { anonymous_id: home, user_id: userId, phone: "+1 415 555 0100" });
    const browser = await c.visit("browser", { anonymous_id: unique("phone"), user_id: userId });
    assert.notEqual(browser.uuid, person.uuid, "user_id trust is below server: no join");
    assert.equal((await c.visit("server", { anonymous_id: unique("laptop"), user_id: userId })).uuid, person.uuid, "a server event still joins");
  } finally {
    await strict.close();
  }
  // browser / browser: the behaviour before trust levels (documented as unsafe): the poisoning works
  const open = await startIdentityService({ token: "s", vars: { MERGE_MIN_TRUST: "browser", FILL_MIN_TRUST: "browser" } });
  try {
    const c = client(open, "s");
    const email = `${unique("v")}@example.com`;
    const victimPerson = await c.visit("server", { anonymous_id: unique("victim"), email, phone: "+1 415 555 0101" });
    const attacker = unique("attacker");
    await c.visit("browser", { anonymous_id: attacker });
    assert.equal((await c.visit("browser", { anonymous_id: attacker, email })).uuid, victimPerson.uuid);
    assert.deepEqual(phones((await c.journal("browser", { anonymous_id: attacker })).journal), ["+1 415 555 0101"]);
  } finally {
    await open.close();
  }
  const broken = await startIdentityService({ token: "s", vars: { MERGE_MIN_TRUST: "constructor" } });
  try {
    const r = await client(broken, "s").call("POST", "/identifier", { anonymous_id: "x" });
    assert.equal(r.status, 500);
    assert.deepEqual(r.body.error, { code: "MISCONFIGURED", message: "MERGE_MIN_TRUST must be one of browser, user_id, server" });
  } finally {
    await broken.close();
  }
});
