// The dashboard of the server container (GET /dashboard, /dashboard/data) in headless Chromium
// (Debian's, driven by playwright-core), as installed from the packed tarball: two tags ("main"
// with a good token, "broken" whose token Meta refuses with code 190) get a known mix of events
// (accepted, denied by consent, invalid, failed after retries); the page, behind HTTP Basic auth,
// must show exactly the counters the tags keep, combined and per tag, load nothing from outside
// 127.0.0.1, log no errors and leak no secret. A full-page screenshot goes to target/artifacts.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdirSync, statSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "omni-meta-capi/serve";
import { startMetaSandbox } from "../../sandbox/meta-sandbox.mjs";

const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
const META_TOKEN = "EAAB-example-token";
const WRONG_TOKEN = "WRONG-token";
const DASH_TOKEN = "dash-secret-token";
const SECRETS = [META_TOKEN, WRONG_TOKEN, DASH_TOKEN];
const META_190_MESSAGE = "Invalid OAuth access token - Cannot parse access token";
const UA = "Mozilla/5.0 (Test) dashboard";
const SCREENSHOT = new URL("../artifacts/dashboard.png", import.meta.url);
const basic = (user, password) => "Basic " + Buffer.from(`${user}:${password}`).toString("base64");

let sandbox;
let server;
let browser;
let context; // with the dashboard credentials
let page;
const requestUrls = []; // every request any page made, both contexts
const consoleErrors = [];
const dataResponses = []; // generatedAt of every /dashboard/data answer the page got

/** The deliberate mix, per tag (both tags run every event). */
const SENT = { accepted: 5, denied: 2, invalid: 1, failing: 1 };
const RECEIVED = SENT.accepted + SENT.denied + SENT.invalid + SENT.failing; // 9

function hit(extra = "") {
  const query = "v=2&tid=G-1&cid=1.2&en=page_view&dl=" + encodeURIComponent("https://shop.example.com/") + extra;
  return fetch(`${server.url}/g/collect?${query}`, { method: "POST", headers: { "user-agent": UA, "x-forwarded-for": "81.2.69.7" } });
}

before(async () => {
  sandbox = await startMetaSandbox({ tokens: { "1234567890": META_TOKEN } });
  const retry = { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 };
  server = await serve({
    config: {
      tags: [
        { name: "main", ...fixture("tag.json"), graphBaseUrl: sandbox.url, retry },
        { name: "broken", ...fixture("tag.json"), accessToken: WRONG_TOKEN, graphBaseUrl: sandbox.url, retry },
      ],
      dashboardToken: DASH_TOKEN,
      eventTokens: ["dashboard-event-token-0123456789"],
      trustProxy: true,
    },
    env: {},
    port: 0,
    host: "127.0.0.1",
    options: { log: () => {} },
  });
  assert.deepEqual(server.container.report.errors, []);

  // 5 page views Meta accepts for "main" (and rejects with 190 for "broken").
  for (let i = 0; i < SENT.accepted; i++) assert.equal((await hit()).status, 204);
  await server.container.idle();
  // 2 hits with ad_storage denied: skipped as consent.denied by both tags.
  for (let i = 0; i < SENT.denied; i++) assert.equal((await hit("&gcs=G100")).status, 204);
  // 1 event without a name: accepted by the container (202), invalid for both tags.
  const invalid = await fetch(`${server.url}/event`, {
    method: "POST",
    headers: { "user-agent": UA, "content-type": "application/json", authorization: "Bearer dashboard-event-token-0123456789" },
    body: JSON.stringify({ page_location: "https://shop.example.com/" }),
  });
  assert.equal(invalid.status, 202);
  const answer = await invalid.json();
  assert.deepEqual([answer.received, answer.problems, answer.eventIds.length], [1, [], 1]);
  await server.container.idle();
  // 1 hit that fails after retries. Both tags send it, in parallel, and faults are consumed in
  // arrival order; with 2 tries per tag, 4 queued 503s hit every try of both tags whatever the
  // interleaving, so the event fails (code 2, twice) for "main" and for "broken" alike.
  sandbox.injectFaults([{ times: 4, status: 503 }]);
  assert.equal((await hit()).status, 204);
  await server.container.idle();

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  context = await browser.newContext({
    httpCredentials: { username: "admin", password: DASH_TOKEN },
    locale: "en-US",
    timezoneId: "UTC",
    viewport: { width: 1280, height: 900 },
  });
  context.on("request", (r) => requestUrls.push(r.url()));
  context.on("response", (r) => {
    if (new URL(r.url()).pathname === "/dashboard/data" && r.status() === 200) {
      dataResponses.push(r.json().then((d) => d.generatedAt, () => null));
    }
  });
  page = await context.newPage();
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
});

after(async () => {
  await context?.close().catch(() => {});
  await browser?.close();
  await server?.close();
  await sandbox?.close();
});

const metricsOf = (name) => server.container.tags.find((t) => t.name === name).tag.metrics();
const withoutPerMinute = ({ perMinute, ...rest }) => rest;

/** What the page should show for these tags' metrics (the page's own combination rules). */
function expectedView(list) {
  const sum = (k) => list.reduce((a, m) => a + m[k], 0);
  const sumMap = (k) => {
    const out = {};
    for (const m of list) for (const [key, v] of Object.entries(m[k])) out[key] = (out[key] ?? 0) + v;
    return out;
  };
  const counters = {
    received: sum("eventsReceived"), built: sum("eventsBuilt"), accepted: sum("eventsAccepted"),
    rejected: sum("eventsRejected"), failed: sum("eventsFailed"), skipped: sum("eventsSkipped"),
    invalid: sum("eventsInvalid"), requests: sum("requests"), tries: sum("tries"), retries: sum("retries"),
    "identity-calls": sum("identityCalls"), "identity-call-failures": sum("identityCallFailures"),
    "identity-enriched": sum("identityEnriched"),
  };
  const errorRate = (counters.rejected + counters.failed) / (counters.accepted + counters.rejected + counters.failed);
  const matchKeys = sumMap("matchKeys");
  const keyTotal = Object.entries(matchKeys).filter(([k]) => k !== "events").reduce((a, [, v]) => a + v, 0);
  const avgMatchKeys = keyTotal / matchKeys.events;
  const byCount = (a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1);
  const messages = Object.assign({}, ...list.map((m) => m.errorMessages).reverse()); // first tag's message wins
  const errors = Object.entries(sumMap("errorsByCode")).sort(byCount).slice(0, 10)
    .map(([code, count]) => ({ code, count: String(count), cells: [code, count.toLocaleString("en-US"), messages[code]] }));
  const skips = Object.entries(sumMap("skippedByReason")).sort(byCount).map(([reason, count]) => ({ reason, count: String(count) }));
  return { counters, errorRate, avgMatchKeys, errors, skips };
}

/** Everything the page shows, read from the DOM by test id. */
function readView(p) {
  return p.evaluate(() => {
    const one = (id) => document.querySelector(`[data-testid="${id}"]`);
    const val = (id) => ({ text: one(id).textContent, value: one(id).getAttribute("data-value") });
    const ids = ["received", "accepted", "rejected", "failed", "skipped", "invalid", "built", "requests", "tries",
      "retries", "identity-calls", "identity-call-failures", "identity-enriched", "error-rate", "identity-success", "avg-match-keys"];
    const rows = (id) => [...document.querySelectorAll(`tr[data-testid="${id}"]`)];
    const cell = (tr, name) => tr.querySelector(`td[data-cell="${name}"]`).textContent;
    return {
      values: Object.fromEntries(ids.map((id) => [id, val(id)])),
      errors: rows("error-row").map((tr) => ({ code: tr.dataset.code, count: tr.dataset.count, cells: ["code", "count", "message"].map((c) => cell(tr, c)) })),
      skips: rows("skip-row").map((tr) => ({ reason: tr.dataset.reason, count: tr.dataset.count })),
      latency: rows("latency-row").map((tr) => tr.dataset.stage),
      lastUpdated: { tag: one("last-updated").tagName, datetime: one("last-updated").getAttribute("datetime") },
      options: [...one("tag-select").options].map((o) => o.value),
      selected: one("tag-select").value,
      error: document.body.dataset.error ?? null,
    };
  });
}

/** The page equals the metrics, number by number, in en-US formats. */
function assertViewMatches(view, list, label) {
  const want = expectedView(list);
  for (const [id, n] of Object.entries(want.counters)) {
    assert.equal(view.values[id].text, n.toLocaleString("en-US"), `${label}: ${id} text`);
    assert.equal(Number(view.values[id].value), n, `${label}: ${id} data-value`);
  }
  const pct = (want.errorRate * 100).toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 }) + "%";
  assert.equal(view.values["error-rate"].text, pct, `${label}: error-rate text`);
  assert.equal(Number(view.values["error-rate"].value), want.errorRate, `${label}: error-rate data-value`);
  assert.equal(view.values["avg-match-keys"].text, want.avgMatchKeys.toFixed(2), `${label}: avg-match-keys`);
  assert.equal(Number(view.values["avg-match-keys"].value), want.avgMatchKeys, `${label}: avg-match-keys data-value`);
  assert.deepEqual(view.errors, want.errors, `${label}: error rows`);
  assert.deepEqual(view.skips, want.skips, `${label}: skip rows`);
  assert.deepEqual(view.latency, ["build", "identity", "dispatch"], `${label}: latency rows`);
  assert.equal(view.error, null, `${label}: no fetch error`);
}

test("the tags counted the deliberate mix; /dashboard/data serves exactly their metrics", async () => {
  const main = metricsOf("main");
  const broken = metricsOf("broken");
  const built = SENT.accepted + SENT.failing; // 6 events went to Meta per tag
  assert.deepEqual(
    [main.eventsReceived, main.eventsBuilt, main.eventsAccepted, main.eventsRejected, main.eventsFailed, main.eventsSkipped, main.eventsInvalid],
    [RECEIVED, built, SENT.accepted, 0, SENT.failing, SENT.denied, SENT.invalid], "main",
  );
  assert.deepEqual(
    [broken.eventsReceived, broken.eventsBuilt, broken.eventsAccepted, broken.eventsRejected, broken.eventsFailed, broken.eventsSkipped, broken.eventsInvalid],
    [RECEIVED, built, 0, SENT.accepted, SENT.failing, SENT.denied, SENT.invalid], "broken: every event Meta answered was rejected",
  );
  // tries: one per sent event, plus one retry of the failing one.
  for (const m of [main, broken]) assert.deepEqual([m.requests, m.tries, m.retries], [built, built + 1, 1]);
  assert.equal(broken.errorsByCode["190"], SENT.accepted);
  assert.equal(broken.errorMessages["190"], META_190_MESSAGE);
  assert.equal(main.errorsByCode["2"], 2);
  assert.equal(broken.errorsByCode["2"], 2);
  assert.equal(main.errorsByCode["190"], undefined);
  for (const m of [main, broken]) assert.equal(m.skippedByReason["consent.denied"], SENT.denied);

  // The sandbox saw exactly that: 5 accepted, 5 refused with 190, 4 tries on the 503 fault.
  assert.deepEqual(sandbox.pendingFaults, []);
  assert.equal(sandbox.received.flatMap((r) => r.events).length, SENT.accepted);
  assert.equal(sandbox.attempts.filter((a) => a.errorCode === 190).length, SENT.accepted);
  assert.equal(sandbox.attempts.filter((a) => a.faultApplied).length, 4);

  const res = await fetch(`${server.url}/dashboard/data`, { headers: { authorization: basic("admin", DASH_TOKEN) } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /^application\/json/);
  const data = await res.json();
  assert.ok(!Number.isNaN(Date.parse(data.generatedAt)) && /Z$/.test(data.generatedAt), data.generatedAt);
  assert.deepEqual(data.tags.map((t) => t.name), ["main", "broken"]);
  assert.deepEqual(withoutPerMinute(data.tags[0].metrics), withoutPerMinute(metricsOf("main")));
  assert.deepEqual(withoutPerMinute(data.tags[1].metrics), withoutPerMinute(metricsOf("broken")));
  for (const t of data.tags) assert.equal(t.metrics.perMinute.reduce((a, r) => a + r.received, 0), RECEIVED);
});

test("the page shows the combined counters of both tags", async () => {
  const started = Date.now();
  const res = await page.goto(`${server.url}/dashboard`);
  assert.equal(res.status(), 200);
  assert.match(res.headers()["content-type"], /^text\/html/);
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 10_000 });
  const view = await readView(page);
  assert.deepEqual(view.options, ["", "main", "broken"]);
  assert.equal(view.selected, "");
  assertViewMatches(view, [metricsOf("main"), metricsOf("broken")], "combined");

  // Absolute numbers, from the arithmetic of the mix (2 tags x 9 events).
  const v = view.values;
  assert.deepEqual(
    ["received", "built", "accepted", "rejected", "failed", "skipped", "invalid", "requests", "tries", "retries"].map((id) => v[id].text),
    ["18", "12", "5", "5", "2", "4", "2", "12", "14", "2"],
  );
  assert.equal(v["error-rate"].text, "58.3%"); // (5 rejected + 2 failed) / 12 sent
  assert.equal(Number(v["error-rate"].value), 7 / 12);
  // Each built event carried fbp, client_ip_address and client_user_agent: 3 keys.
  assert.equal(v["avg-match-keys"].text, "3.00");
  assert.equal(v["identity-success"].text, "–", "no identity configured: no rate");
  assert.equal(view.errors[0].code, "190", "Meta's 190 is the top error");
  assert.deepEqual(view.errors[0].cells, ["190", "5", META_190_MESSAGE]);
  assert.deepEqual(view.errors.map((e) => [e.code, e.count]), [["190", "5"], ["2", "4"]]);
  assert.ok(view.skips.some((s) => s.reason === "consent.denied" && s.count === "4"), JSON.stringify(view.skips));

  // <time datetime> is the generatedAt of a /dashboard/data answer the page got.
  assert.equal(view.lastUpdated.tag, "TIME");
  const generated = await Promise.all(dataResponses);
  assert.ok(generated.includes(view.lastUpdated.datetime), `${view.lastUpdated.datetime} in ${generated}`);
  const at = Date.parse(view.lastUpdated.datetime);
  assert.ok(at >= started - 1000 && at <= Date.now() + 1000);
});

test("selecting a tag shows that tag's counters alone", async () => {
  await page.selectOption('[data-testid="tag-select"]', "broken");
  let view = await readView(page);
  assert.equal(view.selected, "broken");
  assertViewMatches(view, [metricsOf("broken")], "broken");
  const v = view.values;
  assert.deepEqual(
    ["received", "built", "accepted", "rejected", "failed", "skipped", "invalid"].map((id) => v[id].text),
    ["9", "6", "0", "5", "1", "2", "1"],
  );
  assert.equal(v["error-rate"].text, "100.0%");
  assert.equal(Number(v["error-rate"].value), 1);
  assert.deepEqual(view.errors[0].cells, ["190", "5", META_190_MESSAGE]);
  assert.ok(view.skips.some((s) => s.reason === "consent.denied" && s.count === "2"));

  await page.selectOption('[data-testid="tag-select"]', "main");
  view = await readView(page);
  assertViewMatches(view, [metricsOf("main")], "main");
  assert.deepEqual(["received", "accepted", "rejected", "failed"].map((id) => view.values[id].text), ["9", "5", "0", "1"]);
  assert.equal(view.values["error-rate"].text, "16.7%");
  assert.deepEqual(view.errors.map((e) => e.code), ["2"], "main has no 190");

  await page.selectOption('[data-testid="tag-select"]', "");
  assertViewMatches(await readView(page), [metricsOf("main"), metricsOf("broken")], "combined again");
});

test("the page loads nothing from outside 127.0.0.1, logs no error, and a screenshot is saved", async () => {
  assert.ok(requestUrls.length >= 2, requestUrls.join(" "));
  const outside = requestUrls.filter((u) => !u.startsWith("data:") && new URL(u).hostname !== "127.0.0.1");
  assert.deepEqual(outside, []);
  assert.ok(requestUrls.some((u) => new URL(u).pathname === "/dashboard/data"));
  assert.deepEqual(consoleErrors, []);

  mkdirSync(new URL(".", SCREENSHOT), { recursive: true });
  await page.screenshot({ path: fileURLToPath(SCREENSHOT), fullPage: true });
  assert.ok(existsSync(SCREENSHOT));
  assert.ok(statSync(SCREENSHOT).size > 10 * 1024, `screenshot is ${statSync(SCREENSHOT).size} bytes`);
});

test("the dashboard is behind Basic auth and shows no secret", async () => {
  // A browser without credentials: the server answers 401 with a Basic challenge. Headless
  // Chromium, with no credentials to offer and no prompt, then fails the navigation with
  // ERR_INVALID_AUTH_CREDENTIALS, so the 401 is read from the response event.
  const anonymous = await browser.newContext();
  anonymous.on("request", (r) => requestUrls.push(r.url()));
  try {
    const p = await anonymous.newPage();
    const seen = [];
    p.on("response", (r) => seen.push({ path: new URL(r.url()).pathname, status: r.status(), auth: r.headers()["www-authenticate"] }));
    const res = await p.goto(`${server.url}/dashboard`).catch((e) => e);
    if (res instanceof Error) assert.match(res.message, /ERR_INVALID_AUTH_CREDENTIALS/);
    else assert.equal(res.status(), 401);
    assert.equal(seen.length, 1, JSON.stringify(seen));
    assert.equal(seen[0].path, "/dashboard");
    assert.equal(seen[0].status, 401);
    assert.match(seen[0].auth ?? "", /^Basic realm=/);
  } finally {
    await anonymous.close();
  }
  // A browser with the wrong password: Playwright offers it once, then the 401 is the page.
  const wrong = await browser.newContext({ httpCredentials: { username: "admin", password: "not-the-token" } });
  wrong.on("request", (r) => requestUrls.push(r.url()));
  try {
    const p = await wrong.newPage();
    const res = await p.goto(`${server.url}/dashboard`);
    assert.equal(res.status(), 401);
    assert.equal(await p.locator('[data-testid="received"]').count(), 0, "no dashboard without the token");
    const html = await p.content();
    for (const s of SECRETS) assert.ok(!html.includes(s), `401 page contains ${s}`);
  } finally {
    await wrong.close();
  }
  // Node without auth, with a wrong password, with the token as a bearer: 401; any user name works.
  for (const path of ["/dashboard", "/dashboard/data"]) {
    for (const headers of [{}, { authorization: basic("admin", "wrong-password") }, { authorization: `Bearer ${DASH_TOKEN}` }]) {
      const res = await fetch(server.url + path, { headers });
      assert.equal(res.status, 401, `${path} ${JSON.stringify(headers)}`);
      const body = await res.text();
      for (const s of SECRETS) assert.ok(!body.includes(s), `401 body of ${path} has ${s}`);
    }
    const ok = await fetch(server.url + path, { headers: { authorization: basic("someone-else", DASH_TOKEN) } });
    assert.equal(ok.status, 200, path);
    const body = await ok.text();
    for (const s of SECRETS) assert.ok(!body.includes(s), `${path} contains ${s}`);
  }
  // Nor in the rendered page (every tag view).
  for (const tag of ["", "main", "broken"]) {
    await page.selectOption('[data-testid="tag-select"]', tag);
    const html = await page.content();
    for (const s of SECRETS) assert.ok(!html.includes(s), `page (${tag || "all"}) contains ${s}`);
  }
  assert.deepEqual(requestUrls.filter((u) => !u.startsWith("data:") && new URL(u).hostname !== "127.0.0.1"), []);
});

test("a 401 from /dashboard/data shows the sign-in error and keeps the last numbers", async () => {
  await page.selectOption('[data-testid="tag-select"]', "");
  await page.route("**/dashboard/data?*", (route) => route.fulfill({ status: 401, contentType: "application/json", body: "{}" }));
  try {
    await page.evaluate(() => document.dispatchEvent(new Event("visibilitychange"))); // refresh now
    await page.waitForSelector("body[data-error]", { timeout: 5_000 });
    const error = await page.evaluate(() => document.body.dataset.error);
    assert.ok(error.startsWith("Could not load data: Not authorized (HTTP 401)"), error);
    assert.equal(await page.locator('[data-testid="received"]').textContent(), "18", "the last data stays");
  } finally {
    await page.unroute("**/dashboard/data?*");
  }
  await page.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
  await page.waitForFunction(() => !("error" in document.body.dataset), null, { timeout: 5_000 });
});
