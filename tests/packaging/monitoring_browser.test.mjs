// The dashboard's monitoring (history, events by name and pixel, EMQ estimate, coverage,
// deduplication, recent events, tags) in headless Chromium, from the installed package. Two tags
// send to two pixels, each through its own local Meta sandbox; a known mix of events goes in and
// every figure on the page is checked against what was sent and what each sandbox received. A
// rejection at one pixel shows Meta's message, redacted. serve restarts on the same history file
// and the page shows the same history. Screenshots (the top of the page) at desktop and phone width
// go to target/artifacts; docs/ holds a copy for the README.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "omni-meta-capi/serve";
import { startMetaSandbox } from "../../sandbox/meta-sandbox.mjs";

const TOKEN_A = "EAAB-shop-token-111";
const TOKEN_B = "EAAB-ads-token-222";
const EVENT_TOKEN = "monitoring-browser-token-0123456789";
const DASH = "monitoring-dash-secret";
const PII = "jane.doe@example.com";
const SECRETS = [TOKEN_A, TOKEN_B, EVENT_TOKEN, DASH, PII, "+14155550134"];
const ARTIFACTS = new URL("../artifacts/", import.meta.url);
// The README's EMQ weights (src/emq.rs), re-stated: the page must agree with the documented method.
const WEIGHTS = { em: 25, ph: 15, fbc: 15, external_id: 10, fbp: 8, client_ip_address: 6, client_user_agent: 6, fn: 3, ln: 3, db: 2, zp: 2, ge: 1, ct: 1, st: 1, country: 1, fb_login_id: 1 };
const META_NAMES = { purchase: "Purchase", page_view: "PageView", generate_lead: "Lead", view_item: "ViewContent" };

const dir = mkdtempSync(join(tmpdir(), "omni-monitoring-browser-"));
const historyFile = join(dir, "history.sqlite");
let a; // sandbox of pixel 111 (tag "shop", test mode)
let b; // sandbox of pixel 222 (tag "ads")
let server;
let browser;
let context;
let page;
const requestUrls = [];
const consoleErrors = [];
const sent = []; // every event posted: {name, id?}

function start() {
  const base = { actionSource: "website", consent: { requireAdStorage: true, whenMissing: "send" }, ipAnonymization: "none", logLevel: "ERROR", retry: { attempts: 1 } };
  return serve({
    config: {
      tags: [
        { name: "shop", pixelId: "111", accessToken: TOKEN_A, testEventCode: "TEST111", graphBaseUrl: a.url, ...base },
        { name: "ads", pixelId: "222", accessToken: TOKEN_B, graphBaseUrl: b.url, ...base },
      ],
      dashboardToken: DASH,
      eventTokens: [EVENT_TOKEN],
      history: { path: historyFile },
    },
    env: {},
    port: 0,
    options: { log: () => {} },
  });
}

async function post(events) {
  const res = await fetch(`${server.url}/event`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${EVENT_TOKEN}` },
    body: JSON.stringify(events),
  });
  assert.equal(res.status, 202, await res.text());
  for (const e of events) sent.push({ name: META_NAMES[e.event_name], id: e.event_id, denied: e.consent_state?.ad_storage === "denied" });
  await server.container.idle();
}

const ev = (name, extra = {}) => ({
  event_name: name,
  page_location: "https://shop.example.com/p",
  ip_override: "81.2.69.9",
  user_agent: "Mozilla/5.0 (Monitoring test)",
  ...extra,
});
const purchase = (extra = {}) => ev("purchase", { value: 42, currency: "EUR", ...extra });

before(async () => {
  a = await startMetaSandbox({ tokens: { 111: TOKEN_A } });
  b = await startMetaSandbox({ tokens: { 222: TOKEN_B } });
  server = await start();
  assert.deepEqual(server.container.report.errors, []);
  // The mix: 3 purchases with a page event_id, email, phone and customer id; 1 without an id,
  // email only; 4 page views (no id); 2 leads with an id and an email; 1 purchase Meta rejects at
  // pixel 222 only (its message names a person and a token); 1 view denied by consent.
  for (let i = 0; i < 3; i++) await post([purchase({ event_id: `order-${i}`, user_id: `cust-${i}`, user_data: { email_address: `buyer${i}@example.com`, phone_number: "+14155550134" } })]);
  await post([purchase({ user_data: { email_address: "buyer9@example.com" } })]);
  await post([ev("page_view"), ev("page_view"), ev("page_view"), ev("page_view")]);
  await post([ev("generate_lead", { event_id: "lead-1", user_data: { email_address: "lead1@example.com" } }), ev("generate_lead", { event_id: "lead-2", user_data: { email_address: "lead2@example.com" } })]);
  b.injectFaults([{ error: { code: 100, subcode: 2804019, error_user_title: "Purchase value missing", error_user_msg: `The purchase of ${PII} could not be read (token ${TOKEN_B})` } }]);
  await post([purchase({ event_id: "order-rejected", user_data: { email_address: "buyer7@example.com" } })]);
  await post([ev("view_item", { consent_state: { ad_storage: "denied" } })]);

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  context = await browser.newContext({ httpCredentials: { username: "admin", password: DASH }, locale: "en-US", timezoneId: "UTC", viewport: { width: 1280, height: 900 } });
  context.on("request", (r) => requestUrls.push(r.url()));
  page = await context.newPage();
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
});

after(async () => {
  await context?.close().catch(() => {});
  await browser?.close();
  await server?.close();
  await a?.close();
  await b?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What each pixel's Meta received: [{name, keys}] per accepted event. */
const receivedBy = (sandbox) => sandbox.received.flatMap((r) => r.events.map((e) => ({ name: e.event_name, keys: Object.keys(e.user_data ?? {}).filter((k) => e.user_data[k] !== "" && !(Array.isArray(e.user_data[k]) && !e.user_data[k].length)) })));

/** The documented estimate (README): sum of weight x coverage, in tenths, rounded to nearest. */
function estimate(events) {
  const n = events.length;
  let points = 0;
  for (const [k, w] of Object.entries(WEIGHTS)) points += w * events.filter((e) => e.keys.includes(k)).length;
  return Math.floor((points + Math.floor(n / 2)) / n) / 10;
}

const cells = (locator) => locator.evaluateAll((rows) => rows.map((r) => Object.fromEntries([...r.querySelectorAll("td")].map((td) => [td.dataset.cell, td.textContent]))));
const value = async (id) => Number(await page.getAttribute(`#${id}`, "data-value"));

async function open(range = "1h") {
  const res = await page.goto(`${server.url}/dashboard`);
  assert.equal(res.status(), 200);
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 10_000 });
  if ((await page.inputValue("#range")) !== range) {
    const answered = page.waitForResponse((r) => r.url().includes(`/dashboard/data?range=${range}`));
    await page.selectOption("#range", range);
    await answered;
    await page.waitForFunction((r) => document.querySelector("#h-scope").textContent !== "" && document.querySelector("#range").value === r, range);
  }
}

/** Every figure of the all-tags view, from what was sent and what each sandbox received. */
async function checkFigures() {
  const atA = receivedBy(a);
  const atB = receivedBy(b);
  const toSend = sent.filter((e) => !e.denied).length; // 11: each tag sends each of them
  assert.equal(atA.length, toSend);
  assert.equal(atB.length, toSend - 1, "pixel 222 rejected one purchase");

  assert.equal(await value("h-received"), sent.length);
  assert.equal(await value("h-accepted"), atA.length + atB.length);
  assert.equal(await value("h-rejected"), 1);
  assert.equal(await value("h-failed"), 0);
  assert.equal(await value("h-skipped"), 2, "the denied view, once per tag");
  assert.equal(await value("h-error-rate"), Math.round(10_000 / (atA.length + atB.length + 1)) / 10_000, "4 digits");

  // By event name: received by the container, accepted at both pixels, rejected.
  const events = await cells(page.locator('[data-testid="event-row"]'));
  const names = [...new Set(sent.map((e) => e.name))].sort();
  assert.deepEqual(events.map((e) => e.event), names);
  for (const e of events) {
    const accepted = [...atA, ...atB].filter((x) => x.name === e.event).length;
    assert.deepEqual(
      [e.received, e.accepted, e.rejected, e.failed].map(Number),
      [sent.filter((x) => x.name === e.event).length, accepted, e.event === "Purchase" ? 1 : 0, 0],
      e.event,
    );
  }
  // By pixel.
  const pixels = await cells(page.locator('[data-testid="pixel-row"]'));
  assert.deepEqual(pixels.map((p) => [p.pixel, Number(p.accepted), Number(p.rejected)]), [["111", atA.length, 0], ["222", atB.length, 1]]);

  // Deduplication: events with an event_id from the page vs generated by the container.
  assert.equal(await value("dedup-page"), sent.filter((e) => e.id).length);
  assert.equal(await value("dedup-generated"), sent.filter((e) => !e.id).length);

  // EMQ estimate per pixel and event name, over what Meta accepted there.
  const emq = await page.locator('[data-testid="emq-row"]').evaluateAll((rows) => rows.map((r) => [r.dataset.pixel, r.dataset.event, Number(r.dataset.score), r.querySelector('[data-cell="raise"]').textContent]));
  const expected = [];
  for (const [pixel, got] of [["111", atA], ["222", atB]])
    for (const name of [...new Set(got.map((e) => e.name))].sort()) expected.push([pixel, name, estimate(got.filter((e) => e.name === name))]);
  assert.deepEqual(emq.map((r) => r.slice(0, 3)), expected);
  const purchase111 = emq.find((r) => r[0] === "111" && r[1] === "Purchase");
  assert.match(purchase111[3], /^fbc \+1\.5/, "fbc (15 points) is what these purchases lack most");

  // Coverage of every user_data key for the picked row (the first: pixel 111's Lead).
  const first = expected[0];
  assert.equal(await page.textContent('[data-testid="coverage-of"]'), `${first[1]} at pixel ${first[0]}, ${atA.filter((e) => e.name === first[1]).length} accepted events`);
  const coverage = await page.locator('[data-testid="cov-row"]').evaluateAll((rows) => rows.map((r) => [r.dataset.key, Number(r.dataset.pct)]));
  assert.equal(coverage.length, 26, "every user_data key Meta takes");
  const leads = atA.filter((e) => e.name === first[1]);
  for (const [key, pct] of coverage) assert.equal(pct, Math.round((100 * leads.filter((e) => e.keys.includes(key)).length) / leads.length), key);

  // Tags: test mode, last event, last error.
  const tags = await cells(page.locator('[data-testid="tag-row"]'));
  assert.deepEqual(tags.map((t) => [t.tag, t.pixels, t.mode]), [["shop", "111", "test mode (testEventCode)"], ["ads", "222", "live"]]);
  assert.ok(tags.every((t) => t["last-event"] !== "–"));
  assert.deepEqual(tags.map((t) => t["last-error"] === "–"), [true, false]);

  // Recent events: the rejection with Meta's message, redacted; trace ids.
  const recent = await cells(page.locator('[data-testid="recent-row"]'));
  assert.equal(recent.length, atA.length + atB.length + 1);
  const rejected = recent.filter((r) => r.status === "rejected");
  assert.equal(rejected.length, 1);
  assert.deepEqual([rejected[0].event, rejected[0].pixel, rejected[0].tag], ["Purchase", "222", "ads"]);
  assert.match(rejected[0].message, /^100\/2804019 · Purchase value missing · The purchase of \[redacted\] could not be read/);
  assert.ok(recent.every((r) => /^[A-Za-z0-9_-]{10,}$/.test(r.trace)), "Meta's fbtrace_id on every event");
  assert.ok(recent.filter((r) => r.status === "accepted" && r.event === "PageView").every((r) => r.keys.includes("client_ip_address")));

  // No identity configured: no identity panel.
  assert.equal(await page.isHidden("#identity-card"), true);
  const html = await page.content();
  for (const s of SECRETS) assert.ok(!html.includes(s), `the page must not show ${s}`);
}

test("every figure on the page matches what was sent and what Meta received", async () => {
  await open("1h");
  assert.match(await page.textContent('[data-testid="history-scope"]'), /SQLite: every instance, kept across restarts/);
  await checkFigures();
  // One tag: its pixel only, the container's received counts for every tag.
  await page.selectOption("#tag", "ads");
  const pixels = await cells(page.locator('[data-testid="pixel-row"]'));
  assert.deepEqual(pixels.map((p) => p.pixel), ["222"]);
  assert.equal(await value("h-accepted"), receivedBy(b).length);
  await page.selectOption("#tag", "");
});

test("the same history after a restart of serve (new process state, same file)", async () => {
  await server.close();
  server = await start();
  await open("1h");
  await checkFigures();
  // This instance's own counters start again at zero.
  assert.equal(await value("received"), 0);
});

test("the page loads nothing from outside 127.0.0.1, logs no error; screenshots at desktop and phone width", async () => {
  const outside = requestUrls.filter((u) => !u.startsWith("data:") && new URL(u).hostname !== "127.0.0.1");
  assert.deepEqual(outside, []);
  assert.deepEqual(consoleErrors, []);
  mkdirSync(ARTIFACTS, { recursive: true });
  await open("24h");
  const desktop = new URL("dashboard-desktop.png", ARTIFACTS);
  await page.screenshot({ path: fileURLToPath(desktop), fullPage: true, clip: { x: 0, y: 0, width: 1280, height: 2300 } });
  await page.setViewportSize({ width: 390, height: 844 });
  await open("24h");
  // Nothing wider than the phone's screen but the tables' own scroll boxes.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  const phone = new URL("dashboard-phone.png", ARTIFACTS);
  await page.screenshot({ path: fileURLToPath(phone), fullPage: true, clip: { x: 0, y: 0, width: 390, height: 2600 } });
  for (const shot of [desktop, phone]) assert.ok(statSync(shot).size > 20 * 1024, `${shot} is ${statSync(shot).size} bytes`);
  await page.setViewportSize({ width: 1280, height: 900 });
});
