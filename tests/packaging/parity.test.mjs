// Parity with Stape's and Meta's sGTM tags (issue 13), as installed: Event Enhancement through
// the server container (the `_gtmeec` cookie set on one request fills user_data, hashed, on a
// later request of the same browser, and that is what the Meta sandbox receives) and the
// `cookies.httpOnly` option, in the container and in `createTag`.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createTag } from "omni-meta-capi";
import { serve } from "omni-meta-capi/serve";
import { startMetaSandbox } from "../../sandbox/meta-sandbox.mjs";

const TOKEN = "EAAB-parity-token";
const EVENT_TOKEN = "parity-event-token-0123456789abcdef";
const UA = "Mozilla/5.0 (Test) parity";
const sha256 = (s) => createHash("sha256").update(s).digest("hex");
let sandbox;
let server;

before(async () => {
  sandbox = await startMetaSandbox({ tokens: { "1234567890": TOKEN } });
  server = await serve({
    config: {
      tags: [{
        pixelId: "1234567890", accessToken: TOKEN, graphBaseUrl: sandbox.url,
        eventEnhancement: true, cookies: { httpOnly: true }, retry: { attempts: 1 },
      }],
      eventTokens: [EVENT_TOKEN],
      allowedOrigins: ["https://www.shop.example.com"],
    },
    port: 0,
    options: { log: () => {} },
  });
});
after(async () => {
  await server?.close();
  await sandbox?.close();
});
beforeEach(() => sandbox.reset());

const postEvent = (event, headers = {}) =>
  fetch(`${server.url}/event`, {
    method: "POST",
    body: JSON.stringify(event),
    headers: { authorization: `Bearer ${EVENT_TOKEN}`, "user-agent": UA, ...headers },
  });

const pageView = (id, extra = {}) => ({
  event_name: "page_view", event_id: id, page_location: "https://www.shop.example.com/p",
  user_agent: UA, ip_override: "8.8.4.4", ...extra,
});

/** `name=value` of a Set-Cookie header list. */
const cookieValue = (setCookies, name) => setCookies.find((c) => c.startsWith(`${name}=`))?.split(";")[0].slice(name.length + 1);

test("Event Enhancement: the cookie set on one request fills a later request of that browser, hashed", async () => {
  const first = await postEvent(pageView("ee-1", { user_data: { email_address: "Jane.Doe@Example.com", phone_number: "+1 650 555 1212" } }));
  assert.equal(first.status, 202);
  const setCookies = first.headers.getSetCookie();
  const eec = setCookies.find((c) => c.startsWith("_gtmeec="));
  assert.ok(eec, JSON.stringify(setCookies));
  assert.match(eec, /; Secure; SameSite=Strict; HttpOnly$/);
  // The peers' format: base64 of JSON of hashes, never plaintext.
  const stored = JSON.parse(Buffer.from(cookieValue(setCookies, "_gtmeec"), "base64").toString("utf8"));
  assert.deepEqual(stored, { em: sha256("jane.doe@example.com"), ph: sha256("16505551212") });

  // The same browser later, without user data: the sandbox receives the stored hashes.
  const cookie = ["_gtmeec", "_fbp"].map((n) => `${n}=${cookieValue(setCookies, n)}`).join("; ");
  const later = await postEvent(pageView("ee-2"), { cookie });
  assert.equal(later.status, 202);
  await server.container.idle();
  const received = sandbox.received.flatMap((r) => r.events);
  const second = received.find((e) => e.event_id === "ee-2");
  assert.ok(second, JSON.stringify(received.map((e) => e.event_id)));
  assert.deepEqual(second.user_data.em, [sha256("jane.doe@example.com")]);
  assert.deepEqual(second.user_data.ph, [sha256("16505551212")]);
  const bodies = JSON.stringify(sandbox.received);
  assert.ok(!/jane/i.test(bodies) && !bodies.includes("650 555"), "no plaintext reaches Meta");

  // A browser that said no to ad storage: no cookie, and the stored one is not used.
  const denied = await postEvent(pageView("ee-3", { consent_state: { ad_storage: "denied" } }), { cookie });
  assert.equal(cookieValue(denied.headers.getSetCookie(), "_gtmeec"), undefined);
  await server.container.idle();
  const third = sandbox.received.flatMap((r) => r.events).find((e) => e.event_id === "ee-3");
  assert.equal(third.user_data.em, undefined);
});

test("cookies.httpOnly: _fbp and _fbc are set HttpOnly by the container", async () => {
  const res = await postEvent(pageView("h-1", { page_location: "https://www.shop.example.com/p?fbclid=IwAR-http-only" }));
  const setCookies = res.headers.getSetCookie();
  for (const name of ["_fbp", "_fbc"]) {
    const c = setCookies.find((h) => h.startsWith(`${name}=`));
    assert.ok(c, `${name} in ${JSON.stringify(setCookies)}`);
    assert.match(c, /; Secure; SameSite=Lax; HttpOnly$/);
  }
});

test("createTag: cookie options and the enhancement cookie in build results", () => {
  const event = pageView("t-1", { email: "a@example.com" });
  const request = { cookies: { _fbp: "fb.1.1747000000000.42" } };
  const tag = createTag({ pixelId: "1", accessToken: "t", eventEnhancement: { cookieName: "_ee" }, cookies: { extend: false, httpOnly: true } });
  assert.equal(tag.configReport.valid, true, JSON.stringify(tag.configReport));
  const out = tag.build(event, request, { now: 1_747_945_830_000 });
  assert.equal(out.status, "ready", JSON.stringify(out.report));
  // extend: false: the visitor's unchanged _fbp is not set again; the enhancement cookie is.
  assert.deepEqual(out.cookies.map((c) => c.name), ["_ee"]);
  const [ee] = out.cookies;
  assert.equal(ee.httpOnly, true);
  assert.equal(ee.sameSite, "Strict");
  assert.deepEqual(JSON.parse(Buffer.from(ee.value, "base64").toString()), { em: sha256("a@example.com") });
  const plain = createTag({ pixelId: "1", accessToken: "t" }).build(event, {}, { now: 1_747_945_830_000 });
  assert.deepEqual(plain.cookies.map((c) => [c.name, c.httpOnly, c.sameSite]), [["_fbp", false, "Lax"]]);
  // A peer's option name says where it went.
  const carried = createTag({ pixelId: "1", accessToken: "t", enableEventEnhancement: true });
  assert.match(carried.configReport.warnings[0].message, /here it is eventEnhancement/);
});
